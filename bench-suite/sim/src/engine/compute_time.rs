//! How long each job takes on the virtual clock (docs/semantics.md, "9. Runtime models").
//!
//! Each worker draws its job times from its own stream (seed, compute-time, worker), the j-th draw
//! being job j's time. Every job that is started draws, cancelled ones included, so for a given seed
//! every policy sees the same sequence of job times per worker (common random numbers).

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp, Gamma, Pareto};
use serde::{Deserialize, Serialize};

use crate::seeds::{Purpose, Seeds};

/// A compute-time model as written in a config (`compute_time: {model: gamma_cvb, ...}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "snake_case", deny_unknown_fields)]
pub enum ComputeTimeSpec {
    /// Ali et al.'s CVB method: per-worker mean p_n ~ Gamma(1/v_mach^2, mean v_mach^2), per-job
    /// time ~ Gamma(1/v_task^2, p_n v_task^2). A coefficient of variation of 0 makes that level
    /// deterministic.
    GammaCvb {
        #[serde(default = "one")]
        mean: f64,
        #[serde(default = "half")]
        v_task: f64,
        #[serde(default = "half")]
        v_mach: f64,
    },
    /// Exponential with the given mean.
    Exponential { mean: f64 },
    /// `shift` plus an exponential with the given mean (Dutta et al.).
    ShiftedExponential { shift: f64, mean: f64 },
    /// Pareto with the given scale (minimum) and shape.
    Pareto { scale: f64, shape: f64 },
    /// Every job takes `value`.
    Constant { value: f64 },
    /// Times read from a CSV `worker,job,time`, jobs numbered from 0 per worker in start order.
    Trace { path: PathBuf },
}

fn one() -> f64 {
    1.0
}
fn half() -> f64 {
    0.5
}

impl Default for ComputeTimeSpec {
    fn default() -> Self {
        ComputeTimeSpec::GammaCvb {
            mean: 1.0,
            v_task: 0.5,
            v_mach: 0.5,
        }
    }
}

/// A model parameter `key` that must be finite and > 0 (or >= 0 with `zero_ok`): the error names
/// the key, the value and what is allowed, as the config's range checks do.
pub(super) fn finite(key: String, v: f64, zero_ok: bool) -> Result<(), (String, String)> {
    let (ok, allowed) = if zero_ok { (v >= 0.0, ">= 0") } else { (v > 0.0, "> 0") };
    if v.is_finite() && ok {
        Ok(())
    } else {
        Err((key, format!("value {v} is not allowed: expected a finite number {allowed}")))
    }
}

impl ComputeTimeSpec {
    /// Checks every parameter, naming the offending field (`compute_time.mean`, ...).
    pub fn validate(&self) -> Result<(), (String, String)> {
        let positive = |name: &str, v: f64| finite(format!("compute_time.{name}"), v, false);
        let non_negative = |name: &str, v: f64| finite(format!("compute_time.{name}"), v, true);
        match *self {
            ComputeTimeSpec::GammaCvb { mean, v_task, v_mach } => {
                positive("mean", mean)?;
                non_negative("v_task", v_task)?;
                non_negative("v_mach", v_mach)
            }
            ComputeTimeSpec::Exponential { mean } => positive("mean", mean),
            ComputeTimeSpec::ShiftedExponential { shift, mean } => {
                non_negative("shift", shift)?;
                positive("mean", mean)
            }
            ComputeTimeSpec::Pareto { scale, shape } => {
                positive("scale", scale)?;
                positive("shape", shape)
            }
            ComputeTimeSpec::Constant { value } => non_negative("value", value),
            ComputeTimeSpec::Trace { .. } => Ok(()),
        }
    }
}

/// Whether the model's parameters describe a whole job or one local step (`granularity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    /// One draw per job of U steps.
    #[default]
    Job,
    /// One draw per local step; a job takes the sum of its U draws.
    Step,
}

/// A trace that cannot be used, or ran out.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    /// The trace file cannot be opened or read as CSV.
    #[error("{key} trace {}: {source}", path.display())]
    Read {
        /// The config key whose trace it is (`compute_time`, `network`, `availability`).
        key: &'static str,
        path: PathBuf,
        #[source]
        source: csv::Error,
    },
    /// A row or the header is not what a trace holds.
    #[error("{key} trace {}: {message}", path.display())]
    Invalid { key: &'static str, path: PathBuf, message: String },
    /// The model's parameters make no distribution (checked before, so not expected).
    #[error("compute_time: {0}")]
    Model(String),
    /// A worker started more jobs than the trace has rows for.
    #[error(
        "compute_time trace {}: ran out of rows: worker {worker} starts job {job} but the trace has {rows} jobs for it (cancelled jobs use their row too)",
        path.display()
    )]
    RanOut { path: PathBuf, worker: u32, job: u64, rows: usize },
    /// The file holds other content than the digest its config was stamped with when the cell's
    /// id was taken (docs/semantics.md, "Cell identity"): it was edited since.
    #[error(
        "{key} trace {}: the file changed since the cell's id was taken (it holds content {found}, the config names {recorded}): run it again, so that the new content gets its own cell",
        path.display()
    )]
    Changed {
        key: &'static str,
        path: PathBuf,
        recorded: String,
        found: String,
    },
}

impl TraceError {
    /// The config key whose trace (or model) it is about.
    pub fn key(&self) -> &'static str {
        match self {
            TraceError::Read { key, .. } | TraceError::Invalid { key, .. } | TraceError::Changed { key, .. } => key,
            TraceError::Model(_) | TraceError::RanOut { .. } => "compute_time",
        }
    }
}

/// Per-job time tables read from a trace CSV.
#[derive(Debug, Clone)]
pub struct Trace {
    path: PathBuf,
    /// times[worker][job]
    times: Vec<Vec<f64>>,
}

/// A trace CSV of the config key `key` (fields trimmed): its rows after a check of the header,
/// and errors that name the key, the file and the line.
pub(super) struct TraceCsv<'a> {
    pub key: &'static str,
    pub path: &'a Path,
}

impl TraceCsv<'_> {
    pub fn error(&self, message: String) -> TraceError {
        TraceError::Invalid {
            key: self.key,
            path: self.path.to_path_buf(),
            message,
        }
    }

    /// Every data row with its 1-based line in the file, once the header is exactly `header`.
    pub fn rows(&self, header: &[&str]) -> Result<Vec<(usize, csv::StringRecord)>, TraceError> {
        let read = |source| TraceError::Read {
            key: self.key,
            path: self.path.to_path_buf(),
            source,
        };
        let mut rdr = csv::ReaderBuilder::new().trim(csv::Trim::All).from_path(self.path).map_err(read)?;
        let found: Vec<String> = rdr.headers().map_err(read)?.iter().map(String::from).collect();
        if found != header {
            return Err(self.error(format!("expected the header `{}`, found `{}`", header.join(","), found.join(","))));
        }
        (rdr.records().enumerate())
            .map(|(i, rec)| rec.map(|r| (i + 2, r)).map_err(|e| self.error(format!("line {}: {e}", i + 2))))
            .collect()
    }
}

impl Trace {
    /// Reads `worker,job,time` rows; every worker below `workers` needs jobs 0..m with no gap.
    /// Rows of workers >= `workers` are ignored, so one trace serves several worker counts.
    pub fn load(path: &Path, workers: u32) -> Result<Trace, TraceError> {
        let csv = TraceCsv { key: "compute_time", path };
        let err = |message: String| csv.error(message);
        let mut rows: HashMap<(u32, u64), f64> = HashMap::new();
        // (job, time) per worker read, in one pass: loading is linear in the rows whatever N
        let mut per_worker: Vec<Vec<(u64, f64)>> = vec![Vec::new(); workers as usize];
        for (line, rec) in csv.rows(&["worker", "job", "time"])? {
            let field = |j: usize| rec.get(j).unwrap_or("");
            let worker: u32 = field(0)
                .parse()
                .map_err(|_| err(format!("line {line}: worker `{}` is not a non-negative integer", field(0))))?;
            let job: u64 = field(1)
                .parse()
                .map_err(|_| err(format!("line {line}: job `{}` is not a non-negative integer", field(1))))?;
            let time: f64 = field(2)
                .parse()
                .map_err(|_| err(format!("line {line}: time `{}` is not a number", field(2))))?;
            if !(time.is_finite() && time >= 0.0) {
                return Err(err(format!(
                    "line {line}: time {time} is not allowed: expected a finite number >= 0"
                )));
            }
            if rows.insert((worker, job), time).is_some() {
                return Err(err(format!("line {line}: worker {worker} job {job} appears twice")));
            }
            if let Some(list) = per_worker.get_mut(worker as usize) {
                list.push((job, time));
            }
        }
        let mut times = Vec::with_capacity(workers as usize);
        for (w, mut list) in per_worker.into_iter().enumerate() {
            let count = list.len();
            if count == 0 {
                return Err(err(format!("no rows for worker {w} (workers = {workers})")));
            }
            list.sort_unstable_by_key(|&(job, _)| job);
            if let Some(j) = (0..count as u64).zip(&list).find(|(j, (job, _))| job != j).map(|(j, _)| j) {
                return Err(err(format!(
                    "worker {w} has {count} rows but no job {j}: jobs are numbered from 0 without gaps"
                )));
            }
            times.push(list.into_iter().map(|(_, t)| t).collect());
        }
        Ok(Trace {
            path: path.to_path_buf(),
            times,
        })
    }
}

enum Sampler {
    Gamma(Gamma<f64>),
    Exp { shift: f64, exp: Exp<f64> },
    Pareto(Pareto<f64>),
    Constant(f64),
    Trace,
}

/// Draws job times for every worker of one run.
pub struct JobTimes {
    samplers: Vec<Sampler>,
    streams: Vec<ChaCha8Rng>,
    next_job: Vec<u64>,
    draws_per_job: u32,
    trace: Option<Trace>,
}

impl JobTimes {
    /// Sets up the per-worker samplers; `local_steps` matters only with `granularity: step`.
    pub fn new(
        spec: &ComputeTimeSpec,
        granularity: Granularity,
        local_steps: u32,
        workers: u32,
        seeds: &Seeds,
    ) -> Result<JobTimes, TraceError> {
        let bad = |e: &dyn fmt::Display| TraceError::Model(e.to_string());
        let mut trace = None;
        let mut samplers = Vec::with_capacity(workers as usize);
        for w in 0..workers {
            let s = match *spec {
                ComputeTimeSpec::GammaCvb { mean, v_task, v_mach } => {
                    let p_n = if v_mach == 0.0 {
                        mean
                    } else {
                        let g = Gamma::new(1.0 / (v_mach * v_mach), mean * v_mach * v_mach).map_err(|e| bad(&e))?;
                        g.sample(&mut seeds.stream(Purpose::MachineSpeed, u64::from(w), 0))
                    };
                    if v_task == 0.0 {
                        Sampler::Constant(p_n)
                    } else {
                        Sampler::Gamma(Gamma::new(1.0 / (v_task * v_task), p_n * v_task * v_task).map_err(|e| bad(&e))?)
                    }
                }
                ComputeTimeSpec::Exponential { mean } => Sampler::Exp {
                    shift: 0.0,
                    exp: Exp::new(1.0 / mean).map_err(|e| bad(&e))?,
                },
                ComputeTimeSpec::ShiftedExponential { shift, mean } => Sampler::Exp {
                    shift,
                    exp: Exp::new(1.0 / mean).map_err(|e| bad(&e))?,
                },
                ComputeTimeSpec::Pareto { scale, shape } => Sampler::Pareto(Pareto::new(scale, shape).map_err(|e| bad(&e))?),
                ComputeTimeSpec::Constant { value } => Sampler::Constant(value),
                ComputeTimeSpec::Trace { ref path } => {
                    if trace.is_none() {
                        trace = Some(Trace::load(path, workers)?);
                    }
                    Sampler::Trace
                }
            };
            samplers.push(s);
        }
        let streams = (0..workers).map(|w| seeds.stream(Purpose::ComputeTime, u64::from(w), 0)).collect();
        let draws_per_job = match (granularity, spec) {
            (_, ComputeTimeSpec::Trace { .. }) | (Granularity::Job, _) => 1,
            (Granularity::Step, _) => local_steps,
        };
        Ok(JobTimes {
            samplers,
            streams,
            next_job: vec![0; workers as usize],
            draws_per_job,
            trace,
        })
    }

    /// The compute time of `worker`'s next job. Jobs must be drawn in order, once each.
    pub fn draw(&mut self, worker: u32) -> Result<f64, TraceError> {
        let w = worker as usize;
        let job = self.next_job[w];
        self.next_job[w] += 1;
        if let Sampler::Trace = self.samplers[w] {
            let trace = self.trace.as_ref().ok_or_else(|| TraceError::Model("trace not loaded".into()))?;
            return trace.times[w].get(job as usize).copied().ok_or_else(|| TraceError::RanOut {
                path: trace.path.clone(),
                worker,
                job,
                rows: trace.times[w].len(),
            });
        }
        let rng = &mut self.streams[w];
        let mut total = 0.0;
        for _ in 0..self.draws_per_job {
            total += match &self.samplers[w] {
                Sampler::Gamma(g) => g.sample(rng),
                Sampler::Exp { shift, exp } => shift + exp.sample(rng),
                Sampler::Pareto(p) => p.sample(rng),
                Sampler::Constant(v) => *v,
                Sampler::Trace => unreachable!("handled above"),
            };
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mean_of(spec: ComputeTimeSpec, workers: u32, jobs: usize) -> f64 {
        let mut t = JobTimes::new(&spec, Granularity::Job, 10, workers, &Seeds::new(1)).unwrap();
        let mut sum = 0.0;
        for _ in 0..jobs {
            for w in 0..workers {
                sum += t.draw(w).unwrap();
            }
        }
        sum / (jobs as f64 * f64::from(workers))
    }

    #[test]
    fn sample_means_match_the_models() {
        let m = mean_of(
            ComputeTimeSpec::GammaCvb {
                mean: 2.0,
                v_task: 0.5,
                v_mach: 0.0,
            },
            4,
            20_000,
        );
        assert!((m - 2.0).abs() < 0.03, "gamma_cvb mean {m}");
        let m = mean_of(ComputeTimeSpec::ShiftedExponential { shift: 1.0, mean: 0.5 }, 4, 20_000);
        assert!((m - 1.5).abs() < 0.02, "shifted exp mean {m}");
        let m = mean_of(ComputeTimeSpec::Pareto { scale: 1.0, shape: 3.0 }, 4, 20_000);
        assert!((m - 1.5).abs() < 0.03, "pareto mean {m}");
        assert_eq!(mean_of(ComputeTimeSpec::Constant { value: 0.25 }, 3, 10), 0.25);
    }

    #[test]
    fn v_mach_spreads_worker_means() {
        let spec = ComputeTimeSpec::GammaCvb {
            mean: 1.0,
            v_task: 0.0,
            v_mach: 0.5,
        };
        let mut t = JobTimes::new(&spec, Granularity::Job, 1, 8, &Seeds::new(5)).unwrap();
        let per_worker: Vec<f64> = (0..8).map(|w| t.draw(w).unwrap()).collect();
        // v_task = 0: each worker is a constant p_n, and the p_n differ
        assert_eq!(t.draw(3).unwrap(), per_worker[3]);
        assert!(per_worker.iter().any(|&p| (p - per_worker[0]).abs() > 1e-3));
    }

    #[test]
    fn step_granularity_sums_u_draws() {
        let spec = ComputeTimeSpec::Constant { value: 0.1 };
        let mut t = JobTimes::new(&spec, Granularity::Step, 10, 1, &Seeds::new(0)).unwrap();
        assert!((t.draw(0).unwrap() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn trace_rows_in_order_and_clear_errors() {
        let scratch = tempfile::tempdir().unwrap();
        let dir = scratch.path().to_path_buf();
        let p = dir.join("t.csv");
        std::fs::write(&p, "worker,job,time\n1,0,2.5\n0,1,0.5\n0,0,1\n").unwrap();
        let spec = ComputeTimeSpec::Trace { path: p.clone() };
        let mut t = JobTimes::new(&spec, Granularity::Step, 10, 2, &Seeds::new(0)).unwrap();
        assert_eq!(t.draw(0).unwrap(), 1.0);
        assert_eq!(t.draw(0).unwrap(), 0.5);
        assert_eq!(t.draw(1).unwrap(), 2.5);
        let e = t.draw(1).unwrap_err().to_string();
        assert!(e.contains("worker 1 starts job 1"), "{e}");
        std::fs::write(&p, "worker,job,time\n0,0,1\n0,2,1\n1,0,1\n").unwrap();
        let e = JobTimes::new(&spec, Granularity::Job, 10, 2, &Seeds::new(0))
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("no job 1"), "{e}");
        std::fs::write(&p, "worker,job,time\n0,0,-1\n").unwrap();
        let e = JobTimes::new(&spec, Granularity::Job, 10, 1, &Seeds::new(0))
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("line 2") && e.contains(">= 0"), "{e}");
    }
}
