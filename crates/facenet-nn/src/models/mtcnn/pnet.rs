//! P-Net, MTCNN's proposal network (Zhang et al. 2016, arXiv:1604.02878, Fig. 2), laid out as
//! facenet-pytorch 2.6.0's `PNet`: fully convolutional, a 12×12 window per output cell at stride 2.
//! Input `[n, 3, h, w]` normalised as `(x − 127.5) / 128` → face probability and box offsets per cell.

use super::dense::DenseConv;
use super::pool::{max_pool_ceil, max_pool_ceil_planes};
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{PRelu, PReluConfig};
use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor};

/// P-Net; field names follow the checkpoint's keys.
#[derive(Module, Debug)]
pub struct PNet {
    conv1: Conv2d,
    prelu1: PRelu,
    conv2: Conv2d,
    prelu2: PRelu,
    conv3: Conv2d,
    prelu3: PRelu,
    conv4_1: Conv2d,
    conv4_2: Conv2d,
}

/// P-Net's outputs for a batch.
#[derive(Debug)]
pub struct PNetOutput {
    /// Box offsets `[n, 4, h', w']` (x1, y1, x2, y2, as fractions of the 12-pixel window).
    pub regression: Tensor<4>,
    /// Face probability `[n, h', w']`.
    pub face_probability: Tensor<3>,
}

impl PNet {
    /// An uninitialised P-Net (weights come from [`crate::import::mtcnn`]).
    pub fn new(device: &Device) -> Self {
        Self {
            conv1: Conv2dConfig::new([3, 10], [3, 3]).init(device),
            prelu1: PReluConfig::new().with_num_parameters(10).init(device),
            conv2: Conv2dConfig::new([10, 16], [3, 3]).init(device),
            prelu2: PReluConfig::new().with_num_parameters(16).init(device),
            conv3: Conv2dConfig::new([16, 32], [3, 3]).init(device),
            prelu3: PReluConfig::new().with_num_parameters(32).init(device),
            conv4_1: Conv2dConfig::new([32, 2], [1, 1]).init(device),
            conv4_2: Conv2dConfig::new([32, 4], [1, 1]).init(device),
        }
    }

    /// # Shapes
    /// `[n, 3, h, w]` → regression `[n, 4, h', w']`, probability `[n, h', w']`, with
    /// `h' = ⌈(h − 2) / 2⌉ − 4` (and likewise `w'`).
    pub fn forward(&self, x: Tensor<4>) -> PNetOutput {
        let x = self.prelu1.forward(self.conv1.forward(x)); // [n, 10, h-2, w-2]
        let x = max_pool_ceil(x, 2, 2); // [n, 10, ⌈(h-2)/2⌉, ⌈(w-2)/2⌉]
        let x = self.prelu2.forward(self.conv2.forward(x)); // [n, 16, h'+2, w'+2]
        let x = self.prelu3.forward(self.conv3.forward(x)); // [n, 32, h', w']
        let classes = softmax(self.conv4_1.forward(x.clone()), 1); // [n, 2, h', w']
        let [n, _, h, w] = classes.dims();
        let face_probability = classes.slice([0..n, 1..2, 0..h, 0..w]).reshape([n, h, w]);
        PNetOutput {
            regression: self.conv4_2.forward(x),
            face_probability,
        }
    }
}

/// P-Net's layers as im2col + gemm kernels ([`DenseConv`]), built once from the module's weights: the
/// path MTCNN runs on the image pyramid. Same arithmetic as [`PNet::forward`] (checked in the tests).
#[derive(Debug, Clone)]
pub struct PNetKernels {
    conv1: DenseConv,
    conv2: DenseConv,
    conv3: DenseConv,
    /// conv4_1 (2 class scores) and conv4_2 (4 offsets) as one 1×1 convolution with 6 outputs.
    heads: DenseConv,
}

/// P-Net's outputs for one image, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct PNetMaps {
    /// Face probability `[h', w']`.
    pub face_probability: Vec<f32>,
    /// Box offsets `[4, h', w']`.
    pub regression: Vec<f32>,
    pub height: usize,
    pub width: usize,
}

impl PNet {
    /// The fast kernels for this P-Net's weights.
    pub fn kernels(&self) -> PNetKernels {
        PNetKernels {
            conv1: DenseConv::new(&self.conv1, Some(&self.prelu1)),
            conv2: DenseConv::new(&self.conv2, Some(&self.prelu2)),
            conv3: DenseConv::new(&self.conv3, Some(&self.prelu3)),
            heads: DenseConv::stacked(&[DenseConv::new(&self.conv4_1, None), DenseConv::new(&self.conv4_2, None)]),
        }
    }
}

impl PNetKernels {
    /// # Shapes
    /// `image` `[3, h, w]` (normalised) → probability `[h', w']`, regression `[4, h', w']`.
    pub fn forward(&self, image: &[f32], h: usize, w: usize) -> PNetMaps {
        let (x, h1, w1) = self.conv1.forward(image, h, w); // [10, h-2, w-2]
        let (x, h2, w2) = max_pool_ceil_planes(&x, h1, w1, 2, 2); // [10, ⌈(h-2)/2⌉, ⌈(w-2)/2⌉]
        let (x, h3, w3) = self.conv2.forward(&x, h2, w2); // [16, h'+2, w'+2]
        let (x, h4, w4) = self.conv3.forward(&x, h3, w3); // [32, h', w']
        let (heads, height, width) = self.heads.forward(&x, h4, w4); // [6, h', w']
        let plane = height * width;
        let face_probability = heads[..plane]
            .iter()
            .zip(&heads[plane..2 * plane])
            .map(|(&background, &face)| {
                let top = background.max(face);
                let (eb, ef) = ((background - top).exp(), (face - top).exp());
                ef / (eb + ef)
            })
            .collect();
        PNetMaps {
            face_probability,
            regression: heads[2 * plane..].to_vec(),
            height,
            width,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Distribution, TensorData};

    #[test]
    fn kernels_equal_the_burn_forward() {
        let device = facenet_kernels::device::default_device();
        let pnet = PNet::new(&device);
        let (h, w) = (31, 24);
        let image = Tensor::<4>::random([1, 3, h, w], Distribution::Normal(0.0, 1.0), &device);
        let want = pnet.forward(image.clone());
        let pixels: Vec<f32> = image.into_data().try_into_vec().unwrap();
        let got = pnet.kernels().forward(&pixels, h, w);
        let [_, oh, ow] = want.face_probability.dims();
        assert_eq!((got.height, got.width), (oh, ow));
        let close = |a: &[f32], b: TensorData| {
            let b: Vec<f32> = b.try_into_vec().unwrap();
            a.iter().zip(&b).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max)
        };
        assert!(close(&got.face_probability, want.face_probability.into_data()) < 1e-5);
        assert!(close(&got.regression, want.regression.into_data()) < 1e-4);
    }
}
