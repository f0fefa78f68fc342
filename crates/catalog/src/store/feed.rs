//! The change feed's SQL: its head, its tombstone horizon, a page after a sequence, and
//! forgetting old tombstones.

use rusqlite::Connection;

use crate::confirmations::FactTally;
use crate::error::Result;
use crate::feed::{Change, ChangeOp, ChangePage, Gone};
use crate::store::confirmations::Confirmations;
use crate::store::texts::Known;
use crate::store::{self, STATION_COLUMNS};

/// The highest sequence whose tombstone may have been forgotten.
const HORIZON_KEY: &str = "feed.tombstone_horizon";

/// The newest sequence number handed out (0 for a catalog never written).
pub fn head(conn: &Connection) -> Result<i64> {
    Ok(conn
        .query_row(
            "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'changes'), 0)",
            [],
            |r| r.get(0),
        )
        .or_else(|_| Ok::<i64, rusqlite::Error>(0))?)
}

pub fn horizon(conn: &Connection) -> Result<i64> {
    Ok(store::meta(conn, HORIZON_KEY)?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

/// Up to `limit` changes after `since`, in sequence order; `facts` entries only for a client
/// that asks for them (an older one cannot read them), the sequence moving past them either
/// way. One read transaction, so a write committed meanwhile can never move the page's
/// `last_seq` past an entry the page does not carry.
pub fn since(
    conn: &Connection,
    since: i64,
    limit: usize,
    with_facts: bool,
) -> Result<std::result::Result<ChangePage, Gone>> {
    // A read: deferred, whatever the connection's writers take (see `Store::prepare`).
    let tx = rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Deferred)?;
    let page = page_since(&tx, since, limit, with_facts)?;
    tx.commit()?;
    Ok(page)
}

fn page_since(
    conn: &Connection,
    since: i64,
    limit: usize,
    with_facts: bool,
) -> Result<std::result::Result<ChangePage, Gone>> {
    let horizon = horizon(conn)?;
    if since < horizon {
        return Ok(Err(Gone { horizon }));
    }
    let columns: String = STATION_COLUMNS
        .split(',')
        .map(|c| format!("s.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT c.seq, c.op, c.station_id, s.pk, {columns} FROM changes c
         LEFT JOIN stations s ON s.id = c.station_id
         WHERE c.seq > ?1 AND (c.kind = 'station' OR ?3) ORDER BY c.seq LIMIT ?2"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(rusqlite::params![since, limit as i64 + 1, with_facts])?;
    let mut changes = Vec::new();
    let mut known = Known::new(conn);
    while let Some(r) = rows.next()? {
        let op = match r.get_ref(1)?.as_str().map_err(rusqlite::Error::from)? {
            "delete" => ChangeOp::Delete,
            "facts" => ChangeOp::Facts,
            _ => ChangeOp::Upsert,
        };
        let station_id: String = r.get(2)?;
        let has_row = r.get::<_, Option<i64>>(3)?.is_some();
        let station = if op == ChangeOp::Upsert && has_row {
            Some(store::station_from_row_at(r, 4, &mut known)?)
        } else {
            None
        };
        let facts = match op {
            ChangeOp::Facts => Some(
                Confirmations(conn)
                    .tallies(&station_id)?
                    .into_iter()
                    .map(|t| FactTally {
                        station_id: String::new(),
                        ..t
                    })
                    .collect(),
            ),
            _ => None,
        };
        changes.push(Change {
            seq: r.get(0)?,
            op,
            station_id,
            station,
            facts,
        });
    }
    Ok(Ok(ChangePage::of(changes, limit, head(conn)?.max(since))))
}

/// Forgets tombstones written at or before `cutoff` (RFC 3339) and moves the horizon past them.
pub fn purge_tombstones(conn: &Connection, cutoff: &str) -> Result<usize> {
    let purged: Option<i64> = conn.query_row(
        "SELECT max(seq) FROM changes WHERE op = 'delete' AND at <= ?1",
        [cutoff],
        |r| r.get(0),
    )?;
    let Some(max) = purged else { return Ok(0) };
    let tx = conn.unchecked_transaction()?;
    let n = tx.execute(
        "DELETE FROM changes WHERE op = 'delete' AND at <= ?1",
        [cutoff],
    )?;
    if max > horizon(&tx)? {
        store::set_meta(&tx, HORIZON_KEY, &max.to_string())?;
    }
    tx.commit()?;
    Ok(n)
}

/// A copy of another catalog's feed (a replica's copy of the database's): `change` recorded at
/// its own position, as the feed it came from holds it — the station's previous entry of that
/// kind gives way, and a tombstone takes the station's facts entry with it.
pub fn record(conn: &Connection, change: &Change, at: &str) -> Result<()> {
    let (kind, op) = match change.op {
        ChangeOp::Upsert => ("station", "upsert"),
        ChangeOp::Delete => ("station", "delete"),
        ChangeOp::Facts => ("facts", "facts"),
        // What this build cannot read takes no entry (its position still passes).
        ChangeOp::Other => return Ok(()),
    };
    conn.prepare_cached("DELETE FROM changes WHERE station_id = ?1 AND kind = ?2")?
        .execute([&change.station_id, kind])?;
    if change.op == ChangeOp::Delete {
        conn.prepare_cached("DELETE FROM changes WHERE station_id = ?1 AND kind = 'facts'")?
            .execute([&change.station_id])?;
    }
    conn.prepare_cached(
        "INSERT INTO changes (seq, station_id, kind, op, at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(rusqlite::params![
        change.seq,
        change.station_id,
        kind,
        op,
        at
    ])?;
    Ok(())
}

/// A copied feed's head moves to `seq`, the position the copy now holds (positions whose
/// entries were replaced since leave no row to count them by).
pub fn advance_head(conn: &Connection, seq: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO sqlite_sequence (name, seq) SELECT 'changes', ?1
         WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'changes')",
    )?
    .execute([seq])?;
    conn.prepare_cached("UPDATE sqlite_sequence SET seq = ?1 WHERE name = 'changes' AND seq < ?1")?
        .execute([seq])?;
    Ok(())
}

/// A catalog that took another's snapshot keeps no feed of its own: the entries it held (its
/// sample's, from an import) no longer describe its rows. The head moves one on and the
/// tombstone horizon with it, so whatever followed this file's feed takes a snapshot.
pub fn forget(conn: &Connection) -> Result<()> {
    let head = head(conn)? + 1;
    restart(conn, head, head)
}

/// A copied feed starts afresh: no entries, the head and the tombstone horizon of the feed it
/// copies.
pub fn restart(conn: &Connection, head: i64, tombstone_horizon: i64) -> Result<()> {
    conn.execute("DELETE FROM changes", [])?;
    conn.execute("DELETE FROM sqlite_sequence WHERE name = 'changes'", [])?;
    advance_head(conn, head)?;
    store::set_meta(conn, HORIZON_KEY, &tombstone_horizon.to_string())
}
