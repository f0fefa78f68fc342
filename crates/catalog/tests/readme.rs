//! The README's table of request limits says what the code enforces.

use waystation_catalog::request::limits;

#[test]
fn the_readme_lists_every_limit_with_its_value() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
        .expect("README.md");
    for (name, value, _unit) in limits::table() {
        let row = format!("| `{name}` | {value} ");
        assert!(readme.contains(&row), "README.md has no row `{row}`");
    }
}
