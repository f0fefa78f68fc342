//! A driver's confirmations from this device: checked and queued without a connection, sent
//! with the next sync (one the server already has for today, or refuses, is dropped: the first
//! word stands and a wrong one is not worth retrying).

use serde_json::json;
use waystation_catalog::Catalog;
use waystation_catalog::confirmations::Confirmation;
use waystation_catalog::exchange::now_rfc3339;

use crate::proposing::device_id;
use crate::{
    FACT_SERVER, Http, Local, SyncError, SyncReport, is_refusal, operator_session,
    send_as_operator, station_path, stop_pushing,
};

/// Checks a confirmation against the local catalog and keeps it until the next sync.
pub fn confirm_fact(catalog: &Catalog, confirmation: &Confirmation) -> Result<(), SyncError> {
    catalog.check_confirmation(confirmation)?;
    let confirmation = Confirmation {
        device: Some(device_id(catalog)?),
        ..confirmation.clone()
    };
    let server = catalog.fact(FACT_SERVER)?.unwrap_or_default();
    Ok(catalog
        .outbox()
        .push_confirmation(&server, &confirmation, &now_rfc3339())?)
}

/// Sends waiting confirmations, oldest first, as the logged-in operator when there is one (an
/// operator's "still true" about their own station counts as theirs).
pub(crate) fn push_confirmations(
    db: &mut impl Local,
    http: &Http,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    let (waiting, session) = db.with(|c| {
        Ok::<_, SyncError>((
            c.outbox().confirmations(&http.server)?,
            operator_session(c, &http.server)?,
        ))
    })?;
    for (row, c) in waiting {
        let path = format!("{}/confirmations", station_path(&c.station_id)?);
        let body = json!({"fact": c.fact, "holds": c.holds, "device": c.device});
        let post = || http.client.post(http.url(&path)).json(&body);
        let resp = match send_as_operator(http, session.as_deref(), post) {
            Ok(resp) => resp,
            Err(e) => return stop_pushing(report, e),
        };
        let status = resp.status();
        if status.is_success() {
            report.confirmations_sent += 1;
        } else if !is_refusal(status) {
            return stop_pushing(report, http.refused(resp));
        }
        db.with(|c| c.outbox().confirmation_sent(row))?;
    }
    Ok(())
}
