//! The benchmark's baselines answer as `Catalog::nearest` does (benches/nearest.rs times the
//! three; this checks them on a small catalog in `make test`, so a faster baseline can never be a
//! wrong one): the same stations in the same order, the same open states, for kinds, rare and
//! common services, open-only questions and k from 1 to 30, at county seats across China.

use chrono::NaiveDate;
use rand::prelude::*;
use rand_chacha::ChaCha8Rng;
use waystation_catalog::progress::Silent;
use waystation_catalog::{Catalog, Kind, LatLon, Service};

mod baselines;
use baselines::{BruteForce, SqliteRtree, Want, same};

#[test]
fn the_baselines_give_the_catalogs_answers() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("small.sqlite");
    let mut catalog = Catalog::open(&path).expect("open");
    catalog
        .import(waystation_synthetic::generate(2_000, 7), &mut Silent)
        .expect("import");
    SqliteRtree::build(&path);
    let (rtree, brute) = (SqliteRtree::open(&path), BruteForce::open(&path));

    let time = |h| {
        NaiveDate::from_ymd_opt(2026, 11, 30)
            .and_then(|d| d.and_hms_opt(h, 30, 0))
            .expect("time")
    };
    let wants = [
        (vec![], vec![], false, 12),
        (
            vec![],
            vec![Service::Shower, Service::DrinkingWater],
            false,
            12,
        ),
        (
            vec![Kind::DriverHome],
            vec![Service::TruckParking],
            false,
            3,
        ),
        (vec![Kind::WarmBee, Kind::CaringMerchant], vec![], true, 23),
        (vec![], vec![Service::Toilet], true, 4),
    ]
    .map(|(kinds, services, open_only, hour)| Want {
        kinds,
        services,
        open_only,
        time: time(hour),
    });
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let places = waystation_catalog::geography::places();
    let mut answered = 0;
    for _ in 0..40 {
        let p = places.choose(&mut rng).expect("places").center;
        let at = LatLon::new(p.lat + rng.random_range(-0.3..0.3), p.lon).expect("valid");
        for want in &wants {
            for k in [1, 10, 30] {
                let ours = baselines::ours(&catalog, at, k, want);
                same("R*Tree", at, want, &ours, &rtree.nearest(at, k, want));
                same("brute force", at, want, &ours, &brute.nearest(at, k, want));
                answered += usize::from(!ours.is_empty());
            }
        }
    }
    assert!(answered > 500, "most questions have answers: {answered}");
}
