//! Checking what the server sent before anything of it is applied, against the pinned key:
//! the signed head (the newest sequence and how long that may be believed), each change page
//! (its since, last_seq, more and body digest), and snapshots (the statement and the body's
//! digest) — the statements are waystation_catalog::signed. Besides signatures: a head older
//! than one already held, a sequence that goes backwards, a page beyond the head or one that
//! does not advance are refused.

use chrono::{DateTime, TimeDelta, Utc};
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};
use waystation_catalog::Bilingual;
use waystation_catalog::feed::{ChangePage, SnapshotWithFacts};
use waystation_catalog::signed::{
    CREATED_HEADER, DIGEST_HEADER, HEAD_HEADER, KeyRotation, PAGE_SIGNATURE_HEADER, SEQ_HEADER,
    SIGNATURE_HEADER, SignedHead, from_hex, page_statement, statement, to_hex,
};

/// Clocks disagree: a head is believed this long past its expiry by the device's clock.
const CLOCK_LEEWAY: TimeDelta = TimeDelta::minutes(5);

/// Why something the server sent is not applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustError {
    #[error(
        "`{0}` is not an Ed25519 public key (64 hexadecimal characters, as `waystation serve` prints it)"
    )]
    BadKey(String),
    #[error("the answer is missing its {0} header: refusing it")]
    Missing(&'static str),
    #[error("the {0}'s signature does not verify with the pinned key: refusing it")]
    BadSignature(&'static str),
    #[error("the snapshot's content does not match its signed digest: refusing it")]
    DigestMismatch,
    #[error(
        "the {what} is at sequence {got}, older than this catalog's {local}: refusing a replay"
    )]
    Backwards {
        what: &'static str,
        local: i64,
        got: i64,
    },
    #[error(
        "the server's signed head expired at {expires_at} (this device's clock says {now}): old answers are being replayed or the server is stuck; the catalog may be stale since {since}"
    )]
    Expired {
        expires_at: String,
        now: String,
        /// When the newest head this client took was issued ("its first sync" if none).
        since: String,
    },
    #[error(
        "the server's signed head was issued at {got}, before the one already held ({held}): refusing a replay"
    )]
    OlderHead { held: String, got: String },
    #[error(
        "a change page reaches sequence {last_seq}, beyond the signed head {head}: refusing it"
    )]
    BeyondHead { last_seq: i64, head: i64 },
    #[error("a change page after {since} says more follow but does not advance: refusing it")]
    NoProgress { since: i64 },
    #[error("the {0} is not what it should be: {1}")]
    Body(&'static str, String),
    #[error(
        "the server now signs with {announced}, but no handover signed by the pinned key {pinned} leads there: refusing it (if the server was really re-keyed without one, pin the new key with --key)"
    )]
    NoHandover { pinned: String, announced: String },
}

impl Bilingual for TrustError {
    fn zh(&self) -> String {
        match self {
            TrustError::BadKey(key) => format!(
                "`{key}` 不是 Ed25519 公钥（64 个十六进制字符，即 `waystation serve` 打印的那个）"
            ),
            TrustError::Missing(header) => format!("回答缺少 {header} 头：拒绝接受"),
            TrustError::BadSignature(what) => {
                format!("{} 的签名与固定的公钥不符：拒绝接受", zh_what(what))
            }
            TrustError::DigestMismatch => "快照内容与签名的摘要不符：拒绝接受".to_string(),
            TrustError::Backwards { what, local, got } => {
                format!(
                    "{} 的序号 {got} 比本目录的 {local} 旧：拒绝重放",
                    zh_what(what)
                )
            }
            TrustError::Expired {
                expires_at,
                now,
                since,
            } => format!(
                "服务器签名的最新序号已于 {expires_at} 过期（本机时间 {now}）：可能有人重放旧回答或服务器停滞；目录可能自 {since} 起已过时"
            ),
            TrustError::OlderHead { held, got } => {
                format!("服务器签名的最新序号签发于 {got}，早于已持有的 {held}：拒绝重放")
            }
            TrustError::BeyondHead { last_seq, head } => {
                format!("变更页到达序号 {last_seq}，超出签名的最新序号 {head}：拒绝接受")
            }
            TrustError::NoProgress { since } => {
                format!("序号 {since} 之后的变更页说还有更多，却没有前进：拒绝接受")
            }
            TrustError::Body(what, problem) => format!("{} 内容有误：{problem}", zh_what(what)),
            TrustError::NoHandover { pinned, announced } => format!(
                "服务器改用公钥 {announced}，但没有由固定公钥 {pinned} 签名的交接通向它：拒绝接受（若服务器确实无交接地换了密钥，请用 --key 固定新公钥）"
            ),
        }
    }
}

fn zh_what(what: &str) -> &'static str {
    match what {
        "snapshot" => "快照",
        "change page" => "变更页",
        "key handover" => "密钥交接",
        _ => "最新序号",
    }
}

/// A public key as `waystation serve` prints it.
pub fn public_key(hex: &str) -> Result<VerifyingKey, TrustError> {
    from_hex::<32>(hex.trim())
        .and_then(|bytes| VerifyingKey::from_bytes(&bytes).ok())
        .ok_or_else(|| TrustError::BadKey(hex.to_string()))
}

fn check_signature(
    key: &VerifyingKey,
    text: &str,
    signature: Option<&str>,
    header: &'static str,
    what: &'static str,
) -> Result<(), TrustError> {
    let signature = signature
        .and_then(from_hex::<64>)
        .ok_or(TrustError::Missing(header))?;
    key.verify(text.as_bytes(), &Signature::from_bytes(&signature))
        .map_err(|_| TrustError::BadSignature(what))
}

fn time(text: &str) -> Result<DateTime<Utc>, TrustError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| TrustError::Body("head", format!("`{text}`: {e}")))
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A head that verified: the server had reached `seq` at `issued_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub seq: i64,
    pub issued_at: DateTime<Utc>,
    /// As received, to be kept and compared with the next one.
    pub signed: SignedHead,
}

/// What the client already holds from this server: its sequence and the last head it took.
#[derive(Debug, Clone, Copy)]
pub struct Held {
    pub seq: i64,
    pub head_issued_at: Option<DateTime<Utc>>,
}

/// Checks the head that came with an answer: signed by the pinned key, not expired by `now`,
/// not older than the head held, and not behind the sequence held.
pub fn verify_head(
    public_hex: &str,
    header: Option<&str>,
    held: Held,
    now: DateTime<Utc>,
) -> Result<Head, TrustError> {
    let key = public_key(public_hex)?;
    let text = header.ok_or(TrustError::Missing(HEAD_HEADER))?;
    let signed = SignedHead::parse(text)
        .ok_or_else(|| TrustError::Body("head", format!("`{text}` is not a signed head")))?;
    check_signature(
        &key,
        &signed.statement(),
        Some(&signed.signature),
        HEAD_HEADER,
        "head",
    )?;
    let issued_at = time(&signed.issued_at)?;
    let expires_at = time(&signed.expires_at)?;
    if now > expires_at + CLOCK_LEEWAY {
        return Err(TrustError::Expired {
            expires_at: signed.expires_at.clone(),
            now: rfc3339(now),
            since: held
                .head_issued_at
                .map_or_else(|| "its first sync".to_string(), rfc3339),
        });
    }
    if let Some(held_at) = held.head_issued_at.filter(|h| issued_at < *h) {
        return Err(TrustError::OlderHead {
            held: rfc3339(held_at),
            got: signed.issued_at.clone(),
        });
    }
    if signed.seq < held.seq {
        return Err(TrustError::Backwards {
            what: "head",
            local: held.seq,
            got: signed.seq,
        });
    }
    Ok(Head {
        seq: signed.seq,
        issued_at,
        signed,
    })
}

/// Checks a change page asked for with `since`: its signature over since, last_seq, more and
/// the body's digest; then that it stays within the head and, if more follow, advances.
pub fn verify_page(
    public_hex: &str,
    since: i64,
    head: &Head,
    body: &[u8],
    signature: Option<&str>,
) -> Result<ChangePage, TrustError> {
    let key = public_key(public_hex)?;
    // Before the signature is checked only last_seq and more are read (the statement covers
    // them), skipping the changes: an unsigned body never becomes stations in memory.
    #[derive(serde::Deserialize)]
    struct Outline {
        last_seq: i64,
        more: bool,
    }
    let bad = |e: serde_json::Error| TrustError::Body("change page", e.to_string());
    let outline: Outline = serde_json::from_slice(body).map_err(bad)?;
    let digest = to_hex(&Sha256::digest(body));
    let text = page_statement(
        since,
        outline.last_seq,
        outline.more,
        &digest,
        public_hex.trim(),
    );
    check_signature(&key, &text, signature, PAGE_SIGNATURE_HEADER, "change page")?;
    let page: ChangePage = serde_json::from_slice(body).map_err(bad)?;
    if page.last_seq < since {
        return Err(TrustError::Backwards {
            what: "change page",
            local: since,
            got: page.last_seq,
        });
    }
    if page.last_seq > head.seq {
        return Err(TrustError::BeyondHead {
            last_seq: page.last_seq,
            head: head.seq,
        });
    }
    if page.more && page.last_seq == since {
        return Err(TrustError::NoProgress { since });
    }
    Ok(page)
}

/// Follows the server's key handovers from the pinned key to the one it announces, checking
/// each with the key before it; returns the announced key when a chain leads there. A key
/// handed over twice (a rotation redone after one stopped half-way) follows the newest.
pub fn follow_rotations(
    pinned: &str,
    announced: &str,
    rotations: &[KeyRotation],
) -> Result<String, TrustError> {
    let no_chain = || TrustError::NoHandover {
        pinned: pinned.to_string(),
        announced: announced.to_string(),
    };
    let mut key = pinned.trim().to_string();
    for _ in 0..=rotations.len() {
        if key == announced {
            return Ok(key);
        }
        // The newest by its signed time, not by where the list puts it.
        let step = rotations
            .iter()
            .filter(|r| r.old == key)
            .max_by(|a, b| a.at.cmp(&b.at))
            .ok_or_else(no_chain)?;
        check_signature(
            &public_key(&key)?,
            &step.statement(),
            Some(&step.signature),
            "rotations",
            "key handover",
        )?;
        key = step.new.clone();
    }
    Err(no_chain())
}

/// The facts a client received beside a snapshot body.
pub struct Received<'a> {
    pub seq: Option<&'a str>,
    pub created_at: Option<&'a str>,
    pub digest: Option<&'a str>,
    pub signature: Option<&'a str>,
    pub body: &'a [u8],
}

/// Checks a received snapshot against the pinned key, the client's last sequence and the head
/// that came with it, and returns its sequence, creation time and stations only if everything
/// holds.
pub fn verify(
    public_hex: &str,
    local_seq: i64,
    head_seq: i64,
    got: &Received<'_>,
) -> Result<(i64, String, SnapshotWithFacts), TrustError> {
    let key = public_key(public_hex)?;
    let seq_text = got.seq.ok_or(TrustError::Missing(SEQ_HEADER))?;
    let created_at = got.created_at.ok_or(TrustError::Missing(CREATED_HEADER))?;
    let digest = got.digest.ok_or(TrustError::Missing(DIGEST_HEADER))?;
    let seq: i64 = seq_text
        .parse()
        .map_err(|_| TrustError::BadSignature("snapshot"))?;
    check_signature(
        &key,
        &statement(seq, created_at, digest),
        got.signature,
        SIGNATURE_HEADER,
        "snapshot",
    )?;
    if to_hex(&Sha256::digest(got.body)) != digest {
        return Err(TrustError::DigestMismatch);
    }
    if seq < local_seq {
        return Err(TrustError::Backwards {
            what: "snapshot",
            local: local_seq,
            got: seq,
        });
    }
    if seq > head_seq {
        return Err(TrustError::BeyondHead {
            last_seq: seq,
            head: head_seq,
        });
    }
    let snapshot = SnapshotWithFacts::parse(got.body)
        .map_err(|e| TrustError::Body("snapshot", e.to_string()))?;
    Ok((seq, created_at.to_string(), snapshot))
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
        assert_eq!(verify(public, 0, 7, &old).expect("valid").0, 7);
    }

    #[test]
    fn verifies_and_rejects_tampering_wrong_key_and_replay() {
        let snap = signed(1, 7, b"[]");
        assert_eq!(
            verify(&snap.public(), 3, 7, &snap.received())
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
            verify(&snap.public(), 0, 7, &bad_body).err(),
            Some(TrustError::DigestMismatch)
        );

        let other = signed(2, 7, b"[]");
        assert_eq!(
            verify(&other.public(), 0, 7, &snap.received()).err(),
            Some(TrustError::BadSignature("snapshot"))
        );

        let claims_newer = Received {
            seq: Some("9"),
            ..snap.received()
        };
        assert_eq!(
            verify(&snap.public(), 0, 9, &claims_newer).err(),
            Some(TrustError::BadSignature("snapshot"))
        );

        assert_eq!(
            verify(&snap.public(), 8, 9, &snap.received()).err(),
            Some(TrustError::Backwards {
                what: "snapshot",
                local: 8,
                got: 7
            })
        );
        assert!(matches!(
            verify("zz", 0, 7, &snap.received()),
            Err(TrustError::BadKey(_))
        ));
        let unsigned = Received {
            signature: None,
            ..snap.received()
        };
        assert_eq!(
            verify(&snap.public(), 0, 7, &unsigned).err(),
            Some(TrustError::Missing(SIGNATURE_HEADER))
        );
    }

    /// A head and pages signed the way the server signs them, with an independent key.
    struct Server(SigningKey);

    impl Server {
        fn public(&self) -> String {
            to_hex(self.0.verifying_key().as_bytes())
        }

        fn head(&self, seq: i64, issued_at: &str, expires_at: &str) -> String {
            let text = waystation_catalog::signed::head_statement(seq, issued_at, expires_at);
            let signature = to_hex(&self.0.sign(text.as_bytes()).to_bytes());
            format!("{seq} {issued_at} {expires_at} {signature}")
        }

        fn page(&self, since: i64, last_seq: i64, more: bool) -> (Vec<u8>, String) {
            let body = serde_json::to_vec(&ChangePage {
                changes: Vec::new(),
                last_seq,
                more,
            })
            .expect("json");
            let digest = to_hex(&Sha256::digest(&body));
            let text = page_statement(since, last_seq, more, &digest, &self.public());
            (body, to_hex(&self.0.sign(text.as_bytes()).to_bytes()))
        }
    }

    fn at(text: &str) -> DateTime<Utc> {
        time(text).expect("time")
    }

    const NOON: &str = "2026-11-29T12:00:00Z";
    const ONE: &str = "2026-11-29T13:00:00Z";
    const NEW: Held = Held {
        seq: 0,
        head_issued_at: None,
    };

    #[test]
    fn heads_verify_until_they_expire_and_never_go_back() {
        let server = Server(SigningKey::from_bytes(&[5; 32]));
        let key = server.public();
        let head = server.head(40, NOON, ONE);
        let ok = verify_head(&key, Some(&head), NEW, at("2026-11-29T12:30:00Z")).expect("valid");
        assert_eq!((ok.seq, ok.issued_at), (40, at(NOON)));

        // Expired (past the clock leeway): the client says it may be stale, and since when.
        let held = Held {
            seq: 40,
            head_issued_at: Some(at("2026-11-29T11:00:00Z")),
        };
        let late = verify_head(&key, Some(&head), held, at("2026-11-29T13:06:00Z"));
        assert!(
            matches!(&late, Err(TrustError::Expired { since, .. }) if since == "2026-11-29T11:00:00Z"),
            "{late:?}"
        );
        assert!(verify_head(&key, Some(&head), held, at("2026-11-29T13:04:00Z")).is_ok());

        // Older than the head held, or behind the sequence held: a replay.
        let newer = Held {
            seq: 40,
            head_issued_at: Some(at("2026-11-29T12:00:01Z")),
        };
        let now = at("2026-11-29T12:30:00Z");
        assert!(matches!(
            verify_head(&key, Some(&head), newer, now),
            Err(TrustError::OlderHead { .. })
        ));
        let ahead = Held {
            seq: 41,
            head_issued_at: None,
        };
        assert!(matches!(
            verify_head(&key, Some(&head), ahead, now),
            Err(TrustError::Backwards { what: "head", .. })
        ));

        // Another key, an edited sequence, no head at all.
        let other = Server(SigningKey::from_bytes(&[6; 32])).public();
        assert_eq!(
            verify_head(&other, Some(&head), NEW, now).err(),
            Some(TrustError::BadSignature("head"))
        );
        let edited = head.replacen("40 ", "41 ", 1);
        assert_eq!(
            verify_head(&key, Some(&edited), NEW, now).err(),
            Some(TrustError::BadSignature("head"))
        );
        assert_eq!(
            verify_head(&key, None, NEW, now).err(),
            Some(TrustError::Missing(HEAD_HEADER))
        );
    }

    #[test]
    fn pages_verify_within_the_head_and_must_advance() {
        let server = Server(SigningKey::from_bytes(&[5; 32]));
        let key = server.public();
        let now = at("2026-11-29T12:30:00Z");
        let head = verify_head(&key, Some(&server.head(50, NOON, ONE)), NEW, now).expect("head");

        let (body, sig) = server.page(10, 20, true);
        let page = verify_page(&key, 10, &head, &body, Some(&sig)).expect("valid");
        assert_eq!((page.last_seq, page.more), (20, true));

        // Signed for another `since`: a page answering another question.
        assert_eq!(
            verify_page(&key, 11, &head, &body, Some(&sig)).err(),
            Some(TrustError::BadSignature("change page"))
        );
        // One byte of the body changed.
        let mut flipped = body.clone();
        let last = flipped.len() - 2;
        flipped[last] ^= 1;
        assert!(verify_page(&key, 10, &head, &flipped, Some(&sig)).is_err());
        assert_eq!(
            verify_page(&key, 10, &head, &body, None).err(),
            Some(TrustError::Missing(PAGE_SIGNATURE_HEADER))
        );

        // Validly signed but beyond the head, behind `since`, or "more" without advancing.
        let (body, sig) = server.page(10, 60, false);
        assert_eq!(
            verify_page(&key, 10, &head, &body, Some(&sig)).err(),
            Some(TrustError::BeyondHead {
                last_seq: 60,
                head: 50
            })
        );
        let (body, sig) = server.page(10, 5, false);
        assert!(matches!(
            verify_page(&key, 10, &head, &body, Some(&sig)),
            Err(TrustError::Backwards { .. })
        ));
        let (body, sig) = server.page(10, 10, true);
        assert_eq!(
            verify_page(&key, 10, &head, &body, Some(&sig)).err(),
            Some(TrustError::NoProgress { since: 10 })
        );
    }

    #[test]
    fn a_client_follows_signed_handovers_and_nothing_else() {
        let keys: Vec<SigningKey> = (1..=3).map(|i| SigningKey::from_bytes(&[i; 32])).collect();
        let hex = |k: &SigningKey| to_hex(k.verifying_key().as_bytes());
        let hand_over = |from: &SigningKey, to: &str, signer: &SigningKey| {
            let at = "2026-11-29T12:00:00Z".to_string();
            let text = waystation_catalog::signed::rotation_statement(&hex(from), to, &at);
            KeyRotation {
                old: hex(from),
                new: to.to_string(),
                at,
                signature: to_hex(&signer.sign(text.as_bytes()).to_bytes()),
            }
        };
        let chain = vec![
            hand_over(&keys[0], &hex(&keys[1]), &keys[0]),
            hand_over(&keys[1], &hex(&keys[2]), &keys[1]),
        ];
        let (k1, k3) = (hex(&keys[0]), hex(&keys[2]));
        assert_eq!(follow_rotations(&k1, &k3, &chain), Ok(k3.clone()));
        assert_eq!(follow_rotations(&k3, &k3, &[]), Ok(k3.clone()));

        // A handover the pinned key did not sign: an attacker's key announced.
        let attacker = SigningKey::from_bytes(&[9; 32]);
        let forged = vec![hand_over(&keys[0], &hex(&attacker), &attacker)];
        assert_eq!(
            follow_rotations(&k1, &hex(&attacker), &forged),
            Err(TrustError::BadSignature("key handover"))
        );
        // No handover at all from the pinned key.
        assert!(matches!(
            follow_rotations(&k1, &hex(&attacker), &chain),
            Err(TrustError::NoHandover { .. })
        ));
    }
}
