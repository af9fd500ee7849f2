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
pub mod roof;

/// The convolution kernels one by one, for benchmarks and tests of their shapes; models reach them
/// through [`conv_relu_pool`].
pub use conv::{ConvShape, ForwardPlan, GRAD_KERNEL, bias_grad_on, forward_image, input_grad_image, weight_grad_on};
pub use lanes::Isa;
pub use ops::{NativeOps, conv_relu_pool, relu_pool};
/// The fused ReLU and 2x2 pooling of one plane, for benchmarks.
pub use pool::{pooled, relu_pool_plane_backward_on, relu_pool_plane_on};

/// The revision of these kernels' numerics, which a cell's identity includes: bump
/// [`abs_sim::catalog::NATIVE_KERNELS_REVISION`] whenever a change here can change a single output bit.
pub use abs_sim::catalog::NATIVE_KERNELS_REVISION as NATIVE_REVISION;

#[cfg(test)]
mod tests;
