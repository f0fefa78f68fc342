//! The public catalog in PostgreSQL, for a catalog served by several replicas: the schema and
//! its migrations (`schema`), feed positions that commit in the order they are handed out
//! (`feed`), reading stations back (`stations`), and moving a SQLite catalog in, all or nothing
//! (`copy`). Queries are not answered here: every replica answers them from its own in-memory
//! index.

pub mod copy;
pub mod error;
pub mod feed;
pub mod follow;
pub mod schema;
pub mod stations;
#[cfg(feature = "test-support")]
pub mod testing;

use std::time::Duration;

pub use error::{Error, Result};
use tokio_postgres::{Client, Config, NoTls};

/// How long connecting may take before it is an error.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Connects to `url` (`postgres://user:password@host:port/database`, or key=value pairs) with a
/// connect timeout and TCP keepalives; the connection runs on the current tokio runtime.
pub async fn connect(url: &str) -> Result<Client> {
    let (client, connection) = config(url)?.connect(NoTls).await?;
    tokio::spawn(async move {
        // Ends when the client is dropped; an error here surfaces on the client's next call.
        let _ = connection.await;
    });
    Ok(client)
}

fn config(url: &str) -> Result<Config> {
    let mut config: Config = url.parse().map_err(|e: tokio_postgres::Error| {
        // The parser's message never repeats the URL, so no password is shown.
        Error::BadUrl(e.to_string())
    })?;
    config
        .connect_timeout(CONNECT_TIMEOUT)
        .keepalives(true)
        .application_name("waystation");
    Ok(config)
}

/// Connects and checks the database holds this build's schema.
pub async fn open(url: &str) -> Result<Client> {
    let client = connect(url).await?;
    match schema::version(&client).await? {
        0 => Err(Error::NoSchema),
        v if v > schema::SCHEMA_VERSION => Err(Error::TooNew {
            database: v,
            build: schema::SCHEMA_VERSION,
        }),
        _ => Ok(client),
    }
}
