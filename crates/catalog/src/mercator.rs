//! Web Mercator as the map draws it: a position as a point of the world square (x east, y south,
//! both 0..1), and how many of the map's pixels the world spans at a zoom (512-pixel tiles, as
//! MapLibre counts zoom). The map's clusters and labels are chosen in these units, so "64 pixels
//! apart" means what the driver sees.

use crate::sphere::LatLon;

/// The latitude Web Mercator stops at (the world square's edge).
pub const MAX_LAT: f64 = 85.051_128_779_806_59;

/// The world's width in the map's pixels at `zoom`.
pub fn world_px(zoom: f64) -> f64 {
    512.0 * zoom.exp2()
}

/// A point of the world square.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WorldPoint {
    pub x: f64,
    pub y: f64,
}

impl WorldPoint {
    /// Where `p` falls (latitudes beyond the square's edge are drawn on it).
    pub fn of(p: LatLon) -> WorldPoint {
        let lat = p.lat.clamp(-MAX_LAT, MAX_LAT).to_radians();
        WorldPoint {
            x: (p.lon + 180.0) / 360.0,
            y: 0.5 - (lat.tan() + 1.0 / lat.cos()).ln() / (2.0 * std::f64::consts::PI),
        }
    }

    /// Back to latitude and longitude.
    pub fn lat_lon(self) -> LatLon {
        let lat = (std::f64::consts::PI * (1.0 - 2.0 * self.y))
            .sinh()
            .atan()
            .to_degrees();
        LatLon {
            lat,
            lon: self.x * 360.0 - 180.0,
        }
    }
}

/// A rectangle of the world square: what a map view covers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WorldBox {
    /// The north-west corner.
    pub min: WorldPoint,
    /// The south-east corner.
    pub max: WorldPoint,
}

impl WorldBox {
    /// The box between two opposite corners (south-west and north-east).
    pub fn between(south_west: LatLon, north_east: LatLon) -> WorldBox {
        let (a, b) = (WorldPoint::of(south_west), WorldPoint::of(north_east));
        // Ordered whatever the corners (a view of no height may convert a hair upside down).
        WorldBox {
            min: WorldPoint {
                x: a.x.min(b.x),
                y: a.y.min(b.y),
            },
            max: WorldPoint {
                x: a.x.max(b.x),
                y: a.y.max(b.y),
            },
        }
    }

    pub fn contains(&self, p: WorldPoint) -> bool {
        (self.min.x..=self.max.x).contains(&p.x) && (self.min.y..=self.max.y).contains(&p.y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_world_square_as_maplibre_draws_it() {
        // The equator at Greenwich is the centre; 85.05° N at the date line is the top-left corner.
        let centre = WorldPoint::of(LatLon { lat: 0.0, lon: 0.0 });
        assert!((centre.x - 0.5).abs() < 1e-12 && (centre.y - 0.5).abs() < 1e-12);
        let corner = WorldPoint::of(LatLon {
            lat: MAX_LAT,
            lon: -180.0,
        });
        assert!(corner.x.abs() < 1e-12 && corner.y.abs() < 1e-9);
        // Shenzhen: y from the Mercator formula worked by hand, ln(tan(45° + φ/2)).
        let sz = LatLon {
            lat: 22.543,
            lon: 114.058,
        };
        let p = WorldPoint::of(sz);
        let by_hand = 0.5
            - (std::f64::consts::FRAC_PI_4 + 22.543_f64.to_radians() / 2.0)
                .tan()
                .ln()
                / (2.0 * std::f64::consts::PI);
        assert!((p.y - by_hand).abs() < 1e-12);
        let back = p.lat_lon();
        assert!((back.lat - sz.lat).abs() < 1e-9 && (back.lon - sz.lon).abs() < 1e-9);
        assert_eq!(world_px(0.0), 512.0);
        assert_eq!(world_px(3.0), 4096.0);
    }
}
