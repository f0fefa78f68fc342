//! Feed positions without gaps a reader could fall into. With several writers, a sequence
//! (nextval) hands out 104 and 105 to two transactions that may commit as 105 first: a client
//! reading then moves past 104, which appears later and is never sent to it. Here a writer takes
//! its positions by updating the one row of `feed_head` in its own transaction; the row stays
//! locked until that transaction commits or rolls back, so a second writer waits there and
//! reads the first one's committed value. Positions are therefore handed out and committed in
//! the same order: whatever a reader has seen, nothing with a lower position commits after it.
//! Writers take the row as late as they can (after their own work), so they queue only for
//! the moment of their commit.

use tokio_postgres::GenericClient;

use crate::error::Result;

/// Takes the next `count` feed positions in the calling transaction; the first of them.
pub async fn take_positions(tx: &impl GenericClient, count: i64) -> Result<i64> {
    let row = tx
        .query_one(
            "UPDATE feed_head SET seq = seq + $1 RETURNING seq - $1 + 1",
            &[&count],
        )
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
    let seq = take_positions(tx, 1).await?;
    tx.execute(
        "INSERT INTO changes (seq, station_id, kind, op, at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (station_id, kind) DO UPDATE
         SET seq = excluded.seq, op = excluded.op, at = excluded.at",
        &[&seq, &station_id, &kind, &op, &at],
    )
    .await?;
    Ok(seq)
}

/// The newest position handed out and committed.
pub async fn head(client: &impl GenericClient) -> Result<i64> {
    Ok(client
        .query_one("SELECT seq FROM feed_head", &[])
        .await?
        .get(0))
}
