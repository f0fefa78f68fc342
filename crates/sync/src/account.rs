//! The account screens' requests from the app (an operator's inbox, the admin console): the
//! logged-in account's token goes with them to the remembered server, and only to those
//! endpoints (nothing the window asks for can reach another path or host). The server decides
//! what the account may do, and audits it.

use reqwest::Method;
use reqwest::header::AUTHORIZATION;
use serde_json::Value;

use crate::{Local, SyncError, operator_server};

/// The endpoints those screens use; anything else is refused before a request is made.
const ACCOUNT_PATHS: [&str; 7] = [
    "/v1/me/inbox",
    "/v1/disputes",
    "/v1/proposals",
    "/v1/reports",
    "/v1/users",
    "/v1/assignments",
    "/v1/audit",
];

/// Whether `path` is one of those endpoints (or below one), with nothing that could lead
/// elsewhere.
pub fn account_path(path: &str) -> bool {
    let route = path.split('?').next().unwrap_or_default();
    // Only the characters those paths and their queries use: no `%` (an encoded `.` or `/`
    // is a dot segment to a URL parser), no control characters, no fragment.
    let plain = path
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/_-.?=&,".contains(&b));
    plain
        && !path.contains("..")
        && !path.contains("//")
        && !route.split('/').any(|segment| segment == ".")
        && ACCOUNT_PATHS
            .iter()
            .any(|p| route == *p || route.starts_with(&format!("{p}/")))
}

/// Sends `method path` with `body` as the logged-in account; the answer's JSON (null for none).
pub fn account_request(
    db: &mut impl Local,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Result<Value, SyncError> {
    let method = match method {
        "GET" => Method::GET,
        "POST" => Method::POST,
        "PUT" => Method::PUT,
        "DELETE" => Method::DELETE,
        _ => return Err(SyncError::NotAccountRequest(format!("{method} {path}"))),
    };
    if !account_path(path) {
        return Err(SyncError::NotAccountRequest(format!("{method} {path}")));
    }
    let (http, token) = db.with(|c| operator_server(c))?;
    let mut req = http
        .client
        .request(method, http.url(path))
        .header(AUTHORIZATION, format!("Bearer {token}"));
    if let Some(body) = body.filter(|b| !b.is_null()) {
        req = req.json(&body);
    }
    let resp = http.send(req)?;
    if resp.status() == reqwest::StatusCode::UNAUTHORIZED {
        return Err(SyncError::NotLoggedIn(http.server.clone()));
    }
    if !resp.status().is_success() {
        return Err(http.refused(resp));
    }
    if resp.status() == reqwest::StatusCode::NO_CONTENT {
        return Ok(Value::Null);
    }
    http.json(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_account_screens_endpoints_are_reached() {
        for ok in [
            "/v1/proposals?state=pending",
            "/v1/proposals/3/approve",
            "/v1/users",
            "/v1/users/ann/sessions",
            "/v1/me/inbox",
        ] {
            assert!(account_path(ok), "{ok}");
        }
        for bad in [
            "/v1/stations/x",
            "/v1/proposalsX",
            "/v1/users/../stations",
            "//evil.example/v1/users",
            "http://evil.example/v1/users",
            "/v1/users#x",
            "/v1/users/é",
            "/v1/users/%2e%2e/stations/x",
            "/v1/users/.%2e/stations/x",
            "/v1/users/.\t./stations/x",
            "/v1/users/./x",
        ] {
            assert!(!account_path(bad), "{bad}");
        }
    }
}
