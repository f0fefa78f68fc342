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
    if let Some(note) = report.note.as_deref() {
        // Shown to admins and operators: plain text, like a proposal's note.
        plain_text("note", note, MAX_NOTE_CHARS, true)?;
    }
    Ok(())
}

/// Free text people type for other people to read (a note, a contact, a reason): at most `max`
/// characters, and no control characters (a line break only where `lines`), so it cannot
/// rewrite the terminal or the page it is shown on.
pub fn plain_text(field: &'static str, text: &str, max: usize, lines: bool) -> Result<(), Message> {
    if text.chars().count() > max {
        return Err(Message::TooLong { field, max });
    }
    let allowed = |c: char| !c.is_control() || (lines && c == '\n');
    // Bidirectional overrides reorder what is shown: as bad as a control character here.
    let bidi = |c: char| matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if text.chars().any(|c| !allowed(c) || bidi(c)) {
        return Err(Message::ControlCharacters { field });
    }
    Ok(())
}

/// A rejection's reason, for its proposer to read: something, at most a note's length.
pub fn check_reason(reason: &str) -> Result<String, Message> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Message::ReasonNeeded {});
    }
    plain_text("reason", reason, MAX_NOTE_CHARS, true)?;
    Ok(reason.to_string())
}

/// How far from a county's centre a new station may be and still be guessed to lie in it.
const COUNTY_GUESS_M: f64 = 150_000.0;

/// Fields the catalog assigns: a proposal may not set them.
const NOT_PROPOSED: [&str; 2] = ["id", "source"];

/// Checks a proposal against the station it changes (`current`; None for a new station) and
/// turns it into what the catalog keeps: its position in WGS-84, every field checked exactly as
/// an edit by an admin would be, and a new station's county (`adcode`) from its position when
/// it gives none. A change must change something; a new station needs kind, name, lat, lon.
pub fn check_proposal(p: &Proposal, current: Option<&Station>) -> Result<CheckedProposal, Message> {
    for (field, text, max, lines) in [
        ("note", &p.note, MAX_NOTE_CHARS, true),
        ("contact", &p.contact, MAX_CONTACT_CHARS, false),
        ("device", &p.device, MAX_DEVICE_CHARS, false),
    ] {
        if let Some(text) = text {
            plain_text(field, text, max, lines)?;
        }
    }
    if let Some(field) = NOT_PROPOSED.into_iter().find(|f| p.fields.contains_key(*f)) {
        return Err(Message::NotProposable { field });
    }
    let crs = fields::crs("crs", p.crs.as_deref())?;
    let mut proposed = p.fields.clone();
    // Half a position in another datum cannot be converted: both halves, or neither.
    if crs != crate::Crs::Wgs84 {
        let missing = match (proposed.contains_key("lat"), proposed.contains_key("lon")) {
            (true, false) => Some("lon"),
            (false, true) => Some("lat"),
            _ => None,
        };
        if let Some(field) = missing {
            return Err(Message::BadField {
                field: field.into(),
                problem: format!(
                    "is needed with the other half of the position in {}",
                    crs.id()
                ),
            });
        }
    }
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
            let changed = check_patch(&proposed, Some(station), Editor::Admin)?;
            let same = Station {
                version: station.version,
                updated_at: station.updated_at.clone(),
                ..changed
            };
            if same == *station {
                return Err(Message::NothingProposed {});
            }
        }
        None => {
            // A missing kind, name or position is named by the station check below.
            if !proposed.contains_key("adcode")
                && let (Some(lat), Some(lon)) =
                    (degrees_of(&proposed, "lat"), degrees_of(&proposed, "lon"))
                && let Some(at) = LatLon::new(lat, lon).ok()
                && let Some(county) = crate::geography::nearest_county(at)
                // Beyond this a county centre says nothing about where the station is (and a
                // position outside China has no county): the proposer gives the adcode.
                && at.distance_m(county.center) <= COUNTY_GUESS_M
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
