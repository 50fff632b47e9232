//! `cmek rotate CLUSTER [--key-ring R] [--key K] [--project P] [--out FILE] [--yes]` or
//! `cmek rotate --plan FILE`: starts from the core's suggestion (`Desk::suggest_rotation`:
//! the current key's project and ring, a dated key id, the current layout), overrides what the
//! flags say, and asks the core for a rotation plan (`Desk::plan_rotation`, reads only).

use super::{change_flow, resolve_cluster};
use crate::args::{RotateArgs, Rotation};
use crate::exit::{invalid, Outcome};
use crate::output::Out;
use cmek_core::plan::{KeyLayout, ProtectionLevel};
use cmek_desk_core::Desk;

pub async fn run(desk: &Desk, args: RotateArgs, out: &Out) -> Outcome {
    if let Some(path) = &args.apply.plan {
        return change_flow::apply_file(desk, path, "rotation", out).await;
    }
    let Some(cluster) = &args.cluster else {
        return Err(invalid("CLUSTER", "give a cluster or --plan FILE"));
    };
    let cluster = resolve_cluster(desk, cluster).await?;
    let mut request = desk.suggest_rotation(&cluster.id).await?;
    if let Some(ring) = &args.key_ring {
        request.key_ring = ring.clone();
    }
    if let Some(key) = &args.key {
        request.crypto_key = key.clone();
    }
    if let Some(project) = &args.project {
        request.project = project.clone();
    }
    if args.key_per_region {
        request.layout = Some(KeyLayout::KeyPerRegion);
    } else if let Some(location) = &args.single_key {
        request.layout = Some(KeyLayout::SingleKey {
            location: location.clone(),
        });
    }
    if args.hsm {
        request.protection_level = ProtectionLevel::Hsm;
    }
    match args.rotation {
        Some(Rotation::Days(days)) => request.rotation_period_days = Some(days.into()),
        Some(Rotation::Never) => request.rotation_period_days = None,
        None => {}
    }
    let plan = desk.plan_rotation(request).await?;
    change_flow::finish(desk, plan, &args.apply, "rotate", out).await
}
