//! Navigation hand-off links, checked against each map app's own documentation.
//!
//! Every row of [`ROWS`] states, for one app on one platform and independently of
//! `links.rs`, what that app documents: scheme, host and path, every parameter sent (with its
//! fixed value or the shape of its value), where the coordinates go and in which order, and
//! the datum they must be in. Each generated URL is taken apart by hand and checked against
//! its row for a few stations (Beijing, Urumqi, one outside the GCJ-02 zone, and names full of
//! characters that must be percent-encoded). The expected coordinates come from the
//! project's `crs` conversion in the row's datum, anchored to an independent published pair.
//!
//! Then the opener's allow-list (`src-tauri/capabilities/*.json`) is read and checked both
//! ways: every generated link is allowed, and every map-app entry is used by some link.

use std::collections::BTreeSet;
use std::path::PathBuf;

use percent_encoding::percent_decode_str;
use waystation_catalog::crs::{Crs, in_china_offset_zone};
use waystation_catalog::links::{App, NavLink, TENCENT_KEY, all_links, nav_link};
use waystation_catalog::sphere::LatLon;

// ---------------------------------------------------------------------------------------------
// The stations

struct Stop {
    what: &'static str,
    at: LatLon,
    name: &'static str,
}

const STOPS: [Stop; 4] = [
    // Beijing railway station. Its WGS-84 → GCJ-02 pair (39.90105, 116.42079) →
    // (39.90245, 116.42703) is the published example of the R package geoChina's `wgs2gcj`.
    Stop {
        what: "Beijing",
        at: LatLon {
            lat: 39.90105,
            lon: 116.42079,
        },
        name: "北京站 司机之家",
    },
    Stop {
        what: "Urumqi",
        at: LatLon {
            lat: 43.825592,
            lon: 87.616848,
        },
        name: "乌鲁木齐 司机之家 #3 & 热水|淋浴, 24h: 是 (G30) 50%",
    },
    // Tashkent: west of the GCJ-02 zone's box, so no offset applies.
    Stop {
        what: "Tashkent",
        at: LatLon {
            lat: 41.311081,
            lon: 69.240562,
        },
        name: "Toshkent truck stop #2 & café",
    },
    // A name that is nothing but separators.
    Stop {
        what: "Beijing, separators only",
        at: LatLon {
            lat: 39.90105,
            lon: 116.42079,
        },
        name: "&|#,:;=?/()+% ",
    },
];

// ---------------------------------------------------------------------------------------------
// The table

#[derive(Debug, Clone, Copy, PartialEq)]
enum Platform {
    Android,
    Ios,
    /// A browser on a desktop.
    Web,
    /// One https link for every platform (the app opens it where installed).
    Every,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Datum {
    Wgs84,
    Gcj02,
}

/// What a parameter's raw (still percent-encoded) value must be.
#[derive(Debug)]
enum Value {
    /// Exactly this, as the documentation fixes it (a mode, a flag, a coordinate type).
    Is(&'static str),
    /// This shape: `{lat}`, `{lon}` and `{name}` are filled in, everything else is literal.
    /// Separators the app parses (`,` `|` `:` `(`) must appear only where the shape puts them,
    /// so a name that contains them must arrive percent-encoded.
    Shape(&'static str),
    /// The caller's name, free-form but present.
    AppName,
    /// Baidu's `src`: this prefix, then `companyName.appName`.
    BaiduSrc(&'static str),
    /// Tencent's app `referer`: documented as the developer key.
    TencentKey,
}

use Value::{AppName, BaiduSrc, Is, Shape, TencentKey};

struct Row {
    app: App,
    platform: Platform,
    /// Where the facts come from.
    doc: &'static str,
    scheme: &'static str,
    /// The authority after `//`, or None for `scheme:path` URIs.
    host: Option<&'static str>,
    /// The path, a shape like [`Value::Shape`] (`geo:` carries the position there).
    path: &'static str,
    datum: Datum,
    /// Every query parameter sent, no more and no fewer.
    params: &'static [(&'static str, Value)],
}

const ROWS: &[Row] = &[
    // 高德 Amap: "dev 起终点是否偏移(0:lat和lon是已经加密后的,不需要国测加密)"; "t = 0(驾车)";
    // sourceApplication "为了保障对您的服务,请务必填写".
    Row {
        app: App::Amap,
        platform: Platform::Android,
        doc: "https://lbs.amap.com/api/amap-mobile/guide/android/route",
        scheme: "amapuri",
        host: Some("route"),
        path: "/plan/",
        datum: Datum::Gcj02,
        params: &[
            ("sourceApplication", AppName),
            ("dlat", Shape("{lat}")),
            ("dlon", Shape("{lon}")),
            ("dname", Shape("{name}")),
            ("dev", Is("0")),
            ("t", Is("0")),
        ],
    },
    // "高德地图注册 scheme:iosamap" (…/ios/ios-uri-information); the route is `iosamap://path`.
    Row {
        app: App::Amap,
        platform: Platform::Ios,
        doc: "https://lbs.amap.com/api/amap-mobile/guide/ios/route",
        scheme: "iosamap",
        host: Some("path"),
        path: "",
        datum: Datum::Gcj02,
        params: &[
            ("sourceApplication", AppName),
            ("dlat", Shape("{lat}")),
            ("dlon", Shape("{lon}")),
            ("dname", Shape("{name}")),
            ("dev", Is("0")),
            ("t", Is("0")),
        ],
    },
    // "to 终点经纬度坐标, 格式为: position=lon,lat[,name]"; "驾车:mode=car"; callnative=1 tries
    // the app; coordinates default to 高德坐标 (GCJ-02).
    Row {
        app: App::Amap,
        platform: Platform::Web,
        doc: "https://lbs.amap.com/api/uri-api/guide/travel/route",
        scheme: "https",
        host: Some("uri.amap.com"),
        path: "/navigation",
        datum: Datum::Gcj02,
        params: &[
            ("to", Shape("{lon},{lat},{name}")),
            ("mode", Is("car")),
            ("callnative", Is("1")),
            ("src", AppName),
        ],
    },
    // 百度 Baidu: destination "name:天安门|latlng:39.98871,116.43234 (注意:坐标先纬度,后经度)";
    // coord_type "如用户使用的坐标类型为gcj02…则必须传递此参数值"; src "andr.companyName.appName".
    Row {
        app: App::Baidu,
        platform: Platform::Android,
        doc: "https://lbsyun.baidu.com/docs/webapi?title=mapadjustment/uri/andriod",
        scheme: "baidumap",
        host: Some("map"),
        path: "/direction",
        datum: Datum::Gcj02,
        params: &[
            ("destination", Shape("name:{name}|latlng:{lat},{lon}")),
            ("coord_type", Is("gcj02")),
            ("mode", Is("driving")),
            ("src", BaiduSrc("andr.")),
        ],
    },
    // The iOS document gives the same `baidumap://map/direction` and the same src format.
    Row {
        app: App::Baidu,
        platform: Platform::Ios,
        doc: "https://lbsyun.baidu.com/docs/webapi?title=mapadjustment/uri/ios",
        scheme: "baidumap",
        host: Some("map"),
        path: "/direction",
        datum: Datum::Gcj02,
        params: &[
            ("destination", Shape("name:{name}|latlng:{lat},{lon}")),
            ("coord_type", Is("gcj02")),
            ("mode", Is("driving")),
            ("src", BaiduSrc("andr.")),
        ],
    },
    // The web direction page makes `origin` 必选, which a per-station link cannot know, so
    // the web link is the marker page: location "lat<纬度>,lng<经度>", title, content,
    // output "web上必须指定为html", src "webapp.companyName.appName", all 必选.
    Row {
        app: App::Baidu,
        platform: Platform::Web,
        doc: "https://lbsyun.baidu.com/docs/webapi?title=mapadjustment/uri/web",
        scheme: "https",
        host: Some("api.map.baidu.com"),
        path: "/marker",
        datum: Datum::Gcj02,
        params: &[
            ("location", Shape("{lat},{lon}")),
            ("title", Shape("{name}")),
            ("content", Shape("{name}")),
            ("output", Is("html")),
            ("coord_type", Is("gcj02")),
            ("src", BaiduSrc("webapp.")),
        ],
    },
    // 腾讯 Tencent (Android, iOS): type 必填 "驾车:drive"; fromcoord 必填, "CurrentLocation:使用
    // 定位点作为起点坐标"; tocoord 必填 "lat,lng (纬度在前,经度在后)"; referer 必填 "请填写开发者key".
    Row {
        app: App::Tencent,
        platform: Platform::Android,
        doc: "https://lbs.qq.com/webApi/uriV1/uriGuide/uriMobileRoute",
        scheme: "qqmap",
        host: Some("map"),
        path: "/routeplan",
        datum: Datum::Gcj02,
        params: &[
            ("type", Is("drive")),
            ("fromcoord", Is("CurrentLocation")),
            ("to", Shape("{name}")),
            ("tocoord", Shape("{lat},{lon}")),
            ("referer", TencentKey),
        ],
    },
    Row {
        app: App::Tencent,
        platform: Platform::Ios,
        doc: "https://lbs.qq.com/webApi/uriV1/uriGuide/uriMobileRoute",
        scheme: "qqmap",
        host: Some("map"),
        path: "/routeplan",
        datum: Datum::Gcj02,
        params: &[
            ("type", Is("drive")),
            ("fromcoord", Is("CurrentLocation")),
            ("to", Shape("{name}")),
            ("tocoord", Shape("{lat},{lon}")),
            ("referer", TencentKey),
        ],
    },
    // Web: "coord_type 2 腾讯坐标(默认)"; referer "调用来源,一般为您的应用名称".
    Row {
        app: App::Tencent,
        platform: Platform::Web,
        doc: "https://lbs.qq.com/webApi/uriV1/uriGuide/uriWebRoute",
        scheme: "https",
        host: Some("apis.map.qq.com"),
        path: "/uri/v1/routeplan",
        datum: Datum::Gcj02,
        params: &[
            ("type", Is("drive")),
            ("to", Shape("{name}")),
            ("tocoord", Shape("{lat},{lon}")),
            ("coord_type", Is("2")),
            ("referer", AppName),
        ],
    },
    // Apple Map Links: daddr "only the daddr parameter is required"; dirflg "d (by car)";
    // map links are http(s) links, not a "maps" scheme. No datum documented; WGS-84 is sent.
    Row {
        app: App::Apple,
        platform: Platform::Every,
        doc: "https://developer.apple.com/library/archive/featuredarticles/iPhoneURLScheme_Reference/MapLinks/MapLinks.html",
        scheme: "https",
        host: Some("maps.apple.com"),
        path: "/",
        datum: Datum::Wgs84,
        params: &[("daddr", Shape("{lat},{lon}")), ("dirflg", Is("d"))],
    },
    // Google Maps URLs: "api=1 … required in every request"; destination "comma-separated
    // latitude/longitude coordinates"; "You must encode the comma as %2C"; travelmode
    // "driving". Its road map of mainland China is GCJ-02 data, so that is what is sent.
    Row {
        app: App::Google,
        platform: Platform::Every,
        doc: "https://developers.google.com/maps/documentation/urls/get-started#directions-action",
        scheme: "https",
        host: Some("www.google.com"),
        path: "/maps/dir/",
        datum: Datum::Gcj02,
        params: &[
            ("api", Is("1")),
            ("destination", Shape("{lat}%2C{lon}")),
            ("travelmode", Is("driving")),
        ],
    },
    // RFC 5870: "geo:" lat "," lon, CRS WGS-84 by default; the label form `q=lat,lng(label)`
    // is Google's Android geo intent.
    Row {
        app: App::Geo,
        platform: Platform::Android,
        doc: "https://www.rfc-editor.org/rfc/rfc5870",
        scheme: "geo",
        host: None,
        path: "{lat},{lon}",
        datum: Datum::Wgs84,
        params: &[("q", Shape("{lat},{lon}({name})"))],
    },
];

// ---------------------------------------------------------------------------------------------
// Taking a URL apart

struct Parts<'a> {
    scheme: &'a str,
    host: Option<&'a str>,
    path: &'a str,
    query: Vec<(&'a str, &'a str)>,
}

fn parts(url: &str) -> Parts<'_> {
    assert!(
        url.bytes().all(|b| b.is_ascii_graphic()),
        "a raw space, control or non-ASCII byte in {url}"
    );
    assert!(!url.contains('#'), "a raw '#' ends the URL early: {url}");
    let (scheme, rest) = url.split_once(':').expect("a scheme");
    let (hier, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (host, path) = match hier.strip_prefix("//") {
        Some(h) => match h.find('/') {
            Some(i) => (Some(&h[..i]), &h[i..]),
            None => (Some(h), ""),
        },
        None => (None, hier),
    };
    let query = if query.is_empty() {
        Vec::new()
    } else {
        query
            .split('&')
            .map(|pair| {
                pair.split_once('=')
                    .unwrap_or_else(|| panic!("{pair:?} has no '=' in {url}"))
            })
            .collect()
    };
    Parts {
        scheme,
        host,
        path,
        query,
    }
}

/// Matches `raw` against a shape, returning the raw text of each placeholder.
fn fill<'a>(shape: &str, raw: &'a str) -> Option<Vec<(&'static str, &'a str)>> {
    // Split the shape into literals and placeholders.
    let mut tokens: Vec<Result<&'static str, &str>> = Vec::new();
    let mut rest = shape;
    while !rest.is_empty() {
        match ["{lat}", "{lon}", "{name}"]
            .iter()
            .filter_map(|p| rest.find(p).map(|i| (i, *p)))
            .min()
        {
            Some((0, p)) => {
                tokens.push(Ok(&p[1..p.len() - 1]));
                rest = &rest[p.len()..];
            }
            Some((i, _)) => {
                tokens.push(Err(&rest[..i]));
                rest = &rest[i..];
            }
            None => {
                tokens.push(Err(rest));
                rest = "";
            }
        }
    }
    let mut out = Vec::new();
    let mut raw_rest = raw;
    for (i, token) in tokens.iter().enumerate() {
        match token {
            Err(literal) => raw_rest = raw_rest.strip_prefix(literal)?,
            Ok(placeholder) => {
                let end = match tokens.get(i + 1) {
                    Some(Err(next)) => raw_rest.find(next)?,
                    _ => raw_rest.len(),
                };
                out.push((*placeholder, &raw_rest[..end]));
                raw_rest = &raw_rest[end..];
            }
        }
    }
    raw_rest.is_empty().then_some(out)
}

/// RFC 3986 unreserved characters and %XX escapes only: nothing the app could split on.
fn is_encoded_component(raw: &str) -> bool {
    let b = raw.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                if i + 2 >= b.len()
                    || !(b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit())
                {
                    return false;
                }
                i += 3;
            }
            c if c.is_ascii_alphanumeric() || b"-_.~".contains(&c) => i += 1,
            _ => return false,
        }
    }
    true
}

fn decode(raw: &str) -> String {
    percent_decode_str(raw)
        .decode_utf8()
        .expect("UTF-8 after decoding")
        .into_owned()
}

// ---------------------------------------------------------------------------------------------
// Checking a link against its row

fn expected(datum: Datum, at: LatLon) -> LatLon {
    match datum {
        Datum::Wgs84 => Crs::Wgs84.from_wgs84(at),
        Datum::Gcj02 => Crs::Gcj02.from_wgs84(at),
    }
}

/// Six decimals are sent: within half a unit of the sixth decimal.
const SENT: f64 = 0.000_000_51;

fn check_shape(
    row: &Row,
    stop: &Stop,
    url: &str,
    what: &str,
    shape: &str,
    raw: &str,
) -> (bool, bool) {
    let filled = fill(shape, raw).unwrap_or_else(|| {
        panic!(
            "{:?} {:?} {}: {what} = {raw:?} is not shaped {shape:?}\n  {url}\n  ({})",
            row.app, row.platform, stop.what, row.doc
        )
    });
    let want = expected(row.datum, stop.at);
    let (mut lat, mut lon) = (false, false);
    for (placeholder, piece) in filled {
        match placeholder {
            "lat" | "lon" => {
                let got: f64 = piece
                    .parse()
                    .unwrap_or_else(|_| panic!("{what}: {piece:?} is not a number in {url}"));
                let (want, axis) = if placeholder == "lat" {
                    lat = true;
                    (want.lat, "latitude")
                } else {
                    lon = true;
                    (want.lon, "longitude")
                };
                assert!(
                    (got - want).abs() <= SENT,
                    "{:?} {:?} {}: {what} {axis} {got} is not {want:.6} ({:?})\n  {url}\n  ({})",
                    row.app,
                    row.platform,
                    stop.what,
                    row.datum,
                    row.doc
                );
            }
            "name" => {
                assert!(
                    is_encoded_component(piece),
                    "{:?} {:?}: the name in {what} is not fully percent-encoded: {piece:?}\n  {url}",
                    row.app,
                    row.platform
                );
                assert_eq!(
                    decode(piece),
                    stop.name,
                    "{:?} {:?}: {what} does not carry the name\n  {url}",
                    row.app,
                    row.platform
                );
            }
            other => unreachable!("{other}"),
        }
    }
    (lat, lon)
}

fn check(row: &Row, stop: &Stop, url: &str) {
    let p = parts(url);
    let at = |field: &str| {
        format!(
            "{:?} {:?} {}: {field} of {url}\n  ({})",
            row.app, row.platform, stop.what, row.doc
        )
    };
    assert_eq!(p.scheme, row.scheme, "{}", at("scheme"));
    assert_eq!(p.host, row.host, "{}", at("host"));
    let (mut lat, mut lon) = check_shape(row, stop, url, "path", row.path, p.path);

    let sent: Vec<&str> = p.query.iter().map(|(k, _)| *k).collect();
    let unique: BTreeSet<&str> = sent.iter().copied().collect();
    assert_eq!(unique.len(), sent.len(), "{}", at("a repeated parameter"));
    let documented: BTreeSet<&str> = row.params.iter().map(|(k, _)| *k).collect();
    assert_eq!(unique, documented, "{}", at("the parameter names"));

    for (name, value) in row.params {
        let raw = p
            .query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| *v)
            .unwrap();
        match value {
            Is(fixed) => assert_eq!(raw, *fixed, "{}", at(name)),
            Shape(shape) => {
                let (la, lo) = check_shape(row, stop, url, name, shape, raw);
                lat |= la;
                lon |= lo;
            }
            AppName => assert!(!raw.is_empty() && is_encoded_component(raw), "{}", at(name)),
            BaiduSrc(prefix) => {
                let rest = raw
                    .strip_prefix(prefix)
                    .unwrap_or_else(|| panic!("{}", at(name)));
                let words: Vec<&str> = rest.split('.').collect();
                assert!(
                    words.len() == 2 && words.iter().all(|w| !w.is_empty()),
                    "{} is not {prefix}companyName.appName",
                    at(name)
                );
            }
            TencentKey => {
                assert!(!TENCENT_KEY.is_empty(), "{}", at(name));
                assert_eq!(decode(raw), TENCENT_KEY, "{}", at(name));
            }
        }
    }
    assert!(lat && lon, "{}", at("the coordinates (none found)"));
}

/// The link a platform follows, as the row says.
fn link_for(link: &NavLink, platform: Platform) -> Option<&str> {
    match platform {
        Platform::Android => Some(&link.url),
        Platform::Ios => Some(link.ios.as_deref().unwrap_or(&link.url)),
        Platform::Web => link.web.as_deref(),
        Platform::Every => Some(&link.url),
    }
}

// ---------------------------------------------------------------------------------------------
// The tests

#[test]
fn every_link_matches_its_apps_documentation() {
    for stop in &STOPS {
        for row in ROWS {
            let link = nav_link(row.app, stop.at, stop.name);
            let url = link_for(&link, row.platform).unwrap_or_else(|| {
                panic!("{:?} has no {:?} link ({})", row.app, row.platform, row.doc)
            });
            check(row, stop, url);
        }
    }
}

#[test]
fn every_link_an_app_produces_has_a_row() {
    let has =
        |app: App, platform: Platform| ROWS.iter().any(|r| r.app == app && r.platform == platform);
    for app in App::ALL {
        let link = nav_link(app, STOPS[0].at, STOPS[0].name);
        assert_eq!(link.app, app);
        if has(app, Platform::Every) {
            // One https link for every platform: nothing platform-specific beside it.
            assert!(link.ios.is_none() && link.web.is_none(), "{app:?}");
            continue;
        }
        assert!(
            has(app, Platform::Android),
            "{app:?}: no row for its app link"
        );
        // An iOS row without an iOS link checks `url` as iOS follows it; an iOS link needs one.
        assert!(
            link.ios.is_none() || has(app, Platform::Ios),
            "{app:?}: no row for its iOS link"
        );
        assert_eq!(
            link.web.is_some(),
            has(app, Platform::Web),
            "{app:?}: web link and row"
        );
    }
}

#[test]
fn the_stations_test_the_datum() {
    // An independent anchor for the conversion the rows rely on (geoChina's example pair).
    let beijing = Crs::Gcj02.from_wgs84(STOPS[0].at);
    assert!((beijing.lat - 39.90245).abs() < 1e-5, "{beijing:?}");
    assert!((beijing.lon - 116.42703).abs() < 1e-5, "{beijing:?}");
    // Inside China the datums differ by far more than the six decimals sent, so a link in
    // the wrong datum cannot pass; outside the zone they coincide.
    for stop in &STOPS {
        let (w, g) = (stop.at, Crs::Gcj02.from_wgs84(stop.at));
        let apart = ((w.lat - g.lat).abs()).max((w.lon - g.lon).abs());
        if in_china_offset_zone(stop.at) {
            assert!(apart > 0.001, "{}: {apart}", stop.what);
        } else {
            assert_eq!((w.lat, w.lon), (g.lat, g.lon), "{}", stop.what);
        }
    }
    assert!(STOPS.iter().any(|s| !in_china_offset_zone(s.at)));
}

#[test]
fn all_links_is_one_link_per_app_in_display_order() {
    let links = all_links(STOPS[1].at, STOPS[1].name);
    let apps: Vec<App> = links.iter().map(|l| l.app).collect();
    assert_eq!(apps, App::ALL.to_vec());
    for link in links {
        assert_eq!(link, nav_link(link.app, STOPS[1].at, STOPS[1].name));
    }
}

// ---------------------------------------------------------------------------------------------
// The opener's allow-list

/// The URL patterns every capability file gives `opener:allow-open-url`.
fn allowed() -> Vec<String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../src-tauri/capabilities");
    let mut patterns = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(files.iter().any(|f| f.ends_with("default.json")));
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let json: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for permission in json["permissions"].as_array().into_iter().flatten() {
            if permission["identifier"] != "opener:allow-open-url" {
                continue;
            }
            for entry in permission["allow"].as_array().expect("an allow list") {
                let url = entry["url"].as_str().expect("a url pattern");
                patterns.push(url.to_string());
            }
        }
    }
    assert!(!patterns.is_empty(), "no opener:allow-open-url entries");
    patterns
}

/// The opener matches with `glob::Pattern::matches` (default options, so `*` also crosses
/// `/`). For a pattern that is a literal prefix and one trailing `*`, that is a prefix test;
/// the test insists every pattern has that form, so the approximation is exact.
fn prefix_of(pattern: &str) -> &str {
    let prefix = pattern
        .strip_suffix('*')
        .unwrap_or_else(|| panic!("{pattern:?} does not end in '*'"));
    assert!(
        !prefix.contains(['*', '?', '[', ']', '{', '}', '!']),
        "{pattern:?} is more than a prefix and a trailing '*'"
    );
    prefix
}

fn every_generated_link() -> Vec<String> {
    let mut out = Vec::new();
    for stop in &STOPS {
        for link in all_links(stop.at, stop.name) {
            out.push(link.url.clone());
            out.extend(link.ios.clone());
            out.extend(link.web.clone());
        }
    }
    out
}

#[test]
fn every_link_is_in_the_openers_allow_list() {
    let patterns = allowed();
    for url in every_generated_link() {
        assert!(
            patterns.iter().any(|p| url.starts_with(prefix_of(p))),
            "not allowed by the opener: {url}\n  allow-list: {patterns:?}"
        );
    }
}

#[test]
fn the_allow_list_names_nothing_the_links_do_not_use() {
    let links = every_generated_link();
    for pattern in allowed() {
        if pattern == "tel:*" {
            continue; // the station's phone number, not a map app
        }
        let prefix = prefix_of(&pattern);
        assert!(
            links.iter().any(|l| l.starts_with(prefix)),
            "{pattern:?} is allowed but no link uses it"
        );
    }
}
