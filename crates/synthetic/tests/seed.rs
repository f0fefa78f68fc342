//! The built-in catalog: seeded once from the synthetic data, or copied from the file the app
//! ships with; always one whole file, never half made.

use waystation_catalog::progress::Silent;
use waystation_catalog::{Catalog, Kind, Source};
use waystation_synthetic::{DEFAULT_SEED_COUNT, generate, open_or_copy, open_or_seed};

#[test]
fn seeds_the_default_catalog_once_from_the_built_in_synthetic_data() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("data").join("catalog.sqlite");
    let catalog = open_or_seed(&path, &mut Silent).expect("seed");
    let info = catalog.info().expect("info");
    assert_eq!(info.stations, DEFAULT_SEED_COUNT);
    assert_eq!(info.synthetic_share, 1.0);
    assert!(
        info.per_kind.iter().all(|k| k.count > 0),
        "{:?}",
        info.per_kind
    );
    let wb = info
        .per_kind
        .iter()
        .find(|k| k.kind == Kind::WarmBee)
        .expect("warm bee");
    assert_eq!(wb.count, 150);
    assert!(!path.with_extension("creating").exists());
    drop(catalog);
    // A second open keeps what is there.
    let again = open_or_seed(&path, &mut Silent).expect("reopen");
    assert_eq!(
        again.station("syn-wb-000001").expect("station").source,
        Source::Synthetic
    );
}

#[test]
fn the_seed_is_one_self_contained_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("seed.sqlite");
    waystation_synthetic::write_seed(&path, &mut Silent).expect("seed");
    let mut beside: Vec<String> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    beside.sort();
    assert_eq!(
        beside,
        ["seed.sqlite"],
        "no -wal, -shm or leftover beside it"
    );
}

#[test]
fn the_app_copies_its_bundled_catalog_on_first_launch_and_keeps_it_after() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bundled = dir.path().join("resources").join("catalog.sqlite");
    Catalog::create(&bundled, |tmp| {
        let mut small = Catalog::open(tmp)?;
        small.import(generate(3, 5), &mut Silent)?;
        small.close_as_single_file()
    })
    .expect("bundled");
    let data = dir.path().join("data").join("catalog.sqlite");
    let mut first = open_or_copy(&data, Some(&bundled), &mut Silent).expect("copy");
    assert_eq!(
        first.len(),
        3,
        "the bundled catalog, not the 30,000-station seed"
    );
    let one = generate(3, 5).remove(0).id;
    first.delete_station(&one, "test").expect("delete");
    drop(first);
    // Later launches open what is there; the bundled file is untouched.
    let later = open_or_copy(&data, Some(&bundled), &mut Silent).expect("reopen");
    assert_eq!(later.len(), 2);
    assert_eq!(Catalog::open(&bundled).expect("bundled").len(), 3);
    // Without a bundled file (a plain `cargo run` of a build that has none) the seed is made.
    let other = dir.path().join("other").join("catalog.sqlite");
    let missing = dir.path().join("nothing-here.sqlite");
    let seeded = open_or_copy(&other, Some(&missing), &mut Silent).expect("seed");
    assert_eq!(seeded.len(), DEFAULT_SEED_COUNT);
}
