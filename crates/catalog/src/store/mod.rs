//! The SQLite file: schema and migrations, opening with clear errors, and station rows.

pub mod accounts;
pub mod audit;
pub mod codes;
pub mod confirmations;
pub mod feed;
pub mod outbox;
pub mod packed_index;
pub mod proposal_outbox;
pub mod proposals;
pub mod reports;
pub mod search;
pub mod sizes;
pub mod summaries;
pub mod texts;

use std::path::{Path, PathBuf};

use rusqlite::types::{Null, ToSqlOutput};
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, Row, params_from_iter};

use crate::error::{CatalogError, Result};
use crate::model::{ServiceSet, Station};
use crate::sphere::LatLon;
use texts::Known;

/// `PRAGMA application_id` marking a file as a Waystation catalog ("WAYS").
const APPLICATION_ID: i64 = 0x5741_5953;

/// The stations' triggers that keep the text index in step with names and addresses (migration
/// 1; the update one as migration 10 made it) and move the index's generation on with every
/// change to a station (migration 9). Migration 12, making the table anew, makes them again.
macro_rules! text_insert_delete_triggers {
    () => {
        "CREATE TRIGGER stations_text_insert AFTER INSERT ON stations BEGIN
            INSERT INTO station_text(rowid, name, address) VALUES (new.pk, new.name, new.address);
        END;
        CREATE TRIGGER stations_text_delete AFTER DELETE ON stations BEGIN
            INSERT INTO station_text(station_text, rowid, name, address)
                VALUES ('delete', old.pk, old.name, old.address);
        END;"
    };
}

macro_rules! text_update_trigger {
    () => {
        "CREATE TRIGGER stations_text_update AFTER UPDATE OF name, address ON stations
        WHEN old.name IS NOT new.name OR old.address IS NOT new.address BEGIN
            INSERT INTO station_text(station_text, rowid, name, address)
                VALUES ('delete', old.pk, old.name, old.address);
            INSERT INTO station_text(rowid, name, address) VALUES (new.pk, new.name, new.address);
        END;"
    };
}

/// A station's whole address from its row (`$row` is `new`, `old` or a table's alias): the
/// region's name it begins with, kept in `texts` (migration 13), then the rest.
macro_rules! whole_address {
    ($row:literal) => {
        concat!(
            "coalesce((SELECT text FROM texts WHERE code = ",
            $row,
            ".region), '') || ",
            $row,
            ".street_address"
        )
    };
}

/// A station's opening hours from its row, as `whole_address!` its address.
macro_rules! hours_text {
    ($row:literal) => {
        concat!("(SELECT text FROM texts WHERE code = ", $row, ".hours)")
    };
}

/// The text index's triggers from migration 13 on: it indexes the whole address, as the
/// `station_rows` view gives it (its content table), and is rewritten only when a name or an
/// address changes.
macro_rules! whole_text_triggers {
    () => {
        concat!(
            "CREATE TRIGGER stations_text_insert AFTER INSERT ON stations BEGIN
            INSERT INTO station_text(rowid, name, address) VALUES (new.pk, new.name, ",
            whole_address!("new"),
            ");
        END;
        CREATE TRIGGER stations_text_delete AFTER DELETE ON stations BEGIN
            INSERT INTO station_text(station_text, rowid, name, address)
                VALUES ('delete', old.pk, old.name, ",
            whole_address!("old"),
            ");
        END;
        CREATE TRIGGER stations_text_update AFTER UPDATE OF name, region, street_address
        ON stations WHEN old.name IS NOT new.name OR old.region IS NOT new.region
            OR old.street_address IS NOT new.street_address BEGIN
            INSERT INTO station_text(station_text, rowid, name, address)
                VALUES ('delete', old.pk, old.name, ",
            whole_address!("old"),
            ");
            INSERT INTO station_text(rowid, name, address) VALUES (new.pk, new.name, ",
            whole_address!("new"),
            ");
        END;"
        )
    };
}

/// The triggers, named `$name_generation_insert` and so on, that move the index's generation on
/// every write to `$table` (`stations`, or `fact_tallies`: the tallies are in the packed index too).
macro_rules! generation_triggers {
    ($table:literal, $name:literal) => {
        concat!(
            "CREATE TRIGGER ",
            $name,
            "_generation_insert AFTER INSERT ON ",
            $table,
            " BEGIN
            UPDATE index_generation SET n = n + 1;
        END;
        CREATE TRIGGER ",
            $name,
            "_generation_update AFTER UPDATE ON ",
            $table,
            " BEGIN
            UPDATE index_generation SET n = n + 1;
        END;
        CREATE TRIGGER ",
            $name,
            "_generation_delete AFTER DELETE ON ",
            $table,
            " BEGIN
            UPDATE index_generation SET n = n + 1;
        END;"
        )
    };
}

/// Schema migrations; `PRAGMA user_version` is the number applied. Append only.
const MIGRATIONS: &[&str] = &[
    // 1: stations, and trigram full-text search over name and address (works for Chinese).
    concat!(
        "CREATE TABLE stations (
        pk INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        address TEXT NOT NULL,
        adcode TEXT NOT NULL,
        lat REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
        lon REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
        services INTEGER NOT NULL,
        opening_hours TEXT,
        phone TEXT,
        truck_spaces INTEGER CHECK (truck_spaces >= 0),
        status TEXT NOT NULL,
        notice TEXT,
        source TEXT NOT NULL,
        version INTEGER NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX stations_adcode ON stations(adcode);
    CREATE VIRTUAL TABLE station_text USING fts5(
        name, address, content='stations', content_rowid='pk', tokenize='trigram'
    );",
        text_insert_delete_triggers!(),
        "CREATE TRIGGER stations_text_update AFTER UPDATE OF name, address ON stations BEGIN
        INSERT INTO station_text(station_text, rowid, name, address)
            VALUES ('delete', old.pk, old.name, old.address);
        INSERT INTO station_text(rowid, name, address) VALUES (new.pk, new.name, new.address);
    END;"
    ),
    // 2: the change feed (one live entry per station: the latest upsert or tombstone), key/value
    //    facts (sync state, tombstone horizon), operator accounts, sessions, audit, offline outbox.
    "ALTER TABLE stations ADD COLUMN free_truck_spaces INTEGER CHECK (free_truck_spaces >= 0);
    CREATE TABLE catalog_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        station_id TEXT NOT NULL UNIQUE,
        op TEXT NOT NULL CHECK (op IN ('upsert', 'delete')),
        at TEXT NOT NULL
    );
    CREATE TABLE users (
        username TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('operator', 'admin')),
        password_hash TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE assignments (
        username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
        station_id TEXT NOT NULL REFERENCES stations(id) ON DELETE CASCADE,
        PRIMARY KEY (username, station_id)
    );
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
        expires_at TEXT NOT NULL
    );
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        station_id TEXT,
        detail TEXT NOT NULL
    );
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        server TEXT NOT NULL,
        station_id TEXT NOT NULL,
        base_version INTEGER NOT NULL,
        patch TEXT NOT NULL,
        created_at TEXT NOT NULL
    );",
    // 3: problem reports: kept by the server, queued by the app until its next sync.
    "CREATE TABLE reports (
        id INTEGER PRIMARY KEY,
        station_id TEXT NOT NULL,
        problem TEXT NOT NULL CHECK (problem IN ('closed', 'wrong_place', 'service_missing')),
        service TEXT,
        note TEXT,
        received_at TEXT NOT NULL
    );
    CREATE INDEX reports_by_station ON reports (station_id);
    CREATE TABLE report_outbox (
        id INTEGER PRIMARY KEY,
        server TEXT NOT NULL,
        report TEXT NOT NULL,
        created_at TEXT NOT NULL
    );",
    // 4: an outbox edit the server refused is kept, with the server's reason, instead of being
    //    retried for ever (or blocking the edits after it).
    "ALTER TABLE outbox ADD COLUMN failed TEXT;",
    // 5: proposals of new stations and changes: kept by the server for review (the secret's
    //    SHA-256 lets the proposer ask how it went); queued by the app until its next sync,
    //    then remembered with their id and secret.
    "CREATE TABLE proposals (
        id INTEGER PRIMARY KEY,
        secret_hash TEXT NOT NULL,
        station_id TEXT,
        new_station INTEGER NOT NULL,
        fields TEXT NOT NULL,
        note TEXT,
        contact TEXT,
        proposer TEXT,
        device TEXT,
        state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected')),
        duplicate_of TEXT,
        reason TEXT,
        created_at TEXT NOT NULL,
        decided_at TEXT,
        decided_by TEXT
    );
    CREATE INDEX proposals_by_state ON proposals (state, id);
    CREATE TABLE proposal_outbox (
        id INTEGER PRIMARY KEY,
        server TEXT NOT NULL,
        proposal TEXT NOT NULL,
        created_at TEXT NOT NULL,
        failed TEXT
    );
    CREATE TABLE my_proposals (
        server TEXT NOT NULL,
        id INTEGER NOT NULL,
        secret TEXT NOT NULL,
        proposal TEXT NOT NULL,
        sent_at TEXT NOT NULL,
        PRIMARY KEY (server, id)
    );",
    // 6: drivers' confirmations, fact by fact: one a device, a fact and a day (China time) on the
    //    server; queued by the app until its next sync.
    "CREATE TABLE confirmations (
        station_id TEXT NOT NULL,
        fact TEXT NOT NULL,
        holds INTEGER NOT NULL,
        device TEXT NOT NULL,
        day TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (station_id, fact, device, day)
    );
    CREATE INDEX confirmations_recent ON confirmations (at);
    CREATE TABLE confirmation_outbox (
        id INTEGER PRIMARY KEY,
        server TEXT NOT NULL,
        confirmation TEXT NOT NULL,
        created_at TEXT NOT NULL
    );",
    // 7: confirmations reach devices without re-sending stations: what the last 30 days say
    //    about each fact is kept in `fact_tallies` (the server writes it on each confirmation,
    //    a client from the feed), and the feed keeps a second live entry per station, its
    //    `facts`, beside its `station` entry. The feed's sequence carries on where it was.
    "CREATE TABLE fact_tallies (
        station_id TEXT NOT NULL,
        fact TEXT NOT NULL,
        last_confirmed TEXT,
        confirmed INTEGER NOT NULL,
        denied INTEGER NOT NULL,
        PRIMARY KEY (station_id, fact)
    );
    CREATE TABLE changes_v7 (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        station_id TEXT NOT NULL,
        kind TEXT NOT NULL DEFAULT 'station' CHECK (kind IN ('station', 'facts')),
        op TEXT NOT NULL CHECK (op IN ('upsert', 'delete', 'facts')),
        at TEXT NOT NULL,
        UNIQUE (station_id, kind)
    );
    INSERT INTO changes_v7 (seq, station_id, kind, op, at)
        SELECT seq, station_id, 'station', op, at FROM changes;
    DELETE FROM sqlite_sequence WHERE name = 'changes_v7';
    INSERT INTO sqlite_sequence (name, seq)
        SELECT 'changes_v7', seq FROM sqlite_sequence WHERE name = 'changes';
    DROP TABLE changes;
    ALTER TABLE changes_v7 RENAME TO changes;",
    // 8: who a confirmation counts for: fresh device ids from one address (or one operator)
    //    are one voice in the tallies, so a single phone cannot make a fact disputed.
    "ALTER TABLE confirmations ADD COLUMN voice TEXT;",
    // 9: the index kept in the file, so opening does not rebuild it (store/packed_index.rs).
    //    Every change to a station or a drivers' tally moves the generation on, in the same
    //    transaction, whoever writes; a packed index is trusted only at the generation it was
    //    made at.
    concat!(
        "CREATE TABLE index_generation (n INTEGER NOT NULL);
    INSERT INTO index_generation VALUES (0);",
        generation_triggers!("stations", "stations"),
        generation_triggers!("fact_tallies", "tallies"),
        "CREATE TABLE packed_index (
        part TEXT PRIMARY KEY,
        generation INTEGER NOT NULL,
        format INTEGER NOT NULL,
        checksum INTEGER NOT NULL,
        data BLOB NOT NULL
    );"
    ),
    // 10: the text index is rewritten only when a name or an address changes: a sync page or a
    //     snapshot that rewrites a station's other fields (or the same ones) leaves it alone.
    concat!("DROP TRIGGER stations_text_update;", text_update_trigger!()),
    // 11: a lighter file: a text index of trigrams without their positions or per-row sizes
    //     (a quarter of the size; store/search.rs checks and ranks the matches as FTS5 did with
    //     positions; the triggers keep writing to it by name), and no index on the county code,
    //     which no query looks stations up by.
    "DROP INDEX IF EXISTS stations_adcode;
    DROP TABLE station_text;
    CREATE VIRTUAL TABLE station_text USING fts5(
        name, address, content='stations', content_rowid='pk', tokenize='trigram',
        detail='none', columnsize=0
    );
    INSERT INTO station_text(station_text) VALUES ('rebuild');",
    // 12: a lighter row (~40 bytes of 230): kind, status and source as their codes, and the
    //     timestamp in the catalog's own form as seconds (`codes.rs`; other text stays text).
    //     An id with spaces around it gets its code as the reader trimmed it; any other text
    //     stays, and reads as it did (`codes::coded`), so no file that opened before is refused
    //     (hence no declared type for these columns: INTEGER would make a text '2' the code 2).
    //     Only years 0000 on are made seconds: SQLite's calendar before then is not chrono's.
    //     The table is made anew with the same primary keys, so the text index, the packed
    //     index and the feed stay true; its triggers are made again as they were.
    concat!(
        "CREATE TABLE stations_v12 (
        pk INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        kind NOT NULL,
        name TEXT NOT NULL,
        address TEXT NOT NULL,
        adcode TEXT NOT NULL,
        lat REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
        lon REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
        services INTEGER NOT NULL,
        opening_hours TEXT,
        phone TEXT,
        truck_spaces INTEGER CHECK (truck_spaces >= 0),
        status NOT NULL,
        notice TEXT,
        source NOT NULL,
        version INTEGER NOT NULL,
        updated_at NOT NULL,
        free_truck_spaces INTEGER CHECK (free_truck_spaces >= 0)
    );
    INSERT INTO stations_v12
    SELECT pk, id,
        CASE trim(kind, char(32, 9, 10, 11, 12, 13)) WHEN 'driver_home' THEN 0
            WHEN 'warm_bee' THEN 1 WHEN 'caring_merchant' THEN 2 WHEN 'worker_station' THEN 3
            ELSE kind END,
        name, address, adcode, lat, lon, services, opening_hours, phone, truck_spaces,
        CASE trim(status, char(32, 9, 10, 11, 12, 13)) WHEN 'open' THEN 0
            WHEN 'temporarily_closed' THEN 1 WHEN 'closed' THEN 2 ELSE status END,
        notice,
        CASE trim(source, char(32, 9, 10, 11, 12, 13)) WHEN 'official' THEN 0
            WHEN 'operator' THEN 1 WHEN 'synthetic' THEN 2 WHEN 'proposal' THEN 3
            ELSE source END,
        version,
        CASE WHEN strftime('%Y-%m-%dT%H:%M:%SZ', unixepoch(updated_at), 'unixepoch') IS updated_at
            AND unixepoch(updated_at) >= -62167219200
            THEN unixepoch(updated_at) ELSE updated_at END,
        free_truck_spaces
    FROM stations;
    DROP TABLE stations;
    ALTER TABLE stations_v12 RENAME TO stations;",
        text_insert_delete_triggers!(),
        text_update_trigger!(),
        generation_triggers!("stations", "stations")
    ),
    // 13: texts many stations share kept once (store/texts.rs): the region an address begins
    //     with (its county code's full name, from `temp.region_names`, which `prepare` fills
    //     from the geography) and the opening hours, as codes in `texts`; a national catalog's
    //     device file 64.3 -> 56.2 MB. The catalog's readers put the address and hours together
    //     (`texts::Known`); the `station_rows` view does for SQL, and is what the text index,
    //     made anew, reads. An address that does not begin with its county's name, or is not
    //     text, keeps all of it; the region is cut off by its bytes, as Rust cuts it (SQLite's
    //     text functions stop at a NUL). A text keeps its code for good. Keys stay, as in 12.
    concat!(
        "DROP TABLE station_text;
    CREATE TABLE texts (code INTEGER PRIMARY KEY AUTOINCREMENT, text TEXT NOT NULL UNIQUE);
    CREATE TRIGGER texts_kept BEFORE UPDATE ON texts BEGIN
        SELECT RAISE(ABORT, 'a text in texts is never changed: rows and the text index name it by its code');
    END;
    CREATE TEMP TABLE regions_cut AS
        SELECT s.pk AS pk, r.name AS name FROM stations s
        JOIN temp.region_names r ON r.adcode = s.adcode
        WHERE typeof(s.address) = 'text'
            AND substr(CAST(s.address AS BLOB), 1, length(CAST(r.name AS BLOB)))
                = CAST(r.name AS BLOB);
    INSERT INTO texts (text) SELECT DISTINCT name FROM temp.regions_cut;
    INSERT OR IGNORE INTO texts (text)
        SELECT DISTINCT opening_hours FROM stations WHERE opening_hours IS NOT NULL;
    CREATE TABLE stations_v13 (
        pk INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        kind NOT NULL,
        name TEXT NOT NULL,
        region INTEGER,
        street_address TEXT NOT NULL,
        adcode TEXT NOT NULL,
        lat REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
        lon REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
        services INTEGER NOT NULL,
        hours INTEGER,
        phone TEXT,
        truck_spaces INTEGER CHECK (truck_spaces >= 0),
        status NOT NULL,
        notice TEXT,
        source NOT NULL,
        version INTEGER NOT NULL,
        updated_at NOT NULL,
        free_truck_spaces INTEGER CHECK (free_truck_spaces >= 0)
    );
    INSERT INTO stations_v13
    SELECT s.pk, s.id, s.kind, s.name, t.code,
        CASE WHEN t.code IS NULL THEN s.address
            ELSE CAST(substr(CAST(s.address AS BLOB), length(CAST(c.name AS BLOB)) + 1) AS TEXT)
        END,
        s.adcode, s.lat, s.lon, s.services,
        (SELECT code FROM texts WHERE text = s.opening_hours),
        s.phone, s.truck_spaces, s.status, s.notice, s.source, s.version, s.updated_at,
        s.free_truck_spaces
    FROM stations s
    LEFT JOIN temp.regions_cut c ON c.pk = s.pk
    LEFT JOIN texts t ON t.text = c.name;
    DROP TABLE temp.regions_cut;
    DROP TABLE stations;
    ALTER TABLE stations_v13 RENAME TO stations;
    CREATE VIEW station_rows AS SELECT s.pk AS pk, s.id AS id, s.kind AS kind, s.name AS name,
        ",
        whole_address!("s"),
        " AS address,
        s.adcode AS adcode, s.lat AS lat, s.lon AS lon, s.services AS services,
        ",
        hours_text!("s"),
        " AS opening_hours, s.phone AS phone,
        s.truck_spaces AS truck_spaces, s.status AS status, s.notice AS notice,
        s.source AS source, s.version AS version, s.updated_at AS updated_at,
        s.free_truck_spaces AS free_truck_spaces
    FROM stations s;
    CREATE VIRTUAL TABLE station_text USING fts5(
        name, address, content='station_rows', content_rowid='pk', tokenize='trigram',
        detail='none', columnsize=0
    );
    INSERT INTO station_text(station_text) VALUES ('rebuild');",
        whole_text_triggers!(),
        generation_triggers!("stations", "stations")
    ),
];

pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The migration that reads the regions' names `texts::stage_region_names` puts in `temp`.
const TEXTS_MIGRATION: usize = 13;

/// Gives the free pages back (`VACUUM`) when more than `1 / share` of the file is free: a phone
/// keeps them otherwise (migration 11 freed a sixth of a national catalog). Best effort: VACUUM
/// failing (out of space) leaves the catalog whole; while another connection is in a read, the
/// log VACUUM wrote stays beside the file (the checkpoint that truncates it waits for readers,
/// up to the busy timeout) until a later checkpoint.
fn give_back_free_pages(conn: &Connection, share: i64) -> rusqlite::Result<()> {
    let free: i64 = conn.query_row("PRAGMA freelist_count", [], |r| r.get(0))?;
    let pages: i64 = conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
    if free * share > pages {
        // Busy or not, the catalog is whole either way. In WAL mode the copy VACUUM writes
        // stays in the write-ahead log, as large as the file, until a checkpoint truncates it:
        // truncated even when VACUUM failed half-way (out of space, say).
        let _ = conn.execute_batch("VACUUM");
        let _ = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)");
    }
    Ok(())
}

/// The columns of a full station row as `stations` stores them, in [`station_from_row`] order.
pub const STATION_COLUMNS: &str = "id, kind, name, region, street_address, adcode, lat, lon, \
     services, hours, phone, truck_spaces, status, notice, source, version, updated_at, \
     free_truck_spaces";

/// What an upsert did to the stored row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upserted {
    Inserted(i64),
    Updated(i64),
    Unchanged,
}

pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// `PRAGMA data_version` when last looked: it moves when another connection commits.
    data_version: i64,
}

impl Store {
    /// Opens (creating if missing) a catalog file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| open_error(path, e))?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
            data_version: 0,
        };
        store.prepare().map_err(|e| open_error(path, e))??;
        store.data_version = store.data_version()?;
        Ok(store)
    }

    fn data_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))?)
    }

    /// Whether another connection (another program) committed since the last call.
    /// Makes the next `written_elsewhere` say yes (what was written could not be taken in).
    pub fn look_again(&mut self) {
        self.data_version = -1;
    }

    pub fn written_elsewhere(&mut self) -> Result<bool> {
        let now = self.data_version()?;
        let changed = now != self.data_version;
        self.data_version = now;
        Ok(changed)
    }

    /// Every commit reaches the disk before it is answered (`synchronous=FULL`): for a server,
    /// whose sequence numbers clients rely on, a power cut must not hand out a number twice.
    pub fn make_durable(&self) -> Result<()> {
        Ok(self.conn.pragma_update(None, "synchronous", "FULL")?)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Checks identity and version, sets pragmas, migrates. The outer error is SQLite's
    /// (mapped by the caller), the inner one a catalog-level refusal.
    fn prepare(&mut self) -> rusqlite::Result<Result<()>> {
        self.conn.busy_timeout(std::time::Duration::from_secs(3))?;
        // A write transaction takes the write lock when it begins, so it waits its turn behind
        // another writer (the index packer, another program's import) instead of failing at
        // once when that writer commits after it began reading (SQLite's rule in WAL mode).
        self.conn
            .set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
        let app_id: i64 = self
            .conn
            .query_row("PRAGMA application_id", [], |r| r.get(0))?;
        let version: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let tables: i64 = self
            .conn
            .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
        let fresh = app_id == 0 && version == 0 && tables == 0;
        if !fresh && app_id != APPLICATION_ID {
            return Ok(Err(CatalogError::NotACatalog {
                path: self.path.clone(),
            }));
        }
        if version > SCHEMA_VERSION {
            return Ok(Err(CatalogError::TooNew {
                path: self.path.clone(),
                found: version,
                supported: SCHEMA_VERSION,
            }));
        }
        self.conn.pragma_update(None, "journal_mode", "WAL")?;
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        // Foreign keys are enforced once the schema is current (SQLite as built here enforces
        // them from the start): a migration that makes a table anew (12 does the stations) must
        // not have its DROP delete the rows that refer to the old one (an operator's
        // assignments); it keeps every key, so they refer to the new one.
        if version < SCHEMA_VERSION {
            self.conn.pragma_update(None, "foreign_keys", "OFF")?;
            let tx = self.conn.transaction()?;
            tx.pragma_update(None, "application_id", APPLICATION_ID)?;
            for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
                if i + 1 == TEXTS_MIGRATION {
                    texts::stage_region_names(&tx)?;
                }
                tx.execute_batch(sql)?;
                tx.pragma_update(None, "user_version", i as i64 + 1)?;
            }
            tx.commit()?;
            if !fresh {
                // After a migration, past a tenth.
                give_back_free_pages(&self.conn, 10)?;
            }
        }
        self.conn.pragma_update(None, "foreign_keys", "ON")?;
        Ok(Ok(()))
    }

    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    pub fn station(&self, id: &str) -> Result<Option<Station>> {
        station_by_id(&self.conn, id)
    }
}

/// One station by id, on any connection to the catalog.
pub fn station_by_id(conn: &Connection, id: &str) -> Result<Option<Station>> {
    let sql = format!("SELECT {STATION_COLUMNS} FROM stations WHERE id = ?1");
    let mut known = Known::new(conn);
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], |r| station_from_row(r, &mut known))
        .optional()?)
}

/// Calls `f` with every station, ordered by id, on any connection to the catalog.
pub fn for_each_station(
    conn: &Connection,
    mut f: impl FnMut(&Station) -> Result<()>,
) -> Result<()> {
    let sql = format!("SELECT {STATION_COLUMNS} FROM stations ORDER BY id");
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query([])?;
    let mut known = Known::new(conn);
    while let Some(row) = rows.next()? {
        f(&station_from_row(row, &mut known)?)?;
    }
    Ok(())
}

/// Stations by primary key, on any connection to the catalog, in batches of up to 500 per
/// statement (one statement costs far less than one per row).
pub fn stations_by_pk(
    conn: &Connection,
    pks: &[i64],
) -> Result<std::collections::HashMap<i64, Station>> {
    let mut out = std::collections::HashMap::with_capacity(pks.len());
    let mut known = Known::new(conn);
    for chunk in pks.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(",");
        let sql = format!("SELECT pk, {STATION_COLUMNS} FROM stations WHERE pk IN ({marks})");
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(chunk), |r| {
            Ok((r.get::<_, i64>(0)?, station_from_row_at(r, 1, &mut known)?))
        })?;
        for row in rows {
            let (pk, station) = row?;
            out.insert(pk, station);
        }
    }
    Ok(out)
}

/// An insert of the 18 [`station_values`] that updates every field on a conflicting id; the
/// caller adds how `version` and `updated_at` change and what the statement returns.
macro_rules! insert_station {
    ($($rest:tt)*) => {
        concat!(
            "INSERT INTO stations (id, kind, name, region, street_address, adcode, lat, lon,
                services, hours, phone, truck_spaces, status, notice, source, version, updated_at,
                free_truck_spaces)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                ?18)
             ON CONFLICT(id) DO UPDATE SET
                kind = excluded.kind, name = excluded.name, region = excluded.region,
                street_address = excluded.street_address,
                adcode = excluded.adcode, lat = excluded.lat, lon = excluded.lon,
                services = excluded.services, hours = excluded.hours,
                phone = excluded.phone, truck_spaces = excluded.truck_spaces, status = excluded.status,
                notice = excluded.notice, source = excluded.source,
                free_truck_spaces = excluded.free_truck_spaces, ",
            $($rest)*
        )
    };
}

/// Inserts or updates a station by id inside the caller's transaction. An update bumps the
/// version only when something changed, so re-importing the same file is a no-op.
pub fn upsert(tx: &rusqlite::Transaction<'_>, s: &Station, now: &str) -> Result<Upserted> {
    // Compared as the station reads, not as stored: a geography that names a county anew
    // splits the same address otherwise, and that is no change to the station.
    let mut stmt = tx.prepare_cached(insert_station!(concat!(
        "version = stations.version + 1, updated_at = excluded.updated_at
         WHERE (stations.kind, stations.name, ",
        whole_address!("stations"),
        ", stations.adcode, stations.lat, stations.lon, stations.services, ",
        hours_text!("stations"),
        ", stations.phone, stations.truck_spaces, stations.status, stations.notice,
                stations.source, stations.free_truck_spaces)
            IS NOT (excluded.kind, excluded.name, ",
        whole_address!("excluded"),
        ", excluded.adcode, excluded.lat, excluded.lon, excluded.services, ",
        hours_text!("excluded"),
        ", excluded.phone, excluded.truck_spaces, excluded.status, excluded.notice,
                excluded.source, excluded.free_truck_spaces)
         RETURNING pk, version"
    )))?;
    let outcome = stmt
        .query_row(params_from_iter(station_values(tx, s, 1, now)?), |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
        })
        .optional()?;
    let outcome = match outcome {
        None => Upserted::Unchanged,
        Some((pk, 1)) => Upserted::Inserted(pk),
        Some((pk, _)) => Upserted::Updated(pk),
    };
    if outcome != Upserted::Unchanged {
        log_change(tx, &s.id, "upsert", now)?;
    }
    Ok(outcome)
}

/// Appends to the change feed: the station's previous entry is dropped (the feed carries
/// state, not history) and a new one takes the next sequence number.
pub fn log_change(
    tx: &rusqlite::Transaction<'_>,
    station_id: &str,
    op: &str,
    now: &str,
) -> Result<()> {
    let listed_again = op == "upsert"
        && tx
            .prepare_cached(
                "SELECT 1 FROM changes WHERE station_id = ?1 AND kind = 'station' AND op = 'delete'",
            )?
            .exists([station_id])?;
    tx.prepare_cached("DELETE FROM changes WHERE station_id = ?1 AND kind = 'station'")?
        .execute([station_id])?;
    tx.prepare_cached(
        "INSERT INTO changes (station_id, kind, op, at) VALUES (?1, 'station', ?2, ?3)",
    )?
    .execute([station_id, op, now])?;
    if listed_again {
        // Its tombstone gives way to this entry, so a client that never saw the tombstone
        // is told here that the station has no tallies (those of its former listing went).
        log_facts(tx, station_id, now)?;
    }
    if op == "delete" {
        // A deleted station's facts go with it (the tombstone tells clients to drop theirs).
        tx.prepare_cached("DELETE FROM changes WHERE station_id = ?1 AND kind = 'facts'")?
            .execute([station_id])?;
        tx.prepare_cached("DELETE FROM fact_tallies WHERE station_id = ?1")?
            .execute([station_id])?;
        // And the words about it: a station listed again under its id starts afresh.
        tx.prepare_cached("DELETE FROM confirmations WHERE station_id = ?1")?
            .execute([station_id])?;
    }
    Ok(())
}

/// Appends a station's facts to the change feed (its previous facts entry dropped): clients
/// take the tallies from `fact_tallies` with the next page, without the station itself.
pub fn log_facts(tx: &rusqlite::Transaction<'_>, station_id: &str, now: &str) -> Result<()> {
    tx.prepare_cached("DELETE FROM changes WHERE station_id = ?1 AND kind = 'facts'")?
        .execute([station_id])?;
    tx.prepare_cached(
        "INSERT INTO changes (station_id, kind, op, at) VALUES (?1, 'facts', 'facts', ?2)",
    )?
    .execute([station_id, now])?;
    Ok(())
}

/// The 18 values of a station row in insert order, with the version and timestamp to store;
/// the kind, status, source and timestamp in their stored forms (`codes`), the address and
/// hours as `texts` keeps them.
fn station_values<'a>(
    tx: &rusqlite::Transaction<'_>,
    s: &'a Station,
    version: i64,
    updated_at: &'a str,
) -> Result<[ToSqlOutput<'a>; 18]> {
    let text = |t: &'a str| ToSqlOutput::from(t);
    let maybe_text = |t: &'a Option<String>| t.as_deref().map_or(ToSqlOutput::from(Null), text);
    let maybe_count = |n: Option<u32>| n.map_or(ToSqlOutput::from(Null), ToSqlOutput::from);
    let maybe_code = |c: Option<i64>| c.map_or(ToSqlOutput::from(Null), ToSqlOutput::from);
    let stored = texts::store(tx, &s.address, &s.adcode, s.opening_hours.as_deref())?;
    Ok([
        text(&s.id),
        codes::code(s.kind),
        text(&s.name),
        maybe_code(stored.region),
        text(stored.street_address),
        text(&s.adcode),
        ToSqlOutput::from(s.location.lat),
        ToSqlOutput::from(s.location.lon),
        ToSqlOutput::from(s.services.bits()),
        maybe_code(stored.hours),
        maybe_text(&s.phone),
        maybe_count(s.truck_spaces),
        codes::code(s.status),
        maybe_text(&s.notice),
        codes::code(s.source),
        ToSqlOutput::from(version),
        codes::time(updated_at),
        maybe_count(s.free_truck_spaces),
    ])
}

/// Deletes a station and logs a tombstone. Returns its primary key, or None if it did not exist.
pub fn delete(tx: &rusqlite::Transaction<'_>, id: &str, now: &str) -> Result<Option<i64>> {
    let pk: Option<i64> = tx
        .prepare_cached("DELETE FROM stations WHERE id = ?1 RETURNING pk")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    if pk.is_some() {
        log_change(tx, id, "delete", now)?;
    }
    Ok(pk)
}

/// Stores a station exactly as given, version and timestamp included (a copy of the server's
/// row during sync), without logging a change. Returns its primary key.
pub fn put_exact(tx: &rusqlite::Transaction<'_>, s: &Station) -> Result<i64> {
    let mut stmt = tx.prepare_cached(insert_station!(
        "version = excluded.version, updated_at = excluded.updated_at
         RETURNING pk"
    ))?;
    Ok(stmt.query_row(
        params_from_iter(station_values(tx, s, s.version, &s.updated_at)?),
        |r| r.get(0),
    )?)
}

/// A key/value fact about the catalog (sync state and the like).
pub fn meta(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT value FROM catalog_meta WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

/// A station's primary key.
pub fn pk_of(conn: &Connection, id: &str) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT pk FROM stations WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?)
}

/// Removes a station row as a synced tombstone says (no feed entry: the server's feed is
/// where it came from); its primary key if it was there.
pub fn remove_synced(tx: &rusqlite::Transaction<'_>, id: &str) -> Result<Option<i64>> {
    Ok(tx
        .prepare_cached("DELETE FROM stations WHERE id = ?1 RETURNING pk")?
        .query_row([id], |r| r.get::<_, i64>(0))
        .optional()?)
}

/// Forgets every tally: they belong to the feed the catalog followed, and a snapshot starts them
/// afresh.
pub fn forget_tallies(tx: &rusqlite::Transaction<'_>) -> Result<()> {
    tx.execute("DELETE FROM fact_tallies", [])?;
    Ok(())
}

/// After every row was written anew (a snapshot, a first sync, a replica's copy): the text
/// index, written row by row over the old rows' entries, is merged into one segment (a first
/// sync of the national catalog leaves it 9.2 MB where 6.3 MB says the same), and the pages that
/// frees are given back when they are more than a twentieth of the file. Nothing the catalog
/// answers changes, so a failure here leaves the catalog whole and is only logged (VACUUM's own
/// is best effort, as after a migration).
pub fn tidy_after_rewrite(conn: &Connection) {
    let tidied = conn
        .execute_batch("INSERT INTO station_text(station_text) VALUES ('optimize')")
        .and_then(|()| texts::forget_unused(conn))
        .and_then(|()| give_back_free_pages(conn, 20));
    if let Err(e) = tidied {
        tracing::warn!("the catalog file was not tidied after a snapshot: {e}");
    }
}

/// Removes every station row but those at `kept`: a snapshot writes its stations over the old
/// rows by id, each keeping its primary key (so an index published before the snapshot never
/// finds another station at a key), then the rows of the stations it no longer has go.
pub fn remove_all_but(tx: &rusqlite::Transaction<'_>, kept: &[i64]) -> Result<()> {
    tx.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS kept_stations (pk INTEGER PRIMARY KEY);
         DELETE FROM temp.kept_stations;",
    )?;
    let mut keep =
        tx.prepare_cached("INSERT OR IGNORE INTO temp.kept_stations (pk) VALUES (?1)")?;
    for pk in kept {
        keep.execute([pk])?;
    }
    tx.execute(
        "DELETE FROM stations WHERE pk NOT IN (SELECT pk FROM temp.kept_stations)",
        [],
    )?;
    tx.execute("DELETE FROM temp.kept_stations", [])?;
    Ok(())
}

/// What `info` counts: stations per kind id, synthetic ones, the newest update.
pub struct Counts {
    pub per_kind: Vec<(String, usize)>,
    pub synthetic: usize,
    pub last_updated: Option<String>,
}

pub fn counts(conn: &Connection) -> Result<Counts> {
    // Grouped by what is stored: a code, or an id migration 12 kept as text (two groups for one
    // kind then); a value no entry reads as is left out, as an unknown id always was.
    let groups = |column: &str| -> Result<Vec<(rusqlite::types::Value, usize)>> {
        let sql = format!("SELECT {column}, count(*) FROM stations GROUP BY {column}");
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as usize)))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    };
    let per_kind = groups("kind")?
        .into_iter()
        .filter_map(|(stored, n)| {
            let kind = codes::entry::<crate::model::Kind>((&stored).into()).ok()?;
            Some((kind.id().to_string(), n))
        })
        .collect();
    let synthetic = groups("source")?
        .into_iter()
        .filter(|(stored, _)| codes::entry(stored.into()) == Ok(crate::model::Source::Synthetic))
        .map(|(_, n)| n)
        .sum();
    // Timestamps are stored as seconds or, the odd one not in the catalog's form, as text:
    // the newest of each, then the later of the two as text.
    let last_updated = conn.query_row(
        "SELECT (SELECT max(updated_at) FROM stations WHERE typeof(updated_at) = 'integer'),
                (SELECT max(updated_at) FROM stations WHERE typeof(updated_at) = 'text')",
        [],
        |r| {
            // A number past the calendar's end (a file another program wrote) is passed over.
            let seconds = r.get::<_, Option<i64>>(0)?.and_then(codes::time_text);
            Ok(seconds.max(r.get(1)?))
        },
    )?;
    Ok(Counts {
        per_kind,
        synthetic,
        last_updated,
    })
}

pub fn forget_meta(conn: &Connection, key: &str) -> Result<()> {
    conn.execute("DELETE FROM catalog_meta WHERE key = ?1", [key])?;
    Ok(())
}

pub fn set_meta(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO catalog_meta (key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    )?
    .execute([key, value])?;
    Ok(())
}

/// Reads a row selected with [`STATION_COLUMNS`], its address and hours whole (`known`: the
/// texts of the file the row is from).
pub fn station_from_row(r: &Row<'_>, known: &mut Known<'_>) -> rusqlite::Result<Station> {
    station_from_row_at(r, 0, known)
}

/// Reads [`STATION_COLUMNS`] starting at column `at` of a wider row.
pub fn station_from_row_at(
    r: &Row<'_>,
    at: usize,
    known: &mut Known<'_>,
) -> rusqlite::Result<Station> {
    let mut address = String::new();
    known.address(r.get(at + 3)?, r.get_ref(at + 4)?.as_str()?, &mut address)?;
    let opening_hours = match r.get::<_, Option<i64>>(at + 9)? {
        Some(code) => known.text(code)?.map(String::from),
        None => None,
    };
    Ok(Station {
        id: r.get(at)?,
        kind: codes::coded(r, at + 1)?,
        name: r.get(at + 2)?,
        address,
        adcode: r.get(at + 5)?,
        location: LatLon {
            lat: r.get(at + 6)?,
            lon: r.get(at + 7)?,
        },
        services: ServiceSet::from_bits(r.get(at + 8)?),
        opening_hours,
        phone: r.get(at + 10)?,
        truck_spaces: r.get(at + 11)?,
        status: codes::coded(r, at + 12)?,
        notice: r.get(at + 13)?,
        source: codes::coded(r, at + 14)?,
        version: r.get(at + 15)?,
        updated_at: codes::timed(r, at + 16)?,
        free_truck_spaces: r.get(at + 17)?,
    })
}

/// Maps SQLite's open-time failures to errors a person can act on.
fn open_error(path: &Path, e: rusqlite::Error) -> CatalogError {
    let path = path.to_path_buf();
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => CatalogError::NotADatabase { path },
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => CatalogError::Locked { path },
        _ => CatalogError::Open { path, source: e },
    }
}
