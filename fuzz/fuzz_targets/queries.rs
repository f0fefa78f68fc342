//! Any JSON as the options of a nearby, radius or route query (as the app's IPC and, field by
//! field, the HTTP query string carry them), checked by the request layer and answered over a
//! small catalog with opening hours: an answer or a refusal, never a panic. (A far-off
//! departure year once got past the check and panicked the server's long-query thread.)
#![no_main]

use std::sync::{Mutex, OnceLock};

use libfuzzer_sys::fuzz_target;
use waystation_catalog::model::{Kind, Service, ServiceSet, Source, Station, Status};
use waystation_catalog::progress::Silent;
use waystation_catalog::request::{AlongRequest, NearRequest, WithinRequest};
use waystation_catalog::{Catalog, LatLon, Query};

const HOURS: [Option<&str>; 4] = [Some("24/7"), Some("Mo-Fr 08:00-18:00"), Some("Su 22:00-01:00"), None];
const ROUTE: &str = r#"{"type":"LineString","coordinates":[[114.0,30.0],[114.0,30.5]]}"#;

/// Forty stations near 30°N 114°E with every kind of hours, in a file made once per process.
fn catalog() -> &'static Mutex<Catalog> {
    static CATALOG: OnceLock<Mutex<Catalog>> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let path = std::env::temp_dir().join(format!("waystation-fuzz-{}.sqlite", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let mut catalog = Catalog::open(&path).expect("a catalog in the temp dir");
        let stations = (0..40)
            .map(|i| Station {
                id: format!("f{i:03}"),
                kind: Kind::ALL[i % Kind::ALL.len()],
                name: format!("站{i}"),
                address: String::new(),
                adcode: "420100".into(),
                location: LatLon {
                    lat: 30.0 + i as f64 * 0.0125,
                    lon: 114.0 + (i % 3) as f64 * 0.001,
                },
                services: ServiceSet::from_iter([Service::Shower, Service::Toilet]),
                opening_hours: HOURS[i % HOURS.len()].map(str::to_string),
                phone: None,
                truck_spaces: None,
                free_truck_spaces: None,
                status: Status::Open,
                notice: None,
                source: Source::Synthetic,
                version: 1,
                updated_at: "2026-01-01T00:00:00Z".into(),
            })
            .collect();
        catalog.import(stations, &mut Silent).expect("import");
        Mutex::new(catalog)
    })
}

fuzz_target!(|data: &[u8]| {
    let now = chrono::Utc::now();
    let query = match data.first() {
        Some(b'n') => serde_json::from_slice::<NearRequest>(&data[1..])
            .ok()
            .and_then(|r| r.check(now).ok())
            .map(Query::Near),
        Some(b'w') => serde_json::from_slice::<WithinRequest>(&data[1..])
            .ok()
            .and_then(|r| r.check(now).ok())
            .map(Query::Within),
        Some(b'a') => serde_json::from_slice::<AlongRequest>(&data[1..])
            .ok()
            .and_then(|r| r.check(ROUTE, now).ok())
            .map(Query::Along),
        _ => None,
    };
    if let Some(query) = query {
        let catalog = catalog().lock().unwrap_or_else(|p| p.into_inner());
        let _ = catalog.hits(&query);
    }
});
