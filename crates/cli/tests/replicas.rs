//! Replicas end to end: real `waystation serve --database` processes on one PostgreSQL
//! database (each test its own, on the cluster `scripts/postgres.sh` starts), real clients
//! syncing with the real `waystation sync`, and — where the database must go away — a TCP proxy
//! in this file between the replicas and PostgreSQL that cuts every connection and refuses new
//! ones, or a PostgreSQL server of the test's own that it stops and starts again (the shared
//! test cluster cannot be stopped under the other tests).

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::header::{AUTHORIZATION, IF_MATCH, RETRY_AFTER};
use serde_json::{Value, json};
use waystation_postgres::testing::Cluster;

mod common;
use common::*;

/// A replica of `deployment`'s catalog that reaches its database through `url` (a proxy's).
fn replica_via(deployment: &World, url: &str) -> Server {
    let mut command = deployment.command();
    command
        .env("WAYSTATION_DATABASE_URL", url)
        .args(["serve", "--addr", "127.0.0.1:0"]);
    Server::run(command)
}

fn database_url(deployment: &World) -> &str {
    match deployment.served() {
        Served::Database(url) => url,
        Served::File(file) => panic!("a world on a database, not on {}", file.display()),
    }
}

fn s(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

fn get(server: &Server, path: &str) -> reqwest::blocking::Response {
    http()
        .get(format!("{}{path}", server.url))
        .send()
        .expect("get")
}

fn get_json(server: &Server, path: &str) -> Value {
    let resp = get(server, path);
    assert_eq!(resp.status(), 200, "GET {path}");
    resp.json().expect("json")
}

/// PATCHes `id` as `token` through the server at `base`, based on the version `if_match`
/// names (an ETag).
fn patch_from(
    base: &str,
    token: &str,
    id: &str,
    if_match: &str,
    body: &Value,
) -> reqwest::Result<reqwest::blocking::Response> {
    http()
        .patch(format!("{base}/v1/stations/{id}"))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .header(IF_MATCH, if_match)
        .json(body)
        .send()
}

/// PATCHes `id` as `token` through the server at `base`, from the version it holds now; the
/// status (0: no answer).
fn patch(base: &str, token: &str, id: &str, body: &Value) -> u16 {
    let Ok(current) = http().get(format!("{base}/v1/stations/{id}")).send() else {
        return 0;
    };
    let version = current.headers()["etag"]
        .to_str()
        .expect("etag")
        .to_string();
    patch_from(base, token, id, &version, body).map_or(0, |r| r.status().as_u16())
}

/// The nearest station to where `id` stands, as `server` answers.
fn nearest_to(server: &Server, id: &str) -> Value {
    let station = get_json(server, &format!("/v1/stations/{id}"));
    let (lat, lon) = (&station["lat"], &station["lon"]);
    get_json(
        server,
        &format!("/v1/stations/near?lat={lat}&lon={lon}&k=1"),
    )[0]
    .clone()
}

fn head(server: &Server) -> i64 {
    get_json(server, "/health")["seq"].as_i64().expect("seq")
}

#[test]
fn an_edit_through_one_replica_is_answered_by_the_other_and_reaches_its_clients() {
    let deployment = World::on_database(60);
    let (a, b) = (deployment.serve(&[]), deployment.serve(&[]));
    assert_eq!(a.key, b.key, "every replica signs with the shared key");
    // One given another key file does not start: clients would see two keys.
    let other = deployment.dir.path().join("other.signing-key");
    deployment.ok(&["keygen", s(&other)]);
    let said = deployment.fails(&["serve", "--addr", "127.0.0.1:0", "--signing-key", s(&other)]);
    assert!(
        said.contains("every replica must be given the same key file"),
        "{said}"
    );

    // A session started on A holds on B: sessions live in the database.
    let ann = token(&a, "ann", "ann-pass-1");
    let me = http()
        .get(format!("{}/v1/me", b.url))
        .header(AUTHORIZATION, format!("Bearer {ann}"))
        .send()
        .expect("me");
    assert_eq!(me.status(), 200);

    let client = deployment.client("driver");
    ok(&client, &["sync", &b.url, "--key", &b.key]);
    let before = head(&b);

    let notice = json!({"notice": "副本之间：热水已修好"});
    assert_eq!(patch(&a.url, &ann, "syn-ws-000001", &notice), 200);
    let written = Instant::now();
    // B answers from its own copy: the edit is there once B has followed the feed.
    assert!(
        eventually(Duration::from_secs(10), || {
            nearest_to(&b, "syn-ws-000001")["notice"] == "副本之间：热水已修好"
        }),
        "B's nearest answer has A's edit"
    );
    eprintln!("A's edit in B's answers after {:?}", written.elapsed());
    let root = token(&a, "root", "root-pass-1");
    let renamed = json!({"name": "副本之间的司机之家"});
    assert_eq!(patch(&a.url, &root, "syn-ws-000001", &renamed), 200);
    let page = get_json(&b, &format!("/v1/changes?since={before}"));
    let changed: Vec<&str> = page["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter_map(|c| c["station_id"].as_str())
        .collect();
    assert!(changed.contains(&"syn-ws-000001"), "{page}");
    // Text search runs on B's copy too.
    assert!(
        eventually(Duration::from_secs(10), || {
            get_json(&b, "/v1/stations/search?q=副本之间&k=3")[0]["id"] == "syn-ws-000001"
        }),
        "B's text search finds A's rename"
    );

    // A client syncing through B gets it, verified against the shared key.
    let report = json_of(&ok(&client, &["sync", "--json"]));
    assert!(report["upserts"].as_i64() >= Some(1), "{report}");
    assert!(ok(&client, &["export"]).contains("副本之间的司机之家"));
    // Nobody edits behind the version they read: B, shown A's old version, refuses.
    let old_notice = json!({"notice": "旧版本上的修改"});
    let stale = patch_from(&b.url, &ann, "syn-ws-000001", "\"1\"", &old_notice).expect("patch");
    assert_eq!(stale.status(), 412);

    // A snapshot is built once for both (the one made for the client's first sync, still
    // young): both point at it, and its immutable URL gives the same bytes from either.
    let snapshot = |server: &Server, path: &str| {
        let resp = get(server, path);
        assert_eq!(resp.status(), 200, "{path}");
        let signature = resp.headers()["x-waystation-signature"]
            .to_str()
            .expect("signature")
            .to_string();
        let url = resp
            .headers()
            .get("content-location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        (signature, url, resp.bytes().expect("body"))
    };
    let (signed_by_a, url, body) = snapshot(&a, "/v1/snapshot?facts=true");
    let url = url.expect("an immutable URL");
    let (signed_by_b, url_b, _) = snapshot(&b, "/v1/snapshot?facts=true");
    assert_eq!(
        url_b.as_ref(),
        Some(&url),
        "both point at the newest one either made"
    );
    assert_eq!(signed_by_b, signed_by_a);
    let (signed, _, from_b) = snapshot(&b, &url);
    assert_eq!(
        signed, signed_by_a,
        "one snapshot at that position, whoever serves it"
    );
    assert_eq!(from_b, body);
}

#[test]
fn edits_through_two_replicas_in_turn_each_build_on_the_last() {
    let deployment = World::on_database(20);
    let (a, b) = (deployment.serve(&[]), deployment.serve(&[]));
    let root = token(&a, "root", "root-pass-1");
    let send = |through: &Server, version: i64, body: Value| {
        let if_match = format!("\"{version}\"");
        let resp = patch_from(&through.url, &root, "syn-ws-000003", &if_match, &body);
        let resp = resp.expect("patch");
        let etag = resp.headers()["etag"]
            .to_str()
            .expect("etag")
            .trim_matches('"')
            .to_string();
        (
            resp.status().as_u16(),
            etag.parse::<i64>().expect("a version"),
        )
    };
    let mut version: i64 = get_json(&a, "/v1/stations/syn-ws-000003")["version"]
        .as_i64()
        .expect("version");
    // A's answer names the new version; B is asked at once, maybe before it has followed A.
    for round in 0..20 {
        let (status, after_a) = send(&a, version, json!({"notice": format!("通知 {round}")}));
        assert_eq!(status, 200, "round {round} through A");
        let (status, after_b) = send(&b, after_a, json!({"name": format!("站名 {round}")}));
        assert_eq!(status, 200, "round {round} through B, from A's version");
        version = after_b;
        let current = || get_json(&a, "/v1/stations/syn-ws-000003");
        assert!(eventually(Duration::from_secs(10), || current()["version"] == version));
        let stored = current();
        assert_eq!(
            (&stored["notice"], &stored["name"]),
            (
                &json!(format!("通知 {round}")),
                &json!(format!("站名 {round}"))
            ),
            "B's edit kept A's"
        );
    }
    let exported = deployment.ok(&["export"]);
    assert!(
        exported.contains("通知 19") && exported.contains("站名 19"),
        "both in the database"
    );
}

#[test]
fn a_replica_forgets_tombstones_as_the_database_does() {
    let deployment = World::on_database(20);
    let replica = deployment.serve(&["--tombstone-days", "0"]);
    let root = token(&replica, "root", "root-pass-1");
    let deleted = http()
        .delete(format!("{}/v1/stations/syn-ws-000004", replica.url))
        .header(AUTHORIZATION, format!("Bearer {root}"))
        .send()
        .expect("delete");
    assert_eq!(deleted.status(), 204);
    // A window of 0 days: the tombstone is forgotten at once, in the database and in the copy,
    // so a client from before it is told to take a snapshot rather than read on.
    assert_eq!(get(&replica, "/v1/changes?since=0").status(), 410);
    let head = head(&replica);
    assert_eq!(
        get(&replica, &format!("/v1/changes?since={head}")).status(),
        200
    );
}

#[test]
fn a_replica_killed_mid_write_loses_nothing_it_acknowledged() {
    let deployment = World::on_database(80);
    let (a, b) = (deployment.serve(&[]), deployment.serve(&[]));
    let root = token(&a, "root", "root-pass-1");
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let writer = {
        let (url, acknowledged) = (a.url.clone(), acknowledged.clone());
        std::thread::spawn(move || {
            for i in 3..=80 {
                let id = format!("syn-ws-{i:06}");
                let notice = format!("第 {i} 次写入");
                if patch(&url, &root, &id, &json!({ "notice": notice })) != 200 {
                    return;
                }
                acknowledged.lock().expect("list").push((id, notice));
            }
        })
    };
    // Killed (SIGKILL) while its writer is in full flow.
    assert!(
        eventually(Duration::from_secs(60), || acknowledged
            .lock()
            .expect("list")
            .len()
            >= 20),
        "A acknowledges writes"
    );
    drop(a);
    writer.join().expect("writer");
    let acknowledged = acknowledged.lock().expect("list").clone();
    assert!(
        acknowledged.len() < 78,
        "A was killed before the writer was done"
    );
    for (id, notice) in &acknowledged {
        assert!(
            eventually(Duration::from_secs(10), || get_json(
                &b,
                &format!("/v1/stations/{id}")
            )["notice"]
                == notice.as_str()),
            "{id}: acknowledged by A, answered by B"
        );
    }
    let exported = deployment.ok(&["export"]);
    for (_, notice) in &acknowledged {
        assert!(
            exported.contains(notice.as_str()),
            "{notice} in the database"
        );
    }
}

#[test]
fn cut_off_from_the_database_writes_wait_and_queries_go_on_then_both_replicas_catch_up() {
    let deployment = World::on_database(60);
    let proxy = DatabaseProxy::new(database_url(&deployment));
    let (away, back) = (|| proxy.cut(), || proxy.restore());
    without_the_database(&deployment, &proxy.url, away, back, true);
}

#[test]
fn with_postgresql_stopped_writes_wait_and_queries_go_on_then_both_replicas_catch_up() {
    let cluster = Cluster::start();
    let deployment = World::on_cluster(60, &cluster);
    let url = database_url(&deployment).to_string();
    let (away, back) = (|| cluster.stop(), || cluster.restart());
    without_the_database(&deployment, &url, away, back, false);
}

/// Two replicas reaching the database through `url`; `away` takes the database from them (from
/// them alone when `writable_while_away`), `back` returns it.
fn without_the_database(
    deployment: &World,
    url: &str,
    away: impl Fn(),
    back: impl Fn(),
    writable_while_away: bool,
) {
    let (a, b) = (replica_via(deployment, url), replica_via(deployment, url));
    let ann = token(&a, "ann", "ann-pass-1");
    let name_before = nearest_to(&b, "syn-ws-000005")["name"].clone();

    away();
    // Writes (and what only the database holds) are 503 with Retry-After…
    let while_away = json!({"notice": "数据库不在时"});
    let refused = patch_from(&a.url, &ann, "syn-ws-000001", "\"1\"", &while_away).expect("patch");
    assert_eq!(refused.status(), 503);
    assert!(refused.headers().contains_key(RETRY_AFTER));
    // Clients syncing go on too: each replica's copy keeps the feed.
    let page = get_json(&b, "/v1/changes?since=0&limit=5");
    assert_eq!(page["changes"].as_array().map(Vec::len), Some(5), "{page}");
    let report = http()
        .post(format!("{}/v1/reports", b.url))
        .json(&json!({"station_id": "syn-ws-000005", "problem": "closed"}))
        .send()
        .expect("report");
    assert_eq!(report.status(), 503, "a driver's report waits too");
    // Logins cannot be checked meanwhile, and do not count as failures: more than the limit
    // allows, and the right password works the moment the database is back.
    for _ in 0..25 {
        let login = http()
            .post(format!("{}/v1/login", a.url))
            .json(&json!({"username": "ann", "password": "ann-pass-1"}))
            .send()
            .expect("login");
        assert_eq!(login.status(), 503);
    }
    // …while queries are answered from each replica's copy.
    for replica in [&a, &b] {
        assert_eq!(nearest_to(replica, "syn-ws-000005")["name"], name_before);
        let found = get_json(replica, "/v1/stations/near?lat=30&lon=114&k=5");
        assert_eq!(found.as_array().map(Vec::len), Some(5));
    }

    // The database takes a write the replicas are not told of (an import, direct): while they
    // are cut off from it, or — a stopped server takes none — the moment it is back, before
    // they have listened again.
    let write_behind_their_backs = || {
        let csv = deployment.dir.path().join("renamed.csv");
        let exported = deployment.ok(&["export"]);
        let old = name_before.as_str().expect("name");
        std::fs::write(&csv, exported.replacen(old, "断线时改的名字", 1)).expect("csv");
        deployment.ok(&["import", s(&csv)]);
    };
    if writable_while_away {
        write_behind_their_backs();
        back();
    } else {
        back();
        write_behind_their_backs();
    }
    assert!(
        eventually(Duration::from_secs(20), || http()
            .post(format!("{}/v1/login", a.url))
            .json(&json!({"username": "ann", "password": "ann-pass-1"}))
            .send()
            .is_ok_and(|r| r.status() == 200)),
        "the right password is not locked out by the outage"
    );
    for replica in [&a, &b] {
        assert!(
            eventually(Duration::from_secs(20), || {
                nearest_to(replica, "syn-ws-000005")["name"] == "断线时改的名字"
            }),
            "{} catches up with what was written while it was cut off",
            replica.url
        );
    }
    let notice = json!({"notice": "数据库回来了"});
    assert!(
        eventually(Duration::from_secs(20), || patch(
            &a.url,
            &ann,
            "syn-ws-000001",
            &notice
        ) == 200),
        "writes are taken again"
    );
    assert!(eventually(Duration::from_secs(10), || get_json(
        &b,
        "/v1/stations/syn-ws-000001"
    )["notice"]
        == "数据库回来了"));
}

#[test]
fn writers_on_two_replicas_leave_no_gap_a_syncing_client_could_fall_into() {
    let seconds: u64 = std::env::var("WAYSTATION_GAP_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    let deployment = World::on_database(40);
    let replicas = [deployment.serve(&[]), deployment.serve(&[])];
    let root = token(&replicas[0], "root", "root-pass-1");
    let client = deployment.client("tight-loop");
    ok(
        &client,
        &["sync", &replicas[1].url, "--key", &replicas[1].key],
    );

    let stop = Arc::new(AtomicBool::new(false));
    let created = Arc::new(AtomicUsize::new(0));
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let url = replicas[w % 2].url.clone();
            let (root, stop, created) = (root.clone(), stop.clone(), created.clone());
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    // A new station each time: nothing later stands in for a change missed.
                    let body = json!({"id": format!("gap-{w}-{n:05}"), "kind": "driver_home",
                        "name": format!("第 {w} 写者的第 {n} 站"), "adcode": "420100",
                        "lat": 30.0 + w as f64 * 0.01, "lon": 114.0 + n as f64 * 0.0001,
                        "source": "official"});
                    let resp = http()
                        .post(format!("{url}/v1/stations"))
                        .header(AUTHORIZATION, format!("Bearer {root}"))
                        .json(&body)
                        .send()
                        .expect("create");
                    assert_eq!(resp.status(), 201, "{}", resp.text().unwrap_or_default());
                    created.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let end = Instant::now() + Duration::from_secs(seconds);
    let mut syncs = 0;
    while Instant::now() < end {
        let report = json_of(&ok(&client, &["sync", "--json"]));
        // A snapshot would hide a gap: every sync in the loop reads the feed.
        assert_eq!(report["snapshot_taken"], false, "{report}");
        syncs += 1;
    }
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().expect("writer");
    }
    let created = created.load(Ordering::Relaxed);
    // The last sync, once B holds every write.
    let db_head = database_head(database_url(&deployment));
    assert!(eventually(Duration::from_secs(10), || head(&replicas[1]) == db_head));
    ok(&client, &["sync"]);
    eprintln!("{created} stations created through 2 replicas in {seconds} s; {syncs} syncs");
    assert!(created > 100, "the writers wrote: {created}");
    let ours = ok(&client, &["export"]);
    assert_eq!(
        ours.lines().filter(|l| l.starts_with("gap-")).count(),
        created,
        "every acknowledged station reached the client"
    );
    assert_eq!(
        ours,
        deployment.ok(&["export"]),
        "the client's catalog is the database's"
    );
    assert_eq!(
        synced_to(&client),
        db_head,
        "the client read the feed to its head"
    );
}

/// The feed position the database is at.
fn database_head(url: &str) -> i64 {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let client = waystation_postgres::connect(url).await.expect("connect");
        waystation_postgres::feed::head(&client)
            .await
            .expect("head")
    })
}

/// The feed position a client catalog has synced to.
fn synced_to(client: &Path) -> i64 {
    let conn = rusqlite::Connection::open(client).expect("open");
    let seq: String = conn
        .query_row(
            "SELECT value FROM catalog_meta WHERE key = 'sync.seq'",
            [],
            |r| r.get(0),
        )
        .expect("sync.seq");
    seq.parse().expect("a number")
}

/// A TCP proxy in front of PostgreSQL that can cut every connection and refuse new ones.
struct DatabaseProxy {
    url: String,
    up: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl DatabaseProxy {
    /// A proxy for the database at `url`; its own URL is `url` with the proxy's address.
    fn new(url: &str) -> DatabaseProxy {
        let (before, rest) = url.split_once('@').expect("user@host in the URL");
        let (server, after) = rest.split_once('/').expect("/database in the URL");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let proxy_url = format!(
            "{before}@{}/{after}",
            listener.local_addr().expect("address")
        );
        let (up, open) = (Arc::new(AtomicBool::new(true)), Arc::default());
        let upstream = server.to_string();
        let (up2, open2): (_, Arc<Mutex<Vec<TcpStream>>>) = (up.clone(), Arc::clone(&open));
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                if !up2.load(Ordering::Acquire) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let mut open = open2.lock().expect("open");
                for stream in [&client, &server] {
                    if let Ok(s) = stream.try_clone() {
                        open.push(s);
                    }
                }
                pump(&client, &server);
                pump(&server, &client);
            }
        });
        DatabaseProxy {
            url: proxy_url,
            up,
            open,
        }
    }

    /// The database is gone: every connection closed, new ones refused.
    fn cut(&self) {
        self.up.store(false, Ordering::Release);
        for stream in self.open.lock().expect("open").drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::Release);
    }
}

/// Copies `from` to `to` until either side closes.
fn pump(from: &TcpStream, to: &TcpStream) {
    let (Ok(mut from), Ok(mut to)) = (from.try_clone(), to.try_clone()) else {
        return;
    };
    std::thread::spawn(move || {
        let mut buffer = [0u8; 16 * 1024];
        while let Ok(n) = from.read(&mut buffer) {
            if n == 0 || to.write_all(&buffer[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Both);
        let _ = from.shutdown(Shutdown::Both);
    });
}
