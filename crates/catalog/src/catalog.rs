//! The catalog: the SQLite store and the spatial index kept in step, and the one query API the
//! CLI, the server and the app all use.

use std::path::Path;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::answer::{Answer, Detail, Hit, MapPoints, Pending};
use crate::error::{CatalogError, Result};
use crate::index::SpatialIndex;
use crate::message::Message;
use crate::model::{Kind, Station};
use crate::progress::Progress;
use crate::query::{self, BBox, Filter, Found};
use crate::readers::Readers;
use crate::request::limits::{MAX_ALONG_RESULTS, MAX_WITHIN_RESULTS, MAX_WORK_MS};
use crate::request::{Along, DetailQuery, InBox, Near, Query, Search, Within};
use crate::route::{self, Route};
use crate::sphere::LatLon;
use crate::store::accounts::Accounts;
use crate::store::audit::AuditEntry;
use crate::store::outbox::Outbox;
use crate::store::reports::Reports;
use crate::store::{self, Store, Upserted};

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct KindCount {
    pub kind: Kind,
    pub count: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct CatalogInfo {
    pub path: String,
    pub schema_version: i64,
    pub file_bytes: u64,
    pub stations: usize,
    pub per_kind: Vec<KindCount>,
    pub synthetic: usize,
    /// Share of stations that are generated examples, 0..1.
    pub synthetic_share: f64,
    pub last_updated: Option<String>,
}

/// Creates `path` by filling a temporary file beside it and renaming it into place, so an
/// interrupted first run never leaves a half-made catalog behind.
fn create_atomically(path: &Path, fill: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("creating");
    // A leftover from an interrupted run is incomplete by definition.
    for leftover in [
        tmp.clone(),
        tmp.with_extension("creating-wal"),
        tmp.with_extension("creating-shm"),
    ] {
        let _ = std::fs::remove_file(leftover);
    }
    fill(&tmp)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

pub struct Catalog {
    store: Store,
    index: SpatialIndex,
}

impl Catalog {
    /// Opens an existing catalog (or creates an empty one) and builds its index.
    pub fn open(path: &Path) -> Result<Catalog> {
        let store = Store::open(path)?;
        let index = SpatialIndex::load(store.conn(), store.path())?;
        Ok(Catalog { store, index })
    }

    /// Creates the catalog file at `path` by filling a temporary file beside it (`fill` gets
    /// its path) and renaming it into place, so an interrupted first run never leaves a
    /// half-made catalog behind.
    pub fn create(path: &Path, fill: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
        create_atomically(path, fill)
    }

    /// Leaves the file self-contained (no -wal beside it), so it may be copied or shipped as
    /// it is.
    pub fn close_as_single_file(self) -> Result<()> {
        self.store
            .conn()
            .pragma_update(None, "journal_mode", "DELETE")?;
        Ok(())
    }

    pub fn path(&self) -> &Path {
        self.store.path()
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// The spatial index, for callers that need keys and distances only (benchmarks, bulk work).
    pub fn index(&self) -> &SpatialIndex {
        &self.index
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Upserts validated stations by id in one transaction: all or nothing.
    pub fn import(
        &mut self,
        stations: Vec<Station>,
        progress: &mut dyn Progress,
    ) -> Result<ImportReport> {
        let now = crate::exchange::now_rfc3339();
        let mut report = ImportReport::default();
        let mut changed: Vec<(i64, usize)> = Vec::new();
        progress.begin("writing", stations.len() as u64);
        let tx = self.store.conn_mut().transaction()?;
        for (i, station) in stations.iter().enumerate() {
            match store::upsert(&tx, station, &now)? {
                Upserted::Inserted(pk) => {
                    report.inserted += 1;
                    changed.push((pk, i));
                }
                Upserted::Updated(pk) => {
                    report.updated += 1;
                    changed.push((pk, i));
                }
                Upserted::Unchanged => report.unchanged += 1,
            }
            if i % 1024 == 1023 {
                progress.advance(1024);
            }
        }
        tx.commit()?;
        progress.advance(stations.len() as u64 % 1024);
        progress.end();
        // Small batches update the tree in place; big ones rebuild it, which is faster.
        if changed.len() > 10_000 || changed.len() > self.index.len() {
            self.index = SpatialIndex::load(self.store.conn(), self.store.path())?;
        } else {
            for (pk, i) in changed {
                self.index.upsert(pk, &stations[i]);
            }
        }
        Ok(report)
    }

    /// Writes one station (insert or update by id) as `actor`, logging the change and an audit
    /// record in the same transaction. Returns the stored station (with its new version).
    pub fn save_station(
        &mut self,
        station: &Station,
        actor: &str,
        action: &str,
    ) -> Result<Station> {
        let now = crate::exchange::now_rfc3339();
        let tx = self.store.conn_mut().transaction()?;
        let outcome = store::upsert(&tx, station, &now)?;
        let detail = serde_json::to_string(station).unwrap_or_default();
        store::audit::record(&tx, actor, action, Some(&station.id), &detail, &now)?;
        tx.commit()?;
        if let Upserted::Inserted(pk) | Upserted::Updated(pk) = outcome {
            self.index.upsert(pk, station);
        }
        self.station(&station.id)
    }

    /// Deletes a station as `actor`, leaving a tombstone in the change feed and an audit record.
    pub fn delete_station(&mut self, id: &str, actor: &str) -> Result<()> {
        let now = crate::exchange::now_rfc3339();
        let tx = self.store.conn_mut().transaction()?;
        let pk =
            store::delete(&tx, id, &now)?.ok_or_else(|| CatalogError::NotFound(id.to_string()))?;
        store::audit::record(&tx, actor, "delete", Some(id), "{}", &now)?;
        tx.commit()?;
        self.index.remove(pk);
        Ok(())
    }

    /// Applies a page of the server's change feed and records the new sequence, all in one
    /// transaction: a client stopped half-way keeps the old state or the new, never half.
    pub fn apply_changes(
        &mut self,
        page: &crate::feed::ChangePage,
        facts: &[(&str, String)],
    ) -> Result<()> {
        let tx = self.store.conn_mut().transaction()?;
        let mut written = Vec::new();
        let mut deleted = Vec::new();
        for change in &page.changes {
            match &change.station {
                Some(s) => written.push((store::put_exact(&tx, s)?, s)),
                None => {
                    if let Some(pk) = store::remove_synced(&tx, &change.station_id)? {
                        deleted.push(pk);
                    }
                }
            }
        }
        for (key, value) in facts {
            store::set_meta(&tx, key, value)?;
        }
        tx.commit()?;
        for pk in deleted {
            self.index.remove(pk);
        }
        for (pk, s) in written {
            self.index.upsert(pk, s);
        }
        Ok(())
    }

    /// Replaces every station with a snapshot's (synthetic seed rows included) and records the
    /// new facts, in one transaction.
    /// Progress reports every row written, inside the transaction: "applying".
    pub fn replace_all(
        &mut self,
        stations: &[Station],
        facts: &[(&str, String)],
        progress: &mut dyn Progress,
    ) -> Result<()> {
        progress.begin("applying", stations.len() as u64);
        let tx = self.store.conn_mut().transaction()?;
        store::remove_all(&tx)?;
        for s in stations {
            store::put_exact(&tx, s)?;
            progress.advance(1);
        }
        for (key, value) in facts {
            store::set_meta(&tx, key, value)?;
        }
        tx.commit()?;
        progress.end();
        self.index = SpatialIndex::load(self.store.conn(), self.store.path())?;
        Ok(())
    }

    /// A fact about this catalog (sync state and the like).
    pub fn fact(&self, key: &str) -> Result<Option<String>> {
        store::meta(self.store.conn(), key)
    }

    pub fn set_fact(&self, key: &str, value: &str) -> Result<()> {
        store::set_meta(self.store.conn(), key, value)
    }

    /// The change feed after `since` (server side).
    pub fn changes_since(
        &self,
        since: i64,
        limit: usize,
    ) -> Result<std::result::Result<crate::feed::ChangePage, crate::feed::Gone>> {
        crate::store::feed::since(self.store.conn(), since, limit)
    }

    /// The newest change sequence number.
    pub fn head_seq(&self) -> Result<i64> {
        crate::store::feed::head(self.store.conn())
    }

    /// Forgets tombstones older than `cutoff` (RFC 3339).
    pub fn purge_tombstones(&self, cutoff: &str) -> Result<usize> {
        crate::store::feed::purge_tombstones(self.store.conn(), cutoff)
    }

    /// Forgets facts (a logged-out operator's token, say).
    pub fn forget_facts(&self, keys: &[&str]) -> Result<()> {
        for key in keys {
            store::forget_meta(self.store.conn(), key)?;
        }
        Ok(())
    }

    /// The account tables (rows only; the server hashes and checks passwords).
    pub fn accounts(&self) -> Accounts<'_> {
        Accounts(self.store.conn())
    }

    /// The client's outboxes of edits and problem reports.
    pub fn outbox(&self) -> Outbox<'_> {
        Outbox(self.store.conn())
    }

    /// Checks a driver's report before it is queued or kept: the station exists, and the
    /// report passes [`check_report`](crate::request::check_report).
    pub fn check_report(&self, report: &crate::reports::Report) -> Result<()> {
        self.station(&report.station_id)?;
        crate::request::check_report(report)?;
        Ok(())
    }

    /// The problem reports the server has received.
    pub fn received_reports(&self) -> Reports<'_> {
        Reports(self.store.conn())
    }

    /// The newest `limit` audit records, newest first.
    pub fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>> {
        store::audit::newest(self.store.conn(), limit)
    }

    /// `count` read-only connections to this catalog's file, for reading rows in parallel
    /// with queries and writes.
    pub fn readers(&self, count: usize) -> Result<Readers> {
        Readers::open(self.path(), count)
    }

    pub fn station(&self, id: &str) -> Result<Station> {
        self.store
            .station(id)?
            .ok_or_else(|| CatalogError::NotFound(id.to_string()))
    }

    /// One station's detail: its hit (distance and direction when the query has a position,
    /// open state at its time) and its navigation links.
    pub fn detail(&self, id: &str, q: &DetailQuery) -> Result<Detail> {
        let pk = store::pk_of(self.store.conn(), id)?
            .ok_or_else(|| CatalogError::NotFound(id.to_string()))?;
        Answer {
            from: q.from,
            items: vec![self.pending(pk as u32, &Filter::any_at(q.time))],
        }
        .read(self.store.conn())?
        .pop()
        .map(Detail::new)
        .ok_or_else(|| CatalogError::NotFound(id.to_string()))
    }

    /// Calls `f` with every station, ordered by id, without holding them all in memory.
    pub fn for_each_station(&self, f: impl FnMut(&Station) -> Result<()>) -> Result<()> {
        store::for_each_station(self.store.conn(), f)
    }

    /// The `k` nearest stations to `at` that pass the filter.
    pub fn nearest(&self, at: LatLon, k: usize, filter: &Filter) -> Result<Vec<Hit>> {
        self.nearest_answer(at, k, filter).read(self.store.conn())
    }

    pub fn nearest_answer(&self, at: LatLon, k: usize, filter: &Filter) -> Answer {
        self.found_answer(Some(at), query::nearest(&self.index, at, k, filter), filter)
    }

    /// Every station within `radius_m` of `at` that passes the filter, nearest first.
    pub fn within(&self, at: LatLon, radius_m: f64, filter: &Filter) -> Result<Vec<Hit>> {
        self.within_answer(at, radius_m, filter)
            .read(self.store.conn())
    }

    /// The nearest MAX_WITHIN_RESULTS within the radius (every answered row is read).
    pub fn within_answer(&self, at: LatLon, radius_m: f64, filter: &Filter) -> Answer {
        let mut found = query::within(&self.index, at, radius_m, filter);
        found.truncate(MAX_WITHIN_RESULTS);
        self.found_answer(Some(at), found, filter)
    }

    /// Stations inside a map view, nearest its centre first, at most `limit`.
    pub fn in_box(&self, bbox: &BBox, limit: usize, filter: &Filter) -> Result<Vec<Hit>> {
        self.in_box_answer(bbox, limit, filter)
            .read(self.store.conn())
    }

    pub fn in_box_answer(&self, bbox: &BBox, limit: usize, filter: &Filter) -> Answer {
        let found = query::in_box(&self.index, bbox, limit, filter);
        self.found_answer(Some(bbox.center()), found, filter)
    }

    /// Stations within `within_m` of the route, in order along it; distances are from its start.
    pub fn along(&self, route: &Route, within_m: f64, filter: &Filter) -> Result<Vec<Hit>> {
        self.along_answer(route, within_m, filter)?
            .read(self.store.conn())
    }

    /// The first MAX_ALONG_RESULTS along the route; a walk past MAX_WORK_MS stops with a
    /// refusal rather than hold a shared server.
    pub fn along_answer(&self, route: &Route, within_m: f64, filter: &Filter) -> Result<Answer> {
        let deadline = Instant::now() + Duration::from_millis(MAX_WORK_MS);
        let mut found = route::along(&self.index, route, within_m, filter, deadline)
            .map_err(|_| Message::TooMuchWork { ms: MAX_WORK_MS })?;
        found.truncate(MAX_ALONG_RESULTS);
        let items = found
            .into_iter()
            .map(|f| Pending {
                along_m: Some(f.along_m),
                offset_m: Some(f.offset_m),
                ..self.pending(f.pk, filter)
            })
            .collect();
        Ok(Answer {
            from: Some(route.start()),
            items,
        })
    }

    /// Name/address search (works for Chinese: trigram full-text search, substring match for
    /// words shorter than three characters). With `near`, results are ordered by distance;
    /// without, by relevance.
    pub fn search(
        &self,
        text: &str,
        near: Option<LatLon>,
        limit: usize,
        filter: &Filter,
    ) -> Result<Vec<Hit>> {
        self.search_answer(text, near, limit, filter)?
            .read(self.store.conn())
    }

    pub fn search_answer(
        &self,
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
        store::search::matching(self.store.conn(), &words, |pk| {
            let pk = pk as u32;
            let Some(s) = self.index.summary(pk) else {
                return true;
            };
            if filter.admits(&self.index, s) {
                let distance_m = near.map_or(0.0, |p| p.distance_m(s.location));
                found.push(Found { pk, distance_m });
            }
            // Without a position the best matches come first: stop at the limit.
            near.is_some() || found.len() < limit
        })?;
        if near.is_some() {
            query::sort_found(&self.index, &mut found);
            found.truncate(limit);
        }
        Ok(self.found_answer(near, found, filter))
    }

    /// A checked query's answer (rows not yet read): the one entry point every face uses.
    pub fn answer(&self, query: &Query) -> Result<Answer> {
        Ok(match query {
            Query::Near(Near { at, k, filter }) => self.nearest_answer(*at, *k, filter),
            Query::Within(Within {
                at,
                radius_m,
                filter,
            }) => self.within_answer(*at, *radius_m, filter),
            Query::InBox(InBox {
                bbox,
                limit,
                filter,
            }) => self.in_box_answer(bbox, *limit, filter),
            Query::Search(Search {
                text,
                near,
                k,
                filter,
            }) => self.search_answer(text, *near, *k, filter)?,
            Query::Along(Along {
                route,
                within_m,
                filter,
            }) => self.along_answer(route, *within_m, filter)?,
        })
    }

    /// A checked query's hits.
    pub fn hits(&self, query: &Query) -> Result<Vec<Hit>> {
        self.answer(query)?.read(self.store.conn())
    }

    /// Every station's id, kind and position in `crs`, from memory (no rows read).
    pub fn map_points(&self, crs: crate::Crs) -> MapPoints {
        let round = |v: f64| (v * 1e5).round() / 1e5;
        let mut points = MapPoints {
            kind_ids: Kind::ALL.iter().map(|k| k.id()).collect(),
            ids: Vec::with_capacity(self.len()),
            kinds: Vec::with_capacity(self.len()),
            lat: Vec::with_capacity(self.len()),
            lon: Vec::with_capacity(self.len()),
        };
        for (_, s) in self.index.summaries() {
            points.ids.push(s.id.to_string());
            points
                .kinds
                .push(Kind::ALL.iter().position(|k| *k == s.kind).unwrap_or(0) as u8);
            let p = crs.from_wgs84(s.location);
            points.lat.push(round(p.lat));
            points.lon.push(round(p.lon));
        }
        points
    }

    pub fn info(&self) -> Result<CatalogInfo> {
        let counts = store::counts(self.store.conn())?;
        let per_kind: Vec<KindCount> = Kind::ALL
            .iter()
            .map(|&kind| KindCount {
                kind,
                count: counts
                    .per_kind
                    .iter()
                    .find(|(id, _)| id == kind.id())
                    .map_or(0, |(_, n)| *n),
            })
            .collect();
        let stations: usize = per_kind.iter().map(|k| k.count).sum();
        let (synthetic, last_updated) = (counts.synthetic, counts.last_updated);
        Ok(CatalogInfo {
            path: self.path().display().to_string(),
            schema_version: self.store.schema_version()?,
            file_bytes: std::fs::metadata(self.path()).map(|m| m.len()).unwrap_or(0),
            stations,
            per_kind,
            synthetic,
            synthetic_share: if stations == 0 {
                0.0
            } else {
                synthetic as f64 / stations as f64
            },
            last_updated,
        })
    }

    fn found_answer(&self, from: Option<LatLon>, found: Vec<Found>, filter: &Filter) -> Answer {
        let items = found
            .into_iter()
            .map(|f| self.pending(f.pk, filter))
            .collect();
        Answer { from, items }
    }

    fn pending(&self, pk: u32, filter: &Filter) -> Pending {
        let summary = self.index.summary(pk);
        let open_now = summary.and_then(|s| self.index.open_state(s, filter.time).as_option());
        let changes_at = summary
            .filter(|_| open_now.is_some())
            .and_then(|s| self.index.next_change(s, filter.time));
        Pending {
            pk,
            open_now,
            changes_at,
            along_m: None,
            offset_m: None,
        }
    }
}
