//! Planning the keys a change needs, shared by setup, rotation and add-region: each key ring
//! and crypto key to create or adopt (B01, B02: existing ones are adopted, never re-created),
//! and the Encrypter/Decrypter grant of the customer service account on each key, with the
//! key's bindings before and after, and the warning about the audit's C12 finding on the keys'
//! end state (`crate::separation`). Reads only.

use crate::connection::Connection;
use crate::plan::{change, step};
use cmek_core::iam::{service_account_member, Grant, Policy, ROLE_ENCRYPTER_DECRYPTER};
use cmek_core::names::{is_multi_region_location, location_serves_region, CryptoKeyName};
use cmek_core::plan::{PlanStep, PlannedIamChange, PlannedKey, StepKind};
use cmek_core::{Error, ErrorCode, Result};

/// What [`plan_keys`] found and will do.
pub(crate) struct KeyPlan {
    /// Key ring names, in first-use order.
    pub rings: Vec<String>,
    /// `CreateKeyRing` and `CreateCryptoKey` steps, in execution order.
    pub create_steps: Vec<PlanStep>,
    /// One `GrantEncrypterDecrypter` step per key (run after every key exists).
    pub grant_steps: Vec<PlanStep>,
    pub iam_changes: Vec<PlannedIamChange>,
    pub keys: Vec<PlannedKey>,
    pub warnings: Vec<String>,
    /// True when the audit would raise C12 on a key of the plan (a warning says who and why).
    pub c12: bool,
}

impl KeyPlan {
    /// True when the audit would raise C12 on a key this plan creates (not one it adopts, which
    /// stays where it is): the plan then offers a project that separates duties (issue 11;
    /// `Plan::offer_key_project`).
    pub fn offers_key_project(&self) -> bool {
        self.c12 && self.keys.iter().any(|k| !k.exists)
    }
}

/// Looks up every wanted key (resource name and the cluster regions it serves) and plans its
/// creation or adoption and the grant for `sa_email`. Errors: `InvalidInput` (`layout.location`)
/// when a key's location cannot serve one of its regions (B18), or a read's error.
pub(crate) async fn plan_keys(
    conn: &Connection,
    wanted: Vec<(CryptoKeyName, Vec<String>)>,
    sa_email: &str,
) -> Result<KeyPlan> {
    let g = &conn.google;
    let mut end_states = Vec::new();
    let mut p = KeyPlan {
        rings: Vec::new(),
        create_steps: Vec::new(),
        grant_steps: Vec::new(),
        iam_changes: Vec::new(),
        keys: Vec::new(),
        warnings: Vec::new(),
        c12: false,
    };
    for (name, regions) in wanted {
        let ring = name.key_ring.to_string();
        let location = name.key_ring.location.clone();
        for region in &regions {
            if location_serves_region(&location, region) == Some(false) {
                return Err(cmek_core::setup_fields::fields::LOCATION.error(
                    format!("a key in {location} cannot serve cluster region {region}: choose {region}, a multi-region that contains it, global, or one key per region"),
                ));
            }
        }
        if is_multi_region_location(&location) {
            // Field report B18: `global` and multi-regions are accepted but not "usable everywhere".
            p.warnings.push(format!("Key location {location} is not a single region: CockroachDB accepts global and multi-region keys, but an outage of that location affects every cluster region it serves."));
        }
        if !p.rings.contains(&ring) {
            let exists = g
                .kms
                .get_key_ring(&ring)
                .await
                .or_else(service_disabled_as_none)?
                .is_some();
            if exists {
                p.warnings.push(format!("Key ring {ring} already exists and will be reused (key rings can never be deleted)."));
            }
            p.create_steps.push(step(
                StepKind::CreateKeyRing,
                &format!("Create key ring {} in {location}", name.key_ring.key_ring),
                &ring,
                exists,
            ));
            p.rings.push(ring.clone());
        }
        let ring_exists = p
            .create_steps
            .iter()
            .any(|s| s.kind == StepKind::CreateKeyRing && s.resource == ring && s.already_done);
        let key_name = name.to_string();
        let existing = g
            .kms
            .get_crypto_key(&key_name)
            .await
            .or_else(service_disabled_as_none)?;
        let key_policy = match &existing {
            Some(_) => g.kms.get_iam_policy(&key_name).await?,
            None => Policy::default(),
        };
        if let Some(k) = &existing {
            let state = k
                .primary
                .as_ref()
                .and_then(|p| p.state.clone())
                .unwrap_or_else(|| "no primary version".into());
            // Field report B01: never re-create or report as created a key that exists.
            p.warnings.push(format!("Crypto key {key_name} already exists (primary version: {state}); it will be adopted, not re-created."));
        }
        p.create_steps.push(step(
            StepKind::CreateCryptoKey,
            &format!("Create crypto key {}", name.crypto_key),
            &key_name,
            existing.is_some(),
        ));
        let grant = Grant::new(ROLE_ENCRYPTER_DECRYPTER, service_account_member(sa_email));
        p.grant_steps.push(step(
            StepKind::GrantEncrypterDecrypter,
            &format!(
                "Let the service account use {} (Encrypter/Decrypter)",
                name.crypto_key
            ),
            &key_name,
            key_policy.has(&grant),
        ));
        let planned = change(&key_name, &key_policy, grant);
        end_states.push(crate::separation::EndState {
            key: key_name.clone(),
            ring: ring.clone(),
            ring_exists,
            key_after: planned.after.clone(),
        });
        p.iam_changes.push(planned);
        p.keys.push(PlannedKey {
            name: key_name,
            location,
            regions,
            exists: existing.is_some(),
            primary_state: existing.and_then(|k| k.primary.and_then(|p| p.state)),
        });
    }
    // The audit's own C12 on what the plan creates (issue #11).
    let c12 = crate::separation::c12_warnings(conn, &end_states).await?;
    p.c12 = c12.raised;
    p.warnings.extend(c12.warnings);
    Ok(p)
}

/// A disabled Cloud KMS API reads as "does not exist yet" while planning (enabling it is a step).
pub(crate) fn service_disabled_as_none<T>(e: Error) -> Result<Option<T>> {
    if e.code == ErrorCode::ServiceDisabled {
        Ok(None)
    } else {
        Err(e)
    }
}
