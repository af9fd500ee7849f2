//! The job log: one row per job a run started, with its times and what became of it
//! (docs/semantics.md, "15. The job log").

use serde::{Deserialize, Serialize};

/// Why a job started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// Job 0 of a worker present at time 0.
    Initial,
    /// The worker's previous job was delivered; it starts again at the end of that round.
    Next,
    /// The worker's previous job was cancelled (sync rule or staleness bound) at the end of a round.
    Restart,
    /// The worker came back after an absence and received the current model.
    Rejoin,
    /// The worker's previous job arrived and the policy dispatches on arrival: it received the
    /// current model at that moment, while its update waited for the round to close.
    Arrival,
    /// A population's slot: its previous job was lost when its client left, and another client
    /// took the slot at that moment.
    Lost,
    /// A population's slot had found no idle, present client; it looked again and found this one.
    Waited,
}

/// What became of a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fate {
    /// Aggregated in round `round`.
    Delivered,
    /// Cancelled at the end of round `round` because it was over the staleness threshold.
    Restarted,
    /// Cancelled at the end of round `round` by a sync policy.
    Cancelled,
    /// Lost when its worker (a population's client) left, during the wait for round `round`.
    Unavailable,
    /// In flight (or uploaded but not yet aggregated) when the run stopped.
    Running,
    /// Arrived staler than `max_staleness` during the wait for round `round`: uploaded (and
    /// counted), never aggregated.
    Dropped,
}

impl Cause {
    pub fn name(self) -> &'static str {
        match self {
            Cause::Initial => "initial",
            Cause::Next => "next",
            Cause::Restart => "restart",
            Cause::Rejoin => "rejoin",
            Cause::Arrival => "arrival",
            Cause::Lost => "lost",
            Cause::Waited => "waited",
        }
    }

    pub fn parse(s: &str) -> Option<Cause> {
        [
            Cause::Initial,
            Cause::Next,
            Cause::Restart,
            Cause::Rejoin,
            Cause::Arrival,
            Cause::Lost,
            Cause::Waited,
        ]
        .into_iter()
        .find(|c| c.name() == s)
    }
}

impl Fate {
    pub fn name(self) -> &'static str {
        match self {
            Fate::Delivered => "delivered",
            Fate::Restarted => "restarted",
            Fate::Cancelled => "cancelled",
            Fate::Unavailable => "unavailable",
            Fate::Running => "running",
            Fate::Dropped => "dropped",
        }
    }

    pub fn parse(s: &str) -> Option<Fate> {
        [
            Fate::Delivered,
            Fate::Restarted,
            Fate::Cancelled,
            Fate::Unavailable,
            Fate::Running,
            Fate::Dropped,
        ]
        .into_iter()
        .find(|f| f.name() == s)
    }

    /// Whether the job was cancelled at the end of a round (it counts as a restart).
    pub fn is_restart(self) -> bool {
        matches!(self, Fate::Restarted | Fate::Cancelled)
    }

    /// The fate a round's end gives a job that has not arrived, when it stops it (the policy's
    /// answer, [`abs_policies::Policy::at_round_end`]); `None`: the job goes on.
    pub fn at_round_end(what: abs_policies::AtRoundEnd) -> Option<Fate> {
        match what {
            abs_policies::AtRoundEnd::Continues => None,
            abs_policies::AtRoundEnd::Restarts => Some(Fate::Restarted),
            abs_policies::AtRoundEnd::Cancelled => Some(Fate::Cancelled),
        }
    }
}

impl JobRecord {
    /// When the job's worker (a population's client and slot) was free of it: at its arrival
    /// (even if aggregated later, or never), or when it was lost or stopped.
    pub fn released(&self) -> f64 {
        if matches!(self.fate, Fate::Unavailable | Fate::Restarted | Fate::Cancelled) {
            self.end
        } else {
            self.finish
        }
    }

    /// Records what became of the job, when, and in which round (with its staleness where it has one).
    pub(super) fn settle(&mut self, fate: Fate, end: f64, round: u64, staleness: Option<u64>) {
        (self.fate, self.end, self.round, self.staleness) = (fate, end, Some(round), staleness);
    }
}

/// One job: who ran it, from which model, when, and what became of it.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRecord {
    /// The worker, or a population's slot.
    pub worker: u32,
    /// The worker's (slot's) job index (from 0, cancelled and lost jobs included).
    pub job: u64,
    /// The client that ran it, in a population (docs/semantics.md, "18. A population of clients").
    pub client: Option<u64>,
    /// v: the version of the global model it trains from.
    pub base_version: u64,
    pub cause: Cause,
    /// Virtual seconds when the model's download began.
    pub start: f64,
    /// Seconds to receive the model (latency + transfer).
    pub download_s: f64,
    /// Seconds of local training, as drawn from the compute-time model.
    pub compute_s: f64,
    /// Seconds to send the update (latency + transfer).
    pub upload_s: f64,
    /// When its update reaches the server if nothing stops it: start + download + compute + upload.
    pub finish: f64,
    pub fate: Fate,
    /// When the fate happened: the round's time (delivered, restarted, cancelled), the worker's
    /// departure (unavailable), or the time the run stopped (running).
    pub end: f64,
    /// The round of the fate (none for running jobs).
    pub round: Option<u64>,
    /// Delivered: t - v at delivery; restarted or cancelled: (t + 1) - v, the staleness the
    /// threshold tested.
    pub staleness: Option<u64>,
    /// The worker's own link, in Mbit/s, where a network is modelled.
    pub upload_mbps: Option<f64>,
    pub download_mbps: Option<f64>,
    /// Downloads sent by the server at the same instant as this one (they share its link).
    pub downloads_together: u32,
}
