//! Another station's copy of the event, brought into this one without a
//! network: a file carried on a USB stick. Every fact it holds that this
//! file lacks is added, once; merging the same file again adds nothing,
//! and two stations that merged each other's files hold the same facts.

use std::path::Path;

use crate::error::{Error, Result};
use crate::store::EventFile;

use super::facts::{self, Added, EntrantsAdded};

/// What a merge brought in.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct Merged {
    /// Entrants registered at the other station (walk-ups).
    pub entrants: EntrantsAdded,
    /// What the other station captured.
    pub facts: Added,
}

/// Adds to `file` every fact that the event file at `other` holds and
/// `file` lacks, in one transaction. The other file is only read (from a
/// copy, so a stick may be read-only and the file of an older racedesk).
/// Entrants registered there (walk-ups) come too, each audited as made by
/// `operator`; one whose bib or chip another runner holds here is not
/// added and is named for the director. A file of another event is
/// refused, as is one whose facts name races this file does not have.
pub async fn merge_file(file: &EventFile, other: &Path, operator: &str) -> Result<Merged> {
    let scratch = tempfile::tempdir().map_err(|e| Error::Unreadable {
        path: other.to_owned(),
        reason: e.to_string(),
    })?;
    let copy = EventFile::open_copy(other, scratch.path()).await?;
    let theirs = async {
        let mut reader = copy.reader().acquire().await?;
        let identity = crate::store::setup::identity(&mut *reader).await?;
        let entrants = facts::read_entrants(&mut reader).await?;
        let tables = facts::read_all(&mut reader).await?;
        Ok::<_, sqlx::Error>((identity, entrants, tables))
    }
    .await;
    copy.close().await;
    let (identity, entrants, tables) = theirs?;
    let mine = crate::store::setup::identity(file.reader()).await?;
    if identity.is_none() || identity != mine {
        return Err(Error::Conflict(crate::said!(
            "merge.another_event",
            path = other.display()
        )));
    }
    let mut tx = file.writer().begin_with("BEGIN IMMEDIATE").await?;
    let stored = match facts::store(&mut tx, &entrants, &tables, None, ("merge", operator)).await {
        Err(e)
            if e.as_database_error()
                .is_some_and(|d| d.kind() == sqlx::error::ErrorKind::ForeignKeyViolation) =>
        {
            return Err(Error::Conflict(crate::said!(
                "merge.setup_differs",
                path = other.display()
            )));
        }
        done => done?,
    };
    tx.commit().await?;
    Ok(Merged {
        entrants: stored.entrants,
        facts: stored.facts,
    })
}
