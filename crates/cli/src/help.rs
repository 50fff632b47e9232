//! The `--help` texts beyond clap's own: examples per command, the exit codes and how the
//! connection is chosen (clap `after_help`).

pub const EXAMPLES: &str = "\
Examples:
  cmek sandbox serve --port 8787                 run a local sandbox (prints its URL)
  cmek --sandbox-url http://127.0.0.1:8787 clusters
  cmek --sandbox plan prod-payments --project cmek-demo-project --out plan.json
  cmek apply --plan plan.json                    apply a reviewed plan file
  cmek apply prod-payments --yes --hsm           plan and apply in one go
  cmek status prod-payments --wait
  cmek rotate prod-payments --key payments-2026 --out rotate.json   rotate to a new key (plan)
  cmek add-region prod-payments --region us-west1 --yes            add a region with its key
  cmek audit --project audit-keys-prj --fail-on high --format html --out audit.html
  cmek revoke prod-payments --lever token-creator --confirm prod-payments
  cmek recover 5f0c…                             restore what a revocation removed
  cmek drift list                                extra or missing bindings on CockroachDB's keys and service accounts
  cmek login google && echo \"$KEY\" | cmek login cockroach

Exit codes:
  0    success
  1    the operation failed (the cloud refused, a plan no longer matches, …)
  2    usage error or invalid input (the message names the argument and the rule)
  3    audit: FAIL findings at or above --fail-on exist; drift list: drift exists
  130  cancelled with Ctrl-C (the running operation was stopped cleanly)

Connection: --sandbox starts the built-in sandbox in this process; --sandbox-url (or
CMEK_SANDBOX_URL) uses one that `cmek sandbox serve` runs; otherwise the command talks to Google
Cloud and CockroachDB Cloud with the credentials of `cmek login` (shared with the desktop app).
Settings: every CMEK_DESK_* environment variable of the app applies, also as NAME=value arguments.";

pub const PLAN_EXAMPLES: &str = "\
Examples:
  cmek plan prod-payments --project my-kms-project --out plan.json
  cmek plan global-ledger --multi-region us --hsm --rotation 30d --json
  cmek plan prod-payments --same-key --rotation never --key-ring crdb --key payments
  cmek plan prod-payments --project my-app-project --key-project my-keys-project   keys apart (C12)";

pub const APPLY_EXAMPLES: &str = "\
Examples:
  cmek apply --plan plan.json        refused if the file was edited or the world changed
  cmek apply prod-payments --yes --project my-kms-project --key-per-region
Ctrl-C stops before the next step (exit 130); running the same command again resumes.";

pub const STATUS_EXAMPLES: &str = "\
Examples:
  cmek status prod-payments
  cmek status 0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b --wait --json
With --wait, a *_FAILED status exits 1.";

pub const AUDIT_EXAMPLES: &str = "\
Examples:
  cmek audit --project prj-a prj-b
  cmek audit --project prj-a --fail-on high            exit 3 when HIGH or CRITICAL FAIL findings exist
  cmek audit --project prj-a --out audit.html          format from the extension (json, csv, html, ocsf.json)
  cmek audit --project prj-a --format ocsf > findings.ocsf.json
The table and --fail-on count FAIL findings about the scanned projects and the clusters whose keys
are in them; NOT_EVALUATED findings never count. Exports hold the whole report.";

pub const REVOKE_EXAMPLES: &str = "\
Examples:
  cmek revoke prod-payments --confirm prod-payments                      default lever: token-creator (Google Cloud)
  cmek revoke aws-analytics --confirm aws-analytics                      default lever: key-policy (AWS)
  cmek revoke aws-analytics --lever role-trust --confirm aws-analytics
  cmek revoke prod-payments --lever disable-sa --confirm prod-payments --json
  cmek recover OPERATION_ID                                              undo: restore what was removed";

pub const LOGIN_EXAMPLES: &str = "\
Examples:
  cmek login google                  opens the browser (OAuth client: CMEK_DESK_OAUTH_CLIENT_ID or oauth-client.json)
  cmek login google --no-browser     prints the link to open elsewhere
  cmek login cockroach < key.txt     the key is read from stdin, never from an argument
  cmek login aws --profile prod      proves the AWS CLI profile (standard chain; nothing stored)
  cmek login aws --access-keys < k   access key id and secret on two lines, kept in the keychain
  cmek login status --json";
