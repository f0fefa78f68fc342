//! Drivers' confirmations over HTTP (in-process, the shared fixture): one a device, a fact and a
//! day; tallies for everyone; facts denied more than confirmed in the admins' queue; an
//! operator's own edit vouches for their listing; limits per device.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use waystation_server::testing::{Api, TestServer};

async fn say(
    api: &Api,
    station: &str,
    fact: &str,
    holds: bool,
    device: &str,
) -> (StatusCode, Value) {
    let body = json!({"fact": fact, "holds": holds, "device": device}).to_string();
    api.call(
        Method::POST,
        &format!("/v1/stations/{station}/confirmations"),
        &body,
    )
    .await
}

fn tally<'a>(facts: &'a Value, fact: &str) -> &'a Value {
    facts
        .as_array()
        .and_then(|a| a.iter().find(|f| f["fact"] == fact))
        .unwrap_or(&Value::Null)
}

/// A driver at their own address (each a voice of their own in the tallies).
fn driver(server: &TestServer, n: u8) -> Api {
    server.api_from(format!("10.0.0.{n}:9").parse().expect("addr"))
}

#[tokio::test]
async fn confirmations_count_once_a_day_and_disputed_facts_reach_the_admins() {
    let server = TestServer::seeded();
    let api = server.api();
    let station = "syn-ws-000003";
    assert_eq!(
        say(&driver(&server, 1), station, "drinking_water", true, "d1")
            .await
            .1["counted"],
        true
    );
    // The same device again today: the first word stands.
    assert_eq!(
        say(&driver(&server, 1), station, "drinking_water", false, "d1")
            .await
            .1["counted"],
        false
    );
    for (n, device) in [(2, "d2"), (3, "d3")] {
        assert_eq!(
            say(
                &driver(&server, n),
                station,
                "drinking_water",
                false,
                device
            )
            .await
            .0,
            StatusCode::ACCEPTED
        );
    }
    assert_eq!(
        say(&driver(&server, 2), station, "open", true, "d2")
            .await
            .0,
        StatusCode::ACCEPTED
    );

    let (status, facts) = api
        .call(Method::GET, &format!("/v1/stations/{station}/facts"), "")
        .await;
    assert_eq!(status, StatusCode::OK);
    let water = tally(&facts, "drinking_water");
    assert_eq!(
        (&water["confirmed"], &water["denied"]),
        (&json!(1), &json!(2)),
        "{facts}"
    );
    assert!(water["last_confirmed"].is_string());
    assert_eq!(tally(&facts, "open")["confirmed"], 1);

    // Denied more than confirmed: in the admins' queue, and only theirs.
    assert_eq!(
        api.call(Method::GET, "/v1/disputes", "").await.0,
        StatusCode::UNAUTHORIZED
    );
    let root = api.login("root").await;
    let (status, disputes) = api
        .call_as(Some(&root), Method::GET, "/v1/disputes", "")
        .await;
    assert_eq!(status, StatusCode::OK);
    let listed: Vec<(&str, &str)> = disputes
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|d| Some((d["station_id"].as_str()?, d["fact"].as_str()?)))
        .collect();
    assert_eq!(
        listed,
        [(station, "drinking_water")],
        "open was confirmed, not disputed"
    );

    // The feed carries the tallies to clients that ask for them, and to them only (an older
    // client cannot read them); the sequence moves past them either way.
    let ops = |page: &Value| -> Vec<String> {
        page["changes"]
            .as_array()
            .expect("changes")
            .iter()
            .filter_map(|c| c["op"].as_str().map(str::to_string))
            .collect()
    };
    let (_, without) = api
        .call(Method::GET, "/v1/changes?since=0&limit=10000", "")
        .await;
    let (_, with) = api
        .call(
            Method::GET,
            "/v1/changes?since=0&limit=10000&facts=true",
            "",
        )
        .await;
    assert!(!ops(&without).contains(&"facts".to_string()), "{without}");
    assert_eq!(ops(&with).iter().filter(|op| *op == "facts").count(), 1);
    assert_eq!(without["last_seq"], with["last_seq"]);

    // Device ids that would take the server's own keys, unknown facts and unknown stations are
    // refused.
    assert_eq!(
        say(&api, station, "toilet", true, "operator:ann").await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        say(&api, station, "jacuzzi", true, "d4").await.0,
        StatusCode::BAD_REQUEST
    );
    // A service the station does not list is a proposal to make, not a fact to deny.
    let (_, listing) = api
        .call(Method::GET, &format!("/v1/stations/{station}"), "")
        .await;
    let unlisted = ["fuel", "vehicle_repair", "laundry", "shower", "toilet"]
        .into_iter()
        .find(|s| {
            !listing["services"]
                .as_array()
                .expect("services")
                .contains(&json!(s))
        })
        .expect("a service it lacks");
    let (status, refused) = say(&api, station, unlisted, false, "d4").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(
        say(&api, "nowhere", "open", true, "d4").await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn fresh_device_ids_from_one_address_are_one_voice() {
    let server = TestServer::seeded();
    let station = "syn-ws-000004";
    // One phone inventing a new device id for each word: every word is kept (one a device
    // and a day), but they count once, so the fact is not disputed.
    let one = driver(&server, 7);
    for device in ["fresh-1", "fresh-2", "fresh-3", "fresh-4"] {
        assert_eq!(
            say(&one, station, "toilet", false, device).await.1["counted"],
            true
        );
    }
    let facts = |api: Api| async move {
        api.call(Method::GET, &format!("/v1/stations/{station}/facts"), "")
            .await
            .1
    };
    assert_eq!(tally(&facts(server.api()).await, "toilet")["denied"], 1);
    let root = server.api().login("root").await;
    let disputes = server
        .api()
        .call_as(Some(&root), Method::GET, "/v1/disputes", "")
        .await
        .1;
    assert_eq!(disputes, json!([]), "one voice cannot dispute a fact");

    // A second address is a second voice: now the fact is disputed.
    say(&driver(&server, 8), station, "toilet", false, "another").await;
    assert_eq!(tally(&facts(server.api()).await, "toilet")["denied"], 2);
    let disputes = server
        .api()
        .call_as(Some(&root), Method::GET, "/v1/disputes", "")
        .await
        .1;
    assert_eq!(disputes[0]["fact"], "toilet", "{disputes}");
}

#[tokio::test]
async fn snapshots_carry_the_tallies_to_clients_that_ask_and_are_reused_while_the_feed_moves() {
    let server = TestServer::seeded();
    let api = server.api();
    let (status, old_form) = api.call(Method::GET, "/v1/snapshot", "").await;
    assert_eq!(status, StatusCode::OK);
    let stations = old_form
        .as_array()
        .expect("older clients still get an array")
        .len();
    say(
        &driver(&server, 1),
        "syn-ws-000005",
        "drinking_water",
        true,
        "d1",
    )
    .await;

    // The first snapshot with tallies is built now, so it has the word just said.
    let req = |path: &str| {
        axum::http::Request::get(path)
            .body(axum::body::Body::empty())
            .expect("request")
    };
    let resp = api.send(req("/v1/snapshot?facts=true")).await;
    let seq = resp.headers()["x-waystation-seq"]
        .to_str()
        .expect("seq")
        .to_string();
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .expect("body");
    let with: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(
        with["stations"].as_array().expect("stations").len(),
        stations
    );
    let facts = &with["facts"];
    assert_eq!(facts[0]["station_id"], "syn-ws-000005", "{facts}");
    assert_eq!(tally(facts, "drinking_water")["confirmed"], 1);

    // Another word moves the head; for a few minutes the same snapshot is served (clients page
    // forward from its sequence) instead of building the whole catalog again.
    say(
        &driver(&server, 2),
        "syn-ws-000005",
        "drinking_water",
        true,
        "d2",
    )
    .await;
    let again = api.send(req("/v1/snapshot?facts=true")).await;
    assert_eq!(
        again.headers()["x-waystation-seq"].to_str().expect("seq"),
        seq
    );
    let head: i64 = api.call(Method::GET, "/v1/head", "").await.1["seq"]
        .as_i64()
        .expect("head seq");
    assert!(head > seq.parse::<i64>().expect("number"));
    let (status, page) = api
        .call(
            Method::GET,
            &format!("/v1/changes?since={seq}&facts=true"),
            "",
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["changes"][0]["facts"][0]["confirmed"], 2, "{page}");
}

#[tokio::test]
async fn an_operators_saved_listing_confirms_what_it_states() {
    let server = TestServer::seeded();
    let api = server.api();
    let ann = api.login("ann").await;
    let etag = api.version("syn-ws-000001").await;
    let req = axum::http::Request::patch("/v1/stations/syn-ws-000001")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {ann}"))
        .header("if-match", etag)
        .body(axum::body::Body::from(r#"{"notice": "热水正常"}"#))
        .expect("request");
    assert_eq!(api.send(req).await.status(), StatusCode::OK);
    let (_, station) = api
        .call(Method::GET, "/v1/stations/syn-ws-000001", "")
        .await;
    let (_, facts) = api
        .call(Method::GET, "/v1/stations/syn-ws-000001/facts", "")
        .await;
    for service in station["services"].as_array().expect("services") {
        let fact = service.as_str().expect("id");
        assert_eq!(tally(&facts, fact)["confirmed"], 1, "{fact}: {facts}");
    }
}

#[tokio::test]
async fn confirmations_are_limited_per_device() {
    let server = TestServer::seeded();
    for i in 0..60 {
        let api = server.api_from(format!("10.1.0.{}:9", i % 250 + 1).parse().expect("addr"));
        let station = format!("syn-ws-{:06}", i % 50 + 1);
        assert_eq!(
            say(&api, &station, "open", true, "busy-phone").await.0,
            StatusCode::ACCEPTED
        );
    }
    let api = server.api_from("10.1.1.1:9".parse().expect("addr"));
    let (status, refused) = say(&api, "syn-ws-000001", "toilet", true, "busy-phone").await;
    assert_eq!(
        (status, &refused["code"]),
        (
            StatusCode::TOO_MANY_REQUESTS,
            &json!("too_many_confirmations")
        )
    );
}
