//! Proposals: anyone — a driver who finds a 司机之家 missing, a merchant who wants to offer
//! hot water — proposes a new station or a change to one, and an admin reviews it. The app
//! queues a proposal offline and sends it with the next sync (store::outbox); the server keeps
//! it (store::proposals), flags a likely duplicate, and an approval becomes an ordinary,
//! audited station write that reaches every client through the change feed.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::lang::{Lang, UnknownId, vocabulary};

vocabulary!(
    /// Where a proposal is in its review.
    ProposalState, "proposal state" {
        Pending => "pending", "待审核", "Waiting for review";
        Approved => "approved", "已通过", "Approved";
        Rejected => "rejected", "未通过", "Rejected";
    }
);

/// What a proposer sends: a new station (no `station_id`), or the changed fields of one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
#[ts(optional_fields)]
pub struct Proposal {
    /// The station to change; absent for a new station.
    #[serde(default)]
    pub station_id: Option<String>,
    /// The station's fields as in an import row (kind, name, address, lat, lon, services,
    /// opening_hours, phone, …); for a change, only the changed ones. A new station needs
    /// kind, name, lat and lon; its adcode is the nearest county's unless given.
    #[ts(type = "Record<string, unknown>")]
    pub fields: Map<String, Value>,
    /// The datum of `lat`/`lon`: wgs84 (GPS, default), gcj02 (Amap, Tencent) or bd09 (Baidu).
    #[serde(default)]
    pub crs: Option<String>,
    /// Anything the reviewer should know (at most 500 characters).
    #[serde(default)]
    pub note: Option<String>,
    /// How the reviewer may reach the proposer (a phone or WeChat id; at most 100 characters);
    /// only admins see it.
    #[serde(default)]
    pub contact: Option<String>,
    /// A random id of the proposing device, for the per-device limit.
    #[serde(default)]
    pub device: Option<String>,
}

/// A checked proposal, ready to keep: the fields in WGS-84.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedProposal {
    pub station_id: Option<String>,
    pub fields: Map<String, Value>,
    pub note: Option<String>,
    pub contact: Option<String>,
    pub device: Option<String>,
}

/// A proposal as the catalog keeps it, for its reviewers.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(rename = "KeptProposal")]
pub struct Kept {
    pub id: i64,
    pub state: ProposalState,
    /// The station it changes; for a new station, the one created once approved.
    pub station_id: Option<String>,
    /// Whether it proposes a new station (false: a change to `station_id`).
    pub new_station: bool,
    /// The proposed fields, WGS-84.
    #[ts(type = "Record<string, unknown>")]
    pub fields: Map<String, Value>,
    pub note: Option<String>,
    pub contact: Option<String>,
    /// The account that proposed it, when logged in.
    pub proposer: Option<String>,
    /// A station this may duplicate: the same kind within 150 m, or a similar name within 1 km.
    pub duplicate_of: Option<String>,
    /// Why it was rejected.
    pub reason: Option<String>,
    pub created_at: String,
    pub decided_at: Option<String>,
    pub decided_by: Option<String>,
}

impl Kept {
    /// The station it changes; None for a new station.
    pub fn changes(&self) -> Option<&str> {
        match (&self.station_id, self.new_station) {
            (Some(id), false) => Some(id),
            _ => None,
        }
    }
}

/// What a proposer may see of their proposal (with its secret): its state, the station it
/// created or changed, and why it was rejected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct ProposalStatus {
    pub id: i64,
    pub state: ProposalState,
    pub station_id: Option<String>,
    pub reason: Option<String>,
    pub created_at: String,
    pub decided_at: Option<String>,
}

impl From<&Kept> for ProposalStatus {
    fn from(k: &Kept) -> ProposalStatus {
        ProposalStatus {
            id: k.id,
            state: k.state,
            station_id: k.station_id.clone(),
            reason: k.reason.clone(),
            created_at: k.created_at.clone(),
            decided_at: k.decided_at.clone(),
        }
    }
}

/// Words every station of a kind has in its name: they say nothing about which place it is.
const GENERIC_WORDS: [&str; 12] = [
    "户外劳动者服务站",
    "户外劳动者港湾",
    "司机之家",
    "暖蜂驿站",
    "爱心驿站",
    "爱心商户",
    "工会驿站",
    "服务站",
    "驿站",
    "truckstop",
    "station",
    "stop",
];

/// Whether two station names are probably the same place's: once spaces, punctuation and the
/// words every such station has are left out, equal, one inside the other, or sharing most of
/// their character pairs (names mix Chinese and Latin letters; pairs compare both).
pub fn similar_names(a: &str, b: &str) -> bool {
    let norm = |s: &str| -> Vec<char> {
        let mut text: String = s
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect();
        for word in GENERIC_WORDS {
            text = text.replace(word, "");
        }
        text.chars().collect()
    };
    let (a, b) = (norm(a), norm(b));
    if a.is_empty() || b.is_empty() {
        return false;
    }
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    if short.len() >= 2 && long.windows(short.len()).any(|w| w == short.as_slice()) {
        return true;
    }
    let pairs = |s: &[char]| -> std::collections::HashSet<(char, char)> {
        s.windows(2).map(|w| (w[0], w[1])).collect()
    };
    let (pa, pb) = (pairs(&a), pairs(&b));
    let shared = pa.intersection(&pb).count();
    let union = pa.union(&pb).count();
    union > 0 && shared * 2 >= union
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_one_place_are_similar_and_others_are_not() {
        assert!(similar_names("南山物流园司机之家", "南山物流园 司机之家"));
        assert!(similar_names(
            "南山物流园司机之家",
            "深圳南山物流园司机之家（二期）"
        ));
        assert!(similar_names("Nanshan Truck Stop", "nanshan truck-stop"));
        assert!(!similar_names("南山物流园司机之家", "宝安汽车站暖蜂驿站"));
        // Sharing only what every driver home is called does not make two the same.
        assert!(!similar_names("宝安司机之家", "南山司机之家"));
        assert!(!similar_names("", "司机之家"));
    }
}
