//! Reading [`ScanOptions`] from IPC or a file (issue #11): the three numbers are read as typed
//! (`cmek_core::input::NumberText`), so `-5`, `0.5`, `"ten"` or `true` is never a serde error
//! ("invalid type … expected u32") that reaches a person. A number outside its range keeps the
//! field's default and is kept as [`ScanOptions::rejected`] (`INVALID_INPUT` naming the field by
//! its label: KMS reads per minute 1-60,000, calls in flight per project 1-64, Cloud Asset
//! searches per minute 1-60,000), which the boundary check refuses before any call.

use crate::model::ScanOptions;
use serde::Deserialize;

impl<'de> Deserialize<'de> for ScanOptions {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use cmek_core::input::{labels, NumberText, ScanLimit};
        #[derive(Deserialize, Default)]
        #[serde(rename_all = "camelCase", default)]
        struct Wire {
            projects: Vec<String>,
            kms_reads_per_minute: Option<NumberText>,
            concurrency_per_project: Option<NumberText>,
            include_cockroach: Option<bool>,
            scope: crate::scope::AuditScope,
            inventory: crate::scope::InventoryMode,
            asset_searches_per_minute: Option<NumberText>,
        }
        let w = Wire::deserialize(d)?;
        let mut o = ScanOptions {
            projects: w.projects,
            scope: w.scope,
            inventory: w.inventory,
            ..ScanOptions::default()
        };
        if let Some(b) = w.include_cockroach {
            o.include_cockroach = b;
        }
        let numbers = [
            (
                w.kms_reads_per_minute,
                labels::READS_PER_MINUTE,
                ScanLimit::READS_PER_MINUTE,
                &mut o.kms_reads_per_minute,
            ),
            (
                w.concurrency_per_project,
                labels::CONCURRENCY,
                ScanLimit::CONCURRENCY,
                &mut o.concurrency_per_project,
            ),
            (
                w.asset_searches_per_minute,
                labels::SEARCHES_PER_MINUTE,
                ScanLimit::SEARCHES_PER_MINUTE,
                &mut o.asset_searches_per_minute,
            ),
        ];
        let mut rejected = None;
        for (typed, label, range, field) in numbers {
            let Some(typed) = typed else { continue };
            match typed.whole(label, range) {
                // Every range ends far below u32::MAX.
                Ok(n) => *field = u32::try_from(n).unwrap_or(u32::MAX),
                Err(e) => {
                    rejected.get_or_insert(e);
                }
            }
        }
        o.rejected = rejected;
        Ok(o)
    }
}
