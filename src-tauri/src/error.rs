//! The error every command returns: a stable `code` the UI branches on, the
//! core's `message` in English, and `details`: the problems of an import or
//! a form, the field that is wrong, and the message as a dictionary `key`
//! with its `params`, which the UI shows in the volunteer's language.

use serde::Serialize;
use serde_json::{Value, json};

#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export))]
pub struct CommandError {
    pub code: String,
    pub message: String,
    #[cfg_attr(test, ts(type = "unknown"))]
    pub details: Value,
}

impl CommandError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            details: Value::Null,
        }
    }

    /// Names the form field to fix.
    pub fn with_field(mut self, field: &str) -> Self {
        if !self.details.is_object() {
            self.details = json!({});
        }
        if let Some(map) = self.details.as_object_mut() {
            map.insert("field".into(), Value::String(field.into()));
        }
        self
    }
}

impl From<racedesk::Error> for CommandError {
    fn from(e: racedesk::Error) -> Self {
        use racedesk::Error;
        let mut details = match &e {
            Error::ImportRejected(report) => serde_json::to_value(report).unwrap_or_default(),
            Error::InvalidEntrant(problems) => json!({ "problems": problems }),
            Error::Invalid { field, .. } => json!({ "field": field }),
            _ => json!({}),
        };
        // The message as a key and its values: the UI says it in the
        // volunteer's language (the English `message` stays for the log).
        if let (Some(said), Some(map)) = (e.said(), details.as_object_mut()) {
            let params: serde_json::Map<String, Value> = said
                .params
                .into_iter()
                .map(|(name, value)| (name.to_owned(), Value::String(value)))
                .collect();
            map.insert("key".into(), Value::String(said.key.into()));
            map.insert("params".into(), Value::Object(params));
        }
        if !e.is_bad_input() {
            tracing::error!(error = %e, "command failed");
        }
        Self {
            code: e.code().into(),
            message: e.to_string(),
            details,
        }
    }
}

impl From<racedesk::OpenError> for CommandError {
    fn from(e: racedesk::OpenError) -> Self {
        racedesk::Error::from(e).into()
    }
}

pub type CommandResult<T> = Result<T, CommandError>;
