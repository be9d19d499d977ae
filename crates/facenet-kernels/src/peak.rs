//! The machine's arithmetic peak, measured: a register-only loop of independent fused multiply-adds
//! (f32) or of `vpdpbusd` (int8 VNNI: u8 × i8 products summed in fours into i32) on N threads, the
//! ceiling every network's achieved GFLOP/s is reported against (`facenet bench peak`).
//!
//! The loop keeps [`ACCUMULATORS`] independent accumulators so that the FMA latency (4 cycles, 2 pipes on
//! Zen 4/5 and Intel's server cores) is hidden — the latency × throughput rule of Intel's optimisation
//! manual, the loop of `likwid-bench peakflops_avx512_fma`. Nothing is read from memory inside the loop.
//! The instruction set is chosen at run time (`is_x86_feature_detected!`): AVX-512F, else AVX2 + FMA,
//! else a portable scalar loop; the int8 loop needs AVX-512 VNNI. One multiply-add counts 2 operations.

use std::time::Instant;

/// Independent accumulators in the peak loops.
pub const ACCUMULATORS: usize = 12;

/// Loop iterations between two clock reads.
const ITERATIONS_PER_ROUND: u64 = 1 << 20;

/// The instruction set a peak loop ran with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isa {
    /// 16-lane `vfmadd231ps` on zmm registers.
    Avx512,
    /// 8-lane `vfmadd231ps` on ymm registers.
    Avx2Fma,
    /// `f32::mul_add` on scalars (whatever the compiler makes of it).
    Scalar,
    /// 64-byte `vpdpbusd` on zmm registers (4 u8 × i8 products per i32 lane).
    Avx512Vnni,
}

impl Isa {
    /// A short name for reports (`avx512`, `avx2-fma`, `scalar`, `avx512-vnni`).
    pub fn name(self) -> &'static str {
        match self {
            Isa::Avx512 => "avx512",
            Isa::Avx2Fma => "avx2-fma",
            Isa::Scalar => "scalar",
            Isa::Avx512Vnni => "avx512-vnni",
        }
    }

    /// Multiply-adds of one loop iteration (one instruction on each accumulator).
    fn multiply_adds_per_iteration(self) -> u64 {
        let lanes = match self {
            Isa::Avx512 => 16,
            Isa::Avx2Fma => 8,
            Isa::Scalar => 1,
            Isa::Avx512Vnni => 64,
        };
        lanes * ACCUMULATORS as u64
    }
}

/// One peak measurement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Peak {
    pub isa: Isa,
    pub threads: usize,
    pub seconds: f64,
    /// Billions of operations per second, a multiply-add counting 2 (GFLOP/s for f32, GOP/s for int8).
    pub gops: f64,
}

/// The best f32 instruction set of this CPU.
pub fn f32_isa() -> Isa {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx512f") {
            return Isa::Avx512;
        }
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            return Isa::Avx2Fma;
        }
    }
    Isa::Scalar
}

/// True when this CPU has AVX-512 VNNI (`vpdpbusd` on zmm registers).
pub fn has_vnni() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("avx512vnni")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The f32 multiply-add peak on `threads` threads, each running the loop for about `seconds`.
pub fn f32_peak(threads: usize, seconds: f64) -> Peak {
    measure(f32_isa(), threads, seconds)
}

/// The int8 VNNI peak on `threads` threads, or `None` on a CPU without AVX-512 VNNI.
pub fn int8_peak(threads: usize, seconds: f64) -> Option<Peak> {
    has_vnni().then(|| measure(Isa::Avx512Vnni, threads, seconds))
}

/// Runs the loop of `isa` on `threads` threads at once and divides all their work by the wall time.
fn measure(isa: Isa, threads: usize, seconds: f64) -> Peak {
    let threads = threads.max(1);
    let rounds = rounds_for(isa, seconds);
    let start = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                for _ in 0..rounds {
                    std::hint::black_box(run_loop(isa, ITERATIONS_PER_ROUND));
                }
            });
        }
    });
    let elapsed = start.elapsed().as_secs_f64();
    let operations = 2 * isa.multiply_adds_per_iteration() * ITERATIONS_PER_ROUND * rounds * threads as u64;
    Peak {
        isa,
        threads,
        seconds: elapsed,
        gops: operations as f64 / elapsed / 1e9,
    }
}

/// Rounds that take about `seconds` on one thread (timed on one round, after one warm-up round).
fn rounds_for(isa: Isa, seconds: f64) -> u64 {
    std::hint::black_box(run_loop(isa, ITERATIONS_PER_ROUND));
    let start = Instant::now();
    std::hint::black_box(run_loop(isa, ITERATIONS_PER_ROUND));
    let one = start.elapsed().as_secs_f64().max(1e-6);
    ((seconds / one).ceil() as u64).max(1)
}

/// `iterations` of the loop of `isa`; returns a sum of the accumulators so nothing is optimised away.
fn run_loop(isa: Isa, iterations: u64) -> f64 {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: each loop runs only when the features it is compiled for were detected.
        match isa {
            Isa::Avx512 if f32_isa() == Isa::Avx512 => return unsafe { x86::fma_avx512(iterations) },
            Isa::Avx2Fma if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") => {
                return unsafe { x86::fma_avx2(iterations) };
            }
            Isa::Avx512Vnni if has_vnni() => return unsafe { x86::dpbusd_avx512(iterations) },
            _ => {}
        }
    }
    let _ = isa;
    fma_scalar(iterations)
}

/// The portable loop: 12 independent scalar multiply-adds.
fn fma_scalar(iterations: u64) -> f64 {
    let mut acc = [0.0f32; ACCUMULATORS];
    let (a, b) = std::hint::black_box((0.999_999f32, 1e-7f32));
    for _ in 0..iterations {
        for v in &mut acc {
            *v = v.mul_add(a, b);
        }
    }
    acc.iter().map(|&v| f64::from(v)).sum()
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::ACCUMULATORS;
    use std::arch::x86_64::*;

    /// 12 zmm accumulators, `acc = acc · a + b` each iteration.
    #[target_feature(enable = "avx512f")]
    pub(super) fn fma_avx512(iterations: u64) -> f64 {
        let a = _mm512_set1_ps(std::hint::black_box(0.999_999));
        let b = _mm512_set1_ps(std::hint::black_box(1e-7));
        let mut acc = [_mm512_setzero_ps(); ACCUMULATORS];
        for _ in 0..iterations {
            for v in &mut acc {
                *v = _mm512_fmadd_ps(*v, a, b);
            }
        }
        acc.iter().map(|&v| f64::from(_mm512_reduce_add_ps(v))).sum()
    }

    /// 12 ymm accumulators, `acc = acc · a + b` each iteration.
    #[target_feature(enable = "avx2,fma")]
    pub(super) fn fma_avx2(iterations: u64) -> f64 {
        let a = _mm256_set1_ps(std::hint::black_box(0.999_999));
        let b = _mm256_set1_ps(std::hint::black_box(1e-7));
        let mut acc = [_mm256_setzero_ps(); ACCUMULATORS];
        for _ in 0..iterations {
            for v in &mut acc {
                *v = _mm256_fmadd_ps(*v, a, b);
            }
        }
        let mut lanes = [0.0f32; 8];
        let mut sum = 0.0;
        for v in acc {
            // SAFETY: `lanes` holds 8 floats, the width of a ymm register.
            unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), v) };
            sum += lanes.iter().map(|&l| f64::from(l)).sum::<f64>();
        }
        sum
    }

    /// 12 zmm i32 accumulators, `acc += Σ₄ u8 · i8` each iteration.
    #[target_feature(enable = "avx512f,avx512vnni")]
    pub(super) fn dpbusd_avx512(iterations: u64) -> f64 {
        let a = _mm512_set1_epi8(std::hint::black_box(3));
        let b = _mm512_set1_epi8(std::hint::black_box(-2));
        let mut acc = [_mm512_setzero_si512(); ACCUMULATORS];
        for _ in 0..iterations {
            for v in &mut acc {
                *v = _mm512_dpbusd_epi32(*v, a, b);
            }
        }
        acc.iter().map(|&v| f64::from(_mm512_reduce_add_epi32(v))).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_loop_this_cpu_has_gives_a_finite_positive_rate() {
        let f32_peak = f32_peak(2, 0.02);
        assert!(f32_peak.gops.is_finite() && f32_peak.gops > 0.0, "{f32_peak:?}");
        assert_eq!(f32_peak.threads, 2);
        if let Some(int8) = int8_peak(1, 0.02) {
            assert_eq!(int8.isa, Isa::Avx512Vnni);
            assert!(int8.gops.is_finite() && int8.gops > 0.0, "{int8:?}");
        }
        let scalar = measure(Isa::Scalar, 1, 0.01);
        assert!(scalar.gops.is_finite() && scalar.gops > 0.0, "{scalar:?}");
    }

    #[test]
    fn the_loops_compute_what_they_claim() {
        // Each accumulator after n steps of acc·a + b from 0; the vector loops sum their lanes.
        let steps = 3;
        let one = (0..steps).fold(0.0f32, |acc, _| acc.mul_add(0.999_999, 1e-7));
        let expected = f64::from(one) * ACCUMULATORS as f64;
        assert!((fma_scalar(steps) - expected).abs() < 1e-9);
        #[cfg(target_arch = "x86_64")]
        {
            if f32_isa() == Isa::Avx512 {
                let got = run_loop(Isa::Avx512, steps);
                assert!((got - 16.0 * expected).abs() < 1e-8, "{got}");
            }
            if has_vnni() {
                // 3 steps of 4 products 3 · −2 per lane: −72 per lane, 16 lanes, 12 accumulators
                assert_eq!(run_loop(Isa::Avx512Vnni, steps), -72.0 * 16.0 * 12.0);
            }
        }
    }
}
