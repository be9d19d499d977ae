//! P-Net, MTCNN's proposal network (Zhang et al. 2016, arXiv:1604.02878, Fig. 2), laid out as
//! facenet-pytorch 2.6.0's `PNet`: fully convolutional, a 12×12 window per output cell at stride 2.
//! Input `[n, 3, h, w]` normalised as `(x − 127.5) / 128` → face probability and box offsets per cell.

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{PRelu, PReluConfig};
use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor};

/// P-Net; field names follow the checkpoint's keys.
#[derive(Module, Debug)]
pub struct PNet {
    conv1: Conv2d,
    prelu1: PRelu,
    pool1: MaxPool2d,
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
            pool1: MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).with_ceil_mode(true).init(),
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
        let x = self.pool1.forward(x); // [n, 10, ⌈(h-2)/2⌉, ⌈(w-2)/2⌉]
        let x = self.prelu2.forward(self.conv2.forward(x)); // [n, 16, h'+2, w'+2]
        let x = self.prelu3.forward(self.conv3.forward(x)); // [n, 32, h', w']
        let classes = softmax(self.conv4_1.forward(x.clone()), 1); // [n, 2, h', w']
        let [n, _, h, w] = classes.dims();
        let face_probability = classes.slice([0..n, 1..2, 0..h, 0..w]).reshape([n, h, w]);
        PNetOutput { regression: self.conv4_2.forward(x), face_probability }
    }
}
