//! Edits of a station and problem reports: who may change which field, and the checks a
//! report passes before it is queued or kept.

use serde_json::{Map, Value};

use super::fields;
use super::limits::{MAX_CONTACT_CHARS, MAX_DEVICE_CHARS, MAX_NOTE_CHARS};
use crate::exchange::{FieldsError, station_from_fields};
use crate::message::Message;
use crate::model::{Problem, Source, Station};
use crate::proposals::{CheckedProposal, Proposal};
use crate::reports::Report;
use crate::sphere::LatLon;

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

/// Fields the catalog assigns: a proposal may not set them.
const NOT_PROPOSED: [&str; 2] = ["id", "source"];

/// Checks a proposal against the station it changes (`current`; None for a new station) and
/// turns it into what the catalog keeps: its position in WGS-84, every field checked exactly as
/// an edit by an admin would be, and a new station's county (`adcode`) from its position when
/// it gives none. A change must change something; a new station needs kind, name, lat, lon.
pub fn check_proposal(p: &Proposal, current: Option<&Station>) -> Result<CheckedProposal, Message> {
    for (field, text, max) in [
        ("note", &p.note, MAX_NOTE_CHARS),
        ("contact", &p.contact, MAX_CONTACT_CHARS),
        ("device", &p.device, MAX_DEVICE_CHARS),
    ] {
        if text.as_deref().is_some_and(|t| t.chars().count() > max) {
            return Err(Message::TooLong { field, max });
        }
    }
    if let Some(field) = NOT_PROPOSED.into_iter().find(|f| p.fields.contains_key(*f)) {
        return Err(Message::NotProposable { field });
    }
    let crs = fields::crs("crs", p.crs.as_deref())?;
    let mut proposed = p.fields.clone();
    // One half of a position, or one that is not a number, is left to the edit check below.
    if let (Some(lat), Some(lon)) = (degrees_of(&proposed, "lat"), degrees_of(&proposed, "lon")) {
        let given = LatLon::new(lat, lon).map_err(|_| Message::BadPosition {
            field: "lat/lon",
            given: format!("{lat},{lon}"),
        })?;
        let at = crs.to_wgs84(given);
        // Seven decimals: about a centimetre, as stored.
        let round = |d: f64| (d * 1e7).round() / 1e7;
        proposed.insert("lat".into(), round(at.lat).into());
        proposed.insert("lon".into(), round(at.lon).into());
    }
    match current {
        Some(station) => {
            if proposed.is_empty() {
                return Err(Message::NothingProposed {});
            }
            check_patch(&proposed, Some(station), Editor::Admin)?;
        }
        None => {
            for field in ["kind", "name", "lat", "lon"] {
                if proposed.get(field).is_none_or(Value::is_null) {
                    return Err(Message::Required { field });
                }
            }
            if !proposed.contains_key("adcode")
                && let (Some(lat), Some(lon)) =
                    (degrees_of(&proposed, "lat"), degrees_of(&proposed, "lon"))
                && let Some(county) = LatLon::new(lat, lon)
                    .ok()
                    .and_then(crate::geography::nearest_county)
            {
                proposed.insert("adcode".into(), county.adcode.clone().into());
            }
            let mut whole = proposed.clone();
            whole.insert("id".into(), "proposal".into());
            whole.insert("source".into(), Source::Proposal.id().into());
            check_patch(&whole, None, Editor::Admin)?;
        }
    }
    Ok(CheckedProposal {
        station_id: current.map(|s| s.id.clone()),
        fields: proposed,
        note: p.note.clone(),
        contact: p.contact.clone(),
        device: p.device.clone(),
    })
}

fn degrees_of(fields: &Map<String, Value>, key: &str) -> Option<f64> {
    match fields.get(key) {
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
}
