//! Drivers' confirmations in PostgreSQL, with the catalog file's rules
//! (`waystation_catalog::store::confirmations`, `Catalog::confirm`, `Catalog::age_tallies`): one
//! word a device, a fact and a day; tallies count distinct voices in the 30-day window and keep
//! each fact's last confirmation; a station's new tallies go into the feed as its `facts` entry,
//! in the same transaction.

use std::collections::BTreeSet;

use tokio_postgres::{Client, GenericClient, Transaction};
use waystation_catalog::confirmations::{Confirmation, FactTally, china_day, window_start};

use crate::error::Result;

/// Keeps the (checked) confirmations `said` by `device`, counting for `voice`, recounts their
/// stations and puts their tallies in the feed, in one transaction; how many counted, and the
/// stations whose tallies changed.
pub async fn confirm(
    client: &mut Client,
    said: &[Confirmation],
    device: &str,
    voice: &str,
    now: &str,
) -> Result<(usize, BTreeSet<String>)> {
    let tx = client.transaction().await?;
    let confirmed = record(&tx, said, device, voice, now).await?;
    tx.commit().await?;
    Ok(confirmed)
}

/// `confirm` in the caller's transaction (an operator's saved listing vouches for what it says
/// in the same transaction); the caller commits.
pub async fn record(
    tx: &Transaction<'_>,
    said: &[Confirmation],
    device: &str,
    voice: &str,
    now: &str,
) -> Result<(usize, BTreeSet<String>)> {
    let day = china_day(now);
    // The stations' rows first (see `stations::lock`): a word about a station deleted
    // meanwhile is refused, and two words about one fact are counted one after the other.
    let ids: BTreeSet<&str> = said.iter().map(|c| c.station_id.as_str()).collect();
    let ids: Vec<&str> = ids.into_iter().collect();
    let listed = crate::stations::lock(tx, &ids).await?;
    if let Some(gone) = ids.iter().find(|id| !listed.contains(**id)) {
        return Err(waystation_catalog::CatalogError::NotFound(gone.to_string()).into());
    }
    let mut counted = 0;
    let mut stations = BTreeSet::new();
    for c in said {
        let n = tx
            .execute(
                "INSERT INTO confirmations (station_id, fact, holds, device, day, at, voice)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                &[
                    &c.station_id,
                    &c.fact,
                    &c.holds,
                    &device,
                    &day,
                    &now,
                    &voice,
                ],
            )
            .await?;
        if n == 1 {
            counted += 1;
            stations.insert(c.station_id.clone());
        }
    }
    let since = window_start(now);
    for station_id in &stations {
        recount(tx, station_id, &since).await?;
    }
    // Feed positions last.
    for station_id in &stations {
        crate::feed::log_change(tx, station_id, "facts", "facts", now).await?;
    }
    Ok((counted, stations))
}

/// Recounts `station_id`'s facts: the distinct voices that confirmed and denied each since
/// `since`, and its last confirmation ever (kept in the tally: older words are forgotten).
async fn recount(tx: &Transaction<'_>, station_id: &str, since: &str) -> Result<()> {
    tx.execute(
        "UPDATE fact_tallies SET confirmed = 0, denied = 0 WHERE station_id = $1",
        &[&station_id],
    )
    .await?;
    // Rows from before voices were kept count for their device.
    tx.execute(
        "INSERT INTO fact_tallies (station_id, fact, last_confirmed, confirmed, denied)
         SELECT station_id, fact,
             max(CASE WHEN holds THEN at END COLLATE \"C\"),
             count(DISTINCT CASE WHEN holds AND at >= $2 COLLATE \"C\" THEN coalesce(voice, device) END),
             count(DISTINCT CASE WHEN NOT holds AND at >= $2 COLLATE \"C\" THEN coalesce(voice, device) END)
         FROM confirmations WHERE station_id = $1 GROUP BY station_id, fact
         ON CONFLICT (station_id, fact) DO UPDATE SET
             last_confirmed = CASE
                 WHEN excluded.last_confirmed IS NULL
                     OR fact_tallies.last_confirmed COLLATE \"C\" > excluded.last_confirmed
                 THEN fact_tallies.last_confirmed ELSE excluded.last_confirmed END,
             confirmed = excluded.confirmed,
             denied = excluded.denied",
        &[&station_id, &since],
    )
    .await?;
    tx.execute(
        "DELETE FROM fact_tallies WHERE station_id = $1
         AND last_confirmed IS NULL AND confirmed = 0 AND denied = 0",
        &[&station_id],
    )
    .await?;
    Ok(())
}

/// Recounts up to `max_stations` stations whose words have left the window by `now`, forgets
/// those words and puts the new tallies in the feed (words about a station no longer listed are
/// only forgotten), in one transaction; the stations looked at.
pub async fn age_tallies(
    client: &mut Client,
    now: &str,
    max_stations: usize,
) -> Result<Vec<String>> {
    let since = window_start(now);
    let tx = client.transaction().await?;
    let stations: Vec<String> = tx
        .query(
            "SELECT DISTINCT station_id FROM confirmations
             WHERE at < $1 COLLATE \"C\" LIMIT $2",
            &[&since, &(max_stations as i64)],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    // The listed stations' rows first, in order; feed positions last (see `stations::lock`).
    let ids: Vec<&str> = stations.iter().map(String::as_str).collect();
    let listed = crate::stations::lock(&tx, &ids).await?;
    for station_id in &stations {
        if listed.contains(station_id) {
            recount(&tx, station_id, &since).await?;
        }
        tx.execute(
            "DELETE FROM confirmations WHERE station_id = $1 AND at < $2 COLLATE \"C\"",
            &[station_id, &since],
        )
        .await?;
    }
    for station_id in &listed {
        crate::feed::log_change(&tx, station_id, "facts", "facts", now).await?;
    }
    tx.commit().await?;
    Ok(stations)
}

/// Every fact of `station_id` anyone spoke to, by fact.
pub async fn tallies(client: &impl GenericClient, station_id: &str) -> Result<Vec<FactTally>> {
    Ok(client
        .query(
            "SELECT station_id, fact, last_confirmed, confirmed, denied FROM fact_tallies
             WHERE station_id = $1 ORDER BY fact COLLATE \"C\"",
            &[&station_id],
        )
        .await?
        .iter()
        .map(tally)
        .collect())
}

/// Up to `limit` facts of listed stations denied more often than confirmed (and at least
/// `MIN_DENIALS` times), most denied first.
pub async fn disputed(client: &impl GenericClient, limit: usize) -> Result<Vec<FactTally>> {
    let min = i64::from(waystation_catalog::confirmations::MIN_DENIALS);
    Ok(client
        .query(
            "SELECT station_id, fact, last_confirmed, confirmed, denied FROM fact_tallies
             WHERE denied > confirmed AND denied >= $2
             AND station_id IN (SELECT id FROM stations)
             ORDER BY denied DESC, station_id COLLATE \"C\", fact COLLATE \"C\" LIMIT $1",
            &[&(limit as i64), &min],
        )
        .await?
        .iter()
        .map(tally)
        .collect())
}

pub(crate) fn tally(r: &tokio_postgres::Row) -> FactTally {
    FactTally {
        station_id: r.get(0),
        fact: r.get(1),
        last_confirmed: r.get(2),
        confirmed: r.get::<_, i64>(3) as u32,
        denied: r.get::<_, i64>(4) as u32,
    }
}
