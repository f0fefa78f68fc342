//! What the server signs, in the form both sides agree on (the pattern of TUF and apt's signed
//! Release files): a snapshot (the whole catalog at a sequence), each page of the change feed,
//! and the head (the newest sequence, when it was said and until when it may be believed — TUF's
//! timestamp role, so a client can tell a frozen or replayed feed from a quiet one). Signing is
//! the server's (waystation-server::signing), verifying the client's (waystation-sync::verify);
//! no key material or crypto lives here.

/// HTTP headers that carry a snapshot's signed facts beside its body.
pub const SEQ_HEADER: &str = "x-waystation-seq";
pub const CREATED_HEADER: &str = "x-waystation-created-at";
pub const DIGEST_HEADER: &str = "x-waystation-digest";
pub const SIGNATURE_HEADER: &str = "x-waystation-signature";

/// The signed head, as one header value on every feed and snapshot answer (see [`SignedHead`]).
pub const HEAD_HEADER: &str = "x-waystation-head";
/// A client sends it (`by-reference`) to GET /v1/snapshot to be told where the snapshot is
/// (303, the head on that answer) rather than sent it: the bytes then come from an immutable
/// URL any cache or CDN may keep.
pub const SNAPSHOT_REFERENCE_HEADER: &str = "x-waystation-snapshot";
/// The public key the server signs with now: a client pinned to an older one follows the
/// rotations (`GET /v1/keys`) from its pinned key to this one, each signed by the key before.
pub const KEY_HEADER: &str = "x-waystation-key";

/// A change page's signature over [`page_statement`].
pub const PAGE_SIGNATURE_HEADER: &str = "x-waystation-page-signature";

/// The bytes a snapshot's signature covers.
pub fn statement(seq: i64, created_at: &str, digest_hex: &str) -> String {
    format!("waystation-snapshot-v1\nseq={seq}\ncreated_at={created_at}\nsha256={digest_hex}\n")
}

/// The bytes a change page's signature covers: the request's `since`, the page's `last_seq`
/// and `more`, the SHA-256 of the body exactly as sent, and the key that signed it (so a
/// signature is never read as another key's).
pub fn page_statement(
    since: i64,
    last_seq: i64,
    more: bool,
    digest_hex: &str,
    key_hex: &str,
) -> String {
    format!(
        "waystation-changes-v1\nsince={since}\nlast_seq={last_seq}\nmore={more}\nsha256={digest_hex}\nkey={key_hex}\n"
    )
}

/// The bytes a key rotation's signature covers: the old key hands over to the new one.
pub fn rotation_statement(old_hex: &str, new_hex: &str, at: &str) -> String {
    format!("waystation-key-rotation-v1\nold={old_hex}\nnew={new_hex}\nat={at}\n")
}

/// One step of the server's key history, signed by the key it replaces.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeyRotation {
    pub old: String,
    pub new: String,
    /// RFC 3339, UTC.
    pub at: String,
    /// Ed25519 by `old` over [`rotation_statement`], hex.
    pub signature: String,
}

impl KeyRotation {
    pub fn statement(&self) -> String {
        rotation_statement(&self.old, &self.new, &self.at)
    }
}

/// The bytes a head's signature covers.
pub fn head_statement(seq: i64, issued_at: &str, expires_at: &str) -> String {
    format!("waystation-head-v1\nseq={seq}\nissued_at={issued_at}\nexpires_at={expires_at}\n")
}

/// The newest sequence the server has, signed with a short life: a client that is shown only
/// expired heads knows the feed it sees may be stale, whatever else the answer says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHead {
    pub seq: i64,
    /// RFC 3339, UTC.
    pub issued_at: String,
    /// RFC 3339, UTC.
    pub expires_at: String,
    /// Ed25519 over [`head_statement`], hex.
    pub signature: String,
}

impl SignedHead {
    /// `seq issued_at expires_at signature`, the [`HEAD_HEADER`] value.
    pub fn header_value(&self) -> String {
        format!(
            "{} {} {} {}",
            self.seq, self.issued_at, self.expires_at, self.signature
        )
    }

    /// Reads a [`HEAD_HEADER`] value; None when it is not four fields with a numeric sequence.
    pub fn parse(text: &str) -> Option<SignedHead> {
        let mut parts = text.split(' ');
        let head = SignedHead {
            seq: parts.next()?.parse().ok()?,
            issued_at: parts.next()?.to_string(),
            expires_at: parts.next()?.to_string(),
            signature: parts.next()?.to_string(),
        };
        parts.next().is_none().then_some(head)
    }

    pub fn statement(&self) -> String {
        head_statement(self.seq, &self.issued_at, &self.expires_at)
    }
}

/// A snapshot as the server publishes it.
#[derive(Debug, Clone)]
pub struct SignedSnapshot {
    pub seq: i64,
    pub created_at: String,
    /// SHA-256 of `body`, hex.
    pub digest: String,
    /// Ed25519 over [`statement`], hex.
    pub signature: String,
    /// A JSON array of stations.
    pub body: Vec<u8>,
}

pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Exactly `N` bytes from `2N` hexadecimal characters.
pub fn from_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
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

    #[test]
    fn hex_round_trips_and_refuses_wrong_lengths() {
        let bytes = [0u8, 1, 0xab, 0xff];
        assert_eq!(to_hex(&bytes), "0001abff");
        assert_eq!(from_hex::<4>("0001abff"), Some(bytes));
        assert_eq!(from_hex::<4>("0001abf"), None);
        assert_eq!(from_hex::<2>("zz00"), None);
    }

    #[test]
    fn a_head_reads_back_from_its_header_and_nothing_else_does() {
        let head = SignedHead {
            seq: 42,
            issued_at: "2026-11-29T12:00:00Z".into(),
            expires_at: "2026-11-29T13:00:00Z".into(),
            signature: "ab".repeat(64),
        };
        assert_eq!(SignedHead::parse(&head.header_value()), Some(head.clone()));
        assert_eq!(
            SignedHead::parse(&format!("{} extra", head.header_value())),
            None
        );
        assert_eq!(SignedHead::parse("x 1 2 3"), None);
        assert_eq!(SignedHead::parse("1 2 3"), None);
        assert!(head.statement().contains("seq=42\n"));
    }
}
