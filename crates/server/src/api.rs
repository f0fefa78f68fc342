//! HTTP handlers: the read API, the change feed and snapshot, login, and the operator/admin
//! writes. Handlers translate HTTP to catalog calls and back; the rules live in the catalog.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::extract::{ConnectInfo, FromRequest, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::IntoParams;
use waystation_catalog::exchange::{FieldsError, station_from_fields};
use waystation_catalog::hours::china_local;
use waystation_catalog::operators::{Principal, Role};
use waystation_catalog::snapshot::{CREATED_HEADER, DIGEST_HEADER, SEQ_HEADER, SIGNATURE_HEADER};
use waystation_catalog::{Ahead, BBox, Crs, Filter, Kind, LatLon, Service, Station, Status};

use crate::error::ApiError;
use crate::limiter::RateLimits;
use crate::store::{CatalogStore, Stale};

/// Fields an operator may change on the stations assigned to them.
pub const OPERATOR_FIELDS: [&str; 6] = [
    "opening_hours",
    "services",
    "status",
    "notice",
    "phone",
    "free_truck_spaces",
];

pub struct AppState {
    pub store: Arc<dyn CatalogStore>,
    pub limiter: RateLimits,
}

pub type Shared = State<Arc<AppState>>;

/// A JSON body whose rejections are JSON errors too.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let Json(v) = Json::<T>::from_request(req, state).await?;
        Ok(ApiJson(v))
    }
}

/// Every query parameter the read API understands; each endpoint says which it needs.
#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Params {
    /// Latitude, WGS-84 decimal degrees.
    lat: Option<f64>,
    /// Longitude, WGS-84 decimal degrees.
    lon: Option<f64>,
    /// How many results (near, search; default 10, at most 1000).
    k: Option<usize>,
    /// Radius in metres (within).
    radius_m: Option<f64>,
    /// Bounding box (bbox).
    south: Option<f64>,
    west: Option<f64>,
    north: Option<f64>,
    east: Option<f64>,
    /// At most this many (bbox; default 500, at most 5000).
    limit: Option<usize>,
    /// Search text (search).
    q: Option<String>,
    /// Kinds, any of, comma-separated.
    kind: Option<String>,
    /// Services, all of, comma-separated.
    service: Option<String>,
    /// Statuses, any of, comma-separated.
    status: Option<String>,
    /// Only stations open now.
    open_now: Option<bool>,
    /// Only stations open at this RFC 3339 time.
    open_at: Option<String>,
    /// Maximum distance in km (near).
    within_km: Option<f64>,
    /// Direction of travel in degrees (near): only stations ahead.
    heading: Option<f64>,
    /// Half-width of the "ahead" cone in degrees (default 45).
    cone: Option<f64>,
}

fn list<T: std::str::FromStr>(field: &str, text: &Option<String>) -> Result<Vec<T>, ApiError>
where
    T::Err: std::fmt::Display,
{
    text.iter()
        .flat_map(|t| t.split(','))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| {
            t.parse::<T>()
                .map_err(|e| ApiError::bad_request(format!("`{field}`: {e}")))
        })
        .collect()
}

impl Params {
    fn filter(&self) -> Result<Filter, ApiError> {
        let when = match &self.open_at {
            Some(t) => chrono::DateTime::parse_from_rfc3339(t)
                .map_err(|e| {
                    ApiError::bad_request(format!("`open_at`: `{t}` is not an RFC 3339 time ({e})"))
                })?
                .to_utc(),
            None => chrono::Utc::now(),
        };
        let mut f = Filter::any_at(china_local(when));
        f.kinds = list::<Kind>("kind", &self.kind)?.into_iter().collect();
        f.services = list::<Service>("service", &self.service)?
            .into_iter()
            .collect();
        f.statuses = list::<Status>("status", &self.status)?;
        f.open_only = self.open_now.unwrap_or(false) || self.open_at.is_some();
        f.max_distance_m = self.within_km.map(|km| km * 1000.0);
        if let Some(h) = self.heading {
            let cone = self.cone.unwrap_or(45.0);
            if !(0.0..=360.0).contains(&h) || !(0.0..=180.0).contains(&cone) {
                return Err(ApiError::bad_request(
                    "`heading` must be 0-360 and `cone` 0-180 degrees",
                ));
            }
            f.ahead = Some(Ahead {
                heading_deg: h,
                cone_deg: cone,
            });
        }
        Ok(f)
    }

    fn point(&self) -> Result<LatLon, ApiError> {
        let lat = self
            .lat
            .ok_or_else(|| ApiError::bad_request("`lat` is required"))?;
        let lon = self
            .lon
            .ok_or_else(|| ApiError::bad_request("`lon` is required"))?;
        LatLon::new(lat, lon).map_err(|e| ApiError::bad_request(e.to_string()))
    }

    fn optional_point(&self) -> Result<Option<LatLon>, ApiError> {
        match (self.lat, self.lon) {
            (None, None) => Ok(None),
            _ => self.point().map(Some),
        }
    }
}

fn query(
    q: Result<Query<Params>, axum::extract::rejection::QueryRejection>,
) -> Result<Params, ApiError> {
    Ok(q?.0)
}

type QueryResult = Result<Query<Params>, axum::extract::rejection::QueryRejection>;

#[utoipa::path(get, path = "/v1/stations/near", params(Params),
    responses((status = 200, description = "The k nearest stations passing the filter, nearest first, each with distance_m, bearing_deg and open_now"),
              (status = 400, description = "A parameter is missing or invalid", body = crate::error::ErrorBody)))]
pub async fn near(State(app): Shared, q: QueryResult) -> Result<Response, ApiError> {
    let p = query(q)?;
    let k = p.k.unwrap_or(10);
    if !(1..=1000).contains(&k) {
        return Err(ApiError::bad_request("`k` must be from 1 to 1000"));
    }
    let hits = app.store.nearest(p.point()?, k, &p.filter()?)?;
    Ok(Json(hits).into_response())
}

#[utoipa::path(get, path = "/v1/stations/within", params(Params),
    responses((status = 200, description = "Every station within radius_m, nearest first"),
              (status = 400, description = "A parameter is missing or invalid", body = crate::error::ErrorBody)))]
pub async fn within(State(app): Shared, q: QueryResult) -> Result<Response, ApiError> {
    let p = query(q)?;
    let radius = p
        .radius_m
        .ok_or_else(|| ApiError::bad_request("`radius_m` is required"))?;
    if !(radius > 0.0 && radius <= 500_000.0) {
        return Err(ApiError::bad_request("`radius_m` must be from 0 to 500000"));
    }
    Ok(Json(app.store.within(p.point()?, radius, &p.filter()?)?).into_response())
}

#[utoipa::path(get, path = "/v1/stations/bbox", params(Params),
    responses((status = 200, description = "Stations inside the box, nearest its centre first"),
              (status = 400, description = "A parameter is missing or invalid", body = crate::error::ErrorBody)))]
pub async fn bbox(State(app): Shared, q: QueryResult) -> Result<Response, ApiError> {
    let p = query(q)?;
    let side = |v: Option<f64>, name: &str| {
        v.ok_or_else(|| ApiError::bad_request(format!("`{name}` is required")))
    };
    let b = BBox {
        south: side(p.south, "south")?,
        west: side(p.west, "west")?,
        north: side(p.north, "north")?,
        east: side(p.east, "east")?,
    };
    if b.south > b.north
        || LatLon::new(b.south, b.west).is_err()
        || LatLon::new(b.north, b.east).is_err()
    {
        return Err(ApiError::bad_request(
            "the box must have south ≤ north, latitudes in ±90 and longitudes in ±180",
        ));
    }
    let limit = p.limit.unwrap_or(500).min(5000);
    Ok(Json(app.store.in_box(&b, limit, &p.filter()?)?).into_response())
}

#[utoipa::path(get, path = "/v1/stations/search", params(Params),
    responses((status = 200, description = "Stations whose name or address contain every word of q"),
              (status = 400, description = "A parameter is missing or invalid", body = crate::error::ErrorBody)))]
pub async fn search(State(app): Shared, q: QueryResult) -> Result<Response, ApiError> {
    let p = query(q)?;
    let text =
        p.q.clone()
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| ApiError::bad_request("`q` is required"))?;
    let k = p.k.unwrap_or(10).clamp(1, 1000);
    Ok(Json(
        app.store
            .search(&text, p.optional_point()?, k, &p.filter()?)?,
    )
    .into_response())
}

#[utoipa::path(post, path = "/v1/stations/along", params(Params),
    request_body(content = String, description = "The route: GPX (trkpt/rtept) or GeoJSON (LineString, MultiLineString, Feature, FeatureCollection), WGS-84"),
    responses((status = 200, description = "Stations within `within_km` (default 5) of the route, in order along it, each with along_m and offset_m"),
              (status = 400, description = "A parameter or the route is invalid", body = crate::error::ErrorBody)))]
pub async fn along(State(app): Shared, q: QueryResult, body: String) -> Result<Response, ApiError> {
    let p = query(q)?;
    let within_km = p.within_km.unwrap_or(5.0);
    if !(within_km > 0.0 && within_km <= 50.0) {
        return Err(ApiError::bad_request("`within_km` must be from 0 to 50"));
    }
    let route = waystation_catalog::Route::from_text(&body)
        .map_err(|e| ApiError::bad_request(format!("route: {e}")))?;
    let mut filter = p.filter()?;
    // The distance limit is from the route, not from its start.
    filter.max_distance_m = None;
    let store = app.store.clone();
    let hits = blocking(move || store.along(&route, within_km * 1000.0, &filter)).await?;
    Ok(Json(hits).into_response())
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CrsParams {
    /// The datum of the map's tiles: wgs84 (default) or gcj02 (Amap/Tencent tiles).
    crs: Option<String>,
}

fn crs(text: Option<&str>) -> Result<Crs, ApiError> {
    text.unwrap_or("wgs84")
        .parse()
        .map_err(|e| ApiError::bad_request(format!("`crs`: {e}")))
}

#[utoipa::path(get, path = "/v1/stations/points", params(CrsParams),
    responses((status = 200, description = "Every station's id, kind and WGS-84 position in columns (ids, kinds as indexes into kind_ids, lat, lon), for the map; ETag is the change sequence"),
              (status = 304, description = "Unchanged since the ETag sent in If-None-Match")))]
pub async fn points(
    State(app): Shared,
    headers: HeaderMap,
    q: Result<Query<CrsParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(p) = q?;
    let crs = crs(p.crs.as_deref())?;
    let tag = HeaderValue::from_str(&format!("\"p{}-{}\"", app.store.head_seq()?, crs.id()))
        .map_err(|e| ApiError::invalid(e.to_string()))?;
    if headers.get(header::IF_NONE_MATCH) == Some(&tag) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, tag)]).into_response());
    }
    let store = app.store.clone();
    let points = blocking(move || store.map_points(crs)).await?;
    Ok(([(header::ETAG, tag)], Json(points)).into_response())
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ConvertParams {
    lat: f64,
    lon: f64,
    /// wgs84, gcj02 or bd09.
    from: String,
    /// wgs84, gcj02 or bd09.
    to: String,
}

#[utoipa::path(get, path = "/v1/convert", params(ConvertParams),
    responses((status = 200, description = "The position in the other datum: {lat, lon}"),
              (status = 400, description = "An unknown datum or a position out of range", body = crate::error::ErrorBody)))]
pub async fn convert(
    q: Result<Query<ConvertParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(p) = q?;
    let at = LatLon::new(p.lat, p.lon).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let (from, to) = (crs(Some(&p.from))?, crs(Some(&p.to))?);
    Ok(Json(to.from_wgs84(from.to_wgs84(at))).into_response())
}

#[utoipa::path(get, path = "/v1/vocab",
    responses((status = 200, description = "Every kind, service, status and map app with its Chinese and English label")))]
pub async fn vocab() -> Response {
    Json(waystation_catalog::model::vocabulary()).into_response()
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PlaceParams {
    /// A province, city, district or county name (or part of one), e.g. 深圳 or 南山区.
    q: String,
    /// At most this many (default 10, at most 50).
    limit: Option<usize>,
}

#[utoipa::path(get, path = "/v1/places", params(PlaceParams),
    responses((status = 200, description = "Administrative places matching q, best first, with WGS-84 centres")))]
pub async fn places(
    q: Result<Query<PlaceParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(p) = q?;
    let limit = p.limit.unwrap_or(10).clamp(1, 50);
    Ok(Json(waystation_catalog::geography::find_places(&p.q, limit)).into_response())
}

#[utoipa::path(post, path = "/v1/reports", request_body = inline(Object),
    responses((status = 202, description = "The report is kept for the catalog's admins: {\"id\": N}"),
              (status = 404, description = "No such station", body = crate::error::ErrorBody),
              (status = 422, description = "A service_missing report without `service`, or a note over 500 characters", body = crate::error::ErrorBody),
              (status = 429, description = "Too many reports from this address", body = crate::error::ErrorBody)))]
pub async fn report(
    State(app): Shared,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    ApiJson(r): ApiJson<waystation_catalog::reports::Report>,
) -> Result<Response, ApiError> {
    if let Some(wait) = app.limiter.report(addr.ip()) {
        return Ok(too_many(
            wait,
            "too_many_reports",
            "too many reports from this address",
        ));
    }
    let store = app.store.clone();
    let id = blocking(move || store.report(&r)).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({"id": id}))).into_response())
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReportParams {
    /// Only reports about this station.
    station: Option<String>,
    /// At most this many, newest first (default 100, at most 1000).
    limit: Option<usize>,
}

#[utoipa::path(get, path = "/v1/reports", params(ReportParams),
    responses((status = 200, description = "Problem reports, newest first"),
              (status = 403, description = "Admins only", body = crate::error::ErrorBody)))]
pub async fn reports(
    State(app): Shared,
    headers: HeaderMap,
    q: Result<Query<ReportParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    admin(&app, &headers)?;
    let Query(p) = q?;
    let limit = p.limit.unwrap_or(100).clamp(1, 1000);
    Ok(Json(app.store.reports(p.station.as_deref(), limit)?).into_response())
}

/// 429 with Retry-After: what was too many, and when to try again.
fn too_many(wait: u64, code: &str, what: &str) -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::RETRY_AFTER, HeaderValue::from(wait))],
        Json(json!({"code": code, "message": format!("{what}; try again in {wait} s")})),
    )
        .into_response()
}

/// Runs slow store work (password hashing, building a snapshot) off the async workers.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> crate::store::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?
        .map_err(ApiError::from)
}

fn etag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
}

fn with_etag(status: StatusCode, station: &Station) -> Response {
    (
        status,
        [(header::ETAG, etag(station.version))],
        Json(station),
    )
        .into_response()
}

#[utoipa::path(get, path = "/v1/stations/{id}", params(("id" = String, Path, description = "Station id")),
    responses((status = 200, description = "The station, with its version as the ETag"),
              (status = 404, description = "No such station", body = crate::error::ErrorBody)))]
pub async fn station(State(app): Shared, Path(id): Path<String>) -> Result<Response, ApiError> {
    Ok(with_etag(StatusCode::OK, &app.store.station(&id)?))
}

#[utoipa::path(get, path = "/v1/stations/{id}/links", params(("id" = String, Path, description = "Station id")),
    responses((status = 200, description = "Navigation hand-off links for every map app, each with the coordinates that app expects"),
              (status = 404, description = "No such station", body = crate::error::ErrorBody)))]
pub async fn links(State(app): Shared, Path(id): Path<String>) -> Result<Response, ApiError> {
    let s = app.store.station(&id)?;
    Ok(Json(waystation_catalog::links::all_links(s.location, &s.name)).into_response())
}

#[utoipa::path(get, path = "/v1/catalog/info",
    responses((status = 200, description = "Counts per kind, schema version, synthetic share, the change sequence and the public key")))]
pub async fn info(State(app): Shared) -> Result<Response, ApiError> {
    let info = app.store.info()?;
    let mut v = serde_json::to_value(info).map_err(|e| ApiError::invalid(e.to_string()))?;
    if let Some(o) = v.as_object_mut() {
        o.remove("path");
        o.insert("seq".into(), json!(app.store.head_seq()?));
        o.insert("public_key".into(), json!(app.store.public_key()));
    }
    Ok(Json(v).into_response())
}

#[utoipa::path(get, path = "/health", responses((status = 200, description = "The server and its catalog answer")))]
pub async fn health(State(app): Shared) -> Result<Response, ApiError> {
    Ok(Json(json!({"status": "ok", "seq": app.store.head_seq()?})).into_response())
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChangeParams {
    /// The last sequence the client has applied (0 for none).
    since: i64,
    /// Page size (default 1000, at most 10000).
    limit: Option<usize>,
}

#[utoipa::path(get, path = "/v1/changes", params(ChangeParams),
    responses((status = 200, description = "{changes: [{seq, op, station_id, station}], last_seq, more}; ETag is the head sequence"),
              (status = 304, description = "Nothing new since the ETag sent in If-None-Match"),
              (status = 410, description = "Behind the tombstone retention window: take GET /v1/snapshot", body = crate::error::ErrorBody)))]
pub async fn changes(
    State(app): Shared,
    headers: HeaderMap,
    q: Result<Query<ChangeParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(p) = q?;
    let limit = p.limit.unwrap_or(1000).clamp(1, 10_000);
    let head = app.store.head_seq()?;
    let tag = etag(head);
    let unchanged = headers.get(header::IF_NONE_MATCH).is_some_and(|v| v == tag);
    if unchanged && p.since >= head {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, tag)]).into_response());
    }
    match app.store.changes(p.since, limit)? {
        Ok(page) => Ok(([(header::ETAG, tag)], Json(page)).into_response()),
        Err(gone) => Err(ApiError::new(
            StatusCode::GONE,
            "gone",
            format!(
                "changes before sequence {} are no longer kept; take a snapshot: GET /v1/snapshot",
                gone.horizon
            ),
        )),
    }
}

#[utoipa::path(get, path = "/v1/snapshot",
    responses((status = 200, description = "A JSON array of every station at a sequence; headers x-waystation-seq, -created-at, -digest (SHA-256) and -signature (Ed25519 over them)")))]
pub async fn snapshot(State(app): Shared, request: HeaderMap) -> Result<Response, ApiError> {
    let store = app.store.clone();
    let published = blocking(move || store.snapshot()).await?;
    let accepts = |encoding: &str| {
        request
            .get_all(header::ACCEPT_ENCODING)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|e| {
                e.split(';')
                    .next()
                    .is_some_and(|name| name.trim() == encoding)
            })
    };
    // Pre-compressed bodies carry their Content-Encoding, so the compression layer leaves them be.
    let (encoding, body) = if accepts("zstd") {
        (Some("zstd"), published.zstd.clone())
    } else if accepts("gzip") {
        (Some("gzip"), published.gzip.clone())
    } else {
        (None, published.signed.body.clone())
    };
    let snap = &published.signed;
    let h = |v: &str| HeaderValue::from_str(v).unwrap_or_else(|_| HeaderValue::from_static(""));
    let mut headers = vec![
        (header::VARY, HeaderValue::from_static("accept-encoding")),
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        ),
        (
            header::HeaderName::from_static(SEQ_HEADER),
            h(&snap.seq.to_string()),
        ),
        (
            header::HeaderName::from_static(CREATED_HEADER),
            h(&snap.created_at),
        ),
        (
            header::HeaderName::from_static(DIGEST_HEADER),
            h(&snap.digest),
        ),
        (
            header::HeaderName::from_static(SIGNATURE_HEADER),
            h(&snap.signature),
        ),
    ];
    if let Some(e) = encoding {
        headers.push((header::CONTENT_ENCODING, HeaderValue::from_static(e)));
    }
    let mut response = body.into_response();
    for (name, value) in headers {
        response.headers_mut().insert(name, value);
    }
    Ok(response)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    username: String,
    password: String,
}

#[utoipa::path(post, path = "/v1/login", request_body = Login,
    responses((status = 200, description = "{token, expires_at}: send the token as `Authorization: Bearer`"),
              (status = 401, description = "Wrong user name or password", body = crate::error::ErrorBody),
              (status = 429, description = "Too many failed attempts for this account or address", body = crate::error::ErrorBody)))]
pub async fn login(
    State(app): Shared,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    ApiJson(body): ApiJson<Login>,
) -> Result<Response, ApiError> {
    if let Some(wait) = app.limiter.blocked_for(&body.username, addr.ip()) {
        return Ok(too_many(
            wait,
            "too_many_attempts",
            "too many failed logins",
        ));
    }
    let store = app.store.clone();
    let (user, pass) = (body.username.clone(), body.password);
    let session = blocking(move || store.login(&user, &pass)).await?;
    match session {
        Some((token, expires_at)) => {
            app.limiter.succeeded(&body.username);
            Ok(Json(json!({"token": token, "expires_at": expires_at})).into_response())
        }
        None => {
            app.limiter.failed(&body.username, addr.ip());
            Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "wrong user name or password",
            ))
        }
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

fn principal(app: &AppState, headers: &HeaderMap) -> Result<Principal, ApiError> {
    let token = bearer(headers).ok_or_else(ApiError::unauthorized)?;
    app.store
        .authenticate(token)?
        .ok_or_else(ApiError::unauthorized)
}

fn admin(app: &AppState, headers: &HeaderMap) -> Result<Principal, ApiError> {
    let who = principal(app, headers)?;
    if who.role != Role::Admin {
        return Err(ApiError::forbidden("only an admin may do this"));
    }
    Ok(who)
}

#[utoipa::path(post, path = "/v1/logout", responses((status = 204, description = "The token no longer works")))]
pub async fn logout(State(app): Shared, headers: HeaderMap) -> Result<Response, ApiError> {
    principal(&app, &headers)?;
    if let Some(token) = bearer(&headers) {
        app.store.logout(token)?;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(get, path = "/v1/me", responses((status = 200, description = "Who the token belongs to, and the stations assigned to them")))]
pub async fn me(State(app): Shared, headers: HeaderMap) -> Result<Response, ApiError> {
    let who = principal(&app, &headers)?;
    let stations = app.store.assigned(&who.username)?;
    Ok(
        Json(json!({"username": who.username, "role": who.role, "stations": stations}))
            .into_response(),
    )
}

fn fields_error(e: FieldsError) -> ApiError {
    match e {
        FieldsError::Unknown(_) => ApiError::bad_request(e.to_string()),
        FieldsError::NotAllowed(_) => ApiError::forbidden(e.to_string()),
        FieldsError::Invalid(r) => ApiError::invalid(format!("field `{}`: {}", r.field, r.problem)),
    }
}

fn if_match(headers: &HeaderMap) -> Result<i64, ApiError> {
    let value = headers.get(header::IF_MATCH).ok_or_else(|| {
        ApiError::new(
            StatusCode::PRECONDITION_REQUIRED,
            "if_match_required",
            "send If-Match with the station's ETag from GET /v1/stations/{id}",
        )
    })?;
    value
        .to_str()
        .ok()
        .map(|v| v.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| ApiError::bad_request("If-Match must be the station's ETag, e.g. \"3\""))
}

#[utoipa::path(patch, path = "/v1/stations/{id}", params(("id" = String, Path, description = "Station id")),
    responses((status = 200, description = "The station as saved, with its new ETag"),
              (status = 400, description = "Malformed JSON or an unknown field", body = crate::error::ErrorBody),
              (status = 401, description = "Not logged in", body = crate::error::ErrorBody),
              (status = 403, description = "Not your station, or a field operators may not change", body = crate::error::ErrorBody),
              (status = 412, description = "The station changed since your ETag; the body is the current station"),
              (status = 422, description = "A field's value is invalid", body = crate::error::ErrorBody),
              (status = 428, description = "If-Match is missing", body = crate::error::ErrorBody)))]
pub async fn patch_station(
    State(app): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(fields): ApiJson<Map<String, Value>>,
) -> Result<Response, ApiError> {
    let who = principal(&app, &headers)?;
    let current = app.store.station(&id)?;
    if who.role == Role::Operator && !app.store.is_assigned(&who.username, &id)? {
        return Err(ApiError::forbidden(format!(
            "station `{id}` is not assigned to you"
        )));
    }
    let expected = if_match(&headers)?;
    let role = who.role;
    let edited = station_from_fields(&fields, Some(&current), |f| {
        role == Role::Admin || OPERATOR_FIELDS.contains(&f)
    })
    .map_err(fields_error)?;
    match app
        .store
        .save_if(&edited, Some(expected), &who.username, "edit")?
    {
        Ok(saved) => Ok(with_etag(StatusCode::OK, &saved)),
        Err(Stale(now)) => Ok(with_etag(StatusCode::PRECONDITION_FAILED, &now)),
    }
}

#[utoipa::path(post, path = "/v1/stations",
    responses((status = 201, description = "Created"),
              (status = 403, description = "Admins only", body = crate::error::ErrorBody),
              (status = 409, description = "A station with this id exists; the body is it"),
              (status = 422, description = "A field's value is invalid", body = crate::error::ErrorBody)))]
pub async fn create_station(
    State(app): Shared,
    headers: HeaderMap,
    ApiJson(fields): ApiJson<Map<String, Value>>,
) -> Result<Response, ApiError> {
    let who = admin(&app, &headers)?;
    let station = station_from_fields(&fields, None, |_| true).map_err(fields_error)?;
    match app.store.save_if(&station, None, &who.username, "create")? {
        Ok(saved) => Ok(with_etag(StatusCode::CREATED, &saved)),
        Err(Stale(existing)) => Ok(with_etag(StatusCode::CONFLICT, &existing)),
    }
}

#[utoipa::path(delete, path = "/v1/stations/{id}", params(("id" = String, Path, description = "Station id")),
    responses((status = 204, description = "Deleted; clients receive a tombstone"),
              (status = 403, description = "Admins only", body = crate::error::ErrorBody),
              (status = 404, description = "No such station", body = crate::error::ErrorBody)))]
pub async fn delete_station(
    State(app): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let who = admin(&app, &headers)?;
    app.store.delete(&id, &who.username)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Assignment {
    username: String,
    station_id: String,
}

#[utoipa::path(post, path = "/v1/assignments", request_body = Assignment,
    responses((status = 204, description = "The operator may now edit the station"),
              (status = 403, description = "Admins only", body = crate::error::ErrorBody),
              (status = 422, description = "No such user or station", body = crate::error::ErrorBody)))]
pub async fn assign(
    State(app): Shared,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Assignment>,
) -> Result<Response, ApiError> {
    let who = admin(&app, &headers)?;
    app.store
        .assign(&body.username, &body.station_id)
        .map_err(|e| ApiError::invalid(e.to_string()))?;
    tracing::info!(admin = %who.username, user = %body.username, station = %body.station_id, "assigned");
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Newest first; default 100, at most 1000.
    limit: Option<usize>,
}

#[utoipa::path(get, path = "/v1/audit", params(AuditParams),
    responses((status = 200, description = "Who wrote what, when; newest first"),
              (status = 403, description = "Admins only", body = crate::error::ErrorBody)))]
pub async fn audit(
    State(app): Shared,
    headers: HeaderMap,
    q: Result<Query<AuditParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    admin(&app, &headers)?;
    let Query(p) = q?;
    Ok(Json(app.store.audit(p.limit.unwrap_or(100).clamp(1, 1000))?).into_response())
}
