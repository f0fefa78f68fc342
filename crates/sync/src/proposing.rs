//! Proposals from this device: checked and queued without a connection, sent with the next
//! sync (a refused one is kept with the server's reason, never blocking the rest), and asked
//! after with the secret the server answered.

use serde::{Deserialize, Serialize};
use waystation_catalog::Catalog;
use waystation_catalog::exchange::now_rfc3339;
use waystation_catalog::proposals::{Proposal, ProposalStatus};
use waystation_catalog::request::check_proposal;
use waystation_catalog::store::proposal_outbox::{Sent, Waiting};

use crate::{
    FACT_SERVER, Http, Local, SyncError, SyncReport, is_refusal, operator_session,
    send_as_operator, stop_pushing,
};

/// This device's id for the server's per-device limits: random, made once, not a secret.
const FACT_DEVICE: &str = "device.id";

/// A proposal the server refused, and why.
#[derive(Debug, Clone, Serialize)]
pub struct RefusedProposal {
    pub proposal: Proposal,
    pub reason: String,
}

/// Checks a proposal against the local catalog (the rules are the server's) and keeps it until
/// the next sync sends it.
pub fn queue_proposal(catalog: &Catalog, proposal: &Proposal) -> Result<(), SyncError> {
    let current = match &proposal.station_id {
        Some(id) => Some(catalog.station(id)?),
        None => None,
    };
    check_proposal(proposal, current.as_ref())
        .map_err(waystation_catalog::CatalogError::Refused)?;
    let proposal = Proposal {
        device: Some(device_id(catalog)?),
        ..proposal.clone()
    };
    let server = catalog.fact(FACT_SERVER)?.unwrap_or_default();
    Ok(catalog
        .proposal_outbox()
        .push(&server, &proposal, &now_rfc3339())?)
}

/// This device's id, made the first time it is needed.
pub(crate) fn device_id(catalog: &Catalog) -> Result<String, SyncError> {
    if let Some(id) = catalog.fact(FACT_DEVICE)? {
        return Ok(id);
    }
    // Only needs to differ between devices: a hash of a per-process random key and the time.
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    hasher.write_u32(std::process::id());
    let id = format!("d-{:016x}", hasher.finish());
    catalog.set_fact(FACT_DEVICE, &id)?;
    Ok(id)
}

/// What the server answers a proposal: its id and the secret to ask after it.
#[derive(Deserialize)]
struct Taken {
    id: i64,
    secret: String,
}

/// Sends waiting proposals, oldest first (as the logged-in operator when there is one).
pub(crate) fn push_proposals(
    db: &mut impl Local,
    http: &Http,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    let (waiting, session) = db.with(|c| {
        Ok::<_, SyncError>((
            c.proposal_outbox().waiting(&http.server)?,
            operator_session(c, &http.server)?,
        ))
    })?;
    for w in waiting {
        let post = || {
            http.client
                .post(http.url("/v1/proposals"))
                .json(&w.proposal)
        };
        let resp = match send_as_operator(http, session.as_deref(), post) {
            Ok(resp) => resp,
            Err(e) => return stop_pushing(report, e),
        };
        let status = resp.status();
        if status.is_success() {
            let taken: Taken = http.json(resp)?;
            db.with(|c| {
                c.proposal_outbox().sent(
                    w.row,
                    &http.server,
                    taken.id,
                    &taken.secret,
                    &now_rfc3339(),
                )
            })?;
            report.proposals_sent += 1;
        } else if is_refusal(status) {
            let reason = match http.refused(resp) {
                SyncError::Server { message, .. } => message,
                other => other.to_string(),
            };
            db.with(|c| c.proposal_outbox().refuse(w.row, &reason))?;
            report.refused_proposals.push(RefusedProposal {
                proposal: w.proposal,
                reason,
            });
        } else {
            return stop_pushing(report, http.refused(resp));
        }
    }
    Ok(())
}

/// A sent proposal and how it went: the server's answer, or why it could not be asked.
#[derive(Debug, Clone, Serialize)]
pub struct SentProposal {
    #[serde(flatten)]
    pub sent: Sent,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<ProposalStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unknown: Option<String>,
}

/// This device's proposals: waiting for a sync, refused, and sent (each with how it went).
#[derive(Debug, Clone, Serialize)]
pub struct MyProposals {
    pub waiting: Vec<Waiting>,
    pub refused: Vec<Waiting>,
    pub sent: Vec<SentProposal>,
}

/// This device's proposals, read from the catalog (`with` takes its lock for that step only)
/// and then each sent one asked after from its server, with no lock held.
pub fn my_proposals(db: &mut impl Local) -> Result<MyProposals, SyncError> {
    let (waiting, refused, sent) = db.with(|c| {
        let outbox = c.proposal_outbox();
        Ok::<_, SyncError>((outbox.queued()?, outbox.refused()?, outbox.sent_list()?))
    })?;
    Ok(MyProposals {
        waiting,
        refused,
        sent: ask_after(sent),
    })
}

/// Each sent proposal with its status asked from its server with its secret (or why it could
/// not be asked).
fn ask_after(sent: Vec<Sent>) -> Vec<SentProposal> {
    let mut out = Vec::new();
    for sent in sent {
        let asked = Http::new(&sent.server).and_then(|http| {
            let req = http
                .client
                .get(http.url(&format!("/v1/proposals/{}", sent.id)))
                .header("x-proposal-secret", &sent.secret);
            let resp = http.send(req)?;
            if !resp.status().is_success() {
                return Err(http.refused(resp));
            }
            http.json::<ProposalStatus>(resp)
        });
        let (status, unknown) = match asked {
            Ok(status) => (Some(status), None),
            Err(e) => (None, Some(e.to_string())),
        };
        out.push(SentProposal {
            sent,
            status,
            unknown,
        });
    }
    out
}
