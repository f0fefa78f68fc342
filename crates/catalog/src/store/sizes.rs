//! What each part of a catalog file costs on disk (`waystation info --sizes`), from SQLite's
//! `dbstat`: every table with its indexes, a full-text or R*Tree table with its shadow tables,
//! SQLite's own schema, and the free pages the file keeps for later writes.

use rusqlite::Connection;
use serde::Serialize;

use crate::error::Result;

/// One part of a catalog file: a table (with its indexes), or `(free pages)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FilePart {
    pub part: String,
    pub bytes: u64,
}

/// The part free pages are reported as.
pub const FREE_PAGES: &str = "(free pages)";

/// The file's parts, largest first; together they are the whole file.
pub fn parts(conn: &Connection) -> Result<Vec<FilePart>> {
    // Each b-tree belongs to its table; a virtual table's shadow tables (`station_text_data`
    // and the like) to the virtual table.
    let mut stmt = conn.prepare(
        "WITH owner(name, part) AS (
             SELECT s.name, coalesce(
                 (SELECT v.name FROM sqlite_schema v
                  WHERE v.type = 'table' AND v.sql LIKE 'CREATE VIRTUAL TABLE%'
                    AND substr(s.name, 1, length(v.name) + 1) = v.name || '_'),
                 s.tbl_name)
             FROM sqlite_schema s WHERE s.type IN ('table', 'index')
         )
         SELECT coalesce(o.part, d.name), sum(d.pgsize)
         FROM dbstat d LEFT JOIN owner o ON o.name = d.name
         GROUP BY 1",
    )?;
    let mut parts = stmt
        .query_map([], |r| {
            Ok(FilePart {
                part: r.get(0)?,
                bytes: r.get::<_, i64>(1)?.max(0) as u64,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let free: i64 = conn.query_row("PRAGMA freelist_count", [], |r| r.get(0))?;
    let page: i64 = conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
    if free > 0 {
        parts.push(FilePart {
            part: FREE_PAGES.into(),
            bytes: (free * page) as u64,
        });
    }
    parts.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.part.cmp(&b.part)));
    Ok(parts)
}
