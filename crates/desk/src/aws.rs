//! The AWS part of the session (issue 9): the AWS client every AWS use case calls, and the
//! identity it proves (`GetCallerIdentity`), shown in [`SessionStatus`](crate::wire::SessionStatus).
//!
//! Where credentials come from, in this order:
//! - sandbox mode: the sandbox's demo keys on `{sandbox base}/aws` (set when connecting);
//! - access keys the user saved ([`Desk::save_aws_access_keys`]), kept in the OS keychain like
//!   every other secret and restored on first use;
//! - the SDK's standard chain ([`Desk::use_aws_default_chain`], or tried on first use):
//!   environment, shared config and credentials files with an optional profile, SSO,
//!   `credential_process`, instance or container roles.
//!
//! `CMEK_DESK_AWS_ENDPOINT` moves the endpoint (tests), under the release rule of
//! `cmek_core::settings`; a refused override stops every AWS use case that would send a credential.

use crate::wire::{AwsAccount, AwsMethod, AwsStatus};
use crate::Desk;
use cmek_aws::{AwsClient, AwsCredentials, AwsOptions};
use cmek_core::plan::ConnectionMode;
use cmek_core::{Error, ErrorCode, Result, Secret};
use tokio::sync::Mutex;

/// Keychain entry of the saved access key id (kept secret too: it names the account's user).
pub const AWS_ACCESS_KEY_ID_KEY: &str = "aws-access-key-id";
/// Keychain entry of the saved secret access key.
pub const AWS_SECRET_ACCESS_KEY_KEY: &str = "aws-secret-access-key";

#[derive(Default)]
struct Inner {
    restored: bool,
    client: Option<AwsClient>,
    account: Option<AwsAccount>,
    keys_stored: bool,
    error: Option<Error>,
}

/// Held by [`Desk`].
#[derive(Default)]
pub struct AwsSession {
    inner: Mutex<Inner>,
}

impl AwsSession {
    async fn status(&self) -> AwsStatus {
        let i = self.inner.lock().await;
        AwsStatus {
            account: i.account.clone(),
            access_keys_stored: i.keys_stored,
            error: i.error.clone(),
        }
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::internal(format!("keychain task failed: {e}")))?
}

impl Desk {
    fn aws_options(&self, credentials: AwsCredentials) -> Result<AwsOptions> {
        self.settings().refused()?;
        let options = AwsOptions::new(credentials);
        Ok(match self.settings().aws_endpoint() {
            Some(e) => options.with_endpoint(e),
            None => options,
        })
    }

    /// Builds a client and proves it with `GetCallerIdentity`.
    async fn prove(
        options: AwsOptions,
        method: AwsMethod,
        profile: Option<String>,
    ) -> Result<(AwsClient, AwsAccount)> {
        let client = AwsClient::connect(options).await;
        // One attempt: an unreachable endpoint or a refused key answers at once, not after
        // the transient-failure backoff (the kept client retries as usual).
        let once = client.clone().without_retries();
        let me = once.caller_identity().await?;
        tracing::info!(account = %me.account, ?method, "AWS credentials proven");
        Ok((
            client,
            AwsAccount {
                method,
                profile,
                account: me.account,
                arn: me.arn,
            },
        ))
    }

    async fn set_aws(&self, client: AwsClient, account: AwsAccount) -> AwsStatus {
        {
            let mut i = self.aws.inner.lock().await;
            i.client = Some(client);
            i.account = Some(account);
            i.error = None;
        }
        self.aws.status().await
    }

    /// Restores saved access keys once (a keychain problem is shown in `SessionStatus`).
    async fn restore_aws(&self) {
        let mut i = self.aws.inner.lock().await;
        if i.restored {
            return;
        }
        i.restored = true;
        let Ok(store) = self.session().secret_store().await else {
            return;
        };
        let keys = blocking(move || {
            Ok((
                store.retrieve(AWS_ACCESS_KEY_ID_KEY)?,
                store.retrieve(AWS_SECRET_ACCESS_KEY_KEY)?,
            ))
        })
        .await;
        let Ok((Some(id), Some(secret))) = keys else {
            return;
        };
        i.keys_stored = true;
        let credentials = AwsCredentials::AccessKeys {
            access_key_id: id.expose().to_owned(),
            secret_access_key: secret,
            session_token: None,
        };
        let Ok(options) = self.aws_options(credentials) else {
            return;
        };
        match Self::prove(options, AwsMethod::AccessKeys, None).await {
            Ok((client, account)) => {
                i.client = Some(client);
                i.account = Some(account);
            }
            Err(e) => {
                tracing::warn!(code = ?e.code, "the saved AWS access keys were not accepted");
                i.error = Some(e);
            }
        }
    }

    /// The AWS part of the session status (restores saved access keys on first call).
    pub async fn aws_status(&self) -> AwsStatus {
        self.restore_aws().await;
        self.aws.status().await
    }

    /// Uses the SDK's standard credential chain (optionally a named profile); nothing is stored.
    /// Errors: `UNAUTHENTICATED` when the chain finds no usable credentials (with the SDK's reason).
    pub async fn use_aws_default_chain(&self, profile: Option<String>) -> Result<AwsStatus> {
        let options = self.aws_options(AwsCredentials::DefaultChain {
            profile: profile.clone(),
        })?;
        let (client, account) = Self::prove(options, AwsMethod::DefaultChain, profile).await?;
        Ok(self.set_aws(client, account).await)
    }

    /// Proves access keys with `GetCallerIdentity`, then keeps them in the OS keychain. Never
    /// echoed; nothing is stored when they are refused.
    pub async fn save_aws_access_keys(
        &self,
        access_key_id: String,
        secret_access_key: Secret,
    ) -> Result<AwsStatus> {
        let id = access_key_id.trim().to_owned();
        if id.is_empty() || secret_access_key.is_empty() {
            return Err(Error::invalid_input(
                "AWS access keys",
                "give both the access key id and the secret access key",
            ));
        }
        let secret = Secret::new(secret_access_key.expose().trim());
        let options = self.aws_options(AwsCredentials::AccessKeys {
            access_key_id: id.clone(),
            secret_access_key: secret.clone(),
            session_token: None,
        })?;
        let (client, account) = Self::prove(options, AwsMethod::AccessKeys, None).await?;
        let store = self.session().secret_store().await?;
        blocking(move || {
            store.persist(AWS_ACCESS_KEY_ID_KEY, &Secret::new(id))?;
            store.persist(AWS_SECRET_ACCESS_KEY_KEY, &secret)
        })
        .await?;
        self.aws.inner.lock().await.keys_stored = true;
        Ok(self.set_aws(client, account).await)
    }

    /// Deletes the saved access keys and forgets a client made from them.
    pub async fn forget_aws_access_keys(&self) -> Result<AwsStatus> {
        let store = self.session().secret_store().await?;
        blocking(move || {
            store.delete(AWS_ACCESS_KEY_ID_KEY)?;
            store.delete(AWS_SECRET_ACCESS_KEY_KEY)
        })
        .await?;
        let mut i = self.aws.inner.lock().await;
        i.keys_stored = false;
        if i.account
            .as_ref()
            .is_some_and(|a| a.method == AwsMethod::AccessKeys)
        {
            i.client = None;
            i.account = None;
        }
        drop(i);
        Ok(self.aws.status().await)
    }

    /// The AWS client of the session: the sandbox's in sandbox mode; live, saved access keys or
    /// the standard chain (tried once here when nothing was chosen). Errors: `UNAUTHENTICATED`
    /// naming what to do when no AWS credentials are usable.
    pub async fn aws_client(&self) -> Result<AwsClient> {
        let sandbox = self
            .connection()
            .await
            .is_ok_and(|c| c.info.mode == ConnectionMode::Sandbox);
        self.restore_aws().await;
        {
            let i = self.aws.inner.lock().await;
            if let (Some(client), Some(account)) = (&i.client, &i.account) {
                if sandbox == (account.method == AwsMethod::Sandbox) {
                    return Ok(client.clone());
                }
            }
        }
        if sandbox {
            return Err(Error::new(ErrorCode::Unauthenticated, "This sandbox has no AWS endpoint known to the app. Connect to the built-in sandbox or to one started with `cmek sandbox serve`."));
        }
        match self.use_aws_default_chain(None).await {
            Ok(_) => Ok(self
                .aws
                .inner
                .lock()
                .await
                .client
                .clone()
                .expect("just set")),
            Err(e) => {
                self.aws.inner.lock().await.error = Some(e.clone());
                Err(Error::new(ErrorCode::Unauthenticated, format!("No usable AWS credentials: {} Save access keys (`cmek login aws --access-keys`, or AWS in the Connect screen), or set up the AWS CLI's credentials or SSO profile.", e.message)))
            }
        }
    }

    /// Sandbox mode: the demo officer's keys on `{base}/aws` (the in-process sandbox or one
    /// another process runs on loopback).
    pub(crate) async fn use_sandbox_aws(&self, base: &str) -> Result<()> {
        let options = AwsOptions::new(AwsCredentials::AccessKeys {
            access_key_id: cmek_sandbox::AWS_ACCESS_KEY_ID.to_owned(),
            secret_access_key: Secret::new(cmek_sandbox::AWS_SECRET_ACCESS_KEY),
            session_token: None,
        })
        .with_endpoint(format!("{}/aws", base.trim_end_matches('/')))
        .with_region(cmek_sandbox::AWS_REGION);
        let (client, account) = Self::prove(options, AwsMethod::Sandbox, None).await?;
        self.set_aws(client, account).await;
        Ok(())
    }

    /// Leaving sandbox mode: forget the sandbox's AWS client.
    pub(crate) async fn leave_sandbox_aws(&self) {
        let mut i = self.aws.inner.lock().await;
        if i.account
            .as_ref()
            .is_some_and(|a| a.method == AwsMethod::Sandbox)
        {
            i.client = None;
            i.account = None;
        }
    }
}
