//! The deterministic synthetic catalog (示例数据). No open dataset publishes these stations with
//! coordinates, so example stations are placed from real county geography at realistic
//! densities per kind (DESIGN.md §1, §8). Every record has `source = synthetic`.
//!
//! - driver_home: on inter-city corridors between neighbouring prefecture cities (service areas,
//!   logistics parks), with truck spaces;
//! - warm_bee and caring_merchant: in Shenzhen's districts, where those programmes run;
//! - worker_station: in every county, more in urban districts.
//!
//! Synthetic phone numbers put a `0` right after the area code, which no real subscriber
//! number has, so a generated number can never ring a real person.

use rand::distr::weighted::WeightedIndex;
use rand::prelude::*;
use rand_chacha::ChaCha8Rng;

use waystation_catalog::geography::{Level, Place, places};
use waystation_catalog::model::{Kind, Service, ServiceSet, Source, Station, Status};
use waystation_catalog::sphere::LatLon;

mod seed;

pub use seed::{DEFAULT_SEED_COUNT, open_or_copy, open_or_seed, write_seed};

/// Share of each kind in a generated catalog, from the public programme sizes: about 1,000+
/// driver homes, up to 1,000 warm-bee stations, 2,102 caring merchants (Shenzhen) against
/// 186,100 union stations nationally.
const SHARES: [(Kind, f64); 3] = [
    (Kind::DriverHome, 0.010),
    (Kind::WarmBee, 0.005),
    (Kind::CaringMerchant, 0.0105),
];

const ROADS: [&str; 20] = [
    "人民路",
    "解放路",
    "建设路",
    "中山路",
    "新华路",
    "和平路",
    "胜利路",
    "工业大道",
    "滨河路",
    "朝阳路",
    "文化路",
    "光明路",
    "东风路",
    "迎宾大道",
    "长江路",
    "黄河路",
    "幸福路",
    "青年路",
    "振兴路",
    "团结路",
];

const SHENZHEN_ROADS: [&str; 12] = [
    "科技路",
    "创业路",
    "民治大道",
    "宝安大道",
    "布吉路",
    "沙河路",
    "梅林路",
    "龙华大道",
    "坂田路",
    "西乡大道",
    "翠竹路",
    "南海大道",
];

const SHOPS: [&str; 10] = [
    "邻里便利店",
    "家常快餐",
    "街坊理发店",
    "惠民药房",
    "兰州拉面",
    "沙县小吃",
    "客家粉面馆",
    "潮汕牛肉粉",
    "社区超市",
    "早餐铺",
];

const WORKER_STATION_NAMES: [&str; 6] = [
    "总工会户外劳动者服务站",
    "暖心驿站",
    "小哥加油站",
    "工会驿站",
    "环卫工人爱心驿站",
    "户外劳动者港湾",
];

const NOTICES: [&str; 5] = [
    "冬季21:00后热水暂停",
    "夏季提供免费绿豆汤",
    "货车请从东门进入",
    "电动车请勿进入室内充电",
    "每月第一个周日免费理发",
];

/// The seed that the built-in default catalog is generated with.
pub const DEFAULT_SEED: u64 = 2026;

/// Generates `count` synthetic stations from `seed`; the same inputs always give the same output.
pub fn generate(count: usize, seed: u64) -> Vec<Station> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let geo = Geography::new();
    let mut stations = Vec::with_capacity(count);
    let mut remaining = count;
    for (kind, share) in SHARES {
        let n = if count >= 4 {
            ((count as f64 * share).round() as usize).max(1)
        } else {
            0
        };
        let n = n.min(remaining);
        remaining -= n;
        for i in 1..=n {
            stations.push(geo.station(kind, i, &mut rng));
        }
    }
    for i in 1..=remaining {
        stations.push(geo.station(Kind::WorkerStation, i, &mut rng));
    }
    stations
}

struct Geography {
    counties: Vec<&'static Place>,
    county_weights: WeightedIndex<u32>,
    shenzhen: Vec<&'static Place>,
    /// Prefecture centres (and the municipalities) with the indexes of their neighbours 60-350 km away.
    cities: Vec<(&'static Place, Vec<usize>)>,
}

impl Geography {
    fn new() -> Geography {
        let all = places();
        let counties: Vec<&Place> = all.iter().filter(|p| p.level == Level::County).collect();
        // Urban districts host more stations than rural counties.
        let weights = counties.iter().map(|p| {
            if p.name.ends_with('区') {
                4
            } else if p.name.ends_with('市') {
                2
            } else {
                1
            }
        });
        let county_weights = WeightedIndex::new(weights).expect("reference data has counties");
        let shenzhen = counties
            .iter()
            .copied()
            .filter(|p| p.adcode.starts_with("4403"))
            .collect();
        let municipality = |p: &Place| ["11", "12", "31", "50"].contains(&&p.adcode[..2]);
        let centres: Vec<&Place> = all
            .iter()
            .filter(|p| {
                p.level == Level::Prefecture || (p.level == Level::Province && municipality(p))
            })
            .collect();
        let cities = centres
            .iter()
            .map(|a| {
                let near = centres
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| (60_000.0..350_000.0).contains(&a.center.distance_m(b.center)))
                    .map(|(i, _)| i)
                    .collect();
                (*a, near)
            })
            .collect();
        Geography {
            counties,
            county_weights,
            shenzhen,
            cities,
        }
    }

    fn nearest_county(&self, p: LatLon) -> &'static Place {
        self.counties
            .iter()
            .copied()
            .min_by(|a, b| p.distance_m(a.center).total_cmp(&p.distance_m(b.center)))
            .expect("reference data has counties")
    }

    fn station(&self, kind: Kind, n: usize, rng: &mut ChaCha8Rng) -> Station {
        let (place, location, name, road) = match kind {
            Kind::DriverHome => self.corridor_site(rng),
            Kind::WarmBee | Kind::CaringMerchant => {
                let district = *self.shenzhen.choose(rng).expect("Shenzhen districts");
                let location = scatter(district.center, 6_000.0, rng);
                let road = *SHENZHEN_ROADS.choose(rng).expect("roads");
                let name = if kind == Kind::WarmBee {
                    format!("{}{road}暖蜂驿站", district.name)
                } else {
                    let shop = SHOPS.choose(rng).expect("shops");
                    format!("{shop}（{}{road}店）", district.name)
                };
                (district, location, name, road)
            }
            Kind::WorkerStation => {
                let county = self.counties[self.county_weights.sample(rng)];
                let radius = if county.name.ends_with('区') {
                    8_000.0
                } else {
                    20_000.0
                };
                let location = scatter(county.center, radius, rng);
                let road = *ROADS.choose(rng).expect("roads");
                let suffix = WORKER_STATION_NAMES.choose(rng).expect("names");
                (
                    county,
                    location,
                    format!("{}{road}{suffix}", county.name),
                    road,
                )
            }
        };
        let status = match rng.random_range(0..100) {
            0..94 => Status::Open,
            94..98 => Status::TemporarilyClosed,
            _ => Status::Closed,
        };
        Station {
            id: format!("syn-{}-{n:06}", kind_prefix(kind)),
            kind,
            name,
            address: format!("{}{road}{}号", place.full_name(), rng.random_range(1..=999)),
            adcode: place.adcode.clone(),
            location: round6(location),
            services: services_for(kind, rng),
            opening_hours: hours_for(kind, rng).map(str::to_string),
            phone: Some(phone_for(place, rng)),
            truck_spaces: (kind == Kind::DriverHome).then(|| rng.random_range(3..=40) * 10),
            free_truck_spaces: None,
            status,
            notice: rng
                .random_bool(0.08)
                .then(|| NOTICES.choose(rng).expect("notices").to_string()),
            source: Source::Synthetic,
            version: 1,
            updated_at: "2026-01-01T00:00:00Z".into(),
        }
    }

    /// A point on the way between two neighbouring cities, a little off the straight line.
    fn corridor_site(
        &self,
        rng: &mut ChaCha8Rng,
    ) -> (&'static Place, LatLon, String, &'static str) {
        let (a, near) = loop {
            let (a, near) = self.cities.choose(rng).expect("cities");
            if !near.is_empty() {
                break (*a, near);
            }
        };
        let b = self.cities[*near.choose(rng).expect("neighbour")].0;
        let on_line = a.center.towards(b.center, rng.random_range(0.15..0.85));
        let location = scatter(on_line, 1_500.0, rng);
        let county = self.nearest_county(location);
        let city = |p: &Place| p.name.trim_end_matches('市').to_string();
        let name = match rng.random_range(0..100) {
            0..60 => format!(
                "{}服务区司机之家（{}—{}方向）",
                county.name,
                city(a),
                city(b)
            ),
            60..85 => format!("{}物流园司机之家", county.name),
            _ => format!("{}货运枢纽司机之家", county.name),
        };
        (county, location, name, "高速公路")
    }
}

fn kind_prefix(kind: Kind) -> &'static str {
    match kind {
        Kind::DriverHome => "dh",
        Kind::WarmBee => "wb",
        Kind::CaringMerchant => "cm",
        Kind::WorkerStation => "ws",
    }
}

/// A random point within `radius_m` of `center`, uniform over the disc.
fn scatter(center: LatLon, radius_m: f64, rng: &mut ChaCha8Rng) -> LatLon {
    let r = radius_m * rng.random::<f64>().sqrt();
    center.destination(rng.random_range(0.0..360.0), r)
}

fn round6(p: LatLon) -> LatLon {
    let r = |x: f64| (x * 1e6).round() / 1e6;
    LatLon {
        lat: r(p.lat),
        lon: r(p.lon),
    }
}

/// Core services of each programme, plus extras some stations add.
fn services_for(kind: Kind, rng: &mut ChaCha8Rng) -> ServiceSet {
    use Service::*;
    let (core, extras): (&[Service], &[(Service, f64)]) = match kind {
        // The transport ministry's five free services, plus truck parking.
        Kind::DriverHome => (
            &[
                Parking,
                TruckParking,
                Rest,
                DrinkingWater,
                FoodHeating,
                Shower,
                Laundry,
                Toilet,
            ],
            &[
                (Overnight, 0.7),
                (Meals, 0.8),
                (PhoneCharging, 0.9),
                (Wifi, 0.8),
                (Security, 0.6),
                (Fuel, 0.4),
                (VehicleRepair, 0.35),
                (Store, 0.6),
                (Kitchen, 0.2),
                (FirstAid, 0.5),
            ],
        ),
        Kind::WarmBee => (
            &[
                Rest,
                DrinkingWater,
                Toilet,
                PhoneCharging,
                FoodHeating,
                CoolingHeating,
            ],
            &[
                (EbikeCharging, 0.7),
                (Wifi, 0.8),
                (FirstAid, 0.6),
                (RainGear, 0.6),
                (RepairTools, 0.5),
                (Kitchen, 0.2),
                (Reading, 0.3),
            ],
        ),
        Kind::CaringMerchant => (
            &[DrinkingWater, PhoneCharging],
            &[
                (Toilet, 0.7),
                (FoodHeating, 0.6),
                (Rest, 0.6),
                (Wifi, 0.5),
                (Meals, 0.4),
                (CoolingHeating, 0.5),
                (RainGear, 0.2),
            ],
        ),
        // The trade union's station services.
        Kind::WorkerStation => (
            &[
                Rest,
                Toilet,
                DrinkingWater,
                FoodHeating,
                PhoneCharging,
                CoolingHeating,
            ],
            &[
                (Reading, 0.5),
                (FirstAid, 0.5),
                (Wifi, 0.5),
                (RainGear, 0.4),
                (EbikeCharging, 0.25),
                (RepairTools, 0.3),
                (Kitchen, 0.1),
                (Shower, 0.08),
                (Parking, 0.3),
            ],
        ),
    };
    let mut set: ServiceSet = core.iter().copied().collect();
    for &(service, p) in extras {
        if rng.random_bool(p) {
            set.insert(service);
        }
    }
    set
}

fn hours_for(kind: Kind, rng: &mut ChaCha8Rng) -> Option<&'static str> {
    let choices: &[(&str, u32)] = match kind {
        Kind::DriverHome => &[("24/7", 90), ("Mo-Su 06:00-24:00", 10)],
        Kind::WarmBee => &[
            ("24/7", 40),
            ("Mo-Su 08:00-22:00", 45),
            ("Mo-Su 07:00-23:00", 15),
        ],
        Kind::CaringMerchant => &[
            ("Mo-Su 07:00-22:00", 40),
            ("Mo-Su 09:00-21:00", 30),
            ("Mo-Fr 08:00-20:00; Sa,Su 09:00-18:00", 20),
            ("Mo-Su 06:00-14:00", 10),
        ],
        Kind::WorkerStation => &[
            ("Mo-Fr 08:30-17:30", 35),
            ("Mo-Su 08:00-20:00", 30),
            ("24/7", 15),
            ("Mo-Sa 09:00-18:00", 15),
            ("Mo-Fr 08:00-12:00,14:00-18:00", 5),
        ],
    };
    // One in twenty listings has no hours at all: "unknown", never shown as open.
    if rng.random_bool(0.05) {
        return None;
    }
    let weights = WeightedIndex::new(choices.iter().map(|c| c.1)).expect("weights");
    Some(choices[weights.sample(rng)].0)
}

/// A landline number in the place's area code whose subscriber part starts with `0` (never
/// assigned in China), so it looks real but reaches no one.
fn phone_for(place: &Place, rng: &mut ChaCha8Rng) -> String {
    let area = if place.adcode.starts_with("4403") {
        "0755"
    } else {
        match &place.adcode[..2] {
            "11" => "010",
            "12" => "022",
            "13" => "0311",
            "14" => "0351",
            "15" => "0471",
            "21" => "024",
            "22" => "0431",
            "23" => "0451",
            "31" => "021",
            "32" => "025",
            "33" => "0571",
            "34" => "0551",
            "35" => "0591",
            "36" => "0791",
            "37" => "0531",
            "41" => "0371",
            "42" => "027",
            "43" => "0731",
            "44" => "020",
            "45" => "0771",
            "46" => "0898",
            "50" => "023",
            "51" => "028",
            "52" => "0851",
            "53" => "0871",
            "54" => "0891",
            "61" => "029",
            "62" => "0931",
            "63" => "0971",
            "64" => "0951",
            _ => "0991",
        }
    };
    format!("{area}-0{:07}", rng.random_range(0..10_000_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_all_synthetic() {
        let a = generate(500, 7);
        let b = generate(500, 7);
        assert_eq!(a, b);
        assert_ne!(a, generate(500, 8));
        assert_eq!(a.len(), 500);
        assert!(a.iter().all(|s| s.source == Source::Synthetic));
        let ids: std::collections::HashSet<_> = a.iter().map(|s| &s.id).collect();
        assert_eq!(ids.len(), 500);
    }

    #[test]
    fn kinds_where_their_programmes_run() {
        let stations = generate(4000, 1);
        let count = |k| stations.iter().filter(|s| s.kind == k).count();
        assert_eq!(count(Kind::DriverHome), 40);
        assert_eq!(count(Kind::WarmBee), 20);
        assert_eq!(count(Kind::CaringMerchant), 42);
        for s in &stations {
            if matches!(s.kind, Kind::WarmBee | Kind::CaringMerchant) {
                assert!(s.adcode.starts_with("4403"), "{} in {}", s.id, s.adcode);
            }
            if s.kind == Kind::DriverHome {
                assert!(s.services.contains(Service::TruckParking) && s.truck_spaces.is_some());
                assert!(
                    s.services.contains(Service::Shower) && s.services.contains(Service::Laundry)
                );
            }
            // Stations other than corridor sites are scattered at most 20 km from their county seat.
            let county = places()
                .iter()
                .find(|p| p.adcode == s.adcode)
                .expect("known adcode");
            if s.kind != Kind::DriverHome {
                assert!(
                    county.center.distance_m(s.location) < 20_001.0,
                    "{} far from {}",
                    s.id,
                    county.name
                );
            }
            let phone = s.phone.as_deref().unwrap_or("");
            assert!(
                phone.split('-').nth(1).is_some_and(|n| n.starts_with('0')),
                "{phone}"
            );
        }
        let provinces: std::collections::HashSet<_> =
            stations.iter().map(|s| &s.adcode[..2]).collect();
        assert!(provinces.len() >= 30, "only {} provinces", provinces.len());
    }
}
