//! Hand-off to navigation apps, each link built as that app documents it (sources per app in
//! [`nav_link`]). Every app gets the coordinates in the datum its map is drawn in: GCJ-02 for
//! Amap, Tencent, Baidu (declared with `coord_type=gcj02`) and Google (its road map of mainland
//! China is GCJ-02); WGS-84 for Apple and `geo:` (RFC 5870's default). The station name is
//! percent-encoded, so its spaces, `&`, `|`, `#`, `,` and Chinese characters stay inside their
//! parameter. Outside the GCJ-02 zone the two datums coincide.
//!
//! The opener's allow-list (`src-tauri/capabilities/default.json`) names exactly the schemes
//! and hosts these links use; `tests/links.rs` checks both ways.

use std::fmt;
use std::str::FromStr;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;

use crate::crs::wgs84_to_gcj02;
use crate::lang::{Lang, UnknownId};
use crate::sphere::LatLon;

/// This app's name, where a map app asks for the caller's name: Amap's `sourceApplication`
/// and `src`, Tencent's web `referer` ("调用来源,一般为您的应用名称").
const SOURCE: &str = "waystation";

/// Baidu's `src` in its app links. Baidu's Android and iOS URI documents both give the format
/// `andr.companyName.appName` ("必选 … 不传此参数,不保证服务").
const BAIDU_SRC_APP: &str = "andr.waystation.waystation";

/// Baidu's `src` in its web links: `webapp.companyName.appName` (Baidu's web URI document).
const BAIDU_SRC_WEB: &str = "webapp.waystation.waystation";

/// Tencent's `referer` in `qqmap://` links. Tencent's app URI document marks it 必填 and says
/// "请填写开发者key": a developer key from the Tencent location-service console
/// (lbs.qq.com), not a free-form name. Waystation has no registered key yet, so unless one is
/// given at build time (`WAYSTATION_TENCENT_KEY=…`) this is the app's name, which Tencent's
/// web URI document accepts for its `referer` but the app document does not promise to.
pub const TENCENT_KEY: &str = match option_env!("WAYSTATION_TENCENT_KEY") {
    Some(key) => key,
    None => SOURCE,
};

/// RFC 3986 unreserved characters stay; everything else is percent-encoded.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum App {
    Amap,
    Baidu,
    Tencent,
    Apple,
    Google,
    Geo,
}

impl App {
    pub const ALL: [App; 6] = [
        App::Amap,
        App::Baidu,
        App::Tencent,
        App::Apple,
        App::Google,
        App::Geo,
    ];

    pub fn id(self) -> &'static str {
        match self {
            App::Amap => "amap",
            App::Baidu => "baidu",
            App::Tencent => "tencent",
            App::Apple => "apple",
            App::Google => "google",
            App::Geo => "geo",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (App::Amap, Lang::Zh) => "高德地图",
            (App::Amap, Lang::En) => "Amap",
            (App::Baidu, Lang::Zh) => "百度地图",
            (App::Baidu, Lang::En) => "Baidu Maps",
            (App::Tencent, Lang::Zh) => "腾讯地图",
            (App::Tencent, Lang::En) => "Tencent Maps",
            (App::Apple, Lang::Zh) => "Apple 地图",
            (App::Apple, Lang::En) => "Apple Maps",
            (App::Google, Lang::Zh) => "Google 地图",
            (App::Google, Lang::En) => "Google Maps",
            (App::Geo, Lang::Zh) => "系统地图",
            (App::Geo, Lang::En) => "System map",
        }
    }
}

impl FromStr for App {
    type Err = UnknownId;
    fn from_str(s: &str) -> Result<App, UnknownId> {
        App::ALL
            .into_iter()
            .find(|a| a.id() == s.trim())
            .ok_or_else(|| UnknownId {
                what: "map app",
                given: s.to_string(),
                accepted: App::ALL.map(App::id).join(", "),
            })
    }
}

impl fmt::Display for App {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A navigation hand-off. `url` opens the app on Android (and on iOS too unless `ios` is
/// set); `ios` is the iOS link where the app registers a different scheme there (Amap:
/// `iosamap://`); `web` is the browser page where the app publishes one (for desktops; it
/// offers to open the app on a phone). Apple's and Google's links are https and serve every
/// platform, so they have neither; `geo:` is Android's system chooser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct NavLink {
    pub app: App,
    pub url: String,
    pub ios: Option<String>,
    pub web: Option<String>,
}

/// Six decimals: about 0.1 m, finer than any map app resolves.
fn deg(x: f64) -> String {
    format!("{x:.6}")
}

/// Driving directions to `to` (WGS-84) named `name`, for one app.
///
/// What each app documents, and what is sent:
/// - Amap, Android (lbs.amap.com/api/amap-mobile/guide/android/route):
///   `amapuri://route/plan/?sourceApplication=&dlat=&dlon=&dname=&dev=0&t=0`; `dev=0` says the
///   coordinates are already GCJ-02, `t=0` is driving, `sourceApplication` "请务必填写".
///   iOS (…/guide/ios/route, …/guide/ios/ios-uri-information: "高德地图注册 scheme:iosamap"):
///   `iosamap://path?` with the same parameters. Web (lbs.amap.com/api/uri-api/guide/travel/route):
///   `https://uri.amap.com/navigation?to=lon,lat,name&mode=car&callnative=1&src=`, longitude
///   first, GCJ-02 (the URI API's default coordinate system).
/// - Baidu, Android and iOS (lbsyun.baidu.com URI docs, "andriod" and "ios"):
///   `baidumap://map/direction?destination=name:…|latlng:lat,lng&coord_type=gcj02&mode=driving&src=`;
///   without `coord_type` Baidu reads BD-09, without `origin` it starts at the user's position.
///   Web: the documented `api.map.baidu.com/direction` makes `origin` 必选 everywhere, and a
///   station's links carry no user position (they are the same for every viewer and cached
///   with the station), so the web link is the documented marker page instead,
///   `api.map.baidu.com/marker?location=lat,lng&title=&content=&output=html&coord_type=gcj02&src=`,
///   whose required parameters are all known; its page offers the route from there.
/// - Tencent, Android and iOS (lbs.qq.com/webApi/uriV1/uriGuide/uriMobileRoute):
///   `qqmap://map/routeplan?type=drive&fromcoord=CurrentLocation&to=&tocoord=lat,lng&referer=`;
///   `fromcoord` and `referer` are 必填 (see [`TENCENT_KEY`]). Web (…/uriWebRoute):
///   `apis.map.qq.com/uri/v1/routeplan?type=drive&to=&tocoord=lat,lng&coord_type=2&referer=`,
///   `coord_type=2` being Tencent's own (GCJ-02) coordinates.
/// - Apple (developer.apple.com Map Links): `https://maps.apple.com/?daddr=lat,lng&dirflg=d`;
///   "map URLs do not start with a 'maps' scheme identifier" but are http(s) links. Apple
///   documents no datum; WGS-84 is sent, as DESIGN.md §4 has it (not verified in China).
/// - Google (developers.google.com/maps/documentation/urls/get-started#directions-action):
///   `https://www.google.com/maps/dir/?api=1&destination=lat%2Clng&travelmode=driving`; `api=1`
///   is required and the comma "must" be encoded as `%2C`. Google documents no datum, but its
///   road map of mainland China is drawn from Chinese (GCJ-02) data, and a route ends on that
///   map's roads, so the destination is sent in GCJ-02 (WGS-84 would land 100–700 m off).
/// - `geo:` (RFC 5870): `geo:lat,lon` in WGS-84, the default CRS; `?q=lat,lon(name)` is the
///   label form of Google's Android geo intents.
pub fn nav_link(app: App, to: LatLon, name: &str) -> NavLink {
    let name = utf8_percent_encode(name, COMPONENT).to_string();
    let gcj = wgs84_to_gcj02(to);
    let (glat, glon) = (deg(gcj.lat), deg(gcj.lon));
    let (wlat, wlon) = (deg(to.lat), deg(to.lon));
    match app {
        App::Amap => {
            let query = format!(
                "sourceApplication={SOURCE}&dlat={glat}&dlon={glon}&dname={name}&dev=0&t=0"
            );
            NavLink {
                app,
                url: format!("amapuri://route/plan/?{query}"),
                ios: Some(format!("iosamap://path?{query}")),
                web: Some(format!(
                    "https://uri.amap.com/navigation?to={glon},{glat},{name}&mode=car&callnative=1&src={SOURCE}"
                )),
            }
        }
        App::Baidu => NavLink {
            app,
            url: format!(
                "baidumap://map/direction?destination=name:{name}|latlng:{glat},{glon}&coord_type=gcj02&mode=driving&src={BAIDU_SRC_APP}"
            ),
            ios: None,
            web: Some(format!(
                "https://api.map.baidu.com/marker?location={glat},{glon}&title={name}&content={name}&output=html&coord_type=gcj02&src={BAIDU_SRC_WEB}"
            )),
        },
        App::Tencent => {
            let key = utf8_percent_encode(TENCENT_KEY, COMPONENT);
            NavLink {
                app,
                url: format!(
                    "qqmap://map/routeplan?type=drive&fromcoord=CurrentLocation&to={name}&tocoord={glat},{glon}&referer={key}"
                ),
                ios: None,
                web: Some(format!(
                    "https://apis.map.qq.com/uri/v1/routeplan?type=drive&to={name}&tocoord={glat},{glon}&coord_type=2&referer={SOURCE}"
                )),
            }
        }
        App::Apple => NavLink {
            app,
            url: format!("https://maps.apple.com/?daddr={wlat},{wlon}&dirflg=d"),
            ios: None,
            web: None,
        },
        App::Google => NavLink {
            app,
            url: format!(
                "https://www.google.com/maps/dir/?api=1&destination={glat}%2C{glon}&travelmode=driving"
            ),
            ios: None,
            web: None,
        },
        App::Geo => NavLink {
            app,
            url: format!("geo:{wlat},{wlon}?q={wlat},{wlon}({name})"),
            ios: None,
            web: None,
        },
    }
}

/// Links for every app, in display order.
pub fn all_links(to: LatLon, name: &str) -> Vec<NavLink> {
    App::ALL
        .into_iter()
        .map(|app| nav_link(app, to, name))
        .collect()
}

// The links themselves are checked against each app's documentation, table-driven, in
// tests/links.rs (with the opener's allow-list).
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_the_offset_zone_every_app_gets_the_same_coordinates() {
        let tashkent = LatLon {
            lat: 41.311081,
            lon: 69.240562,
        };
        for link in all_links(tashkent, "x") {
            for url in [Some(&link.url), link.ios.as_ref(), link.web.as_ref()]
                .into_iter()
                .flatten()
            {
                assert!(url.contains("41.311081"), "{url}");
                assert!(url.contains("69.240562"), "{url}");
            }
        }
    }

    #[test]
    fn the_tencent_key_is_a_url_safe_token() {
        assert!(!TENCENT_KEY.is_empty());
        assert!(
            TENCENT_KEY
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
    }

    #[test]
    fn app_ids_parse() {
        assert_eq!("tencent".parse::<App>(), Ok(App::Tencent));
        assert!(
            "waze"
                .parse::<App>()
                .unwrap_err()
                .to_string()
                .contains("amap, baidu")
        );
    }
}
