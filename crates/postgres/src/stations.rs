//! Stations read back from PostgreSQL: every station in the SQLite catalog's order (by id,
//! byte order — `COLLATE "C"`, not the database's locale), and the catalog's counts.

use std::pin::pin;

use futures_util::TryStreamExt;
use tokio_postgres::Row;
use waystation_catalog::store::{Counts, STATION_COLUMNS};
use waystation_catalog::{CatalogInfo, LatLon, ServiceSet, Source, Station};

use crate::error::{Error, Result};

/// Calls `each` for every station, ordered by id as the SQLite catalog orders them; the rows
/// stream, so a national catalog is never held whole.
pub async fn for_each_station(
    client: &tokio_postgres::Client,
    mut each: impl FnMut(&Station) -> std::result::Result<(), waystation_catalog::CatalogError>,
) -> Result<()> {
    let sql = format!("SELECT {STATION_COLUMNS} FROM stations ORDER BY id COLLATE \"C\"");
    let rows = client.query_raw(&sql, std::iter::empty::<i32>()).await?;
    let mut rows = pin!(rows);
    let mut n = 0;
    while let Some(row) = rows.try_next().await? {
        n += 1;
        each(&station(&row, 0, n)?)?;
    }
    Ok(())
}

/// A station from `STATION_COLUMNS` starting at column `at` of a row; `n` numbers the row for
/// an error.
pub(crate) fn station(r: &Row, at: usize, n: usize) -> Result<Station> {
    let bad = |problem: String| Error::BadRow {
        table: "stations",
        row: n,
        problem,
    };
    let vocab = |i: usize| r.get::<_, String>(at + i);
    let count = |i: usize| -> Result<Option<u32>> {
        r.get::<_, Option<i64>>(at + i)
            .map(|v| u32::try_from(v).map_err(|_| bad(format!("{v} is not a count"))))
            .transpose()
    };
    Ok(Station {
        id: r.get(at),
        kind: vocab(1).parse().map_err(|e| bad(format!("{e}")))?,
        name: r.get(at + 2),
        address: r.get(at + 3),
        adcode: r.get(at + 4),
        location: LatLon {
            lat: r.get(at + 5),
            lon: r.get(at + 6),
        },
        services: ServiceSet::from_bits(
            u32::try_from(r.get::<_, i64>(at + 7))
                .map_err(|_| bad("services out of range".into()))?,
        ),
        opening_hours: r.get(at + 8),
        phone: r.get(at + 9),
        truck_spaces: count(10)?,
        status: vocab(11).parse().map_err(|e| bad(format!("{e}")))?,
        notice: r.get(at + 12),
        source: vocab(13).parse().map_err(|e| bad(format!("{e}")))?,
        version: r.get(at + 14),
        updated_at: r.get(at + 15),
        free_truck_spaces: count(16)?,
    })
}

/// The catalog's facts (`waystation info`), naming it by `label` (its URL without password).
pub async fn info(client: &tokio_postgres::Client, label: &str) -> Result<CatalogInfo> {
    let per_kind = client
        .query("SELECT kind, count(*) FROM stations GROUP BY kind", &[])
        .await?
        .iter()
        .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1) as usize))
        .collect();
    let synthetic: i64 = client
        .query_one(
            "SELECT count(*) FROM stations WHERE source = $1",
            &[&Source::Synthetic.id()],
        )
        .await?
        .get(0);
    let last_updated: Option<String> = client
        .query_one("SELECT max(updated_at COLLATE \"C\") FROM stations", &[])
        .await?
        .get(0);
    let bytes: i64 = client
        .query_one("SELECT pg_database_size(current_database())", &[])
        .await?
        .get(0);
    let counts = Counts {
        per_kind,
        synthetic: synthetic as usize,
        last_updated,
    };
    let version = crate::schema::version(client).await?;
    Ok(CatalogInfo::new(
        label.to_string(),
        version.into(),
        bytes as u64,
        counts,
    ))
}
