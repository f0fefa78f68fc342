//! The public catalog in PostgreSQL, for a catalog served by several replicas: the schema and
//! its migrations (`schema`), feed positions that commit in the order they are handed out
//! (`feed`) and the commits replicas listen for (`follow`), stations and their writes
//! (`stations`), accounts, reports and the audit log, proposals, drivers' confirmations,
//! snapshots built once, and moving a SQLite catalog in, all or nothing (`copy`). Queries are not
//! answered here: every replica answers them from its own copy (`waystation_server::replica`).

pub mod accounts;
pub mod confirmations;
pub mod copy;
pub mod error;
pub mod feed;
pub mod follow;
pub mod proposals;
pub mod reports;
pub mod schema;
pub mod signing;
pub mod snapshots;
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

/// How the database may be named in output and logs: `postgres://user@host:port/dbname`, from
/// the parsed settings, so no password (in the URL's user part, a `password=` pair or a query
/// parameter) is ever shown.
pub fn shown(url: &str) -> String {
    let Ok(config) = url.parse::<Config>() else {
        return "(a database URL that does not parse)".into();
    };
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .zip(config.get_ports().iter().chain(std::iter::repeat(&5432)))
        .map(|(host, port)| match host {
            tokio_postgres::config::Host::Tcp(name) => format!("{name}:{port}"),
            #[cfg(unix)]
            tokio_postgres::config::Host::Unix(dir) => format!("{}:{port}", dir.display()),
        })
        .collect();
    format!(
        "postgres://{}@{}/{}",
        config.get_user().unwrap_or_default(),
        hosts.join(","),
        config.get_dbname().unwrap_or_default()
    )
}

/// The settings for `url`, with the timeouts and keepalives every connection of ours uses.
pub fn config(url: &str) -> Result<Config> {
    let mut config: Config = url.parse().map_err(|e: tokio_postgres::Error| {
        // The parser's message never repeats the URL, so no password is shown.
        Error::BadUrl(e.to_string())
    })?;
    // A half-open connection (a database host gone without a word) is noticed in about a
    // minute, not the two hours of the system's TCP defaults: a replica must not stay stale.
    config
        .connect_timeout(CONNECT_TIMEOUT)
        .keepalives(true)
        .keepalives_idle(Duration::from_secs(30))
        .tcp_user_timeout(Duration::from_secs(60))
        .application_name("waystation");
    Ok(config)
}

/// A read-only transaction that sees one snapshot of the database throughout (repeatable read):
/// what it reads in several statements agrees.
pub async fn one_snapshot(client: &mut Client) -> Result<tokio_postgres::Transaction<'_>> {
    Ok(client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?)
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

#[cfg(test)]
mod tests {
    #[test]
    fn a_shown_database_has_no_password_however_it_was_given() {
        for url in [
            "postgres://ws:s3cret@db.internal:5433/waystation",
            "postgres://ws@db.internal:5433/waystation?password=s3cret",
            "host=db.internal port=5433 user=ws password=s3cret dbname=waystation",
        ] {
            assert_eq!(
                super::shown(url),
                "postgres://ws@db.internal:5433/waystation",
                "{url}"
            );
        }
        assert!(!super::shown("postgres://ws:s3cret@[oops").contains("s3cret"));
    }
}
