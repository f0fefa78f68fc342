//! Builds the catalog the app ships with (`gen/seed/catalog.sqlite`, a bundled resource: see
//! tauri.conf.json) so that the first launch copies a ready file instead of generating one, then
//! runs Tauri's own build step. The file is made again only when what it is made from changes.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;

use waystation_catalog::Catalog;
use waystation_catalog::progress::Silent;

const SEED: &str = "gen/seed/catalog.sqlite";
const STAMP: &str = "gen/seed/catalog.stamp";
/// What the seed is made from: the generator, the geography and the schema.
const INPUTS: [&str; 4] = [
    "../crates/catalog/src/synthetic.rs",
    "../crates/catalog/src/store.rs",
    "../crates/catalog/src/model.rs",
    "../assets/reference/adcodes.csv",
];

fn main() {
    let mut hasher = DefaultHasher::new();
    for input in INPUTS {
        println!("cargo:rerun-if-changed={input}");
        std::fs::read(input)
            .unwrap_or_else(|e| panic!("{input}: {e}"))
            .hash(&mut hasher);
    }
    let stamp = format!("{:016x}", hasher.finish());
    let current = std::fs::read_to_string(STAMP).unwrap_or_default();
    if current.trim() != stamp || !Path::new(SEED).is_file() {
        Catalog::write_seed(Path::new(SEED), &mut Silent)
            .unwrap_or_else(|e| panic!("building the bundled catalog {SEED}: {e}"));
        std::fs::write(STAMP, &stamp).unwrap_or_else(|e| panic!("{STAMP}: {e}"));
    }
    tauri_build::build()
}
