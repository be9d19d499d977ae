//! The dlib face recognition ResNet (`dlib_face_recognition_resnet_model_v1`), Davis King 2017:
//! a 29-layer ResNet after He et al. 2016 (arXiv:1512.03385) with fewer filters, trained with dlib's
//! metric loss. Upstream definition: `anet_type` in dlib's `examples/dnn_face_recognition_ex.cpp`.
//! Input 150×150 RGB chip (dlib's `get_face_chip`, padding 0.25) → 128-D raw descriptor (norm ≈ 1.4,
//! not normalised; dlib compares with ‖a − b‖₂ < 0.6).
//!
//! Layer by layer, in forward order (dlib's names; dlib lists the same stack top-down):
//!
//! | here            | dlib                       | out (c × h × w)  |
//! |-----------------|----------------------------|------------------|
//! | `stem`          | con 32 7×7/2, affine, relu | 32 × 72 × 72     |
//! | `stem_pool`     | max_pool 3×3/2             | 32 × 35 × 35     |
//! | `levels[0]`     | alevel4: 3 × ares 32       | 32 × 35 × 35     |
//! | `levels[1]`     | alevel3: ares_down 64, 3 × ares 64 | 64 × 17 × 17 |
//! | `levels[2]`     | alevel2: ares_down 128, 2 × ares 128 | 128 × 8 × 8 |
//! | `levels[3]`     | alevel1: ares_down 256, 2 × ares 256 | 256 × 4 × 4 |
//! | `levels[4]`     | alevel0: ares_down 256     | 256 × 2 × 2      |
//! | global mean     | avg_pool_everything        | 256              |
//! | `embedding`     | fc_no_bias 128             | 128              |
//!
//! Each dlib `con` is followed by an `affine` layer (batch norm frozen into a per-channel scale γ and
//! shift β). `affine(con(x)) = γ·(W∗x + b) + β = (γW)∗x + (γb + β)`, so every con/affine pair is one
//! [`Conv2d`] here, folded when the weights are imported (`crate::import::dlib_dnn`).
//!
//! dlib's padding rule: a con or pool with stride 1 pads by half its window, one with stride 2 does not
//! pad at all, and the output size is `1 + (in − window) / stride` (rounded down). The residual
//! shortcut of a down-sampling block is a 2×2/2 average pool, and dlib's `add_prev` adds tensors of
//! different shapes by zero-padding both to the larger size in every dimension (channels, rows,
//! columns). At 8×8 input that matters: the strided branch gives 3×3, the pooled shortcut 4×4, and the
//! sum is 4×4 with the branch's last row and column zero; [`add_zero_padded`] does the same.
//!
//! [`DlibResNetCpu`] is the same network frozen onto the NHWC kernels of [`facenet_kernels::nhwc`] for fast
//! inference on CPU; it is built from a loaded [`DlibResNetNet`] and tested equal to it.

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{AvgPool2d, AvgPool2dConfig, MaxPool2d, MaxPool2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::relu;
use burn::tensor::ops::PadMode;
use facenet_kernels::nhwc::{FrozenConv, Nhwc, add_zero_padded_relu, global_mean, pool};

/// One resolution level: `blocks` residual blocks of `channels` filters; the first one halves the size
/// when `downsample` is set (dlib's `ares_down`), the others keep it (`ares`).
#[derive(Config, Debug, PartialEq)]
pub struct LevelConfig {
    pub channels: usize,
    pub blocks: usize,
    pub downsample: bool,
}

/// The network's shape. [`DlibResNetConfig::v1`] is the published model.
#[derive(Config, Debug)]
pub struct DlibResNetConfig {
    /// Input chip side in pixels.
    #[config(default = 150)]
    pub input_size: usize,
    /// Filters of the 7×7 stem convolution.
    #[config(default = 32)]
    pub stem_channels: usize,
    /// Levels in forward order (dlib's alevel4 first, alevel0 last).
    pub levels: Vec<LevelConfig>,
    /// The descriptor dimension (fc_no_bias outputs).
    #[config(default = 128)]
    pub embedding_dim: usize,
}

impl DlibResNetConfig {
    /// `dlib_face_recognition_resnet_model_v1`: alevel4 … alevel0 of `dnn_face_recognition_ex.cpp`.
    pub fn v1() -> Self {
        let level = |channels, blocks, downsample| LevelConfig {
            channels,
            blocks,
            downsample,
        };
        Self::new(vec![
            level(32, 3, false),
            level(64, 4, true),
            level(128, 3, true),
            level(256, 3, true),
            level(256, 1, true),
        ])
    }

    /// Builds the network with freshly initialised weights (they are replaced when loading).
    pub fn init(&self, device: &Device) -> DlibResNetNet {
        let stem = Conv2dConfig::new([3, self.stem_channels], [7, 7])
            .with_stride([2, 2])
            .init(device);
        let stem_pool = MaxPool2dConfig::new([3, 3]).with_strides([2, 2]).init();
        let mut in_channels = self.stem_channels;
        let levels = self
            .levels
            .iter()
            .map(|level| {
                let blocks = (0..level.blocks)
                    .map(|i| {
                        let block = ResidualBlock::new(in_channels, level.channels, level.downsample && i == 0, device);
                        in_channels = level.channels;
                        block
                    })
                    .collect();
                Level { blocks }
            })
            .collect();
        let embedding = LinearConfig::new(in_channels, self.embedding_dim)
            .with_bias(false)
            .init(device);
        DlibResNetNet {
            stem,
            stem_pool,
            levels,
            embedding,
        }
    }
}

/// The dlib ResNet as a burn module, affine layers folded into the convolutions.
#[derive(Module, Debug)]
pub struct DlibResNetNet {
    /// con 32 7×7/2 + affine (folded).
    pub stem: Conv2d,
    pub stem_pool: MaxPool2d,
    pub levels: Vec<Level>,
    /// fc_no_bias: weight `[256, 128]`.
    pub embedding: Linear,
}

/// A resolution level: residual blocks at one width.
#[derive(Module, Debug)]
pub struct Level {
    pub blocks: Vec<ResidualBlock>,
}

/// dlib's `ares` / `ares_down`: `relu(add_prev(conv2(relu(conv1(x))), shortcut(x)))`, each conv with
/// its affine folded in; `conv1` has stride 2 and no padding in a down-sampling block, whose shortcut
/// is a 2×2/2 average pool.
#[derive(Module, Debug)]
pub struct ResidualBlock {
    pub conv1: Conv2d,
    pub conv2: Conv2d,
    pub shortcut_pool: Option<AvgPool2d>,
}

impl ResidualBlock {
    fn new(in_channels: usize, channels: usize, downsample: bool, device: &Device) -> Self {
        let conv = |c_in, stride: usize| {
            let padding = if stride == 1 {
                PaddingConfig2d::Explicit(1, 1, 1, 1)
            } else {
                PaddingConfig2d::Valid
            };
            Conv2dConfig::new([c_in, channels], [3, 3])
                .with_stride([stride, stride])
                .with_padding(padding)
                .init(device)
        };
        let stride = if downsample { 2 } else { 1 };
        Self {
            conv1: conv(in_channels, stride),
            conv2: conv(channels, 1),
            shortcut_pool: downsample.then(|| AvgPool2dConfig::new([2, 2]).with_strides([2, 2]).init()),
        }
    }

    /// # Shapes
    /// `[b, c_in, h, w]` → `[b, c, h', w']`, `h' = h` or `max(⌊(h−3)/2⌋+1, ⌊(h−2)/2⌋+1)` when down-sampling.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let branch = relu(self.conv1.forward(x.clone())); // [b, c, h', w']
        let branch = self.conv2.forward(branch); // [b, c, h', w']
        let shortcut = match &self.shortcut_pool {
            Some(pool) => pool.forward(x), // [b, c_in, ⌊h/2⌋, ⌊w/2⌋]
            None => x,
        };
        relu(add_zero_padded(branch, shortcut))
    }
}

impl DlibResNetNet {
    /// Raw descriptors of a batch of preprocessed chips (see [`DlibResNetNet::preprocess`]).
    ///
    /// # Shapes
    /// `[b, 3, 150, 150]` → `[b, 128]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let x = relu(self.stem.forward(x)); // [b, 32, 72, 72]
        let mut x = self.stem_pool.forward(x); // [b, 32, 35, 35]
        for block in self.levels.iter().flat_map(|level| &level.blocks) {
            x = block.forward(x); // … [b, 64, 17, 17] … [b, 128, 8, 8] … [b, 256, 4, 4] … [b, 256, 2, 2]
        }
        let [b, c, _, _] = x.dims();
        let pooled = x.mean_dim(3).mean_dim(2).reshape([b, c]); // [b, 256]
        self.embedding.forward(pooled) // [b, 128]
    }
}

/// [`DlibResNetNet`] frozen for CPU inference: the same layers on channels-last activations.
#[derive(Debug, Clone)]
pub struct DlibResNetCpu {
    stem: FrozenConv,
    blocks: Vec<FrozenBlock>,
    /// fc_no_bias weights `[inputs, outputs]`, row-major.
    embedding: Vec<f32>,
    embedding_dim: usize,
}

#[derive(Debug, Clone)]
struct FrozenBlock {
    conv1: FrozenConv,
    conv2: FrozenConv,
    downsample: bool,
}

impl DlibResNetCpu {
    /// Copies the weights of `net`.
    pub fn from_module(net: &DlibResNetNet) -> Self {
        let blocks = net
            .levels
            .iter()
            .flat_map(|level| &level.blocks)
            .map(|b| FrozenBlock {
                conv1: FrozenConv::from_conv2d(&b.conv1),
                conv2: FrozenConv::from_conv2d(&b.conv2),
                downsample: b.shortcut_pool.is_some(),
            })
            .collect();
        let [_, embedding_dim] = net.embedding.weight.dims();
        let embedding = net
            .embedding
            .weight
            .val()
            .into_data()
            .try_to_vec::<f32>()
            .expect("weights should be f32");
        Self {
            stem: FrozenConv::from_conv2d(&net.stem),
            blocks,
            embedding,
            embedding_dim,
        }
    }

    /// Raw descriptors, row-major `[n, 128]`, of preprocessed chips in NHWC layout.
    ///
    /// # Shapes
    /// `[n, 150, 150, 3]` → `[n, 128]`
    pub fn forward(&self, x: &Nhwc) -> Vec<f32> {
        let x = self.stem.forward(x, true); // [n, 72, 72, 32]
        let mut x = pool(&x, 3, 2, true); // [n, 35, 35, 32]
        for block in &self.blocks {
            let branch = block.conv2.forward(&block.conv1.forward(&x, true), false);
            let shortcut = if block.downsample { pool(&x, 2, 2, false) } else { x };
            x = add_zero_padded_relu(&branch, &shortcut); // … [n, 17, 17, 64] … [n, 2, 2, 256]
        }
        let pooled = global_mean(&x); // [n, 256]
        let inputs = x.c;
        pooled
            .chunks_exact(inputs)
            .flat_map(|features| {
                (0..self.embedding_dim).map(move |o| {
                    features
                        .iter()
                        .enumerate()
                        .map(|(i, f)| f * self.embedding[i * self.embedding_dim + o])
                        .sum::<f32>()
                })
            })
            .collect() // [n, 128]
    }
}

/// dlib's `add_prev`: `a + b` after zero-padding both at the end of every dimension to the larger size.
///
/// # Shapes
/// `[b, c₁, h₁, w₁]`, `[b, c₂, h₂, w₂]` → `[b, max c, max h, max w]`
pub fn add_zero_padded(a: Tensor<4>, b: Tensor<4>) -> Tensor<4> {
    let [_, ca, ha, wa] = a.dims();
    let [_, cb, hb, wb] = b.dims();
    let (c, h, w) = (ca.max(cb), ha.max(hb), wa.max(wb));
    let pad = |t: Tensor<4>, tc: usize, th: usize, tw: usize| {
        if (tc, th, tw) == (c, h, w) {
            t
        } else {
            t.pad([(0, c - tc), (0, h - th), (0, w - tw)], PadMode::Constant(0.0))
        }
    };
    pad(a, ca, ha, wa) + pad(b, cb, hb, wb)
}

#[cfg(test)]
mod tests {
    use super::*;
    use facenet_kernels::device::default_device;

    #[test]
    fn v1_maps_a_batch_of_chips_to_128_values_each() {
        let device = default_device();
        let net = DlibResNetConfig::v1().init(&device);
        let out = net.forward(Tensor::zeros([2, 3, 150, 150], &device));
        assert_eq!(out.dims(), [2, 128]);
    }

    #[test]
    fn v1_has_29_conv_layers() {
        let net = DlibResNetConfig::v1().init(&default_device());
        let blocks: usize = net.levels.iter().map(|l| l.blocks.len()).sum();
        assert_eq!(1 + 2 * blocks, 29);
    }

    #[test]
    fn add_zero_padded_pads_channels_rows_and_columns_at_the_end() {
        let device = default_device();
        let a = Tensor::<4>::ones([1, 2, 1, 1], &device);
        let b = Tensor::<4>::ones([1, 1, 2, 2], &device).mul_scalar(10.0);
        let sum = add_zero_padded(a, b).into_data().try_to_vec::<f32>().unwrap();
        // channel 0: [11, 10; 10, 10], channel 1: [1, 0; 0, 0]
        assert_eq!(sum, vec![11.0, 10.0, 10.0, 10.0, 1.0, 0.0, 0.0, 0.0]);
    }
}
