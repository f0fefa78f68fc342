//! The narrow storage interface the handlers use, and its embedded implementation over one
//! SQLite catalog file. A PostgreSQL store for national scale implements the same trait.

use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use waystation_catalog::catalog::CatalogInfo;
use waystation_catalog::feed::{ChangePage, Gone};
use waystation_catalog::readers::Readers;
use waystation_catalog::reports::{Received, Report};
use waystation_catalog::request::DetailQuery;
use waystation_catalog::snapshot::SignedSnapshot;
use waystation_catalog::store::accounts::Principal;
use waystation_catalog::store::audit::AuditEntry;

use crate::accounts::{self, AccountError};
use crate::signing::ServerKey;
use waystation_catalog::{Catalog, CatalogError, Crs, Detail, Hit, MapPoints, Query, Station};

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
    fn reports(&self, station_id: Option<&str>, limit: usize) -> Result<Vec<Received>>;

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
    readers: Readers,
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
        let readers = catalog.readers(READERS).map_err(|e| e.to_string())?;
        let store = SqliteStore {
            catalog: Mutex::new(catalog),
            readers,
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
        self.readers.read(answer)
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
        let (head, stations) = self.readers.all_stations()?;
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
        let found = self.catalog().accounts().credentials(username)?;
        // Hash checking is slow by design; do it without holding the catalog.
        if !accounts::verify_password(found.as_ref().map(|(_, h)| h.as_str()), password) {
            return Ok(None);
        }
        Ok(Some(accounts::create_session(&self.catalog(), username)?))
    }

    fn authenticate(&self, token: &str) -> Result<Option<Principal>> {
        accounts::session(&self.catalog(), token)
    }

    fn logout(&self, token: &str) -> Result<()> {
        accounts::end_session(&self.catalog(), token)
    }

    fn assigned(&self, username: &str) -> Result<Vec<String>> {
        self.catalog().accounts().assigned_stations(username)
    }

    fn is_assigned(&self, username: &str, station_id: &str) -> Result<bool> {
        self.catalog().accounts().is_assigned(username, station_id)
    }

    fn assign(&self, username: &str, station_id: &str) -> Result<(), AccountError> {
        accounts::assign(&self.catalog(), username, station_id)
    }

    fn report(&self, report: &Report) -> Result<i64> {
        let catalog = self.catalog();
        catalog.check_report(report)?;
        catalog
            .received_reports()
            .record(report, &waystation_catalog::exchange::now_rfc3339())
    }

    fn reports(&self, station_id: Option<&str>, limit: usize) -> Result<Vec<Received>> {
        self.catalog().received_reports().newest(station_id, limit)
    }

    fn audit(&self, limit: usize) -> Result<Vec<AuditEntry>> {
        self.catalog().audit_log(limit)
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
