//! The audit log: who wrote what, when. Written in the same transaction as the write it
//! records.

use rusqlite::{Connection, Transaction};
use serde::Serialize;

use crate::error::Result;

#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub station_id: Option<String>,
    /// What was written (the station as saved), as JSON text.
    pub detail: String,
}

/// Appends to the audit log inside the caller's transaction.
pub fn record(
    tx: &Transaction<'_>,
    actor: &str,
    action: &str,
    station_id: Option<&str>,
    detail: &str,
    now: &str,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO audit (at, actor, action, station_id, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(rusqlite::params![now, actor, action, station_id, detail])?;
    Ok(())
}

/// The newest `limit` audit records, newest first.
pub fn newest(conn: &Connection, limit: usize, before: Option<i64>) -> Result<Vec<AuditEntry>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, at, actor, action, station_id, detail FROM audit
         WHERE ?2 IS NULL OR id < ?2 ORDER BY id DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map(rusqlite::params![limit as i64, before], |r| {
        Ok(AuditEntry {
            id: r.get(0)?,
            at: r.get(1)?,
            actor: r.get(2)?,
            action: r.get(3)?,
            station_id: r.get(4)?,
            detail: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}
