//! The inner loops of exact search: one query against a block of rows, in f32 and in int8.
//!
//! The loops keep several independent accumulators (16 f32 lanes, 64 i32 lanes) so the compiler
//! vectorises them; each is compiled three times (AVX-512, AVX2+FMA, baseline) and picked at run time by
//! CPU feature, as tract's `linalg` picks its kernels. They are tested against the naive
//! `facenet_core::distance::dot` and `facenet_core::quantize::dot_i8` (property tests below).

const F32_LANES: usize = 16;
const I8_LANES: usize = 64;

/// Defines `pub fn $name` that calls `$generic` compiled for the best instruction set this CPU has.
macro_rules! multiversion {
    ($(#[$doc:meta])* pub fn $name:ident($($arg:ident: $ty:ty),*) = $generic:ident;) => {
        $(#[$doc])*
        pub fn $name($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx2,fma")]
                fn avx512($($arg: $ty),*) {
                    $generic($($arg),*)
                }
                #[target_feature(enable = "avx2,fma")]
                fn avx2($($arg: $ty),*) {
                    $generic($($arg),*)
                }
                if std::arch::is_x86_feature_detected!("avx512bw") && std::arch::is_x86_feature_detected!("avx512vl") {
                    // SAFETY: the CPU has every feature `avx512` is compiled for.
                    return unsafe { avx512($($arg),*) };
                }
                if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
                    // SAFETY: the CPU has every feature `avx2` is compiled for.
                    return unsafe { avx2($($arg),*) };
                }
            }
            $generic($($arg),*)
        }
    };
}

multiversion! {
    /// `out[r] = query · rows[r]` for each row of `rows` (row-major, `query.len()` values per row).
    pub fn dot_rows_f32(query: &[f32], rows: &[f32], out: &mut [f32]) = dot_rows_f32_generic;
}

multiversion! {
    /// `out[r] = Σᵢ query[i]·rows[r][i]` over int8 codes, exactly in i32.
    pub fn dot_rows_i8(query: &[i8], rows: &[i8], out: &mut [i32]) = dot_rows_i8_generic;
}

#[inline(always)]
fn dot_rows_f32_generic(query: &[f32], rows: &[f32], out: &mut [f32]) {
    for (row, o) in rows.chunks_exact(query.len()).zip(out.iter_mut()) {
        *o = dot_f32(query, row);
    }
}

#[inline(always)]
fn dot_rows_i8_generic(query: &[i8], rows: &[i8], out: &mut [i32]) {
    for (row, o) in rows.chunks_exact(query.len()).zip(out.iter_mut()) {
        *o = dot_i8(query, row);
    }
}

#[inline(always)]
fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    let (a_chunks, a_tail) = a.as_chunks::<F32_LANES>();
    let (b_chunks, b_tail) = b.as_chunks::<F32_LANES>();
    let mut acc = [0.0f32; F32_LANES];
    for (x, y) in a_chunks.iter().zip(b_chunks) {
        for i in 0..F32_LANES {
            acc[i] += x[i] * y[i];
        }
    }
    let tail: f32 = a_tail.iter().zip(b_tail).map(|(x, y)| x * y).sum();
    acc.iter().sum::<f32>() + tail
}

#[inline(always)]
fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
    let (a_chunks, a_tail) = a.as_chunks::<I8_LANES>();
    let (b_chunks, b_tail) = b.as_chunks::<I8_LANES>();
    let mut acc = [0i32; I8_LANES];
    for (x, y) in a_chunks.iter().zip(b_chunks) {
        for i in 0..I8_LANES {
            acc[i] += x[i] as i32 * y[i] as i32;
        }
    }
    let tail: i32 = a_tail.iter().zip(b_tail).map(|(&x, &y)| x as i32 * y as i32).sum();
    acc.iter().sum::<i32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;
    use facenet_core::{distance, quantize};
    use proptest::prelude::*;

    fn rows_and_query<T: Arbitrary + Clone>(value: impl Strategy<Value = T> + Clone) -> impl Strategy<Value = (Vec<T>, Vec<T>)> {
        (1usize..200, 0usize..9).prop_flat_map(move |(dim, n)| (prop::collection::vec(value.clone(), dim), prop::collection::vec(value.clone(), dim * n)))
    }

    proptest! {
        #[test]
        fn f32_kernel_matches_the_naive_dot((query, rows) in rows_and_query(-1.0f32..1.0)) {
            let mut out = vec![0.0; rows.len() / query.len()];
            dot_rows_f32(&query, &rows, &mut out);
            for (row, got) in rows.chunks_exact(query.len()).zip(&out) {
                let want = distance::dot(&query, row);
                prop_assert!((got - want).abs() <= 1e-4 * (1.0 + want.abs()), "{got} vs {want}");
            }
        }

        #[test]
        fn i8_kernel_matches_the_naive_dot_exactly((query, rows) in rows_and_query(-127i8..=127)) {
            let mut out = vec![0; rows.len() / query.len()];
            dot_rows_i8(&query, &rows, &mut out);
            for (row, got) in rows.chunks_exact(query.len()).zip(&out) {
                prop_assert_eq!(*got, quantize::dot_i8(&query, row));
            }
        }
    }

    #[test]
    fn extreme_codes_do_not_overflow() {
        let query = vec![-127i8; 1000];
        let mut out = [0];
        dot_rows_i8(&query, &query, &mut out);
        assert_eq!(out[0], 127 * 127 * 1000);
    }
}
