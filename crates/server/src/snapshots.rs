//! Publishing what clients verify: signed snapshots, built once per sequence from the store's
//! stations, signed with the server's key and compressed once in each encoding clients ask for
//! (compressing 100 MB per request would cost seconds of CPU each time); and the signed head,
//! signed again only when the sequence moves or it is a minute old (a signature per poll would
//! cost more than the poll).

use std::sync::{Arc, Mutex};

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};

use waystation_catalog::CatalogError;
use waystation_catalog::feed::SnapshotWithFacts;
use waystation_catalog::signed::{SignedHead, SignedSnapshot};

use crate::signing::ServerKey;
use crate::store::{CatalogStore, Result};

/// A signed snapshot with its body compressed ahead of time.
pub struct PublishedSnapshot {
    pub signed: SignedSnapshot,
    pub gzip: Vec<u8>,
    pub zstd: Vec<u8>,
}

impl PublishedSnapshot {
    pub(crate) fn new(signed: SignedSnapshot) -> std::io::Result<PublishedSnapshot> {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&signed.body)?;
        let gzip = gz.finish()?;
        let zstd = zstd::encode_all(signed.body.as_slice(), 9)?;
        Ok(PublishedSnapshot { signed, gzip, zstd })
    }
}

/// How long a client may believe a head, unless the server is told otherwise (`serve
/// --head-minutes`): an attacker who replays old answers can hide new changes from a client for
/// at most this long before it says its catalog may be stale.
pub const HEAD_LIFETIME: TimeDelta = TimeDelta::hours(1);

/// A head is signed again when it is this old, so every head a client sees has most of its
/// lifetime left.
const HEAD_RESIGN: TimeDelta = TimeDelta::minutes(1);

/// How long a built snapshot is served after the head has moved on: a client pages forward
/// from its sequence, and a busy feed (every confirmation moves the head) does not rebuild and
/// recompress the whole catalog for each new install.
pub(crate) const SNAPSHOT_REUSE: TimeDelta = TimeDelta::minutes(5);

/// A published snapshot and when it was built.
type Built = Option<(DateTime<Utc>, Arc<PublishedSnapshot>)>;

/// The signing key, the newest snapshots (the array of stations older clients read, and the
/// one with tallies) and the newest signed head.
pub struct Publisher {
    key: ServerKey,
    current: Mutex<[Built; 2]>,
    head: Mutex<Option<(DateTime<Utc>, SignedHead)>>,
    head_lifetime: TimeDelta,
}

impl Publisher {
    /// Signs with `key`; heads hold for `head_lifetime` (at least twice `HEAD_RESIGN`, so a
    /// cached head always has half of its life left).
    pub fn new(key: ServerKey, head_lifetime: TimeDelta) -> Publisher {
        Publisher {
            key,
            current: Mutex::new([None, None]),
            head: Mutex::new(None),
            head_lifetime: head_lifetime.max(HEAD_RESIGN * 2),
        }
    }

    /// The signed head for sequence `seq`, from the cache while it is fresh.
    pub fn head(&self, seq: i64) -> SignedHead {
        let now = Utc::now();
        let mut cached = self.head.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((issued, head)) = cached.as_ref()
            && head.seq == seq
            && now - *issued < HEAD_RESIGN
        {
            return head.clone();
        }
        let text = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
        let head = self
            .key
            .sign_head(seq, &text(now), &text(now + self.head_lifetime));
        *cached = Some((now, head.clone()));
        head
    }

    /// Signs a change page's body as it will be sent.
    pub fn sign_page(&self, since: i64, last_seq: i64, more: bool, body: &[u8]) -> String {
        self.key.sign_page(since, last_seq, more, body)
    }

    /// The public key clients pin.
    pub fn public_key(&self) -> String {
        self.key.public_hex()
    }

    /// The handovers from earlier keys to the current one, oldest first.
    pub fn rotations(&self) -> &[waystation_catalog::signed::KeyRotation] {
        self.key.rotations()
    }

    /// A snapshot at the store's head sequence, or one built in the last few minutes that
    /// clients can still page forward from (its sequence not behind the tombstone horizon);
    /// `with_facts`: the form with tallies. Slow when it builds: call it off the async workers.
    pub fn current(
        &self,
        store: &dyn CatalogStore,
        with_facts: bool,
    ) -> Result<Arc<PublishedSnapshot>> {
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        let slot = &mut current[usize::from(with_facts)];
        let head = store.head_seq()?;
        if let Some((built, s)) = slot.as_ref() {
            let seq = s.signed.seq;
            if seq == head
                || (Utc::now() - *built < SNAPSHOT_REUSE && store.changes(seq, 1, false)?.is_ok())
            {
                return Ok(s.clone());
            }
        }
        let signer = self.key.public_hex();
        let published = Arc::new(store.snapshot(with_facts, &signer, &|seq, snapshot| {
            self.publish(seq, snapshot, with_facts)
        })?);
        // Reused until five minutes after it was made (not after this server took it): every
        // replica serving one shared snapshot moves on from it at the same time, while the
        // database still keeps it.
        let made = DateTime::parse_from_rfc3339(&published.signed.created_at)
            .map_or_else(|_| Utc::now(), |t| t.with_timezone(&Utc));
        *slot = Some((made, published.clone()));
        Ok(published)
    }

    /// Signs and compresses every station at `seq` (the array of stations, or with
    /// `with_facts` the tallies too), dated now.
    pub fn publish(
        &self,
        seq: i64,
        snapshot: &SnapshotWithFacts,
        with_facts: bool,
    ) -> Result<PublishedSnapshot> {
        let body = if with_facts {
            serde_json::to_vec(snapshot)
        } else {
            serde_json::to_vec(&snapshot.stations)
        }
        .map_err(|e| CatalogError::Io(e.into()))?;
        let created = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
        Ok(PublishedSnapshot::new(self.key.sign(seq, &created, body))?)
    }

    /// The snapshot published at exactly `seq` in its form, for its immutable URL: the one
    /// this server serves now, or one its store still keeps (a replica's database keeps the
    /// newest two); None once it is gone.
    pub fn at(
        &self,
        store: &dyn CatalogStore,
        seq: i64,
        with_facts: bool,
    ) -> Result<Option<Arc<PublishedSnapshot>>> {
        // While a snapshot is being built (the lock is held), the store is asked: a request for
        // a kept snapshot never waits for a build.
        if let Ok(current) = self.current.try_lock()
            && let Some((_, s)) = &current[usize::from(with_facts)]
            && s.signed.seq == seq
        {
            return Ok(Some(s.clone()));
        }
        let signer = self.key.public_hex();
        Ok(store.kept_snapshot(seq, with_facts, &signer)?.map(Arc::new))
    }
}
