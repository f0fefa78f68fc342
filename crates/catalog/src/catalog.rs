//! The catalog: the SQLite store and the spatial index kept in step, and the one query API the
//! CLI, the server and the app all use.

use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

use crate::answer::{Answer, Detail, Hit, MapView};
use crate::answering;
use crate::confirmations::StationFacts;
use crate::error::{CatalogError, Result};
use crate::index::SpatialIndex;
use crate::message::Message;
use crate::model::{Kind, Station};
use crate::progress::Progress;
use crate::proposals::{CheckedProposal, Kept, Proposal, ProposalState};
use crate::query::{BBox, Filter};
use crate::readers::Readers;
use crate::request::{DetailQuery, Query};
use crate::request::{Editor, check_patch, check_proposal};
use crate::route::Route;
use crate::sphere::LatLon;
use crate::store::accounts::Accounts;
use crate::store::audit::AuditEntry;
use crate::store::confirmations::Confirmations;
use crate::store::outbox::Outbox;
use crate::store::proposal_outbox::ProposalOutbox;
use crate::store::proposals::{Proposals, Proposer};
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

impl CatalogInfo {
    /// The facts of a catalog at `path` (a file, or a database named without its password)
    /// from its counts.
    pub fn new(
        path: String,
        schema_version: i64,
        bytes: u64,
        counts: store::Counts,
    ) -> CatalogInfo {
        let per_kind: Vec<KindCount> = Kind::ALL
            .iter()
            .map(|&kind| KindCount {
                kind,
                // One kind may come in more than one group (`store::counts`).
                count: counts
                    .per_kind
                    .iter()
                    .filter(|(id, _)| id == kind.id())
                    .map(|(_, n)| n)
                    .sum(),
            })
            .collect();
        let stations: usize = per_kind.iter().map(|k| k.count).sum();
        CatalogInfo {
            path,
            schema_version,
            file_bytes: bytes,
            stations,
            per_kind,
            synthetic: counts.synthetic,
            synthetic_share: if stations == 0 {
                0.0
            } else {
                counts.synthetic as f64 / stations as f64
            },
            last_updated: counts.last_updated,
        }
    }
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
    /// Shared so a server can hand the index at one moment to queries on other threads while
    /// this catalog writes (a write then works on its own copy: `Arc::make_mut`).
    index: Arc<SpatialIndex>,
    /// Packing the index into the file after a build from the rows, on a thread of its own so
    /// that no answer waits for it (index/packed.rs); waited for when the catalog closes.
    packing: Option<std::thread::JoinHandle<()>>,
    /// The catalog's generation when the index was last loaded or found current: another
    /// connection's commit that leaves it where it was (this catalog's own packer, another
    /// program's account changes) changes nothing the index holds.
    generation_seen: Option<i64>,
}

impl Drop for Catalog {
    fn drop(&mut self) {
        self.finish_packing();
    }
}

impl Catalog {
    /// Opens an existing catalog (or creates an empty one) and builds its index.
    pub fn open(path: &Path) -> Result<Catalog> {
        let store = Store::open(path)?;
        let mut catalog = Catalog {
            store,
            index: Arc::default(),
            packing: None,
            generation_seen: None,
        };
        catalog.load_index(true)?;
        Ok(catalog)
    }

    /// Loads the index (index::SpatialIndex::load) and, when it had to be built from the rows
    /// and `pack` allows, packs it for the next open in the background.
    fn load_index(&mut self, pack: bool) -> Result<()> {
        // One packer at a time, and none reading while the index is loaded again.
        self.finish_packing();
        let loaded = SpatialIndex::load(self.store.conn(), self.store.path())?;
        self.index = Arc::new(loaded.index);
        self.generation_seen = loaded.generation;
        if let Some(generation) = loaded.pack_at.filter(|_| pack) {
            let (index, path) = (self.index.clone(), self.store.path().to_path_buf());
            self.packing = Some(std::thread::spawn(move || index.pack(&path, generation)));
        }
        Ok(())
    }

    /// Waits for the index being packed, if it is.
    fn finish_packing(&mut self) {
        if let Some(packing) = self.packing.take() {
            // A packer that failed leaves no packed index, which is only a cache.
            let _ = packing.join();
        }
    }

    /// Creates the catalog file at `path` by filling a temporary file beside it (`fill` gets
    /// its path) and renaming it into place, so an interrupted first run never leaves a
    /// half-made catalog behind.
    pub fn create(path: &Path, fill: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
        create_atomically(path, fill)
    }

    /// Leaves the file self-contained (no -wal beside it), so it may be copied or shipped as
    /// it is.
    pub fn close_as_single_file(mut self) -> Result<()> {
        // Leaving WAL mode needs the file to itself: the packer first.
        self.finish_packing();
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

    /// The index as it is now, to answer queries on other threads (with `Readers`) while this
    /// catalog goes on writing: later writes do not change it.
    pub fn shared_index(&self) -> Arc<SpatialIndex> {
        self.index.clone()
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
            self.load_index(true)?;
        } else {
            for (pk, i) in changed {
                Arc::make_mut(&mut self.index).upsert(pk, &stations[i]);
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
        self.save_station_with(station, actor, action, |_| Ok(()))
    }

    /// An operator's saved listing, and their confirmation of every fact it states (they vouch
    /// for what it says now), in one transaction.
    pub fn save_operator_listing(&mut self, station: &Station, username: &str) -> Result<Station> {
        let operator = format!("operator:{username}");
        let said: Vec<_> = crate::confirmations::listed_facts(station)
            .into_iter()
            .map(|fact| crate::confirmations::Confirmation {
                station_id: station.id.clone(),
                fact,
                holds: true,
                device: None,
            })
            .collect();
        let now = crate::exchange::now_rfc3339();
        let saved = self.save_station_with(station, username, "edit", |tx| {
            record_confirmations(tx, &said, &operator, &operator, &now).map(|_| ())
        })?;
        self.index_facts(&station.id)?;
        Ok(saved)
    }

    /// `save_station`, with `also` written in the same transaction (and undone with it).
    fn save_station_with(
        &mut self,
        station: &Station,
        actor: &str,
        action: &str,
        also: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<()>,
    ) -> Result<Station> {
        let now = crate::exchange::now_rfc3339();
        let tx = self.store.conn_mut().transaction()?;
        let outcome = store::upsert(&tx, station, &now)?;
        let detail = serde_json::to_string(station).unwrap_or_default();
        store::audit::record(&tx, actor, action, Some(&station.id), &detail, &now)?;
        also(&tx)?;
        tx.commit()?;
        if let Upserted::Inserted(pk) | Upserted::Updated(pk) = outcome {
            Arc::make_mut(&mut self.index).upsert(pk, station);
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
        Arc::make_mut(&mut self.index).remove(pk);
        Ok(())
    }

    /// Applies a page of the server's change feed and records the new sequence, all in one
    /// transaction: a client stopped half-way keeps the old state or the new, never half.
    pub fn apply_changes(
        &mut self,
        page: &crate::feed::ChangePage,
        facts: &[(&str, String)],
    ) -> Result<()> {
        self.apply_page(page, facts, false)
    }

    /// `apply_changes` for a replica's copy of the database's catalog, which also keeps the
    /// feed as the page gives it (entries at their own positions, the head at the page's
    /// `last_seq`), so the copy serves the same change pages as the database.
    pub fn mirror_changes(&mut self, page: &crate::feed::ChangePage) -> Result<()> {
        self.apply_page(page, &[], true)
    }

    fn apply_page(
        &mut self,
        page: &crate::feed::ChangePage,
        facts: &[(&str, String)],
        keep_feed: bool,
    ) -> Result<()> {
        let tx = self.store.conn_mut().transaction()?;
        if keep_feed {
            let now = crate::exchange::now_rfc3339();
            for change in &page.changes {
                crate::store::feed::record(&tx, change, &now)?;
            }
            crate::store::feed::advance_head(&tx, page.last_seq)?;
        }
        let mut written = Vec::new();
        let mut deleted = Vec::new();
        let mut facts_of = Vec::new();
        for change in &page.changes {
            match (change.op, &change.station) {
                (crate::feed::ChangeOp::Facts, _) => {
                    Confirmations(&tx).replace(
                        &change.station_id,
                        change.facts.as_deref().unwrap_or_default(),
                    )?;
                    facts_of.push(change.station_id.as_str());
                }
                (crate::feed::ChangeOp::Other, _) => {}
                (_, Some(s)) => written.push((store::put_exact(&tx, s)?, s)),
                (_, None) => {
                    Confirmations(&tx).replace(&change.station_id, &[])?;
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
            Arc::make_mut(&mut self.index).remove(pk);
        }
        for (pk, s) in written {
            // A station new to the index may have had its tallies come before it (its newer
            // `station` entry follows its `facts` entry in the feed); one already there keeps
            // its tallies under its key.
            let new = self.index.summary(pk as u32).is_none();
            Arc::make_mut(&mut self.index).upsert(pk, s);
            if new {
                facts_of.push(s.id.as_str());
            }
        }
        for station_id in facts_of {
            self.index_facts(station_id)?;
        }
        Ok(())
    }

    /// Replaces every station and tally with a snapshot's (synthetic seed rows included) and
    /// records the new facts, in one transaction. The catalog's own change feed is forgotten
    /// (`store::feed::forget`): a device keeps none.
    /// Progress reports every row written, inside the transaction: "applying".
    pub fn replace_all(
        &mut self,
        stations: &[Station],
        tallies: &[crate::confirmations::FactTally],
        facts: &[(&str, String)],
        progress: &mut dyn Progress,
    ) -> Result<()> {
        self.replace(stations, tallies, facts, None, progress)
    }

    /// `replace_all` for a replica's copy: the feed too — its entries (the station and facts
    /// bodies left out: the copy reads them from its own rows), its head and its tombstone
    /// horizon — so the copy serves the same change pages as the catalog it copies.
    pub fn mirror_all(
        &mut self,
        stations: &[Station],
        tallies: &[crate::confirmations::FactTally],
        feed: &crate::feed::FeedState,
    ) -> Result<()> {
        self.replace(
            stations,
            tallies,
            &[],
            Some(feed),
            &mut crate::progress::Silent,
        )
    }

    fn replace(
        &mut self,
        stations: &[Station],
        tallies: &[crate::confirmations::FactTally],
        facts: &[(&str, String)],
        feed: Option<&crate::feed::FeedState>,
        progress: &mut dyn Progress,
    ) -> Result<()> {
        progress.begin("applying", stations.len() as u64);
        let tx = self.store.conn_mut().transaction()?;
        store::forget_tallies(&tx)?;
        match feed {
            Some(feed) => {
                crate::store::feed::restart(&tx, feed.head, feed.tombstone_horizon)?;
                let now = crate::exchange::now_rfc3339();
                for change in &feed.entries {
                    crate::store::feed::record(&tx, change, &now)?;
                }
            }
            None => crate::store::feed::forget(&tx)?,
        }
        let mut kept = Vec::with_capacity(stations.len());
        for s in stations {
            kept.push(store::put_exact(&tx, s)?);
            progress.advance(1);
        }
        store::remove_all_but(&tx, &kept)?;
        let mut by_station: std::collections::BTreeMap<&str, Vec<_>> = Default::default();
        for t in tallies {
            by_station.entry(&t.station_id).or_default().push(t.clone());
        }
        let confirmations = Confirmations(&tx);
        for (station_id, tallies) in by_station {
            confirmations.replace(station_id, &tallies)?;
        }
        for (key, value) in facts {
            store::set_meta(&tx, key, value)?;
        }
        tx.commit()?;
        progress.end();
        // The packer of an earlier write first: tidying takes the file to itself.
        self.finish_packing();
        store::tidy_after_rewrite(self.store.conn());
        self.load_index(true)?;
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
        crate::store::feed::since(self.store.conn(), since, limit, true)
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

    /// The confirmations the server has received.
    pub fn confirmations(&self) -> Confirmations<'_> {
        Confirmations(self.store.conn())
    }

    /// Keeps the confirmations `said` by `device` (already checked) at `now`, counting for
    /// `voice` (the address or operator they came from: one voice however many devices),
    /// recounts the station's facts and puts them in the change feed, in one transaction; how
    /// many counted (a device's second word on a fact in a day does not).
    pub fn confirm(
        &mut self,
        said: &[crate::confirmations::Confirmation],
        device: &str,
        voice: &str,
        now: &str,
    ) -> Result<usize> {
        let tx = self.store.conn_mut().transaction()?;
        let (counted, stations) = record_confirmations(&tx, said, device, voice, now)?;
        tx.commit()?;
        for station_id in stations {
            self.index_facts(station_id)?;
        }
        Ok(counted)
    }

    /// Recounts the tallies of up to `max_stations` stations whose words have left the 30-day
    /// window by `now`, forgets those words (each tally keeps its last confirmation) and puts
    /// the new tallies in the change feed, in one transaction; how many stations. The server
    /// runs it every so often, so counts fall without new confirmations.
    pub fn age_tallies(&mut self, now: &str, max_stations: usize) -> Result<usize> {
        let since = crate::confirmations::window_start(now);
        let tx = self.store.conn_mut().transaction()?;
        let confirmations = Confirmations(&tx);
        let stations = confirmations.stations_with_words_before(&since, max_stations)?;
        for station_id in &stations {
            // Words about a station no longer listed are only forgotten (no tally comes back).
            if store::pk_of(&tx, station_id)?.is_some() {
                confirmations.recount(station_id, &since)?;
                store::log_facts(&tx, station_id, now)?;
            }
            confirmations.forget_before(station_id, &since)?;
        }
        tx.commit()?;
        for station_id in &stations {
            self.index_facts(station_id)?;
        }
        Ok(stations.len())
    }

    /// Puts a station's tallies as stored into the index, so answers and the `confirmed`
    /// filter see them.
    fn index_facts(&mut self, station_id: &str) -> Result<()> {
        let Some(pk) = store::pk_of(self.store.conn(), station_id)? else {
            return Ok(());
        };
        let tallies = Confirmations(self.store.conn()).tallies(station_id)?;
        let facts = (!tallies.is_empty()).then(|| StationFacts::new(tallies));
        Arc::make_mut(&mut self.index).set_facts(pk, facts);
        Ok(())
    }

    /// Checks a driver's confirmation before it is queued or kept: the station exists, the fact
    /// is `open` or a service, the device id is short plain text.
    pub fn check_confirmation(&self, c: &crate::confirmations::Confirmation) -> Result<()> {
        let station = self.station(&c.station_id)?;
        if !crate::confirmations::valid_fact(&c.fact) {
            return Err(CatalogError::Refused(Message::UnknownId {
                field: "fact",
                given: c.fact.clone(),
                accepted: format!(
                    "{}, {}, {}",
                    crate::confirmations::OPEN,
                    crate::confirmations::FREE_TRUCK_SPACES,
                    crate::model::Service::accepted()
                ),
            }));
        }
        if !crate::confirmations::confirmable(&station, &c.fact) {
            return Err(CatalogError::Refused(Message::BadField {
                field: "fact".into(),
                problem: format!(
                    "station {} does not list {} (propose it instead)",
                    c.station_id, c.fact
                ),
            }));
        }
        if let Some(device) = &c.device {
            // Letters, digits, - and _ only: `operator:NAME` and `addr:…` are the server's own
            // keys, which a client must not be able to take.
            let plain = device
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_');
            if !plain || device.chars().count() > crate::request::limits::MAX_DEVICE_CHARS {
                return Err(CatalogError::Refused(Message::BadField {
                    field: "device".into(),
                    problem: "must be 1-64 letters, digits, - or _".into(),
                }));
            }
        }
        Ok(())
    }

    /// The proposals this device made: waiting, refused, and sent.
    pub fn proposal_outbox(&self) -> ProposalOutbox<'_> {
        ProposalOutbox(self.store.conn())
    }

    /// The proposals the server keeps for review.
    pub fn proposals(&self) -> Proposals<'_> {
        Proposals(self.store.conn())
    }

    /// Checks and keeps a proposal, pending review; returns its id and the station it may
    /// duplicate (a new station only).
    pub fn propose(
        &self,
        proposal: &Proposal,
        by: &Proposer<'_>,
        now: &str,
    ) -> Result<(i64, Option<String>)> {
        let (checked, duplicate) = self.checked_proposal(proposal)?;
        let id = self
            .proposals()
            .record(&checked, by, duplicate.as_deref(), now)?;
        Ok((id, duplicate))
    }

    /// A proposal checked against the station it changes, and the station a new one may
    /// duplicate (whoever keeps it: this file, or a replica's database).
    pub fn checked_proposal(
        &self,
        proposal: &Proposal,
    ) -> Result<(CheckedProposal, Option<String>)> {
        let current = match &proposal.station_id {
            Some(id) => Some(self.station(id)?),
            None => None,
        };
        let checked = check_proposal(proposal, current.as_ref()).map_err(CatalogError::Refused)?;
        let duplicate = match &checked.station_id {
            None => self.possible_duplicate(&proposed_station(&checked, "proposal")?)?,
            Some(_) => None,
        };
        Ok((checked, duplicate))
    }

    /// A station this new one may duplicate: one of the same kind within `SAME_PLACE_M`, else
    /// one with a similar name within `SIMILAR_NAME_M`.
    fn possible_duplicate(&self, new: &Station) -> Result<Option<String>> {
        let now = crate::hours::china_local(chrono::Utc::now());
        let mut same_kind = Filter::any_at(now);
        same_kind.kinds = std::iter::once(new.kind).collect();
        if let Some(hit) = self
            .nearest(new.location, 1, &same_kind)?
            .into_iter()
            .next()
            && hit.distance_m.is_some_and(|d| d <= SAME_PLACE_M)
        {
            return Ok(Some(hit.station.id));
        }
        let nearby = self.within(new.location, SIMILAR_NAME_M, &Filter::any_at(now))?;
        Ok(nearby
            .into_iter()
            .find(|h| crate::proposals::similar_names(&h.station.name, &new.name))
            .map(|h| h.station.id))
    }

    /// Approves a pending proposal as `actor`: a new station is created (id `prop-<id>`,
    /// source `proposal`), a change is applied to the station as it is now. The station, its
    /// audit record and the proposal's new state are written in one transaction; the station
    /// reaches clients through the change feed like any other write.
    pub fn approve_proposal(&mut self, id: i64, actor: &str) -> Result<Station> {
        let kept = pending(self.proposals().get(id)?, id)?;
        let station = match kept.changes() {
            Some(station_id) => approved_station(&kept, Some(&self.station(station_id)?))?,
            None => Station {
                id: self.free_station_id(id)?,
                ..approved_station(&kept, None)?
            },
        };
        let now = crate::exchange::now_rfc3339();
        let (station_id, by) = (station.id.clone(), actor.to_string());
        self.save_station_with(&station, actor, "proposal.approve", |tx| {
            let pending = Proposals(tx).decide(
                id,
                ProposalState::Approved,
                Some(&station_id),
                None,
                &by,
                &now,
            )?;
            decided_now(pending, id)
        })
    }

    /// Rejects a pending proposal as `actor`, with the reason its proposer will see.
    pub fn reject_proposal(&mut self, id: i64, reason: &str, actor: &str) -> Result<()> {
        let reason = &crate::request::check_reason(reason).map_err(CatalogError::Refused)?;
        pending(self.proposals().get(id)?, id)?;
        let now = crate::exchange::now_rfc3339();
        let tx = self.store.conn_mut().transaction()?;
        let pending =
            Proposals(&tx).decide(id, ProposalState::Rejected, None, Some(reason), actor, &now)?;
        decided_now(pending, id)?;
        let detail = serde_json::json!({"proposal": id, "reason": reason}).to_string();
        store::audit::record(&tx, actor, "proposal.reject", None, &detail, &now)?;
        tx.commit()?;
        Ok(())
    }

    /// `prop-NNNNNN` for proposal N, or with -2, -3 … when that id is taken already (an admin
    /// may have used it): an approval creates a station, it never overwrites one.
    fn free_station_id(&self, proposal: i64) -> Result<String> {
        for id in new_station_ids(proposal) {
            match self.station(&id) {
                Err(CatalogError::NotFound(_)) => return Ok(id),
                Err(e) => return Err(e),
                Ok(_) => {}
            }
        }
        Err(no_free_station_id())
    }

    /// The problem reports the server has received.
    pub fn received_reports(&self) -> Reports<'_> {
        Reports(self.store.conn())
    }

    /// A page of audit records, newest first: `limit` of them, older than `before` if given.
    pub fn audit_log(&self, limit: usize, before: Option<i64>) -> Result<Vec<AuditEntry>> {
        store::audit::newest(self.store.conn(), limit, before)
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
        answering::detail(&self.index, self.store.conn(), id, q)
    }

    /// Calls `f` with every station, ordered by id, without holding them all in memory.
    pub fn for_each_station(&self, f: impl FnMut(&Station) -> Result<()>) -> Result<()> {
        store::for_each_station(self.store.conn(), f)
    }

    /// The `k` nearest stations to `at` that pass the filter.
    pub fn nearest(&self, at: LatLon, k: usize, filter: &Filter) -> Result<Vec<Hit>> {
        self.read(answering::nearest(&self.index, at, k, filter))
    }

    /// Every station within `radius_m` of `at` that passes the filter, nearest first.
    pub fn within(&self, at: LatLon, radius_m: f64, filter: &Filter) -> Result<Vec<Hit>> {
        self.read(answering::within(&self.index, at, radius_m, filter))
    }

    /// Stations inside a map view, nearest its centre first, at most `limit`.
    pub fn in_box(&self, bbox: &BBox, limit: usize, filter: &Filter) -> Result<Vec<Hit>> {
        self.read(answering::in_box(&self.index, bbox, limit, filter))
    }

    /// Stations within `within_m` of the route, in order along it; distances are from its start.
    pub fn along(&self, route: &Route, within_m: f64, filter: &Filter) -> Result<Vec<Hit>> {
        self.read(answering::along(&self.index, route, within_m, filter)?)
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
        let conn = self.store.conn();
        self.read(answering::search(
            &self.index,
            conn,
            text,
            near,
            limit,
            filter,
        )?)
    }

    /// A checked query's answer (rows not yet read): the one entry point every face uses.
    pub fn answer(&self, query: &Query) -> Result<Answer> {
        answering::answer(&self.index, || self.store.conn(), query)
    }

    /// A checked query's hits.
    pub fn hits(&self, query: &Query) -> Result<Vec<Hit>> {
        self.read(self.answer(query)?)
    }

    fn read(&self, answer: Answer) -> Result<Vec<Hit>> {
        answer.read(self.store.conn())
    }

    /// What the map shows of a view, from memory (no rows read).
    pub fn map_view(&self, q: &crate::request::MapViewQuery) -> MapView {
        answering::map_view(&self.index, q)
    }

    /// Every commit reaches the disk before it returns (for a server; see `Store::make_durable`).
    pub fn make_durable(&self) -> Result<()> {
        self.store.make_durable()
    }

    /// Whether another program (a `waystation import` into a served catalog) has written to the
    /// file since this catalog last looked; if so, the index is rebuilt from the file. Cheap
    /// when nothing changed (one `PRAGMA data_version`).
    pub fn reload_if_written_elsewhere(&mut self) -> Result<bool> {
        if !self.store.written_elsewhere()? {
            return Ok(false);
        }
        let now = store::packed_index::generation(self.store.conn())
            .ok()
            .flatten();
        if now.is_some() && now == self.generation_seen {
            return Ok(false);
        }
        // Not packed: a server looks often, and its next start builds from the rows anyway if
        // the file moves on; packing here would be one more commit for it to see.
        if let Err(failed) = self.load_index(false) {
            // The write is still to be taken in: look again next time.
            self.store.look_again();
            return Err(failed);
        }
        Ok(true)
    }

    /// What each part of the file costs on disk, largest first (once the index being packed,
    /// if it is, is in).
    pub fn file_parts(&mut self) -> Result<Vec<store::sizes::FilePart>> {
        self.finish_packing();
        store::sizes::parts(self.store.conn())
    }

    pub fn info(&self) -> Result<CatalogInfo> {
        Ok(CatalogInfo::new(
            self.path().display().to_string(),
            self.store.schema_version()?,
            std::fs::metadata(self.path()).map(|m| m.len()).unwrap_or(0),
            store::counts(self.store.conn())?,
        ))
    }
}

/// A new station of this kind this close is probably the one proposed.
const SAME_PLACE_M: f64 = 150.0;
/// A station with a similar name this close is probably the one proposed.
const SIMILAR_NAME_M: f64 = 1000.0;

/// The whole station a new-station proposal describes, with `id` (its source: a proposal).
fn proposed_station(p: &CheckedProposal, id: &str) -> Result<Station> {
    let mut fields = p.fields.clone();
    fields.insert("id".into(), id.into());
    fields.insert("source".into(), crate::model::Source::Proposal.id().into());
    check_patch(&fields, None, Editor::Admin).map_err(CatalogError::Refused)
}

/// The rules of approving a proposal, for every store that keeps proposals.
///
/// The station approving `kept` saves: its change applied to `current` (the station as it is
/// now), or — with no `current` — a new station (source `proposal`) still to be given its id.
pub fn approved_station(kept: &Kept, current: Option<&Station>) -> Result<Station> {
    match current {
        Some(current) => {
            check_patch(&kept.fields, Some(current), Editor::Admin).map_err(CatalogError::Refused)
        }
        None => {
            let checked = CheckedProposal {
                station_id: None,
                fields: kept.fields.clone(),
                note: None,
                contact: None,
                device: None,
            };
            proposed_station(&checked, "proposal")
        }
    }
}

/// The ids a station created by approving proposal N may take, in order: `prop-NNNNNN`, then
/// with -2, -3 … when that one is taken (an admin may have used it): an approval creates a
/// station, it never overwrites one.
pub fn new_station_ids(proposal: i64) -> impl Iterator<Item = String> {
    let base = format!("prop-{proposal:06}");
    (1..=100).map(move |n| {
        if n == 1 {
            base.clone()
        } else {
            format!("{base}-{n}")
        }
    })
}

/// Every id `new_station_ids` offers is taken.
pub fn no_free_station_id() -> CatalogError {
    CatalogError::Refused(Message::NotProposable { field: "id" })
}

/// `kept` if it is still pending; why it cannot be decided otherwise.
pub fn pending(kept: Option<Kept>, id: i64) -> Result<Kept> {
    let kept =
        kept.ok_or_else(|| CatalogError::Refused(Message::NoProposal { id: id.to_string() }))?;
    if kept.state != ProposalState::Pending {
        return Err(CatalogError::Refused(Message::AlreadyDecided {
            id,
            state: kept.state.id().to_string(),
        }));
    }
    Ok(kept)
}

/// A proposal decided by someone else between our read and our write is not decided twice.
pub fn decided_now(was_pending: bool, id: i64) -> Result<()> {
    if was_pending {
        Ok(())
    } else {
        Err(CatalogError::Refused(Message::AlreadyDecided {
            id,
            state: "decided".into(),
        }))
    }
}

/// Keeps the confirmations `said` in `tx`, recounts their stations' facts and puts them in the
/// change feed; how many counted, and the stations whose tallies changed.
fn record_confirmations<'a>(
    tx: &rusqlite::Transaction<'_>,
    said: &'a [crate::confirmations::Confirmation],
    device: &str,
    voice: &str,
    now: &str,
) -> Result<(usize, std::collections::BTreeSet<&'a str>)> {
    let since = crate::confirmations::window_start(now);
    let confirmations = Confirmations(tx);
    let mut counted = 0;
    let mut stations = std::collections::BTreeSet::new();
    for c in said {
        if confirmations.record(c, device, voice, now)? {
            counted += 1;
            stations.insert(c.station_id.as_str());
        }
    }
    for station_id in &stations {
        confirmations.recount(station_id, &since)?;
        store::log_facts(tx, station_id, now)?;
    }
    Ok((counted, stations))
}
