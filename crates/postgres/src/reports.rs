//! Problem reports and the audit log in PostgreSQL, read and written as the catalog file does
//! (`waystation_catalog::store::{reports, audit}`): newest first, paged by id.

use tokio_postgres::GenericClient;
use waystation_catalog::reports::{Received, Report};
use waystation_catalog::store::audit::AuditEntry;

use crate::error::Result;

/// Stores a checked report; its id.
pub async fn record(client: &impl GenericClient, report: &Report, now: &str) -> Result<i64> {
    let row = client
        .query_one(
            "INSERT INTO reports (station_id, problem, service, note, received_at)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
            &[
                &report.station_id,
                &report.problem.id(),
                &report.service.map(|s| s.id()),
                &report.note,
                &now,
            ],
        )
        .await?;
    Ok(row.get(0))
}

/// Forgets reports received before `cutoff` (RFC 3339); how many.
pub async fn forget_before(client: &impl GenericClient, cutoff: &str) -> Result<u64> {
    Ok(client
        .execute("DELETE FROM reports WHERE received_at < $1", &[&cutoff])
        .await?)
}

/// A page of `limit` reports, newest first, older than `before` if given, optionally about
/// one station.
pub async fn newest(
    client: &impl GenericClient,
    station: Option<&str>,
    limit: usize,
    before: Option<i64>,
) -> Result<Vec<Received>> {
    let rows = client
        .query(
            "SELECT id, station_id, problem, service, note, received_at FROM reports
             WHERE ($1::text IS NULL OR station_id = $1) AND ($3::bigint IS NULL OR id < $3)
             ORDER BY id DESC LIMIT $2",
            &[&station, &(limit as i64), &before],
        )
        .await?;
    Ok(received(&rows))
}

/// Up to `limit` reports about any of `stations`, newest first (an operator's inbox).
pub async fn about(
    client: &impl GenericClient,
    stations: &[String],
    limit: usize,
) -> Result<Vec<Received>> {
    let rows = client
        .query(
            "SELECT id, station_id, problem, service, note, received_at FROM reports
             WHERE station_id = ANY($1) ORDER BY id DESC LIMIT $2",
            &[&stations, &(limit as i64)],
        )
        .await?;
    Ok(received(&rows))
}

fn received(rows: &[tokio_postgres::Row]) -> Vec<Received> {
    rows.iter()
        .filter_map(|r| {
            // A problem this version does not know (written by a newer one) is left out.
            let problem = r.get::<_, &str>(2).parse().ok()?;
            Some(Received {
                id: r.get(0),
                report: Report {
                    station_id: r.get(1),
                    problem,
                    service: r.get::<_, Option<&str>>(3).and_then(|s| s.parse().ok()),
                    note: r.get(4),
                },
                received_at: r.get(5),
            })
        })
        .collect()
}

/// The newest `limit` audit records, newest first, older than `before` if given.
pub async fn audit(
    client: &impl GenericClient,
    limit: usize,
    before: Option<i64>,
) -> Result<Vec<AuditEntry>> {
    Ok(client
        .query(
            "SELECT id, at, actor, action, station_id, detail FROM audit
             WHERE $2::bigint IS NULL OR id < $2 ORDER BY id DESC LIMIT $1",
            &[&(limit as i64), &before],
        )
        .await?
        .iter()
        .map(|r| AuditEntry {
            id: r.get(0),
            at: r.get(1),
            actor: r.get(2),
            action: r.get(3),
            station_id: r.get(4),
            detail: r.get(5),
        })
        .collect())
}

/// Writes an audit record, in the caller's transaction beside the change it records.
pub async fn record_audit(
    tx: &impl GenericClient,
    actor: &str,
    action: &str,
    station_id: Option<&str>,
    detail: &str,
    now: &str,
) -> Result<()> {
    tx.execute(
        "INSERT INTO audit (at, actor, action, station_id, detail) VALUES ($1, $2, $3, $4, $5)",
        &[&now, &actor, &action, &station_id, &detail],
    )
    .await?;
    Ok(())
}
