//! Problem reports from drivers ("it is closed", "it is not here", "no shower after all"). The
//! app queues them locally (store::outbox) and sends them with the next sync; the server keeps
//! them for the catalog's admins (store::reports). A report never changes a station by itself.

use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;
use crate::error::Result;
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

impl Report {
    /// Checks what a user controls: the station exists, and the report passes
    /// [`check_report`](crate::request::check_report).
    pub fn validate(&self, catalog: &Catalog) -> Result<()> {
        catalog.station(&self.station_id)?;
        crate::request::check_report(self)?;
        Ok(())
    }
}
