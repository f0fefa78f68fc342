//! Human-readable output: result tables with double-width Chinese aligned, station details,
//! and catalog facts, in Chinese or English.

use std::io::{self, Write};

use unicode_width::UnicodeWidthStr;
use waystation_catalog::confirmations::{self, FactTally};
use waystation_catalog::sphere::compass;
use waystation_catalog::store::sizes::{self, FilePart};
use waystation_catalog::{CatalogInfo, Detail, Hit, Lang, Service, Source, Station, Status};

/// Words that differ between the two languages.
struct Words {
    distance: &'static str,
    direction: &'static str,
    name: &'static str,
    kind: &'static str,
    state: &'static str,
    services: &'static str,
    along: &'static str,
    off_route: &'static str,
    arrival: &'static str,
    open: &'static str,
    closed: &'static str,
    unknown: &'static str,
    synthetic_mark: &'static str,
    synthetic_note: &'static str,
    none_found: &'static str,
    trucks: &'static str,
    trucks_free: &'static str,
    said: &'static str,
}

fn words(lang: Lang) -> &'static Words {
    const ZH: Words = Words {
        distance: "距离",
        direction: "方向",
        name: "名称",
        kind: "类型",
        state: "营业",
        services: "服务",
        along: "沿途",
        off_route: "偏离",
        arrival: "到达（届时）",
        open: "营业中",
        closed: "已打烊",
        unknown: "时间未知",
        synthetic_mark: "[示例数据]",
        synthetic_note: "标有 [示例数据] 的站点是生成的示例，并非真实站点。",
        none_found: "没有找到符合条件的站点。",
        trucks: "货车位",
        trucks_free: "空余货车位",
        said: "司机确认",
    };
    const EN: Words = Words {
        distance: "Distance",
        direction: "Dir",
        name: "Name",
        kind: "Kind",
        state: "Now",
        services: "Services",
        along: "Along",
        off_route: "Off route",
        arrival: "Arrival (then)",
        open: "open",
        closed: "closed",
        unknown: "hours unknown",
        synthetic_mark: "[示例数据 synthetic]",
        synthetic_note: "Stations marked [示例数据 synthetic] are generated examples, not real stations.",
        none_found: "No station matches.",
        trucks: "truck spaces",
        trucks_free: "free truck spaces",
        said: "Drivers said",
    };
    match lang {
        Lang::Zh => &ZH,
        Lang::En => &EN,
    }
}

/// Pads to a display width (Chinese characters take two columns).
fn pad(text: &str, width: usize) -> String {
    let w = UnicodeWidthStr::width(text);
    format!("{text}{}", " ".repeat(width.saturating_sub(w)))
}

pub fn km(m: f64) -> String {
    if m < 10_000.0 {
        format!("{:.1} km", m / 1000.0)
    } else {
        format!("{:.0} km", m / 1000.0)
    }
}

fn state_text(station: &Station, open_now: Option<bool>, lang: Lang) -> String {
    let w = words(lang);
    if station.status != Status::Open {
        return station.status.label(lang).to_string();
    }
    match open_now {
        Some(true) => w.open.into(),
        Some(false) => w.closed.into(),
        None => w.unknown.into(),
    }
}

/// "11-30 00:30 营业": when the station is reached (China time) and its state then.
fn arrival_text(hit: &Hit, lang: Lang) -> String {
    let Some(eta) = hit.eta else {
        return String::new();
    };
    let then = state_text(&hit.station, hit.open_at_arrival.flatten(), lang);
    format!("{} {then}", eta.format("%m-%d %H:%M"))
}

fn name_text(station: &Station, lang: Lang) -> String {
    if station.source == Source::Synthetic {
        format!("{} {}", station.name, words(lang).synthetic_mark)
    } else {
        station.name.clone()
    }
}

/// A fact's name: open now, free truck spaces, or a service's.
fn fact_label(fact: &str, lang: Lang) -> String {
    let zh = lang == Lang::Zh;
    match fact {
        confirmations::OPEN => (if zh { "现在营业" } else { "open now" }).into(),
        confirmations::FREE_TRUCK_SPACES => words(lang).trucks_free.into(),
        _ => fact
            .parse::<Service>()
            .map_or_else(|_| fact.to_string(), |s| s.label(lang).to_string()),
    }
}

/// "3 天前确认 · 本月 5 人确认", "有争议（2 人说不对）" or "待确认", as the app says it.
fn tally_text(t: &FactTally, lang: Lang) -> String {
    let zh = lang == Lang::Zh;
    if t.disputed() {
        return if zh {
            format!("有争议（{} 人说不对）", t.denied)
        } else {
            format!("disputed ({} said no)", t.denied)
        };
    }
    let days = t
        .last_confirmed
        .as_deref()
        .and_then(|at| chrono::DateTime::parse_from_rfc3339(at).ok())
        .map(|at| (chrono::Utc::now() - at.to_utc()).num_days());
    match days {
        Some(d) if d <= confirmations::CONFIRMED_DAYS => {
            let when = match (d, zh) {
                (0, true) => "今天确认".to_string(),
                (0, false) => "confirmed today".to_string(),
                (d, true) => format!("{d} 天前确认"),
                (d, false) => format!("confirmed {d} days ago"),
            };
            if zh {
                format!("{when} · 本月 {} 人确认", t.confirmed)
            } else {
                format!("{when} · {} in 30 days", t.confirmed)
            }
        }
        _ => (if zh { "待确认" } else { "to be confirmed" }).into(),
    }
}

/// What a row says of drivers' word: a disputed fact first, else the one confirmed most
/// recently (as the app's list does); empty when nobody spoke to any.
fn said_text(hit: &Hit, lang: Lang) -> String {
    let shown = hit.facts.iter().find(|t| t.disputed()).or_else(|| {
        hit.facts
            .iter()
            .filter(|t| t.last_confirmed.is_some())
            .max_by(|a, b| a.last_confirmed.cmp(&b.last_confirmed))
    });
    shown.map_or_else(String::new, |t| {
        format!("{} {}", fact_label(&t.fact, lang), tally_text(t, lang))
    })
}

fn services_text(station: &Station, lang: Lang) -> String {
    let mut parts: Vec<String> = station
        .services
        .iter()
        .map(|s| s.label(lang).to_string())
        .collect();
    match (station.truck_spaces, station.free_truck_spaces) {
        (Some(n), Some(free)) => parts.push(format!("{} {free}/{n}", words(lang).trucks_free)),
        (Some(n), None) => parts.push(format!("{} {n}", words(lang).trucks)),
        (None, Some(free)) => parts.push(format!("{} {free}", words(lang).trucks_free)),
        (None, None) => {}
    }
    parts.join(if lang == Lang::Zh { "、" } else { ", " })
}

/// The result table of near/search/along.
pub fn hits_table(out: &mut impl Write, hits: &[Hit], lang: Lang) -> io::Result<()> {
    let w = words(lang);
    if hits.is_empty() {
        return writeln!(out, "{}", w.none_found);
    }
    let on_route = hits.iter().any(|h| h.along_m.is_some());
    let mut header = vec!["#".to_string()];
    if on_route {
        header.extend([w.along.to_string(), w.off_route.to_string()]);
    }
    header.extend([w.distance, w.direction, w.name, w.kind, w.state].map(String::from));
    let arriving = hits.iter().any(|h| h.eta.is_some());
    if arriving {
        header.push(w.arrival.to_string());
    }
    header.push(w.services.to_string());
    let said = hits.iter().any(|h| !h.facts.is_empty());
    if said {
        header.push(w.said.to_string());
    }
    let rows: Vec<Vec<String>> = hits
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let mut row = vec![(i + 1).to_string()];
            if on_route {
                row.push(h.along_m.map(km).unwrap_or_default());
                row.push(h.offset_m.map(|m| format!("{m:.0} m")).unwrap_or_default());
            }
            row.push(h.distance_m.map(km).unwrap_or_else(|| "-".into()));
            row.push(
                h.bearing_deg
                    .map_or_else(|| "-".into(), |b| compass(b, lang).to_string()),
            );
            row.push(name_text(&h.station, lang));
            row.push(h.station.kind.label(lang).to_string());
            row.push(state_text(&h.station, h.open_now, lang));
            if arriving {
                row.push(arrival_text(h, lang));
            }
            row.push(services_text(&h.station, lang));
            if said {
                row.push(said_text(h, lang));
            }
            row
        })
        .collect();
    let columns = header.len();
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            std::iter::once(&header)
                .chain(&rows)
                .map(|r| UnicodeWidthStr::width(r[c].as_str()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in std::iter::once(&header).chain(&rows) {
        let line: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, cell)| {
                if c + 1 == columns {
                    cell.clone()
                } else {
                    pad(cell, widths[c])
                }
            })
            .collect();
        writeln!(out, "{}", line.join("  ").trim_end())?;
    }
    if hits.iter().any(|h| h.station.source == Source::Synthetic) {
        writeln!(out, "\n{}", w.synthetic_note)?;
    }
    Ok(())
}

/// A station's details with every navigation link.
pub fn station_detail(out: &mut impl Write, detail: &Detail, lang: Lang) -> io::Result<()> {
    let zh = lang == Lang::Zh;
    let (s, open_now) = (&detail.hit.station, detail.hit.open_now);
    let label = |zh_text: &'static str, en_text: &'static str| if zh { zh_text } else { en_text };
    writeln!(out, "{}", name_text(s, lang))?;
    let mut field = |k: &str, v: String| -> io::Result<()> {
        if v.is_empty() {
            Ok(())
        } else {
            writeln!(out, "  {}  {v}", pad(k, 10))
        }
    };
    field(label("编号", "ID"), s.id.clone())?;
    field(label("类型", "Kind"), s.kind.label(lang).to_string())?;
    field(label("地址", "Address"), s.address.clone())?;
    field(
        label("位置", "Position"),
        format!("{:.6}, {:.6} (WGS-84)", s.location.lat, s.location.lon),
    )?;
    if let (Some(d), Some(b)) = (detail.hit.distance_m, detail.hit.bearing_deg) {
        field(
            label("距离", "Distance"),
            format!("{} {}", km(d), compass(b, lang)),
        )?;
    }
    let hours = s
        .opening_hours
        .clone()
        .unwrap_or_else(|| words(lang).unknown.to_string());
    field(
        label("营业时间", "Hours"),
        format!("{hours} ({})", state_text(s, open_now, lang)),
    )?;
    field(label("服务", "Services"), services_text(s, lang))?;
    for t in &detail.hit.facts {
        field(
            label("司机说", "Drivers"),
            format!("{}: {}", fact_label(&t.fact, lang), tally_text(t, lang)),
        )?;
    }
    field(label("电话", "Phone"), s.phone.clone().unwrap_or_default())?;
    field(
        label("公告", "Notice"),
        s.notice.clone().unwrap_or_default(),
    )?;
    field(label("来源", "Source"), s.source.label(lang).to_string())?;
    field(
        label("更新", "Updated"),
        format!("{} (v{})", s.updated_at, s.version),
    )?;
    writeln!(out, "  {}", label("导航", "Navigate"))?;
    for link in detail.links.iter().cloned() {
        writeln!(out, "    {}  {}", pad(link.app.label(lang), 12), link.url)?;
        if let Some(web) = link.web {
            writeln!(out, "    {}  {web}", pad("", 12))?;
        }
    }
    if s.source == Source::Synthetic {
        writeln!(out, "\n{}", words(lang).synthetic_note)?;
    }
    Ok(())
}

/// What each part of a catalog file costs, largest first, with its share of the whole; the
/// parts under a tenth of a percent on one line.
pub fn file_parts(out: &mut impl Write, parts: &[FilePart], lang: Lang) -> io::Result<()> {
    let zh = lang == Lang::Zh;
    let total: u64 = parts.iter().map(|p| p.bytes).sum();
    let share = |bytes: u64| bytes as f64 * 100.0 / total.max(1) as f64;
    let line = |out: &mut dyn Write, what: &str, bytes: u64| {
        let mb = bytes as f64 / 1e6;
        writeln!(
            out,
            "  {}  {mb:>8.1} MB  {:>5.1}%",
            pad(what, 44),
            share(bytes)
        )
    };
    let title = if zh {
        "各部分占用"
    } else {
        "What each part costs"
    };
    writeln!(out, "{title}")?;
    let (large, small): (Vec<&FilePart>, Vec<&FilePart>) =
        parts.iter().partition(|p| share(p.bytes) >= 0.1);
    for p in large {
        let (zh_text, en_text) = match p.part.as_str() {
            "stations" => ("站点（含 id 索引）", "stations (with their id index)"),
            "station_text" => ("名称与地址的全文索引", "text index of names and addresses"),
            "changes" => ("变更记录（同步用）", "change feed (for syncing)"),
            "packed_index" => ("打包的查询索引", "packed query index"),
            "texts" => (
                "站点共用的文字（地区名、营业时间）",
                "texts stations share (regions, opening hours)",
            ),
            "fact_tallies" => ("司机确认汇总", "drivers' tallies"),
            sizes::FREE_PAGES => (
                "空闲页（留给以后的写入）",
                "free pages (kept for later writes)",
            ),
            other => (other, other),
        };
        line(out, if zh { zh_text } else { en_text }, p.bytes)?;
    }
    if !small.is_empty() {
        let n = small.len();
        let what = if zh {
            format!("其余 {n} 个表")
        } else {
            format!("{n} other tables")
        };
        line(out, &what, small.iter().map(|p| p.bytes).sum())?;
    }
    Ok(())
}

pub fn catalog_info(out: &mut impl Write, info: &CatalogInfo, lang: Lang) -> io::Result<()> {
    let zh = lang == Lang::Zh;
    let label = |zh_text: &'static str, en_text: &'static str| if zh { zh_text } else { en_text };
    writeln!(out, "{}  {}", pad(label("路径", "Path"), 14), info.path)?;
    writeln!(
        out,
        "{}  {}",
        pad(label("结构版本", "Schema version"), 14),
        info.schema_version
    )?;
    writeln!(
        out,
        "{}  {:.1} MB",
        pad(label("文件大小", "File size"), 14),
        info.file_bytes as f64 / 1e6
    )?;
    writeln!(
        out,
        "{}  {}",
        pad(label("站点总数", "Stations"), 14),
        info.stations
    )?;
    for k in &info.per_kind {
        writeln!(out, "  {}  {}", pad(k.kind.label(lang), 20), k.count)?;
    }
    writeln!(
        out,
        "{}  {} ({:.1}%)",
        pad(label("示例数据", "Synthetic"), 14),
        info.synthetic,
        info.synthetic_share * 100.0
    )?;
    if let Some(t) = &info.last_updated {
        writeln!(out, "{}  {t}", pad(label("最近更新", "Last updated"), 14))?;
    }
    Ok(())
}
