//! Hand-off to navigation apps. Each app gets coordinates in the datum it expects (GCJ-02 for
//! Amap, Tencent and Baidu with `coord_type=gcj02`; WGS-84 for Apple, Google and `geo:`), with
//! the station name percent-encoded. Parameter names follow each app's published URI API.

use std::fmt;
use std::str::FromStr;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;

use crate::crs::wgs84_to_gcj02;
use crate::model::{Lang, UnknownId};
use crate::sphere::LatLon;

/// The name of this app as the map apps' `src`/`referer`/`sourceApplication` parameters want it.
const SOURCE: &str = "waystation";

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

/// A navigation hand-off: `url` opens the app (on a phone), `web` is the browser fallback
/// where the app publishes one (it also offers to open the app).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct NavLink {
    pub app: App,
    pub url: String,
    pub web: Option<String>,
}

/// Six decimals: about 0.1 m, finer than any map app resolves.
fn deg(x: f64) -> String {
    format!("{x:.6}")
}

/// Driving directions to `to` (WGS-84) named `name`, for one app.
pub fn nav_link(app: App, to: LatLon, name: &str) -> NavLink {
    let name = utf8_percent_encode(name, COMPONENT).to_string();
    let gcj = wgs84_to_gcj02(to);
    let (glat, glon) = (deg(gcj.lat), deg(gcj.lon));
    let (wlat, wlon) = (deg(to.lat), deg(to.lon));
    let (url, web) = match app {
        App::Amap => (
            format!("amapuri://route/plan/?dlat={glat}&dlon={glon}&dname={name}&dev=0&t=0"),
            Some(format!(
                "https://uri.amap.com/navigation?to={glon},{glat},{name}&mode=car&callnative=1&src={SOURCE}"
            )),
        ),
        App::Baidu => (
            format!(
                "baidumap://map/direction?destination=latlng:{glat},{glon}|name:{name}&coord_type=gcj02&mode=driving&src={SOURCE}"
            ),
            Some(format!(
                "https://api.map.baidu.com/direction?destination=latlng:{glat},{glon}|name:{name}&coord_type=gcj02&mode=driving&output=html&src={SOURCE}"
            )),
        ),
        App::Tencent => (
            format!(
                "qqmap://map/routeplan?type=drive&to={name}&tocoord={glat},{glon}&referer={SOURCE}"
            ),
            Some(format!(
                "https://apis.map.qq.com/uri/v1/routeplan?type=drive&to={name}&tocoord={glat},{glon}&referer={SOURCE}"
            )),
        ),
        App::Apple => (
            format!("https://maps.apple.com/?daddr={wlat},{wlon}&dirflg=d"),
            None,
        ),
        App::Google => (
            format!(
                "https://www.google.com/maps/dir/?api=1&destination={wlat},{wlon}&travelmode=driving"
            ),
            None,
        ),
        App::Geo => (format!("geo:{wlat},{wlon}?q={wlat},{wlon}({name})"), None),
    };
    NavLink { app, url, web }
}

/// Links for every app, in display order.
pub fn all_links(to: LatLon, name: &str) -> Vec<NavLink> {
    App::ALL
        .into_iter()
        .map(|app| nav_link(app, to, name))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Shenzhen Civic Centre, WGS-84; its GCJ-02 position (22.540810, 114.063053) was checked
    // against the independent `eviltransform` package in crs.rs.
    const TO: LatLon = LatLon {
        lat: 22.543527,
        lon: 114.057939,
    };
    const NAME: &str = "福田 驿站&1";
    const ENCODED: &str = "%E7%A6%8F%E7%94%B0%20%E9%A9%BF%E7%AB%99%261";

    #[test]
    fn exact_links_per_app() {
        let link = |app| nav_link(app, TO, NAME);
        assert_eq!(
            link(App::Amap).url,
            format!(
                "amapuri://route/plan/?dlat=22.540810&dlon=114.063053&dname={ENCODED}&dev=0&t=0"
            )
        );
        assert_eq!(
            link(App::Amap).web.unwrap(),
            format!(
                "https://uri.amap.com/navigation?to=114.063053,22.540810,{ENCODED}&mode=car&callnative=1&src=waystation"
            )
        );
        assert_eq!(
            link(App::Baidu).url,
            format!(
                "baidumap://map/direction?destination=latlng:22.540810,114.063053|name:{ENCODED}&coord_type=gcj02&mode=driving&src=waystation"
            )
        );
        assert_eq!(
            link(App::Tencent).url,
            format!(
                "qqmap://map/routeplan?type=drive&to={ENCODED}&tocoord=22.540810,114.063053&referer=waystation"
            )
        );
        assert_eq!(
            link(App::Apple).url,
            "https://maps.apple.com/?daddr=22.543527,114.057939&dirflg=d"
        );
        assert_eq!(
            link(App::Google).url,
            "https://www.google.com/maps/dir/?api=1&destination=22.543527,114.057939&travelmode=driving"
        );
        assert_eq!(
            link(App::Geo).url,
            format!("geo:22.543527,114.057939?q=22.543527,114.057939({ENCODED})")
        );
    }

    #[test]
    fn outside_china_every_app_gets_the_same_coordinates() {
        let tokyo = LatLon {
            lat: 35.68,
            lon: 139.76,
        };
        assert!(
            nav_link(App::Amap, tokyo, "x")
                .url
                .contains("dlat=35.680000&dlon=139.760000")
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
