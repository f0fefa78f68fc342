//! Proposals in PostgreSQL, kept and read as the catalog file keeps them
//! (`waystation_catalog::store::proposals`): checked elsewhere, recorded with their likely
//! duplicate, seen by their secret's hash or by admins, decided once.

use serde_json::{Map, Value};
use tokio_postgres::{GenericClient, Row};
use waystation_catalog::proposals::{CheckedProposal, Kept, ProposalState};
use waystation_catalog::store::proposals::Proposer;

use crate::error::Result;

const COLUMNS: &str = "id, state, station_id, new_station, fields, note, contact, proposer, \
                       duplicate_of, reason, created_at, decided_at, decided_by";

/// A kept proposal; None for a state or fields this version cannot read (a newer one's).
fn kept(r: &Row) -> Option<Kept> {
    let state = r.get::<_, &str>(1).parse::<ProposalState>().ok()?;
    let fields = serde_json::from_str::<Map<String, Value>>(r.get(4)).ok()?;
    Some(Kept {
        id: r.get(0),
        state,
        station_id: r.get(2),
        new_station: r.get(3),
        fields,
        note: r.get(5),
        contact: r.get(6),
        proposer: r.get(7),
        duplicate_of: r.get(8),
        reason: r.get(9),
        created_at: r.get(10),
        decided_at: r.get(11),
        decided_by: r.get(12),
    })
}

/// Keeps a checked proposal; its id.
pub async fn record(
    client: &impl GenericClient,
    p: &CheckedProposal,
    by: &Proposer<'_>,
    duplicate_of: Option<&str>,
    now: &str,
) -> Result<i64> {
    let fields = Value::Object(p.fields.clone()).to_string();
    let row = client
        .query_one(
            "INSERT INTO proposals (secret_hash, station_id, new_station, fields, note, contact,
                 proposer, device, state, duplicate_of, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $10) RETURNING id",
            &[
                &by.secret_hash,
                &p.station_id,
                &p.station_id.is_none(),
                &fields,
                &p.note,
                &p.contact,
                &by.username,
                &p.device,
                &duplicate_of,
                &now,
            ],
        )
        .await?;
    Ok(row.get(0))
}

/// A proposal, for its reviewers; with `secret_hash`, only if that is its secret's.
pub async fn get(
    client: &impl GenericClient,
    id: i64,
    secret_hash: Option<&str>,
) -> Result<Option<Kept>> {
    let row = client
        .query_opt(
            &format!(
                "SELECT {COLUMNS} FROM proposals
                 WHERE id = $1 AND ($2::text IS NULL OR secret_hash = $2)"
            ),
            &[&id, &secret_hash],
        )
        .await?;
    Ok(row.as_ref().and_then(kept))
}

/// A page of `limit` proposals, newest first, in `state` if given, older than `before`.
pub async fn newest(
    client: &impl GenericClient,
    state: Option<ProposalState>,
    limit: usize,
    before: Option<i64>,
) -> Result<Vec<Kept>> {
    let rows = client
        .query(
            &format!(
                "SELECT {COLUMNS} FROM proposals
                 WHERE ($1::text IS NULL OR state = $1) AND ($3::bigint IS NULL OR id < $3)
                 ORDER BY id DESC LIMIT $2"
            ),
            &[&state.map(|s| s.id()), &(limit as i64), &before],
        )
        .await?;
    Ok(rows.iter().filter_map(kept).collect())
}

/// Up to `limit` proposals in `state` about any of `stations`, newest first (an operator's
/// inbox).
pub async fn about(
    client: &impl GenericClient,
    stations: &[String],
    state: ProposalState,
    limit: usize,
) -> Result<Vec<Kept>> {
    let rows = client
        .query(
            &format!(
                "SELECT {COLUMNS} FROM proposals WHERE state = $2 AND station_id = ANY($1)
                 ORDER BY id DESC LIMIT $3"
            ),
            &[&stations, &state.id(), &(limit as i64)],
        )
        .await?;
    Ok(rows.iter().filter_map(kept).collect())
}

/// Decides a pending proposal (in the caller's transaction, beside the station it writes);
/// false if it was decided already.
pub async fn decide(
    tx: &impl GenericClient,
    id: i64,
    state: ProposalState,
    station_id: Option<&str>,
    reason: Option<&str>,
    by: &str,
    now: &str,
) -> Result<bool> {
    let n = tx
        .execute(
            "UPDATE proposals SET state = $2, station_id = coalesce($3, station_id), reason = $4,
                 decided_at = $5, decided_by = $6
             WHERE id = $1 AND state = 'pending'",
            &[&id, &state.id(), &station_id, &reason, &now, &by],
        )
        .await?;
    Ok(n == 1)
}
