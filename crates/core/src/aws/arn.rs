//! AWS names: account ids, regions, role and alias names, and the ARNs built from them.
//!
//! Rules (each error names the field and the rule, code `INVALID_INPUT`):
//! - account id: exactly 12 digits (IAM User Guide, "Your AWS account ID");
//! - region: lower-case words joined by `-`, two-letter area first, a number last
//!   (`us-east-1`, `us-gov-west-1`, `ap-southeast-4`);
//! - role name: 1-64 characters from `A-Z a-z 0-9 + = , . @ _ -` (IAM `CreateRole` `RoleName`);
//! - alias name: `alias/` + 1-250 characters from `A-Z a-z 0-9 / _ -`, not `alias/aws/…`
//!   (reserved for AWS managed keys; KMS `CreateAlias` `AliasName`);
//! - ARN: `arn:{partition}:{service}:{region}:{account}:{resource}` (AWS General Reference).
//!
//! No I/O.

use crate::error::{Error, Result};

/// True for a 12-digit AWS account id.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Checks an AWS account id (12 digits).
pub fn validate_account_id(field: &str, s: &str) -> Result<()> {
    if is_account_id(s) {
        Ok(())
    } else {
        Err(Error::invalid_input(
            field,
            format!("an AWS account id is exactly 12 digits (got \"{s}\")"),
        ))
    }
}

/// Checks an AWS region name such as `us-east-1`.
pub fn validate_region(field: &str, s: &str) -> Result<()> {
    let parts: Vec<&str> = s.split('-').collect();
    let word = |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase());
    let ok = parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1].iter().all(word)
        && parts
            .last()
            .is_some_and(|n| (1..=2).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit()));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_input(
            field,
            format!("an AWS region looks like us-east-1: lower-case words joined by '-', ending in a number (got \"{s}\")"),
        ))
    }
}

/// Checks an IAM role name (1-64 characters from `A-Z a-z 0-9 + = , . @ _ -`).
pub fn validate_role_name(field: &str, s: &str) -> Result<()> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c);
    if (1..=64).contains(&s.len()) && s.chars().all(ok_char) {
        Ok(())
    } else {
        Err(Error::invalid_input(
            field,
            format!(
                "an IAM role name is 1-64 characters from A-Z a-z 0-9 + = , . @ _ - (got \"{s}\")"
            ),
        ))
    }
}

/// The alias with its `alias/` prefix (added when missing), checked: 1-250 characters from
/// `A-Z a-z 0-9 / _ -` after the prefix, not under the reserved `alias/aws/`.
pub fn normalize_alias(field: &str, s: &str) -> Result<String> {
    let name = s.strip_prefix("alias/").unwrap_or(s);
    let ok_char = |c: char| c.is_ascii_alphanumeric() || "/_-".contains(c);
    if name.starts_with("aws/") || name == "aws" {
        return Err(Error::invalid_input(
            field,
            "alias/aws/… is reserved for AWS managed keys; choose another alias",
        ));
    }
    if (1..=250).contains(&name.len()) && name.chars().all(ok_char) {
        Ok(format!("alias/{name}"))
    } else {
        Err(Error::invalid_input(
            field,
            format!("a KMS alias is alias/ followed by 1-250 characters from A-Z a-z 0-9 / _ - (got \"{s}\")"),
        ))
    }
}

/// The partition a region belongs to: `aws-cn` for `cn-*`, `aws-us-gov` for `us-gov-*`, else `aws`.
pub fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// A parsed ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arn {
    pub partition: String,
    pub service: String,
    /// Empty for global services (IAM).
    pub region: String,
    /// Empty for some resources (S3).
    pub account: String,
    /// Everything after the fifth `:`, e.g. `role/path/name` or `key/1234…`.
    pub resource: String,
}

impl Arn {
    /// Parses `arn:partition:service:region:account:resource`. Errors name `field`.
    pub fn parse(field: &str, s: &str) -> Result<Self> {
        let parts: Vec<&str> = s.splitn(6, ':').collect();
        let bad = || {
            Error::invalid_input(
                field,
                format!("an ARN looks like arn:aws:SERVICE:REGION:ACCOUNT:RESOURCE (got \"{s}\")"),
            )
        };
        let [arn, partition, service, region, account, resource] = parts.as_slice() else {
            return Err(bad());
        };
        if *arn != "arn" || partition.is_empty() || service.is_empty() || resource.is_empty() {
            return Err(bad());
        }
        if !account.is_empty() {
            validate_account_id(field, account)?;
        }
        Ok(Self {
            partition: (*partition).to_owned(),
            service: (*service).to_owned(),
            region: (*region).to_owned(),
            account: (*account).to_owned(),
            resource: (*resource).to_owned(),
        })
    }
}

impl std::fmt::Display for Arn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "arn:{}:{}:{}:{}:{}",
            self.partition, self.service, self.region, self.account, self.resource
        )
    }
}

/// An IAM role ARN: `arn:aws:iam::{account}:role/{path}{name}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleArn {
    pub partition: String,
    pub account: String,
    /// `/` or `/division/`.
    pub path: String,
    pub name: String,
}

impl RoleArn {
    /// Parses and checks a role ARN (service `iam`, no region, 12-digit account, `role/…`).
    pub fn parse(field: &str, s: &str) -> Result<Self> {
        let arn = Arn::parse(field, s)?;
        let rest = arn.resource.strip_prefix("role/");
        match rest {
            Some(rest)
                if arn.service == "iam" && arn.region.is_empty() && !arn.account.is_empty() =>
            {
                let (path, name) = match rest.rfind('/') {
                    Some(i) => (format!("/{}", &rest[..=i]), &rest[i + 1..]),
                    None => ("/".to_owned(), rest),
                };
                validate_role_name(field, name)?;
                Ok(Self {
                    partition: arn.partition,
                    account: arn.account,
                    path,
                    name: name.to_owned(),
                })
            }
            _ => Err(Error::invalid_input(
                field,
                format!("a role ARN looks like arn:aws:iam::123456789012:role/NAME (got \"{s}\")"),
            )),
        }
    }

    /// `arn:{partition}:iam::{account}:role/{name}` (path `/`).
    pub fn new(partition: &str, account: &str, name: &str) -> Self {
        Self {
            partition: partition.to_owned(),
            account: account.to_owned(),
            path: "/".to_owned(),
            name: name.to_owned(),
        }
    }
}

impl std::fmt::Display for RoleArn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "arn:{}:iam::{}:role{}{}",
            self.partition, self.account, self.path, self.name
        )
    }
}

/// A KMS key ARN: `arn:aws:kms:{region}:{account}:key/{key id}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyArn {
    pub partition: String,
    pub region: String,
    pub account: String,
    /// A UUID, or `mrk-` and 32 hex digits for a multi-Region key.
    pub key_id: String,
}

impl KeyArn {
    /// Parses and checks a key ARN (service `kms`, a region, an account, `key/{id}`).
    pub fn parse(field: &str, s: &str) -> Result<Self> {
        let arn = Arn::parse(field, s)?;
        match arn.resource.strip_prefix("key/") {
            Some(id) if arn.service == "kms" && !arn.account.is_empty() && is_key_id(id) => {
                validate_region(field, &arn.region)?;
                Ok(Self {
                    partition: arn.partition,
                    region: arn.region,
                    account: arn.account,
                    key_id: id.to_owned(),
                })
            }
            _ => Err(Error::invalid_input(
                field,
                format!("a KMS key ARN looks like arn:aws:kms:us-east-1:123456789012:key/KEY_ID (got \"{s}\")"),
            )),
        }
    }

    /// True for a multi-Region key (`mrk-…`).
    pub fn is_multi_region(&self) -> bool {
        self.key_id.starts_with("mrk-")
    }
}

impl std::fmt::Display for KeyArn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "arn:{}:kms:{}:{}:key/{}",
            self.partition, self.region, self.account, self.key_id
        )
    }
}

/// True for a KMS key id: a UUID (8-4-4-4-12 hex) or `mrk-` and 32 hex digits.
pub fn is_key_id(s: &str) -> bool {
    let hex = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit());
    if let Some(rest) = s.strip_prefix("mrk-") {
        return hex(rest, 32);
    }
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5 && [8, 4, 4, 4, 12].iter().zip(&parts).all(|(n, p)| hex(p, *n))
}

/// `arn:{partition}:iam::{account}:root`: the account as a principal.
pub fn account_root_arn(partition: &str, account: &str) -> String {
    format!("arn:{partition}:iam::{account}:root")
}

/// `arn:{partition}:kms:{region}:{account}:{alias}` (alias with its `alias/` prefix).
pub fn alias_arn(partition: &str, region: &str, account: &str, alias: &str) -> String {
    format!("arn:{partition}:kms:{region}:{account}:{alias}")
}

/// What an `AWS` principal of a policy names (for the existence check before a key-policy write,
/// field report B27).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalRef {
    /// `arn:…:iam::{account}:root` or a bare account id: the account itself.
    Account(String),
    /// `arn:…:iam::{account}:role/{path}{name}`.
    Role { account: String, name: String },
    /// `arn:…:iam::{account}:user/{path}{name}`.
    User { account: String, name: String },
    /// Anything else (`*`, assumed-role sessions, unique ids such as `AROA…`).
    Other(String),
}

impl PrincipalRef {
    /// Classifies one `AWS` principal identifier.
    pub fn classify(id: &str) -> Self {
        if is_account_id(id) {
            return Self::Account(id.to_owned());
        }
        let Ok(arn) = Arn::parse("principal", id) else {
            return Self::Other(id.to_owned());
        };
        if arn.service != "iam" {
            return Self::Other(id.to_owned());
        }
        let last = |r: &str| r.rsplit('/').next().unwrap_or_default().to_owned();
        if arn.resource == "root" {
            Self::Account(arn.account)
        } else if let Some(r) = arn.resource.strip_prefix("role/") {
            Self::Role {
                account: arn.account,
                name: last(r),
            }
        } else if let Some(r) = arn.resource.strip_prefix("user/") {
            Self::User {
                account: arn.account,
                name: last(r),
            }
        } else {
            Self::Other(id.to_owned())
        }
    }
}
