//! Who may do what: every write endpoint as anonymous, each operator and the admin; stale
//! versions; logging out; and failed logins limited per account and per client address.
//! In-process over the shared fixture (`waystation_server::testing`).

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
    // The fixture's accounts are audited too (actor "test"), and so is the assignment.
    let want: Vec<(String, String)> = [
        ("ann", "edit"),
        ("bob", "edit"),
        ("root", "assign"),
        ("root", "create"),
        ("root", "delete"),
        ("root", "edit"),
        ("root", "edit"),
        ("root", "edit"),
        ("test", "assign"),
        ("test", "assign"),
        ("test", "user.add"),
        ("test", "user.add"),
        ("test", "user.add"),
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

fn from(server: &TestServer, address: &str) -> Api {
    server.api_from(format!("{address}:40000").parse().expect("address"))
}

#[tokio::test]
async fn failed_logins_are_limited_per_address() {
    let server = TestServer::seeded();
    let api = server.api();
    assert_eq!(login(&api, "bob", "bob-pass-1").await.status(), 200);
    // From one address, failures across many names: 20, then the address waits.
    for i in 0..20 {
        let status = login(&api, &format!("guess{i}"), "wrong").await.status();
        assert_eq!(status, 401, "guess {i}");
    }
    let blocked = login(&api, "nobody-yet", "wrong").await;
    assert_eq!(blocked.status(), 429);
    assert!(blocked.headers().contains_key("retry-after"));
    assert_eq!(
        login(&api, "bob", "bob-pass-1").await.status(),
        429,
        "the address waits for every account, even with the right password"
    );
    // Another address does not, and an IPv6 client counts by its /64.
    assert_eq!(
        login(&from(&server, "192.0.2.7"), "bob", "bob-pass-1")
            .await
            .status(),
        200
    );
    for i in 0..20 {
        let neighbour = from(&server, &format!("[2001:db8:0:1::{i:x}]"));
        let name = format!("nobody{i}");
        assert_eq!(login(&neighbour, &name, "wrong").await.status(), 401);
    }
    let same_64 = from(&server, "[2001:db8:0:1:ffff::1]");
    assert_eq!(login(&same_64, "bob", "bob-pass-1").await.status(), 429);
    // Names that cannot exist are refused before any hashing, and do not count.
    for _ in 0..30 {
        let status = login(&from(&server, "192.0.2.8"), "Robert'); DROP", "x")
            .await
            .status();
        assert_eq!(status, 400);
    }
    assert_eq!(
        login(&from(&server, "192.0.2.8"), "bob", "bob-pass-1")
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn guessing_an_account_slows_it_down_but_cannot_lock_out_its_owner() {
    let server = TestServer::seeded();
    let home = from(&server, "192.0.2.1");
    assert_eq!(login(&home, "root", "root-pass-1").await.status(), 200);
    let attacker = from(&server, "198.51.100.7");
    for _ in 0..5 {
        assert_eq!(login(&attacker, "root", "wrong").await.status(), 401);
    }
    let waits = login(&attacker, "root", "root-pass-1").await;
    assert_eq!(
        waits.status(),
        429,
        "even the right password waits once the account has failed five times"
    );
    assert!(waits.headers().contains_key("retry-after"));
    let stranger = from(&server, "203.0.113.9");
    assert_eq!(login(&stranger, "root", "root-pass-1").await.status(), 429);
    assert_eq!(
        login(&home, "root", "root-pass-1").await.status(),
        200,
        "an address that has logged in to the account before is not delayed"
    );
    assert_eq!(
        login(&attacker, "bob", "bob-pass-1").await.status(),
        200,
        "other accounts are not delayed"
    );
}

#[tokio::test]
async fn parallel_guesses_are_counted_before_any_password_is_checked() {
    let server = TestServer::seeded();
    // Sixty wrong passwords for one account at once, each from its own address.
    let mut guesses = tokio::task::JoinSet::new();
    for i in 0..60 {
        let api = from(&server, &format!("10.0.0.{}", i + 1));
        guesses.spawn(async move { login(&api, "ann", "wrong").await.status().as_u16() });
    }
    let statuses: Vec<u16> = guesses.join_all().await;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    assert!(checked <= 5, "at most five passwords checked: {statuses:?}");
    assert!(
        statuses.iter().all(|s| [401, 429, 503].contains(s)),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn a_login_flood_waits_for_a_few_password_checkers_or_is_told_to_come_back() {
    let server = TestServer::seeded();
    let mut attempts = tokio::task::JoinSet::new();
    for i in 0..300 {
        let api = from(&server, &format!("10.1.{}.{}", i / 200, i % 200 + 1));
        attempts.spawn(async move {
            let resp = login(&api, &format!("user{i}"), "wrong").await;
            (
                resp.status().as_u16(),
                resp.headers().contains_key("retry-after"),
            )
        });
    }
    let answers: Vec<(u16, bool)> = attempts.join_all().await;
    for (status, retry_after) in &answers {
        assert!([401, 503].contains(status), "{answers:?}");
        assert_eq!(
            *status == 503,
            *retry_after,
            "a busy answer says when to come back"
        );
    }
    assert!(answers.iter().any(|(s, _)| *s == 401), "some were checked");
}

/// A login sent through `api` with an `X-Forwarded-For` header.
async fn login_forwarded(api: &Api, user: &str, forwarded_for: &str) -> u16 {
    let body = json!({"username": user, "password": "wrong"}).to_string();
    let req = Request::builder()
        .method(Method::POST)
        .uri("/v1/login")
        .header("content-type", "application/json")
        .header("x-forwarded-for", forwarded_for)
        .body(Body::from(body))
        .expect("request");
    api.send(req).await.status().as_u16()
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_limits_count_the_forwarded_address_and_nobody_elses_claim() {
    let proxy: std::net::IpAddr = "10.9.9.9".parse().expect("ip");
    let server = TestServer::seeded_with(&waystation_server::Options {
        trusted_proxy: Some(proxy),
        ..Default::default()
    });
    let through_proxy = from(&server, "10.9.9.9");
    // The proxy appends the client it saw; what the client wrote before it is not believed.
    for i in 0..20 {
        let user = format!("guess{i}");
        let status = login_forwarded(&through_proxy, &user, "1.2.3.4, 198.51.100.1").await;
        assert_eq!(status, 401);
    }
    let status = login_forwarded(&through_proxy, "other", "5.6.7.8, 198.51.100.1").await;
    assert_eq!(status, 429);
    let status = login_forwarded(&through_proxy, "other", "198.51.100.2").await;
    assert_eq!(
        status, 401,
        "another client behind the same proxy is not limited"
    );
    // Anyone else's X-Forwarded-For is ignored: the limits count their own address.
    let direct = from(&server, "203.0.113.50");
    for i in 0..20 {
        let user = format!("direct{i}");
        let status = login_forwarded(&direct, &user, &format!("192.0.2.{i}")).await;
        assert_eq!(status, 401);
    }
    assert_eq!(login_forwarded(&direct, "other", "192.0.2.200").await, 429);
}
