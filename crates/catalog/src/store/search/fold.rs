//! Case folding exactly as the trigram index folds text. FTS5 folds by its own table, made from
//! Unicode 6.1 (`ς` to `σ`, `ſ` to `s`, Cherokee left as it is), which no Rust function
//! reproduces: ASCII, the blocks without a cased letter and the planes past the first are folded
//! here, any other character is asked of FTS5 itself — an in-memory table with the same
//! tokenizer — once per process (at most 65,536 of them, whatever requests send).

use std::collections::HashMap;
use std::sync::Mutex;

use rusqlite::Connection;

use crate::error::Result;

/// One search's folds: the characters it has looked up, so each costs the shared table once.
#[derive(Default)]
pub(super) struct Folds {
    known: HashMap<char, char>,
}

impl Folds {
    pub(super) fn fold(&mut self, c: char) -> Result<char> {
        if c.is_ascii() {
            return Ok(c.to_ascii_lowercase());
        }
        if caseless(c) {
            return Ok(c);
        }
        // Past the Basic Multilingual Plane FTS5 folds only Deseret's capitals: the characters
        // asked of it (and remembered) stay within 65,536, whatever a request sends.
        if u32::from(c) > 0xffff {
            return Ok(match u32::from(c) {
                code @ 0x10400..=0x10427 => char::from_u32(code + 40).unwrap_or(c),
                _ => c,
            });
        }
        if let Some(folded) = self.known.get(&c) {
            return Ok(*folded);
        }
        let folded = shared(c)?;
        self.known.insert(c, folded);
        Ok(folded)
    }
}

/// Blocks without a cased letter, folded to themselves without asking: CJK punctuation, kana
/// and ideographs (most of every name), general punctuation (the dash in "银川—巴彦淖尔"), Hangul,
/// and the fullwidth forms other than letters (the brackets around a direction).
const CASELESS: [(char, char); 6] = [
    ('\u{2000}', '\u{206f}'),
    ('\u{3000}', '\u{9fff}'),
    ('\u{ac00}', '\u{d7af}'),
    ('\u{ff00}', '\u{ff20}'),
    ('\u{ff3b}', '\u{ff40}'),
    ('\u{ff5b}', '\u{ffef}'),
];

fn caseless(c: char) -> bool {
    CASELESS.iter().any(|(from, to)| (*from..=*to).contains(&c))
}

/// The process's folds, and the in-memory table that gives them.
struct Asker {
    conn: Connection,
    known: HashMap<char, char>,
}

static ASKER: Mutex<Option<Asker>> = Mutex::new(None);

fn shared(c: char) -> Result<char> {
    // A panic elsewhere while holding it leaves nothing half-done: a map and a scratch table.
    let mut guard = ASKER.lock().unwrap_or_else(|p| p.into_inner());
    let asker = match &mut *guard {
        Some(asker) => asker,
        none => none.insert(Asker {
            conn: scratch()?,
            known: HashMap::new(),
        }),
    };
    if let Some(folded) = asker.known.get(&c) {
        return Ok(*folded);
    }
    let folded = asked(&asker.conn, &[c])?.get(&c).copied().unwrap_or(c);
    asker.known.insert(c, folded);
    Ok(folded)
}

/// An in-memory trigram table and its per-token view.
fn scratch() -> Result<Connection> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch(
        "CREATE VIRTUAL TABLE fold USING fts5(t, tokenize='trigram');
         CREATE VIRTUAL TABLE fold_terms USING fts5vocab(fold, 'instance');",
    )?;
    Ok(conn)
}

/// How FTS5 folds each of `chars`: each written three times is one trigram, the character
/// folded three times. A character FTS5 reads as no token (none with this tokenizer but NUL)
/// is left out.
fn asked(conn: &Connection, chars: &[char]) -> Result<HashMap<char, char>> {
    let tx = conn.unchecked_transaction()?;
    {
        let mut insert = tx.prepare("INSERT INTO fold(rowid, t) VALUES (?1, ?2)")?;
        for &c in chars {
            insert.execute((u32::from(c), String::from_iter([c; 3])))?;
        }
    }
    let mut folds = HashMap::with_capacity(chars.len());
    {
        let mut terms = tx.prepare("SELECT doc, term FROM fold_terms")?;
        let mut rows = terms.query([])?;
        while let Some(row) = rows.next()? {
            let code: u32 = row.get(0)?;
            let term: String = row.get(1)?;
            if let (Some(c), Some(folded)) = (char::from_u32(code), term.chars().next()) {
                folds.insert(c, folded);
            }
        }
    }
    tx.execute("DELETE FROM fold", [])?;
    tx.commit()?;
    Ok(folds)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each of `chars` folded here as FTS5 itself folds it.
    fn assert_folded_as_fts5(chars: Vec<char>) {
        let fts5 = asked(&scratch().expect("scratch"), &chars).expect("asked");
        let mut folds = Folds::default();
        for c in chars {
            assert_eq!(
                Some(folds.fold(c).expect("fold")),
                fts5.get(&c).copied(),
                "{c:?}"
            );
        }
    }

    #[test]
    fn the_folds_made_here_are_the_index_s() {
        assert_folded_as_fts5(
            ('\u{1}'..='\u{7f}')
                .chain(CASELESS.iter().flat_map(|(from, to)| *from..=*to))
                .collect(),
        );
    }

    #[test]
    fn past_the_basic_plane_the_folds_are_the_index_s() {
        let chars: Vec<char> = ('\u{103f0}'..='\u{10460}')
            .chain([
                '\u{1d400}',
                '\u{1e900}',
                '\u{1f600}',
                '\u{20000}',
                '\u{2a6d6}',
                '\u{e0041}',
            ])
            .collect();
        assert_folded_as_fts5(chars);
    }

    #[test]
    fn other_letters_fold_as_fts5_folds_them() {
        let mut folds = Folds::default();
        for (c, folded) in [
            ('Σ', 'σ'),
            ('ς', 'σ'),
            ('ſ', 's'),
            ('µ', 'μ'),
            ('Ａ', 'ａ'),
            ('Ä', 'ä'),
            // Unicode 6.1 gave Cherokee no small letters: FTS5 leaves it, Rust would not.
            ('Ꮳ', 'Ꮳ'),
            ('\u{ffff}', '\u{fffd}'),
            ('\u{fffe}', '\u{fffd}'),
        ] {
            assert_eq!(folds.fold(c).expect("fold"), folded, "{c:?}");
        }
    }
}
