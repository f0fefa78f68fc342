//! Publishing signed snapshots: built once per sequence from the store's stations, signed
//! with the server's key and compressed once in each encoding clients ask for (compressing
//! 100 MB per request would cost seconds of CPU each time).

use std::sync::{Arc, Mutex};

use waystation_catalog::CatalogError;
use waystation_catalog::snapshot::SignedSnapshot;

use crate::signing::ServerKey;
use crate::store::{CatalogStore, Result};

/// A signed snapshot with its body compressed ahead of time.
pub struct PublishedSnapshot {
    pub signed: SignedSnapshot,
    pub gzip: Vec<u8>,
    pub zstd: Vec<u8>,
}

impl PublishedSnapshot {
    fn new(signed: SignedSnapshot) -> std::io::Result<PublishedSnapshot> {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&signed.body)?;
        let gzip = gz.finish()?;
        let zstd = zstd::encode_all(signed.body.as_slice(), 9)?;
        Ok(PublishedSnapshot { signed, gzip, zstd })
    }
}

/// The signing key and the snapshot of the newest sequence.
pub struct Publisher {
    key: ServerKey,
    current: Mutex<Option<Arc<PublishedSnapshot>>>,
}

impl Publisher {
    pub fn new(key: ServerKey) -> Publisher {
        Publisher {
            key,
            current: Mutex::new(None),
        }
    }

    /// The public key clients pin.
    pub fn public_key(&self) -> String {
        self.key.public_hex()
    }

    /// The snapshot at the store's head sequence, built if the head has moved. Slow when it
    /// builds: call it off the async workers.
    pub fn current(&self, store: &dyn CatalogStore) -> Result<Arc<PublishedSnapshot>> {
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        let head = store.head_seq()?;
        if let Some(s) = current.as_ref().filter(|s| s.signed.seq == head) {
            return Ok(s.clone());
        }
        let (seq, stations) = store.all_stations()?;
        let body = serde_json::to_vec(&stations).map_err(|e| CatalogError::Io(e.into()))?;
        let created = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let published = Arc::new(PublishedSnapshot::new(self.key.sign(seq, &created, body))?);
        *current = Some(published.clone());
        Ok(published)
    }
}
