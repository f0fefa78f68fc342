//! Any text as opening hours, then asked whether it is open and when that changes.
#![no_main]

use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use waystation_catalog::hours::Hours;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(hours) = Hours::parse(text) else {
        return;
    };
    let friday = NaiveDate::from_ymd_opt(2026, 11, 27).and_then(|d| d.and_hms_opt(12, 0, 0));
    if let Some(t) = friday {
        let _ = hours.state_at(t);
        let _ = hours.next_change(t);
    }
});
