//! IPC types of sign-in and credentials (exported to `ui/src/lib/bindings` by ts-rs when the
//! tests run). None carries a secret: the only secret crossing IPC is the inbound argument of
//! `save_cockroach_key`, taken as a `cmek_core::Secret` and never echoed.

use cmek_core::cockroach::Organization;
use cmek_core::Error;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// How the app is signed in to Google.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum GoogleMethod {
    /// Interactive sign-in in the system browser (refresh token in the keychain).
    #[serde(rename = "oauth")]
    OAuth,
    ServiceAccountKeyFile,
    ApplicationDefault,
    GcloudUser,
}

/// The Google identity in use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct GoogleAccount {
    pub method: GoogleMethod,
    /// Human-readable identity, e.g. `officer@example.com` or `service account x@p.iam…`.
    pub identity: String,
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// A sign-in waiting for the browser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PendingSignIn {
    /// The authorization URL (no secret: PKCE challenge and single-use state only).
    pub authorization_url: String,
    /// Why the browser could not be opened: the UI then shows the URL to copy.
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub browser_error: Option<String>,
}

/// Messages of `sign_in_google`'s channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", tag = "kind")]
#[ts(export)]
pub enum SignInEvent {
    /// The browser was asked to open the URL (or could not be: `browserError`).
    #[serde(rename_all = "camelCase")]
    Waiting {
        authorization_url: String,
        #[ts(optional)]
        #[serde(skip_serializing_if = "Option::is_none")]
        browser_error: Option<String>,
    },
}

/// Everything the Connect screen and the header show about credentials.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SessionStatus {
    /// `KEYCHAIN` error with the fix when no OS keychain is usable (nothing is then stored).
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keychain_error: Option<Error>,
    /// Why Google sign-in cannot start (no OAuth client configured), with where to configure it.
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oauth_config_error: Option<Error>,
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub google: Option<GoogleAccount>,
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_sign_in: Option<PendingSignIn>,
    /// A CockroachDB Cloud API key is in the keychain (its value never leaves Rust).
    pub cockroach_key_stored: bool,
    /// The organization the stored key belongs to, once validated.
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cockroach_organization: Option<Organization>,
    /// Why the stored API key was not accepted at startup (e.g. deleted in the Cloud Console):
    /// the UI offers Replace / Forget.
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cockroach_key_error: Option<Error>,
    /// An expired or revoked credential (`UNAUTHENTICATED`): the UI offers "Sign in again".
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<Error>,
    /// The AWS side: who AWS calls are made as (`GetCallerIdentity`), and how.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws: Option<AwsStatus>,
}

/// How AWS credentials are obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum AwsMethod {
    /// The SDK's standard chain: environment, shared config/credentials files (profile), SSO,
    /// `credential_process`, instance or container role.
    DefaultChain,
    /// Access keys the user entered, kept in the OS keychain.
    AccessKeys,
    /// The sandbox's demo keys (sandbox mode).
    Sandbox,
}

/// The AWS identity in use (no secret: the access key id and secret never leave Rust).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AwsAccount {
    pub method: AwsMethod,
    /// The named profile of the standard chain, if one was chosen.
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// `GetCallerIdentity`: the 12-digit account and the caller's ARN.
    pub account: String,
    pub arn: String,
}

/// The AWS part of [`SessionStatus`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AwsStatus {
    /// The identity AWS calls are made as, once proven.
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<AwsAccount>,
    /// Access keys are stored in the keychain (their values never leave Rust).
    pub access_keys_stored: bool,
    /// Why the AWS credentials could not be used (expired SSO session, refused keys…).
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Error>,
}

/// Where to take existing Google credentials from (`use_google_credentials`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", tag = "kind")]
#[ts(export)]
pub enum CredentialSource {
    ServiceAccountKeyFile { path: String },
    ApplicationDefault,
    GcloudUser,
}
