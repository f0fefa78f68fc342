//! When a driver reaches a station, and whether it will be open then: an arrival time from the
//! distance still to travel, a speed and a departure time. Speeds are typical cruising speeds,
//! not a routing engine's: the answer says "about when", which is what deciding between two
//! stations needs.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, TimeDelta, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::lang::{Lang, UnknownId, vocabulary};

vocabulary!(
    /// How a driver travels, each with the speed arrival times assume unless one is given.
    Vehicle, "vehicle" {
        Truck => "truck", "货车", "Truck";
        Car => "car", "小汽车", "Car";
        Ebike => "ebike", "电动车", "E-bike";
    }
);

impl Vehicle {
    /// A typical average speed over a long stretch, stops and towns included.
    pub fn speed_kmh(self) -> f64 {
        match self {
            Vehicle::Truck => 60.0,
            Vehicle::Car => 80.0,
            Vehicle::Ebike => 20.0,
        }
    }
}

/// Speeds a driver may give, km/h: walking pace to the fastest legal road speed and a margin.
pub const SPEED_KMH: std::ops::RangeInclusive<f64> = 1.0..=200.0;

/// How fast and from when: what an arrival time is computed from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Travel {
    pub depart: DateTime<Utc>,
    pub speed_kmh: f64,
}

impl Travel {
    /// When `metres` of travel from the departure end, to the second (checked requests make
    /// it at most a few thousand hours; past the calendar's end it is the calendar's end).
    pub fn arrival(&self, metres: f64) -> DateTime<Utc> {
        let seconds = metres / (self.speed_kmh / 3.6);
        self.depart
            .checked_add_signed(TimeDelta::seconds(seconds.round() as i64))
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }
}

/// China time (UTC+8, no daylight saving): how arrival times are shown.
pub fn in_china_time(at: DateTime<Utc>) -> DateTime<FixedOffset> {
    at.with_timezone(&crate::hours::china_time())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_hour_at_sixty_is_sixty_kilometres() {
        let depart = DateTime::parse_from_rfc3339("2026-11-29T20:00:00+08:00")
            .expect("time")
            .to_utc();
        let truck = Travel {
            depart,
            speed_kmh: Vehicle::Truck.speed_kmh(),
        };
        assert_eq!(
            in_china_time(truck.arrival(60_000.0)).to_rfc3339(),
            "2026-11-29T21:00:00+08:00"
        );
        // Past midnight, the date moves on.
        assert_eq!(
            in_china_time(truck.arrival(270_000.0)).to_rfc3339(),
            "2026-11-30T00:30:00+08:00"
        );
        assert_eq!("ebike".parse::<Vehicle>(), Ok(Vehicle::Ebike));
    }
}
