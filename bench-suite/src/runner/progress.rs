//! Telling the user how a sweep is going: a progress bar on a terminal, a plain line per finished
//! cell elsewhere (pipes, log files, CI).

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::cell::CellOutcome;
use abs_sim::sweep::Cell;

/// Receives the runner's events; called from the runner's threads.
pub trait CellProgress: Sync {
    fn started(&self, cell: &Cell);
    /// A running cell is `fraction` (0 to 1) of the way to its stopping rule.
    fn advanced(&self, _cell: &Cell, _fraction: f64) {}
    fn finished(&self, cell: &Cell, outcome: &CellOutcome, seconds: f64);
    /// The runner is done; the bar (if any) goes away.
    fn close(&self) {}
}

/// Reports nothing (library use, tests).
pub struct Silent;

impl CellProgress for Silent {
    fn started(&self, _: &Cell) {}
    fn finished(&self, _: &Cell, _: &CellOutcome, _: f64) {}
}

/// What the user sees: a bar with cells done, how far each running cell is, failures and an ETA
/// on a terminal; a line per finished cell when stderr is not a terminal or `CI` is set.
pub struct Reporter {
    bar: Option<ProgressBar>,
    total: usize,
    done: AtomicUsize,
    failed: AtomicUsize,
    /// Running cells by id: the fraction each has done.
    running: Mutex<BTreeMap<String, f64>>,
    /// When the bar was last redrawn for a cell's progress (redraws are throttled).
    last_draw: Mutex<Instant>,
}

/// Bar units per cell, so that running cells move the bar between whole cells.
const STEPS_PER_CELL: u64 = 100;

/// One line describing a cell: id, label, condition (when the sweep has conditions) and grid point.
pub fn describe(cell: &Cell) -> String {
    let point = if cell.point.is_empty() {
        String::new()
    } else {
        format!(" {}", serde_json::to_string(&cell.point).unwrap_or_default())
    };
    let condition = if cell.condition.is_empty() {
        String::new()
    } else {
        format!(" [{}]", cell.condition)
    };
    format!("{} {}{condition}{point}", cell.id, cell.label)
}

/// A progress bar of `len` steps on stderr, only where a person is watching (a terminal, `CI`
/// unset): elapsed time, the bar, the ETA, then a message cut to the terminal's width.
pub fn terminal_bar(len: u64) -> Option<ProgressBar> {
    let interactive = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
    interactive.then(|| {
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{elapsed_precise} [{bar:16}] ETA {eta} {wide_msg}")
            .expect("a valid template")
            .progress_chars("=> ");
        bar.set_style(style);
        bar.enable_steady_tick(Duration::from_millis(500));
        bar
    })
}

impl Reporter {
    /// A reporter for `total` cells to run; draws a bar only where a person is watching.
    pub fn new(total: usize) -> Reporter {
        let bar = terminal_bar(total as u64 * STEPS_PER_CELL);
        let r = Reporter {
            bar,
            total,
            done: AtomicUsize::new(0),
            failed: AtomicUsize::new(0),
            running: Mutex::new(BTreeMap::new()),
            last_draw: Mutex::new(Instant::now()),
        };
        r.update();
        r
    }

    fn update(&self) {
        let Some(bar) = &self.bar else { return };
        let done = self.done.load(Ordering::SeqCst);
        let failed = self.failed.load(Ordering::SeqCst);
        let failed = if failed > 0 { format!(", {failed} failed") } else { String::new() };
        let running = self
            .running
            .lock()
            .map(|r| r.values().copied().collect::<Vec<f64>>())
            .unwrap_or_default();
        let percents: Vec<String> = running.iter().map(|f| format!("{:.0}%", 100.0 * f)).collect();
        let partial: f64 = running.iter().sum();
        bar.set_message(format!(
            "{done}/{} cells done, {} running ({}){failed}",
            self.total,
            running.len(),
            percents.join(", ")
        ));
        bar.set_position(done as u64 * STEPS_PER_CELL + (partial * STEPS_PER_CELL as f64) as u64);
    }
}

impl CellProgress for Reporter {
    fn started(&self, cell: &Cell) {
        if let Ok(mut r) = self.running.lock() {
            r.insert(cell.id.clone(), 0.0);
        }
        self.update();
    }

    fn advanced(&self, cell: &Cell, fraction: f64) {
        if self.bar.is_none() {
            return;
        }
        if let Ok(mut r) = self.running.lock() {
            r.insert(cell.id.clone(), fraction);
        }
        let due = self.last_draw.lock().map(|mut last| {
            let due = last.elapsed() >= Duration::from_millis(200);
            if due {
                *last = Instant::now();
            }
            due
        });
        if due.unwrap_or(false) {
            self.update();
        }
    }

    fn finished(&self, cell: &Cell, outcome: &CellOutcome, seconds: f64) {
        if let Ok(mut r) = self.running.lock() {
            r.remove(&cell.id);
        }
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
