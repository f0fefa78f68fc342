//! The station model: kinds, services, status and source, with their stable ids and labels.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::lang::vocabulary;
pub use crate::lang::{Lang, UnknownId};
use crate::sphere::LatLon;

vocabulary!(
    /// Who runs a station and whom it serves (DESIGN.md §1).
    Kind, "kind" {
        DriverHome => "driver_home", "司机之家", "Truck-driver home";
        WarmBee => "warm_bee", "暖蜂驿站", "Warm Bee courier station";
        CaringMerchant => "caring_merchant", "爱心商户", "Caring merchant";
        WorkerStation => "worker_station", "户外劳动者服务站", "Outdoor-worker station";
    }
);

vocabulary!(
    /// What a station offers (DESIGN.md §2). The order is the bit order in [`ServiceSet`]:
    /// append only, never reorder, or stored catalogs change meaning.
    Service, "service" {
        Parking => "parking", "停车", "Parking";
        TruckParking => "truck_parking", "货车停车位", "Truck parking";
        Rest => "rest", "休息", "Rest";
        Overnight => "overnight", "过夜住宿", "Overnight stay";
        Shower => "shower", "淋浴", "Shower";
        Laundry => "laundry", "洗衣", "Laundry";
        Meals => "meals", "平价餐", "Meals";
        FoodHeating => "food_heating", "饭菜加热", "Food heating";
        Kitchen => "kitchen", "共享厨房", "Shared kitchen";
        DrinkingWater => "drinking_water", "饮水/热水", "Drinking water";
        Toilet => "toilet", "如厕", "Toilet";
        PhoneCharging => "phone_charging", "手机充电", "Phone charging";
        EbikeCharging => "ebike_charging", "电动车充电/换电", "E-bike charging";
        CoolingHeating => "cooling_heating", "纳凉取暖", "Cooling & heating";
        Wifi => "wifi", "无线网络", "Wi-Fi";
        FirstAid => "first_aid", "应急药箱/AED", "First aid / AED";
        RainGear => "rain_gear", "雨具", "Rain gear";
        RepairTools => "repair_tools", "常用工具/打气", "Tools & air pump";
        VehicleRepair => "vehicle_repair", "车辆维修", "Vehicle repair";
        Fuel => "fuel", "加油", "Fuel";
        Store => "store", "便利店", "Convenience store";
        Reading => "reading", "读书阅览", "Reading";
        Security => "security", "车货安保", "Vehicle & cargo security";
    }
);

vocabulary!(
    /// Whether a station is operating at all; opening hours apply only when `Open`.
    Status, "status" {
        Open => "open", "营业中", "Open";
        TemporarilyClosed => "temporarily_closed", "暂停服务", "Temporarily closed";
        Closed => "closed", "已关闭", "Closed";
    }
);

vocabulary!(
    /// Where a listing comes from. `Synthetic` rows are generated examples and are always shown as 示例数据.
    Source, "source" {
        Official => "official", "官方", "Official";
        Operator => "operator", "站点运营者", "Operator";
        Synthetic => "synthetic", "示例数据", "Synthetic example";
        Proposal => "proposal", "用户提议（已审核）", "Proposed by a user, reviewed";
    }
);

vocabulary!(
    /// What a driver can report wrong with a listing (see `reports`).
    Problem, "problem" {
        Closed => "closed", "已关门/不营业", "It is closed";
        WrongPlace => "wrong_place", "位置不对", "Wrong place";
        ServiceMissing => "service_missing", "没有某项服务", "A service is missing";
    }
);

/// A set of services, one bit per [`Service`] in declaration order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ServiceSet(u32);

impl ServiceSet {
    pub const EMPTY: ServiceSet = ServiceSet(0);

    pub fn from_bits(bits: u32) -> ServiceSet {
        ServiceSet(bits & Self::all_bits())
    }

    fn all_bits() -> u32 {
        (1u32 << Service::ALL.len()) - 1
    }

    pub fn bits(self) -> u32 {
        self.0
    }

    pub fn insert(&mut self, s: Service) {
        self.0 |= 1 << (s as u32);
    }

    pub fn remove(&mut self, s: Service) {
        self.0 &= !(1 << (s as u32));
    }

    pub fn contains(self, s: Service) -> bool {
        self.0 & (1 << (s as u32)) != 0
    }

    /// True when every service in `wanted` is offered.
    pub fn contains_all(self, wanted: ServiceSet) -> bool {
        self.0 & wanted.0 == wanted.0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The services in the set, in `Service::ALL` order: one step per service in the set, not
    /// per service there is (opening the national catalog counts 200,000 sets).
    pub fn iter(self) -> impl Iterator<Item = Service> {
        let mut bits = self.0;
        std::iter::from_fn(move || {
            (bits != 0).then(|| {
                let bit = bits.trailing_zeros();
                bits &= bits - 1;
                bit
            })
        })
        .filter_map(|bit| Service::ALL.get(bit as usize).copied())
    }

    /// Parses `;`-separated ids (the CSV form). Empty parts are ignored.
    pub fn parse_list(text: &str) -> Result<ServiceSet, UnknownId> {
        text.split(';')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::parse::<Service>)
            .collect()
    }

    /// The `;`-separated form, in vocabulary order.
    pub fn to_list(self) -> String {
        self.iter().map(Service::id).collect::<Vec<_>>().join(";")
    }
}

impl rusqlite::ToSql for ServiceSet {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(self.0.into())
    }
}

impl FromIterator<Service> for ServiceSet {
    fn from_iter<I: IntoIterator<Item = Service>>(iter: I) -> Self {
        let mut set = ServiceSet::EMPTY;
        for s in iter {
            set.insert(s);
        }
        set
    }
}

impl Serialize for ServiceSet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for ServiceSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Vec::<Service>::deserialize(d)?.into_iter().collect())
    }
}

/// A set of kinds; empty means "any kind".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KindSet(u8);

impl KindSet {
    pub fn allows(self, k: Kind) -> bool {
        self.0 == 0 || self.0 & (1 << (k as u8)) != 0
    }
}

impl FromIterator<Kind> for KindSet {
    fn from_iter<I: IntoIterator<Item = Kind>>(iter: I) -> Self {
        KindSet(iter.into_iter().fold(0, |acc, k| acc | (1 << (k as u8))))
    }
}

/// One service station as stored in the catalog. Coordinates are WGS-84.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Station {
    pub id: String,
    pub kind: Kind,
    pub name: String,
    pub address: String,
    /// The 6-digit county-level administrative code.
    pub adcode: String,
    #[serde(flatten)]
    pub location: LatLon,
    #[ts(as = "Vec<Service>")]
    pub services: ServiceSet,
    /// OpenStreetMap opening_hours syntax, evaluated in China time. None means unknown.
    pub opening_hours: Option<String>,
    pub phone: Option<String>,
    /// Truck parking capacity, where known.
    pub truck_spaces: Option<u32>,
    /// Free truck spaces now, as the operator last reported.
    pub free_truck_spaces: Option<u32>,
    pub status: Status,
    pub notice: Option<String>,
    pub source: Source,
    pub version: i64,
    /// RFC 3339, UTC.
    pub updated_at: String,
}

impl Station {
    pub fn is_synthetic(&self) -> bool {
        self.source == Source::Synthetic
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_set_lists_its_services_in_vocabulary_order() {
        let all = ServiceSet::all_bits();
        let last = 1 << (Service::ALL.len() - 1);
        for bits in [0, 1, 0b1010_0110, all, all & 0x5555_5555, last, last | 1] {
            let set = ServiceSet::from_bits(bits);
            let want: Vec<Service> = Service::ALL
                .iter()
                .copied()
                .filter(|s| set.contains(*s))
                .collect();
            assert_eq!(set.iter().collect::<Vec<_>>(), want, "{bits:b}");
        }
        // Bits past the vocabulary name no service.
        assert_eq!(ServiceSet(u32::MAX).iter().count(), Service::ALL.len());
    }
}
