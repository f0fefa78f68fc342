//! The networked commands: `serve`, `sync`, `admin` and `operator`.

use std::io::{self, BufRead, IsTerminal, Write};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value, json};
use waystation_catalog::store::accounts::Role;
use waystation_catalog::{Catalog, Lang, Service, Station};
use waystation_server::accounts;
use waystation_server::store::{CatalogStore, SqliteStore};
use waystation_sync::{self as sync, EditOutcome, SyncReport};

use crate::bars::Bars;
use crate::cli::{
    AdminCommand, EditArgs, OperatorCommand, ProposalsArgs, ProposeArgs, ServeArgs, SyncArgs,
};
use crate::messages::Msg;

pub fn serve(path: &std::path::Path, args: &ServeArgs, lang: Lang) -> Result<()> {
    start_logging();
    let ui = ui_dir(args);
    if let Some(dir) = &ui {
        waystation_server::check_ui_dir(dir, path).map_err(anyhow::Error::msg)?;
    }
    let store = SqliteStore::open(path, args.tombstone_days).map_err(anyhow::Error::msg)?;
    let key = match &args.signing_key {
        Some(file) => waystation_server::signing::ServerKey::from_file(file)?,
        None => waystation_server::signing::ServerKey::beside(path)?,
    };
    let shown = path.display().to_string();
    run_server(Arc::new(store), key, &shown, ui, args, lang)
}

/// `serve --database URL`: one replica of any number over the catalog in PostgreSQL.
pub fn serve_database(url: &str, args: &ServeArgs, lang: Lang) -> Result<()> {
    start_logging();
    // Every replica signs with the same key, so it is made once (keygen), never here.
    let Some(file) = &args.signing_key else {
        bail!(
            "用数据库服务时须给出签名密钥：先运行 `waystation keygen FILE`，再在每个副本上用 --signing-key FILE（或 WAYSTATION_SIGNING_KEY_FILE）— serving a database needs the signing key every replica shares: make one with `waystation keygen FILE`, then give each replica --signing-key FILE (or WAYSTATION_SIGNING_KEY_FILE)"
        );
    };
    let key = waystation_server::signing::ServerKey::from_file(file)?;
    let ui = ui_dir(args);
    if let Some(dir) = &ui {
        waystation_server::check_ui_dir(dir, file).map_err(anyhow::Error::msg)?;
    }
    let store = waystation_server::replica::PgStore::open(url, args.tombstone_days, &key)
        .map_err(anyhow::Error::msg)?;
    run_server(store, key, &waystation_postgres::shown(url), ui, args, lang)
}

fn start_logging() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(io::stderr)
        .init();
}

/// The web UI to serve: `--ui`, else ui/dist when it was built.
fn ui_dir(args: &ServeArgs) -> Option<std::path::PathBuf> {
    args.ui.clone().or_else(|| {
        Some(std::path::PathBuf::from("ui/dist")).filter(|d| d.join("index.html").exists())
    })
}

/// Serves `store` (named `shown` in the log) until interrupted.
fn run_server(
    store: Arc<dyn CatalogStore>,
    key: waystation_server::signing::ServerKey,
    shown: &str,
    ui: Option<std::path::PathBuf>,
    args: &ServeArgs,
    lang: Lang,
) -> Result<()> {
    let public_key = key.public_hex();
    let stations = store.info()?.stations;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .with_context(|| Msg::CannotListen { addr: args.addr }.text(lang))?;
        let addr = listener.local_addr()?;
        // One line a script (or a test) can read: where, and the key clients pin. It stays the
        // same in every language.
        println!("listening on http://{addr} public_key={public_key}");
        eprintln!("{}", Msg::Serving { shown, stations }.text(lang));
        io::stdout().flush()?;
        if let Some(dir) = &ui {
            eprintln!("{}", Msg::WebUi { dir: dir.display() }.text(lang));
        }
        let options = waystation_server::Options {
            ui,
            trusted_proxy: args.trust_proxy,
            head_lifetime: chrono::TimeDelta::minutes(args.head_minutes.into()),
        };
        waystation_server::serve(listener, store, key, &options).await?;
        Ok(())
    })
}

fn print_report(out: &mut impl Write, r: &SyncReport, json: bool, lang: Lang) -> Result<()> {
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(r)?)?;
        return Ok(());
    }
    let zh = lang == Lang::Zh;
    if r.up_to_date {
        writeln!(
            out,
            "{} {} (seq {})",
            if zh {
                "已是最新"
            } else {
                "Up to date with"
            },
            r.server,
            r.seq
        )?;
    } else {
        writeln!(
            out,
            "{} {} → seq {}: {} {}, {} {}{}",
            if zh { "已同步" } else { "Synced with" },
            r.server,
            r.seq,
            r.upserts,
            if zh {
                "个站点更新"
            } else {
                "stations updated"
            },
            r.deletes,
            if zh { "个删除" } else { "deleted" },
            if r.snapshot_taken {
                if zh {
                    "（完整快照）"
                } else {
                    " (full snapshot)"
                }
            } else {
                ""
            }
        )?;
    }
    if let Some(at) = &r.current_as_of {
        let label = if zh {
            "目录截至服务器签名时间"
        } else {
            "Catalog current as of the server's signed head at"
        };
        writeln!(out, "{label} {at}")?;
    }
    if r.pushed > 0 {
        writeln!(
            out,
            "{} {}",
            r.pushed,
            if zh {
                "条离线修改已提交"
            } else {
                "offline edits sent"
            }
        )?;
    }
    if r.reports_sent > 0 {
        writeln!(
            out,
            "{} {}",
            r.reports_sent,
            if zh {
                "条问题报告已发送"
            } else {
                "problem reports sent"
            }
        )?;
    }
    if r.confirmations_sent > 0 {
        let text = if zh {
            "条确认已发送"
        } else {
            "confirmations sent"
        };
        writeln!(out, "{} {text}", r.confirmations_sent)?;
    }
    if r.proposals_sent > 0 {
        let text = if zh {
            "条提议已送审（`waystation proposals` 查看结果）"
        } else {
            "proposals sent for review (`waystation proposals` shows how they went)"
        };
        writeln!(out, "{} {text}", r.proposals_sent)?;
    }
    for refused in &r.refused_proposals {
        let label = if zh {
            "服务器拒收了提议（已保留，不再发送）"
        } else {
            "The server refused a proposal (kept, not sent again)"
        };
        writeln!(
            out,
            "{label} {}: {}",
            proposal_title(&refused.proposal),
            refused.reason
        )?;
    }
    for c in &r.conflicts {
        print_conflict(out, &c.station_id, &c.mine, &c.theirs, lang)?;
    }
    for f in &r.failed_edits {
        let label = if zh {
            "服务器拒绝了离线修改（已保留，不再发送）"
        } else {
            "The server refused an offline edit (kept, not sent again)"
        };
        writeln!(out, "{label} {}: {}", f.station_id, f.reason)?;
    }
    if r.login_needed {
        let text = if zh {
            "登录已过期：修改在等待；请运行 `waystation operator login URL --user NAME` 后再同步"
        } else {
            "Your login has expired: edits wait; run `waystation operator login URL --user NAME`, then sync"
        };
        writeln!(out, "{text}")?;
    }
    if let Some(problem) = &r.push_problem {
        let label = if zh {
            "修改和报告未全部发送，下次同步再发"
        } else {
            "Not every edit and report was sent; the next sync tries again"
        };
        writeln!(out, "{label}: {problem}")?;
    }
    Ok(())
}

fn print_conflict(
    out: &mut impl Write,
    id: &str,
    mine: &Map<String, Value>,
    theirs: &Station,
    lang: Lang,
) -> Result<()> {
    let zh = lang == Lang::Zh;
    writeln!(
        out,
        "{} {id}",
        if zh {
            "冲突：站点已被他人修改，你的修改未保存"
        } else {
            "Conflict: someone changed the station first; your edit was not saved:"
        }
    )?;
    writeln!(
        out,
        "  {}: {}",
        if zh { "你的修改" } else { "yours" },
        Value::Object(mine.clone())
    )?;
    writeln!(
        out,
        "  {} (v{}): {}",
        if zh {
            "服务器上的版本"
        } else {
            "on the server"
        },
        theirs.version,
        serde_json::to_string(theirs)?
    )?;
    Ok(())
}

pub fn run_sync(
    catalog: &mut Catalog,
    args: &SyncArgs,
    out: &mut impl Write,
    lang: Lang,
) -> Result<()> {
    let report = sync::sync(
        catalog,
        args.url.as_deref(),
        args.key.as_deref(),
        &mut Bars::new(),
    )?;
    print_report(out, &report, args.json, lang)
}

/// `name`'s password from the terminal (not echoed) or the first line of standard input.
fn read_password(name: &str, lang: Lang) -> Result<String> {
    let password = if io::stdin().is_terminal() {
        let prompt = format!("{}: ", Msg::PasswordFor { name }.text(lang));
        rpassword::prompt_password(prompt)?
    } else {
        let mut line = String::new();
        io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_string()
    };
    if password.is_empty() {
        bail!(Msg::NoPassword {}.text(lang));
    }
    Ok(password)
}

/// Who the audit log names for account changes made at this terminal.
const CLI_ACTOR: &str = "admin (command line)";

pub fn admin(
    store: &dyn CatalogStore,
    catalog_file: Option<&std::path::Path>,
    command: &AdminCommand,
    out: &mut impl Write,
    lang: Lang,
) -> Result<()> {
    match command {
        AdminCommand::AddUser { name, role } => {
            let role: Role = role.parse().map_err(anyhow::Error::msg)?;
            if !accounts::valid_name(name) {
                return Err(accounts::AccountError::BadName(name.clone()).into());
            }
            let hash = accounts::hash_new_password(&read_password(name, lang)?)?;
            store.add_user(name, role, &hash, CLI_ACTOR)?;
            writeln!(out, "已创建账户 user created: {name} ({})", role.id())?;
        }
        AdminCommand::Assign { name, station_id } => {
            store.assign(name, station_id, CLI_ACTOR)?;
            writeln!(out, "{name} → {station_id}")?;
        }
        AdminCommand::Unassign { name, station_id } => {
            store.unassign(name, station_id, CLI_ACTOR)?;
            writeln!(out, "{name} ✕ {station_id}")?;
        }
        AdminCommand::RemoveUser { name } => {
            store.remove_user(name, CLI_ACTOR)?;
            writeln!(out, "已删除账户 user removed: {name}")?;
        }
        AdminCommand::SetPassword { name } => {
            let password = read_password(name, lang)?;
            let hash = accounts::hash_new_password(&password)?;
            store.set_password_hash(name, &hash, None, CLI_ACTOR)?;
            writeln!(
                out,
                "已重设密码，所有登录已结束 password set, every session ended: {name}"
            )?;
        }
        AdminCommand::RevokeSessions { name } => {
            let n = store.revoke_sessions(name, CLI_ACTOR)?;
            writeln!(out, "已结束 {n} 个登录 sessions ended: {n} ({name})")?;
        }
        AdminCommand::RotateKey { signing_key } => {
            let (old, new) = match (signing_key, catalog_file) {
                (Some(file), _) => waystation_server::signing::rotate_file(file)?,
                (None, Some(path)) => waystation_server::signing::rotate_beside(path)?,
                (None, None) => bail!(
                    "数据库的签名密钥在文件里：请用 --signing-key FILE（或 WAYSTATION_SIGNING_KEY_FILE）给出 — a database's signing key is in a file: give it with --signing-key FILE (or WAYSTATION_SIGNING_KEY_FILE)"
                ),
            };
            writeln!(out, "旧公钥 old public key: {old}")?;
            writeln!(out, "新公钥 new public key: {new}")?;
            writeln!(
                out,
                "重启服务器后生效；已固定旧公钥的客户端会沿签名交接自动改用新公钥 — restart the server to sign with it; clients pinned to the old key follow the signed handover"
            )?;
        }
        AdminCommand::Users => {
            for u in store.users()? {
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}",
                    u.username,
                    u.role.id(),
                    u.created_at,
                    u.stations.join(",")
                )?;
            }
        }
        AdminCommand::Sessions { name } => {
            for s in store.sessions(name)? {
                writeln!(out, "{}\t{}", s.id, s.expires_at)?;
            }
        }
        AdminCommand::Proposals { state, json } => {
            let state = state.parse().map_err(anyhow::Error::msg)?;
            let page = store.proposals(&waystation_catalog::request::ProposalPage {
                state: Some(state),
                limit: 1000,
                before: None,
            })?;
            if *json {
                writeln!(out, "{}", serde_json::to_string_pretty(&page)?)?;
            }
            for p in page.iter().filter(|_| !*json) {
                let what = match (&p.station_id, p.new_station) {
                    (Some(id), false) => format!("{id} ← {}", field_names(&p.fields)),
                    _ => format!(
                        "{} {}",
                        new_mark(lang),
                        p.fields["name"].as_str().unwrap_or("?")
                    ),
                };
                let duplicate = p
                    .duplicate_of
                    .as_ref()
                    .map(|d| format!("\t{} {d}", duplicate_mark(lang)))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "{}\t{}\t{}\t{what}{duplicate}",
                    p.id,
                    p.state.label(lang),
                    p.created_at
                )?;
                for (label, text) in [("note", &p.note), ("contact", &p.contact)] {
                    if let Some(text) = text {
                        writeln!(out, "\t{label}: {text}")?;
                    }
                }
            }
        }
        AdminCommand::Approve { id, operator } => {
            // The operator is settled first, so a refused account leaves the proposal pending.
            if let Some(name) = operator
                && store
                    .credentials(name)?
                    .is_some_and(|(role, _)| role != Role::Operator)
            {
                bail!("`{name}` 是管理员，不是站长 — `{name}` is an admin, not an operator");
            }
            let new_account = match operator {
                Some(name) if store.credentials(name)?.is_none() => Some((
                    name,
                    accounts::hash_new_password(&read_password(name, lang)?)?,
                )),
                _ => None,
            };
            let saved = store.approve(*id, CLI_ACTOR)?;
            if let Some((name, hash)) = new_account {
                store.add_user(name, Role::Operator, &hash, CLI_ACTOR)?;
            }
            if let Some(name) = operator {
                store.assign(name, &saved.id, CLI_ACTOR)?;
            }
            writeln!(out, "已通过 approved: {id} → {} {}", saved.id, saved.name)?;
        }
        AdminCommand::Reject { id, reason } => {
            store.reject(*id, reason, CLI_ACTOR)?;
            writeln!(out, "已驳回 rejected: {id}")?;
        }
    }
    Ok(())
}

/// "name, services" — the fields a change proposes.
fn field_names(fields: &serde_json::Map<String, serde_json::Value>) -> String {
    fields
        .keys()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

fn new_mark(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "新站点",
        Lang::En => "new:",
    }
}

fn duplicate_mark(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "可能重复",
        Lang::En => "may duplicate",
    }
}

/// What a proposal is about, in a few words: the station it changes, or the new one's name.
fn proposal_title(p: &waystation_catalog::proposals::Proposal) -> String {
    match &p.station_id {
        Some(id) => format!("{id} ← {}", field_names(&p.fields)),
        None => p
            .fields
            .get("name")
            .and_then(|v| v.as_str())
            .unwrap_or("?")
            .to_string(),
    }
}

/// Queues a proposal for the next sync.
pub fn propose(
    catalog: &Catalog,
    args: &ProposeArgs,
    out: &mut impl Write,
    lang: Lang,
) -> Result<()> {
    let proposal = args.proposal();
    sync::proposing::queue_proposal(catalog, &proposal)?;
    let text = match lang {
        Lang::Zh => "已记录，下次同步时送审。",
        Lang::En => "Recorded; it is sent for review with the next sync.",
    };
    writeln!(out, "{text} {}", proposal_title(&proposal))?;
    Ok(())
}

/// This device's proposals: waiting, refused, and sent with how each went.
pub fn proposals(
    catalog: &mut Catalog,
    args: &ProposalsArgs,
    out: &mut impl Write,
    lang: Lang,
) -> Result<()> {
    let mine = sync::proposing::my_proposals(catalog)?;
    let (waiting, refused, sent) = (&mine.waiting, &mine.refused, &mine.sent);
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&mine)?)?;
    } else {
        let zh = lang == Lang::Zh;
        for w in waiting {
            let label = if zh {
                "等待同步"
            } else {
                "waiting for a sync"
            };
            writeln!(out, "-\t{label}\t{}", proposal_title(&w.proposal))?;
        }
        for r in refused {
            let label = if zh { "被拒收" } else { "refused" };
            let reason = r.failed.as_deref().unwrap_or_default();
            writeln!(out, "-\t{label}\t{}\t{reason}", proposal_title(&r.proposal))?;
        }
        for s in sent {
            let state = match (&s.status, &s.unknown) {
                (Some(status), _) => {
                    let mut text = status.state.label(lang).to_string();
                    if let Some(station) = &status.station_id {
                        text.push_str(&format!(" → {station}"));
                    }
                    if let Some(reason) = &status.reason {
                        text.push_str(&format!(": {reason}"));
                    }
                    text
                }
                (None, Some(why)) => {
                    format!("{}: {why}", if zh { "无法查询" } else { "cannot ask" })
                }
                (None, None) => String::new(),
            };
            writeln!(
                out,
                "{}\t{state}\t{}",
                s.sent.id,
                proposal_title(&s.sent.proposal)
            )?;
        }
        if waiting.is_empty() && refused.is_empty() && sent.is_empty() {
            writeln!(
                out,
                "{}",
                if zh {
                    "还没有提议。"
                } else {
                    "No proposals yet."
                }
            )?;
        }
    }
    if args.discard_refused {
        catalog.proposal_outbox().discard_refused()?;
    }
    Ok(())
}

pub fn operator(
    catalog: &mut Catalog,
    command: &OperatorCommand,
    out: &mut impl Write,
    lang: Lang,
) -> Result<()> {
    match command {
        OperatorCommand::Login { url, user } => {
            // Refused before a password is typed for a server it would travel to in clear.
            sync::check_transport(url)?;
            let password = read_password(user, lang)?;
            let expires = sync::login(catalog, url, user, &password)?;
            writeln!(out, "logged in 已登录 {user} @ {url} (until {expires})")?;
        }
        OperatorCommand::Edit(args) => edit(catalog, args, out, lang)?,
        OperatorCommand::Pending => {
            for e in sync::pending_edits(catalog)? {
                let fields: Vec<&str> = e.patch.keys().map(String::as_str).collect();
                let state = match &e.failed {
                    Some(reason) => format!("被拒绝 refused: {reason}"),
                    None => "等待发送 waiting".to_string(),
                };
                writeln!(
                    out,
                    "{}\t{}\t{}\t{state}",
                    e.station_id,
                    fields.join(","),
                    e.created_at
                )?;
            }
        }
        OperatorCommand::DiscardRefused => {
            let n = sync::discard_failed_edits(catalog)?;
            writeln!(
                out,
                "已丢弃 {n} 个被拒绝的修改 refused edits discarded: {n}"
            )?;
        }
    }
    Ok(())
}

fn edit(catalog: &mut Catalog, args: &EditArgs, out: &mut impl Write, lang: Lang) -> Result<()> {
    let mut patch = Map::new();
    if let Some(s) = args.status {
        patch.insert("status".into(), json!(s.id()));
    }
    if !args.services.is_empty() {
        let mut services = catalog.station(&args.id)?.services;
        for change in &args.services {
            let (add, id) = match change.strip_prefix('-') {
                Some(id) => (false, id),
                None => (true, change.trim_start_matches('+')),
            };
            let service: Service = id.parse()?;
            if add {
                services.insert(service);
            } else {
                services.remove(service);
            }
        }
        patch.insert(
            "services".into(),
            json!(services.iter().map(Service::id).collect::<Vec<_>>()),
        );
    }
    for (field, value) in [
        ("opening_hours", &args.hours),
        ("notice", &args.notice),
        ("phone", &args.phone),
    ] {
        if let Some(v) = value {
            patch.insert(
                field.into(),
                if v.is_empty() { Value::Null } else { json!(v) },
            );
        }
    }
    if let Some(n) = args.free_trucks {
        patch.insert("free_truck_spaces".into(), json!(n));
    }
    if patch.is_empty() {
        bail!(Msg::NothingToChange {}.text(lang));
    }
    let outcome = sync::edit(catalog, &args.id, patch)?;
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&outcome)?)?;
        return Ok(());
    }
    let zh = lang == Lang::Zh;
    match outcome {
        EditOutcome::Saved { station } => writeln!(
            out,
            "{} {} (v{})",
            if zh { "已保存" } else { "Saved" },
            station.id,
            station.version
        )?,
        EditOutcome::Queued => writeln!(
            out,
            "{}",
            if zh {
                "服务器无法连接：修改已保存在待发送队列，下次同步时提交。"
            } else {
                "The server cannot be reached: the edit waits in the outbox and is sent by the next sync."
            }
        )?,
        EditOutcome::Conflict(c) => print_conflict(out, &c.station_id, &c.mine, &c.theirs, lang)?,
    }
    Ok(())
}
