//! The app's `CMEK_DESK_*` settings as validated values, and the rule that keeps endpoint
//! overrides safe in release builds (issue 8).
//!
//! Every setting is a `NAME=value` pair (an environment variable or a command-line argument);
//! [`SettingValues::load`] keeps the ones this build accepts and lists the refused ones with the
//! setting's name and the rule. The rule for endpoint overrides ([`check_endpoint`]):
//! - **Debug and test builds** accept any `http://` or `https://` URL (tests point the app at
//!   local servers).
//! - **Release builds** accept only `https://` on Google's and CockroachDB Cloud's own hosts, or
//!   `http(s)://127.0.0.1` / `http(s)://[::1]` (a local sandbox). Anything else is refused, so
//!   a stored refresh token or API key is never sent to a host someone put in the environment.
//! - Debug-only switches ([`DEBUG_ONLY_SETTINGS`]) are dropped in release builds.
//!
//! No I/O: the caller passes the pairs and the build profile, so this code is tested for both
//! profiles in any build, and in a real release-profile build by `scripts/test.sh`.

use crate::error::{Error, ErrorCode};
use std::collections::BTreeMap;

/// Prefix of every setting's name.
pub const PREFIX: &str = "CMEK_DESK_";

/// Settings (without [`PREFIX`]) whose value is a URL that credentials are sent to.
pub const ENDPOINT_SETTINGS: [&str; 7] = [
    "OAUTH_AUTH_URL",
    "OAUTH_TOKEN_URL",
    "OAUTH_REVOKE_URL",
    "OAUTH_USERINFO_URL",
    "GOOGLE_API_BASE",
    "COCKROACH_API_BASE",
    AWS_ENDPOINT,
];

/// The AWS endpoint override (like the SDK's `AWS_ENDPOINT_URL`): one URL for IAM, KMS and STS
/// (the sandbox serves all three under `{base}/aws`). Release builds accept only
/// [`AWS_RELEASE_HOSTS`] over `https://`, or loopback.
pub const AWS_ENDPOINT: &str = "AWS_ENDPOINT";

/// Hosts release builds may send AWS credentials to over `https://`: AWS's own service
/// endpoints (`iam.amazonaws.com`, `kms.{region}.amazonaws.com`, `sts.{region}.amazonaws.com`;
/// AWS General Reference, "Service endpoints"), and nothing else.
pub const AWS_RELEASE_HOSTS: [&str; 1] = [".amazonaws.com"];

/// Test hooks that release builds ignore.
pub const DEBUG_ONLY_SETTINGS: [&str; 2] = ["KEYCHAIN_NAMESPACE", "REVOKE_PAUSE_AFTER"];

/// Hosts release builds may send credentials to over `https://` (an exact host, or any
/// subdomain of a `.`-prefixed entry). Sources: Google's OAuth and API endpoints
/// (gcp-apis.md §1, §9) and the CockroachDB Cloud API (`cockroach-cloud-openapi.json` servers).
pub const RELEASE_HOSTS: [&str; 5] = [
    "accounts.google.com",
    ".googleapis.com",
    "googleapis.com",
    "cockroachlabs.cloud",
    ".cockroachlabs.cloud",
];

/// Which rules apply: the build's own ([`BuildProfile::current`]) outside tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildProfile {
    /// `debug_assertions` on: development and test builds.
    Debug,
    /// `debug_assertions` off: what users install.
    Release,
}

impl BuildProfile {
    /// The profile this code was compiled with.
    pub const fn current() -> Self {
        if cfg!(debug_assertions) {
            Self::Debug
        } else {
            Self::Release
        }
    }
}

/// Checks one endpoint override (`name` without the prefix) under `profile`'s rule.
///
/// Errors: `INVALID_INPUT` naming `CMEK_DESK_{name}` and the rule (not a URL, a scheme other
/// than http/https, credentials in the URL, or — release builds — plain HTTP or a host that is
/// neither Google's, CockroachDB Cloud's nor the loopback address).
pub fn check_endpoint(name: &str, value: &str, profile: BuildProfile) -> Result<(), Error> {
    let field = format!("{PREFIX}{name}");
    let refuse = |rule: &str| {
        Err(Error::new(
            ErrorCode::InvalidInput,
            format!("{field}: {rule} (got \"{value}\")"),
        )
        .with_resource(field.clone()))
    };
    let Some((scheme, rest)) = value.split_once("://") else {
        return refuse("must be an http:// or https:// URL");
    };
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return refuse("must be an http:// or https:// URL");
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return refuse("must not carry a user name or password");
    }
    let host = host_of(authority).to_ascii_lowercase();
    if host.is_empty() {
        return refuse("must name a host");
    }
    if profile == BuildProfile::Debug {
        return Ok(());
    }
    let loopback = host == "127.0.0.1" || host == "[::1]";
    let hosts: &[&str] = if name == AWS_ENDPOINT {
        &AWS_RELEASE_HOSTS
    } else {
        &RELEASE_HOSTS
    };
    let known = hosts.iter().any(|h| match h.strip_prefix('.') {
        Some(domain) => host.ends_with(&format!(".{domain}")),
        None => host == *h,
    });
    match (scheme.as_str(), loopback, known) {
        (_, true, _) | ("https", _, true) => Ok(()),
        ("http", _, true) => refuse("release builds send credentials only over https://"),
        _ if name == AWS_ENDPOINT => refuse(
            "release builds accept only AWS's own https://*.amazonaws.com endpoints, or http://127.0.0.1 and http://[::1]",
        ),
        _ => refuse(
            "release builds accept only Google's or CockroachDB Cloud's own https:// hosts, or http://127.0.0.1 and http://[::1]",
        ),
    }
}

/// The host of `host[:port]` or `[v6][:port]`.
fn host_of(authority: &str) -> &str {
    if authority.starts_with('[') {
        return authority
            .find(']')
            .map_or(authority, |end| &authority[..=end]);
    }
    authority.split(':').next().unwrap_or_default()
}

/// The accepted `CMEK_DESK_*` values of one run and the refused ones.
#[derive(Debug, Clone, Default)]
pub struct SettingValues {
    values: BTreeMap<String, String>,
    refused: Vec<Error>,
}

impl SettingValues {
    /// Keeps the pairs named `CMEK_DESK_*` (later pairs win; blank values are ignored), then
    /// applies `profile`'s rules: endpoint overrides through [`check_endpoint`], debug-only
    /// switches dropped in release builds. Refused values are left out and listed in
    /// [`SettingValues::refused`].
    pub fn load<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
        profile: BuildProfile,
    ) -> Self {
        let mut values = BTreeMap::new();
        for (k, v) in pairs {
            let (k, v) = (k.into(), v.into());
            if let Some(name) = k.strip_prefix(PREFIX) {
                if v.trim().is_empty() {
                    values.remove(name);
                } else {
                    values.insert(name.to_owned(), v.trim().to_owned());
                }
            }
        }
        let mut refused = Vec::new();
        values.retain(|name, value| {
            if profile == BuildProfile::Release && DEBUG_ONLY_SETTINGS.contains(&name.as_str()) {
                return false;
            }
            if ENDPOINT_SETTINGS.contains(&name.as_str()) {
                if let Err(e) = check_endpoint(name, value, profile) {
                    refused.push(e);
                    return false;
                }
            }
            true
        });
        Self { values, refused }
    }

    /// The value of `name` (without the prefix), if accepted.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Why values were refused, one error per refused setting (empty when all were accepted).
    pub fn refused(&self) -> &[Error] {
        &self.refused
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use BuildProfile::{Debug, Release};

    #[test]
    fn release_accepts_only_known_https_hosts_and_loopback() {
        let table = [
            ("GOOGLE_API_BASE", "https://cloudkms.googleapis.com/", true),
            (
                "OAUTH_AUTH_URL",
                "https://accounts.google.com/o/oauth2/v2/auth",
                true,
            ),
            ("COCKROACH_API_BASE", "https://cockroachlabs.cloud/", true),
            ("GOOGLE_API_BASE", "http://127.0.0.1:8080/", true),
            ("GOOGLE_API_BASE", "https://[::1]:9/", true),
            ("GOOGLE_API_BASE", "http://cloudkms.googleapis.com/", false),
            ("COCKROACH_API_BASE", "http://cockroachlabs.cloud/", false),
            ("OAUTH_TOKEN_URL", "https://evil.example/token", false),
            (
                "OAUTH_TOKEN_URL",
                "https://googleapis.com.evil.example/",
                false,
            ),
            ("OAUTH_TOKEN_URL", "https://evilgoogleapis.com/", false),
            ("GOOGLE_API_BASE", "http://localhost:8080/", false),
            ("GOOGLE_API_BASE", "http://10.0.0.1/", false),
            (
                "GOOGLE_API_BASE",
                "https://u:p@cloudkms.googleapis.com/",
                false,
            ),
            ("GOOGLE_API_BASE", "file:///etc/passwd", false),
            ("GOOGLE_API_BASE", "cloudkms.googleapis.com", false),
        ];
        for (name, url, ok) in table {
            assert_eq!(
                check_endpoint(name, url, Release).is_ok(),
                ok,
                "{name}={url}"
            );
        }
    }

    #[test]
    fn release_accepts_only_amazonaws_https_or_loopback_for_aws() {
        let table = [
            ("https://kms.us-east-1.amazonaws.com", true),
            ("https://iam.amazonaws.com/", true),
            ("http://127.0.0.1:4566/aws", true),
            ("http://[::1]:9/aws", true),
            ("http://kms.us-east-1.amazonaws.com", false),
            ("https://amazonaws.com.evil.example/", false),
            ("https://evilamazonaws.com/", false),
            ("https://cloudkms.googleapis.com/", false),
            ("https://localstack.example:4566/", false),
        ];
        for (url, ok) in table {
            let got = check_endpoint(AWS_ENDPOINT, url, Release);
            assert_eq!(got.is_ok(), ok, "{url}: {got:?}");
            if let Err(e) = got {
                assert!(
                    e.message.starts_with("CMEK_DESK_AWS_ENDPOINT: "),
                    "{}",
                    e.message
                );
            }
        }
        // An AWS host is no Google or CockroachDB endpoint.
        assert!(check_endpoint(
            "GOOGLE_API_BASE",
            "https://kms.us-east-1.amazonaws.com",
            Release
        )
        .is_err());
        let s = SettingValues::load([("CMEK_DESK_AWS_ENDPOINT", "http://aws.example/")], Release);
        assert_eq!(s.get(AWS_ENDPOINT), None);
        assert_eq!(s.refused().len(), 1);
        let s = SettingValues::load([("CMEK_DESK_AWS_ENDPOINT", "http://aws.example/")], Debug);
        assert_eq!(s.get(AWS_ENDPOINT), Some("http://aws.example/"));
    }

    #[test]
    fn debug_accepts_any_http_url_but_no_other_scheme() {
        assert!(check_endpoint("GOOGLE_API_BASE", "http://localhost:1/", Debug).is_ok());
        assert!(check_endpoint("GOOGLE_API_BASE", "http://10.0.0.1/", Debug).is_ok());
        let e = check_endpoint("GOOGLE_API_BASE", "ftp://x/", Debug).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput);
        assert!(
            e.message.starts_with("CMEK_DESK_GOOGLE_API_BASE: must be"),
            "{}",
            e.message
        );
    }

    #[test]
    fn release_load_refuses_plain_http_and_foreign_hosts_and_drops_test_hooks() {
        let s = SettingValues::load(
            [
                ("CMEK_DESK_GOOGLE_API_BASE", "http://sandbox.example:8080"),
                (
                    "CMEK_DESK_OAUTH_TOKEN_URL",
                    "https://oauth2.googleapis.com/token",
                ),
                (
                    "CMEK_DESK_COCKROACH_API_BASE",
                    "http://cockroachlabs.cloud/",
                ),
                ("CMEK_DESK_REVOKE_PAUSE_AFTER", "snapshot"),
                ("CMEK_DESK_OPEN_BROWSER", "0"),
                ("OTHER", "x"),
            ],
            Release,
        );
        assert_eq!(s.get("GOOGLE_API_BASE"), None);
        assert_eq!(s.get("COCKROACH_API_BASE"), None);
        assert_eq!(s.get("REVOKE_PAUSE_AFTER"), None);
        assert_eq!(
            s.get("OAUTH_TOKEN_URL"),
            Some("https://oauth2.googleapis.com/token")
        );
        assert_eq!(s.get("OPEN_BROWSER"), Some("0"));
        let refused: Vec<_> = s
            .refused()
            .iter()
            .map(|e| e.resource.clone().unwrap())
            .collect();
        assert_eq!(
            refused,
            ["CMEK_DESK_COCKROACH_API_BASE", "CMEK_DESK_GOOGLE_API_BASE"]
        );
    }

    #[test]
    fn debug_load_keeps_overrides_and_test_hooks() {
        let s = SettingValues::load(
            [
                ("CMEK_DESK_GOOGLE_API_BASE", "http://127.0.0.1:9"),
                ("CMEK_DESK_REVOKE_PAUSE_AFTER", "snapshot"),
                ("CMEK_DESK_LOG", " "),
            ],
            Debug,
        );
        assert_eq!(s.get("GOOGLE_API_BASE"), Some("http://127.0.0.1:9"));
        assert_eq!(s.get("REVOKE_PAUSE_AFTER"), Some("snapshot"));
        assert_eq!(s.get("LOG"), None);
        assert!(s.refused().is_empty());
    }

    /// Runs in the build's own profile: `scripts/test.sh` runs it once in a release-profile
    /// build (`cargo test --release -p cmek-core settings::`), where a plain-HTTP or
    /// foreign-host override must be refused by the very code the shipped app runs.
    #[test]
    fn this_build_applies_its_own_profile() {
        let s = SettingValues::load(
            [
                ("CMEK_DESK_GOOGLE_API_BASE", "http://sandbox.example/"),
                ("CMEK_DESK_COCKROACH_API_BASE", "https://attacker.example/"),
                ("CMEK_DESK_AWS_ENDPOINT", "https://attacker.example/"),
            ],
            BuildProfile::current(),
        );
        if cfg!(debug_assertions) {
            assert_eq!(BuildProfile::current(), Debug);
            assert!(s.refused().is_empty());
        } else {
            assert_eq!(BuildProfile::current(), Release);
            assert_eq!(s.refused().len(), 3);
            assert_eq!(s.get(AWS_ENDPOINT), None);
            assert_eq!(s.get("GOOGLE_API_BASE"), None);
            assert_eq!(s.get("COCKROACH_API_BASE"), None);
        }
    }
}
