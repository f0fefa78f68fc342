//! The sync client: pulls the public catalog's change feed (or a signed snapshot on first sync
//! and after 410), pushes operator edits waiting in the outbox, and keeps the local catalog at
//! a whole sequence whatever happens to the connection.

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use reqwest::StatusCode;
use reqwest::blocking::{Client, ClientBuilder, RequestBuilder, Response};
use reqwest::header::{AUTHORIZATION, ETAG, IF_MATCH, IF_NONE_MATCH};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use waystation_catalog::exchange::{ID_RULE, is_valid_id, now_rfc3339};
use waystation_catalog::feed::{ChangeOp, ChangePage};
use waystation_catalog::progress::{Progress, Silent};
use waystation_catalog::reports::Report;
use waystation_catalog::request::{Editor, check_patch};
use waystation_catalog::signed::{
    CREATED_HEADER, DIGEST_HEADER, HEAD_HEADER, KEY_HEADER, KeyRotation, PAGE_SIGNATURE_HEADER,
    SEQ_HEADER, SIGNATURE_HEADER, SNAPSHOT_REFERENCE_HEADER, SignedHead,
};
use waystation_catalog::{Bilingual, Catalog, CatalogError, SharedCatalog, Station};

pub use waystation_catalog::store::outbox::PendingEdit;

pub mod account;
pub mod confirming;
pub mod proposing;
pub mod verify;

use crate::verify::{Head, Held, Received, TrustError};

const FACT_SERVER: &str = "sync.server";
const FACT_KEY: &str = "sync.key";
/// The key the user gave for this server, which `FACT_KEY` may since have moved on from by
/// signed handovers: given again, it still means this feed.
const FACT_GIVEN_KEY: &str = "sync.key.given";
const FACT_SEQ: &str = "sync.seq";
const FACT_ETAG: &str = "sync.etag";
/// The last signed head taken from the server (its header value): a later head must not be
/// older, and its time is what "current as of" means.
const FACT_HEAD: &str = "sync.head";
const FACT_TOKEN: &str = "operator.token";
const FACT_USER: &str = "operator.username";

const PAGE: usize = 1000;

/// What one sync reads at most, so a hostile or broken server cannot exhaust the device: the
/// bytes of one change page (a page of 1000 stations is about 1 MB) and of a snapshot (a
/// national catalog of 200,000 is about 120 MB), after decompression; other answers (errors,
/// logins, edits) are small.
pub const PAGE_BYTES_MAX: u64 = 32 << 20;
pub const SNAPSHOT_BYTES_MAX: u64 = 512 << 20;
pub const ANSWER_BYTES_MAX: u64 = 1 << 20;
/// Pages and snapshots one sync takes at most: every page must advance, so this bounds a
/// feed of ten million changes; a server that answers 410 again after a snapshot is broken.
pub const PAGES_MAX: usize = 10_000;
pub const SNAPSHOTS_MAX: usize = 2;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(
        "cannot reach {server}: {reason}. The local catalog is unchanged and keeps working offline."
    )]
    Unreachable { server: String, reason: String },
    #[error("{server} answered {status}: {message}")]
    Server {
        server: String,
        status: u16,
        message: String,
    },
    #[error("no catalog server is known yet: run `waystation sync URL --key PUBLIC_KEY` once")]
    NoServer,
    #[error("no public key is pinned for {0}: pass --key with the key `waystation serve` printed")]
    NoKey(String),
    #[error("not logged in to {0}: run `waystation operator login {0}`")]
    NotLoggedIn(String),
    #[error("`{0}` is not one of the account screens' requests: refused before sending")]
    NotAccountRequest(String),
    #[error(
        "the server's change sequence went backwards (ours {local}, theirs {got}): refusing it"
    )]
    Backwards { local: i64, got: i64 },
    #[error(
        "refusing {server}: a catalog server that is not on this device must be reached over https:// (passwords, tokens and stations would travel in clear)"
    )]
    Insecure { server: String },
    #[error("{server} sent a {what} larger than {limit} bytes: refusing it")]
    TooLarge {
        server: String,
        what: &'static str,
        limit: u64,
    },
    #[error(
        "{server} kept sending more ({what}) than one sync takes ({limit}): stopping; what was applied is kept"
    )]
    Endless {
        server: String,
        what: &'static str,
        limit: usize,
    },
    #[error(
        "refusing station id {0:?}: not a valid station id ({rule}), so it is not put into a URL; nothing was sent",
        rule = ID_RULE
    )]
    BadStationId(String),
    #[error("another sync changed this catalog meanwhile; this one stopped (nothing half-applied)")]
    Busy,
    #[error(transparent)]
    Untrusted(#[from] TrustError),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

impl Bilingual for SyncError {
    fn zh(&self) -> String {
        match self {
            SyncError::Unreachable { server, reason } => {
                format!("无法连接 {server}：{reason}。本地目录未改变，离线照常可用。")
            }
            SyncError::Server {
                server,
                status,
                message,
            } => format!("{server} 回答 {status}：{message}"),
            SyncError::NoServer => {
                "还不知道目录服务器：请先运行一次 `waystation sync URL --key 公钥`".to_string()
            }
            SyncError::NoKey(server) => {
                format!("{server} 没有固定的公钥：请用 --key 给出 `waystation serve` 打印的公钥")
            }
            SyncError::NotLoggedIn(server) => {
                format!("尚未登录 {server}：请运行 `waystation operator login {server}`")
            }
            SyncError::NotAccountRequest(request) => {
                format!("`{request}` 不是账户页面的请求：未发送")
            }
            SyncError::Backwards { local, got } => {
                format!("服务器的变更序号倒退了（本地 {local}，对方 {got}）：拒绝接受")
            }
            SyncError::Insecure { server } => format!(
                "拒绝连接 {server}：不在本机的目录服务器必须用 https:// 访问（否则密码、令牌和站点信息明文传输）"
            ),
            SyncError::TooLarge {
                server,
                what,
                limit,
            } => {
                format!(
                    "{server} 发来的{}超过 {limit} 字节：拒绝接受",
                    zh_part(what)
                )
            }
            SyncError::Endless {
                server,
                what,
                limit,
            } => format!(
                "{server} 发来的{}超过一次同步的上限（{limit}）：已停止；已应用的部分保留",
                zh_part(what)
            ),
            SyncError::BadStationId(id) => format!(
                "拒绝站点编号 {id:?}：它不是有效的站点编号（1-64 个 ASCII 字母、数字、`-`、`_`、`.` 或 `:`，且不能只是 `.` 或 `..`），不会放进网址；未发送任何请求"
            ),
            SyncError::Busy => "另一次同步同时改动了目录；本次已停止（没有应用一半）".to_string(),
            SyncError::Untrusted(e) => e.zh(),
            SyncError::Catalog(e) => e.zh(),
        }
    }
}

fn zh_part(what: &str) -> &'static str {
    match what {
        "snapshot" | "snapshots" => "快照",
        "change page" | "change pages" => "变更页",
        _ => "回答",
    }
}

/// An operator edit the server refused because the station changed meanwhile: both versions.
#[derive(Debug, Clone, Serialize)]
pub struct Conflict {
    pub station_id: String,
    /// The fields this operator tried to set.
    pub mine: Map<String, Value>,
    /// The station as it is on the server now.
    pub theirs: Station,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SyncReport {
    pub server: String,
    pub snapshot_taken: bool,
    pub upserts: usize,
    pub deletes: usize,
    /// Stations whose confirmation tallies changed (the stations themselves did not travel).
    pub fact_updates: usize,
    pub seq: i64,
    /// The server said nothing changed (304).
    pub up_to_date: bool,
    /// Outbox edits the server accepted.
    pub pushed: usize,
    /// Problem reports delivered.
    pub reports_sent: usize,
    /// Confirmations delivered.
    pub confirmations_sent: usize,
    /// Proposals the server took (ask after them with `my_proposals`).
    pub proposals_sent: usize,
    /// Proposals the server refused for good: kept, with its reason, until discarded.
    pub refused_proposals: Vec<proposing::RefusedProposal>,
    pub conflicts: Vec<Conflict>,
    /// Outbox edits the server refused for good: kept, with its reason, until discarded.
    pub failed_edits: Vec<FailedEdit>,
    /// Edits wait because the login expired: log in again, and the next sync sends them.
    pub login_needed: bool,
    /// Why sending edits or reports stopped early (they wait for the next sync).
    pub push_problem: Option<String>,
    /// The server was re-keyed: the key now pinned, reached through signed handovers.
    pub new_key: Option<String>,
    /// When the server signed the head this catalog is now at (RFC 3339): the catalog is
    /// current as of then.
    pub current_as_of: Option<String>,
}

/// An outbox edit the server refused, and why.
#[derive(Debug, Clone, Serialize)]
pub struct FailedEdit {
    pub station_id: String,
    pub reason: String,
}

/// What became of an operator edit.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum EditOutcome {
    Saved {
        station: Station,
    },
    /// The server could not be reached; the edit waits in the outbox for the next sync.
    Queued,
    Conflict(Conflict),
}

struct Http {
    client: Client,
    server: String,
}

/// The TLS that reqwest 0.12's `rustls-tls` set up, kept across reqwest 0.13 (whose default is
/// aws-lc with the platform's verifier): the ring provider and the Mozilla roots compiled in, so
/// a server is trusted alike on every platform and Android needs no JNI set-up for it.
fn tls_config() -> rustls::ClientConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring's provider offers the default TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    // reqwest sets ALPN only on configs it builds; without HTTP/2 it offers HTTP/1.1 alone.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    config
}

/// A client builder with tls_config given. Every reqwest client in the workspace starts here:
/// with `rustls-no-provider` one built without a TLS config panics, even for plain HTTP.
pub fn client_builder() -> ClientBuilder {
    Client::builder().tls_backend_preconfigured(tls_config())
}

/// Plain HTTP only to this device (tests, a server run locally); anything else over TLS.
pub fn check_transport(server: &str) -> Result<(), SyncError> {
    let insecure = || SyncError::Insecure {
        server: server.to_string(),
    };
    let url = reqwest::Url::parse(server).map_err(|e| SyncError::Unreachable {
        server: server.to_string(),
        reason: format!("not a URL: {e}"),
    })?;
    match url.scheme() {
        "https" => Ok(()),
        "http" => {
            let host = url.host_str().unwrap_or_default();
            let host = host.trim_start_matches('[').trim_end_matches(']');
            let loopback = host.eq_ignore_ascii_case("localhost")
                || host
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if loopback { Ok(()) } else { Err(insecure()) }
        }
        _ => Err(insecure()),
    }
}

impl Http {
    fn new(server: &str) -> Result<Http, SyncError> {
        check_transport(server)?;
        let client = client_builder()
            // A redirect could lead a login or an edit to another host, or to plain http: none.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(300))
            .user_agent(concat!("waystation/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SyncError::Unreachable {
                server: server.to_string(),
                reason: e.to_string(),
            })?;
        Ok(Http {
            client,
            server: server.trim_end_matches('/').to_string(),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server)
    }

    fn unreachable(&self, e: reqwest::Error) -> SyncError {
        let reason = if e.is_timeout() {
            "the connection timed out".to_string()
        } else if e.is_connect() {
            "the connection was refused or the network is down".to_string()
        } else if e.is_body() || e.is_decode() {
            "the connection broke during the download".to_string()
        } else {
            e.to_string()
        };
        SyncError::Unreachable {
            server: self.server.clone(),
            reason,
        }
    }

    fn send(&self, req: RequestBuilder) -> Result<Response, SyncError> {
        req.send().map_err(|e| self.unreachable(e))
    }

    /// Reads an answer's body, decompressed, refusing it past `limit` bytes (before reading
    /// when the server announces its length, while reading otherwise: a gzip bomb stops at the
    /// limit).
    fn body(&self, resp: Response, limit: u64, what: &'static str) -> Result<Vec<u8>, SyncError> {
        let too_large = || SyncError::TooLarge {
            server: self.server.clone(),
            what,
            limit,
        };
        if resp.content_length().is_some_and(|n| n > limit) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        resp.take(limit + 1)
            .read_to_end(&mut body)
            .map_err(|e| SyncError::Unreachable {
                server: self.server.clone(),
                reason: format!("the connection broke during the download ({e})"),
            })?;
        if body.len() as u64 > limit {
            return Err(too_large());
        }
        Ok(body)
    }

    fn endless(&self, what: &'static str, limit: usize) -> SyncError {
        SyncError::Endless {
            server: self.server.clone(),
            what,
            limit,
        }
    }

    /// A small JSON answer (a login, a station, an error).
    fn json<T: DeserializeOwned>(&self, resp: Response) -> Result<T, SyncError> {
        let body = self.body(resp, ANSWER_BYTES_MAX, "answer")?;
        serde_json::from_slice(&body).map_err(|e| SyncError::Server {
            server: self.server.clone(),
            status: 200,
            message: format!("an answer that is not the expected JSON: {e}"),
        })
    }

    /// Turns a non-success answer into an error carrying the server's own message.
    fn refused(&self, resp: Response) -> SyncError {
        let status = resp.status().as_u16();
        let message = self
            .json::<Value>(resp)
            .ok()
            .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_string))
            .unwrap_or_else(|| "no details".into());
        SyncError::Server {
            server: self.server.clone(),
            status,
            message,
        }
    }
}

fn fact_i64(catalog: &Catalog, key: &str) -> Result<Option<i64>, SyncError> {
    Ok(catalog.fact(key)?.and_then(|v| v.parse().ok()))
}

/// Where a sync reads and writes the local catalog: directly (the CLI owns it), or through a
/// lock taken only for each step (the app: its window queries the same catalog meanwhile, and
/// must never wait for the network, nor for a page being applied — see `SharedCatalog`).
pub trait Local {
    fn with<R>(&mut self, f: impl FnOnce(&mut Catalog) -> R) -> R;
}

impl Local for Catalog {
    fn with<R>(&mut self, f: impl FnOnce(&mut Catalog) -> R) -> R {
        f(self)
    }
}

impl Local for &SharedCatalog {
    fn with<R>(&mut self, f: impl FnOnce(&mut Catalog) -> R) -> R {
        SharedCatalog::with(self, f)
    }
}

/// Brings the local catalog up to the server's, pushing waiting operator edits first. `server`
/// and `key` are remembered; later syncs may omit them.
pub fn sync(
    db: &mut impl Local,
    server: Option<&str>,
    key: Option<&str>,
    progress: &mut dyn Progress,
) -> Result<SyncReport, SyncError> {
    let mut source = db.with(|c| choose_source(c, server, key))?;
    let http = Http::new(&source.server)?;
    let mut report = SyncReport {
        server: source.server.clone(),
        ..SyncReport::default()
    };
    // Pulled first, so no edit or report the server refuses, and no expired login, can keep
    // a driver from the catalog's news; what the push does not send waits for the next sync.
    let from = db.with(|c| resume_point(c, &source))?;
    pull_changes(db, &http, &mut source, from, &mut report, progress)?;
    push_outbox(db, &http, &mut report)?;
    push_reports(db, &http, &mut report)?;
    proposing::push_proposals(db, &http, &mut report)?;
    confirming::push_confirmations(db, &http, &mut report)?;
    if report.pushed > 0 {
        // The accepted edits come back through the signed feed, never from the push's answers.
        let from = db.with(|c| resume_point(c, &source))?;
        pull_changes(db, &http, &mut source, from, &mut report, progress)?;
    }
    Ok(report)
}

/// Follows the remembered server's signed feed to its head, quietly (after an edit).
fn follow_feed(db: &mut impl Local) -> Result<(), SyncError> {
    let mut source = db.with(|c| choose_source(c, None, None))?;
    let http = Http::new(&source.server)?;
    let mut report = SyncReport::default();
    let from = db.with(|c| resume_point(c, &source))?;
    pull_changes(db, &http, &mut source, from, &mut report, &mut Silent)
}

/// The server a sync pulls from and the public key its snapshots must be signed with.
struct Source {
    server: String,
    key: String,
    /// The key the user gave (or, with none given, the remembered one) before any handover.
    given: String,
    /// Same server and key as the last sync, so its sequence and ETag still apply here.
    known: bool,
}

/// The server and key given, or else the remembered ones. A remembered key is only used with
/// the server it was pinned for: another server's snapshots are signed with another key.
fn choose_source(
    catalog: &Catalog,
    server: Option<&str>,
    key: Option<&str>,
) -> Result<Source, SyncError> {
    let known_server = catalog.fact(FACT_SERVER)?;
    let server = server
        .map(|s| s.trim_end_matches('/').to_string())
        .or(known_server.clone())
        .ok_or(SyncError::NoServer)?;
    let same_server = known_server.as_deref() == Some(server.as_str());
    let remembered = catalog.fact(FACT_KEY)?.filter(|_| same_server);
    let given = match key {
        Some(k) => k.trim().to_string(),
        None => remembered
            .clone()
            .ok_or_else(|| SyncError::NoKey(server.clone()))?,
    };
    // A key that is not a key is refused before anything goes on the network.
    verify::public_key(&given)?;
    let given_before = same_server && catalog.fact(FACT_GIVEN_KEY)?.as_deref() == Some(&given);
    let key = match remembered {
        // The same key as last time, or the one given then, which handovers have led on from
        // (an app or a script that keeps sending the key it was set up with after a rotation
        // goes on from the followed key, not from a new snapshot).
        Some(current) if current == given || given_before => current,
        _ => given.clone(),
    };
    let known = same_server && catalog.fact(FACT_KEY)?.as_deref() == Some(key.as_str());
    Ok(Source {
        server,
        key,
        given,
        known,
    })
}

/// How far along the source's change feed this catalog is.
struct Position {
    /// None: nothing usable from this source yet, so the next step is a snapshot.
    seq: Option<i64>,
    /// Sent as If-None-Match so that an unchanged feed answers 304 without a body.
    etag: Option<String>,
}

/// Continues where the last sync from the same source stopped; a new server or key starts from
/// a snapshot, since our sequence belongs to another feed.
fn resume_point(catalog: &Catalog, source: &Source) -> Result<Position, SyncError> {
    if !source.known {
        return Ok(Position {
            seq: None,
            etag: None,
        });
    }
    Ok(Position {
        seq: fact_i64(catalog, FACT_SEQ)?,
        etag: catalog.fact(FACT_ETAG)?,
    })
}

/// What this catalog holds from the source: its sequence and the last head it took (nothing
/// when the source is new: its feed is another one).
fn held(catalog: &Catalog, source: &Source) -> Result<Held, SyncError> {
    if !source.known {
        return Ok(Held {
            seq: 0,
            head_issued_at: None,
        });
    }
    let head = catalog
        .fact(FACT_HEAD)?
        .and_then(|text| SignedHead::parse(&text))
        .and_then(|h| DateTime::parse_from_rfc3339(&h.issued_at).ok())
        .map(|t| t.with_timezone(&Utc));
    Ok(Held {
        seq: fact_i64(catalog, FACT_SEQ)?.unwrap_or(0),
        head_issued_at: head,
    })
}

/// Follows the change feed page by page to the signed head, taking a snapshot first when there
/// is no sequence to continue from or the server no longer keeps the changes since ours (410).
/// Bounded: at most PAGES_MAX answers and SNAPSHOTS_MAX snapshots.
fn pull_changes(
    db: &mut impl Local,
    http: &Http,
    source: &mut Source,
    mut at: Position,
    report: &mut SyncReport,
    progress: &mut dyn Progress,
) -> Result<(), SyncError> {
    let mut snapshots = 0..SNAPSHOTS_MAX;
    for _ in 0..PAGES_MAX {
        let Some(since) = at.seq else {
            if snapshots.next().is_none() {
                return Err(http.endless("snapshots", SNAPSHOTS_MAX));
            }
            let seq = take_snapshot(db, http, source, report, progress)?;
            at = Position {
                seq: Some(seq),
                etag: None,
            };
            continue;
        };
        let held = Held {
            seq: since,
            ..db.with(|c| held(c, source))?
        };
        match fetch_page(http, &source.key, since, at.etag.as_deref(), held)? {
            // The ETag matched but the signed head is further on: ask again for the page.
            Feed::Unchanged(head) if head.seq > since => at.etag = None,
            Feed::Unchanged(head) => {
                db.with(|c| c.set_fact(FACT_HEAD, &head.signed.header_value()))?;
                report.up_to_date = report.upserts + report.deletes == 0 && !report.snapshot_taken;
                report.seq = since;
                report.current_as_of = Some(head.signed.issued_at);
                return Ok(());
            }
            Feed::Gone => at.seq = None,
            // The server was re-keyed: follow the handovers, then ask again.
            Feed::NewKey(announced) => follow_key(db, http, source, &announced, report)?,
            Feed::Page { page, etag, head } => {
                let done = !page.more && page.last_seq == head.seq;
                let etag = done.then_some(etag).flatten();
                db.with(|c| {
                    still_at(c, since)?;
                    apply_page(c, &page, etag, &head, report, progress)
                })?;
                if done {
                    return Ok(());
                }
                // More pages, or the feed moved on while this one was read.
                at = Position {
                    seq: Some(page.last_seq),
                    etag: None,
                };
            }
        }
    }
    Err(http.endless("change pages", PAGES_MAX))
}

/// The server's answer to one request for the changes after a sequence.
enum Feed {
    /// Nothing new since the ETag sent (304), with the signed head saying so.
    Unchanged(Head),
    /// The server no longer keeps the changes that far back (410); only a snapshot catches up.
    Gone,
    /// The server signs with another key than the one pinned.
    NewKey(String),
    /// A verified page of changes, with the ETag naming the server's head sequence.
    Page {
        page: ChangePage,
        etag: Option<String>,
        head: Head,
    },
}

fn header(resp: &Response, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Asks for the page of changes after `since` and verifies the answer before returning it.
fn fetch_page(
    http: &Http,
    key: &str,
    since: i64,
    etag: Option<&str>,
    held: Held,
) -> Result<Feed, SyncError> {
    let mut req = http.client.get(http.url(&format!(
        "/v1/changes?since={since}&limit={PAGE}&facts=true"
    )));
    if let Some(tag) = etag {
        req = req.header(IF_NONE_MATCH, tag);
    }
    let resp = http.send(req)?;
    let status = resp.status();
    if status == StatusCode::GONE {
        return Ok(Feed::Gone);
    }
    if status != StatusCode::NOT_MODIFIED && !status.is_success() {
        return Err(http.refused(resp));
    }
    if let Some(announced) = header(&resp, KEY_HEADER).filter(|k| k != key) {
        return Ok(Feed::NewKey(announced));
    }
    let head = verify::verify_head(key, header(&resp, HEAD_HEADER).as_deref(), held, Utc::now())?;
    if status == StatusCode::NOT_MODIFIED {
        return Ok(Feed::Unchanged(head));
    }
    let etag = header(&resp, ETAG.as_str());
    let signature = header(&resp, PAGE_SIGNATURE_HEADER);
    let body = http.body(resp, PAGE_BYTES_MAX, "change page")?;
    let page = verify::verify_page(key, since, &head, &body, signature.as_deref())?;
    Ok(Feed::Page { page, etag, head })
}

/// Applies one page and records its sequence and head in the same transaction, so an
/// interrupted sync leaves the catalog at a whole sequence. The ETag names the server's head,
/// so it is kept only when the page reaches it: kept earlier, the next sync would be told 304
/// (nothing new) while changes are still missing.
fn apply_page(
    catalog: &mut Catalog,
    page: &ChangePage,
    etag: Option<String>,
    head: &Head,
    report: &mut SyncReport,
    progress: &mut dyn Progress,
) -> Result<(), SyncError> {
    progress.begin("changes", page.changes.len() as u64);
    catalog.apply_changes(
        page,
        &[
            (FACT_SEQ, page.last_seq.to_string()),
            (FACT_ETAG, etag.unwrap_or_default()),
            (FACT_HEAD, head.signed.header_value()),
        ],
    )?;
    progress.advance(page.changes.len() as u64);
    progress.end();
    for c in &page.changes {
        match c.op {
            ChangeOp::Upsert => report.upserts += 1,
            ChangeOp::Delete => report.deletes += 1,
            ChangeOp::Facts => report.fact_updates += 1,
            ChangeOp::Other => {}
        }
    }
    report.seq = page.last_seq;
    report.current_as_of = Some(head.signed.issued_at.clone());
    Ok(())
}

/// The answer a server gives to GET /v1/keys.
#[derive(serde::Deserialize)]
struct Keys {
    rotations: Vec<KeyRotation>,
}

/// The server announced `announced` instead of the pinned key: take it only if handovers,
/// each signed by the key before, lead there from the pinned one; then pin it.
fn follow_key(
    db: &mut impl Local,
    http: &Http,
    source: &mut Source,
    announced: &str,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    let resp = http.send(http.client.get(http.url("/v1/keys")))?;
    if !resp.status().is_success() {
        return Err(http.refused(resp));
    }
    let keys: Keys = http.json(resp)?;
    let key = verify::follow_rotations(&source.key, announced, &keys.rotations)?;
    if source.known {
        db.with(|c| c.set_fact(FACT_KEY, &key))?;
    }
    source.key = key.clone();
    report.new_key = Some(key);
    Ok(())
}

/// The catalog is still at the sequence this step started from: another sync (the app can
/// start one while one runs) did not move it meanwhile.
fn still_at(catalog: &Catalog, seq: i64) -> Result<(), SyncError> {
    let now = fact_i64(catalog, FACT_SEQ)?.unwrap_or(0);
    if now != seq {
        return Err(SyncError::Busy);
    }
    Ok(())
}

/// Downloads, verifies and applies the signed snapshot; returns its sequence.
fn take_snapshot(
    db: &mut impl Local,
    http: &Http,
    source: &mut Source,
    report: &mut SyncReport,
    progress: &mut dyn Progress,
) -> Result<i64, SyncError> {
    // With the tallies: a new device shows what drivers said from its first sync. Asked by
    // reference: the signed head comes from the server, the bytes from an immutable URL a CDN
    // may carry (a server that does not know the header sends them here, as before).
    let asked = http
        .client
        .get(http.url("/v1/snapshot?facts=true"))
        .header(SNAPSHOT_REFERENCE_HEADER, "by-reference");
    let pointer = http.send(asked)?;
    if !pointer.status().is_success() && pointer.status() != StatusCode::SEE_OTHER {
        return Err(http.refused(pointer));
    }
    if let Some(announced) = header(&pointer, KEY_HEADER).filter(|k| *k != source.key) {
        follow_key(db, http, source, &announced, report)?;
    }
    // Nothing behind what this catalog already holds from this source: not the head, not
    // the snapshot's sequence.
    let held = db.with(|c| held(c, source))?;
    let head = verify::verify_head(
        &source.key,
        header(&pointer, HEAD_HEADER).as_deref(),
        held,
        Utc::now(),
    )?;
    let resp = if pointer.status() == StatusCode::SEE_OTHER {
        // Only a snapshot path on the same server: the answer is verified by its signature
        // either way, but a pointer must not send the client anywhere else.
        let location = header(&pointer, "location")
            .filter(|l| l.starts_with("/v1/snapshots/") && !l.contains("..") && !l.contains('%'))
            .ok_or_else(|| SyncError::Server {
                server: http.server.clone(),
                status: StatusCode::SEE_OTHER.as_u16(),
                message: "a snapshot pointer that is not /v1/snapshots/…".into(),
            })?;
        let resp = http.send(http.client.get(http.url(&location)))?;
        if !resp.status().is_success() {
            return Err(http.refused(resp));
        }
        resp
    } else {
        pointer
    };
    let (seq, created, digest, signature) = (
        header(&resp, SEQ_HEADER),
        header(&resp, CREATED_HEADER),
        header(&resp, DIGEST_HEADER),
        header(&resp, SIGNATURE_HEADER),
    );
    progress.begin("snapshot", resp.content_length().unwrap_or(0));
    let body = http.body(resp, SNAPSHOT_BYTES_MAX, "snapshot")?;
    progress.advance(body.len() as u64);
    progress.end();
    let (seq, _created, snapshot) = verify::verify(
        &source.key,
        held.seq,
        head.seq,
        &Received {
            seq: seq.as_deref(),
            created_at: created.as_deref(),
            digest: digest.as_deref(),
            signature: signature.as_deref(),
            body: &body,
        },
    )?;
    let facts = [
        (FACT_SERVER, http.server.clone()),
        (FACT_KEY, source.key.clone()),
        (FACT_GIVEN_KEY, source.given.clone()),
        (FACT_SEQ, seq.to_string()),
        (FACT_ETAG, String::new()),
        (FACT_HEAD, head.signed.header_value()),
    ];
    db.with(|c| {
        if source.known {
            still_at(c, held.seq)?;
        }
        Ok::<_, SyncError>(c.replace_all(&snapshot.stations, &snapshot.facts, &facts, progress)?)
    })?;
    report.snapshot_taken = true;
    report.upserts += snapshot.stations.len();
    report.seq = seq;
    report.current_as_of = Some(head.signed.issued_at);
    Ok(seq)
}

/// Logs in as an operator (or admin) and remembers the token for edits and syncs.
pub fn login(
    db: &mut impl Local,
    server: &str,
    username: &str,
    password: &str,
) -> Result<String, SyncError> {
    let http = Http::new(server)?;
    let body = serde_json::json!({"username": username, "password": password});
    let resp = http.send(http.client.post(http.url("/v1/login")).json(&body))?;
    if !resp.status().is_success() {
        return Err(http.refused(resp));
    }
    let v: Value = http.json(resp)?;
    let token = v.get("token").and_then(Value::as_str).unwrap_or_default();
    let expires = v
        .get("expires_at")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    db.with(|c| {
        c.set_fact(FACT_TOKEN, token)?;
        c.set_fact(FACT_USER, username)?;
        c.set_fact("operator.server", &http.server)
    })?;
    Ok(expires)
}

fn operator_server(catalog: &Catalog) -> Result<(Http, String), SyncError> {
    let server = catalog
        .fact("operator.server")?
        .or(catalog.fact(FACT_SERVER)?)
        .ok_or(SyncError::NoServer)?;
    let token = catalog
        .fact(FACT_TOKEN)?
        .ok_or_else(|| SyncError::NotLoggedIn(server.clone()))?;
    Ok((Http::new(&server)?, token))
}

/// The path of a station, for every request that names one. The id comes from the local
/// catalog, which sync fills from the server, so it is checked against the catalog's own id
/// rule rather than percent-encoded: encoding cannot make `..` safe (the url crate drops it,
/// so the request would go to another path), and an id outside the rule names no station the
/// server holds, so refusing it here says what is wrong instead of sending a request at all.
fn station_path(station_id: &str) -> Result<String, SyncError> {
    if !is_valid_id(station_id) {
        // Shortened: the text is shown to the user and may be anything the server sent.
        return Err(SyncError::BadStationId(
            station_id.chars().take(80).collect(),
        ));
    }
    Ok(format!("/v1/stations/{station_id}"))
}

/// Sends one edit; Ok(None) when the server cannot be reached.
fn send_edit(
    http: &Http,
    token: &str,
    station_id: &str,
    base_version: i64,
    patch: &Map<String, Value>,
) -> Result<Option<Result<Station, Station>>, SyncError> {
    let req = http
        .client
        .patch(http.url(&station_path(station_id)?))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .header(IF_MATCH, format!("\"{base_version}\""))
        .json(patch);
    let resp = match http.send(req) {
        Ok(r) => r,
        Err(SyncError::Unreachable { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    match resp.status() {
        s if s.is_success() => Ok(Some(Ok(http.json(resp)?))),
        StatusCode::PRECONDITION_FAILED => Ok(Some(Err(http.json(resp)?))),
        StatusCode::UNAUTHORIZED => Err(SyncError::NotLoggedIn(http.server.clone())),
        _ => Err(http.refused(resp)),
    }
}

/// An operator edit: sent now if the server answers, otherwise queued in the outbox. The edit
/// carries the version this catalog holds, so a change made meanwhile on the server is
/// reported as a conflict with both versions, never overwritten.
pub fn edit(
    db: &mut impl Local,
    station_id: &str,
    patch: Map<String, Value>,
) -> Result<EditOutcome, SyncError> {
    let base = db.with(|c| c.station(station_id))?;
    // The same check the server makes, so a bad edit is refused at once, even offline, rather
    // than queued to fail later: only the operator fields, each valid.
    check_patch(&patch, Some(&base), Editor::Operator).map_err(CatalogError::from)?;
    let (http, token) = db.with(|c| operator_server(c))?;
    match send_edit(&http, &token, station_id, base.version, &patch)? {
        Some(Ok(saved)) => {
            // The answer to a PATCH is not signed: the saved station reaches this catalog
            // through the signed feed, followed now (and by the next sync if that fails).
            let _ = follow_feed(db);
            Ok(EditOutcome::Saved { station: saved })
        }
        Some(Err(theirs)) => Ok(EditOutcome::Conflict(Conflict {
            station_id: station_id.to_string(),
            mine: patch,
            theirs,
        })),
        None => {
            db.with(|c| {
                c.outbox().push_edit(
                    &http.server,
                    station_id,
                    base.version,
                    &patch,
                    &now_rfc3339(),
                )
            })?;
            Ok(EditOutcome::Queued)
        }
    }
}

/// The logged-in operator and the stations assigned to them, as this catalog holds them.
#[derive(Debug, Clone, Serialize)]
pub struct Operator {
    pub server: String,
    pub username: String,
    pub role: String,
    pub stations: Vec<Station>,
}

/// Asks the server who the remembered token belongs to and which stations are theirs.
pub fn whoami(db: &mut impl Local) -> Result<Operator, SyncError> {
    let (http, token) = db.with(|c| operator_server(c))?;
    let resp = http.send(
        http.client
            .get(http.url("/v1/me"))
            .header(AUTHORIZATION, format!("Bearer {token}")),
    )?;
    if resp.status() == StatusCode::UNAUTHORIZED {
        return Err(SyncError::NotLoggedIn(http.server.clone()));
    }
    if !resp.status().is_success() {
        return Err(http.refused(resp));
    }
    let me: Value = http.json(resp)?;
    let text = |k: &str| {
        me.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let mut stations = Vec::new();
    for id in me
        .get("stations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        // A station assigned since the last sync is not here yet; the next sync brings it.
        if let Ok(s) = db.with(|c| c.station(id)) {
            stations.push(s);
        }
    }
    Ok(Operator {
        server: http.server.clone(),
        username: text("username"),
        role: text("role"),
        stations,
    })
}

/// Forgets the operator token here and, if the server answers, there too.
pub fn logout(db: &mut impl Local) -> Result<(), SyncError> {
    if let Ok((http, token)) = db.with(|c| operator_server(c)) {
        let _ = http.send(
            http.client
                .post(http.url("/v1/logout"))
                .header(AUTHORIZATION, format!("Bearer {token}")),
        );
    }
    db.with(|c| c.forget_facts(&[FACT_TOKEN, FACT_USER]))?;
    Ok(())
}

/// Edits waiting in the outbox, then those the server refused (with its reason), oldest first.
pub fn pending_edits(catalog: &Catalog) -> Result<Vec<PendingEdit>, SyncError> {
    let mut edits = catalog.outbox().edits(None)?;
    edits.extend(catalog.outbox().failed_edits()?);
    Ok(edits)
}

/// Forgets the edits the server refused, once their owner has seen them; how many.
pub fn discard_failed_edits(catalog: &Catalog) -> Result<usize, SyncError> {
    Ok(catalog.outbox().discard_failed()?)
}

/// The sync settings as the app shows them.
#[derive(Debug, Clone, Serialize)]
pub struct SyncState {
    pub server: Option<String>,
    pub key: Option<String>,
    pub seq: Option<i64>,
    pub operator: Option<String>,
    pub pending_edits: usize,
    pub pending_reports: usize,
    pub pending_proposals: usize,
    pub pending_confirmations: usize,
    /// When the server signed the head this catalog is at (RFC 3339): current as of then.
    pub current_as_of: Option<String>,
}

pub fn state(catalog: &Catalog) -> Result<SyncState, SyncError> {
    let current_as_of = catalog
        .fact(FACT_HEAD)?
        .and_then(|text| SignedHead::parse(&text))
        .map(|head| head.issued_at);
    Ok(SyncState {
        current_as_of,
        server: catalog.fact(FACT_SERVER)?,
        key: catalog.fact(FACT_KEY)?,
        seq: fact_i64(catalog, FACT_SEQ)?,
        operator: catalog.fact(FACT_USER)?,
        pending_edits: catalog.outbox().edit_count()?,
        pending_reports: catalog.outbox().report_count()?,
        pending_proposals: catalog.proposal_outbox().count()?,
        pending_confirmations: catalog.outbox().confirmation_count()?,
    })
}

/// Queues a problem report for the next sync with the known server (or the next one set).
pub fn report_problem(catalog: &Catalog, report: &Report) -> Result<(), SyncError> {
    catalog.check_report(report)?;
    let server = catalog.fact(FACT_SERVER)?.unwrap_or_default();
    Ok(catalog
        .outbox()
        .push_report(&server, report, &now_rfc3339())?)
}

/// Sends waiting problem reports; a report the server refuses as invalid (the station was
/// deleted meanwhile) is dropped rather than retried for ever. Anything else (busy, out of
/// reach) stops the sending: the rest wait for the next sync.
fn push_reports(
    db: &mut impl Local,
    http: &Http,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    for (row, r) in db.with(|c| c.outbox().reports(&http.server))? {
        let req = http.client.post(http.url("/v1/reports")).json(&r);
        let resp = match http.send(req) {
            Ok(resp) => resp,
            Err(e) => return stop_pushing(report, e),
        };
        let status = resp.status();
        if status.is_success() {
            report.reports_sent += 1;
        } else if !is_refusal(status) {
            return stop_pushing(report, http.refused(resp));
        }
        db.with(|c| c.outbox().report_sent(row))?;
    }
    Ok(())
}

/// A 4xx that says "never like this", not "not now" (408 and 429 are "not now").
fn is_refusal(status: StatusCode) -> bool {
    status.is_client_error()
        && status != StatusCode::REQUEST_TIMEOUT
        && status != StatusCode::TOO_MANY_REQUESTS
}

/// The session of the operator logged in to `server` on this device, if any.
fn operator_session(catalog: &Catalog, server: &str) -> Result<Option<String>, SyncError> {
    let here = catalog.fact("operator.server")?.as_deref() == Some(server);
    Ok(catalog.fact(FACT_TOKEN)?.filter(|_| here))
}

/// Sends a request anyone may make as the logged-in operator when there is one (the server
/// then counts it as theirs: their own station's "still true"), and again as anyone when
/// that login has expired, which is no reason to hold it back.
fn send_as_operator(
    http: &Http,
    session: Option<&str>,
    request: impl Fn() -> RequestBuilder,
) -> Result<Response, SyncError> {
    let Some(token) = session else {
        return http.send(request());
    };
    let resp = http.send(request().bearer_auth(token))?;
    if resp.status() == StatusCode::UNAUTHORIZED {
        return http.send(request());
    }
    Ok(resp)
}

/// The push stops here; the sync itself (its pull) still succeeded.
fn stop_pushing(report: &mut SyncReport, e: SyncError) -> Result<(), SyncError> {
    match e {
        SyncError::NotLoggedIn(_) => report.login_needed = true,
        other => report.push_problem = Some(other.text(waystation_catalog::Lang::Zh)),
    }
    Ok(())
}

/// Sends waiting edits in the order they were made. An edit the server refuses (a station
/// deleted meanwhile, a field no longer theirs) is kept as failed with the server's reason and
/// never blocks the edits after it; a conflict is reported with both versions; an expired
/// login or an unreachable server stops the sending, and the edits wait.
fn push_outbox(db: &mut impl Local, http: &Http, report: &mut SyncReport) -> Result<(), SyncError> {
    let (waiting, token) = db.with(|c| {
        Ok::<_, SyncError>((c.outbox().edits(Some(&http.server))?, c.fact(FACT_TOKEN)?))
    })?;
    if waiting.is_empty() {
        return Ok(());
    }
    let Some(token) = token else {
        report.login_needed = true;
        return Ok(());
    };
    for PendingEdit {
        row,
        station_id,
        base_version,
        patch,
        ..
    } in waiting
    {
        let outcome = send_edit(http, &token, &station_id, base_version, &patch);
        match outcome {
            Ok(Some(Ok(_saved))) => {
                // Not applied from this (unsigned) answer: `sync` pulls it signed after the push.
                report.pushed += 1;
                db.with(|c| c.outbox().edit_sent(row))?;
            }
            Ok(Some(Err(theirs))) => {
                report.conflicts.push(Conflict {
                    station_id,
                    mine: patch,
                    theirs,
                });
                db.with(|c| c.outbox().edit_sent(row))?;
            }
            Err(e @ (SyncError::BadStationId(_) | SyncError::Server { .. }))
                if refused_for_good(&e) =>
            {
                let reason = e.text(waystation_catalog::Lang::Zh);
                db.with(|c| c.outbox().edit_failed(row, &reason))?;
                report.failed_edits.push(FailedEdit { station_id, reason });
            }
            Ok(None) => {
                let gone = SyncError::Unreachable {
                    server: http.server.clone(),
                    reason: "the connection was refused or the network is down".into(),
                };
                return stop_pushing(report, gone);
            }
            Err(e) => return stop_pushing(report, e),
        }
    }
    Ok(())
}

fn refused_for_good(e: &SyncError) -> bool {
    match e {
        SyncError::BadStationId(_) => true,
        SyncError::Server { status, .. } => StatusCode::from_u16(*status).is_ok_and(is_refusal),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_take_the_tls_config() {
        // reqwest takes a config only from its own rustls, and a client it cannot give TLS to
        // fails to build (or panics) even for plain HTTP: this catches rustls and reqwest
        // drifting apart.
        client_builder().build().expect("client");
        Http::new("https://example.invalid").expect("sync client");
    }

    #[test]
    fn plain_http_only_to_this_device() {
        for ok in [
            "https://catalog.example.com",
            "http://127.0.0.1:8080",
            "http://localhost:3000",
            "http://[::1]:8080",
        ] {
            assert!(check_transport(ok).is_ok(), "{ok}");
        }
        for refused in [
            "http://catalog.example.com",
            "http://192.168.1.5",
            "http://127.0.0.1.example.com",
            "ftp://127.0.0.1",
        ] {
            assert!(
                matches!(check_transport(refused), Err(SyncError::Insecure { .. })),
                "{refused}"
            );
        }
    }

    /// A server on this device that answers every request 404 and keeps the path it was asked.
    fn recording_server() -> (String, std::sync::mpsc::Receiver<String>) {
        use std::io::{BufRead, BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let server = format!("http://{}", listener.local_addr().expect("address"));
        let (paths, asked) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut request = BufReader::new(&stream);
                let mut first = String::new();
                let _ = request.read_line(&mut first);
                let _ = paths.send(first.trim_end().to_string());
                // The body is read too: closing with it unread could reset the connection
                // before the client reads the answer.
                let mut length = 0;
                let mut line = String::new();
                while request.read_line(&mut line).is_ok_and(|n| n > 2) {
                    if let Some((name, value)) = line.split_once(':')
                        && name.eq_ignore_ascii_case("content-length")
                    {
                        length = value.trim().parse().unwrap_or(0);
                    }
                    line.clear();
                }
                let _ = std::io::copy(&mut request.take(length), &mut std::io::sink());
                let _ = (&stream).write_all(
                    b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                );
            }
        });
        (server, asked)
    }

    #[test]
    fn station_ids_outside_the_catalogs_rule_never_reach_a_url() {
        let (server, asked) = recording_server();
        let http = Http::new(&server).expect("client");
        let patch = Map::new();
        let long = "a".repeat(65);
        for bad in [
            "..",
            ".",
            "../../v1/logout",
            "a/b",
            "near?x=1",
            "a#b",
            "a b",
            "%2e%2e",
            "a\nb",
            "站点",
            "",
            long.as_str(),
        ] {
            let result = send_edit(&http, "token", bad, 1, &patch);
            assert!(
                matches!(result, Err(SyncError::BadStationId(_))),
                "{bad:?}: {result:?}"
            );
            // Nothing was asked of the server for it (a request would have been answered 404).
            assert_eq!(asked.try_recv().ok(), None, "{bad:?} was sent");
        }
        let e = send_edit(&http, "token", "..", 1, &patch).expect_err("refused");
        assert!(e.to_string().contains("not a valid station id"), "{e}");
        assert!(e.zh().contains("不是有效的站点编号"), "{}", e.zh());

        // Ids the catalog accepts are sent as they are.
        for good in [
            "syn-dh-000001",
            "osm:node:42",
            "a.b",
            "...",
            &"a".repeat(64),
        ] {
            let result = send_edit(&http, "token", good, 1, &patch);
            assert!(
                matches!(result, Err(SyncError::Server { status: 404, .. })),
                "{good:?}: {result:?}"
            );
            let line = asked.recv_timeout(Duration::from_secs(10)).expect("asked");
            assert_eq!(line, format!("PATCH /v1/stations/{good} HTTP/1.1"));
        }
    }
}
