//! The narrow storage interface the handlers use, and its embedded implementation over one
//! SQLite catalog file. A PostgreSQL store for national scale implements the same trait.

use std::path::Path;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{Connection, OpenFlags};
use waystation_catalog::catalog::CatalogInfo;
use waystation_catalog::feed::{ChangePage, Gone};
use waystation_catalog::operators::{self, AccountError, AuditEntry, Principal};
use waystation_catalog::reports::{self, Report};
use waystation_catalog::request::DetailQuery;
use waystation_catalog::snapshot::{ServerKey, SignedSnapshot};
use waystation_catalog::{
    Answer, Catalog, CatalogError, Crs, Detail, Hit, MapPoints, Query, Station,
};

pub type Result<T, E = CatalogError> = std::result::Result<T, E>;

/// Reader connections: a few more than cores, so a reader is rarely busy.
const READERS: usize = 4;

/// A signed snapshot with its body compressed once, ahead of time, in each encoding clients ask
/// for (compressing 100 MB per request would cost seconds of CPU each time).
pub struct PublishedSnapshot {
    pub signed: SignedSnapshot,
    pub gzip: Vec<u8>,
    pub zstd: Vec<u8>,
}

impl PublishedSnapshot {
    fn new(signed: SignedSnapshot) -> std::io::Result<PublishedSnapshot> {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&signed.body)?;
        let gzip = gz.finish()?;
        let zstd = zstd::encode_all(signed.body.as_slice(), 9)?;
        Ok(PublishedSnapshot { signed, gzip, zstd })
    }
}

/// A conditional write found the station at another version: here is the current one.
pub struct Stale(pub Station);

pub trait CatalogStore: Send + Sync + 'static {
    /// A checked query's hits (crate::request).
    fn hits(&self, query: &Query) -> Result<Vec<Hit>>;
    /// One station's detail: its hit and navigation links.
    fn detail(&self, id: &str, query: &DetailQuery) -> Result<Detail>;
    fn station(&self, id: &str) -> Result<Station>;
    /// Every station's id, kind and position, for the map.
    fn map_points(&self, crs: Crs) -> Result<MapPoints>;
    fn info(&self) -> Result<CatalogInfo>;
    fn head_seq(&self) -> Result<i64>;
    fn changes(&self, since: i64, limit: usize) -> Result<std::result::Result<ChangePage, Gone>>;
    /// The signed snapshot at the current sequence (built once per sequence).
    fn snapshot(&self) -> Result<Arc<PublishedSnapshot>>;
    fn public_key(&self) -> String;

    fn login(&self, username: &str, password: &str) -> Result<Option<(String, String)>>;
    fn authenticate(&self, token: &str) -> Result<Option<Principal>>;
    fn logout(&self, token: &str) -> Result<()>;
    fn assigned(&self, username: &str) -> Result<Vec<String>>;
    fn is_assigned(&self, username: &str, station_id: &str) -> Result<bool>;
    fn assign(&self, username: &str, station_id: &str) -> Result<(), AccountError>;
    fn audit(&self, limit: usize) -> Result<Vec<AuditEntry>>;
    /// Keeps a driver's problem report; returns its id.
    fn report(&self, report: &Report) -> Result<i64>;
    fn reports(&self, station_id: Option<&str>, limit: usize) -> Result<Vec<reports::Received>>;

    /// Writes `station` if the stored one is still at `expected_version` (None: must not exist).
    fn save_if(
        &self,
        station: &Station,
        expected_version: Option<i64>,
        actor: &str,
        action: &str,
    ) -> Result<std::result::Result<Station, Stale>>;
    fn delete(&self, id: &str, actor: &str) -> Result<()>;
}

/// The embedded store: one SQLite catalog behind a mutex (queries take microseconds).
pub struct SqliteStore {
    catalog: Mutex<Catalog>,
    /// Read-only connections for reading result rows outside the catalog lock: the index
    /// answers in microseconds, the rows take longer, and readers run in parallel.
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
    /// The feed's head sequence, kept in memory so an unchanged poll never waits for the lock.
    /// This server is the catalog's only writer of stations while it runs.
    head: AtomicI64,
    key: ServerKey,
    snapshot: Mutex<Option<Arc<PublishedSnapshot>>>,
    /// Tombstones older than this are forgotten (clients further behind get 410).
    tombstone_days: i64,
}

impl SqliteStore {
    /// Opens (or creates) the catalog and its signing key `<catalog>.signing-key`.
    pub fn open(path: &Path, tombstone_days: i64) -> std::result::Result<SqliteStore, String> {
        let catalog = Catalog::open(path).map_err(|e| e.to_string())?;
        let key_path = path.with_extension("signing-key");
        let key = ServerKey::load_or_create(&key_path)
            .map_err(|e| format!("{}: {e}", key_path.display()))?;
        let head = catalog.head_seq().map_err(|e| e.to_string())?;
        let readers = (0..READERS)
            .map(|_| {
                let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
                let conn = Connection::open_with_flags(path, flags)?;
                conn.busy_timeout(std::time::Duration::from_secs(3))?;
                Ok(Mutex::new(conn))
            })
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let store = SqliteStore {
            catalog: Mutex::new(catalog),
            readers,
            next_reader: AtomicUsize::new(0),
            head: AtomicI64::new(head),
            key,
            snapshot: Mutex::new(None),
            tombstone_days,
        };
        store.purge().map_err(|e| e.to_string())?;
        Ok(store)
    }

    fn catalog(&self) -> MutexGuard<'_, Catalog> {
        // A panic while holding the lock cannot leave SQLite half-written (transactions), so
        // the catalog stays usable.
        self.catalog.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The next reader connection, round robin.
    fn reader(&self) -> MutexGuard<'_, Connection> {
        let i = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len();
        self.readers[i].lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reads an answer's rows on a reader connection.
    fn read(&self, answer: Answer) -> Result<Vec<Hit>> {
        answer.read(&self.reader())
    }

    fn purge(&self) -> Result<usize> {
        let cutoff = (chrono::Utc::now() - chrono::Duration::days(self.tombstone_days))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        self.catalog().purge_tombstones(&cutoff)
    }
}

impl CatalogStore for SqliteStore {
    fn hits(&self, query: &Query) -> Result<Vec<Hit>> {
        // The index answers under the lock; the rows are read outside it.
        let answer = self.catalog().answer(query)?;
        self.read(answer)
    }

    fn detail(&self, id: &str, query: &DetailQuery) -> Result<Detail> {
        self.catalog().detail(id, query)
    }

    fn station(&self, id: &str) -> Result<Station> {
        self.catalog().station(id)
    }

    fn map_points(&self, crs: Crs) -> Result<MapPoints> {
        Ok(self.catalog().map_points(crs))
    }

    fn info(&self) -> Result<CatalogInfo> {
        self.catalog().info()
    }

    fn head_seq(&self) -> Result<i64> {
        Ok(self.head.load(Ordering::Acquire))
    }

    fn changes(&self, since: i64, limit: usize) -> Result<std::result::Result<ChangePage, Gone>> {
        self.catalog().changes_since(since, limit)
    }

    fn snapshot(&self) -> Result<Arc<PublishedSnapshot>> {
        let mut cached = self.snapshot.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = cached
            .as_ref()
            .filter(|s| s.signed.seq == self.head.load(Ordering::Acquire))
        {
            return Ok(s.clone());
        }
        // Read on a reader connection inside one read transaction, so the sequence and the
        // stations agree and queries go on meanwhile.
        let conn = self.reader();
        let tx = conn.unchecked_transaction()?;
        let head = waystation_catalog::feed::head(&tx)?;
        let mut stations = Vec::new();
        waystation_catalog::store::for_each_station(&tx, |s| {
            stations.push(s.clone());
            Ok(())
        })?;
        tx.commit()?;
        drop(conn);
        let body = serde_json::to_vec(&stations).map_err(|e| CatalogError::Io(e.into()))?;
        let created = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let published = Arc::new(PublishedSnapshot::new(self.key.sign(head, &created, body))?);
        *cached = Some(published.clone());
        Ok(published)
    }

    fn public_key(&self) -> String {
        self.key.public_hex()
    }

    fn login(&self, username: &str, password: &str) -> Result<Option<(String, String)>> {
        // Hash checking is slow by design; do it without holding the catalog.
        let found = operators::credentials(self.catalog().conn(), username)?;
        if !operators::verify_password(found.as_ref().map(|(_, h)| h.as_str()), password) {
            return Ok(None);
        }
        Ok(Some(operators::create_session(
            self.catalog().conn(),
            username,
        )?))
    }

    fn authenticate(&self, token: &str) -> Result<Option<Principal>> {
        operators::session(self.catalog().conn(), token)
    }

    fn logout(&self, token: &str) -> Result<()> {
        operators::end_session(self.catalog().conn(), token)
    }

    fn assigned(&self, username: &str) -> Result<Vec<String>> {
        operators::assigned_stations(self.catalog().conn(), username)
    }

    fn is_assigned(&self, username: &str, station_id: &str) -> Result<bool> {
        operators::is_assigned(self.catalog().conn(), username, station_id)
    }

    fn assign(&self, username: &str, station_id: &str) -> Result<(), AccountError> {
        operators::assign(self.catalog().conn(), username, station_id)
    }

    fn report(&self, report: &Report) -> Result<i64> {
        reports::record(&self.catalog(), report)
    }

    fn reports(&self, station_id: Option<&str>, limit: usize) -> Result<Vec<reports::Received>> {
        reports::list(&self.catalog(), station_id, limit)
    }

    fn audit(&self, limit: usize) -> Result<Vec<AuditEntry>> {
        operators::audit_log(self.catalog().conn(), limit)
    }

    fn save_if(
        &self,
        station: &Station,
        expected_version: Option<i64>,
        actor: &str,
        action: &str,
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
        let saved = catalog.save_station(station, actor, action)?;
        self.head.store(catalog.head_seq()?, Ordering::Release);
        Ok(Ok(saved))
    }

    fn delete(&self, id: &str, actor: &str) -> Result<()> {
        {
            let mut catalog = self.catalog();
            catalog.delete_station(id, actor)?;
            self.head.store(catalog.head_seq()?, Ordering::Release);
        }
        self.purge().map(|_| ())
    }
}
