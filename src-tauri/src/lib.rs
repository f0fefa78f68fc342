//! The app shell: opens the offline catalog in the app's data directory (created from the
//! built-in synthetic seed on first launch) and answers the UI's commands. Thin by design: every
//! rule lives in waystation-catalog; a command parses its arguments, calls one catalog function
//! and returns its answer (errors as their message, which the UI shows).

use std::sync::{Arc, Mutex, MutexGuard};

use serde::Deserialize;
use serde_json::{Map, Value};
use tauri::{AppHandle, Emitter, Manager, Runtime, State};
use waystation_catalog::catalog::{CatalogInfo, MapPoints};
use waystation_catalog::geography::{PlaceHit, find_places};
use waystation_catalog::hours::china_local;
use waystation_catalog::links::{NavLink, all_links};
use waystation_catalog::model::{Vocabulary, vocabulary};
use waystation_catalog::progress::{Progress, Silent};
use waystation_catalog::reports::Report;
use waystation_catalog::sync::{self, EditOutcome, Operator, PendingEdit, SyncReport, SyncState};
use waystation_catalog::{Ahead, Catalog, Crs, Filter, Hit, Kind, LatLon, Route, Service};

/// The catalog, shared by the commands (and by a sync running on a blocking thread).
pub struct AppCatalog(pub Arc<Mutex<Catalog>>);

impl AppCatalog {
    pub fn new(catalog: Catalog) -> AppCatalog {
        AppCatalog(Arc::new(Mutex::new(catalog)))
    }
}

type Answer<T> = Result<T, String>;

fn lock(catalog: &Mutex<Catalog>) -> MutexGuard<'_, Catalog> {
    catalog.lock().unwrap_or_else(|p| p.into_inner())
}

fn catalog<'a>(state: &'a State<'_, AppCatalog>) -> MutexGuard<'a, Catalog> {
    lock(&state.0)
}

/// The filter chips, as the UI sends them.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Chips {
    #[serde(default)]
    kinds: Vec<String>,
    #[serde(default)]
    services: Vec<String>,
    #[serde(default)]
    open_now: bool,
    within_km: Option<f64>,
    /// Direction of travel, degrees: only stations ahead (within 45° either side).
    heading: Option<f64>,
}

impl Chips {
    fn filter(&self) -> Answer<Filter> {
        let mut filter = Filter::any_at(china_local(chrono::Utc::now()));
        filter.kinds = self
            .kinds
            .iter()
            .map(|k| k.parse::<Kind>())
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?;
        filter.services = self
            .services
            .iter()
            .map(|s| s.parse::<Service>())
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?;
        filter.open_only = self.open_now;
        filter.max_distance_m = self.within_km.map(|km| km * 1000.0);
        filter.ahead = self.heading.map(|h| Ahead {
            heading_deg: h.rem_euclid(360.0),
            cone_deg: 45.0,
        });
        Ok(filter)
    }
}

fn point(lat: f64, lon: f64) -> Answer<LatLon> {
    LatLon::new(lat, lon).map_err(|e| e.to_string())
}

/// The nearest stations, as `GET /v1/stations/near` answers them.
#[tauri::command]
fn near(
    state: State<'_, AppCatalog>,
    lat: f64,
    lon: f64,
    k: usize,
    chips: Chips,
) -> Answer<Vec<Hit>> {
    let at = point(lat, lon)?;
    catalog(&state)
        .nearest(at, k.clamp(1, 1000), &chips.filter()?)
        .map_err(|e| e.to_string())
}

/// One station with its open state now (for a tap on the map).
#[tauri::command]
fn station(state: State<'_, AppCatalog>, id: String) -> Answer<Hit> {
    catalog(&state)
        .detail(&id, china_local(chrono::Utc::now()))
        .map_err(|e| e.to_string())
}

/// Stations by name or address, nearest first when a position is known.
#[tauri::command]
fn search(
    state: State<'_, AppCatalog>,
    text: String,
    lat: Option<f64>,
    lon: Option<f64>,
) -> Answer<Vec<Hit>> {
    let near = match (lat, lon) {
        (Some(lat), Some(lon)) => Some(point(lat, lon)?),
        _ => None,
    };
    let filter = Filter::any_at(china_local(chrono::Utc::now()));
    catalog(&state)
        .search(&text, near, 20, &filter)
        .map_err(|e| e.to_string())
}

/// Cities, districts and counties by name.
#[tauri::command]
fn places(text: String) -> Vec<PlaceHit> {
    find_places(&text, 10)
}

/// Stations within `within_km` of a route (GPX or GeoJSON text), in order along it.
#[tauri::command]
fn along(
    state: State<'_, AppCatalog>,
    route: String,
    within_km: f64,
    chips: Chips,
) -> Answer<Vec<Hit>> {
    if !(within_km > 0.0 && within_km <= 50.0) {
        return Err("within_km must be from 0 to 50".into());
    }
    let route = Route::from_text(&route).map_err(|e| format!("route: {e}"))?;
    let mut filter = chips.filter()?;
    filter.max_distance_m = None;
    catalog(&state)
        .along(&route, within_km * 1000.0, &filter)
        .map_err(|e| e.to_string())
}

fn datum(id: &str) -> Answer<Crs> {
    id.parse()
        .map_err(|e: waystation_catalog::model::UnknownId| e.to_string())
}

/// Every station's position for the map, in the datum of its tiles.
#[tauri::command]
fn points(state: State<'_, AppCatalog>, crs: String) -> Answer<MapPoints> {
    Ok(catalog(&state).map_points(datum(&crs)?))
}

/// A position typed or tapped in one datum, in another.
#[tauri::command]
fn convert(lat: f64, lon: f64, from: String, to: String) -> Answer<LatLon> {
    Ok(datum(&to)?.from_wgs84(datum(&from)?.to_wgs84(point(lat, lon)?)))
}

/// The kinds, services, statuses and map apps with their labels.
#[tauri::command]
fn vocab() -> Vocabulary {
    vocabulary()
}

/// Navigation hand-off links for a station.
#[tauri::command]
fn links(state: State<'_, AppCatalog>, id: String) -> Answer<Vec<NavLink>> {
    let station = catalog(&state).station(&id).map_err(|e| e.to_string())?;
    Ok(all_links(station.location, &station.name))
}

/// Counts, size, freshness and synthetic share of the local catalog.
#[tauri::command]
fn info(state: State<'_, AppCatalog>) -> Answer<CatalogInfo> {
    catalog(&state).info().map_err(|e| e.to_string())
}

/// A problem report, kept until the next sync sends it.
#[tauri::command]
fn report(state: State<'_, AppCatalog>, report: Report) -> Answer<()> {
    sync::report_problem(&catalog(&state), &report).map_err(|e| e.to_string())
}

/// Server, key, sequence and what waits to be sent.
#[tauri::command]
fn sync_state(state: State<'_, AppCatalog>) -> Answer<SyncState> {
    sync::state(&catalog(&state)).map_err(|e| e.to_string())
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

/// Runs slow catalog work (network) off the UI thread.
async fn blocking<T: Send + 'static>(
    catalog: &Arc<Mutex<Catalog>>,
    work: impl FnOnce(&mut Catalog) -> Result<T, sync::SyncError> + Send + 'static,
) -> Answer<T> {
    let catalog = catalog.clone();
    tauri::async_runtime::spawn_blocking(move || work(&mut lock(&catalog)))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())
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
fn pending_edits(state: State<'_, AppCatalog>) -> Answer<Vec<PendingEdit>> {
    sync::pending_edits(&catalog(&state)).map_err(|e| e.to_string())
}

/// The app's commands on a builder (the real runtime, or the mock one in tests).
pub fn with_commands<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.invoke_handler(tauri::generate_handler![
        near,
        station,
        search,
        places,
        along,
        points,
        convert,
        vocab,
        links,
        info,
        report,
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
            let catalog = Catalog::open_or_copy(&path, bundled.as_deref(), &mut Silent)?;
            app.manage(AppCatalog::new(catalog));
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
    use waystation_catalog::operators::{self, Role};

    /// A mock-runtime app with a real catalog file of `count` generated stations.
    struct TestApp {
        _dir: tempfile::TempDir,
        _app: App<MockRuntime>,
        webview: WebviewWindow<MockRuntime>,
    }

    impl TestApp {
        fn new(count: usize) -> TestApp {
            let dir = tempfile::tempdir().expect("temp dir");
            let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("open");
            catalog
                .import(
                    waystation_catalog::synthetic::generate(count, 1),
                    &mut Silent,
                )
                .expect("import");
            let app = with_commands(mock_builder())
                .manage(AppCatalog::new(catalog))
                .build(mock_context(noop_assets()))
                .expect("app");
            let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
                .build()
                .expect("window");
            TestApp {
                _dir: dir,
                _app: app,
                webview,
            }
        }

        /// Runs a command through the real IPC path.
        fn invoke(&self, cmd: &str, args: Value) -> Result<Value, Value> {
            tauri::test::get_ipc_response(
                &self.webview,
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
        let args = json!({"lat": 22.54, "lon": 114.06, "k": 5, "chips": {"services": ["toilet"]}});
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
        let far = json!({"lat": 40.0, "lon": 90.0, "k": 5, "chips": {"withinKm": 1.0}});
        assert_eq!(app.invoke("near", far).expect("near"), json!([]));
        let east = json!({"lat": 22.54, "lon": 114.06, "k": 10, "chips": {"heading": 90.0}});
        let east = app.invoke("near", east).expect("near");
        for h in east.as_array().expect("array") {
            let b = h["bearing_deg"].as_f64().expect("bearing");
            assert!((45.0..=135.0).contains(&b), "bearing {b}");
        }
    }

    #[test]
    fn bad_input_is_an_error_message_not_a_panic() {
        let app = TestApp::new(50);
        let bad = json!({"lat": 95.0, "lon": 114.06, "k": 5, "chips": {}});
        let err = app.invoke("near", bad).expect_err("latitude 95");
        assert!(
            err.as_str().is_some_and(|m| m.contains("latitude 95")),
            "{err}"
        );
        let bad = json!({"lat": 22.5, "lon": 114.06, "k": 5, "chips": {"services": ["showr"]}});
        assert!(
            app.invoke("near", bad)
                .expect_err("unknown service")
                .to_string()
                .contains("accepted: parking")
        );
        let bad = json!({"route": "<gpx>", "withinKm": 5.0, "chips": {}});
        assert!(
            app.invoke("along", bad)
                .expect_err("bad route")
                .to_string()
                .contains("route: not valid GPX")
        );
        let report =
            json!({"report": {"station_id": "syn-ws-000001", "problem": "service_missing"}});
        assert!(
            app.invoke("report", report)
                .expect_err("no service")
                .to_string()
                .contains("`service`")
        );
    }

    #[test]
    fn links_info_station_points_places_search() {
        let app = TestApp::new(300);
        let links = app
            .invoke("links", json!({"id": "syn-ws-000001"}))
            .expect("links");
        assert_eq!(links.as_array().map(Vec::len), Some(6));
        assert_eq!(links[0]["app"], "amap");
        assert!(
            app.invoke("links", json!({"id": "nope"}))
                .expect_err("missing")
                .to_string()
                .contains("no station")
        );
        let info = app.invoke("info", json!({})).expect("info");
        assert_eq!(info["stations"], 300);
        assert_eq!(info["synthetic_share"], 1.0);
        let one = app
            .invoke("station", json!({"id": "syn-ws-000001"}))
            .expect("station");
        assert_eq!(one["id"], "syn-ws-000001");
        let points = app
            .invoke("points", json!({"crs": "wgs84"}))
            .expect("points");
        assert_eq!(points["ids"].as_array().map(Vec::len), Some(300));
        assert!(app.invoke("points", json!({"crs": "mars"})).is_err());
        let gcj = app
            .invoke(
                "convert",
                json!({"lat": 22.54, "lon": 114.06, "from": "wgs84", "to": "gcj02"}),
            )
            .expect("convert");
        let back = app
            .invoke(
                "convert",
                json!({"lat": gcj["lat"], "lon": gcj["lon"], "from": "gcj02", "to": "wgs84"}),
            )
            .expect("convert back");
        assert!((gcj["lon"].as_f64().expect("lon") - 114.06).abs() > 0.003);
        assert!((back["lon"].as_f64().expect("lon") - 114.06).abs() < 1e-6);
        let vocab = app.invoke("vocab", json!({})).expect("vocab");
        assert_eq!(vocab["services"][0]["id"], "parking");
        assert_eq!(vocab["kinds"][0]["zh"], "司机之家");
        let places = app
            .invoke("places", json!({"text": "深圳"}))
            .expect("places");
        assert_eq!(places[0]["full_name"], "广东省深圳市");
        let name = one["name"].as_str().expect("name").to_string();
        let found = app
            .invoke("search", json!({"text": name, "lat": null, "lon": null}))
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
                json!({"route": route.to_string(), "withinKm": 10.0, "chips": {}}),
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

    /// A real catalog server on 127.0.0.1 with an operator who runs syn-ws-000001.
    fn real_server() -> (tempfile::TempDir, String, String) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("server.sqlite");
        {
            let mut c = Catalog::open(&path).expect("open");
            c.import(waystation_catalog::synthetic::generate(100, 1), &mut Silent)
                .expect("import");
            operators::add_user(c.conn(), "ann", Role::Operator, "ann-pass-1").expect("user");
            operators::assign(c.conn(), "ann", "syn-ws-000001").expect("assign");
        }
        let store = waystation_server::store::SqliteStore::open(&path, 30).expect("store");
        let key = waystation_server::store::CatalogStore::public_key(&store);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                let _ = waystation_server::serve(listener, Arc::new(store), None).await;
            });
        });
        (dir, url, key)
    }

    #[test]
    fn sync_reports_and_operator_edits_against_a_real_server() {
        let (_server_dir, url, key) = real_server();
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
            100
        );
        let state = app.invoke("sync_state", json!({})).expect("state");
        assert_eq!(state["pending_reports"], 0);
        assert_eq!(state["key"], key.as_str());

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
            .invoke("station", json!({"id": "syn-ws-000001"}))
            .expect("station");
        assert_eq!(local["notice"], "热水 24 小时");
        assert_eq!(local["free_truck_spaces"], 7);
        let refused = app.invoke(
            "operator_edit",
            json!({"id": "syn-ws-000002", "patch": {"notice": "not mine"}}),
        );
        assert!(refused.is_err(), "{refused:?}");
        app.invoke("operator_logout", json!({})).expect("logout");
        assert!(app.invoke("operator_me", json!({})).is_err());
    }
}
