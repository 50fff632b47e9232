//! The differential test: the SAME sequence of AWS calls, through the official AWS SDK for
//! Rust, to the sandbox and to moto in server mode (`python3 -m moto.server`, started here on
//! a free loopback port). Status codes and bodies are compared modulo generated ids, ARNs' ids
//! and dates; every difference is either fixed in the sandbox or listed in [`KNOWN`] with its
//! reason. Prints how many calls it compared. Fails when moto is missing (install hint),
//! unless `CMEK_DESK_ALLOW_MISSING=1`.

mod aws_common;
mod aws_moto;

use aws_common::{crdb_key_policy, crdb_trust, Aws};
use aws_moto::{diff, normalise, start_moto, Exchange, Recorder};
use aws_sdk_kms::config::SharedInterceptor;
use aws_sdk_kms::types::{KeySpec, KeyUsageType, Tag};
use cmek_sandbox::seed::{AWS_ACCOUNT_ID, ORG_ID};
use cmek_sandbox::{
    Sandbox, SandboxConfig, AWS_ACCESS_KEY_ID, AWS_CUSTOMER_ACCOUNT_ID, AWS_SECRET_ACCESS_KEY,
};

const ACCT: &str = AWS_CUSTOMER_ACCOUNT_ID;

/// Differences that stay, each with its reason: (call label, path prefix of the difference
/// line, reason). A label of `*` applies to every call.
const KNOWN: &[(&str, &str, &str)] = &[
    // Identity and authentication
    ("sts.GetCallerIdentity", "body.GetCallerIdentityResponse.GetCallerIdentityResult.Arn", "moto answers a fixed identity (arn:aws:sts::ACCOUNT:user/moto); the sandbox's key belongs to the IAM user cmek-officer"),
    ("sts.GetCallerIdentity", "body.GetCallerIdentityResponse.GetCallerIdentityResult.UserId", "moto answers the access key as UserId; IAM users have an AIDA… unique id"),
    ("sts.GetCallerIdentity(unknown key)", "", "moto does not authenticate; AWS answers 403 InvalidClientTokenId"),
    ("iam.ListRoles(unknown key)", "", "moto does not authenticate; AWS answers 403 InvalidClientTokenId"),
    ("kms.ListKeys(unknown key)", "", "moto does not authenticate; AWS answers 400 UnrecognizedClientException"),
    // IAM
    ("*", "body.ErrorResponse.Error.message: only in moto", "moto repeats the message in a lower-case <message> element"),
    ("iam.CreateRole", "body.CreateRoleResponse.CreateRoleResult.Role.RoleLastUsed: only in moto", "moto adds an empty RoleLastUsed to CreateRole; AWS's documented CreateRole answer has none (GetRole has it in both)"),
    ("iam.CreateRole(path)", "body.CreateRoleResponse.CreateRoleResult.Role.RoleLastUsed: only in moto", "as above"),
    ("iam.GetRole(missing)", "body.ErrorResponse.Error.Message", "message text: AWS and the sandbox say \"The role with name X cannot be found.\", moto \"Role X not found\""),
    ("iam.GetRolePolicy(missing)", "body.ErrorResponse.Error.Message", "message text: the sandbox uses AWS's \"The role policy with name X cannot be found.\""),
    ("iam.ListRoles(page 1)", "body.ListRolesResponse.ListRolesResult.Roles.member", "moto pages roles in its own order; the sandbox pages them sorted by name (both are valid: IAM does not document an order)"),
    ("iam.ListRoles(page 2)", "body.ListRolesResponse.ListRolesResult.Roles.member", "as above"),
    ("*", "body.CreatePolicyResponse.CreatePolicyResult.Policy.PermissionsBoundaryUsageCount: only in sandbox", "AWS's Policy includes PermissionsBoundaryUsageCount; moto omits it"),
    ("*", "body.ListPoliciesResponse.ListPoliciesResult.Policies.member[0].PermissionsBoundaryUsageCount: only in sandbox", "as above"),
    ("*", "body.GetPolicyResponse.GetPolicyResult.Policy.PermissionsBoundaryUsageCount: only in sandbox", "as above"),
    ("iam.GetPolicy", "body.GetPolicyResponse.GetPolicyResult.Policy.Tags: only in moto", "moto renders an empty <Tags/>; the sandbox omits Tags when there are none"),
    // KMS metadata
    ("*", "body.KeyMetadata.MultiRegion: only in sandbox", "moto leaves MultiRegion null for single-Region keys; AWS answers false"),
    ("*", "body.KeyMetadata.KeyUsage: only in sandbox", "moto drops KeyUsage when only MultiRegion is given; AWS defaults it to ENCRYPT_DECRYPT"),
    ("*", "body.ReplicaKeyMetadata.KeyUsage: only in sandbox", "as above"),
    ("kms.DescribeKey(after cancel)", "body.KeyMetadata.Enabled", "moto says Enabled=true for a key whose KeyState is Disabled after CancelKeyDeletion; AWS (and the sandbox) say false"),
    ("kms.ReplicateKey", "body.ReplicaKeyMetadata.MultiRegionConfiguration.MultiRegionKeyType", "moto copies the primary's metadata (PRIMARY) into the replica's; AWS answers REPLICA"),
    ("kms.ReplicateKey", "body.ReplicaTags: only in sandbox", "AWS returns ReplicaTags (empty here); moto omits it"),
    ("kms.DescribeKey(primary, after its replica)", "body.KeyMetadata.MultiRegionConfiguration.MultiRegionKeyType", "moto 5.2.1 shares ONE MultiRegionConfiguration object between a primary and its replicas (ReplicateKey makes a shallow copy) and DescribeKey of a replica sets its type to REPLICA, so the primary reads as REPLICA from then on; AWS keeps PRIMARY. This is why the multi-Region setup cannot be re-applied against moto: the re-plan (rightly) refuses a primary that says it is a replica (crates/setup/tests/aws_moto.rs asserts that refusal)"),
    ("kms.CreateAlias(same name, replica region)", "", "moto 5.2.1 shares the alias table of a multi-Region primary and its replicas (the same shallow copy), so the primary's alias name cannot be made in the replica's region (AlreadyExistsException); KMS aliases are per region, and the setup adopts an existing alias that names the same key"),
    ("kms.ReplicateKey(duplicate)", "", "moto replicates again into a region that has the replica; AWS answers AlreadyExistsException"),
    ("kms.ReplicateKey(single-region)", "", "moto fails with 500 on a single-Region key; AWS answers UnsupportedOperationException"),
    ("*", "body.KeyMetadata.SigningAlgorithms: only in moto", "moto adds an empty SigningAlgorithms list to multi-Region keys; KMS returns it only for SIGN_VERIFY keys"),
    ("*", "body.ReplicaKeyMetadata.SigningAlgorithms: only in moto", "as above"),
    // KMS key policies
    ("kms.GetKeyPolicy(default)", "", "moto 5.2.1 requires PolicyName; the current KMS API makes it optional (default \"default\")"),
    ("kms.GetKeyPolicy(default, named)", "body.PolicyName: only in sandbox", "the current KMS API returns PolicyName with the policy; moto predates it"),
    ("kms.GetKeyPolicy(written)", "body.PolicyName: only in sandbox", "as above"),
    ("kms.CreateKey(missing principal)", "", "B27: moto does not validate principals; KMS answers MalformedPolicyDocumentException (invalid principals)"),
    // KMS rotation and state
    ("kms.GetKeyRotationStatus(off)", "body.KeyId: only in sandbox", "the current KMS API returns KeyId (ARN) and, when on, RotationPeriodInDays and NextRotationDate; moto 5.2.1 does not"),
    ("kms.GetKeyRotationStatus(on)", "body.", "as above"),
    ("kms.EnableKeyRotation(disabled)", "", "moto enables rotation on a disabled key; KMS answers DisabledException"),
    ("kms.EnableKey(pending deletion)", "", "moto enables a key pending deletion; KMS answers KMSInvalidStateException"),
    ("kms.ScheduleKeyDeletion", "body.KeyId", "KMS returns the key ARN (and KeyState, PendingWindowInDays); moto the bare id"),
    ("kms.ScheduleKeyDeletion", "body.KeyState: only in sandbox", "as above"),
    ("kms.ScheduleKeyDeletion", "body.PendingWindowInDays: only in sandbox", "as above"),
    ("kms.CancelKeyDeletion", "body.KeyId", "KMS returns the key ARN; moto the bare id"),
    ("kms.ListAliases(KeyId)", "body.Aliases[0].", "KMS returns CreationDate and LastUpdatedDate per alias; moto omits them"),
];

/// Calls whose listed differences may or may not occur in a run: moto pages roles in an order
/// of its own that varies between runs.
const SOMETIMES: &[&str] = &["iam.ListRoles(page 1)", "iam.ListRoles(page 2)"];

/// One server's clients and what the scenario recorded against it.
struct Side {
    aws: Aws,
    eu: Aws,
    bad: Aws,
    rec: Recorder,
    log: Vec<(String, Exchange)>,
}

impl Side {
    fn new(endpoint: &str) -> Self {
        let rec = Recorder::default();
        let i = || Some(SharedInterceptor::new(rec.clone()));
        let (k, s) = (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY);
        Self {
            aws: Aws::build(endpoint, k, s, "us-east-1", i()),
            eu: Aws::build(endpoint, k, s, "eu-west-1", i()),
            bad: Aws::build(endpoint, "SANDBOX-UNKNOWN-KEY", s, "us-east-1", i()),
            rec: rec.clone(),
            log: Vec::new(),
        }
    }
    /// Labels the exchange(s) of the call just made.
    fn tag(&mut self, label: &str) {
        for e in self.rec.take() {
            self.log.push((label.to_string(), e));
        }
    }
}

/// The calls, in order. Ids come from each server's own answers.
async fn scenario(s: &mut Side) {
    let trust = crdb_trust(AWS_ACCOUNT_ID, ORG_ID);
    let _ = s.aws.sts.get_caller_identity().send().await;
    s.tag("sts.GetCallerIdentity");
    let _ = s.bad.sts.get_caller_identity().send().await;
    s.tag("sts.GetCallerIdentity(unknown key)");

    // IAM roles
    let role = s
        .aws
        .iam
        .create_role()
        .role_name("crdb-cmek")
        .assume_role_policy_document(&trust)
        .description("CockroachDB CMEK")
        .send()
        .await;
    s.tag("iam.CreateRole");
    let role_arn = role
        .ok()
        .and_then(|r| r.role)
        .map(|r| r.arn)
        .unwrap_or_default();
    let _ = s
        .aws
        .iam
        .create_role()
        .role_name("crdb-cmek")
        .assume_role_policy_document(&trust)
        .send()
        .await;
    s.tag("iam.CreateRole(duplicate)");
    let _ = s.aws.iam.get_role().role_name("crdb-cmek").send().await;
    s.tag("iam.GetRole");
    let _ = s.aws.iam.get_role().role_name("nope").send().await;
    s.tag("iam.GetRole(missing)");
    let open = crdb_trust("999999999999", ORG_ID);
    let _ = s
        .aws
        .iam
        .update_assume_role_policy()
        .role_name("crdb-cmek")
        .policy_document(&open)
        .send()
        .await;
    s.tag("iam.UpdateAssumeRolePolicy");
    let _ = s
        .aws
        .iam
        .update_assume_role_policy()
        .role_name("crdb-cmek")
        .policy_document(&trust)
        .send()
        .await;
    s.tag("iam.UpdateAssumeRolePolicy(back)");
    let _ = s.aws.iam.get_role().role_name("crdb-cmek").send().await;
    s.tag("iam.GetRole(after update)");
    for i in 0..2 {
        let _ = s
            .aws
            .iam
            .create_role()
            .role_name(format!("svc-{i}"))
            .path("/svc/")
            .assume_role_policy_document(&open)
            .send()
            .await;
        s.tag("iam.CreateRole(path)");
    }
    let p1 = s.aws.iam.list_roles().max_items(2).send().await;
    s.tag("iam.ListRoles(page 1)");
    let marker = p1.ok().and_then(|p| p.marker).unwrap_or_default();
    let _ = s
        .aws
        .iam
        .list_roles()
        .max_items(2)
        .marker(marker)
        .send()
        .await;
    s.tag("iam.ListRoles(page 2)");
    let _ = s.aws.iam.list_roles().path_prefix("/svc/").send().await;
    s.tag("iam.ListRoles(PathPrefix)");

    // IAM permission policies
    let star = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}"#;
    let _ = s
        .aws
        .iam
        .put_role_policy()
        .role_name("svc-0")
        .policy_name("kms-all")
        .policy_document(star)
        .send()
        .await;
    s.tag("iam.PutRolePolicy");
    let _ = s
        .aws
        .iam
        .list_role_policies()
        .role_name("svc-0")
        .send()
        .await;
    s.tag("iam.ListRolePolicies");
    let _ = s
        .aws
        .iam
        .get_role_policy()
        .role_name("svc-0")
        .policy_name("kms-all")
        .send()
        .await;
    s.tag("iam.GetRolePolicy");
    let _ = s
        .aws
        .iam
        .get_role_policy()
        .role_name("svc-0")
        .policy_name("nope")
        .send()
        .await;
    s.tag("iam.GetRolePolicy(missing)");
    let pol = s
        .aws
        .iam
        .create_policy()
        .policy_name("kms-admin")
        .policy_document(star)
        .send()
        .await;
    s.tag("iam.CreatePolicy");
    let pol_arn = pol
        .ok()
        .and_then(|p| p.policy)
        .and_then(|p| p.arn)
        .unwrap_or_default();
    let _ = s
        .aws
        .iam
        .attach_role_policy()
        .role_name("svc-1")
        .policy_arn(&pol_arn)
        .send()
        .await;
    s.tag("iam.AttachRolePolicy");
    let _ = s
        .aws
        .iam
        .list_attached_role_policies()
        .role_name("svc-1")
        .send()
        .await;
    s.tag("iam.ListAttachedRolePolicies");
    let _ = s
        .aws
        .iam
        .list_policies()
        .scope(aws_sdk_iam::types::PolicyScopeType::Local)
        .send()
        .await;
    s.tag("iam.ListPolicies(Local)");
    let _ = s.aws.iam.get_policy().policy_arn(&pol_arn).send().await;
    s.tag("iam.GetPolicy");
    let _ = s
        .aws
        .iam
        .get_policy_version()
        .policy_arn(&pol_arn)
        .version_id("v1")
        .send()
        .await;
    s.tag("iam.GetPolicyVersion");
    let _ = s.aws.iam.delete_role().role_name("svc-1").send().await;
    s.tag("iam.DeleteRole(attached)");
    let _ = s.aws.iam.delete_role().role_name("svc-0").send().await;
    s.tag("iam.DeleteRole(inline)");
    let _ = s
        .aws
        .iam
        .detach_role_policy()
        .role_name("svc-1")
        .policy_arn(&pol_arn)
        .send()
        .await;
    s.tag("iam.DetachRolePolicy");
    let _ = s
        .aws
        .iam
        .delete_role_policy()
        .role_name("svc-0")
        .policy_name("kms-all")
        .send()
        .await;
    s.tag("iam.DeleteRolePolicy");
    let _ = s.aws.iam.delete_role().role_name("svc-0").send().await;
    s.tag("iam.DeleteRole");
    let _ = s.bad.iam.list_roles().send().await;
    s.tag("iam.ListRoles(unknown key)");

    // KMS keys
    let k = s
        .aws
        .kms
        .create_key()
        .description("CMEK")
        .key_spec(KeySpec::SymmetricDefault)
        .key_usage(KeyUsageType::EncryptDecrypt)
        .tags(
            Tag::builder()
                .tag_key("app")
                .tag_value("crdb")
                .build()
                .unwrap(),
        )
        .send()
        .await;
    s.tag("kms.CreateKey");
    let key = k
        .ok()
        .and_then(|k| k.key_metadata)
        .map(|m| m.key_id)
        .unwrap_or_default();
    let _ = s.aws.kms.describe_key().key_id(&key).send().await;
    s.tag("kms.DescribeKey");
    let _ = s.aws.kms.get_key_policy().key_id(&key).send().await;
    s.tag("kms.GetKeyPolicy(default)");
    let _ = s
        .aws
        .kms
        .get_key_policy()
        .key_id(&key)
        .policy_name("default")
        .send()
        .await;
    s.tag("kms.GetKeyPolicy(default, named)");
    let _ = s.aws.kms.list_key_policies().key_id(&key).send().await;
    s.tag("kms.ListKeyPolicies");
    let _ = s
        .aws
        .kms
        .create_alias()
        .alias_name("alias/crdb-cmek")
        .target_key_id(&key)
        .send()
        .await;
    s.tag("kms.CreateAlias");
    let _ = s
        .aws
        .kms
        .create_alias()
        .alias_name("alias/crdb-cmek")
        .target_key_id(&key)
        .send()
        .await;
    s.tag("kms.CreateAlias(duplicate)");
    let _ = s
        .aws
        .kms
        .describe_key()
        .key_id("alias/crdb-cmek")
        .send()
        .await;
    s.tag("kms.DescribeKey(alias)");
    let _ = s.aws.kms.describe_key().key_id("alias/nope").send().await;
    s.tag("kms.DescribeKey(missing alias)");
    let _ = s
        .aws
        .kms
        .describe_key()
        .key_id("00000000-0000-4000-8000-000000000000")
        .send()
        .await;
    s.tag("kms.DescribeKey(missing key)");
    let _ = s.aws.kms.list_aliases().key_id(&key).send().await;
    s.tag("kms.ListAliases(KeyId)");
    let _ = s.aws.kms.list_keys().send().await;
    s.tag("kms.ListKeys");
    let policy = crdb_key_policy(ACCT, &role_arn);
    let _ = s
        .aws
        .kms
        .put_key_policy()
        .key_id(&key)
        .policy_name("default")
        .policy(&policy)
        .send()
        .await;
    s.tag("kms.PutKeyPolicy");
    let _ = s
        .aws
        .kms
        .get_key_policy()
        .key_id(&key)
        .policy_name("default")
        .send()
        .await;
    s.tag("kms.GetKeyPolicy(written)");
    let _ = s
        .aws
        .kms
        .get_key_rotation_status()
        .key_id(&key)
        .send()
        .await;
    s.tag("kms.GetKeyRotationStatus(off)");
    let _ = s
        .aws
        .kms
        .enable_key_rotation()
        .key_id(&key)
        .rotation_period_in_days(180)
        .send()
        .await;
    s.tag("kms.EnableKeyRotation");
    let _ = s
        .aws
        .kms
        .get_key_rotation_status()
        .key_id(&key)
        .send()
        .await;
    s.tag("kms.GetKeyRotationStatus(on)");
    let _ = s.aws.kms.disable_key_rotation().key_id(&key).send().await;
    s.tag("kms.DisableKeyRotation");
    let _ = s.aws.kms.disable_key().key_id(&key).send().await;
    s.tag("kms.DisableKey");
    let _ = s.aws.kms.enable_key_rotation().key_id(&key).send().await;
    s.tag("kms.EnableKeyRotation(disabled)");
    let _ = s.aws.kms.enable_key().key_id(&key).send().await;
    s.tag("kms.EnableKey");
    let _ = s
        .aws
        .kms
        .schedule_key_deletion()
        .key_id(&key)
        .pending_window_in_days(7)
        .send()
        .await;
    s.tag("kms.ScheduleKeyDeletion");
    let _ = s.aws.kms.describe_key().key_id(&key).send().await;
    s.tag("kms.DescribeKey(pending deletion)");
    let _ = s.aws.kms.enable_key().key_id(&key).send().await;
    s.tag("kms.EnableKey(pending deletion)");
    let _ = s.aws.kms.cancel_key_deletion().key_id(&key).send().await;
    s.tag("kms.CancelKeyDeletion");
    let _ = s.aws.kms.describe_key().key_id(&key).send().await;
    s.tag("kms.DescribeKey(after cancel)");

    // Multi-Region keys
    let m = s.aws.kms.create_key().multi_region(true).send().await;
    s.tag("kms.CreateKey(multi-region)");
    let mrk = m
        .ok()
        .and_then(|k| k.key_metadata)
        .map(|m| m.key_id)
        .unwrap_or_default();
    let _ = s
        .aws
        .kms
        .replicate_key()
        .key_id(&mrk)
        .replica_region("eu-west-1")
        .send()
        .await;
    s.tag("kms.ReplicateKey");
    let _ = s.eu.kms.describe_key().key_id(&mrk).send().await;
    s.tag("kms.DescribeKey(replica)");
    let _ = s.aws.kms.describe_key().key_id(&mrk).send().await;
    s.tag("kms.DescribeKey(primary, after its replica)");
    let _ = s
        .aws
        .kms
        .create_alias()
        .alias_name("alias/mrk-both")
        .target_key_id(&mrk)
        .send()
        .await;
    s.tag("kms.CreateAlias(multi-region primary)");
    let _ =
        s.eu.kms
            .create_alias()
            .alias_name("alias/mrk-both")
            .target_key_id(&mrk)
            .send()
            .await;
    s.tag("kms.CreateAlias(same name, replica region)");
    let _ = s
        .aws
        .kms
        .replicate_key()
        .key_id(&mrk)
        .replica_region("eu-west-1")
        .send()
        .await;
    s.tag("kms.ReplicateKey(duplicate)");
    let _ = s
        .aws
        .kms
        .replicate_key()
        .key_id(&key)
        .replica_region("eu-west-1")
        .send()
        .await;
    s.tag("kms.ReplicateKey(single-region)");

    // CMEK behaviours
    let ghost = crdb_key_policy(ACCT, &format!("arn:aws:iam::{ACCT}:role/Admin"));
    let _ = s.aws.kms.create_key().policy(&ghost).send().await;
    s.tag("kms.CreateKey(missing principal)");
    let _ = s.bad.kms.list_keys().send().await;
    s.tag("kms.ListKeys(unknown key)");
}

#[tokio::test]
async fn the_sandbox_answers_like_moto() {
    let moto = match start_moto(ACCT) {
        Ok(Some(m)) => m,
        Ok(None) => {
            eprintln!("CMEK_DESK_ALLOW_MISSING=1: the differential test against moto is skipped");
            return;
        }
        Err(hint) => panic!("{hint}"),
    };
    let sb = Sandbox::start(SandboxConfig::for_tests()).await;
    let mut ours = Side::new(&sb.endpoints().aws);
    let mut theirs = Side::new(&moto.endpoint);
    scenario(&mut ours).await;
    scenario(&mut theirs).await;
    assert_eq!(
        ours.log.iter().map(|(l, _)| l).collect::<Vec<_>>(),
        theirs.log.iter().map(|(l, _)| l).collect::<Vec<_>>(),
        "both servers must have answered the same calls"
    );
    let mut unexplained = Vec::new();
    let mut explained = Vec::new();
    let mut used = vec![false; KNOWN.len()];
    for ((label, a), (_, b)) in ours.log.iter().zip(&theirs.log) {
        let mut d = Vec::new();
        if a.status != b.status {
            d.push(format!("status: sandbox {} != moto {}", a.status, b.status));
        }
        diff("body", &normalise(&a.body), &normalise(&b.body), &mut d);
        for line in d {
            let known = KNOWN
                .iter()
                .position(|(l, p, _)| (*l == label || *l == "*") && line.starts_with(p));
            match known {
                Some(i) => {
                    used[i] = true;
                    explained.push(format!("{label}: {line}  [{}]", KNOWN[i].2));
                }
                None => unexplained.push(format!(
                    "{label}: {line}\n    sandbox: {}\n    moto:    {}",
                    a.body, b.body
                )),
            }
        }
    }
    println!(
        "compared {} AWS calls with moto {}",
        ours.log.len(),
        aws_moto::MOTO_VERSION
    );
    println!("{} listed differences:", explained.len());
    for e in &explained {
        println!("  {e}");
    }
    let stale: Vec<String> = KNOWN
        .iter()
        .zip(&used)
        .filter(|(k, u)| !**u && !SOMETIMES.contains(&k.0))
        .map(|(k, _)| format!("{} {}", k.0, k.1))
        .collect();
    assert!(
        stale.is_empty(),
        "listed differences that no longer occur (remove them): {stale:#?}"
    );
    assert!(
        unexplained.is_empty(),
        "{} unexplained differences:\n{}",
        unexplained.len(),
        unexplained.join("\n")
    );
}
