//! The one answer shape: a hit (station, distance and direction when a position is known,
//! open state and its next change) is the same in HTTP, IPC and `--json`; a detail is a hit
//! plus its navigation links. Queries produce an [`Answer`] first (keys and open states, from
//! memory) and read the rows after, on any connection.

use std::sync::Arc;

use serde::Serialize;

use crate::confirmations::{FactTally, StationFacts};

use crate::error::Result;
use crate::links::NavLink;
use crate::model::Station;
use crate::sphere::LatLon;
use crate::store;

/// A station in a query's answer, with where it is from the query point. The station is a
/// [`Station`] everywhere but in the server, which answers with rows it keeps ready as JSON
/// ([`ReadyStation`](crate::ready::ReadyStation)); both render the same bytes.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(concrete(S = Station))]
pub struct Hit<S = Station> {
    #[serde(flatten)]
    pub station: S,
    /// Great-circle metres from the query point, to a tenth (null without one, e.g. a plain
    /// text search).
    #[serde(with = "tenths")]
    #[ts(as = "Option<f64>")]
    pub distance_m: Option<f64>,
    /// Initial bearing from the query point, degrees clockwise from north (0 to 359.9), to a
    /// tenth.
    #[serde(with = "bearing_tenths")]
    #[ts(as = "Option<f64>")]
    pub bearing_deg: Option<f64>,
    /// At the query's time: true, false, or null when the hours are unknown.
    pub open_now: Option<bool>,
    /// China local time ("2026-11-28T20:00:00") when `open_now` next flips, when the hours
    /// tell within a week.
    #[ts(as = "Option<String>")]
    pub changes_at: Option<chrono::NaiveDateTime>,
    /// Route queries: metres along the route to the closest approach, to a tenth.
    #[serde(skip_serializing_if = "Option::is_none", with = "tenths")]
    #[ts(optional, as = "Option<f64>")]
    pub along_m: Option<f64>,
    /// Route queries: metres from the route, to a tenth.
    #[serde(skip_serializing_if = "Option::is_none", with = "tenths")]
    #[ts(optional, as = "Option<f64>")]
    pub offset_m: Option<f64>,
    /// With a speed (route queries always; nearby ones when a speed is given): when the
    /// station is reached, China time (RFC 3339, +08:00). Along a route: driving to the
    /// route's closest point, then across; nearby: as the crow flies.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional, as = "Option<String>")]
    pub eta: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// With `eta`: whether the station will be open then — true, false, or null when its
    /// hours are unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "boolean | null")]
    pub open_at_arrival: Option<Option<bool>>,
    /// What drivers said about each fact anyone spoke to: when last confirmed, confirmations
    /// and denials in the last 30 days (left out when nobody did).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<FactTally>>", optional)]
    pub facts: Vec<FactTally>,
}

/// Metres and degrees as answers give them, to a tenth: positions are kept to a millionth of a
/// degree (~0.1 m), so finer says nothing, and those digits were a tenth of a compressed `near`
/// answer (they do not compress). The hit itself keeps the exact value, for ordering and tests.
mod tenths {
    use serde::Serialize;

    pub fn serialize<S: serde::Serializer>(value: &Option<f64>, out: S) -> Result<S::Ok, S::Error> {
        value.map(tenth).serialize(out)
    }

    pub fn tenth(value: f64) -> f64 {
        (value * 10.0).round() / 10.0
    }
}

/// A bearing to a tenth, where 359.96° is north (0), not 360.
mod bearing_tenths {
    use serde::Serialize;

    pub fn serialize<S: serde::Serializer>(value: &Option<f64>, out: S) -> Result<S::Ok, S::Error> {
        value
            .map(|v| super::tenths::tenth(v).rem_euclid(360.0))
            .serialize(out)
    }
}

/// A station's detail: its hit and every navigation hand-off link.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Detail {
    #[serde(flatten)]
    pub hit: Hit,
    pub links: Vec<NavLink>,
}

impl Detail {
    pub fn new(hit: Hit) -> Detail {
        let links = crate::links::all_links(hit.station.location, &hit.station.name);
        Detail { hit, links }
    }
}

/// A query's answer before its rows are read: which stations, from where, and their open
/// state. The rows can be read on any connection to the catalog, which lets the server read
/// them outside its lock, on a pool of readers.
#[derive(Debug, Clone)]
pub struct Answer {
    pub(crate) from: Option<LatLon>,
    pub(crate) items: Vec<Pending>,
}

#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub pk: u32,
    pub open_now: Option<bool>,
    pub changes_at: Option<chrono::NaiveDateTime>,
    pub along_m: Option<f64>,
    pub offset_m: Option<f64>,
    /// When the station is reached, and whether it is open then.
    pub arrival: Option<(chrono::DateTime<chrono::Utc>, Option<bool>)>,
    pub facts: Option<Arc<StationFacts>>,
}

impl Answer {
    /// Reads the stations' rows (in one statement). A station deleted since the query is left out.
    pub(crate) fn read(self, conn: &rusqlite::Connection) -> Result<Vec<Hit>> {
        let rows = store::stations_by_pk(conn, &self.keys())?;
        Ok(self.with_rows(rows))
    }

    /// The primary keys of the stations whose rows the answer needs, in order.
    pub fn keys(&self) -> Vec<i64> {
        self.items.iter().map(|p| p.pk as i64).collect()
    }

    /// The hits, from the stations' rows by primary key read from any store (a station without
    /// a row — deleted since the query — is left out). A row is a [`Station`] or the server's
    /// [`ReadyStation`](crate::ready::ReadyStation).
    pub fn with_rows<S: Located>(self, mut rows: std::collections::HashMap<i64, S>) -> Vec<Hit<S>> {
        let mut hits = Vec::with_capacity(self.items.len());
        for p in self.items {
            let Some(station) = rows.remove(&(p.pk as i64)) else {
                continue;
            };
            let at = station.location();
            hits.push(Hit {
                distance_m: self.from.map(|f| f.distance_m(at)),
                bearing_deg: self.from.map(|f| f.bearing_deg(at)),
                open_now: p.open_now,
                changes_at: p.changes_at,
                along_m: p.along_m,
                offset_m: p.offset_m,
                eta: p.arrival.map(|(at, _)| crate::arrival::in_china_time(at)),
                open_at_arrival: p.arrival.map(|(_, open)| open),
                facts: p.facts.map(|f| f.tallies().to_vec()).unwrap_or_default(),
                station,
            });
        }
        hits
    }
}

/// A station's row as an answer holds it: where it stands is all the answer needs to know.
pub trait Located {
    fn location(&self) -> LatLon;
}

impl Located for Station {
    fn location(&self) -> LatLon {
        self.location
    }
}

/// What the map shows of one view (`MapViewRequest`): its stations in clusters, the lone ones
/// by themselves, and place names to steer by. Column by column (a third the size of GeoJSON);
/// coordinates in the asked datum (WGS-84 unless the map's tiles are GCJ-02), rounded to 1e-5°
/// (about a metre).
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct MapView {
    /// The level of the map's grid the clusters are of (the zoom, rounded; at most 13); 14 when
    /// the view is zoomed past the clusters and every station stands alone (when it holds no more
    /// than `MAX_VIEW_STATIONS`).
    pub level: u8,
    /// How many stations the view's cells hold, in clusters or alone.
    pub in_view: u64,
    pub clusters: MapClusters,
    /// The stations drawn alone.
    pub stations: MapPoints,
    pub places: MapPlaces,
}

/// Clusters: `count[i]` stations drawn at their mean position (`lat[i]`, `lon[i]`), which part
/// from one another at zoom `expand[i]` (14: only when shown one by one).
#[derive(Debug, Clone, Default, Serialize, ts_rs::TS)]
pub struct MapClusters {
    pub lat: Vec<f64>,
    pub lon: Vec<f64>,
    pub count: Vec<u32>,
    pub expand: Vec<u8>,
}

/// Place names (`labels.rs`): `rank[i]` is 0 for a province, 1 a city, 2 a county seat or district.
#[derive(Debug, Clone, Default, Serialize, ts_rs::TS)]
pub struct MapPlaces {
    pub names: Vec<&'static str>,
    pub lat: Vec<f64>,
    pub lon: Vec<f64>,
    pub rank: Vec<u8>,
}

/// Stations on the map: `kinds[i]` indexes `kind_ids`.
#[derive(Debug, Clone, Default, Serialize, ts_rs::TS)]
pub struct MapPoints {
    pub kind_ids: Vec<&'static str>,
    pub ids: Vec<String>,
    pub kinds: Vec<u8>,
    pub lat: Vec<f64>,
    pub lon: Vec<f64>,
}

#[cfg(test)]
mod tests {
    #[derive(serde::Serialize)]
    struct Metres(#[serde(with = "super::tenths")] Option<f64>);

    #[derive(serde::Serialize)]
    struct Bearing(#[serde(with = "super::bearing_tenths")] Option<f64>);

    #[test]
    fn metres_and_degrees_go_out_to_a_tenth() {
        let metres = |v| serde_json::to_string(&Metres(v)).expect("json");
        assert_eq!(metres(Some(1527.0157085408312)), "1527.0");
        assert_eq!(metres(Some(86.96)), "87.0");
        assert_eq!(metres(Some(0.0)), "0.0");
        assert_eq!(metres(None), "null");
        let bearing = |v| serde_json::to_string(&Bearing(v)).expect("json");
        assert_eq!(bearing(Some(313.3535305602903)), "313.4");
        assert_eq!(bearing(Some(359.96)), "0.0");
        assert_eq!(bearing(Some(359.94)), "359.9");
        assert_eq!(bearing(None), "null");
    }
}
