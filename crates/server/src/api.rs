//! HTTP handlers: the read API, the change feed and snapshot, login, and the operator/admin
//! writes. Handlers translate HTTP to catalog calls and back; the rules live in the catalog.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use waystation_catalog::geography::{PlaceHit, find_places};
use waystation_catalog::request::{
    AlongRequest, BoxRequest, ChangesRequest, ConvertRequest, DetailRequest, Editor, ListRequest,
    MapViewRequest, NearRequest, PlacesRequest, SearchRequest, SnapshotRequest, WithinRequest,
    check_patch,
};
use waystation_catalog::signed::{
    CREATED_HEADER, DIGEST_HEADER, HEAD_HEADER, KEY_HEADER, PAGE_SIGNATURE_HEADER, SEQ_HEADER,
    SIGNATURE_HEADER, SNAPSHOT_REFERENCE_HEADER,
};
use waystation_catalog::store::accounts::{Principal, Role};
use waystation_catalog::vocabulary::{Vocabulary, vocabulary};
use waystation_catalog::{LatLon, Query as CheckedQuery, Station};

use crate::accounts;
use crate::encoding::{self, Encoding};
use crate::error::ApiError;
use crate::limiter::{Anonymous, LoginAttempt, RateLimits};
use crate::snapshots::PublishedSnapshot;
use crate::snapshots::Publisher;
use crate::store::{CatalogStore, Stale};
use crate::workers::Workers;
use waystation_catalog::CatalogError;

pub struct AppState {
    /// See `Options::trusted_proxy`.
    pub trusted_proxy: Option<std::net::IpAddr>,
    pub store: Arc<dyn CatalogStore>,
    pub publisher: Publisher,
    pub limiter: RateLimits,
    /// Long queries (see `hits`) on threads of their own at a lower priority: one fewer than
    /// the cores, at least one.
    pub long_queries: Workers,
    /// Password checks and hashes (Argon2id: 19 MiB and a core for a moment each) on a few
    /// threads of their own, so a burst of logins queues instead of exhausting memory.
    pub hashers: Workers,
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

/// A query string read into a request type (unknown fields refused); a string that does not
/// parse is refused with the request layer's message (`unknown_field`, `bad_input`).
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        serde_urlencoded::from_str(parts.uri.query().unwrap_or_default())
            .map(ApiQuery)
            .map_err(|e| waystation_catalog::Message::unreadable(&e.to_string()).into())
    }
}

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

/// Answers a checked query. A short nearest query answers on the async worker (tens of
/// microseconds); anything that may walk far (a route, a radius, a map view, a text search,
/// a long list) runs on the long-query threads, few and at a lower priority, so they can
/// never occupy every worker and every core while short queries wait.
async fn hits(
    app: &Arc<AppState>,
    request: &HeaderMap,
    query: CheckedQuery,
) -> Result<Response, ApiError> {
    let asked = Encoding::asked(request);
    if matches!(&query, CheckedQuery::Near(near) if near.k <= LIGHT_NEAREST) {
        return answer(asked, &app.store.hits(&query)?);
    }
    // A long answer (up to megabytes) is written and compressed where it was found.
    let store = app.store.clone();
    long_query(app, move || answer(asked, &store.hits(&query)?)).await
}

/// `value` as JSON, compressed in one go as asked.
fn answer(asked: Encoding, value: &impl serde::Serialize) -> Result<Response, ApiError> {
    let json = serde_json::to_vec(value).map_err(ApiError::internal)?;
    Ok(encoding::json_answer(asked, json))
}

/// Runs `work` on a long-query thread; busy (503) when their queue is full.
async fn long_query<T: Send + 'static, E: Into<ApiError> + Send + 'static>(
    app: &AppState,
    work: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, ApiError> {
    app.long_queries
        .run(work)
        .await
        .map_err(ApiError::from)?
        .map_err(Into::into)
}

/// Nearest queries up to this many results count as short.
const LIGHT_NEAREST: usize = 100;

#[utoipa::path(get, path = "/v1/stations/near", params(NearRequest),
    responses((status = 200, description = "The k nearest stations passing the filter, nearest first: hits with distance_m, bearing_deg, open_now and changes_at"),
              (status = 400, description = "A parameter is missing or invalid; message_id names the rule", body = crate::error::ErrorBody)))]
pub async fn near(
    State(app): Shared,
    headers: HeaderMap,
    ApiQuery(r): ApiQuery<NearRequest>,
) -> Result<Response, ApiError> {
    hits(&app, &headers, CheckedQuery::Near(r.check(now())?)).await
}

#[utoipa::path(get, path = "/v1/stations/within", params(WithinRequest),
    responses((status = 200, description = "Every station within `radius` (km, or with a unit), nearest first"),
              (status = 400, description = "A parameter is missing or invalid", body = crate::error::ErrorBody)))]
pub async fn within(
    State(app): Shared,
    headers: HeaderMap,
    ApiQuery(r): ApiQuery<WithinRequest>,
) -> Result<Response, ApiError> {
    hits(&app, &headers, CheckedQuery::Within(r.check(now())?)).await
}

#[utoipa::path(get, path = "/v1/stations/bbox", params(BoxRequest),
    responses((status = 200, description = "Stations inside the box, nearest its centre first"),
              (status = 400, description = "A parameter is missing or invalid", body = crate::error::ErrorBody)))]
pub async fn bbox(
    State(app): Shared,
    headers: HeaderMap,
    ApiQuery(r): ApiQuery<BoxRequest>,
) -> Result<Response, ApiError> {
    hits(&app, &headers, CheckedQuery::InBox(r.check(now())?)).await
}

#[utoipa::path(get, path = "/v1/stations/search", params(SearchRequest),
    responses((status = 200, description = "Stations whose name or address contain every word of q; nearest first with lat/lon"),
              (status = 400, description = "A parameter is missing or invalid", body = crate::error::ErrorBody)))]
pub async fn search(
    State(app): Shared,
    headers: HeaderMap,
    ApiQuery(r): ApiQuery<SearchRequest>,
) -> Result<Response, ApiError> {
    hits(&app, &headers, CheckedQuery::Search(r.check(now())?)).await
}

#[utoipa::path(post, path = "/v1/stations/along", params(AlongRequest),
    request_body(content = String, description = "The route: GPX (trkpt/rtept) or GeoJSON (LineString, MultiLineString, Feature, FeatureCollection), WGS-84"),
    responses((status = 200, description = "Stations within `within` (default 2 km) of the route, in order along it, each with along_m and offset_m"),
              (status = 400, description = "A parameter or the route is invalid", body = crate::error::ErrorBody)))]
pub async fn along(
    State(app): Shared,
    ApiQuery(r): ApiQuery<AlongRequest>,
    headers: HeaderMap,
    body: String,
) -> Result<Response, ApiError> {
    // Reading a route of megabytes is long work too: on a long-query thread.
    let store = app.store.clone();
    let asked = Encoding::asked(&headers);
    long_query(&app, move || {
        answer(
            asked,
            &store.hits(&CheckedQuery::Along(r.check(&body, now())?))?,
        )
    })
    .await
}

#[utoipa::path(get, path = "/v1/map", params(MapViewRequest),
    responses((status = 200, description = "What the map shows of a view, in columns: clusters (lat, lon, count, the zoom each parts at), the stations drawn alone (ids, kinds as indexes into kind_ids, lat, lon) and place names (names, lat, lon, rank); ETag is the change sequence"),
              (status = 304, description = "Unchanged since the ETag sent in If-None-Match"),
              (status = 400, description = "A parameter is invalid, or the view spans too many cells for its zoom", body = crate::error::ErrorBody)))]
pub async fn map_view(
    State(app): Shared,
    headers: HeaderMap,
    ApiQuery(r): ApiQuery<MapViewRequest>,
) -> Result<Response, ApiError> {
    let q = r.check()?;
    // The same view of the same catalog draws the same: a browser's repeat is a 304.
    let tag = HeaderValue::from_str(&format!("\"m{}\"", app.store.head_seq()?))
        .map_err(ApiError::internal)?;
    if headers.get(header::IF_NONE_MATCH) == Some(&tag) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, tag)]).into_response());
    }
    let store = app.store.clone();
    // The first view after a change makes the clusters (tens of milliseconds): off the workers.
    let asked = Encoding::asked(&headers);
    let mut response = long_query(&app, move || answer(asked, &store.map_view(&q)?)).await?;
    response.headers_mut().insert(header::ETAG, tag);
    Ok(response)
}

#[utoipa::path(get, path = "/v1/convert", params(ConvertRequest),
    responses((status = 200, description = "The position in the other datum: {lat, lon}"),
              (status = 400, description = "An unknown datum or a position out of range", body = crate::error::ErrorBody)))]
pub async fn convert(ApiQuery(r): ApiQuery<ConvertRequest>) -> Result<Json<LatLon>, ApiError> {
    Ok(Json(r.check()?))
}

#[utoipa::path(get, path = "/v1/vocab",
    responses((status = 200, description = "Every kind, service, status and map app with its Chinese and English label")))]
pub async fn vocab() -> Json<Vocabulary> {
    Json(vocabulary())
}

#[utoipa::path(get, path = "/v1/places", params(PlacesRequest),
    responses((status = 200, description = "Administrative places matching q, best first, with WGS-84 centres")))]
pub async fn places(ApiQuery(r): ApiQuery<PlacesRequest>) -> Result<Json<Vec<PlaceHit>>, ApiError> {
    let (text, limit) = r.check()?;
    Ok(Json(find_places(&text, limit)))
}

#[utoipa::path(post, path = "/v1/reports", request_body = inline(Object),
    responses((status = 202, description = "The report is kept for the catalog's admins: {\"id\": N}"),
              (status = 404, description = "No such station", body = crate::error::ErrorBody),
              (status = 422, description = "A service_missing report without `service`, or a note over 500 characters", body = crate::error::ErrorBody),
              (status = 429, description = "Too many reports from this address", body = crate::error::ErrorBody)))]
pub async fn report(
    State(app): Shared,
    ClientAddr(addr): ClientAddr,
    ApiJson(r): ApiJson<waystation_catalog::reports::Report>,
) -> Result<Response, ApiError> {
    if let Some(wait) = app.limiter.anonymous(Anonymous::Report, addr, None) {
        return Err(ApiError::too_many(
            wait,
            "too_many_reports",
            "too many reports from this address",
        ));
    }
    let id = on_store(&app, move |store| store.report(&r)).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({"id": id}))).into_response())
}

#[utoipa::path(get, path = "/v1/reports", params(ListRequest),
    responses((status = 200, description = "Problem reports, newest first"),
              (status = 403, description = "Admins only", body = crate::error::ErrorBody)))]
pub async fn reports(
    State(app): Shared,
    _: Admin,
    ApiQuery(r): ApiQuery<ListRequest>,
) -> Result<Response, ApiError> {
    let reports =
        move |store: &dyn CatalogStore| -> Result<_, ApiError> { Ok(store.reports(&r.check()?)?) };
    Ok(Json(on_store(&app, reports).await?).into_response())
}

/// Runs slow work (building a snapshot) off the async workers.
async fn blocking<T: Send + 'static, E: Into<ApiError> + Send + 'static>(
    work: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(ApiError::internal)?
        .map_err(Into::into)
}

/// Runs store work that takes the writer's lock — every write, which also waits for the disk
/// before it returns — on a blocking thread, so no async worker (and no short query queued on
/// it) waits for a write.
pub(crate) async fn on_store<T: Send + 'static, E: Into<ApiError> + Send + 'static>(
    app: &AppState,
    work: impl FnOnce(&dyn CatalogStore) -> Result<T, E> + Send + 'static,
) -> Result<T, ApiError> {
    let store = app.store.clone();
    blocking(move || work(store.as_ref())).await
}

fn etag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
}

pub(crate) fn with_etag(status: StatusCode, station: &Station) -> Response {
    (
        status,
        [(header::ETAG, etag(station.version))],
        Json(station),
    )
        .into_response()
}

#[utoipa::path(get, path = "/v1/stations/{id}", params(("id" = String, Path, description = "Station id"), DetailRequest),
    responses((status = 200, description = "The station's detail: its hit (distance_m and bearing_deg from lat/lon when given, open_now, changes_at) and its navigation links; ETag is its version"),
              (status = 404, description = "No such station", body = crate::error::ErrorBody)))]
pub async fn station(
    State(app): Shared,
    Path(id): Path<String>,
    ApiQuery(r): ApiQuery<DetailRequest>,
) -> Result<Response, ApiError> {
    let detail = app.store.detail(&id, &r.check(now())?)?;
    let tag = etag(detail.hit.station.version);
    Ok(([(header::ETAG, tag)], Json(detail)).into_response())
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
    let info = on_store(&app, |store| store.info()).await?;
    let mut v = serde_json::to_value(info).map_err(|e| ApiError::invalid(e.to_string()))?;
    if let Some(o) = v.as_object_mut() {
        o.remove("path");
        o.insert("seq".into(), json!(app.store.head_seq()?));
        o.insert("public_key".into(), json!(app.publisher.public_key()));
    }
    Ok(Json(v).into_response())
}

#[utoipa::path(get, path = "/health", responses((status = 200, description = "The server and its catalog answer")))]
pub async fn health(State(app): Shared) -> Result<Response, ApiError> {
    Ok(Json(json!({"status": "ok", "seq": app.store.head_seq()?})).into_response())
}

#[utoipa::path(get, path = "/v1/head",
    responses((status = 200, description = "The signed head: {seq, issued_at, expires_at, signature, public_key}; the same head rides on every /v1/changes and /v1/snapshot answer in x-waystation-head")))]
pub async fn head(State(app): Shared) -> Result<Response, ApiError> {
    let head = app.publisher.head(app.store.head_seq()?);
    let body = json!({
        "seq": head.seq,
        "issued_at": head.issued_at,
        "expires_at": head.expires_at,
        "signature": head.signature,
        "public_key": app.publisher.public_key(),
    });
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response())
}

/// The key this server signs with now, so a client pinned to an older one knows to follow
/// the rotations (GET /v1/keys).
fn key_header(app: &AppState) -> Result<(HeaderName, HeaderValue), ApiError> {
    let value = HeaderValue::from_str(&app.publisher.public_key())
        .map_err(|e| ApiError::internal(format!("key header: {e}")))?;
    Ok((HeaderName::from_static(KEY_HEADER), value))
}

#[utoipa::path(get, path = "/v1/keys",
    responses((status = 200, description = "{current, rotations}: the key the server signs with now, and each handover from an earlier key, signed by the key it replaces (oldest first)")))]
pub async fn keys(State(app): Shared) -> Result<Response, ApiError> {
    Ok(Json(json!({
        "current": app.publisher.public_key(),
        "rotations": app.publisher.rotations(),
    }))
    .into_response())
}

/// The signed head for a sequence the answer has reached (at least `seq`), as a header.
fn head_header(app: &AppState, seq: i64) -> Result<(HeaderName, HeaderValue), ApiError> {
    let head = app.publisher.head(app.store.head_seq()?.max(seq));
    let value = HeaderValue::from_str(&head.header_value())
        .map_err(|e| ApiError::internal(format!("head header: {e}")))?;
    Ok((HeaderName::from_static(HEAD_HEADER), value))
}

#[utoipa::path(get, path = "/v1/changes", params(ChangesRequest),
    responses((status = 200, description = "{changes: [{seq, op, station_id, station}], last_seq, more}; ETag is the head sequence; x-waystation-page-signature signs since, last_seq, more and the body's SHA-256; x-waystation-head is the signed head"),
              (status = 304, description = "Nothing new since the ETag sent in If-None-Match (with the signed head, so a client can tell a quiet feed from a frozen one)"),
              (status = 410, description = "Behind the tombstone retention window: take GET /v1/snapshot", body = crate::error::ErrorBody)))]
pub async fn changes(
    State(app): Shared,
    headers: HeaderMap,
    ApiQuery(r): ApiQuery<ChangesRequest>,
) -> Result<Response, ApiError> {
    let (since, limit) = r.check()?;
    let mut head = app.store.head_seq()?;
    if since > head {
        // This server may be behind (a replica that has not yet followed a write the client
        // read through another): it waits a moment for news before calling the client ahead.
        head = on_store(&app, move |store| {
            once_caught_up(store, || {
                let head = store.head_seq()?;
                Ok((head >= since, head))
            })
        })
        .await?;
    }
    let tag = etag(head);
    let unchanged = headers.get(header::IF_NONE_MATCH).is_some_and(|v| v == tag);
    // A client ahead of this server (a server restored from a backup, or a made-up `since`)
    // takes a snapshot; the server never signs a head for a sequence it has not reached.
    if since > head {
        return Err(ApiError::new(
            StatusCode::GONE,
            "ahead",
            format!(
                "sequence {since} is ahead of this catalog's {head}; take a snapshot: GET /v1/snapshot"
            ),
        ));
    }
    if unchanged && since >= head {
        let signed = head_header(&app, head)?;
        let key = key_header(&app)?;
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, tag), signed, key]).into_response());
    }
    let with_facts = r.facts.unwrap_or(false);
    let page = match on_store(&app, move |store| store.changes(since, limit, with_facts)).await? {
        Ok(page) => page,
        Err(gone) => {
            return Err(ApiError::new(
                StatusCode::GONE,
                "gone",
                format!(
                    "changes before sequence {} are no longer kept; take a snapshot: GET /v1/snapshot",
                    gone.horizon
                ),
            ));
        }
    };
    let body = serde_json::to_vec(&page).map_err(|e| ApiError::internal(e.to_string()))?;
    let signature = app
        .publisher
        .sign_page(since, page.last_seq, page.more, &body);
    let signature = HeaderValue::from_str(&signature)
        .map_err(|e| ApiError::internal(format!("page signature: {e}")))?;
    let headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        ),
        (header::ETAG, tag),
        (HeaderName::from_static(PAGE_SIGNATURE_HEADER), signature),
        head_header(&app, page.last_seq)?,
        key_header(&app)?,
    ];
    Ok((headers, body).into_response())
}

#[utoipa::path(get, path = "/v1/snapshot", params(SnapshotRequest),
    responses((status = 200, description = "Every station at a sequence: a JSON array, or with facts=true {stations, facts} (the tallies too); headers x-waystation-seq, -created-at, -digest (SHA-256) and -signature (Ed25519 over them), and the signed head; Content-Location names the same snapshot's immutable URL. Possibly a few minutes behind the head: page forward from its sequence"),
              (status = 303, description = "With `x-waystation-snapshot: by-reference`: the signed head here, the snapshot at Location (/v1/snapshots/{seq}, immutable, cacheable by any CDN)"),
              (status = 400, description = "An unknown or malformed parameter", body = crate::error::ErrorBody)))]
pub async fn snapshot(
    State(app): Shared,
    request: HeaderMap,
    ApiQuery(r): ApiQuery<SnapshotRequest>,
) -> Result<Response, ApiError> {
    let state = app.clone();
    let with_facts = r.facts.unwrap_or(false);
    let published =
        blocking(move || state.publisher.current(state.store.as_ref(), with_facts)).await?;
    let seq = published.signed.seq;
    let location = format!(
        "/v1/snapshots/{seq}{}",
        if with_facts { "?facts=true" } else { "" }
    );
    let location = HeaderValue::from_str(&location).map_err(ApiError::internal)?;
    let mut common = vec![
        head_header(&app, seq)?,
        key_header(&app)?,
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ];
    let by_reference = request
        .get(SNAPSHOT_REFERENCE_HEADER)
        .is_some_and(|v| v.as_bytes() == b"by-reference");
    if by_reference {
        common.push((header::LOCATION, location));
        let mut response = StatusCode::SEE_OTHER.into_response();
        response.headers_mut().extend(common);
        return Ok(response);
    }
    common.push((header::CONTENT_LOCATION, location));
    let mut response = snapshot_answer(&published, &request);
    response.headers_mut().extend(common);
    Ok(response)
}

/// What an immutable snapshot may be cached for: a year (its URL names its position, and its
/// bytes never change).
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

#[utoipa::path(get, path = "/v1/snapshots/{seq}", params(("seq" = i64, Path, description = "The snapshot's sequence, as /v1/snapshot names it"), SnapshotRequest),
    responses((status = 200, description = "The snapshot published at this sequence, as /v1/snapshot sends it but without the head (fetch that from /v1/head or /v1/snapshot): immutable, cacheable for a year"),
              (status = 404, description = "No snapshot kept at this sequence (only the newest are): ask /v1/snapshot", body = crate::error::ErrorBody)))]
pub async fn snapshot_at(
    State(app): Shared,
    Path(seq): Path<i64>,
    request: HeaderMap,
    ApiQuery(r): ApiQuery<SnapshotRequest>,
) -> Result<Response, ApiError> {
    let state = app.clone();
    let with_facts = r.facts.unwrap_or(false);
    let published =
        blocking(move || state.publisher.at(state.store.as_ref(), seq, with_facts)).await?;
    let Some(published) = published else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no snapshot is kept at sequence {seq}; ask GET /v1/snapshot"),
        ));
    };
    let mut response = snapshot_answer(&published, &request);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
    Ok(response)
}

/// A published snapshot in the encoding the request accepts (pre-compressed bodies carry their
/// Content-Encoding, so the compression layer leaves them be), with its signed statement.
fn snapshot_answer(published: &PublishedSnapshot, request: &HeaderMap) -> Response {
    let encoding = Encoding::asked(request);
    let body = match encoding {
        Encoding::Zstd => published.zstd.clone(),
        Encoding::Gzip => published.gzip.clone(),
        Encoding::Identity => published.signed.body.clone(),
    };
    let snap = &published.signed;
    let h = |v: &str| HeaderValue::from_str(v).unwrap_or_else(|_| HeaderValue::from_static(""));
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(
        HeaderName::from_static(SEQ_HEADER),
        h(&snap.seq.to_string()),
    );
    headers.insert(HeaderName::from_static(CREATED_HEADER), h(&snap.created_at));
    headers.insert(HeaderName::from_static(DIGEST_HEADER), h(&snap.digest));
    headers.insert(
        HeaderName::from_static(SIGNATURE_HEADER),
        h(&snap.signature),
    );
    if let Some(value) = encoding.header() {
        headers.insert(header::CONTENT_ENCODING, value);
    }
    response
}

/// How long a request waits for this server to catch up with what its client has already seen
/// through another replica.
const CATCH_UP_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// What `look` finds once it says this server has caught up with what its client has seen
/// through another replica, or as it stands when no news comes within `CATCH_UP_WAIT`: a look
/// that is not settled waits for the store's next news and looks again. Call it off the async
/// workers.
fn once_caught_up<T>(
    store: &dyn CatalogStore,
    mut look: impl FnMut() -> Result<(bool, T), CatalogError>,
) -> Result<T, CatalogError> {
    let deadline = std::time::Instant::now() + CATCH_UP_WAIT;
    loop {
        let head = store.head_seq()?;
        let (settled, found) = look()?;
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if settled || store.wait_for_news(head, left)? == head {
            return Ok(found);
        }
    }
}

/// A user's stored role and password hash, for `attempt` to check; when the store cannot say
/// (its database out of reach), the attempt does not count against anyone.
async fn credentials<'a>(
    app: &AppState,
    attempt: LoginAttempt<'a>,
    username: String,
) -> Result<(LoginAttempt<'a>, Option<(Role, String)>), ApiError> {
    match on_store(app, move |store| store.credentials(&username)).await {
        Ok(found) => Ok((attempt, found)),
        Err(e) => {
            attempt.not_checked();
            Err(e)
        }
    }
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
    ClientAddr(addr): ClientAddr,
    ApiJson(body): ApiJson<Login>,
) -> Result<Response, ApiError> {
    // A name that cannot exist is answered without hashing anything.
    if !accounts::valid_name(&body.username) {
        return Err(ApiError::bad_request(
            "用户名为 1–32 个小写字母、数字或 . _ - — a user name is 1–32 of a-z, 0-9, . _ -",
        ));
    }
    // Counted before the password is checked, so parallel guesses cannot pass the count.
    let attempt = app
        .limiter
        .begin_login(&body.username, addr)
        .map_err(|wait| ApiError::too_many(wait, "too_many_attempts", "too many failed logins"))?;
    let (attempt, found) = credentials(&app, attempt, body.username.clone()).await?;
    let checked = found
        .as_ref()
        .map(|(_, hash)| hash.clone())
        .unwrap_or_default();
    let Ok(right) = check_password(&app, found, body.password).await else {
        attempt.not_checked();
        return Err(ApiError::busy(1));
    };
    let wrong = || {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "用户名或密码错误 — wrong user name or password",
        )
    };
    if !right {
        return Err(wrong());
    }
    let session = accounts::new_session();
    let (token_hash, username, expires_at) = (
        session.token_hash.clone(),
        body.username.clone(),
        session.expires_at.clone(),
    );
    let started = on_store(&app, move |store| {
        store.start_session(&token_hash, &username, &expires_at, &checked)
    })
    .await?;
    if !started {
        // The password was set (or the account removed) while this one was being checked.
        return Err(wrong());
    }
    attempt.succeeded();
    Ok(private(
        json!({"token": session.token, "expires_at": session.expires_at}),
    ))
}

pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// The client's address, for the limits: the TCP peer, or — when the peer is the configured
/// reverse proxy — the address the proxy appended last to `X-Forwarded-For`.
pub struct ClientAddr(pub std::net::IpAddr);

impl FromRequestParts<Arc<AppState>> for ClientAddr {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<AppState>) -> Result<Self, ApiError> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .ok_or_else(|| ApiError::internal("the connection's address is unknown"))?;
        if app.trusted_proxy != Some(peer) {
            return Ok(ClientAddr(peer));
        }
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .next_back()
            .and_then(|a| a.trim().parse().ok());
        Ok(ClientAddr(forwarded.unwrap_or(peer)))
    }
}

/// Whoever a valid `Authorization: Bearer` token belongs to (401 otherwise).
pub struct Session {
    pub who: Principal,
    token_hash: String,
}

impl FromRequestParts<Arc<AppState>> for Session {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, app: &Arc<AppState>) -> Result<Self, ApiError> {
        let token = bearer(&parts.headers).ok_or_else(ApiError::unauthorized)?;
        let token_hash = accounts::token_hash(token);
        let hash = token_hash.clone();
        let who = on_store(app, move |store| store.session(&hash))
            .await?
            .ok_or_else(ApiError::unauthorized)?;
        Ok(Session { who, token_hash })
    }
}

/// A session whose role is admin (403 otherwise).
pub struct Admin(pub Principal);

impl FromRequestParts<Arc<AppState>> for Admin {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, app: &Arc<AppState>) -> Result<Self, ApiError> {
        let Session { who, .. } = Session::from_request_parts(parts, app).await?;
        if who.role != Role::Admin {
            return Err(ApiError::forbidden(
                "只有管理员可以这样做 — only an admin may do this",
            ));
        }
        Ok(Admin(who))
    }
}

#[utoipa::path(post, path = "/v1/logout", responses((status = 204, description = "The token no longer works")))]
pub async fn logout(State(app): Shared, session: Session) -> Result<Response, ApiError> {
    on_store(&app, move |store| store.end_session(&session.token_hash)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(get, path = "/v1/me", responses((status = 200, description = "Who the token belongs to, and the stations assigned to them")))]
pub async fn me(State(app): Shared, Session { who, .. }: Session) -> Result<Response, ApiError> {
    let name = who.username.clone();
    let stations = on_store(&app, move |store| store.assigned(&name)).await?;
    Ok(private(
        json!({"username": who.username, "role": who.role, "stations": stations}),
    ))
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
    request_body(content = inline(Object), description = "Only the fields to change, as in a station (name, address, services, hours, phone, status, notice, …); operators may change their own stations' facts only"),
    responses((status = 200, description = "The station as saved, with its new ETag"),
              (status = 400, description = "Malformed JSON or an unknown field", body = crate::error::ErrorBody),
              (status = 401, description = "Not logged in", body = crate::error::ErrorBody),
              (status = 403, description = "Not your station, or a field operators may not change", body = crate::error::ErrorBody),
              (status = 404, description = "No such station", body = crate::error::ErrorBody),
              (status = 412, description = "The station changed since your ETag; the body is the current station"),
              (status = 422, description = "A field's value is invalid", body = crate::error::ErrorBody),
              (status = 428, description = "If-Match is missing", body = crate::error::ErrorBody)))]
pub async fn patch_station(
    State(app): Shared,
    Path(id): Path<String>,
    Session { who, .. }: Session,
    headers: HeaderMap,
    ApiJson(fields): ApiJson<Map<String, Value>>,
) -> Result<Response, ApiError> {
    let expected = if_match(&headers)?;
    // The client may have seen a newer version than this server holds (a replica behind
    // another's write, or a station just created there): it waits a moment for news, so the
    // edit is made to the version the client names.
    let station = id.clone();
    let current = on_store(&app, move |store| {
        once_caught_up(store, || {
            let found = store.station(&station);
            let settled = match &found {
                Ok(current) => current.version >= expected,
                Err(CatalogError::NotFound(_)) => false,
                Err(_) => true,
            };
            Ok((settled, found))
        })?
    })
    .await?;
    // The edit is built from the station at the version the client names, or not at all.
    if current.version != expected {
        return Ok(with_etag(StatusCode::PRECONDITION_FAILED, &current));
    }
    let editor = match who.role {
        Role::Admin => Editor::Admin,
        Role::Operator => Editor::Operator,
    };
    let (name, station) = (who.username.clone(), id.clone());
    if editor == Editor::Operator
        && !on_store(&app, move |store| store.is_assigned(&name, &station)).await?
    {
        return Err(ApiError::forbidden(format!(
            "站点 `{id}` 未分配给你 — station `{id}` is not assigned to you"
        )));
    }
    let edited = check_patch(&fields, Some(&current), editor)?;
    // An operator who saves their listing vouches for what it says now.
    let saving = move |store: &dyn CatalogStore| match editor {
        Editor::Operator => store.save_listing_if(&edited, expected, &who.username),
        Editor::Admin => store.save_if(&edited, Some(expected), &who.username, "edit"),
    };
    match on_store(&app, saving).await? {
        Ok(saved) => Ok(with_etag(StatusCode::OK, &saved)),
        Err(Stale(now)) => Ok(with_etag(StatusCode::PRECONDITION_FAILED, &now)),
    }
}

#[utoipa::path(post, path = "/v1/stations",
    request_body(content = inline(Object), description = "A whole station: id, kind, name, position (lat, lon in WGS-84), services, hours, …"),
    responses((status = 201, description = "Created"),
              (status = 403, description = "Admins only", body = crate::error::ErrorBody),
              (status = 409, description = "A station with this id exists; the body is it"),
              (status = 422, description = "A field's value is invalid", body = crate::error::ErrorBody)))]
pub async fn create_station(
    State(app): Shared,
    Admin(who): Admin,
    ApiJson(fields): ApiJson<Map<String, Value>>,
) -> Result<Response, ApiError> {
    let station = check_patch(&fields, None, Editor::Admin)?;
    let saving =
        move |store: &dyn CatalogStore| store.save_if(&station, None, &who.username, "create");
    match on_store(&app, saving).await? {
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
    Admin(who): Admin,
) -> Result<Response, ApiError> {
    on_store(&app, move |store| store.delete(&id, &who.username)).await?;
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
              (status = 404, description = "No such user or station", body = crate::error::ErrorBody)))]
pub async fn assign(
    State(app): Shared,
    Admin(who): Admin,
    ApiJson(body): ApiJson<Assignment>,
) -> Result<Response, ApiError> {
    tracing::info!(admin = %who.username, user = %body.username, station = %body.station_id, "assigning");
    on_store(&app, move |store| {
        store.assign(&body.username, &body.station_id, &who.username)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(delete, path = "/v1/assignments/{username}/{station_id}",
    params(("username" = String, Path, description = "The operator"), ("station_id" = String, Path, description = "The station")),
    responses((status = 204, description = "The operator may no longer edit the station"),
              (status = 403, description = "Admins only", body = crate::error::ErrorBody),
              (status = 404, description = "The station was not theirs", body = crate::error::ErrorBody)))]
pub async fn unassign(
    State(app): Shared,
    Admin(who): Admin,
    Path((username, station_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    on_store(&app, move |store| {
        store.unassign(&username, &station_id, &who.username)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Account answers are nobody else's: no cache may keep them.
pub(crate) fn private(body: Value) -> Response {
    ([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

#[utoipa::path(get, path = "/v1/users",
    responses((status = 200, description = "Every account: username, role, created_at, stations"),
              (status = 403, description = "Admins only", body = crate::error::ErrorBody)))]
pub async fn users(State(app): Shared, _: Admin) -> Result<Response, ApiError> {
    Ok(private(json!(on_store(&app, |store| store.users()).await?)))
}

/// A new account.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    username: String,
    /// operator or admin
    role: String,
    password: String,
}

#[utoipa::path(post, path = "/v1/users", request_body = NewUser,
    responses((status = 201, description = "The account exists: {username, role}"),
              (status = 403, description = "Admins only", body = crate::error::ErrorBody),
              (status = 422, description = "A name outside the rule, a short password, an unknown role, or a name taken", body = crate::error::ErrorBody)))]
pub async fn add_user(
    State(app): Shared,
    Admin(who): Admin,
    ApiJson(body): ApiJson<NewUser>,
) -> Result<Response, ApiError> {
    let role: Role = body.role.parse().map_err(|_| {
        ApiError::invalid("角色须为 operator 或 admin — role must be operator or admin")
    })?;
    if !accounts::valid_name(&body.username) {
        return Err(accounts::AccountError::BadName(body.username).into());
    }
    let hash = hash_outside_locks(&app, body.password).await?;
    let name = body.username.clone();
    on_store(&app, move |store| {
        store.add_user(&name, role, &hash, &who.username)
    })
    .await?;
    let answer = private(json!({"username": body.username, "role": role.id()}));
    Ok((StatusCode::CREATED, answer).into_response())
}

#[utoipa::path(delete, path = "/v1/users/{username}",
    params(("username" = String, Path, description = "The account")),
    responses((status = 204, description = "The account, its sessions and assignments are gone"),
              (status = 403, description = "Admins only", body = crate::error::ErrorBody),
              (status = 404, description = "No such account", body = crate::error::ErrorBody),
              (status = 422, description = "An admin cannot remove their own account", body = crate::error::ErrorBody)))]
pub async fn remove_user(
    State(app): Shared,
    Admin(who): Admin,
    Path(username): Path<String>,
) -> Result<Response, ApiError> {
    if username == who.username {
        return Err(ApiError::invalid(
            "不能删除自己的账户 — you cannot remove your own account (another admin can)",
        ));
    }
    on_store(&app, move |store| {
        store.remove_user(&username, &who.username)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPassword {
    password: String,
}

#[utoipa::path(put, path = "/v1/users/{username}/password", request_body = NewPassword,
    params(("username" = String, Path, description = "The account")),
    responses((status = 204, description = "The password is set and every session of the account ended"),
              (status = 403, description = "Admins only", body = crate::error::ErrorBody),
              (status = 404, description = "No such account", body = crate::error::ErrorBody),
              (status = 422, description = "Shorter than 8 characters", body = crate::error::ErrorBody)))]
pub async fn set_password(
    State(app): Shared,
    Admin(who): Admin,
    Path(username): Path<String>,
    ApiJson(body): ApiJson<NewPassword>,
) -> Result<Response, ApiError> {
    let hash = hash_outside_locks(&app, body.password).await?;
    on_store(&app, move |store| {
        store.set_password_hash(&username, &hash, None, &who.username)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A new password's hash, on a hashing thread (see `AppState::hashers`).
pub(crate) async fn hash_outside_locks(
    app: &AppState,
    password: String,
) -> Result<String, ApiError> {
    app.hashers
        .run(move || accounts::hash_new_password(&password))
        .await
        .map_err(ApiError::from)?
        .map_err(ApiError::from)
}

/// Whether `password` matches the stored credentials, on a hashing thread (slow by design).
async fn check_password(
    app: &AppState,
    found: Option<(Role, String)>,
    password: String,
) -> Result<bool, crate::workers::NotDone> {
    app.hashers
        .run(move || {
            accounts::verify_password(found.as_ref().map(|(_, hash)| hash.as_str()), &password)
        })
        .await
}

#[utoipa::path(get, path = "/v1/users/{username}/sessions",
    params(("username" = String, Path, description = "The account")),
    responses((status = 200, description = "The account's live sessions: a short id and when each expires"),
              (status = 403, description = "Admins only", body = crate::error::ErrorBody)))]
pub async fn user_sessions(
    State(app): Shared,
    _: Admin,
    Path(username): Path<String>,
) -> Result<Response, ApiError> {
    Ok(private(json!(
        on_store(&app, move |store| store.sessions(&username)).await?
    )))
}

#[utoipa::path(delete, path = "/v1/users/{username}/sessions",
    params(("username" = String, Path, description = "The account")),
    responses((status = 200, description = "{revoked: n}: every session of the account ended"),
              (status = 403, description = "Admins only", body = crate::error::ErrorBody),
              (status = 404, description = "No such account", body = crate::error::ErrorBody)))]
pub async fn revoke_sessions(
    State(app): Shared,
    Admin(who): Admin,
    Path(username): Path<String>,
) -> Result<Response, ApiError> {
    let revoked = on_store(&app, move |store| {
        store.revoke_sessions(&username, &who.username)
    })
    .await?;
    Ok(private(json!({"revoked": revoked})))
}

#[utoipa::path(get, path = "/v1/me/sessions",
    responses((status = 200, description = "Your live sessions: a short id and when each expires")))]
pub async fn my_sessions(
    State(app): Shared,
    Session { who, .. }: Session,
) -> Result<Response, ApiError> {
    Ok(private(json!(
        on_store(&app, move |store| store.sessions(&who.username)).await?
    )))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    current_password: String,
    new_password: String,
}

#[utoipa::path(post, path = "/v1/me/password", request_body = PasswordChange,
    responses((status = 204, description = "Your password is changed; your other sessions are ended, this one goes on"),
              (status = 403, description = "The current password is wrong", body = crate::error::ErrorBody),
              (status = 422, description = "The new password is shorter than 8 characters", body = crate::error::ErrorBody),
              (status = 429, description = "Too many wrong current passwords lately", body = crate::error::ErrorBody)))]
pub async fn change_my_password(
    State(app): Shared,
    ClientAddr(addr): ClientAddr,
    session: Session,
    ApiJson(body): ApiJson<PasswordChange>,
) -> Result<Response, ApiError> {
    let who = session.who.username.clone();
    // Guesses at the current password count like failed logins: a stolen token must not
    // become a way to learn the password.
    let attempt = app.limiter.begin_login(&who, addr).map_err(|wait| {
        ApiError::too_many(wait, "too_many_attempts", "too many failed attempts")
    })?;
    let (attempt, found) = credentials(&app, attempt, who.clone()).await?;
    let Ok(right) = check_password(&app, found, body.current_password).await else {
        attempt.not_checked();
        return Err(ApiError::busy(1));
    };
    if !right {
        return Err(accounts::AccountError::WrongPassword.into());
    }
    attempt.succeeded();
    let hash = hash_outside_locks(&app, body.new_password).await?;
    on_store(&app, move |store| {
        store.set_password_hash(&who, &hash, Some(&session.token_hash), &who)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(get, path = "/v1/audit", params(ListRequest),
    responses((status = 200, description = "Who wrote what, when; newest first"),
              (status = 403, description = "Admins only", body = crate::error::ErrorBody)))]
pub async fn audit(
    State(app): Shared,
    _: Admin,
    ApiQuery(r): ApiQuery<ListRequest>,
) -> Result<Response, ApiError> {
    let audit =
        move |store: &dyn CatalogStore| -> Result<_, ApiError> { Ok(store.audit(&r.check()?)?) };
    Ok(Json(on_store(&app, audit).await?).into_response())
}
