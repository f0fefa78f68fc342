//! The admin console's requests from the app: the logged-in admin's token goes with them to the
//! remembered server, and only to the account and review endpoints (nothing the window asks for
//! can reach another path or host). The server decides what an admin may do, and audits it.

use reqwest::Method;
use reqwest::header::AUTHORIZATION;
use serde_json::Value;

use crate::{Local, SyncError, operator_server};

/// The endpoints the console uses; anything else is refused before a request is made.
const CONSOLE_PATHS: [&str; 5] = [
    "/v1/proposals",
    "/v1/reports",
    "/v1/users",
    "/v1/assignments",
    "/v1/audit",
];

/// Whether `path` is one of the console's endpoints (or below one), with nothing that could
/// lead elsewhere.
pub fn console_path(path: &str) -> bool {
    let route = path.split('?').next().unwrap_or_default();
    CONSOLE_PATHS
        .iter()
        .any(|p| route == *p || route.starts_with(&format!("{p}/")))
        && !path.contains("..")
        && !path.contains("//")
        && !path.contains('#')
        && path.is_ascii()
}

/// Sends `method path` with `body` as the logged-in account; the answer's JSON (null for none).
pub fn admin_request(
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
        _ => return Err(SyncError::NotConsole(format!("{method} {path}"))),
    };
    if !console_path(path) {
        return Err(SyncError::NotConsole(format!("{method} {path}")));
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
    fn only_the_consoles_endpoints_are_reached() {
        for ok in [
            "/v1/proposals?state=pending",
            "/v1/proposals/3/approve",
            "/v1/users",
            "/v1/users/ann/sessions",
        ] {
            assert!(console_path(ok), "{ok}");
        }
        for bad in [
            "/v1/stations/x",
            "/v1/proposalsX",
            "/v1/users/../stations",
            "//evil.example/v1/users",
            "http://evil.example/v1/users",
            "/v1/users#x",
            "/v1/users/é",
        ] {
            assert!(!console_path(bad), "{bad}");
        }
    }
}
