//! What can go wrong with a PostgreSQL catalog, each saying what and where.

use waystation_catalog::{Bilingual, CatalogError};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("PostgreSQL: {}", described(.0))]
    Postgres(#[from] tokio_postgres::Error),
    #[error("the database URL is not one PostgreSQL takes: {0}")]
    BadUrl(String),
    #[error(
        "the database's schema is version {database}, newer than this build's {build}: upgrade waystation"
    )]
    TooNew { database: i32, build: i32 },
    #[error("the database has no Waystation catalog yet: run `waystation migrate --database URL`")]
    NoSchema,
    #[error(
        "the database already holds a catalog (table {table} has {rows} rows): copy into an empty one"
    )]
    NotEmpty { table: &'static str, rows: i64 },
    #[error(
        "the database's encoding is {0}; a catalog needs UTF8 (create it with ENCODING 'UTF8')"
    )]
    Encoding(String),
    #[error(
        "{path}: not a catalog at this build's schema (version {found}, this build's {expected}); open it once with this build (`waystation --catalog FILE info`) and copy again"
    )]
    OldCatalog {
        path: std::path::PathBuf,
        found: i64,
        expected: i64,
    },
    #[error("PostgreSQL did not answer in time ({0})")]
    Timeout(&'static str),
    #[error("{0}: no such catalog file")]
    NoFile(std::path::PathBuf),
    #[error("the SQLite catalog: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error("table {table}, row {row}: {problem}")]
    BadRow {
        table: &'static str,
        row: usize,
        problem: String,
    },
}

impl Bilingual for Error {
    fn zh(&self) -> String {
        match self {
            Error::Postgres(e) => format!("PostgreSQL 出错：{}", described(e)),
            Error::BadUrl(e) => format!("数据库地址无效：{e}"),
            Error::TooNew { database, build } => {
                format!("数据库结构版本 {database} 比本程序的 {build} 新：请升级 waystation")
            }
            Error::NoSchema => {
                "数据库里还没有歇脚目录：先运行 `waystation migrate --database URL`".into()
            }
            Error::NotEmpty { table, rows } => {
                format!("数据库里已有目录（表 {table} 有 {rows} 行）：请复制到空数据库")
            }
            Error::Encoding(e) => {
                format!("数据库编码是 {e}；目录需要 UTF8（用 ENCODING 'UTF8' 创建数据库）")
            }
            Error::OldCatalog {
                path,
                found,
                expected,
            } => format!(
                "{}：不是本程序结构版本的目录（版本 {found}，本程序 {expected}）；先用本程序打开一次（`waystation --catalog FILE info`）再复制",
                path.display()
            ),
            Error::Timeout(what) => format!("PostgreSQL 没有及时回答（{what}）"),
            Error::NoFile(path) => format!("{}：没有这个目录文件", path.display()),
            Error::Sqlite(e) => format!("SQLite 目录出错：{e}"),
            Error::Catalog(e) => e.zh(),
            Error::BadRow {
                table,
                row,
                problem,
            } => format!("表 {table} 第 {row} 行：{problem}"),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The server's own words for an error it sent ("password authentication failed for user …"),
/// or the client's (a refused connection, a timeout) with its cause.
fn described(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("{} ({})", db.message(), db.code().code());
    }
    match std::error::Error::source(e) {
        Some(cause) => format!("{e}: {cause}"),
        None => e.to_string(),
    }
}
