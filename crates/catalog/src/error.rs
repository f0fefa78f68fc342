//! Errors a catalog operation can end with. Each says what went wrong and where.

use std::fmt;
use std::path::PathBuf;

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
    /// Input that breaks a rule; the message names the field and the rule.
    #[error("{0}")]
    Invalid(String),
    /// A request refused by its check (crate::request), with the message's stable id.
    #[error("{0}")]
    Refused(#[from] crate::message::Message),
    #[error("no station with id `{0}`")]
    NotFound(String),
    #[error("catalog database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

pub type Result<T, E = CatalogError> = std::result::Result<T, E>;
