//! Signed snapshots: the whole catalog at a sequence number. The body is a JSON array of
//! stations; the Ed25519 signature covers the body's SHA-256 digest together with the sequence
//! and creation time, so neither the content nor an old snapshot replayed as new gets past a
//! client that pins the server's public key and never lets its sequence go backwards (the
//! pattern of TUF and apt's signed Release files).

use std::path::Path;

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::model::Station;

/// HTTP headers that carry a snapshot's signed facts beside its body.
pub const SEQ_HEADER: &str = "x-waystation-seq";
pub const CREATED_HEADER: &str = "x-waystation-created-at";
pub const DIGEST_HEADER: &str = "x-waystation-digest";
pub const SIGNATURE_HEADER: &str = "x-waystation-signature";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    #[error(
        "`{0}` is not an Ed25519 public key (64 hexadecimal characters, as `waystation serve` prints it)"
    )]
    BadKey(String),
    #[error("the snapshot is missing its {0} header")]
    Missing(&'static str),
    #[error("the snapshot's signature does not verify with the pinned key: refusing it")]
    BadSignature,
    #[error("the snapshot's content does not match its signed digest: refusing it")]
    DigestMismatch,
    #[error(
        "the snapshot is at sequence {got}, older than this catalog's {local}: refusing a replay"
    )]
    Backwards { local: i64, got: i64 },
    #[error("the snapshot body is not a list of stations: {0}")]
    Body(String),
}

/// The server's signing key, kept beside the catalog (`<catalog>.signing-key`, hex, mode 0600).
pub struct ServerKey(SigningKey);

impl ServerKey {
    /// Reads the key file, or creates it with a fresh random key.
    pub fn load_or_create(path: &Path) -> std::io::Result<ServerKey> {
        if let Ok(text) = std::fs::read_to_string(path) {
            let bytes = from_hex::<32>(text.trim()).ok_or_else(|| {
                std::io::Error::other(format!("{}: not a Waystation signing key", path.display()))
            })?;
            return Ok(ServerKey(SigningKey::from_bytes(&bytes)));
        }
        let mut seed = [0u8; 32];
        rand::Rng::fill(&mut rand::rng(), &mut seed);
        let key = ServerKey(SigningKey::from_bytes(&seed));
        write_private(path, &to_hex(&seed))?;
        Ok(key)
    }

    /// The public key clients pin, as 64 hex characters.
    pub fn public_hex(&self) -> String {
        to_hex(self.0.verifying_key().as_bytes())
    }

    /// Signs a snapshot body taken at `seq`.
    pub fn sign(&self, seq: i64, created_at: &str, body: Vec<u8>) -> SignedSnapshot {
        let digest = to_hex(&Sha256::digest(&body));
        let signature = to_hex(
            &self
                .0
                .sign(message(seq, created_at, &digest).as_bytes())
                .to_bytes(),
        );
        SignedSnapshot {
            seq,
            created_at: created_at.to_string(),
            digest,
            signature,
            body,
        }
    }
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

/// What the signature covers.
fn message(seq: i64, created_at: &str, digest: &str) -> String {
    format!("waystation-snapshot-v1\nseq={seq}\ncreated_at={created_at}\nsha256={digest}\n")
}

#[derive(Debug, Clone)]
pub struct SignedSnapshot {
    pub seq: i64,
    pub created_at: String,
    /// SHA-256 of `body`, hex.
    pub digest: String,
    /// Ed25519 over [`message`], hex.
    pub signature: String,
    /// A JSON array of stations.
    pub body: Vec<u8>,
}

/// The facts a client received beside a snapshot body.
pub struct Received<'a> {
    pub seq: Option<&'a str>,
    pub created_at: Option<&'a str>,
    pub digest: Option<&'a str>,
    pub signature: Option<&'a str>,
    pub body: &'a [u8],
}

/// Checks a received snapshot against the pinned key and the client's last sequence, and
/// returns its sequence, creation time and stations only if everything holds.
pub fn verify(
    public_hex: &str,
    local_seq: i64,
    got: &Received<'_>,
) -> Result<(i64, String, Vec<Station>), SnapshotError> {
    let key_bytes = from_hex::<32>(public_hex.trim())
        .ok_or_else(|| SnapshotError::BadKey(public_hex.to_string()))?;
    let key = VerifyingKey::from_bytes(&key_bytes)
        .map_err(|_| SnapshotError::BadKey(public_hex.to_string()))?;
    let seq_text = got.seq.ok_or(SnapshotError::Missing(SEQ_HEADER))?;
    let created_at = got
        .created_at
        .ok_or(SnapshotError::Missing(CREATED_HEADER))?;
    let digest = got.digest.ok_or(SnapshotError::Missing(DIGEST_HEADER))?;
    let signature = got
        .signature
        .and_then(from_hex::<64>)
        .ok_or(SnapshotError::Missing(SIGNATURE_HEADER))?;
    let seq: i64 = seq_text.parse().map_err(|_| SnapshotError::BadSignature)?;
    key.verify(
        message(seq, created_at, digest).as_bytes(),
        &Signature::from_bytes(&signature),
    )
    .map_err(|_| SnapshotError::BadSignature)?;
    if to_hex(&Sha256::digest(got.body)) != digest {
        return Err(SnapshotError::DigestMismatch);
    }
    if seq < local_seq {
        return Err(SnapshotError::Backwards {
            local: local_seq,
            got: seq,
        });
    }
    let stations: Vec<Station> =
        serde_json::from_slice(got.body).map_err(|e| SnapshotError::Body(e.to_string()))?;
    Ok((seq, created_at.to_string(), stations))
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != N * 2 || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; N];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(dir: &Path) -> ServerKey {
        ServerKey::load_or_create(&dir.join("k")).expect("key")
    }

    fn received(s: &SignedSnapshot) -> Received<'_> {
        Received {
            seq: Some(""),
            created_at: Some(&s.created_at),
            digest: Some(&s.digest),
            signature: Some(&s.signature),
            body: &s.body,
        }
    }

    #[test]
    fn verifies_and_rejects_tampering_wrong_key_and_replay() {
        let dir = tempfile::tempdir().expect("dir");
        let k = key(dir.path());
        assert_eq!(
            k.public_hex(),
            key(dir.path()).public_hex(),
            "the key file is reused"
        );
        let snap = k.sign(7, "2026-11-28T00:00:00Z", b"[]".to_vec());
        let seq = snap.seq.to_string();
        let ok = Received {
            seq: Some(&seq),
            ..received(&snap)
        };
        assert_eq!(verify(&k.public_hex(), 3, &ok).expect("valid").0, 7);

        let mut flipped = snap.body.clone();
        flipped[0] ^= 1;
        let bad_body = Received {
            body: &flipped,
            ..Received {
                seq: Some(&seq),
                ..received(&snap)
            }
        };
        assert_eq!(
            verify(&k.public_hex(), 0, &bad_body).err(),
            Some(SnapshotError::DigestMismatch)
        );

        let other = ServerKey::load_or_create(&dir.path().join("other")).expect("key");
        assert_eq!(
            verify(&other.public_hex(), 0, &ok).err(),
            Some(SnapshotError::BadSignature)
        );

        let claims_newer = Received {
            seq: Some("9"),
            ..received(&snap)
        };
        assert_eq!(
            verify(&k.public_hex(), 0, &claims_newer).err(),
            Some(SnapshotError::BadSignature)
        );

        assert_eq!(
            verify(&k.public_hex(), 8, &ok).err(),
            Some(SnapshotError::Backwards { local: 8, got: 7 })
        );
        assert!(matches!(
            verify("zz", 0, &ok),
            Err(SnapshotError::BadKey(_))
        ));
    }

    #[cfg(unix)]
    #[test]
    fn the_key_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("dir");
        key(dir.path());
        let mode = std::fs::metadata(dir.path().join("k"))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
