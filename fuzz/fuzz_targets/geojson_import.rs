//! Any bytes as a GeoJSON import: stations or a located error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use waystation_catalog::Crs;
use waystation_catalog::exchange::read_geojson;
use waystation_catalog::progress::Silent;

fuzz_target!(|data: &[u8]| {
    let _ = read_geojson(data, Crs::Wgs84, &mut Silent);
});
