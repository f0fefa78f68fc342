//! HTTP handlers for proposals: anyone proposes (anonymously or logged in, limited per address
//! and device) and gets an id and a secret to ask how it went; admins list, approve (optionally
//! making the proposer the station's operator) and reject. The rules live in the catalog.

use std::sync::Arc;

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use waystation_catalog::Message;
use waystation_catalog::proposals::{Kept, Proposal, ProposalStatus};
use waystation_catalog::request::ProposalsRequest;
use waystation_catalog::store::accounts::{Principal, Role};
use waystation_catalog::store::proposals::Proposer;

use crate::accounts;
use crate::api::{
    Admin, ApiJson, ApiQuery, AppState, ClientAddr, Shared, bearer, hash_outside_locks, on_store,
    private, with_etag,
};
use crate::error::ApiError;
use crate::limiter::Anonymous;
use crate::store::CatalogStore;

/// A proposal's id from the path; anything but a number names no proposal (a JSON 404 like
/// every other refusal, not the framework's plain-text 400).
fn proposal_id(text: &str) -> Result<i64, ApiError> {
    text.parse().map_err(|_| {
        ApiError::from(Message::NoProposal {
            id: text.to_string(),
        })
    })
}

/// The header a proposer sends their proposal's secret in.
pub const SECRET_HEADER: &str = "x-proposal-secret";

/// The account behind the request's bearer token, if it sends one (a token that is not valid
/// is refused: the proposer meant to be known).
pub struct MaybeSession(pub Option<Principal>);

impl FromRequestParts<Arc<AppState>> for MaybeSession {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, app: &Arc<AppState>) -> Result<Self, ApiError> {
        if bearer(&parts.headers).is_none() {
            return Ok(MaybeSession(None));
        }
        let crate::api::Session { who, .. } =
            crate::api::Session::from_request_parts(parts, app).await?;
        Ok(MaybeSession(Some(who)))
    }
}

#[utoipa::path(post, path = "/v1/proposals", request_body = inline(Object),
    responses((status = 202, description = "Kept for review: {id, secret, duplicate_of}; keep the secret to ask how it went (GET /v1/proposals/{id} with x-proposal-secret)"),
              (status = 403, description = "A field the catalog assigns (id, source)", body = crate::error::ErrorBody),
              (status = 404, description = "No such station to change", body = crate::error::ErrorBody),
              (status = 422, description = "A field's value is invalid, a required one is missing, or the change is empty", body = crate::error::ErrorBody),
              (status = 429, description = "Too many proposals from this address or device", body = crate::error::ErrorBody)))]
pub async fn propose(
    axum::extract::State(app): Shared,
    ClientAddr(addr): ClientAddr,
    MaybeSession(who): MaybeSession,
    ApiJson(proposal): ApiJson<Proposal>,
) -> Result<Response, ApiError> {
    let device = proposal.device.as_deref();
    if let Some(wait) = app.limiter.anonymous(Anonymous::Proposal, addr, device) {
        return Err(ApiError::too_many(
            wait,
            "too_many_proposals",
            "too many proposals from this address or device",
        ));
    }
    let secret = accounts::new_secret();
    let secret_hash = accounts::token_hash(&secret);
    let (id, duplicate_of) = on_store(&app, move |store: &dyn CatalogStore| {
        let by = Proposer {
            username: who.as_ref().map(|p| p.username.as_str()),
            secret_hash: &secret_hash,
        };
        store.propose(&proposal, &by)
    })
    .await?;
    tracing::info!(proposal = id, duplicate_of = ?duplicate_of, "proposal kept");
    let body = json!({"id": id, "secret": secret, "duplicate_of": duplicate_of});
    Ok((StatusCode::ACCEPTED, private(body)).into_response())
}

#[utoipa::path(get, path = "/v1/proposals/{id}",
    params(("id" = i64, Path, description = "The proposal's id")),
    responses((status = 200, description = "With the proposal's secret (x-proposal-secret): its state, the station it created or changed, and why it was rejected; an admin's session sees the whole proposal"),
              (status = 401, description = "A bearer token that is not valid (send none to use the secret)", body = crate::error::ErrorBody),
              (status = 404, description = "No such proposal, or not this secret's", body = crate::error::ErrorBody)))]
pub async fn proposal(
    axum::extract::State(app): Shared,
    Path(id): Path<String>,
    MaybeSession(who): MaybeSession,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = proposal_id(&id)?;
    let secret = headers
        .get(SECRET_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(accounts::token_hash);
    let admin = who.is_some_and(|p| p.role == Role::Admin);
    // Without the secret (or an admin's session) a proposal is as good as absent: ids are
    // sequential, and what someone proposed is theirs.
    let not_found = || ApiError::from(Message::NoProposal { id: id.to_string() });
    if admin {
        let kept = on_store(&app, move |store| store.proposal(id, None))
            .await?
            .ok_or_else(not_found)?;
        return Ok(private(json!(kept)));
    }
    let hash = secret.ok_or_else(not_found)?;
    let kept: Kept = on_store(&app, move |store| store.proposal(id, Some(&hash)))
        .await?
        .ok_or_else(not_found)?;
    Ok(private(json!(ProposalStatus::from(&kept))))
}

#[utoipa::path(get, path = "/v1/proposals", params(ProposalsRequest),
    responses((status = 200, description = "Proposals, newest first, with the duplicate candidate and the proposer's contact"),
              (status = 403, description = "Admins only", body = crate::error::ErrorBody)))]
pub async fn proposals(
    axum::extract::State(app): Shared,
    _: Admin,
    ApiQuery(r): ApiQuery<ProposalsRequest>,
) -> Result<Response, ApiError> {
    let page = r.check()?;
    Ok(private(json!(
        on_store(&app, move |store| store.proposals(&page)).await?
    )))
}

/// An approval, optionally making the proposer the station's operator.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    /// An operator account to assign the station to; created when it does not exist yet
    /// (then `password` is needed).
    #[serde(default)]
    operator: Option<String>,
    #[serde(default)]
    password: Option<String>,
}

#[utoipa::path(post, path = "/v1/proposals/{id}/approve", request_body = Approval,
    params(("id" = i64, Path, description = "The proposal's id")),
    responses((status = 200, description = "The station as created or changed (with its ETag); it reaches clients through the change feed"),
              (status = 403, description = "Admins only", body = crate::error::ErrorBody),
              (status = 404, description = "No such proposal (or the station it changes is gone)", body = crate::error::ErrorBody),
              (status = 409, description = "Decided already", body = crate::error::ErrorBody),
              (status = 422, description = "The proposal no longer passes the checks, or a new operator without a password", body = crate::error::ErrorBody)))]
pub async fn approve(
    axum::extract::State(app): Shared,
    Admin(who): Admin,
    Path(id): Path<String>,
    ApiJson(approval): ApiJson<Approval>,
) -> Result<Response, ApiError> {
    let id = proposal_id(&id)?;
    // Everything about the operator is checked (and a password hashed) before anything is
    // written, so a bad account request leaves the proposal pending.
    let new_operator = match &approval.operator {
        Some(name) => {
            if !accounts::valid_name(name) {
                return Err(accounts::AccountError::BadName(name.clone()).into());
            }
            let name = name.clone();
            match on_store(&app, move |store| store.credentials(&name)).await? {
                Some((Role::Operator, _)) => None,
                Some((Role::Admin, _)) => {
                    return Err(ApiError::invalid(
                        "该账户是管理员，不能作为站长 — that account is an admin, not an operator",
                    ));
                }
                None => {
                    let password = approval.password.clone().ok_or_else(|| {
                        ApiError::invalid(
                            "新站长账户需要密码 — a new operator account needs a password",
                        )
                    })?;
                    Some(hash_outside_locks(&app, password).await?)
                }
            }
        }
        None => None,
    };
    let admin = who.username.clone();
    let saved = on_store(&app, move |store: &dyn CatalogStore| {
        store.approve(id, &admin)
    })
    .await?;
    if let Some(operator) = approval.operator {
        let (station_id, admin) = (saved.id.clone(), who.username.clone());
        on_store(&app, move |store: &dyn CatalogStore| {
            if let Some(hash) = new_operator {
                match store.add_user(&operator, Role::Operator, &hash, &admin) {
                    // Made meanwhile (another approval naming the same new operator): an
                    // operator account of that name is what was asked for.
                    Err(accounts::AccountError::Exists(_))
                        if store
                            .credentials(&operator)?
                            .is_some_and(|(role, _)| role == Role::Operator) => {}
                    other => other?,
                }
            }
            store.assign(&operator, &station_id, &admin)
        })
        .await?;
    }
    tracing::info!(admin = %who.username, proposal = id, station = %saved.id, "proposal approved");
    Ok(with_etag(StatusCode::OK, &saved))
}

/// Why a proposal is rejected: its proposer reads it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rejection {
    reason: String,
}

#[utoipa::path(post, path = "/v1/proposals/{id}/reject", request_body = Rejection,
    params(("id" = i64, Path, description = "The proposal's id")),
    responses((status = 204, description = "Rejected; the proposer sees the reason"),
              (status = 403, description = "Admins only", body = crate::error::ErrorBody),
              (status = 404, description = "No such proposal", body = crate::error::ErrorBody),
              (status = 409, description = "Decided already", body = crate::error::ErrorBody),
              (status = 422, description = "No reason, or one over 500 characters", body = crate::error::ErrorBody)))]
pub async fn reject(
    axum::extract::State(app): Shared,
    Admin(who): Admin,
    Path(id): Path<String>,
    ApiJson(rejection): ApiJson<Rejection>,
) -> Result<Response, ApiError> {
    let id = proposal_id(&id)?;
    let (admin, reason) = (who.username, rejection.reason);
    on_store(&app, move |store: &dyn CatalogStore| {
        store.reject(id, &reason, &admin)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(get, path = "/v1/me/inbox",
    responses((status = 200, description = "For the stations assigned to you: {reports, proposals} — the latest problem reports and the pending proposals about them (without the proposers' contacts)"),
              (status = 401, description = "Not logged in", body = crate::error::ErrorBody)))]
pub async fn inbox(
    axum::extract::State(app): Shared,
    crate::api::Session { who, .. }: crate::api::Session,
) -> Result<Response, ApiError> {
    let (reports, proposals) = on_store(&app, move |store| {
        let stations = store.assigned(&who.username)?;
        store.inbox(&stations)
    })
    .await?;
    // Who proposed and how to reach them is for the catalog's admins only.
    let proposals: Vec<Kept> = proposals
        .into_iter()
        .map(|p| Kept {
            contact: None,
            proposer: None,
            ..p
        })
        .collect();
    Ok(private(json!({"reports": reports, "proposals": proposals})))
}
