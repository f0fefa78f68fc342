//! A catalog shared by a window and its sync: writes (a page of changes, an edit, a login)
//! take turns under one lock, while queries answer from the index published after the last
//! write, on read-only connections, so none waits for a write to finish.

use std::sync::{Arc, Mutex, PoisonError, RwLock};

use crate::answer::{Detail, Hit, MapView};
use crate::catalog::Catalog;
use crate::error::Result;
use crate::index::SpatialIndex;
use crate::readers::Readers;
use crate::request::{DetailQuery, MapViewQuery, Query};

/// Readers for the window's queries: one answering while another reads a station's page.
const READERS: usize = 2;

pub struct SharedCatalog {
    catalog: Mutex<Catalog>,
    readers: Readers,
    /// The index as the last write left it; queries clone the `Arc` and let go at once.
    published: RwLock<Arc<SpatialIndex>>,
}

impl SharedCatalog {
    /// Shares a catalog kept in a file (readers open the same file).
    pub fn new(catalog: Catalog) -> Result<SharedCatalog> {
        Ok(SharedCatalog {
            readers: catalog.readers(READERS)?,
            published: RwLock::new(catalog.shared_index()),
            catalog: Mutex::new(catalog),
        })
    }

    /// Runs `f` with the catalog to itself, after the writes before it, then publishes the
    /// index `f` left for the queries that follow. A panic in an earlier `f` cannot have left
    /// SQLite half-written (transactions), so a poisoned lock is taken over.
    pub fn with<R>(&self, f: impl FnOnce(&mut Catalog) -> R) -> R {
        let mut catalog = self.catalog.lock().unwrap_or_else(PoisonError::into_inner);
        let out = f(&mut catalog);
        let index = catalog.shared_index();
        let replaced = {
            let mut published = self
                .published
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            (!Arc::ptr_eq(&published, &index)).then(|| std::mem::replace(&mut *published, index))
        };
        drop(catalog);
        // The index replaced is freed (when no query still holds it) outside both locks.
        drop(replaced);
        out
    }

    /// The index the last write published.
    fn index(&self) -> Arc<SpatialIndex> {
        self.published
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// A checked query's hits. Between a write's commit and its index being published, a
    /// station it deleted is left out, and so is a new one that took a deleted station's key;
    /// one it changed shows as the file has it.
    pub fn hits(&self, query: &Query) -> Result<Vec<Hit>> {
        self.readers.hits(&self.index(), query)
    }

    /// One station's detail.
    pub fn detail(&self, id: &str, q: &DetailQuery) -> Result<Detail> {
        self.readers.detail(&self.index(), id, q)
    }

    /// What the map shows of a view, from memory.
    pub fn map_view(&self, q: &MapViewQuery) -> MapView {
        crate::answering::map_view(&self.index(), q)
    }

    /// The read-only connections, for the other reads a window makes (drivers' tallies).
    pub fn readers(&self) -> &Readers {
        &self.readers
    }
}
