//! A catalog shared by its writers and its queries: writes (a sync's page, an edit, a login, a
//! server's request) take turns under one lock, while queries answer from what the last write
//! published — the index, and whatever the sharer keeps beside it — on read-only connections,
//! so none waits for a write to finish. The app shares one between its window and its sync; the
//! server shares one among its requests (its own file, or a replica's copy of the database).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use crate::answer::{Detail, Hit, MapView};
use crate::catalog::Catalog;
use crate::error::Result;
use crate::index::SpatialIndex;
use crate::readers::Readers;
use crate::request::{DetailQuery, MapViewQuery, Query};

/// What queries answer from: the index as a write left it, and what the sharer keeps for that
/// index (the server: the station rows its answers have read; the app: nothing).
pub struct Published<K> {
    pub index: Arc<SpatialIndex>,
    /// Carried over to the next index while no station changed, made afresh when one did: a
    /// write commits before the index that shows it is published, so nothing kept here from a
    /// row is older than its index.
    pub kept: Arc<K>,
}

pub struct SharedCatalog<K = ()> {
    catalog: Mutex<Catalog>,
    readers: Readers,
    /// Replaced (never changed) after every write; queries clone the `Arc` and let go at once.
    published: RwLock<Arc<Published<K>>>,
}

impl<K: Default> SharedCatalog<K> {
    /// Shares a catalog kept in a file, with `readers` read-only connections to the same file.
    pub fn new(catalog: Catalog, readers: usize) -> Result<SharedCatalog<K>> {
        Ok(SharedCatalog {
            readers: catalog.readers(readers)?,
            published: RwLock::new(Arc::new(Published {
                index: catalog.shared_index(),
                kept: Arc::default(),
            })),
            catalog: Mutex::new(catalog),
        })
    }

    /// The catalog to itself, after the writes before; what is written shows to queries once
    /// `publish`ed. A panic while holding it cannot leave SQLite half-written (transactions),
    /// so a poisoned lock is taken over.
    pub fn catalog(&self) -> MutexGuard<'_, Catalog> {
        self.catalog.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// After a write, by its writer (holding `catalog()`, so nobody publishes meanwhile): the
    /// catalog's index becomes what queries see. Returns what it replaced, for the caller to
    /// free outside its locks (it may be the last holder of a large cache); None when the index
    /// did not change.
    pub fn publish(&self, catalog: &MutexGuard<'_, Catalog>) -> Option<Arc<Published<K>>> {
        let index = catalog.shared_index();
        let now = self.published();
        if Arc::ptr_eq(&now.index, &index) {
            return None;
        }
        let kept = if index.same_stations(&now.index) {
            now.kept.clone()
        } else {
            Arc::default()
        };
        drop(now);
        let next = Arc::new(Published { index, kept });
        let mut published = self
            .published
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        Some(std::mem::replace(&mut *published, next))
    }

    /// Runs `f` with the catalog to itself, then publishes the index `f` left. What that
    /// replaces is freed (when no query still holds it) outside every lock.
    pub fn with<R>(&self, f: impl FnOnce(&mut Catalog) -> R) -> R {
        let mut catalog = self.catalog();
        let out = f(&mut catalog);
        let replaced = self.publish(&catalog);
        drop(catalog);
        drop(replaced);
        out
    }

    /// What the last write published: held only as long as it takes to clone an `Arc`.
    pub fn published(&self) -> Arc<Published<K>> {
        self.published
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// A checked query's hits. Between a write's commit and its index being published, a
    /// station it deleted is left out, and so is a new one that took a deleted station's key;
    /// one it changed shows as the file has it.
    pub fn hits(&self, query: &Query) -> Result<Vec<Hit>> {
        self.readers.hits(&self.published().index, query)
    }

    /// One station's detail.
    pub fn detail(&self, id: &str, q: &DetailQuery) -> Result<Detail> {
        self.readers.detail(&self.published().index, id, q)
    }

    /// What the map shows of a view, from memory.
    pub fn map_view(&self, q: &MapViewQuery) -> MapView {
        crate::answering::map_view(&self.published().index, q)
    }

    /// The read-only connections, for the other reads (rows, tallies, accounts, the feed).
    pub fn readers(&self) -> &Readers {
        &self.readers
    }
}
