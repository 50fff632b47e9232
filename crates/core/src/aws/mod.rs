//! The AWS side of CMEK (cmek-procedure.md §5, §7, §12): IAM policy documents ([`policy`]),
//! account, region, role, alias and ARN rules ([`arn`]), CockroachDB's trust and key-policy
//! statements with read-modify-write and read-back comparison ([`statements`]), what the AWS
//! clients return ([`model`]), the guided-setup types ([`plan`]) and the equivalent `aws` CLI
//! commands ([`commands`]). No I/O: the clients live in `cmek-aws`, the setup in `cmek-setup`.

pub mod arn;
pub mod commands;
pub mod compare;
pub mod model;
pub mod plan;
pub mod policy;
pub mod statements;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_commands;
#[cfg(test)]
mod tests_policy;
