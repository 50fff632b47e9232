//! Rate quotas of the inventory APIs the sandbox fakes (Cloud Asset `searchAllResources` and
//! `searchAllIamPolicies`, KMS Inventory), enforced over a sliding 60-second window as Google's
//! per-minute quotas are: a request over a limit answers 429 `RESOURCE_EXHAUSTED` with the
//! `ErrorInfo` Google sends (`reason: RATE_LIMIT_EXCEEDED`, `quota_limit`, `quota_limit_value`,
//! like gcp-apis.md §2's KMS quota error) and is not served.
//!
//! Default limits, from the public Cloud Asset Inventory quota page
//! (cloud.google.com/asset-inventory/docs/quota, "Project quota" and "Resource organization
//! quota"):
//! - `SearchAllResources`: 400 per minute per consumer project, 1,500 per minute per organisation;
//! - `SearchAllIamPolicies`: 400 per minute per consumer project, 3,000 per minute per organisation.
//!
//! KMS Inventory publishes no separate number in the references we hold; it is modelled at the
//! Cloud KMS read quota (gcp-apis.md §4: 300 read requests per minute per calling project), the
//! conservative choice.
//!
//! The consumer project is the `X-Goog-User-Project` header when sent (gcp-apis.md §2), else the
//! caller's default quota project (one bucket, `-`). Tests and benchmarks may scale the limits
//! with [`State::set_inventory_quotas`].

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::errors::GError;
use crate::router::Req;
use crate::state::State;

/// An API whose quota is modelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Api {
    SearchAllResources,
    SearchAllIamPolicies,
    KmsInventory,
}

impl Api {
    fn metric(self) -> (&'static str, &'static str) {
        match self {
            Api::SearchAllResources => ("cloudasset.googleapis.com", "SearchAllResources"),
            Api::SearchAllIamPolicies => ("cloudasset.googleapis.com", "SearchAllIamPolicies"),
            Api::KmsInventory => ("kmsinventory.googleapis.com", "ReadRequests"),
        }
    }
}

/// Per-minute limits (requests per 60 s). `None` = not enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InventoryQuotas {
    pub search_resources_per_project: Option<u32>,
    pub search_resources_per_org: Option<u32>,
    pub search_policies_per_project: Option<u32>,
    pub search_policies_per_org: Option<u32>,
    pub kms_inventory_per_project: Option<u32>,
}

impl InventoryQuotas {
    /// The production defaults (see the module doc for their source).
    pub const PRODUCTION: Self = Self {
        search_resources_per_project: Some(400),
        search_resources_per_org: Some(1_500),
        search_policies_per_project: Some(400),
        search_policies_per_org: Some(3_000),
        kms_inventory_per_project: Some(300),
    };

    fn limits(&self, api: Api) -> (Option<u32>, Option<u32>) {
        match api {
            Api::SearchAllResources => (
                self.search_resources_per_project,
                self.search_resources_per_org,
            ),
            Api::SearchAllIamPolicies => (
                self.search_policies_per_project,
                self.search_policies_per_org,
            ),
            Api::KmsInventory => (self.kms_inventory_per_project, None),
        }
    }
}

impl Default for InventoryQuotas {
    fn default() -> Self {
        Self::PRODUCTION
    }
}

/// The limits in force and the request times of each (api, bucket) in the last minute.
#[derive(Debug, Default)]
pub struct QuotaBook {
    pub(crate) quotas: InventoryQuotas,
    windows: BTreeMap<(Api, String), VecDeque<Instant>>,
    /// Requests refused with 429, per API (for tests and the benchmark).
    pub(crate) refused: BTreeMap<String, u32>,
}

const WINDOW: Duration = Duration::from_secs(60);

impl QuotaBook {
    /// Whether one more request fits in `bucket`'s window of `limit`; records it if so.
    fn fits(&mut self, api: Api, bucket: &str, limit: u32, now: Instant, record: bool) -> bool {
        let w = self.windows.entry((api, bucket.to_owned())).or_default();
        while w.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
            w.pop_front();
        }
        let ok = (w.len() as u32) < limit;
        if ok && record {
            w.push_back(now);
        }
        ok
    }
}

fn exhausted(api: Api, limit_name: &str, limit: u32, consumer: &str) -> GError {
    let (service, metric) = api.metric();
    GError::new(
        429,
        "RESOURCE_EXHAUSTED",
        format!(
            "Quota exceeded for quota metric '{metric}' and limit '{limit_name}' of service '{service}' for consumer '{consumer}'."
        ),
    )
    .with_detail(json!({
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "RATE_LIMIT_EXCEEDED",
        "domain": "googleapis.com",
        "metadata": {"consumer": consumer, "quota_limit": limit_name,
            "quota_limit_value": limit.to_string(), "quota_metric": format!("{service}/{metric}"),
            "service": service},
    }))
}

/// Counts one request of `api` against the consumer project's and (when `org` is known) the
/// organisation's per-minute quota, or answers 429 without counting it.
pub(crate) fn charge(
    state: &mut State,
    r: &Req,
    api: Api,
    org: Option<&str>,
) -> Result<(), GError> {
    let consumer = r
        .headers
        .get("x-goog-user-project")
        .and_then(|v| v.to_str().ok())
        .map(|p| format!("project:{p}"))
        .unwrap_or_else(|| "project:-".to_owned());
    let (per_project, per_org) = state.inventory_quota.quotas.limits(api);
    let now = Instant::now();
    let book = &mut state.inventory_quota;
    let project_ok = per_project.is_none_or(|l| book.fits(api, &consumer, l, now, false));
    let org_ok = match (per_org, org) {
        (Some(l), Some(o)) => book.fits(api, o, l, now, false),
        _ => true,
    };
    let refusal = if !project_ok {
        Some(exhausted(
            api,
            "RequestsPerMinutePerProject",
            per_project.unwrap_or(0),
            &consumer,
        ))
    } else if !org_ok {
        Some(exhausted(
            api,
            "RequestsPerMinutePerOrganization",
            per_org.unwrap_or(0),
            org.unwrap_or_default(),
        ))
    } else {
        None
    };
    if let Some(e) = refusal {
        *book.refused.entry(api.metric().1.to_owned()).or_default() += 1;
        return Err(e);
    }
    if let Some(l) = per_project {
        book.fits(api, &consumer, l, now, true);
    }
    if let (Some(l), Some(o)) = (per_org, org) {
        book.fits(api, o, l, now, true);
    }
    Ok(())
}

impl State {
    /// Replaces the inventory APIs' per-minute limits (default [`InventoryQuotas::PRODUCTION`]).
    pub fn set_inventory_quotas(&mut self, quotas: InventoryQuotas) {
        self.inventory_quota.quotas = quotas;
    }

    /// Requests the inventory quotas refused with 429, by quota metric
    /// (`SearchAllResources`, `SearchAllIamPolicies`, `ReadRequests`).
    pub fn inventory_quota_refusals(&self) -> BTreeMap<String, u32> {
        self.inventory_quota.refused.clone()
    }
}
