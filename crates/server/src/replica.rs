//! A replica's store. PostgreSQL is the catalog's system of record, shared by any number of
//! replicas; each replica keeps a local copy of the stations and their tallies (a catalog file in
//! a temporary folder) that answers every query — nearest, radius, route, text search, detail,
//! map — from its index exactly as the embedded store does, and follows the database's change
//! feed to stay current: woken by each commit (LISTEN), it applies the pages after the position
//! it holds, as a phone does; behind the tombstone horizon (or ahead of a database restored from
//! a backup) it copies everything again. Writes, accounts, reports, proposals, tallies, the feed
//! and snapshots are the database's. A replica that writes waits until its copy holds the write,
//! so whoever wrote sees it in their next answer; the others see it when woken.
//!
//! When the database is out of reach, queries go on from the copy; whatever needs the database
//! is answered 503 with Retry-After, and the copy catches up when it returns.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, MutexGuard, Weak};
use std::time::Duration;

use deadpool_postgres::tokio_postgres;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio::runtime::Runtime;
use waystation_catalog::catalog::CatalogInfo;
use waystation_catalog::confirmations::{Confirmation, FactTally, listed_facts};
use waystation_catalog::feed::{ChangePage, Gone, SnapshotWithFacts};
use waystation_catalog::proposals::{Kept, Proposal, ProposalState};
use waystation_catalog::reports::{Received, Report};
use waystation_catalog::request::{DetailQuery, ListPage, MapViewQuery, ProposalPage};
use waystation_catalog::store::accounts::{Actor, Principal, Role, SessionInfo, User};
use waystation_catalog::store::audit::AuditEntry;
use waystation_catalog::store::proposals::Proposer;
use waystation_catalog::{Catalog, CatalogError, Detail, MapView, Query, Station, catalog};
use waystation_postgres as pg;
use waystation_postgres::stations::Save;

use crate::accounts::{self, AccountError};
use crate::snapshots::{PublishedSnapshot, SNAPSHOT_REUSE};
use crate::store::{
    CatalogStore, INBOX_MAX, REPORT_RETENTION_DAYS, Result, Served, ServedHit, Stale, days_ago,
};
use chrono::Utc;
use waystation_catalog::signed::SignedSnapshot;

/// Connections a replica keeps to the database (queries never need one: they answer from the
/// copy).
const CONNECTIONS: usize = 8;

/// Of those, at most this many serve what anyone may ask without logging in (kept snapshots),
/// so a crowd of such requests never leaves writes, logins or the follower without a
/// connection.
const ANONYMOUS_READS: usize = CONNECTIONS / 2;

/// How long a request waits for a connection, and for the database's answer, before it is told
/// the database is out of reach.
const DATABASE_WAIT: Duration = Duration::from_secs(10);

/// A replica looks for news this often even when no commit was heard (one may be lost with a
/// connection), and tries again this often while the database is out of reach.
const FALLBACK: Duration = Duration::from_secs(1);

/// Changes applied to the copy a page at a time.
const PAGE: usize = 1000;

/// Building a snapshot of the whole catalog (or waiting for the replica that builds it) may
/// take this long.
const SNAPSHOT_WAIT: Duration = Duration::from_secs(300);

pub struct PgStore {
    /// The local copy (dropped before the folder that holds it).
    local: Served,
    /// The feed position the copy holds: the head clients are told.
    at: AtomicI64,
    pool: Pool,
    /// Permits for anonymous reads (`ANONYMOUS_READS`).
    anonymous: tokio::sync::Semaphore,
    /// Signalled whenever the copy moves on (`wait_for_news`).
    moved: (std::sync::Mutex<()>, std::sync::Condvar),
    /// The database's URL, for the follower's own listening connection.
    url: String,
    /// Where the database's connections run; shut down without waiting when the store goes.
    runtime: Option<Runtime>,
    /// A replica forgets tombstones older than this; None: not a replica (an admin command).
    tombstone_days: Option<i64>,
    _folder: tempfile::TempDir,
}

impl PgStore {
    /// Connects to the database at `url` (its schema must be this build's: `waystation
    /// migrate`), copies the catalog locally and starts following the feed: a replica.
    /// `signer` must be the catalog's key (`signing::adopt`), so replicas never sign with
    /// different keys.
    pub fn open(
        url: &str,
        tombstone_days: i64,
        signer: &crate::signing::ServerKey,
    ) -> std::result::Result<Arc<PgStore>, String> {
        let mut store = PgStore::connect(url)?;
        store.tombstone_days = Some(tombstone_days);
        let shown = pg::shown(url);
        store.adopt(signer).map_err(|e| format!("{shown}: {e}"))?;
        // Listening before the copy is made: no commit falls between the copy and following.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        let listener = runtime
            .block_on(pg::follow::Listener::new(url))
            .map_err(|e| format!("{shown}: {e}"))?;
        store
            .copy_everything(&mut store.local.catalog())
            .map_err(|e| format!("{shown}: copying the catalog: {e}"))?;
        store.purge().map_err(|e| format!("{shown}: {e}"))?;
        let store = Arc::new(store);
        let follower = Arc::downgrade(&store);
        std::thread::Builder::new()
            .name("follower".into())
            .spawn(move || follow(follower, runtime, listener))
            .map_err(|e| e.to_string())?;
        Ok(store)
    }

    /// Connects to the database at `url` for the admin commands: no copy of the stations is
    /// made (queries find none) and nothing is forgotten.
    pub fn connect(url: &str) -> std::result::Result<PgStore, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("database")
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        let shown = pg::shown(url);
        let checked = runtime.block_on(pg::open(url));
        checked.map_err(|e| format!("{shown}: {e}"))?;
        let config = pg::config(url).map_err(|e| format!("{shown}: {e}"))?;
        let manager = Manager::from_config(
            config,
            tokio_postgres::NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(CONNECTIONS)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(DATABASE_WAIT))
            .create_timeout(Some(DATABASE_WAIT))
            .build()
            .map_err(|e| e.to_string())?;
        forget_copies_of_dead_replicas();
        let folder = tempfile::Builder::new()
            .prefix(&format!("{COPY_PREFIX}{}-", std::process::id()))
            .tempdir()
            .map_err(|e| format!("a folder for the local copy: {e}"))?;
        let copy = Catalog::open(&folder.path().join("copy.sqlite")).map_err(|e| e.to_string())?;
        Ok(PgStore {
            local: Served::new(copy).map_err(|e| e.to_string())?,
            at: AtomicI64::new(0),
            pool,
            anonymous: tokio::sync::Semaphore::new(ANONYMOUS_READS),
            moved: Default::default(),
            url: url.to_string(),
            runtime: Some(runtime),
            tombstone_days: None,
            _folder: folder,
        })
    }

    /// Takes `signer` as the catalog's key, or says why not.
    fn adopt(&self, signer: &crate::signing::ServerKey) -> std::result::Result<(), String> {
        let public_key = signer.public_hex();
        let from: Vec<String> = signer.rotations().iter().map(|r| r.old.clone()).collect();
        let now = accounts::now();
        let adopted = self
            .db(async |c| pg::signing::adopt(c, &public_key, &from, &now).await)
            .map_err(|e| e.to_string())?;
        match adopted {
            pg::signing::Adopted::Foreign { newest } => Err(format!(
                "the catalog is signed with key {newest}, not with this key file's {public_key}: every replica must be given the same key file (or one re-keyed from it with `waystation admin rotate-key`)"
            )),
            pg::signing::Adopted::Rotated => {
                tracing::info!(key = %public_key, "the catalog is now signed with a new key");
                Ok(())
            }
            pg::signing::Adopted::First | pg::signing::Adopted::Same => Ok(()),
        }
    }

    fn runtime(&self) -> &Runtime {
        self.runtime
            .as_ref()
            .expect("the runtime lives as long as the store")
    }

    /// Runs `work` on a pooled connection, bounded by `DATABASE_WAIT`. Call it from a blocking
    /// thread (the handlers' `on_store`), never on an async worker.
    fn db<T>(
        &self,
        work: impl AsyncFnOnce(&mut tokio_postgres::Client) -> pg::Result<T>,
    ) -> Result<T> {
        self.db_within(DATABASE_WAIT, work)
    }

    /// `db` for a read anyone may ask for: it waits for one of the `ANONYMOUS_READS` permits
    /// first (within the same bound).
    fn db_anonymous<T>(
        &self,
        work: impl AsyncFnOnce(&mut tokio_postgres::Client) -> pg::Result<T>,
    ) -> Result<T> {
        let permit = self.runtime().block_on(async {
            tokio::time::timeout(DATABASE_WAIT, self.anonymous.acquire()).await
        });
        let Ok(Ok(_permit)) = permit else {
            return Err(CatalogError::Unavailable(
                "every connection for reads is busy".into(),
            ));
        };
        self.db(work)
    }

    /// `db`, bounded by `wait`.
    fn db_within<T>(
        &self,
        wait: Duration,
        work: impl AsyncFnOnce(&mut tokio_postgres::Client) -> pg::Result<T>,
    ) -> Result<T> {
        self.runtime().block_on(async {
            let mut client = self.pool.get().await.map_err(|e| match e {
                deadpool_postgres::PoolError::Backend(e) => from_database(e.into()),
                other => CatalogError::Unavailable(other.to_string()),
            })?;
            match tokio::time::timeout(wait, work(&mut client)).await {
                Ok(done) => done.map_err(from_database),
                Err(_) => Err(CatalogError::Unavailable(format!(
                    "no answer in {} s",
                    wait.as_secs()
                ))),
            }
        })
    }

    /// Replaces the copy with everything the database holds now, its feed included.
    fn copy_everything(&self, copy: &mut MutexGuard<'_, Catalog>) -> Result<()> {
        let everything =
            self.db_within(SNAPSHOT_WAIT, async |c| pg::stations::everything(c).await)?;
        let all = &everything.all;
        let copied = copy.mirror_all(&all.stations, &all.facts, &everything.feed);
        // Published even when it fails: it may have failed after committing.
        self.local.publish(copy);
        copied?;
        self.at.store(everything.feed.head, Ordering::Release);
        self.moved_on();
        Ok(())
    }

    /// Brings the copy up to the database's head: the pages after the position it holds,
    /// applied in order (or everything again when the feed no longer reaches back to it). Each
    /// page is read without holding the copy's lock (a slow database holds up no one but this
    /// caller) and applied under the lock only if the copy is still where the page starts, so
    /// pages are applied once and in order whoever calls.
    fn catch_up(&self) -> Result<()> {
        loop {
            let at = self.at.load(Ordering::Acquire);
            let page = self.db(async |c| pg::feed::since(c, at, PAGE, true).await)?;
            let mut copy = self.local.catalog();
            if self.at.load(Ordering::Acquire) != at {
                // Another caller applied this page (or more) meanwhile: read on from there.
                continue;
            }
            match page {
                Err(Gone { horizon }) => {
                    tracing::info!(at, horizon, "the feed is gone past the copy: copying all");
                    return self.copy_everything(&mut copy);
                }
                Ok(page) => {
                    if !page.changes.is_empty() || page.last_seq != at {
                        tracing::debug!(at, to = page.last_seq, "applying a page to the copy");
                        let applied = copy.mirror_changes(&page);
                        self.local.publish(&copy);
                        applied?;
                        self.at.store(page.last_seq, Ordering::Release);
                        self.moved_on();
                    }
                    if !page.more {
                        return Ok(());
                    }
                }
            }
        }
    }

    /// The copy moved on: whoever waits for news (`wait_for_news`) looks again. The waiters'
    /// lock is taken, so none can be between its look and its wait and miss this.
    fn moved_on(&self) {
        let _looking = self.moved.0.lock().unwrap_or_else(|p| p.into_inner());
        self.moved.1.notify_all();
    }

    /// After a write of ours committed: our copy (a replica's) holds it before the writer is
    /// answered.
    fn written<T>(&self, value: T) -> Result<T> {
        if self.tombstone_days.is_none() {
            return Ok(value);
        }
        if let Err(e) = self.catch_up() {
            // Committed all the same; the follower brings it in shortly.
            tracing::warn!(error = %e, "catching up after a write");
        }
        Ok(value)
    }

    /// Forgets tombstones past the window and reports older than a year (a replica only).
    fn purge(&self) -> Result<()> {
        let Some(tombstone_days) = self.tombstone_days else {
            return Ok(());
        };
        let (tombstones, reports) = (days_ago(tombstone_days), days_ago(REPORT_RETENTION_DAYS));
        self.db(async |c| {
            pg::feed::purge_tombstones(c, &tombstones).await?;
            pg::reports::forget_before(&*c, &reports).await
        })?;
        // The copy forgets them too, so it answers a client behind the window as the database
        // and the file server do (410: take a snapshot), and its feed does not grow for ever.
        self.local.catalog().purge_tombstones(&tombstones)?;
        Ok(())
    }

    fn exists(&self, name: &str) -> Result<bool> {
        Ok(self.credentials(name)?.is_some())
    }

    /// Saves `station` if it is still at `expected` — and with `also`, writes that in the same
    /// transaction once the station is saved.
    fn save_with(
        &self,
        station: &Station,
        expected: Option<i64>,
        actor: &str,
        action: &str,
        also: impl AsyncFnOnce(&tokio_postgres::Transaction<'_>, &str) -> pg::Result<()>,
    ) -> Result<std::result::Result<Station, Stale>> {
        let now = accounts::now();
        let saved = self.db(async |c| {
            let tx = c.transaction().await?;
            let saved = pg::stations::save_in(&tx, station, expected, actor, action, &now).await?;
            if matches!(saved, Save::Saved(_)) {
                also(&tx, &now).await?;
            }
            tx.commit().await?;
            Ok(saved)
        })?;
        match saved {
            Save::Saved(s) => self.written(Ok(s)),
            Save::Stale(s) => Ok(Err(Stale(s))),
        }
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        // The last handle may go on an async worker, where a runtime cannot wait to stop.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// A replica's copy lives in a temporary folder named after its process.
const COPY_PREFIX: &str = "waystation-replica-";

/// Removes the copies left by replicas that were killed (a stopped one removes its own): on
/// Linux, those whose process is gone.
fn forget_copies_of_dead_replicas() {
    let Ok(folders) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for folder in folders.flatten() {
        let name = folder.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(COPY_PREFIX))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        let gone =
            cfg!(target_os = "linux") && !std::path::Path::new(&format!("/proc/{pid}")).exists();
        if gone && std::fs::remove_dir_all(folder.path()).is_ok() {
            tracing::info!(folder = %folder.path().display(), "removed a killed replica's copy");
        }
    }
}

/// The follower: woken by each commit that took a feed position (or every `FALLBACK`), brings
/// the copy up to date; ends with the store.
/// `listener` runs on `runtime`, the follower's own.
fn follow(store: Weak<PgStore>, runtime: Runtime, listener: pg::follow::Listener) {
    let mut listener = Some(listener);
    let mut lost = false;
    loop {
        let Some(replica) = store.upgrade() else {
            return;
        };
        if listener.is_none() {
            // Listening again before reading: no commit falls between.
            listener = runtime
                .block_on(pg::follow::Listener::new(&replica.url))
                .ok();
        }
        let caught_up = replica.catch_up();
        drop(replica);
        match caught_up {
            Ok(()) if lost => {
                tracing::info!("the database is back: the copy is current again");
                lost = false;
            }
            Ok(()) => {}
            Err(e) if !lost => {
                tracing::warn!(error = %e, "following the database: queries go on from the copy");
                lost = true;
            }
            Err(_) => {}
        }
        tracing::debug!(listening = listener.is_some(), "the follower waits");
        let heard = match listener.as_mut() {
            Some(l) => runtime.block_on(l.wait(FALLBACK)).is_ok(),
            None => {
                std::thread::sleep(FALLBACK);
                true
            }
        };
        if !heard {
            listener = None;
        }
    }
}

/// The database's errors as the catalog's: out of reach (the client may try again: 503), or
/// an error of ours or of the data (500).
fn from_database(e: pg::Error) -> CatalogError {
    match e {
        pg::Error::Catalog(e) => e,
        pg::Error::Timeout(what) => CatalogError::Unavailable(what.to_string()),
        pg::Error::Postgres(e) if out_of_reach(&e) => CatalogError::Unavailable(e.to_string()),
        other => CatalogError::Database(other.to_string()),
    }
}

/// The connection is gone or the database cannot take work now (shutting down, starting,
/// full), or the transaction lost a race it may win when tried again.
fn out_of_reach(e: &tokio_postgres::Error) -> bool {
    match e.code() {
        Some(state) => {
            let code = state.code();
            code.starts_with("08")
                || code.starts_with("57P")
                || ["53300", "40001", "40P01"].contains(&code)
        }
        None => {
            e.is_closed() || std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>())
        }
    }
}

/// A published snapshot as the database keeps it.
fn stored(p: PublishedSnapshot, with_facts: bool, signer: &str) -> pg::snapshots::Stored {
    pg::snapshots::Stored {
        seq: p.signed.seq,
        with_facts,
        public_key: signer.to_string(),
        created_at: p.signed.created_at,
        digest: p.signed.digest,
        signature: p.signed.signature,
        body: p.signed.body,
        gzip: p.gzip,
        zstd: p.zstd,
    }
}

/// A snapshot the database keeps, as served.
fn published(s: pg::snapshots::Stored) -> PublishedSnapshot {
    PublishedSnapshot {
        signed: SignedSnapshot {
            seq: s.seq,
            created_at: s.created_at,
            digest: s.digest,
            signature: s.signature,
            body: s.body,
        },
        gzip: s.gzip,
        zstd: s.zstd,
    }
}

/// `actor`, now: who changes an account, for its audit record.
fn by(actor: &str) -> Actor<'_> {
    Actor {
        name: actor,
        now: accounts::now(),
    }
}

impl CatalogStore for PgStore {
    fn hits(&self, query: &Query) -> Result<Vec<ServedHit>> {
        self.local.hits(query)
    }

    fn detail(&self, id: &str, query: &DetailQuery) -> Result<Detail> {
        self.local.detail(id, query)
    }

    fn station(&self, id: &str) -> Result<Station> {
        self.local.station(id)
    }

    fn map_view(&self, q: &MapViewQuery) -> Result<MapView> {
        Ok(self.local.map_view(q))
    }

    fn info(&self) -> Result<CatalogInfo> {
        let shown = pg::shown(&self.url);
        self.db(async |c| pg::stations::info(c, &shown).await)
    }

    fn head_seq(&self) -> Result<i64> {
        Ok(self.at.load(Ordering::Acquire))
    }

    fn refresh(&self) -> Result<bool> {
        // The follower keeps the copy current; the tick only lets go of old copies' rows.
        self.local.let_go();
        Ok(false)
    }

    fn wait_for_news(&self, after: i64, within: Duration) -> Result<i64> {
        // The follower is woken by every commit: waiting for it costs the database nothing,
        // however many clients ask.
        let deadline = std::time::Instant::now() + within;
        let mut guard = self.moved.0.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            let at = self.at.load(Ordering::Acquire);
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if at > after || left.is_zero() {
                return Ok(at);
            }
            guard = match self.moved.1.wait_timeout(guard, left) {
                Ok((guard, _)) => guard,
                Err(p) => p.into_inner().0,
            };
        }
    }

    fn changes(
        &self,
        since: i64,
        limit: usize,
        with_facts: bool,
    ) -> Result<std::result::Result<ChangePage, Gone>> {
        // From the copy, which keeps the database's feed: a crowd of clients polling costs the
        // database nothing.
        self.local.changes(since, limit, with_facts)
    }

    fn snapshot(
        &self,
        with_facts: bool,
        signer: &str,
        publish: &dyn Fn(i64, &SnapshotWithFacts) -> Result<PublishedSnapshot>,
    ) -> Result<PublishedSnapshot> {
        // The newest one any replica made, while it is young and clients can still page on
        // from it: replicas share one snapshot, and point clients only at one the database keeps.
        let newest = self.db(async |c| pg::snapshots::newest(&*c, with_facts, signer).await)?;
        if let Some((seq, made)) = newest
            && chrono::DateTime::parse_from_rfc3339(&made)
                .is_ok_and(|t| Utc::now() - t.with_timezone(&Utc) < SNAPSHOT_REUSE)
            && self.local.changes(seq, 1, false)?.is_ok()
            && let Some(kept) = self.kept_snapshot(seq, with_facts, signer)?
        {
            return Ok(kept);
        }
        // Else built from the copy (the database is not asked to read the whole catalog),
        // once: replicas asking at the same position wait for this one and serve what it stored.
        let asked_at = self.at.load(Ordering::Acquire);
        let stored = self.db_within(SNAPSHOT_WAIT, async |c| {
            pg::snapshots::once(c, asked_at, with_facts, signer, async || {
                let (seq, all) = self.local.all_stations()?;
                Ok(stored(publish(seq, &all)?, with_facts, signer))
            })
            .await
        })?;
        Ok(published(stored))
    }

    fn kept_snapshot(
        &self,
        seq: i64,
        with_facts: bool,
        signer: &str,
    ) -> Result<Option<PublishedSnapshot>> {
        let kept =
            self.db_anonymous(async |c| pg::snapshots::kept(&*c, seq, with_facts, signer).await)?;
        Ok(kept.map(published))
    }

    fn credentials(&self, username: &str) -> Result<Option<(Role, String)>> {
        self.db(async |c| pg::accounts::credentials(&*c, username).await)
    }

    fn start_session(
        &self,
        token_hash: &str,
        username: &str,
        expires_at: &str,
        password_hash: &str,
    ) -> Result<bool> {
        let now = accounts::now();
        self.db(async |c| {
            pg::accounts::start_session(&*c, token_hash, username, expires_at, password_hash, &now)
                .await
        })
    }

    fn session(&self, token_hash: &str) -> Result<Option<Principal>> {
        let now = accounts::now();
        self.db(async |c| pg::accounts::session(&*c, token_hash, &now).await)
    }

    fn end_session(&self, token_hash: &str) -> Result<()> {
        self.db(async |c| pg::accounts::end_session(&*c, token_hash).await)
    }

    fn assigned(&self, username: &str) -> Result<Vec<String>> {
        self.db(async |c| pg::accounts::assigned_stations(&*c, username).await)
    }

    fn is_assigned(&self, username: &str, station_id: &str) -> Result<bool> {
        self.db(async |c| pg::accounts::is_assigned(&*c, username, station_id).await)
    }

    fn assign(&self, username: &str, station_id: &str, actor: &str) -> Result<(), AccountError> {
        if !self.exists(username)? {
            return Err(AccountError::NoUser(username.to_string()));
        }
        if self
            .db(async |c| pg::stations::get(&*c, station_id, false).await)?
            .is_none()
        {
            return Err(AccountError::NoStation(station_id.to_string()));
        }
        let by = by(actor);
        Ok(self.db(async |c| pg::accounts::assign(c, username, station_id, &by).await)?)
    }

    fn unassign(&self, username: &str, station_id: &str, actor: &str) -> Result<(), AccountError> {
        let by = by(actor);
        if !self.db(async |c| pg::accounts::unassign(c, username, station_id, &by).await)? {
            return Err(AccountError::NotAssigned(
                username.to_string(),
                station_id.to_string(),
            ));
        }
        Ok(())
    }

    fn remove_user(&self, username: &str, actor: &str) -> Result<(), AccountError> {
        let by = by(actor);
        if !self.db(async |c| pg::accounts::remove(c, username, &by).await)? {
            return Err(AccountError::NoUser(username.to_string()));
        }
        Ok(())
    }

    fn set_password_hash(
        &self,
        username: &str,
        hash: &str,
        keep: Option<&str>,
        actor: &str,
    ) -> Result<(), AccountError> {
        let by = by(actor);
        let set =
            self.db(async |c| pg::accounts::set_password_hash(c, username, hash, keep, &by).await)?;
        if !set {
            return Err(AccountError::NoUser(username.to_string()));
        }
        Ok(())
    }

    fn revoke_sessions(&self, username: &str, actor: &str) -> Result<usize, AccountError> {
        if !self.exists(username)? {
            return Err(AccountError::NoUser(username.to_string()));
        }
        let by = by(actor);
        let ended = self.db(async |c| pg::accounts::revoke_sessions(c, username, &by).await)?;
        Ok(ended as usize)
    }

    fn sessions(&self, username: &str) -> Result<Vec<SessionInfo>> {
        let now = accounts::now();
        self.db(async |c| pg::accounts::sessions(&*c, username, &now).await)
    }

    fn users(&self) -> Result<Vec<User>> {
        self.db(async |c| pg::accounts::users(&*c).await)
    }

    fn audit(&self, page: &ListPage<'_>) -> Result<Vec<AuditEntry>> {
        self.db(async |c| pg::reports::audit(&*c, page.limit, page.before).await)
    }

    fn report(&self, report: &Report) -> Result<i64> {
        self.local.catalog().check_report(report)?;
        let now = accounts::now();
        self.db(async |c| pg::reports::record(&*c, report, &now).await)
    }

    fn reports(&self, page: &ListPage<'_>) -> Result<Vec<Received>> {
        self.db(async |c| pg::reports::newest(&*c, page.station, page.limit, page.before).await)
    }

    fn save_if(
        &self,
        station: &Station,
        expected_version: Option<i64>,
        actor: &str,
        action: &str,
    ) -> Result<std::result::Result<Station, Stale>> {
        self.save_with(
            station,
            expected_version,
            actor,
            action,
            async |_, _| Ok(()),
        )
    }

    fn save_listing_if(
        &self,
        station: &Station,
        expected_version: i64,
        username: &str,
    ) -> Result<std::result::Result<Station, Stale>> {
        // The operator vouches for every fact the listing states, as on the catalog file.
        let operator = format!("operator:{username}");
        let said: Vec<Confirmation> = listed_facts(station)
            .into_iter()
            .map(|fact| Confirmation {
                station_id: station.id.clone(),
                fact,
                holds: true,
                device: None,
            })
            .collect();
        self.save_with(
            station,
            Some(expected_version),
            username,
            "edit",
            async |tx, now| {
                pg::confirmations::record(tx, &said, &operator, &operator, now).await?;
                Ok(())
            },
        )
    }

    fn delete(&self, id: &str, actor: &str) -> Result<()> {
        let now = accounts::now();
        if !self.db(async |c| pg::stations::delete(c, id, actor, &now).await)? {
            return Err(CatalogError::NotFound(id.to_string()));
        }
        self.written(())?;
        // The delete is done; forgetting old tombstones can wait for the next one.
        if let Err(e) = self.purge() {
            tracing::warn!(error = %e, "forgetting old tombstones after a delete");
        }
        Ok(())
    }

    fn add_user(
        &self,
        username: &str,
        role: Role,
        hash: &str,
        actor: &str,
    ) -> Result<(), AccountError> {
        if !accounts::valid_name(username) {
            return Err(AccountError::BadName(username.to_string()));
        }
        let by = by(actor);
        if !self.db(async |c| pg::accounts::add(c, username, role, hash, &by).await)? {
            return Err(AccountError::Exists(username.to_string()));
        }
        Ok(())
    }

    fn propose(&self, proposal: &Proposal, by: &Proposer<'_>) -> Result<(i64, Option<String>)> {
        // Checked, and its likely duplicate found, against the copy (a second behind at most).
        let (checked, duplicate) = self.local.catalog().checked_proposal(proposal)?;
        let now = accounts::now();
        let id = self.db(async |c| {
            pg::proposals::record(&*c, &checked, by, duplicate.as_deref(), &now).await
        })?;
        Ok((id, duplicate))
    }

    fn proposal(&self, id: i64, secret_hash: Option<&str>) -> Result<Option<Kept>> {
        self.db(async |c| pg::proposals::get(&*c, id, secret_hash).await)
    }

    fn proposals(&self, page: &ProposalPage) -> Result<Vec<Kept>> {
        self.db(async |c| pg::proposals::newest(&*c, page.state, page.limit, page.before).await)
    }

    fn confirm(&self, confirmation: &Confirmation, device: &str, voice: &str) -> Result<bool> {
        self.local.catalog().check_confirmation(confirmation)?;
        let now = accounts::now();
        let said = std::slice::from_ref(confirmation);
        let (counted, _) =
            self.db(async |c| pg::confirmations::confirm(c, said, device, voice, &now).await)?;
        self.written(counted == 1)
    }

    fn age_tallies(&self, max_stations: usize) -> Result<usize> {
        let now = accounts::now();
        let aged =
            self.db(async |c| pg::confirmations::age_tallies(c, &now, max_stations).await)?;
        self.written(aged.len())
    }

    fn facts(&self, station_id: &str) -> Result<Vec<FactTally>> {
        self.db(async |c| pg::confirmations::tallies(&*c, station_id).await)
    }

    fn disputes(&self, limit: usize) -> Result<Vec<FactTally>> {
        self.db(async |c| pg::confirmations::disputed(&*c, limit).await)
    }

    fn inbox(&self, stations: &[String]) -> Result<(Vec<Received>, Vec<Kept>)> {
        self.db(async |c| {
            let reports = pg::reports::about(&*c, stations, INBOX_MAX).await?;
            let proposals =
                pg::proposals::about(&*c, stations, ProposalState::Pending, INBOX_MAX).await?;
            Ok((reports, proposals))
        })
    }

    fn approve(&self, id: i64, actor: &str) -> Result<Station> {
        let now = accounts::now();
        let saved = self.db(async |c| {
            let tx = c.transaction().await?;
            let kept = catalog::pending(pg::proposals::get(&tx, id, None).await?, id)?;
            // The station's row is locked first (the same order as every save), so the change
            // applies to the station as it is at the commit.
            let (station, expected) = match kept.changes() {
                Some(station_id) => {
                    let current = pg::stations::get(&tx, station_id, true)
                        .await?
                        .ok_or_else(|| CatalogError::NotFound(station_id.to_string()))?;
                    (
                        catalog::approved_station(&kept, Some(&current))?,
                        Some(current.version),
                    )
                }
                None => {
                    let mut free = None;
                    for candidate in catalog::new_station_ids(id) {
                        if pg::stations::get(&tx, &candidate, false).await?.is_none() {
                            free = Some(candidate);
                            break;
                        }
                    }
                    let id = free.ok_or_else(catalog::no_free_station_id)?;
                    let station = Station {
                        id,
                        ..catalog::approved_station(&kept, None)?
                    };
                    (station, None)
                }
            };
            let decided = pg::proposals::decide(
                &tx,
                id,
                ProposalState::Approved,
                Some(&station.id),
                None,
                actor,
                &now,
            )
            .await?;
            catalog::decided_now(decided, id)?;
            let saved =
                pg::stations::save_in(&tx, &station, expected, actor, "proposal.approve", &now)
                    .await?;
            let Save::Saved(saved) = saved else {
                // Another replica created a station under the free id meanwhile: nothing is
                // written, and trying again finds the next id.
                return Err(CatalogError::Unavailable(
                    "another replica created a station under the new id meanwhile; approve again"
                        .into(),
                )
                .into());
            };
            tx.commit().await?;
            Ok(saved)
        })?;
        self.written(saved)
    }

    fn reject(&self, id: i64, reason: &str, actor: &str) -> Result<()> {
        let reason =
            waystation_catalog::request::check_reason(reason).map_err(CatalogError::Refused)?;
        let now = accounts::now();
        self.db(async |c| {
            let tx = c.transaction().await?;
            catalog::pending(pg::proposals::get(&tx, id, None).await?, id)?;
            let decided = pg::proposals::decide(
                &tx,
                id,
                ProposalState::Rejected,
                None,
                Some(&reason),
                actor,
                &now,
            )
            .await?;
            catalog::decided_now(decided, id)?;
            let detail = serde_json::json!({"proposal": id, "reason": reason}).to_string();
            pg::reports::record_audit(&tx, actor, "proposal.reject", None, &detail, &now).await?;
            tx.commit().await?;
            Ok(())
        })
    }
}
