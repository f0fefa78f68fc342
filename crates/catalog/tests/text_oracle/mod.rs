//! The oracle for name and address search, and the catalog's answer beside it (tests/search.rs
//! checks one against the other in `make test`; benches/search.rs times both): the text index as
//! it was before migration 11, FTS5's trigram index with positions (`detail=full`), its phrase
//! queries and its own `bm25()` rank.

use rusqlite::Connection;
use waystation_catalog::store::search::matching;

/// What the catalog's search answers for `words`, best first: every match, as a search near a
/// position reads them.
pub fn searched(conn: &Connection, words: &[&str]) -> Vec<i64> {
    let mut found = Vec::new();
    matching(conn, words, |pk| {
        found.push(pk);
        true
    })
    .expect("search");
    found
}

/// Adds the index with positions, `oracle_text`, over the catalog's rows.
pub fn build(conn: &Connection) {
    conn.execute_batch(
        "CREATE VIRTUAL TABLE oracle_text USING fts5(
             name, address, content='station_rows', content_rowid='pk', tokenize='trigram'
         );
         INSERT INTO oracle_text(oracle_text) VALUES ('rebuild');",
    )
    .expect("the oracle index");
}

/// The stations matching `words`, best first: the phrase query and rank the search used
/// with positions kept.
pub fn oracle(conn: &Connection, words: &[&str]) -> Vec<i64> {
    let (long, short): (Vec<&str>, Vec<&str>) = words.iter().partition(|w| w.chars().count() >= 3);
    assert!(!long.is_empty(), "the oracle ranks phrase queries");
    let mut sql = String::from(
        "SELECT s.pk FROM station_rows s JOIN oracle_text t ON t.rowid = s.pk AND oracle_text MATCH ? WHERE 1",
    );
    let mut args = vec![
        long.iter()
            .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(" AND "),
    ];
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
    sql.push_str(" ORDER BY t.rank, s.id");
    let mut stmt = conn.prepare(&sql).expect("oracle query");
    stmt.query_map(rusqlite::params_from_iter(args), |r| r.get(0))
        .expect("oracle rows")
        .collect::<rusqlite::Result<Vec<i64>>>()
        .expect("oracle rows")
}
