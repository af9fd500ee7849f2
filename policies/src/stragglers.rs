//! What the server does with a job still running when a round ends (docs/semantics.md, "3. A
//! round" and "4. Staleness and the threshold"): one rule, asked by the engine when it ends a
//! round and by `verify` when it checks a job log.

use crate::policy::Policy;
use crate::threshold::{RestartWhen, Threshold};

/// The fate a round's end gives a job that has not arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AtRoundEnd {
    /// It goes on: its update arrives later, staler.
    Continues,
    /// It is over the staleness threshold: it downloads the new model and starts again.
    Restarts,
    /// The policy is synchronous: every straggler is cancelled and starts again from the new model.
    Cancelled,
}

impl Policy {
    /// What the end of a round with threshold `tau` does to a job whose staleness would then be
    /// `staleness` (the new version minus its base version).
    pub fn at_round_end(&self, staleness: u64, tau: Threshold, when: RestartWhen) -> AtRoundEnd {
        if self.sync {
            AtRoundEnd::Cancelled
        } else if tau.must_restart(staleness, when) {
            AtRoundEnd::Restarts
        } else {
            AtRoundEnd::Continues
        }
    }

    /// Whether the end of a round with threshold `tau` can stop any job at all (when not, the
    /// engine need not look at the stragglers).
    pub fn may_stop_stragglers(&self, tau: Threshold) -> bool {
        self.sync || tau != Threshold::Unbounded
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{PolicyName, PolicyParams};

    fn policy(name: PolicyName) -> Policy {
        let p = PolicyParams {
            k: Some(2),
            staleness_bound: Some(2.0),
            ..PolicyParams::default()
        };
        Policy::resolve(name.knobs(), &p).unwrap()
    }

    #[test]
    fn sync_policies_cancel_bounded_ones_restart_over_the_threshold_others_let_run() {
        let tau = Threshold::Rounds(2);
        let local = policy(PolicyName::LocalSgd);
        assert_eq!(
            local.at_round_end(1, Threshold::Unbounded, RestartWhen::Greater),
            AtRoundEnd::Cancelled
        );
        assert!(local.may_stop_stragglers(Threshold::Unbounded));
        let bounded = policy(PolicyName::Bounded);
        assert_eq!(bounded.at_round_end(2, tau, RestartWhen::Greater), AtRoundEnd::Continues);
        assert_eq!(bounded.at_round_end(3, tau, RestartWhen::Greater), AtRoundEnd::Restarts);
        assert_eq!(bounded.at_round_end(2, tau, RestartWhen::GreaterOrEqual), AtRoundEnd::Restarts);
        let k_async = policy(PolicyName::KAsync);
        assert_eq!(
            k_async.at_round_end(1000, Threshold::Unbounded, RestartWhen::Greater),
            AtRoundEnd::Continues
        );
        assert!(!k_async.may_stop_stragglers(Threshold::Unbounded));
    }
}
