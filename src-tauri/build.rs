//! Builds the catalog the app ships with (`gen/seed/catalog.sqlite`, a bundled resource: see
//! tauri.conf.json) so that the first launch copies a ready file instead of generating one, then
//! runs Tauri's own build step. The file is made again only when what it is made from changes.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;

use waystation_catalog::progress::Silent;

const SEED: &str = "gen/seed/catalog.sqlite";
const STAMP: &str = "gen/seed/catalog.stamp";
/// What the seed is made from: the generator, the catalog core (schema, model, import) and
/// the reference geography. Any change to a file under these makes the seed again.
const INPUTS: [&str; 3] = [
    "../crates/synthetic/src",
    "../crates/catalog/src",
    "../assets/reference",
];

/// Every file under `dir`, in a fixed order.
fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn main() {
    let mut hasher = DefaultHasher::new();
    for input in INPUTS {
        // Cargo watches a directory's files recursively.
        println!("cargo:rerun-if-changed={input}");
        for file in files(Path::new(input)) {
            file.hash(&mut hasher);
            std::fs::read(&file)
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()))
                .hash(&mut hasher);
        }
    }
    let stamp = format!("{:016x}", hasher.finish());
    let current = std::fs::read_to_string(STAMP).unwrap_or_default();
    if current.trim() != stamp || !Path::new(SEED).is_file() {
        waystation_synthetic::write_seed(Path::new(SEED), &mut Silent)
            .unwrap_or_else(|e| panic!("building the bundled catalog {SEED}: {e}"));
        std::fs::write(STAMP, &stamp).unwrap_or_else(|e| panic!("{STAMP}: {e}"));
    }
    tauri_build::build()
}
