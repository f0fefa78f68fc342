//! Drivers' confirmations, fact by fact: at a station, a driver says whether it is open and
//! whether each service is really there. The app queues them offline (store::outbox) and sends
//! them with the next sync; the server keeps one a device, a fact and a day (store::
//! confirmations), tallies the last 30 days, and a fact denied more often than confirmed is
//! disputed and waits for the admins. An operator's own edit counts as confirming.

use chrono::{DateTime, NaiveDateTime, TimeDelta};
use serde::{Deserialize, Serialize};

use crate::model::{Service, Station, Status};

/// The facts a driver can confirm: `open` (open now, as the hours say), `free_truck_spaces`
/// (there were free truck spaces) or a service's id.
pub fn valid_fact(fact: &str) -> bool {
    fact == OPEN || fact == FREE_TRUCK_SPACES || fact.parse::<Service>().is_ok()
}

/// The fact "it is open now, as its hours say".
pub const OPEN: &str = "open";

/// The fact "there were free truck spaces when I was here" (stations with truck parking).
pub const FREE_TRUCK_SPACES: &str = "free_truck_spaces";

/// The facts a listing states, which its operator vouches for by saving it: open (when its
/// status is) and each service it lists. (Free truck spaces are a driver's observation of the
/// moment, not something a listing states.)
pub fn listed_facts(station: &Station) -> Vec<String> {
    let open = (station.status == Status::Open).then(|| OPEN.to_string());
    open.into_iter()
        .chain(station.services.iter().map(|s| s.id().to_string()))
        .collect()
}

/// Whether drivers may speak to `fact` of `station`: being open (whatever its status: it may
/// be open again), free truck spaces where it has truck parking, and each service it lists — a
/// service it does not list is a proposal to make, not a fact to confirm or deny.
pub fn confirmable(station: &Station, fact: &str) -> bool {
    fact == OPEN
        || (fact == FREE_TRUCK_SPACES && station.truck_spaces.unwrap_or(0) > 0)
        || fact
            .parse::<Service>()
            .is_ok_and(|s| station.services.contains(s))
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

impl FactTally {
    /// Denied more often than confirmed lately, and at least `MIN_DENIALS` times.
    pub fn disputed(&self) -> bool {
        self.denied > self.confirmed && self.denied >= MIN_DENIALS
    }
}

/// A fact is disputed when denied more often than confirmed lately, and at least this often (a
/// single denial of an otherwise unconfirmed fact is not a dispute).
pub const MIN_DENIALS: u32 = 2;

/// The window the counts cover.
pub const WINDOW_DAYS: i64 = 30;

/// A fact counts as confirmed when someone said it holds within this many days and it is not
/// disputed; older, the app shows it as 待确认 (to be confirmed).
pub const CONFIRMED_DAYS: i64 = 90;

/// One station's tallies as the index keeps them in memory: what every answer carries, and
/// what the `confirmed` filter asks of them without reading the store.
#[derive(Debug, Clone, PartialEq)]
pub struct StationFacts {
    /// Sorted by fact, `station_id` left empty (the station is the index's key).
    tallies: Vec<FactTally>,
    /// Each tally's last confirmation in China local time, parsed once.
    confirmed_at: Vec<Option<NaiveDateTime>>,
}

impl StationFacts {
    pub fn new(mut tallies: Vec<FactTally>) -> StationFacts {
        tallies.sort_by(|a, b| a.fact.cmp(&b.fact));
        for t in &mut tallies {
            t.station_id.clear();
        }
        let confirmed_at = tallies
            .iter()
            .map(|t| {
                let at = DateTime::parse_from_rfc3339(t.last_confirmed.as_deref()?).ok()?;
                Some(crate::hours::china_local(at.to_utc()))
            })
            .collect();
        StationFacts {
            tallies,
            confirmed_at,
        }
    }

    pub fn tallies(&self) -> &[FactTally] {
        &self.tallies
    }

    /// Whether `fact` was said to hold within `CONFIRMED_DAYS` before `now` (China local time)
    /// and is not disputed.
    pub fn is_confirmed(&self, fact: &str, now: NaiveDateTime) -> bool {
        self.tallies
            .iter()
            .position(|t| t.fact == fact)
            .is_some_and(|i| self.fresh(i, now))
    }

    /// Whether any fact is confirmed at `now`.
    pub fn any_confirmed(&self, now: NaiveDateTime) -> bool {
        (0..self.tallies.len()).any(|i| self.fresh(i, now))
    }

    fn fresh(&self, i: usize, now: NaiveDateTime) -> bool {
        !self.tallies[i].disputed()
            && self.confirmed_at[i].is_some_and(|at| now - at <= TimeDelta::days(CONFIRMED_DAYS))
    }

    /// Whether anyone ever confirmed any fact: the stations the `confirmed` filter walks.
    pub fn ever_confirmed(&self) -> bool {
        self.confirmed_at.iter().any(Option::is_some)
    }
}

/// The start of the tallies' window ending at `now` (RFC 3339; unreadable: the clock's now).
pub fn window_start(now: &str) -> String {
    (chrono::DateTime::parse_from_rfc3339(now)
        .map(|t| t.to_utc())
        .unwrap_or_else(|_| chrono::Utc::now())
        - chrono::Duration::days(WINDOW_DAYS))
    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The day (China time) a word said at `now` (RFC 3339) counts for: one a device, a fact and a
/// day.
pub fn china_day(now: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(now)
        .map(|t| crate::hours::china_local(t.to_utc()).date().to_string())
        .unwrap_or_else(|_| now.chars().take(10).collect())
}
