//! The PostgreSQL test fixture (feature `test-support`): a database of its own for each test on
//! the cluster `scripts/postgres.sh` starts (its URL in WAYSTATION_TEST_DATABASE_URL; `make
//! test` does both), dropped when the test ends, pass or fail.

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
        let admin_url = std::env::var("WAYSTATION_TEST_DATABASE_URL").expect(
            "WAYSTATION_TEST_DATABASE_URL: start PostgreSQL with scripts/postgres.sh, which prints it (make test does both)",
        );
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
        std::thread::spawn(|| runtime().block_on(TestDb::new()))
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
    }
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
