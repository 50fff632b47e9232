//! `cmek clusters`: every cluster of the organisation with its CMEK eligibility and status.

use crate::exit::{Outcome, OK};
use crate::output::{Out, Tone};
use cmek_desk_core::Desk;

pub async fn run(desk: &Desk, out: &Out) -> Outcome {
    let clusters = desk.list_clusters().await?;
    if out.json {
        out.print_json(&clusters);
        return Ok(OK);
    }
    let mut table = out.table(&["NAME", "ID", "CLOUD", "REGIONS", "CMEK", "ELIGIBLE"]);
    for c in &clusters {
        let eligible = match &c.ineligible_reason {
            None => out.cell("yes", Some(Tone::Good)),
            Some(why) => out.cell(format!("no: {why}"), Some(Tone::Dim)),
        };
        table.add_row(vec![
            out.cell(&c.cluster.name, None),
            out.cell(&c.cluster.id, None),
            out.cell(&c.cluster.cloud_provider, None),
            out.cell(c.cluster.region_names().join(", "), None),
            out.status_cell(&c.cmek_status),
            eligible,
        ]);
    }
    out.print_table(&table);
    Ok(OK)
}
