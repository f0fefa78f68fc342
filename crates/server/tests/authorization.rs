//! Who may do what: every write endpoint as anonymous, each operator and the admin; stale
//! versions; logging out; and failed logins limited per account and per client address.
//! In-process over the shared fixture (`waystation_server::testing`).

use std::net::SocketAddr;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};
use waystation_server::testing::{self, Api, TestServer};

/// A JSON request as `token` (anonymous with `None`), with `If-Match` when given.
fn request(
    method: Method,
    uri: &str,
    token: Option<&str>,
    if_match: Option<&str>,
    body: Option<&Value>,
) -> Request<Body> {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        req = req.header("authorization", format!("Bearer {token}"));
    }
    if let Some(version) = if_match {
        req = req.header("if-match", version);
    }
    let body = match body {
        Some(body) => {
            req = req.header("content-type", "application/json");
            Body::from(body.to_string())
        }
        None => Body::empty(),
    };
    req.body(body).expect("request")
}

/// PATCHes a station as `who`, based on the version the server holds now.
async fn patch(api: &Api, who: Option<&str>, id: &str, body: Value) -> Response {
    let version = api.version(id).await;
    let uri = format!("/v1/stations/{id}");
    let req = request(Method::PATCH, &uri, who, Some(&version), Some(&body));
    api.send(req).await
}

/// One write endpoint as one principal: the status it gets.
async fn matrix_call(api: &Api, who: Option<&str>, what: &str) -> u16 {
    let resp = match what {
        "patch ann's" => patch(api, who, "syn-ws-000001", json!({"notice": "热水维修中"})).await,
        "patch bob's" => {
            let body = json!({"status": "temporarily_closed"});
            patch(api, who, "syn-ws-000002", body).await
        }
        "rename ann's" => patch(api, who, "syn-ws-000001", json!({"name": "改名"})).await,
        "create" => {
            let id = format!("new-{}", who.map_or("anon", |t| &t[..6]));
            let body = json!({"id": id, "kind": "warm_bee", "name": "新站",
                              "adcode": "440305", "lat": 22.5, "lon": 113.9, "source": "official"});
            let req = request(Method::POST, "/v1/stations", who, None, Some(&body));
            api.send(req).await
        }
        "delete" => {
            let req = request(
                Method::DELETE,
                "/v1/stations/syn-ws-000010",
                who,
                None,
                None,
            );
            api.send(req).await
        }
        "assign" => {
            let body = json!({"username": "bob", "station_id": "syn-ws-000001"});
            let req = request(Method::POST, "/v1/assignments", who, None, Some(&body));
            api.send(req).await
        }
        "audit" => {
            api.send(request(Method::GET, "/v1/audit", who, None, None))
                .await
        }
        _ => unreachable!("unknown endpoint {what}"),
    };
    resp.status().as_u16()
}

#[tokio::test]
async fn authorization_matrix() {
    let server = TestServer::seeded();
    let api = server.api();
    let ann = api.login("ann").await;
    let bob = api.login("bob").await;
    let root = api.login("root").await;
    // (endpoint, anonymous, operator A = ann, operator B = bob, admin); admin goes last so
    // its delete is the one that lands.
    let expected: [(&str, [u16; 4]); 7] = [
        ("patch ann's", [401, 200, 403, 200]),
        ("patch bob's", [401, 403, 200, 200]),
        ("rename ann's", [401, 403, 403, 200]),
        ("create", [401, 403, 403, 201]),
        ("delete", [401, 403, 403, 204]),
        ("assign", [401, 403, 403, 204]),
        ("audit", [401, 403, 403, 200]),
    ];
    for (what, want) in expected {
        let mut got = Vec::new();
        for who in [None, Some(ann.as_str()), Some(bob.as_str()), Some(&root)] {
            got.push(matrix_call(&api, who, what).await);
        }
        assert_eq!(got, want, "{what}: anonymous, ann, bob, admin");
    }
    // Exactly the allowed writes were audited, by whom.
    let (status, audit) = api.call_as(Some(&root), Method::GET, "/v1/audit", "").await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    let mut entries: Vec<(String, String)> = audit
        .as_array()
        .expect("audit entries")
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().unwrap_or("").into(),
                e["action"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    entries.sort();
    let want: Vec<(String, String)> = [
        ("ann", "edit"),
        ("bob", "edit"),
        ("root", "create"),
        ("root", "delete"),
        ("root", "edit"),
        ("root", "edit"),
        ("root", "edit"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(entries, want);
    // A stale If-Match gets 412 and the current station.
    let late = json!({"notice": "late"});
    let uri = "/v1/stations/syn-ws-000001";
    let req = request(Method::PATCH, uri, Some(&ann), Some("\"1\""), Some(&late));
    let resp = api.send(req).await;
    assert_eq!(resp.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(testing::json(resp).await["name"], "改名");
    // Logging out ends the token.
    let (status, _) = api
        .call_as(Some(&bob), Method::POST, "/v1/logout", "")
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(matrix_call(&api, Some(&bob), "patch bob's").await, 401);
}

async fn login(api: &Api, user: &str, password: &str) -> Response {
    let body = json!({"username": user, "password": password});
    let req = request(Method::POST, "/v1/login", None, None, Some(&body));
    api.send(req).await
}

#[tokio::test]
async fn failed_logins_are_rate_limited_per_account_and_per_address() {
    let server = TestServer::seeded();
    let api = server.api();
    for _ in 0..5 {
        assert_eq!(login(&api, "ann", "wrong").await.status(), 401);
    }
    let blocked = login(&api, "ann", "ann-pass-1").await;
    assert_eq!(
        blocked.status(),
        429,
        "even the right password waits after five failures"
    );
    assert!(blocked.headers().contains_key("retry-after"));
    assert_eq!(
        login(&api, "bob", "bob-pass-1").await.status(),
        200,
        "other accounts are not blocked"
    );
    // From one address, failures across many names are limited too.
    for i in 0..15 {
        let status = login(&api, &format!("guess{i}"), "wrong").await.status();
        assert_eq!(status, 401);
    }
    assert_eq!(login(&api, "nobody-yet", "wrong").await.status(), 429);
    assert_eq!(
        login(&api, "bob", "{\"").await.status(),
        429,
        "the address is blocked for every account once it has failed 20 times"
    );
    // Another address is not: bob logs in from it, but ann's account stays blocked there too.
    let elsewhere: SocketAddr = "192.0.2.7:40000".parse().expect("address");
    let other = server.api_from(elsewhere);
    assert_eq!(login(&other, "bob", "bob-pass-1").await.status(), 200);
    assert_eq!(login(&other, "ann", "ann-pass-1").await.status(), 429);
}
