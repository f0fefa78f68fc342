//! Where the packed index (index/packed.rs) lives in the catalog file: one row per part, each
//! with the generation of the catalog it was made from, its format and its checksum. Every
//! change to a station or a tally moves the generation on (migration 9's triggers, in the
//! writer's own transaction), so a part made before a change is never read as current.

use rusqlite::blob::Blob;
use rusqlite::{Connection, MAIN_DB, OptionalExtension, Transaction, TransactionBehavior};

use crate::error::Result;

/// The triggers that move the generation on; all of them must be there for it to mean anything.
const TRIGGERS: [&str; 6] = [
    "stations_generation_insert",
    "stations_generation_update",
    "stations_generation_delete",
    "tallies_generation_insert",
    "tallies_generation_update",
    "tallies_generation_delete",
];

/// The catalog's generation now; None when it cannot be trusted to move with every change
/// (one of its triggers gone: dropped by hand, or with its table by a program that made the
/// table anew without them; migration 12 makes them again with the stations' table).
pub fn generation(conn: &Connection) -> Result<Option<i64>> {
    let triggers: i64 = conn.query_row(
        "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name IN (?1, ?2, ?3, ?4, ?5, ?6)",
        TRIGGERS,
        |r| r.get(0),
    )?;
    if triggers != TRIGGERS.len() as i64 {
        return Ok(None);
    }
    Ok(conn
        .query_row("SELECT n FROM index_generation", [], |r| r.get(0))
        .optional()?)
}

/// Part `name`'s checksum and its bytes to read in place (incremental blob I/O: no copy of the
/// whole part is made), if it was made at `generation` in `format`.
pub fn open<'c>(
    conn: &'c Connection,
    name: &str,
    generation: i64,
    format: i64,
) -> Result<Option<(u32, Blob<'c>)>> {
    let found = conn
        .prepare_cached(
            "SELECT rowid, checksum FROM packed_index
             WHERE part = ?1 AND generation = ?2 AND format = ?3",
        )?
        .query_row((name, generation, format), |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
        })
        .optional()?;
    let Some((rowid, checksum)) = found else {
        return Ok(None);
    };
    let Ok(checksum) = u32::try_from(checksum) else {
        return Ok(None);
    };
    let blob = conn.blob_open(MAIN_DB, c"packed_index", c"data", rowid, true)?;
    Ok(Some((checksum, blob)))
}

/// Keeps `parts` (name, checksum, bytes) as the packed index made at `generation`, in place of
/// any before; unless the catalog has moved on since, when they would be stale at once and
/// nothing is written. Whether they were kept.
pub fn write(
    conn: &Connection,
    generation: i64,
    format: i64,
    parts: &[(&str, u32, &[u8])],
) -> Result<bool> {
    let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
    if self::generation(&tx)? != Some(generation) {
        return Ok(false);
    }
    tx.execute("DELETE FROM packed_index", [])?;
    for (name, checksum, data) in parts {
        tx.execute(
            "INSERT INTO packed_index (part, generation, format, checksum, data)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            (name, generation, format, i64::from(*checksum), data),
        )?;
    }
    tx.commit()?;
    Ok(true)
}
