//! How long a client's job computes (docs/semantics.md, "18. A population of clients"): the
//! compute law's per-job draw, scaled by the client's speed factor, from the client's own draws
//! keyed by the run's job number, so no per-client counter is kept.

use rand_distr::{Distribution, Exp, Gamma, Pareto};

use super::draws::ClientDraws;
use crate::engine::{ComputeTimeSpec, Granularity};
use crate::seeds::{Purpose, Seeds};

/// The compute law of one job on a machine of speed factor 1.
#[derive(Debug, Clone, Copy, PartialEq)]
enum JobLaw {
    /// gamma_cvb's per-job level: `scale` x Gamma(shape, 1), mean `mean`.
    Gamma {
        unit: Gamma<f64>,
        scale: f64,
    },
    Exp {
        shift: f64,
        exp: Exp<f64>,
    },
    Pareto(Pareto<f64>),
    Constant(f64),
}

/// The job times of a population's clients.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClientTimes {
    law: JobLaw,
    draws: ClientDraws,
    draws_per_job: u32,
    /// The spread of the clients' speed factors (gamma_cvb's `v_mach`; 0 for the other laws).
    pub v_mach: f64,
}

impl ClientTimes {
    /// The law of `spec` per client; a trace of job times is per worker and cannot be used.
    pub fn new(spec: &ComputeTimeSpec, granularity: Granularity, local_steps: u32, seeds: &Seeds) -> Result<ClientTimes, String> {
        let bad = |e: &dyn std::fmt::Display| e.to_string();
        let (law, v_mach) = match *spec {
            ComputeTimeSpec::GammaCvb { mean, v_task, v_mach } => {
                let law = if v_task == 0.0 {
                    JobLaw::Constant(mean)
                } else {
                    let shape = 1.0 / (v_task * v_task);
                    JobLaw::Gamma {
                        unit: Gamma::new(shape, 1.0).map_err(|e| bad(&e))?,
                        scale: mean / shape,
                    }
                };
                (law, v_mach)
            }
            ComputeTimeSpec::Exponential { mean } => (
                JobLaw::Exp {
                    shift: 0.0,
                    exp: Exp::new(1.0 / mean).map_err(|e| bad(&e))?,
                },
                0.0,
            ),
            ComputeTimeSpec::ShiftedExponential { shift, mean } => (
                JobLaw::Exp {
                    shift,
                    exp: Exp::new(1.0 / mean).map_err(|e| bad(&e))?,
                },
                0.0,
            ),
            ComputeTimeSpec::Pareto { scale, shape } => (JobLaw::Pareto(Pareto::new(scale, shape).map_err(|e| bad(&e))?), 0.0),
            ComputeTimeSpec::Constant { value } => (JobLaw::Constant(value), 0.0),
            ComputeTimeSpec::Trace { .. } => {
                return Err("a trace of job times is kept per worker, not per client: use a drawn law with `clients`".into());
            }
        };
        let draws_per_job = match granularity {
            Granularity::Job => 1,
            Granularity::Step => local_steps,
        };
        Ok(ClientTimes {
            law,
            draws: ClientDraws::new(seeds, Purpose::ComputeTime),
            draws_per_job,
            v_mach,
        })
    }

    /// The compute time of job `job` of the run (its number in the job log), run by `client` of
    /// speed factor `speed`.
    pub fn draw(&self, client: u64, job: u64, speed: f64) -> f64 {
        if let JobLaw::Constant(v) = self.law {
            return speed * v * f64::from(self.draws_per_job);
        }
        let mut rng = self.draws.rng(client, job);
        let mut total = 0.0;
        for _ in 0..self.draws_per_job {
            total += match &self.law {
                JobLaw::Gamma { unit, scale } => scale * unit.sample(&mut rng),
                JobLaw::Exp { shift, exp } => shift + exp.sample(&mut rng),
                JobLaw::Pareto(p) => p.sample(&mut rng),
                JobLaw::Constant(v) => *v,
            };
        }
        speed * total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_times_follow_the_law_scaled_by_speed_and_are_pure() {
        let seeds = Seeds::new(2);
        let spec = ComputeTimeSpec::GammaCvb {
            mean: 2.0,
            v_task: 0.5,
            v_mach: 0.5,
        };
        let t = ClientTimes::new(&spec, Granularity::Job, 10, &seeds).unwrap();
        assert_eq!(t.v_mach, 0.5);
        let n = 40_000u64;
        let mean = (0..n).map(|j| t.draw(j % 97, j, 1.0)).sum::<f64>() / n as f64;
        assert!((mean - 2.0).abs() < 0.03, "{mean}");
        // the same job of the same client, whatever was drawn before; speed scales it
        assert_eq!(
            t.draw(5, 77, 1.0),
            ClientTimes::new(&spec, Granularity::Job, 10, &seeds).unwrap().draw(5, 77, 1.0)
        );
        assert!((t.draw(5, 77, 3.0) - 3.0 * t.draw(5, 77, 1.0)).abs() < 1e-12);
        assert_ne!(t.draw(5, 77, 1.0), t.draw(6, 77, 1.0));
        assert_ne!(t.draw(5, 77, 1.0), t.draw(5, 78, 1.0));
        let steps = ClientTimes::new(&ComputeTimeSpec::Constant { value: 0.1 }, Granularity::Step, 10, &seeds).unwrap();
        assert!((steps.draw(1, 1, 2.0) - 2.0).abs() < 1e-12);
        let trace = ComputeTimeSpec::Trace { path: "t.csv".into() };
        assert!(
            ClientTimes::new(&trace, Granularity::Job, 1, &seeds)
                .unwrap_err()
                .contains("per worker")
        );
    }
}
