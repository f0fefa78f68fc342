//! The HTTP API in-process (tower's `oneshot` on the real router over a real SQLite catalog):
//! every route is documented, and every request type refuses bad input with the message id
//! that the app's IPC and the CLI give for the same input (tests/requests/refusals.json).

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::Value;
use waystation_server::testing::TestServer;

/// The route the refusal table's `"route": "line"` stands for: through Shenzhen.
fn route_text(route: &str) -> String {
    match route {
        "line" => r#"{"type":"LineString","coordinates":[[113.9,22.5],[114.2,22.6]]}"#.into(),
        other => other.into(),
    }
}

fn query_string(fields: &Value) -> String {
    let pairs: Vec<(String, String)> = fields
        .as_object()
        .expect("fields")
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.as_str().map_or_else(|| v.to_string(), str::to_string),
            )
        })
        .collect();
    serde_urlencoded::to_string(pairs).expect("query")
}

#[tokio::test]
async fn every_request_type_refuses_bad_input_with_its_message_id() {
    let server = TestServer::seeded();
    let api = server.api();
    let table: Vec<Value> =
        serde_json::from_str(include_str!("../../../tests/requests/refusals.json"))
            .expect("refusals.json");
    for case in &table {
        let q = query_string(&case["fields"]);
        let (method, uri, body) = match case["request"].as_str().expect("request") {
            "detail" => (
                Method::GET,
                format!("/v1/stations/{}?{q}", case["id"].as_str().expect("id")),
                String::new(),
            ),
            "along" => (
                Method::POST,
                format!("/v1/stations/along?{q}"),
                route_text(case["route"].as_str().expect("route")),
            ),
            "places" => (Method::GET, format!("/v1/places?{q}"), String::new()),
            "convert" => (Method::GET, format!("/v1/convert?{q}"), String::new()),
            "map_view" => (Method::GET, format!("/v1/map?{q}"), String::new()),
            other => (
                Method::GET,
                format!("/v1/stations/{other}?{q}"),
                String::new(),
            ),
        };
        let (status, answer) = api.call(method, &uri, &body).await;
        assert!(status.is_client_error(), "{uri}: {status} {answer}");
        assert_eq!(answer["message_id"], case["message_id"], "{uri}: {answer}");
        let message = answer["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(" — ")
                && message
                    .chars()
                    .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "Chinese first, then English: {message}"
        );
    }
}

#[tokio::test]
async fn unknown_and_unreadable_parameters_are_named() {
    let server = TestServer::seeded();
    let api = server.api();
    let (status, answer) = api
        .call(
            Method::GET,
            "/v1/stations/near?lat=22.5&lon=114&within_km=5",
            "",
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["message_id"], "unknown_field");
    assert!(
        answer["message"]
            .as_str()
            .is_some_and(|m| m.contains("within_km"))
    );
    let (_, answer) = api
        .call(Method::GET, "/v1/stations/near?lat=north&lon=114", "")
        .await;
    assert_eq!(answer["message_id"], "bad_input");
    let (status, answer) = api
        .call(
            Method::POST,
            "/v1/reports",
            r#"{"station_id": "x", "problem": "closed", "mood": 1}"#,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer["message_id"], "unknown_field", "{answer}");
}

#[tokio::test]
async fn the_detail_is_the_hit_plus_its_links() {
    let server = TestServer::seeded();
    let api = server.api();
    let (status, near) = api
        .call(
            Method::GET,
            "/v1/stations/near?lat=22.54&lon=114.06&k=1",
            "",
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let hit = &near[0];
    let id = hit["id"].as_str().expect("id");
    let (status, detail) = api
        .call(
            Method::GET,
            &format!("/v1/stations/{id}?lat=22.54&lon=114.06"),
            "",
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    for field in [
        "id",
        "name",
        "distance_m",
        "bearing_deg",
        "open_now",
        "changes_at",
        "version",
    ] {
        assert_eq!(detail[field], hit[field], "{field}");
    }
    assert_eq!(detail["links"].as_array().map(Vec::len), Some(6));
    let (_, plain) = api
        .call(Method::GET, &format!("/v1/stations/{id}"), "")
        .await;
    assert!(plain["distance_m"].is_null() && plain["bearing_deg"].is_null());
}

/// Answers are made from station rows the server keeps ready between writes: an edit and a
/// deletion show in the very next answer, however often the old row was asked for, and a row
/// from the cache says what the station's own page says.
#[tokio::test]
async fn a_nearby_answer_shows_an_edit_and_a_deletion_at_once() {
    let server = TestServer::seeded();
    let api = server.api();
    let id = "syn-ws-000001";
    let (_, station) = api
        .call(Method::GET, &format!("/v1/stations/{id}"), "")
        .await;
    let (lat, lon) = (&station["lat"], &station["lon"]);
    let near = format!("/v1/stations/near?lat={lat}&lon={lon}&k=3");
    let hit_of = |answer: &Value| {
        let hits = answer.as_array().expect("hits");
        hits.iter().find(|hit| hit["id"] == id).cloned()
    };
    for _ in 0..3 {
        let (status, answer) = api.call(Method::GET, &near, "").await;
        assert_eq!(status, StatusCode::OK);
        let hit = hit_of(&answer).expect("the station is nearest its own position");
        let (_, mut detail) = api
            .call(
                Method::GET,
                &format!("/v1/stations/{id}?lat={lat}&lon={lon}"),
                "",
            )
            .await;
        detail.as_object_mut().expect("detail").remove("links");
        assert_eq!(hit, detail);
    }

    let version = api.version(id).await;
    let token = api.login("ann").await;
    let edit = Request::patch(format!("/v1/stations/{id}"))
        .header("authorization", format!("Bearer {token}"))
        .header("if-match", version)
        .header("content-type", "application/json")
        .body(Body::from(r#"{"notice": "热水维修中"}"#))
        .expect("request");
    assert_eq!(api.send(edit).await.status(), StatusCode::OK);
    let (_, answer) = api.call(Method::GET, &near, "").await;
    let hit = hit_of(&answer).expect("still there");
    assert_eq!(hit["notice"], "热水维修中");

    let root = api.login("root").await;
    let (status, _) = (api.call_as(
        Some(&root),
        Method::DELETE,
        &format!("/v1/stations/{id}"),
        "",
    ))
    .await;
    assert!(status.is_success(), "{status}");
    let (_, answer) = api.call(Method::GET, &near, "").await;
    assert_eq!(hit_of(&answer), None, "a deleted station is not answered");
    assert_eq!(answer.as_array().map(Vec::len), Some(3));
}

#[tokio::test]
async fn every_route_is_in_the_openapi_document() {
    let server = TestServer::seeded();
    let api = server.api();
    let (status, doc) = api.call(Method::GET, "/v1/openapi.json", "").await;
    assert_eq!(status, StatusCode::OK);
    let paths = doc["paths"].as_object().expect("paths");
    // What clients call: each must be documented (links was missing once).
    for path in [
        "/health",
        "/v1/catalog/info",
        "/v1/stations/near",
        "/v1/stations/within",
        "/v1/stations/bbox",
        "/v1/stations/search",
        "/v1/stations/along",
        "/v1/map",
        "/v1/stations/{id}",
        "/v1/stations/{id}/links",
        "/v1/stations",
        "/v1/places",
        "/v1/convert",
        "/v1/vocab",
        "/v1/reports",
        "/v1/changes",
        "/v1/snapshot",
        "/v1/login",
        "/v1/logout",
        "/v1/me",
        "/v1/assignments",
        "/v1/audit",
    ] {
        assert!(paths.contains_key(path), "{path} is not documented");
    }
    // And everything documented is served: no documented method falls through to the
    // router's "no such endpoint" or "method not allowed".
    for (path, item) in paths {
        let uri = path.replace("{id}", "syn-ws-000001");
        for method in item.as_object().expect("item").keys() {
            let method: Method = method.to_uppercase().parse().expect("method");
            let (status, answer) = api.call(method.clone(), &uri, "{}").await;
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            assert_ne!(answer["code"], "method_not_allowed", "{method} {path}");
            assert!(
                !answer["message"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("no such endpoint"),
                "{method} {path} is documented but not routed"
            );
        }
    }
}

#[tokio::test]
async fn only_the_route_endpoint_takes_long_bodies() {
    let server = TestServer::seeded();
    let api = server.api();
    // A 1 MB GeoJSON line (a long drive) is read; the same size elsewhere is 413.
    let coords: Vec<String> = (0..40_000)
        .map(|i| format!("[{:.5},{:.5}]", 113.9 + i as f64 * 1e-5, 22.5))
        .collect();
    let route = format!(
        r#"{{"type":"LineString","coordinates":[{}]}}"#,
        coords.join(",")
    );
    assert!(route.len() > 512 * 1024);
    let (status, _) = api
        .call(Method::POST, "/v1/stations/along?within=1", &route)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, answer) = api.call(Method::POST, "/v1/reports", &route).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");
}

#[tokio::test]
async fn sessions_and_roles_come_from_the_extractors() {
    let server = TestServer::seeded();
    let api = server.api();
    let login = |user: &str, password: &str| {
        format!(r#"{{"username": "{user}", "password": "{password}"}}"#)
    };
    let (status, answer) = api
        .call(Method::POST, "/v1/login", &login("ann", "wrong-pass"))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{answer}");
    let (status, answer) = api
        .call(Method::POST, "/v1/login", &login("ann", "ann-pass-1"))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let ann = answer["token"].as_str().expect("token").to_string();
    let (status, me) = api.call_as(Some(&ann), Method::GET, "/v1/me", "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["username"], "ann");
    assert_eq!(me["stations"], serde_json::json!(["syn-ws-000001"]));
    // An operator is not an admin; no token is not a session.
    let (status, _) = api.call_as(Some(&ann), Method::GET, "/v1/audit", "").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = api.call(Method::GET, "/v1/audit", "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, answer) = api
        .call(Method::POST, "/v1/login", &login("root", "root-pass-1"))
        .await;
    let root = answer["token"].as_str().expect("token").to_string();
    let (status, audit) = api
        .call_as(Some(&root), Method::GET, "/v1/audit?limit=5", "")
        .await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    // Logging out ends the session.
    let (status, _) = api
        .call_as(Some(&ann), Method::POST, "/v1/logout", "")
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = api.call_as(Some(&ann), Method::GET, "/v1/me", "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
