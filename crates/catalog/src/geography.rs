//! Real administrative geography of mainland China: province, prefecture and county centres with
//! their codes, from `assets/reference/adcodes.csv` (PyPI `cpca` 0.5.5, MIT; coordinates are
//! Amap-derived GCJ-02 and are converted to WGS-84 here). Hong Kong, Macau and Taiwan are left
//! out: the station programmes modelled here are mainland ones.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::crs::gcj02_to_wgs84;
use crate::sphere::LatLon;

const ADCODES_CSV: &str = include_str!("../../../assets/reference/adcodes.csv");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Province,
    Prefecture,
    County,
}

#[derive(Debug, Clone)]
pub struct Place {
    /// 6-digit administrative code.
    pub adcode: String,
    pub name: String,
    pub province: String,
    /// The prefecture-level city; empty for the four municipalities and for direct-administered counties.
    pub prefecture: String,
    pub level: Level,
    /// WGS-84.
    pub center: LatLon,
}

impl Place {
    /// "广东省深圳市南山区" style: province, prefecture and county names without repeats.
    pub fn full_name(&self) -> String {
        let mut out = self.province.clone();
        if !self.prefecture.is_empty() && self.prefecture != self.province {
            out.push_str(&self.prefecture);
        }
        if self.level == Level::County {
            out.push_str(&self.name);
        }
        out
    }
}

/// Every mainland place with a known centre, sorted by adcode.
pub fn places() -> &'static [Place] {
    static PLACES: OnceLock<Vec<Place>> = OnceLock::new();
    PLACES.get_or_init(|| parse(ADCODES_CSV))
}

/// The full name of the place with this 6-digit code ("广东省深圳市南山区"): how an address in
/// it begins, which the catalog file keeps once for all its stations (store/texts.rs).
pub fn full_name_of(adcode: &str) -> Option<&'static str> {
    static FULL_NAMES: OnceLock<HashMap<&'static str, String>> = OnceLock::new();
    FULL_NAMES
        .get_or_init(|| {
            places()
                .iter()
                .map(|p| (p.adcode.as_str(), p.full_name()))
                .collect()
        })
        .get(adcode)
        .map(String::as_str)
}

/// The county whose centre is nearest `at`: a good first guess at which county a position is
/// in (a reviewer can correct it), when no boundaries are at hand.
pub fn nearest_county(at: LatLon) -> Option<&'static Place> {
    places()
        .iter()
        .filter(|p| p.level == Level::County)
        .min_by(|a, b| at.distance_m(a.center).total_cmp(&at.distance_m(b.center)))
}

/// A found place: where to put the driver when they type a city or district.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct PlaceHit {
    pub adcode: String,
    pub name: String,
    /// "广东省深圳市南山区".
    pub full_name: String,
    pub lat: f64,
    pub lon: f64,
}

/// Places whose name (or full name) contains `text`: exact names first, then names starting
/// with it, then the rest; larger units before smaller ones, then by code.
pub fn find_places(text: &str, limit: usize) -> Vec<PlaceHit> {
    let text = text.trim();
    if text.is_empty() {
        return Vec::new();
    }
    let mut found: Vec<(u8, &Place)> = places()
        .iter()
        .filter_map(|p| {
            let rank = if p.name == text {
                0
            } else if p.name.starts_with(text) {
                1
            } else if p.name.contains(text) {
                2
            } else if p.full_name().contains(text) {
                3
            } else {
                return None;
            };
            Some((rank, p))
        })
        .collect();
    found.sort_by_key(|(rank, p)| (*rank, p.level as u8, p.adcode.clone()));
    found
        .into_iter()
        .take(limit)
        .map(|(_, p)| PlaceHit {
            adcode: p.adcode.clone(),
            name: p.name.clone(),
            full_name: p.full_name(),
            lat: p.center.lat,
            lon: p.center.lon,
        })
        .collect()
}

fn parse(csv: &str) -> Vec<Place> {
    // adcode (12 digits), name, longitude, latitude; rows without coordinates are containers
    // such as "市辖区" and carry only a name.
    let rows: Vec<(String, &str, Option<LatLon>)> = csv
        .lines()
        .skip(1)
        .filter_map(|line| {
            let mut f = line.split(',');
            let code = f.next()?.get(..6)?.to_string();
            let name = f.next()?;
            let lon = f.next().and_then(|v| v.trim().parse::<f64>().ok());
            let lat = f.next().and_then(|v| v.trim().parse::<f64>().ok());
            let center = match (lat, lon) {
                (Some(lat), Some(lon)) => LatLon::new(lat, lon).ok().map(gcj02_to_wgs84),
                _ => None,
            };
            Some((code, name, center))
        })
        .filter(|(code, _, _)| !["71", "81", "82"].contains(&&code[..2]))
        .collect();
    let names: HashMap<&str, &str> = rows.iter().map(|(c, n, _)| (c.as_str(), *n)).collect();
    let name_of = |code: String| -> String {
        names
            .get(code.as_str())
            .filter(|n| !n.contains("辖"))
            .map_or_else(String::new, |n| n.to_string())
    };
    let mut places: Vec<Place> = rows
        .iter()
        .filter_map(|(code, name, center)| {
            let center = (*center)?;
            let level = if &code[2..] == "0000" {
                Level::Province
            } else if &code[4..] == "00" {
                Level::Prefecture
            } else {
                Level::County
            };
            Some(Place {
                adcode: code.clone(),
                name: name.to_string(),
                province: name_of(format!("{}0000", &code[..2])),
                prefecture: name_of(format!("{}00", &code[..4])),
                level,
                center,
            })
        })
        .collect();
    places.sort_by(|a, b| a.adcode.cmp(&b.adcode));
    places
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_data_is_complete_and_converted() {
        let all = places();
        let counties = all.iter().filter(|p| p.level == Level::County).count();
        assert!(counties > 2800, "only {counties} counties");
        assert!(!all.iter().any(|p| p.adcode.starts_with("81")));
        let nanshan = all.iter().find(|p| p.adcode == "440305").expect("Nanshan");
        assert_eq!(nanshan.full_name(), "广东省深圳市南山区");
        // The file's GCJ-02 centre (22.533287, 113.930413) lies a few hundred metres from WGS-84.
        let gcj = LatLon::new(22.533287, 113.930413).unwrap();
        let shift = nanshan.center.distance_m(gcj);
        assert!((200.0..700.0).contains(&shift), "shift {shift}");
        let dongcheng = all
            .iter()
            .find(|p| p.adcode == "110101")
            .expect("Dongcheng");
        assert_eq!(dongcheng.full_name(), "北京市东城区");
    }

    #[test]
    fn places_are_found_by_name_best_first() {
        let hits = find_places("深圳", 5);
        assert_eq!(hits[0].full_name, "广东省深圳市");
        assert!((hits[0].lat - 22.55).abs() < 0.2 && (hits[0].lon - 114.06).abs() < 0.2);
        // Districts named with the city's name come after the city itself.
        let nanshan = find_places("南山区", 10);
        assert!(nanshan.iter().any(|p| p.full_name == "广东省深圳市南山区"));
        assert!(nanshan.iter().all(|p| p.name.contains("南山区")));
        assert!(find_places("  ", 5).is_empty());
        assert!(find_places("Atlantis", 5).is_empty());
        assert_eq!(find_places("区", 3).len(), 3);
    }
}
