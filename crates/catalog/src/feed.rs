//! The change feed: every write takes the next sequence number. The feed keeps one entry per
//! station (its latest upsert or tombstone), so a client that asks for everything after its
//! last sequence gets the current state of every station that changed since. Tombstones are
//! kept for a retention window; a client older than the oldest forgotten tombstone must take a
//! snapshot instead.
//!
//! These are the feed's shapes; reading and trimming it is SQL, in `store::feed`.

use serde::{Deserialize, Serialize};

use crate::confirmations::FactTally;
use crate::model::Station;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeOp {
    Upsert,
    Delete,
    /// What drivers said about the station's facts changed: `facts` carries the tallies.
    Facts,
    /// An entry a newer server writes that this version does not know: passed over.
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub seq: i64,
    pub op: ChangeOp,
    pub station_id: String,
    /// The station as it is now, for upserts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub station: Option<Station>,
    /// Every tally of the station's facts, for a `facts` entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facts: Option<Vec<FactTally>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangePage {
    pub changes: Vec<Change>,
    /// The sequence to ask from next time.
    pub last_seq: i64,
    /// More changes wait after `last_seq`.
    pub more: bool,
}

/// A whole change feed as another catalog holds it (what a replica's copy starts from): every
/// entry (without its station or facts body), the head, and the tombstone horizon.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedState {
    pub entries: Vec<Change>,
    pub head: i64,
    pub tombstone_horizon: i64,
}

/// A snapshot's body for clients that read tallies (`facts=true`): every station and every
/// station's fact tallies at one sequence. Older clients get the array of stations alone.
/// (Fields a later server adds are passed over, so it cannot break the clients out there.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotWithFacts {
    pub stations: Vec<Station>,
    pub facts: Vec<FactTally>,
}

impl SnapshotWithFacts {
    /// Reads either form of a snapshot's body (an array of stations has no tallies).
    pub fn parse(body: &[u8]) -> serde_json::Result<SnapshotWithFacts> {
        let first = body.iter().find(|b| !b.is_ascii_whitespace());
        if first == Some(&b'[') {
            let stations = serde_json::from_slice(body)?;
            return Ok(SnapshotWithFacts {
                stations,
                facts: Vec::new(),
            });
        }
        serde_json::from_slice(body)
    }
}

impl ChangePage {
    /// The page from the changes read after a position — up to `limit + 1` of them, the extra
    /// one only saying that more wait — ending at the last change it carries when more wait,
    /// else at `head` (so a client moves past entries it was not sent, such as facts).
    pub fn of(mut changes: Vec<Change>, limit: usize, head: i64) -> ChangePage {
        let more = changes.len() > limit;
        changes.truncate(limit);
        let last_seq = match changes.last() {
            Some(c) if more => c.seq,
            _ => head,
        };
        ChangePage {
            changes,
            last_seq,
            more,
        }
    }
}

/// A client is behind the tombstone retention window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gone {
    pub horizon: i64,
}
