//! Edits of a station and problem reports: who may change which field, and the checks a
//! report passes before it is queued or kept.

use serde_json::{Map, Value};

use super::limits::MAX_NOTE_CHARS;
use crate::exchange::{FieldsError, station_from_fields};
use crate::message::Message;
use crate::model::{Problem, Station};
use crate::reports::Report;

/// The fields an operator may change on the stations assigned to them; admins may change
/// every field but `id`. The server enforces it, the CLI and the UI offer exactly these.
pub const OPERATOR_FIELDS: [&str; 6] = [
    "opening_hours",
    "services",
    "status",
    "notice",
    "phone",
    "free_truck_spaces",
];

/// Who is editing: decides which fields are open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Editor {
    Operator,
    Admin,
}

impl Editor {
    pub fn may_change(self, field: &str) -> bool {
        self == Editor::Admin || OPERATOR_FIELDS.contains(&field)
    }
}

/// A patch (a flat JSON object of fields; `null` clears one) applied to `base`, or a new
/// station when `base` is None, checked exactly as an import row is.
pub fn check_patch(
    patch: &Map<String, Value>,
    base: Option<&Station>,
    editor: Editor,
) -> Result<Station, Message> {
    station_from_fields(patch, base, |f| editor.may_change(f)).map_err(|e| match e {
        FieldsError::Unknown(field) => Message::UnknownField {
            field,
            accepted: crate::exchange::COLUMNS.join(", "),
        },
        FieldsError::NotAllowed(field) => Message::NotEditable { field },
        FieldsError::Invalid(r) => Message::BadField {
            field: r.field,
            problem: r.problem,
        },
    })
}

/// What a report must say: the missing service for `service_missing`, a short note.
pub fn check_report(report: &Report) -> Result<(), Message> {
    if report.problem == Problem::ServiceMissing && report.service.is_none() {
        return Err(Message::ServiceNeeded {});
    }
    if report
        .note
        .as_deref()
        .is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS)
    {
        return Err(Message::TooLong {
            field: "note",
            max: MAX_NOTE_CHARS,
        });
    }
    Ok(())
}
