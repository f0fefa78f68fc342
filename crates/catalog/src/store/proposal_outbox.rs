//! The client's side of proposals: made without a connection and kept until a sync sends
//! them (or the server refuses one, kept with its reason), then remembered with the id and
//! secret the server answered, to ask how each went.

use rusqlite::{Connection, params};
use serde::Serialize;

use crate::error::Result;
use crate::proposals::Proposal;

/// A proposal not sent yet, or refused.
#[derive(Debug, Clone, Serialize)]
pub struct Waiting {
    #[serde(skip)]
    pub row: i64,
    pub proposal: Proposal,
    pub created_at: String,
    /// Why the server refused it (None while it waits).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed: Option<String>,
}

/// A proposal the server took: where, its id and secret.
#[derive(Debug, Clone, Serialize)]
pub struct Sent {
    pub server: String,
    pub id: i64,
    #[serde(skip)]
    pub secret: String,
    pub proposal: Proposal,
    pub sent_at: String,
}

/// The proposal outbox and the sent proposals of one catalog file.
pub struct ProposalOutbox<'a>(pub(crate) &'a Connection);

impl ProposalOutbox<'_> {
    /// Keeps a proposal until a sync sends it to `server` (empty: whichever comes next).
    pub fn push(&self, server: &str, proposal: &Proposal, now: &str) -> Result<()> {
        let text = serde_json::to_string(proposal).map_err(std::io::Error::from)?;
        self.0.execute(
            "INSERT INTO proposal_outbox (server, proposal, created_at) VALUES (?1, ?2, ?3)",
            params![server, text, now],
        )?;
        Ok(())
    }

    /// Proposals waiting for `server`, oldest first.
    pub fn waiting(&self, server: &str) -> Result<Vec<Waiting>> {
        self.select("failed IS NULL AND server IN (?1, '')", Some(server))
    }

    /// Every proposal waiting for a sync, whichever server it is for.
    pub fn queued(&self) -> Result<Vec<Waiting>> {
        self.select("failed IS NULL AND ?1 IS NULL", None)
    }

    /// Proposals the server refused, with its reasons.
    pub fn refused(&self) -> Result<Vec<Waiting>> {
        self.select("failed IS NOT NULL AND ?1 IS NULL", None)
    }

    fn select(&self, condition: &str, server: Option<&str>) -> Result<Vec<Waiting>> {
        let mut stmt = self.0.prepare_cached(&format!(
            "SELECT id, proposal, created_at, failed FROM proposal_outbox WHERE {condition} ORDER BY id"
        ))?;
        let rows = stmt.query_map([server], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get(2)?,
                r.get(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (row, text, created_at, failed) = row?;
            // A row this version cannot read (written by a newer one) stays for it.
            if let Ok(proposal) = serde_json::from_str(&text) {
                out.push(Waiting {
                    row,
                    proposal,
                    created_at,
                    failed,
                });
            }
        }
        Ok(out)
    }

    /// The server took the proposal in `row`: remembered with its id and secret, in one step.
    pub fn sent(&self, row: i64, server: &str, id: i64, secret: &str, now: &str) -> Result<()> {
        let tx = self.0.unchecked_transaction()?;
        tx.execute(
            "INSERT OR REPLACE INTO my_proposals (server, id, secret, proposal, sent_at)
             SELECT ?2, ?3, ?4, proposal, ?5 FROM proposal_outbox WHERE id = ?1",
            params![row, server, id, secret, now],
        )?;
        tx.execute("DELETE FROM proposal_outbox WHERE id = ?1", [row])?;
        tx.commit()?;
        Ok(())
    }

    /// The server refused the proposal in `row` for good: kept, with why.
    pub fn refuse(&self, row: i64, reason: &str) -> Result<()> {
        self.0.execute(
            "UPDATE proposal_outbox SET failed = ?2 WHERE id = ?1",
            params![row, reason],
        )?;
        Ok(())
    }

    /// Forgets the refused proposals (after they were shown).
    pub fn discard_refused(&self) -> Result<usize> {
        Ok(self
            .0
            .execute("DELETE FROM proposal_outbox WHERE failed IS NOT NULL", [])?)
    }

    /// Every proposal the servers took, newest first.
    pub fn sent_list(&self) -> Result<Vec<Sent>> {
        let mut stmt = self.0.prepare_cached(
            "SELECT server, id, secret, proposal, sent_at FROM my_proposals ORDER BY sent_at DESC, id DESC",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get::<_, String>(3)?,
                r.get(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (server, id, secret, text, sent_at) = row?;
            if let Ok(proposal) = serde_json::from_str(&text) {
                out.push(Sent {
                    server,
                    id,
                    secret,
                    proposal,
                    sent_at,
                });
            }
        }
        Ok(out)
    }

    /// Proposals waiting to be sent (not refused).
    pub fn count(&self) -> Result<usize> {
        let n: i64 = self.0.query_row(
            "SELECT count(*) FROM proposal_outbox WHERE failed IS NULL",
            [],
            |r| r.get(0),
        )?;
        Ok(n as usize)
    }
}
