//! What the process-level tests share: the real `waystation` binary run on a catalog, a real
//! `waystation serve` on an ephemeral port of 127.0.0.1, and an HTTP client.

// Each test crate that includes this module uses part of it; what one leaves, another uses.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use reqwest::blocking::Client;
use serde_json::{Value, json};
use waystation_postgres::testing::{Cluster, TestDb};

pub const BIN: &str = env!("CARGO_BIN_EXE_waystation");

pub fn ws(catalog: &Path, args: &[&str]) -> Output {
    ws_input(catalog, args, "")
}

pub fn ws_input(catalog: &Path, args: &[&str], stdin: &str) -> Output {
    let mut command = Command::new(BIN);
    command
        .arg("--catalog")
        .arg(catalog)
        .args(args)
        .env_remove("WAYSTATION_LANG")
        .env_remove("WAYSTATION_DATABASE_URL");
    run_with_input(&mut command, stdin)
}

fn run_with_input(command: &mut Command, stdin: &str) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn waystation");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}

pub fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

pub fn ok(catalog: &Path, args: &[&str]) -> String {
    succeeded(args, ws(catalog, args))
}

pub fn fails(catalog: &Path, args: &[&str]) -> String {
    failed(args, ws(catalog, args))
}

fn succeeded(args: &[&str], out: Output) -> String {
    assert!(
        out.status.success(),
        "waystation {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn failed(args: &[&str], out: Output) -> String {
    assert!(!out.status.success(), "waystation {args:?} should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A running `waystation serve`, killed (SIGKILL) on drop.
pub struct Server {
    child: Child,
    pub url: String,
    pub key: String,
}

impl Server {
    /// Starts `command` and reads its banner: where it listens, and the key clients pin.
    pub fn run(mut command: Command) -> Server {
        let mut child = command
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("server banner");
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("url in banner: {line:?}"))
            .to_string();
        let key = line
            .trim()
            .rsplit("public_key=")
            .next()
            .expect("key")
            .to_string();
        Server { child, url, key }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn http() -> Client {
    waystation_sync::client_builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

pub fn token(server: &Server, user: &str, password: &str) -> String {
    let resp = http()
        .post(format!("{}/v1/login", server.url))
        .json(&json!({"username": user, "password": password}))
        .send()
        .expect("login");
    assert_eq!(resp.status(), 200, "login {user}");
    resp.json::<Value>().expect("json")["token"]
        .as_str()
        .expect("token")
        .to_string()
}

/// Asks again until `check` holds, for at most `limit`: each check is a request to the server,
/// so the loop is paced by the answers, and it ends as soon as the condition holds.
pub fn eventually(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let end = std::time::Instant::now() + limit;
    while std::time::Instant::now() < end {
        if check() {
            return true;
        }
        std::thread::yield_now();
    }
    check()
}

/// A served catalog of generated stations, with an admin (root) and an operator (ann, who runs
/// syn-ws-000001), made by the real `waystation gen`, `import` and `admin` commands in a file —
/// and, in a world on a database, moved into a PostgreSQL database of its own by `waystation
/// migrate`, with the signing key file its replicas share.
pub struct World {
    pub dir: tempfile::TempDir,
    catalog_file: PathBuf,
    database: Option<Database>,
}

/// Where a world's catalog is served from.
pub enum Served<'a> {
    File(&'a Path),
    /// A PostgreSQL database (its URL).
    Database(&'a str),
}

struct Database {
    db: TestDb,
    key_file: PathBuf,
}

impl World {
    /// A world on the store the test run names: a database when WAYSTATION_TEST_STORE is
    /// `postgres` (`make test` runs the suites both ways), a file otherwise.
    pub fn new(stations: u32) -> World {
        match std::env::var("WAYSTATION_TEST_STORE").as_deref() {
            Ok("postgres") => World::on_database(stations),
            Ok("file") | Err(_) => World::on_file(stations),
            Ok(other) => panic!("WAYSTATION_TEST_STORE={other}: use file or postgres"),
        }
    }

    pub fn on_file(stations: u32) -> World {
        let dir = tempfile::tempdir().expect("temp dir");
        let catalog_file = dir.path().join("server.sqlite");
        let csv = dir.path().join("stations.csv");
        let csv = csv.to_str().expect("path");
        let count = stations.to_string();
        let seed = ["gen", "--count", &count, "--seed", "11", "-o", csv];
        ok(&catalog_file, &seed);
        ok(&catalog_file, &["import", csv]);
        let world = World {
            dir,
            catalog_file,
            database: None,
        };
        for (user, role, password) in [
            ("root", "admin", "root-pass-1"),
            ("ann", "operator", "ann-pass-1"),
        ] {
            let out = world.run(
                &["admin", "add-user", user, "--role", role],
                &format!("{password}\n"),
            );
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        world.ok(&["admin", "assign", "ann", "syn-ws-000001"]);
        world
    }

    /// A world on a database of its own on the shared test cluster.
    pub fn on_database(stations: u32) -> World {
        World::moved_into(stations, TestDb::blocking())
    }

    /// A world on a database of its own on `cluster` (a server the test stops and starts).
    pub fn on_cluster(stations: u32, cluster: &Cluster) -> World {
        World::moved_into(stations, TestDb::blocking_on(&cluster.url))
    }

    fn moved_into(stations: u32, db: TestDb) -> World {
        let mut world = World::on_file(stations);
        let key_file = world.dir.path().join("replicas.signing-key");
        let from = world.catalog_file.to_str().expect("path");
        world.database = Some(Database {
            db,
            key_file: key_file.clone(),
        });
        world.ok(&["migrate", "--from", from]);
        world.ok(&["keygen", key_file.to_str().expect("path")]);
        world
    }

    /// Where the catalog is served from.
    pub fn served(&self) -> Served<'_> {
        match &self.database {
            None => Served::File(&self.catalog_file),
            Some(d) => Served::Database(&d.db.url),
        }
    }

    /// `waystation` set up as an admin at the server's terminal: on the catalog file, or on the
    /// database with the replicas' key file (both given in the environment, as a deployment does).
    pub fn command(&self) -> Command {
        let mut command = Command::new(BIN);
        command
            .env_remove("WAYSTATION_LANG")
            .env_remove("WAYSTATION_DATABASE_URL")
            .env_remove("WAYSTATION_SIGNING_KEY_FILE");
        match &self.database {
            None => command.arg("--catalog").arg(&self.catalog_file),
            Some(d) => command
                .env("WAYSTATION_DATABASE_URL", &d.db.url)
                .env("WAYSTATION_SIGNING_KEY_FILE", &d.key_file),
        };
        command
    }

    /// `waystation ARGS` on the served catalog, `stdin` given to it.
    pub fn run(&self, args: &[&str], stdin: &str) -> Output {
        run_with_input(self.command().args(args), stdin)
    }

    /// `waystation ARGS` on the served catalog, which must succeed; its output.
    pub fn ok(&self, args: &[&str]) -> String {
        succeeded(args, self.run(args, ""))
    }

    /// `waystation ARGS` on the served catalog, which must fail; what it said.
    pub fn fails(&self, args: &[&str]) -> String {
        failed(args, self.run(args, ""))
    }

    /// `waystation serve` on the served catalog, on an ephemeral port.
    pub fn serve(&self, extra: &[&str]) -> Server {
        self.serve_at("127.0.0.1:0", extra)
    }

    /// `waystation serve` on the served catalog, at `addr` (a restart on the same port).
    pub fn serve_at(&self, addr: &str, extra: &[&str]) -> Server {
        let mut command = self.command();
        command.args(["serve", "--addr", addr]).args(extra);
        Server::run(command)
    }

    /// A client catalog that starts with a few local synthetic rows of its own.
    pub fn client(&self, name: &str) -> PathBuf {
        let path = self.dir.path().join(format!("{name}.sqlite"));
        let csv = self.dir.path().join(format!("{name}.csv"));
        ok(
            &path,
            &[
                "gen",
                "--count",
                "20",
                "--seed",
                "99",
                "-o",
                csv.to_str().expect("path"),
            ],
        );
        ok(&path, &["import", csv.to_str().expect("path")]);
        path
    }
}
