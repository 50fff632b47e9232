//! The read-only per-project list fakes without a contract in `specs/` (Cloud Logging
//! `metrics`, Cloud Monitoring `alertPolicies`): one route shape
//! (`GET {version}/projects/{project}/{collection}`), one permission check on the project, one
//! paging over the items the seed stored for the project.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::auth::{authorize, project_key};
use crate::errors::GError;
use crate::router::{paginate, Req};
use crate::state::State;

/// One `projects.*.list` operation.
pub(crate) struct ProjectList {
    /// API version, the first path segment (`v2`).
    pub version: &'static str,
    /// The collection: last path segment and the response's list field (`metrics`).
    pub collection: &'static str,
    /// Operation id (`logging.projects.metrics.list`).
    pub operation: &'static str,
    /// IAM permission the caller needs on the project (`logging.logMetrics.list`).
    pub permission: &'static str,
    /// Service domain named in a denial (`logging.googleapis.com`).
    pub domain: &'static str,
    /// The stored items, per project id.
    pub items: fn(&State) -> &BTreeMap<String, Vec<Value>>,
}

impl ProjectList {
    /// (operation id, is_write) for a request to this API.
    pub(crate) fn route(
        &self,
        method: &str,
        segs: &[String],
        verb: Option<&str>,
    ) -> Option<(String, bool)> {
        let s: Vec<&str> = segs.iter().map(String::as_str).collect();
        match (s.as_slice(), method, verb) {
            ([version, "projects", _, collection], "GET", None)
                if *version == self.version && *collection == self.collection =>
            {
                Some((self.operation.into(), false))
            }
            _ => None,
        }
    }

    /// Handles a routed request: permission check, then one page of the project's items.
    pub(crate) fn handle(&self, state: &mut State, r: &Req, op: &str) -> Result<Value, GError> {
        let project = r.segs[2].clone();
        let pk = project_key(state, &project);
        authorize(
            state,
            &r.member,
            std::slice::from_ref(&pk),
            self.permission,
            &pk,
            self.domain,
        )?;
        let id = state
            .project(&project)
            .map(|p| p.id.clone())
            .unwrap_or(project);
        if op == self.operation {
            let items = (self.items)(state).get(&id).cloned().unwrap_or_default();
            Ok(paginate(items, r, self.collection, 100, false))
        } else {
            Err(GError::new(
                501,
                "UNIMPLEMENTED",
                format!("{op} is not implemented by the sandbox"),
            ))
        }
    }
}
