//! Waystation's domain: service stations for truck drivers, couriers and outdoor workers, an
//! offline SQLite catalog with an exact great-circle spatial index, queries, import/export,
//! the synthetic seed catalog and hand-off links to navigation apps.

pub mod catalog;
pub mod crs;
pub mod error;
pub mod exchange;
pub mod feed;
pub mod geography;
pub mod hours;
pub mod index;
pub mod links;
pub mod model;
pub mod operators;
pub mod progress;
pub mod query;
pub mod reports;
pub mod route;
pub mod snapshot;
pub mod sphere;
pub mod store;
pub mod sync;
pub mod synthetic;

pub use catalog::{Catalog, CatalogInfo, Hit, ImportReport, MapPoints};
pub use crs::Crs;
pub use error::{CatalogError, Location, RecordError};
pub use model::{Kind, KindSet, Lang, Service, ServiceSet, Source, Station, Status};
pub use query::{Ahead, BBox, Filter};
pub use route::Route;
pub use sphere::LatLon;
