//! Sharing the event between stations: `merge` brings in another
//! station's copy of the event carried on a stick.

use std::path::Path;

use crate::common::*;

/// `merge FILE`: every fact of FILE that this file lacks, added once.
pub async fn merge(db: &Path, other: &Path) -> Result<(), Failure> {
    let file = open(db).await?;
    let added = racedesk::sync::merge_file(&file, other).await?;
    println!(
        "merged {}: {} new ({}), {} already here",
        other.display(),
        added.added(),
        added.describe(),
        added.already()
    );
    Ok(())
}
