//! The project's own CPU kernels for the operations that cost a convolutional model its time:
//! convolution (forward, input and weight gradients) fused with ReLU and 2x2 max pooling. They
//! plug into Burn's flex backend as extension operations (see `ops`); Burn's own kernels stay the
//! reference and the path every other backend takes.
//!
//! docs/performance.md has the measurements; docs/semantics.md says what the choice changes.

mod conv;
mod lanes;
mod ops;
mod pool;

use serde::{Deserialize, Serialize};

pub use conv::ConvShape;
pub use lanes::Isa;
pub use ops::{NativeOps, conv_relu_pool, relu_pool};

/// Which kernels compute the convolution stages of `lenet` and `cnn` (`kernels` in a run config).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Kernels {
    /// This project's kernels on the flex backend (Burn's own on any other backend).
    #[default]
    Native,
    /// Burn's kernels everywhere: the reference.
    Burn,
}

impl Kernels {
    pub const ALL: [Kernels; 2] = [Kernels::Native, Kernels::Burn];

    /// The choice called `name` (as in a config's `kernels`).
    pub fn from_name(name: &str) -> Option<Kernels> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Kernels::Native => "native",
            Kernels::Burn => "burn",
        }
    }
}

/// The revision of the native kernels' numerics. Results computed with another revision may
/// differ in their last bits, so a cell's identity includes it: bump it whenever a change to
/// these kernels can change a single output bit.
pub const NATIVE_REVISION: u32 = 1;

#[cfg(test)]
mod tests;

#[cfg(test)]
mod name_tests {
    use super::Kernels;

    #[test]
    fn kernel_names_round_trip() {
        for k in Kernels::ALL {
            assert_eq!(Kernels::from_name(k.name()), Some(k));
        }
        assert_eq!(Kernels::from_name("fast"), None);
    }
}
