//! The built-in default catalog: 30,000 synthetic stations nationwide, all kinds, made on
//! first use (or shipped with the app and copied into place), always as one whole file.

use std::path::Path;

use waystation_catalog::progress::Progress;
use waystation_catalog::{Catalog, Result};

use crate::{DEFAULT_SEED, generate};

/// How many stations the built-in default catalog has (all synthetic, nationwide, all kinds).
pub const DEFAULT_SEED_COUNT: usize = 30_000;

/// Writes the built-in synthetic seed catalog to `path` (a single self-contained file).
pub fn write_seed(path: &Path, progress: &mut dyn Progress) -> Result<()> {
    Catalog::create(path, |tmp| {
        let mut seeded = Catalog::open(tmp)?;
        seeded.import(generate(DEFAULT_SEED_COUNT, DEFAULT_SEED), progress)?;
        seeded.close_as_single_file()
    })
}

/// Opens the catalog at `path`, first creating it from the built-in seed if it does not exist.
pub fn open_or_seed(path: &Path, progress: &mut dyn Progress) -> Result<Catalog> {
    if !path.exists() {
        write_seed(path, progress)?;
    }
    Catalog::open(path)
}

/// Opens the catalog at `path`, first copying the catalog the app ships with (`bundled`)
/// there if the file does not exist; without a bundled file, seeds one as [`open_or_seed`]
/// does. A bundled file of an older schema is brought forward when it is opened.
pub fn open_or_copy(
    path: &Path,
    bundled: Option<&Path>,
    progress: &mut dyn Progress,
) -> Result<Catalog> {
    match bundled.filter(|b| b.is_file()) {
        Some(bundled) if !path.exists() => {
            Catalog::create(path, |tmp| Ok(std::fs::copy(bundled, tmp).map(drop)?))?;
            Catalog::open(path)
        }
        _ => open_or_seed(path, progress),
    }
}
