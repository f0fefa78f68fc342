//! Moving a SQLite catalog into PostgreSQL (`waystation migrate --from FILE --database URL`):
//! every server-side table, row for row, in one transaction — a failure leaves the database as
//! it was. Primary keys, feed positions and ids keep their numbers (clients synced from the
//! SQLite server go on syncing from the PostgreSQL one without a snapshot), and the counters
//! behind them carry on past the highest copied. The device-side tables (outboxes) stay behind.

use std::fmt::Display;
use std::path::Path;
use std::str::FromStr;

use rusqlite::types::ValueRef;
use tokio_postgres::types::ToSql;
use waystation_catalog::lang::{Coded, UnknownId};
use waystation_catalog::store::{SCHEMA_VERSION, codes};
use waystation_catalog::{Kind, Source, Status};

use crate::error::{Error, Result};

/// A column's type on both sides.
#[derive(Clone, Copy)]
enum Ty {
    Int,
    Real,
    Text,
    /// An INTEGER 0/1 in SQLite, a boolean in PostgreSQL.
    Bool,
    /// A vocabulary entry's code (or an id migration 12 kept as text) in SQLite
    /// (`store::codes`), its id as text in PostgreSQL.
    Code(fn(ValueRef<'_>) -> Result<String, String>),
    /// Seconds or text in SQLite (`store::codes`), text in PostgreSQL.
    Time,
}

/// The id of the vocabulary entry `stored` holds (an entry shows as its id).
fn id_of<T: Coded + FromStr<Err = UnknownId> + Display>(
    stored: ValueRef<'_>,
) -> Result<String, String> {
    codes::entry::<T>(stored).map(|entry| entry.to_string())
}

struct Table {
    name: &'static str,
    /// Where SQLite's rows are read: the table, or a view that gives them whole (stations).
    source: &'static str,
    columns: &'static [(&'static str, Ty)],
    /// The identity column whose counter must carry on past the copied rows.
    identity: Option<&'static str>,
}

use Ty::{Bool, Code, Int, Real, Text, Time};

/// In an order that satisfies the foreign keys (stations and users before what refers to them).
const TABLES: &[Table] = &[
    Table {
        name: "stations",
        source: "station_rows",
        columns: &[
            ("pk", Int),
            ("id", Text),
            ("kind", Code(id_of::<Kind>)),
            ("name", Text),
            ("address", Text),
            ("adcode", Text),
            ("lat", Real),
            ("lon", Real),
            ("services", Int),
            ("opening_hours", Text),
            ("phone", Text),
            ("truck_spaces", Int),
            ("status", Code(id_of::<Status>)),
            ("notice", Text),
            ("source", Code(id_of::<Source>)),
            ("version", Int),
            ("updated_at", Time),
            ("free_truck_spaces", Int),
        ],
        identity: Some("pk"),
    },
    Table {
        name: "catalog_meta",
        source: "catalog_meta",
        columns: &[("key", Text), ("value", Text)],
        identity: None,
    },
    Table {
        name: "changes",
        source: "changes",
        columns: &[
            ("seq", Int),
            ("station_id", Text),
            ("kind", Text),
            ("op", Text),
            ("at", Text),
        ],
        identity: None,
    },
    Table {
        name: "users",
        source: "users",
        columns: &[
            ("username", Text),
            ("role", Text),
            ("password_hash", Text),
            ("created_at", Text),
        ],
        identity: None,
    },
    Table {
        name: "assignments",
        source: "assignments",
        columns: &[("username", Text), ("station_id", Text)],
        identity: None,
    },
    Table {
        name: "sessions",
        source: "sessions",
        columns: &[
            ("token_hash", Text),
            ("username", Text),
            ("expires_at", Text),
        ],
        identity: None,
    },
    Table {
        name: "audit",
        source: "audit",
        columns: &[
            ("id", Int),
            ("at", Text),
            ("actor", Text),
            ("action", Text),
            ("station_id", Text),
            ("detail", Text),
        ],
        identity: Some("id"),
    },
    Table {
        name: "reports",
        source: "reports",
        columns: &[
            ("id", Int),
            ("station_id", Text),
            ("problem", Text),
            ("service", Text),
            ("note", Text),
            ("received_at", Text),
        ],
        identity: Some("id"),
    },
    Table {
        name: "proposals",
        source: "proposals",
        columns: &[
            ("id", Int),
            ("secret_hash", Text),
            ("station_id", Text),
            ("new_station", Bool),
            ("fields", Text),
            ("note", Text),
            ("contact", Text),
            ("proposer", Text),
            ("device", Text),
            ("state", Text),
            ("duplicate_of", Text),
            ("reason", Text),
            ("created_at", Text),
            ("decided_at", Text),
            ("decided_by", Text),
        ],
        identity: Some("id"),
    },
    Table {
        name: "confirmations",
        source: "confirmations",
        columns: &[
            ("station_id", Text),
            ("fact", Text),
            ("holds", Bool),
            ("device", Text),
            ("day", Text),
            ("at", Text),
            ("voice", Text),
        ],
        identity: None,
    },
    Table {
        name: "fact_tallies",
        source: "fact_tallies",
        columns: &[
            ("station_id", Text),
            ("fact", Text),
            ("last_confirmed", Text),
            ("confirmed", Int),
            ("denied", Int),
        ],
        identity: None,
    },
];

/// Rows sent in one INSERT (PostgreSQL takes at most 65,535 parameters a statement).
const ROWS_A_STATEMENT: usize = 1000;

/// What was copied, table by table.
#[derive(Debug, Default, PartialEq)]
pub struct Copied {
    pub tables: Vec<(&'static str, usize)>,
    /// The feed's head in PostgreSQL after the copy (the SQLite catalog's).
    pub head: i64,
}

/// Copies the SQLite catalog at `sqlite` (at this build's schema) into the migrated, empty
/// database, all or nothing. The file is only read.
pub async fn from_sqlite(sqlite: &Path, client: &mut tokio_postgres::Client) -> Result<Copied> {
    if !sqlite.is_file() {
        return Err(Error::NoFile(sqlite.to_path_buf()));
    }
    // Read-only: the file may be a live server's or a backup, and is never changed here.
    let source =
        rusqlite::Connection::open_with_flags(sqlite, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let found: i64 = source.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found != SCHEMA_VERSION {
        return Err(Error::OldCatalog {
            path: sqlite.to_path_buf(),
            found,
            expected: SCHEMA_VERSION,
        });
    }
    // One read transaction: the copy is of one moment of the file, even if a server writes it.
    let source = source.unchecked_transaction()?;
    let tx = client.transaction().await?;
    // No writer (another copy, a replica) may start while this one decides the database is empty.
    tx.batch_execute("LOCK TABLE feed_head IN EXCLUSIVE MODE")
        .await?;
    let head: i64 = tx.query_one("SELECT seq FROM feed_head", &[]).await?.get(0);
    if head != 0 {
        return Err(Error::NotEmpty {
            table: "feed_head",
            rows: head,
        });
    }
    for table in TABLES
        .iter()
        .map(|t| t.name)
        .chain(["signing_keys", "snapshots"])
    {
        let rows: i64 = tx
            .query_one(&format!("SELECT count(*) FROM {table}"), &[])
            .await?
            .get(0);
        if rows > 0 {
            return Err(Error::NotEmpty { table, rows });
        }
    }
    let mut copied = Copied::default();
    for table in TABLES {
        let n = copy_table(&source, &tx, table).await?;
        copied.tables.push((table.name, n));
        if let Some(column) = table.identity {
            tx.execute(
                &format!(
                    "SELECT setval(pg_get_serial_sequence('{0}', '{column}'),
                         coalesce(max({column}), 0) + 1, false) FROM {0}",
                    table.name
                ),
                &[],
            )
            .await?;
        }
    }
    // The feed carries on from the SQLite catalog's counter, which may be past every remaining
    // row (purged tombstones): a number is never handed out twice.
    let head: i64 = source.query_row(
        "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'changes'), 0),
                    coalesce((SELECT max(seq) FROM changes), 0))",
        [],
        |r| r.get(0),
    )?;
    tx.execute("UPDATE feed_head SET seq = $1", &[&head])
        .await?;
    copied.head = head;
    tx.commit().await?;
    Ok(copied)
}

async fn copy_table(
    source: &rusqlite::Transaction<'_>,
    tx: &tokio_postgres::Transaction<'_>,
    table: &Table,
) -> Result<usize> {
    let names: Vec<&str> = table.columns.iter().map(|(n, _)| *n).collect();
    let mut stmt = source.prepare(&format!(
        "SELECT {} FROM {}",
        names.join(", "),
        table.source
    ))?;
    let mut rows = stmt.query([])?;
    let mut batch: Vec<Box<dyn ToSql + Sync + Send>> = Vec::new();
    let mut in_batch = 0;
    let mut total = 0;
    while let Some(row) = rows.next()? {
        total += 1;
        for (i, (column, ty)) in table.columns.iter().enumerate() {
            batch.push(
                value(row.get_ref(i)?, *ty).map_err(|problem| Error::BadRow {
                    table: table.name,
                    row: total,
                    problem: format!("{column}: {problem}"),
                })?,
            );
        }
        in_batch += 1;
        if in_batch == ROWS_A_STATEMENT {
            insert(tx, table, &names, &batch, in_batch).await?;
            batch.clear();
            in_batch = 0;
        }
    }
    if in_batch > 0 {
        insert(tx, table, &names, &batch, in_batch).await?;
    }
    Ok(total)
}

/// A SQLite value as the PostgreSQL column takes it (NULL stays NULL).
fn value(v: ValueRef<'_>, ty: Ty) -> Result<Box<dyn ToSql + Sync + Send>, String> {
    Ok(match (ty, v) {
        (Int, ValueRef::Null) => Box::new(None::<i64>),
        (Real, ValueRef::Null) => Box::new(None::<f64>),
        (Text, ValueRef::Null) => Box::new(None::<String>),
        (Bool, ValueRef::Null) => Box::new(None::<bool>),
        (Int, ValueRef::Integer(i)) => Box::new(i),
        (Real, ValueRef::Real(f)) => Box::new(f),
        (Real, ValueRef::Integer(i)) => Box::new(i as f64),
        (Bool, ValueRef::Integer(i)) => Box::new(i != 0),
        (Code(id), stored) => Box::new(id(stored)?),
        (Time, ValueRef::Integer(seconds)) => Box::new(
            codes::time_text(seconds)
                .ok_or_else(|| format!("{seconds} seconds, past the calendar"))?,
        ),
        (Text | Time, ValueRef::Text(t)) => {
            let text = std::str::from_utf8(t).map_err(|_| "text that is not UTF-8".to_string())?;
            if text.contains('\0') {
                // SQLite keeps it; PostgreSQL's text cannot.
                return Err("a NUL character, which PostgreSQL text cannot hold".into());
            }
            Box::new(text.to_string())
        }
        (_, other) => return Err(format!("unexpected {:?} value", other.data_type())),
    })
}

async fn insert(
    tx: &tokio_postgres::Transaction<'_>,
    table: &Table,
    names: &[&str],
    values: &[Box<dyn ToSql + Sync + Send>],
    rows: usize,
) -> Result<()> {
    let width = names.len();
    let tuples: Vec<String> = (0..rows)
        .map(|r| {
            let params: Vec<String> = (1..=width).map(|c| format!("${}", r * width + c)).collect();
            format!("({})", params.join(", "))
        })
        .collect();
    let sql = format!(
        "INSERT INTO {} ({}) VALUES {}",
        table.name,
        names.join(", "),
        tuples.join(", ")
    );
    let params: Vec<&(dyn ToSql + Sync)> = values
        .iter()
        .map(|v| v.as_ref() as &(dyn ToSql + Sync))
        .collect();
    tx.execute(&sql, &params).await?;
    Ok(())
}
