//! The station rows an index's answers are made of, kept ready as JSON while that index is the
//! one published. Answering `near` then costs no database read and no escaping for a busy
//! neighbourhood's stations. An index published after a station changed starts with none (one
//! published after a confirmation shares its predecessor's): a write commits before the index
//! that shows it is published, so a row kept here is never older than its index.

use std::collections::HashMap;

use quick_cache::Weighter;
use quick_cache::sync::Cache;
use waystation_catalog::ready::ReadyStation;
use waystation_catalog::{CatalogError, Station};

/// Bytes of rows a published index keeps ready: a few tens of thousands of the busiest stations.
const READY_BYTES: u64 = 32 << 20;
/// Rows expected to fit, which sizes the cache's table up front.
const READY_ROWS: usize = 20_000;

#[derive(Clone)]
struct ByBytes;

/// What the cache itself keeps for an entry besides the row (its slot, key and hash).
const PER_ENTRY: usize = 64;

impl Weighter<i64, ReadyStation> for ByBytes {
    fn weight(&self, _: &i64, row: &ReadyStation) -> u64 {
        (row.size() + PER_ENTRY) as u64
    }
}

/// Rows by primary key; the rarely asked make way for the often asked (S3-FIFO).
pub(crate) struct ReadyRows(Cache<i64, ReadyStation, ByBytes>);

impl Default for ReadyRows {
    /// None kept yet, room for `READY_BYTES` of them.
    fn default() -> ReadyRows {
        ReadyRows(Cache::with_weighter(READY_ROWS, READY_BYTES, ByBytes))
    }
}

impl ReadyRows {
    /// The rows of `keys` that exist: those kept, and the rest read (in one call to `read`),
    /// made ready and kept.
    pub(crate) fn rows(
        &self,
        keys: &[i64],
        read: impl FnOnce(&[i64]) -> Result<HashMap<i64, Station>, CatalogError>,
    ) -> Result<HashMap<i64, ReadyStation>, CatalogError> {
        let mut rows = HashMap::with_capacity(keys.len());
        let mut missing = Vec::new();
        for &pk in keys {
            match self.0.get(&pk) {
                Some(row) => {
                    rows.insert(pk, row);
                }
                None => missing.push(pk),
            }
        }
        if !missing.is_empty() {
            for (pk, station) in read(&missing)? {
                let row = ReadyStation::new(&station)?;
                self.0.insert(pk, row.clone());
                rows.insert(pk, row);
            }
        }
        Ok(rows)
    }
}
