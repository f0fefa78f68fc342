//! What the HTTP layer adds to the handlers (the OpenAPI document, health, request ids,
//! compression, no file paths in answers) and the map's endpoints (views with their ETag,
//! places, vocabulary, datum conversion, stations along a route). In-process over the shared
//! fixture; the CLI's answer along the same route is compared in crates/cli/tests/sync.rs.

use std::io::Read;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};
use waystation_server::testing::{self, Api, STATIONS, TestServer};

async fn get(api: &Api, uri: &str, headers: &[(&str, &str)]) -> Response {
    let mut req = Request::get(uri);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    api.send(req.body(Body::empty()).expect("request")).await
}

/// The body of `uri` as the client asked for it in `encoding`, checked to be sent that way and
/// decoded.
async fn decoded(api: &Api, uri: &str, encoding: &str) -> Vec<u8> {
    let resp = get(api, uri, &[("accept-encoding", encoding)]).await;
    assert_eq!(resp.status(), StatusCode::OK, "{uri}");
    let sent = resp
        .headers()
        .get("content-encoding")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    assert_eq!(sent.as_deref(), Some(encoding), "{uri}");
    let bytes = testing::bytes(resp).await;
    if encoding == "zstd" {
        return zstd::decode_all(&bytes[..]).expect("zstd");
    }
    let mut body = Vec::new();
    flate2::read::GzDecoder::new(&bytes[..])
        .read_to_end(&mut body)
        .expect("gzip");
    body
}

#[tokio::test]
async fn openapi_health_request_ids_and_compression() {
    let server = TestServer::seeded();
    let api = server.api();
    let (status, doc) = api.call(Method::GET, "/v1/openapi.json", "").await;
    assert_eq!(status, StatusCode::OK);
    let paths = doc["paths"].as_object().expect("paths");
    for p in [
        "/v1/stations/near",
        "/v1/changes",
        "/v1/snapshot",
        "/v1/login",
        "/v1/stations/{id}",
        "/v1/audit",
    ] {
        assert!(
            paths.contains_key(p),
            "{p} missing from the OpenAPI document"
        );
    }
    // Every answer has a request id: a new one, or the one the client sent.
    let health = get(&api, "/health", &[]).await;
    assert!(health.headers().contains_key("x-request-id"));
    assert_eq!(testing::json(health).await["status"], "ok");
    let traced = get(&api, "/health", &[("x-request-id", "trace-me-42")]).await;
    assert_eq!(traced.headers()["x-request-id"], "trace-me-42");
    // The encoding asked for is the one sent, and decodes to the plain body: the snapshot is
    // compressed ahead of time, answers in one go, the document by the compression layer.
    for uri in [
        "/v1/snapshot",
        "/v1/map?south=0&west=70&north=55&east=140&zoom=3",
        "/v1/stations/near?lat=22.54&lon=114.06&k=50",
        "/v1/openapi.json",
    ] {
        let plain = testing::bytes(get(&api, uri, &[]).await).await;
        for encoding in ["gzip", "zstd"] {
            assert!(
                decoded(&api, uri, encoding).await == plain,
                "{uri} {encoding}"
            );
        }
    }
    let (_, info) = api.call(Method::GET, "/v1/catalog/info", "").await;
    assert_eq!(info["stations"], STATIONS);
    assert_eq!(info["public_key"], server.public_key());
    assert!(
        info.get("path").is_none(),
        "the server does not reveal its file paths"
    );
}

#[tokio::test]
async fn map_views_places_and_routes_over_http() {
    let server = TestServer::seeded();
    let api = server.api();
    // The whole world at zoom 0: every station, in a cluster or alone.
    const WORLD: &str = "/v1/map?south=-85&west=-180&north=85&east=180&zoom=0";
    let resp = get(&api, WORLD, &[]).await;
    let tag = resp.headers()["etag"].to_str().expect("etag").to_string();
    let world = testing::json(resp).await;
    assert_eq!(world["in_view"], STATIONS);
    let clustered: u64 = world["clusters"]["count"]
        .as_array()
        .expect("counts")
        .iter()
        .filter_map(Value::as_u64)
        .sum();
    let alone = world["stations"]["ids"].as_array().expect("ids").len() as u64;
    assert_eq!(clustered + alone, STATIONS as u64);
    let unchanged = get(&api, WORLD, &[("if-none-match", &tag)]).await;
    assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED);
    // Zoomed in on one station: it stands alone with its kind and position.
    let (_, station) = api
        .call(Method::GET, "/v1/stations/syn-ws-000001", "")
        .await;
    let (lat, lon) = (
        station["lat"].as_f64().expect("lat"),
        station["lon"].as_f64().expect("lon"),
    );
    let around = |crs: &str| {
        format!(
            "/v1/map?south={}&west={}&north={}&east={}&zoom=15&crs={crs}",
            lat - 0.005,
            lon - 0.005,
            lat + 0.005,
            lon + 0.005
        )
    };
    let (_, near) = api.call(Method::GET, &around("wgs84"), "").await;
    let points = &near["stations"];
    let first = points["ids"]
        .as_array()
        .expect("ids")
        .iter()
        .position(|i| i == "syn-ws-000001")
        .expect("shown alone");
    let kind = &points["kind_ids"][points["kinds"][first].as_u64().expect("kind") as usize];
    assert_eq!(kind, &station["kind"]);
    assert!((points["lat"][first].as_f64().expect("lat") - lat).abs() < 1e-5);
    // For GCJ-02 tiles it is drawn where Amap draws it, a few hundred metres off.
    let (_, gcj) = api.call(Method::GET, &around("gcj02"), "").await;
    let shown = &gcj["stations"];
    let at = shown["ids"]
        .as_array()
        .expect("ids")
        .iter()
        .position(|i| i == "syn-ws-000001")
        .expect("shown alone in GCJ-02 too");
    let shift = waystation_catalog::LatLon::new(lat, lon)
        .expect("valid")
        .distance_m(
            waystation_catalog::LatLon::new(
                shown["lat"][at].as_f64().expect("lat"),
                shown["lon"][at].as_f64().expect("lon"),
            )
            .expect("valid"),
        );
    assert!((200.0..800.0).contains(&shift), "shift {shift} m");
    let (status, _) = api.call(Method::GET, &around("mars"), "").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (_, places) = api
        .call(Method::GET, "/v1/places?q=%E6%B7%B1%E5%9C%B3", "")
        .await;
    assert_eq!(places[0]["full_name"], "广东省深圳市");
    let (_, vocab) = api.call(Method::GET, "/v1/vocab", "").await;
    assert_eq!(vocab["apps"][0]["en"], "Amap");
    let (_, gcj) = api
        .call(
            Method::GET,
            "/v1/convert?lat=22.54&lon=114.06&from=wgs84&to=gcj02",
            "",
        )
        .await;
    assert!((gcj["lat"].as_f64().expect("lat") - 22.54).abs() > 0.001);

    // A route through syn-ws-000001, east-west: it is found, and hits come in route order.
    let (lat, lon) = (
        station["lat"].as_f64().expect("lat"),
        station["lon"].as_f64().expect("lon"),
    );
    let route =
        json!({"type": "LineString", "coordinates": [[lon - 0.3, lat], [lon + 0.3, lat + 0.05]]});
    let (status, hits) = api
        .call(
            Method::POST,
            "/v1/stations/along?within=20",
            &route.to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{hits}");
    let hits = hits.as_array().expect("array");
    let ids: Vec<&str> = hits.iter().filter_map(|h| h["id"].as_str()).collect();
    assert!(ids.contains(&"syn-ws-000001"), "{ids:?}");
    let along: Vec<f64> = hits.iter().filter_map(|h| h["along_m"].as_f64()).collect();
    assert_eq!(
        along.len(),
        hits.len(),
        "every hit is placed along the route"
    );
    assert!(along.windows(2).all(|w| w[0] <= w[1]), "{along:?}");

    // Arrival times ride on the same answer: a car leaving at 21:00 China time reaches each
    // station after its distance along the route and across, at 80 km/h.
    let (status, timed) = api
        .call(
            Method::POST,
            "/v1/stations/along?within=20&speed=car&depart=2026-11-29T21:00%2B08:00",
            &route.to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{timed}");
    let depart = chrono::DateTime::parse_from_rfc3339("2026-11-29T21:00:00+08:00").expect("time");
    for hit in timed.as_array().expect("array") {
        let eta = chrono::DateTime::parse_from_rfc3339(hit["eta"].as_str().expect("eta"))
            .expect("rfc 3339");
        let metres =
            hit["along_m"].as_f64().expect("along") + hit["offset_m"].as_f64().expect("offset");
        let seconds = (eta - depart).num_seconds() as f64;
        assert!((seconds - metres / (80.0 / 3.6)).abs() <= 1.0, "{hit}");
        assert!(hit.get("open_at_arrival").is_some(), "{hit}");
    }
    let (status, bad) = api
        .call(
            Method::POST,
            "/v1/stations/along?speed=warp",
            &route.to_string(),
        )
        .await;
    assert_eq!(
        (status, &bad["message_id"]),
        (StatusCode::BAD_REQUEST, &json!("bad_speed"))
    );

    let gpx = "<gpx><trk><trkseg><trkpt lat=\"95\" lon=\"1\"/></trkseg></trk></gpx>";
    let (status, bad) = api.call(Method::POST, "/v1/stations/along", gpx).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let message = bad["message"].to_string();
    assert!(
        message.contains("line 1") && message.contains("latitude 95"),
        "{message}"
    );
}

#[tokio::test]
async fn nearest_queries_go_on_answering_while_huge_routes_arrive() {
    let server = TestServer::seeded();
    let head = server.head_seq();
    // The attack as reported: a LineString across China, repeated (~350 KB), and the heaviest
    // route a request may bring, each posted again and again while drivers ask for the nearest.
    let across: Vec<String> = (0..12_000)
        .map(|i| {
            if i % 2 == 0 {
                "[87.6,43.8]"
            } else {
                "[121.5,31.2]"
            }
            .to_string()
        })
        .collect();
    let huge = format!(
        r#"{{"type":"LineString","coordinates":[{}]}}"#,
        across.join(",")
    );
    let heaviest = r#"{"type":"LineString","coordinates":[[126.6,45.8],[116.4,39.9],[121.5,31.2],[113.3,23.1],[102.7,25.0],[104.1,30.7],[108.9,34.3]]}"#;
    let mut attack = tokio::task::JoinSet::new();
    for round in 0..4 {
        for route in [huge.clone(), heaviest.to_string()] {
            let api = server.api_from(format!("192.0.2.{round}:5000").parse().expect("addr"));
            attack.spawn(async move {
                let uri = "/v1/stations/along?within=50km";
                let (status, answer) = api.call(Method::POST, uri, &route).await;
                (status, answer["message_id"].as_str().map(str::to_string))
            });
        }
    }
    let api = server.api();
    for _ in 0..50 {
        let (status, hits) = api
            .call(
                Method::GET,
                "/v1/stations/near?lat=30.59&lon=114.31&k=5",
                "",
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{hits}");
        assert_eq!(hits.as_array().map(Vec::len), Some(5));
    }
    for (status, message_id) in attack.join_all().await {
        match message_id.as_deref() {
            Some("route_too_long") => assert_eq!(status, StatusCode::BAD_REQUEST),
            None => assert_eq!(
                status,
                StatusCode::OK,
                "the heaviest route a request may bring"
            ),
            other => panic!("unexpected answer {status} {other:?}"),
        }
    }
    assert_eq!(server.head_seq(), head, "nothing was written");
}

#[tokio::test]
async fn a_since_beyond_the_head_takes_a_snapshot_and_is_never_signed() {
    let server = TestServer::seeded();
    let api = server.api();
    let resp = get(&api, "/v1/changes?since=9223372036854775807", &[]).await;
    assert_eq!(resp.status(), StatusCode::GONE);
    assert!(
        !resp.headers().contains_key("x-waystation-head"),
        "no head is signed for a sequence the server has not reached"
    );
}

#[tokio::test]
async fn a_signed_head_holds_as_long_as_the_server_is_told() {
    let lifetime = |server: &TestServer| {
        let api = server.api();
        async move {
            let (status, head) = api.call(Method::GET, "/v1/head", "").await;
            assert_eq!(status, StatusCode::OK);
            let at = |field: &str| {
                chrono::DateTime::parse_from_rfc3339(head[field].as_str().expect(field))
                    .expect(field)
            };
            (at("expires_at") - at("issued_at")).num_seconds()
        }
    };
    assert_eq!(lifetime(&TestServer::seeded()).await, 3600);
    let short = TestServer::seeded_with(&waystation_server::Options {
        head_lifetime: chrono::TimeDelta::minutes(5),
        ..Default::default()
    });
    assert_eq!(lifetime(&short).await, 300);
}

#[tokio::test]
async fn a_snapshot_has_an_immutable_url_and_can_be_asked_for_by_reference() {
    let server = TestServer::seeded();
    let api = server.api();
    let direct = get(&api, "/v1/snapshot?facts=true", &[]).await;
    assert_eq!(direct.status(), StatusCode::OK);
    let header = |resp: &Response, name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let seq = header(&direct, "x-waystation-seq").expect("seq");
    let url = format!("/v1/snapshots/{seq}?facts=true");
    assert_eq!(header(&direct, "content-location"), Some(url.clone()));
    assert_eq!(
        header(&direct, "cache-control").as_deref(),
        Some("no-store")
    );
    assert!(header(&direct, "x-waystation-head").is_some());
    let signature = header(&direct, "x-waystation-signature");
    let body = testing::bytes(direct).await;

    // The same bytes and signature at the immutable URL, cacheable for good; no head there
    // (a cached head would go stale).
    let immutable = get(&api, &url, &[]).await;
    assert_eq!(immutable.status(), StatusCode::OK);
    assert_eq!(
        header(&immutable, "cache-control").as_deref(),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(header(&immutable, "x-waystation-signature"), signature);
    assert_eq!(header(&immutable, "x-waystation-head"), None);
    assert_eq!(testing::bytes(immutable).await, body);
    // The array form (older clients) is its own snapshot, with its own URL once published.
    assert_eq!(
        get(&api, &format!("/v1/snapshots/{seq}"), &[])
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let array = get(&api, "/v1/snapshot", &[]).await;
    let array_url = header(&array, "content-location").expect("its URL");
    assert_eq!(array_url, format!("/v1/snapshots/{seq}"));
    let array = get(&api, &array_url, &[]).await;
    assert_eq!(array.status(), StatusCode::OK);
    assert_ne!(testing::bytes(array).await, body);

    // By reference: the head here, the bytes at Location.
    let pointer = get(
        &api,
        "/v1/snapshot?facts=true",
        &[("x-waystation-snapshot", "by-reference")],
    )
    .await;
    assert_eq!(pointer.status(), StatusCode::SEE_OTHER);
    assert_eq!(header(&pointer, "location"), Some(url));
    assert!(header(&pointer, "x-waystation-head").is_some());
    assert!(testing::bytes(pointer).await.is_empty());

    // A position no snapshot was published at is not there.
    let never = get(&api, "/v1/snapshots/999999?facts=true", &[]).await;
    assert_eq!(never.status(), StatusCode::NOT_FOUND);
}
