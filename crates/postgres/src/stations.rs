//! Stations in PostgreSQL: every station in the SQLite catalog's order (by id, byte order —
//! `COLLATE "C"`, not the database's locale), everything read in one snapshot (what a replica's
//! copy and a snapshot start from), the catalog's counts, and the writes — conditional saves,
//! deletions, imports — with the station's row locked first and the feed position taken last.

use std::pin::pin;

use futures_util::TryStreamExt;
use tokio_postgres::Row;
use waystation_catalog::store::Counts;
use waystation_catalog::{CatalogInfo, ImportReport, LatLon, ServiceSet, Source, Station};

use crate::error::{Error, Result};

/// Calls `each` for every station, ordered by id as the SQLite catalog orders them; the rows
/// stream, so a national catalog is never held whole.
pub async fn for_each_station(
    client: &impl tokio_postgres::GenericClient,
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

/// Everything a replica's copy starts from, read in one snapshot.
pub struct Everything {
    /// Every station (by id, as the catalog file orders them) and every listed station's
    /// tallies (by station, then fact).
    pub all: waystation_catalog::feed::SnapshotWithFacts,
    /// The feed: every entry (without bodies), the head they are at, the tombstone horizon.
    pub feed: waystation_catalog::feed::FeedState,
}

/// Everything the database holds that a replica's copy serves, read in one snapshot.
pub async fn everything(client: &mut tokio_postgres::Client) -> Result<Everything> {
    use waystation_catalog::feed::{Change, ChangeOp, FeedState, SnapshotWithFacts};
    let tx = crate::one_snapshot(client).await?;
    let head = crate::feed::head(&tx).await?;
    let tombstone_horizon = crate::feed::horizon(&tx).await?;
    let mut stations = Vec::new();
    for_each_station(&tx, |s| {
        stations.push(s.clone());
        Ok(())
    })
    .await?;
    let facts = tx
        .query(
            "SELECT station_id, fact, last_confirmed, confirmed, denied FROM fact_tallies
             WHERE station_id IN (SELECT id FROM stations)
             ORDER BY station_id COLLATE \"C\", fact COLLATE \"C\"",
            &[],
        )
        .await?
        .iter()
        .map(crate::confirmations::tally)
        .collect();
    let entries = tx
        .query("SELECT seq, station_id, op FROM changes ORDER BY seq", &[])
        .await?
        .iter()
        .map(|r| Change {
            seq: r.get(0),
            station_id: r.get(1),
            op: match r.get::<_, &str>(2) {
                "upsert" => ChangeOp::Upsert,
                "delete" => ChangeOp::Delete,
                "facts" => ChangeOp::Facts,
                // A later build's: the copy passes over it, as a phone does.
                _ => ChangeOp::Other,
            },
            station: None,
            facts: None,
        })
        .collect();
    tx.commit().await?;
    Ok(Everything {
        all: SnapshotWithFacts { stations, facts },
        feed: FeedState {
            entries,
            head,
            tombstone_horizon,
        },
    })
}

/// The columns of a station row, in [`station`] order: every field as it is (the catalog
/// file's row keeps some as codes, `store::STATION_COLUMNS`).
pub(crate) const STATION_COLUMNS: &str = "id, kind, name, address, adcode, lat, lon, services, \
     opening_hours, phone, truck_spaces, status, notice, source, version, updated_at, \
     free_truck_spaces";

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

/// A station's columns as the statements that write it take them ($1 … $16: id, kind, name,
/// address, adcode, lat, lon, services, hours, phone, truck spaces, status, notice, source, the
/// time written, free truck spaces).
struct Written<'a> {
    station: &'a Station,
    now: &'a str,
    kind: &'static str,
    status: &'static str,
    source: &'static str,
    services: i64,
    truck_spaces: Option<i64>,
    free_truck_spaces: Option<i64>,
}

impl<'a> Written<'a> {
    fn new(station: &'a Station, now: &'a str) -> Written<'a> {
        Written {
            station,
            now,
            kind: station.kind.id(),
            status: station.status.id(),
            source: station.source.id(),
            services: i64::from(station.services.bits()),
            truck_spaces: station.truck_spaces.map(i64::from),
            free_truck_spaces: station.free_truck_spaces.map(i64::from),
        }
    }

    fn params(&self) -> [&(dyn tokio_postgres::types::ToSql + Sync); 16] {
        let s = self.station;
        [
            &s.id,
            &self.kind,
            &s.name,
            &s.address,
            &s.adcode,
            &s.location.lat,
            &s.location.lon,
            &self.services,
            &s.opening_hours,
            &s.phone,
            &self.truck_spaces,
            &self.status,
            &s.notice,
            &self.source,
            &self.now,
            &self.free_truck_spaces,
        ]
    }
}

/// The station with `id` as stored now; with `lock`, its row stays locked to the end of the
/// caller's transaction (a write that depends on it takes it first).
pub async fn get(
    client: &impl tokio_postgres::GenericClient,
    id: &str,
    lock: bool,
) -> Result<Option<Station>> {
    let lock = if lock { " FOR UPDATE" } else { "" };
    let sql = format!("SELECT {STATION_COLUMNS} FROM stations WHERE id = $1{lock}");
    client
        .query_opt(&sql, &[&id])
        .await?
        .map(|r| station(&r, 0, 1))
        .transpose()
}

/// Locks the rows of those of `ids` still listed, in id order, to the end of the caller's
/// transaction; the ids listed. Every writer that touches a station's row or its tallies takes
/// this lock first (a save, a delete, a confirmation, the ageing of tallies), so a station's
/// tallies are counted by one writer at a time, and writers that take it in this order and their
/// feed positions last never deadlock.
pub async fn lock(
    tx: &impl tokio_postgres::GenericClient,
    ids: &[&str],
) -> Result<std::collections::BTreeSet<String>> {
    Ok(tx
        .query(
            "SELECT id FROM stations WHERE id = ANY($1) ORDER BY id COLLATE \"C\" FOR UPDATE",
            &[&ids],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

/// What a conditional save did.
#[derive(Debug, Clone, PartialEq)]
pub enum Save {
    /// Written (or already as given: the version moves only when something changed), audited,
    /// and in the feed when it changed; the row as stored.
    Saved(Station),
    /// Someone saved first (another replica, another operator): the row as it is now.
    Stale(Station),
}

/// Saves `station` as `actor` if the stored version is `expected` (None: it must not exist
/// yet), in one transaction: the check, the row (its version moved only if something changed),
/// the audit record, and the feed entry — the station's row is locked first and the feed
/// position taken last, so writers on any replica queue only for the moment of the commit. Two
/// replicas saving one version at once: one saves, the other is told it is stale.
pub async fn save_if(
    client: &mut tokio_postgres::Client,
    station: &Station,
    expected: Option<i64>,
    actor: &str,
    action: &str,
    now: &str,
) -> Result<Save> {
    let tx = client.transaction().await?;
    let saved = save_in(&tx, station, expected, actor, action, now).await?;
    tx.commit().await?;
    Ok(saved)
}

/// `save_if` in the caller's transaction, beside what else it writes (an approved proposal's
/// decision, an operator's confirmations): the caller commits, and takes no other row lock after
/// it (the feed position is taken here).
pub async fn save_in(
    tx: &tokio_postgres::Transaction<'_>,
    station: &Station,
    expected: Option<i64>,
    actor: &str,
    action: &str,
    now: &str,
) -> Result<Save> {
    let select = format!("SELECT {STATION_COLUMNS} FROM stations WHERE id = $1");
    let current = tx
        .query_opt(&format!("{select} FOR UPDATE"), &[&station.id])
        .await?
        .map(|r| crate::stations::station(&r, 0, 1))
        .transpose()?;
    let written = Written::new(station, now);
    let values = written.params();
    let changed = match (current, expected) {
        (Some(now_stored), Some(v)) if now_stored.version == v => tx
            .query_opt(
                "UPDATE stations SET kind = $2, name = $3, address = $4, adcode = $5, lat = $6,
                     lon = $7, services = $8, opening_hours = $9, phone = $10,
                     truck_spaces = $11, status = $12, notice = $13, source = $14,
                     updated_at = $15, free_truck_spaces = $16, version = version + 1
                 WHERE id = $1 AND (kind, name, address, adcode, lat, lon, services,
                     opening_hours, phone, truck_spaces, status, notice, source,
                     free_truck_spaces)
                 IS DISTINCT FROM ($2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $16)
                 RETURNING pk",
                &values,
            )
            .await?
            .is_some(),
        (None, None) => {
            let inserted = tx
                .query_opt(
                    "INSERT INTO stations (id, kind, name, address, adcode, lat, lon, services,
                         opening_hours, phone, truck_spaces, status, notice, source, updated_at,
                         free_truck_spaces, version)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
                         $16, 1)
                     ON CONFLICT (id) DO NOTHING RETURNING pk",
                    &values,
                )
                .await?;
            if inserted.is_none() {
                // Created meanwhile on another replica: stale, like any other lost race.
                let row = tx.query_one(&select, &[&station.id]).await?;
                return Ok(Save::Stale(crate::stations::station(&row, 0, 1)?));
            }
            true
        }
        (Some(now_stored), _) => return Ok(Save::Stale(now_stored)),
        (None, Some(_)) => {
            return Err(waystation_catalog::CatalogError::NotFound(station.id.clone()).into());
        }
    };
    let detail = serde_json::to_string(station).unwrap_or_default();
    tx.execute(
        "INSERT INTO audit (at, actor, action, station_id, detail) VALUES ($1, $2, $3, $4, $5)",
        &[&now, &actor, &action, &station.id, &detail],
    )
    .await?;
    if changed {
        crate::feed::log_change(tx, &station.id, "station", "upsert", now).await?;
    }
    let row = tx.query_one(&select, &[&station.id]).await?;
    Ok(Save::Saved(crate::stations::station(&row, 0, 1)?))
}

/// Deletes a station as `actor`, in one transaction: the row, what drivers said about it (words
/// and tallies, and its facts entry), the audit record, and a tombstone in the feed (its
/// position taken last). False when there was no such station.
pub async fn delete(
    client: &mut tokio_postgres::Client,
    id: &str,
    actor: &str,
    now: &str,
) -> Result<bool> {
    let tx = client.transaction().await?;
    if tx
        .execute("DELETE FROM stations WHERE id = $1", &[&id])
        .await?
        == 0
    {
        return Ok(false);
    }
    for forget in [
        "DELETE FROM fact_tallies WHERE station_id = $1",
        "DELETE FROM confirmations WHERE station_id = $1",
        "DELETE FROM changes WHERE station_id = $1 AND kind = 'facts'",
    ] {
        tx.execute(forget, &[&id]).await?;
    }
    tx.execute(
        "INSERT INTO audit (at, actor, action, station_id, detail) VALUES ($1, $2, 'delete', $3, '{}')",
        &[&now, &actor, &id],
    )
    .await?;
    crate::feed::log_change(&tx, id, "station", "delete", now).await?;
    tx.commit().await?;
    Ok(true)
}

/// Imports checked stations in one transaction, as the catalog file does: each inserted or
/// updated by id (its version moved only when something changed); then the feed positions of
/// all that changed, taken together and last (in import order, as the file numbers them), so
/// other writers queue only for the commit.
pub async fn import(
    client: &mut tokio_postgres::Client,
    stations: &[Station],
    now: &str,
) -> Result<ImportReport> {
    let tx = client.transaction().await?;
    let upsert = tx
        .prepare(
            "INSERT INTO stations (id, kind, name, address, adcode, lat, lon, services,
                 opening_hours, phone, truck_spaces, status, notice, source, updated_at,
                 free_truck_spaces, version)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 1)
             ON CONFLICT (id) DO UPDATE SET
                 kind = excluded.kind, name = excluded.name, address = excluded.address,
                 adcode = excluded.adcode, lat = excluded.lat, lon = excluded.lon,
                 services = excluded.services, opening_hours = excluded.opening_hours,
                 phone = excluded.phone, truck_spaces = excluded.truck_spaces,
                 status = excluded.status, notice = excluded.notice, source = excluded.source,
                 free_truck_spaces = excluded.free_truck_spaces,
                 version = stations.version + 1, updated_at = excluded.updated_at
             WHERE (stations.kind, stations.name, stations.address, stations.adcode,
                    stations.lat, stations.lon, stations.services, stations.opening_hours,
                    stations.phone, stations.truck_spaces, stations.status, stations.notice,
                    stations.source, stations.free_truck_spaces)
                 IS DISTINCT FROM (excluded.kind, excluded.name, excluded.address,
                    excluded.adcode, excluded.lat, excluded.lon, excluded.services,
                    excluded.opening_hours, excluded.phone, excluded.truck_spaces,
                    excluded.status, excluded.notice, excluded.source,
                    excluded.free_truck_spaces)
             RETURNING version",
        )
        .await?;
    let mut report = ImportReport::default();
    let mut changed: Vec<&str> = Vec::new();
    for s in stations {
        let written = tx
            .query_opt(&upsert, &Written::new(s, now).params())
            .await?;
        match written.map(|r| r.get::<_, i64>(0)) {
            None => report.unchanged += 1,
            Some(version) => {
                if version == 1 {
                    report.inserted += 1;
                } else {
                    report.updated += 1;
                }
                changed.push(&s.id);
            }
        }
    }
    if !changed.is_empty() {
        // Each changed station's entry, and — for one listed again after its deletion — an
        // entry saying it has no tallies, right after it (as the catalog file logs them).
        let again: std::collections::HashSet<String> = crate::feed::was_deleted(&tx, &changed)
            .await?
            .into_iter()
            .collect();
        let mut entries: Vec<(&str, &str, &str)> = Vec::with_capacity(changed.len());
        for id in &changed {
            entries.push((id, "station", "upsert"));
            if again.contains(*id) {
                entries.push((id, "facts", "facts"));
            }
        }
        let first = crate::feed::take_positions(&tx, entries.len() as i64).await?;
        let seqs: Vec<i64> = (first..first + entries.len() as i64).collect();
        let ids: Vec<&str> = entries.iter().map(|e| e.0).collect();
        let kinds: Vec<&str> = entries.iter().map(|e| e.1).collect();
        let ops: Vec<&str> = entries.iter().map(|e| e.2).collect();
        tx.execute(
            "INSERT INTO changes (seq, station_id, kind, op, at)
             SELECT seq, station_id, kind, op, $5
             FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[])
                 AS c (seq, station_id, kind, op)
             ON CONFLICT (station_id, kind) DO UPDATE
             SET seq = excluded.seq, op = excluded.op, at = excluded.at",
            &[&seqs, &ids, &kinds, &ops, &now],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(report)
}
