//! Workers that leave and come back (docs/semantics.md, "17. Availability").
//!
//! A worker's absences are a sequence of intervals [from, to): drawn from a two-state model on its
//! own stream (seed, availability, worker), or read from a CSV. The schedule never depends on the
//! policy, so for one seed every policy sees the same absences.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp};
use serde::{Deserialize, Serialize};

use super::compute_time::{TraceCsv, TraceError, finite};
use crate::population::Diurnal;
use crate::seeds::{Purpose, Seeds};

/// The `availability` config section: off when absent (every worker always present).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "snake_case", deny_unknown_fields)]
pub enum AvailabilitySpec {
    /// Every worker is present from time 0 for an exponential time of mean `mean_up`, then away
    /// for an exponential time of mean `mean_down`, and so on.
    TwoState { mean_up: f64, mean_down: f64 },
    /// Absences read from a CSV `worker,from,to`: the worker is away from `from` until `to`.
    Trace { path: PathBuf },
    /// A population's clients (`clients`), each present in one window a day of `on_hours`,
    /// centred at `center_h` local time give or take `jitter_h` (docs/semantics.md, "18. A
    /// population of clients"); the defaults are [`Diurnal`]'s.
    Diurnal {
        #[serde(default = "diurnal_on_hours")]
        on_hours: f64,
        #[serde(default = "diurnal_center_h")]
        center_h: f64,
        #[serde(default = "diurnal_jitter_h")]
        jitter_h: f64,
    },
}

fn diurnal_on_hours() -> f64 {
    Diurnal::default().on_hours
}
fn diurnal_center_h() -> f64 {
    Diurnal::default().center_h
}
fn diurnal_jitter_h() -> f64 {
    Diurnal::default().jitter_h
}

impl AvailabilitySpec {
    /// Checks every parameter, naming the offending field.
    pub fn validate(&self) -> Result<(), (String, String)> {
        if let AvailabilitySpec::TwoState { mean_up, mean_down } = *self {
            finite("availability.mean_up".into(), mean_up, false)?;
            finite("availability.mean_down".into(), mean_down, false)?;
        }
        if let AvailabilitySpec::Diurnal {
            on_hours,
            center_h,
            jitter_h,
        } = *self
        {
            (Diurnal {
                on_hours,
                center_h,
                jitter_h,
            })
            .validate()
            .map_err(|(key, message)| (format!("availability.{key}"), message))?;
        }
        Ok(())
    }
}

/// The absences of one run, ready to be walked worker by worker.
#[derive(Debug, Clone, PartialEq)]
pub enum Availability {
    TwoState {
        mean_up: f64,
        mean_down: f64,
        seeds: Seeds,
    },
    /// away[worker]: absences in time order, disjoint and not touching.
    Trace {
        away: Vec<Vec<(f64, f64)>>,
    },
}

impl Availability {
    pub fn new(spec: &AvailabilitySpec, workers: u32, seeds: &Seeds) -> Result<Availability, TraceError> {
        Ok(match spec {
            AvailabilitySpec::TwoState { mean_up, mean_down } => Availability::TwoState {
                mean_up: *mean_up,
                mean_down: *mean_down,
                seeds: *seeds,
            },
            AvailabilitySpec::Trace { path } => Availability::Trace {
                away: read_absences(path, Some(workers))?,
            },
            AvailabilitySpec::Diurnal { .. } => {
                return Err(TraceError::Model(
                    "diurnal availability is a population's: it needs `clients`".into(),
                ));
            }
        })
    }

    /// Worker `worker`'s absences, in time order (endless for the two-state model).
    pub fn absences(&self, worker: u32) -> Absences {
        match self {
            Availability::TwoState { mean_up, mean_down, seeds } => Absences::Drawn {
                rng: Box::new(seeds.stream(Purpose::Availability, u64::from(worker), 0)),
                up: Exp::new(1.0 / mean_up).expect("mean_up was checked"),
                down: Exp::new(1.0 / mean_down).expect("mean_down was checked"),
                clock: 0.0,
            },
            Availability::Trace { away } => Absences::Listed {
                away: away[worker as usize].clone(),
                next: 0,
            },
        }
    }
}

/// One worker's absences [from, to), in time order.
pub enum Absences {
    Drawn {
        rng: Box<ChaCha8Rng>,
        up: Exp<f64>,
        down: Exp<f64>,
        clock: f64,
    },
    Listed {
        away: Vec<(f64, f64)>,
        next: usize,
    },
}

impl Iterator for Absences {
    type Item = (f64, f64);

    fn next(&mut self) -> Option<(f64, f64)> {
        match self {
            Absences::Drawn { rng, up, down, clock } => {
                let from = *clock + up.sample(rng.as_mut());
                let to = from + down.sample(rng.as_mut());
                *clock = to;
                Some((from, to))
            }
            Absences::Listed { away, next } => {
                let a = away.get(*next).copied();
                *next += 1;
                a
            }
        }
    }
}

/// A trace's absences as a population's patterns (docs/semantics.md, "18. A population of
/// clients"): one per `worker` number from 0 to the largest in the file (a number with no row is a
/// pattern without absences).
pub fn read_patterns(path: &Path) -> Result<Vec<Vec<(f64, f64)>>, TraceError> {
    read_absences(path, None)
}

/// Reads `worker,from,to` rows (any order); rows of workers >= `workers` are ignored (with `None`,
/// every row is kept and there are as many workers as the largest number + 1).
fn read_absences(path: &Path, workers: Option<u32>) -> Result<Vec<Vec<(f64, f64)>>, TraceError> {
    let csv = TraceCsv { key: "availability", path };
    let err = |message: String| csv.error(message);
    let mut by_worker: BTreeMap<u32, Vec<(f64, f64, usize)>> = BTreeMap::new();
    for (line, rec) in csv.rows(&["worker", "from", "to"])? {
        let field = |j: usize| rec.get(j).unwrap_or("");
        let worker: u32 = field(0)
            .parse()
            .map_err(|_| err(format!("line {line}: worker `{}` is not a non-negative integer", field(0))))?;
        let time = |j: usize| -> Result<f64, TraceError> {
            field(j)
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| err(format!("line {line}: `{}` is not allowed: expected a finite time >= 0", field(j))))
        };
        let (from, to) = (time(1)?, time(2)?);
        if to <= from {
            return Err(err(format!("line {line}: `to` {to} is not after `from` {from}")));
        }
        by_worker.entry(worker).or_default().push((from, to, line));
    }
    let workers = match workers {
        Some(n) => n,
        None => {
            let n = by_worker.keys().last().map_or(0, |w| w + 1);
            if n > 1_000_000 {
                return Err(err(format!(
                    "worker {}: a population's absence patterns are numbered 0..1000000",
                    n - 1
                )));
            }
            n
        }
    };
    let mut away = vec![Vec::new(); workers as usize];
    for (worker, mut rows) in by_worker.into_iter().filter(|(w, _)| *w < workers) {
        rows.sort_by(|a, b| a.0.total_cmp(&b.0));
        for pair in rows.windows(2) {
            if pair[1].0 <= pair[0].1 {
                return Err(err(format!(
                    "line {}: worker {worker}'s absence from {} overlaps or touches the one of line {} (until {}): merge them",
                    pair[1].2, pair[1].0, pair[0].2, pair[0].1
                )));
            }
        }
        away[worker as usize] = rows.into_iter().map(|(f, t, _)| (f, t)).collect();
    }
    Ok(away)
}

/// A change of presence due at `time`: worker `worker` leaves (when present) or comes back.
#[derive(Debug, Clone, Copy)]
pub(super) struct Change {
    pub time: f64,
    pub worker: u32,
}

// Min-heap order: earliest first, then lowest worker index.
impl Ord for Change {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other.time.total_cmp(&self.time).then_with(|| other.worker.cmp(&self.worker))
    }
}
impl PartialOrd for Change {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for Change {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == std::cmp::Ordering::Equal
    }
}
impl Eq for Change {}

/// The engine's walk through every worker's absences: one pending change per worker.
pub(super) struct Presence {
    absences: Vec<Absences>,
    /// The absence each worker is in, or the next one it will start.
    current: Vec<Option<(f64, f64)>>,
    pending: std::collections::BinaryHeap<Change>,
}

impl Presence {
    /// Starts the walk; returns it and which workers are away at time 0.
    pub fn start(availability: &Availability, workers: u32) -> (Presence, Vec<bool>) {
        let mut p = Presence {
            absences: (0..workers).map(|w| availability.absences(w)).collect(),
            current: Vec::with_capacity(workers as usize),
            pending: std::collections::BinaryHeap::with_capacity(workers as usize),
        };
        let mut away = Vec::with_capacity(workers as usize);
        for w in 0..workers {
            let next = p.absences[w as usize].next();
            p.current.push(next);
            let away_now = next.is_some_and(|(from, _)| from <= 0.0);
            if let Some((from, to)) = next {
                p.pending.push(Change {
                    time: if away_now { to } else { from },
                    worker: w,
                });
            }
            away.push(away_now);
        }
        (p, away)
    }

    /// The next change, without taking it.
    pub fn peek(&self) -> Option<Change> {
        self.pending.peek().copied()
    }

    /// Takes the next change; `leaving` says whether the worker was present. Schedules its return
    /// (when leaving) or its next departure (when coming back).
    pub fn take(&mut self, leaving: bool) -> Option<Change> {
        let c = self.pending.pop()?;
        let w = c.worker as usize;
        if leaving {
            if let Some((_, to)) = self.current[w] {
                self.pending.push(Change {
                    time: to,
                    worker: c.worker,
                });
            }
        } else {
            self.current[w] = self.absences[w].next();
            if let Some((from, _)) = self.current[w] {
                self.pending.push(Change {
                    time: from,
                    worker: c.worker,
                });
            }
        }
        Some(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_state_absences_alternate_and_repeat_per_seed() {
        let spec = AvailabilitySpec::TwoState {
            mean_up: 10.0,
            mean_down: 2.0,
        };
        let a = Availability::new(&spec, 4, &Seeds::new(5)).unwrap();
        let first: Vec<(f64, f64)> = a.absences(1).take(2000).collect();
        assert_eq!(first, a.absences(1).take(2000).collect::<Vec<_>>());
        assert_ne!(first[0], a.absences(2).next().unwrap(), "workers differ");
        let mut end = 0.0;
        for &(from, to) in &first {
            assert!(from > end && to > from);
            end = to;
        }
        let down: f64 = first.iter().map(|(f, t)| t - f).sum::<f64>() / 2000.0;
        let up = (end - first.iter().map(|(f, t)| t - f).sum::<f64>()) / 2000.0;
        assert!((down - 2.0).abs() < 0.2 && (up - 10.0).abs() < 1.0, "up {up} down {down}");
    }

    #[test]
    fn absence_traces_are_sorted_and_checked() {
        let dir = std::env::temp_dir().join(format!("abs-away-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let write = |text: &str| {
            let p = dir.join("away.csv");
            std::fs::write(&p, text).unwrap();
            AvailabilitySpec::Trace { path: p }
        };
        let a = Availability::new(&write("worker,from,to\n1,5,6\n1,0,2.5\n9,1,2\n"), 3, &Seeds::new(0)).unwrap();
        assert_eq!(a.absences(1).collect::<Vec<_>>(), [(0.0, 2.5), (5.0, 6.0)]);
        assert_eq!(a.absences(0).next(), None);
        for (text, needle) in [
            ("worker,start,end\n", "header"),
            ("worker,from,to\n0,2,1\n", "not after"),
            ("worker,from,to\n0,-1,1\n", "finite time"),
            ("worker,from,to\n0,1,3\n0,3,4\n", "touches"),
        ] {
            let e = Availability::new(&write(text), 2, &Seeds::new(0)).unwrap_err();
            assert!(
                e.to_string().contains(needle) && e.to_string().starts_with("availability trace"),
                "{text}: {e}"
            );
        }
    }
}
