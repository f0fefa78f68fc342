//! Name and address search in SQL: trigram full-text search for words of three or more
//! characters (works for Chinese), a substring match for shorter ones.

use rusqlite::Connection;

use crate::error::Result;

/// Calls `take` with the primary key of each station whose name or address contains every
/// word, best first (full-text rank, or the shortest name when every word is short), then by
/// id, until `take` returns false: a caller that needs a few reads only a few.
pub fn matching(
    conn: &Connection,
    words: &[&str],
    mut take: impl FnMut(i64) -> bool,
) -> Result<()> {
    let (long, short): (Vec<&str>, Vec<&str>) = words.iter().partition(|w| w.chars().count() >= 3);
    let mut sql = String::from("SELECT s.pk FROM stations s");
    let mut args: Vec<String> = Vec::new();
    if !long.is_empty() {
        sql.push_str(" JOIN station_text t ON t.rowid = s.pk AND station_text MATCH ?");
        // Each word as a quoted phrase, all required.
        args.push(
            long.iter()
                .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
                .collect::<Vec<_>>()
                .join(" AND "),
        );
    }
    sql.push_str(" WHERE 1");
    for w in &short {
        sql.push_str(" AND (s.name LIKE ? ESCAPE '\\' OR s.address LIKE ? ESCAPE '\\')");
        let pattern = format!(
            "%{}%",
            w.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        args.push(pattern.clone());
        args.push(pattern);
    }
    sql.push_str(if long.is_empty() {
        " ORDER BY length(s.name), s.id"
    } else {
        " ORDER BY t.rank, s.id"
    });
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
    while let Some(row) = rows.next()? {
        if !take(row.get(0)?) {
            break;
        }
    }
    Ok(())
}
