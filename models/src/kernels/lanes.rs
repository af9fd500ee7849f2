//! Sixteen `f32` lanes as one logical vector, whatever the processor: one AVX-512 register, two
//! AVX2 registers, or sixteen scalars, chosen once per process from what the CPU offers.
//!
//! Every kernel is written once against [`Lanes`] and computes each lane with the same fused
//! multiply-adds in the same order on every path, so a result has the same bits on an AVX-512
//! server, an AVX2 laptop and under valgrind (which offers AVX2 only). Only the speed differs.

use std::sync::OnceLock;

/// A logical vector of [`WIDTH`] `f32` lanes.
///
/// # Safety
/// `load` and `store` touch `WIDTH` consecutive floats at the pointer; callers guarantee they are
/// in bounds. The methods of the SIMD types must only run where their instructions exist, which
/// [`dispatch!`] ensures.
pub(crate) trait Lanes: Copy {
    /// Whether the CPU has registers enough (32 of one logical vector each) for the large
    /// register blocks; only the speed depends on it.
    const ROOMY: bool;
    unsafe fn load(p: *const f32) -> Self;
    unsafe fn store(self, p: *mut f32);
    /// The first `n` (<= WIDTH) floats at `p`, zeros in the other lanes; nothing past them is read.
    unsafe fn load_first(p: *const f32, n: usize) -> Self;
    fn splat(v: f32) -> Self;
    /// `a * b + self`, rounded once per lane.
    fn fma(self, a: Self, b: Self) -> Self;
    /// The lanes, in order.
    fn to_array(self) -> [f32; WIDTH];
}

/// Lanes per logical vector.
pub(crate) const WIDTH: usize = 16;

/// The instruction set the kernels run with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isa {
    Avx512,
    Avx2,
    /// Plain Rust with `f32::mul_add` (a software fused multiply-add where the CPU has none).
    Scalar,
}

impl Isa {
    /// The best path this CPU offers, detected once.
    pub fn detected() -> Isa {
        static ISA: OnceLock<Isa> = OnceLock::new();
        *ISA.get_or_init(|| {
            #[cfg(target_arch = "x86_64")]
            {
                if std::arch::is_x86_feature_detected!("avx512f") {
                    return Isa::Avx512;
                }
                if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
                    return Isa::Avx2;
                }
            }
            Isa::Scalar
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Isa::Avx512 => "avx512",
            Isa::Avx2 => "avx2+fma",
            Isa::Scalar => "scalar",
        }
    }
}

/// Sixteen scalars: the portable path, and the reference the SIMD paths must match bit for bit.
#[derive(Clone, Copy)]
pub(crate) struct Scalar([f32; WIDTH]);

impl Lanes for Scalar {
    const ROOMY: bool = false;
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: the caller guarantees WIDTH readable floats at p.
        Scalar(unsafe { std::ptr::read_unaligned(p as *const [f32; WIDTH]) })
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: the caller guarantees WIDTH writable floats at p.
        unsafe { std::ptr::write_unaligned(p as *mut [f32; WIDTH], self.0) }
    }
    #[inline(always)]
    unsafe fn load_first(p: *const f32, n: usize) -> Self {
        let mut v = [0.0; WIDTH];
        // SAFETY: the caller guarantees n readable floats at p.
        v[..n].copy_from_slice(unsafe { std::slice::from_raw_parts(p, n) });
        Scalar(v)
    }
    #[inline(always)]
    fn splat(v: f32) -> Self {
        Scalar([v; WIDTH])
    }
    #[inline(always)]
    fn fma(self, a: Self, b: Self) -> Self {
        Scalar(std::array::from_fn(|i| a.0[i].mul_add(b.0[i], self.0[i])))
    }
    #[inline(always)]
    fn to_array(self) -> [f32; WIDTH] {
        self.0
    }
}

#[cfg(target_arch = "x86_64")]
pub(crate) use x86::{Avx2, Avx512};

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    use super::{Lanes, WIDTH};

    /// One 512-bit register.
    #[derive(Clone, Copy)]
    pub(crate) struct Avx512(__m512);

    impl Lanes for Avx512 {
        const ROOMY: bool = true;
        #[inline(always)]
        unsafe fn load(p: *const f32) -> Self {
            // SAFETY: in bounds by the caller's contract; AVX-512F present by dispatch.
            Avx512(unsafe { _mm512_loadu_ps(p) })
        }
        #[inline(always)]
        unsafe fn store(self, p: *mut f32) {
            // SAFETY: as for load.
            unsafe { _mm512_storeu_ps(p, self.0) }
        }
        #[inline(always)]
        unsafe fn load_first(p: *const f32, n: usize) -> Self {
            // SAFETY: masked-off lanes are not read; AVX-512F present by dispatch.
            Avx512(unsafe { _mm512_maskz_loadu_ps(((1u32 << n) - 1) as __mmask16, p) })
        }
        #[inline(always)]
        fn splat(v: f32) -> Self {
            // SAFETY: AVX-512F present by dispatch.
            Avx512(unsafe { _mm512_set1_ps(v) })
        }
        #[inline(always)]
        fn fma(self, a: Self, b: Self) -> Self {
            // SAFETY: AVX-512F present by dispatch.
            Avx512(unsafe { _mm512_fmadd_ps(a.0, b.0, self.0) })
        }
        #[inline(always)]
        fn to_array(self) -> [f32; WIDTH] {
            let mut out = [0.0; WIDTH];
            // SAFETY: out holds WIDTH floats.
            unsafe { _mm512_storeu_ps(out.as_mut_ptr(), self.0) };
            out
        }
    }

    /// Two 256-bit registers.
    #[derive(Clone, Copy)]
    pub(crate) struct Avx2(__m256, __m256);

    impl Lanes for Avx2 {
        const ROOMY: bool = false;
        #[inline(always)]
        unsafe fn load(p: *const f32) -> Self {
            // SAFETY: in bounds by the caller's contract; AVX2 and FMA present by dispatch.
            unsafe { Avx2(_mm256_loadu_ps(p), _mm256_loadu_ps(p.add(8))) }
        }
        #[inline(always)]
        unsafe fn store(self, p: *mut f32) {
            // SAFETY: as for load.
            unsafe {
                _mm256_storeu_ps(p, self.0);
                _mm256_storeu_ps(p.add(8), self.1);
            }
        }
        #[inline(always)]
        unsafe fn load_first(p: *const f32, n: usize) -> Self {
            // lane i is loaded where MASKS[16 - n + i] is all ones, that is where i < n
            static MASKS: [i32; 2 * WIDTH] = {
                let mut m = [0; 2 * WIDTH];
                let mut i = 0;
                while i < WIDTH {
                    m[i] = -1;
                    i += 1;
                }
                m
            };
            let mask = MASKS[WIDTH - n..].as_ptr();
            // SAFETY: masked-off lanes are not read (nor can they fault); the mask reads stay in
            // MASKS (16 - n + 15 < 32 for n >= 1, and n = 0 reads 16..32); AVX2 present by dispatch.
            unsafe {
                let (lo, hi) = (
                    _mm256_loadu_si256(mask as *const __m256i),
                    _mm256_loadu_si256(mask.add(8) as *const __m256i),
                );
                Avx2(_mm256_maskload_ps(p, lo), _mm256_maskload_ps(p.add(8), hi))
            }
        }
        #[inline(always)]
        fn splat(v: f32) -> Self {
            // SAFETY: AVX present by dispatch.
            unsafe { Avx2(_mm256_set1_ps(v), _mm256_set1_ps(v)) }
        }
        #[inline(always)]
        fn fma(self, a: Self, b: Self) -> Self {
            // SAFETY: FMA present by dispatch.
            unsafe { Avx2(_mm256_fmadd_ps(a.0, b.0, self.0), _mm256_fmadd_ps(a.1, b.1, self.1)) }
        }
        #[inline(always)]
        fn to_array(self) -> [f32; WIDTH] {
            let mut out = [0.0; WIDTH];
            // SAFETY: out holds WIDTH floats.
            unsafe {
                _mm256_storeu_ps(out.as_mut_ptr(), self.0);
                _mm256_storeu_ps(out.as_mut_ptr().add(8), self.1);
            }
            out
        }
    }
}

/// Sums sixteen lanes in a fixed tree (pairs of halves), the same on every path.
#[inline(always)]
pub(crate) fn sum_lanes(v: [f32; WIDTH]) -> f32 {
    let mut s = v;
    let mut n = WIDTH;
    while n > 1 {
        n /= 2;
        for i in 0..n {
            s[i] += s[i + n];
        }
    }
    s[0]
}

/// Defines `fn $name(isa: Isa, args..) -> R` that runs the generic kernel `$kernel::<L>(args..)`
/// with the lanes type of `isa`, inside a function compiled for that instruction set, so that the
/// `#[inline(always)]` lane methods become single instructions. `isa` must be [`Isa::detected`] or
/// a lesser path (tests force the scalar one).
macro_rules! dispatched {
    ($(#[$meta:meta])* $vis:vis fn $name:ident = $kernel:ident ( $($arg:ident : $ty:ty),* $(,)? ) $(-> $ret:ty)?) => {
        $(#[$meta])*
        $vis fn $name(isa: $crate::kernels::lanes::Isa, $($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx512f")]
            unsafe fn avx512($($arg: $ty),*) $(-> $ret)? {
                $kernel::<$crate::kernels::lanes::Avx512>($($arg),*)
            }
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2,fma")]
            unsafe fn avx2($($arg: $ty),*) $(-> $ret)? {
                $kernel::<$crate::kernels::lanes::Avx2>($($arg),*)
            }
            match isa {
                // SAFETY: Isa::Avx512 is only ever detected where the CPU has AVX-512F.
                #[cfg(target_arch = "x86_64")]
                $crate::kernels::lanes::Isa::Avx512 => unsafe { avx512($($arg),*) },
                // SAFETY: Isa::Avx2 is only ever detected where the CPU has AVX2 and FMA.
                #[cfg(target_arch = "x86_64")]
                $crate::kernels::lanes::Isa::Avx2 => unsafe { avx2($($arg),*) },
                _ => $kernel::<$crate::kernels::lanes::Scalar>($($arg),*),
            }
        }
    };
}
pub(crate) use dispatched;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[inline(always)]
    fn fma_all<L: Lanes>(a: &[f32; WIDTH], b: &[f32; WIDTH], c: &[f32; WIDTH]) -> [f32; WIDTH] {
        // SAFETY: each array holds WIDTH floats.
        unsafe { L::load(c.as_ptr()).fma(L::load(a.as_ptr()), L::load(b.as_ptr())).to_array() }
    }

    dispatched!(fn fma_on = fma_all(a: &[f32; WIDTH], b: &[f32; WIDTH], c: &[f32; WIDTH]) -> [f32; WIDTH]);

    /// The paths this CPU can run, scalar first.
    pub(crate) fn runnable_isas() -> Vec<Isa> {
        match Isa::detected() {
            Isa::Avx512 => vec![Isa::Scalar, Isa::Avx2, Isa::Avx512],
            Isa::Avx2 => vec![Isa::Scalar, Isa::Avx2],
            Isa::Scalar => vec![Isa::Scalar],
        }
    }

    /// Every path rounds the fused multiply-add once, as `f32::mul_add` does.
    #[test]
    fn every_path_matches_the_scalar_fma_bit_for_bit() {
        let a: [f32; WIDTH] = std::array::from_fn(|i| 1.0 + i as f32 * 1e-7);
        let b: [f32; WIDTH] = std::array::from_fn(|i| 1.0 - i as f32 * 3e-8);
        let c: [f32; WIDTH] = std::array::from_fn(|i| -1.0 + i as f32 * 1e-9);
        let want: [f32; WIDTH] = std::array::from_fn(|i| a[i].mul_add(b[i], c[i]));
        // a*b+c with two roundings differs here, so the checks below can fail.
        assert_ne!(std::array::from_fn::<f32, WIDTH, _>(|i| a[i] * b[i] + c[i]), want);
        for isa in runnable_isas() {
            assert_eq!(fma_on(isa, &a, &b, &c), want, "{isa:?}");
        }
    }

    #[inline(always)]
    fn first_lanes<L: Lanes>(v: &[f32; WIDTH], n: usize) -> [f32; WIDTH] {
        // SAFETY: v holds WIDTH >= n floats.
        unsafe { L::load_first(v.as_ptr(), n).to_array() }
    }

    dispatched!(fn first_lanes_on = first_lanes(v: &[f32; WIDTH], n: usize) -> [f32; WIDTH]);

    #[test]
    fn a_partial_load_zeroes_the_other_lanes() {
        let v: [f32; WIDTH] = std::array::from_fn(|i| i as f32 + 1.0);
        for isa in runnable_isas() {
            for n in 0..WIDTH {
                let want: [f32; WIDTH] = std::array::from_fn(|i| if i < n { v[i] } else { 0.0 });
                assert_eq!(first_lanes_on(isa, &v, n), want, "{isa:?}, n = {n}");
            }
        }
    }

    #[test]
    fn lane_sum_is_a_fixed_tree() {
        let v: [f32; WIDTH] = std::array::from_fn(|i| i as f32);
        assert_eq!(sum_lanes(v), 120.0);
        let mut w = [0.0f32; WIDTH];
        w[0] = 1e8;
        w[8] = -1e8;
        w[1] = 1.0;
        // pairs (0, 8) cancel first, so the 1.0 survives
        assert_eq!(sum_lanes(w), 1.0);
    }
}
