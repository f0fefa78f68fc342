//! The PostgreSQL test fixture (feature `test-support`): a database of its own for each test on
//! the cluster `scripts/postgres.sh` starts (its URL in WAYSTATION_TEST_DATABASE_URL; `make
//! test` does both), dropped when the test ends, pass or fail.

use std::fs::Permissions;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::PathBuf;
use std::process::Command;

/// A database of its own on the test cluster, dropped when the test ends (pass or fail).
pub struct TestDb {
    admin_url: String,
    name: String,
    /// The test's own database.
    pub url: String,
}

impl TestDb {
    /// A new empty database on the cluster WAYSTATION_TEST_DATABASE_URL names.
    pub async fn new() -> TestDb {
        TestDb::on(shared_cluster()).await
    }

    /// A new empty database on the cluster whose administrative database `admin_url` names.
    pub async fn on(admin_url: String) -> TestDb {
        let name = format!("ws_test_{:016x}", rand::random::<u64>());
        let admin = crate::connect(&admin_url).await.expect("the test cluster");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create database");
        // The same server and settings, another database (query parameters kept).
        let (base, query) = admin_url
            .split_once('?')
            .map_or((admin_url.as_str(), None), |(b, q)| (b, Some(q)));
        let url = match (base.rsplit_once('/'), query) {
            (Some((server, _)), None) => format!("{server}/{name}"),
            (Some((server, _)), Some(q)) => format!("{server}/{name}?{q}"),
            (None, _) => panic!("a URL ending in /database: {admin_url}"),
        };
        TestDb {
            admin_url,
            name,
            url,
        }
    }

    /// A connection to it, with the schema made.
    pub async fn migrated(&self) -> tokio_postgres::Client {
        let mut client = crate::connect(&self.url).await.expect("connect");
        crate::schema::migrate(&mut client).await.expect("migrate");
        client
    }
}

impl TestDb {
    /// `new` for a test without a runtime of its own (a process-level test).
    pub fn blocking() -> TestDb {
        TestDb::blocking_on(&shared_cluster())
    }

    /// `on` for a test without a runtime of its own.
    pub fn blocking_on(admin_url: &str) -> TestDb {
        let admin_url = admin_url.to_string();
        std::thread::spawn(|| runtime().block_on(TestDb::on(admin_url)))
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
    }
}

fn shared_cluster() -> String {
    std::env::var("WAYSTATION_TEST_DATABASE_URL").expect(
        "WAYSTATION_TEST_DATABASE_URL: start PostgreSQL with scripts/postgres.sh, which prints it (make test does both)",
    )
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // On a thread of its own: Drop may run inside the test's runtime, which cannot block.
        let (url, name) = (self.admin_url.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            runtime().block_on(async {
                let Ok(admin) = crate::connect(&url).await else {
                    eprintln!("test database {name} left behind: the cluster is gone");
                    return;
                };
                let forced = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                if let Err(e) = admin.batch_execute(&forced).await {
                    // Without the right to end other sessions, wait for them instead.
                    let plain = format!("DROP DATABASE IF EXISTS {name}");
                    if admin.batch_execute(&plain).await.is_err() {
                        eprintln!("test database {name} left behind: {e}");
                    }
                }
            });
        })
        .join();
    }
}

/// A PostgreSQL server of the test's own — `initdb` in a temporary folder, on a free port of
/// 127.0.0.1, a random password — for a test that stops and starts the server: the shared
/// cluster cannot be stopped under the other tests. Stopped and removed on drop. The programs
/// are Debian's (`/usr/lib/postgresql/N/bin`, the newest), those in WAYSTATION_TEST_PG_BINDIR,
/// or those on PATH; as root, they run as `postgres` (the server refuses to run as root).
pub struct Cluster {
    folder: tempfile::TempDir,
    bin: PathBuf,
    /// Its administrative database, as the superuser `waystation`.
    pub url: String,
}

impl Cluster {
    /// Makes the cluster and starts it.
    pub fn start() -> Cluster {
        let folder = tempfile::tempdir().expect("temp dir");
        let password = format!("{:032x}", rand::random::<u128>());
        let pwfile = folder.path().join("password");
        std::fs::write(&pwfile, &password).expect("password file");
        std::fs::set_permissions(&pwfile, Permissions::from_mode(0o600)).expect("chmod");
        // The folder (data, socket, log) and the password are the server's user's alone.
        if running_as_root() {
            let postgres = server_user_id();
            for path in [folder.path(), &pwfile] {
                std::os::unix::fs::chown(path, Some(postgres), None).expect("chown");
            }
        }
        let cluster = Cluster {
            bin: bin_dir(),
            url: String::new(),
            folder,
        };
        let data = cluster.data();
        cluster.run("initdb", |c| {
            c.arg("-D")
                .arg(&data)
                .args(["-U", "waystation", "-E", "UTF8", "--no-locale", "--no-sync"])
                .args(["--auth=scram-sha-256", "--pwfile"])
                .arg(&pwfile)
        });
        std::fs::remove_file(&pwfile).expect("remove password file");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let settings = format!(
            "\nport = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\nfsync = off\n",
            cluster.folder.path().display()
        );
        let mut conf = std::fs::OpenOptions::new()
            .append(true)
            .open(data.join("postgresql.conf"))
            .expect("postgresql.conf");
        std::io::Write::write_all(&mut conf, settings.as_bytes()).expect("settings");
        let mut cluster = cluster;
        cluster.url = format!("postgres://waystation:{password}@127.0.0.1:{port}/postgres");
        cluster.restart();
        cluster
    }

    /// Stops the server as an administrator does (`pg_ctl stop -m fast`: sessions are ended,
    /// not waited for) and waits until it is down.
    pub fn stop(&self) {
        let data = self.data();
        self.run("pg_ctl", |c| {
            c.arg("-D").arg(&data).args(["-m", "fast", "-w", "stop"])
        });
    }

    /// Starts the server again and waits until it takes connections.
    pub fn restart(&self) {
        let (data, log) = (self.data(), self.folder.path().join("server.log"));
        self.run("pg_ctl", |c| {
            c.arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(&log)
                .args(["-w", "start"])
        });
    }

    fn data(&self) -> PathBuf {
        self.folder.path().join("data")
    }

    /// One of PostgreSQL's programs, to run as the server's user.
    fn program(&self, name: &str) -> Command {
        let program = self.bin.join(name);
        if running_as_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        }
    }

    /// Runs one of PostgreSQL's programs as the server's user; it must succeed.
    fn run(&self, name: &str, args: impl FnOnce(&mut Command) -> &mut Command) {
        let out = args(&mut self.program(name))
            .output()
            .unwrap_or_else(|e| panic!("{name}: {e} (is PostgreSQL installed? scripts/setup.sh)"));
        assert!(
            out.status.success(),
            "{name}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.data();
        let _ = self
            .program("pg_ctl")
            .arg("-D")
            .arg(&data)
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}

fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// The `postgres` user's id.
fn server_user_id() -> u32 {
    let out = Command::new("id")
        .args(["-u", "postgres"])
        .output()
        .expect("id -u postgres");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or_else(|_| {
            panic!("no `postgres` user: is PostgreSQL installed? (scripts/setup.sh)")
        })
}

fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("WAYSTATION_TEST_PG_BINDIR") {
        return PathBuf::from(dir);
    }
    let newest = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|bin| bin.join("initdb").exists())
        .max_by_key(|bin| {
            bin.parent()
                .and_then(|v| v.file_name()?.to_str()?.parse::<u32>().ok())
        });
    newest.unwrap_or_default()
}
