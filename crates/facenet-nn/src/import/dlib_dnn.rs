//! Reader for dlib's DNN serialisation (`dlib/dnn/core.h`, `layers.h`, `input.h`, `loss.h`,
//! `cuda/tensor.h`), as written by `serialize(net, out)` for the face recognition ResNet
//! (`dlib_face_recognition_resnet_model_v1.dat`), and the mapping of its weights onto
//! [`DlibResNetNet`](crate::models::dlib_resnet::DlibResNetNet).
//!
//! The primitives (integers, floats, strings, bools) are dlib's, read by
//! [`facenet_vision::dlib_format::DlibReader`]. A network is one nested object:
//!
//! - `add_loss_layer`: version 1, the loss details (`"loss_metric_2"`, margin, distance threshold),
//!   then the sub-network.
//! - `add_layer` (every computing layer): version 2, the sub-network, *then* the layer's details, three
//!   bools (setup called, gradient stale, output disabled) and three tensors (`x_grad`,
//!   `cached_output`, `params_grad`). The bottom `add_layer`, the one holding the input layer, is
//!   version 2 or 3: the input layer, the details, the three bools, three tensors, and (version 3) the
//!   sample expansion factor.
//! - `add_tag_layer` / `add_skip_layer`: version 1 and the sub-network, nothing else. Their tag ids are
//!   part of the C++ type, not of the file, so the file cannot be read without knowing the
//!   architecture: as dlib itself does, the reader walks the expected layer stack
//!   ([`expected_stack`]) and checks each layer's type tag and hyper-parameters against it.
//!
//! So the file opens with the versions of all layers top-down, then holds the details bottom-up.
//! A tensor is version 2, four integer dimensions, then raw little-endian `f32`s; an `alias_tensor`
//! (the shape of a slice of `params`) is version 1 and four dimensions. Layer details:
//!
//! - `con_4`…`con_6`: params (filters `[n, k, nr, nc]` then `n` biases), n, nr, nc, stride y/x, padding
//!   y/x, the filters and biases aliases, four `double` learning-rate / decay multipliers,
//!   `use_bias` (5+), `use_relu` (6).
//! - `affine_` / `affine_2`: params (γ then β), γ and β aliases, mode (0 = per channel), `disabled` (2).
//! - `relu_` / `relu_2` (+ `disabled`); `add_prev_`; `max_pool_2` / `avg_pool_2`: nr, nc, stride y/x,
//!   padding y/x.
//! - `fc_2` / `fc_3`: outputs, inputs, params (an `inputs × outputs` matrix), weights and biases
//!   aliases, bias mode (1 = none), four multipliers, `use_bias` (3).
//! - `input_rgb_image_sized`: the mean red, green, blue, then rows and columns.
//!
//! Errors name the layer as dlib prints the network (`layer<0>` is the loss, the input is last) and the
//! byte offset.

use crate::models::dlib_resnet::{DlibResNetConfig, DlibResNetNet};
use burn::module::Param;
use burn::prelude::*;
use facenet_vision::dlib_format::{DlibFormatError, DlibReader, FormatResult};
use std::fmt;

/// One layer of the expected stack, in forward order, with the hyper-parameters the file must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerKind {
    /// `con_`: filters, square window, stride (padding follows dlib's default rule).
    Con {
        filters: usize,
        window: usize,
        stride: usize,
    },
    Affine,
    Relu,
    MaxPool {
        window: usize,
        stride: usize,
    },
    /// `avg_pool_`; window 0 is `avg_pool_everything`.
    AvgPool {
        window: usize,
        stride: usize,
    },
    Tag(u8),
    Skip(u8),
    AddPrev(u8),
    /// `fc_` without bias.
    Fc {
        outputs: usize,
    },
}

impl LayerKind {
    /// dlib's default padding for a window and stride: half the window at stride 1, none otherwise.
    fn padding(window: usize, stride: usize) -> usize {
        if stride == 1 { window / 2 } else { 0 }
    }

    /// Tags and skips are bare wrappers; every other layer is an `add_layer` with details.
    fn is_add_layer(self) -> bool {
        !matches!(self, LayerKind::Tag(_) | LayerKind::Skip(_))
    }
}

impl fmt::Display for LayerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LayerKind::Con {
                filters,
                window,
                stride,
            } => write!(f, "con {filters} {window}×{window}/{stride}"),
            LayerKind::Affine => write!(f, "affine"),
            LayerKind::Relu => write!(f, "relu"),
            LayerKind::MaxPool { window, stride } => write!(f, "max_pool {window}×{window}/{stride}"),
            LayerKind::AvgPool { window: 0, .. } => write!(f, "avg_pool_everything"),
            LayerKind::AvgPool { window, stride } => write!(f, "avg_pool {window}×{window}/{stride}"),
            LayerKind::Tag(id) => write!(f, "tag{id}"),
            LayerKind::Skip(id) => write!(f, "skip{id}"),
            LayerKind::AddPrev(id) => write!(f, "add_prev{id}"),
            LayerKind::Fc { outputs } => write!(f, "fc_no_bias {outputs}"),
        }
    }
}

/// The layer stack of `config` in forward order (first layer after the input first), as dlib's
/// `anet_type` builds it: `ares` = relu(add_prev1(block(tag1(x)))), `ares_down` =
/// relu(add_prev2(avg_pool 2×2/2(skip1(tag2(block(tag1(x))))))), block = affine(con(relu(affine(con)))).
pub fn expected_stack(config: &DlibResNetConfig) -> Vec<LayerKind> {
    use LayerKind::*;
    let mut stack = vec![
        Con {
            filters: config.stem_channels,
            window: 7,
            stride: 2,
        },
        Affine,
        Relu,
        MaxPool { window: 3, stride: 2 },
    ];
    for level in &config.levels {
        for i in 0..level.blocks {
            let down = level.downsample && i == 0;
            let stride = if down { 2 } else { 1 };
            let filters = level.channels;
            stack.extend([
                Tag(1),
                Con {
                    filters,
                    window: 3,
                    stride,
                },
                Affine,
                Relu,
                Con {
                    filters,
                    window: 3,
                    stride: 1,
                },
                Affine,
            ]);
            if down {
                stack.extend([Tag(2), Skip(1), AvgPool { window: 2, stride: 2 }, AddPrev(2)]);
            } else {
                stack.push(AddPrev(1));
            }
            stack.push(Relu);
        }
    }
    stack.extend([
        AvgPool { window: 0, stride: 1 },
        Fc {
            outputs: config.embedding_dim,
        },
    ]);
    stack
}

/// What the file's input layer says.
#[derive(Debug, Clone, PartialEq)]
pub struct InputLayer {
    /// Subtracted from each channel before dividing by 256.
    pub mean_rgb: [f32; 3],
    pub rows: usize,
    pub cols: usize,
}

/// The metric loss's parameters (training only; kept for the record).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LossMetric {
    pub margin: f32,
    pub distance_threshold: f32,
}

/// A `con_` layer's weights: filters `[out, in, window, window]`, row-major, and one bias per filter.
#[derive(Debug, Clone, PartialEq)]
pub struct ConLayer {
    pub out_channels: usize,
    pub in_channels: usize,
    pub window: usize,
    pub filters: Vec<f32>,
    pub biases: Vec<f32>,
}

/// An `affine_` layer in per-channel mode: `y = γ·x + β`.
#[derive(Debug, Clone, PartialEq)]
pub struct AffineLayer {
    pub gamma: Vec<f32>,
    pub beta: Vec<f32>,
}

/// A parsed dlib face recognition ResNet: what the file holds beyond the architecture itself.
#[derive(Debug, Clone, PartialEq)]
pub struct DlibResNetFile {
    pub input: InputLayer,
    pub loss: LossMetric,
    /// Every con with the affine after it, in forward order.
    pub convs: Vec<(ConLayer, AffineLayer)>,
    /// fc_no_bias weights, an `inputs × outputs` matrix, row-major.
    pub fc: Vec<f32>,
    pub fc_inputs: usize,
}

/// A read failure, with the layer it happened in (as dlib prints it, e.g. `layer<57> con 64 3×3/1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerError {
    pub layer: String,
    pub error: DlibFormatError,
}

impl fmt::Display for LayerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.layer, self.error)
    }
}

/// Parses `bytes` as the network `config` describes.
pub fn parse(bytes: &[u8], config: &DlibResNetConfig) -> Result<DlibResNetFile, LayerError> {
    let stack = expected_stack(config);
    let top = stack.len(); // dlib's index of the first layer (the loss is 0, the input is `top + 1`)
    let name = |forward: usize| format!("layer<{}> {}", top - forward, stack[forward]);
    let at = |layer: String| move |error: DlibFormatError| LayerError { layer, error };
    let mut r = DlibReader::new(bytes);

    let loss = read_loss(&mut r).map_err(at("layer<0> loss_metric".into()))?;
    // Versions, top-down, of every layer above the bottom add_layer.
    let mut versions = vec![0; stack.len()];
    for forward in (1..stack.len()).rev() {
        let expected: &[i32] = if stack[forward].is_add_layer() { &[1, 2] } else { &[1] };
        versions[forward] = read_version(&mut r, expected, "version").map_err(at(name(forward)))?;
    }
    let bottom_version = read_version(&mut r, &[2, 3], "version").map_err(at(name(0)))?;
    let input = read_input(&mut r).map_err(at(format!("layer<{}> input_rgb_image_sized", top + 1)))?;

    let mut builder = FileBuilder::new(input, loss);
    let mut channels = 3;
    for (forward, &kind) in stack.iter().enumerate() {
        if !kind.is_add_layer() {
            continue;
        }
        let layer = read_details(&mut r, kind, channels, &mut builder).map_err(at(name(forward)))?;
        channels = layer.unwrap_or(channels);
        read_layer_trailer(&mut r, forward, bottom_version, &versions).map_err(at(name(forward)))?;
    }
    expect_end(&r).map_err(at("layer<0> loss_metric".into()))?;
    builder.finish().map_err(at("layer<1> fc_no_bias".into()))
}

/// Collects weights as the layers are read bottom-up.
struct FileBuilder {
    input: InputLayer,
    loss: LossMetric,
    convs: Vec<(ConLayer, AffineLayer)>,
    pending_con: Option<ConLayer>,
    fc: Option<(Vec<f32>, usize)>,
}

impl FileBuilder {
    fn new(input: InputLayer, loss: LossMetric) -> Self {
        Self {
            input,
            loss,
            convs: Vec::new(),
            pending_con: None,
            fc: None,
        }
    }

    fn finish(self) -> FormatResult<DlibResNetFile> {
        let (fc, fc_inputs) = self
            .fc
            .ok_or_else(|| DlibReader::new(&[]).error("fc weights", "missing"))?;
        Ok(DlibResNetFile {
            input: self.input,
            loss: self.loss,
            convs: self.convs,
            fc,
            fc_inputs,
        })
    }
}

pub(crate) fn read_version(r: &mut DlibReader, allowed: &[i32], what: &str) -> FormatResult<i32> {
    let start = *r;
    let version = r.read_i32(what)?;
    if !allowed.contains(&version) {
        return Err(start.error(
            what,
            format!("unsupported version {version} (expected one of {allowed:?})"),
        ));
    }
    Ok(version)
}

/// Reads a type tag that must be one of `allowed`; returns which.
pub(crate) fn read_tag<'t>(r: &mut DlibReader, allowed: &[&'t str]) -> FormatResult<&'t str> {
    let start = *r;
    let found = r.read_string("type tag")?;
    allowed.iter().copied().find(|a| *a == found).ok_or_else(|| {
        start.error(
            "type tag",
            format!("expected {}, found \"{}\"", allowed.join(" or "), found.escape_debug()),
        )
    })
}

/// Reads an integer hyper-parameter and checks it against the architecture.
pub(crate) fn read_expected(r: &mut DlibReader, what: &str, expected: usize) -> FormatResult<()> {
    let start = *r;
    let found = r.read_i64(what)?;
    if found != expected as i64 {
        return Err(start.error(what, format!("found {found}, the architecture has {expected}")));
    }
    Ok(())
}

fn read_loss(r: &mut DlibReader) -> FormatResult<LossMetric> {
    read_version(r, &[1], "add_loss_layer version")?;
    match read_tag(r, &["loss_metric_", "loss_metric_2"])? {
        // The first version had these values hard-coded (dlib loss.h).
        "loss_metric_" => Ok(LossMetric {
            margin: 0.1,
            distance_threshold: 0.75,
        }),
        _ => Ok(LossMetric {
            margin: r.read_f32("margin")?,
            distance_threshold: r.read_f32("distance threshold")?,
        }),
    }
}

fn read_input(r: &mut DlibReader) -> FormatResult<InputLayer> {
    read_tag(r, &["input_rgb_image_sized"])?;
    let mean_rgb = [
        r.read_f32("mean red")?,
        r.read_f32("mean green")?,
        r.read_f32("mean blue")?,
    ];
    let rows = r.read_usize("rows")?;
    let cols = r.read_usize("columns")?;
    Ok(InputLayer { mean_rgb, rows, cols })
}

/// A tensor's dimensions and values (`resizable_tensor`: version 2, four dims, raw LE f32s).
///
/// Memory bound: the dims' product (checked for overflow) × 4 bytes must be within the bytes left before
/// anything is allocated, so the values take at most the input's size (a 2^40-element tensor declared in
/// a short file is an error, not an allocation).
pub(crate) fn read_tensor(r: &mut DlibReader, what: &str) -> FormatResult<([usize; 4], Vec<f32>)> {
    read_version(r, &[2], what)?;
    let dims = read_dims(r, what)?;
    let start = *r;
    let count = dims.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
    let bytes = match count.and_then(|n| n.checked_mul(4)) {
        Some(bytes) if bytes <= r.remaining() => bytes,
        _ => {
            return Err(start.error(
                what,
                format!("tensor {dims:?} exceeds the {} bytes left", r.remaining()),
            ));
        }
    };
    let raw = r.read_bytes(bytes, what)?;
    Ok((
        dims,
        raw.chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
    ))
}

fn read_dims(r: &mut DlibReader, what: &str) -> FormatResult<[usize; 4]> {
    let mut dims = [0; 4];
    for (d, name) in dims.iter_mut().zip(["samples", "k", "rows", "columns"]) {
        let start = *r;
        let value = r.read_i64(what)?;
        *d = usize::try_from(value).map_err(|_| start.error(what, format!("negative {name} {value}")))?;
    }
    Ok(dims)
}

/// An `alias_tensor`'s dimensions (version 1, four dims).
pub(crate) fn read_alias(r: &mut DlibReader, what: &str) -> FormatResult<[usize; 4]> {
    read_version(r, &[1], what)?;
    read_dims(r, what)
}

pub(crate) fn read_multipliers(r: &mut DlibReader) -> FormatResult<()> {
    for what in [
        "learning rate multiplier",
        "weight decay multiplier",
        "bias learning rate multiplier",
        "bias weight decay multiplier",
    ] {
        r.read_f64(what)?;
    }
    Ok(())
}

/// Reads one layer's details into `builder`; returns the channel count after it when it changes.
fn read_details(
    r: &mut DlibReader,
    kind: LayerKind,
    channels: usize,
    builder: &mut FileBuilder,
) -> FormatResult<Option<usize>> {
    match kind {
        LayerKind::Con {
            filters,
            window,
            stride,
        } => {
            let con = read_con(r, filters, window, stride, channels)?;
            builder.pending_con = Some(con);
            Ok(Some(filters))
        }
        LayerKind::Affine => {
            let affine = read_affine(r, channels)?;
            let con = builder
                .pending_con
                .take()
                .ok_or_else(|| r.error("affine", "no con layer before it"))?;
            builder.convs.push((con, affine));
            Ok(None)
        }
        LayerKind::Relu => {
            if read_tag(r, &["relu_", "relu_2"])? == "relu_2" && r.read_bool("disabled")? {
                return Err(r.error("disabled", "a disabled relu is not supported"));
            }
            Ok(None)
        }
        LayerKind::MaxPool { window, stride } => read_pool(r, "max_pool_2", window, stride).map(|_| None),
        LayerKind::AvgPool { window, stride } => read_pool(r, "avg_pool_2", window, stride).map(|_| None),
        LayerKind::AddPrev(_) => read_tag(r, &["add_prev_"]).map(|_| None),
        LayerKind::Fc { outputs } => {
            builder.fc = Some((read_fc(r, outputs, channels)?, channels));
            Ok(Some(outputs))
        }
        LayerKind::Tag(_) | LayerKind::Skip(_) => Ok(None),
    }
}

pub(crate) fn read_con(
    r: &mut DlibReader,
    filters: usize,
    window: usize,
    stride: usize,
    in_channels: usize,
) -> FormatResult<ConLayer> {
    let version = read_tag(r, &["con_4", "con_5", "con_6"])?;
    let (_, params) = read_tensor(r, "params")?;
    let padding = LayerKind::padding(window, stride);
    for (what, expected) in [
        ("num_filters", filters),
        ("nr", window),
        ("nc", window),
        ("stride_y", stride),
        ("stride_x", stride),
        ("padding_y", padding),
        ("padding_x", padding),
    ] {
        read_expected(r, what, expected)?;
    }
    let filter_dims = read_alias(r, "filters alias")?;
    let bias_dims = read_alias(r, "biases alias")?;
    read_multipliers(r)?;
    let use_bias = if version == "con_4" {
        true
    } else {
        r.read_bool("use_bias")?
    };
    if version == "con_6" && r.read_bool("use_relu")? {
        return Err(r.error("use_relu", "a con with a fused relu is not supported"));
    }
    let expected_filters = [filters, in_channels, window, window];
    if filter_dims != expected_filters {
        return Err(r.error(
            "filters alias",
            format!("shape {filter_dims:?}, the architecture has {expected_filters:?}"),
        ));
    }
    let filter_len = filters * in_channels * window * window;
    let bias_len = if use_bias {
        bias_dims
            .iter()
            .try_fold(1usize, |n, &d| n.checked_mul(d))
            .unwrap_or(usize::MAX)
    } else {
        0
    };
    if Some(params.len()) != filter_len.checked_add(bias_len) || (use_bias && bias_len != filters) {
        let problem = format!(
            "{} parameters for {filter_len} weights and {bias_len} biases ({filters} expected)",
            params.len()
        );
        return Err(r.error("params", problem));
    }
    let mut filters_data = params;
    let biases = if use_bias {
        filters_data.split_off(filter_len)
    } else {
        vec![0.0; filters]
    };
    Ok(ConLayer {
        out_channels: filters,
        in_channels,
        window,
        filters: filters_data,
        biases,
    })
}

pub(crate) fn read_affine(r: &mut DlibReader, channels: usize) -> FormatResult<AffineLayer> {
    let version = read_tag(r, &["affine_", "affine_2"])?;
    let (_, mut params) = read_tensor(r, "params")?;
    let gamma_dims = read_alias(r, "gamma alias")?;
    read_alias(r, "beta alias")?;
    read_expected(r, "mode (0 = per channel)", 0)?;
    let disabled = version == "affine_2" && r.read_bool("disabled")?;
    let gamma_len = gamma_dims.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
    if gamma_len != Some(channels) || params.len() != 2 * channels {
        let problem = format!(
            "{} parameters, γ shape {gamma_dims:?}; {channels} channels need 2 × {channels}",
            params.len()
        );
        return Err(r.error("params", problem));
    }
    if disabled {
        return Ok(AffineLayer {
            gamma: vec![1.0; channels],
            beta: vec![0.0; channels],
        });
    }
    let beta = params.split_off(channels);
    Ok(AffineLayer { gamma: params, beta })
}

fn read_pool(r: &mut DlibReader, tag: &str, window: usize, stride: usize) -> FormatResult<()> {
    read_tag(r, &[tag])?;
    let padding = LayerKind::padding(window, stride);
    for (what, expected) in [
        ("nr", window),
        ("nc", window),
        ("stride_y", stride),
        ("stride_x", stride),
        ("padding_y", padding),
        ("padding_x", padding),
    ] {
        read_expected(r, what, expected)?;
    }
    Ok(())
}

fn read_fc(r: &mut DlibReader, outputs: usize, inputs: usize) -> FormatResult<Vec<f32>> {
    let version = read_tag(r, &["fc_2", "fc_3"])?;
    for (what, expected) in [("num_outputs", outputs), ("num_inputs", inputs)] {
        read_expected(r, what, expected)?;
    }
    let (_, params) = read_tensor(r, "params")?;
    read_alias(r, "weights alias")?;
    read_alias(r, "biases alias")?;
    read_expected(r, "bias mode (1 = no bias)", 1)?;
    read_multipliers(r)?;
    if version == "fc_3" {
        r.read_bool("use_bias")?;
    }
    if params.len() != inputs * outputs {
        return Err(r.error(
            "params",
            format!("{} weights, {inputs} × {outputs} expected", params.len()),
        ));
    }
    Ok(params)
}

/// The trailer of the layer at `forward` (0: the bottom one, with its own format), after its details.
pub(crate) fn read_layer_trailer(
    r: &mut DlibReader,
    forward: usize,
    bottom_version: i32,
    versions: &[i32],
) -> FormatResult<()> {
    if forward == 0 {
        read_bottom_trailer(r, bottom_version)
    } else {
        read_trailer(r, versions[forward])
    }
}

/// An error unless every byte of the file was read.
pub(crate) fn expect_end(r: &DlibReader) -> FormatResult<()> {
    if r.is_at_end() {
        return Ok(());
    }
    Err(r.error(
        "the end of the network",
        format!("{} unexpected bytes after the last layer", r.remaining()),
    ))
}

/// The bools and tensors after an `add_layer`'s details (their contents are training state).
fn read_trailer(r: &mut DlibReader, version: i32) -> FormatResult<()> {
    for what in [
        "this_layer_setup_called",
        "gradient_input_is_stale",
        "get_output_and_gradient_input_disabled",
    ] {
        r.read_bool(what)?;
    }
    read_tensor(r, "x_grad")?;
    read_tensor(r, "cached_output")?;
    if version == 2 {
        read_tensor(r, "params_grad")?;
    }
    Ok(())
}

/// The bottom `add_layer`'s trailer: as [`read_trailer`] with `grad_final`, and (version 3) the sample
/// expansion factor.
fn read_bottom_trailer(r: &mut DlibReader, version: i32) -> FormatResult<()> {
    for what in [
        "this_layer_setup_called",
        "gradient_input_is_stale",
        "get_output_and_gradient_input_disabled",
    ] {
        r.read_bool(what)?;
    }
    for what in ["x_grad", "cached_output", "grad_final"] {
        read_tensor(r, what)?;
    }
    if version == 3 {
        r.read_u64("sample expansion factor")?;
    }
    Ok(())
}

impl DlibResNetFile {
    /// Builds the burn network with these weights, each affine folded into its con:
    /// `W' = γ·W`, `b' = γ·b + β` per output channel.
    pub fn to_module(&self, config: &DlibResNetConfig, device: &Device) -> DlibResNetNet {
        let mut net = config.init(device);
        let mut folded = self.convs.iter().map(|(con, affine)| fold(con, affine, device));
        let mut next = || {
            folded
                .next()
                .expect("the parser should yield one con per conv of the architecture")
        };
        (net.stem.weight, net.stem.bias) = next();
        for block in net.levels.iter_mut().flat_map(|level| level.blocks.iter_mut()) {
            (block.conv1.weight, block.conv1.bias) = next();
            (block.conv2.weight, block.conv2.bias) = next();
        }
        let outputs = self.fc.len() / self.fc_inputs;
        let fc = TensorData::new(self.fc.clone(), [self.fc_inputs, outputs]);
        net.embedding.weight = Param::from_tensor(Tensor::from_data(fc, device));
        net
    }
}

type ConvParams = (Param<Tensor<4>>, Option<Param<Tensor<1>>>);

fn fold(con: &ConLayer, affine: &AffineLayer, device: &Device) -> ConvParams {
    let per_filter = con.in_channels * con.window * con.window;
    let weights: Vec<f32> = con
        .filters
        .chunks_exact(per_filter)
        .zip(&affine.gamma)
        .flat_map(|(w, &g)| w.iter().map(move |v| v * g))
        .collect();
    let biases: Vec<f32> = con
        .biases
        .iter()
        .zip(&affine.gamma)
        .zip(&affine.beta)
        .map(|((b, g), beta)| b * g + beta)
        .collect();
    let shape = [con.out_channels, con.in_channels, con.window, con.window];
    let weight = Tensor::from_data(TensorData::new(weights, shape), device);
    let bias = Tensor::from_data(TensorData::new(biases, [con.out_channels]), device);
    (Param::from_tensor(weight), Some(Param::from_tensor(bias)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dlib-serialised unsigned integer: the byte count, then the little-endian bytes.
    fn dlib_uint(value: u64) -> Vec<u8> {
        let len = (8 - value.leading_zeros() as usize / 8).max(1);
        let mut out = vec![len as u8];
        out.extend(&value.to_le_bytes()[..len]);
        out
    }

    #[test]
    fn a_tensor_declaring_2_pow_40_elements_is_refused_before_allocating() {
        // version 2, dims 2^10 × 2^10 × 2^10 × 2^10, then 8 bytes: a 4 TiB allocation would abort the test
        let mut bytes = dlib_uint(2);
        for _ in 0..4 {
            bytes.extend(dlib_uint(1 << 10));
        }
        bytes.extend([0; 8]);
        let error = read_tensor(&mut DlibReader::new(&bytes), "params").unwrap_err();
        assert!(error.to_string().contains("exceeds the 8 bytes left"), "{error}");
        // dims whose product overflows usize are refused the same way
        let mut overflow = dlib_uint(2);
        for _ in 0..4 {
            overflow.extend(dlib_uint(u64::MAX >> 1));
        }
        assert!(read_tensor(&mut DlibReader::new(&overflow), "params").is_err());
    }

    #[test]
    fn alias_dims_whose_product_overflows_are_an_error_not_a_panic() {
        let con = [
            vec![5],
            b"con_5".to_vec(),
            dlib_uint(2),
            [0, 0, 0, 0].iter().flat_map(|&d| dlib_uint(d)).collect(),
            [1, 1, 1, 1, 1, 0, 0].iter().flat_map(|&v| dlib_uint(v)).collect(),
            dlib_uint(1),
            [1, 3, 1, 1].iter().flat_map(|&d| dlib_uint(d)).collect(),
            dlib_uint(1),
            [u64::MAX >> 1, u64::MAX >> 1, 2, 2]
                .iter()
                .flat_map(|&d| dlib_uint(d))
                .collect(),
            (0..8).flat_map(|_| [1u8, 0]).collect(),
            b"1".to_vec(),
        ]
        .concat();
        let con = [vec![1u8], con].concat(); // the tag's length as a dlib integer: 1 byte, value 5
        let error = read_con(&mut DlibReader::new(&con), 1, 1, 1, 3).unwrap_err();
        assert!(error.to_string().contains("parameters"), "{error}");
    }
}
