//! The narrow storage interface the handlers use, and its embedded implementation over one
//! SQLite catalog file. A PostgreSQL store for national scale implements the same trait.

use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use waystation_catalog::catalog::CatalogInfo;
use waystation_catalog::confirmations::{Confirmation, FactTally};
use waystation_catalog::feed::{ChangePage, Gone, SnapshotWithFacts};
use waystation_catalog::proposals::{Kept, Proposal, ProposalState};
use waystation_catalog::readers::Readers;
use waystation_catalog::ready::ReadyStation;
use waystation_catalog::reports::{Received, Report};
use waystation_catalog::request::{DetailQuery, ListPage, MapViewQuery, ProposalPage};
use waystation_catalog::store::accounts::{Principal, Role, SessionInfo, User};
use waystation_catalog::store::audit::AuditEntry;
use waystation_catalog::store::proposals::Proposer;

use crate::accounts::{self, AccountError};
use crate::ready_rows::ReadyRows;
use crate::snapshots::PublishedSnapshot;
use waystation_catalog::{
    Catalog, CatalogError, Detail, Hit, MapView, Published, Query, SharedCatalog, Station,
};

pub type Result<T, E = CatalogError> = std::result::Result<T, E>;

/// A hit as the server answers it: its station's row kept ready as JSON.
pub type ServedHit = Hit<ReadyStation>;

/// Problem reports are kept this long.
pub(crate) const REPORT_RETENTION_DAYS: i64 = 365;

/// An operator's inbox shows at most this many reports, and as many proposals.
pub(crate) const INBOX_MAX: usize = 200;

/// Reader connections: a few more than cores, so a reader is rarely busy.
const READERS: usize = 4;

/// A conditional write found the station at another version: here is the current one.
pub struct Stale(pub Station);

pub trait CatalogStore: Send + Sync + 'static {
    /// A checked query's hits (crate::request).
    fn hits(&self, query: &Query) -> Result<Vec<ServedHit>>;
    /// One station's detail: its hit and navigation links.
    fn detail(&self, id: &str, query: &DetailQuery) -> Result<Detail>;
    fn station(&self, id: &str) -> Result<Station>;
    /// What the map shows of a view.
    fn map_view(&self, q: &MapViewQuery) -> Result<MapView>;
    fn info(&self) -> Result<CatalogInfo>;
    fn head_seq(&self) -> Result<i64>;
    /// Takes in writes made by another program; true if there were any. The server calls it
    /// every half second.
    fn refresh(&self) -> Result<bool>;
    /// This server's head once it is past `after`, or when `within` is up: for a client that
    /// has seen more than this server holds yet (a write through another replica). Call it off
    /// the async workers.
    fn wait_for_news(&self, after: i64, within: std::time::Duration) -> Result<i64>;
    /// A page of the feed; `with_facts`: the confirmation tallies too (a client that reads them).
    fn changes(
        &self,
        since: i64,
        limit: usize,
        with_facts: bool,
    ) -> Result<std::result::Result<ChangePage, Gone>>;
    /// The snapshot to serve now in its form: `publish` signs and compresses every station
    /// (and their tallies) read consistently at one position. A replica's is made once for all
    /// replicas and kept in the database. Slow: call it off the async workers.
    /// `signer` is the public key `publish` signs with.
    fn snapshot(
        &self,
        with_facts: bool,
        signer: &str,
        publish: &dyn Fn(i64, &SnapshotWithFacts) -> Result<PublishedSnapshot>,
    ) -> Result<PublishedSnapshot>;
    /// A snapshot kept at exactly `seq` in its form, signed by `signer`, for its immutable URL
    /// (the catalog file keeps none beyond the one its server publishes).
    fn kept_snapshot(
        &self,
        seq: i64,
        with_facts: bool,
        signer: &str,
    ) -> Result<Option<PublishedSnapshot>>;

    /// A user's role and password hash (checking the password is the caller's: crate::accounts).
    fn credentials(&self, username: &str) -> Result<Option<(Role, String)>>;
    /// Stores a session by its token's hash, if the password hash is still the one checked.
    fn start_session(
        &self,
        token_hash: &str,
        username: &str,
        expires_at: &str,
        password_hash: &str,
    ) -> Result<bool>;
    /// The account behind a live session.
    fn session(&self, token_hash: &str) -> Result<Option<Principal>>;
    fn end_session(&self, token_hash: &str) -> Result<()>;
    fn assigned(&self, username: &str) -> Result<Vec<String>>;
    fn is_assigned(&self, username: &str, station_id: &str) -> Result<bool>;
    fn assign(&self, username: &str, station_id: &str, actor: &str) -> Result<(), AccountError>;
    fn unassign(&self, username: &str, station_id: &str, actor: &str) -> Result<(), AccountError>;
    fn remove_user(&self, username: &str, actor: &str) -> Result<(), AccountError>;
    /// Stores a new password hash and ends the user's sessions but `keep`.
    fn set_password_hash(
        &self,
        username: &str,
        hash: &str,
        keep: Option<&str>,
        actor: &str,
    ) -> Result<(), AccountError>;
    fn revoke_sessions(&self, username: &str, actor: &str) -> Result<usize, AccountError>;
    fn sessions(&self, username: &str) -> Result<Vec<SessionInfo>>;
    fn users(&self) -> Result<Vec<User>>;
    fn audit(&self, page: &ListPage<'_>) -> Result<Vec<AuditEntry>>;
    /// Keeps a driver's problem report; returns its id.
    fn report(&self, report: &Report) -> Result<i64>;
    fn reports(&self, page: &ListPage<'_>) -> Result<Vec<Received>>;

    /// Writes `station` if the stored one is still at `expected_version` (None: must not exist).
    fn save_if(
        &self,
        station: &Station,
        expected_version: Option<i64>,
        actor: &str,
        action: &str,
    ) -> Result<std::result::Result<Station, Stale>>;
    /// `save_if` for an operator's own listing, which also confirms each fact it states (open,
    /// free truck spaces, every service listed) in the same transaction.
    fn save_listing_if(
        &self,
        station: &Station,
        expected_version: i64,
        username: &str,
    ) -> Result<std::result::Result<Station, Stale>>;
    fn delete(&self, id: &str, actor: &str) -> Result<()>;

    /// Creates an account with a password hashed already.
    fn add_user(
        &self,
        username: &str,
        role: Role,
        hash: &str,
        actor: &str,
    ) -> Result<(), AccountError>;

    /// Checks and keeps a proposal; its id and the station it may duplicate.
    fn propose(&self, proposal: &Proposal, by: &Proposer<'_>) -> Result<(i64, Option<String>)>;
    /// A proposal, for its reviewers; with `secret_hash`, only if that is its secret's.
    fn proposal(&self, id: i64, secret_hash: Option<&str>) -> Result<Option<Kept>>;
    fn proposals(&self, page: &ProposalPage) -> Result<Vec<Kept>>;
    /// Keeps a driver's confirmation from `device`, counting for `voice` (its address, or the
    /// operator); false when that device already spoke to the fact today.
    fn confirm(&self, confirmation: &Confirmation, device: &str, voice: &str) -> Result<bool>;
    /// Lets words older than the tallies' window go (recounting those stations); how many
    /// stations, at most `max_stations` a call.
    fn age_tallies(&self, max_stations: usize) -> Result<usize>;

    /// What the last 30 days say about each fact of a station.
    fn facts(&self, station_id: &str) -> Result<Vec<FactTally>>;
    /// Facts denied more often than confirmed in the last 30 days, for the admins.
    fn disputes(&self, limit: usize) -> Result<Vec<FactTally>>;
    /// What is waiting about `stations` (an operator's): problem reports and pending proposals.
    fn inbox(&self, stations: &[String]) -> Result<(Vec<Received>, Vec<Kept>)>;
    /// Approves a pending proposal: the station as saved.
    fn approve(&self, id: i64, actor: &str) -> Result<Station>;
    fn reject(&self, id: i64, reason: &str, actor: &str) -> Result<()>;
}

/// A catalog file served: the core's `SharedCatalog`, its writes taking turns and its queries
/// answering from the index last published, never waiting for a write or for each other — with
/// the rows its answers have read kept ready beside each published index (`ReadyRows`), and what
/// a write replaced freed by the half-second tick. The embedded store's catalog, and a replica's
/// local copy of the database's.
pub(crate) struct Served {
    shared: SharedCatalog<ReadyRows>,
    /// What was published before, until no query holds it: neither a query nor a writer lets go
    /// of the last reference to a full cache (tens of thousands of rows to free); the tick does.
    retired: Mutex<Vec<Arc<Published<ReadyRows>>>>,
}

impl Served {
    pub(crate) fn new(catalog: Catalog) -> Result<Served> {
        Ok(Served {
            shared: SharedCatalog::new(catalog, READERS)?,
            retired: Mutex::new(Vec::new()),
        })
    }

    pub(crate) fn catalog(&self) -> MutexGuard<'_, Catalog> {
        self.shared.catalog()
    }

    /// The read-only connections: rows, stations, accounts, change pages, snapshots.
    pub(crate) fn readers(&self) -> &Readers {
        self.shared.readers()
    }

    /// After a write, by its writer (holding `catalog()`): the catalog's new index becomes what
    /// queries see, and what it replaces is retired for the tick.
    pub(crate) fn publish(&self, catalog: &MutexGuard<'_, Catalog>) {
        if let Some(before) = self.shared.publish(catalog) {
            (self.retired.lock().unwrap_or_else(|p| p.into_inner())).push(before);
        }
    }

    /// Frees what was published before and no query holds any more: on the half-second tick,
    /// outside every other lock, so neither a query nor a writer pays for freeing a full cache.
    pub(crate) fn let_go(&self) {
        let dead: Vec<_> = {
            let mut retired = self.retired.lock().unwrap_or_else(|p| p.into_inner());
            let (dead, held) = std::mem::take(&mut *retired)
                .into_iter()
                .partition(|p| Arc::strong_count(p) == 1);
            *retired = held;
            dead
        };
        // Freed outside the lock: a writer retiring an index meanwhile does not wait for it.
        drop(dead);
    }

    pub(crate) fn hits(&self, query: &Query) -> Result<Vec<ServedHit>> {
        let published = self.shared.published();
        let readers = self.readers();
        let answer = readers.answer(&published.index, query)?;
        let rows = (published.kept).rows(&answer.keys(), |pks| {
            readers.stations_by_pk(&published.index, pks)
        })?;
        Ok(answer.with_rows(rows))
    }

    pub(crate) fn detail(&self, id: &str, query: &DetailQuery) -> Result<Detail> {
        self.shared.detail(id, query)
    }

    pub(crate) fn station(&self, id: &str) -> Result<Station> {
        self.readers().station(id)
    }

    /// Every station and tally, and the feed position they are at, read consistently.
    pub(crate) fn all_stations(&self) -> Result<(i64, SnapshotWithFacts)> {
        self.readers().all_stations()
    }

    /// A page of the feed the catalog keeps.
    pub(crate) fn changes(
        &self,
        since: i64,
        limit: usize,
        with_facts: bool,
    ) -> Result<std::result::Result<ChangePage, Gone>> {
        self.readers().changes_since(since, limit, with_facts)
    }

    pub(crate) fn map_view(&self, q: &MapViewQuery) -> MapView {
        self.shared.map_view(q)
    }
}

/// The embedded store: one SQLite catalog file.
pub struct SqliteStore {
    served: Served,
    /// The feed's head sequence, kept in memory so an unchanged poll never waits for the lock.
    head: AtomicI64,
    /// Tombstones older than this are forgotten (clients further behind get 410); None: the
    /// catalog is not served (an admin command) and nothing is forgotten.
    tombstone_days: Option<i64>,
}

impl SqliteStore {
    /// Opens the catalog for serving.
    pub fn open(path: &Path, tombstone_days: i64) -> std::result::Result<SqliteStore, String> {
        let store = SqliteStore::new(path, Some(tombstone_days))?;
        store.purge().map_err(|e| e.to_string())?;
        Ok(store)
    }

    /// Opens the catalog for the admin commands: nothing is forgotten (the server's own window
    /// decides that).
    pub fn for_admin(path: &Path) -> std::result::Result<SqliteStore, String> {
        SqliteStore::new(path, None)
    }

    fn new(path: &Path, tombstone_days: Option<i64>) -> std::result::Result<SqliteStore, String> {
        let catalog = Catalog::open(path).map_err(|e| e.to_string())?;
        catalog.make_durable().map_err(|e| e.to_string())?;
        let head = catalog.head_seq().map_err(|e| e.to_string())?;
        Ok(SqliteStore {
            served: Served::new(catalog).map_err(|e| e.to_string())?,
            head: AtomicI64::new(head),
            tombstone_days,
        })
    }

    /// The catalog file.
    pub fn path(&self) -> std::path::PathBuf {
        self.catalog().path().to_path_buf()
    }

    fn catalog(&self) -> MutexGuard<'_, Catalog> {
        self.served.catalog()
    }

    /// Saves with `save` under the writer's lock if the stored version is `expected_version`
    /// (None: the station must not exist yet); the current station otherwise.
    fn save_checked(
        &self,
        station: &Station,
        expected_version: Option<i64>,
        save: impl FnOnce(&mut Catalog) -> Result<Station>,
    ) -> Result<std::result::Result<Station, Stale>> {
        let mut catalog = self.catalog();
        let current = match catalog.station(&station.id) {
            Ok(s) => Some(s),
            Err(CatalogError::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        match (current, expected_version) {
            (Some(cur), Some(v)) if cur.version == v => {}
            (None, None) => {}
            (Some(cur), _) => return Ok(Err(Stale(cur))),
            (None, Some(_)) => return Err(CatalogError::NotFound(station.id.clone())),
        }
        // Published even when the write fails: it may have failed after committing.
        let saved = save(&mut catalog);
        self.publish(&catalog)?;
        Ok(Ok(saved?))
    }

    /// After a write: the catalog's new index and head become what queries see.
    fn publish(&self, catalog: &MutexGuard<'_, Catalog>) -> Result<()> {
        self.served.publish(catalog);
        self.head.store(catalog.head_seq()?, Ordering::Release);
        Ok(())
    }

    /// Forgets tombstones past the window, and reports older than a year (they have been
    /// read or are no longer true).
    fn purge(&self) -> Result<()> {
        let Some(tombstone_days) = self.tombstone_days else {
            return Ok(());
        };
        let catalog = self.catalog();
        catalog
            .received_reports()
            .forget_before(&days_ago(REPORT_RETENTION_DAYS))?;
        catalog.purge_tombstones(&days_ago(tombstone_days))?;
        Ok(())
    }
}

/// `days` days before now, as the stores keep times.
pub(crate) fn days_ago(days: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::days(days))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl CatalogStore for SqliteStore {
    fn hits(&self, query: &Query) -> Result<Vec<ServedHit>> {
        self.served.hits(query)
    }

    fn detail(&self, id: &str, query: &DetailQuery) -> Result<Detail> {
        self.served.detail(id, query)
    }

    fn station(&self, id: &str) -> Result<Station> {
        self.served.station(id)
    }

    fn map_view(&self, q: &MapViewQuery) -> Result<MapView> {
        Ok(self.served.map_view(q))
    }

    fn info(&self) -> Result<CatalogInfo> {
        self.catalog().info()
    }

    fn head_seq(&self) -> Result<i64> {
        Ok(self.head.load(Ordering::Acquire))
    }

    fn refresh(&self) -> Result<bool> {
        self.served.let_go();
        let mut catalog = self.catalog();
        let reloaded = catalog.reload_if_written_elsewhere();
        if matches!(reloaded, Ok(false)) {
            return Ok(false);
        }
        self.publish(&catalog)?;
        reloaded?;
        Ok(true)
    }

    fn wait_for_news(&self, _after: i64, _within: std::time::Duration) -> Result<i64> {
        // One file, one writer: there is nothing to wait for but another program's write.
        self.refresh()?;
        self.head_seq()
    }

    fn changes(
        &self,
        since: i64,
        limit: usize,
        with_facts: bool,
    ) -> Result<std::result::Result<ChangePage, Gone>> {
        self.served.changes(since, limit, with_facts)
    }

    fn snapshot(
        &self,
        _with_facts: bool,
        _signer: &str,
        publish: &dyn Fn(i64, &SnapshotWithFacts) -> Result<PublishedSnapshot>,
    ) -> Result<PublishedSnapshot> {
        // On a reader connection inside one read transaction, so the sequence and the
        // stations agree and queries go on meanwhile.
        let (seq, all) = self.served.all_stations()?;
        publish(seq, &all)
    }

    fn kept_snapshot(
        &self,
        _seq: i64,
        _with_facts: bool,
        _signer: &str,
    ) -> Result<Option<PublishedSnapshot>> {
        Ok(None)
    }

    fn credentials(&self, username: &str) -> Result<Option<(Role, String)>> {
        self.served.readers().accounts(|a| a.credentials(username))
    }

    fn start_session(
        &self,
        token_hash: &str,
        username: &str,
        expires_at: &str,
        password_hash: &str,
    ) -> Result<bool> {
        self.catalog().accounts().start_session(
            token_hash,
            username,
            expires_at,
            password_hash,
            &accounts::now(),
        )
    }

    fn session(&self, token_hash: &str) -> Result<Option<Principal>> {
        self.served
            .readers()
            .accounts(|a| a.session(token_hash, &accounts::now()))
    }

    fn end_session(&self, token_hash: &str) -> Result<()> {
        self.catalog().accounts().end_session(token_hash)
    }

    fn assigned(&self, username: &str) -> Result<Vec<String>> {
        self.served
            .readers()
            .accounts(|a| a.assigned_stations(username))
    }

    fn is_assigned(&self, username: &str, station_id: &str) -> Result<bool> {
        self.served
            .readers()
            .accounts(|a| a.is_assigned(username, station_id))
    }

    fn assign(&self, username: &str, station_id: &str, actor: &str) -> Result<(), AccountError> {
        accounts::assign(&self.catalog(), username, station_id, actor)
    }

    fn unassign(&self, username: &str, station_id: &str, actor: &str) -> Result<(), AccountError> {
        accounts::unassign(&self.catalog(), username, station_id, actor)
    }

    fn remove_user(&self, username: &str, actor: &str) -> Result<(), AccountError> {
        accounts::remove_user(&self.catalog(), username, actor)
    }

    fn set_password_hash(
        &self,
        username: &str,
        hash: &str,
        keep: Option<&str>,
        actor: &str,
    ) -> Result<(), AccountError> {
        accounts::set_password_hash(&self.catalog(), username, hash, keep, actor)
    }

    fn revoke_sessions(&self, username: &str, actor: &str) -> Result<usize, AccountError> {
        accounts::revoke_sessions(&self.catalog(), username, actor)
    }

    fn sessions(&self, username: &str) -> Result<Vec<SessionInfo>> {
        self.served
            .readers()
            .accounts(|a| a.sessions(username, &accounts::now()))
    }

    fn users(&self) -> Result<Vec<User>> {
        self.served.readers().accounts(|a| a.users())
    }

    fn report(&self, report: &Report) -> Result<i64> {
        let catalog = self.catalog();
        catalog.check_report(report)?;
        catalog
            .received_reports()
            .record(report, &waystation_catalog::exchange::now_rfc3339())
    }

    fn reports(&self, page: &ListPage<'_>) -> Result<Vec<Received>> {
        self.catalog()
            .received_reports()
            .newest(page.station, page.limit, page.before)
    }

    fn audit(&self, page: &ListPage<'_>) -> Result<Vec<AuditEntry>> {
        self.catalog().audit_log(page.limit, page.before)
    }

    fn save_if(
        &self,
        station: &Station,
        expected_version: Option<i64>,
        actor: &str,
        action: &str,
    ) -> Result<std::result::Result<Station, Stale>> {
        self.save_checked(station, expected_version, |catalog| {
            catalog.save_station(station, actor, action)
        })
    }

    fn save_listing_if(
        &self,
        station: &Station,
        expected_version: i64,
        username: &str,
    ) -> Result<std::result::Result<Station, Stale>> {
        self.save_checked(station, Some(expected_version), |catalog| {
            catalog.save_operator_listing(station, username)
        })
    }

    fn delete(&self, id: &str, actor: &str) -> Result<()> {
        {
            let mut catalog = self.catalog();
            let deleted = catalog.delete_station(id, actor);
            self.publish(&catalog)?;
            deleted?;
        }
        self.purge()
    }

    fn add_user(
        &self,
        username: &str,
        role: Role,
        hash: &str,
        actor: &str,
    ) -> Result<(), AccountError> {
        accounts::add_user_with_hash(&self.catalog(), username, role, hash, actor)
    }

    fn propose(&self, proposal: &Proposal, by: &Proposer<'_>) -> Result<(i64, Option<String>)> {
        self.catalog().propose(proposal, by, &accounts::now())
    }

    fn proposal(&self, id: i64, secret_hash: Option<&str>) -> Result<Option<Kept>> {
        self.served.readers().proposals(|p| match secret_hash {
            Some(hash) => p.get_with_secret(id, hash),
            None => p.get(id),
        })
    }

    fn proposals(&self, page: &ProposalPage) -> Result<Vec<Kept>> {
        self.served
            .readers()
            .proposals(|p| p.newest(page.state, page.limit, page.before))
    }

    fn confirm(&self, confirmation: &Confirmation, device: &str, voice: &str) -> Result<bool> {
        let mut catalog = self.catalog();
        catalog.check_confirmation(confirmation)?;
        let counted = catalog.confirm(
            std::slice::from_ref(confirmation),
            device,
            voice,
            &accounts::now(),
        );
        self.publish(&catalog)?;
        let counted = counted?;
        Ok(counted == 1)
    }

    fn age_tallies(&self, max_stations: usize) -> Result<usize> {
        let mut catalog = self.catalog();
        let aged = catalog.age_tallies(&accounts::now(), max_stations);
        if !matches!(aged, Ok(0)) {
            self.publish(&catalog)?;
        }
        aged
    }

    fn facts(&self, station_id: &str) -> Result<Vec<FactTally>> {
        self.served
            .readers()
            .confirmations(|c| c.tallies(station_id))
    }

    fn disputes(&self, limit: usize) -> Result<Vec<FactTally>> {
        self.served.readers().confirmations(|c| c.disputed(limit))
    }

    fn inbox(&self, stations: &[String]) -> Result<(Vec<Received>, Vec<Kept>)> {
        let reports = self
            .served
            .readers()
            .reports(|r| r.about(stations, INBOX_MAX))?;
        let proposals = self
            .served
            .readers()
            .proposals(|p| p.about(stations, ProposalState::Pending, INBOX_MAX))?;
        Ok((reports, proposals))
    }

    fn approve(&self, id: i64, actor: &str) -> Result<Station> {
        let mut catalog = self.catalog();
        let saved = catalog.approve_proposal(id, actor);
        self.publish(&catalog)?;
        let saved = saved?;
        Ok(saved)
    }

    fn reject(&self, id: i64, reason: &str, actor: &str) -> Result<()> {
        self.catalog().reject_proposal(id, reason, actor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rows kept for one published index carry over to the next only when no station
    /// changed; what was published before is freed by the tick once no query holds it.
    #[test]
    fn kept_rows_outlast_a_confirmation_but_not_a_station_write() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("c.sqlite");
        crate::testing::seed(&path);
        let store = SqliteStore::open(&path, 30).expect("store");
        let rows = || store.served.shared.published().kept.clone();
        let retired = || store.served.retired.lock().expect("retired").len();
        let first = rows();
        let in_flight = store.served.shared.published();

        let said = Confirmation {
            station_id: "syn-ws-000001".into(),
            fact: "shower".into(),
            holds: true,
            device: None,
        };
        let counted = store.confirm(&said, "device-1", "addr:10.0.0.1");
        assert!(counted.expect("confirm"), "the confirmation counts");
        let index = || store.served.shared.published().index.clone();
        assert!(!Arc::ptr_eq(&in_flight.index, &index()), "a new index");
        assert!(
            Arc::ptr_eq(&first, &rows()),
            "a confirmation changes no row"
        );
        store.delete("syn-ws-000002", "root").expect("delete");
        assert!(!Arc::ptr_eq(&first, &rows()), "a deletion starts afresh");
        assert_eq!(retired(), 2, "writers free nothing");

        store.refresh().expect("the tick");
        assert_eq!(retired(), 1, "the tick frees all but what a query holds");
        drop(in_flight);
        store.refresh().expect("the tick");
        assert_eq!(retired(), 0);
    }
}
