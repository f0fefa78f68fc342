//! From a checked query to an answer: which stations, in which order, open or not, and when
//! that changes — worked out on an index (the catalog's own, or a copy a server shares between
//! threads) and, for text search and details, a connection to read from. Rows are read later
//! (`Answer::read`), so a server can do it outside any lock.

use std::time::{Duration, Instant};

use rusqlite::Connection;

use crate::answer::{Answer, Detail, MapClusters, MapPlaces, MapPoints, MapView, Pending};
use crate::error::{CatalogError, Result};
use crate::index::SpatialIndex;
use crate::index::clusters::{Cell, Clusters, Drawn, MAX_LEVEL, fold_overlaps};
use crate::labels;
use crate::message::Message;
use crate::model::Kind;
use crate::query::{self, BBox, Filter, Found};
use crate::request::limits::{
    MAX_ALONG_RESULTS, MAX_VIEW_STATIONS, MAX_WITHIN_RESULTS, MAX_WORK_MS,
};
use crate::request::{Along, DetailQuery, InBox, MapViewQuery, Near, Query, Search, Within};
use crate::route::{self, Route};
use crate::sphere::LatLon;
use crate::store;

/// A checked query's answer: the one entry point every face uses. Only a text search reads
/// the file (its text index); `conn` is asked for then and not otherwise, so a long walk of the
/// in-memory index holds no connection.
pub fn answer<C: std::ops::Deref<Target = Connection>>(
    index: &SpatialIndex,
    conn: impl FnOnce() -> C,
    query: &Query,
) -> Result<Answer> {
    Ok(match query {
        Query::Near(Near { at, k, filter }) => nearest(index, *at, *k, filter),
        Query::Within(Within {
            at,
            radius_m,
            filter,
        }) => within(index, *at, *radius_m, filter),
        Query::InBox(InBox {
            bbox,
            limit,
            filter,
        }) => in_box(index, bbox, *limit, filter),
        Query::Search(Search {
            text,
            near,
            k,
            filter,
        }) => search(index, &conn(), text, *near, *k, filter)?,
        Query::Along(Along {
            route,
            within_m,
            filter,
        }) => along(index, route, *within_m, filter)?,
    })
}

pub fn nearest(index: &SpatialIndex, at: LatLon, k: usize, filter: &Filter) -> Answer {
    found_answer(
        index,
        Some(at),
        query::nearest(index, at, k, filter),
        filter,
    )
}

/// The nearest MAX_WITHIN_RESULTS within the radius (every answered row is read).
pub fn within(index: &SpatialIndex, at: LatLon, radius_m: f64, filter: &Filter) -> Answer {
    let mut found = query::within(index, at, radius_m, filter);
    found.truncate(MAX_WITHIN_RESULTS);
    found_answer(index, Some(at), found, filter)
}

pub fn in_box(index: &SpatialIndex, bbox: &BBox, limit: usize, filter: &Filter) -> Answer {
    let found = query::in_box(index, bbox, limit, filter);
    found_answer(index, Some(bbox.center()), found, filter)
}

/// The first MAX_ALONG_RESULTS along the route; a walk past MAX_WORK_MS stops with a refusal
/// rather than hold a shared server.
pub fn along(
    index: &SpatialIndex,
    route: &Route,
    within_m: f64,
    filter: &Filter,
) -> Result<Answer> {
    let deadline = Instant::now() + Duration::from_millis(MAX_WORK_MS);
    let mut found = route::along(index, route, within_m, filter, deadline)
        .map_err(|_| Message::TooMuchWork { ms: MAX_WORK_MS })?;
    // A station is reached by driving along the route to the point closest to it, then across.
    let travelled = |f: &route::RouteFound| f.along_m + f.offset_m;
    found.retain(|f| {
        index
            .summary(f.pk)
            .is_some_and(|s| filter.arrives_open(index, s, travelled(f)))
    });
    found.truncate(MAX_ALONG_RESULTS);
    let items = found
        .into_iter()
        .map(|f| Pending {
            along_m: Some(f.along_m),
            offset_m: Some(f.offset_m),
            ..pending(index, f.pk, filter, travelled(&f))
        })
        .collect();
    Ok(Answer {
        from: Some(route.start()),
        items,
    })
}

/// Name/address search over the full-text index on `conn`, filtered on the index.
pub fn search(
    index: &SpatialIndex,
    conn: &Connection,
    text: &str,
    near: Option<LatLon>,
    limit: usize,
    filter: &Filter,
) -> Result<Answer> {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.is_empty() {
        return Ok(Answer {
            from: near,
            items: Vec::new(),
        });
    }
    let mut found = Vec::new();
    store::search::matching(conn, &words, |pk| {
        let pk = pk as u32;
        let Some(s) = index.summary(pk) else {
            return true;
        };
        if filter.admits(index, pk, s) {
            let distance_m = near.map_or(0.0, |p| p.distance_m(s.location));
            found.push(Found { pk, distance_m });
        }
        // Without a position the best matches come first: stop at the limit.
        near.is_some() || found.len() < limit
    })?;
    if near.is_some() {
        query::sort_found(index, &mut found);
        found.truncate(limit);
    }
    Ok(found_answer(index, near, found, filter))
}

/// One station's detail: its hit (distance and direction when the query has a position, open
/// state at its time) and its navigation links.
pub fn detail(
    index: &SpatialIndex,
    conn: &Connection,
    id: &str,
    q: &DetailQuery,
) -> Result<Detail> {
    let pk = store::pk_of(conn, id)?.ok_or_else(|| CatalogError::NotFound(id.to_string()))?;
    // An index older than the rows (published before a deletion freed this key for a new
    // station) may hold another station here: then it says nothing of this one (open state and
    // tallies unknown until the next is published).
    let item = if index.holds(pk, id) {
        pending(index, pk as u32, &Filter::any_at(q.time), 0.0)
    } else {
        Pending {
            pk: pk as u32,
            open_now: None,
            changes_at: None,
            along_m: None,
            offset_m: None,
            arrival: None,
            facts: None,
        }
    };
    Answer {
        from: q.from,
        items: vec![item],
    }
    .read(conn)?
    .pop()
    .map(Detail::new)
    .ok_or_else(|| CatalogError::NotFound(id.to_string()))
}

/// What the map shows of a view, from the index's clusters (no rows read): the cells of the
/// view's level, a lone station by itself, those drawn too near one another folded together;
/// zoomed past the deepest level, every station alone — unless the view holds more than
/// `MAX_VIEW_STATIONS`, when it stays clustered. The place names come from the embedded geography.
pub fn map_view(index: &SpatialIndex, q: &MapViewQuery) -> MapView {
    let round = |v: f64| (v * 1e5).round() / 1e5;
    let shown = |p: LatLon| {
        let p = q.crs.from_wgs84(p);
        (round(p.lat), round(p.lon))
    };
    let level = Clusters::level_for(q.zoom);
    let clusters = index.clusters();
    let cells = clusters.cells_in(level, &q.view);
    let in_view: u64 = cells.iter().map(|c| u64::from(c.count)).sum();
    let one_by_one = q.zoom >= f64::from(MAX_LEVEL) + 0.5 && in_view <= MAX_VIEW_STATIONS as u64;
    let mut drawn = drawn_in(&clusters, level, &cells, one_by_one);
    if !one_by_one {
        drawn = fold_overlaps(drawn, level, q.zoom);
    }
    let mut view = MapView {
        level: if one_by_one { MAX_LEVEL + 1 } else { level },
        in_view,
        clusters: MapClusters::default(),
        stations: MapPoints {
            kind_ids: Kind::ALL.iter().map(|k| k.id()).collect(),
            ..MapPoints::default()
        },
        places: MapPlaces::default(),
    };
    for d in drawn {
        // The clusters are of this very index: a station's summary is there.
        let Some(s) = d.station.and_then(|key| index.summary(key)) else {
            let (lat, lon) = shown(d.at.lat_lon());
            let c = &mut view.clusters;
            c.lat.push(lat);
            c.lon.push(lon);
            c.count.push(d.count);
            c.expand.push(d.expand);
            continue;
        };
        let (lat, lon) = shown(s.location);
        let stations = &mut view.stations;
        stations.ids.push(index.id(s).to_string());
        stations
            .kinds
            .push(Kind::ALL.iter().position(|k| *k == s.kind).unwrap_or(0) as u8);
        stations.lat.push(lat);
        stations.lon.push(lon);
    }
    for label in labels::labels_in(&q.view, q.zoom) {
        let (lat, lon) = shown(label.at);
        let p = &mut view.places;
        p.names.push(label.name);
        p.lat.push(lat);
        p.lon.push(lon);
        p.rank.push(label.rank);
    }
    view
}

/// The clusters and lone stations of `cells` (of `level`), or every station alone when
/// `one_by_one`.
fn drawn_in(clusters: &Clusters, level: u8, cells: &[&Cell], one_by_one: bool) -> Vec<Drawn> {
    let mut drawn = Vec::new();
    for &cell in cells {
        if cell.count > 1 && !one_by_one {
            drawn.push(Drawn {
                at: cell.at(),
                count: cell.count,
                expand: clusters.splits_at(level, cell),
                station: None,
            });
            continue;
        }
        drawn.extend(clusters.members(cell).iter().map(|&key| Drawn {
            at: cell.at(),
            count: 1,
            expand: MAX_LEVEL + 1,
            station: Some(key),
        }));
    }
    drawn
}

fn found_answer(
    index: &SpatialIndex,
    from: Option<LatLon>,
    found: Vec<Found>,
    filter: &Filter,
) -> Answer {
    let items = found
        .into_iter()
        .map(|f| pending(index, f.pk, filter, f.distance_m))
        .collect();
    Answer { from, items }
}

/// A found station's open state at the query's time and, with arrival times, on arrival
/// after `metres` of travel.
fn pending(index: &SpatialIndex, pk: u32, filter: &Filter, metres: f64) -> Pending {
    let summary = index.summary(pk);
    let open_now = summary.and_then(|s| index.open_state(s, filter.time).as_option());
    let changes_at = summary
        .filter(|_| open_now.is_some())
        .and_then(|s| index.next_change(s, filter.time));
    let arrival = filter.arrival.map(|a| {
        let open = summary.and_then(|s| filter.open_at_arrival(index, s, metres));
        (a.travel.arrival(metres), open)
    });
    Pending {
        pk,
        open_now,
        changes_at,
        along_m: None,
        offset_m: None,
        arrival,
        facts: index.facts(pk).cloned(),
    }
}
