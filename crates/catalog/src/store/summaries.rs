//! The index loader's scan: the few columns a filter needs, for a range of primary keys.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use crate::confirmations::FactTally;
use crate::error::Result;
use crate::model::{Kind, ServiceSet, Status};
use crate::sphere::LatLon;
use crate::store::codes::coded;
use crate::store::texts::Known;

/// One station as the index sees it; text borrowed from the row being read.
pub struct SummaryRow<'a> {
    pub pk: i64,
    pub id: &'a str,
    pub location: LatLon,
    pub kind: Kind,
    pub status: Status,
    pub services: ServiceSet,
    pub hours: Option<&'a str>,
}

/// The highest primary key in use (0 for an empty catalog), to split the scan in two.
pub fn max_pk(conn: &Connection) -> Result<i64> {
    Ok(
        conn.query_row("SELECT coalesce(max(pk), 0) FROM stations", [], |r| {
            r.get(0)
        })?,
    )
}

/// Another connection to the same file, so the two halves of the scan read at once.
pub fn second_connection(path: &Path) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(std::time::Duration::from_secs(3))?;
    Ok(conn)
}

/// Calls `each` for every station with `after_pk < pk <= up_to_pk`.
pub fn scan(
    conn: &Connection,
    after_pk: i64,
    up_to_pk: i64,
    mut each: impl FnMut(SummaryRow<'_>),
) -> Result<()> {
    // The hours' codes, their texts looked up once each (store/texts.rs).
    let mut stmt = conn.prepare(
        "SELECT pk, id, lat, lon, kind, status, services, hours FROM stations
         WHERE pk > ?1 AND pk <= ?2",
    )?;
    let mut known = Known::new(conn);
    let mut rows = stmt.query([after_pk, up_to_pk])?;
    while let Some(r) = rows.next()? {
        let text = |i| r.get_ref(i).and_then(|v| Ok(v.as_str_or_null()?));
        let hours = match r.get::<_, Option<i64>>(7)? {
            Some(code) => known.text(code)?,
            None => None,
        };
        each(SummaryRow {
            pk: r.get(0)?,
            id: text(1)?.unwrap_or_default(),
            location: LatLon {
                lat: r.get(2)?,
                lon: r.get(3)?,
            },
            kind: coded(r, 4)?,
            status: coded(r, 5)?,
            services: ServiceSet::from_bits(r.get(6)?),
            hours,
        });
    }
    Ok(())
}

/// Calls `each` with every station's primary key and its facts' tallies (stations without
/// tallies are not called).
pub fn tallies(conn: &Connection, mut each: impl FnMut(i64, Vec<FactTally>)) -> Result<()> {
    let mut stmt = conn.prepare(
        "SELECT t.station_id, t.fact, t.last_confirmed, t.confirmed, t.denied, s.pk
         FROM fact_tallies t JOIN stations s ON s.id = t.station_id ORDER BY s.pk",
    )?;
    let mut rows = stmt.query([])?;
    let mut current: Option<(i64, Vec<FactTally>)> = None;
    while let Some(r) = rows.next()? {
        let pk: i64 = r.get(5)?;
        let tally = super::confirmations::tally(r)?;
        match &mut current {
            Some((at, list)) if *at == pk => list.push(tally),
            _ => {
                if let Some((at, list)) = current.replace((pk, vec![tally])) {
                    each(at, list);
                }
            }
        }
    }
    if let Some((at, list)) = current {
        each(at, list);
    }
    Ok(())
}
