//! Any bytes as a CSV import: an answer (stations or a located error), never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use waystation_catalog::Crs;
use waystation_catalog::exchange::read_csv;
use waystation_catalog::progress::Silent;

fuzz_target!(|data: &[u8]| {
    let _ = read_csv(data, data.len() as u64, Crs::Wgs84, &mut Silent);
    let _ = read_csv(data, data.len() as u64, Crs::Gcj02, &mut Silent);
});
