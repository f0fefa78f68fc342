//! What a signed snapshot says, in the form both sides agree on: the whole catalog at a
//! sequence number, its body's SHA-256 digest, and the statement the server's Ed25519 key
//! signs over them (the pattern of TUF and apt's signed Release files). Signing is the
//! server's (waystation-server::signing), verifying the client's (waystation-sync::verify);
//! no key material or crypto lives here.

/// HTTP headers that carry a snapshot's signed facts beside its body.
pub const SEQ_HEADER: &str = "x-waystation-seq";
pub const CREATED_HEADER: &str = "x-waystation-created-at";
pub const DIGEST_HEADER: &str = "x-waystation-digest";
pub const SIGNATURE_HEADER: &str = "x-waystation-signature";

/// The bytes the signature covers.
pub fn statement(seq: i64, created_at: &str, digest_hex: &str) -> String {
    format!("waystation-snapshot-v1\nseq={seq}\ncreated_at={created_at}\nsha256={digest_hex}\n")
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
}
