//! The UI's TypeScript types of every request and answer, generated from the Rust types
//! (ts-rs). The checked-in `ui/src/generated/api.ts` must equal what this generates, so a
//! change to a Rust type that the UI has not taken up fails CI. Rewrite the file with
//! `UPDATE_TYPES=1 cargo test -p waystation-catalog --test typescript`.

use std::path::PathBuf;

use ts_rs::{Config, TS};
use waystation_catalog::answer::{Detail, Hit, MapClusters, MapPlaces, MapPoints, MapView};
use waystation_catalog::arrival::Vehicle;
use waystation_catalog::confirmations::{Confirmation, FactTally};
use waystation_catalog::geography::PlaceHit;
use waystation_catalog::links::{App, NavLink};
use waystation_catalog::model::{Kind, Problem, Service, Source, Status};
use waystation_catalog::proposals::{Kept, Proposal, ProposalState, ProposalStatus};
use waystation_catalog::reports::Report;
use waystation_catalog::request::{
    AlongRequest, BoxRequest, ChangesRequest, ConvertRequest, DetailRequest, ListRequest,
    MapViewRequest, NearRequest, PlacesRequest, SearchRequest, WithinRequest,
};
use waystation_catalog::vocabulary::{Term, VehicleTerm, Vocabulary};
use waystation_catalog::{LatLon, Message, Station};

fn declarations() -> String {
    // JSON numbers: sequence numbers and versions fit in a double.
    let cfg = Config::new().with_large_int("number");
    let decls = [
        Kind::decl(&cfg),
        Service::decl(&cfg),
        Status::decl(&cfg),
        Source::decl(&cfg),
        Problem::decl(&cfg),
        App::decl(&cfg),
        LatLon::decl(&cfg),
        Station::decl(&cfg),
        Hit::<Station>::decl(&cfg),
        NavLink::decl(&cfg),
        Detail::decl(&cfg),
        MapView::decl(&cfg),
        MapClusters::decl(&cfg),
        MapPlaces::decl(&cfg),
        MapPoints::decl(&cfg),
        PlaceHit::decl(&cfg),
        Term::decl(&cfg),
        VehicleTerm::decl(&cfg),
        ProposalState::decl(&cfg),
        Proposal::decl(&cfg),
        Kept::decl(&cfg),
        ProposalStatus::decl(&cfg),
        Confirmation::decl(&cfg),
        FactTally::decl(&cfg),
        Vehicle::decl(&cfg),
        Vocabulary::decl(&cfg),
        Report::decl(&cfg),
        NearRequest::decl(&cfg),
        WithinRequest::decl(&cfg),
        BoxRequest::decl(&cfg),
        SearchRequest::decl(&cfg),
        AlongRequest::decl(&cfg),
        DetailRequest::decl(&cfg),
        MapViewRequest::decl(&cfg),
        PlacesRequest::decl(&cfg),
        ConvertRequest::decl(&cfg),
        ChangesRequest::decl(&cfg),
        ListRequest::decl(&cfg),
    ];
    let mut out = String::from(
        "// Generated from the Rust types by crates/catalog/tests/typescript.rs; do not edit.\n\
         // UPDATE_TYPES=1 cargo test -p waystation-catalog --test typescript rewrites it.\n\n",
    );
    for decl in decls {
        out.push_str("export ");
        out.push_str(&decl);
        out.push_str("\n\n");
    }
    let ids: Vec<String> = Message::IDS.iter().map(|id| format!("\"{id}\"")).collect();
    out.push_str("/** The stable ids of refused requests' messages. */\n");
    out.push_str(&format!("export type MessageId = {};\n", ids.join(" | ")));
    out
}

fn checked_in() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/generated/api.ts")
}

#[test]
fn the_ui_types_are_generated_from_the_rust_types() {
    let generated = declarations();
    let path = checked_in();
    if std::env::var_os("UPDATE_TYPES").is_some() {
        std::fs::write(&path, &generated).expect("write ui/src/generated/api.ts");
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == generated,
        "ui/src/generated/api.ts is stale: run `UPDATE_TYPES=1 cargo test -p waystation-catalog --test typescript` and commit it"
    );
}

#[test]
fn vocabulary_unions_hold_exactly_the_stable_ids() {
    let cfg = Config::new();
    let union = |decl: String| -> Vec<String> {
        let body = decl.split_once('=').map(|(_, b)| b).unwrap_or_default();
        body.trim()
            .trim_end_matches(';')
            .split('|')
            .map(|v| v.trim().trim_matches('"').to_string())
            .collect()
    };
    let ids = |all: Vec<&str>| all.into_iter().map(String::from).collect::<Vec<_>>();
    assert_eq!(
        union(Kind::decl(&cfg)),
        ids(Kind::ALL.iter().map(|k| k.id()).collect())
    );
    assert_eq!(
        union(Service::decl(&cfg)),
        ids(Service::ALL.iter().map(|k| k.id()).collect())
    );
    assert_eq!(
        union(Status::decl(&cfg)),
        ids(Status::ALL.iter().map(|k| k.id()).collect())
    );
    assert_eq!(
        union(Source::decl(&cfg)),
        ids(Source::ALL.iter().map(|k| k.id()).collect())
    );
    assert_eq!(
        union(Problem::decl(&cfg)),
        ids(Problem::ALL.iter().map(|k| k.id()).collect())
    );
    assert_eq!(
        union(App::decl(&cfg)),
        ids(App::ALL.iter().map(|k| k.id()).collect())
    );
}
