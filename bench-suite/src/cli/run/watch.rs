//! What a person sees while one run goes: on a terminal a bar with rounds, virtual time, the last
//! test accuracy and an ETA; elsewhere (pipes, logs, `CI` set) a plain line now and then.

use std::time::{Duration, Instant};

use indicatif::ProgressBar;

use abs_sim::engine::Progress;

/// Bar units for a whole run.
const STEPS: u64 = 1000;
/// Seconds between plain progress lines.
const LINE_EVERY: Duration = Duration::from_secs(10);

pub struct RunWatch {
    name: String,
    bar: Option<ProgressBar>,
    started: Instant,
    last_line: Instant,
}

impl RunWatch {
    pub fn new(name: &str) -> RunWatch {
        let bar = crate::runner::terminal_bar(STEPS);
        RunWatch {
            name: name.to_string(),
            bar,
            started: Instant::now(),
            last_line: Instant::now(),
        }
    }

    /// Called after every round.
    pub fn round(&mut self, p: &Progress) {
        let what = describe(p);
        match &self.bar {
            Some(bar) => {
                bar.set_message(what);
                bar.set_position((p.fraction * STEPS as f64) as u64);
            }
            None if self.last_line.elapsed() >= LINE_EVERY => {
                self.last_line = Instant::now();
                let elapsed = self.started.elapsed().as_secs_f64();
                let eta = if p.fraction > 0.0 {
                    format!(", ETA {:.0} s", elapsed * (1.0 - p.fraction) / p.fraction)
                } else {
                    String::new()
                };
                eprintln!("{}: {what} ({:.0}%{eta})", self.name, 100.0 * p.fraction);
            }
            None => {}
        }
    }

    pub fn close(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

fn describe(p: &Progress) -> String {
    let accuracy = if p.accuracy.is_nan() {
        String::new()
    } else {
        format!(", test acc {:.4}", p.accuracy)
    };
    format!("round {}, virtual {:.1} s{accuracy}", p.rounds, p.time)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_progress_line_says_round_virtual_time_and_accuracy_once_known() {
        let p = Progress {
            rounds: 120,
            time: 345.26,
            accuracy: 0.45123,
            fraction: 0.06,
        };
        assert_eq!(describe(&p), "round 120, virtual 345.3 s, test acc 0.4512");
        let early = Progress { accuracy: f64::NAN, ..p };
        assert_eq!(describe(&early), "round 120, virtual 345.3 s");
    }
}
