//! Progress reporting for long work (imports, seeding), so the CLI and the app can show a bar
//! without the catalog depending on a terminal library.

pub trait Progress {
    /// A new phase of work with `total` units (rows or bytes).
    fn begin(&mut self, phase: &str, total: u64);
    /// `units` more done in the current phase.
    fn advance(&mut self, units: u64);
    fn end(&mut self);
}

/// Reports nothing.
pub struct Silent;

impl Progress for Silent {
    fn begin(&mut self, _: &str, _: u64) {}
    fn advance(&mut self, _: u64) {}
    fn end(&mut self) {}
}
