//! A fresh, targeted read for drift: only the CockroachDB clusters with their CMEK specs, and
//! the policies of the keys (plus their key rings) and service accounts those specs name. No
//! project list is needed, so the one-click fix (and `cmek drift`) re-checks a finding against
//! the live state right before acting, whatever an earlier audit scanned.

use super::{compute, expectations, key_name, DriftFinding, Observed};
use crate::crdb::sa_project;
use crate::effective::flatten;
use crate::model::{ClusterRow, PolicyLevel};
use cmek_cockroach::CockroachClient;
use cmek_core::{Error, ErrorCode, Result};
use cmek_gcp::Google;
use futures::stream::{self, StreamExt};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use ts_rs::TS;

/// Reads in flight at once.
const IN_FLIGHT: usize = 8;

/// A resource whose state could not be read (no drift is computed for it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DriftReadError {
    /// `clusters/{id}`, a key, a key ring or `projects/P/serviceAccounts/EMAIL`.
    pub resource: String,
    pub error: Error,
}

/// The result of [`scan_drift`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DriftScan {
    /// RFC 3339 UTC time the read started.
    pub scan_time: String,
    pub findings: Vec<DriftFinding>,
    /// Resources that could not be read. A key or service account that does not exist (404)
    /// is not an error here: it has no policy to drift (C01/C04 report it).
    pub unread: Vec<DriftReadError>,
}

impl DriftScan {
    /// The finding with this id, if the live state still shows it.
    pub fn finding(&self, id: &str) -> Option<&DriftFinding> {
        self.findings.iter().find(|f| f.id == id)
    }
}

/// Reads every cluster's CMEK specs, then the policies they name, and computes the drift.
/// Errors: the cluster list could not be read; every other read error is in `unread`.
pub async fn scan_drift(google: &Google, cockroach: &CockroachClient) -> Result<DriftScan> {
    let scan_time = crate::time_util::rfc3339(time::OffsetDateTime::now_utc());
    let mut unread = Vec::new();
    let listed = cockroach.list_clusters().await?;
    let read: Vec<(ClusterRow, Option<Error>)> = stream::iter(listed)
        .map(|c| async move {
            let mut row = ClusterRow {
                id: c.id.clone(),
                name: c.name.clone(),
                account_id: c.account_id.clone(),
                cloud_provider: c.cloud_provider.clone(),
                ..Default::default()
            };
            let err = match cockroach.get_cmek(&c.id).await {
                Ok(info) => {
                    row.cmek = info;
                    None
                }
                Err(e) => Some(e),
            };
            (row, err)
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    let mut clusters = Vec::new();
    for (row, err) in read {
        if let Some(error) = err {
            unread.push(DriftReadError {
                resource: format!("clusters/{}", row.id),
                error,
            });
        }
        clusters.push(row);
    }
    let expected = expectations(&clusters);
    // Owned targets: a stream over a borrowing closure makes this future non-`Send` (the
    // window's commands need `Send`).
    let targets: Vec<(String, Option<PolicyLevel>)> =
        expected.iter().map(|(r, e)| (r.clone(), e.level)).collect();
    let reads: Vec<(
        String,
        std::result::Result<Option<Observed>, DriftReadError>,
    )> = stream::iter(targets)
        .map(|(res, level)| async move {
            let got = match level {
                Some(PolicyLevel::Key) => read_key(google, &res).await,
                Some(_) => read_service_account(google, &res).await,
                None => Ok(None),
            };
            (res, got)
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    let mut observed: BTreeMap<String, Observed> = BTreeMap::new();
    for (res, got) in reads {
        match got {
            Ok(Some(o)) => {
                observed.insert(res, o);
            }
            Ok(None) => {}
            Err(e) => unread.push(e),
        }
    }
    unread.sort_by(|a, b| a.resource.cmp(&b.resource));
    let findings = compute(&expected, |res, _| observed.get(res).cloned());
    Ok(DriftScan {
        scan_time,
        findings,
        unread,
    })
}

fn unread(resource: &str, error: Error) -> DriftReadError {
    DriftReadError {
        resource: resource.to_owned(),
        error,
    }
}

/// The key's policy and its key ring's; `None` when the key does not exist.
async fn read_key(
    google: &Google,
    key: &str,
) -> std::result::Result<Option<Observed>, DriftReadError> {
    let key = key_name(key);
    let ring = key.split("/cryptoKeys/").next().unwrap_or_default();
    let own = match google.kms.get_iam_policy(&key).await {
        Ok(p) => flatten(&p, PolicyLevel::Key, &key),
        Err(e) if e.code == ErrorCode::NotFound => return Ok(None),
        Err(e) => return Err(unread(&key, e)),
    };
    let inherited = match google.kms.get_iam_policy(ring).await {
        Ok(p) => flatten(&p, PolicyLevel::KeyRing, ring),
        Err(e) => return Err(unread(ring, e)),
    };
    Ok(Some(Observed { own, inherited }))
}

/// The service account's own policy; `None` when the account does not exist.
async fn read_service_account(
    google: &Google,
    resource: &str,
) -> std::result::Result<Option<Observed>, DriftReadError> {
    let email = resource.rsplit('/').next().unwrap_or_default();
    let project = sa_project(email);
    match google.iam.get_iam_policy(&project, email).await {
        Ok(p) => Ok(Some(Observed {
            own: flatten(&p, PolicyLevel::ServiceAccount, resource),
            inherited: Vec::new(),
        })),
        Err(e) if e.code == ErrorCode::NotFound => Ok(None),
        Err(e) => Err(unread(resource, e)),
    }
}
