//! An account's whole life over the API: listed, sessions seen and revoked, stations taken
//! away, passwords set by an admin or changed by their owner, removed — each admin action in
//! the audit log, account answers never cached. In-process over the shared fixture.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};
use waystation_server::testing::{Api, TestServer};

async fn login(api: &Api, user: &str, password: &str) -> (StatusCode, Value) {
    let body = json!({"username": user, "password": password}).to_string();
    api.call(Method::POST, "/v1/login", &body).await
}

async fn me(api: &Api, token: &str) -> StatusCode {
    api.call_as(Some(token), Method::GET, "/v1/me", "").await.0
}

#[tokio::test]
async fn admins_end_sessions_take_stations_away_and_remove_accounts() {
    let server = TestServer::seeded();
    let api = server.api();
    let root = api.login("root").await;
    let ann = api.login("ann").await;

    // Listed, never cached.
    let resp = api
        .send(
            Request::builder()
                .uri("/v1/users")
                .header("authorization", format!("Bearer {root}"))
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let (_, users) = api.call_as(Some(&root), Method::GET, "/v1/users", "").await;
    let names: Vec<&str> = users
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|u| u["username"].as_str())
        .collect();
    assert_eq!(names, ["ann", "bob", "root"]);
    assert_eq!(users[0]["stations"], json!(["syn-ws-000001"]));

    // Operators may not do any of this.
    for (method, uri) in [
        (Method::GET, "/v1/users"),
        (Method::DELETE, "/v1/users/bob"),
        (Method::DELETE, "/v1/users/bob/sessions"),
        (Method::DELETE, "/v1/assignments/bob/syn-ws-000002"),
    ] {
        let (status, _) = api.call_as(Some(&ann), method.clone(), uri, "").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {uri}");
    }

    // Sessions: seen by short id, revoked, and then the token no longer works.
    let (_, sessions) = api
        .call_as(Some(&root), Method::GET, "/v1/users/ann/sessions", "")
        .await;
    assert_eq!(sessions.as_array().map(Vec::len), Some(1), "{sessions}");
    assert_eq!(sessions[0]["id"].as_str().map(str::len), Some(12));
    let (status, revoked) = api
        .call_as(Some(&root), Method::DELETE, "/v1/users/ann/sessions", "")
        .await;
    assert_eq!(
        (status, revoked["revoked"].as_u64()),
        (StatusCode::OK, Some(1))
    );
    assert_eq!(me(&api, &ann).await, StatusCode::UNAUTHORIZED);
    // Revoking again ends nothing, and is still on record (the admin's decision counts).
    let (status, revoked) = api
        .call_as(Some(&root), Method::DELETE, "/v1/users/ann/sessions", "")
        .await;
    assert_eq!(
        (status, revoked["revoked"].as_u64()),
        (StatusCode::OK, Some(0))
    );

    // A station taken away: ann may no longer edit it; twice is 404.
    let ann = api.login("ann").await;
    let unassign = "/v1/assignments/ann/syn-ws-000001";
    let (status, _) = api.call_as(Some(&root), Method::DELETE, unassign, "").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, mine) = api.call_as(Some(&ann), Method::GET, "/v1/me", "").await;
    assert_eq!(mine["stations"], json!([]));
    let (status, _) = api.call_as(Some(&root), Method::DELETE, unassign, "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A password set by an admin ends the account's sessions; the old one stops working.
    let bob = api.login("bob").await;
    let (status, _) = api
        .call_as(
            Some(&root),
            Method::PUT,
            "/v1/users/bob/password",
            r#"{"password": "bob-new-pass-2"}"#,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(me(&api, &bob).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        login(&api, "bob", "bob-pass-1").await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(login(&api, "bob", "bob-new-pass-2").await.0, StatusCode::OK);

    // Removed: cannot log in; an admin cannot remove themselves; unknown names are 404.
    let (status, _) = api
        .call_as(Some(&root), Method::DELETE, "/v1/users/bob", "")
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        login(&api, "bob", "bob-new-pass-2").await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = api
        .call_as(Some(&root), Method::DELETE, "/v1/users/root", "")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = api
        .call_as(Some(&root), Method::DELETE, "/v1/users/bob", "")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Every one of these is in the audit log, with who did it.
    let (_, audit) = api
        .call_as(Some(&root), Method::GET, "/v1/audit?limit=50", "")
        .await;
    let actions: Vec<(&str, &str)> = audit
        .as_array()
        .expect("audit")
        .iter()
        .filter_map(|e| Some((e["action"].as_str()?, e["actor"].as_str()?)))
        .collect();
    let revokes: Vec<&Value> = audit
        .as_array()
        .expect("audit")
        .iter()
        .filter(|e| e["action"] == "sessions.revoke")
        .collect();
    assert_eq!(revokes.len(), 2, "{revokes:?}");
    // Newest first: the second revoke ended none, the first one session.
    let ended: Vec<Option<u64>> = revokes
        .iter()
        .map(|e| {
            let detail: Value = serde_json::from_str(e["detail"].as_str()?).ok()?;
            detail["ended"].as_u64()
        })
        .collect();
    assert_eq!(ended, [Some(0), Some(1)]);
    for action in [
        "sessions.revoke",
        "unassign",
        "user.password",
        "user.remove",
    ] {
        assert!(
            actions.contains(&(action, "root")),
            "{action} by root in {actions:?}"
        );
    }
}

#[tokio::test]
async fn an_operator_changes_their_own_password_and_keeps_this_session() {
    let server = TestServer::seeded();
    let api = server.api();
    let here = api.login("ann").await;
    let elsewhere = api.login("ann").await;
    let change = |current: &str, new: &str| {
        json!({"current_password": current, "new_password": new}).to_string()
    };
    let (status, _) = api
        .call_as(
            Some(&here),
            Method::POST,
            "/v1/me/password",
            &change("wrong", "ann-new-pass-2"),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the current password must be right"
    );
    let (status, _) = api
        .call_as(
            Some(&here),
            Method::POST,
            "/v1/me/password",
            &change("ann-pass-1", "short"),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, sessions) = api
        .call_as(Some(&here), Method::GET, "/v1/me/sessions", "")
        .await;
    assert_eq!(sessions.as_array().map(Vec::len), Some(2), "{sessions}");

    let (status, _) = api
        .call_as(
            Some(&here),
            Method::POST,
            "/v1/me/password",
            &change("ann-pass-1", "ann-new-pass-2"),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        me(&api, &here).await,
        StatusCode::OK,
        "this session goes on"
    );
    assert_eq!(
        me(&api, &elsewhere).await,
        StatusCode::UNAUTHORIZED,
        "the others end"
    );
    assert_eq!(
        login(&api, "ann", "ann-pass-1").await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(login(&api, "ann", "ann-new-pass-2").await.0, StatusCode::OK);
}

#[tokio::test]
async fn admins_page_through_reports_and_the_audit_log() {
    let server = TestServer::seeded();
    let api = server.api();
    let root = api.login("root").await;
    for note in ["one", "two", "three", "four", "five"] {
        let body = json!({"station_id": "syn-ws-000001", "problem": "closed", "note": note});
        let (status, _) = api
            .call(Method::POST, "/v1/reports", &body.to_string())
            .await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    let page = |uri: String| {
        let (api, root) = (&api, &root);
        async move {
            let (status, answer) = api.call_as(Some(root), Method::GET, &uri, "").await;
            assert_eq!(status, StatusCode::OK, "{answer}");
            answer
                .as_array()
                .expect("list")
                .iter()
                .map(|r| {
                    (
                        r["id"].as_i64().expect("id"),
                        r["note"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    let first = page("/v1/reports?limit=2".into()).await;
    let notes: Vec<&str> = first.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(notes, ["five", "four"]);
    let next = page(format!("/v1/reports?limit=2&before={}", first[1].0)).await;
    let notes: Vec<&str> = next.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(
        notes,
        ["three", "two"],
        "the next page starts where the first ended"
    );
    let (_, audit) = api
        .call_as(Some(&root), Method::GET, "/v1/audit?limit=1", "")
        .await;
    let newest = audit[0]["id"].as_i64().expect("id");
    let (_, older) = api
        .call_as(
            Some(&root),
            Method::GET,
            &format!("/v1/audit?limit=1&before={newest}"),
            "",
        )
        .await;
    assert!(older[0]["id"].as_i64().expect("id") < newest);
}

#[tokio::test]
async fn a_stolen_token_cannot_guess_the_password_without_limit() {
    let server = TestServer::seeded();
    let token = server.api().login("ann").await;
    // The token is used from elsewhere than where ann logs in.
    let api = server.api_from("198.51.100.9:4000".parse().expect("addr"));
    let guess = |password: &str| {
        json!({"current_password": password, "new_password": "ann-new-pass-2"}).to_string()
    };
    for i in 0..5 {
        let body = guess(&format!("guess-{i}"));
        let (status, _) = api
            .call_as(Some(&token), Method::POST, "/v1/me/password", &body)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (status, _) = api
        .call_as(
            Some(&token),
            Method::POST,
            "/v1/me/password",
            &guess("ann-pass-1"),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "guesses count like failed logins, even the right one waits"
    );
}

#[tokio::test]
async fn admins_create_accounts_over_the_api_and_nobody_else_does() {
    let server = TestServer::seeded();
    let api = server.api();
    let root = api.login("root").await;
    let ann = api.login("ann").await;
    let new = r#"{"username": "carol", "role": "operator", "password": "carol-pass-1"}"#;
    let (status, _) = api
        .call_as(Some(&ann), Method::POST, "/v1/users", new)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, made) = api
        .call_as(Some(&root), Method::POST, "/v1/users", new)
        .await;
    assert_eq!(
        (status, &made["role"]),
        (StatusCode::CREATED, &json!("operator"))
    );
    let login = json!({"username": "carol", "password": "carol-pass-1"}).to_string();
    assert_eq!(
        api.call(Method::POST, "/v1/login", &login).await.0,
        StatusCode::OK
    );
    for body in [
        new,
        r#"{"username": "Bad Name", "role": "operator", "password": "long-enough-1"}"#,
        r#"{"username": "dave", "role": "operator", "password": "short"}"#,
        r#"{"username": "dave", "role": "king", "password": "long-enough-1"}"#,
    ] {
        let (status, _) = api
            .call_as(Some(&root), Method::POST, "/v1/users", body)
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    }
    let (_, audit) = api
        .call_as(Some(&root), Method::GET, "/v1/audit?limit=5", "")
        .await;
    assert!(
        audit.as_array().is_some_and(|a| a
            .iter()
            .any(|e| e["action"] == "user.add" && e["actor"] == "root")),
        "{audit}"
    );
}
