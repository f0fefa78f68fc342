//! Read-only connections beside the catalog's own: the server reads result rows and builds
//! snapshots on them, outside the lock that guards the index and the writes.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OpenFlags};

use crate::answer::{Answer, Hit};
use crate::error::Result;
use crate::model::Station;

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

    /// The next reader, round robin. A panic while holding one cannot leave SQLite
    /// half-written (readers do not write), so a poisoned lock is taken over.
    fn reader(&self) -> MutexGuard<'_, Connection> {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.conns.len();
        self.conns[i].lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reads an answer's rows.
    pub fn read(&self, answer: Answer) -> Result<Vec<Hit>> {
        answer.read(&self.reader())
    }

    /// Every station and the feed's head sequence, read in one transaction so they agree.
    pub fn all_stations(&self) -> Result<(i64, Vec<Station>)> {
        let conn = self.reader();
        let tx = conn.unchecked_transaction()?;
        let head = crate::store::feed::head(&tx)?;
        let mut stations = Vec::new();
        crate::store::for_each_station(&tx, |s| {
            stations.push(s.clone());
            Ok(())
        })?;
        tx.commit()?;
        Ok((head, stations))
    }
}
