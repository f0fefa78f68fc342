//! Problem reports the server has received, kept for the catalog's admins.

use rusqlite::{Connection, params};

use crate::error::Result;
use crate::reports::{Received, Report};

/// The received-reports table of one catalog file.
pub struct Reports<'a>(pub(crate) &'a Connection);

impl Reports<'_> {
    /// Stores a checked report; returns its id.
    pub fn record(&self, report: &Report, now: &str) -> Result<i64> {
        self.0.execute(
            "INSERT INTO reports (station_id, problem, service, note, received_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![report.station_id, report.problem, report.service, report.note, now],
        )?;
        Ok(self.0.last_insert_rowid())
    }

    /// Forgets reports received before `cutoff` (RFC 3339); how many.
    pub fn forget_before(&self, cutoff: &str) -> Result<usize> {
        Ok(self
            .0
            .execute("DELETE FROM reports WHERE received_at < ?1", [cutoff])?)
    }

    /// A page of `limit` reports, newest first, older than `before` if given, optionally
    /// about one station.
    pub fn newest(
        &self,
        station: Option<&str>,
        limit: usize,
        before: Option<i64>,
    ) -> Result<Vec<Received>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM reports
             WHERE (?1 IS NULL OR station_id = ?1) AND (?3 IS NULL OR id < ?3)
             ORDER BY id DESC LIMIT ?2"
        );
        self.select(&sql, params![station, limit as i64, before])
    }

    /// Up to `limit` reports about any of `stations`, newest first (an operator's inbox).
    pub fn about(&self, stations: &[String], limit: usize) -> Result<Vec<Received>> {
        let ids = serde_json::to_string(stations).map_err(std::io::Error::from)?;
        let sql = format!(
            "SELECT {COLUMNS} FROM reports WHERE station_id IN (SELECT value FROM json_each(?1))
             ORDER BY id DESC LIMIT ?2"
        );
        self.select(&sql, params![ids, limit as i64])
    }

    fn select(&self, sql: &str, params: impl rusqlite::Params) -> Result<Vec<Received>> {
        let mut stmt = self.0.prepare_cached(sql)?;
        let rows = stmt.query_map(params, |r| {
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
}

const COLUMNS: &str = "id, station_id, problem, service, note, received_at";
