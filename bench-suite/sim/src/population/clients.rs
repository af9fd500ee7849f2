//! Each client's attributes, drawn from its own draws whenever they are needed and never stored:
//! a client's attributes are the same whenever (and however often) they are drawn, so a run's
//! memory does not grow with the clients it touches.

use rand_distr::{Distribution, Gamma, LogNormal};
use serde::{Deserialize, Serialize};

use super::draws::ClientDraws;
use crate::seeds::{Purpose, Seeds};

/// How many samples a client holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SampleLaw {
    /// Every client the same.
    Constant(u32),
    /// Lognormal with this median and log-sd, at least 1.
    LogNormal { median: f64, sigma: f64 },
}

/// The `client_samples` key: each client's number of samples, lognormal with this median and
/// log-sd, at least 1 (sigma 0: every client holds `median`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClientSamples {
    pub median: f64,
    pub sigma: f64,
}

impl Default for ClientSamples {
    /// About 20 samples a client (3,000 clients hold about Fashion-MNIST's 60,000 images), spread
    /// over a factor of about 2.2 either way (one sigma).
    fn default() -> Self {
        ClientSamples { median: 20.0, sigma: 0.8 }
    }
}

impl ClientSamples {
    /// Refuses a median below 1 or a negative or infinite sigma, naming the field.
    pub fn validate(&self) -> Result<(), (String, String)> {
        if !(self.median.is_finite() && self.median >= 1.0 && self.median <= 1e9) {
            return Err((
                "client_samples.median".into(),
                format!("value {} is not allowed: expected a number in [1, 1e9]", self.median),
            ));
        }
        if !(self.sigma.is_finite() && self.sigma >= 0.0 && self.sigma <= 10.0) {
            return Err((
                "client_samples.sigma".into(),
                format!("value {} is not allowed: expected a number in [0, 10]", self.sigma),
            ));
        }
        Ok(())
    }

    /// The law it describes.
    pub fn law(&self) -> SampleLaw {
        if self.sigma == 0.0 {
            SampleLaw::Constant(self.median.round() as u32)
        } else {
            SampleLaw::LogNormal {
                median: self.median,
                sigma: self.sigma,
            }
        }
    }
}

/// The laws clients' attributes are drawn from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClientLaw {
    /// The spread of the machine speed factor: gamma with mean 1 and coefficient of variation
    /// `v_mach` (0: every client the same), as the gamma_cvb compute law's per-machine factor.
    pub v_mach: f64,
    pub samples: SampleLaw,
}

impl Default for ClientLaw {
    /// The compute law's default spread, and a lognormal data size around 20 samples (a
    /// label-skewed Fashion-MNIST population of 3,000 clients holds about its 60,000 images).
    fn default() -> Self {
        ClientLaw {
            v_mach: 0.5,
            samples: ClientSamples::default().law(),
        }
    }
}

/// The draws behind each attribute (the index of the client's draws).
const SPEED: u64 = 0;
const PHASE: u64 = 1;
const SAMPLES: u64 = 2;

/// The attributes of a run's clients, drawn lazily.
#[derive(Debug, Clone)]
pub struct Clients {
    draws: ClientDraws,
    law: ClientLaw,
    speed: Option<Gamma<f64>>,
    samples: Option<LogNormal<f64>>,
}

impl Clients {
    /// The laws' parameters must be valid (the config refuses others).
    pub fn new(seeds: &Seeds, law: ClientLaw) -> Result<Clients, String> {
        let speed = if law.v_mach > 0.0 {
            let shape = 1.0 / (law.v_mach * law.v_mach);
            Some(Gamma::new(shape, 1.0 / shape).map_err(|e| format!("v_mach {}: {e}", law.v_mach))?)
        } else {
            None
        };
        let samples = match law.samples {
            SampleLaw::Constant(_) => None,
            SampleLaw::LogNormal { median, sigma } => Some(LogNormal::new(median.ln(), sigma).map_err(|e| format!("samples: {e}"))?),
        };
        Ok(Clients {
            draws: ClientDraws::new(seeds, Purpose::ClientAttributes),
            law,
            speed,
            samples,
        })
    }

    /// `client`'s time zone, as the hours its local clock is ahead of the run's, in [0, 24): one
    /// hash, for presence checks.
    pub fn phase_h(&self, client: u64) -> f64 {
        24.0 * self.draws.unit(client, PHASE)
    }

    /// `client`'s speed factor, which multiplies the mean of its jobs' compute times (drawn again
    /// each time: for the engine, which needs nothing else at a job's start).
    pub fn speed(&self, client: u64) -> f64 {
        self.speed.as_ref().map_or(1.0, |g| g.sample(&mut self.draws.rng(client, SPEED)))
    }

    /// `client`'s number of samples (drawn again each time: for learners, which need nothing else).
    pub fn samples(&self, client: u64) -> u32 {
        match (self.law.samples, &self.samples) {
            (SampleLaw::Constant(n), _) => n,
            (_, Some(l)) => l
                .sample(&mut self.draws.rng(client, SAMPLES))
                .round()
                .clamp(1.0, f64::from(u32::MAX)) as u32,
            (_, None) => 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client's attributes, all at once (the run draws each alone, where it is needed).
    #[derive(Debug, PartialEq)]
    struct ClientAttributes {
        speed: f64,
        phase_h: f64,
        samples: u32,
    }

    impl Clients {
        fn attributes(&self, client: u64) -> ClientAttributes {
            ClientAttributes {
                speed: self.speed(client),
                phase_h: self.phase_h(client),
                samples: self.samples(client),
            }
        }
    }

    #[test]
    fn a_client_is_the_same_whenever_it_is_first_touched() {
        let seeds = Seeds::new(11);
        let forward = Clients::new(&seeds, ClientLaw::default()).unwrap();
        let backward = Clients::new(&seeds, ClientLaw::default()).unwrap();
        let ids: Vec<u64> = (0..500).map(|i| i * 7_919 + 3).collect();
        let a: Vec<ClientAttributes> = ids.iter().map(|&c| forward.attributes(c)).collect();
        let mut b: Vec<ClientAttributes> = ids.iter().rev().map(|&c| backward.attributes(c)).collect();
        b.reverse();
        assert_eq!(a, b, "draw order does not matter");
        assert!(ids.iter().zip(&a).all(|(&c, x)| forward.phase_h(c) == x.phase_h));
        // drawn again, interleaved with other clients: the same attributes
        for (i, &c) in ids.iter().enumerate().step_by(3) {
            assert_eq!(backward.attributes(c + 1).samples, forward.attributes(c + 1).samples);
            assert_eq!(backward.attributes(c), a[i], "client {c}");
        }
        // another seed, other clients
        let other = Clients::new(&Seeds::new(12), ClientLaw::default()).unwrap();
        assert_ne!(other.attributes(ids[0]), a[0]);
    }

    #[test]
    fn attributes_follow_their_laws() {
        let clients = Clients::new(&Seeds::new(3), ClientLaw::default()).unwrap();
        let n = 20_000u64;
        let all: Vec<ClientAttributes> = (0..n).map(|c| clients.attributes(c * 1_000_003)).collect();
        let mean_speed = all.iter().map(|a| a.speed).sum::<f64>() / n as f64;
        let cv = (all.iter().map(|a| (a.speed - mean_speed).powi(2)).sum::<f64>() / n as f64).sqrt() / mean_speed;
        assert!((mean_speed - 1.0).abs() < 0.02 && (cv - 0.5).abs() < 0.02, "{mean_speed} {cv}");
        assert!(all.iter().all(|a| (0.0..24.0).contains(&a.phase_h)));
        let mut sizes: Vec<u32> = all.iter().map(|a| a.samples).collect();
        sizes.sort_unstable();
        let median = sizes[sizes.len() / 2];
        assert!((19..=21).contains(&median), "{median}");
        let fixed = ClientLaw {
            v_mach: 0.0,
            samples: SampleLaw::Constant(5),
        };
        let same = Clients::new(&Seeds::new(3), fixed).unwrap();
        assert_eq!((same.attributes(9).speed, same.attributes(9).samples), (1.0, 5));
    }
}
