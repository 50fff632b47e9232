//! A connection: the Google and CockroachDB clients for one signed-in session, plus the
//! timing bounds of waits (production defaults; tests and the sandbox use shorter ones).

use cmek_cockroach::CockroachClient;
use cmek_core::observe::WriteObserver;
use cmek_core::plan::{ConnectionInfo, ConnectionMode};
use cmek_core::{Result, Secret};
use cmek_gcp::{Google, GoogleEndpoints, GoogleHttp, StaticToken, TokenSource};
use std::sync::Arc;
use std::time::Duration;

/// Base URLs of the services, each ending in `/`.
#[derive(Debug, Clone)]
pub struct Endpoints {
    pub kms: String,
    pub iam: String,
    pub serviceusage: String,
    pub crm: String,
    /// Cloud Logging (read by the audit only).
    pub logging: String,
    /// Cloud Monitoring (read by the audit only).
    pub monitoring: String,
    pub cockroach: String,
}

/// Bounds of every wait the setup does. All durations are wall-clock.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// How long to retry CockroachDB's enable on 400/401/403 (IAM propagation): 10 min (B09, TF CC-34016).
    pub iam_propagation: Duration,
    /// How long to retry 403/404/"does not exist" on resources this run just created (B06, B07): 2 min.
    pub fresh_resource: Duration,
    /// How long to wait for a Service Usage enable operation: 5 min.
    pub api_enable: Duration,
    /// How long to poll CockroachDB until every region settles: 2 h (TF `clusterUpdateTimeout`).
    pub cmek_settle: Duration,
    /// Interval between polls; backoff starts here.
    pub poll_interval: Duration,
    /// Consecutive successful reads that make a new service account "ready" (Terraform uses 3).
    pub sa_ready_reads: u32,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            iam_propagation: Duration::from_secs(600),
            fresh_resource: Duration::from_secs(120),
            api_enable: Duration::from_secs(300),
            cmek_settle: Duration::from_secs(7200),
            poll_interval: Duration::from_secs(5),
            sa_ready_reads: 3,
        }
    }
}

impl Timing {
    /// Short bounds for the sandbox and tests (same logic, smaller numbers).
    pub fn fast() -> Self {
        Self {
            iam_propagation: Duration::from_secs(30),
            fresh_resource: Duration::from_secs(10),
            api_enable: Duration::from_secs(10),
            cmek_settle: Duration::from_secs(60),
            poll_interval: Duration::from_millis(50),
            sa_ready_reads: 3,
        }
    }
}

/// Clients for one session. Holds secrets only inside the token sources.
#[derive(Clone)]
pub struct Connection {
    pub google: Google,
    pub google_http: GoogleHttp,
    pub cockroach: CockroachClient,
    pub info: ConnectionInfo,
    pub timing: Timing,
    /// Where the Google clients point (kept to rebuild them, [`Connection::with_write_observer`]).
    pub google_endpoints: GoogleEndpoints,
}

impl Connection {
    /// Builds the clients and reads who we are: the CockroachDB organisation (validates the
    /// API key) and the Google projects the identity can see.
    pub async fn new(
        tokens: Arc<dyn TokenSource>,
        google: &GoogleEndpoints,
        cockroach_base: &str,
        cockroach_key: Secret,
        mode: ConnectionMode,
        timing: Timing,
    ) -> Result<Self> {
        let http = GoogleHttp::new(tokens.clone());
        let g = Google::new(http.clone(), google);
        let cockroach = CockroachClient::new(cockroach_base, cockroach_key);
        let organization = cockroach.get_organization().await?;
        let mut projects: Vec<String> = g
            .crm
            .search_projects("state:ACTIVE")
            .await?
            .into_iter()
            .map(|p| p.project_id)
            .collect();
        projects.sort();
        let info = ConnectionInfo {
            mode,
            organization,
            google_identity: tokens.identity(),
            projects,
        };
        Ok(Self {
            google: g,
            google_http: http,
            cockroach,
            info,
            timing,
            google_endpoints: google.clone(),
        })
    }

    /// Connects with a fixed Google token and API key (sandbox mode and tests).
    pub async fn with_static_tokens(
        endpoints: Endpoints,
        google_token: Secret,
        cockroach_key: Secret,
        mode: ConnectionMode,
    ) -> Result<Self> {
        let identity = match mode {
            ConnectionMode::Sandbox => "user:officer@example.com",
            ConnectionMode::Live => "token",
        };
        let tokens: Arc<dyn TokenSource> = Arc::new(StaticToken::new(google_token, identity));
        let google = GoogleEndpoints {
            kms: endpoints.kms,
            iam: endpoints.iam,
            serviceusage: endpoints.serviceusage,
            crm: endpoints.crm,
            logging: endpoints.logging,
            monitoring: endpoints.monitoring,
        };
        let timing = if mode == ConnectionMode::Sandbox {
            Timing {
                poll_interval: Duration::from_millis(500),
                ..Timing::fast()
            }
        } else {
            Timing::default()
        };
        Self::new(
            tokens,
            &google,
            &endpoints.cockroach,
            cockroach_key,
            mode,
            timing,
        )
        .await
    }

    /// The same connection (same credentials, same write counters) with `observer` told of
    /// every write attempt to Google and CockroachDB Cloud: the app core records each one in
    /// the activity log during setup.
    pub fn with_write_observer(&self, observer: Arc<dyn WriteObserver>) -> Self {
        let http = self.google_http.clone().with_observer(observer.clone());
        Self {
            google: Google::new(http.clone(), &self.google_endpoints),
            google_http: http,
            cockroach: self.cockroach.clone().with_observer(observer),
            info: self.info.clone(),
            timing: self.timing,
            google_endpoints: self.google_endpoints.clone(),
        }
    }

    /// The same connection (same credentials, counters and pacers) whose client waits — HTTP
    /// retry backoff, write pacing, etag-conflict retries — end at once with a `Cancelled`
    /// error when `token` is cancelled. [`crate::apply`] uses it with its
    /// [`crate::ApplyControl`]'s token.
    pub fn with_cancel(&self, token: &cmek_retry::CancellationToken) -> Self {
        let mut c = self.clone();
        c.google_http = self.google_http.clone().with_cancel(token.clone());
        c.google = self.google.with_cancel(token);
        c.cockroach = self.cockroach.clone().with_cancel(token.clone());
        c
    }

    /// Write calls sent through this connection so far (Google + CockroachDB).
    pub fn write_calls(&self) -> u32 {
        self.google_http.write_calls() + self.cockroach.write_calls()
    }
}
