//! The roof every kernel is measured against: this core's own fp32 fused multiply-add throughput
//! with the instruction set the kernels run on, measured rather than taken from a data sheet (a
//! virtual machine's clock, turbo and the number of FMA units per core are rarely known).
//!
//! docs/performance.md explains how kernel throughputs are counted against it.

use std::time::Instant;

use super::lanes::{Isa, Lanes, WIDTH, dispatched};

/// A measured fp32 FMA peak.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Roof {
    /// The instruction set measured (the one the kernels run with).
    pub isa: Isa,
    /// Threads that ran the chains at once, one per core as the scheduler placed them.
    pub threads: usize,
    /// Floating-point operations per second in GFLOP/s, a fused multiply-add counting two, summed
    /// over the threads.
    pub gflops: f64,
}

/// Independent accumulators per thread where 32 registers hold a logical vector each: enough to
/// cover the FMA latency on every unit (4 cycles x 2 units needs 8 chains of one register), few
/// enough to stay in registers.
const ROOMY_CHAINS: usize = 16;

/// The same where a logical vector takes two of 16 registers (AVX2): 12 registers of chains.
const NARROW_CHAINS: usize = 6;

/// `iters` rounds of one fused multiply-add on each of `C` independent chains of `L` lanes: (the
/// FLOPs done, the sum of the chains, so that nothing is optimised away).
#[inline(always)]
fn fma_rounds<L: Lanes, const C: usize>(iters: u64) -> (f64, f32) {
    let (a, b) = (L::splat(0.999_999), L::splat(1e-7));
    let mut acc: [L; C] = std::array::from_fn(|i| L::splat(i as f32));
    // the chains pass through an opaque barrier every ROUNDS rounds, so the optimiser must run
    // each multiply-add, at a cost of one store and load per chain that the rounds amortise
    const ROUNDS: u64 = 256;
    for done in (0..iters).step_by(ROUNDS as usize) {
        for _ in 0..ROUNDS.min(iters - done) {
            for x in acc.iter_mut() {
                *x = x.fma(a, b);
            }
        }
        acc = std::hint::black_box(acc);
    }
    let sum = acc.iter().map(|x| x.to_array().iter().sum::<f32>()).sum();
    ((iters * (C * WIDTH * 2) as u64) as f64, sum)
}

/// The chains of `L`'s width: (FLOPs done, checksum).
#[inline(always)]
fn run_chains<L: Lanes>(iters: u64) -> (f64, f32) {
    if L::ROOMY {
        fma_rounds::<L, ROOMY_CHAINS>(iters)
    } else {
        fma_rounds::<L, NARROW_CHAINS>(iters)
    }
}

dispatched!(fn run_chains_on = run_chains(iters: u64) -> (f64, f32));

/// FLOP/s of one thread running the chains for about `seconds`: the best of five tries.
fn one_thread(isa: Isa, seconds: f64) -> f64 {
    // calibrate the rounds to about a fifth of the time
    let mut iters = 1u64 << 16;
    loop {
        let t = Instant::now();
        std::hint::black_box(run_chains_on(isa, iters));
        let dt = t.elapsed().as_secs_f64();
        if dt >= seconds / 20.0 || iters >= 1 << 40 {
            iters = ((iters as f64) * (seconds / 5.0) / dt.max(1e-9)).max(1.0) as u64;
            break;
        }
        iters *= 4;
    }
    (0..5)
        .map(|_| {
            let t = Instant::now();
            let (flops, sum) = run_chains_on(isa, iters);
            std::hint::black_box(sum);
            flops / t.elapsed().as_secs_f64()
        })
        .fold(0.0, f64::max)
}

/// Measures the fp32 FMA peak of `threads` threads running at once with the detected instruction
/// set, for about `seconds` each.
pub fn measure(threads: usize, seconds: f64) -> Roof {
    let isa = Isa::detected();
    let threads = threads.max(1);
    let flops: f64 = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads).map(|_| s.spawn(move || one_thread(isa, seconds))).collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0.0)).sum()
    });
    Roof {
        isa,
        threads,
        gflops: flops / 1e9,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::lanes::tests::runnable_isas;

    /// Every path computes exactly the chains a plain loop does, so the roof times the fused
    /// multiply-adds it counts and not what the optimiser left of them.
    #[test]
    fn every_path_runs_the_chains_it_counts() {
        let iters = 1000;
        for isa in runnable_isas() {
            let c = chains_of(isa);
            let want: f32 = (0..c)
                .map(|i| {
                    let mut x = i as f32;
                    for _ in 0..iters {
                        x = 0.999_999f32.mul_add(1e-7, x);
                    }
                    (0..WIDTH).map(|_| x).sum::<f32>()
                })
                .sum();
            let (flops, sum) = run_chains_on(isa, iters);
            assert_eq!(sum, want, "{isa:?}");
            assert_eq!(flops, (iters as usize * c * WIDTH * 2) as f64, "{isa:?}");
        }
    }

    fn chains_of(isa: Isa) -> usize {
        if isa == Isa::Avx512 { ROOMY_CHAINS } else { NARROW_CHAINS }
    }

    #[test]
    fn a_measured_roof_is_positive_and_counts_its_threads() {
        let r = measure(1, 0.01);
        assert!(r.gflops > 0.0 && r.threads == 1 && r.isa == Isa::detected(), "{r:?}");
    }
}
