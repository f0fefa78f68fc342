//! Import and export formats: CSV (one station per row) and GeoJSON (a FeatureCollection of
//! Points). Both carry the same fields; both are validated record by record, and the first bad
//! record stops the import with its line (or feature index), field and problem.

use std::cell::RefCell;
use std::collections::{HashSet, VecDeque};
use std::io::{Read, Write};
use std::rc::Rc;
use std::str::FromStr;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::crs::Crs;
use crate::error::{Location, RecordError};
use crate::hours::Hours;
use crate::model::{ServiceSet, Station};
use crate::progress::Progress;
use crate::sphere::LatLon;

/// The CSV columns, in order. GeoJSON uses the same names as properties, with lat/lon in the
/// Point geometry instead.
pub const COLUMNS: [&str; 15] = [
    "id",
    "kind",
    "name",
    "address",
    "adcode",
    "lat",
    "lon",
    "services",
    "opening_hours",
    "phone",
    "truck_spaces",
    "status",
    "notice",
    "source",
    "free_truck_spaces",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Csv,
    GeoJson,
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Ok(Format::Csv),
            "geojson" | "json" => Ok(Format::GeoJson),
            other => Err(format!("unknown format `{other}` (accepted: csv, geojson)")),
        }
    }
}

impl Format {
    /// Guesses from a file name: `.geojson`/`.json` is GeoJSON, anything else CSV.
    pub fn from_path(path: &std::path::Path) -> Format {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
        {
            Some(e) if e == "geojson" || e == "json" => Format::GeoJson,
            _ => Format::Csv,
        }
    }
}

/// One record's fields as text, before validation. Empty text means "not given".
#[derive(Default)]
struct RawRecord {
    fields: [String; 15],
}

impl RawRecord {
    fn get(&self, column: &str) -> &str {
        COLUMNS
            .iter()
            .position(|c| *c == column)
            .map_or("", |i| self.fields[i].trim())
    }

    fn set(&mut self, column: &str, value: String) -> bool {
        match COLUMNS.iter().position(|c| *c == column) {
            Some(i) => {
                self.fields[i] = value;
                true
            }
            None => false,
        }
    }
}

/// Validates one record into a station; `crs` is the datum its lat/lon are given in. The checks
/// run in this fixed order and the first problem stops the record, so a record with several
/// problems is always reported by the same one.
fn validate(raw: &RawRecord, at: &Location, crs: Crs, now: &str) -> Result<Station, RecordError> {
    let fields = Fields { raw, at };
    let id = fields.id()?;
    let kind = fields.kind()?;
    let name = fields.name()?;
    let address = fields.address()?;
    let adcode = fields.adcode()?;
    let location = fields.location(crs)?;
    let services = fields.services()?;
    let opening_hours = fields.opening_hours()?;
    let phone = fields.phone()?;
    let (truck_spaces, free_truck_spaces) = fields.truck_spaces()?;
    let status = fields.status()?;
    let notice = fields.notice()?;
    let source = fields.source()?;
    Ok(Station {
        id,
        kind,
        name,
        address,
        adcode,
        location,
        services,
        opening_hours,
        phone,
        truck_spaces,
        free_truck_spaces,
        status,
        notice,
        source,
        version: 1,
        updated_at: now.to_string(),
    })
}

/// One record's fields under validation together with where the record is, so that every
/// check reports its problem the same way: location, field, problem.
struct Fields<'a> {
    raw: &'a RawRecord,
    at: &'a Location,
}

/// The shared rules: required or optional, bounded free text, vocabulary ids, numbers.
impl<'a> Fields<'a> {
    fn fail(&self, field: &str, problem: String) -> RecordError {
        RecordError {
            location: self.at.clone(),
            field: field.to_string(),
            problem,
        }
    }

    fn required(&self, field: &str) -> Result<&'a str, RecordError> {
        let v = self.raw.get(field);
        if v.is_empty() {
            Err(self.fail(field, "is required but empty".into()))
        } else {
            Ok(v)
        }
    }

    /// Empty text means "not given".
    fn optional(&self, field: &str) -> Option<String> {
        let v = self.raw.get(field);
        (!v.is_empty()).then(|| v.to_string())
    }

    /// Free text: bounded in length, and no control characters.
    fn text(
        &self,
        field: &str,
        max: usize,
        value: Option<String>,
    ) -> Result<Option<String>, RecordError> {
        match value {
            Some(v) if v.chars().count() > max => {
                Err(self.fail(field, format!("is longer than {max} characters")))
            }
            Some(v) if v.chars().any(char::is_control) => {
                Err(self.fail(field, "contains control characters".into()))
            }
            other => Ok(other),
        }
    }

    /// A vocabulary id; the parse error already lists the accepted ids.
    fn vocab<T>(&self, field: &str, value: &str) -> Result<T, RecordError>
    where
        T: FromStr,
        T::Err: std::fmt::Display,
    {
        value.parse().map_err(|e| self.fail(field, format!("{e}")))
    }

    fn degrees(&self, field: &str) -> Result<f64, RecordError> {
        let v = self.required(field)?;
        v.parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| self.fail(field, format!("`{v}` is not a number in decimal degrees")))
    }

    /// A count of spaces: a whole number up to 100000, or not given.
    fn count(&self, field: &str) -> Result<Option<u32>, RecordError> {
        self.optional(field)
            .map(|v| {
                v.parse::<u32>()
                    .ok()
                    .filter(|n| *n <= 100_000)
                    .ok_or_else(|| {
                        self.fail(
                            field,
                            format!("`{v}` is not a whole number from 0 to 100000"),
                        )
                    })
            })
            .transpose()
    }
}

/// One check per field (or group of fields that are only valid together).
impl Fields<'_> {
    fn id(&self) -> Result<String, RecordError> {
        let id = self.required("id")?;
        if !is_valid_id(id) {
            return Err(self.fail("id", format!("`{id}` is not a valid id: {ID_RULE}")));
        }
        Ok(id.to_string())
    }

    fn kind(&self) -> Result<crate::model::Kind, RecordError> {
        self.vocab("kind", self.required("kind")?)
    }

    fn name(&self) -> Result<String, RecordError> {
        let name = self.required("name")?.to_string();
        Ok(self.text("name", 200, Some(name))?.unwrap_or_default())
    }

    fn address(&self) -> Result<String, RecordError> {
        Ok(self
            .text("address", 300, self.optional("address"))?
            .unwrap_or_default())
    }

    fn adcode(&self) -> Result<String, RecordError> {
        let adcode = self.required("adcode")?;
        if adcode.len() != 6 || !adcode.bytes().all(|b| b.is_ascii_digit()) {
            return Err(self.fail("adcode", format!("`{adcode}` is not a 6-digit county code")));
        }
        Ok(adcode.to_string())
    }

    /// lat and lon are checked together (the range error names the one out of range), then
    /// moved from the file's datum to WGS-84, the only one the catalog stores.
    fn location(&self, crs: Crs) -> Result<LatLon, RecordError> {
        let (lat, lon) = (self.degrees("lat")?, self.degrees("lon")?);
        let given = LatLon::new(lat, lon).map_err(|e| {
            let field = if matches!(e, crate::sphere::CoordError::Longitude(_)) {
                "lon"
            } else {
                "lat"
            };
            self.fail(field, e.to_string())
        })?;
        Ok(crs.to_wgs84(given))
    }

    fn services(&self) -> Result<ServiceSet, RecordError> {
        ServiceSet::parse_list(self.raw.get("services"))
            .map_err(|e| self.fail("services", e.to_string()))
    }

    /// Kept as written once it is known to parse.
    fn opening_hours(&self) -> Result<Option<String>, RecordError> {
        let opening_hours = self.optional("opening_hours");
        if let Some(h) = &opening_hours {
            Hours::parse(h).map_err(|e| self.fail("opening_hours", e.to_string()))?;
        }
        Ok(opening_hours)
    }

    fn phone(&self) -> Result<Option<String>, RecordError> {
        let phone = self.text("phone", 40, self.optional("phone"))?;
        if let Some(p) = phone.as_ref().filter(|p| {
            !p.chars()
                .all(|c| c.is_ascii_digit() || "+-() ,;/".contains(c))
        }) {
            return Err(self.fail(
                "phone",
                format!("`{p}` may contain only digits, spaces and + - ( ) , ; /"),
            ));
        }
        Ok(phone)
    }

    /// (truck_spaces, free_truck_spaces): free spaces cannot outnumber the spaces there are.
    fn truck_spaces(&self) -> Result<(Option<u32>, Option<u32>), RecordError> {
        let free = self.count("free_truck_spaces")?;
        let capacity = self.count("truck_spaces")?;
        if let (Some(free), Some(capacity)) = (free, capacity)
            && free > capacity
        {
            return Err(self.fail(
                "free_truck_spaces",
                format!("{free} free is more than the {capacity} truck spaces"),
            ));
        }
        Ok((capacity, free))
    }

    /// A station whose status is not given is open.
    fn status(&self) -> Result<crate::model::Status, RecordError> {
        match self.optional("status") {
            None => Ok(crate::model::Status::Open),
            Some(s) => self.vocab("status", &s),
        }
    }

    fn notice(&self) -> Result<Option<String>, RecordError> {
        self.text("notice", 500, self.optional("notice"))
    }

    fn source(&self) -> Result<crate::model::Source, RecordError> {
        self.vocab("source", self.required("source")?)
    }
}

/// What a station id may be, said in error messages.
pub const ID_RULE: &str =
    "use 1-64 ASCII letters, digits, `-`, `_`, `.` or `:`, not only `.` or `..`";

/// The one rule for station ids, for imports, edits and the sync client alike. Ids go
/// unescaped into URLs (`/v1/stations/{id}`), hence the small alphabet; `.` and `..` are
/// refused because a URL would resolve them to another path instead of naming a station.
pub fn is_valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id != "."
        && id != ".."
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c))
}

/// Rejects a second record with an id already seen in the same file.
fn check_unique(seen: &mut HashSet<String>, s: &Station, at: &Location) -> Result<(), RecordError> {
    if seen.insert(s.id.clone()) {
        Ok(())
    } else {
        Err(RecordError {
            location: at.clone(),
            field: "id".into(),
            problem: format!("`{}` appears twice in this file", s.id),
        })
    }
}

pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Reads and validates a whole CSV file. `total_bytes` (if known) drives the progress bar.
pub fn read_csv(
    input: impl Read,
    total_bytes: u64,
    crs: Crs,
    progress: &mut dyn Progress,
) -> Result<Vec<Station>, RecordError> {
    let lines = Rc::new(RefCell::new(LineBreaks::default()));
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(Tracked {
            inner: input,
            lines: Rc::clone(&lines),
        });
    // The record csv began reading at `byte` starts on this physical line.
    let line_at = |byte: u64| Location::Line(lines.borrow_mut().line_at(byte));
    let file_err = |location: Location, field: &str, problem: String| RecordError {
        location,
        field: field.into(),
        problem,
    };
    let headers = reader
        .headers()
        .map_err(|e| file_err(line_at(0), "header", e.to_string()))?
        .clone();
    // Line 1 unless blank lines come first.
    let header_line = line_at(0);
    let mut positions = Vec::with_capacity(headers.len());
    for h in headers.iter() {
        let h = h.trim().trim_start_matches('\u{feff}');
        let i = COLUMNS.iter().position(|c| *c == h).ok_or_else(|| {
            file_err(
                header_line.clone(),
                h,
                format!("unknown column; the columns are: {}", COLUMNS.join(", ")),
            )
        })?;
        positions.push(i);
    }
    for required in ["id", "kind", "name", "adcode", "lat", "lon", "source"] {
        if !headers
            .iter()
            .any(|h| h.trim().trim_start_matches('\u{feff}') == required)
        {
            return Err(file_err(
                header_line.clone(),
                required,
                "required column is missing".into(),
            ));
        }
    }
    let now = now_rfc3339();
    let mut seen = HashSet::new();
    let mut stations = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut reported = 0;
    progress.begin("reading", total_bytes);
    loop {
        let start = reader.position().byte();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let at = line_at(e.position().map_or(start, |p| p.byte()));
                return Err(file_err(at, "record", csv_problem(&e)));
            }
        }
        let at = line_at(record.position().map_or(start, |p| p.byte()));
        let mut raw = RawRecord::default();
        for (value, &column) in record.iter().zip(&positions) {
            raw.fields[column] = value.to_string();
        }
        let station = validate(&raw, &at, crs, &now)?;
        check_unique(&mut seen, &station, &at)?;
        stations.push(station);
        let byte = reader.position().byte();
        progress.advance(byte - reported);
        reported = byte;
    }
    progress.end();
    Ok(stations)
}

/// The input as csv reads it, with its line breaks noted on the way through.
struct Tracked<R> {
    inner: R,
    lines: Rc<RefCell<LineBreaks>>,
}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.lines.borrow_mut().see(buf.get(..n).unwrap_or(buf));
        Ok(n)
    }
}

/// Numbers lines the way an editor does (`\r\n`, `\n` and a lone `\r` each end one line;
/// newlines inside quoted fields count), so an error names the line the user sees. csv's own
/// `Position::line()` is where it began reading a record, which is one line early after a CRLF
/// (the `\n` is read with the next record) or after blank lines, and stays 1 with lone `\r`.
#[derive(Default)]
struct LineBreaks {
    /// Breaks read but not yet behind a record's start, as byte ranges (`\r\n` is one).
    ahead: VecDeque<(u64, u64)>,
    /// Breaks behind the last record's start.
    behind: u64,
    /// Bytes seen so far.
    seen: u64,
    last_was_cr: bool,
}

impl LineBreaks {
    fn see(&mut self, bytes: &[u8]) {
        for (at, &b) in (self.seen..).zip(bytes) {
            match b {
                // The `\n` of a `\r\n` ends the same line as its `\r` (which may have come in
                // the previous read, and is already counted if it is no longer ahead).
                b'\n' if self.last_was_cr => {
                    if let Some(last) = self.ahead.back_mut().filter(|last| last.1 == at) {
                        last.1 = at + 1;
                    }
                }
                b'\n' | b'\r' => self.ahead.push_back((at, at + 1)),
                _ => {}
            }
            self.last_was_cr = b == b'\r';
        }
        self.seen += bytes.len() as u64;
    }

    /// The 1-based line of the first byte of a record that csv began reading at `byte`: the
    /// breaks it skipped first (the rest of a CRLF, blank lines) are before the record. Asked
    /// in file order, after csv has read the record, so every byte up to it has been seen.
    fn line_at(&mut self, byte: u64) -> u64 {
        let mut first = byte;
        while let Some(&(start, end)) = self.ahead.front() {
            if start > first {
                break;
            }
            first = first.max(end);
            self.ahead.pop_front();
            self.behind += 1;
        }
        self.behind + 1
    }
}

fn csv_problem(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("has {len} fields, the header has {expected_len}")
        }
        csv::ErrorKind::Utf8 { .. } => "is not valid UTF-8 (save the file as UTF-8)".into(),
        _ => e.to_string(),
    }
}

/// Reads and validates a GeoJSON FeatureCollection of Point features.
pub fn read_geojson(
    input: impl Read,
    crs: Crs,
    progress: &mut dyn Progress,
) -> Result<Vec<Station>, RecordError> {
    let file_err = |problem: String| RecordError {
        location: Location::File,
        field: "type".into(),
        problem,
    };
    let doc: Value = serde_json::from_reader(input).map_err(|e| RecordError {
        location: Location::File,
        field: "json".into(),
        problem: format!(
            "not valid JSON at line {}, column {}: {e}",
            e.line(),
            e.column()
        ),
    })?;
    if doc.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err(file_err("expected a GeoJSON FeatureCollection".into()));
    }
    let features = doc
        .get("features")
        .and_then(Value::as_array)
        .ok_or_else(|| file_err("FeatureCollection has no `features` array".into()))?;
    let now = now_rfc3339();
    let mut seen = HashSet::new();
    let mut stations = Vec::with_capacity(features.len());
    progress.begin("reading", features.len() as u64);
    for (i, feature) in features.iter().enumerate() {
        let at = Location::Feature(i);
        let raw = raw_from_feature(feature, &at)?;
        let station = validate(&raw, &at, crs, &now)?;
        check_unique(&mut seen, &station, &at)?;
        stations.push(station);
        progress.advance(1);
    }
    progress.end();
    Ok(stations)
}

fn raw_from_feature(feature: &Value, at: &Location) -> Result<RawRecord, RecordError> {
    let fail = |field: &str, problem: &str| RecordError {
        location: at.clone(),
        field: field.into(),
        problem: problem.into(),
    };
    if feature.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err(fail("type", "expected a Feature"));
    }
    let geometry = feature
        .get("geometry")
        .filter(|g| !g.is_null())
        .ok_or_else(|| fail("geometry", "is required"))?;
    if geometry.get("type").and_then(Value::as_str) != Some("Point") {
        return Err(fail("geometry", "must be a Point"));
    }
    let coords = geometry
        .get("coordinates")
        .and_then(Value::as_array)
        .filter(|c| c.len() >= 2)
        .ok_or_else(|| fail("geometry", "Point needs coordinates [longitude, latitude]"))?;
    let mut raw = RawRecord::default();
    raw.set("lon", scalar_text(&coords[0]));
    raw.set("lat", scalar_text(&coords[1]));
    let empty = Map::new();
    let props = match feature.get("properties") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(m)) => m,
        Some(_) => return Err(fail("properties", "must be an object")),
    };
    for (key, value) in props {
        if key == "lat" || key == "lon" {
            return Err(fail(
                key,
                "give the position in the Point geometry, not in properties",
            ));
        }
        let text = match (key.as_str(), value) {
            ("services", Value::Array(items)) => {
                let ids: Option<Vec<&str>> = items.iter().map(Value::as_str).collect();
                ids.ok_or_else(|| fail("services", "must be an array of service ids"))?
                    .join(";")
            }
            (_, Value::Array(_) | Value::Object(_)) => {
                return Err(fail(key, "must be a string or a number"));
            }
            (_, v) => scalar_text(v),
        };
        if !raw.set(key, text) {
            return Err(fail(
                key,
                &format!(
                    "unknown property; the properties are: {}",
                    COLUMNS.join(", ")
                ),
            ));
        }
    }
    Ok(raw)
}

/// Why a JSON edit of a station is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldsError {
    #[error("unknown field `{0}`; the fields are: {fields}", fields = COLUMNS.join(", "))]
    Unknown(String),
    #[error("field `{0}` may not be changed by you")]
    NotAllowed(String),
    #[error("{0}")]
    Invalid(RecordError),
}

/// Builds a station from a flat JSON object of fields (`lat`/`lon` included), on top of `base`
/// when editing. Each field must be known and `allowed`; the result is validated exactly as an
/// import row is. `services` may be an array of ids; `null` clears a field.
pub fn station_from_fields(
    fields: &Map<String, Value>,
    base: Option<&Station>,
    allowed: impl Fn(&str) -> bool,
) -> Result<Station, FieldsError> {
    let mut raw = RawRecord::default();
    if let Some(s) = base {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        let count = |v: Option<u32>| v.map(|n| n.to_string()).unwrap_or_default();
        for (column, value) in [
            ("id", s.id.clone()),
            ("kind", s.kind.id().to_string()),
            ("name", s.name.clone()),
            ("address", s.address.clone()),
            ("adcode", s.adcode.clone()),
            ("lat", s.location.lat.to_string()),
            ("lon", s.location.lon.to_string()),
            ("services", s.services.to_list()),
            ("opening_hours", opt(&s.opening_hours)),
            ("phone", opt(&s.phone)),
            ("truck_spaces", count(s.truck_spaces)),
            ("status", s.status.id().to_string()),
            ("notice", opt(&s.notice)),
            ("source", s.source.id().to_string()),
            ("free_truck_spaces", count(s.free_truck_spaces)),
        ] {
            raw.set(column, value);
        }
    }
    for (key, value) in fields {
        if !COLUMNS.contains(&key.as_str()) {
            return Err(FieldsError::Unknown(key.clone()));
        }
        if !allowed(key) || (base.is_some() && key == "id") {
            return Err(FieldsError::NotAllowed(key.clone()));
        }
        let invalid = |problem: &str| {
            FieldsError::Invalid(RecordError {
                location: Location::File,
                field: key.clone(),
                problem: problem.into(),
            })
        };
        let text = match (key.as_str(), value) {
            ("services", Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .ok_or_else(|| invalid("must be an array of service ids"))
                })
                .collect::<Result<Vec<_>, _>>()?
                .join(";"),
            (_, Value::Array(_) | Value::Object(_) | Value::Bool(_)) => {
                return Err(invalid("must be a string or a number"));
            }
            (_, v) => scalar_text(v),
        };
        raw.set(key, text);
    }
    let mut station = validate(&raw, &Location::File, Crs::Wgs84, &now_rfc3339())
        .map_err(FieldsError::Invalid)?;
    if let Some(s) = base {
        station.version = s.version;
    }
    Ok(station)
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Writes stations as CSV in the import format (WGS-84).
pub struct CsvWriter<W: Write> {
    inner: csv::Writer<W>,
}

impl<W: Write> CsvWriter<W> {
    pub fn new(out: W) -> csv::Result<CsvWriter<W>> {
        let mut inner = csv::Writer::from_writer(out);
        inner.write_record(COLUMNS)?;
        Ok(CsvWriter { inner })
    }

    pub fn write(&mut self, s: &Station) -> csv::Result<()> {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        self.inner.write_record([
            s.id.clone(),
            s.kind.id().to_string(),
            s.name.clone(),
            s.address.clone(),
            s.adcode.clone(),
            s.location.lat.to_string(),
            s.location.lon.to_string(),
            s.services.to_list(),
            opt(&s.opening_hours),
            opt(&s.phone),
            s.truck_spaces.map(|n| n.to_string()).unwrap_or_default(),
            s.status.id().to_string(),
            opt(&s.notice),
            s.source.id().to_string(),
            s.free_truck_spaces
                .map(|n| n.to_string())
                .unwrap_or_default(),
        ])
    }

    pub fn finish(mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Writes a GeoJSON FeatureCollection one feature at a time (no whole-catalog buffer).
pub struct GeoJsonWriter<W: Write> {
    out: W,
    first: bool,
}

#[derive(Serialize)]
struct FeatureOut<'a> {
    r#type: &'static str,
    geometry: PointOut,
    properties: PropertiesOut<'a>,
}

#[derive(Serialize)]
struct PointOut {
    r#type: &'static str,
    coordinates: [f64; 2],
}

#[derive(Serialize)]
struct PropertiesOut<'a> {
    id: &'a str,
    kind: crate::model::Kind,
    name: &'a str,
    address: &'a str,
    adcode: &'a str,
    services: ServiceSet,
    opening_hours: &'a Option<String>,
    phone: &'a Option<String>,
    truck_spaces: Option<u32>,
    status: crate::model::Status,
    notice: &'a Option<String>,
    source: crate::model::Source,
    free_truck_spaces: Option<u32>,
}

impl<W: Write> GeoJsonWriter<W> {
    pub fn new(mut out: W) -> std::io::Result<GeoJsonWriter<W>> {
        out.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[")?;
        Ok(GeoJsonWriter { out, first: true })
    }

    pub fn write(&mut self, s: &Station) -> std::io::Result<()> {
        let feature = FeatureOut {
            r#type: "Feature",
            geometry: PointOut {
                r#type: "Point",
                coordinates: [s.location.lon, s.location.lat],
            },
            properties: PropertiesOut {
                id: &s.id,
                kind: s.kind,
                name: &s.name,
                address: &s.address,
                adcode: &s.adcode,
                services: s.services,
                opening_hours: &s.opening_hours,
                phone: &s.phone,
                truck_spaces: s.truck_spaces,
                status: s.status,
                notice: &s.notice,
                source: s.source,
                free_truck_spaces: s.free_truck_spaces,
            },
        };
        self.out
            .write_all(if self.first { b"\n" } else { b",\n" })?;
        self.first = false;
        serde_json::to_writer(&mut self.out, &feature)?;
        Ok(())
    }

    pub fn finish(mut self) -> std::io::Result<()> {
        self.out.write_all(b"\n]}\n")?;
        self.out.flush()
    }
}
