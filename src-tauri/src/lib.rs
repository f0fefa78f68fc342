//! The app shell: opens the offline catalog in the app's data directory (created from the
//! built-in synthetic seed on first launch) and answers the UI's commands. Thin by design: every
//! rule lives in waystation-catalog; a command parses its arguments, calls one catalog function
//! and returns its answer (errors as their message, which the UI shows).

use std::sync::Arc;

use chrono::Utc;
use serde::Serialize;
use serde_json::{Map, Value};
use tauri::{AppHandle, Emitter, Manager, Runtime, State};
use waystation_catalog::catalog::CatalogInfo;
use waystation_catalog::confirmations::{Confirmation, FactTally};
use waystation_catalog::geography::{PlaceHit, find_places};
use waystation_catalog::progress::{Progress, Silent};
use waystation_catalog::proposals::Proposal;
use waystation_catalog::reports::Report;
use waystation_catalog::request::{
    AlongRequest, ConvertRequest, DetailRequest, MapViewRequest, NearRequest, PlacesRequest,
    SearchRequest,
};
use waystation_catalog::vocabulary::{Vocabulary, vocabulary};
use waystation_catalog::{
    Bilingual, Catalog, CatalogError, Detail, Hit, Lang, LatLon, MapView, Message, Query,
    SharedCatalog,
};
use waystation_sync::proposing::MyProposals;
use waystation_sync::{self as sync, EditOutcome, Operator, PendingEdit, SyncReport, SyncState};

/// The catalog, shared by the commands (and by a sync running on a blocking thread): the
/// window's queries never wait for a write, the writes take turns. A command that takes the
/// catalog (`with`) runs on a blocking thread (`blocking`): it may wait for a sync's step, and
/// neither the window's thread nor the async runtime's workers should.
pub struct AppCatalog(pub Arc<SharedCatalog>);

/// Read-only connections for the window's queries: one answering while another reads a
/// station's page.
const READERS: usize = 2;

impl AppCatalog {
    pub fn new(catalog: Catalog) -> Result<AppCatalog, CatalogError> {
        Ok(AppCatalog(Arc::new(SharedCatalog::new(catalog, READERS)?)))
    }
}

/// What a command answers: its value, or the refusal the UI shows (`message_id` is the
/// request layer's stable id, as in the HTTP API's error body).
type Answer<T> = Result<T, AppError>;

#[derive(Debug, Serialize)]
pub struct AppError {
    pub message_id: Option<&'static str>,
    pub message: String,
}

impl From<Message> for AppError {
    fn from(m: Message) -> AppError {
        AppError {
            message_id: Some(m.id()),
            message: m.both(),
        }
    }
}

impl From<CatalogError> for AppError {
    fn from(e: CatalogError) -> AppError {
        match e {
            CatalogError::Refused(m) => m.into(),
            CatalogError::NotFound(id) => Message::NotFound { id }.into(),
            other => AppError {
                message_id: None,
                message: other.text(Lang::Zh),
            },
        }
    }
}

impl From<sync::SyncError> for AppError {
    fn from(e: sync::SyncError) -> AppError {
        match e {
            sync::SyncError::Catalog(e) => e.into(),
            other => AppError {
                message_id: None,
                message: other.text(Lang::Zh),
            },
        }
    }
}

fn hits(state: &State<'_, AppCatalog>, query: Query) -> Answer<Vec<Hit>> {
    Ok(state.0.hits(&query)?)
}

/// The nearest stations, as `GET /v1/stations/near` answers them.
#[tauri::command]
fn near(state: State<'_, AppCatalog>, request: NearRequest) -> Answer<Vec<Hit>> {
    hits(&state, Query::Near(request.check(Utc::now())?))
}

/// One station's detail (as `GET /v1/stations/{id}`): distance and direction from the
/// request's position, open state, navigation links.
#[tauri::command]
fn station(state: State<'_, AppCatalog>, id: String, request: DetailRequest) -> Answer<Detail> {
    let query = request.check(Utc::now())?;
    Ok(state.0.detail(&id, &query)?)
}

/// Stations by name or address, nearest first when a position is given.
#[tauri::command]
fn search(state: State<'_, AppCatalog>, request: SearchRequest) -> Answer<Vec<Hit>> {
    hits(&state, Query::Search(request.check(Utc::now())?))
}

/// Cities, districts and counties by name.
#[tauri::command]
fn places(request: PlacesRequest) -> Answer<Vec<PlaceHit>> {
    let (text, limit) = request.check()?;
    Ok(find_places(&text, limit))
}

/// Stations near a route (GPX or GeoJSON text), in order along it.
#[tauri::command]
fn along(state: State<'_, AppCatalog>, route: String, request: AlongRequest) -> Answer<Vec<Hit>> {
    hits(&state, Query::Along(request.check(&route, Utc::now())?))
}

/// Every station's position for the map, in the datum of its tiles.
/// Off the main thread: the first view after a change makes the map's clusters.
#[tauri::command(async)]
fn map_view(state: State<'_, AppCatalog>, request: MapViewRequest) -> Answer<MapView> {
    Ok(state.0.map_view(&request.check()?))
}

/// A position typed or tapped in one datum, in another.
#[tauri::command]
fn convert(request: ConvertRequest) -> Answer<LatLon> {
    Ok(request.check()?)
}

/// The kinds, services, statuses and map apps with their labels.
#[tauri::command]
fn vocab() -> Vocabulary {
    vocabulary()
}

/// Counts, size, freshness and synthetic share of the local catalog.
#[tauri::command]
async fn info(state: State<'_, AppCatalog>) -> Answer<CatalogInfo> {
    blocking(&state.0, |c| Ok(c.with(|c| c.info())?)).await
}

/// A problem report, kept until the next sync sends it.
#[tauri::command]
async fn report(state: State<'_, AppCatalog>, report: Report) -> Answer<()> {
    blocking(&state.0, move |c| {
        c.with(|c| sync::report_problem(c, &report))
    })
    .await
}

/// What drivers said about each fact of a station, as the last sync brought it.
#[tauri::command]
fn facts(state: State<'_, AppCatalog>, station_id: String) -> Answer<Vec<FactTally>> {
    Ok(state
        .0
        .readers()
        .confirmations(|c| c.tallies(&station_id))?)
}

/// A driver's confirmation of a fact, kept until the next sync sends it.
#[tauri::command]
async fn confirm(state: State<'_, AppCatalog>, confirmation: Confirmation) -> Answer<()> {
    blocking(&state.0, move |c| {
        c.with(|c| sync::confirming::confirm_fact(c, &confirmation))
    })
    .await
}

/// A proposal of a new station or a change, kept until the next sync sends it.
#[tauri::command]
async fn propose(state: State<'_, AppCatalog>, proposal: Proposal) -> Answer<()> {
    blocking(&state.0, move |c| {
        c.with(|c| sync::proposing::queue_proposal(c, &proposal))
    })
    .await
}

/// This device's proposals, each sent one with how it went (asked without holding the catalog).
#[tauri::command]
async fn my_proposals(state: State<'_, AppCatalog>) -> Answer<MyProposals> {
    blocking(&state.0, |c| sync::proposing::my_proposals(c)).await
}

/// A request of the account screens (an operator's inbox, the admin console) to the catalog
/// server, as the logged-in account (only their endpoints; see `waystation_sync::account`).
#[tauri::command]
async fn account_request(
    state: State<'_, AppCatalog>,
    method: String,
    path: String,
    body: Option<serde_json::Value>,
) -> Answer<serde_json::Value> {
    blocking(&state.0, move |c| {
        sync::account::account_request(c, &method, &path, body)
    })
    .await
}

/// Server, key, sequence and what waits to be sent.
#[tauri::command]
async fn sync_state(state: State<'_, AppCatalog>) -> Answer<SyncState> {
    blocking(&state.0, |c| c.with(|c| sync::state(c))).await
}

/// Sends progress of a sync to the window as `sync-progress` events.
struct Events<R: Runtime> {
    app: AppHandle<R>,
    phase: String,
    total: u64,
    done: u64,
}

impl<R: Runtime> Progress for Events<R> {
    fn begin(&mut self, phase: &str, total: u64) {
        self.phase = phase.to_string();
        self.total = total;
        self.done = 0;
        self.emit();
    }
    fn advance(&mut self, units: u64) {
        self.done += units;
        self.emit();
    }
    fn end(&mut self) {}
}

impl<R: Runtime> Events<R> {
    fn emit(&self) {
        let _ = self.app.emit(
            "sync-progress",
            serde_json::json!({"phase": self.phase, "done": self.done, "total": self.total}),
        );
    }
}

/// Runs work that may wait — for the network, or for the catalog while a sync's step holds it —
/// on a blocking thread. Network work takes the catalog only for each local step
/// (`sync::Local`), never while it waits for the network; the window's queries never take it.
async fn blocking<T: Send + 'static>(
    catalog: &Arc<SharedCatalog>,
    work: impl FnOnce(&mut &SharedCatalog) -> Result<T, sync::SyncError> + Send + 'static,
) -> Answer<T> {
    let catalog = catalog.clone();
    tauri::async_runtime::spawn_blocking(move || work(&mut &*catalog))
        .await
        .map_err(|e| AppError {
            message_id: None,
            message: e.to_string(),
        })?
        .map_err(AppError::from)
}

/// Syncs with the catalog server (the remembered one unless `server` and `key` are given).
#[tauri::command]
async fn sync_now<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppCatalog>,
    server: Option<String>,
    key: Option<String>,
) -> Answer<SyncReport> {
    let server = server.filter(|s| !s.trim().is_empty());
    let key = key.filter(|k| !k.trim().is_empty());
    blocking(&state.0, move |c| {
        let mut progress = Events {
            app,
            phase: String::new(),
            total: 0,
            done: 0,
        };
        sync::sync(c, server.as_deref(), key.as_deref(), &mut progress)
    })
    .await
}

#[tauri::command]
async fn operator_login(
    state: State<'_, AppCatalog>,
    server: String,
    username: String,
    password: String,
) -> Answer<Operator> {
    blocking(&state.0, move |c| {
        sync::login(c, &server, &username, &password)?;
        sync::whoami(c)
    })
    .await
}

#[tauri::command]
async fn operator_me(state: State<'_, AppCatalog>) -> Answer<Operator> {
    blocking(&state.0, |c| sync::whoami(c)).await
}

#[tauri::command]
async fn operator_logout(state: State<'_, AppCatalog>) -> Answer<()> {
    blocking(&state.0, |c| sync::logout(c)).await
}

/// An operator edit: saved, queued (offline) or a conflict with both versions.
#[tauri::command]
async fn operator_edit(
    state: State<'_, AppCatalog>,
    id: String,
    patch: Map<String, Value>,
) -> Answer<EditOutcome> {
    blocking(&state.0, move |c| sync::edit(c, &id, patch)).await
}

#[tauri::command]
async fn pending_edits(state: State<'_, AppCatalog>) -> Answer<Vec<PendingEdit>> {
    blocking(&state.0, |c| c.with(|c| sync::pending_edits(c))).await
}

/// The app's commands on a builder (the real runtime, or the mock one in tests).
pub fn with_commands<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.invoke_handler(tauri::generate_handler![
        near,
        station,
        search,
        places,
        along,
        map_view,
        convert,
        vocab,
        info,
        report,
        confirm,
        facts,
        propose,
        my_proposals,
        account_request,
        sync_state,
        sync_now,
        operator_login,
        operator_me,
        operator_logout,
        operator_edit,
        pending_edits
    ])
}

pub fn run() {
    let builder = tauri::Builder::default().plugin(tauri_plugin_opener::init());
    #[cfg(mobile)]
    let builder = builder.plugin(tauri_plugin_geolocation::init());
    with_commands(builder)
        .setup(|app| {
            let path = app.path().app_data_dir()?.join("catalog.sqlite");
            // First launch: the catalog that ships with the app is copied into place.
            let bundled = app
                .path()
                .resolve("catalog.sqlite", tauri::path::BaseDirectory::Resource)
                .ok();
            let catalog =
                waystation_synthetic::open_or_copy(&path, bundled.as_deref(), &mut Silent)?;
            app.manage(AppCatalog::new(catalog)?);
            Ok(())
        })
        .run(tauri::generate_context!())
        .unwrap_or_else(|e| {
            eprintln!("error 错误: the app could not start: {e}");
            std::process::exit(1);
        });
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use tauri::ipc::{CallbackFn, InvokeBody};
    use tauri::test::{INVOKE_KEY, MockRuntime, mock_builder, mock_context, noop_assets};
    use tauri::webview::InvokeRequest;
    use tauri::{App, WebviewWindow};
    use waystation_catalog::Catalog;
    use waystation_server::testing::{self, TestServer};

    /// A mock-runtime app with a real catalog file of `count` generated stations.
    struct TestApp {
        _dir: tempfile::TempDir,
        app: App<MockRuntime>,
        webview: WebviewWindow<MockRuntime>,
    }

    impl TestApp {
        fn new(count: usize) -> TestApp {
            let dir = tempfile::tempdir().expect("temp dir");
            let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("open");
            catalog
                .import(waystation_synthetic::generate(count, 1), &mut Silent)
                .expect("import");
            let app = with_commands(mock_builder())
                .manage(AppCatalog::new(catalog).expect("share"))
                .build(mock_context(noop_assets()))
                .expect("app");
            let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
                .build()
                .expect("window");
            TestApp {
                _dir: dir,
                app,
                webview,
            }
        }

        /// Runs a command through the real IPC path.
        fn invoke(&self, cmd: &str, args: Value) -> Result<Value, Value> {
            invoke_on(&self.webview, cmd, args)
        }
    }

    /// Runs a command through the real IPC path of `webview` (from any thread).
    fn invoke_on(
        webview: &WebviewWindow<MockRuntime>,
        cmd: &str,
        args: Value,
    ) -> Result<Value, Value> {
        tauri::test::get_ipc_response(
            webview,
            InvokeRequest {
                cmd: cmd.into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                // On Linux the app's own pages are served from tauri://localhost.
                url: "tauri://localhost".parse().expect("url"),
                body: InvokeBody::Json(args),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .map(|body| body.deserialize::<Value>().expect("JSON answer"))
    }

    #[test]
    fn a_sync_waiting_on_a_slow_server_does_not_block_queries() {
        let app = TestApp::new(50);
        // A "server" that takes the connection and says nothing until told to hang up.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let (accepted, on_accept) = std::sync::mpsc::channel();
        let (hang_up, on_hang_up) = std::sync::mpsc::channel::<()>();
        std::thread::spawn(move || {
            let (conn, _) = listener.accept().expect("accept");
            let _ = accepted.send(());
            let _ = on_hang_up.recv();
            drop(conn);
        });
        let webview = app.webview.clone();
        let key = "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8";
        let syncing = std::thread::spawn(move || {
            invoke_on(&webview, "sync_now", json!({"server": url, "key": key}))
        });
        on_accept
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("the sync reached the server");

        // The sync now waits on the network; the window's query answers meanwhile.
        let (answer, on_answer) = std::sync::mpsc::channel();
        let webview = app.webview.clone();
        std::thread::spawn(move || {
            let near = json!({"request": {"lat": 22.54, "lon": 114.06, "k": 3}});
            let _ = answer.send(invoke_on(&webview, "near", near));
        });
        let hits = on_answer
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("near answered while the sync waited on the network")
            .expect("near");
        assert_eq!(hits.as_array().map(Vec::len), Some(3));

        let _ = hang_up.send(());
        let synced = syncing.join().expect("sync thread");
        assert!(synced.is_err(), "a server that hangs up fails the sync");
    }

    #[test]
    fn queries_answer_while_a_write_holds_the_catalog() {
        let app = TestApp::new(50);
        let near = json!({"request": {"lat": 22.54, "lon": 114.06, "k": 10}});
        let before = ids(&app.invoke("near", near.clone()).expect("near"));
        assert_eq!(before.len(), 10);
        let shared = app.app.state::<AppCatalog>().0.clone();
        // A write, as a page of a sync is, deletes the nearest station; before it lets go of
        // the catalog, the window asks again.
        let during = shared.with(|c| {
            c.delete_station(&before[0], "test").expect("delete");
            let (answer, on_answer) = std::sync::mpsc::channel();
            let (webview, near) = (app.webview.clone(), near.clone());
            std::thread::spawn(move || {
                let _ = answer.send(invoke_on(&webview, "near", near));
            });
            on_answer
                .recv_timeout(std::time::Duration::from_secs(20))
                .expect("near answered while a write held the catalog")
                .expect("near")
        });
        // Answered from the index as it was, with the rows as the file has them: the deleted
        // station is left out.
        assert_eq!(ids(&during), before[1..]);
        // The write's index is published as it lets go: ten again, the deleted one not among them.
        let after = ids(&app.invoke("near", near).expect("near"));
        assert_eq!(after.len(), 10);
        assert_eq!(after[..9], before[1..]);
        assert!(!after.contains(&before[0]));
    }

    #[test]
    fn commands_waiting_for_the_catalog_leave_the_async_workers_free() {
        let app = TestApp::new(50);
        let shared = app.app.state::<AppCatalog>().0.clone();
        let world = json!({"south": -85, "west": -180, "north": 85, "east": 180, "zoom": 0});
        let waiting = shared.with(|_| {
            // Far more commands waiting for the catalog than the async runtime has workers...
            let waiting: Vec<_> = (0..16)
                .map(|_| {
                    let webview = app.webview.clone();
                    std::thread::spawn(move || invoke_on(&webview, "info", json!({})))
                })
                .collect();
            // ...and the map, an async command, still answers.
            let (answer, on_answer) = std::sync::mpsc::channel();
            let webview = app.webview.clone();
            std::thread::spawn(move || {
                let _ = answer.send(invoke_on(&webview, "map_view", json!({"request": world})));
            });
            let view = on_answer
                .recv_timeout(std::time::Duration::from_secs(20))
                .expect("the map answered while commands waited for the catalog")
                .expect("map_view");
            assert_eq!(view["in_view"], 50);
            waiting
        });
        for info in waiting {
            assert_eq!(
                info.join().expect("info thread").expect("info")["stations"],
                50
            );
        }
    }

    fn ids(hits: &Value) -> Vec<String> {
        hits.as_array()
            .expect("array")
            .iter()
            .filter_map(|h| h["id"].as_str().map(str::to_string))
            .collect()
    }

    #[test]
    fn near_answers_like_the_catalog() {
        let app = TestApp::new(300);
        let args = json!({"request": {"lat": 22.54, "lon": 114.06, "k": 5, "service": "toilet"}});
        let hits = app.invoke("near", args).expect("near");
        let hits = hits.as_array().expect("array");
        assert_eq!(hits.len(), 5);
        let d: Vec<f64> = hits
            .iter()
            .filter_map(|h| h["distance_m"].as_f64())
            .collect();
        assert!(d.windows(2).all(|w| w[0] <= w[1]), "{d:?}");
        assert!(hits.iter().all(|h| h["source"] == "synthetic"));
        assert!(hits.iter().all(|h| {
            h["services"]
                .as_array()
                .is_some_and(|s| s.contains(&json!("toilet")))
        }));
        // Within 1 km of a point far from any station: nothing; heading filters keep only
        // stations ahead.
        let far = json!({"request": {"lat": 40.0, "lon": 90.0, "k": 5, "within": "1km"}});
        assert_eq!(app.invoke("near", far).expect("near"), json!([]));
        let east = json!({"request": {"lat": 22.54, "lon": 114.06, "k": 10, "heading": 90.0}});
        let east = app.invoke("near", east).expect("near");
        for h in east.as_array().expect("array") {
            let b = h["bearing_deg"].as_f64().expect("bearing");
            assert!((45.0..=135.0).contains(&b), "bearing {b}");
        }
    }

    /// The refusal's message id, as the UI reads it.
    fn refused(answer: Result<Value, Value>) -> String {
        let err = answer.expect_err("refused");
        err["message_id"].as_str().unwrap_or("(none)").to_string()
    }

    #[test]
    fn bad_input_is_a_message_with_its_id_not_a_panic() {
        let app = TestApp::new(50);
        let bad = json!({"request": {"lat": 95.0, "lon": 114.06, "k": 5}});
        let err = app.invoke("near", bad).expect_err("latitude 95");
        assert_eq!(err["message_id"], "out_of_range");
        assert!(
            err["message"].as_str().is_some_and(|m| m.contains("`lat`")),
            "{err}"
        );
        let bad = json!({"request": {"lat": 22.5, "lon": 114.06, "service": "showr"}});
        assert_eq!(refused(app.invoke("near", bad)), "unknown_id");
        let bad = json!({"route": "<gpx>", "request": {"within": 5.0}});
        assert_eq!(refused(app.invoke("along", bad)), "bad_route");
        let report =
            json!({"report": {"station_id": "syn-ws-000001", "problem": "service_missing"}});
        assert_eq!(refused(app.invoke("report", report)), "service_needed");
        let missing = json!({"id": "nope", "request": {}});
        assert_eq!(refused(app.invoke("station", missing)), "not_found");
    }

    /// The same bad input as the HTTP API's and the CLI's tests (tests/requests/refusals.json)
    /// is refused with the same message id over IPC. The app has no within or bbox command.
    #[test]
    fn ipc_refuses_bad_input_with_the_same_message_ids_as_http_and_the_cli() {
        let app = TestApp::new(50);
        let table: Vec<Value> =
            serde_json::from_str(include_str!("../../tests/requests/refusals.json"))
                .expect("refusals.json");
        let line = r#"{"type":"LineString","coordinates":[[113.9,22.5],[114.2,22.6]]}"#;
        let mut checked = 0;
        for case in &table {
            let request = case["fields"].clone();
            let (cmd, args) = match case["request"].as_str().expect("request") {
                "detail" => ("station", json!({"id": case["id"], "request": request})),
                "along" => {
                    let route = match case["route"].as_str() {
                        Some("line") => line,
                        other => other.expect("route"),
                    };
                    ("along", json!({"route": route, "request": request}))
                }
                "within" | "bbox" => continue,
                other => (other, json!({"request": request})),
            };
            assert_eq!(
                refused(app.invoke(cmd, args.clone())),
                case["message_id"].as_str().expect("id"),
                "{cmd} {args}"
            );
            checked += 1;
        }
        assert!(checked >= 25, "only {checked} cases reached the app");
    }

    #[test]
    fn detail_info_map_places_search() {
        let app = TestApp::new(300);
        // The detail is the hit plus its links: distance and direction from the given position.
        let one = app
            .invoke(
                "station",
                json!({"id": "syn-ws-000001", "request": {"lat": 22.54, "lon": 114.06}}),
            )
            .expect("station");
        assert_eq!(one["id"], "syn-ws-000001");
        assert!(one["distance_m"].as_f64().is_some_and(|d| d > 0.0), "{one}");
        assert!(one["bearing_deg"].as_f64().is_some());
        assert_eq!(one["links"].as_array().map(Vec::len), Some(6));
        assert_eq!(one["links"][0]["app"], "amap");
        let info = app.invoke("info", json!({})).expect("info");
        assert_eq!(info["stations"], 300);
        assert_eq!(info["synthetic_share"], 1.0);
        // The whole world at zoom 0: all 300 stations, in clusters or alone, and province names.
        let world = json!({"south": -85, "west": -180, "north": 85, "east": 180, "zoom": 0});
        let view = app
            .invoke("map_view", json!({"request": world}))
            .expect("map_view");
        assert_eq!(view["in_view"], 300);
        let clustered: u64 = view["clusters"]["count"]
            .as_array()
            .expect("counts")
            .iter()
            .filter_map(|c| c.as_u64())
            .sum();
        let alone = view["stations"]["ids"].as_array().map_or(0, Vec::len) as u64;
        assert_eq!(clustered + alone, 300, "{view}");
        assert!(
            view["places"]["names"]
                .as_array()
                .is_some_and(|n| !n.is_empty())
        );
        let mars = json!({"request": {"south": 0, "west": 0, "north": 1, "east": 1, "zoom": 3, "crs": "mars"}});
        assert_eq!(refused(app.invoke("map_view", mars)), "unknown_id");
        let gcj = app
            .invoke(
                "convert",
                json!({"request": {"lat": 22.54, "lon": 114.06, "from": "wgs84", "to": "gcj02"}}),
            )
            .expect("convert");
        let back = app
            .invoke(
                "convert",
                json!({"request": {"lat": gcj["lat"], "lon": gcj["lon"], "from": "gcj02", "to": "wgs84"}}),
            )
            .expect("convert back");
        assert!((gcj["lon"].as_f64().expect("lon") - 114.06).abs() > 0.003);
        assert!((back["lon"].as_f64().expect("lon") - 114.06).abs() < 1e-6);
        let vocab = app.invoke("vocab", json!({})).expect("vocab");
        assert_eq!(vocab["services"][0]["id"], "parking");
        assert_eq!(vocab["kinds"][0]["zh"], "司机之家");
        let places = app
            .invoke("places", json!({"request": {"q": "深圳"}}))
            .expect("places");
        assert_eq!(places[0]["full_name"], "广东省深圳市");
        let name = one["name"].as_str().expect("name").to_string();
        let found = app
            .invoke("search", json!({"request": {"q": name}}))
            .expect("search");
        assert!(ids(&found).contains(&"syn-ws-000001".to_string()));
    }

    #[test]
    fn along_a_route_in_order() {
        let app = TestApp::new(2000);
        let route = json!({"type": "LineString", "coordinates": [[113.0, 23.1], [114.1, 22.6]]});
        let hits = app
            .invoke(
                "along",
                json!({"route": route.to_string(), "request": {"within": 10}}),
            )
            .expect("along");
        let along: Vec<f64> = hits
            .as_array()
            .expect("array")
            .iter()
            .filter_map(|h| h["along_m"].as_f64())
            .collect();
        assert!(!along.is_empty(), "stations near the Pearl River delta");
        assert!(along.windows(2).all(|w| w[0] <= w[1]));
        assert!(
            hits.as_array()
                .expect("array")
                .iter()
                .all(|h| h["offset_m"].as_f64().is_some_and(|o| o <= 10_000.0))
        );
    }

    #[test]
    fn sync_reports_and_operator_edits_against_a_real_server() {
        // A real catalog server on 127.0.0.1, where ann runs syn-ws-000001.
        let server = TestServer::seeded().spawn();
        let (url, key) = (server.url.as_str(), server.public_key());
        let app = TestApp::new(20);
        let state = app.invoke("sync_state", json!({})).expect("state");
        assert_eq!(state["server"], Value::Null);
        let report = json!({"report": {"station_id": "syn-ws-000002", "problem": "closed"}});
        app.invoke("report", report).expect("queued");
        assert_eq!(
            app.invoke("sync_state", json!({})).expect("state")["pending_reports"],
            1
        );

        let synced = app
            .invoke("sync_now", json!({"server": url, "key": key}))
            .expect("sync");
        assert_eq!(synced["snapshot_taken"], true);
        assert_eq!(synced["reports_sent"], 1);
        assert_eq!(
            app.invoke("info", json!({})).expect("info")["stations"],
            testing::STATIONS
        );
        let state = app.invoke("sync_state", json!({})).expect("state");
        assert_eq!(state["pending_reports"], 0);
        assert_eq!(state["key"], key);

        let wrong = json!({"server": url, "username": "ann", "password": "nope-nope"});
        assert!(app.invoke("operator_login", wrong).is_err());
        let me = app
            .invoke(
                "operator_login",
                json!({"server": url, "username": "ann", "password": "ann-pass-1"}),
            )
            .expect("login");
        assert_eq!(me["username"], "ann");
        assert_eq!(ids(&me["stations"]), ["syn-ws-000001"]);
        let saved = app
            .invoke(
                "operator_edit",
                json!({"id": "syn-ws-000001", "patch": {"notice": "热水 24 小时", "free_truck_spaces": 7}}),
            )
            .expect("edit");
        assert_eq!(saved["outcome"], "saved");
        let local = app
            .invoke("station", json!({"id": "syn-ws-000001", "request": {}}))
            .expect("station");
        assert_eq!(local["notice"], "热水 24 小时");
        assert_eq!(local["free_truck_spaces"], 7);
        let not_mine = app.invoke(
            "operator_edit",
            json!({"id": "syn-ws-000002", "patch": {"notice": "not mine"}}),
        );
        assert!(not_mine.is_err(), "{not_mine:?}");
        // Operators change only the operator fields (the one list the server enforces); the
        // app refuses others at once, with the server's message id, and queues nothing.
        let name = app.invoke(
            "operator_edit",
            json!({"id": "syn-ws-000001", "patch": {"name": "改名"}}),
        );
        assert_eq!(refused(name), "not_editable");
        let hours = app.invoke(
            "operator_edit",
            json!({"id": "syn-ws-000001", "patch": {"opening_hours": "sometimes"}}),
        );
        assert_eq!(refused(hours), "bad_field");
        let state = app.invoke("sync_state", json!({})).expect("state");
        assert_eq!(state["pending_edits"], 0);
        app.invoke("operator_logout", json!({})).expect("logout");
        assert!(app.invoke("operator_me", json!({})).is_err());
    }

    #[test]
    fn an_operators_still_true_from_the_app_counts_as_theirs_and_other_devices_see_it() {
        let server = TestServer::seeded().spawn();
        let (url, key) = (server.url.as_str(), server.public_key());
        let (operator, driver, newcomer) = (TestApp::new(20), TestApp::new(20), TestApp::new(20));
        let confirm = |app: &TestApp, station: &str| {
            let said =
                json!({"confirmation": {"station_id": station, "fact": "open", "holds": true}});
            app.invoke("confirm", said).expect("queued");
            let synced = app
                .invoke("sync_now", json!({"server": url, "key": key}))
                .expect("sync");
            assert_eq!(synced["confirmations_sent"], 1, "{synced}");
        };
        // ann, logged in on her phone, says her station is open; a driver's phone at the same
        // address (127.0.0.1) says so too. Were ann's word sent as a device, the two would be
        // one voice from one address; as the operator's, they are two.
        operator
            .invoke("sync_now", json!({"server": url, "key": key}))
            .expect("sync");
        let ann = json!({"server": url, "username": "ann", "password": "ann-pass-1"});
        operator.invoke("operator_login", ann).expect("login");
        confirm(&operator, "syn-ws-000001");
        confirm(&driver, "syn-ws-000001");

        // A device that syncs only now has the tallies from its first sync, in every answer.
        newcomer
            .invoke("sync_now", json!({"server": url, "key": key}))
            .expect("sync");
        let detail = newcomer
            .invoke("station", json!({"id": "syn-ws-000001", "request": {}}))
            .expect("station");
        let open = detail["facts"]
            .as_array()
            .and_then(|f| f.iter().find(|t| t["fact"] == "open"))
            .cloned()
            .unwrap_or(Value::Null);
        assert_eq!(open["confirmed"], 2, "{detail}");
        let confirmed = newcomer
            .invoke(
                "near",
                json!({"request": {"lat": 22.54, "lon": 114.06, "k": 5, "confirmed": true}}),
            )
            .expect("near");
        assert_eq!(ids(&confirmed), ["syn-ws-000001"], "{confirmed}");
    }

    #[test]
    fn proposals_and_the_admin_console_go_through_the_real_server() {
        let server = TestServer::seeded().spawn();
        let (url, key) = (server.url.as_str(), server.public_key());
        let app = TestApp::new(20);
        app.invoke("sync_now", json!({"server": url, "key": key}))
            .expect("sync");
        // A driver's proposal, queued; the next sync sends it.
        let proposal = json!({"proposal": {"fields": {"kind": "warm_bee", "name": "新驿站",
            "lat": 31.2, "lon": 121.5}}});
        app.invoke("propose", proposal).expect("queued");
        let mine = app.invoke("my_proposals", json!({})).expect("mine");
        assert_eq!(mine["waiting"].as_array().map(Vec::len), Some(1), "{mine}");
        let waiting = app.invoke("sync_state", json!({})).expect("state");
        assert_eq!(waiting["pending_proposals"], 1, "{waiting}");
        let synced = app.invoke("sync_now", json!({})).expect("sync");
        assert_eq!(synced["proposals_sent"], 1, "{synced}");
        let mine = app.invoke("my_proposals", json!({})).expect("mine");
        assert_eq!(mine["sent"][0]["status"]["state"], "pending", "{mine}");

        // The admin console, as root: the pending proposal is listed, and rejected.
        let root = json!({"server": url, "username": "root", "password": "root-pass-1"});
        app.invoke("operator_login", root).expect("login");
        let call = |method: &str, path: &str, body: Value| {
            app.invoke(
                "account_request",
                json!({"method": method, "path": path, "body": body}),
            )
        };
        let pending = call("GET", "/v1/proposals?state=pending", Value::Null).expect("list");
        let id = pending[0]["id"].as_i64().expect("id");
        let reject = json!({"reason": "重复"});
        call("POST", &format!("/v1/proposals/{id}/reject"), reject).expect("rejected");
        let mine = app.invoke("my_proposals", json!({})).expect("mine");
        assert_eq!(mine["sent"][0]["status"]["reason"], "重复", "{mine}");
        // Nothing outside the console's endpoints is sent, whatever the window asks.
        for (method, path) in [
            ("GET", "/v1/stations/syn-ws-000001"),
            ("PATCH", "/v1/users"),
        ] {
            let refused = call(method, path, Value::Null).expect_err("refused");
            assert!(
                refused["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("account screens")),
                "{refused}"
            );
        }
    }
}
