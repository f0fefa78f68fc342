//! Errors a catalog operation can end with. Each says what went wrong and where.

use std::fmt;
use std::path::PathBuf;

use crate::lang::Bilingual;

/// Where in an input file a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// 1-based line of a CSV file (the header is line 1).
    Line(u64),
    /// 0-based index into a GeoJSON FeatureCollection's `features`.
    Feature(usize),
    /// The file as a whole.
    File,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line(n) => write!(f, "line {n}"),
            Location::Feature(i) => write!(f, "feature {i}"),
            Location::File => f.write_str("file"),
        }
    }
}

impl Location {
    fn zh(&self) -> String {
        match self {
            Location::Line(n) => format!("第 {n} 行"),
            Location::Feature(i) => format!("第 {i} 个要素（feature）"),
            Location::File => "文件".to_string(),
        }
    }
}

/// A record that cannot be imported: where, which field, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}, field `{field}`: {problem}")]
pub struct RecordError {
    pub location: Location,
    pub field: String,
    pub problem: String,
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{}: not a SQLite database; pass the path of a Waystation catalog (.sqlite)", path.display())]
    NotADatabase { path: PathBuf },
    #[error("{}: a SQLite database, but not a Waystation catalog", path.display())]
    NotACatalog { path: PathBuf },
    #[error("{}: catalog schema version {found} is newer than this program supports ({supported}); update waystation", path.display())]
    TooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("{}: the catalog is locked by another program; close it and try again", path.display())]
    Locked { path: PathBuf },
    #[error("{}: cannot open the catalog: {source}", path.display())]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("import aborted, the catalog is unchanged: {0}")]
    Import(#[from] RecordError),
    /// A request refused by its check (crate::request), with the message's stable id.
    #[error("{}", .0.text(crate::Lang::En))]
    Refused(#[from] crate::message::Message),
    #[error("no station with id `{0}`")]
    NotFound(String),
    #[error("catalog database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The catalog's database (a replica's PostgreSQL) cannot be reached now: try again shortly.
    #[error("the catalog's database is out of reach ({0}); try again shortly")]
    Unavailable(String),
    /// The catalog's database (a replica's PostgreSQL) refused a statement.
    #[error("catalog database error: {0}")]
    Database(String),
}

pub type Result<T, E = CatalogError> = std::result::Result<T, E>;

impl Bilingual for RecordError {
    /// The problem itself stays as the validator wrote it (English).
    fn zh(&self) -> String {
        format!(
            "{}，字段 `{}`：{}",
            self.location.zh(),
            self.field,
            self.problem
        )
    }
}

impl Bilingual for CatalogError {
    fn zh(&self) -> String {
        match self {
            CatalogError::NotADatabase { path } => format!(
                "{}：不是 SQLite 数据库；请给出歇脚目录文件（.sqlite）的路径",
                path.display()
            ),
            CatalogError::NotACatalog { path } => {
                format!("{}：是 SQLite 数据库，但不是歇脚目录", path.display())
            }
            CatalogError::TooNew {
                path,
                found,
                supported,
            } => format!(
                "{}：目录结构版本 {found} 比本程序支持的 {supported} 新；请更新 waystation",
                path.display()
            ),
            CatalogError::Locked { path } => {
                format!("{}：目录正被另一个程序占用；请关闭它后重试", path.display())
            }
            CatalogError::Open { path, source } => {
                format!("{}：无法打开目录：{source}", path.display())
            }
            CatalogError::Import(record) => format!("导入已中止，目录未改变：{}", record.zh()),
            CatalogError::Refused(message) => message.text(crate::Lang::Zh),
            CatalogError::NotFound(id) => format!("没有 id 为 `{id}` 的站点"),
            CatalogError::Sqlite(e) => format!("目录数据库出错：{e}"),
            CatalogError::Io(e) => format!("读写出错：{e}"),
            CatalogError::Unavailable(e) => format!("目录数据库暂时连不上（{e}）；请稍后再试"),
            CatalogError::Database(e) => format!("目录数据库出错：{e}"),
        }
    }
}
