//! The client's outboxes: operator edits and problem reports made without a connection, kept
//! until a sync sends them.

use rusqlite::{Connection, params};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::confirmations::Confirmation;
use crate::error::Result;
use crate::reports::Report;

/// An edit waiting in the outbox.
#[derive(Debug, Clone, Serialize)]
pub struct PendingEdit {
    /// The outbox row, to remove it once sent.
    #[serde(skip)]
    pub row: i64,
    pub station_id: String,
    /// The version of the station the edit was made on (sent as If-Match).
    #[serde(skip)]
    pub base_version: i64,
    pub patch: Map<String, Value>,
    pub created_at: String,
    /// Why the server refused it (None while it waits to be sent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed: Option<String>,
}

/// The outboxes of one catalog file.
pub struct Outbox<'a>(pub(crate) &'a Connection);

impl Outbox<'_> {
    pub fn push_edit(
        &self,
        server: &str,
        station_id: &str,
        base_version: i64,
        patch: &Map<String, Value>,
        now: &str,
    ) -> Result<()> {
        self.0.execute(
            "INSERT INTO outbox (server, station_id, base_version, patch, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![server, station_id, base_version, Value::Object(patch.clone()).to_string(), now],
        )?;
        Ok(())
    }

    /// Edits waiting to be sent to `server` (every server when None), oldest first.
    pub fn edits(&self, server: Option<&str>) -> Result<Vec<PendingEdit>> {
        self.select("failed IS NULL AND (?1 IS NULL OR server = ?1)", server)
    }

    /// Edits the server refused, with its reasons, oldest first: shown until discarded.
    pub fn failed_edits(&self) -> Result<Vec<PendingEdit>> {
        self.select("failed IS NOT NULL AND ?1 IS NULL", None)
    }

    fn select(&self, condition: &str, server: Option<&str>) -> Result<Vec<PendingEdit>> {
        let mut stmt = self.0.prepare_cached(&format!(
            "SELECT id, station_id, base_version, patch, created_at, failed FROM outbox
             WHERE {condition} ORDER BY id"
        ))?;
        let rows = stmt.query_map([server], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<String>>(5)?,
            ))
        })?;
        let mut edits = Vec::new();
        for row in rows {
            let (row, station_id, base_version, patch, created_at, failed) = row?;
            edits.push(PendingEdit {
                row,
                station_id,
                base_version,
                patch: serde_json::from_str(&patch).unwrap_or_default(),
                created_at,
                failed,
            });
        }
        Ok(edits)
    }

    /// The server refused this edit for `reason`: kept to be shown, never sent again.
    pub fn edit_failed(&self, row: i64, reason: &str) -> Result<()> {
        self.0.execute(
            "UPDATE outbox SET failed = ?2 WHERE id = ?1",
            params![row, reason],
        )?;
        Ok(())
    }

    /// Forgets the refused edits (after they were shown).
    pub fn discard_failed(&self) -> Result<usize> {
        Ok(self
            .0
            .execute("DELETE FROM outbox WHERE failed IS NOT NULL", [])?)
    }

    pub fn edit_sent(&self, row: i64) -> Result<()> {
        self.0.execute("DELETE FROM outbox WHERE id = ?1", [row])?;
        Ok(())
    }

    pub fn edit_count(&self) -> Result<usize> {
        let n: i64 = self.0.query_row(
            "SELECT count(*) FROM outbox WHERE failed IS NULL",
            [],
            |r| r.get(0),
        )?;
        Ok(n as usize)
    }

    /// Keeps a report until a sync sends it to `server` (empty: whichever server comes next).
    pub fn push_report(&self, server: &str, report: &Report, now: &str) -> Result<()> {
        // A report is plain strings and numbers: writing it as JSON cannot fail in practice.
        let text = serde_json::to_string(report).map_err(std::io::Error::from)?;
        self.0.execute(
            "INSERT INTO report_outbox (server, report, created_at) VALUES (?1, ?2, ?3)",
            params![server, text, now],
        )?;
        Ok(())
    }

    /// Reports waiting for `server`, oldest first, with their outbox rows.
    pub fn reports(&self, server: &str) -> Result<Vec<(i64, Report)>> {
        let mut stmt = self.0.prepare_cached(
            "SELECT id, report FROM report_outbox WHERE server IN (?1, '') ORDER BY id",
        )?;
        let rows = stmt.query_map([server], |r| Ok((r.get(0)?, r.get::<_, String>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, text) = row?;
            // A row this version cannot read (written by a newer one) stays for it.
            if let Ok(report) = serde_json::from_str(&text) {
                out.push((id, report));
            }
        }
        Ok(out)
    }

    pub fn report_sent(&self, row: i64) -> Result<()> {
        self.0
            .execute("DELETE FROM report_outbox WHERE id = ?1", [row])?;
        Ok(())
    }

    /// Keeps a confirmation until a sync sends it to `server` (empty: whichever comes next).
    pub fn push_confirmation(&self, server: &str, c: &Confirmation, now: &str) -> Result<()> {
        let text = serde_json::to_string(c).map_err(std::io::Error::from)?;
        self.0.execute(
            "INSERT INTO confirmation_outbox (server, confirmation, created_at) VALUES (?1, ?2, ?3)",
            params![server, text, now],
        )?;
        Ok(())
    }

    /// Confirmations waiting for `server`, oldest first, with their outbox rows.
    pub fn confirmations(&self, server: &str) -> Result<Vec<(i64, Confirmation)>> {
        let mut stmt = self.0.prepare_cached(
            "SELECT id, confirmation FROM confirmation_outbox WHERE server IN (?1, '') ORDER BY id",
        )?;
        let rows = stmt.query_map([server], |r| Ok((r.get(0)?, r.get::<_, String>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, text) = row?;
            if let Ok(c) = serde_json::from_str(&text) {
                out.push((id, c));
            }
        }
        Ok(out)
    }

    pub fn confirmation_sent(&self, row: i64) -> Result<()> {
        self.0
            .execute("DELETE FROM confirmation_outbox WHERE id = ?1", [row])?;
        Ok(())
    }

    pub fn confirmation_count(&self) -> Result<usize> {
        let n: i64 = self
            .0
            .query_row("SELECT count(*) FROM confirmation_outbox", [], |r| r.get(0))?;
        Ok(n as usize)
    }

    pub fn report_count(&self) -> Result<usize> {
        let n: i64 = self
            .0
            .query_row("SELECT count(*) FROM report_outbox", [], |r| r.get(0))?;
        Ok(n as usize)
    }
}
