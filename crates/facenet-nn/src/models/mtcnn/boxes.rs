//! Candidate-box arithmetic of MTCNN, as facenet-pytorch 2.6.0's `detect_face.py` does it, in f32:
//! P-Net cells → boxes (`generateBoundingBox`), non-maximum suppression (torchvision's IoU rule and
//! the numpy "Min" rule of the last stage), box regression (`bbreg`), squaring (`rerec`) and the
//! integer crop window (`pad`).

use super::resample::Region;

/// A candidate face: box `[x1, y1, x2, y2]` in image pixels, score, and the regression offsets the
/// network predicted for it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    pub bbox: [f32; 4],
    pub score: f32,
    pub offsets: [f32; 4],
}

/// P-Net cells with probability ≥ `threshold` as boxes in image pixels (`generateBoundingBox`): cell
/// `(x, y)` covers the 12×12 window at `2·(x, y)` of the image scaled by `scale`.
/// `probability` is `[h, w]`, `regression` `[4, h, w]`, both row-major.
pub fn candidates_from_pnet(
    probability: &[f32],
    regression: &[f32],
    h: usize,
    w: usize,
    scale: f32,
    threshold: f32,
) -> Vec<Candidate> {
    const STRIDE: f32 = 2.0;
    const CELL: f32 = 12.0;
    let plane = h * w;
    let mut out = Vec::new();
    for (i, &score) in probability.iter().enumerate() {
        if score >= threshold {
            let (x, y) = ((i % w) as f32, (i / w) as f32);
            let x1 = ((STRIDE * x + 1.0) / scale).floor();
            let y1 = ((STRIDE * y + 1.0) / scale).floor();
            let x2 = ((STRIDE * x + CELL - 1.0 + 1.0) / scale).floor();
            let y2 = ((STRIDE * y + CELL - 1.0 + 1.0) / scale).floor();
            let offsets = [
                regression[i],
                regression[plane + i],
                regression[2 * plane + i],
                regression[3 * plane + i],
            ];
            out.push(Candidate {
                bbox: [x1, y1, x2, y2],
                score,
                offsets,
            });
        }
    }
    out
}

/// How two boxes' overlap is measured in non-maximum suppression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlap {
    /// torchvision's `nms`: intersection over union of areas `(x2 − x1)·(y2 − y1)`.
    Union,
    /// The original MTCNN's "Min": intersection over the smaller area, areas `(x2 − x1 + 1)·(y2 − y1 + 1)`.
    Min,
}

/// The candidates at `indices`, in that order.
pub fn select(candidates: &[Candidate], indices: &[usize]) -> Vec<Candidate> {
    indices.iter().map(|&i| candidates[i]).collect()
}

/// Non-maximum suppression: visits boxes by decreasing score, keeps one, drops every later box whose
/// overlap with it exceeds `threshold`. Returns the indices of the kept candidates, highest score first.
pub fn nms(candidates: &[Candidate], threshold: f32, overlap: Overlap) -> Vec<usize> {
    let pad = if overlap == Overlap::Min { 1.0 } else { 0.0 };
    let area = |b: &[f32; 4]| (b[2] - b[0] + pad) * (b[3] - b[1] + pad);
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by(|&a, &b| candidates[b].score.total_cmp(&candidates[a].score));
    let mut suppressed = vec![false; candidates.len()];
    let mut kept = Vec::new();
    for (rank, &i) in order.iter().enumerate() {
        if suppressed[i] {
            continue;
        }
        kept.push(i);
        let a = &candidates[i].bbox;
        for &j in &order[rank + 1..] {
            let b = &candidates[j].bbox;
            let iw = (a[2].min(b[2]) - a[0].max(b[0]) + pad).max(0.0);
            let ih = (a[3].min(b[3]) - a[1].max(b[1]) + pad).max(0.0);
            let inter = iw * ih;
            let ratio = match overlap {
                Overlap::Union => inter / (area(a) + area(b) - inter),
                Overlap::Min => inter / area(a).min(area(b)),
            };
            if ratio > threshold {
                suppressed[j] = true;
            }
        }
    }
    kept
}

/// Applies the P-Net offsets, which are fractions of the box's `x2 − x1` and `y2 − y1`.
pub fn regress_pnet(c: &Candidate) -> [f32; 4] {
    let [x1, y1, x2, y2] = c.bbox;
    let (w, h) = (x2 - x1, y2 - y1);
    [
        x1 + c.offsets[0] * w,
        y1 + c.offsets[1] * h,
        x2 + c.offsets[2] * w,
        y2 + c.offsets[3] * h,
    ]
}

/// `bbreg`: applies R-/O-Net offsets, fractions of the box's `x2 − x1 + 1` and `y2 − y1 + 1`.
pub fn regress(bbox: [f32; 4], offsets: [f32; 4]) -> [f32; 4] {
    let [x1, y1, x2, y2] = bbox;
    let (w, h) = (x2 - x1 + 1.0, y2 - y1 + 1.0);
    [
        x1 + offsets[0] * w,
        y1 + offsets[1] * h,
        x2 + offsets[2] * w,
        y2 + offsets[3] * h,
    ]
}

/// `rerec`: the square with the box's centre and its longer side.
pub fn square(bbox: [f32; 4]) -> [f32; 4] {
    let [x1, y1, x2, y2] = bbox;
    let (w, h) = (x2 - x1, y2 - y1);
    let side = w.max(h);
    let (nx1, ny1) = (x1 + w * 0.5 - side * 0.5, y1 + h * 0.5 - side * 0.5);
    [nx1, ny1, nx1 + side, ny1 + side]
}

/// `pad`: the pixels a box crops from a `width × height` image. Coordinates are truncated to integers,
/// the 1-based start clamped to 1 and the end to the image; pixels outside the image are not cropped
/// (facenet-pytorch crops only the inside part and resamples it to the full network input). `None` when
/// nothing of the box is inside.
pub fn crop_region(bbox: [f32; 4], width: usize, height: usize) -> Option<Region> {
    let [x, y, ex, ey] = bbox.map(|v| v.trunc() as i64);
    let (x, y) = (x.max(1), y.max(1));
    let (ex, ey) = (ex.min(width as i64), ey.min(height as i64));
    (ex > x - 1 && ey > y - 1).then(|| Region {
        x0: (x - 1) as usize,
        y0: (y - 1) as usize,
        x1: ex as usize,
        y1: ey as usize,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(bbox: [f32; 4], score: f32) -> Candidate {
        Candidate {
            bbox,
            score,
            offsets: [0.0; 4],
        }
    }

    #[test]
    fn nms_keeps_the_best_of_overlapping_boxes() {
        let boxes = [
            candidate([0.0, 0.0, 10.0, 10.0], 0.8),
            candidate([1.0, 0.0, 11.0, 10.0], 0.9),
            candidate([20.0, 20.0, 30.0, 30.0], 0.7),
        ];
        let kept = nms(&boxes, 0.5, Overlap::Union);
        assert_eq!(kept, vec![1, 2]);
        // IoU of the first two is 90/110 ≈ 0.82: both survive a 0.85 threshold.
        assert_eq!(nms(&boxes, 0.85, Overlap::Union).len(), 3);
    }

    #[test]
    fn min_overlap_suppresses_a_box_inside_another() {
        let boxes = [
            candidate([0.0, 0.0, 99.0, 99.0], 0.9),
            candidate([10.0, 10.0, 29.0, 29.0], 0.8),
        ];
        assert_eq!(nms(&boxes, 0.7, Overlap::Union).len(), 2);
        assert_eq!(nms(&boxes, 0.7, Overlap::Min).len(), 1);
    }

    #[test]
    fn square_keeps_the_centre_and_the_long_side() {
        assert_eq!(square([10.0, 20.0, 30.0, 60.0]), [0.0, 20.0, 40.0, 60.0]);
    }

    #[test]
    fn crop_region_clamps_to_the_image_and_drops_outside_boxes() {
        assert_eq!(
            crop_region([-5.5, 3.9, 50.2, 8.0], 40, 30),
            Some(Region {
                x0: 0,
                y0: 2,
                x1: 40,
                y1: 8
            })
        );
        assert_eq!(crop_region([45.0, 3.0, 60.0, 8.0], 40, 30), None);
    }

    #[test]
    fn pnet_cells_map_to_12_pixel_windows() {
        // 2×2 grid, one cell over threshold at (x=1, y=0), scale 0.5.
        let probability = [0.1, 0.9, 0.2, 0.3];
        let regression = [
            0.0, 0.1, 0.0, 0.0, 0.0, 0.2, 0.0, 0.0, 0.0, 0.3, 0.0, 0.0, 0.0, 0.4, 0.0, 0.0,
        ];
        let found = candidates_from_pnet(&probability, &regression, 2, 2, 0.5, 0.6);
        assert_eq!(
            found,
            vec![Candidate {
                bbox: [6.0, 2.0, 28.0, 24.0],
                score: 0.9,
                offsets: [0.1, 0.2, 0.3, 0.4]
            }]
        );
    }

    mod properties {
        //! NMS and the box arithmetic never panic, whatever the networks output (NaN, ±∞, huge, empty boxes).
        use super::*;
        use proptest::prelude::*;

        fn value() -> impl Strategy<Value = f32> {
            prop_oneof![
                6 => -20.0..120.0f32,
                1 => Just(f32::NAN),
                1 => Just(f32::INFINITY),
                1 => Just(f32::NEG_INFINITY),
                1 => Just(f32::MAX),
                1 => any::<f32>(),
            ]
        }

        fn candidates() -> impl Strategy<Value = Vec<Candidate>> {
            prop::collection::vec(
                ([value(), value(), value(), value()], value()).prop_map(|(bbox, score)| candidate(bbox, score)),
                0..24,
            )
        }

        fn overlap(a: &[f32; 4], b: &[f32; 4], pad: f32, min: bool) -> f32 {
            let area = |b: &[f32; 4]| (b[2] - b[0] + pad) * (b[3] - b[1] + pad);
            let inter =
                (a[2].min(b[2]) - a[0].max(b[0]) + pad).max(0.0) * (a[3].min(b[3]) - a[1].max(b[1]) + pad).max(0.0);
            if min {
                inter / area(a).min(area(b))
            } else {
                inter / (area(a) + area(b) - inter)
            }
        }

        proptest! {
            #[test]
            fn nms_keeps_distinct_boxes_by_falling_score(boxes in candidates(), threshold in 0.0..1.0f32, min in any::<bool>()) {
                let mode = if min { Overlap::Min } else { Overlap::Union };
                let kept = nms(&boxes, threshold, mode);
                let mut seen = vec![false; boxes.len()];
                for &i in &kept {
                    prop_assert!(i < boxes.len() && !seen[i], "{kept:?}");
                    seen[i] = true;
                }
                for pair in kept.windows(2) {
                    prop_assert!(boxes[pair[0]].score.total_cmp(&boxes[pair[1]].score).is_ge(), "{kept:?}");
                }
                // no kept box overlaps a better kept one beyond the threshold
                let pad = if min { 1.0 } else { 0.0 };
                for (r, &i) in kept.iter().enumerate() {
                    for &j in &kept[r + 1..] {
                        let ratio = overlap(&boxes[i].bbox, &boxes[j].bbox, pad, min);
                        // NaN overlaps (boxes of NaN or infinite area) never suppress, as in nms
                        let suppresses = ratio.partial_cmp(&threshold) == Some(std::cmp::Ordering::Greater);
                        prop_assert!(!suppresses, "kept {i} and {j} overlap {ratio}");
                    }
                }
                if !boxes.is_empty() {
                    prop_assert!(!kept.is_empty(), "the best box is always kept");
                }
            }

            #[test]
            fn crop_regions_lie_inside_the_image(bbox in [value(), value(), value(), value()], offsets in [value(), value(), value(), value()], w in 1usize..200, h in 1usize..200) {
                for b in [bbox, square(bbox), regress(bbox, offsets), regress_pnet(&Candidate { bbox, score: 1.0, offsets })] {
                    if let Some(r) = crop_region(b, w, h) {
                        prop_assert!(r.x0 < r.x1 && r.x1 <= w && r.y0 < r.y1 && r.y1 <= h, "{b:?} → {r:?}");
                    }
                }
            }
        }
    }
}
