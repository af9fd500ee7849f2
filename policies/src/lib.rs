//! What the ABS parameter server decides, as plain Rust with no tensors.
//!
//! A policy is a composition of knobs (docs/semantics.md, "7. Policies"): how many arrivals the server waits
//! for each round ([`KSchedule`]), which stale workers it restarts ([`StalenessBound`]), how it
//! turns the arrivals into the next model ([`ServerRule`]: the staleness function, the
//! normalisation, what is applied, when arrivals get a new model, the server optimizer) and whether
//! it cancels every straggler ([`Policy::sync`]). [`PolicyName`] is the table of named policies (`abs`, `adasync`, ...);
//! [`aggregate`] is the kernel `w += server_lr * sum_n a_n * delta_n` over flat `f32` slices.

mod aggregate;
mod error;
mod k_schedule;
mod policy;
mod server;
mod stragglers;
mod threshold;

pub use aggregate::{aggregate, aggregate_naive};
pub use error::PolicyError;
pub use k_schedule::{AdaptiveK, KRounding, KSchedule};
pub use policy::{BoundKnob, KKnob, Policy, PolicyDefaults, PolicyKnobs, PolicyName, PolicyParams, PolicySpec, WeightKnob};
pub use server::{Apply, ApplyKnob, Dispatch, Normalisation, OptimizerName, SaForm, ServerOptimizer, ServerRule, ServerState, StalenessFn};
pub use stragglers::AtRoundEnd;
pub use threshold::{RestartWhen, StalenessBound, Threshold, ThresholdForm};
