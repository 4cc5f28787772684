//! Which column holds which field: the types and the guess live with the
//! model (`model::roster_file`); the import reads them from here.

pub(crate) use crate::model::roster_file::{
    Column, ColumnUse, Field, column_letter, guess, known_headers,
};
