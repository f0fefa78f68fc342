//! The one seeded catalog server the tests share (feature `test-support`, never in a normal
//! build): the handler tests call its router in-process, clients that need a real socket (the
//! app's sync tests) get it on 127.0.0.1. A fixture, so a failed set-up panics with its reason.
//!
//! With `WAYSTATION_TEST_STORE=postgres` the same suite runs against a replica: the seeded
//! catalog is copied into a database of its own on the test cluster (WAYSTATION_TEST_DATABASE_URL)
//! and served by a `PgStore`, as `waystation serve --database` serves it. `make test` runs the
//! handler and sync tests both ways.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::header::ETAG;
use axum::http::{Method, Request, StatusCode};
use axum::response::Response;
use serde_json::Value;
use tower::ServiceExt;
use waystation_catalog::Catalog;
use waystation_catalog::progress::Silent;
use waystation_catalog::store::accounts::Role;

use crate::accounts;
use crate::signing::ServerKey;
use crate::store::{CatalogStore, SqliteStore};

/// How the server gzips an answer, for the bench that compares it with miniz (benches/gzip.rs).
pub use crate::encoding::gzip;

/// How many synthetic stations the catalog holds (ids syn-ws-000001 …).
pub const STATIONS: usize = 200;
const SEED: u64 = 3;
const TOMBSTONE_DAYS: i64 = 30;

/// Who may log in: (name, role, password, the station an operator runs). Two operators, so
/// "another operator's station" can be tested.
pub const ACCOUNTS: [(&str, Role, &str, Option<&str>); 3] = [
    ("root", Role::Admin, "root-pass-1", None),
    ("ann", Role::Operator, "ann-pass-1", Some("syn-ws-000001")),
    ("bob", Role::Operator, "bob-pass-1", Some("syn-ws-000002")),
];

/// The address in-process calls come from unless a test picks another.
pub const LOCAL: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 9);

/// A seeded catalog in a temporary directory (or copied into a test database) and the real
/// router over it.
pub struct TestServer {
    router: Router,
    public_key: String,
    path: PathBuf,
    /// The database a replica serves (dropped after the router, which holds the replica).
    database: Option<waystation_postgres::testing::TestDb>,
    _dir: tempfile::TempDir,
}

/// Which store the suite runs against: `WAYSTATION_TEST_STORE` = `file` (the default) or
/// `postgres`.
fn postgres_wanted() -> bool {
    match std::env::var("WAYSTATION_TEST_STORE").as_deref() {
        Err(_) | Ok("file") => false,
        Ok("postgres") => true,
        Ok(other) => panic!("WAYSTATION_TEST_STORE={other}: use file or postgres"),
    }
}

/// The seeded file copied into a new test database, and a replica serving it. Off the test's
/// runtime: the replica runs one of its own.
fn replica_of(
    path: &Path,
    key: &ServerKey,
) -> (waystation_postgres::testing::TestDb, Arc<dyn CatalogStore>) {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let db = waystation_postgres::testing::TestDb::blocking();
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                runtime.block_on(async {
                    let mut client = db.migrated().await;
                    waystation_postgres::copy::from_sqlite(path, &mut client)
                        .await
                        .expect("copy the seeded catalog in");
                });
                drop(runtime);
                let store =
                    crate::replica::PgStore::open(&db.url, TOMBSTONE_DAYS, key).expect("a replica");
                (db, store as Arc<dyn CatalogStore>)
            })
            .join()
    })
    .unwrap_or_else(|p| std::panic::resume_unwind(p))
}

impl TestServer {
    /// [`STATIONS`] synthetic stations and the [`ACCOUNTS`], served as `waystation serve` does.
    pub fn seeded() -> TestServer {
        TestServer::seeded_with(&crate::Options::default())
    }

    /// The same, set up with `options` (a trusted proxy, say).
    pub fn seeded_with(options: &crate::Options) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("server.sqlite");
        seed(&path);
        let key = ServerKey::beside(&path).expect("signing key");
        let (database, store) = if postgres_wanted() {
            let (db, store) = replica_of(&path, &key);
            (Some(db), store)
        } else {
            let store = SqliteStore::open(&path, TOMBSTONE_DAYS).expect("open the store");
            (None, Arc::new(store) as Arc<dyn CatalogStore>)
        };
        TestServer {
            public_key: key.public_hex(),
            router: crate::router(store, key, options),
            path,
            database,
            _dir: dir,
        }
    }

    /// The catalog's change sequence, read from the file or the database (not through the
    /// server): every write moves it on.
    pub fn head_seq(&self) -> i64 {
        let Some(db) = &self.database else {
            let catalog = Catalog::open(&self.path).expect("open the catalog");
            return catalog.head_seq().expect("head sequence");
        };
        let url = db.url.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                let client = waystation_postgres::connect(&url).await.expect("connect");
                waystation_postgres::feed::head(&client)
                    .await
                    .expect("head")
            })
        })
        .join()
        .unwrap_or_else(|p| std::panic::resume_unwind(p))
    }

    /// The key clients pin, as `waystation serve` prints it.
    pub fn public_key(&self) -> &str {
        &self.public_key
    }

    /// In-process calls from [`LOCAL`].
    pub fn api(&self) -> Api {
        self.api_from(LOCAL)
    }

    /// In-process calls from `peer`: the rate limits count per address. Every `Api` of one
    /// server shares its state (store, limits, sessions).
    pub fn api_from(&self, peer: SocketAddr) -> Api {
        Api {
            router: self.router.clone(),
            peer,
        }
    }

    /// Serves on an ephemeral 127.0.0.1 port, on a runtime of its own, until the returned
    /// [`Served`] is dropped: for clients that need a real socket.
    pub fn spawn(self) -> Served {
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
        listener.set_nonblocking(true).expect("non-blocking");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let app = self
            .router
            .clone()
            .into_make_service_with_connect_info::<SocketAddr>();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Runtime::new().expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await;
            });
        });
        Served {
            _stop: stop,
            url,
            server: self,
        }
    }
}

/// Writes the stations and accounts through the same functions `waystation admin` uses.
pub(crate) fn seed(path: &Path) {
    let mut catalog = Catalog::open(path).expect("open the catalog");
    catalog
        .import(waystation_synthetic::generate(STATIONS, SEED), &mut Silent)
        .expect("import");
    for (name, role, password, station) in ACCOUNTS {
        accounts::add_user(&catalog, name, role, password, "test").expect("add user");
        if let Some(station) = station {
            accounts::assign(&catalog, name, station, "test").expect("assign");
        }
    }
}

/// A [`TestServer`] listening on 127.0.0.1; stops when dropped.
pub struct Served {
    // Declared first so the server is told to stop before its directory goes.
    _stop: tokio::sync::oneshot::Sender<()>,
    /// `http://127.0.0.1:<port>`
    pub url: String,
    server: TestServer,
}

impl Served {
    /// The key clients pin.
    pub fn public_key(&self) -> &str {
        self.server.public_key()
    }
}

/// The router called in-process (tower's `oneshot`), as if from one client address.
#[derive(Clone)]
pub struct Api {
    router: Router,
    peer: SocketAddr,
}

impl Api {
    /// Sends `req` with the peer address a real connection would give the handlers.
    pub async fn send(&self, mut req: Request<Body>) -> Response {
        req.extensions_mut().insert(ConnectInfo(self.peer));
        match self.router.clone().oneshot(req).await {
            Ok(resp) => resp,
            Err(never) => match never {},
        }
    }

    /// A JSON request without a session: the status and the answer (`Null` if not JSON).
    pub async fn call(&self, method: Method, uri: &str, body: &str) -> (StatusCode, Value) {
        self.call_as(None, method, uri, body).await
    }

    /// A JSON request, with `Authorization: Bearer <token>` when given.
    pub async fn call_as(
        &self,
        token: Option<&str>,
        method: Method,
        uri: &str,
        body: &str,
    ) -> (StatusCode, Value) {
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", "application/json");
        if let Some(token) = token {
            req = req.header("authorization", format!("Bearer {token}"));
        }
        let req = req.body(Body::from(body.to_string())).expect("request");
        let resp = self.send(req).await;
        (resp.status(), json(resp).await)
    }

    /// A station's version as its ETag, what `If-Match` takes.
    pub async fn version(&self, id: &str) -> String {
        let req = Request::get(format!("/v1/stations/{id}"))
            .body(Body::empty())
            .expect("request");
        let resp = self.send(req).await;
        assert_eq!(resp.status(), StatusCode::OK, "GET {id}");
        resp.headers()[ETAG].to_str().expect("etag").to_string()
    }

    /// A session token for one of the [`ACCOUNTS`].
    pub async fn login(&self, name: &str) -> String {
        let (_, _, password, _) = ACCOUNTS
            .iter()
            .find(|account| account.0 == name)
            .expect("one of ACCOUNTS");
        let body = serde_json::json!({"username": name, "password": password}).to_string();
        let (status, answer) = self.call(Method::POST, "/v1/login", &body).await;
        assert_eq!(status, StatusCode::OK, "login {name}: {answer}");
        answer["token"].as_str().expect("token").to_string()
    }
}

/// The whole body, as sent (still compressed if it was).
pub async fn bytes(resp: Response) -> Bytes {
    axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .expect("body")
}

/// The body as JSON, or `Null` if it is not JSON.
pub async fn json(resp: Response) -> Value {
    serde_json::from_slice(&bytes(resp).await).unwrap_or(Value::Null)
}
