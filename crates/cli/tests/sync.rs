//! The catalog server and sync end to end: a real `waystation serve` process on 127.0.0.1 (an
//! ephemeral port), real client catalogs synced by the real `waystation sync`, and, where a
//! fault must be injected, a small HTTP proxy in this file between them. The suite runs over a
//! catalog file, and again (WAYSTATION_TEST_STORE=postgres; `make test` does both) over a
//! replica on a PostgreSQL database: the admin's commands go to whichever the server serves.
//! What needs only HTTP (authorization, bad input, login limits, the OpenAPI document,
//! compression, the map's endpoints) is tested in-process in crates/server/tests.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, ETAG, IF_MATCH, IF_NONE_MATCH};
use serde_json::{Value, json};

mod common;
use common::*;

/// PATCHes a station as `token`, based on the version the server holds now.
fn patch_as(server: &Server, token: &str, id: &str, body: Value) -> reqwest::blocking::Response {
    http()
        .patch(format!("{}/v1/stations/{id}", server.url))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .header(IF_MATCH, version(server, id))
        .json(&body)
        .send()
        .expect("patch")
}

fn delete_as(server: &Server, token: &str, id: &str) -> reqwest::blocking::Response {
    http()
        .delete(format!("{}/v1/stations/{id}", server.url))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .send()
        .expect("delete")
}

/// `waystation operator login` on a client catalog, the password on stdin.
fn operator_login(catalog: &Path, server: &Server, user: &str, password: &str) {
    let out = ws_input(
        catalog,
        &["operator", "login", &server.url, "--user", user],
        &format!("{password}\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn get_station(server: &Server, id: &str) -> Value {
    let resp = http()
        .get(format!("{}/v1/stations/{id}", server.url))
        .send()
        .expect("get");
    resp.json().expect("json")
}

fn version(server: &Server, id: &str) -> String {
    let resp = http()
        .get(format!("{}/v1/stations/{id}", server.url))
        .send()
        .expect("get");
    resp.headers()[ETAG].to_str().expect("etag").to_string()
}

fn export(catalog: &Path) -> String {
    ok(catalog, &["export"])
}

fn fact(catalog: &Path, key: &str) -> Option<String> {
    let conn = rusqlite::Connection::open(catalog).expect("open");
    conn.query_row(
        "SELECT value FROM catalog_meta WHERE key = ?1",
        [key],
        |r| r.get(0),
    )
    .ok()
}

fn integrity(catalog: &Path) -> String {
    let conn = rusqlite::Connection::open(catalog).expect("open");
    conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("check")
}

fn station_count(catalog: &Path) -> i64 {
    let conn = rusqlite::Connection::open(catalog).expect("open");
    conn.query_row("SELECT count(*) FROM stations", [], |r| r.get(0))
        .expect("count")
}

#[test]
fn edits_and_deletes_reach_other_clients_and_polls_are_cheap() {
    let world = World::new(300);
    let server = world.serve(&[]);
    let (ann, driver) = (world.client("ann"), world.client("driver"));
    for c in [&ann, &driver] {
        let report = json_of(&ok(
            c,
            &["sync", &server.url, "--key", &server.key, "--json"],
        ));
        assert_eq!(report["snapshot_taken"], true);
        assert_eq!(
            station_count(c),
            300,
            "the seed rows were replaced by the server's catalog"
        );
    }

    // Before: at syn-ws-000001's own position, nothing with truck parking is there.
    let s = json_of(&ok(&driver, &["show", "syn-ws-000001", "--json"]));
    let at = format!("{},{}", s["lat"], s["lon"]);
    let nearest = |c: &Path| {
        json_of(&ok(
            c,
            &[
                "near",
                &at,
                "-n",
                "1",
                "--service",
                "truck_parking",
                "--json",
            ],
        ))
    };
    assert_ne!(nearest(&driver)[0]["id"], "syn-ws-000001");

    operator_login(&ann, &server, "ann", "ann-pass-1");
    let edit = json_of(&ok(
        &ann,
        &[
            "operator",
            "edit",
            "syn-ws-000001",
            "--service",
            "+truck_parking",
            "--free-trucks",
            "3",
            "--json",
        ],
    ));
    assert_eq!(edit["outcome"], "saved");
    // The server's own queries see the edit at once (its index and its reader connections).
    let (lat, lon) = (
        s["lat"].as_f64().expect("lat"),
        s["lon"].as_f64().expect("lon"),
    );
    let served: Vec<Value> = http()
        .get(format!(
            "{}/v1/stations/near?lat={lat}&lon={lon}&k=1&service=truck_parking",
            server.url
        ))
        .send()
        .expect("near")
        .json()
        .expect("json");
    assert_eq!(
        (
            served[0]["id"].clone(),
            served[0]["free_truck_spaces"].clone()
        ),
        (json!("syn-ws-000001"), json!(3))
    );

    let report = json_of(&ok(&driver, &["sync", "--json"]));
    assert_eq!(
        (report["snapshot_taken"].clone(), report["upserts"].clone()),
        (json!(false), json!(1))
    );
    let hit = nearest(&driver);
    assert_eq!(hit[0]["id"], "syn-ws-000001");
    assert_eq!(hit[0]["distance_m"], 0.0);
    assert_eq!(hit[0]["free_truck_spaces"], 3);

    // A delete reaches the client as a tombstone.
    let root = token(&server, "root", "root-pass-1");
    let resp = delete_as(&server, &root, "syn-ws-000003");
    assert_eq!(resp.status(), 204);
    let report = json_of(&ok(&driver, &["sync", "--json"]));
    assert_eq!(report["deletes"], 1);
    assert!(fails(&driver, &["show", "syn-ws-000003"]).contains("no station"));

    // An unchanged poll is a 304, to the client and on the wire.
    let report = json_of(&ok(&driver, &["sync", "--json"]));
    assert_eq!(report["up_to_date"], true);
    let head = fact(&driver, "sync.seq").expect("seq");
    let resp = http()
        .get(format!("{}/v1/changes?since={head}", server.url))
        .header(IF_NONE_MATCH, format!("\"{head}\""))
        .send()
        .expect("poll");
    assert_eq!(resp.status(), 304);
    assert_eq!(integrity(&driver), "ok");
}

#[test]
fn a_client_behind_the_tombstone_window_gets_410_and_takes_a_snapshot() {
    let world = World::new(100);
    // Tombstones are forgotten at once: any client that has not seen a delete is "too old".
    let server = world.serve(&["--tombstone-days", "0"]);
    let client = world.client("late");
    ok(&client, &["sync", &server.url, "--key", &server.key]);
    let root = token(&server, "root", "root-pass-1");
    let resp = delete_as(&server, &root, "syn-ws-000005");
    assert_eq!(resp.status(), 204);
    let since = fact(&client, "sync.seq").expect("seq");
    let resp = http()
        .get(format!("{}/v1/changes?since={since}", server.url))
        .send()
        .expect("poll");
    assert_eq!(resp.status(), 410);
    assert_eq!(resp.json::<Value>().expect("json")["code"], "gone");

    let report = json_of(&ok(&client, &["sync", "--json"]));
    assert_eq!(report["snapshot_taken"], true);
    assert!(fails(&client, &["show", "syn-ws-000005"]).contains("no station"));
    assert_eq!(station_count(&client), 99);
}

/// How the proxy treats the server's answers.
#[derive(Clone)]
enum Mode {
    Pass,
    /// Flip one byte in the middle of the snapshot body.
    FlipSnapshot,
    /// Send the response headers and half the body of matching paths, then hang up.
    CutBody(&'static str),
    /// Answer the change feed with 410 and the snapshot with this recorded one.
    Replay(Vec<u8>),
    /// Answer the change feed with 410 (take a snapshot) every time.
    AlwaysGone,
    /// Answer the change feed with this recorded answer.
    ReplayChanges(Vec<u8>),
    /// In answers to paths starting with `.0`, keep the headers (the signed head too) but send
    /// `.1` bytes of zeros as the body, gzipped (about a thousandth of that on the wire).
    GzipBomb(&'static str, usize),
    /// In answers to paths starting with `.0`, replace the text `.1` by `.2` (headers and body).
    Rewrite(&'static str, String, String),
}

/// An HTTP/1.1 proxy for one request per connection, in front of `upstream`. It asks the server
/// for uncompressed answers so it can tamper with bodies, and records the last snapshot and
/// the last change feed answer it passes.
struct Proxy {
    url: String,
    mode: Arc<Mutex<Mode>>,
    recorded: Arc<Recorded>,
}

#[derive(Default)]
struct Recorded {
    snapshot: Mutex<Option<Vec<u8>>>,
    changes: Mutex<Option<Vec<u8>>>,
}

impl Recorded {
    fn take(slot: &Mutex<Option<Vec<u8>>>) -> Vec<u8> {
        slot.lock()
            .expect("recorded")
            .clone()
            .expect("an answer passed")
    }
}

impl Proxy {
    fn start(upstream: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let upstream = upstream.trim_start_matches("http://").to_string();
        let mode = Arc::new(Mutex::new(Mode::Pass));
        let recorded = Arc::new(Recorded::default());
        let (m, r) = (mode.clone(), recorded.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let (m, r, up) = (m.clone(), r.clone(), upstream.clone());
                std::thread::spawn(move || {
                    let _ = serve_one(conn, &up, &m, &r);
                });
            }
        });
        Proxy {
            url,
            mode,
            recorded,
        }
    }

    fn set(&self, mode: Mode) {
        *self.mode.lock().expect("mode") = mode;
    }
}

fn read_head(stream: &mut TcpStream) -> std::io::Result<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte)? == 0 {
            break;
        }
        buf.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    let length = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
        })
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body)?;
    Ok((head, body))
}

fn serve_one(
    mut client: TcpStream,
    upstream: &str,
    mode: &Mutex<Mode>,
    recorded: &Recorded,
) -> std::io::Result<()> {
    let (head, body) = read_head(&mut client)?;
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mode = mode.lock().expect("mode").clone();
    let gone = matches!(mode, Mode::Replay(_) | Mode::AlwaysGone);
    if gone && path.starts_with("/v1/changes") {
        let body = br#"{"code":"gone","message":"take a snapshot"}"#;
        write!(
            client,
            "HTTP/1.1 410 Gone\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        )?;
        return client.write_all(body);
    }
    if let Mode::Replay(old) = &mode
        && (path == "/v1/snapshot" || path.starts_with("/v1/snapshot?"))
    {
        return client.write_all(old);
    }
    if let Mode::ReplayChanges(old) = &mode
        && path.starts_with("/v1/changes")
    {
        return client.write_all(old);
    }
    // Forward with compression off and one request per connection.
    let forwarded: String = head
        .lines()
        .filter(|l| !l.is_empty())
        .filter(|l| {
            let l = l.to_ascii_lowercase();
            !l.starts_with("accept-encoding") && !l.starts_with("connection")
        })
        .map(|l| format!("{l}\r\n"))
        .collect();
    let mut server = TcpStream::connect(upstream)?;
    write!(server, "{forwarded}connection: close\r\n\r\n")?;
    server.write_all(&body)?;
    let mut response = Vec::new();
    server.read_to_end(&mut response)?;
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(response.len(), |i| i + 4);
    // The answer to GET /v1/snapshot: the snapshot, or (asked by reference) the signed head
    // and where the bytes are.
    let snapshot_answer = path == "/v1/snapshot" || path.starts_with("/v1/snapshot?");
    if snapshot_answer {
        *recorded.snapshot.lock().expect("recorded") = Some(response.clone());
    }
    if path.starts_with("/v1/changes") {
        *recorded.changes.lock().expect("recorded") = Some(response.clone());
    }
    match mode {
        // Whichever answer carries the snapshot's bytes.
        Mode::FlipSnapshot if path.starts_with("/v1/snapshot") && response.len() > split => {
            let middle = split + (response.len() - split) / 2;
            response[middle] ^= 0x01;
            client.write_all(&response)
        }
        Mode::GzipBomb(prefix, size) if path.starts_with(prefix) => {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            let zeros = vec![0u8; 1 << 20];
            for _ in 0..size / zeros.len() {
                gz.write_all(&zeros)?;
            }
            let bomb = gz.finish()?;
            let head: String = String::from_utf8_lossy(&response[..split])
                .lines()
                .filter(|l| !l.is_empty() && !l.to_ascii_lowercase().starts_with("content-length:"))
                .map(|l| format!("{l}\r\n"))
                .collect();
            write!(
                client,
                "{head}content-encoding: gzip\r\ncontent-length: {}\r\n\r\n",
                bomb.len()
            )?;
            client.write_all(&bomb)
        }
        Mode::Rewrite(prefix, from, to) if path.starts_with(prefix) => {
            let head = String::from_utf8_lossy(&response[..split]).replace(&from, &to);
            let body = String::from_utf8_lossy(&response[split..]).replace(&from, &to);
            let head: String = head
                .lines()
                .filter(|l| !l.is_empty())
                .map(
                    |l| match l.to_ascii_lowercase().starts_with("content-length:") {
                        true => format!("content-length: {}\r\n", body.len()),
                        false => format!("{l}\r\n"),
                    },
                )
                .collect();
            write!(client, "{head}\r\n{body}")
        }
        Mode::CutBody(prefix) if path.starts_with(prefix) => {
            let half = split + (response.len() - split) / 2;
            client.write_all(&response[..half])?;
            client.flush()?;
            client.shutdown(std::net::Shutdown::Both)
        }
        _ => client.write_all(&response),
    }
}

#[test]
fn tampered_and_replayed_snapshots_are_refused_and_change_nothing() {
    let world = World::new(200);
    let server = world.serve(&[]);
    let proxy = Proxy::start(&server.url);
    let client = world.client("careful");
    let untouched = export(&client);

    // A valid key, but not this server's.
    // A new catalog file fetched from the server; a failed first sync leaves no file behind.
    let fresh = world.dir.path().join("fresh.sqlite");
    let report = json_of(&ok(
        &fresh,
        &["sync", &server.url, "--key", &server.key, "--json"],
    ));
    assert_eq!(report["snapshot_taken"], true);
    assert_eq!(station_count(&fresh), 200);
    let never = world.dir.path().join("never.sqlite");
    assert!(
        fails(&never, &["sync", &proxy.url, "--key", "00"]).contains("not an Ed25519 public key")
    );
    assert!(!never.exists());

    let wrong_key =
        waystation_server::signing::ServerKey::load_or_create(&world.dir.path().join("other.key"))
            .expect("key")
            .public_hex();
    // The server names the key it signs with; no handover signed by the given key leads there.
    let err = fails(&client, &["sync", &server.url, "--key", &wrong_key]);
    assert!(
        err.contains("no handover signed by the pinned key"),
        "{err}"
    );
    assert_eq!(export(&client), untouched);

    proxy.set(Mode::FlipSnapshot);
    let err = fails(&client, &["sync", &proxy.url, "--key", &server.key]);
    assert!(err.contains("does not match its signed digest"), "{err}");
    assert_eq!(export(&client), untouched);

    // The snapshot's bytes are fetched from the server that pointed to them, never elsewhere.
    proxy.set(Mode::Rewrite(
        "/v1/snapshot?",
        "location: /v1/".into(),
        "location: //elsewhere.example/v1/".into(),
    ));
    let err = fails(&client, &["sync", &proxy.url, "--key", &server.key]);
    assert!(err.contains("a snapshot pointer that is not"), "{err}");
    assert_eq!(export(&client), untouched);

    // A good sync records the snapshot at sequence N; the server moves on; the client follows.
    proxy.set(Mode::Pass);
    ok(&client, &["sync", &proxy.url, "--key", &server.key]);
    let old_snapshot = Recorded::take(&proxy.recorded.snapshot);
    let root = token(&server, "root", "root-pass-1");
    let resp = patch_as(&server, &root, "syn-ws-000001", json!({"notice": "newer"}));
    assert_eq!(resp.status(), 200);
    ok(&client, &["sync"]);
    let synced = export(&client);
    let seq = fact(&client, "sync.seq");

    // Replaying the old (validly signed) snapshot is refused: it comes with an older head
    // than the one taken since, and its sequence would go backwards.
    proxy.set(Mode::Replay(old_snapshot));
    let err = fails(&client, &["sync"]);
    assert!(err.contains("refusing a replay"), "{err}");
    assert_eq!(export(&client), synced);
    assert_eq!(fact(&client, "sync.seq"), seq);
}

/// Waits until the clock's second has passed `t` (heads are signed to the second), so the
/// next head the server signs is strictly newer.
fn after_second_of(t: &str) {
    let t = chrono::DateTime::parse_from_rfc3339(t).expect("time");
    while chrono::Utc::now().timestamp() <= t.timestamp() {
        std::thread::yield_now();
    }
}

fn held_head_time(catalog: &Path) -> String {
    let head = fact(catalog, "sync.head").expect("a head is held");
    head.split(' ').nth(1).expect("issued_at").to_string()
}

#[test]
fn tampered_forged_and_replayed_change_pages_are_refused_and_change_nothing() {
    let world = World::new(200);
    let server = world.serve(&[]);
    let proxy = Proxy::start(&server.url);
    let client = world.client("careful");
    ok(&client, &["sync", &proxy.url, "--key", &server.key]);
    let old_feed = Recorded::take(&proxy.recorded.changes);
    let (before, seq) = (export(&client), fact(&client, "sync.seq").expect("seq"));

    // The server moves on: one station gets a notice, under a strictly newer head.
    after_second_of(&held_head_time(&client));
    let root = token(&server, "root", "root-pass-1");
    let resp = patch_as(
        &server,
        &root,
        "syn-ws-000001",
        json!({"notice": "genuine"}),
    );
    assert_eq!(resp.status(), 200);
    let next = (seq.parse::<i64>().expect("seq") + 1).to_string();

    let refused = |mode: Mode, expected: &str| {
        proxy.set(mode);
        let err = fails(&client, &["sync"]);
        assert!(err.contains(expected), "{err}");
        assert_eq!(
            export(&client),
            before,
            "nothing of a refused page is applied"
        );
        assert_eq!(fact(&client, "sync.seq"), Some(seq.clone()));
    };
    // A station changed on the way (same length, so only the signature can tell).
    refused(
        Mode::Rewrite("/v1/changes", "genuine".into(), "scammer".into()),
        "change page's signature does not verify",
    );
    // A last_seq far in the future, to freeze the client: the page's signature covers it.
    refused(
        Mode::Rewrite(
            "/v1/changes",
            format!("\"last_seq\":{next}"),
            "\"last_seq\":9223372036854775807".into(),
        ),
        "change page's signature does not verify",
    );
    // A page with no signed head at all.
    refused(
        Mode::Rewrite("/v1/changes", "x-waystation-head".into(), "x-other".into()),
        "missing its x-waystation-head header",
    );
    proxy.set(Mode::Pass);
    let report = json_of(&ok(&client, &["sync", "--json"]));
    assert_eq!(report["upserts"], 1);
    assert!(export(&client).contains("genuine"));
    let synced = (export(&client), fact(&client, "sync.seq"));

    // The old feed answer (validly signed, from before the change) played back: its head is
    // older than the one now held, so it is refused rather than believed.
    proxy.set(Mode::ReplayChanges(old_feed));
    let err = fails(&client, &["sync"]);
    assert!(err.contains("refusing a replay"), "{err}");
    assert_eq!((export(&client), fact(&client, "sync.seq")), synced);
}

#[test]
fn a_gzip_bomb_stops_at_the_size_cap_and_changes_nothing() {
    let world = World::new(50);
    let server = world.serve(&[]);
    let proxy = Proxy::start(&server.url);
    let client = world.client("bombed");
    let before = export(&client);
    // 600 MB once decompressed: more than a snapshot may be.
    proxy.set(Mode::GzipBomb("/v1/snapshot", 600 << 20));
    let err = fails(&client, &["sync", &proxy.url, "--key", &server.key]);
    assert!(err.contains("snapshot larger than"), "{err}");
    assert_eq!(export(&client), before);
    // A change page has a far smaller cap.
    proxy.set(Mode::Pass);
    ok(&client, &["sync", &proxy.url, "--key", &server.key]);
    let synced = (export(&client), fact(&client, "sync.seq"));
    let root = token(&server, "root", "root-pass-1");
    let resp = patch_as(&server, &root, "syn-ws-000001", json!({"notice": "after"}));
    assert_eq!(resp.status(), 200);
    proxy.set(Mode::GzipBomb("/v1/changes", 100 << 20));
    let err = fails(&client, &["sync"]);
    assert!(err.contains("change page larger than"), "{err}");
    assert_eq!((export(&client), fact(&client, "sync.seq")), synced);
    // A feed that answers "take a snapshot" after every snapshot: the sync stops.
    proxy.set(Mode::AlwaysGone);
    let err = fails(&client, &["sync"]);
    assert!(err.contains("than one sync takes (2)"), "{err}");
    assert_eq!(station_count(&client), 50, "a whole snapshot is kept");
}

#[test]
fn a_cli_import_into_a_served_catalog_reaches_the_server_and_its_clients() {
    let world = World::new(50);
    let server = world.serve(&[]);
    let client = world.client("follower");
    ok(&client, &["sync", &server.url, "--key", &server.key]);
    let station = get_station(&server, "syn-ws-000001");
    let name = station["name"].as_str().expect("name").to_string();

    // Another program writes the served catalog (its file or its database): the same
    // stations, one renamed.
    let csv = world.dir.path().join("renamed.csv");
    let text = world.ok(&["export"]).replacen(&name, "改名后的司机之家", 1);
    std::fs::write(&csv, text).expect("write");
    world.ok(&["import", csv.to_str().expect("path")]);

    // The server notices the other writer (a file server looks every half second; a replica is
    // woken by the database): its head moves on.
    let head = || -> i64 {
        let health: Value = http()
            .get(format!("{}/health", server.url))
            .send()
            .expect("health")
            .json()
            .expect("json");
        health["seq"].as_i64().expect("seq")
    };
    let before = fact(&client, "sync.seq")
        .and_then(|s| s.parse::<i64>().ok())
        .expect("seq");
    assert!(
        eventually(Duration::from_secs(10), || head() > before),
        "the server takes in the import"
    );
    assert_eq!(
        get_station(&server, "syn-ws-000001")["name"],
        "改名后的司机之家"
    );
    let near = http()
        .get(format!("{}/v1/stations/search?q=改名后&k=5", server.url))
        .send()
        .expect("search")
        .json::<Value>()
        .expect("json");
    assert_eq!(near[0]["id"], "syn-ws-000001", "{near}");
    let report = json_of(&ok(&client, &["sync", "--json"]));
    assert_eq!(report["upserts"], 1, "{report}");
    assert!(export(&client).contains("改名后的司机之家"));
}

#[test]
fn account_commands_at_the_terminal_take_effect_on_the_running_server() {
    let world = World::new(20);
    let server = world.serve(&[]);
    let ann = token(&server, "ann", "ann-pass-1");
    let me = |token: &str| {
        http()
            .get(format!("{}/v1/me", server.url))
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .send()
            .expect("me")
            .status()
    };
    assert_eq!(me(&ann), 200);
    let listed = world.ok(&["admin", "users"]);
    assert!(listed.contains("ann\toperator"), "{listed}");
    assert!(listed.contains("syn-ws-000001"), "{listed}");
    let sessions = world.ok(&["admin", "sessions", "ann"]);
    assert_eq!(sessions.lines().count(), 1, "{sessions}");

    world.ok(&["admin", "revoke-sessions", "ann"]);
    assert_eq!(me(&ann), 401, "a revoked token stops working at once");
    world.ok(&["admin", "unassign", "ann", "syn-ws-000001"]);
    let err = world.fails(&["admin", "unassign", "ann", "syn-ws-000001"]);
    assert!(err.contains("does not run station"), "{err}");
    let out = world.run(&["admin", "set-password", "ann"], "ann-new-pass-2\n");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ann = token(&server, "ann", "ann-new-pass-2");
    world.ok(&["admin", "remove-user", "ann"]);
    assert_eq!(me(&ann), 401);
    // The audit log, as an admin reads it over HTTP (newest first).
    let root = token(&server, "root", "root-pass-1");
    let log: Vec<Value> = http()
        .get(format!("{}/v1/audit?limit=1000", server.url))
        .header(AUTHORIZATION, format!("Bearer {root}"))
        .send()
        .expect("audit")
        .json()
        .expect("json");
    let mut audit: Vec<&str> = log
        .iter()
        .filter(|e| e["actor"] == "admin (command line)")
        .filter_map(|e| e["action"].as_str())
        .collect();
    audit.reverse();
    assert_eq!(
        audit,
        [
            "user.add",
            "user.add",
            "assign",
            "sessions.revoke",
            "unassign",
            "user.password",
            "user.remove"
        ]
    );
}

#[test]
fn clients_follow_a_re_keyed_server_through_its_signed_handover_only() {
    let world = World::new(30);
    let server = world.serve(&[]);
    let port = server.url.rsplit(':').next().expect("port").to_string();
    let client = world.client("rekeyed");
    ok(&client, &["sync", &server.url, "--key", &server.key]);
    let old_key = server.key.clone();
    drop(server);

    let rotated = world.ok(&["admin", "rotate-key"]);
    assert!(rotated.contains(&old_key), "{rotated}");
    let server = world.serve_at(&format!("127.0.0.1:{port}"), &[]);
    assert_ne!(server.key, old_key, "the server signs with the new key");
    let root = token(&server, "root", "root-pass-1");
    let resp = patch_as(
        &server,
        &root,
        "syn-ws-000001",
        json!({"notice": "after re-keying"}),
    );
    assert_eq!(resp.status(), 200);

    // An attacker on the path announces their own key: no handover leads there.
    let proxy = Proxy::start(&server.url);
    proxy.set(Mode::Rewrite(
        "/v1/",
        format!("x-waystation-key: {}", server.key),
        format!("x-waystation-key: {}", "aa".repeat(32)),
    ));
    let err = fails(&client, &["sync", &proxy.url, "--key", &old_key]);
    assert!(
        err.contains("no handover signed by the pinned key"),
        "{err}"
    );
    proxy.set(Mode::Rewrite("/v1/", server.key.clone(), "aa".repeat(32)));
    let err = fails(&client, &["sync", &proxy.url, "--key", &old_key]);
    // (The proxy rewrote the handover too, so its signature fails; with the handover left
    // alone, no chain would lead to the attacker's key: both are refused.)
    assert!(
        err.contains("key handover's signature does not verify")
            || err.contains("no handover signed by the pinned key"),
        "{err}"
    );
    assert_eq!(fact(&client, "sync.key").as_deref(), Some(old_key.as_str()));

    // The real server: the client follows the handover and pins the new key.
    let report = json_of(&ok(&client, &["sync", "--json"]));
    assert_eq!(report["new_key"], server.key.as_str(), "{report}");
    assert_eq!(report["upserts"], 1, "{report}");
    assert_eq!(
        fact(&client, "sync.key").as_deref(),
        Some(server.key.as_str())
    );
    assert!(export(&client).contains("after re-keying"));

    // Given the key it was set up with again (an app's settings, a script), the client goes on
    // from the key it followed: the next change arrives alone, no snapshot from scratch.
    let resp = patch_as(
        &server,
        &root,
        "syn-ws-000002",
        json!({"notice": "later still"}),
    );
    assert_eq!(resp.status(), 200);
    let report = json_of(&ok(
        &client,
        &["sync", &server.url, "--key", &old_key, "--json"],
    ));
    assert_eq!(
        (&report["snapshot_taken"], &report["upserts"]),
        (&json!(false), &json!(1)),
        "{report}"
    );
    assert!(export(&client).contains("later still"));
}

#[test]
fn servers_given_one_key_file_sign_with_it_and_a_missing_one_stops_serve() {
    let world = World::new(10);
    let key_file = world.dir.path().join("replica.key");
    let key_path = key_file.to_str().expect("path");
    let public = world.ok(&["keygen", key_path]);
    let public = public.trim();
    assert_eq!(public.len(), 64, "{public}");
    // Never overwritten: a second keygen would leave replicas signing with different keys.
    let err = world.fails(&["keygen", key_path]);
    assert!(err.contains("never overwritten"), "{err}");

    let server = world.serve(&["--signing-key", key_path]);
    assert_eq!(server.key, public, "the server signs with the given key");
    let client = world.client("keyed");
    let report = json_of(&ok(
        &client,
        &["sync", &server.url, "--key", public, "--json"],
    ));
    assert_eq!(report["snapshot_taken"], true, "{report}");

    // Re-keying that file (not a key beside the catalog): replicas restarted with it sign with
    // the new key, and a client pinned to the old one follows the signed handover.
    drop(server);
    let rotated = world.ok(&["admin", "rotate-key", "--signing-key", key_path]);
    assert!(rotated.contains(public), "{rotated}");
    if let Served::File(file) = world.served() {
        assert!(
            !file.with_extension("signing-key").exists(),
            "no key is made beside the catalog"
        );
    }
    let server = world.serve(&["--signing-key", key_path]);
    assert_ne!(server.key, public);
    let report = json_of(&ok(
        &client,
        &["sync", &server.url, "--key", public, "--json"],
    ));
    assert_eq!(report["new_key"], server.key.as_str(), "{report}");

    let missing = world.dir.path().join("no-such.key");
    let missing = missing.to_str().expect("path");
    let err = world.fails(&["serve", "--addr", "127.0.0.1:0", "--signing-key", missing]);
    assert!(err.contains("no-such.key"), "{err}");
    assert!(
        !Path::new(missing).exists(),
        "serve never makes the key it was given"
    );
}

#[test]
fn plain_http_is_refused_for_any_server_but_this_device() {
    let world = World::new(10);
    let client = world.client("plain");
    let key = "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8";
    for url in ["http://catalog.example.com", "http://192.168.1.5:8080"] {
        let err = fails(&client, &["sync", url, "--key", key]);
        assert!(
            err.contains("must be reached over https://"),
            "{url}: {err}"
        );
        let err = fails(&client, &["operator", "login", url, "--user", "ann"]);
        assert!(
            err.contains("must be reached over https://"),
            "{url}: {err}"
        );
    }
}

#[test]
fn cut_connections_and_killed_clients_leave_a_whole_sequence() {
    let world = World::new(3000);
    let server = world.serve(&[]);
    let proxy = Proxy::start(&server.url);

    // A snapshot cut half-way.
    let client = world.client("cut");
    let untouched = export(&client);
    proxy.set(Mode::CutBody("/v1/snapshot"));
    let err = fails(&client, &["sync", &proxy.url, "--key", &server.key]);
    assert!(
        err.contains("cannot reach") && err.contains("unchanged"),
        "{err}"
    );
    assert_eq!(export(&client), untouched);
    assert_eq!(integrity(&client), "ok");

    // A changes page cut half-way.
    proxy.set(Mode::Pass);
    ok(&client, &["sync", &proxy.url, "--key", &server.key]);
    let before = (fact(&client, "sync.seq"), export(&client));
    let root = token(&server, "root", "root-pass-1");
    for i in 1..=20 {
        let id = format!("syn-ws-{i:06}");
        let resp = patch_as(&server, &root, &id, json!({"notice": format!("通知 {i}")}));
        assert_eq!(resp.status(), 200);
    }
    proxy.set(Mode::CutBody("/v1/changes"));
    let err = fails(&client, &["sync"]);
    assert!(err.contains("cannot reach"), "{err}");
    assert_eq!((fact(&client, "sync.seq"), export(&client)), before);
    proxy.set(Mode::Pass);
    let report = json_of(&ok(&client, &["sync", "--json"]));
    assert_eq!(
        report["upserts"], 20,
        "the next sync resumes from the last whole sequence"
    );

    // Clients killed at known points of taking a 3,000-station snapshot: the client stops
    // there (WAYSTATION_PAUSE_AT, see crates/cli/src/bars.rs), says so, and is killed.
    let server_count = 3000;
    let points = [
        ("snapshot:1", false),    // downloaded, nothing written yet
        ("applying:1", false),    // the first row written inside the transaction
        ("applying:1500", false), // half the rows written
        ("applying:3000", false), // every row written, not yet committed
        ("applying:end", true),   // committed
    ];
    for (point, applied) in points {
        let victim = world.client(&format!("killed-{}", point.replace(':', "-")));
        let local_count = station_count(&victim);
        let mut child = Command::new(BIN)
            .arg("--catalog")
            .arg(&victim)
            .args(["sync", &server.url, "--key", &server.key])
            .env("WAYSTATION_PAUSE_AT", point)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn sync");
        let stderr = child.stderr.take().expect("stderr");
        let paused = std::io::BufRead::lines(std::io::BufReader::new(stderr))
            .map_while(Result::ok)
            .any(|line| line == format!("paused at {point}"));
        assert!(paused, "the sync never reached {point}");
        child.kill().expect("kill");
        let _ = child.wait();
        assert_eq!(integrity(&victim), "ok", "killed at {point}");
        let state = (fact(&victim, "sync.seq").is_some(), station_count(&victim));
        let expected = if applied {
            (true, server_count)
        } else {
            (false, local_count)
        };
        assert_eq!(state, expected, "killed at {point}: (synced, stations)");
    }
}

#[test]
fn offline_edits_wait_in_the_outbox_and_conflicts_show_both_versions() {
    let world = World::new(50);
    let server = world.serve(&[]);
    let port = server.url.rsplit(':').next().expect("port").to_string();
    let ann = world.client("ann-offline");
    ok(&ann, &["sync", &server.url, "--key", &server.key]);
    operator_login(&ann, &server, "ann", "ann-pass-1");
    drop(server);

    let queued = json_of(&ok(
        &ann,
        &[
            "operator",
            "edit",
            "syn-ws-000001",
            "--notice",
            "离线时写的",
            "--json",
        ],
    ));
    assert_eq!(queued["outcome"], "queued");
    assert!(fails(&ann, &["sync"]).contains("cannot reach"));

    let server = world.serve_at(&format!("127.0.0.1:{port}"), &[]);
    let report = json_of(&ok(&ann, &["sync", "--json"]));
    assert_eq!(report["pushed"], 1);
    let on_server: Value = get_station(&server, "syn-ws-000001");
    assert_eq!(on_server["notice"], "离线时写的");
    drop(server);

    // Offline again; meanwhile the admin changes the same station on the server.
    let queued = json_of(&ok(
        &ann,
        &[
            "operator",
            "edit",
            "syn-ws-000001",
            "--status",
            "closed",
            "--json",
        ],
    ));
    assert_eq!(queued["outcome"], "queued");
    let server = world.serve_at(&format!("127.0.0.1:{port}"), &[]);
    let root = token(&server, "root", "root-pass-1");
    let resp = patch_as(
        &server,
        &root,
        "syn-ws-000001",
        json!({"notice": "管理员改的"}),
    );
    assert_eq!(resp.status(), 200);
    let report = json_of(&ok(&ann, &["sync", "--json"]));
    let conflict = &report["conflicts"][0];
    assert_eq!(conflict["station_id"], "syn-ws-000001");
    assert_eq!(conflict["mine"]["status"], "closed");
    assert_eq!(conflict["theirs"]["notice"], "管理员改的");
    let after: Value = get_station(&server, "syn-ws-000001");
    assert_eq!(
        after["status"], "open",
        "the conflicting edit did not overwrite the server's"
    );
    let text = ok(&ann, &["sync"]);
    assert!(
        !text.contains("冲突"),
        "a reported conflict is not reported again: {text}"
    );
}

/// The outbox rows of a client catalog: (station, refusal reason if refused).
fn outbox(catalog: &Path) -> Vec<(String, Option<String>)> {
    rusqlite::Connection::open(catalog)
        .expect("open")
        .prepare("SELECT station_id, failed FROM outbox ORDER BY id")
        .expect("query")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("rows")
        .collect::<Result<Vec<_>, _>>()
        .expect("outbox")
}

#[test]
fn a_refused_edit_is_kept_with_its_reason_and_an_expired_login_blocks_nothing() {
    let world = World::new(50);
    world.ok(&["admin", "assign", "ann", "syn-ws-000002"]);
    let server = world.serve(&[]);
    let port = server.url.rsplit(':').next().expect("port").to_string();
    let ann = world.client("ann-refused");
    ok(&ann, &["sync", &server.url, "--key", &server.key]);
    operator_login(&ann, &server, "ann", "ann-pass-1");
    drop(server);

    // Two edits made offline; meanwhile the first station is taken away from ann.
    for (id, notice) in [("syn-ws-000001", "first"), ("syn-ws-000002", "second")] {
        let queued = json_of(&ok(
            &ann,
            &["operator", "edit", id, "--notice", notice, "--json"],
        ));
        assert_eq!(queued["outcome"], "queued");
    }
    world.ok(&["admin", "unassign", "ann", "syn-ws-000001"]);
    let server = world.serve_at(&format!("127.0.0.1:{port}"), &[]);
    let root = token(&server, "root", "root-pass-1");
    let resp = patch_as(&server, &root, "syn-ws-000003", json!({"notice": "news"}));
    assert_eq!(resp.status(), 200);

    // The sync succeeds: the news is pulled, the second edit sent, the first kept as refused.
    let report = json_of(&ok(&ann, &["sync", "--json"]));
    assert_eq!(report["pushed"], 1, "{report}");
    assert_eq!(
        report["failed_edits"][0]["station_id"], "syn-ws-000001",
        "{report}"
    );
    assert!(export(&ann).contains("news"));
    assert_eq!(get_station(&server, "syn-ws-000002")["notice"], "second");
    assert_ne!(get_station(&server, "syn-ws-000001")["notice"], "first");
    let rows = outbox(&ann);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(
        rows[0].1.as_deref().is_some_and(|r| r.contains("403")),
        "{rows:?}"
    );
    let again = json_of(&ok(&ann, &["sync", "--json"]));
    assert_eq!(
        again["failed_edits"],
        json!([]),
        "a refused edit is not sent again"
    );
    let pending = ok(&ann, &["operator", "pending"]);
    assert!(
        pending.contains("syn-ws-000001\tnotice") && pending.contains("refused"),
        "{pending}"
    );
    ok(&ann, &["operator", "discard-refused"]);
    assert_eq!(outbox(&ann), []);

    // An expired (here: revoked) login: the sync still pulls, and the edit waits for a login.
    drop(server);
    let queued = json_of(&ok(
        &ann,
        &[
            "operator",
            "edit",
            "syn-ws-000002",
            "--notice",
            "third",
            "--json",
        ],
    ));
    assert_eq!(queued["outcome"], "queued");
    world.ok(&["admin", "revoke-sessions", "ann"]);
    let server = world.serve_at(&format!("127.0.0.1:{port}"), &[]);
    let text = ok(&ann, &["sync"]);
    assert!(text.contains("operator login"), "{text}");
    assert_eq!(
        outbox(&ann)
            .iter()
            .filter(|(_, failed)| failed.is_none())
            .count(),
        1
    );
    assert_eq!(get_station(&server, "syn-ws-000002")["notice"], "second");
}

#[test]
fn problem_reports_wait_for_the_next_sync_and_reach_the_admins() {
    let world = World::new(100);
    let server = world.serve(&[]);
    let driver = world.client("driver");
    // Before any sync (no server known yet) a report is kept locally.
    let said = ok(
        &driver,
        &["report", "syn-ws-000003", "closed", "--note", "门锁着 <b>"],
    );
    assert!(said.contains("下次同步"), "{said}");
    let missing = fails(&driver, &["report", "syn-ws-000003", "service_missing"]);
    assert!(missing.contains("`service`"), "{missing}");
    let unknown = fails(&driver, &["report", "nope", "closed"]);
    assert!(unknown.contains("no station with id `nope`"), "{unknown}");
    let bad = fails(&driver, &["report", "syn-ws-000003", "smelly"]);
    assert!(bad.contains("accepted: closed, wrong_place"), "{bad}");

    let root = token(&server, "root", "root-pass-1");
    let list = |who: Option<&str>| {
        let mut req = http().get(format!("{}/v1/reports", server.url));
        if let Some(t) = who {
            req = req.header(AUTHORIZATION, format!("Bearer {t}"));
        }
        req.send().expect("reports")
    };
    assert_eq!(list(Some(&root)).json::<Value>().expect("json"), json!([]));

    let synced = json_of(&ok(
        &driver,
        &["sync", &server.url, "--key", &server.key, "--json"],
    ));
    assert_eq!(synced["reports_sent"], 1);
    let got: Value = list(Some(&root)).json().expect("json");
    assert_eq!(got.as_array().map(Vec::len), Some(1), "{got}");
    assert_eq!(got[0]["station_id"], "syn-ws-000003");
    assert_eq!(got[0]["problem"], "closed");
    assert_eq!(got[0]["note"], "门锁着 <b>");
    // Sent once: the next sync sends nothing.
    let again = json_of(&ok(&driver, &["sync", "--json"]));
    assert_eq!(again["reports_sent"], 0);

    // Only admins read reports.
    assert_eq!(list(None).status(), 401);
    let ann = token(&server, "ann", "ann-pass-1");
    assert_eq!(list(Some(&ann)).status(), 403);

    // The endpoint checks what a client controls.
    let post = |body: Value| {
        http()
            .post(format!("{}/v1/reports", server.url))
            .json(&body)
            .send()
            .expect("post")
            .status()
            .as_u16()
    };
    assert_eq!(
        post(
            json!({"station_id": "syn-ws-000004", "problem": "service_missing", "service": "shower"})
        ),
        202
    );
    assert_eq!(
        post(json!({"station_id": "syn-ws-000004", "problem": "service_missing"})),
        422
    );
    assert_eq!(
        post(json!({"station_id": "nope", "problem": "closed"})),
        404
    );
    assert_eq!(
        post(json!({"station_id": "syn-ws-000004", "problem": "closed", "extra": 1})),
        422
    );
    assert_eq!(
        post(json!({"station_id": "syn-ws-000004", "problem": "closed", "note": "长".repeat(501)})),
        422
    );
    let only: Value = http()
        .get(format!("{}/v1/reports?station=syn-ws-000004", server.url))
        .header(AUTHORIZATION, format!("Bearer {root}"))
        .send()
        .expect("reports")
        .json()
        .expect("json");
    assert_eq!(only.as_array().map(Vec::len), Some(1));
    assert_eq!(only[0]["service"], "shower");

    // Reports are anonymous, so one address may send only so many (30 per 15 minutes).
    let statuses: Vec<u16> = (0..40)
        .map(|_| post(json!({"station_id": "syn-ws-000005", "problem": "closed"})))
        .collect();
    let first_refused = statuses.iter().position(|s| *s == 429).expect("a limit");
    assert!(statuses[..first_refused].iter().all(|s| *s == 202));
    assert!(statuses[first_refused..].iter().all(|s| *s == 429));
    assert!(first_refused < 30, "{statuses:?}");
}

/// The server's route answer is the CLI's: the same stations in the same order, over HTTP from a
/// running server and from the catalog file it serves. (The endpoint's own checks are in-process
/// in crates/server/tests/http.rs.)
#[test]
fn the_cli_and_the_server_agree_along_a_route() {
    let world = World::new(400);
    let server = world.serve(&[]);
    // A route through syn-ws-000001, east-west.
    let station = get_station(&server, "syn-ws-000001");
    let (lat, lon) = (
        station["lat"].as_f64().expect("lat"),
        station["lon"].as_f64().expect("lon"),
    );
    let route =
        json!({"type": "LineString", "coordinates": [[lon - 0.3, lat], [lon + 0.3, lat + 0.05]]});
    let file = world.dir.path().join("route.geojson");
    std::fs::write(&file, route.to_string()).expect("write route");
    let hits: Value = http()
        .post(format!("{}/v1/stations/along?within=20", server.url))
        .body(route.to_string())
        .send()
        .expect("along")
        .json()
        .expect("json");
    let http_ids: Vec<&str> = hits
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|h| h["id"].as_str())
        .collect();
    assert!(http_ids.contains(&"syn-ws-000001"), "{http_ids:?}");
    // The same route on a phone's copy, answered by the CLI from its own index.
    let client = world.client("router");
    ok(&client, &["sync", &server.url, "--key", &server.key]);
    let cli = json_of(&ok(
        &client,
        &[
            "along",
            file.to_str().expect("path"),
            "--within",
            "20km",
            "--json",
        ],
    ));
    let cli_ids: Vec<&str> = cli
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|h| h["id"].as_str())
        .collect();
    assert_eq!(http_ids, cli_ids);
}

#[test]
fn a_proposal_made_offline_arrives_with_the_next_sync_and_once_approved_reaches_other_clients() {
    let world = World::new(50);
    let server = world.serve(&[]);
    let proposer = world.client("proposer");
    let other = world.client("other");
    ok(&other, &["sync", &server.url, "--key", &server.key]);

    // No server known yet: checked here, by the catalog's own rules, and queued.
    let missing_name = fails(
        &proposer,
        &["propose", "--kind", "driver_home", "--at", "36.9,100.1"],
    );
    assert!(missing_name.contains("`name`"), "{missing_name}");
    ok(
        &proposer,
        &[
            "propose",
            "--kind",
            "caring_merchant",
            "--name",
            "青海湖热水小店",
            "--at",
            "36.95,100.2",
            "--service",
            "drinking_water,toilet",
            "--hours",
            "Mo-Su 07:00-23:00",
            "--contact",
            "13900000000",
        ],
    );
    let mine = json_of(&ok(&proposer, &["proposals", "--json"]));
    assert_eq!(mine["waiting"].as_array().map(Vec::len), Some(1), "{mine}");

    // The next sync sends it; the server keeps it pending for its admins.
    let report = json_of(&ok(
        &proposer,
        &["sync", &server.url, "--key", &server.key, "--json"],
    ));
    assert_eq!(report["proposals_sent"], 1, "{report}");
    let listed = json_of(&world.ok(&["admin", "proposals", "--json"]));
    let id = listed[0]["id"].as_i64().expect("id");
    assert_eq!(listed[0]["contact"], "13900000000");
    let mine = json_of(&ok(&proposer, &["proposals", "--json"]));
    assert_eq!(mine["sent"][0]["status"]["state"], "pending", "{mine}");

    // Approved at the server's terminal, making the proposer the station's operator.
    let out = world.run(
        &["admin", "approve", &id.to_string(), "--operator", "qinghai"],
        "qinghai-pass-1\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let station_id = format!("prop-{id:06}");

    // The running server takes in the write made beside it; the other client's next sync
    // brings the station, and it is the nearest there.
    let mut nearest = Value::Null;
    for _ in 0..200 {
        ok(&other, &["sync"]);
        nearest = json_of(&ok(&other, &["near", "36.95,100.2", "-n", "1", "--json"]));
        if nearest[0]["id"] == station_id.as_str() {
            break;
        }
    }
    assert_eq!(nearest[0]["id"], station_id.as_str(), "{nearest}");
    assert_eq!(nearest[0]["source"], "proposal");

    // The proposer sees how it went; the new operator can log in and runs it.
    let mine = json_of(&ok(&proposer, &["proposals", "--json"]));
    assert_eq!(mine["sent"][0]["status"]["state"], "approved", "{mine}");
    assert_eq!(mine["sent"][0]["status"]["station_id"], station_id.as_str());
    let operator = token(&server, "qinghai", "qinghai-pass-1");
    let me: Value = http()
        .get(format!("{}/v1/me", server.url))
        .header(AUTHORIZATION, format!("Bearer {operator}"))
        .send()
        .expect("me")
        .json()
        .expect("json");
    assert_eq!(me["stations"], json!([station_id]));

    // A proposer whose login has expired still proposes (anyone may): sent without it.
    operator_login(&proposer, &server, "ann", "ann-pass-1");
    world.ok(&["admin", "revoke-sessions", "ann"]);
    ok(&proposer, &["sync"]);
    ok(
        &proposer,
        &[
            "propose",
            "--station",
            &station_id,
            "--phone",
            "0974-1234567",
        ],
    );
    let report = json_of(&ok(&proposer, &["sync", "--json"]));
    assert_eq!(report["proposals_sent"], 1, "{report}");
    assert_eq!(report["refused_proposals"], json!([]), "{report}");

    // Another driver at the new station confirms its toilet and says it is not open: queued,
    // then delivered by the next sync, and tallied on the server.
    ok(&other, &["confirm", &station_id, "toilet"]);
    ok(&other, &["confirm", &station_id, "open", "--no"]);
    let unknown = fails(&other, &["confirm", &station_id, "jacuzzi"]);
    assert!(unknown.contains("jacuzzi"), "{unknown}");
    let report = json_of(&ok(&other, &["sync", "--json"]));
    assert_eq!(report["confirmations_sent"], 2, "{report}");
    let facts: Value = http()
        .get(format!("{}/v1/stations/{station_id}/facts", server.url))
        .send()
        .expect("facts")
        .json()
        .expect("json");
    let count = |fact: &str, key: &str| {
        facts
            .as_array()
            .and_then(|a| a.iter().find(|f| f["fact"] == fact))
            .map(|f| f[key].clone())
    };
    assert_eq!(count("toilet", "confirmed"), Some(json!(1)), "{facts}");
    assert_eq!(count("open", "denied"), Some(json!(1)), "{facts}");

    // The proposer's next sync brings the tallies alone (the station did not change), and its
    // offline detail shows them.
    let mut report = Value::Null;
    for _ in 0..200 {
        report = json_of(&ok(&proposer, &["sync", "--json"]));
        if report["fact_updates"].as_u64().unwrap_or(0) > 0 {
            break;
        }
    }
    assert_eq!(
        (&report["fact_updates"], &report["upserts"]),
        (&json!(1), &json!(0)),
        "{report}"
    );
    let detail = json_of(&ok(&proposer, &["show", &station_id, "--json"]));
    let local: Vec<(String, u64, u64)> = detail["facts"]
        .as_array()
        .expect("facts")
        .iter()
        .filter_map(|f| {
            Some((
                f["fact"].as_str()?.to_string(),
                f["confirmed"].as_u64()?,
                f["denied"].as_u64()?,
            ))
        })
        .collect();
    assert!(local.contains(&("toilet".to_string(), 1, 0)), "{detail}");
    assert!(local.contains(&("open".to_string(), 0, 1)), "{detail}");
}
