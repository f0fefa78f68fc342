//! Waystation's public catalog server (axum on tokio) over the embedded SQLite store: the read
//! API, the change feed and signed snapshots, and the operator/admin API. Started by
//! `waystation serve`.

pub mod accounts;
pub mod api;
pub mod confirming;
mod encoding;
pub mod error;
pub mod limiter;
pub mod proposing;
mod ready_rows;
pub mod replica;
pub mod signing;
pub mod snapshots;
pub mod store;
/// The shared test fixture: a seeded catalog served in-process or on 127.0.0.1.
#[cfg(feature = "test-support")]
pub mod testing;
pub mod workers;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Request, header};
use axum::routing::get;
use tower::ServiceBuilder;
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::AppState;
use crate::signing::ServerKey;
use crate::snapshots::Publisher;
use crate::store::CatalogStore;
use crate::workers::Workers;

/// Request bodies larger than this are refused (413): station edits are small.
pub const BODY_LIMIT: usize = 64 * 1024;
/// Password checks that may wait for a hashing thread; more at once are told to come back.
const HASHES_WAITING: usize = 16;
/// Long queries that may wait for each long-query thread; more at once are told to come back.
const LONG_QUERIES_WAITING: usize = 8;
/// Routes for "along my route" may be long GPX tracks.
pub const ROUTE_BODY_LIMIT: usize = 4 * 1024 * 1024;

/// The document's title and description; the paths come from the routes themselves
/// ([`routes`]), so a route cannot be served without being documented.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Waystation catalog API",
        description = "歇脚 Waystation: service stations for truck drivers, couriers and outdoor workers. Stations marked source=synthetic are generated examples (示例数据). Errors are {code, message, message_id}; distances a person types are km, or with a unit (500m, 2km); answers carry metres."
    ),
    components(schemas(
        error::ErrorBody,
        api::Login,
        api::Assignment,
        api::NewUser,
        proposing::Approval,
        proposing::Rejection,
        confirming::Said
    ))
)]
pub struct ApiDoc;

/// Every API route, each registered together with its OpenAPI entry.
pub fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(api::health))
        .routes(routes!(api::info))
        .routes(routes!(api::near))
        .routes(routes!(api::within))
        .routes(routes!(api::bbox))
        .routes(routes!(api::search))
        .routes(routes!(api::map_view))
        .routes(routes!(api::places))
        .routes(routes!(api::convert))
        .routes(routes!(api::vocab))
        .routes(routes!(api::report, api::reports))
        .routes(routes!(api::create_station))
        .routes(routes!(
            api::station,
            api::patch_station,
            api::delete_station
        ))
        .routes(routes!(api::links))
        .routes(routes!(api::head))
        .routes(routes!(api::keys))
        .routes(routes!(api::changes))
        .routes(routes!(api::snapshot))
        .routes(routes!(api::snapshot_at))
        .routes(routes!(api::login))
        .routes(routes!(api::logout))
        .routes(routes!(api::me))
        .routes(routes!(api::assign))
        .routes(routes!(api::unassign))
        .routes(routes!(api::users, api::add_user))
        .routes(routes!(api::remove_user))
        .routes(routes!(api::set_password))
        .routes(routes!(api::user_sessions, api::revoke_sessions))
        .routes(routes!(api::my_sessions))
        .routes(routes!(api::change_my_password))
        .routes(routes!(api::audit))
        .routes(routes!(proposing::propose, proposing::proposals))
        .routes(routes!(proposing::proposal))
        .routes(routes!(proposing::approve))
        .routes(routes!(proposing::reject))
        .routes(routes!(proposing::inbox))
        .routes(routes!(confirming::confirm))
        .routes(routes!(confirming::facts))
        .routes(routes!(confirming::disputes))
        // A long drive's GPX track is larger than any other request body.
        .merge(
            OpenApiRouter::new()
                .routes(routes!(api::along))
                .layer(DefaultBodyLimit::max(ROUTE_BODY_LIMIT)),
        )
}

/// The OpenAPI document of every route.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = routes().into_openapi();
    document_common_answers(&mut doc);
    doc
}

/// Answers any route may give besides its own, named on every operation so a client (or
/// schemathesis) never meets a status the document does not list.
fn document_common_answers(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{RefOr, Response};
    for (path, item) in doc.paths.paths.iter_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for op in operations.into_iter().flatten() {
            let needs_login = op.responses.responses.contains_key("403")
                || path.starts_with("/v1/me")
                || path == "/v1/logout";
            let has_body = op.request_body.is_some();
            let mut add = |code: &str, text: &str| {
                op.responses
                    .responses
                    .entry(code.to_string())
                    .or_insert_with(|| RefOr::T(Response::new(text)));
            };
            add("400", "The request cannot be read; `message_id` names why");
            add("408", "The request took longer than 30 s");
            add("503", "Busy: try again after Retry-After");
            if has_body {
                add("413", "The body is larger than the limit");
                add(
                    "415",
                    "The body is not JSON (send Content-Type: application/json)",
                );
                add("422", "The body is JSON but not what this operation takes");
            }
            if needs_login {
                add(
                    "401",
                    "No valid session: log in (POST /v1/login), send Authorization: Bearer",
                );
            }
        }
    }
}

/// How a server is set up beyond its store and key.
#[derive(Debug, Clone)]
pub struct Options {
    /// The built web UI to serve at `/` (see `check_ui_dir`).
    pub ui: Option<std::path::PathBuf>,
    /// The reverse proxy in front of the server: from it, the client's address for the login and
    /// report limits is the one it appended to `X-Forwarded-For`; from anyone else that header is
    /// ignored (a client could write anything there).
    pub trusted_proxy: Option<std::net::IpAddr>,
    /// How long a signed head holds (see `snapshots::HEAD_LIFETIME`): the longest an attacker
    /// replaying old answers can hide news before clients say their catalog may be stale.
    pub head_lifetime: chrono::TimeDelta,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            ui: None,
            trusted_proxy: None,
            head_lifetime: snapshots::HEAD_LIFETIME,
        }
    }
}

/// Every route, with compression, body limit, timeout, request ids and request logs. With `ui`,
/// the built web UI is served from that directory at `/`.
/// `key` signs the snapshots clients verify.
pub fn router(store: Arc<dyn CatalogStore>, key: ServerKey, options: &Options) -> Router {
    let ui = options.ui.as_deref();
    let state = Arc::new(AppState {
        trusted_proxy: options.trusted_proxy,
        store,
        publisher: Publisher::new(key, options.head_lifetime),
        limiter: Default::default(),
        long_queries: {
            let threads = cores().saturating_sub(1).max(1);
            Workers::new(
                workers::LONG_QUERIES,
                threads,
                threads * LONG_QUERIES_WAITING,
            )
        },
        hashers: Workers::new(workers::PASSWORDS, cores().min(4), HASHES_WAITING),
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
    let (api, mut doc) = routes().split_for_parts();
    document_common_answers(&mut doc);
    let doc = Arc::new(doc);
    api.route(
        "/v1/openapi.json",
        get(move || {
            let doc = doc.clone();
            async move { axum::Json(doc.as_ref().clone()) }
        }),
    )
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

/// The UI's files, or JSON 404s for anything that is neither a route nor a file. Hidden
/// files and folders (`.git`, `.env`, …) are never served.
fn static_files(ui: Option<&Path>) -> Router {
    match ui {
        Some(dir) => Router::new()
            .fallback_service(ServeDir::new(dir).not_found_service(axum::routing::any(not_found)))
            .layer(axum::middleware::from_fn(no_hidden_files)),
        None => Router::new().fallback(not_found),
    }
}

async fn no_hidden_files(
    req: Request<axum::body::Body>,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let path = req.uri().path().to_ascii_lowercase();
    // An encoded slash or backslash could hide a hidden segment from the split: refused too.
    let hidden = path.contains("%2f")
        || path.contains("%5c")
        || path
            .split('/')
            .any(|segment| segment.starts_with('.') || segment.starts_with("%2e"));
    if hidden {
        return axum::response::IntoResponse::into_response(not_found().await);
    }
    next.run(req).await
}

/// Refuses a web UI folder that holds the catalog or its signing key: serving it would hand
/// them to anyone who asks.
pub fn check_ui_dir(ui: &Path, catalog: &Path) -> Result<(), String> {
    let ui = ui
        .canonicalize()
        .map_err(|e| format!("{}: {e}", ui.display()))?;
    for secret in [catalog.to_path_buf(), catalog.with_extension("signing-key")] {
        let inside = secret
            .canonicalize()
            .ok()
            .or_else(|| {
                Some(
                    secret
                        .parent()?
                        .canonicalize()
                        .ok()?
                        .join(secret.file_name()?),
                )
            })
            .is_some_and(|p| p.starts_with(&ui));
        if inside {
            return Err(format!(
                "{}: refusing to serve a folder that holds {} (it would be downloadable); point --ui at the built UI only, e.g. ui/dist",
                ui.display(),
                secret.display()
            ));
        }
    }
    Ok(())
}

/// The cores this process may use (1 if unknown).
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// glibc raises its mmap threshold after a large block is freed, so later 19 MiB Argon2id
/// blocks land in heap arenas that are never given back: measured, a burst of 300 logins took
/// the server from 22 MB to 384 MB for good. A fixed threshold keeps each block that large in a
/// mapping of its own, returned when freed (the same burst: 22 MB after).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_large_blocks_to_the_os() {
    // SAFETY: mallopt only sets an allocator parameter; it is called before the server's
    // threads allocate in earnest, and any value is valid for M_MMAP_THRESHOLD below 32 MiB.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_large_blocks_to_the_os() {}

/// Every half second, takes in writes another program made to the catalog (a `waystation
/// import` into the served file), so the server is never silently stale; ends with the store.
async fn follow_other_writers(store: std::sync::Weak<dyn CatalogStore>) {
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    // Said once when checking starts failing (a database away), and once when it works again.
    let mut failing = false;
    loop {
        tick.tick().await;
        let Some(store) = store.upgrade() else { return };
        match tokio::task::spawn_blocking(move || store.refresh()).await {
            Ok(Ok(changed)) => {
                if changed {
                    tracing::info!("catalog written by another program: index reloaded");
                }
                if std::mem::take(&mut failing) {
                    tracing::info!("the catalog can be checked for other writers again");
                }
            }
            Ok(Err(e)) if !failing => {
                failing = true;
                tracing::warn!(error = %e, "checking the catalog for other writers");
            }
            Ok(Err(_)) => {}
            Err(e) => tracing::warn!(error = %e, "the catalog check stopped"),
        }
    }
}

/// Every so often (and once at start), recounts the tallies whose words have left the 30-day
/// window, so a fact's counts fall without new confirmations; a few hundred stations at a time,
/// letting other writers in between. Ends with the store.
async fn age_tallies(store: std::sync::Weak<dyn CatalogStore>) {
    const STATIONS_A_STEP: usize = 200;
    let mut tick = tokio::time::interval(Duration::from_secs(15 * 60));
    loop {
        tick.tick().await;
        loop {
            let Some(store) = store.upgrade() else { return };
            match tokio::task::spawn_blocking(move || store.age_tallies(STATIONS_A_STEP)).await {
                Ok(Ok(n)) if n == STATIONS_A_STEP => continue,
                Ok(Ok(n)) if n > 0 => tracing::info!(stations = n, "tallies aged"),
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "ageing the tallies"),
                Err(e) => tracing::warn!(error = %e, "ageing the tallies stopped"),
            }
            break;
        }
    }
}

/// Serves until the listener fails or the process is interrupted.
pub async fn serve(
    listener: tokio::net::TcpListener,
    store: Arc<dyn CatalogStore>,
    key: ServerKey,
    options: &Options,
) -> std::io::Result<()> {
    return_large_blocks_to_the_os();
    tokio::spawn(follow_other_writers(Arc::downgrade(&store)));
    tokio::spawn(age_tallies(Arc::downgrade(&store)));
    let app = router(store, key, options).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(stop_asked())
        .await
}

/// Interrupted at the terminal (Ctrl-C) or told to stop by a service manager (SIGTERM): the
/// server finishes the requests in hand and its store is closed (a replica's local copy goes).
async fn stop_asked() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    #[test]
    fn a_ui_folder_holding_the_catalog_or_its_key_is_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let ui = dir.path().join("ui");
        std::fs::create_dir(&ui).expect("ui");
        let inside = ui.join("catalog.sqlite");
        std::fs::write(&inside, b"x").expect("catalog");
        assert!(check_ui_dir(&ui, &inside).is_err());
        let beside = dir.path().join("catalog.sqlite");
        assert!(check_ui_dir(&ui, &beside).is_ok());
        assert!(
            check_ui_dir(dir.path(), &beside).is_err(),
            "the parent holds it too"
        );
        let key_only = ui.join("other.sqlite");
        std::fs::write(ui.join("other.signing-key"), b"k").expect("key");
        assert!(
            check_ui_dir(&ui, &key_only).is_err(),
            "the key counts even where the catalog file does not exist yet"
        );
    }

    #[tokio::test]
    async fn hidden_files_are_never_served() {
        let dir = tempfile::tempdir().expect("dir");
        std::fs::write(dir.path().join("index.html"), "<p>ui</p>").expect("index");
        std::fs::write(dir.path().join(".env"), "SECRET=1").expect("env");
        std::fs::create_dir(dir.path().join(".git")).expect("git");
        std::fs::write(dir.path().join(".git").join("config"), "x").expect("config");
        let files = static_files(Some(dir.path()));
        let status = |uri: &'static str| {
            let files = files.clone();
            async move {
                let req = Request::builder().uri(uri).body(axum::body::Body::empty());
                files
                    .oneshot(req.expect("request"))
                    .await
                    .expect("answer")
                    .status()
            }
        };
        assert_eq!(status("/index.html").await, 200);
        for hidden in [
            "/.env",
            "/.git/config",
            "/%2eenv",
            "/x/../.env",
            "/.git%2fconfig",
            "/x%2F.env",
        ] {
            assert_eq!(status(hidden).await, 404, "{hidden}");
        }
    }
}
