//! Name and address search: a word of three or more characters through the trigram index, a
//! shorter one by a substring match over the rows.
//!
//! The trigram index keeps no positions (FTS5 `detail=none`, a quarter of the size of one that
//! does), so it answers which rows hold all of a word's trigrams; whether they stand together
//! is checked here, and the matches are ranked here with FTS5's own `bm25()` formula over the
//! same figures (phrase occurrences, tokens per row, rows and tokens in the index) that it
//! computed from positions, so the answers and their order are those of the index with
//! positions. `tests/search.rs` compares the two. Text is folded as the index folds it
//! (`fold`).

mod fold;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use crate::error::{CatalogError, Result};
use crate::store::texts::Known;
use fold::Folds;

/// Calls `take` with the primary key of each station whose name or address contains every
/// word, best first (full-text rank, or the shortest name when every word is short), then by
/// id, until `take` returns false: a caller that needs a few reads only a few.
pub fn matching(
    conn: &Connection,
    words: &[&str],
    mut take: impl FnMut(i64) -> bool,
) -> Result<()> {
    let (long, short): (Vec<&str>, Vec<&str>) = words.iter().partition(|w| w.chars().count() >= 3);
    if long.is_empty() {
        let mut sql = String::from("SELECT s.pk FROM stations s WHERE 1");
        let args = substrings(&mut sql, &short);
        sql.push_str(" ORDER BY length(s.name), s.id");
        let mut stmt = conn.prepare(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
        while let Some(row) = rows.next()? {
            if !take(row.get(0)?) {
                break;
            }
        }
        return Ok(());
    }
    let mut folds = Folds::default();
    let phrases = long
        .iter()
        .map(|w| Phrase::of(w, &mut folds))
        .collect::<Result<Vec<_>>>()?;
    // One read: the matches, their counts and the index's totals from the same snapshot, even
    // when a write commits meanwhile (a transaction the caller holds already is one read).
    let read = if conn.is_autocommit() {
        Some(rusqlite::Transaction::new_unchecked(
            conn,
            TransactionBehavior::Deferred,
        )?)
    } else {
        None
    };
    let ranked = ranked(conn, &phrases, &short, &mut folds)?;
    if let Some(read) = read {
        read.commit()?;
    }
    for (_, _, pk) in ranked {
        if !take(pk) {
            break;
        }
    }
    Ok(())
}

/// The stations holding every phrase and every short word, with their `bm25()` rank (lower is
/// better) and id, in the order FTS5 gave them: by rank, then by id.
fn ranked(
    conn: &Connection,
    phrases: &[Phrase],
    short: &[&str],
    folds: &mut Folds,
) -> Result<Vec<(f64, String, i64)>> {
    let mut found = Vec::new();
    candidates(
        conn,
        phrases,
        short,
        folds,
        |pk, id, frequencies, tokens| {
            found.push((pk, id, frequencies.to_vec(), tokens));
        },
    )?;
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let totals = Totals::read(conn)?;
    // A phrase's weight: how few rows hold it, in the whole index.
    let hits = if phrases.len() == 1 && short.is_empty() {
        vec![found.len() as i64]
    } else {
        hit_counts(conn, phrases, folds)?
    };
    let idf: Vec<f64> = hits
        .iter()
        .map(|&hits| {
            let weight = (((totals.rows - hits) as f64 + 0.5) / (hits as f64 + 0.5)).ln();
            if weight <= 0.0 { 1e-6 } else { weight }
        })
        .collect();
    let average = totals.tokens as f64 / totals.rows as f64;
    let mut ranked: Vec<(f64, String, i64)> = found
        .into_iter()
        .map(|(pk, id, frequencies, tokens)| (bm25(&idf, &frequencies, tokens, average), id, pk))
        .collect();
    ranked.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    Ok(ranked)
}

/// How many stations hold each phrase (FTS5 counted each phrase in a pass of its own). A phrase
/// of three characters is one trigram, which stands together by itself: the rows holding it are
/// the rows the index lists for it, counted without reading one. The longer ones are checked in
/// one pass over the rows holding any of them.
fn hit_counts(conn: &Connection, phrases: &[Phrase], folds: &mut Folds) -> Result<Vec<i64>> {
    let mut hits = vec![0i64; phrases.len()];
    let mut longer = Vec::new();
    for (count, phrase) in hits.iter_mut().zip(phrases) {
        if phrase.typed.len() == 3 {
            *count = conn
                .prepare_cached("SELECT count(*) FROM station_text WHERE station_text MATCH ?")?
                .query_row([all_trigrams(std::slice::from_ref(phrase))], |r| r.get(0))?;
        } else {
            longer.push((count, phrase));
        }
    }
    if longer.is_empty() {
        return Ok(hits);
    }
    let any = longer
        .iter()
        .map(|(_, p)| format!("({})", all_trigrams(std::slice::from_ref(*p))))
        .collect::<Vec<_>>()
        .join(" OR ");
    let mut stmt = conn.prepare(
        "SELECT s.name, s.region, s.street_address FROM station_text t \
         JOIN stations s ON s.pk = t.rowid WHERE station_text MATCH ?",
    )?;
    let mut rows = stmt.query([any])?;
    let mut station = StationText::default();
    let (mut known, mut address) = (Known::new(conn), String::new());
    while let Some(row) = rows.next()? {
        known.address(row.get(1)?, text(row, 2)?, &mut address)?;
        station.read(text(row, 0)?, &address, folds)?;
        for (count, phrase) in &mut longer {
            if station.occurrences(phrase) > 0 {
                **count += 1;
            }
        }
    }
    Ok(hits)
}

/// FTS5's `bm25()` for one row, operation for operation (`fts5Bm25Function`: k1 = 1.2,
/// b = 0.75, every column weighing 1), so ties and near-ties fall as they did.
fn bm25(idf: &[f64], frequencies: &[f64], tokens: u64, average: f64) -> f64 {
    const K1: f64 = 1.2;
    const B: f64 = 0.75;
    let d = tokens as f64;
    let mut score = 0.0;
    for (idf, f) in idf.iter().zip(frequencies) {
        score += idf * ((f * (K1 + 1.0)) / (f + K1 * (1.0 - B + B * d / average)));
    }
    -score
}

/// Calls `each` with every station whose name or address holds every phrase (in one of the
/// two) and matches every short word: its key, id, how often each phrase occurs in it, and its
/// tokens (trigrams) in all.
fn candidates(
    conn: &Connection,
    phrases: &[Phrase],
    short: &[&str],
    folds: &mut Folds,
    mut each: impl FnMut(i64, String, &[f64], u64),
) -> Result<()> {
    // A phrase of fewer than three characters once NULs are dropped has no trigram and, as in
    // FTS5, matches nothing.
    if phrases.iter().any(|p| p.typed.len() < 3) {
        return Ok(());
    }
    // The whole address put together here rather than by `station_rows` (store/texts.rs).
    let mut sql = String::from(
        "SELECT s.pk, s.id, s.name, s.region, s.street_address FROM station_text t \
         JOIN stations s ON s.pk = t.rowid WHERE station_text MATCH ?",
    );
    let mut args = vec![all_trigrams(phrases)];
    args.extend(substrings(&mut sql, short));
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
    let mut frequencies = vec![0.0; phrases.len()];
    let mut station = StationText::default();
    let (mut known, mut address) = (Known::new(conn), String::new());
    while let Some(row) = rows.next()? {
        known.address(row.get(3)?, text(row, 4)?, &mut address)?;
        station.read(text(row, 2)?, &address, folds)?;
        for (f, phrase) in frequencies.iter_mut().zip(phrases) {
            *f = station.occurrences(phrase) as f64;
        }
        if frequencies.iter().all(|f| *f > 0.0) {
            each(row.get(0)?, row.get(1)?, &frequencies, station.trigrams());
        }
    }
    Ok(())
}

/// A full-text query for the rows holding every trigram of every phrase, each once. The
/// trigrams go as typed: FTS5 folds its query itself.
fn all_trigrams(phrases: &[Phrase]) -> String {
    let mut trigrams: Vec<String> = Vec::new();
    for phrase in phrases {
        for t in phrase.typed.windows(3) {
            let t: String = t.iter().collect();
            if !trigrams.contains(&t) {
                trigrams.push(t);
            }
        }
    }
    trigrams
        .iter()
        .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// A text column read in place.
fn text<'r>(row: &'r rusqlite::Row, column: usize) -> rusqlite::Result<&'r str> {
    row.get_ref(column)?.as_str().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// Appends a substring match over name and address for each short word, `s` being a row of
/// `stations`; returns the patterns. The address is its region's text (`texts`) and the rest:
/// a word is in it when it is in the rest, in the region, or across the two — a head the region
/// ends with and a tail the rest begins with — each region's text matched once per search, not
/// once per row (store/texts.rs).
fn substrings(sql: &mut String, short: &[&str]) -> Vec<String> {
    let escape = |w: &str| {
        w.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    };
    let regions = "s.region IN (SELECT code FROM texts WHERE text LIKE ? ESCAPE '\\')";
    let mut args = Vec::new();
    for w in short {
        // NULs dropped, as a long word's are (LIKE would end the pattern there).
        let w: String = w.chars().filter(|c| *c != '\0').collect();
        let pattern = format!("%{}%", escape(&w));
        sql.push_str(&format!(
            " AND (s.name LIKE ? ESCAPE '\\' OR s.street_address LIKE ? ESCAPE '\\' OR {regions}"
        ));
        args.extend([pattern.clone(), pattern.clone(), pattern]);
        for (at, _) in w.char_indices().skip(1) {
            sql.push_str(&format!(
                " OR ({regions} AND s.street_address LIKE ? ESCAPE '\\')"
            ));
            args.push(format!("%{}", escape(&w[..at])));
            args.push(format!("{}%", escape(&w[at..])));
        }
        sql.push(')');
    }
    args
}

/// A word of three or more characters: as typed (NULs dropped, as the tokenizer skips them),
/// for FTS5 to fold in its query, and folded, to check rows against.
struct Phrase {
    typed: Vec<char>,
    folded: Folded,
}

impl Phrase {
    fn of(word: &str, folds: &mut Folds) -> Result<Phrase> {
        let mut folded = Folded::default();
        folded.fold(word, folds)?;
        Ok(Phrase {
            typed: word.chars().filter(|c| *c != '\0').collect(),
            folded,
        })
    }
}

/// A station's name and address as the index reads them, one buffer each reused row after row.
#[derive(Default)]
struct StationText {
    name: Folded,
    address: Folded,
}

impl StationText {
    fn read(&mut self, name: &str, address: &str, folds: &mut Folds) -> Result<()> {
        self.name.fold(name, folds)?;
        self.address.fold(address, folds)
    }

    /// A phrase's instances in the row: in the name and in the address (never across them).
    fn occurrences(&self, phrase: &Phrase) -> usize {
        self.name.occurrences(&phrase.folded) + self.address.occurrences(&phrase.folded)
    }

    /// The row's tokens, as `bm25()` counts its length.
    fn trigrams(&self) -> u64 {
        self.name.trigrams() + self.address.trigrams()
    }
}

/// Text as the trigram tokenizer reads it: case folded (one character for one), NULs skipped.
/// Kept as UTF-8: a phrase's bytes found in a text's always start at a character.
#[derive(Default)]
struct Folded {
    text: String,
    chars: usize,
}

impl Folded {
    fn fold(&mut self, text: &str, folds: &mut Folds) -> Result<()> {
        self.text.clear();
        self.chars = 0;
        for c in text.chars() {
            if c == '\0' {
                continue;
            }
            self.text.push(folds.fold(c)?);
            self.chars += 1;
        }
        Ok(())
    }

    /// Occurrences of `phrase`, overlapping ones too (a phrase's instances in FTS5).
    fn occurrences(&self, phrase: &Folded) -> usize {
        let (text, phrase) = (self.text.as_bytes(), phrase.text.as_bytes());
        if phrase.is_empty() || text.len() < phrase.len() {
            return 0;
        }
        text.windows(phrase.len()).filter(|w| *w == phrase).count()
    }

    fn trigrams(&self) -> u64 {
        self.chars.saturating_sub(2) as u64
    }
}

/// The index's row and token counts, as FTS5 keeps them for `bm25()`: its "averages" record
/// (row 1 of `station_text_data`), a varint row count and one varint token total per column.
struct Totals {
    rows: i64,
    tokens: i64,
}

impl Totals {
    fn read(conn: &Connection) -> Result<Totals> {
        let block: Option<Vec<u8>> = conn
            .query_row(
                "SELECT block FROM station_text_data WHERE id = 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        let damaged = || CatalogError::Database("the text index's totals record is damaged".into());
        let block = block.ok_or_else(damaged)?;
        let mut at = 0;
        let rows = varint(&block, &mut at).ok_or_else(damaged)?;
        // Summed as FTS5 sums them (`i64`).
        let mut tokens: i64 = 0;
        while at < block.len() {
            tokens = tokens.wrapping_add(varint(&block, &mut at).ok_or_else(damaged)? as i64);
        }
        if rows == 0 {
            return Err(damaged());
        }
        Ok(Totals {
            rows: rows as i64,
            tokens,
        })
    }
}

/// SQLite's varint: big-endian groups of seven bits, a set high bit meaning more follow; a
/// ninth byte gives all eight.
fn varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut value: u64 = 0;
    for i in 0..9 {
        let byte = *bytes.get(*at)?;
        *at += 1;
        if i == 8 {
            return Some((value << 8) | u64::from(byte));
        }
        value = (value << 7) | u64::from(byte & 0x7f);
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_read_as_sqlite_writes_them() {
        for (bytes, value) in [
            (&[0x00][..], 0u64),
            (&[0x7f], 127),
            (&[0x81, 0x00], 128),
            (&[0x83, 0xe8, 0x1a], 0xf41a),
            (&[0xff; 9], u64::MAX),
        ] {
            let mut at = 0;
            assert_eq!(varint(bytes, &mut at), Some(value), "{bytes:?}");
            assert_eq!(at, bytes.len());
        }
        assert_eq!(varint(&[0x80], &mut 0), None);
    }

    fn folded(text: &str) -> Folded {
        let mut folded = Folded::default();
        folded.fold(text, &mut Folds::default()).expect("fold");
        folded
    }

    #[test]
    fn occurrences_overlap_and_folding_is_one_for_one() {
        let count = |text: &str, phrase: &str| folded(text).occurrences(&folded(phrase));
        assert_eq!(count("aaaa", "aaa"), 2);
        assert_eq!(count("驿站驿站驿", "驿站驿"), 2);
        assert_eq!(count("KFC 深圳Ä\0b", "kfc 深圳äb"), 1);
        assert_eq!(folded("ab").trigrams(), 0);
        assert_eq!(folded("工会驿站").trigrams(), 2);
        assert_eq!(folded("Ａ\0Ä").text, "ａä");
    }
}
