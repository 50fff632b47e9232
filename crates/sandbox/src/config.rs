//! Sandbox configuration: tokens, principals and the timing knobs that make the fake behave
//! like the real, eventually consistent services (IAM propagation, service-account creation,
//! CockroachDB CMEK transitions, artificial latency).

use std::collections::BTreeMap;
use std::time::Duration;

/// Default Google OAuth access token accepted by the sandbox.
pub const DEFAULT_GOOGLE_TOKEN: &str = "sandbox-google-token";
/// Principal that [`DEFAULT_GOOGLE_TOKEN`] authenticates as (owner of the demo project).
pub const DEFAULT_GOOGLE_MEMBER: &str = "user:officer@example.com";
/// Default CockroachDB Cloud API key accepted by the sandbox.
pub const DEFAULT_COCKROACH_KEY: &str = "sandbox-cockroach-key";
/// The only `Cc-Version` header value the fake CockroachDB Cloud API accepts.
pub const COCKROACH_API_VERSION: &str = "2024-09-16";

/// What the sandbox does with an exchange that breaks the API contracts (`specs/`): a request
/// body the spec rejects (answered 400 naming the field, as Google or CockroachDB would) or a
/// sandbox answer the spec rejects (answered 500). Parsed from `off`, `record` or `fail`
/// (`cmek sandbox serve --spec-guard`, `CMEK_DESK_SANDBOX_SPEC_GUARD`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SpecGuard {
    /// No validation at all (nothing recorded, nothing rejected).
    Off,
    /// Validate, answer as the real API would, log a warning and list the finding
    /// (`GET {base}/_sandbox/spec-findings`, `SandboxHandle::take_spec_findings`); never fails
    /// anything. The app's sandbox mode for real users.
    #[default]
    Record,
    /// As `Record`, and the owner fails on findings nobody looked at: a dropped
    /// `SandboxHandle` panics (the test fails), `cmek sandbox serve` exits 1 naming them.
    Fail,
}

impl SpecGuard {
    /// `off`, `record` or `fail`.
    pub fn as_str(self) -> &'static str {
        match self {
            SpecGuard::Off => "off",
            SpecGuard::Record => "record",
            SpecGuard::Fail => "fail",
        }
    }
}

impl std::fmt::Display for SpecGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for SpecGuard {
    type Err = String;
    /// Errors: the rule, e.g. `must be off, record or fail (got "loud")`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "off" => Ok(SpecGuard::Off),
            "record" => Ok(SpecGuard::Record),
            "fail" => Ok(SpecGuard::Fail),
            _ => Err(format!("must be off, record or fail (got \"{s}\")")),
        }
    }
}

/// All knobs of the sandbox. Build with [`SandboxConfig::for_tests`] or
/// [`SandboxConfig::demo`] and adjust with the `with_*` builder methods.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Bearer token -> IAM member (`user:...` / `serviceAccount:...`).
    pub google_tokens: BTreeMap<String, String>,
    /// Accepted CockroachDB Cloud API keys (Bearer).
    pub cockroach_api_keys: Vec<String>,
    /// Seed the demo organisation (projects, clusters, policies).
    pub seed_demo: bool,
    /// Time after a policy write before it is *effective* for authorization decisions
    /// (getIamPolicy shows the write immediately).
    pub iam_propagation: Duration,
    /// After `serviceAccounts.create`, the first N `get` calls on that account answer 404
    /// (field report B07).
    pub sa_get_not_found_after_create: u32,
    /// Minimum time a CMEK region stays in a transitional state (ENABLING/ROTATING/REVOKING).
    pub cmek_transition: Duration,
    /// Number of `GET .../cmek` polls that still show the transitional state before it resolves
    /// (both this and `cmek_transition` must be satisfied).
    pub cmek_polls_before_done: u32,
    /// Artificial latency added to every request.
    pub latency: Duration,
    /// Validate every request and response against the embedded API contracts (`cmek-spec`):
    /// invalid requests get 400 INVALID_ARGUMENT naming the field; invalid sandbox responses
    /// become 500 and are recorded (see `SandboxHandle::spec_violations`).
    pub validate_against_spec: bool,
    /// Time after an IAM role is created through the API before KMS accepts it as a principal
    /// in a key policy (until then `MalformedPolicyDocumentException`, field report B26).
    pub aws_iam_propagation: Duration,
    /// The spec guard: dropping the `SandboxHandle` panics (failing the test) when a request
    /// broke the API spec or a sandbox response did, unless the test looked at them with
    /// `SandboxHandle::spec_rejections` / `spec_violations` (tests that provoke them on
    /// purpose). On in [`SandboxConfig::for_tests`], off in [`SandboxConfig::demo`] (the app's
    /// sandbox mode logs them instead).
    pub fail_on_spec_findings: bool,
    /// Also seed the audit organisation (`seed_audit`: one misconfiguration per audit check and
    /// a clean twin for each). Off by default.
    pub seed_audit: bool,
}

impl SandboxConfig {
    /// Seeded, zero delays, one GET poll before CMEK transitions resolve.
    pub fn for_tests() -> Self {
        let mut google_tokens = BTreeMap::new();
        google_tokens.insert(
            DEFAULT_GOOGLE_TOKEN.to_string(),
            DEFAULT_GOOGLE_MEMBER.to_string(),
        );
        Self {
            google_tokens,
            cockroach_api_keys: vec![DEFAULT_COCKROACH_KEY.to_string()],
            seed_demo: true,
            iam_propagation: Duration::ZERO,
            sa_get_not_found_after_create: 0,
            cmek_transition: Duration::ZERO,
            cmek_polls_before_done: 1,
            latency: Duration::ZERO,
            validate_against_spec: true,
            fail_on_spec_findings: true,
            aws_iam_propagation: Duration::ZERO,
            seed_audit: false,
        }
    }

    /// Seeded demo organisation with small realistic delays (for "sandbox mode" in the app).
    pub fn demo() -> Self {
        Self {
            iam_propagation: Duration::from_secs(2),
            aws_iam_propagation: Duration::from_secs(3),
            sa_get_not_found_after_create: 1,
            cmek_transition: Duration::from_secs(4),
            cmek_polls_before_done: 0,
            latency: Duration::from_millis(60),
            fail_on_spec_findings: false,
            ..Self::for_tests()
        }
    }

    /// Adds (or replaces) a Google token mapped to `member`.
    pub fn with_google_token(
        mut self,
        token: impl Into<String>,
        member: impl Into<String>,
    ) -> Self {
        self.google_tokens.insert(token.into(), member.into());
        self
    }
    /// Adds an accepted CockroachDB API key.
    pub fn with_cockroach_key(mut self, key: impl Into<String>) -> Self {
        self.cockroach_api_keys.push(key.into());
        self
    }
    /// Sets [`SandboxConfig::iam_propagation`].
    pub fn with_iam_propagation(mut self, d: Duration) -> Self {
        self.iam_propagation = d;
        self
    }
    /// Sets [`SandboxConfig::sa_get_not_found_after_create`].
    pub fn with_sa_get_not_found_after_create(mut self, n: u32) -> Self {
        self.sa_get_not_found_after_create = n;
        self
    }
    /// Sets [`SandboxConfig::aws_iam_propagation`].
    pub fn with_aws_iam_propagation(mut self, d: Duration) -> Self {
        self.aws_iam_propagation = d;
        self
    }
    /// Sets [`SandboxConfig::cmek_transition`].
    pub fn with_cmek_transition(mut self, d: Duration) -> Self {
        self.cmek_transition = d;
        self
    }
    /// Sets [`SandboxConfig::cmek_polls_before_done`].
    pub fn with_cmek_polls_before_done(mut self, n: u32) -> Self {
        self.cmek_polls_before_done = n;
        self
    }
    /// Sets [`SandboxConfig::latency`].
    pub fn with_latency(mut self, d: Duration) -> Self {
        self.latency = d;
        self
    }
    /// Sets [`SandboxConfig::validate_against_spec`].
    pub fn with_spec_validation(mut self, on: bool) -> Self {
        self.validate_against_spec = on;
        self
    }
    /// Sets [`SandboxConfig::fail_on_spec_findings`].
    pub fn with_spec_guard(mut self, on: bool) -> Self {
        self.fail_on_spec_findings = on;
        self
    }
    /// Sets validation and the guard together from a [`SpecGuard`] mode.
    pub fn with_spec_guard_mode(mut self, mode: SpecGuard) -> Self {
        self.validate_against_spec = mode != SpecGuard::Off;
        self.fail_on_spec_findings = mode == SpecGuard::Fail;
        self
    }
    /// The [`SpecGuard`] mode these two switches amount to.
    pub fn spec_guard_mode(&self) -> SpecGuard {
        match (self.validate_against_spec, self.fail_on_spec_findings) {
            (false, _) => SpecGuard::Off,
            (true, false) => SpecGuard::Record,
            (true, true) => SpecGuard::Fail,
        }
    }
    /// The test configuration plus the audit organisation (`crate::seed_audit`).
    pub fn audit_demo() -> Self {
        Self::for_tests().with_audit_seed()
    }
    /// Sets [`SandboxConfig::seed_audit`].
    pub fn with_audit_seed(mut self) -> Self {
        self.seed_audit = true;
        self
    }
    /// Starts empty (no projects, no clusters, no organisation).
    pub fn without_seed(mut self) -> Self {
        self.seed_demo = false;
        self
    }
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self::for_tests()
    }
}
