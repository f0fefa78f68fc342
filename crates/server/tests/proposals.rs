//! Proposals over HTTP (in-process, the shared fixture): anyone proposes and learns how it went
//! only with its secret; a duplicate is flagged; admins list, reject with a reason, approve
//! (making the proposer an operator), each once; limits per address and device.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};
use waystation_server::testing::{self, Api, TestServer};

async fn status_with(api: &Api, id: i64, secret: Option<&str>) -> (StatusCode, Value) {
    let mut req = Request::get(format!("/v1/proposals/{id}"));
    if let Some(secret) = secret {
        req = req.header("x-proposal-secret", secret);
    }
    let resp = api.send(req.body(Body::empty()).expect("request")).await;
    (resp.status(), testing::json(resp).await)
}

async fn propose(api: &Api, body: Value) -> (StatusCode, Value) {
    api.call(Method::POST, "/v1/proposals", &body.to_string())
        .await
}

/// A station of the fixture, to propose near or about.
async fn seeded(api: &Api, id: &str) -> Value {
    let (status, station) = api
        .call(Method::GET, &format!("/v1/stations/{id}"), "")
        .await;
    assert_eq!(status, StatusCode::OK);
    station
}

#[tokio::test]
async fn a_proposal_is_seen_only_with_its_secret_and_rejected_with_a_reason() {
    let server = TestServer::seeded();
    let api = server.api();
    let (status, kept) = propose(
        &api,
        json!({"fields": {"kind": "caring_merchant", "name": "戈壁热水小卖部", "lat": 40.1, "lon": 94.6,
               "services": ["drinking_water"]}, "note": "老板同意", "contact": "13800000000", "device": "d-1"}),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{kept}");
    let id = kept["id"].as_i64().expect("id");
    let secret = kept["secret"].as_str().expect("secret").to_string();
    assert_eq!(secret.len(), 64);
    assert_eq!(kept["duplicate_of"], Value::Null, "nothing near the Gobi");

    // Without the secret, or with another, it is as good as absent.
    assert_eq!(status_with(&api, id, None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        status_with(&api, id, Some(&"0".repeat(64))).await.0,
        StatusCode::NOT_FOUND
    );
    let (status, mine) = status_with(&api, id, Some(&secret)).await;
    assert_eq!(
        (status, &mine["state"]),
        (StatusCode::OK, &json!("pending"))
    );
    assert!(
        mine.get("contact").is_none(),
        "the proposer's own view: {mine}"
    );

    // Only admins list and decide.
    let ann = api.login("ann").await;
    for (method, uri, body) in [
        (Method::GET, "/v1/proposals".to_string(), ""),
        (
            Method::POST,
            format!("/v1/proposals/{id}/reject"),
            r#"{"reason": "no"}"#,
        ),
        (Method::POST, format!("/v1/proposals/{id}/approve"), "{}"),
    ] {
        assert_eq!(
            api.call(method.clone(), &uri, body).await.0,
            StatusCode::UNAUTHORIZED,
            "{uri}"
        );
        assert_eq!(
            api.call_as(Some(&ann), method, &uri, body).await.0,
            StatusCode::FORBIDDEN,
            "{uri}"
        );
    }
    let root = api.login("root").await;
    let (status, pending) = api
        .call_as(Some(&root), Method::GET, "/v1/proposals?state=pending", "")
        .await;
    assert_eq!(status, StatusCode::OK);
    let listed = pending
        .as_array()
        .expect("list")
        .iter()
        .find(|p| p["id"] == id)
        .expect("listed");
    assert_eq!(
        listed["contact"], "13800000000",
        "admins see how to reach the proposer"
    );

    // Rejected with a reason the proposer reads; never decided twice.
    let reject = format!("/v1/proposals/{id}/reject");
    let (status, _) = api
        .call_as(Some(&root), Method::POST, &reject, r#"{"reason": "  "}"#)
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a reason is needed"
    );
    let (status, _) = api
        .call_as(
            Some(&root),
            Method::POST,
            &reject,
            r#"{"reason": "位置在戈壁中央，请补充照片"}"#,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, mine) = status_with(&api, id, Some(&secret)).await;
    assert_eq!(
        (&mine["state"], &mine["reason"]),
        (&json!("rejected"), &json!("位置在戈壁中央，请补充照片"))
    );
    let (status, _) = api
        .call_as(
            Some(&root),
            Method::POST,
            &format!("/v1/proposals/{id}/approve"),
            "{}",
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn an_approved_proposal_becomes_a_station_its_proposer_runs() {
    let server = TestServer::seeded();
    let api = server.api();
    let root = api.login("root").await;

    // Beside a seeded station of the same kind: flagged as its likely duplicate.
    let near = seeded(&api, "syn-ws-000003").await;
    let (_, dup) = propose(
        &api,
        json!({"fields": {"kind": near["kind"], "name": "另一个名字", "lat": near["lat"].as_f64().unwrap_or(0.0) + 0.0005,
               "lon": near["lon"]}}),
    )
    .await;
    assert_eq!(dup["duplicate_of"], "syn-ws-000003");

    let head = server.head_seq();
    let (_, kept) = propose(
        &api,
        json!({"fields": {"kind": "caring_merchant", "name": "敦煌热水驿站", "lat": 40.14, "lon": 94.66,
               "services": ["drinking_water", "toilet"], "opening_hours": "Mo-Su 08:00-22:00"}}),
    )
    .await;
    let (id, secret) = (
        kept["id"].as_i64().expect("id"),
        kept["secret"].as_str().expect("secret").to_string(),
    );
    let approve = format!("/v1/proposals/{id}/approve");
    let (status, _) = api
        .call_as(
            Some(&root),
            Method::POST,
            &approve,
            r#"{"operator": "dunhuang"}"#,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a new operator needs a password"
    );
    let (status, station) = api
        .call_as(
            Some(&root),
            Method::POST,
            &approve,
            r#"{"operator": "dunhuang", "password": "dunhuang-pass-1"}"#,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{station}");
    let station_id = station["id"].as_str().expect("id").to_string();
    assert_eq!(station["source"], "proposal");
    assert_eq!(
        server.head_seq(),
        head + 1,
        "one write: the station, in the feed"
    );

    // The proposer sees where it went; the new operator runs it.
    let (_, mine) = status_with(&api, id, Some(&secret)).await;
    assert_eq!(
        (&mine["state"], &mine["station_id"]),
        (&json!("approved"), &json!(station_id))
    );
    let login = json!({"username": "dunhuang", "password": "dunhuang-pass-1"}).to_string();
    let (status, session) = api.call(Method::POST, "/v1/login", &login).await;
    assert_eq!(status, StatusCode::OK);
    let token = session["token"].as_str().expect("token");
    let (_, me) = api.call_as(Some(token), Method::GET, "/v1/me", "").await;
    assert_eq!(me["stations"], json!([station_id]));
    let (status, near_answer) = api
        .call(Method::GET, "/v1/stations/near?lat=40.14&lon=94.66&k=1", "")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        near_answer[0]["id"],
        station_id.as_str(),
        "queries see it at once"
    );

    // A change proposal: only what changes, applied to the station as it is.
    let (_, change) = propose(
        &api,
        json!({"station_id": station_id, "fields": {"phone": "0937-1234567"}}),
    )
    .await;
    let cid = change["id"].as_i64().expect("id");
    let (status, changed) = api
        .call_as(
            Some(&root),
            Method::POST,
            &format!("/v1/proposals/{cid}/approve"),
            "{}",
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (&changed["phone"], &changed["name"]),
        (&json!("0937-1234567"), &json!("敦煌热水驿站"))
    );
}

#[tokio::test]
async fn bad_proposals_are_refused_naming_the_rule() {
    let server = TestServer::seeded();
    let api = server.api();
    for (body, status, id) in [
        (
            json!({"station_id": "syn-ws-000001", "fields": {}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "nothing_proposed",
        ),
        (
            json!({"station_id": "syn-ws-000001", "fields": {"id": "x"}}),
            StatusCode::FORBIDDEN,
            "not_proposable",
        ),
        (
            json!({"station_id": "nowhere", "fields": {"name": "x"}}),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            json!({"fields": {"kind": "driver_home", "lat": 30, "lon": 114}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_field",
        ),
        (
            json!({"fields": {"kind": "driver_home", "name": "x", "lat": 30, "lon": 114}, "crs": "mars"}),
            StatusCode::BAD_REQUEST,
            "unknown_id",
        ),
        (
            json!({"fields": {"kind": "spaceport", "name": "x", "lat": 30, "lon": 114}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_field",
        ),
    ] {
        let (got, answer) = propose(&api, body.clone()).await;
        assert_eq!(
            (got, &answer["message_id"]),
            (status, &json!(id)),
            "{body} → {answer}"
        );
    }
    let (status, _) = api
        .call(
            Method::POST,
            "/v1/proposals",
            r#"{"fields": {}, "extra": 1}"#,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown fields are refused"
    );
    // Text a reviewer's terminal or page shows must not be able to rewrite it.
    let (status, answer) = propose(
        &api,
        json!({"fields": {"kind": "driver_home", "name": "x", "lat": 30, "lon": 114}, "note": "ok\u{1b}[31m\u{202e}"}),
    )
    .await;
    assert_eq!(
        (status, &answer["message_id"]),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!("control_characters")
        )
    );
    // Nor may a problem report's note (a NUL also could not move to PostgreSQL).
    let (status, answer) = api
        .call(
            axum::http::Method::POST,
            "/v1/reports",
            &json!({"station_id": "syn-ws-000001", "problem": "closed", "note": "a\u{0}b"})
                .to_string(),
        )
        .await;
    assert_eq!(
        (status, &answer["message_id"]),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!("control_characters")
        ),
        "{answer}"
    );
    // A change to what a field already says changes nothing.
    let same = seeded(&api, "syn-ws-000001").await;
    let (status, answer) = propose(
        &api,
        json!({"station_id": "syn-ws-000001", "fields": {"name": same["name"]}}),
    )
    .await;
    assert_eq!(
        (status, &answer["message_id"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("nothing_proposed"))
    );
    // A proposal id that is not a number is a JSON refusal like any other.
    let (status, answer) = status_with(&api, -1, None).await;
    assert_eq!(
        (status, &answer["message_id"]),
        (StatusCode::NOT_FOUND, &json!("no_proposal"))
    );
    let resp = api
        .send(
            Request::get("/v1/proposals/abc")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_eq!(testing::json(resp).await["message_id"], "no_proposal");
}

#[tokio::test]
async fn an_approval_never_overwrites_a_station_that_took_its_id() {
    let server = TestServer::seeded();
    let api = server.api();
    let root = api.login("root").await;
    let (_, kept) = propose(
        &api,
        json!({"fields": {"kind": "warm_bee", "name": "被占用编号", "lat": 31.0, "lon": 121.0}}),
    )
    .await;
    let id = kept["id"].as_i64().expect("id");
    // An admin made a station with the id the approval would take.
    let taken = json!({"id": format!("prop-{id:06}"), "kind": "driver_home", "name": "已有站点",
        "address": "x", "adcode": "310101", "lat": 31.2, "lon": 121.4, "source": "official"});
    let (status, _) = api
        .call_as(
            Some(&root),
            Method::POST,
            "/v1/stations",
            &taken.to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, station) = api
        .call_as(
            Some(&root),
            Method::POST,
            &format!("/v1/proposals/{id}/approve"),
            "{}",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{station}");
    assert_eq!(station["id"], format!("prop-{id:06}-2"));
    let (_, kept_station) = api
        .call(Method::GET, &format!("/v1/stations/prop-{id:06}"), "")
        .await;
    assert_eq!(
        kept_station["name"], "已有站点",
        "the station that was there is untouched"
    );
}

#[tokio::test]
async fn proposals_are_limited_per_address_and_per_device() {
    let server = TestServer::seeded();
    let new = |device: &str| json!({"fields": {"kind": "driver_home", "name": "限流测试", "lat": 35.0, "lon": 100.0}, "device": device});
    // One device, from ever new addresses: its eleventh proposal waits.
    for i in 0..10 {
        let api = server.api_from(format!("10.0.0.{}:9", i + 1).parse().expect("addr"));
        assert_eq!(
            propose(&api, new("phone-a")).await.0,
            StatusCode::ACCEPTED,
            "#{i}"
        );
    }
    let other = server.api_from("10.0.1.1:9".parse().expect("addr"));
    let (status, refused) = propose(&other, new("phone-a")).await;
    assert_eq!(
        (status, &refused["code"]),
        (StatusCode::TOO_MANY_REQUESTS, &json!("too_many_proposals"))
    );
    // One address, whatever device it claims.
    let api = server.api_from("10.0.2.1:9".parse().expect("addr"));
    for i in 0..10 {
        assert_eq!(
            propose(&api, new(&format!("phone-{i}"))).await.0,
            StatusCode::ACCEPTED
        );
    }
    assert_eq!(
        propose(&api, new("phone-z")).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn an_operator_sees_what_waits_about_their_own_stations_only() {
    let server = TestServer::seeded();
    let api = server.api();
    for station in ["syn-ws-000001", "syn-ws-000002"] {
        let report =
            json!({"station_id": station, "problem": "closed", "note": format!("{station} 关了")});
        let (status, _) = api
            .call(Method::POST, "/v1/reports", &report.to_string())
            .await;
        assert_eq!(status, StatusCode::ACCEPTED);
        let (status, _) = propose(
            &api,
            json!({"station_id": station, "fields": {"phone": "0937-1111111"}, "contact": "13700000000"}),
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    assert_eq!(
        api.call(Method::GET, "/v1/me/inbox", "").await.0,
        StatusCode::UNAUTHORIZED
    );
    let ann = api.login("ann").await;
    let (status, inbox) = api
        .call_as(Some(&ann), Method::GET, "/v1/me/inbox", "")
        .await;
    assert_eq!(status, StatusCode::OK);
    let about = |key: &str| -> Vec<String> {
        inbox[key]
            .as_array()
            .expect(key)
            .iter()
            .filter_map(|e| e["station_id"].as_str().map(str::to_string))
            .collect()
    };
    assert_eq!(about("reports"), ["syn-ws-000001"], "{inbox}");
    assert_eq!(about("proposals"), ["syn-ws-000001"], "{inbox}");
    assert_eq!(
        inbox["proposals"][0]["contact"],
        Value::Null,
        "contacts are for admins"
    );
    assert_eq!(inbox["proposals"][0]["fields"]["phone"], "0937-1111111");
}
