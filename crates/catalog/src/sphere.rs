//! Positions on the Earth as a sphere: great-circle distance, bearing, and the unit-vector
//! embedding that makes 3-D Euclidean nearest-neighbour order equal great-circle order.

use std::fmt;
use std::str::FromStr;

use geo::{Bearing, Destination, Distance, Haversine, InterpolatePoint, Point};
use serde::{Deserialize, Serialize};

use crate::lang::Lang;

/// Mean Earth radius (IUGG R1 / GRS80), the radius every distance in Waystation uses.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A WGS-84 position in degrees (unless a function says it takes another datum).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct LatLon {
    pub lat: f64,
    pub lon: f64,
}

/// A coordinate outside its valid range, or not a number.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CoordError {
    #[error("latitude {0} is out of range: it must be between -90 and 90")]
    Latitude(f64),
    #[error("longitude {0} is out of range: it must be between -180 and 180")]
    Longitude(f64),
    #[error("`{0}` is not a position: expected LAT,LON in decimal degrees, e.g. 22.54,114.06")]
    Syntax(String),
}

impl LatLon {
    /// A checked position: rejects NaN and out-of-range values.
    pub fn new(lat: f64, lon: f64) -> Result<LatLon, CoordError> {
        if !(-90.0..=90.0).contains(&lat) {
            return Err(CoordError::Latitude(lat));
        }
        if !(-180.0..=180.0).contains(&lon) {
            return Err(CoordError::Longitude(lon));
        }
        Ok(LatLon { lat, lon })
    }

    fn point(self) -> Point {
        Point::new(self.lon, self.lat)
    }

    /// Great-circle distance in metres (haversine on the mean Earth radius).
    pub fn distance_m(self, to: LatLon) -> f64 {
        Haversine.distance(self.point(), to.point())
    }

    /// Initial great-circle bearing to `to`, degrees clockwise from north in [0, 360).
    pub fn bearing_deg(self, to: LatLon) -> f64 {
        let b = Haversine.bearing(self.point(), to.point());
        if b >= 360.0 { b - 360.0 } else { b }
    }

    /// The point `distance_m` away along the great circle leaving at `bearing_deg`.
    pub fn destination(self, bearing_deg: f64, distance_m: f64) -> LatLon {
        let p = Haversine.destination(self.point(), bearing_deg, distance_m);
        LatLon {
            lat: p.y(),
            lon: p.x(),
        }
    }

    /// The point a fraction `ratio` of the way to `to` along the great circle.
    pub fn towards(self, to: LatLon, ratio: f64) -> LatLon {
        let p = Haversine.point_at_ratio_between(self.point(), to.point(), ratio);
        LatLon {
            lat: p.y(),
            lon: p.x(),
        }
    }

    /// The point on the unit sphere: (cosφcosλ, cosφsinλ, sinφ).
    pub fn unit_vector(self) -> [f64; 3] {
        let (sin_lat, cos_lat) = self.lat.to_radians().sin_cos();
        let (sin_lon, cos_lon) = self.lon.to_radians().sin_cos();
        [cos_lat * cos_lon, cos_lat * sin_lon, sin_lat]
    }

    pub fn from_unit_vector(v: [f64; 3]) -> LatLon {
        let lat = v[2].atan2((v[0] * v[0] + v[1] * v[1]).sqrt()).to_degrees();
        let lon = v[1].atan2(v[0]).to_degrees();
        LatLon { lat, lon }
    }
}

impl FromStr for LatLon {
    type Err = CoordError;

    /// Parses `LAT,LON` (decimal degrees; spaces allowed).
    fn from_str(s: &str) -> Result<LatLon, CoordError> {
        let syntax = || CoordError::Syntax(s.to_string());
        let (lat, lon) = s.split_once(',').ok_or_else(syntax)?;
        let lat: f64 = lat.trim().parse().map_err(|_| syntax())?;
        let lon: f64 = lon.trim().parse().map_err(|_| syntax())?;
        LatLon::new(lat, lon)
    }
}

impl fmt::Display for LatLon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.6},{:.6}", self.lat, self.lon)
    }
}

/// Straight-line (chord) length through the unit sphere for a great-circle distance.
/// Strictly increasing in distance, which is why 3-D kNN order equals great-circle order.
pub fn chord_for_distance(distance_m: f64) -> f64 {
    let angle = (distance_m / EARTH_RADIUS_M).min(std::f64::consts::PI);
    2.0 * (angle / 2.0).sin()
}

/// Slack added to chord bounds so float rounding never drops a true answer (≈ 6 mm on the ground).
pub const CHORD_SLACK: f64 = 1e-9;

/// Signed difference `to - from` between two bearings, in (-180, 180].
pub fn bearing_difference(from: f64, to: f64) -> f64 {
    let d = (to - from).rem_euclid(360.0);
    if d > 180.0 { d - 360.0 } else { d }
}

/// The 8-point compass direction for a bearing.
pub fn compass(bearing_deg: f64, lang: Lang) -> &'static str {
    const ZH: [&str; 8] = ["北", "东北", "东", "东南", "南", "西南", "西", "西北"];
    const EN: [&str; 8] = ["N", "NE", "E", "SE", "S", "SW", "W", "NW"];
    let sector = ((bearing_deg.rem_euclid(360.0) + 22.5) / 45.0) as usize % 8;
    match lang {
        Lang::Zh => ZH[sector],
        Lang::En => EN[sector],
    }
}

/// Vector helpers for the unit-sphere geometry of route queries.
pub mod vec3 {
    pub fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
        a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
    }

    pub fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
        [
            a[1] * b[2] - a[2] * b[1],
            a[2] * b[0] - a[0] * b[2],
            a[0] * b[1] - a[1] * b[0],
        ]
    }

    pub fn norm(a: [f64; 3]) -> f64 {
        dot(a, a).sqrt()
    }

    /// `a` scaled to unit length, or None for a (near) zero vector.
    pub fn normalize(a: [f64; 3]) -> Option<[f64; 3]> {
        let n = norm(a);
        (n > 1e-15).then(|| [a[0] / n, a[1] / n, a[2] / n])
    }

    /// The point a fraction `t` of the way along the great-circle arc from `a` to `b` (unit
    /// vectors, not antipodal).
    pub fn slerp(a: [f64; 3], b: [f64; 3], t: f64) -> [f64; 3] {
        let theta = angle(a, b);
        let s = theta.sin();
        if s < 1e-12 {
            return a;
        }
        let (wa, wb) = (((1.0 - t) * theta).sin() / s, (t * theta).sin() / s);
        [
            wa * a[0] + wb * b[0],
            wa * a[1] + wb * b[1],
            wa * a[2] + wb * b[2],
        ]
    }

    /// The angle between two unit vectors, robust for tiny and near-antipodal angles.
    pub fn angle(a: [f64; 3], b: [f64; 3]) -> f64 {
        norm(cross(a, b)).atan2(dot(a, b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_out_of_range_and_garbage() {
        assert_eq!("91,100".parse::<LatLon>(), Err(CoordError::Latitude(91.0)));
        assert_eq!(
            "10,181".parse::<LatLon>(),
            Err(CoordError::Longitude(181.0))
        );
        assert!(matches!(
            "abc".parse::<LatLon>(),
            Err(CoordError::Syntax(_))
        ));
        assert!(matches!(
            "NaN,1".parse::<LatLon>(),
            Err(CoordError::Latitude(_))
        ));
        assert_eq!(
            " 22.5 , 114.1 ".parse::<LatLon>(),
            Ok(LatLon {
                lat: 22.5,
                lon: 114.1
            })
        );
    }

    #[test]
    fn one_degree_of_latitude_is_about_111_km() {
        let a = LatLon::new(0.0, 0.0).unwrap();
        let b = LatLon::new(1.0, 0.0).unwrap();
        // 2πR/360 on the mean radius.
        assert!((a.distance_m(b) - 111_195.08).abs() < 0.01);
        assert!((a.bearing_deg(b) - 0.0).abs() < 1e-9);
        assert!((b.bearing_deg(a) - 180.0).abs() < 1e-9);
    }

    #[test]
    fn chord_grows_with_distance_and_matches_unit_vectors() {
        let a = LatLon::new(53.47, 122.35).unwrap();
        let b = LatLon::new(39.47, 75.99).unwrap();
        let d = a.distance_m(b);
        let (va, vb) = (a.unit_vector(), b.unit_vector());
        let chord = vec3::norm([va[0] - vb[0], va[1] - vb[1], va[2] - vb[2]]);
        assert!((chord - chord_for_distance(d)).abs() < 1e-12);
        assert!(chord_for_distance(1000.0) < chord_for_distance(1001.0));
    }

    #[test]
    fn compass_sectors() {
        assert_eq!(compass(0.0, Lang::En), "N");
        assert_eq!(compass(350.0, Lang::En), "N");
        assert_eq!(compass(44.0, Lang::En), "NE");
        assert_eq!(compass(135.0, Lang::Zh), "东南");
        assert_eq!(compass(270.0, Lang::En), "W");
        assert_eq!(bearing_difference(350.0, 10.0), 20.0);
        assert_eq!(bearing_difference(10.0, 350.0), -20.0);
    }
}
