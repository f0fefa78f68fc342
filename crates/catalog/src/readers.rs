//! Read-only connections beside the catalog's own: the server answers queries (with an index
//! shared from the catalog), reads stations, change pages and snapshots on them, outside the
//! lock that guards the writes — so no reader waits behind a write or a long query.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, TryLockError};

use rusqlite::{Connection, OpenFlags};

use crate::answer::{Answer, Detail, Hit};
use crate::answering;
use crate::error::{CatalogError, Result};
use crate::feed::{ChangePage, Gone, SnapshotWithFacts};
use crate::index::SpatialIndex;
use crate::model::Station;
use crate::request::{DetailQuery, Query};
use crate::store::accounts::Accounts;
use crate::store::confirmations::Confirmations;
use crate::store::proposals::Proposals;
use crate::store::reports::Reports;

pub struct Readers {
    conns: Vec<Mutex<Connection>>,
    next: AtomicUsize,
}

impl Readers {
    pub(crate) fn open(path: &Path, count: usize) -> Result<Readers> {
        let conns = (0..count.max(1))
            .map(|_| {
                let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
                let conn = Connection::open_with_flags(path, flags)?;
                conn.busy_timeout(std::time::Duration::from_secs(3))?;
                Ok(Mutex::new(conn))
            })
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Readers {
            conns,
            next: AtomicUsize::new(0),
        })
    }

    /// A free reader, looking round robin from the next one; only when every reader is busy
    /// does the caller wait, for the next one. A panic while holding one cannot leave SQLite
    /// half-written (readers do not write), so a poisoned lock is taken over.
    fn reader(&self) -> MutexGuard<'_, Connection> {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let count = self.conns.len();
        for i in 0..count {
            match self.conns[(start + i) % count].try_lock() {
                Ok(free) => return free,
                Err(TryLockError::Poisoned(p)) => return p.into_inner(),
                Err(TryLockError::WouldBlock) => {}
            }
        }
        self.conns[start % count]
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// A checked query's answer from `index` (a catalog's `shared_index`), before its rows
    /// are read: a text search reads the file, the rest only the index.
    pub fn answer(&self, index: &SpatialIndex, query: &Query) -> Result<Answer> {
        answering::answer(index, || self.reader(), query)
    }

    /// A checked query's hits from `index`, their rows read on a reader.
    pub fn hits(&self, index: &SpatialIndex, query: &Query) -> Result<Vec<Hit>> {
        let answer = self.answer(index, query)?;
        let rows = self.stations_by_pk(index, &answer.keys())?;
        Ok(answer.with_rows(rows))
    }

    /// The rows of the stations `index` holds at `pks`. The index may be older than the rows
    /// (published before a write that committed since): a row deleted since is left out, and so
    /// is one that is now another station (a deletion freed its key for a new one).
    pub fn stations_by_pk(
        &self,
        index: &SpatialIndex,
        pks: &[i64],
    ) -> Result<HashMap<i64, Station>> {
        let mut rows = crate::store::stations_by_pk(&self.reader(), pks)?;
        rows.retain(|pk, row| index.holds(*pk, &row.id));
        Ok(rows)
    }

    /// One station's detail, from `index`.
    pub fn detail(&self, index: &SpatialIndex, id: &str, q: &DetailQuery) -> Result<Detail> {
        answering::detail(index, &self.reader(), id, q)
    }

    pub fn station(&self, id: &str) -> Result<Station> {
        crate::store::station_by_id(&self.reader(), id)?
            .ok_or_else(|| CatalogError::NotFound(id.to_string()))
    }

    /// Up to `limit` changes after `since` (see `store::feed::since`).
    pub fn changes_since(
        &self,
        since: i64,
        limit: usize,
        with_facts: bool,
    ) -> Result<std::result::Result<ChangePage, Gone>> {
        crate::store::feed::since(&self.reader(), since, limit, with_facts)
    }

    /// Account lookups (credentials, sessions, assignments) on a reader, so checking a token
    /// or a login never waits behind a write. Only reads: a write here fails (read-only).
    pub fn accounts<T>(&self, read: impl FnOnce(&Accounts<'_>) -> Result<T>) -> Result<T> {
        read(&Accounts(&self.reader()))
    }

    /// Proposal lookups (a proposer's status check, the admins' list) on a reader.
    pub fn proposals<T>(&self, read: impl FnOnce(&Proposals<'_>) -> Result<T>) -> Result<T> {
        read(&Proposals(&self.reader()))
    }

    /// Confirmations and their tallies, on a reader.
    pub fn confirmations<T>(
        &self,
        read: impl FnOnce(&Confirmations<'_>) -> Result<T>,
    ) -> Result<T> {
        read(&Confirmations(&self.reader()))
    }

    /// Received problem reports, on a reader.
    pub fn reports<T>(&self, read: impl FnOnce(&Reports<'_>) -> Result<T>) -> Result<T> {
        read(&Reports(&self.reader()))
    }

    /// Every station, their tallies and the feed's head sequence, read in one transaction so
    /// they agree.
    pub fn all_stations(&self) -> Result<(i64, SnapshotWithFacts)> {
        let conn = self.reader();
        let tx = conn.unchecked_transaction()?;
        let head = crate::store::feed::head(&tx)?;
        let mut stations = Vec::new();
        crate::store::for_each_station(&tx, |s| {
            stations.push(s.clone());
            Ok(())
        })?;
        let facts = Confirmations(&tx).all_tallies()?;
        tx.commit()?;
        Ok((head, SnapshotWithFacts { stations, facts }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_reader_is_passed_over_for_a_free_one() {
        let dir = tempfile::tempdir().expect("temp dir");
        let catalog = crate::Catalog::open(&dir.path().join("c.sqlite")).expect("catalog");
        let readers = catalog.readers(3).expect("readers");
        // A long query holds one reader; every later caller gets another, whichever the turn.
        let held = readers.reader();
        let held_at: *const Connection = &*held;
        for _ in 0..6 {
            let other = readers.reader();
            assert!(!std::ptr::eq(&*other, held_at));
        }
    }
}
