//! Sharing the event between stations: `merge` brings in another
//! station's copy of the event carried on a stick.

use std::path::Path;

use crate::common::*;

/// `merge FILE`: every fact of FILE that this file lacks, added once.
pub async fn merge(db: &Path, other: &Path, operator: &str) -> Result<(), Failure> {
    let file = open(db).await?;
    let merged = racedesk::sync::merge_file(&file, other, operator).await?;
    let facts = &merged.facts;
    println!(
        "merged {}: {} new ({}), {} already here; {} entrants new",
        other.display(),
        facts.added(),
        facts.describe(),
        facts.already(),
        merged.entrants.added
    );
    if !merged.entrants.conflicts.is_empty() {
        println!(
            "not added, their bib or chip is another runner's here (or their race is not here): {}",
            merged.entrants.conflicts.join(", ")
        );
    }
    Ok(())
}
