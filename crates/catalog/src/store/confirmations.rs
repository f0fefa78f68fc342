//! Confirmations the server has received (one a device, a fact and a day) and the tallies of
//! each station's facts, kept in `fact_tallies`: the server recounts a station's on each
//! confirmation, a client writes what the feed brings; both answer from it.

use rusqlite::{Connection, params};

use crate::confirmations::{Confirmation, FactTally};
use crate::error::Result;

/// The confirmations and fact tallies of one catalog file.
pub struct Confirmations<'a>(pub(crate) &'a Connection);

const TALLY_COLUMNS: &str = "station_id, fact, last_confirmed, confirmed, denied";

/// A tally from a row whose first columns are `TALLY_COLUMNS`.
pub(crate) fn tally(r: &rusqlite::Row<'_>) -> rusqlite::Result<FactTally> {
    Ok(FactTally {
        station_id: r.get(0)?,
        fact: r.get(1)?,
        last_confirmed: r.get(2)?,
        confirmed: r.get::<_, i64>(3)? as u32,
        denied: r.get::<_, i64>(4)? as u32,
    })
}

impl Confirmations<'_> {
    /// Keeps a checked confirmation made at `now` (RFC 3339) by `device`, counting for `voice`
    /// (an address or an operator); false when that device already spoke to this fact today
    /// (China time), which then stands.
    pub(crate) fn record(
        &self,
        c: &Confirmation,
        device: &str,
        voice: &str,
        now: &str,
    ) -> Result<bool> {
        let day = crate::confirmations::china_day(now);
        let n = self.0.execute(
            "INSERT OR IGNORE INTO confirmations (station_id, fact, holds, device, day, at, voice)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![c.station_id, c.fact, c.holds, device, day, now, voice],
        )?;
        Ok(n == 1)
    }

    /// Recounts `station_id`'s facts: the distinct voices that confirmed and denied each since
    /// `since` (RFC 3339), and its last confirmation ever (kept in the tally, since words older
    /// than the window are purged).
    pub(crate) fn recount(&self, station_id: &str, since: &str) -> Result<()> {
        self.0.execute(
            "UPDATE fact_tallies SET confirmed = 0, denied = 0 WHERE station_id = ?1",
            [station_id],
        )?;
        // Rows from before voices were kept count for their device.
        self.0.execute(
            "INSERT INTO fact_tallies (station_id, fact, last_confirmed, confirmed, denied)
             SELECT station_id, fact,
                 max(CASE WHEN holds THEN at END),
                 count(DISTINCT CASE WHEN holds AND at >= ?2 THEN coalesce(voice, device) END),
                 count(DISTINCT CASE WHEN NOT holds AND at >= ?2 THEN coalesce(voice, device) END)
             FROM confirmations WHERE station_id = ?1 GROUP BY station_id, fact
             ON CONFLICT (station_id, fact) DO UPDATE SET
                 last_confirmed = CASE
                     WHEN excluded.last_confirmed IS NULL
                         OR fact_tallies.last_confirmed > excluded.last_confirmed
                     THEN fact_tallies.last_confirmed ELSE excluded.last_confirmed END,
                 confirmed = excluded.confirmed,
                 denied = excluded.denied",
            params![station_id, since],
        )?;
        self.0.execute(
            "DELETE FROM fact_tallies WHERE station_id = ?1
             AND last_confirmed IS NULL AND confirmed = 0 AND denied = 0",
            [station_id],
        )?;
        Ok(())
    }

    /// The stations with words said before `since`: their tallies still count words that have
    /// left the window.
    pub(crate) fn stations_with_words_before(
        &self,
        since: &str,
        limit: usize,
    ) -> Result<Vec<String>> {
        let mut stmt = self.0.prepare_cached(
            "SELECT DISTINCT station_id FROM confirmations WHERE at < ?1 LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![since, limit as i64], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Forgets `station_id`'s words said before `since` (recounted first: the tallies keep
    /// their last confirmation).
    pub(crate) fn forget_before(&self, station_id: &str, since: &str) -> Result<()> {
        self.0
            .prepare_cached("DELETE FROM confirmations WHERE station_id = ?1 AND at < ?2")?
            .execute(params![station_id, since])?;
        Ok(())
    }

    /// A station's tallies as the feed brought them (a client's).
    pub(crate) fn replace(&self, station_id: &str, tallies: &[FactTally]) -> Result<()> {
        self.0.execute(
            "DELETE FROM fact_tallies WHERE station_id = ?1",
            [station_id],
        )?;
        let mut insert = self.0.prepare_cached(&format!(
            "INSERT OR REPLACE INTO fact_tallies ({TALLY_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5)"
        ))?;
        for t in tallies {
            insert.execute(params![
                station_id,
                t.fact,
                t.last_confirmed,
                t.confirmed,
                t.denied
            ])?;
        }
        Ok(())
    }

    /// Every fact of `station_id` anyone spoke to, by fact.
    pub fn tallies(&self, station_id: &str) -> Result<Vec<FactTally>> {
        let mut stmt = self.0.prepare_cached(&format!(
            "SELECT {TALLY_COLUMNS} FROM fact_tallies WHERE station_id = ?1 ORDER BY fact"
        ))?;
        let rows = stmt.query_map([station_id], tally)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Every station's tallies, by station and fact (what a snapshot carries).
    pub fn all_tallies(&self) -> Result<Vec<FactTally>> {
        let mut stmt = self.0.prepare_cached(&format!(
            "SELECT {TALLY_COLUMNS} FROM fact_tallies
             WHERE station_id IN (SELECT id FROM stations) ORDER BY station_id, fact"
        ))?;
        let rows = stmt.query_map([], tally)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Up to `limit` facts denied more often than confirmed, most denied first.
    pub fn disputed(&self, limit: usize) -> Result<Vec<FactTally>> {
        let mut stmt = self.0.prepare_cached(&format!(
            "SELECT {TALLY_COLUMNS} FROM fact_tallies WHERE denied > confirmed AND denied >= ?2
             AND station_id IN (SELECT id FROM stations)
             ORDER BY denied DESC, station_id, fact LIMIT ?1"
        ))?;
        let rows = stmt.query_map(
            params![limit as i64, crate::confirmations::MIN_DENIALS],
            tally,
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
