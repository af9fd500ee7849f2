//! Telling the user how a sweep is going: a progress bar on a terminal, a plain line per finished
//! cell elsewhere (pipes, log files, CI).

use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::cell::CellOutcome;
use abs_sim::sweep::Cell;

/// Receives the runner's events; called from the runner's threads.
pub trait Progress: Sync {
    fn started(&self, cell: &Cell);
    fn finished(&self, cell: &Cell, outcome: &CellOutcome, seconds: f64);
    /// The runner is done; the bar (if any) goes away.
    fn close(&self) {}
}

/// Reports nothing (library use, tests).
pub struct Silent;

impl Progress for Silent {
    fn started(&self, _: &Cell) {}
    fn finished(&self, _: &Cell, _: &CellOutcome, _: f64) {}
}

/// What the user sees: a bar with cells done, running, failed and an ETA on a terminal; a line per
/// finished cell when stderr is not a terminal or `CI` is set.
pub struct Reporter {
    bar: Option<ProgressBar>,
    total: usize,
    done: AtomicUsize,
    running: AtomicUsize,
    failed: AtomicUsize,
}

/// One line describing a cell: id, label and grid point.
pub fn describe(cell: &Cell) -> String {
    let point = if cell.point.is_empty() {
        String::new()
    } else {
        format!(" {}", serde_json::to_string(&cell.point).unwrap_or_default())
    };
    format!("{} {}{point}", cell.id, cell.label)
}

impl Reporter {
    /// A reporter for `total` cells to run; draws a bar only where a person is watching.
    pub fn new(total: usize) -> Reporter {
        let interactive = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        let bar = interactive.then(|| {
            let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} cells {msg} (ETA {eta})")
                .expect("a valid template")
                .progress_chars("=> ");
            bar.set_style(style);
            bar.enable_steady_tick(Duration::from_millis(500));
            bar
        });
        let r = Reporter {
            bar,
            total,
            done: AtomicUsize::new(0),
            running: AtomicUsize::new(0),
            failed: AtomicUsize::new(0),
        };
        r.update();
        r
    }

    fn update(&self) {
        if let Some(bar) = &self.bar {
            let failed = self.failed.load(Ordering::SeqCst);
            let failed = if failed > 0 { format!(", {failed} failed") } else { String::new() };
            bar.set_message(format!("done, {} running{failed}", self.running.load(Ordering::SeqCst)));
            bar.set_position(self.done.load(Ordering::SeqCst) as u64);
        }
    }
}

impl Progress for Reporter {
    fn started(&self, _: &Cell) {
        self.running.fetch_add(1, Ordering::SeqCst);
        self.update();
    }

    fn finished(&self, cell: &Cell, outcome: &CellOutcome, seconds: f64) {
        self.running.fetch_sub(1, Ordering::SeqCst);
        let done = self.done.fetch_add(1, Ordering::SeqCst) + 1;
        let what = match outcome {
            CellOutcome::Done => "done".to_string(),
            CellOutcome::Skipped => "already finished".to_string(),
            CellOutcome::Failed(e) => {
                self.failed.fetch_add(1, Ordering::SeqCst);
                format!("FAILED: {e}")
            }
        };
        let line = format!("[{done}/{}] {} {what} ({seconds:.1} s)", self.total, describe(cell));
        match &self.bar {
            // failures stay on screen above the bar; successes only move it
            Some(bar) if matches!(outcome, CellOutcome::Failed(_)) => bar.println(line),
            Some(_) => {}
            None => eprintln!("{line}"),
        }
        self.update();
    }

    fn close(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
