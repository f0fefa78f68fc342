//! Every limit and default of a request, named once. The README lists them; the server, the
//! CLI and the app all enforce exactly these.

/// Nearest and search: how many results by default, and at most.
pub const DEFAULT_RESULTS: usize = 10;
pub const MAX_RESULTS: usize = 1000;

/// Nearest within a distance: no two points on Earth are farther apart than half its
/// circumference, so a larger limit means nothing (and the refusal can name a real bound).
pub const MAX_DISTANCE_KM: f64 = 20_016.0;

/// Within a radius: the largest radius, in km, and the most stations answered (the nearest):
/// 500 km around a city holds tens of thousands, and every answered row is read from the file.
pub const MAX_RADIUS_KM: f64 = 500.0;
pub const MAX_WITHIN_RESULTS: usize = 1000;

/// Map view (bounding box): how many stations by default, and at most.
pub const DEFAULT_BOX_RESULTS: usize = 500;
pub const MAX_BOX_RESULTS: usize = 5000;

/// The map: the most cells of its grid one view may span (a 4K screen with half a screen
/// around it spans about 16,000), and the most stations a view zoomed past the clusters shows
/// one by one (a view holding more stays clustered).
pub const MAX_VIEW_CELLS: u64 = 65_536;
pub const MAX_VIEW_STATIONS: usize = 5000;

/// Along a route: how far from the route, by default and at most, in km.
pub const DEFAULT_ALONG_KM: f64 = 2.0;
pub const MAX_ALONG_KM: f64 = 50.0;

/// Along a route: the most points (a day's drive recorded once a second is about 50,000), the
/// longest route (Mohe to Sanya is about 4,500 km by road), and the most stations answered
/// (the first along it).
pub const MAX_ROUTE_POINTS: usize = 100_000;
pub const MAX_ROUTE_KM: f64 = 6_000.0;
pub const MAX_ALONG_RESULTS: usize = 1000;

/// The longest a query may compute before it stops and says so (every other limit keeps real
/// queries far below it; it is the last guard of a server shared by everyone).
pub const MAX_WORK_MS: u64 = 1000;

/// Search: the longest text and the most words (each word is a full-text match).
pub const MAX_SEARCH_CHARS: usize = 100;
pub const MAX_SEARCH_WORDS: usize = 8;

/// "Ahead of me": the half-width of the cone around the heading, by default and at most.
pub const DEFAULT_CONE_DEG: f64 = 45.0;
pub const MAX_CONE_DEG: f64 = 180.0;

/// Place search (cities, districts, counties): results by default and at most.
pub const DEFAULT_PLACES: usize = 10;
pub const MAX_PLACES: usize = 50;

/// Change feed: stations per page, by default and at most.
pub const DEFAULT_CHANGES: usize = 1000;
pub const MAX_CHANGES: usize = 10_000;

/// Admin lists (audit log, reports): entries by default and at most.
pub const DEFAULT_LIST: usize = 100;
pub const MAX_LIST: usize = 1000;

/// A problem report's or a proposal's note, in characters.
pub const MAX_NOTE_CHARS: usize = 500;

/// A proposer's contact (a phone number, a WeChat id), in characters.
pub const MAX_CONTACT_CHARS: usize = 100;

/// A device id (random, for the per-device limits), in characters.
pub const MAX_DEVICE_CHARS: usize = 64;

/// Opening hours as written, in characters (enforced by the parser, so imports too).
pub use crate::hours::MAX_HOURS_CHARS;

/// Every limit as (name, value, unit): for `waystation limits`-style documentation and the
/// README's table, which a test keeps in step with these constants.
pub fn table() -> Vec<(&'static str, String, &'static str)> {
    vec![
        ("DEFAULT_RESULTS", DEFAULT_RESULTS.to_string(), "results"),
        ("MAX_RESULTS", MAX_RESULTS.to_string(), "results"),
        ("MAX_DISTANCE_KM", MAX_DISTANCE_KM.to_string(), "km"),
        ("MAX_RADIUS_KM", MAX_RADIUS_KM.to_string(), "km"),
        (
            "MAX_WITHIN_RESULTS",
            MAX_WITHIN_RESULTS.to_string(),
            "results",
        ),
        (
            "DEFAULT_BOX_RESULTS",
            DEFAULT_BOX_RESULTS.to_string(),
            "results",
        ),
        ("MAX_BOX_RESULTS", MAX_BOX_RESULTS.to_string(), "results"),
        ("MAX_VIEW_CELLS", MAX_VIEW_CELLS.to_string(), "cells"),
        (
            "MAX_VIEW_STATIONS",
            MAX_VIEW_STATIONS.to_string(),
            "stations",
        ),
        ("DEFAULT_ALONG_KM", DEFAULT_ALONG_KM.to_string(), "km"),
        ("MAX_ALONG_KM", MAX_ALONG_KM.to_string(), "km"),
        ("MAX_ROUTE_POINTS", MAX_ROUTE_POINTS.to_string(), "points"),
        ("MAX_ROUTE_KM", MAX_ROUTE_KM.to_string(), "km"),
        (
            "MAX_ALONG_RESULTS",
            MAX_ALONG_RESULTS.to_string(),
            "results",
        ),
        ("MAX_WORK_MS", MAX_WORK_MS.to_string(), "ms"),
        (
            "MAX_SEARCH_CHARS",
            MAX_SEARCH_CHARS.to_string(),
            "characters",
        ),
        ("MAX_SEARCH_WORDS", MAX_SEARCH_WORDS.to_string(), "words"),
        ("DEFAULT_CONE_DEG", DEFAULT_CONE_DEG.to_string(), "degrees"),
        ("MAX_CONE_DEG", MAX_CONE_DEG.to_string(), "degrees"),
        ("DEFAULT_PLACES", DEFAULT_PLACES.to_string(), "places"),
        ("MAX_PLACES", MAX_PLACES.to_string(), "places"),
        ("DEFAULT_CHANGES", DEFAULT_CHANGES.to_string(), "changes"),
        ("MAX_CHANGES", MAX_CHANGES.to_string(), "changes"),
        ("DEFAULT_LIST", DEFAULT_LIST.to_string(), "entries"),
        ("MAX_LIST", MAX_LIST.to_string(), "entries"),
        ("MAX_NOTE_CHARS", MAX_NOTE_CHARS.to_string(), "characters"),
        (
            "MAX_CONTACT_CHARS",
            MAX_CONTACT_CHARS.to_string(),
            "characters",
        ),
        (
            "MAX_DEVICE_CHARS",
            MAX_DEVICE_CHARS.to_string(),
            "characters",
        ),
        ("MAX_HOURS_CHARS", MAX_HOURS_CHARS.to_string(), "characters"),
    ]
}
