//! Problem reports from drivers ("it is closed", "it is not here", "no shower after all"). The
//! app queues them locally and sends them with the next sync; the server keeps them for the
//! catalog's admins. A report never changes a station by itself.

use rusqlite::params;
use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;
use crate::error::{CatalogError, Result};
use crate::exchange::now_rfc3339;
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

/// Client side: keeps a report until the next sync sends it to `server` (empty: whichever
/// server the app syncs with next).
pub fn queue(catalog: &Catalog, server: &str, report: &Report) -> Result<()> {
    report.validate(catalog)?;
    catalog.conn().execute(
        "INSERT INTO report_outbox (server, report, created_at) VALUES (?1, ?2, ?3)",
        params![
            server,
            serde_json::to_string(report).map_err(|e| CatalogError::Invalid(e.to_string()))?,
            now_rfc3339()
        ],
    )?;
    Ok(())
}

/// Client side: reports waiting for `server`, oldest first, with their outbox row ids.
pub fn waiting(catalog: &Catalog, server: &str) -> Result<Vec<(i64, Report)>> {
    let mut stmt = catalog
        .conn()
        .prepare("SELECT id, report FROM report_outbox WHERE server IN (?1, '') ORDER BY id")?;
    let rows = stmt.query_map([server], |r| Ok((r.get(0)?, r.get::<_, String>(1)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (id, json) = row?;
        // A row that no longer parses (written by a newer version) stays for that version.
        if let Ok(report) = serde_json::from_str(&json) {
            out.push((id, report));
        }
    }
    Ok(out)
}

/// Client side: forgets a report the server has taken.
pub fn sent(catalog: &Catalog, outbox_id: i64) -> Result<()> {
    catalog
        .conn()
        .execute("DELETE FROM report_outbox WHERE id = ?1", [outbox_id])?;
    Ok(())
}

/// Client side: how many reports wait.
pub fn waiting_count(catalog: &Catalog) -> Result<usize> {
    let n: i64 = catalog
        .conn()
        .query_row("SELECT count(*) FROM report_outbox", [], |r| r.get(0))?;
    Ok(n as usize)
}

/// Server side: stores a validated report; returns its id.
pub fn record(catalog: &Catalog, report: &Report) -> Result<i64> {
    report.validate(catalog)?;
    catalog.conn().execute(
        "INSERT INTO reports (station_id, problem, service, note, received_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            report.station_id,
            report.problem,
            report.service,
            report.note,
            now_rfc3339()
        ],
    )?;
    Ok(catalog.conn().last_insert_rowid())
}

/// Server side: the newest reports first, optionally for one station.
pub fn list(catalog: &Catalog, station_id: Option<&str>, limit: usize) -> Result<Vec<Received>> {
    let mut stmt = catalog.conn().prepare(
        "SELECT id, station_id, problem, service, note, received_at FROM reports
         WHERE ?1 IS NULL OR station_id = ?1 ORDER BY id DESC LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![station_id, limit as i64], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<String>>(3)?,
            r.get::<_, Option<String>>(4)?,
            r.get::<_, String>(5)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, station_id, problem, service, note, received_at) = row?;
        // A problem this version does not know (written by a newer one) is left out.
        let Ok(problem) = problem.parse() else {
            continue;
        };
        out.push(Received {
            id,
            report: Report {
                station_id,
                problem,
                service: service.and_then(|s| s.parse().ok()),
                note,
            },
            received_at,
        });
    }
    Ok(out)
}
