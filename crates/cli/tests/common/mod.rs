//! What the process-level tests share: the real `waystation` binary run on a catalog, a real
//! `waystation serve` on an ephemeral port of 127.0.0.1, and an HTTP client.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use reqwest::blocking::Client;
use serde_json::{Value, json};

pub const BIN: &str = env!("CARGO_BIN_EXE_waystation");

pub fn ws(catalog: &Path, args: &[&str]) -> Output {
    ws_input(catalog, args, "")
}

pub fn ws_input(catalog: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(BIN)
        .arg("--catalog")
        .arg(catalog)
        .args(args)
        .env_remove("WAYSTATION_LANG")
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
    let out = ws(catalog, args);
    assert!(
        out.status.success(),
        "waystation {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
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

/// A server catalog of generated stations, with an admin (root) and an operator (ann, who runs
/// syn-ws-000001), made by the real `waystation gen`, `import` and `admin` commands.
pub struct World {
    pub dir: tempfile::TempDir,
    pub server_catalog: PathBuf,
}

impl World {
    pub fn new(stations: u32) -> World {
        let dir = tempfile::tempdir().expect("temp dir");
        let server_catalog = dir.path().join("server.sqlite");
        let csv = dir.path().join("stations.csv");
        ok(
            &server_catalog,
            &[
                "gen",
                "--count",
                &stations.to_string(),
                "--seed",
                "11",
                "-o",
                csv.to_str().expect("path"),
            ],
        );
        ok(&server_catalog, &["import", csv.to_str().expect("path")]);
        for (user, role, password) in [
            ("root", "admin", "root-pass-1"),
            ("ann", "operator", "ann-pass-1"),
        ] {
            let out = ws_input(
                &server_catalog,
                &["admin", "add-user", user, "--role", role],
                &format!("{password}\n"),
            );
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        ok(
            &server_catalog,
            &["admin", "assign", "ann", "syn-ws-000001"],
        );
        World {
            dir,
            server_catalog,
        }
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
