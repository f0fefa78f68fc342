//! What confirmations cost in the change feed: 10,000 confirmations spread over 2,000 stations,
//! then the page a client behind them downloads — each station's facts entry — against the
//! same stations re-sent whole (what the feed would carry if counts lived in the station row).
//! Plain and gzip-compressed (what the server sends), in bytes.
//!
//! `cargo bench -p waystation-catalog --bench feed_volume`

use std::io::Write;

use waystation_catalog::Catalog;
use waystation_catalog::confirmations::{Confirmation, listed_facts};
use waystation_catalog::progress::Silent;

const STATIONS: usize = 2_000;
const CONFIRMATIONS: usize = 10_000;

fn gzip(bytes: &[u8]) -> usize {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).expect("gzip");
    gz.finish().expect("gzip").len()
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut catalog = Catalog::open(&dir.path().join("feed.sqlite")).expect("catalog");
    let stations = waystation_synthetic::generate(STATIONS, 7);
    catalog
        .import(stations.clone(), &mut Silent)
        .expect("import");
    let before = catalog.head_seq().expect("head");

    // Five a station: drivers (each their own device) confirming or denying its listed facts.
    let started = std::time::Instant::now();
    for i in 0..CONFIRMATIONS {
        let station = &stations[i % STATIONS];
        let facts = listed_facts(station);
        let said = Confirmation {
            station_id: station.id.clone(),
            fact: facts[i % facts.len()].clone(),
            holds: i % 7 != 0,
            device: None,
        };
        catalog
            .confirm(
                std::slice::from_ref(&said),
                &format!("device-{i}"),
                &format!("addr:10.0.{}.{}", i / 256 % 256, i % 256),
                "2026-11-29T12:00:00Z",
            )
            .expect("confirm");
    }
    let confirming = started.elapsed();

    let page = catalog
        .changes_since(before, 10_000)
        .expect("feed")
        .expect("not gone");
    assert_eq!(page.changes.len(), STATIONS, "one facts entry a station");
    let facts_page = serde_json::to_vec(&page).expect("json");
    let whole = serde_json::to_vec(&stations).expect("json");
    println!(
        "{CONFIRMATIONS} confirmations over {STATIONS} stations (recorded in {confirming:.1?}, one transaction each)"
    );
    println!(
        "| the feed a client behind them downloads | {} entries | {} bytes | {} bytes gzip |",
        page.changes.len(),
        facts_page.len(),
        gzip(&facts_page)
    );
    println!(
        "| the same {STATIONS} stations re-sent whole | {STATIONS} stations | {} bytes | {} bytes gzip |",
        whole.len(),
        gzip(&whole)
    );
    println!(
        "| ratio (facts / stations) | | {:.2} | {:.2} |",
        facts_page.len() as f64 / whole.len() as f64,
        gzip(&facts_page) as f64 / gzip(&whole) as f64
    );
}
