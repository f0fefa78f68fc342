//! `waystation`: the command-line face of the catalog. Parsing and printing only; every query,
//! import and export is done by `waystation_catalog`.

mod bars;
mod cli;
mod database;
mod messages;
mod online;
mod render;

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use chrono::Utc;
use clap::Parser;
use waystation_catalog::exchange::{self, CsvWriter, Format, GeoJsonWriter};
use waystation_catalog::links::nav_link;
use waystation_catalog::{Bilingual, Catalog, CatalogError, Hit, Lang, Message, Query, Station};

use crate::bars::Bars;
use crate::cli::{
    Cli, Command, ExportArgs, GenArgs, ImportArgs, LangArg, LinkArgs, ReportArgs, SyncArgs,
};
use crate::messages::Msg;

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
            eprintln!("{}", error_text(&e, lang));
            ExitCode::FAILURE
        }
    }
}

/// A refused request shows its message id and its text in the chosen language (Chinese with
/// English by default); other errors show their chain, in which the CLI's own messages are
/// already in that language (see `messages`).
fn error_text(e: &anyhow::Error, lang: Lang) -> String {
    let prefix = messages::error_label(lang);
    let refused = e.chain().find_map(|c| {
        c.downcast_ref::<Message>()
            .cloned()
            .or_else(|| match c.downcast_ref::<CatalogError>() {
                Some(CatalogError::Refused(m)) => Some(m.clone()),
                Some(CatalogError::NotFound(id)) => Some(Message::NotFound { id: id.clone() }),
                _ => None,
            })
    });
    if let Some(m) = refused {
        let text = match lang {
            Lang::Zh => m.both(),
            Lang::En => m.text(Lang::En),
        };
        return format!("{prefix} [{}]: {text}", m.id());
    }
    // The context the CLI added (already in both languages), then the first error that can
    // say itself in both; its own causes are part of its text.
    let mut parts = Vec::new();
    for cause in e.chain() {
        if let Some(text) = bilingual(cause, lang) {
            parts.push(text);
            break;
        }
        parts.push(cause.to_string());
    }
    format!("{prefix}: {}", parts.join(": "))
}

fn bilingual(cause: &(dyn std::error::Error + 'static), lang: Lang) -> Option<String> {
    if let Some(e) = cause.downcast_ref::<CatalogError>() {
        return Some(e.text(lang));
    }
    if let Some(e) = cause.downcast_ref::<waystation_sync::SyncError>() {
        return Some(e.text(lang));
    }
    if let Some(e) = cause.downcast_ref::<waystation_catalog::RecordError>() {
        return Some(e.text(lang));
    }
    if let Some(e) = cause.downcast_ref::<waystation_postgres::Error>() {
        return Some(e.text(lang));
    }
    None
}

/// `waystation near ... | head` closing the pipe early is not an error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|c| c.downcast_ref::<io::Error>())
        .any(|io| io.kind() == io::ErrorKind::BrokenPipe)
}

/// One function per command; each writes to `out`.
fn run(cli: Cli, lang: Lang) -> Result<()> {
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let catalog = cli.catalog.as_deref();
    match cli.command {
        Command::Gen(args) => gen_command(&args, lang)?,
        Command::Near(args) => {
            let query = Query::Near(args.request().check(Utc::now())?);
            answer(&mut out, catalog, &query, args.json, lang)?;
        }
        Command::Search(args) => {
            let query = Query::Search(args.request().check(Utc::now())?);
            answer(&mut out, catalog, &query, args.json, lang)?;
        }
        Command::Along(args) => {
            let text = std::fs::read_to_string(&args.route).with_context(|| {
                Msg::CannotRead {
                    path: args.route.display(),
                }
                .text(lang)
            })?;
            let query = Query::Along(args.request().check(&text, Utc::now())?);
            answer(&mut out, catalog, &query, args.json, lang)?;
        }
        Command::Show(args) => {
            let query = args.request().check(Utc::now())?;
            let detail = open(catalog, false, lang)?.detail(&args.id, &query)?;
            if args.json {
                writeln!(out, "{}", serde_json::to_string_pretty(&detail)?)?;
            } else {
                render::station_detail(&mut out, &detail, lang)?;
            }
        }
        Command::Link(args) => link_command(&open(catalog, false, lang)?, &args, &mut out)?,
        Command::Import(args) => import_command(catalog, &args, &mut out, lang)?,
        Command::Export(args) => match args.database.url(catalog)? {
            Some(url) => database::export(url, &args, lang)?,
            None => export_command(&open(catalog, false, lang)?, &args, lang)?,
        },
        Command::Migrate(args) => database::migrate(&args, &mut out, lang)?,
        Command::Serve(args) => match args.database.url(catalog)? {
            Some(url) => online::serve_database(url, &args, lang)?,
            None => {
                // Open once here so the default catalog is seeded; the server opens its own.
                let path = open(catalog, true, lang)?.path().to_path_buf();
                online::serve(&path, &args, lang)?;
            }
        },
        Command::Keygen(args) => {
            let key =
                waystation_server::signing::ServerKey::generate(&args.file).with_context(|| {
                    Msg::CannotWriteKey {
                        path: args.file.display(),
                    }
                    .text(lang)
                })?;
            writeln!(out, "{}", key.public_hex())?;
        }
        Command::Sync(args) => sync_command(catalog, &args, &mut out, lang)?,
        Command::Report(args) => report_command(&open(catalog, true, lang)?, args, &mut out, lang)?,
        Command::Admin(args) => match args.database.url(catalog)? {
            Some(url) => {
                let store = waystation_server::replica::PgStore::connect(url)
                    .map_err(anyhow::Error::msg)?;
                online::admin(&store, None, &args.command, &mut out, lang)?
            }
            None => {
                let path = open(catalog, false, lang)?.path().to_path_buf();
                let store = waystation_server::store::SqliteStore::for_admin(&path)
                    .map_err(anyhow::Error::msg)?;
                online::admin(&store, Some(&path), &args.command, &mut out, lang)?
            }
        },
        Command::Confirm(args) => {
            let confirmation = waystation_catalog::confirmations::Confirmation {
                station_id: args.id,
                fact: args.fact,
                holds: !args.no,
                device: None,
            };
            waystation_sync::confirming::confirm_fact(&open(catalog, true, lang)?, &confirmation)?;
            writeln!(out, "{}", queued(lang))?;
        }
        Command::Propose(args) => {
            online::propose(&open(catalog, true, lang)?, &args, &mut out, lang)?
        }
        Command::Proposals(args) => {
            online::proposals(&mut open(catalog, false, lang)?, &args, &mut out, lang)?
        }
        Command::Operator(command) => {
            online::operator(&mut open(catalog, false, lang)?, &command, &mut out, lang)?
        }
        Command::Info(args) => {
            let (info, parts) = match args.database.url(catalog)? {
                Some(_) if args.sizes => bail!(
                    "--sizes 只适用于目录文件；数据库的大小请问 PostgreSQL（pg_total_relation_size）— --sizes is for a catalog file; ask PostgreSQL for a database's (pg_total_relation_size)"
                ),
                Some(url) => (database::info(url)?, None),
                None => {
                    let mut catalog = open(catalog, false, lang)?;
                    let parts = args.sizes.then(|| catalog.file_parts()).transpose()?;
                    (catalog.info()?, parts)
                }
            };
            if args.json {
                let mut json = serde_json::to_value(&info)?;
                if let (Some(parts), Some(object)) = (&parts, json.as_object_mut()) {
                    object.insert("sizes".into(), serde_json::to_value(parts)?);
                }
                writeln!(out, "{}", serde_json::to_string_pretty(&json)?)?;
            } else {
                render::catalog_info(&mut out, &info, lang)?;
                if let Some(parts) = &parts {
                    render::file_parts(&mut out, parts, lang)?;
                }
            }
        }
    }
    out.flush()?;
    Ok(())
}

fn gen_command(args: &GenArgs, lang: Lang) -> Result<()> {
    let stations = waystation_synthetic::generate(args.count as usize, args.seed);
    let mut w = CsvWriter::new(output(args.output.as_deref(), lang)?)?;
    for s in &stations {
        w.write(s)?;
    }
    w.finish()?;
    if let Some(path) = &args.output {
        eprintln!(
            "{} → {} (示例数据 synthetic)",
            stations.len(),
            path.display()
        );
    }
    Ok(())
}

fn link_command(catalog: &Catalog, args: &LinkArgs, out: &mut impl Write) -> Result<()> {
    let station = catalog.station(&args.id)?;
    let link = nav_link(args.app, station.location, &station.name);
    let url = match (args.web, link.web) {
        (false, _) => link.url,
        (true, Some(web)) => web,
        (true, None) => link.url, // Apple, Google and geo: one link serves both
    };
    writeln!(out, "{url}")?;
    Ok(())
}

fn import_command(
    catalog: Option<&Path>,
    args: &ImportArgs,
    out: &mut impl Write,
    lang: Lang,
) -> Result<()> {
    let mut bars = Bars::new();
    let stations = read_stations(args, &mut bars, lang)?;
    let (report, into) = match args.database.url(catalog)? {
        Some(url) => (
            database::import(url, &stations)?,
            waystation_postgres::shown(url),
        ),
        None => {
            let mut catalog = open(catalog, true, lang)?;
            let report = catalog.import(stations, &mut bars)?;
            (report, catalog.path().display().to_string())
        }
    };
    let msg = match lang {
        Lang::Zh => format!(
            "导入完成：新增 {}，更新 {}，未变 {}（{into}）",
            report.inserted, report.updated, report.unchanged
        ),
        Lang::En => format!(
            "imported: {} new, {} updated, {} unchanged ({into})",
            report.inserted, report.updated, report.unchanged
        ),
    };
    writeln!(out, "{msg}")?;
    Ok(())
}

/// The stations of an import file, every record checked (nothing is written if one is bad).
fn read_stations(args: &ImportArgs, bars: &mut Bars, lang: Lang) -> Result<Vec<Station>> {
    let format = args.format.unwrap_or_else(|| Format::from_path(&args.file));
    let file = File::open(&args.file).with_context(|| {
        Msg::CannotRead {
            path: args.file.display(),
        }
        .text(lang)
    })?;
    let total = file.metadata().map(|m| m.len()).unwrap_or(0);
    let input = BufReader::new(file);
    match format {
        Format::Csv => exchange::read_csv(input, total, args.crs, bars),
        Format::GeoJson => exchange::read_geojson(input, args.crs, bars),
    }
    .map_err(|e| {
        anyhow::Error::new(e).context(
            Msg::ImportAborted {
                file: args.file.display(),
            }
            .text(lang),
        )
    })
}

fn export_command(catalog: &Catalog, args: &ExportArgs, lang: Lang) -> Result<()> {
    export_with(args, lang, |each| Ok(catalog.for_each_station(each)?))
}

/// Writes every station `for_each` gives to `args`'s output in its format: an export from
/// either store is the same file.
pub(crate) fn export_with(
    args: &ExportArgs,
    lang: Lang,
    for_each: impl FnOnce(&mut dyn FnMut(&Station) -> waystation_catalog::Result<()>) -> Result<()>,
) -> Result<()> {
    let format = args
        .format
        .or_else(|| args.output.as_deref().map(Format::from_path))
        .unwrap_or_default();
    let sink = output(args.output.as_deref(), lang)?;
    match format {
        Format::Csv => {
            let mut w = CsvWriter::new(sink)?;
            for_each(&mut |s| w.write(s).map_err(|e| io::Error::other(e).into()))?;
            w.finish()?;
        }
        Format::GeoJson => {
            let mut w = GeoJsonWriter::new(sink)?;
            for_each(&mut |s| Ok(w.write(s)?))?;
            w.finish()?;
        }
    }
    Ok(())
}

fn sync_command(
    catalog: Option<&Path>,
    args: &SyncArgs,
    out: &mut impl Write,
    lang: Lang,
) -> Result<()> {
    // Syncing into a new file is how a fresh catalog is fetched from a server; if that first
    // sync fails, no empty file is left behind.
    let new_file = catalog.filter(|p| !p.exists());
    let mut opened = open(catalog, true, lang)?;
    let result = online::run_sync(&mut opened, args, out, lang);
    if let (Err(_), Some(path)) = (&result, new_file) {
        drop(opened);
        for suffix in ["", "-wal", "-shm"] {
            let mut p = path.as_os_str().to_owned();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
    result
}

fn report_command(
    catalog: &Catalog,
    args: ReportArgs,
    out: &mut impl Write,
    lang: Lang,
) -> Result<()> {
    let report = waystation_catalog::reports::Report {
        station_id: args.id,
        problem: args.problem,
        service: args.service,
        note: args.note,
    };
    waystation_sync::report_problem(catalog, &report)?;
    writeln!(out, "{}", queued(lang))?;
    Ok(())
}

/// What a report or a confirmation made offline is told.
fn queued(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "已记录，下次同步时发送。",
        Lang::En => "Recorded; it is sent with the next sync.",
    }
}

/// Runs a checked query on the user's catalog and prints its hits.
fn answer(
    out: &mut impl Write,
    catalog: Option<&Path>,
    query: &Query,
    json: bool,
    lang: Lang,
) -> Result<()> {
    print_hits(out, &open(catalog, false, lang)?.hits(query)?, json, lang)
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

fn output(path: Option<&Path>, lang: Lang) -> Result<Box<dyn Write>> {
    Ok(match path {
        Some(p) => {
            Box::new(BufWriter::new(File::create(p).with_context(|| {
                Msg::CannotWrite { path: p.display() }.text(lang)
            })?))
        }
        None => Box::new(BufWriter::new(io::stdout())),
    })
}

/// The user's catalog: the default one is created from the built-in seed on first use; an
/// explicitly named one must exist unless we are importing into it.
fn open(explicit: Option<&Path>, creating: bool, lang: Lang) -> Result<Catalog> {
    match explicit {
        Some(path) => {
            if !creating && !path.exists() {
                bail!(
                    Msg::NoCatalog {
                        path: path.display()
                    }
                    .text(lang)
                );
            }
            Ok(Catalog::open(path)?)
        }
        None => {
            let path = default_catalog_path(lang)?;
            if !path.exists() {
                eprintln!(
                    "{}",
                    Msg::FirstUse {
                        path: path.display()
                    }
                    .text(lang)
                );
            }
            Ok(waystation_synthetic::open_or_seed(&path, &mut Bars::new())?)
        }
    }
}

fn default_catalog_path(lang: Lang) -> Result<PathBuf> {
    let dirs = directories::ProjectDirs::from("org", "Waystation", "waystation")
        .with_context(|| Msg::NoHome {}.text(lang))?;
    Ok(dirs.data_dir().join("catalog.sqlite"))
}
