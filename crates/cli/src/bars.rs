//! Progress bars on the terminal for long catalog work (hidden when stderr is not a terminal),
//! and the one place a test may stop the command at a known point of that work.

use std::io::Write;

use indicatif::{ProgressBar, ProgressStyle};
use waystation_catalog::progress::Progress;

/// Work smaller than this finishes too fast for a bar to help.
const MIN_UNITS: u64 = 20_000;

/// A test stops the command at a known point to kill it exactly there (a sync killed while
/// it applies a snapshot must leave the old catalog or the new, never half):
/// `WAYSTATION_PAUSE_AT=applying:1500` waits once 1500 units of the "applying" phase are done,
/// `applying:end` once the phase has ended. The command says `paused at …` on stderr and waits
/// to be killed. Nothing else reads the variable.
const PAUSE_VAR: &str = "WAYSTATION_PAUSE_AT";

#[derive(Default)]
pub struct Bars {
    bar: Option<ProgressBar>,
    phase: String,
    done: u64,
    pause_at: Option<(String, Option<u64>)>,
}

impl Bars {
    pub fn new() -> Bars {
        let pause_at = std::env::var(PAUSE_VAR).ok().and_then(|v| {
            let (phase, at) = v.split_once(':')?;
            let at = if at == "end" {
                None
            } else {
                Some(at.parse().ok()?)
            };
            Some((phase.to_string(), at))
        });
        Bars {
            pause_at,
            ..Bars::default()
        }
    }

    fn pause_if_asked(&self, ended: bool) {
        let Some((phase, at)) = &self.pause_at else {
            return;
        };
        let reached = match at {
            Some(n) => !ended && self.done >= *n,
            None => ended,
        };
        if *phase == self.phase && reached {
            let point = at.map_or_else(|| "end".to_string(), |n| n.to_string());
            let mut err = std::io::stderr();
            let _ = writeln!(err, "paused at {phase}:{point}");
            let _ = err.flush();
            loop {
                std::thread::park();
            }
        }
    }
}

impl Progress for Bars {
    fn begin(&mut self, phase: &str, total: u64) {
        self.end();
        self.phase = phase.to_string();
        self.done = 0;
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
        self.done += units;
        if let Some(bar) = &self.bar {
            bar.inc(units);
        }
        self.pause_if_asked(false);
    }

    fn end(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        if !self.phase.is_empty() {
            self.pause_if_asked(true);
            self.phase.clear();
        }
    }
}
