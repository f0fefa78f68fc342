//! The `waystation` binary end to end: real processes on real catalog files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use unicode_width::UnicodeWidthStr;

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn catalog(&self) -> PathBuf {
        self.path("catalog.sqlite")
    }

    /// Runs waystation with this environment's catalog and data directory.
    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_waystation"))
            .args(args)
            .env("WAYSTATION_CATALOG", self.catalog())
            .env("XDG_DATA_HOME", self.path("data"))
            .env_remove("WAYSTATION_LANG")
            .output()
            .expect("run waystation")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "waystation {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 output")
    }

    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(!out.status.success(), "waystation {args:?} should fail");
        String::from_utf8(out.stderr).expect("utf-8 errors")
    }

    /// A catalog of `count` generated stations.
    fn generated(&self, count: u32) {
        let csv = self.path("gen.csv");
        self.ok(&[
            "gen",
            "--count",
            &count.to_string(),
            "--seed",
            "3",
            "-o",
            s(&csv),
        ]);
        self.ok(&["import", s(&csv)]);
    }
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("valid JSON")
}

#[test]
fn gen_is_deterministic_and_labelled_synthetic() {
    let env = Env::new();
    let a = env.ok(&["gen", "--count", "50", "--seed", "9"]);
    let b = env.ok(&["gen", "--count", "50", "--seed", "9"]);
    assert_eq!(a, b);
    let lines: Vec<&str> = a.lines().collect();
    assert_eq!(lines.len(), 51);
    assert!(lines[0].starts_with("id,kind,name,address,adcode,lat,lon,services"));
    // `source` is the second-to-last column (free_truck_spaces, empty, is last).
    assert!(
        lines[1..]
            .iter()
            .all(|l| l.rsplit(',').nth(1) == Some("synthetic"))
    );
}

#[test]
fn near_json_has_the_promised_fields_in_distance_order() {
    let env = Env::new();
    env.generated(3000);
    let out = json(&env.ok(&[
        "near",
        "22.54,114.06",
        "-n",
        "5",
        "--service",
        "toilet,rest",
        "--json",
    ]));
    let hits = out.as_array().expect("array");
    assert_eq!(hits.len(), 5);
    for h in hits {
        for field in [
            "id",
            "kind",
            "name",
            "lat",
            "lon",
            "distance_m",
            "bearing_deg",
            "services",
            "opening_hours",
            "open_now",
            "status",
            "source",
        ] {
            assert!(h.get(field).is_some(), "missing {field} in {h}");
        }
        // Metres and degrees to a tenth: the digits past it say nothing and do not compress.
        for field in ["distance_m", "bearing_deg"] {
            let text = h[field].to_string();
            assert!(
                text.split_once('.')
                    .is_some_and(|(_, tenths)| tenths.len() == 1),
                "{field} {text}"
            );
        }
        let services: Vec<&str> = h["services"]
            .as_array()
            .expect("services")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(
            services.contains(&"toilet") && services.contains(&"rest"),
            "{services:?}"
        );
        assert_eq!(h["source"], "synthetic");
    }
    let d: Vec<f64> = hits
        .iter()
        .filter_map(|h| h["distance_m"].as_f64())
        .collect();
    assert!(d.windows(2).all(|w| w[0] <= w[1]), "{d:?}");
}

#[test]
fn gcj02_input_is_converted_before_the_query() {
    let env = Env::new();
    env.generated(500);
    let id = |v: &Value| v[0]["id"].as_str().map(str::to_string);
    // The same physical place given in WGS-84 and in GCJ-02 finds the same nearest station.
    let wgs = json(&env.ok(&["near", "22.543527,114.057939", "-n", "1", "--json"]));
    let gcj = json(&env.ok(&[
        "near",
        "22.540810,114.063053",
        "--crs",
        "gcj02",
        "-n",
        "1",
        "--json",
    ]));
    assert_eq!(id(&wgs), id(&gcj));
    let (dw, dg) = (
        wgs[0]["distance_m"].as_f64().unwrap_or(-1.0),
        gcj[0]["distance_m"].as_f64().unwrap_or(-1.0),
    );
    assert!((dw - dg).abs() < 1.0, "{dw} vs {dg}");
}

#[test]
fn bad_input_exits_non_zero_and_says_what_is_accepted() {
    let env = Env::new();
    env.generated(100);
    assert!(env.fails(&["near", "91,100"]).contains(
        "[out_of_range]: `lat` 须在 -90 到 90 之间，收到 91 — `lat` must be from -90 to 90, not 91"
    ));
    assert!(
        env.fails(&["near", "22,114", "--service", "showr"])
            .contains("accepted: parking")
    );
    assert!(
        env.fails(&["near", "22,114", "--kind", "hotel"])
            .contains("accepted: driver_home")
    );
    assert!(
        env.fails(&["near", "22,114", "--heading", "400"])
            .contains("[out_of_range]")
    );
    assert!(env.fails(&["near", "here"]).contains("expected LAT,LON"));
    assert!(
        env.fails(&["near", "22,114", "--open-at", "tomorrow"])
            .contains("RFC 3339")
    );
    assert!(
        env.fails(&["show", "nope"])
            .contains("no station with id `nope`")
    );
    let route = env.path("broken.geojson");
    std::fs::write(&route, r#"{"type":"LineString","coordinates":[[114,22.5]"#).expect("write");
    assert!(env.fails(&["along", s(&route)]).contains("not valid JSON"));
    let gpx = env.path("one.gpx");
    std::fs::write(
        &gpx,
        r#"<gpx><trk><trkseg><trkpt lat="22.5" lon="114"/></trkseg></trk></gpx>"#,
    )
    .expect("write");
    assert!(env.fails(&["along", s(&gpx)]).contains("at least 2 points"));
    let missing = env.path("missing.sqlite");
    let out = Command::new(env!("CARGO_BIN_EXE_waystation"))
        .args(["--catalog", s(&missing), "near", "22,114"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no catalog at"));
    assert!(!missing.exists(), "a query must not create a catalog");
}

#[test]
fn a_failed_import_names_line_and_field_and_changes_nothing() {
    let env = Env::new();
    env.generated(200);
    let before = env.ok(&["export"]);
    let bad = env.path("bad.csv");
    let mut text = std::fs::read_to_string(env.path("gen.csv")).expect("gen.csv");
    // Change every row (so a partial import would show), and break row 151 (line 152).
    text = text.replace(",synthetic", ",official");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[151] = lines[151].replace(",official", ",rumour");
    std::fs::write(&bad, lines.join("\n")).expect("write");
    let err = env.fails(&["import", s(&bad)]);
    assert!(
        err.contains("line 152, field `source`: unknown source `rumour`"),
        "{err}"
    );
    assert!(err.contains("catalog is unchanged"), "{err}");
    // Chinese first, then English; English only with --lang en.
    assert!(err.contains("第 152 行，字段 `source`"), "{err}");
    assert!(err.contains("目录未改变"), "{err}");
    let english = env.fails(&["--lang", "en", "import", s(&bad)]);
    assert!(english.contains("line 152, field `source`"), "{english}");
    assert!(!english.contains("第 152 行"), "{english}");
    assert_eq!(env.ok(&["export"]), before);
}

#[test]
fn errors_that_are_not_refusals_are_in_both_languages_too() {
    let env = Env::new();
    let not_a_catalog = env.path("notes.sqlite");
    std::fs::write(&not_a_catalog, "shopping list\n".repeat(100)).expect("write");
    let args = ["--catalog", s(&not_a_catalog), "near", "30.6,114.3"];
    let both = env.fails(&args);
    let zh = both.find("不是 SQLite 数据库").expect("Chinese text");
    let en = both.find("not a SQLite database").expect("English text");
    assert!(zh < en, "Chinese comes first: {both}");
    let english = env.fails(&[&["--lang", "en"][..], &args[..]].concat());
    assert!(english.contains("not a SQLite database"), "{english}");
    assert!(!english.contains("数据库"), "{english}");
}

#[test]
fn export_import_round_trip_in_both_formats() {
    let env = Env::new();
    env.generated(300);
    let csv = env.ok(&["export"]);
    let geojson_path = env.path("all.geojson");
    env.ok(&["export", "-o", s(&geojson_path)]);
    let doc = json(&std::fs::read_to_string(&geojson_path).expect("geojson"));
    assert_eq!(doc["features"].as_array().map(Vec::len), Some(300));

    let other = Env::new();
    other.ok(&["import", s(&geojson_path)]);
    assert_eq!(other.ok(&["export"]), csv);
    let report = other.ok(&["--lang", "en", "import", s(&geojson_path)]);
    assert!(
        report.contains("0 new, 0 updated, 300 unchanged"),
        "{report}"
    );
}

#[test]
fn along_a_route_orders_by_distance_along_it() {
    let env = Env::new();
    env.generated(5000);
    // Shenzhen westwards to Dongguan and Guangzhou, as GPX.
    let gpx = env.path("route.gpx");
    std::fs::write(
        &gpx,
        r#"<?xml version="1.0"?><gpx version="1.1" creator="test"><trk><trkseg>
        <trkpt lat="22.54" lon="114.06"/><trkpt lat="22.75" lon="113.80"/><trkpt lat="23.13" lon="113.26"/>
        </trkseg></trk></gpx>"#,
    )
    .expect("write");
    let hits = json(&env.ok(&["along", s(&gpx), "--within", "3000m", "--json"]));
    let hits = hits.as_array().expect("array");
    assert!(
        hits.len() > 5,
        "only {} stations along the route",
        hits.len()
    );
    let along: Vec<f64> = hits.iter().filter_map(|h| h["along_m"].as_f64()).collect();
    assert_eq!(along.len(), hits.len());
    assert!(along.windows(2).all(|w| w[0] <= w[1]));
    assert!(
        hits.iter()
            .all(|h| h["offset_m"].as_f64().is_some_and(|o| o <= 3000.0))
    );
}

#[test]
fn table_aligns_double_width_names_and_marks_synthetic() {
    let env = Env::new();
    env.generated(2000);
    let table = env.ok(&["near", "22.54,114.06", "-n", "8"]);
    let lines: Vec<&str> = table.lines().take(9).collect();
    // Every row's kind column starts at the same display column as the header's.
    let header_col =
        UnicodeWidthStr::width(&lines[0][..lines[0].find("类型").expect("kind header")]);
    for row in &lines[1..] {
        // The kind column follows the name, which ends with the synthetic mark and padding.
        let mark_end = row.find("[示例数据]").expect("synthetic mark") + "[示例数据]".len();
        let kind_at = mark_end
            + row[mark_end..]
                .find(|c: char| c != ' ')
                .expect("a kind after the name");
        assert!(
            ["司机之家", "暖蜂驿站", "爱心商户", "户外劳动者服务站"]
                .iter()
                .any(|k| row[kind_at..].starts_with(k)),
            "{row}"
        );
        assert_eq!(UnicodeWidthStr::width(&row[..kind_at]), header_col, "{row}");
    }
    assert!(table.contains("并非真实站点"));
}

#[test]
fn show_and_link_hand_off_with_converted_coordinates() {
    let env = Env::new();
    env.generated(100);
    let first = json(&env.ok(&["near", "22.54,114.06", "-n", "1", "--json"]));
    let id = first[0]["id"].as_str().expect("id").to_string();
    let (lat, lon) = (
        first[0]["lat"].as_f64().expect("lat"),
        first[0]["lon"].as_f64().expect("lon"),
    );
    let geo = env.ok(&["link", &id, "--app", "geo"]);
    assert!(
        geo.starts_with(&format!("geo:{lat:.6},{lon:.6}?q=")),
        "{geo}"
    );
    let amap = env.ok(&["link", &id, "--app", "amap"]);
    assert!(
        amap.starts_with("amapuri://route/plan/?") && amap.contains("&dlat="),
        "{amap}"
    );
    assert!(
        !amap.contains(&format!("dlat={lat:.6}")),
        "Amap must get GCJ-02, not WGS-84: {amap}"
    );
    let web = env.ok(&["link", &id, "--app", "amap", "--web"]);
    assert!(
        web.starts_with("https://uri.amap.com/navigation?to="),
        "{web}"
    );
    let detail = json(&env.ok(&["show", &id, "--json"]));
    assert_eq!(detail["links"].as_array().map(Vec::len), Some(6));
    assert_eq!(detail["id"], id.as_str());
    assert!(detail.get("open_now").is_some() && detail["distance_m"].is_null());
    let from = json(&env.ok(&["show", &id, "--near", "22.5,114.0", "--json"]));
    assert!(
        from["distance_m"].as_f64().is_some_and(|d| d > 0.0),
        "{from}"
    );
    let text = env.ok(&["show", &id]);
    assert!(
        text.contains("高德地图") && text.contains("[示例数据]"),
        "{text}"
    );
    assert!(
        env.fails(&["link", &id, "--app", "waze"])
            .contains("accepted: amap")
    );
}

#[test]
fn info_sizes_accounts_for_the_whole_file_part_by_part() {
    let env = Env::new();
    env.generated(2_000);
    // The import's rebuild packed the index; one open later the file keeps it.
    env.ok(&["near", "30.59,114.31", "-n", "1"]);
    let info = json(&env.ok(&["info", "--sizes", "--json"]));
    let parts = info["sizes"].as_array().expect("sizes");
    let bytes = |part: &str| {
        parts
            .iter()
            .find(|p| p["part"] == part)
            .and_then(|p| p["bytes"].as_u64())
            .unwrap_or(0)
    };
    for part in ["stations", "station_text", "changes", "packed_index"] {
        assert!(bytes(part) > 0, "{part} in {parts:?}");
    }
    // Shadow tables are counted with their text index, not on their own.
    assert_eq!(bytes("station_text_data"), 0, "{parts:?}");
    let total: u64 = parts.iter().filter_map(|p| p["bytes"].as_u64()).sum();
    assert_eq!(total, info["file_bytes"].as_u64().expect("file size"));
    let sizes: Vec<u64> = parts.iter().filter_map(|p| p["bytes"].as_u64()).collect();
    assert!(
        sizes.windows(2).all(|w| w[0] >= w[1]),
        "largest first: {sizes:?}"
    );

    let text = env.ok(&["info", "--sizes"]);
    assert!(text.contains("名称与地址的全文索引"), "{text}");
    let english = env.ok(&["--lang", "en", "info", "--sizes"]);
    assert!(english.contains("packed query index"), "{english}");
}

#[test]
fn first_use_creates_the_default_catalog_from_the_built_in_seed() {
    let env = Env::new();
    let out = Command::new(env!("CARGO_BIN_EXE_waystation"))
        .args(["info", "--json"])
        .env_remove("WAYSTATION_CATALOG")
        .env("XDG_DATA_HOME", env.path("data"))
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let info = json(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(info["stations"], 30_000);
    assert_eq!(info["synthetic_share"], 1.0);
    assert!(
        info["path"]
            .as_str()
            .is_some_and(|p| p.starts_with(s(&env.path("data"))))
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("示例数据"));
}

/// The CLI's arguments for one case of tests/requests/refusals.json, or None for a request
/// type the CLI has no command for (within, bbox, places, map_view, convert).
fn cli_args(env: &Env, case: &Value) -> Option<Vec<String>> {
    let fields = case["fields"].as_object().expect("fields");
    let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_string);
    let position = |lat: &str, lon: &str| match (fields.get(lat), fields.get(lon)) {
        (Some(a), Some(b)) => Some(format!("{},{}", text(a), text(b))),
        _ => None,
    };
    let mut args: Vec<String> = match case["request"].as_str().expect("request") {
        "near" => vec!["near".into(), position("lat", "lon").expect("position")],
        "search" => vec!["search".into(), text(&fields["q"])],
        "detail" => vec!["show".into(), text(&case["id"])],
        "along" => {
            let file = env.path("route.geojson");
            let route = match case["route"].as_str().expect("route") {
                "line" => r#"{"type":"LineString","coordinates":[[113.9,22.5],[114.2,22.6]]}"#,
                other => other,
            };
            std::fs::write(&file, route).expect("write route");
            vec!["along".into(), s(&file).to_string()]
        }
        _ => return None,
    };
    let at = position("lat", "lon").filter(|_| case["request"] != "near");
    if let Some(at) = at {
        args.extend(["--near".into(), at]);
    }
    for (field, value) in fields {
        let flag = match field.as_str() {
            "lat" | "lon" | "q" => continue,
            "k" => "--count",
            "open_at" => "--open-at",
            other => other,
        };
        let flag = if flag.starts_with("--") {
            flag.to_string()
        } else {
            format!("--{flag}")
        };
        args.extend([flag, text(value)]);
    }
    Some(args)
}

/// The same bad input as the HTTP API's and the app's tests is refused with the same message
/// id, shown as `[id]` in the CLI's error.
#[test]
fn the_cli_refuses_bad_input_with_the_same_message_ids_as_http_and_ipc() {
    let env = Env::new();
    env.generated(50);
    let table: Vec<Value> =
        serde_json::from_str(include_str!("../../../tests/requests/refusals.json"))
            .expect("refusals.json");
    let mut checked = 0;
    for case in &table {
        let Some(args) = cli_args(&env, case) else {
            continue;
        };
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let error = env.fails(&args);
        let id = case["message_id"].as_str().expect("id");
        assert!(error.contains(&format!("[{id}]")), "{args:?}: {error}");
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} cases reached the CLI");
}

#[test]
fn a_catalog_moves_into_postgresql_and_exports_and_counts_the_same_there() {
    let env = Env::new();
    env.generated(120);
    let db = waystation_postgres::testing::TestDb::blocking();
    // As an operator would: the URL in the environment, no catalog file named.
    let pg = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_waystation"))
            .args(args)
            .env("WAYSTATION_DATABASE_URL", &db.url)
            .env_remove("WAYSTATION_CATALOG")
            .env_remove("WAYSTATION_LANG")
            .output()
            .expect("run waystation")
    };
    let catalog = env.catalog();
    // One station's kind as migration 12 keeps an id it could not trim: the app reads it, so
    // the copy takes it too.
    let kept = rusqlite::Connection::open(&catalog)
        .and_then(|c| {
            c.execute(
                "UPDATE stations SET kind = 'worker_station' || char(12288)
                 WHERE pk = (SELECT min(pk) FROM stations WHERE kind = 3)",
                [],
            )
        })
        .expect("a kind kept as text");
    assert_eq!(kept, 1);
    let moved = pg(&["migrate", "--from", s(&catalog)]);
    assert!(
        moved.status.success(),
        "{}",
        String::from_utf8_lossy(&moved.stderr)
    );
    let said = String::from_utf8_lossy(&moved.stdout);
    assert!(said.contains("stations       120"), "{said}");
    let password = db
        .url
        .split('@')
        .next()
        .and_then(|u| u.rsplit(':').next())
        .expect("password");
    assert!(
        !said.contains(password),
        "the password is never shown: {said}"
    );

    let exported = pg(&["export", "--format", "geojson"]);
    assert!(exported.status.success());
    assert_eq!(
        String::from_utf8_lossy(&exported.stdout),
        env.ok(&["export", "--format", "geojson"]),
        "the same file from PostgreSQL as from the catalog file"
    );
    let info = json(&String::from_utf8_lossy(&pg(&["info", "--json"]).stdout));
    assert_eq!(info["stations"], 120);
    assert!(!info["path"].as_str().expect("path").contains(password));

    // An import goes into the database, all or nothing, as into a file.
    let more = env.path("more.csv");
    env.ok(&["gen", "--count", "3", "--seed", "9", "-o", s(&more)]);
    let imported = pg(&["--lang", "en", "import", s(&more)]);
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    let said = String::from_utf8_lossy(&imported.stdout);
    assert!(!said.contains(password), "{said}");
    let stated: u64 = said
        .strip_prefix("imported: ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("how many new: {said}"));
    let info = json(&String::from_utf8_lossy(&pg(&["info", "--json"]).stdout));
    let file_info = json(&env.ok(&["info", "--json"]));
    let counted = |i: &Value| i["stations"].as_u64().expect("count");
    assert_eq!(counted(&info) - counted(&file_info), stated, "{said}");

    // Moving in twice, or naming a file and a database at once, is refused.
    let again = pg(&["migrate", "--from", s(&catalog)]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds a catalog"));
    let both = env.fails(&["info", "--database", &db.url]);
    assert!(both.contains("not both"), "{both}");
}
