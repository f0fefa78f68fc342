//! Name and address search on a 200,000-station catalog: the catalog's search over its light
//! trigram index (no positions; phrases checked and ranked in Rust) against FTS5's own phrase
//! queries and `bm25()` over an index with positions (tests/text_oracle), after checking both
//! give the same stations in the same order. Each side answers the same queries in full (every
//! match, ranked: a search near a position reads them all), and the file space of both
//! indexes is printed. Last, the heaviest search a request may make: eight common words.
//!
//! Run: `cargo bench -p waystation-catalog --bench search` (WAYSTATION_BENCH_STATIONS to resize).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::prelude::*;
use rand_chacha::ChaCha8Rng;
use rusqlite::Connection;
use waystation_catalog::Catalog;
use waystation_catalog::progress::Silent;

#[path = "../tests/text_oracle/mod.rs"]
mod text_oracle;
use text_oracle::searched as ours;

fn stations() -> usize {
    std::env::var("WAYSTATION_BENCH_STATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000)
}

/// What drivers type: a place, a road, a kind of station, a station's own name, two words;
/// then runs of three to six characters from random stations' names and addresses.
fn queries(conn: &Connection) -> Vec<Vec<String>> {
    let mut queries: Vec<Vec<String>> = [
        &["工会驿站"][..],
        &["司机之家"],
        &["临湘市"],
        &["新华路"],
        &["湖南 司机之家"],
        &["深圳市 暖蜂驿站"],
    ]
    .iter()
    .map(|q| q.iter().map(|w| w.to_string()).collect())
    .collect();
    let texts: Vec<String> = conn
        .prepare("SELECT name || ' ' || address FROM station_rows")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("texts");
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for _ in 0..44 {
        let text: Vec<char> = texts.choose(&mut rng).expect("texts").chars().collect();
        let len = rng.random_range(3..=6).min(text.len());
        let start = rng.random_range(0..=text.len() - len);
        let word: String = text[start..start + len].iter().collect();
        queries.push(word.split_whitespace().map(String::from).collect());
    }
    queries.retain(|q| q.iter().any(|w| w.chars().count() >= 3));
    queries
}

fn megabytes(conn: &Connection, table: &str) -> f64 {
    let bytes: i64 = conn
        .query_row(
            "SELECT sum(pgsize) FROM dbstat WHERE name LIKE ?1 || '\\_%' ESCAPE '\\'",
            [table],
            |r| r.get(0),
        )
        .expect("dbstat");
    bytes as f64 / 1e6
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bench.sqlite");
    eprintln!("building a {}-station catalog…", stations());
    let mut catalog = Catalog::open(&path).expect("open");
    let generated = waystation_synthetic::generate(stations(), 1);
    catalog.import(generated, &mut Silent).expect("import");
    drop(catalog);
    let conn = Connection::open(&path).expect("sqlite");
    text_oracle::build(&conn);
    eprintln!(
        "text index: {:.1} MB without positions (the catalog's), {:.1} MB with (the oracle's)",
        megabytes(&conn, "station_text"),
        megabytes(&conn, "oracle_text"),
    );

    let queries = queries(&conn);
    let mut matches = 0;
    for q in &queries {
        let words: Vec<&str> = q.iter().map(String::as_str).collect();
        let expected = text_oracle::oracle(&conn, &words);
        assert_eq!(ours(&conn, &words), expected, "{words:?}");
        matches += expected.len();
    }
    eprintln!(
        "{} queries, {matches} matches in all, the same stations in the same order",
        queries.len()
    );

    let mut group = c.benchmark_group("search");
    group.throughput(Throughput::Elements(queries.len() as u64));
    group.bench_function("light index, checked and ranked in Rust", |b| {
        b.iter(|| {
            for q in &queries {
                let words: Vec<&str> = q.iter().map(String::as_str).collect();
                black_box(ours(&conn, &words));
            }
        })
    });
    group.bench_function("FTS5 with positions, bm25", |b| {
        b.iter(|| {
            for q in &queries {
                let words: Vec<&str> = q.iter().map(String::as_str).collect();
                black_box(text_oracle::oracle(&conn, &words));
            }
        })
    });
    group.finish();

    // The most a request may ask (eight words), all of them common and standing together in tens
    // of thousands of rows: each word's own count for its weight is a pass of its own.
    let eight = [
        "环卫工",
        "卫工人",
        "工人爱",
        "人爱心",
        "爱心驿",
        "心驿站",
        "环卫工人",
        "爱心驿站",
    ];
    let expected = text_oracle::oracle(&conn, &eight);
    assert_eq!(ours(&conn, &eight), expected, "{eight:?}");
    eprintln!("eight common words: {} matches", expected.len());
    let mut group = c.benchmark_group("search eight common words");
    group.bench_function("light index, checked and ranked in Rust", |b| {
        b.iter(|| black_box(ours(&conn, &eight)))
    });
    group.bench_function("FTS5 with positions, bm25", |b| {
        b.iter(|| black_box(text_oracle::oracle(&conn, &eight)))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
