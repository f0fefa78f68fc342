//! Names to steer by on the offline map, which otherwise is dots on grey: the provinces, cities
//! and county seats of the embedded geography that fall in a view, chosen by zoom and spaced so
//! that no two overlap. Names only — no borders and no roads — so no basemap approval is needed.

use std::sync::OnceLock;

use crate::geography::{Level, Place, places};
use crate::mercator::{WorldBox, WorldPoint, world_px};
use crate::sphere::LatLon;

/// Provinces are named below this zoom (a country seen whole).
const PROVINCES_BELOW: f64 = 5.0;
/// Cities (prefectures, and the four municipalities) are named from this zoom on.
const CITIES_FROM: f64 = 4.5;
/// County seats and city districts are named from this zoom on.
const COUNTIES_FROM: f64 = 7.5;
/// A label's size as the UI draws it (text up to 14.4 px on one line), with room around it.
const GLYPH_PX: f64 = 15.0;
const LINE_PX: f64 = 18.0;
const GAP_PX: f64 = 10.0;

/// A name and where to write it.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub name: &'static str,
    pub at: LatLon,
    /// 0 a province, 1 a city, 2 a county seat or district: what the UI sizes it by.
    pub rank: u8,
}

/// The four cities governed as provinces: named as cities when cities are named.
fn is_municipality(p: &Place) -> bool {
    ["11", "12", "31", "50"].contains(&&p.adcode[..2])
}

/// What `p` is named as at `zoom`, if anything.
fn rank_at(p: &Place, zoom: f64) -> Option<u8> {
    // "市辖区" and "省直辖县级行政区划" are containers, not places anyone steers by.
    if p.name.contains('辖') {
        return None;
    }
    match p.level {
        Level::Province if zoom < PROVINCES_BELOW => Some(0),
        Level::Province if is_municipality(p) && zoom >= CITIES_FROM => Some(1),
        Level::Prefecture if zoom >= CITIES_FROM => Some(1),
        Level::County if zoom >= COUNTIES_FROM => Some(2),
        _ => None,
    }
}

/// Every place with where the map draws it, worked out once.
fn placed() -> &'static [(WorldPoint, &'static Place)] {
    static PLACED: OnceLock<Vec<(WorldPoint, &'static Place)>> = OnceLock::new();
    PLACED.get_or_init(|| {
        places()
            .iter()
            .map(|p| (WorldPoint::of(p.center), p))
            .collect()
    })
}

/// The labels of `view` at `zoom`: larger places first, each kept only if it overlaps none kept
/// before it, so a screen holds at most a few hundred.
pub fn labels_in(view: &WorldBox, zoom: f64) -> Vec<Label> {
    let mut candidates: Vec<(u8, &Place, WorldPoint)> = placed()
        .iter()
        .filter(|(at, _)| view.contains(*at))
        .filter_map(|&(at, p)| Some((rank_at(p, zoom)?, p, at)))
        .collect();
    // Stable: within a rank, the geography's own order (by code).
    candidates.sort_by_key(|(rank, _, _)| *rank);
    let px = world_px(zoom);
    // Kept labels' boxes in pixels: centre x, centre y, half width, half height.
    let mut kept: Vec<(f64, f64, f64, f64)> = Vec::new();
    let mut labels = Vec::new();
    for (rank, place, at) in candidates {
        let half_width = (place.name.chars().count() as f64 * GLYPH_PX + GAP_PX) / 2.0;
        let half_height = (LINE_PX + GAP_PX) / 2.0;
        let (x, y) = (at.x * px, at.y * px);
        let overlaps = kept.iter().any(|&(kx, ky, kw, kh)| {
            (x - kx).abs() < half_width + kw && (y - ky).abs() < half_height + kh
        });
        if !overlaps {
            kept.push((x, y, half_width, half_height));
            labels.push(Label {
                name: &place.name,
                at: place.center,
                rank,
            });
        }
    }
    labels
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(south: f64, west: f64, north: f64, east: f64) -> WorldBox {
        WorldBox::between(
            LatLon {
                lat: south,
                lon: west,
            },
            LatLon {
                lat: north,
                lon: east,
            },
        )
    }

    #[test]
    fn the_country_is_named_by_province_and_a_city_by_its_districts() {
        let china = view(18.0, 73.0, 54.0, 135.0);
        let whole = labels_in(&china, 3.5);
        assert!(whole.iter().all(|l| l.rank == 0));
        assert!(whole.iter().any(|l| l.name == "广东省"));
        assert!(whole.len() >= 20, "{} provinces named", whole.len());

        let cities = labels_in(&china, 6.0);
        assert!(cities.iter().any(|l| l.name == "北京市" && l.rank == 1));
        assert!(!cities.iter().any(|l| l.name.contains('辖') || l.rank == 0));

        let shenzhen = view(22.4, 113.7, 22.9, 114.4);
        let near = labels_in(&shenzhen, 11.0);
        assert!(near.iter().any(|l| l.name == "南山区" && l.rank == 2));
        assert!(near.iter().any(|l| l.name == "深圳市" && l.rank == 1));
        assert!(near.iter().all(|l| {
            let p = WorldPoint::of(l.at);
            shenzhen.contains(p)
        }));
    }

    #[test]
    fn no_two_labels_overlap() {
        for zoom in [3.0, 4.5, 6.0, 8.0, 10.0] {
            let px = world_px(zoom);
            let labels = labels_in(&view(18.0, 73.0, 54.0, 135.0), zoom);
            for (i, a) in labels.iter().enumerate() {
                for b in &labels[i + 1..] {
                    let (pa, pb) = (WorldPoint::of(a.at), WorldPoint::of(b.at));
                    let width =
                        (a.name.chars().count() + b.name.chars().count()) as f64 * GLYPH_PX / 2.0;
                    let apart_x = ((pa.x - pb.x) * px).abs() >= width;
                    let apart_y = ((pa.y - pb.y) * px).abs() >= LINE_PX;
                    assert!(
                        apart_x || apart_y,
                        "{} and {} at zoom {zoom}",
                        a.name,
                        b.name
                    );
                }
            }
        }
    }
}
