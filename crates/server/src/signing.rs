//! The server's signing key: kept beside the catalog (`<catalog>.signing-key`, hex, mode
//! 0600) or in a file of its own that every replica of one catalog is given (`waystation keygen
//! FILE`, `serve --signing-key FILE`), it signs snapshots, change pages and the head
//! (waystation_catalog::signed). Its history is kept beside it too (`.key-rotations`, one JSON
//! handover per line, each signed by the key it replaces), so clients pinned to an older key can
//! follow to this one.

use std::io::Write;
use std::path::{Path, PathBuf};

use ed25519_dalek::{Signer, SigningKey};
use sha2::{Digest, Sha256};
use waystation_catalog::signed::{
    KeyRotation, SignedHead, SignedSnapshot, from_hex, head_statement, page_statement,
    rotation_statement, statement, to_hex,
};

pub struct ServerKey {
    key: SigningKey,
    /// The handovers that lead from earlier keys to this one, oldest first.
    rotations: Vec<KeyRotation>,
}

impl ServerKey {
    /// Reads the key file, or creates it with a fresh random key.
    pub fn load_or_create(path: &Path) -> std::io::Result<ServerKey> {
        match std::fs::read_to_string(path) {
            Ok(text) => ServerKey::parse(path, &text),
            Err(_) => ServerKey::generate(path),
        }
    }

    /// Writes a new random key to `path` (mode 0600; an existing file is never overwritten).
    pub fn generate(path: &Path) -> std::io::Result<ServerKey> {
        let mut seed = [0u8; 32];
        rand::Rng::fill(&mut rand::rng(), &mut seed);
        write_private(path, &to_hex(&seed))?;
        Ok(ServerKey::from_seed(seed))
    }

    /// The key in `path`, made by `waystation keygen` (never created here: replicas must share
    /// one key), with the handovers kept beside it (`<path>.key-rotations`), if any.
    pub fn from_file(path: &Path) -> std::io::Result<ServerKey> {
        let named = |e: std::io::Error| std::io::Error::other(format!("{}: {e}", path.display()));
        let text = std::fs::read_to_string(path).map_err(named)?;
        let mut key = ServerKey::parse(path, &text)?;
        key.rotations = read_rotations(&rotations_path(path))?;
        Ok(key)
    }

    fn parse(path: &Path, text: &str) -> std::io::Result<ServerKey> {
        let bytes = from_hex::<32>(text.trim()).ok_or_else(|| {
            std::io::Error::other(format!("{}: not a Waystation signing key", path.display()))
        })?;
        Ok(ServerKey::from_seed(bytes))
    }

    fn from_seed(seed: [u8; 32]) -> ServerKey {
        ServerKey {
            key: SigningKey::from_bytes(&seed),
            rotations: Vec::new(),
        }
    }

    /// The key file beside a catalog (`<catalog>.signing-key`), with its history.
    pub fn beside(catalog: &Path) -> std::io::Result<ServerKey> {
        let path = catalog.with_extension("signing-key");
        let named = |e: std::io::Error| std::io::Error::other(format!("{}: {e}", path.display()));
        let mut key = ServerKey::load_or_create(&path).map_err(named)?;
        key.rotations = read_rotations(&rotations_path(catalog))?;
        Ok(key)
    }

    /// The public key clients pin, as 64 hex characters.
    pub fn public_hex(&self) -> String {
        to_hex(self.key.verifying_key().as_bytes())
    }

    /// The handovers from earlier keys to this one, oldest first.
    pub fn rotations(&self) -> &[KeyRotation] {
        &self.rotations
    }

    /// This key hands over to `next`, signing the handover.
    fn hand_over(&self, next: &ServerKey, at: &str) -> KeyRotation {
        let (old, new) = (self.public_hex(), next.public_hex());
        let signature = self.key.sign(rotation_statement(&old, &new, at).as_bytes());
        KeyRotation {
            old,
            new,
            at: at.to_string(),
            signature: to_hex(&signature.to_bytes()),
        }
    }

    /// Signs a snapshot body taken at `seq`.
    pub fn sign(&self, seq: i64, created_at: &str, body: Vec<u8>) -> SignedSnapshot {
        let digest = to_hex(&Sha256::digest(&body));
        let signed = self
            .key
            .sign(statement(seq, created_at, &digest).as_bytes());
        SignedSnapshot {
            seq,
            created_at: created_at.to_string(),
            digest,
            signature: to_hex(&signed.to_bytes()),
            body,
        }
    }

    /// Signs a change page: the request's `since`, the page's `last_seq` and `more`, and the
    /// body exactly as it will be sent.
    pub fn sign_page(&self, since: i64, last_seq: i64, more: bool, body: &[u8]) -> String {
        let digest = to_hex(&Sha256::digest(body));
        let text = page_statement(since, last_seq, more, &digest, &self.public_hex());
        to_hex(&self.key.sign(text.as_bytes()).to_bytes())
    }

    /// Signs the head: `seq` is the newest sequence, believable from `issued_at` until
    /// `expires_at` (both RFC 3339, UTC).
    pub fn sign_head(&self, seq: i64, issued_at: &str, expires_at: &str) -> SignedHead {
        let text = head_statement(seq, issued_at, expires_at);
        SignedHead {
            seq,
            issued_at: issued_at.to_string(),
            expires_at: expires_at.to_string(),
            signature: to_hex(&self.key.sign(text.as_bytes()).to_bytes()),
        }
    }
}

fn rotations_path(catalog: &Path) -> PathBuf {
    catalog.with_extension("key-rotations")
}

fn read_rotations(path: &Path) -> std::io::Result<Vec<KeyRotation>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, line)| {
            serde_json::from_str(line).map_err(|e| {
                std::io::Error::other(format!("{} line {}: {e}", path.display(), i + 1))
            })
        })
        .collect()
}

/// Replaces the key beside `catalog` with a new one: the handover, signed by the old key, is
/// appended to the history; the old key file is kept as `<catalog>.signing-key.<time>.old`.
/// Returns the old and new public keys. The server must be restarted to sign with the new key.
pub fn rotate_beside(catalog: &Path) -> std::io::Result<(String, String)> {
    let old = ServerKey::beside(catalog)?;
    rotate(
        old,
        &catalog.with_extension("signing-key"),
        &rotations_path(catalog),
    )
}

/// `rotate_beside` for a key file of its own (`serve --signing-key FILE`, every replica's): the
/// history goes beside it (`<FILE>.key-rotations`), where `from_file` reads it. Every replica
/// must be given the new file and restarted.
pub fn rotate_file(key_file: &Path) -> std::io::Result<(String, String)> {
    let old = ServerKey::from_file(key_file)?;
    rotate(old, key_file, &rotations_path(key_file))
}

fn rotate(old: ServerKey, key_path: &Path, history: &Path) -> std::io::Result<(String, String)> {
    let now = chrono::Utc::now();
    let at = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let kept = PathBuf::from(format!(
        "{}.{}.old",
        key_path.display(),
        now.format("%Y%m%dT%H%M%SZ")
    ));
    let mut seed = [0u8; 32];
    rand::Rng::fill(&mut rand::rng(), &mut seed);
    let new = ServerKey::from_seed(seed);
    let rotation = old.hand_over(&new, &at);
    let line = serde_json::to_string(&rotation).map_err(std::io::Error::other)?;
    // In an order that never leaves the server without a key in the history: the new key
    // beside the old, then the handover, then the swap. Stopped half-way, the old key still
    // signs; a later rotation hands over from it again (clients take the newest handover).
    let staged = key_path.with_extension("signing-key.new");
    let _ = std::fs::remove_file(&staged);
    write_private(&staged, &to_hex(&seed))?;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(history)?;
    writeln!(file, "{line}")?;
    file.sync_all()?;
    std::fs::rename(key_path, &kept)?;
    std::fs::rename(&staged, key_path)?;
    Ok((old.public_hex(), new.public_hex()))
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

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signature, Verifier, VerifyingKey};

    #[test]
    fn the_key_file_is_reused_and_signs_the_statement() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("k");
        let key = ServerKey::load_or_create(&path).expect("key");
        let again = ServerKey::load_or_create(&path).expect("key");
        assert_eq!(
            key.public_hex(),
            again.public_hex(),
            "the key file is reused"
        );
        let snap = key.sign(7, "2026-11-28T00:00:00Z", b"[]".to_vec());
        assert_eq!(snap.digest, to_hex(&Sha256::digest(b"[]")));
        let public = VerifyingKey::from_bytes(&from_hex::<32>(&key.public_hex()).expect("hex"))
            .expect("public key");
        let signature = Signature::from_bytes(&from_hex::<64>(&snap.signature).expect("hex"));
        let signed = statement(7, "2026-11-28T00:00:00Z", &snap.digest);
        assert!(public.verify(signed.as_bytes(), &signature).is_ok());
        let other = statement(8, "2026-11-28T00:00:00Z", &snap.digest);
        assert!(public.verify(other.as_bytes(), &signature).is_err());
    }

    #[test]
    fn key_files_and_signatures_outlive_ed25519_updates() {
        // A key file holding the seed 00 01 .. 1f, and its public key and signature as
        // ed25519-dalek 2.2 made them: Ed25519 is deterministic, so both must come out the same.
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("k");
        std::fs::write(
            &path,
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n",
        )
        .expect("write");
        let key = ServerKey::load_or_create(&path).expect("key");
        assert_eq!(
            key.public_hex(),
            "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"
        );
        let snap = key.sign(7, "2026-11-28T00:00:00Z", b"[]".to_vec());
        assert_eq!(
            snap.signature,
            "a2cf23600b910de11f3de6190060007df2a913d2c2ea2270901d011e1f786dcb\
             c7e0ac14772956b96a90706884c087cdc063888b6d55dfa51bd6d687fb3f4b0b"
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_key_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("dir");
        ServerKey::load_or_create(&dir.path().join("k")).expect("key");
        let mode = std::fs::metadata(dir.path().join("k"))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
