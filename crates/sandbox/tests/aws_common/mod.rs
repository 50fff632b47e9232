//! AWS SDK clients for the sandbox's AWS tests: the official SDK with `endpoint_url` set to
//! `{base}/aws`, static credentials, plain HTTP (no TLS stack) and retries off so every call
//! is sent once.
#![allow(dead_code)]

use aws_sdk_kms::config::{BehaviorVersion, Credentials, Region, SharedInterceptor};
use aws_smithy_http_client::Builder;
use cmek_sandbox::{SandboxHandle, AWS_ACCESS_KEY_ID, AWS_REGION, AWS_SECRET_ACCESS_KEY};

/// KMS, IAM and STS clients for one endpoint, identity and region.
pub struct Aws {
    pub kms: aws_sdk_kms::Client,
    pub iam: aws_sdk_iam::Client,
    pub sts: aws_sdk_sts::Client,
}

impl Aws {
    /// Clients for `endpoint` as access key `key` in `region`.
    pub fn new(endpoint: &str, key: &str, secret: &str, region: &str) -> Self {
        Self::build(endpoint, key, secret, region, None)
    }

    /// The same, with an interceptor on every client (the moto differential test records the
    /// raw exchanges with one).
    pub fn build(
        endpoint: &str,
        key: &str,
        secret: &str,
        region: &str,
        interceptor: Option<SharedInterceptor>,
    ) -> Self {
        let creds = Credentials::new(key, secret, None, None, "cmek-sandbox-tests");
        let http = Builder::new().build_http();
        let mut kms = aws_sdk_kms::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_string()))
            .credentials_provider(creds.clone())
            .endpoint_url(endpoint)
            .http_client(http.clone())
            .retry_config(aws_sdk_kms::config::retry::RetryConfig::disabled());
        let mut iam = aws_sdk_iam::Config::builder()
            .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
            .region(aws_sdk_iam::config::Region::new(region.to_string()))
            .credentials_provider(creds.clone())
            .endpoint_url(endpoint)
            .http_client(http.clone())
            .retry_config(aws_sdk_iam::config::retry::RetryConfig::disabled());
        let mut sts = aws_sdk_sts::Config::builder()
            .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
            .region(aws_sdk_sts::config::Region::new(region.to_string()))
            .credentials_provider(creds)
            .endpoint_url(endpoint)
            .http_client(http)
            .retry_config(aws_sdk_sts::config::retry::RetryConfig::disabled());
        if let Some(i) = interceptor {
            kms.push_interceptor(i.clone());
            iam.push_interceptor(i.clone());
            sts.push_interceptor(i);
        }
        Self {
            kms: aws_sdk_kms::Client::from_conf(kms.build()),
            iam: aws_sdk_iam::Client::from_conf(iam.build()),
            sts: aws_sdk_sts::Client::from_conf(sts.build()),
        }
    }

    /// The demo customer's officer in [`AWS_REGION`] against a sandbox.
    pub fn sandbox(sb: &SandboxHandle) -> Self {
        Self::new(
            &sb.endpoints().aws,
            AWS_ACCESS_KEY_ID,
            AWS_SECRET_ACCESS_KEY,
            AWS_REGION,
        )
    }

    /// The same identity in another region.
    pub fn sandbox_in(sb: &SandboxHandle, region: &str) -> Self {
        Self::new(
            &sb.endpoints().aws,
            AWS_ACCESS_KEY_ID,
            AWS_SECRET_ACCESS_KEY,
            region,
        )
    }
}

/// The trust policy CockroachDB Cloud needs (cmek-procedure.md §5).
pub fn crdb_trust(crl_account: &str, org_id: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{crl_account}:root"}},"Action":"sts:AssumeRole","Condition":{{"StringEquals":{{"sts:ExternalId":"{org_id}"}}}}}}]}}"#
    )
}

/// A key policy: the account root statement plus the role's five actions.
pub fn crdb_key_policy(account: &str, role_arn: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Id":"crdb-cmek-kms","Statement":[{{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:root"}},"Action":"kms:*","Resource":"*"}},{{"Sid":"Allow use of the key for CMEK","Effect":"Allow","Principal":{{"AWS":"{role_arn}"}},"Action":["kms:Encrypt","kms:Decrypt","kms:GenerateDataKey*","kms:DescribeKey","kms:ReEncrypt*"],"Resource":"*"}}]}}"#
    )
}

/// Percent-decodes a policy document as IAM returns it.
pub fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}
