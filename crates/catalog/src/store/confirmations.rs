//! Confirmations the server has received, one a device, a fact and a day, and their tallies.

use rusqlite::{Connection, params};

use crate::confirmations::{Confirmation, FactTally};
use crate::error::Result;

/// The confirmations table of one catalog file.
pub struct Confirmations<'a>(pub(crate) &'a Connection);

const TALLY: &str = "SELECT station_id, fact,
        max(CASE WHEN holds THEN at END),
        sum(CASE WHEN holds AND at >= ?1 THEN 1 ELSE 0 END),
        sum(CASE WHEN NOT holds AND at >= ?1 THEN 1 ELSE 0 END)
    FROM confirmations";

fn tally(r: &rusqlite::Row<'_>) -> rusqlite::Result<FactTally> {
    Ok(FactTally {
        station_id: r.get(0)?,
        fact: r.get(1)?,
        last_confirmed: r.get(2)?,
        confirmed: r.get::<_, i64>(3)? as u32,
        denied: r.get::<_, i64>(4)? as u32,
    })
}

impl Confirmations<'_> {
    /// Keeps a checked confirmation made at `now` (RFC 3339) by `device`; false when that device
    /// already spoke to this fact today (China time), which then stands.
    pub fn record(&self, c: &Confirmation, device: &str, now: &str) -> Result<bool> {
        let day = crate::hours::china_local(
            chrono::DateTime::parse_from_rfc3339(now)
                .map(|t| t.to_utc())
                .unwrap_or_else(|_| chrono::Utc::now()),
        )
        .date()
        .to_string();
        let n = self.0.execute(
            "INSERT OR IGNORE INTO confirmations (station_id, fact, holds, device, day, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![c.station_id, c.fact, c.holds, device, day, now],
        )?;
        Ok(n == 1)
    }

    /// Every fact of `station_id` anyone spoke to, with the counts since `since` (RFC 3339).
    pub fn tallies(&self, station_id: &str, since: &str) -> Result<Vec<FactTally>> {
        let sql = format!("{TALLY} WHERE station_id = ?2 GROUP BY station_id, fact ORDER BY fact");
        let mut stmt = self.0.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![since, station_id], tally)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Up to `limit` facts denied more often than confirmed since `since`, most denied first.
    pub fn disputed(&self, since: &str, limit: usize) -> Result<Vec<FactTally>> {
        let sql = format!(
            "{TALLY} WHERE at >= ?1 GROUP BY station_id, fact
             HAVING sum(CASE WHEN NOT holds THEN 1 ELSE 0 END) > sum(CASE WHEN holds THEN 1 ELSE 0 END)
             ORDER BY 5 DESC, station_id LIMIT ?2"
        );
        let mut stmt = self.0.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![since, limit as i64], tally)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
