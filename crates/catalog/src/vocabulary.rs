//! Every label of the catalog's vocabulary in both languages, and the fields operators may
//! edit: the one source of the words the app, the web UI and the API show.

use serde::Serialize;

use crate::arrival::Vehicle;
use crate::lang::Lang;
use crate::links::App;
use crate::model::{Kind, Problem, Service, Status};

/// One vocabulary entry with its labels, for interfaces that show them.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Term {
    pub id: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
}

/// Every kind, service and status with its labels: the one source of the words the app and
/// the web UI show.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Vocabulary {
    pub kinds: Vec<Term>,
    pub services: Vec<Term>,
    pub statuses: Vec<Term>,
    pub problems: Vec<Term>,
    pub apps: Vec<Term>,
    /// How drivers travel, with the speed arrival times assume for each.
    pub vehicles: Vec<VehicleTerm>,
    /// The fields an operator may change (the server enforces exactly these).
    pub operator_fields: Vec<String>,
}

/// A vehicle with its labels and typical speed.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct VehicleTerm {
    pub id: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    pub speed_kmh: f64,
}

macro_rules! terms {
    ($t:ty) => {
        <$t>::ALL
            .iter()
            .map(|v| Term {
                id: v.id(),
                zh: v.label(Lang::Zh),
                en: v.label(Lang::En),
            })
            .collect()
    };
}

pub fn vocabulary() -> Vocabulary {
    Vocabulary {
        kinds: terms!(Kind),
        services: terms!(Service),
        statuses: terms!(Status),
        problems: terms!(Problem),
        apps: terms!(App),
        vehicles: Vehicle::ALL
            .iter()
            .map(|&v| VehicleTerm {
                id: v.id(),
                zh: v.label(Lang::Zh),
                en: v.label(Lang::En),
                speed_kmh: v.speed_kmh(),
            })
            .collect(),
        operator_fields: crate::request::OPERATOR_FIELDS
            .iter()
            .map(|f| f.to_string())
            .collect(),
    }
}
