//! Communication time from model size and bandwidth (docs/semantics.md, "16. The network").
//!
//! Each worker has a constant link for the run, drawn once from its own stream (seed, bandwidth,
//! worker) or read from a CSV; a transfer takes latency + bits / rate. Downloads the server sends
//! at one instant share its link equally.

use std::path::{Path, PathBuf};

use rand_distr::{Distribution, Gamma};
use serde::{Deserialize, Serialize};

use super::compute_time::{TraceCsv, TraceError, finite};
use crate::population::ClientDraws;
use crate::seeds::{Purpose, Seeds};

/// How each worker's bandwidth is set (`network.bandwidth`), in Mbit/s.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "snake_case", deny_unknown_fields)]
pub enum BandwidthSpec {
    /// Every worker has `mbps`.
    Constant { mbps: f64 },
    /// Worker n has `mbps[n mod len]` (e.g. `[1000, 100]`: even workers 1 Gbit/s, odd 100 Mbit/s).
    Cycle { mbps: Vec<f64> },
    /// Worker n's bandwidth ~ Gamma with mean `mean_mbps` and coefficient of variation `cv`.
    Gamma { mean_mbps: f64, cv: f64 },
    /// Read from a CSV `worker,upload_mbps,download_mbps`, one row per worker.
    Trace { path: PathBuf },
}

/// The `network` config section: off when absent (transfers then take only their latencies).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    pub bandwidth: BandwidthSpec,
    /// A worker's upload bandwidth = this x its download bandwidth (not used with a trace).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub upload_ratio: f64,
    /// The server's link in Mbit/s; absent: unlimited (downloads never wait for each other).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_mbps: Option<f64>,
    /// The bytes of one model or update; absent: 4 bytes per parameter of the model trained.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_bytes: Option<f64>,
    /// Bytes sent = model bytes / compression.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub compression: f64,
}

fn one() -> f64 {
    1.0
}
fn is_one(v: &f64) -> bool {
    *v == 1.0
}

fn positive(key: &str, v: f64) -> Result<(), (String, String)> {
    finite(format!("network.{key}"), v, false)
}

impl NetworkSpec {
    /// Checks every parameter, naming the offending field (`network.bandwidth.mbps`, ...).
    pub fn validate(&self) -> Result<(), (String, String)> {
        match &self.bandwidth {
            BandwidthSpec::Constant { mbps } => positive("bandwidth.mbps", *mbps)?,
            BandwidthSpec::Cycle { mbps } => {
                if mbps.is_empty() {
                    return Err((
                        "network.bandwidth.mbps".into(),
                        "an empty list is not allowed: expected at least one bandwidth".into(),
                    ));
                }
                for v in mbps {
                    positive("bandwidth.mbps", *v)?;
                }
            }
            BandwidthSpec::Gamma { mean_mbps, cv } => {
                positive("bandwidth.mean_mbps", *mean_mbps)?;
                positive("bandwidth.cv", *cv)?;
            }
            BandwidthSpec::Trace { .. } => {}
        }
        positive("upload_ratio", self.upload_ratio)?;
        positive("compression", self.compression)?;
        if let Some(s) = self.server_mbps {
            positive("server_mbps", s)?;
        }
        if let Some(b) = self.model_bytes {
            positive("model_bytes", b)?;
        }
        Ok(())
    }
}

/// The links of one run: every worker's bandwidths, drawn or read once.
#[derive(Debug, Clone, PartialEq)]
pub struct Links {
    /// Mbit/s per worker.
    pub upload_mbps: Vec<f64>,
    pub download_mbps: Vec<f64>,
    pub server_mbps: Option<f64>,
    /// Bytes of one transfer before compression; `None`: 4 per model parameter.
    pub model_bytes: Option<f64>,
    pub compression: f64,
    /// A population's links, one per client drawn when needed (docs/semantics.md, "18. A
    /// population of clients"); the per-worker vectors are then empty.
    pub clients: Option<ClientLinks>,
}

/// Each client's link, a pure function of (seed, client): the bandwidth model applied to the
/// client's own draws (`cycle`: client c has `mbps[c mod len]`).
#[derive(Debug, Clone, PartialEq)]
pub struct ClientLinks {
    bandwidth: BandwidthSpec,
    upload_ratio: f64,
    gamma: Option<Gamma<f64>>,
    draws: ClientDraws,
}

impl ClientLinks {
    /// `client`'s (upload, download) Mbit/s.
    pub fn of(&self, client: u64) -> (f64, f64) {
        let down = match (&self.bandwidth, &self.gamma) {
            (BandwidthSpec::Constant { mbps }, _) => *mbps,
            (BandwidthSpec::Cycle { mbps }, _) => mbps[(client % mbps.len() as u64) as usize],
            (_, Some(g)) => g.sample(&mut self.draws.rng(client, 0)),
            // a trace is refused with clients; never reached
            (_, None) => f64::NAN,
        };
        (down * self.upload_ratio, down)
    }
}

impl Links {
    /// Every worker's link for the run (`seeds` gives the stream of the gamma draws).
    pub fn new(spec: &NetworkSpec, workers: u32, seeds: &Seeds) -> Result<Links, TraceError> {
        let n = workers as usize;
        let download: Vec<f64> = match &spec.bandwidth {
            BandwidthSpec::Constant { mbps } => vec![*mbps; n],
            BandwidthSpec::Cycle { mbps } => (0..n).map(|w| mbps[w % mbps.len()]).collect(),
            BandwidthSpec::Gamma { mean_mbps, cv } => {
                let shape = 1.0 / (cv * cv);
                let gamma = Gamma::new(shape, mean_mbps / shape).map_err(|e| TraceError::Model(e.to_string()))?;
                (0..n)
                    .map(|w| gamma.sample(&mut seeds.stream(Purpose::Bandwidth, w as u64, 0)))
                    .collect()
            }
            BandwidthSpec::Trace { path } => {
                let (upload, download) = read_links(path, workers)?;
                return Ok(Links::of(spec, upload, download));
            }
        };
        let upload = download.iter().map(|v| v * spec.upload_ratio).collect();
        Ok(Links::of(spec, upload, download))
    }

    /// The links of `spec` with these bandwidths.
    fn of(spec: &NetworkSpec, upload_mbps: Vec<f64>, download_mbps: Vec<f64>) -> Links {
        Links {
            upload_mbps,
            download_mbps,
            server_mbps: spec.server_mbps,
            model_bytes: spec.model_bytes,
            compression: spec.compression,
            clients: None,
        }
    }

    /// A population's links: every client's drawn when needed (a trace of links, kept per
    /// worker, cannot be used).
    pub fn for_clients(spec: &NetworkSpec, seeds: &Seeds) -> Result<Links, TraceError> {
        let gamma = match &spec.bandwidth {
            BandwidthSpec::Gamma { mean_mbps, cv } => {
                let shape = 1.0 / (cv * cv);
                Some(Gamma::new(shape, mean_mbps / shape).map_err(|e| TraceError::Model(e.to_string()))?)
            }
            BandwidthSpec::Trace { .. } => {
                return Err(TraceError::Model("network: a trace of links is per worker, not per client".into()));
            }
            _ => None,
        };
        Ok(Links {
            clients: Some(ClientLinks {
                bandwidth: spec.bandwidth.clone(),
                upload_ratio: spec.upload_ratio,
                gamma,
                draws: ClientDraws::new(seeds, Purpose::Bandwidth),
            }),
            ..Links::of(spec, Vec::new(), Vec::new())
        })
    }

    /// The (upload, download) Mbit/s of worker `worker`, or of `client` in a population.
    pub fn holder(&self, worker: u32, client: Option<u64>) -> (f64, f64) {
        match (client, &self.clients) {
            (Some(c), Some(links)) => links.of(c),
            _ => (self.upload_mbps[worker as usize], self.download_mbps[worker as usize]),
        }
    }

    /// The rate of a download of `own` Mbit/s sent with `together - 1` others at the same
    /// instant: `own`, or an equal share of the server's link if that is smaller.
    pub fn shared(&self, own: f64, together: u32) -> f64 {
        match self.server_mbps {
            Some(s) => own.min(s / f64::from(together.max(1))),
            None => own,
        }
    }

    /// Bits in one transfer of a model of `params` parameters.
    pub fn bits(&self, params: usize) -> f64 {
        8.0 * self.model_bytes.unwrap_or(4.0 * params as f64) / self.compression
    }

    /// The rate of a download to `worker` sent with `together - 1` others at the same instant:
    /// its own bandwidth, or an equal share of the server's link if that is smaller.
    pub fn download_rate(&self, worker: u32, together: u32) -> f64 {
        self.shared(self.download_mbps[worker as usize], together)
    }
}

/// Seconds to move `bits` at `mbps` after `latency`.
pub fn transfer_seconds(latency: f64, bits: f64, mbps: f64) -> f64 {
    latency + bits / (mbps * 1e6)
}

/// Reads `worker,upload_mbps,download_mbps` rows: one per worker below `workers` (others ignored).
fn read_links(path: &Path, workers: u32) -> Result<(Vec<f64>, Vec<f64>), TraceError> {
    let csv = TraceCsv { key: "network", path };
    let err = |message: String| csv.error(message);
    let n = workers as usize;
    let (mut up, mut down) = (vec![f64::NAN; n], vec![f64::NAN; n]);
    for (line, rec) in csv.rows(&["worker", "upload_mbps", "download_mbps"])? {
        let field = |j: usize| rec.get(j).unwrap_or("");
        let worker: usize = field(0)
            .parse()
            .map_err(|_| err(format!("line {line}: worker `{}` is not a non-negative integer", field(0))))?;
        let rate = |j: usize| -> Result<f64, TraceError> {
            let v: f64 = field(j)
                .parse()
                .map_err(|_| err(format!("line {line}: `{}` is not a number", field(j))))?;
            if v.is_finite() && v > 0.0 {
                Ok(v)
            } else {
                Err(err(format!(
                    "line {line}: bandwidth {v} is not allowed: expected a finite number > 0"
                )))
            }
        };
        let (u, d) = (rate(1)?, rate(2)?);
        if worker >= n {
            continue;
        }
        if !up[worker].is_nan() {
            return Err(err(format!("line {line}: worker {worker} appears twice")));
        }
        (up[worker], down[worker]) = (u, d);
    }
    if let Some(w) = up.iter().position(|v| v.is_nan()) {
        return Err(err(format!("no row for worker {w} (every worker below {workers} needs one)")));
    }
    Ok((up, down))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_populations_links_are_each_clients_own_draws() {
        let spec = |bandwidth| NetworkSpec {
            bandwidth,
            upload_ratio: 0.5,
            server_mbps: Some(10.0),
            model_bytes: None,
            compression: 1.0,
        };
        let seeds = Seeds::new(4);
        let cycle = Links::for_clients(&spec(BandwidthSpec::Cycle { mbps: vec![100.0, 10.0] }), &seeds).unwrap();
        assert_eq!(cycle.holder(0, Some(7)), (5.0, 10.0));
        assert_eq!(cycle.holder(3, Some(4_000_000_000)), (50.0, 100.0));
        assert_eq!(cycle.shared(100.0, 4), 2.5);
        let gamma = spec(BandwidthSpec::Gamma { mean_mbps: 20.0, cv: 0.5 });
        let links = Links::for_clients(&gamma, &seeds).unwrap();
        let n = 20_000u64;
        let mean = (0..n).map(|c| links.holder(0, Some(c * 7_919)).1).sum::<f64>() / n as f64;
        assert!((mean - 20.0).abs() < 0.3, "{mean}");
        // pure: another Links of the same seed, asked in another order, gives the same link
        let again = Links::for_clients(&gamma, &seeds).unwrap();
        assert_eq!(again.holder(9, Some(123)), links.holder(0, Some(123)));
        assert_ne!(links.holder(0, Some(123)), links.holder(0, Some(124)));
        let trace = spec(BandwidthSpec::Trace { path: "links.csv".into() });
        assert!(Links::for_clients(&trace, &seeds).unwrap_err().to_string().contains("per worker"));
    }

    fn spec(bandwidth: BandwidthSpec) -> NetworkSpec {
        NetworkSpec {
            bandwidth,
            upload_ratio: 1.0,
            server_mbps: None,
            model_bytes: None,
            compression: 1.0,
        }
    }

    #[test]
    fn bandwidths_per_worker_follow_their_model() {
        let s = Seeds::new(3);
        let cycle = Links::new(&spec(BandwidthSpec::Cycle { mbps: vec![1000.0, 100.0] }), 3, &s).unwrap();
        assert_eq!(cycle.download_mbps, [1000.0, 100.0, 1000.0]);
        let mut halved = spec(BandwidthSpec::Constant { mbps: 80.0 });
        halved.upload_ratio = 0.5;
        assert_eq!(Links::new(&halved, 2, &s).unwrap().upload_mbps, [40.0, 40.0]);
        let g = spec(BandwidthSpec::Gamma { mean_mbps: 100.0, cv: 0.5 });
        let a = Links::new(&g, 400, &s).unwrap();
        assert_eq!(a, Links::new(&g, 400, &s).unwrap(), "same seed, same links");
        assert_ne!(a, Links::new(&g, 400, &Seeds::new(4)).unwrap());
        let mean = a.download_mbps.iter().sum::<f64>() / 400.0;
        assert!((mean - 100.0).abs() < 10.0, "mean {mean}");
        // worker n's draw does not depend on N
        assert_eq!(Links::new(&g, 5, &s).unwrap().download_mbps[..], a.download_mbps[..5]);
    }

    #[test]
    fn transfer_times_and_a_shared_server_link() {
        let mut s = spec(BandwidthSpec::Constant { mbps: 100.0 });
        s.server_mbps = Some(200.0);
        s.compression = 2.0;
        let links = Links::new(&s, 4, &Seeds::new(0)).unwrap();
        // 1e6 parameters -> 4e6 bytes -> 2e6 after compression -> 1.6e7 bits
        assert_eq!(links.bits(1_000_000), 1.6e7);
        assert_eq!(links.download_rate(0, 1), 100.0, "own link is the bottleneck");
        assert_eq!(links.download_rate(0, 4), 50.0, "four at once share 200 Mbit/s");
        assert_eq!(transfer_seconds(0.5, 1.6e7, 50.0), 0.5 + 0.32);
    }

    #[test]
    fn link_traces_are_checked() {
        let dir = std::env::temp_dir().join(format!("abs-links-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let write = |name: &str, text: &str| {
            let p = dir.join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let good = write("good.csv", "worker,upload_mbps,download_mbps\n1,10,20\n0,5,50\n7,1,1\n");
        let l = Links::new(&spec(BandwidthSpec::Trace { path: good }), 2, &Seeds::new(0)).unwrap();
        assert_eq!((l.upload_mbps, l.download_mbps), (vec![5.0, 10.0], vec![50.0, 20.0]));
        for (text, needle) in [
            ("w,u,d\n", "header"),
            ("worker,upload_mbps,download_mbps\n0,1,1\n", "no row for worker 1"),
            ("worker,upload_mbps,download_mbps\n0,1,1\n1,0,1\n", "bandwidth 0"),
            ("worker,upload_mbps,download_mbps\n0,1,1\n0,1,1\n1,1,1\n", "twice"),
        ] {
            let p = write("bad.csv", text);
            let e = Links::new(&spec(BandwidthSpec::Trace { path: p }), 2, &Seeds::new(0)).unwrap_err();
            assert!(e.to_string().contains(needle), "{text}: {e}");
        }
    }
}
