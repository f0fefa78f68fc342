//! `waystation`: the command-line face of the catalog. Parsing and printing only; every query,
//! import and export is done by `waystation_catalog`.

mod bars;
mod cli;
mod online;
mod render;

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Parser;
use serde_json::json;
use waystation_catalog::exchange::{self, CsvWriter, Format, GeoJsonWriter};
use waystation_catalog::hours::china_local;
use waystation_catalog::links::{all_links, nav_link};
use waystation_catalog::query::{Ahead, Filter};
use waystation_catalog::{Catalog, Hit, Lang, Route};

use crate::bars::Bars;
use crate::cli::{Cli, Command, FilterArgs, LangArg};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let lang = match cli.lang {
        LangArg::Zh => Lang::Zh,
        LangArg::En => Lang::En,
    };
    match run(cli, lang) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let prefix = if lang == Lang::Zh {
                "错误 error"
            } else {
                "error"
            };
            eprintln!("{prefix}: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `waystation near ... | head` closing the pipe early is not an error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|c| c.downcast_ref::<io::Error>())
        .any(|io| io.kind() == io::ErrorKind::BrokenPipe)
}

fn run(cli: Cli, lang: Lang) -> Result<()> {
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    match cli.command {
        Command::Gen(args) => {
            let stations = waystation_catalog::synthetic::generate(args.count as usize, args.seed);
            let sink = output(args.output.as_deref())?;
            let mut w = CsvWriter::new(sink)?;
            for s in &stations {
                w.write(s)?;
            }
            w.finish()?;
            if let Some(path) = args.output {
                eprintln!(
                    "{} → {} (示例数据 synthetic)",
                    stations.len(),
                    path.display()
                );
            }
        }
        Command::Near(args) => {
            let catalog = open(cli.catalog.as_deref(), false)?;
            let at = args.crs.to_wgs84(args.at);
            let mut filter = filter(&args.filter);
            filter.max_distance_m = args.within.map(|km| km * 1000.0);
            filter.ahead = args.heading.map(|heading_deg| Ahead {
                heading_deg,
                cone_deg: args.cone,
            });
            let hits = catalog.nearest(at, args.count as usize, &filter)?;
            print_hits(&mut out, &hits, args.json, lang)?;
        }
        Command::Search(args) => {
            if args.text.trim().is_empty() {
                bail!(
                    "the search text is empty: give part of a name or address, e.g. 南山 or 司机之家"
                );
            }
            let catalog = open(cli.catalog.as_deref(), false)?;
            let near = args.near.map(|p| args.crs.to_wgs84(p));
            let hits =
                catalog.search(&args.text, near, args.count as usize, &filter(&args.filter))?;
            print_hits(&mut out, &hits, args.json, lang)?;
        }
        Command::Along(args) => {
            let route = Route::from_file(&args.route)?;
            let catalog = open(cli.catalog.as_deref(), false)?;
            let hits = catalog.along(&route, args.within, &filter(&args.filter))?;
            print_hits(&mut out, &hits, args.json, lang)?;
        }
        Command::Show(args) => {
            let catalog = open(cli.catalog.as_deref(), false)?;
            let Hit {
                station, open_now, ..
            } = catalog.detail(&args.id, china_local(chrono::Utc::now()))?;
            if args.json {
                let doc = json!({
                    "station": station,
                    "open_now": open_now,
                    "links": all_links(station.location, &station.name),
                });
                writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
            } else {
                render::station_detail(&mut out, &station, open_now, lang)?;
            }
        }
        Command::Link(args) => {
            let catalog = open(cli.catalog.as_deref(), false)?;
            let station = catalog.station(&args.id)?;
            let link = nav_link(args.app, station.location, &station.name);
            let url = match (args.web, link.web) {
                (false, _) => link.url,
                (true, Some(web)) => web,
                (true, None) => link.url, // Apple, Google and geo: one link serves both
            };
            writeln!(out, "{url}")?;
        }
        Command::Import(args) => {
            let format = args.format.unwrap_or_else(|| Format::from_path(&args.file));
            let file = File::open(&args.file)
                .with_context(|| format!("cannot read {}", args.file.display()))?;
            let total = file.metadata().map(|m| m.len()).unwrap_or(0);
            let mut bars = Bars::new();
            let input = BufReader::new(file);
            let stations = match format {
                Format::Csv => exchange::read_csv(input, total, args.crs, &mut bars),
                Format::GeoJson => exchange::read_geojson(input, args.crs, &mut bars),
            }
            .map_err(|e| {
                anyhow::anyhow!(
                    "{}: import aborted, the catalog is unchanged: {e}",
                    args.file.display()
                )
            })?;
            let mut catalog = open(cli.catalog.as_deref(), true)?;
            let report = catalog.import(stations, &mut bars)?;
            let msg = match lang {
                Lang::Zh => format!(
                    "导入完成：新增 {}，更新 {}，未变 {}（{}）",
                    report.inserted,
                    report.updated,
                    report.unchanged,
                    catalog.path().display()
                ),
                Lang::En => format!(
                    "imported: {} new, {} updated, {} unchanged ({})",
                    report.inserted,
                    report.updated,
                    report.unchanged,
                    catalog.path().display()
                ),
            };
            writeln!(out, "{msg}")?;
        }
        Command::Export(args) => {
            let catalog = open(cli.catalog.as_deref(), false)?;
            let format = args
                .format
                .or_else(|| args.output.as_deref().map(Format::from_path))
                .unwrap_or_default();
            let sink = output(args.output.as_deref())?;
            match format {
                Format::Csv => {
                    let mut w = CsvWriter::new(sink)?;
                    catalog
                        .for_each_station(|s| w.write(s).map_err(|e| io::Error::other(e).into()))?;
                    w.finish()?;
                }
                Format::GeoJson => {
                    let mut w = GeoJsonWriter::new(sink)?;
                    catalog.for_each_station(|s| Ok(w.write(s)?))?;
                    w.finish()?;
                }
            }
        }
        Command::Serve(args) => {
            // Open once here so the default catalog is seeded; the server opens its own handle.
            let path = open(cli.catalog.as_deref(), true)?.path().to_path_buf();
            online::serve(&path, &args)?;
        }
        Command::Sync(args) => {
            // Syncing into a new file is how a fresh catalog is fetched from a server; if that
            // first sync fails, no empty file is left behind.
            let new_file = cli.catalog.as_deref().filter(|p| !p.exists());
            let mut catalog = open(cli.catalog.as_deref(), true)?;
            let result = online::run_sync(&mut catalog, &args, &mut out, lang);
            if let (Err(_), Some(path)) = (&result, new_file) {
                drop(catalog);
                for suffix in ["", "-wal", "-shm"] {
                    let mut p = path.as_os_str().to_owned();
                    p.push(suffix);
                    let _ = std::fs::remove_file(p);
                }
            }
            result?;
        }
        Command::Report(args) => {
            let catalog = open(cli.catalog.as_deref(), true)?;
            let report = waystation_catalog::reports::Report {
                station_id: args.id,
                problem: args.problem,
                service: args.service,
                note: args.note,
            };
            waystation_catalog::sync::report_problem(&catalog, &report)?;
            writeln!(
                out,
                "{}",
                if lang == Lang::Zh {
                    "已记录，下次同步时发送。"
                } else {
                    "Recorded; it is sent with the next sync."
                }
            )?;
        }
        Command::Admin(command) => {
            let catalog = open(cli.catalog.as_deref(), false)?;
            online::admin(&catalog, &command, &mut out)?;
        }
        Command::Operator(command) => {
            let mut catalog = open(cli.catalog.as_deref(), false)?;
            online::operator(&mut catalog, &command, &mut out, lang)?;
        }
        Command::Info(args) => {
            let catalog = open(cli.catalog.as_deref(), false)?;
            let info = catalog.info()?;
            if args.json {
                writeln!(out, "{}", serde_json::to_string_pretty(&info)?)?;
            } else {
                render::catalog_info(&mut out, &info, lang)?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

/// The attribute filters, evaluated at the requested time or now (China time).
fn filter(args: &FilterArgs) -> Filter {
    let when = args.open_at.map_or_else(chrono::Utc::now, |t| t.to_utc());
    let mut f = Filter::any_at(china_local(when));
    f.kinds = args.kinds.iter().copied().collect();
    f.services = args.services.iter().copied().collect();
    f.statuses = args.statuses.clone();
    f.open_only = args.open_now || args.open_at.is_some();
    f
}

fn print_hits(out: &mut impl Write, hits: &[Hit], json: bool, lang: Lang) -> Result<()> {
    if json {
        serde_json::to_writer_pretty(&mut *out, hits)?;
        writeln!(out)?;
    } else {
        render::hits_table(out, hits, lang)?;
    }
    Ok(())
}

fn output(path: Option<&Path>) -> Result<Box<dyn Write>> {
    Ok(match path {
        Some(p) => Box::new(BufWriter::new(
            File::create(p).with_context(|| format!("cannot write {}", p.display()))?,
        )),
        None => Box::new(BufWriter::new(io::stdout())),
    })
}

/// The user's catalog: the default one is created from the built-in seed on first use; an
/// explicitly named one must exist unless we are importing into it.
fn open(explicit: Option<&Path>, creating: bool) -> Result<Catalog> {
    match explicit {
        Some(path) => {
            if !creating && !path.exists() {
                bail!(
                    "no catalog at {}; create one with `waystation import FILE --catalog {}`, or omit --catalog to use the built-in one",
                    path.display(),
                    path.display()
                );
            }
            Ok(Catalog::open(path)?)
        }
        None => {
            let path = default_catalog_path()?;
            if !path.exists() {
                eprintln!(
                    "首次使用：正在创建内置示例目录 First use: creating the built-in catalog of synthetic example stations (示例数据) at {}",
                    path.display()
                );
            }
            Ok(Catalog::open_or_seed(&path, &mut Bars::new())?)
        }
    }
}

fn default_catalog_path() -> Result<PathBuf> {
    let dirs = directories::ProjectDirs::from("org", "Waystation", "waystation")
        .context("cannot find a home directory for the catalog; pass --catalog PATH")?;
    Ok(dirs.data_dir().join("catalog.sqlite"))
}
