//! The commands over a catalog in PostgreSQL (`--database URL`, or WAYSTATION_DATABASE_URL):
//! `migrate` (the schema, and copying a SQLite catalog in), `export` and `info`. Each runs on a
//! small runtime of its own; the rules are `waystation_postgres`'s.

use std::io::Write;

use anyhow::Result;
use waystation_catalog::{CatalogInfo, ImportReport, Lang};
use waystation_postgres::{copy, schema, shown, stations};

use crate::cli::{ExportArgs, MigrateArgs};

fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

pub fn migrate(args: &MigrateArgs, out: &mut impl Write, lang: Lang) -> Result<()> {
    let zh = lang == Lang::Zh;
    runtime()?.block_on(async {
        let mut client = waystation_postgres::connect(&args.database).await?;
        let version = schema::migrate(&mut client).await?;
        writeln!(
            out,
            "{} {} (schema {version})",
            if zh {
                "目录结构已就绪"
            } else {
                "schema ready in"
            },
            shown(&args.database)
        )?;
        if let Some(from) = &args.from {
            let copied = copy::from_sqlite(from, &mut client).await?;
            for (table, rows) in &copied.tables {
                writeln!(out, "  {table:<14} {rows}")?;
            }
            writeln!(
                out,
                "{} {} → {} (feed at #{})",
                if zh { "已复制" } else { "copied" },
                from.display(),
                shown(&args.database),
                copied.head
            )?;
        }
        Ok(())
    })
}

pub fn export(url: &str, args: &ExportArgs, lang: Lang) -> Result<()> {
    let runtime = runtime()?;
    let client = runtime.block_on(waystation_postgres::open(url))?;
    crate::export_with(args, lang, |each| {
        Ok(runtime.block_on(stations::for_each_station(&client, each))?)
    })
}

pub fn info(url: &str) -> Result<CatalogInfo> {
    runtime()?.block_on(async {
        let client = waystation_postgres::open(url).await?;
        Ok(stations::info(&client, &shown(url)).await?)
    })
}

/// Imports checked stations into the database, all or nothing.
pub fn import(url: &str, stations: &[waystation_catalog::Station]) -> Result<ImportReport> {
    runtime()?.block_on(async {
        let mut client = waystation_postgres::open(url).await?;
        let now = waystation_catalog::exchange::now_rfc3339();
        Ok(stations::import(&mut client, stations, &now).await?)
    })
}
