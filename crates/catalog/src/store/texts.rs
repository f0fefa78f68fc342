//! Texts many stations share, kept once in the file (migration 13): the region an address
//! begins with ("广东省深圳市南山区", the full name of the station's county code), and the
//! opening hours (a national catalog has a dozen distinct ones). A station row holds their codes
//! in `texts` and the rest of its address. The catalog's readers put them together ([`Known`]),
//! the `station_rows` view does for SQL and for the text index, whose content it is: every
//! reader sees the address and hours as given. A national device file is 8 MB lighter for it.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, Transaction};

use crate::error::Result;
use crate::geography;

/// A station's address and hours as its row stores them.
pub struct Stored<'a> {
    /// The code of the region the address begins with; None when it begins otherwise.
    pub region: Option<i64>,
    /// The address after that region (the whole address when there is none).
    pub street_address: &'a str,
    pub hours: Option<i64>,
}

/// `address` in `adcode` and `hours` as a row stores them, adding the texts `texts` lacks.
pub fn store<'a>(
    tx: &Transaction<'_>,
    address: &'a str,
    adcode: &str,
    hours: Option<&str>,
) -> Result<Stored<'a>> {
    let (region, street_address) = match geography::full_name_of(adcode)
        .filter(|region| !region.is_empty())
        .and_then(|region| Some((region, address.strip_prefix(region)?)))
    {
        Some((region, rest)) => (Some(code(tx, region)?), rest),
        None => (None, address),
    };
    Ok(Stored {
        region,
        street_address,
        hours: hours.map(|h| code(tx, h)).transpose()?,
    })
}

/// The code of `text`, added if new.
fn code(tx: &Transaction<'_>, text: &str) -> Result<i64> {
    let known = tx
        .prepare_cached("SELECT code FROM texts WHERE text = ?1")?
        .query_row([text], |r| r.get(0))
        .optional()?;
    match known {
        Some(code) => Ok(code),
        None => Ok(tx
            .prepare_cached("INSERT INTO texts (text) VALUES (?1) RETURNING code")?
            .query_row([text], |r| r.get(0))?),
    }
}

/// The texts of the codes a reader meets, each asked of the file once: the catalog's own readers
/// put a row's address and hours together themselves rather than through `station_rows`, which
/// looks the codes up row by row (the index's scan of the rows took 60 % longer through it). A
/// code always names the same text: codes are not handed out again once their text is dropped
/// (`AUTOINCREMENT`).
pub struct Known<'c> {
    conn: &'c Connection,
    texts: HashMap<i64, Option<Box<str>>>,
    /// Every text read at once, after `ONE_BY_ONE` were asked one by one: a search across the
    /// country meets most of the ~2,900 regions, a query's few rows a few.
    all: bool,
}

const ONE_BY_ONE: usize = 32;

impl<'c> Known<'c> {
    pub fn new(conn: &'c Connection) -> Known<'c> {
        Known {
            conn,
            texts: HashMap::new(),
            all: false,
        }
    }

    /// The text of `code`, as `station_rows` reads it: none for a code the file lacks (the
    /// writers add a text before the row that names it, and drop none a row names).
    pub fn text(&mut self, code: i64) -> rusqlite::Result<Option<&str>> {
        if !self.texts.contains_key(&code) && !self.all && self.texts.len() >= ONE_BY_ONE {
            // What is not text (a file from before migration 13 may hold other values) is
            // left to be asked alone, and fails only the row that names it.
            let mut stmt = self.conn.prepare_cached("SELECT code, text FROM texts")?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                if let Ok(text) = r.get_ref(1)?.as_str() {
                    self.texts.insert(r.get(0)?, Some(text.into()));
                }
            }
            self.all = true;
        }
        // Asked alone: one of the first few, one not text, or one written since the rest
        // were read (a reader in chunks reads each in a read of its own).
        if !self.texts.contains_key(&code) {
            let text: Option<String> = self
                .conn
                .prepare_cached("SELECT text FROM texts WHERE code = ?1")?
                .query_row([code], |r| r.get(0))
                .optional()?;
            self.texts.insert(code, text.map(Box::from));
        }
        Ok(self.texts.get(&code).and_then(|t| t.as_deref()))
    }

    /// The whole address of a row that stores `region` and `street_address`, into `out`.
    pub fn address(
        &mut self,
        region: Option<i64>,
        street_address: &str,
        out: &mut String,
    ) -> rusqlite::Result<()> {
        out.clear();
        if let Some(code) = region {
            out.push_str(self.text(code)?.unwrap_or_default());
        }
        out.push_str(street_address);
        Ok(())
    }
}

/// Drops the texts no station uses any more (after a snapshot rewrote every row): a text left
/// by an edit costs a row of its own until then, never a wrong answer. (No foreign key points
/// at `texts`: with one, each text dropped would scan every row, unindexed, to check it.)
pub fn forget_unused(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "DELETE FROM texts WHERE code NOT IN (
             SELECT region FROM stations WHERE region IS NOT NULL
             UNION SELECT hours FROM stations WHERE hours IS NOT NULL)",
    )
}

/// Puts the full name of each county code the stations name, as [`store`] takes it off an
/// address, where migration 13 reads them (`temp.region_names`): SQL has no geography of its
/// own. A new, empty catalog stages none.
pub fn stage_region_names(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS region_names (adcode TEXT PRIMARY KEY, name TEXT NOT NULL);
         DELETE FROM temp.region_names;",
    )?;
    let adcodes: Vec<String> = tx
        .prepare("SELECT DISTINCT adcode FROM stations WHERE typeof(adcode) = 'text'")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut add = tx.prepare("INSERT INTO temp.region_names VALUES (?1, ?2)")?;
    for adcode in &adcodes {
        if let Some(name) = geography::full_name_of(adcode).filter(|n| !n.is_empty()) {
            add.execute([adcode.as_str(), name])?;
        }
    }
    Ok(())
}
