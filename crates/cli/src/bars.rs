//! Progress bars on the terminal for long catalog work (hidden when stderr is not a terminal).

use indicatif::{ProgressBar, ProgressStyle};
use waystation_catalog::progress::Progress;

/// Work smaller than this finishes too fast for a bar to help.
const MIN_UNITS: u64 = 20_000;

#[derive(Default)]
pub struct Bars {
    bar: Option<ProgressBar>,
}

impl Bars {
    pub fn new() -> Bars {
        Bars::default()
    }
}

impl Progress for Bars {
    fn begin(&mut self, phase: &str, total: u64) {
        self.end();
        if total < MIN_UNITS {
            return;
        }
        let style = ProgressStyle::with_template("{msg:>8} [{bar:40}] {percent:>3}% {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        let bar = ProgressBar::new(total)
            .with_style(style)
            .with_message(phase.to_string());
        self.bar = Some(bar);
    }

    fn advance(&mut self, units: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(units);
        }
    }

    fn end(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
