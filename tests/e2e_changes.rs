//! End-to-end, real window against the in-process sandbox: day two and AWS.
//!
//! - Rotate `prod-payments` to a new key after setting it up, and add a region to
//!   `global-ledger` after setting it up: each ends on the Result screen with every region
//!   `ENABLED` (issue 10).
//! - Set up the sandbox's AWS cluster `aws-analytics` through the wizard (cross-account role,
//!   KMS key, key policy) to `ENABLED` (issue 9).
//!
//! Screenshots in `target/e2e/`. Needs `TAURI_DRIVER_URL` (scripts/test.sh sets it up).

mod common;

use common::*;

const SINGLE_REGION: &str = "prod-payments";
const MULTI_REGION: &str = "global-ledger";
const AWS_CLUSTER: &str = "aws-analytics";
/// A Google Cloud region the multi-region demo cluster does not use yet.
const NEW_REGION: &str = "asia-southeast1";

#[tokio::test]
async fn rotate_and_add_region_end_with_every_region_enabled() {
    let Some(url) = driver_url() else { return };
    let client = session(&url, &[]).await;
    let outcome = async {
        click(&client, "connect-sandbox").await?;
        set_up_cmek(
            &client,
            SINGLE_REGION,
            None,
            |n| n == 1,
            "changes-setup-single",
        )
        .await?;
        click(&client, "restart").await?;
        click(&client, &format!("rotate-cluster-{SINGLE_REGION}")).await?;
        wait_testid(&client, "change-form", UI_TIMEOUT).await?;
        review_apply_and_check(&client, 1, "rotate-result").await?;

        click(&client, "restart").await?;
        set_up_cmek(
            &client,
            MULTI_REGION,
            None,
            |n| n > 1,
            "changes-setup-multi",
        )
        .await?;
        click(&client, "restart").await?;
        click(&client, &format!("addRegion-cluster-{MULTI_REGION}")).await?;
        wait_testid(&client, "change-form", UI_TIMEOUT).await?;
        let region = wait_testid(&client, "add-region-region", UI_TIMEOUT).await?;
        region.send_keys(NEW_REGION).await.map_err(err)?;
        review_apply_and_check(&client, 4, "add-region-result").await
    }
    .await;
    close(
        client,
        outcome,
        "changes-failure",
        "[data-testid=error-banner]",
    )
    .await
    .expect("rotation and a new region went through");
}

#[tokio::test]
async fn aws_setup_through_the_wizard_enables_cmek() {
    let Some(url) = driver_url() else { return };
    let client = session(&url, &[]).await;
    let outcome = async {
        click(&client, "connect-sandbox").await?;
        set_up_cmek(&client, AWS_CLUSTER, None, |n| n >= 1, "aws-result").await
    }
    .await;
    close(client, outcome, "aws-failure", "[data-testid=error-banner]")
        .await
        .expect("the AWS setup went through");
}
