//! API errors: JSON `{code, message, message_id}` with the right status (and Retry-After when
//! the client should wait), never a stack trace.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use waystation_catalog::{CatalogError, Message};

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// The stable id of a refused request's message (crate::message in the catalog).
    pub message_id: Option<&'static str>,
    /// Seconds the client should wait before trying again (429, 503).
    pub retry_after: Option<u64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// A stable machine-readable class, e.g. `not_found`, `bad_request`, `invalid`, `conflict`.
    pub code: String,
    /// 中文 — English.
    pub message: String,
    /// For a refused request: which rule, e.g. `out_of_range`, `unknown_id`, `bad_distance`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            message_id: None,
            retry_after: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message)
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "请先登录 — log in first: send `Authorization: Bearer <token>` from POST /v1/login",
        )
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 429: what was too many, and when to try again.
    pub fn too_many(wait_s: u64, code: &'static str, what: &str) -> ApiError {
        ApiError {
            retry_after: Some(wait_s),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                code,
                format!("{what}; try again in {wait_s} s"),
            )
        }
    }

    /// Too much work in hand right now; try again shortly.
    pub fn busy(wait_s: u64) -> ApiError {
        ApiError {
            retry_after: Some(wait_s),
            ..ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                format!(
                    "服务器繁忙，请 {wait_s} 秒后重试 — the server is busy; try again in {wait_s} s"
                ),
            )
        }
    }

    /// The database behind this replica is out of reach: writes and what only it holds wait;
    /// try again after `wait_s`.
    pub fn unavailable(wait_s: u64) -> ApiError {
        ApiError {
            retry_after: Some(wait_s),
            ..ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                format!(
                    "目录数据库暂时连不上，请 {wait_s} 秒后重试（查询照常）— the catalog's database is out of reach; try again in {wait_s} s (searches still work)"
                ),
            )
        }
    }

    pub fn internal(detail: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %detail, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "服务器无法回答，请重试 — the catalog could not answer; try again",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(code = self.code, message = %self.message, "request failed");
        }
        let body = ErrorBody {
            code: self.code.to_string(),
            message: self.message,
            message_id: self.message_id.map(str::to_string),
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(wait) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(wait));
        }
        response
    }
}

impl From<Message> for ApiError {
    fn from(m: Message) -> ApiError {
        let (status, code) = match m.id() {
            "not_found" => (StatusCode::NOT_FOUND, "not_found"),
            "not_editable" | "not_proposable" => (StatusCode::FORBIDDEN, "forbidden"),
            "already_decided" => (StatusCode::CONFLICT, "conflict"),
            "no_proposal" => (StatusCode::NOT_FOUND, "not_found"),
            "bad_field" | "too_long" | "service_needed" | "nothing_proposed"
            | "control_characters" | "reason_needed" => {
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
            }
            _ => (StatusCode::BAD_REQUEST, "bad_request"),
        };
        ApiError {
            message_id: Some(m.id()),
            ..ApiError::new(status, code, m.both())
        }
    }
}

/// How long a client waits before writing again to a replica that lost its database.
const DATABASE_RETRY_SECONDS: u64 = 5;

impl From<CatalogError> for ApiError {
    fn from(e: CatalogError) -> ApiError {
        match e {
            CatalogError::NotFound(id) => Message::NotFound { id }.into(),
            CatalogError::Refused(m) => m.into(),
            // A replica that lost its database: writes wait for it (reads go on from the index).
            CatalogError::Unavailable(why) => {
                tracing::warn!(%why, "the database is out of reach");
                ApiError::unavailable(DATABASE_RETRY_SECONDS)
            }
            // Details go to the log, not to the client.
            other => ApiError::internal(other),
        }
    }
}

impl From<crate::accounts::AccountError> for ApiError {
    fn from(e: crate::accounts::AccountError) -> ApiError {
        use crate::accounts::AccountError as E;
        match e {
            E::NoUser(_) | E::NoStation(_) | E::NotAssigned(..) => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", e.to_string())
            }
            E::BadName(_) | E::ShortPassword | E::Exists(_) => ApiError::invalid(e.to_string()),
            E::WrongPassword => {
                ApiError::new(StatusCode::FORBIDDEN, "wrong_password", e.to_string())
            }
            E::Catalog(e) => e.into(),
            E::Hash(_) => ApiError::internal(e),
        }
    }
}

impl From<crate::workers::NotDone> for ApiError {
    fn from(e: crate::workers::NotDone) -> ApiError {
        match e {
            crate::workers::NotDone::Busy => ApiError::busy(1),
            crate::workers::NotDone::Failed => ApiError::internal("a worker's job failed"),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(e: JsonRejection) -> ApiError {
        let status = e.status();
        match status {
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(status, "too_large", e.body_text()),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                ApiError::new(status, "unsupported_media_type", e.body_text())
            }
            // Malformed JSON, a wrong type or an unknown field: the request layer's words.
            _ => ApiError {
                status,
                ..Message::unreadable(&e.body_text()).into()
            },
        }
    }
}
