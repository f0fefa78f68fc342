//! Problem reports from drivers ("it is closed", "it is not here", "no shower after all"). The
//! app queues them locally (store::outbox) and sends them with the next sync; the server keeps
//! them for the catalog's admins (store::reports). A report never changes a station by itself.

use serde::{Deserialize, Serialize};

use crate::model::{Problem, Service};

/// One driver's report about one station.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
#[ts(optional_fields)]
pub struct Report {
    pub station_id: String,
    pub problem: Problem,
    #[serde(default)]
    pub service: Option<Service>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A report as the server keeps it.
#[derive(Debug, Clone, Serialize)]
pub struct Received {
    pub id: i64,
    #[serde(flatten)]
    pub report: Report,
    pub received_at: String,
}
