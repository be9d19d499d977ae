//! dlib's HOG frontal face detector (`dlib.get_frontal_face_detector()`), one file per stage: the
//! [`decoder`] of the detector dlib keeps compressed in its source, [`fhog`] features, the [`pyramid`]
//! (`pyramid_down<6>`) and the sliding-window [`detector`] with dlib's non-max suppression.
//!
//! The inner loops of the three hot stages (resampling, gradients, filtering) are plain slice loops that
//! the compiler vectorises; [`multiversion!`] compiles each for AVX-512 and AVX2 beside the baseline and
//! picks one at run time by CPU feature. Rust never fuses a multiply and an add, so every version rounds
//! exactly as the baseline does: the features and scores do not depend on the CPU.

/// Defines `$vis fn $name` that calls `$generic` (which must be `#[inline(always)]`) compiled for the
/// best instruction set this CPU has.
macro_rules! multiversion {
    ($(#[$doc:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),*) = $generic:ident;) => {
        $(#[$doc])*
        $vis fn $name($($arg: $ty),*) {
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

pub mod decoder;
pub mod detector;
pub mod fhog;
pub mod pyramid;

pub use detector::{DlibRect, HogDetection, HogDetector, OverlapTest};
