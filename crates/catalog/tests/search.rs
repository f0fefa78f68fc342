//! Search answers are those of the text index with positions: FTS5's own phrase matching and
//! `bm25()` rank over a `detail=full` index of the same rows (the index before migration 11)
//! are the oracle for the lighter index's matches, checked and ranked in Rust.

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rusqlite::Connection;
use waystation_catalog::Catalog;
use waystation_catalog::progress::Silent;

mod text_oracle;
use text_oracle::{oracle, searched};

/// A connection to a new catalog at `path` that imported `stations`.
fn imported(path: &std::path::Path, stations: &[waystation_catalog::Station]) -> Connection {
    let mut catalog = Catalog::open(path).expect("open");
    catalog
        .import(stations.to_vec(), &mut Silent)
        .expect("import");
    drop(catalog);
    Connection::open(path).expect("sqlite")
}

/// A run of `lengths` characters of the station's name or address, from a random place.
fn piece(
    rng: &mut ChaCha8Rng,
    station: &waystation_catalog::Station,
    lengths: std::ops::RangeInclusive<usize>,
) -> String {
    let text = if rng.random() {
        &station.name
    } else {
        &station.address
    };
    let chars: Vec<char> = text.chars().collect();
    let len = rng.random_range(lengths).min(chars.len());
    let start = rng.random_range(0..=chars.len() - len);
    chars[start..start + len].iter().collect()
}

#[test]
fn search_answers_are_those_of_the_index_with_positions() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("catalog.sqlite");
    let mut stations = waystation_synthetic::generate(4_000, 11);
    // Latin letters in both cases, repeats within a name (a phrase counted twice), every
    // trigram of "abcde" but not the word, and two rows that only a rare phrase's weight tells
    // apart (each holds one phrase twice and the other once, at the same length): without it
    // they would tie, and fall by id.
    for (s, name) in stations.iter_mut().zip([
        "Shell Truck Stop 加油站",
        "TRUCK stop truckstop Truck",
        "Caffè ÄRZTE Rest",
        "驿站驿站驿站驿站工会",
        "Stop abcx bcde",
    ]) {
        s.name = name.into();
    }
    // Letters FTS5 folds by its own table, which Rust's lowercase does not reproduce: final
    // sigma, long s, the micro sign, Cherokee (no small letters in Unicode 6.1), Georgian
    // Mtavruli, fullwidth Latin.
    stations[7].name = "ΟΔΟΣ ὁδός ſtraße µm ᏣᎳᎩ ᲐᲑᲒ ＴＲＵＣＫ".into();
    stations[5..7].sort_by(|a, b| a.id.cmp(&b.id));
    for (s, name) in stations[5..7]
        .iter_mut()
        .zip(["甲乙丙工会驿站工会驿站", "甲乙丙甲乙丙丁工会驿站"])
    {
        s.name = name.into();
        s.address = "测试地址".into();
    }
    // Two words in exactly as many rows, each row holding one twice and the other once, padded
    // to one length: their weights tie only when both words' counts are right, so a count off
    // by one either way puts a row before one its id would put first (two such pairs, heavy on
    // each word in turn). Three characters (counted from the index alone), four (counted from
    // the rows), and one of each (a count both paths get wrong alike still breaks the tie).
    for (start, [x, y]) in [
        (8, ["子丑寅", "卯辰巳"]),
        (12, ["金木水火", "土日月星"]),
        (16, ["戌亥乙", "癸壬庚午"]),
    ] {
        let (short, long) = (x.chars().count(), y.chars().count());
        let rows = &mut stations[start..start + 4];
        rows.sort_by(|a, b| a.id.cmp(&b.id));
        for (s, (heavy, light)) in rows.iter_mut().zip([(y, x), (x, y), (x, y), (y, x)]) {
            let name = format!("{heavy}{heavy}{light}");
            let pad = 2 * short.max(long) + short.min(long) - name.chars().count();
            s.name = format!("{name}{}", "·".repeat(pad));
            s.address = "测试地址".into();
        }
    }
    // A word with a quote in it, as FTS5's query quotes it.
    stations[20].name = "Truck \"Q\" Stop".into();
    let conn = imported(&path, &stations);
    text_oracle::build(&conn);

    let mut queries: Vec<Vec<String>> = [
        vec!["truck"],
        vec!["TRUCK", "stop"],
        vec!["Truck", "st"],
        vec!["ärz"],
        vec!["ÄRZTE"],
        vec!["驿站驿"],
        vec!["工会驿站"],
        vec!["工会驿站", "工会驿站"],
        vec!["司机之家", "湖南"],
        vec!["工会驿站", "站"],
        vec!["\"%_"],
        vec!["号湖南省"],
        vec!["abcde"],
        vec!["abcde", "stop"],
        vec!["甲乙丙", "工会驿站"],
        vec!["子丑寅", "卯辰巳"],
        vec!["金木水火", "土日月星"],
        vec!["戌亥乙", "癸壬庚午"],
        vec!["\"Q\"", "stop"],
        vec!["οδος"],
        vec!["όσ ſtr"],
        vec!["strasse"],
        vec!["stra"],
        vec!["μm ᏣᎳᎩ"],
        vec!["ᏣᎳᎩ"],
        vec!["ᲐᲑᲒ"],
        vec!["აბგ"],
        vec!["truck"],
        vec!["ｔｒｕｃｋ"],
    ]
    .iter()
    .map(|q| q.iter().map(|w| w.to_string()).collect())
    .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(12);
    for _ in 0..240 {
        let s = stations.choose(&mut rng).expect("stations");
        let other = stations.choose(&mut rng).expect("stations");
        let first = piece(&mut rng, s, 3..=7);
        let query = match rng.random_range(0..4) {
            0 => vec![first],
            1 => vec![first, piece(&mut rng, s, 3..=5)],
            2 => vec![first, piece(&mut rng, s, 1..=2)],
            _ => vec![first, piece(&mut rng, other, 3..=3)],
        };
        queries.push(query);
    }
    let compared = |conn: &Connection| {
        let mut answered = 0;
        for query in &queries {
            let words: Vec<&str> = query.iter().map(String::as_str).collect();
            if words.iter().all(|w| w.chars().count() < 3) {
                continue;
            }
            let expected = oracle(conn, &words);
            assert_eq!(searched(conn, &words), expected, "{words:?}");
            answered += usize::from(expected.len() > 1);
        }
        answered
    };
    // The comparison ranked real lists, not only empty or single answers.
    let answered = compared(&conn);
    assert!(answered > 80, "{answered} queries with two or more answers");
    assert_eq!(
        searched(&conn, &["ΟΔΟΣ"]).len(),
        1,
        "a name found by its own text"
    );

    // After edits, renames and removals (the index's totals then come from its triggers'
    // deletes and inserts), against the oracle rebuilt from the rows.
    let mut catalog = Catalog::open(&path).expect("open");
    let mut edited: Vec<_> = stations[100..400].to_vec();
    for (i, s) in edited.iter_mut().enumerate() {
        s.name = format!("{}{}", s.name, ["工会驿站", "驿站驿站", "新华路"][i % 3]);
    }
    catalog.import(edited, &mut Silent).expect("renames");
    for s in &stations[400..600] {
        catalog.delete_station(&s.id, "test").expect("delete");
    }
    drop(catalog);
    conn.execute_batch("INSERT INTO oracle_text(oracle_text) VALUES ('rebuild');")
        .expect("the oracle rebuilt");
    let answered = compared(&conn);
    assert!(answered > 80, "{answered} queries with two or more answers");

    // A NUL in a word is skipped, as the trigram tokenizer skips it (the oracle cannot parse it).
    let unbroken = searched(&conn, &["工会驿站"]);
    assert!(!unbroken.is_empty());
    assert_eq!(searched(&conn, &["工会\0驿站"]), unbroken);

    // Both indexes agree with the rows they index.
    for table in ["station_text", "oracle_text"] {
        conn.execute(
            &format!("INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)"),
            [],
        )
        .expect("the text index agrees with the rows");
    }
}

/// A word of one or two characters is matched against the whole address, though a row keeps the
/// region it begins with apart (migration 13): in the region, in the rest, or across the two,
/// alone or beside a longer word, as SQL's own `LIKE` over the whole address finds it.
#[test]
fn a_short_word_is_found_in_the_region_the_rest_or_across_them() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("catalog.sqlite");
    let mut stations = waystation_synthetic::generate(1_000, 31);
    // An address that does not begin with its region and holds LIKE's own characters, and a
    // county code the geography lacks.
    stations[1].address = "东省深圳市%_路1号".into();
    stations[2].adcode = "999999".into();
    let conn = imported(&path, &stations);
    let like = |words: &[&str]| -> Vec<i64> {
        let mut sql = String::from("SELECT s.pk FROM station_rows s WHERE 1");
        let mut args = Vec::new();
        for w in words {
            sql.push_str(" AND (s.name LIKE ? ESCAPE '\\' OR s.address LIKE ? ESCAPE '\\')");
            let escaped = w
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            args.extend([format!("%{escaped}%"), format!("%{escaped}%")]);
        }
        sql.push_str(" ORDER BY length(s.name), s.id");
        let mut stmt = conn.prepare(&sql).expect("like");
        stmt.query_map(rusqlite::params_from_iter(args), |r| r.get(0))
            .and_then(|rows| rows.collect())
            .expect("rows")
    };
    let mut words: Vec<String> = ["省", "区", "东省", "%_", "_", "市%"]
        .map(String::from)
        .to_vec();
    for s in &stations[3..40] {
        let region = waystation_catalog::geography::full_name_of(&s.adcode).expect("region");
        let rest = s
            .address
            .strip_prefix(region)
            .expect("begins with its region");
        let (last, first) = (region.chars().last(), rest.chars().next());
        words.extend(last.zip(first).map(|(l, f)| format!("{l}{f}")));
        words.extend(last.map(String::from));
    }
    let mut found = 0;
    for w in &words {
        let expected = like(&[w]);
        assert_eq!(searched(&conn, &[w]), expected, "{w}");
        found += usize::from(!expected.is_empty());
        // Beside a long word, through the text index.
        let name: String = stations[5].name.chars().take(3).collect();
        let mut with_long = like(&[&name, w]);
        with_long.sort();
        let mut ours = searched(&conn, &[&name, w]);
        ours.sort();
        assert_eq!(ours, with_long, "{name} {w}");
    }
    assert!(
        found > 30,
        "{found} of {} words found anything",
        words.len()
    );
    // A NUL in a short word is dropped, as in a long one.
    assert_eq!(searched(&conn, &["区\0"]), searched(&conn, &["区"]));
}
