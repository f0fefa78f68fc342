//! Any bytes as what a server sends a syncing client: a head header, a change page body with
//! its signature, a snapshot with its headers. Each is refused or verified, never a panic.
#![no_main]

use chrono::{DateTime, Utc};
use libfuzzer_sys::fuzz_target;
use waystation_catalog::signed::SignedHead;
use waystation_sync::verify::{self, Head, Held, Received};

/// A key nobody signs with: signatures never verify, so the parsers before them are what runs.
const KEY: &str = "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8";

fuzz_target!(|data: &[u8]| {
    let held = Held {
        seq: 10,
        head_issued_at: None,
    };
    let text = String::from_utf8_lossy(data);
    let _ = verify::verify_head(KEY, Some(&text), held, Utc::now());
    let _ = SignedHead::parse(&text);
    let head = Head {
        seq: 100,
        issued_at: DateTime::<Utc>::UNIX_EPOCH,
        signed: SignedHead {
            seq: 100,
            issued_at: "1970-01-01T00:00:00Z".into(),
            expires_at: "1970-01-01T01:00:00Z".into(),
            signature: String::new(),
        },
    };
    let (signature, body) = data.split_at(data.len().min(128));
    let signature = String::from_utf8_lossy(signature);
    let _ = verify::verify_page(KEY, 10, &head, body, Some(&signature));
    let snapshot = Received {
        seq: Some("50"),
        created_at: Some("2026-11-29T00:00:00Z"),
        digest: Some(&signature),
        signature: Some(&signature),
        body,
    };
    let _ = verify::verify(KEY, 0, 100, &snapshot);
});
