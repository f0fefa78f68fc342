//! Chinese map datums. Waystation stores and computes in WGS-84 and converts only at the edges:
//! GCJ-02 (Amap, Tencent) and BD-09 (Baidu) on input and when handing off to those apps.
//!
//! The forward transforms are the public reference algorithms; the inverses are solved by
//! fixed-point iteration so a round trip is well under 0.5 m.

use std::f64::consts::PI;
use std::fmt;
use std::str::FromStr;

use crate::lang::UnknownId;
use crate::sphere::LatLon;

/// A coordinate reference system a position can be given in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Crs {
    #[default]
    Wgs84,
    Gcj02,
    Bd09,
}

impl Crs {
    pub const ALL: [Crs; 3] = [Crs::Wgs84, Crs::Gcj02, Crs::Bd09];

    pub fn id(self) -> &'static str {
        match self {
            Crs::Wgs84 => "wgs84",
            Crs::Gcj02 => "gcj02",
            Crs::Bd09 => "bd09",
        }
    }

    /// Converts a position given in this CRS to WGS-84.
    pub fn to_wgs84(self, p: LatLon) -> LatLon {
        match self {
            Crs::Wgs84 => p,
            Crs::Gcj02 => gcj02_to_wgs84(p),
            Crs::Bd09 => gcj02_to_wgs84(bd09_to_gcj02(p)),
        }
    }

    /// Converts a WGS-84 position to this CRS.
    pub fn from_wgs84(self, p: LatLon) -> LatLon {
        match self {
            Crs::Wgs84 => p,
            Crs::Gcj02 => wgs84_to_gcj02(p),
            Crs::Bd09 => gcj02_to_bd09(wgs84_to_gcj02(p)),
        }
    }
}

impl FromStr for Crs {
    type Err = UnknownId;
    fn from_str(s: &str) -> Result<Crs, UnknownId> {
        Crs::ALL
            .into_iter()
            .find(|c| c.id().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownId {
                what: "coordinate system",
                given: s.to_string(),
                accepted: "wgs84, gcj02, bd09".into(),
            })
    }
}

impl fmt::Display for Crs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// The rough mainland-China box of the reference implementations; outside it no offset applies.
/// (It also covers parts of neighbouring countries; the reference apps behave the same way.)
pub fn in_china_offset_zone(p: LatLon) -> bool {
    (72.004..=137.8347).contains(&p.lon) && (0.8293..=55.8271).contains(&p.lat)
}

const KRASOVSKY_A: f64 = 6_378_245.0;
const KRASOVSKY_EE: f64 = 0.006_693_421_622_965_943;

fn offset_lat(x: f64, y: f64) -> f64 {
    let mut r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    r
}

fn offset_lon(x: f64, y: f64) -> f64 {
    let mut r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    r
}

pub fn wgs84_to_gcj02(p: LatLon) -> LatLon {
    if !in_china_offset_zone(p) {
        return p;
    }
    let d_lat = offset_lat(p.lon - 105.0, p.lat - 35.0);
    let d_lon = offset_lon(p.lon - 105.0, p.lat - 35.0);
    let rad_lat = p.lat.to_radians();
    let magic = 1.0 - KRASOVSKY_EE * rad_lat.sin().powi(2);
    let sqrt_magic = magic.sqrt();
    let d_lat =
        (d_lat * 180.0) / ((KRASOVSKY_A * (1.0 - KRASOVSKY_EE)) / (magic * sqrt_magic) * PI);
    let d_lon = (d_lon * 180.0) / (KRASOVSKY_A / sqrt_magic * rad_lat.cos() * PI);
    LatLon {
        lat: p.lat + d_lat,
        lon: p.lon + d_lon,
    }
}

pub fn gcj02_to_wgs84(p: LatLon) -> LatLon {
    if !in_china_offset_zone(p) {
        return p;
    }
    invert(p, wgs84_to_gcj02)
}

const BD_X_PI: f64 = PI * 3000.0 / 180.0;

pub fn gcj02_to_bd09(p: LatLon) -> LatLon {
    let (x, y) = (p.lon, p.lat);
    let z = (x * x + y * y).sqrt() + 0.00002 * (y * BD_X_PI).sin();
    let theta = y.atan2(x) + 0.000003 * (x * BD_X_PI).cos();
    LatLon {
        lat: z * theta.sin() + 0.006,
        lon: z * theta.cos() + 0.0065,
    }
}

pub fn bd09_to_gcj02(p: LatLon) -> LatLon {
    invert(p, gcj02_to_bd09)
}

/// Solves `forward(x) = target` by fixed-point iteration (the offsets vary slowly, so this
/// converges to well below a millimetre in a few steps).
fn invert(target: LatLon, forward: fn(LatLon) -> LatLon) -> LatLon {
    let mut guess = target;
    for _ in 0..30 {
        let image = forward(guess);
        let (d_lat, d_lon) = (target.lat - image.lat, target.lon - image.lon);
        guess = LatLon {
            lat: guess.lat + d_lat,
            lon: guess.lon + d_lon,
        };
        if d_lat.abs() < 1e-12 && d_lon.abs() < 1e-12 {
            break;
        }
    }
    guess
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ll(lat: f64, lon: f64) -> LatLon {
        LatLon { lat, lon }
    }

    fn close(a: LatLon, b: LatLon, tol_deg: f64) -> bool {
        (a.lat - b.lat).abs() < tol_deg && (a.lon - b.lon).abs() < tol_deg
    }

    // Expected values computed with the independent PyPI package `coord-convert` 0.2.1, printed
    // to 9 decimals. Published implementations differ in the ellipsoid constants by about 1 cm
    // (1e-7°), so agreement is checked to 1e-6° (≈ 0.1 m), far below the 100-700 m offset.
    #[test]
    fn forward_matches_reference_implementations() {
        let cases = [
            (ll(39.908823, 116.397470), ll(39.910226498, 116.403713582)),
            (ll(22.543527, 114.057939), ll(22.540809912, 114.063053072)),
            (ll(53.47, 122.35), ll(53.472026489, 122.357507013)),
            (ll(39.47, 75.99), ll(39.470227497, 75.992955638)),
        ];
        for (wgs, gcj) in cases {
            let got = wgs84_to_gcj02(wgs);
            assert!(close(got, gcj, 1e-6), "{wgs:?} -> {got:?}");
        }
        // GCJ→BD is a closed formula: exact to the printed digits.
        let bd = gcj02_to_bd09(ll(39.910226522, 116.403713688));
        assert!(close(bd, ll(39.916565842, 116.410086560), 1e-9), "{bd:?}");
        let bd = gcj02_to_bd09(ll(22.540809866, 114.063053158));
        assert!(close(bd, ll(22.546468767, 114.069603357), 1e-9), "{bd:?}");
    }

    #[test]
    fn no_offset_outside_china() {
        for p in [ll(35.68, 139.76), ll(51.5, -0.12), ll(-33.87, 151.21)] {
            assert_eq!(wgs84_to_gcj02(p), p);
            assert_eq!(gcj02_to_wgs84(p), p);
        }
    }

    #[test]
    fn inverse_round_trips_under_half_a_metre_across_china() {
        let mut worst: f64 = 0.0;
        for lat in (18..=53).step_by(5) {
            for lon in (74..=134).step_by(4) {
                let p = ll(lat as f64 + 0.37, lon as f64 + 0.61);
                for crs in [Crs::Gcj02, Crs::Bd09] {
                    let back = crs.to_wgs84(crs.from_wgs84(p));
                    worst = worst.max(back.distance_m(p));
                }
            }
        }
        assert!(worst < 0.5, "worst round trip {worst} m");
        // The offset itself is large: converting is not a no-op.
        let p = ll(22.543527, 114.057939);
        assert!(Crs::Gcj02.from_wgs84(p).distance_m(p) > 100.0);
        assert!(Crs::Bd09.from_wgs84(p).distance_m(p) > 100.0);
    }

    #[test]
    fn parses_ids() {
        assert_eq!("GCJ02".parse::<Crs>(), Ok(Crs::Gcj02));
        assert!("mars".parse::<Crs>().is_err());
    }
}
