//! Proposals the server keeps for review (see `crate::proposals`).

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde_json::{Map, Value};

use crate::error::Result;
use crate::proposals::{CheckedProposal, Kept, ProposalState};

/// The proposals table of one catalog file.
pub struct Proposals<'a>(pub(crate) &'a Connection);

/// Who proposed, as far as the server knows.
pub struct Proposer<'a> {
    /// The account, when logged in.
    pub username: Option<&'a str>,
    /// The SHA-256 of the secret the proposer checks the status with.
    pub secret_hash: &'a str,
}

const COLUMNS: &str = "id, state, station_id, new_station, fields, note, contact, proposer, \
                       duplicate_of, reason, created_at, decided_at, decided_by";

fn kept(r: &Row<'_>) -> rusqlite::Result<Option<Kept>> {
    let state: String = r.get(1)?;
    let fields: String = r.get(4)?;
    // A state or fields this version cannot read (written by a newer one) leave the row out.
    let (Ok(state), Ok(fields)) = (
        state.parse::<ProposalState>(),
        serde_json::from_str::<Map<String, Value>>(&fields),
    ) else {
        return Ok(None);
    };
    Ok(Some(Kept {
        id: r.get(0)?,
        state,
        station_id: r.get(2)?,
        new_station: r.get(3)?,
        fields,
        note: r.get(5)?,
        contact: r.get(6)?,
        proposer: r.get(7)?,
        duplicate_of: r.get(8)?,
        reason: r.get(9)?,
        created_at: r.get(10)?,
        decided_at: r.get(11)?,
        decided_by: r.get(12)?,
    }))
}

impl Proposals<'_> {
    /// Keeps a checked proposal, pending; returns its id.
    pub fn record(
        &self,
        p: &CheckedProposal,
        by: &Proposer<'_>,
        duplicate_of: Option<&str>,
        now: &str,
    ) -> Result<i64> {
        let fields = Value::Object(p.fields.clone()).to_string();
        self.0.execute(
            "INSERT INTO proposals (secret_hash, station_id, new_station, fields, note, contact,
                 proposer, device, state, duplicate_of, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'pending', ?9, ?10)",
            params![
                by.secret_hash,
                p.station_id,
                p.station_id.is_none(),
                fields,
                p.note,
                p.contact,
                by.username,
                p.device,
                duplicate_of,
                now
            ],
        )?;
        Ok(self.0.last_insert_rowid())
    }

    pub fn get(&self, id: i64) -> Result<Option<Kept>> {
        let sql = format!("SELECT {COLUMNS} FROM proposals WHERE id = ?1");
        Ok(self
            .0
            .prepare_cached(&sql)?
            .query_row([id], kept)
            .optional()?
            .flatten())
    }

    /// The proposal `id` if `secret_hash` is its secret's.
    pub fn get_with_secret(&self, id: i64, secret_hash: &str) -> Result<Option<Kept>> {
        let sql = format!("SELECT {COLUMNS} FROM proposals WHERE id = ?1 AND secret_hash = ?2");
        Ok(self
            .0
            .prepare_cached(&sql)?
            .query_row(params![id, secret_hash], kept)
            .optional()?
            .flatten())
    }

    /// A page of `limit` proposals in `state` (any when None), newest first, older than
    /// `before` if given.
    pub fn newest(
        &self,
        state: Option<ProposalState>,
        limit: usize,
        before: Option<i64>,
    ) -> Result<Vec<Kept>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM proposals
             WHERE (?1 IS NULL OR state = ?1) AND (?3 IS NULL OR id < ?3)
             ORDER BY id DESC LIMIT ?2"
        );
        let mut stmt = self.0.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![state, limit as i64, before], kept)?;
        let mut out = Vec::new();
        for row in rows {
            out.extend(row?);
        }
        Ok(out)
    }

    /// Up to `limit` proposals in `state` about any of `stations`, newest first (an operator's
    /// inbox).
    pub fn about(
        &self,
        stations: &[String],
        state: ProposalState,
        limit: usize,
    ) -> Result<Vec<Kept>> {
        let ids = serde_json::to_string(stations).map_err(std::io::Error::from)?;
        let sql = format!(
            "SELECT {COLUMNS} FROM proposals
             WHERE state = ?2 AND station_id IN (SELECT value FROM json_each(?1))
             ORDER BY id DESC LIMIT ?3"
        );
        let mut stmt = self.0.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![ids, state, limit as i64], kept)?;
        let mut out = Vec::new();
        for row in rows {
            out.extend(row?);
        }
        Ok(out)
    }

    /// Records the decision on a pending proposal: true if it was pending (and now is not).
    pub(crate) fn decide(
        &self,
        id: i64,
        state: ProposalState,
        station_id: Option<&str>,
        reason: Option<&str>,
        by: &str,
        now: &str,
    ) -> Result<bool> {
        let n = self.0.execute(
            "UPDATE proposals SET state = ?2, station_id = coalesce(?3, station_id), reason = ?4,
                 decided_at = ?5, decided_by = ?6
             WHERE id = ?1 AND state = 'pending'",
            params![id, state, station_id, reason, now, by],
        )?;
        Ok(n == 1)
    }
}
