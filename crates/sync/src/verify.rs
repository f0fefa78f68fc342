//! Checking a received snapshot before anything of it is applied: the pinned key's signature
//! over the statement (waystation_catalog::snapshot), the body against its signed digest, and
//! a sequence that never goes backwards (a replayed old snapshot).

use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};
use waystation_catalog::snapshot::{
    CREATED_HEADER, DIGEST_HEADER, SEQ_HEADER, SIGNATURE_HEADER, from_hex, statement, to_hex,
};
use waystation_catalog::{Bilingual, Station};

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

impl Bilingual for SnapshotError {
    fn zh(&self) -> String {
        match self {
            SnapshotError::BadKey(key) => format!(
                "`{key}` 不是 Ed25519 公钥（64 个十六进制字符，即 `waystation serve` 打印的那个）"
            ),
            SnapshotError::Missing(header) => format!("快照缺少 {header} 头"),
            SnapshotError::BadSignature => "快照签名与固定的公钥不符：拒绝接受".to_string(),
            SnapshotError::DigestMismatch => "快照内容与签名的摘要不符：拒绝接受".to_string(),
            SnapshotError::Backwards { local, got } => {
                format!("快照序号 {got} 比本目录的 {local} 旧：拒绝重放")
            }
            SnapshotError::Body(problem) => format!("快照内容不是站点列表：{problem}"),
        }
    }
}

/// The facts a client received beside a snapshot body.
pub struct Received<'a> {
    pub seq: Option<&'a str>,
    pub created_at: Option<&'a str>,
    pub digest: Option<&'a str>,
    pub signature: Option<&'a str>,
    pub body: &'a [u8],
}

/// A public key as `waystation serve` prints it.
pub fn public_key(hex: &str) -> Result<VerifyingKey, SnapshotError> {
    from_hex::<32>(hex.trim())
        .and_then(|bytes| VerifyingKey::from_bytes(&bytes).ok())
        .ok_or_else(|| SnapshotError::BadKey(hex.to_string()))
}

/// Checks a received snapshot against the pinned key and the client's last sequence, and
/// returns its sequence, creation time and stations only if everything holds.
pub fn verify(
    public_hex: &str,
    local_seq: i64,
    got: &Received<'_>,
) -> Result<(i64, String, Vec<Station>), SnapshotError> {
    let key = public_key(public_hex)?;
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
        statement(seq, created_at, digest).as_bytes(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    /// A snapshot signed the way the server signs one (an independent key here).
    struct Signed {
        key: SigningKey,
        seq: String,
        created_at: String,
        digest: String,
        signature: String,
        body: Vec<u8>,
    }

    fn signed(seed: u8, seq: i64, body: &[u8]) -> Signed {
        let key = SigningKey::from_bytes(&[seed; 32]);
        let created_at = "2026-11-28T00:00:00Z".to_string();
        let digest = to_hex(&Sha256::digest(body));
        let signature = to_hex(
            &key.sign(statement(seq, &created_at, &digest).as_bytes())
                .to_bytes(),
        );
        Signed {
            key,
            seq: seq.to_string(),
            created_at,
            digest,
            signature,
            body: body.to_vec(),
        }
    }

    impl Signed {
        fn public(&self) -> String {
            to_hex(self.key.verifying_key().as_bytes())
        }

        fn received(&self) -> Received<'_> {
            Received {
                seq: Some(&self.seq),
                created_at: Some(&self.created_at),
                digest: Some(&self.digest),
                signature: Some(&self.signature),
                body: &self.body,
            }
        }
    }

    #[test]
    fn snapshots_signed_before_ed25519_updates_still_verify() {
        // A public key and a snapshot signature made by ed25519-dalek 2.2 (the seed 00 01 .. 1f,
        // sequence 7, body `[]`): a pinned key and a served snapshot from before still check.
        let digest = to_hex(&Sha256::digest(b"[]"));
        let old = Received {
            seq: Some("7"),
            created_at: Some("2026-11-28T00:00:00Z"),
            digest: Some(&digest),
            signature: Some(
                "a2cf23600b910de11f3de6190060007df2a913d2c2ea2270901d011e1f786dcb\
                 c7e0ac14772956b96a90706884c087cdc063888b6d55dfa51bd6d687fb3f4b0b",
            ),
            body: b"[]",
        };
        let public = "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8";
        assert_eq!(verify(public, 0, &old).expect("valid").0, 7);
    }

    #[test]
    fn verifies_and_rejects_tampering_wrong_key_and_replay() {
        let snap = signed(1, 7, b"[]");
        assert_eq!(
            verify(&snap.public(), 3, &snap.received())
                .expect("valid")
                .0,
            7
        );

        let mut flipped = snap.body.clone();
        flipped[0] ^= 1;
        let bad_body = Received {
            body: &flipped,
            ..snap.received()
        };
        assert_eq!(
            verify(&snap.public(), 0, &bad_body).err(),
            Some(SnapshotError::DigestMismatch)
        );

        let other = signed(2, 7, b"[]");
        assert_eq!(
            verify(&other.public(), 0, &snap.received()).err(),
            Some(SnapshotError::BadSignature)
        );

        let claims_newer = Received {
            seq: Some("9"),
            ..snap.received()
        };
        assert_eq!(
            verify(&snap.public(), 0, &claims_newer).err(),
            Some(SnapshotError::BadSignature)
        );

        assert_eq!(
            verify(&snap.public(), 8, &snap.received()).err(),
            Some(SnapshotError::Backwards { local: 8, got: 7 })
        );
        assert!(matches!(
            verify("zz", 0, &snap.received()),
            Err(SnapshotError::BadKey(_))
        ));
        let unsigned = Received {
            signature: None,
            ..snap.received()
        };
        assert_eq!(
            verify(&snap.public(), 0, &unsigned).err(),
            Some(SnapshotError::Missing(SIGNATURE_HEADER))
        );
    }
}
