//! `cmek add-region CLUSTER --region R [--nodes N] [--out FILE] [--yes]` or
//! `cmek add-region --plan FILE`: asks the core for an add-region plan (`Desk::plan_add_region`,
//! reads only): the region's key provisioned or reused and granted first, then one `PATCH`.

use super::{change_flow, resolve_cluster};
use crate::args::AddRegionArgs;
use crate::exit::{invalid, Outcome};
use crate::output::Out;
use cmek_core::change::AddRegionRequest;
use cmek_desk_core::Desk;

pub async fn run(desk: &Desk, args: AddRegionArgs, out: &Out) -> Outcome {
    if let Some(path) = &args.apply.plan {
        return change_flow::apply_file(desk, path, "addRegion", out).await;
    }
    let (Some(cluster), Some(region)) = (&args.cluster, &args.region) else {
        return Err(invalid(
            "CLUSTER",
            "give a cluster and --region, or --plan FILE",
        ));
    };
    let cluster = resolve_cluster(desk, cluster).await?;
    let request = AddRegionRequest {
        cluster_id: cluster.id.clone(),
        region: region.clone(),
        node_count: args.nodes.map(Into::into),
        project: args.project.clone(),
        key_ring: args.key_ring.clone(),
        crypto_key: args.key.clone(),
    };
    let plan = desk.plan_add_region(request).await?;
    change_flow::finish(desk, plan, &args.apply, "add-region", out).await
}
