//! Statistics over seeds: bootstrap intervals drawn from a seeded stream, paired comparisons of two
//! series seed by seed (with seeds that never reached the target kept, censored), and verdicts on
//! claims (docs/statistics.md says what each number means).
//!
//! Seeds are the unit of replication: for one seed every policy sees the same initial model, shards,
//! job times and mini-batches (common random numbers, docs/semantics.md, "11. Seeding and
//! reproducibility"), so two series are compared seed by seed, which removes the variation the
//! seeds share.

mod bootstrap;
mod claims;
mod paired;

pub use bootstrap::{Estimate, LEVEL, RESAMPLES, Resamples, median_time, quantile};
pub use claims::{ClaimVerdict, claim_verdict};
pub use paired::{Comparison, MIN_SEEDS, Outcome, Pair, Verdict, compare};
