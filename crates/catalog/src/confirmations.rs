//! Drivers' confirmations, fact by fact: at a station, a driver says whether it is open and
//! whether each service is really there. The app queues them offline (store::outbox) and sends
//! them with the next sync; the server keeps one a device, a fact and a day (store::
//! confirmations), tallies the last 30 days, and a fact denied more often than confirmed is
//! disputed and waits for the admins. An operator's own edit counts as confirming.

use serde::{Deserialize, Serialize};

use crate::model::{Service, Station, Status};

/// The facts a driver can confirm: `open` (open now, as the hours say) or a service's id.
pub fn valid_fact(fact: &str) -> bool {
    fact == OPEN || fact.parse::<Service>().is_ok()
}

/// The fact "it is open now, as its hours say".
pub const OPEN: &str = "open";

/// The facts a listing states: open (when its status is), and each service it lists.
pub fn listed_facts(station: &Station) -> Vec<String> {
    let open = (station.status == Status::Open).then(|| OPEN.to_string());
    open.into_iter()
        .chain(station.services.iter().map(|s| s.id().to_string()))
        .collect()
}

/// A driver's word about one fact of one station.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
#[ts(optional_fields)]
pub struct Confirmation {
    pub station_id: String,
    /// `open`, or a service id (shower, toilet, …).
    pub fact: String,
    /// True: it holds (it is open, the service is there); false: it does not.
    pub holds: bool,
    /// A random id of the confirming device: one confirmation a device, a fact and a day.
    #[serde(default)]
    pub device: Option<String>,
}

/// What the last 30 days say about one fact of one station.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct FactTally {
    /// Left out in the change feed, whose entry names the station once for all its facts.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[ts(type = "string | undefined")]
    pub station_id: String,
    pub fact: String,
    /// When someone last said it holds (RFC 3339), ever.
    pub last_confirmed: Option<String>,
    /// Confirmations and denials in the last 30 days.
    pub confirmed: u32,
    pub denied: u32,
}

/// A fact is disputed when denied more often than confirmed lately, and at least this often (a
/// single denial of an otherwise unconfirmed fact is not a dispute).
pub const MIN_DENIALS: u32 = 2;

/// The window the counts cover.
pub const WINDOW_DAYS: i64 = 30;
