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
}
