//! Bad input to a write gets its own 4xx as JSON and writes nothing; hostile text is stored as
//! text; unknown parameters, methods and paths are refused. In-process over the shared fixture.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};
use waystation_server::testing::{self, Api, TestServer};

const STATION: &str = "/v1/stations/syn-ws-000001";

/// What a write could have changed: the station as served, and the catalog's change sequence.
async fn state(server: &TestServer, api: &Api) -> (Value, i64) {
    let (status, station) = api.call(Method::GET, STATION, "").await;
    assert_eq!(status, StatusCode::OK);
    (station, server.head_seq())
}

#[tokio::test]
async fn bad_input_gets_its_4xx_and_changes_nothing() {
    let server = TestServer::seeded();
    let api = server.api();
    let root = api.login("root").await;
    let before_version = api.version("syn-ws-000001").await;
    let before = state(&server, &api).await;
    let bearer = format!("Bearer {root}");
    let cases: Vec<(Vec<u8>, &str, &str, u16)> = vec![
        (b"{\"notice\": ".to_vec(), "application/json", &bearer, 400),
        (b"[1,2,3]".to_vec(), "application/json", &bearer, 422),
        (
            b"notice=x".to_vec(),
            "application/x-www-form-urlencoded",
            &bearer,
            415,
        ),
        (vec![b' '; 70 * 1024], "application/json", &bearer, 413),
        (
            br#"{"colour": "red"}"#.to_vec(),
            "application/json",
            &bearer,
            400,
        ),
        (
            br#"{"services": ["showr"]}"#.to_vec(),
            "application/json",
            &bearer,
            422,
        ),
        (
            br#"{"opening_hours": "sometimes"}"#.to_vec(),
            "application/json",
            &bearer,
            422,
        ),
        (br#"{"lat": 95}"#.to_vec(), "application/json", &bearer, 422),
        (
            br#"{"notice": "x"}"#.to_vec(),
            "application/json",
            "Bearer 0000",
            401,
        ),
        (
            br#"{"notice": "x"}"#.to_vec(),
            "application/json",
            "Basic cm9vdDpyb290",
            401,
        ),
    ];
    for (body, content_type, auth, want) in cases {
        let shown = String::from_utf8_lossy(&body[..body.len().min(40)]).into_owned();
        let req = Request::patch(STATION)
            .header("authorization", auth)
            .header("if-match", &before_version)
            .header("content-type", content_type)
            .body(Body::from(body))
            .expect("request");
        let resp = api.send(req).await;
        assert_eq!(resp.status().as_u16(), want, "{shown}");
        let err = testing::json(resp).await;
        assert!(
            err["code"].is_string() && err["message"].is_string(),
            "errors are JSON: {shown}: {err}"
        );
    }
    assert_eq!(
        api.version("syn-ws-000001").await,
        before_version,
        "nothing changed"
    );
    assert_eq!(
        state(&server, &api).await,
        before,
        "nothing was written anywhere"
    );

    // Hostile text is stored and returned as text; SQL stays data.
    for text in [
        "'); DROP TABLE stations; --",
        "<img src=x onerror=alert(1)>",
    ] {
        let req = Request::patch(STATION)
            .header("authorization", &bearer)
            .header("if-match", api.version("syn-ws-000001").await)
            .header("content-type", "application/json")
            .body(Body::from(json!({"notice": text}).to_string()))
            .expect("request");
        let resp = api.send(req).await;
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(testing::json(resp).await["notice"], text);
    }
    assert!(
        server.head_seq() > before.1,
        "a write does move the sequence on"
    );
    let (_, near) = api
        .call(Method::GET, "/v1/stations/near?lat=22.5&lon=114&k=3", "")
        .await;
    assert_eq!(
        near.as_array().map(Vec::len),
        Some(3),
        "the stations table is still there"
    );
    let (status, _) = api
        .call(
            Method::GET,
            "/v1/stations/near?lat=22.5&lon=114&colour=red",
            "",
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, answer) = api.call(Method::PUT, STATION, "").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer["code"], "method_not_allowed");
    let (status, answer) = api.call(Method::GET, "/v1/nope", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(answer["code"], "not_found");
}
