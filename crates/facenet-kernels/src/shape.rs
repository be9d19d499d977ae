//! Window arithmetic shared by the convolution and pooling kernels and by the networks' layer specs:
//! output sizes of "same"-padded windows and which outputs a window tap reaches (FaceNet, Table 1–2 use
//! "same" padding throughout).

use std::ops::Range;

/// Output side of a "same"-padded conv or pool: `(n + 2⌊k/2⌋ − k) / s + 1` (= `⌈n / s⌉` for odd `k`).
pub fn same_output(n: usize, kernel: usize, stride: usize) -> usize {
    (n + 2 * (kernel / 2) - kernel) / stride + 1
}

/// The outputs `o` (of `outputs`) whose window tap at offset `tap` reads inside `0..size`:
/// `0 ≤ o·stride + tap − pad < size`.
pub fn tap_outputs(tap: usize, pad: usize, stride: usize, size: usize, outputs: usize) -> Range<usize> {
    let first = pad.saturating_sub(tap).div_ceil(stride);
    let last = (size + pad).saturating_sub(tap).div_ceil(stride).min(outputs);
    first.min(last)..last
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_output_reproduces_the_tables() {
        let chain = |mut n: usize| {
            let mut sides = vec![];
            for _ in 0..5 {
                n = same_output(n, 3, 2);
                sides.push(n);
            }
            sides
        };
        assert_eq!(chain(220), vec![110, 55, 28, 14, 7]);
        assert_eq!(chain(224), vec![112, 56, 28, 14, 7]);
        assert_eq!(chain(96), vec![48, 24, 12, 6, 3]);
        assert_eq!(same_output(55, 1, 1), 55);
        assert_eq!(same_output(224, 7, 2), 112);
    }

    #[test]
    fn tap_outputs_are_the_outputs_reading_inside_the_image() {
        // 3-tap window, pad 1, stride 2 over 5 pixels → 3 outputs reading at −1..1, 1..3, 3..5
        assert_eq!(tap_outputs(0, 1, 2, 5, 3), 1..3); // tap 0 reads −1 (outside) for output 0
        assert_eq!(tap_outputs(1, 1, 2, 5, 3), 0..3);
        assert_eq!(tap_outputs(2, 1, 2, 5, 3), 0..2); // output 2's tap 2 reads pixel 5 (outside)
    }
}
