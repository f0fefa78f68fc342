//! The client's outboxes: operator edits and problem reports made without a connection, kept
//! until a sync sends them.

use rusqlite::{Connection, params};
use serde::Serialize;
use serde::de::DeserializeOwned;
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
        self.push(REPORTS, server, report, now)
    }

    /// Reports waiting for `server`, oldest first, with their outbox rows.
    pub fn reports(&self, server: &str) -> Result<Vec<(i64, Report)>> {
        self.waiting(REPORTS, server)
    }

    pub fn report_sent(&self, row: i64) -> Result<()> {
        self.sent(REPORTS, row)
    }

    pub fn report_count(&self) -> Result<usize> {
        self.count(REPORTS)
    }

    /// Keeps a confirmation until a sync sends it to `server` (empty: whichever comes next).
    pub fn push_confirmation(&self, server: &str, c: &Confirmation, now: &str) -> Result<()> {
        self.push(CONFIRMATIONS, server, c, now)
    }

    /// Confirmations waiting for `server`, oldest first, with their outbox rows.
    pub fn confirmations(&self, server: &str) -> Result<Vec<(i64, Confirmation)>> {
        self.waiting(CONFIRMATIONS, server)
    }

    pub fn confirmation_sent(&self, row: i64) -> Result<()> {
        self.sent(CONFIRMATIONS, row)
    }

    pub fn confirmation_count(&self) -> Result<usize> {
        self.count(CONFIRMATIONS)
    }

    fn push<T: Serialize>(&self, queue: Queue, server: &str, item: &T, now: &str) -> Result<()> {
        // Plain strings and numbers: writing them as JSON cannot fail in practice.
        let text = serde_json::to_string(item).map_err(std::io::Error::from)?;
        self.0.execute(
            &format!(
                "INSERT INTO {} (server, {}, created_at) VALUES (?1, ?2, ?3)",
                queue.table, queue.column
            ),
            params![server, text, now],
        )?;
        Ok(())
    }

    fn waiting<T: DeserializeOwned>(&self, queue: Queue, server: &str) -> Result<Vec<(i64, T)>> {
        let mut stmt = self.0.prepare_cached(&format!(
            "SELECT id, {} FROM {} WHERE server IN (?1, '') ORDER BY id",
            queue.column, queue.table
        ))?;
        let rows = stmt.query_map([server], |r| Ok((r.get(0)?, r.get::<_, String>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, text) = row?;
            // A row this version cannot read (written by a newer one) stays for it.
            if let Ok(item) = serde_json::from_str(&text) {
                out.push((id, item));
            }
        }
        Ok(out)
    }

    fn sent(&self, queue: Queue, row: i64) -> Result<()> {
        self.0
            .execute(&format!("DELETE FROM {} WHERE id = ?1", queue.table), [row])?;
        Ok(())
    }

    fn count(&self, queue: Queue) -> Result<usize> {
        let n: i64 =
            self.0
                .query_row(&format!("SELECT count(*) FROM {}", queue.table), [], |r| {
                    r.get(0)
                })?;
        Ok(n as usize)
    }
}

/// A queue of items a sync sends as they are (no versions, no conflicts): its table and the
/// column holding each item as JSON.
#[derive(Clone, Copy)]
struct Queue {
    table: &'static str,
    column: &'static str,
}

const REPORTS: Queue = Queue {
    table: "report_outbox",
    column: "report",
};

const CONFIRMATIONS: Queue = Queue {
    table: "confirmation_outbox",
    column: "confirmation",
};
