//! HTTP handlers for drivers' confirmations: anyone says whether a fact of a station holds (one
//! a device, a fact and a day; limited per address and device), everyone sees the tallies, and
//! admins see the disputed facts. The rules live in the catalog.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use waystation_catalog::confirmations::Confirmation;

use crate::api::{Admin, ApiJson, ClientAddr, Shared, on_store, private};
use crate::error::ApiError;
use crate::limiter::{Anonymous, address_key};
use crate::proposing::MaybeSession;
use crate::store::CatalogStore;

/// Disputed facts shown to admins at most.
const DISPUTES_MAX: usize = 500;

/// A confirmation as sent: the station is the path's.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Said {
    /// `open`, or a service id (shower, toilet, …).
    fact: String,
    /// True: it holds; false: it does not.
    holds: bool,
    /// A random id of the device (one confirmation a device, a fact and a day).
    #[serde(default)]
    device: Option<String>,
}

#[utoipa::path(post, path = "/v1/stations/{id}/confirmations", request_body = Said,
    params(("id" = String, Path, description = "Station id")),
    responses((status = 202, description = "{counted}: false when this device already spoke to this fact today (the first word stands)"),
              (status = 400, description = "An unknown fact", body = crate::error::ErrorBody),
              (status = 404, description = "No such station", body = crate::error::ErrorBody),
              (status = 422, description = "A service the station does not list (propose it instead), or a device id that is not plain", body = crate::error::ErrorBody),
              (status = 429, description = "Too many from this address or device", body = crate::error::ErrorBody)))]
pub async fn confirm(
    axum::extract::State(app): Shared,
    ClientAddr(addr): ClientAddr,
    MaybeSession(who): MaybeSession,
    Path(id): Path<String>,
    ApiJson(said): ApiJson<Said>,
) -> Result<Response, ApiError> {
    if let Some(wait) = app
        .limiter
        .anonymous(Anonymous::Confirmation, addr, said.device.as_deref())
    {
        return Err(ApiError::too_many(
            wait,
            "too_many_confirmations",
            "too many confirmations from this address or device",
        ));
    }
    // The station's own operator answering "still true" speaks as the operator; anyone else
    // by their device, or without one by their address (one a fact and a day from there). In
    // the tallies, an address (IPv6 by its /64) is one voice however many devices it has.
    let operator = match &who {
        Some(p) => {
            let (name, station) = (p.username.clone(), id.clone());
            on_store(&app, move |store| store.is_assigned(&name, &station))
                .await?
                .then(|| format!("operator:{}", p.username))
        }
        None => None,
    };
    let voice = operator.clone().unwrap_or_else(|| address_key(addr));
    let device = operator
        .or_else(|| said.device.clone())
        .unwrap_or_else(|| voice.clone());
    let confirmation = Confirmation {
        station_id: id,
        fact: said.fact,
        holds: said.holds,
        device: said.device,
    };
    let counted = on_store(&app, move |store: &dyn CatalogStore| {
        store.confirm(&confirmation, &device, &voice)
    })
    .await?;
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(json!({"counted": counted})),
    )
        .into_response())
}

#[utoipa::path(get, path = "/v1/stations/{id}/facts",
    params(("id" = String, Path, description = "Station id")),
    responses((status = 200, description = "Each fact anyone spoke to: when last confirmed, and confirmations and denials in the last 30 days")))]
pub async fn facts(
    axum::extract::State(app): Shared,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(on_store(&app, move |store| store.facts(&id)).await?).into_response())
}

#[utoipa::path(get, path = "/v1/disputes",
    responses((status = 200, description = "Facts denied more often than confirmed in the last 30 days, most denied first"),
              (status = 403, description = "Admins only", body = crate::error::ErrorBody)))]
pub async fn disputes(axum::extract::State(app): Shared, _: Admin) -> Result<Response, ApiError> {
    Ok(private(json!(
        on_store(&app, |store| store.disputes(DISPUTES_MAX)).await?
    )))
}
