//! Against a real PostgreSQL (scripts/postgres.sh starts this machine's cluster and prints the
//! URL `make test` passes as WAYSTATION_TEST_DATABASE_URL): every test makes its own database
//! and drops it after. A SQLite catalog moves in whole, numbers kept, and exports the same;
//! a failed copy leaves nothing; feed positions taken by concurrent writers are never seen out of
//! order by a reader following the feed.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use waystation_catalog::confirmations::Confirmation;
use waystation_catalog::exchange::CsvWriter;
use waystation_catalog::progress::Silent;
use waystation_catalog::query::Filter;
use waystation_catalog::store::accounts::{Actor, Role};
use waystation_catalog::{Catalog, LatLon, Service, ServiceSet};
use waystation_postgres::testing::TestDb;
use waystation_postgres::{Error, copy, feed, schema, stations};

/// A served SQLite catalog's life in miniature: generated stations, one deleted (a tombstone),
/// an admin and an operator with a station, a proposal, a confirmation.
fn sqlite_catalog(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let path = dir.path().join("server.sqlite");
    let mut catalog = Catalog::open(&path).expect("open");
    catalog
        .import(waystation_synthetic::generate(500, 3), &mut Silent)
        .expect("import");
    catalog
        .delete_station("syn-ws-000007", "test")
        .expect("delete");
    let by = Actor {
        name: "test",
        now: "2026-11-29T12:00:00Z".into(),
    };
    let accounts = catalog.accounts();
    assert!(
        accounts
            .add("root", Role::Admin, "hash-r", &by)
            .expect("root")
    );
    assert!(
        accounts
            .add("ann", Role::Operator, "hash-a", &by)
            .expect("ann")
    );
    accounts
        .assign("ann", "syn-ws-000001", &by)
        .expect("assign");
    let said = Confirmation {
        station_id: "syn-ws-000002".into(),
        fact: "open".into(),
        holds: true,
        device: None,
    };
    catalog
        .confirm(&[said], "d1", "addr:10.0.0.1", "2026-11-29T12:00:00Z")
        .expect("confirm");
    path
}

/// A test database holding a copy of `sqlite_catalog`: the database, the file's folder, the file,
/// and a connection.
async fn copied() -> (
    TestDb,
    tempfile::TempDir,
    std::path::PathBuf,
    tokio_postgres::Client,
) {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = sqlite_catalog(&dir);
    let mut client = db.migrated().await;
    copy::from_sqlite(&sqlite, &mut client).await.expect("copy");
    (db, dir, sqlite, client)
}

fn csv_of_sqlite(path: &std::path::Path) -> Vec<u8> {
    let catalog = Catalog::open(path).expect("open");
    let mut out = Vec::new();
    let mut w = CsvWriter::new(&mut out).expect("csv");
    catalog
        .for_each_station(|s| {
            w.write(s).expect("row");
            Ok(())
        })
        .expect("export");
    w.finish().expect("flush");
    out
}

#[tokio::test]
async fn a_sqlite_catalog_moves_in_whole_keeps_its_numbers_and_exports_the_same() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = sqlite_catalog(&dir);
    let mut client = db.migrated().await;

    let copied = copy::from_sqlite(&sqlite, &mut client).await.expect("copy");
    let n = |table: &str| {
        copied
            .tables
            .iter()
            .find(|(t, _)| *t == table)
            .map_or(0, |(_, n)| *n)
    };
    assert_eq!(n("stations"), 499);
    assert_eq!(n("users"), 2);
    assert_eq!(n("assignments"), 1);
    assert_eq!(n("confirmations"), 1);
    assert_eq!(n("fact_tallies"), 1);
    let sqlite_head = Catalog::open(&sqlite)
        .expect("open")
        .head_seq()
        .expect("head");
    assert_eq!(copied.head, sqlite_head);
    assert_eq!(feed::head(&client).await.expect("head"), sqlite_head);

    // The same file from either store.
    let mut from_pg = Vec::new();
    let mut w = CsvWriter::new(&mut from_pg).expect("csv");
    stations::for_each_station(&client, |s| {
        w.write(s).expect("row");
        Ok(())
    })
    .await
    .expect("export");
    w.finish().expect("flush");
    assert_eq!(
        String::from_utf8_lossy(&from_pg),
        String::from_utf8_lossy(&csv_of_sqlite(&sqlite))
    );
    let info = stations::info(&client, "test").await.expect("info");
    let sqlite_info = Catalog::open(&sqlite).expect("open").info().expect("info");
    assert_eq!(info.stations, sqlite_info.stations);
    assert_eq!(info.synthetic, sqlite_info.synthetic);
    assert_eq!(info.last_updated, sqlite_info.last_updated);

    // The change feed reads the same from PostgreSQL, page by page (facts entries included).
    let file = Catalog::open(&sqlite).expect("open");
    for (since, limit) in [(0, 10_000), (0, 7), (250, 100), (copied.head - 3, 10)] {
        let want = file.changes_since(since, limit).expect("sqlite page");
        let got = feed::since(&mut client, since, limit, true)
            .await
            .expect("postgres page");
        assert_eq!(got, want, "since {since}, limit {limit}");
    }
    // A replica's copy, made from everything read in one snapshot, answers as the file does.
    let everything = stations::everything(&mut client).await.expect("everything");
    assert_eq!(everything.feed.head, copied.head);
    let mut copy = Catalog::open(&dir.path().join("copy.sqlite")).expect("copy");
    copy.mirror_all(
        &everything.all.stations,
        &everything.all.facts,
        &everything.feed,
    )
    .expect("fill the copy");
    assert_eq!(copy.len(), file.len());
    // Its feed is the file's, page for page.
    for (since, limit) in [(0, 10_000), (0, 7), (250, 100), (copied.head - 3, 10)] {
        assert_eq!(
            copy.changes_since(since, limit).expect("copy"),
            file.changes_since(since, limit).expect("file"),
            "since {since}, limit {limit}"
        );
    }
    let time = chrono::NaiveDate::from_ymd_opt(2026, 11, 29)
        .and_then(|d| d.and_hms_opt(20, 0, 0))
        .expect("time");
    let mut showers = Filter::any_at(time);
    showers.services = ServiceSet::from_iter([Service::Shower]);
    showers.open_only = true;
    let mut confirmed = Filter::any_at(time);
    confirmed.confirmed = true;
    for (lat, lon) in [
        (22.54, 114.06),
        (39.9, 116.4),
        (30.6, 114.3),
        (45.75, 126.63),
    ] {
        let at = LatLon::new(lat, lon).expect("position");
        for f in [&Filter::any_at(time), &showers, &confirmed] {
            assert_eq!(
                json(&copy.nearest(at, 20, f).expect("copy")),
                json(&file.nearest(at, 20, f).expect("file")),
                "at {lat},{lon}"
            );
        }
    }
    let confirmed_near = copy
        .nearest(LatLon::new(22.5, 114.0).expect("p"), 5, &confirmed)
        .expect("copy");
    assert_eq!(confirmed_near.len(), 1, "the tallies came along");
    let older_client = feed::since(&mut client, 0, 10_000, false)
        .await
        .expect("page")
        .expect("not gone");
    assert!(older_client.changes.iter().all(|c| c.facts.is_none()));
    assert_eq!(older_client.last_seq, copied.head);

    // The counters carry on past what was copied: the next feed position is new.
    let tx = client.transaction().await.expect("tx");
    let next = feed::log_change(
        &tx,
        "syn-ws-000003",
        "station",
        "upsert",
        "2026-11-29T13:00:00Z",
    )
    .await
    .expect("log");
    tx.commit().await.expect("commit");
    assert_eq!(next, sqlite_head + 1);

    // Copying again is refused: the database holds a catalog now.
    match copy::from_sqlite(&sqlite, &mut client).await {
        Err(Error::NotEmpty { table, .. }) => assert_eq!(table, "feed_head"),
        other => panic!("a second copy: {other:?}"),
    }
}

#[tokio::test]
async fn a_copy_that_fails_half_way_leaves_the_database_empty_and_says_where() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = sqlite_catalog(&dir);
    // A row PostgreSQL cannot take, after the stations are in (SQLite's loose typing let it in).
    rusqlite::Connection::open(&sqlite)
        .expect("sqlite")
        .execute(
            "UPDATE users SET created_at = x'00ff' WHERE username = 'root'",
            [],
        )
        .expect("spoil a row");
    let mut client = db.migrated().await;
    let err = copy::from_sqlite(&sqlite, &mut client)
        .await
        .expect_err("refused");
    let text = err.to_string();
    assert!(
        text.contains("users") && text.contains("row 1") && text.contains("created_at"),
        "{text}"
    );
    let stations: i64 = client
        .query_one("SELECT count(*) FROM stations", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(stations, 0, "nothing of the copy is left");
    assert_eq!(feed::head(&client).await.expect("head"), 0);
    assert!(matches!(
        copy::from_sqlite(&dir.path().join("missing.sqlite"), &mut client).await,
        Err(Error::NoFile(_))
    ));
    assert!(
        !dir.path().join("missing.sqlite").exists(),
        "no file is made"
    );
    // A file that is not a catalog at this build's schema is read, never upgraded here.
    std::fs::write(dir.path().join("empty.sqlite"), b"").expect("file");
    assert!(matches!(
        copy::from_sqlite(&dir.path().join("empty.sqlite"), &mut client).await,
        Err(Error::OldCatalog { found: 0, .. })
    ));
    assert_eq!(
        std::fs::metadata(dir.path().join("empty.sqlite"))
            .expect("file")
            .len(),
        0
    );
}

#[tokio::test]
async fn a_database_with_anything_in_it_and_text_postgresql_cannot_hold_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = sqlite_catalog(&dir);
    // Anything at all in the database (here a stray report) stops the copy, naming the table.
    let db = TestDb::new().await;
    let mut client = db.migrated().await;
    client
        .execute(
            "INSERT INTO reports (station_id, problem, received_at) VALUES ('x', 'closed', 'now')",
            &[],
        )
        .await
        .expect("stray row");
    match copy::from_sqlite(&sqlite, &mut client).await {
        Err(Error::NotEmpty { table, rows }) => assert_eq!((table, rows), ("reports", 1)),
        other => panic!("{other:?}"),
    }
    // A NUL in a text (SQLite keeps it, PostgreSQL cannot) is named by table, row and column.
    rusqlite::Connection::open(&sqlite)
        .expect("sqlite")
        .execute(
            "UPDATE stations SET notice = 'a' || char(0) || 'b' WHERE id = 'syn-ws-000003'",
            [],
        )
        .expect("a NUL");
    let db = TestDb::new().await;
    let mut client = db.migrated().await;
    let err = copy::from_sqlite(&sqlite, &mut client)
        .await
        .expect_err("refused")
        .to_string();
    assert!(
        err.contains("stations") && err.contains("notice") && err.contains("NUL"),
        "{err}"
    );
}

#[tokio::test]
async fn migrations_run_once_even_when_replicas_start_together() {
    let db = TestDb::new().await;
    let runs = (0..4).map(|_| {
        let url = db.url.clone();
        tokio::spawn(async move {
            let mut client = waystation_postgres::connect(&url).await.expect("connect");
            schema::migrate(&mut client).await.expect("migrate")
        })
    });
    for run in runs {
        assert_eq!(run.await.expect("task"), schema::SCHEMA_VERSION);
    }
    let client = waystation_postgres::open(&db.url).await.expect("open");
    assert_eq!(feed::head(&client).await.expect("head"), 0);
    // A database without the schema is named as such.
    let other = TestDb::new().await;
    assert!(matches!(
        waystation_postgres::open(&other.url).await,
        Err(Error::NoSchema)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reader_following_the_feed_never_misses_a_position_that_commits_late() {
    const WRITERS: usize = 8;
    const WRITES: usize = 60;
    let db = TestDb::new().await;
    drop(db.migrated().await);
    let done = Arc::new(AtomicBool::new(false));

    // A client's loop, as the server pages the feed to it: from the page's last_seq on (which,
    // on the last page, is the head — where a position committed late would be jumped over).
    let reader = {
        let (url, done) = (db.url.clone(), done.clone());
        tokio::spawn(async move {
            let mut client = waystation_postgres::connect(&url).await.expect("connect");
            let mut seen = BTreeSet::new();
            let mut at = 0i64;
            loop {
                let finished = done.load(Ordering::Acquire);
                let page = feed::since(&mut client, at, 50, false)
                    .await
                    .expect("page")
                    .expect("not gone");
                seen.extend(page.changes.iter().map(|c| c.seq));
                at = page.last_seq;
                if finished && !page.more {
                    return seen;
                }
            }
        })
    };
    // Writers whose transactions take their positions, then go on working for a random while
    // before they commit: with a plain sequence, a later position often commits first.
    let writers = (0..WRITERS).map(|w| {
        let url = db.url.clone();
        tokio::spawn(async move {
            let mut client = waystation_postgres::connect(&url).await.expect("connect");
            for i in 0..WRITES {
                let tx = client.transaction().await.expect("tx");
                feed::log_change(&tx, &format!("w{w}-{i}"), "station", "upsert", "now")
                    .await
                    .expect("log");
                tx.execute("SELECT pg_sleep(random() * 0.004)", &[])
                    .await
                    .expect("work");
                tx.commit().await.expect("commit");
            }
        })
    });
    for w in writers.collect::<Vec<_>>() {
        w.await.expect("writer");
    }
    done.store(true, Ordering::Release);
    let seen = reader.await.expect("reader");
    let all: BTreeSet<i64> = (1..=(WRITERS * WRITES) as i64).collect();
    assert_eq!(seen.len(), all.len(), "the reader missed positions");
    assert_eq!(seen, all, "every position, none skipped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listener_is_woken_by_each_commit_and_a_reader_told_when_the_feed_is_gone() {
    use waystation_postgres::follow::Listener;
    let db = TestDb::new().await;
    let mut writer = db.migrated().await;
    // The fallback wait is a minute: anything seen sooner came by notification.
    let fallback = std::time::Duration::from_secs(60);
    let (seen, mut arrivals) = tokio::sync::mpsc::unbounded_channel();
    let mut listener = Listener::new(&db.url).await.expect("listen");
    let url = db.url.clone();
    let follower = tokio::spawn(async move {
        let mut reader = waystation_postgres::connect(&url).await.expect("reader");
        let mut at = 0;
        loop {
            let page = feed::since(&mut reader, at, 100, true)
                .await
                .expect("page")
                .expect("not gone");
            for c in &page.changes {
                let _ = seen.send((c.seq, std::time::Instant::now()));
            }
            at = page.last_seq;
            listener.wait(fallback).await.expect("listening");
        }
    });
    let mut lags = Vec::new();
    for i in 0..20 {
        let tx = writer.transaction().await.expect("tx");
        let seq = feed::log_change(&tx, &format!("s{i}"), "station", "upsert", "now")
            .await
            .expect("log");
        tx.commit().await.expect("commit");
        let committed = std::time::Instant::now();
        // A rolled-back write notifies nobody and takes no position.
        let tx = writer.transaction().await.expect("tx");
        feed::log_change(&tx, "never", "station", "upsert", "now")
            .await
            .expect("log");
        tx.rollback().await.expect("rollback");
        let (got, at) = tokio::time::timeout(std::time::Duration::from_secs(10), arrivals.recv())
            .await
            .expect("the follower was woken well before its fallback wait")
            .expect("follower running");
        assert_eq!(got, seq, "in order, nothing else");
        lags.push(at.saturating_duration_since(committed));
    }
    follower.abort();
    lags.sort();
    eprintln!(
        "follower lag after commit: median {:?}, max {:?}",
        lags[10], lags[19]
    );

    // A reader behind the tombstone horizon is told to reload.
    writer
        .execute(
            "INSERT INTO catalog_meta (key, value) VALUES ('feed.tombstone_horizon', '5')",
            &[],
        )
        .await
        .expect("horizon");
    let gone = feed::since(&mut writer, 2, 100, true).await.expect("page");
    assert!(matches!(gone, Err(g) if g.horizon == 5), "{gone:?}");
    // And one ahead of the database (restored from a backup behind it) is told to start over.
    let head = feed::head(&writer).await.expect("head");
    let gone = feed::since(&mut writer, head + 100, 100, true)
        .await
        .expect("page");
    assert!(matches!(gone, Err(g) if g.horizon == head), "{gone:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_asking_for_one_snapshot_at_once_build_it_once() {
    use std::sync::atomic::AtomicUsize;
    use waystation_postgres::snapshots::{Stored, once};
    let db = TestDb::new().await;
    drop(db.migrated().await);
    let builds = Arc::new(AtomicUsize::new(0));
    let ask = |seq: i64, with_facts: bool| {
        let (url, builds) = (db.url.clone(), builds.clone());
        tokio::spawn(async move {
            let mut client = waystation_postgres::connect(&url).await.expect("connect");
            once(&mut client, seq, with_facts, "key-1", async || {
                builds.fetch_add(1, Ordering::SeqCst);
                // Building takes a while: long enough for the other replica to ask meanwhile.
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                Ok(Stored {
                    seq,
                    with_facts,
                    public_key: "key-1".into(),
                    created_at: "2026-11-29T21:00:00Z".into(),
                    digest: format!("digest-{seq}-{with_facts}"),
                    signature: "sig".into(),
                    body: vec![b'['; 3],
                    gzip: vec![1, 2],
                    zstd: vec![3],
                })
            })
            .await
            .expect("snapshot")
        })
    };
    let (a, b) = (ask(7, true), ask(7, true));
    let (a, b) = (a.await.expect("a"), b.await.expect("b"));
    assert_eq!(a, b, "both replicas serve the same bytes");
    assert_eq!(builds.load(Ordering::SeqCst), 1, "built once");
    // The other form is its own snapshot; the newest two of a form are kept.
    ask(7, false).await.expect("array form");
    assert_eq!(builds.load(Ordering::SeqCst), 2);
    for seq in [8, 9] {
        ask(seq, true).await.expect("newer");
    }
    let client = waystation_postgres::connect(&db.url)
        .await
        .expect("connect");
    let kept: Vec<(i64, bool)> = client
        .query(
            "SELECT seq, with_facts FROM snapshots ORDER BY seq, with_facts",
            &[],
        )
        .await
        .expect("kept")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(kept, [(7, false), (8, true), (9, true)]);

    // A replica that asked at 5 but found the catalog at 9 when it built serves the snapshot
    // stored for 9 first, never a second one under the same position.
    let mut late = waystation_postgres::connect(&db.url)
        .await
        .expect("connect");
    let served = once(&mut late, 5, true, "key-1", async || {
        Ok(Stored {
            seq: 9,
            with_facts: true,
            public_key: "key-1".into(),
            created_at: "2026-11-29T22:00:00Z".into(),
            digest: "built-later".into(),
            signature: "sig".into(),
            body: vec![b'['; 3],
            gzip: vec![1, 2],
            zstd: vec![3],
        })
    })
    .await
    .expect("snapshot");
    assert_eq!(served.digest, "digest-9-true");

    // After a re-keying, a replica signing with the new key builds its own snapshot at that
    // position (the old one would not verify), and the old key's are let go.
    let rekeyed = once(&mut late, 9, true, "key-2", async || {
        Ok(Stored {
            seq: 9,
            with_facts: true,
            public_key: "key-2".into(),
            created_at: "2026-11-29T23:00:00Z".into(),
            digest: "signed-by-key-2".into(),
            signature: "sig2".into(),
            body: vec![b'['; 3],
            gzip: vec![1, 2],
            zstd: vec![3],
        })
    })
    .await
    .expect("snapshot");
    assert_eq!(rekeyed.digest, "signed-by-key-2");
    let old_key = waystation_postgres::snapshots::kept(&late, 9, true, "key-1").await;
    assert_eq!(old_key.expect("kept"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_saving_one_version_at_once_one_saves_and_the_other_is_stale() {
    use waystation_postgres::stations::{Save, save_if};
    let (db, _dir, sqlite, mut client) = copied().await;
    let base = Catalog::open(&sqlite)
        .expect("open")
        .station("syn-ws-000001")
        .expect("station");

    for round in 0..5 {
        let head = feed::head(&client).await.expect("head");
        let current = base.version + round;
        let edit = |who: &'static str| {
            let url = db.url.clone();
            let mut station = base.clone();
            station.notice = Some(format!("{who} {round}"));
            tokio::spawn(async move {
                let mut replica = waystation_postgres::connect(&url).await.expect("connect");
                save_if(
                    &mut replica,
                    &station,
                    Some(current),
                    who,
                    "edit",
                    "2026-11-29T21:00:00Z",
                )
                .await
                .expect("save")
            })
        };
        let (a, b) = (edit("ann"), edit("bob"));
        let outcomes = [a.await.expect("a"), b.await.expect("b")];
        let saved: Vec<&Save> = outcomes
            .iter()
            .filter(|o| matches!(o, Save::Saved(_)))
            .collect();
        assert_eq!(saved.len(), 1, "exactly one wins: {outcomes:?}");
        let Save::Saved(winner) = saved[0] else {
            unreachable!()
        };
        assert_eq!(winner.version, current + 1);
        for o in &outcomes {
            if let Save::Stale(now) = o {
                assert_eq!(now, winner, "the loser sees what the winner saved");
            }
        }
        assert_eq!(
            feed::head(&client).await.expect("head"),
            head + 1,
            "one feed entry"
        );
    }

    // Saving what is already there moves nothing but the audit; a new id is created once.
    let now = match save_if(&mut client, &base, None, "root", "create", "t")
        .await
        .expect("save")
    {
        Save::Stale(now) => now,
        other => panic!("an existing id is not created again: {other:?}"),
    };
    let head = feed::head(&client).await.expect("head");
    let same = save_if(&mut client, &now, Some(now.version), "root", "edit", "t")
        .await
        .expect("save");
    assert_eq!(same, Save::Saved(now.clone()));
    assert_eq!(feed::head(&client).await.expect("head"), head);
    let mut new = base.clone();
    new.id = "new-000001".into();
    let creates = (0..2).map(|_| {
        let (url, new) = (db.url.clone(), new.clone());
        tokio::spawn(async move {
            let mut replica = waystation_postgres::connect(&url).await.expect("connect");
            save_if(&mut replica, &new, None, "root", "create", "t")
                .await
                .expect("save")
        })
    });
    let mut created = 0;
    for c in creates.collect::<Vec<_>>() {
        if matches!(c.await.expect("create"), Save::Saved(_)) {
            created += 1;
        }
    }
    assert_eq!(created, 1, "created once, the other told it exists");

    // A deletion leaves a tombstone (and takes the station's tallies with it), once.
    let head = feed::head(&client).await.expect("head");
    assert!(
        waystation_postgres::stations::delete(&mut client, "syn-ws-000002", "root", "t")
            .await
            .expect("delete")
    );
    assert!(
        !waystation_postgres::stations::delete(&mut client, "syn-ws-000002", "root", "t")
            .await
            .expect("delete again")
    );
    let page = feed::since(&mut client, head, 10, true)
        .await
        .expect("page")
        .expect("not gone");
    assert_eq!(page.changes.len(), 1);
    assert_eq!(
        (page.changes[0].op, page.changes[0].station_id.as_str()),
        (waystation_catalog::feed::ChangeOp::Delete, "syn-ws-000002")
    );
    let tallies: i64 = client
        .query_one(
            "SELECT count(*) FROM fact_tallies WHERE station_id = 'syn-ws-000002'",
            &[],
        )
        .await
        .expect("count")
        .get(0);
    assert_eq!(tallies, 0, "its drivers' words went with it");
}

#[tokio::test]
async fn accounts_keep_the_catalog_files_rules_step_for_step() {
    use waystation_postgres::accounts as pg;
    let (_db, _dir, sqlite, mut client) = copied().await;
    let file = Catalog::open(&sqlite).expect("open");
    let by = Actor {
        name: "root",
        now: "2026-11-29T21:00:00Z".into(),
    };
    let (now, later) = ("2026-11-29T21:00:00Z", "2026-12-30T00:00:00Z");

    // The same story told to both stores, answer by answer.
    let a = file.accounts();
    assert_eq!(
        pg::add(&mut client, "zoe", Role::Operator, "h-z", &by)
            .await
            .expect("add"),
        a.add("zoe", Role::Operator, "h-z", &by).expect("add")
    );
    assert_eq!(
        pg::add(&mut client, "zoe", Role::Admin, "h-2", &by)
            .await
            .expect("taken"),
        a.add("zoe", Role::Admin, "h-2", &by).expect("taken")
    );
    pg::assign(&mut client, "zoe", "syn-ws-000004", &by)
        .await
        .expect("assign");
    a.assign("zoe", "syn-ws-000004", &by).expect("assign");
    for (token, until) in [("t1", later), ("t2", later), ("t0", now)] {
        assert_eq!(
            pg::start_session(&client, token, "zoe", until, "h-z", now)
                .await
                .expect("start"),
            a.start_session(token, "zoe", until, "h-z", now)
                .expect("start")
        );
    }
    // A login checked against an old password does not start a session.
    assert!(
        !pg::start_session(&client, "t3", "zoe", later, "old", now)
            .await
            .expect("start")
    );
    assert_eq!(
        pg::sessions(&client, "zoe", now).await.expect("sessions"),
        a.sessions("zoe", now).expect("sessions")
    );
    assert_eq!(
        pg::session(&client, "t1", now).await.expect("session"),
        a.session("t1", now).expect("session")
    );
    assert_eq!(
        pg::set_password_hash(&mut client, "zoe", "h-new", Some("t1"), &by)
            .await
            .expect("pw"),
        a.set_password_hash("zoe", "h-new", Some("t1"), &by)
            .expect("pw")
    );
    assert!(
        pg::session(&client, "t2", now)
            .await
            .expect("session")
            .is_none()
    );
    assert_eq!(
        pg::credentials(&client, "zoe").await.expect("credentials"),
        a.credentials("zoe").expect("credentials")
    );
    assert_eq!(
        pg::unassign(&mut client, "zoe", "syn-ws-000004", &by)
            .await
            .expect("unassign"),
        a.unassign("zoe", "syn-ws-000004", &by).expect("unassign")
    );
    assert_eq!(
        pg::revoke_sessions(&mut client, "zoe", &by)
            .await
            .expect("revoke") as usize,
        a.revoke_sessions("zoe", &by).expect("revoke")
    );
    assert_eq!(
        pg::users(&client).await.expect("users"),
        a.users().expect("users")
    );
    assert_eq!(
        pg::is_assigned(&client, "ann", "syn-ws-000001")
            .await
            .expect("assigned"),
        a.is_assigned("ann", "syn-ws-000001").expect("assigned")
    );
    assert_eq!(
        pg::remove(&mut client, "zoe", &by).await.expect("remove"),
        a.remove("zoe", &by).expect("remove")
    );
    assert_eq!(
        pg::users(&client).await.expect("users"),
        a.users().expect("users")
    );

    // And the audit logs say the same, record for record.
    let pg_audit: Vec<(String, String, String)> = client
        .query("SELECT actor, action, detail FROM audit ORDER BY id", &[])
        .await
        .expect("audit")
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    let mut file_audit: Vec<(String, String, String)> = file
        .audit_log(1000, None)
        .expect("audit")
        .into_iter()
        .map(|e| (e.actor, e.action, e.detail))
        .collect();
    file_audit.reverse();
    assert_eq!(pg_audit, file_audit);
}

#[tokio::test]
async fn reports_and_the_audit_log_read_the_same_from_both_stores() {
    use waystation_catalog::model::Problem;
    use waystation_catalog::reports::Report;
    use waystation_postgres::reports as pg;
    let (_db, _dir, sqlite, client) = copied().await;
    let file = Catalog::open(&sqlite).expect("open");
    for (i, station) in [
        "syn-ws-000001",
        "syn-ws-000002",
        "syn-ws-000001",
        "syn-ws-000003",
    ]
    .into_iter()
    .enumerate()
    {
        let report = Report {
            station_id: station.into(),
            problem: if i % 2 == 0 {
                Problem::ServiceMissing
            } else {
                Problem::Closed
            },
            service: (i % 2 == 0).then_some(Service::Shower),
            note: Some(format!("第 {i} 条")),
        };
        let at = format!("2026-11-29T21:0{i}:00Z");
        assert_eq!(
            pg::record(&client, &report, &at).await.expect("record"),
            file.received_reports()
                .record(&report, &at)
                .expect("record")
        );
    }
    for (station, limit, before) in [
        (None, 10, None),
        (Some("syn-ws-000001"), 10, None),
        (None, 2, Some(4)),
    ] {
        assert_eq!(
            json(
                &pg::newest(&client, station, limit, before)
                    .await
                    .expect("pg")
            ),
            json(
                &file
                    .received_reports()
                    .newest(station, limit, before)
                    .expect("file")
            ),
            "{station:?} {limit} {before:?}"
        );
    }
    let mine = vec!["syn-ws-000001".to_string(), "syn-ws-000003".to_string()];
    assert_eq!(
        json(&pg::about(&client, &mine, 10).await.expect("pg")),
        json(&file.received_reports().about(&mine, 10).expect("file"))
    );
    assert_eq!(
        json(&pg::audit(&client, 3, None).await.expect("pg")),
        json(&file.audit_log(3, None).expect("file"))
    );
    assert_eq!(
        json(&pg::audit(&client, 10, Some(3)).await.expect("pg")),
        json(&file.audit_log(10, Some(3)).expect("file"))
    );
    assert_eq!(
        pg::forget_before(&client, "2026-11-29T21:02:00Z")
            .await
            .expect("forget"),
        file.received_reports()
            .forget_before("2026-11-29T21:02:00Z")
            .expect("forget") as u64
    );
}

/// An answer as JSON, to compare both stores' answers of types without PartialEq.
fn json<T: serde::Serialize>(answer: &T) -> serde_json::Value {
    serde_json::to_value(answer).expect("json")
}

#[tokio::test]
async fn confirmations_tally_and_age_the_same_in_both_stores() {
    use waystation_postgres::confirmations as pg;
    let (_db, _dir, sqlite, mut client) = copied().await;
    let mut file = Catalog::open(&sqlite).expect("open");
    let head = file.head_seq().expect("head");

    // Words over two months: voices repeating, one device twice a day, denials that dispute.
    let words = [
        (
            "syn-ws-000001",
            "toilet",
            true,
            "d1",
            "addr:1",
            "2026-10-01T08:00:00Z",
        ),
        (
            "syn-ws-000001",
            "toilet",
            false,
            "d1",
            "addr:1",
            "2026-10-01T09:00:00Z",
        ),
        (
            "syn-ws-000001",
            "toilet",
            false,
            "d2",
            "addr:2",
            "2026-10-20T08:00:00Z",
        ),
        (
            "syn-ws-000001",
            "toilet",
            false,
            "d3",
            "addr:3",
            "2026-10-21T08:00:00Z",
        ),
        (
            "syn-ws-000001",
            "open",
            true,
            "d4",
            "addr:3",
            "2026-10-21T08:00:00Z",
        ),
        (
            "syn-ws-000004",
            "drinking_water",
            true,
            "d5",
            "addr:5",
            "2026-11-02T08:00:00Z",
        ),
        (
            "syn-ws-000004",
            "drinking_water",
            true,
            "d6",
            "addr:5",
            "2026-11-03T08:00:00Z",
        ),
        (
            "syn-ws-000004",
            "drinking_water",
            false,
            "d7",
            "addr:7",
            "2026-11-28T08:00:00Z",
        ),
    ];
    for (station, fact, holds, device, voice, at) in words {
        let said = [Confirmation {
            station_id: station.into(),
            fact: fact.into(),
            holds,
            device: None,
        }];
        let (counted, _) = pg::confirm(&mut client, &said, device, voice, at)
            .await
            .expect("pg");
        assert_eq!(
            counted,
            file.confirm(&said, device, voice, at).expect("file"),
            "{at}"
        );
    }
    let compare = async |client: &mut tokio_postgres::Client, file: &Catalog| {
        for station in ["syn-ws-000001", "syn-ws-000002", "syn-ws-000004"] {
            assert_eq!(
                pg::tallies(&*client, station).await.expect("pg"),
                file.confirmations().tallies(station).expect("file"),
                "{station}"
            );
        }
        assert_eq!(
            pg::disputed(&*client, 10).await.expect("pg"),
            file.confirmations().disputed(10).expect("file")
        );
        assert_eq!(
            feed::since(client, head, 100, true).await.expect("pg"),
            file.changes_since(head, 100).expect("file"),
            "the same facts entries at the same positions"
        );
    };
    compare(&mut client, &file).await;
    assert!(
        !pg::disputed(&client, 10).await.expect("pg").is_empty(),
        "something is disputed"
    );

    // A month on: the words of October leave the window in both.
    let later = "2026-11-25T00:00:00Z";
    let aged = pg::age_tallies(&mut client, later, 100).await.expect("pg");
    assert_eq!(aged.len(), file.age_tallies(later, 100).expect("file"));
    compare(&mut client, &file).await;
}

#[tokio::test]
async fn proposals_are_kept_read_and_decided_the_same_in_both_stores() {
    use waystation_catalog::proposals::{Proposal, ProposalState};
    use waystation_catalog::request::check_proposal;
    use waystation_catalog::store::proposals::Proposer;
    use waystation_postgres::proposals as pg;
    let (_db, _dir, sqlite, mut client) = copied().await;
    let mut file = Catalog::open(&sqlite).expect("open");
    let now = "2026-11-29T21:30:00Z";
    let proposals: Vec<Proposal> = [
        serde_json::json!({"fields": {"kind": "warm_bee", "name": "新驿站", "lat": 22.55, "lon": 114.06}, "note": "店主同意"}),
        serde_json::json!({"station_id": "syn-ws-000001", "fields": {"phone": "0755-1234567"}}),
        serde_json::json!({"station_id": "syn-ws-000003", "fields": {"notice": "改了"}, "contact": "139"}),
    ]
    .into_iter()
    .map(|v| serde_json::from_value(v).expect("proposal"))
    .collect();
    for (i, p) in proposals.iter().enumerate() {
        let secret = format!("secret-{i}");
        let by = Proposer {
            username: (i == 1).then_some("ann"),
            secret_hash: &secret,
        };
        let (id, duplicate) = file.propose(p, &by, now).expect("file");
        let current = p
            .station_id
            .as_deref()
            .map(|s| file.station(s).expect("station"));
        let checked = check_proposal(p, current.as_ref()).expect("checked");
        assert_eq!(
            pg::record(&client, &checked, &by, duplicate.as_deref(), now)
                .await
                .expect("pg"),
            id
        );
    }
    // Rejected in both, at the same moment.
    file.reject_proposal(2, "重复", "root").expect("reject");
    let rejected = file.proposals().get(2).expect("get").expect("kept");
    let tx = client.transaction().await.expect("tx");
    let decided_at = rejected.decided_at.as_deref().expect("decided");
    assert!(
        pg::decide(
            &tx,
            2,
            ProposalState::Rejected,
            None,
            Some("重复"),
            "root",
            decided_at
        )
        .await
        .expect("decide")
    );
    assert!(
        !pg::decide(
            &tx,
            2,
            ProposalState::Approved,
            None,
            None,
            "root",
            decided_at
        )
        .await
        .expect("decide again"),
        "decided once"
    );
    tx.commit().await.expect("commit");

    let p = file.proposals();
    for id in 1..=3 {
        assert_eq!(
            pg::get(&client, id, None).await.expect("pg"),
            p.get(id).expect("file")
        );
    }
    assert_eq!(
        pg::get(&client, 1, Some("secret-0")).await.expect("pg"),
        p.get_with_secret(1, "secret-0").expect("file")
    );
    assert_eq!(pg::get(&client, 1, Some("wrong")).await.expect("pg"), None);
    for (state, limit, before) in [
        (None, 10, None),
        (Some(ProposalState::Pending), 10, None),
        (None, 1, Some(3)),
    ] {
        assert_eq!(
            pg::newest(&client, state, limit, before).await.expect("pg"),
            p.newest(state, limit, before).expect("file")
        );
    }
    let mine = vec!["syn-ws-000001".to_string(), "syn-ws-000003".to_string()];
    assert_eq!(
        pg::about(&client, &mine, ProposalState::Pending, 10)
            .await
            .expect("pg"),
        p.about(&mine, ProposalState::Pending, 10).expect("file")
    );
}

#[tokio::test]
async fn an_import_writes_and_numbers_the_feed_as_the_catalog_file_does() {
    let (_db, _dir, sqlite, mut client) = copied().await;
    let mut file = Catalog::open(&sqlite).expect("open");
    let head = file.head_seq().expect("head");
    // Some stations changed, some as they were, some new.
    let mut stations = Vec::new();
    file.for_each_station(|s| {
        if stations.len() < 40 {
            stations.push(s.clone());
        }
        Ok(())
    })
    .expect("stations");
    for s in stations.iter_mut().step_by(3) {
        s.notice = Some(format!("{} 改", s.id));
    }
    for s in stations.iter_mut().skip(30) {
        s.id = s.id.replace("syn-", "new-");
    }
    let now = "2026-11-29T22:00:00Z";
    let report = waystation_postgres::stations::import(&mut client, &stations, now)
        .await
        .expect("pg import");
    let file_report = file
        .import(stations.clone(), &mut Silent)
        .expect("file import");
    assert_eq!(report, file_report);
    assert!(
        report.inserted > 0 && report.updated > 0 && report.unchanged > 0,
        "{report:?}"
    );
    // The same feed entries at the same positions (the file stamps its own time: compare the
    // rest).
    let mut page = feed::since(&mut client, head, 1000, true)
        .await
        .expect("pg")
        .expect("not gone");
    let mut want = file
        .changes_since(head, 1000)
        .expect("file")
        .expect("not gone");
    for c in page.changes.iter_mut().chain(want.changes.iter_mut()) {
        if let Some(s) = c.station.as_mut() {
            s.updated_at.clear();
        }
    }
    assert_eq!(page, want);
}

/// Two voices confirming one fact at once on two replicas, on 20 stations: both counted every
/// time (each writer counts with the other's word committed, the station's row being the lock
/// they take in turn); and an operator's listing saved (its confirmations in the same
/// transaction) while a driver confirms, and the tallies aged meanwhile, never deadlock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn words_at_once_are_all_counted_and_writers_on_one_station_never_deadlock() {
    use waystation_postgres::confirmations::{age_tallies, confirm, record, tallies};
    let (db, _dir, _sqlite, mut client) = copied().await;
    let word = |station: &str, fact: &str| Confirmation {
        station_id: station.into(),
        fact: fact.into(),
        holds: true,
        device: None,
    };
    let connect = || waystation_postgres::connect(&db.url);
    let (mut a, mut b) = (connect().await.expect("a"), connect().await.expect("b"));
    let now = "2026-11-29T12:00:00Z";
    for n in 10..30 {
        let station = format!("syn-ws-{n:06}");
        let (first, second) = ([word(&station, "open")], [word(&station, "open")]);
        let (x, y) = tokio::join!(
            confirm(&mut a, &first, "phone-a", "addr:10.0.0.1", now),
            confirm(&mut b, &second, "phone-b", "addr:10.0.0.2", now),
        );
        x.expect("first word");
        y.expect("second word");
        let tally = tallies(&client, &station).await.expect("tallies");
        assert_eq!(tally.len(), 1, "{station}");
        assert_eq!(tally[0].confirmed, 2, "{station}: both voices counted");
    }

    // A listing saved with its vouching, a driver's word and the ageing, all at once, on one
    // station, twenty times: PostgreSQL would end one of them with 40P01 on a deadlock.
    let station = stations::get(&client, "syn-ws-000001", false)
        .await
        .expect("read")
        .expect("listed");
    for round in 0..20 {
        let mut edited = station.clone();
        edited.notice = Some(format!("第 {round} 次"));
        let listing = async {
            let tx = a.transaction().await?;
            let current = stations::get(&tx, "syn-ws-000001", false)
                .await?
                .expect("listed");
            stations::save_in(&tx, &edited, Some(current.version), "ann", "edit", now).await?;
            let said = [word("syn-ws-000001", "open")];
            record(&tx, &said, "operator:ann", "operator:ann", now).await?;
            tx.commit().await?;
            Ok::<_, Error>(())
        };
        let (said, phone) = ([word("syn-ws-000001", "open")], format!("phone-{round}"));
        let driver = confirm(&mut b, &said, &phone, "addr:10.0.0.3", now);
        let ageing = age_tallies(&mut client, "2027-06-01T00:00:00Z", 50);
        let (listing, driver, ageing) = tokio::join!(listing, driver, ageing);
        listing.expect("the listing saved");
        driver.expect("the driver's word kept");
        ageing.expect("the tallies aged");
    }
}
