//! Feed positions without gaps a reader could fall into. With several writers, a sequence
//! (nextval) hands out 104 and 105 to two transactions that may commit as 105 first: a client
//! reading then moves past 104, which appears later and is never sent to it. Here a writer takes
//! its positions by updating the one row of `feed_head` in its own transaction; the row stays
//! locked until that transaction commits or rolls back, so a second writer waits there and
//! reads the first one's committed value. Positions are therefore handed out and committed in
//! the same order: whatever a reader has seen, nothing with a lower position commits after it.
//! Writers take the row as late as they can (after their own work), so they queue only for
//! the moment of their commit.
//!
//! What the argument needs of writers and of the deployment: writers run at READ COMMITTED (at
//! REPEATABLE READ or above the waiting update fails with a serialization error instead of
//! reading the new value: retry it); a writer that also locks other rows takes them before its
//! positions, never after, or two writers can deadlock — a writer that touches a station's row or
//! its tallies locks the station's row first (`stations::lock`); and a reader must not be moved to an
//! asynchronous standby that is behind what it has read (`synchronous_commit = on`, and fail
//! over only to a synchronous standby).

use tokio_postgres::GenericClient;
use waystation_catalog::confirmations::FactTally;
use waystation_catalog::feed::{Change, ChangeOp, ChangePage, Gone};

use crate::error::Result;
use crate::stations::STATION_COLUMNS;

/// Takes the next `count` feed positions in the calling transaction; the first of them.
pub async fn take_positions(tx: &impl GenericClient, count: i64) -> Result<i64> {
    let row = tx
        .query_one(
            "UPDATE feed_head SET seq = seq + $1 RETURNING seq - $1 + 1",
            &[&count],
        )
        .await?;
    // Followers (other replicas) are woken when this commits; not at all if it rolls back.
    tx.execute("SELECT pg_notify($1, '')", &[&crate::follow::CHANNEL])
        .await?;
    Ok(row.get(0))
}

/// Records that `station_id`'s `kind` entry (`station` or `facts`) changed with `op`, at the
/// next position: its previous entry of that kind is replaced (the feed carries state).
pub async fn log_change(
    tx: &impl GenericClient,
    station_id: &str,
    kind: &str,
    op: &str,
    at: &str,
) -> Result<i64> {
    let listed_again =
        kind == "station" && op == "upsert" && was_deleted(tx, &[station_id]).await?.len() == 1;
    let count = if listed_again { 2 } else { 1 };
    let seq = take_positions(tx, count).await?;
    let insert = "INSERT INTO changes (seq, station_id, kind, op, at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (station_id, kind) DO UPDATE
         SET seq = excluded.seq, op = excluded.op, at = excluded.at";
    tx.execute(insert, &[&seq, &station_id, &kind, &op, &at])
        .await?;
    if listed_again {
        // Its tombstone gives way to this entry, so a reader that never saw the tombstone is
        // told that the station has no tallies (those of its former listing went with it).
        let next = seq + 1;
        tx.execute(insert, &[&next, &station_id, &"facts", &"facts", &at])
            .await?;
    }
    Ok(seq)
}

/// Those of `stations` whose station entry in the feed is a tombstone (deleted, and about to be
/// listed again).
pub async fn was_deleted(tx: &impl GenericClient, stations: &[&str]) -> Result<Vec<String>> {
    Ok(tx
        .query(
            "SELECT station_id FROM changes
             WHERE kind = 'station' AND op = 'delete' AND station_id = ANY($1)",
            &[&stations],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

/// The newest position handed out and committed.
pub async fn head(client: &impl GenericClient) -> Result<i64> {
    Ok(client
        .query_one("SELECT seq FROM feed_head", &[])
        .await?
        .get(0))
}

/// The highest position whose tombstone may have been forgotten (a client behind it takes a
/// snapshot); the key is the SQLite catalog's, so a copied catalog keeps its horizon.
pub async fn horizon(client: &impl GenericClient) -> Result<i64> {
    let value: Option<String> = client
        .query_opt(
            "SELECT value FROM catalog_meta WHERE key = 'feed.tombstone_horizon'",
            &[],
        )
        .await?
        .map(|r| r.get(0));
    Ok(value.and_then(|v| v.parse().ok()).unwrap_or(0))
}

/// Forgets tombstones recorded at or before `cutoff` (RFC 3339) and moves the horizon past them,
/// as the catalog file does: a client further behind takes a snapshot. How many were forgotten.
pub async fn purge_tombstones(client: &mut tokio_postgres::Client, cutoff: &str) -> Result<u64> {
    let tx = client.transaction().await?;
    let purged: Option<i64> = tx
        .query_one(
            "SELECT max(seq) FROM changes WHERE op = 'delete' AND at <= $1 COLLATE \"C\"",
            &[&cutoff],
        )
        .await?
        .get(0);
    let Some(max) = purged else { return Ok(0) };
    let n = tx
        .execute(
            "DELETE FROM changes WHERE op = 'delete' AND at <= $1 COLLATE \"C\"",
            &[&cutoff],
        )
        .await?;
    tx.execute(
        "INSERT INTO catalog_meta (key, value) VALUES ('feed.tombstone_horizon', $1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value
         WHERE catalog_meta.value::bigint < excluded.value::bigint",
        &[&max.to_string()],
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

/// Up to `limit` changes after `since`, in position order, as the SQLite catalog's feed gives
/// them (`facts` entries only when asked for). One repeatable-read snapshot: positions commit in
/// order (see the module's note), so the snapshot holds every position up to its head and the
/// page's `last_seq` never passes an entry it lacks.
pub async fn since(
    client: &mut tokio_postgres::Client,
    since: i64,
    limit: usize,
    with_facts: bool,
) -> Result<std::result::Result<ChangePage, Gone>> {
    let tx = crate::one_snapshot(client).await?;
    let horizon = horizon(&tx).await?;
    if since < horizon {
        return Ok(Err(Gone { horizon }));
    }
    // Ahead of the database (one restored from a backup): what the reader holds is not this
    // feed's, so it starts again from a snapshot rather than wait for positions it has seen.
    let head = head(&tx).await?;
    if since > head {
        return Ok(Err(Gone { horizon: head }));
    }
    let columns: String = STATION_COLUMNS
        .split(',')
        .map(|c| format!("s.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let rows = tx
        .query(
            &format!(
                "SELECT c.seq, c.op, c.station_id, s.pk, {columns} FROM changes c
                 LEFT JOIN stations s ON s.id = c.station_id
                 WHERE c.seq > $1 AND (c.kind = 'station' OR $3) ORDER BY c.seq LIMIT $2"
            ),
            &[&since, &(limit as i64 + 1), &with_facts],
        )
        .await?;
    // The tallies of every facts entry on the page, in one statement (a page may hold
    // thousands: one query each would hold a connection for seconds).
    let with_tallies: Vec<&str> = rows
        .iter()
        .filter(|r| r.get::<_, &str>(1) == "facts")
        .map(|r| r.get::<_, &str>(2))
        .collect();
    let mut tallies = tallies_of(&tx, &with_tallies).await?;
    let mut changes = Vec::with_capacity(rows.len());
    for (n, r) in rows.iter().enumerate() {
        let op = match r.get::<_, &str>(1) {
            "delete" => ChangeOp::Delete,
            "facts" => ChangeOp::Facts,
            _ => ChangeOp::Upsert,
        };
        let station_id: String = r.get(2);
        let has_row = r.get::<_, Option<i64>>(3).is_some();
        let station = match op {
            ChangeOp::Upsert if has_row => Some(crate::stations::station(r, 4, n + 1)?),
            _ => None,
        };
        let facts = match op {
            ChangeOp::Facts => Some(tallies.remove(&station_id).unwrap_or_default()),
            _ => None,
        };
        changes.push(Change {
            seq: r.get(0),
            op,
            station_id,
            station,
            facts,
        });
    }
    tx.commit().await?;
    Ok(Ok(ChangePage::of(changes, limit, head)))
}

/// The tallies of `stations`, each station's in fact order (byte order, as SQLite sorts), the
/// station left unnamed (a feed entry names it once).
async fn tallies_of(
    tx: &impl GenericClient,
    stations: &[&str],
) -> Result<std::collections::HashMap<String, Vec<FactTally>>> {
    let mut of = std::collections::HashMap::<String, Vec<FactTally>>::new();
    if stations.is_empty() {
        return Ok(of);
    }
    let rows = tx
        .query(
            "SELECT station_id, fact, last_confirmed, confirmed, denied FROM fact_tallies
             WHERE station_id = ANY($1) ORDER BY station_id, fact COLLATE \"C\"",
            &[&stations],
        )
        .await?;
    for r in &rows {
        of.entry(r.get(0)).or_default().push(FactTally {
            station_id: String::new(),
            fact: r.get(1),
            last_confirmed: r.get(2),
            confirmed: r.get::<_, i64>(3) as u32,
            denied: r.get::<_, i64>(4) as u32,
        });
    }
    Ok(of)
}
