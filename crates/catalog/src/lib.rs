//! Waystation's core: service stations for truck drivers, couriers and outdoor workers, an
//! offline SQLite catalog with an exact great-circle spatial index, the one request layer,
//! queries, import/export and hand-off links to navigation apps. It knows nothing of HTTP,
//! passwords, signing keys or terminals: the sync client, the server and the CLI do.

pub mod answer;
pub mod answering;
pub mod arrival;
pub mod catalog;
pub mod confirmations;
pub mod crs;
pub mod error;
pub mod exchange;
pub mod feed;
pub mod geography;
pub mod hours;
pub mod index;
pub mod labels;
pub mod lang;
pub mod links;
pub mod mercator;
pub mod message;
pub mod model;
pub mod progress;
pub mod proposals;
pub mod query;
pub mod readers;
pub mod ready;
pub mod reports;
pub mod request;
pub mod route;
pub mod shared;
pub mod signed;
pub mod sphere;
pub mod store;
pub mod vocabulary;

pub use answer::{Answer, Detail, Hit, MapView};
pub use catalog::{Catalog, CatalogInfo, ImportReport};
pub use crs::Crs;
pub use error::{CatalogError, Location, RecordError, Result};
pub use lang::Bilingual;
pub use message::Message;
pub use model::{Kind, KindSet, Lang, Service, ServiceSet, Source, Station, Status};
pub use query::{Ahead, BBox, Filter};
pub use request::Query;
pub use route::Route;
pub use shared::{Published, SharedCatalog};
pub use sphere::LatLon;
