//! The query requests as every face receives them (HTTP query strings, the app's IPC
//! arguments, the CLI's options), and the one check that turns each into a query the
//! catalog runs. Lists are comma-separated ids; distances are kilometres unless a unit says
//! otherwise (`500m`, `2km`, `2.5`); positions are WGS-84 unless `crs` says otherwise.

use chrono::{DateTime, Timelike, Utc};
use serde::{Deserialize, Serialize};

use super::fields::{self, NumberText};
use super::limits::*;
use crate::arrival::{Travel, Vehicle};
use crate::crs::Crs;
use crate::hours::china_local;
use crate::index::clusters::Clusters;
use crate::mercator::WorldBox;
use crate::message::Message;
use crate::model::{Kind, Service, Status};
use crate::proposals::ProposalState;
use crate::query::{Ahead, Arrival, BBox, Filter};
use crate::route::Route;
use crate::sphere::LatLon;

/// Defines a request struct whose fields end with the shared attribute filter (kind,
/// service, status, open_now, open_at), and its `filter()` check. Flattening a shared struct
/// instead would lose `deny_unknown_fields` and numbers in query strings.
macro_rules! filtered_request {
    ($(#[$meta:meta])* pub struct $name:ident { $($(#[$fmeta:meta])* pub $field:ident : $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, ts_rs::TS)]
        #[serde(deny_unknown_fields)]
        #[ts(optional_fields)]
        #[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
        #[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty,)*
            /// Kinds, any of, comma-separated (driver_home, warm_bee, caring_merchant, worker_station).
            pub kind: Option<String>,
            /// Services, all of, comma-separated (e.g. shower,toilet).
            pub service: Option<String>,
            /// Statuses, any of, comma-separated (open, temporarily_closed, closed).
            pub status: Option<String>,
            /// Only stations known to be open now (unknown hours do not count).
            pub open_now: Option<bool>,
            /// Only stations open at this RFC 3339 time; open states are given for this time.
            pub open_at: Option<String>,
            /// Only stations whose asked-for facts drivers confirmed in the last 90 days and do
            /// not dispute: each required service, and being open with open_now; with neither,
            /// any fact.
            pub confirmed: Option<bool>,
        }

        impl $name {
            /// This request with the shared attribute filter set from `f`.
            pub fn with_filter(self, f: FilterFields) -> Self {
                $name {
                    kind: f.kind,
                    service: f.service,
                    status: f.status,
                    open_now: f.open_now,
                    open_at: f.open_at,
                    confirmed: f.confirmed,
                    ..self
                }
            }

            /// The attribute filter, evaluated at `open_at` or `now`.
            pub fn filter(&self, now: DateTime<Utc>) -> Result<Filter, Message> {
                attribute_filter(
                    self.kind.as_deref(),
                    self.service.as_deref(),
                    self.status.as_deref(),
                    self.open_now.unwrap_or(false),
                    self.open_at.as_deref(),
                    self.confirmed.unwrap_or(false),
                    now,
                )
            }
        }
    };
}

/// The shared attribute filter's fields, as a face collects them before it builds a request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FilterFields {
    pub kind: Option<String>,
    pub service: Option<String>,
    pub status: Option<String>,
    pub open_now: Option<bool>,
    pub open_at: Option<String>,
    pub confirmed: Option<bool>,
}

fn attribute_filter(
    kind: Option<&str>,
    service: Option<&str>,
    status: Option<&str>,
    open_now: bool,
    open_at: Option<&str>,
    confirmed: bool,
    now: DateTime<Utc>,
) -> Result<Filter, Message> {
    let when = open_at.map(|t| fields::time("open_at", t)).transpose()?;
    let mut f = Filter::any_at(china_local(when.unwrap_or(now)));
    f.kinds = fields::ids::<Kind>("kind", kind)?.into_iter().collect();
    f.services = fields::ids::<Service>("service", service)?
        .into_iter()
        .collect();
    f.statuses = fields::ids::<Status>("status", status)?;
    f.open_only = open_now || when.is_some();
    f.confirmed = confirmed;
    Ok(f)
}

/// A checked query, ready to run on a catalog ([`crate::Catalog::answer`]).
#[derive(Debug, Clone)]
pub enum Query {
    Near(Near),
    Within(Within),
    InBox(InBox),
    Search(Search),
    Along(Along),
}

/// Arrival times from `speed` (km/h or a vehicle) and `depart` (default now); `default` is the
/// vehicle assumed when no speed is given (None: no arrival times unless a speed is).
fn arrival(
    speed: Option<&NumberText>,
    depart: Option<&str>,
    open_on_arrival: Option<bool>,
    default: Option<Vehicle>,
    now: DateTime<Utc>,
) -> Result<Option<Arrival>, Message> {
    let speed_kmh = match speed {
        Some(text) => Some(fields::speed("speed", text.as_str())?),
        None => default.map(Vehicle::speed_kmh),
    };
    let Some(speed_kmh) = speed_kmh else {
        if depart.is_some() || open_on_arrival == Some(true) {
            return Err(Message::Required { field: "speed" });
        }
        return Ok(None);
    };
    let depart = depart.map(|t| fields::time("depart", t)).transpose()?;
    Ok(Some(Arrival {
        travel: Travel {
            // Whole seconds: arrival times are shown to the second.
            depart: depart.unwrap_or(now).with_nanosecond(0).unwrap_or(now),
            speed_kmh,
        },
        open_only: open_on_arrival.unwrap_or(false),
    }))
}

/// "Ahead of me": a heading in 0–360 (north 0, east 90) and a cone half-width in 0–180.
fn ahead(heading: Option<f64>, cone: Option<f64>) -> Result<Option<Ahead>, Message> {
    let Some(h) = heading else {
        return match cone {
            Some(_) => Err(Message::Required { field: "heading" }),
            None => Ok(None),
        };
    };
    let heading_deg = fields::number("heading", h, 0.0, 360.0)? % 360.0;
    let cone_deg = fields::number("cone", cone.unwrap_or(DEFAULT_CONE_DEG), 0.0, MAX_CONE_DEG)?;
    Ok(Some(Ahead {
        heading_deg,
        cone_deg,
    }))
}

filtered_request! {
    /// The nearest stations to a position.
    pub struct NearRequest {
        /// Latitude in decimal degrees.
        pub lat: Option<f64>,
        /// Longitude in decimal degrees.
        pub lon: Option<f64>,
        /// The datum of lat/lon: wgs84 (GPS, default), gcj02 (Amap, Tencent), bd09 (Baidu).
        pub crs: Option<String>,
        /// How many results (default 10, at most 1000).
        pub k: Option<usize>,
        /// Only stations within this distance: km, or with a unit (500m, 2km).
        #[ts(optional, type = "string | number")]
        #[cfg_attr(feature = "openapi", param(value_type = Option<String>))]
        pub within: Option<NumberText>,
        /// Direction of travel in degrees, 0–360 (north 0, east 90): only stations ahead.
        pub heading: Option<f64>,
        /// Half-width of the "ahead" cone in degrees, 0–180 (default 45).
        pub cone: Option<f64>,
        /// Speed for arrival times (none unless given): km/h (1–200) or a vehicle — truck (60), car (80), ebike (20).
        #[ts(optional, type = "string | number")]
        #[cfg_attr(feature = "openapi", param(value_type = Option<String>))]
        pub speed: Option<NumberText>,
        /// Departure time for arrival times, RFC 3339 (China time without an offset); default now.
        pub depart: Option<String>,
        /// Only stations known to be open on arrival (unknown hours do not count).
        pub open_on_arrival: Option<bool>,
    }
}

/// A checked nearest query.
#[derive(Debug, Clone)]
pub struct Near {
    pub at: LatLon,
    pub k: usize,
    pub filter: Filter,
}

impl NearRequest {
    pub fn check(&self, now: DateTime<Utc>) -> Result<Near, Message> {
        let crs = fields::crs("crs", self.crs.as_deref())?;
        let at = fields::position(self.lat, self.lon, crs)?;
        let k = fields::count("k", self.k, DEFAULT_RESULTS, MAX_RESULTS)?;
        let mut filter = self.filter(now)?;
        filter.max_distance_m = self
            .within
            .as_ref()
            .map(|w| fields::distance("within", w.as_str(), MAX_DISTANCE_KM))
            .transpose()?;
        filter.ahead = ahead(self.heading, self.cone)?;
        filter.arrival = arrival(
            self.speed.as_ref(),
            self.depart.as_deref(),
            self.open_on_arrival,
            None,
            now,
        )?;
        Ok(Near { at, k, filter })
    }
}

filtered_request! {
    /// Every station within a radius of a position.
    pub struct WithinRequest {
        /// Latitude in decimal degrees.
        pub lat: Option<f64>,
        /// Longitude in decimal degrees.
        pub lon: Option<f64>,
        /// The datum of lat/lon: wgs84 (default), gcj02, bd09.
        pub crs: Option<String>,
        /// The radius: km, or with a unit (500m, 2km); at most 500 km.
        #[ts(optional, type = "string | number")]
        #[cfg_attr(feature = "openapi", param(value_type = Option<String>))]
        pub radius: Option<NumberText>,
    }
}

#[derive(Debug, Clone)]
pub struct Within {
    pub at: LatLon,
    pub radius_m: f64,
    pub filter: Filter,
}

impl WithinRequest {
    pub fn check(&self, now: DateTime<Utc>) -> Result<Within, Message> {
        let crs = fields::crs("crs", self.crs.as_deref())?;
        let at = fields::position(self.lat, self.lon, crs)?;
        let radius = fields::required("radius", self.radius.as_ref())?;
        let radius_m = fields::distance("radius", radius.as_str(), MAX_RADIUS_KM)?;
        Ok(Within {
            at,
            radius_m,
            filter: self.filter(now)?,
        })
    }
}

filtered_request! {
    /// Stations inside a map view (WGS-84 box; west > east crosses the antimeridian).
    pub struct BoxRequest {
        pub south: Option<f64>,
        pub west: Option<f64>,
        pub north: Option<f64>,
        pub east: Option<f64>,
        /// At most this many, nearest the box's centre first (default 500, at most 5000).
        pub limit: Option<usize>,
    }
}

#[derive(Debug, Clone)]
pub struct InBox {
    pub bbox: BBox,
    pub limit: usize,
    pub filter: Filter,
}

impl BoxRequest {
    pub fn check(&self, now: DateTime<Utc>) -> Result<InBox, Message> {
        let lat = |field, v| fields::number(field, fields::required(field, v)?, -90.0, 90.0);
        let lon = |field, v| fields::number(field, fields::required(field, v)?, -180.0, 180.0);
        let bbox = BBox {
            south: lat("south", self.south)?,
            west: lon("west", self.west)?,
            north: lat("north", self.north)?,
            east: lon("east", self.east)?,
        };
        if bbox.south > bbox.north {
            return Err(Message::BadBox {});
        }
        let limit = fields::count("limit", self.limit, DEFAULT_BOX_RESULTS, MAX_BOX_RESULTS)?;
        Ok(InBox {
            bbox,
            limit,
            filter: self.filter(now)?,
        })
    }
}

filtered_request! {
    /// Stations by name or address; nearest first when a position is given.
    pub struct SearchRequest {
        /// The words to find (all must match), e.g. 南山 司机之家.
        pub q: Option<String>,
        /// Latitude: order by distance from here.
        pub lat: Option<f64>,
        /// Longitude: order by distance from here.
        pub lon: Option<f64>,
        /// The datum of lat/lon: wgs84 (default), gcj02, bd09.
        pub crs: Option<String>,
        /// How many results (default 10, at most 1000).
        pub k: Option<usize>,
    }
}

#[derive(Debug, Clone)]
pub struct Search {
    pub text: String,
    pub near: Option<LatLon>,
    pub k: usize,
    pub filter: Filter,
}

impl SearchRequest {
    pub fn check(&self, now: DateTime<Utc>) -> Result<Search, Message> {
        let text = fields::required("q", self.q.as_deref())?.trim();
        if text.is_empty() {
            return Err(Message::EmptyText { field: "q" });
        }
        if text.chars().count() > MAX_SEARCH_CHARS {
            return Err(Message::TooLong {
                field: "q",
                max: MAX_SEARCH_CHARS,
            });
        }
        if text.split_whitespace().count() > MAX_SEARCH_WORDS {
            return Err(Message::TooManyWords {
                field: "q",
                max: MAX_SEARCH_WORDS,
            });
        }
        let crs = fields::crs("crs", self.crs.as_deref())?;
        Ok(Search {
            text: text.to_string(),
            near: fields::optional_position(self.lat, self.lon, crs)?,
            k: fields::count("k", self.k, DEFAULT_RESULTS, MAX_RESULTS)?,
            filter: self.filter(now)?,
        })
    }
}

filtered_request! {
    /// Stations along a route (the route itself travels beside the request: a request body,
    /// a file, or an IPC argument).
    pub struct AlongRequest {
        /// How far from the route: km, or with a unit (500m, 2km); default 2 km, at most 50 km.
        #[ts(optional, type = "string | number")]
        #[cfg_attr(feature = "openapi", param(value_type = Option<String>))]
        pub within: Option<NumberText>,
        /// Speed for arrival times: km/h (1–200) or a vehicle — truck (60, the default), car (80), ebike (20).
        #[ts(optional, type = "string | number")]
        #[cfg_attr(feature = "openapi", param(value_type = Option<String>))]
        pub speed: Option<NumberText>,
        /// Departure time for arrival times, RFC 3339 (China time without an offset); default now.
        pub depart: Option<String>,
        /// Only stations known to be open on arrival (unknown hours do not count).
        pub open_on_arrival: Option<bool>,
    }
}

#[derive(Debug, Clone)]
pub struct Along {
    pub route: Route,
    pub within_m: f64,
    pub filter: Filter,
}

impl AlongRequest {
    /// `route` is GPX or GeoJSON text.
    pub fn check(&self, route: &str, now: DateTime<Utc>) -> Result<Along, Message> {
        let within_m = match &self.within {
            Some(w) => fields::distance("within", w.as_str(), MAX_ALONG_KM)?,
            None => DEFAULT_ALONG_KM * 1000.0,
        };
        let mut filter = self.filter(now)?;
        filter.arrival = arrival(
            self.speed.as_ref(),
            self.depart.as_deref(),
            self.open_on_arrival,
            Some(Vehicle::Truck),
            now,
        )?;
        let route = Route::from_text(route).map_err(|problem| Message::BadRoute { problem })?;
        let points = route.points().len();
        if points > MAX_ROUTE_POINTS {
            return Err(Message::TooManyPoints {
                given: points,
                max: MAX_ROUTE_POINTS,
            });
        }
        let km = route.length_m() / 1000.0;
        if km > MAX_ROUTE_KM {
            return Err(Message::RouteTooLong {
                km: format!("{km:.0}"),
                max: MAX_ROUTE_KM.to_string(),
            });
        }
        Ok(Along {
            route,
            within_m,
            filter,
        })
    }
}

/// One station's detail; with a position, its distance and direction from there.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
#[ts(optional_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct DetailRequest {
    /// Latitude of where the distance is measured from.
    pub lat: Option<f64>,
    /// Longitude of where the distance is measured from.
    pub lon: Option<f64>,
    /// The datum of lat/lon: wgs84 (default), gcj02, bd09.
    pub crs: Option<String>,
}

#[derive(Debug, Clone, Copy)]
pub struct DetailQuery {
    pub from: Option<LatLon>,
    pub time: chrono::NaiveDateTime,
}

impl DetailRequest {
    pub fn check(&self, now: DateTime<Utc>) -> Result<DetailQuery, Message> {
        let crs = fields::crs("crs", self.crs.as_deref())?;
        Ok(DetailQuery {
            from: fields::optional_position(self.lat, self.lon, crs)?,
            time: china_local(now),
        })
    }
}

/// What the map shows of one view: clusters, stations one by one, and place names.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
#[ts(optional_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct MapViewRequest {
    /// The view's southern edge (degrees, in `crs`).
    pub south: Option<f64>,
    /// The view's western edge.
    pub west: Option<f64>,
    /// The view's northern edge.
    pub north: Option<f64>,
    /// The view's eastern edge (not west of `west`: the map does not cross the date line).
    pub east: Option<f64>,
    /// The map's zoom, as MapLibre counts it (512-pixel tiles), 0 to 24.
    pub zoom: Option<f64>,
    /// The datum of the map's tiles: wgs84 (default) or gcj02 (Amap/Tencent tiles).
    pub crs: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MapViewQuery {
    /// The view, from its WGS-84 corners.
    pub view: WorldBox,
    pub zoom: f64,
    /// The datum to answer in.
    pub crs: Crs,
}

impl MapViewRequest {
    pub fn check(&self) -> Result<MapViewQuery, Message> {
        let crs = fields::crs("crs", self.crs.as_deref())?;
        let lat = |field, v| fields::number(field, fields::required(field, v)?, -90.0, 90.0);
        let lon = |field, v| fields::number(field, fields::required(field, v)?, -180.0, 180.0);
        let (south, west) = (lat("south", self.south)?, lon("west", self.west)?);
        let (north, east) = (lat("north", self.north)?, lon("east", self.east)?);
        let zoom = fields::number("zoom", fields::required("zoom", self.zoom)?, 0.0, 24.0)?;
        if south > north || west > east {
            return Err(Message::BadView {});
        }
        // GCJ-02 shifts a position by well under a kilometre, so the corners carry the view.
        let corner = |lat, lon| crs.to_wgs84(LatLon { lat, lon });
        let view = WorldBox::between(corner(south, west), corner(north, east));
        let cells = Clusters::cells_spanned(&view, Clusters::level_for(zoom));
        if cells > MAX_VIEW_CELLS {
            return Err(Message::ViewTooLarge {
                cells,
                max: MAX_VIEW_CELLS,
            });
        }
        Ok(MapViewQuery { view, zoom, crs })
    }
}

/// Provinces, cities, districts and counties by name.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
#[ts(optional_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct PlacesRequest {
    /// A name or part of one, e.g. 深圳 or 南山区.
    pub q: Option<String>,
    /// At most this many (default 10, at most 50).
    pub limit: Option<usize>,
}

impl PlacesRequest {
    /// The text (may be empty: no places) and the limit.
    pub fn check(&self) -> Result<(String, usize), Message> {
        let limit = fields::count("limit", self.limit, DEFAULT_PLACES, MAX_PLACES)?;
        Ok((self.q.clone().unwrap_or_default(), limit))
    }
}

/// A position from one datum to another.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
#[ts(optional_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ConvertRequest {
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// wgs84, gcj02 or bd09.
    pub from: Option<String>,
    /// wgs84, gcj02 or bd09.
    pub to: Option<String>,
}

impl ConvertRequest {
    /// The position in `to`.
    pub fn check(&self) -> Result<LatLon, Message> {
        let from: Crs = fields::id("from", fields::required("from", self.from.as_deref())?)?;
        let to: Crs = fields::id("to", fields::required("to", self.to.as_deref())?)?;
        let at = fields::position(self.lat, self.lon, from)?;
        Ok(to.from_wgs84(at))
    }
}

/// A page of the change feed.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
#[ts(optional_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ChangesRequest {
    /// The last sequence the client has applied (0 for none).
    pub since: Option<i64>,
    /// Page size (default 1000, at most 10000).
    pub limit: Option<usize>,
    /// Also the stations' confirmation tallies (`facts` entries); clients that cannot read them
    /// leave this out.
    pub facts: Option<bool>,
}

impl ChangesRequest {
    /// The sequence to start after and the page size (whether to include facts is `facts`).
    pub fn check(&self) -> Result<(i64, usize), Message> {
        let since = fields::required("since", self.since)?;
        if since < 0 {
            return Err(Message::OutOfRange {
                field: "since",
                given: since.to_string(),
                min: "0".into(),
                max: i64::MAX.to_string(),
            });
        }
        Ok((
            since,
            fields::count("limit", self.limit, DEFAULT_CHANGES, MAX_CHANGES)?,
        ))
    }
}

/// The whole catalog at one sequence (`GET /v1/snapshot`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
#[ts(optional_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct SnapshotRequest {
    /// Also every station's confirmation tallies: the body is then `{stations, facts}`
    /// instead of the array of stations older clients read.
    pub facts: Option<bool>,
}

/// An admin list (audit log, problem reports), newest first.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
#[ts(optional_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ListRequest {
    /// Only entries about this station.
    pub station: Option<String>,
    /// At most this many (default 100, at most 1000).
    pub limit: Option<usize>,
    /// The next page: only entries older than this id (the last id of the previous page).
    pub before: Option<i64>,
}

/// A page of an admin list, newest first.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ListPage<'a> {
    pub station: Option<&'a str>,
    pub limit: usize,
    /// Only entries with a smaller id (None: from the newest).
    pub before: Option<i64>,
}

impl ListRequest {
    pub fn check(&self) -> Result<ListPage<'_>, Message> {
        Ok(ListPage {
            station: self.station.as_deref(),
            limit: fields::count("limit", self.limit, DEFAULT_LIST, MAX_LIST)?,
            before: self.before,
        })
    }
}

/// The proposals admins review, newest first.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
#[ts(optional_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ProposalsRequest {
    /// Only proposals in this state: pending, approved or rejected (default: any).
    pub state: Option<String>,
    /// At most this many (default 100, at most 1000).
    pub limit: Option<usize>,
    /// The next page: only proposals older than this id.
    pub before: Option<i64>,
}

/// A checked page of proposals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProposalPage {
    pub state: Option<ProposalState>,
    pub limit: usize,
    pub before: Option<i64>,
}

impl ProposalsRequest {
    pub fn check(&self) -> Result<ProposalPage, Message> {
        Ok(ProposalPage {
            state: self
                .state
                .as_deref()
                .map(|s| fields::id("state", s))
                .transpose()?,
            limit: fields::count("limit", self.limit, DEFAULT_LIST, MAX_LIST)?,
            before: self.before,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-29T04:00:00Z")
            .unwrap()
            .to_utc()
    }

    fn near(json: serde_json::Value) -> Result<Near, Message> {
        serde_json::from_value::<NearRequest>(json)
            .expect("well-formed")
            .check(now())
    }

    #[test]
    fn one_check_owns_each_limit() {
        let ok = near(serde_json::json!({"lat": 22.5, "lon": 114.0})).unwrap();
        assert_eq!(ok.k, DEFAULT_RESULTS);
        assert!(ok.filter.ahead.is_none() && ok.filter.max_distance_m.is_none());
        let id = |v| near(v).unwrap_err().id();
        assert_eq!(id(serde_json::json!({"lat": 22.5})), "required");
        assert_eq!(id(serde_json::json!({"lat": 91, "lon": 0})), "out_of_range");
        assert_eq!(
            id(serde_json::json!({"lat": 1, "lon": 0, "k": 0})),
            "out_of_range"
        );
        assert_eq!(
            id(serde_json::json!({"lat": 1, "lon": 0, "k": 1001})),
            "out_of_range"
        );
        assert_eq!(
            id(serde_json::json!({"lat": 1, "lon": 0, "heading": 361})),
            "out_of_range"
        );
        assert_eq!(
            id(serde_json::json!({"lat": 1, "lon": 0, "cone": 30})),
            "required"
        );
        assert_eq!(
            id(serde_json::json!({"lat": 1, "lon": 0, "within": "far"})),
            "bad_distance"
        );
        let negative = near(serde_json::json!({"lat": 1, "lon": 0, "within": "-2km"})).unwrap_err();
        assert!(
            negative.both().contains("20016 km"),
            "a real bound: {negative}"
        );
        assert_eq!(
            id(serde_json::json!({"lat": 1, "lon": 0, "service": "spa"})),
            "unknown_id"
        );
        assert_eq!(
            id(serde_json::json!({"lat": 1, "lon": 0, "crs": "utm"})),
            "unknown_id"
        );
        assert_eq!(
            id(serde_json::json!({"lat": 1, "lon": 0, "open_at": "tonight"})),
            "bad_time"
        );
    }

    #[test]
    fn distances_are_km_with_units_and_headings_wrap_at_360() {
        let q = near(serde_json::json!({"lat": 1, "lon": 0, "within": "500m", "heading": 360}))
            .unwrap();
        assert_eq!(q.filter.max_distance_m, Some(500.0));
        assert_eq!(
            q.filter.ahead.map(|a| (a.heading_deg, a.cone_deg)),
            Some((0.0, 45.0))
        );
        let q = near(serde_json::json!({"lat": 1, "lon": 0, "within": 2.5})).unwrap();
        assert_eq!(q.filter.max_distance_m, Some(2500.0));
    }

    #[test]
    fn query_strings_and_json_give_the_same_request() {
        let from_query: NearRequest =
            serde_urlencoded::from_str("lat=22.5&lon=114&k=5&within=2km&service=shower,toilet")
                .unwrap();
        let from_json: NearRequest = serde_json::from_value(serde_json::json!({
            "lat": 22.5, "lon": 114.0, "k": 5, "within": "2km", "service": "shower,toilet"
        }))
        .unwrap();
        assert_eq!(from_query, from_json);
        let plain: NearRequest = serde_urlencoded::from_str("lat=1&lon=2&within=2.5").unwrap();
        assert_eq!(plain.within, Some(NumberText::from("2.5")));
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(
            serde_json::from_value::<NearRequest>(serde_json::json!({"lat": 1, "radius_m": 5}))
                .is_err()
        );
    }

    #[test]
    fn a_box_needs_south_below_north() {
        let b = BoxRequest {
            south: Some(30.0),
            west: Some(110.0),
            north: Some(20.0),
            east: Some(120.0),
            ..Default::default()
        };
        assert_eq!(b.check(now()).unwrap_err().id(), "bad_box");
    }
}
