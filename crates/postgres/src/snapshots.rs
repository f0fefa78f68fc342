//! Snapshots built once for every replica: the first replica asked for the snapshot at a
//! position builds, signs and compresses it and stores it; the others asking meanwhile wait for
//! it (an advisory lock on the position and form) and then read it, so a 200,000-station catalog
//! is not serialised and compressed once per replica. The newest two of each form are kept.

use tokio_postgres::{Client, GenericClient};

use crate::error::Result;

/// A snapshot as stored: the signed statement's parts and the body in each encoding served.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub seq: i64,
    pub with_facts: bool,
    /// The public key of the key that signed it.
    pub public_key: String,
    pub created_at: String,
    pub digest: String,
    pub signature: String,
    pub body: Vec<u8>,
    pub gzip: Vec<u8>,
    pub zstd: Vec<u8>,
}

/// Snapshots of each form kept (the newest; a client paging forward from an older one is
/// served by the feed).
const KEPT: i64 = 2;

/// The snapshot at `seq` in its form (`with_facts`): the stored one, or — if no replica has
/// built it yet — the one `build` makes, stored for the others. Replicas asking at once wait for
/// the one that builds. `build` is slow (the whole catalog) and may find the catalog further on
/// than `seq`: whatever position it built at, the first snapshot stored for that position is the
/// one every replica serves (a URL naming the position always gives the same bytes).
pub async fn once(
    client: &mut Client,
    seq: i64,
    with_facts: bool,
    public_key: &str,
    build: impl AsyncFnOnce() -> Result<Stored>,
) -> Result<Stored> {
    let tx = client.transaction().await?;
    // One lock per position and form (key: the position, doubled, plus the form).
    let key = seq.wrapping_mul(2) + i64::from(with_facts);
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&key])
        .await?;
    if let Some(stored) = kept(&tx, seq, with_facts, public_key).await? {
        return Ok(stored);
    }
    let built = build().await?;
    if built.with_facts != with_facts || built.public_key != public_key {
        return Err(crate::Error::BadRow {
            table: "snapshots",
            row: 1,
            problem: "built in another form or with another key".into(),
        });
    }
    let inserted = tx
        .execute(
            "INSERT INTO snapshots (seq, with_facts, public_key, created_at, digest, signature,
                 body, gzip, zstd)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (seq, with_facts, public_key) DO NOTHING",
            &[
                &built.seq,
                &built.with_facts,
                &built.public_key,
                &built.created_at,
                &built.digest,
                &built.signature,
                &built.body,
                &built.gzip,
                &built.zstd,
            ],
        )
        .await?;
    let stored = if inserted == 1 {
        built
    } else {
        // Another replica stored one for that position first: it is the one served.
        kept(&tx, built.seq, with_facts, public_key)
            .await?
            .ok_or(crate::Error::Timeout("a snapshot stored meanwhile"))?
    };
    // The newest of this form signed by this key; none signed by another (a re-keyed catalog's
    // old snapshots are of no use to its clients).
    tx.execute(
        "DELETE FROM snapshots WHERE with_facts = $1 AND (public_key <> $3 OR seq NOT IN
             (SELECT seq FROM snapshots WHERE with_facts = $1 AND public_key = $3
              ORDER BY seq DESC LIMIT $2))",
        &[&with_facts, &KEPT, &public_key],
    )
    .await?;
    tx.commit().await?;
    Ok(stored)
}

/// The newest snapshot of a form signed by `public_key`: its position and when it was made.
pub async fn newest(
    client: &impl GenericClient,
    with_facts: bool,
    public_key: &str,
) -> Result<Option<(i64, String)>> {
    Ok(client
        .query_opt(
            "SELECT seq, created_at FROM snapshots WHERE with_facts = $1 AND public_key = $2
             ORDER BY seq DESC LIMIT 1",
            &[&with_facts, &public_key],
        )
        .await?
        .map(|r| (r.get(0), r.get(1))))
}

/// The snapshot stored for `seq` in its form, signed by `public_key`, if it is still kept.
pub async fn kept(
    client: &impl GenericClient,
    seq: i64,
    with_facts: bool,
    public_key: &str,
) -> Result<Option<Stored>> {
    let row = client
        .query_opt(
            "SELECT created_at, digest, signature, body, gzip, zstd FROM snapshots
             WHERE seq = $1 AND with_facts = $2 AND public_key = $3",
            &[&seq, &with_facts, &public_key],
        )
        .await?;
    Ok(row.map(|row| Stored {
        seq,
        with_facts,
        public_key: public_key.to_string(),
        created_at: row.get(0),
        digest: row.get(1),
        signature: row.get(2),
        body: row.get(3),
        gzip: row.get(4),
        zstd: row.get(5),
    }))
}
