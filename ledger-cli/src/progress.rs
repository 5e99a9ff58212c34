//! A progress bar on stderr, drawn only when stderr is a terminal (never into logs or pipes).

use std::io::{IsTerminal, Write};

use ledger_store::Progress;

const BAR_WIDTH: u64 = 40;

#[derive(Debug)]
pub struct ProgressBar {
    label: &'static str,
    enabled: bool,
    drawn: bool,
}

impl ProgressBar {
    pub fn new(label: &'static str) -> ProgressBar {
        ProgressBar {
            label,
            enabled: std::io::stderr().is_terminal(),
            drawn: false,
        }
    }

    pub fn update(&mut self, progress: Progress) {
        if !self.enabled || progress.records_total == 0 {
            return;
        }
        let done = progress.records_done.min(progress.records_total);
        let filled = done * BAR_WIDTH / progress.records_total;
        let bar: String = (0..BAR_WIDTH)
            .map(|i| if i < filled { '#' } else { '.' })
            .collect();
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r{} [{bar}] {done}/{} records",
            self.label, progress.records_total
        );
        let _ = err.flush();
        self.drawn = true;
    }

    /// Ends the bar's line so later output starts on its own line.
    pub fn finish(&mut self) {
        if self.drawn {
            crate::output::note!("");
            self.drawn = false;
        }
    }
}
