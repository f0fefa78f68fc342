//! Routes (GeoJSON LineString or a GPX track) and the "along my route" query: stations within
//! D metres of the route, ordered by how far along the route they are.

use std::path::Path;

use serde_json::Value;

use std::time::Instant;

use crate::index::SpatialIndex;
use crate::query::Filter;
use crate::sphere::{CHORD_SLACK, EARTH_RADIUS_M, LatLon, chord_for_distance, vec3};

/// A polyline in WGS-84, at least two points.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    points: Vec<LatLon>,
}

/// A route file that cannot be used; says what is wrong and where.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}: {problem}")]
pub struct RouteError {
    pub file: String,
    pub problem: String,
}

impl Route {
    pub fn new(points: Vec<LatLon>) -> Result<Route, String> {
        if points.len() < 2 {
            return Err(format!(
                "a route needs at least 2 points, found {}",
                points.len()
            ));
        }
        Ok(Route { points })
    }

    pub fn points(&self) -> &[LatLon] {
        &self.points
    }

    pub fn start(&self) -> LatLon {
        self.points[0]
    }

    pub fn length_m(&self) -> f64 {
        self.points.windows(2).map(|w| w[0].distance_m(w[1])).sum()
    }

    /// Reads a `.gpx` or `.geojson`/`.json` file, choosing by extension.
    pub fn from_file(path: &Path) -> Result<Route, RouteError> {
        let file = path.display().to_string();
        let err = |problem: String| RouteError {
            file: file.clone(),
            problem,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        let points = match ext.as_str() {
            "gpx" => parse_gpx(&text),
            "geojson" | "json" => parse_geojson(&text),
            other => Err(format!(
                "unknown route format `.{other}`; accepted: .gpx, .geojson, .json"
            )),
        }
        .map_err(err)?;
        Route::new(points).map_err(err)
    }
}

impl Route {
    /// Reads route text whose format is not known from a file name: GPX if it starts with
    /// `<`, GeoJSON otherwise (what the app gets from a picked file or a paste).
    pub fn from_text(text: &str) -> Result<Route, String> {
        let points = if text.trim_start().starts_with('<') {
            parse_gpx(text)?
        } else {
            parse_geojson(text)?
        };
        Route::new(points)
    }
}

/// Track points (`trkpt`) in document order, or route points (`rtept`) if there is no track.
pub fn parse_gpx(text: &str) -> Result<Vec<LatLon>, String> {
    let doc = roxmltree::Document::parse(text).map_err(|e| format!("not valid GPX/XML: {e}"))?;
    let pick = |tag: &str| -> Result<Vec<LatLon>, String> {
        doc.descendants()
            .filter(|n| n.has_tag_name(tag))
            .map(|n| {
                let pos = doc.text_pos_at(n.range().start);
                let attr = |name: &str| -> Result<f64, String> {
                    n.attribute(name)
                        .ok_or_else(|| format!("line {}: <{tag}> has no `{name}`", pos.row))?
                        .trim()
                        .parse()
                        .map_err(|_| format!("line {}: <{tag}> `{name}` is not a number", pos.row))
                };
                LatLon::new(attr("lat")?, attr("lon")?)
                    .map_err(|e| format!("line {}: {e}", pos.row))
            })
            .collect()
    };
    let track = pick("trkpt")?;
    if !track.is_empty() {
        return Ok(track);
    }
    let route = pick("rtept")?;
    if route.is_empty() {
        return Err("no <trkpt> or <rtept> points found".into());
    }
    Ok(route)
}

/// A LineString or MultiLineString, bare, in a Feature, or in a FeatureCollection (all line
/// features joined in order). Coordinates are [lon, lat] as RFC 7946 says.
pub fn parse_geojson(text: &str) -> Result<Vec<LatLon>, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let mut points = Vec::new();
    collect_lines(&v, "$", &mut points)?;
    if points.is_empty() {
        return Err("no LineString or MultiLineString found".into());
    }
    Ok(points)
}

fn collect_lines(v: &Value, path: &str, out: &mut Vec<LatLon>) -> Result<(), String> {
    match v.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => {
            let features = v
                .get("features")
                .and_then(Value::as_array)
                .ok_or_else(|| format!("{path}: FeatureCollection without a `features` array"))?;
            for (i, f) in features.iter().enumerate() {
                collect_lines(f, &format!("{path}.features[{i}]"), out)?;
            }
            Ok(())
        }
        Some("Feature") => match v.get("geometry") {
            Some(g) if !g.is_null() => collect_lines(g, &format!("{path}.geometry"), out),
            _ => Ok(()),
        },
        Some("LineString") => push_positions(coordinates(v, path)?, path, out),
        Some("MultiLineString") => {
            for (i, line) in coordinates(v, path)?.iter().enumerate() {
                let line_path = format!("{path}.coordinates[{i}]");
                let line = line
                    .as_array()
                    .ok_or_else(|| format!("{line_path}: expected an array of positions"))?;
                push_positions(line, &line_path, out)?;
            }
            Ok(())
        }
        Some(_) => Ok(()),
        None => Err(format!("{path}: missing `type`")),
    }
}

fn coordinates<'a>(v: &'a Value, path: &str) -> Result<&'a Vec<Value>, String> {
    v.get("coordinates")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("{path}: missing `coordinates` array"))
}

fn push_positions(positions: &[Value], path: &str, out: &mut Vec<LatLon>) -> Result<(), String> {
    for (i, p) in positions.iter().enumerate() {
        let at = format!("{path}.coordinates[{i}]");
        let pair = p
            .as_array()
            .filter(|a| a.len() >= 2)
            .ok_or_else(|| format!("{at}: expected [longitude, latitude]"))?;
        let (lon, lat) = (pair[0].as_f64(), pair[1].as_f64());
        let (Some(lon), Some(lat)) = (lon, lat) else {
            return Err(format!("{at}: longitude and latitude must be numbers"));
        };
        out.push(LatLon::new(lat, lon).map_err(|e| format!("{at}: {e}"))?);
    }
    Ok(())
}

/// Where a station lies relative to the route.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RouteFound {
    pub pk: u32,
    /// Distance along the route from its start to the point nearest the station.
    pub along_m: f64,
    /// Great-circle distance from the route to the station.
    pub offset_m: f64,
}

/// The closest point of one great-circle segment to `p`: (angle along from `a`, angle off).
fn segment_position(a: [f64; 3], b: [f64; 3], p: [f64; 3]) -> (f64, f64) {
    let seg = vec3::angle(a, b);
    let to_a = vec3::angle(a, p);
    let Some(normal) = vec3::normalize(vec3::cross(a, b)) else {
        return (0.0, to_a); // a degenerate (zero-length) segment
    };
    let off = vec3::dot(p, normal);
    let proj = [
        p[0] - off * normal[0],
        p[1] - off * normal[1],
        p[2] - off * normal[2],
    ];
    if let Some(proj) = vec3::normalize(proj) {
        let inside = vec3::dot(vec3::cross(a, proj), normal) >= 0.0
            && vec3::dot(vec3::cross(proj, b), normal) >= 0.0;
        if inside {
            return (vec3::angle(a, proj), off.clamp(-1.0, 1.0).asin().abs());
        }
    }
    let to_b = vec3::angle(b, p);
    if to_a <= to_b {
        (0.0, to_a)
    } else {
        (seg, to_b)
    }
}

/// Stations within `within_m` of the route that pass the filter, ordered by distance along the
/// route (ties by id). Each station appears once, at its closest approach.
pub fn along(
    index: &SpatialIndex,
    route: &Route,
    within_m: f64,
    filter: &Filter,
    deadline: Instant,
) -> Result<Vec<RouteFound>, OutOfTime> {
    let vectors: Vec<[f64; 3]> = route.points.iter().map(|p| p.unit_vector()).collect();
    let mut best: std::collections::HashMap<u32, RouteFound> = Default::default();
    let trees = filter.trees(index);
    let mut start_m = 0.0;
    for w in vectors.windows(2) {
        if Instant::now() > deadline {
            return Err(OutOfTime);
        }
        let (a, b) = (w[0], w[1]);
        let seg = vec3::angle(a, b);
        // Any point within D of an arc is within (arc length)/2 + D of the arc's midpoint. A
        // long segment is searched piece by piece, so the work follows the corridor's area
        // rather than the square of the segment's length.
        let pieces = (seg * EARTH_RADIUS_M / PIECE_M).ceil().max(1.0);
        let reach =
            chord_for_distance(seg / pieces / 2.0 * EARTH_RADIUS_M + within_m) + CHORD_SLACK;
        let candidates = (0..pieces as usize).flat_map(|i| {
            let mid = vec3::slerp(a, b, (i as f64 + 0.5) / pieces);
            trees
                .iter()
                .flat_map(move |tree| tree.within(mid, reach * reach))
        });
        for p in candidates {
            let Some(s) = index.summary(p.data) else {
                continue;
            };
            let (along, off) = segment_position(a, b, *p.geom());
            let offset_m = off * EARTH_RADIUS_M;
            if offset_m > within_m || !filter.admits(index, p.data, s) {
                continue;
            }
            let candidate = RouteFound {
                pk: p.data,
                along_m: start_m + along * EARTH_RADIUS_M,
                offset_m,
            };
            best.entry(p.data)
                .and_modify(|f| {
                    if candidate.offset_m < f.offset_m {
                        *f = candidate;
                    }
                })
                .or_insert(candidate);
        }
        start_m += seg * EARTH_RADIUS_M;
    }
    let mut found: Vec<RouteFound> = best.into_values().collect();
    let id = |f: &RouteFound| index.summary(f.pk).map_or("", |s| index.id(s));
    found.sort_by(|x, y| {
        x.along_m
            .total_cmp(&y.along_m)
            .then_with(|| id(x).cmp(id(y)))
    });
    Ok(found)
}

/// The walk passed its deadline and stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfTime;

/// The longest piece of a route searched at once: short enough that a piece's search sphere
/// holds little more than its corridor.
const PIECE_M: f64 = 10_000.0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpx_track_points_in_order() {
        let gpx = r#"<?xml version="1.0"?><gpx version="1.1" creator="t"><trk><trkseg>
            <trkpt lat="22.5" lon="114.0"/><trkpt lat="22.6" lon="114.1"/></trkseg></trk></gpx>"#;
        let pts = parse_gpx(gpx).unwrap();
        assert_eq!(
            pts,
            vec![
                LatLon {
                    lat: 22.5,
                    lon: 114.0
                },
                LatLon {
                    lat: 22.6,
                    lon: 114.1
                }
            ]
        );
    }

    #[test]
    fn gpx_errors_name_the_line() {
        let gpx = "<gpx>\n<trk><trkseg>\n<trkpt lat=\"95\" lon=\"114\"/>\n</trkseg></trk></gpx>";
        let e = parse_gpx(gpx).unwrap_err();
        assert!(e.starts_with("line 3:") && e.contains("latitude 95"), "{e}");
        assert!(parse_gpx("<gpx></gpx>").unwrap_err().contains("no <trkpt>"));
        assert!(parse_gpx("<gpx>").unwrap_err().contains("not valid GPX"));
    }

    #[test]
    fn geojson_shapes() {
        let line = r#"{"type":"LineString","coordinates":[[114,22.5],[114.1,22.6]]}"#;
        assert_eq!(parse_geojson(line).unwrap().len(), 2);
        let fc = r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[1,2]}},
            {"type":"Feature","properties":{},"geometry":{"type":"MultiLineString","coordinates":[[[1,2],[3,4]],[[5,6]]]}}]}"#;
        assert_eq!(parse_geojson(fc).unwrap().len(), 3);
        let bad = r#"{"type":"LineString","coordinates":[[114,22.5],["x",22.6]]}"#;
        assert_eq!(
            parse_geojson(bad).unwrap_err(),
            "$.coordinates[1]: longitude and latitude must be numbers"
        );
        assert!(parse_geojson("{}").unwrap_err().contains("missing `type`"));
    }

    #[test]
    fn route_text_is_read_by_its_first_character() {
        let gpx = r#"  <gpx><trk><trkseg><trkpt lat="22.5" lon="114.0"/><trkpt lat="22.6" lon="114.1"/></trkseg></trk></gpx>"#;
        assert_eq!(Route::from_text(gpx).unwrap().points().len(), 2);
        let line = r#"{"type":"LineString","coordinates":[[114,22.5],[114.1,22.6]]}"#;
        assert_eq!(Route::from_text(line).unwrap().start().lat, 22.5);
        let point = Route::from_text(r#"{"type":"Point","coordinates":[1,2]}"#).unwrap_err();
        assert_eq!(point, "no LineString or MultiLineString found");
        let one = Route::from_text(r#"{"type":"LineString","coordinates":[[1,2]]}"#).unwrap_err();
        assert_eq!(one, "a route needs at least 2 points, found 1");
        assert!(Route::from_text("nonsense").is_err());
    }

    #[test]
    fn segment_geometry() {
        // Along the equator from lon 0 to lon 1; a point 0.01° north of lon 0.5.
        let a = LatLon { lat: 0.0, lon: 0.0 }.unit_vector();
        let b = LatLon { lat: 0.0, lon: 1.0 }.unit_vector();
        let p = LatLon {
            lat: 0.01,
            lon: 0.5,
        };
        let (along, off) = segment_position(a, b, p.unit_vector());
        assert!((along.to_degrees() - 0.5).abs() < 1e-9);
        assert!((off * EARTH_RADIUS_M - LatLon { lat: 0.0, lon: 0.5 }.distance_m(p)).abs() < 1e-6);
        // Beyond the end: measured to the end point.
        let q = LatLon { lat: 0.0, lon: 1.5 };
        let (along, off) = segment_position(a, b, q.unit_vector());
        assert!((along.to_degrees() - 1.0).abs() < 1e-9);
        assert!((off.to_degrees() - 0.5).abs() < 1e-9);
    }
}
