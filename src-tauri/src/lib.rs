//! The app shell: opens the offline catalog in the app's data directory (created from the
//! built-in synthetic seed on first launch) and answers the UI's commands. Thin by design: every
//! rule lives in waystation-catalog.

use std::sync::Mutex;

use tauri::{Manager, Runtime, State};
use waystation_catalog::catalog::CatalogInfo;
use waystation_catalog::hours::china_local;
use waystation_catalog::links::{NavLink, all_links};
use waystation_catalog::progress::Silent;
use waystation_catalog::{Catalog, Filter, Hit, Kind, LatLon, Service};

/// The catalog, shared by the commands.
pub struct AppCatalog(pub Mutex<Catalog>);

type Answer<T> = Result<T, String>;

fn catalog<'a>(state: &'a State<'_, AppCatalog>) -> std::sync::MutexGuard<'a, Catalog> {
    state.0.lock().unwrap_or_else(|p| p.into_inner())
}

/// The nearest stations, as `GET /v1/stations/near` answers them.
#[tauri::command]
fn near(
    state: State<'_, AppCatalog>,
    lat: f64,
    lon: f64,
    k: usize,
    kinds: Vec<String>,
    services: Vec<String>,
    open_now: bool,
) -> Answer<Vec<Hit>> {
    let at = LatLon::new(lat, lon).map_err(|e| e.to_string())?;
    let mut filter = Filter::any_at(china_local(chrono::Utc::now()));
    filter.kinds = kinds
        .iter()
        .map(|k| k.parse::<Kind>())
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    filter.services = services
        .iter()
        .map(|s| s.parse::<Service>())
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    filter.open_only = open_now;
    catalog(&state)
        .nearest(at, k.clamp(1, 1000), &filter)
        .map_err(|e| e.to_string())
}

/// Navigation hand-off links for a station.
#[tauri::command]
fn links(state: State<'_, AppCatalog>, id: String) -> Answer<Vec<NavLink>> {
    let station = catalog(&state).station(&id).map_err(|e| e.to_string())?;
    Ok(all_links(station.location, &station.name))
}

/// Counts, schema version and synthetic share of the local catalog.
#[tauri::command]
fn info(state: State<'_, AppCatalog>) -> Answer<CatalogInfo> {
    catalog(&state).info().map_err(|e| e.to_string())
}

/// The app's commands on a builder (the real runtime, or the mock one in tests).
pub fn with_commands<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.invoke_handler(tauri::generate_handler![near, links, info])
}

pub fn run() {
    with_commands(tauri::Builder::default())
        .setup(|app| {
            let path = app.path().app_data_dir()?.join("catalog.sqlite");
            let catalog = Catalog::open_or_seed(&path, &mut Silent)?;
            app.manage(AppCatalog(Mutex::new(catalog)));
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
    use serde_json::{Value, json};
    use tauri::ipc::{CallbackFn, InvokeBody};
    use tauri::test::{INVOKE_KEY, mock_builder, mock_context, noop_assets};
    use tauri::webview::InvokeRequest;

    /// Runs a command through the real IPC path of a mock-runtime app with a real catalog file.
    fn invoke(cmd: &str, args: Value) -> Result<Value, Value> {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("open");
        catalog
            .import(waystation_catalog::synthetic::generate(300, 1), &mut Silent)
            .expect("import");
        let app = with_commands(mock_builder())
            .manage(AppCatalog(Mutex::new(catalog)))
            .build(mock_context(noop_assets()))
            .expect("app");
        let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .expect("window");
        tauri::test::get_ipc_response(
            &webview,
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
    fn near_answers_like_the_catalog() {
        let args = json!({"lat": 22.54, "lon": 114.06, "k": 5, "kinds": [], "services": ["toilet"], "openNow": false});
        let hits = invoke("near", args).expect("near");
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
    }

    #[test]
    fn bad_input_is_an_error_message_not_a_panic() {
        let bad = json!({"lat": 95.0, "lon": 114.06, "k": 5, "kinds": [], "services": [], "openNow": false});
        let err = invoke("near", bad).expect_err("latitude 95");
        assert!(
            err.as_str().is_some_and(|m| m.contains("latitude 95")),
            "{err}"
        );
        let bad = json!({"lat": 22.5, "lon": 114.06, "k": 5, "kinds": [], "services": ["showr"], "openNow": false});
        assert!(
            invoke("near", bad)
                .expect_err("unknown service")
                .to_string()
                .contains("accepted: parking")
        );
    }

    #[test]
    fn links_and_info() {
        let links = invoke("links", json!({"id": "syn-ws-000001"})).expect("links");
        assert_eq!(links.as_array().map(Vec::len), Some(6));
        assert_eq!(links[0]["app"], "amap");
        assert!(
            invoke("links", json!({"id": "nope"}))
                .expect_err("missing")
                .to_string()
                .contains("no station")
        );
        let info = invoke("info", json!({})).expect("info");
        assert_eq!(info["stations"], 300);
        assert_eq!(info["synthetic_share"], 1.0);
    }
}
