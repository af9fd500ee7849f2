//! A population of M clients of which C train at once (docs/semantics.md, "18. A population of clients"), as pure
//! functions of (seed, client): nothing is stored for a client that is never touched, so memory
//! does not grow with M.
//!
//! - [`ClientDraws`]: a counter-based stream per (purpose, client, index), cheap enough to draw at
//!   every job start (a hash, no stored state);
//! - [`Clients`]: each client's attributes (speed factor, time-zone phase, sample count), drawn
//!   where needed and never stored (the same whenever drawn);
//! - [`Diurnal`]: daily on-windows from a client's phase, presence as a function of (client, time);
//! - [`ClientData`]: a client's training indices drawn from the shared set (its size, a Dirichlet
//!   label mix), so M may exceed the number of images;
//! - [`Selector`]: which idle, present client takes a free slot (`uniform` by rejection sampling
//!   with a bounded number of tries, or `round_robin`), from its own seeded stream;
//! - [`ClientTimes`]: a client's job times, the compute law scaled by its speed factor;
//! - [`Crowd`]: the slots' clients during a run, which the engine drives;
//! - [`Shards`]: a job's training indices, its worker's shard or its client's data.

mod clients;
mod crowd;
mod data;
mod diurnal;
mod draws;
mod presence;
mod selection;
mod shards;
mod times;

pub use clients::{ClientLaw, ClientSamples, Clients, SampleLaw};
pub use crowd::{Crowd, Population};
pub use data::{ClientData, LabelMix};
pub use diurnal::Diurnal;
pub use draws::ClientDraws;
pub use presence::{Presence, Schedule};
pub use selection::{Selection, SelectionRule, Selector};
pub use shards::{Holders, Shards};
pub use times::ClientTimes;
