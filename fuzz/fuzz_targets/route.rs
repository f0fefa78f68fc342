//! Any text as a route (GPX when it starts with `<`, GeoJSON otherwise), through the same
//! check the server and the app run: a route or a refusal, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use waystation_catalog::request::AlongRequest;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = AlongRequest::default().check(text, chrono::Utc::now());
    }
});
