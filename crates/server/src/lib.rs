//! Waystation's public catalog server (axum on tokio) over the embedded SQLite store: the read
//! API, the change feed and signed snapshots, and the operator/admin API. Started by
//! `waystation serve`.

pub mod accounts;
pub mod api;
pub mod error;
pub mod limiter;
pub mod signing;
pub mod store;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Request, header};
use axum::routing::{get, post};
use tower::ServiceBuilder;
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;

use crate::api::AppState;
use crate::store::CatalogStore;

/// Request bodies larger than this are refused (413): station edits are small.
pub const BODY_LIMIT: usize = 64 * 1024;
/// Routes for "along my route" may be long GPX tracks.
pub const ROUTE_BODY_LIMIT: usize = 4 * 1024 * 1024;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Waystation catalog API",
        description = "歇脚 Waystation: service stations for truck drivers, couriers and outdoor workers. Stations marked source=synthetic are generated examples (示例数据)."
    ),
    paths(
        api::health,
        api::info,
        api::near,
        api::within,
        api::bbox,
        api::search,
        api::along,
        api::points,
        api::places,
        api::convert,
        api::vocab,
        api::station,
        api::changes,
        api::snapshot,
        api::login,
        api::logout,
        api::me,
        api::patch_station,
        api::create_station,
        api::delete_station,
        api::assign,
        api::audit,
        api::report,
        api::reports
    ),
    components(schemas(error::ErrorBody, api::Login, api::Assignment))
)]
pub struct ApiDoc;

/// Every route, with compression, body limit, timeout, request ids and request logs. With `ui`,
/// the built web UI is served from that directory at `/`.
pub fn router(store: Arc<dyn CatalogStore>, ui: Option<&Path>) -> Router {
    let state = Arc::new(AppState {
        store,
        limiter: Default::default(),
    });
    let request_id = HeaderName::from_static("x-request-id");
    let layers = ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                let id = req
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-")
                    .to_string();
                tracing::info_span!("request", method = %req.method(), uri = %req.uri(), request_id = %id)
            }),
        )
        .layer(PropagateRequestIdLayer::new(request_id))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        // Fastest: API answers are small and CPU is what limits requests per second.
        .layer(CompressionLayer::new().quality(CompressionLevel::Fastest))
        .layer(DefaultBodyLimit::max(BODY_LIMIT));
    Router::new()
        .route("/health", get(api::health))
        .route(
            "/v1/openapi.json",
            get(|| async { axum::Json(ApiDoc::openapi()) }),
        )
        .route("/v1/catalog/info", get(api::info))
        .route("/v1/stations/near", get(api::near))
        .route("/v1/stations/within", get(api::within))
        .route("/v1/stations/bbox", get(api::bbox))
        .route("/v1/stations/search", get(api::search))
        .route(
            "/v1/stations/along",
            // A long drive's GPX track is larger than any other request body.
            post(api::along).layer(DefaultBodyLimit::max(ROUTE_BODY_LIMIT)),
        )
        .route("/v1/stations/points", get(api::points))
        .route("/v1/places", get(api::places))
        .route("/v1/convert", get(api::convert))
        .route("/v1/vocab", get(api::vocab))
        .route("/v1/reports", post(api::report).get(api::reports))
        .route("/v1/stations", post(api::create_station))
        .route(
            "/v1/stations/{id}",
            get(api::station)
                .patch(api::patch_station)
                .delete(api::delete_station),
        )
        .route("/v1/stations/{id}/links", get(api::links))
        .route("/v1/changes", get(api::changes))
        .route("/v1/snapshot", get(api::snapshot))
        .route("/v1/login", post(api::login))
        .route("/v1/logout", post(api::logout))
        .route("/v1/me", get(api::me))
        .route("/v1/assignments", post(api::assign))
        .route("/v1/audit", get(api::audit))
        .method_not_allowed_fallback(|| async {
            error::ApiError::new(
                axum::http::StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this endpoint does not take that method; see /v1/openapi.json",
            )
        })
        .fallback_service(static_files(ui))
        .layer(layers)
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .with_state(state)
}

/// Station text is untrusted: the UI renders it as text, and the browser is told to run only
/// this origin's own scripts and styles.
/// Scripts only from this server; the map's worker from a Blob URL; map tiles from HTTPS sources
/// (fetched by the map as data, never run).
const CSP: &str = "default-src 'self'; script-src 'self'; worker-src 'self' blob:; child-src blob:; \
     img-src 'self' data: blob: https:; connect-src 'self' https:; object-src 'none'; base-uri 'none'; \
     frame-ancestors 'none'";

async fn not_found() -> error::ApiError {
    error::ApiError::new(
        axum::http::StatusCode::NOT_FOUND,
        "not_found",
        "no such endpoint; see /v1/openapi.json",
    )
}

/// The UI's files, or JSON 404s for anything that is neither a route nor a file.
fn static_files(ui: Option<&Path>) -> Router {
    match ui {
        Some(dir) => Router::new()
            .fallback_service(ServeDir::new(dir).not_found_service(axum::routing::any(not_found))),
        None => Router::new().fallback(not_found),
    }
}

/// Serves until the listener fails or the process is interrupted.
pub async fn serve(
    listener: tokio::net::TcpListener,
    store: Arc<dyn CatalogStore>,
    ui: Option<&Path>,
) -> std::io::Result<()> {
    let app = router(store, ui).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
