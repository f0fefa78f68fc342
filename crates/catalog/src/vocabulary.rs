//! Every label of the catalog's vocabulary in both languages, and the fields operators may
//! edit: the one source of the words the app, the web UI and the API show.

use serde::Serialize;

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
    /// The fields an operator may change (the server enforces exactly these).
    pub operator_fields: Vec<String>,
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
        operator_fields: crate::request::OPERATOR_FIELDS
            .iter()
            .map(|f| f.to_string())
            .collect(),
    }
}
