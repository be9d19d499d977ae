//! O-Net, MTCNN's output network (Zhang et al. 2016, arXiv:1604.02878, Fig. 2), laid out as
//! facenet-pytorch 2.6.0's `ONet`. Input `[n, 3, 48, 48]` crops → face probability, box offsets and
//! 5 landmarks (left eye, right eye, nose, left and right mouth corners).

use super::pool::max_pool_ceil;
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Linear, LinearConfig, PRelu, PReluConfig};
use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor};

/// O-Net; field names follow the checkpoint's keys.
#[derive(Module, Debug)]
pub struct ONet {
    conv1: Conv2d,
    prelu1: PRelu,
    conv2: Conv2d,
    prelu2: PRelu,
    conv3: Conv2d,
    prelu3: PRelu,
    conv4: Conv2d,
    prelu4: PRelu,
    dense5: Linear,
    prelu5: PRelu,
    dense6_1: Linear,
    dense6_2: Linear,
    dense6_3: Linear,
}

/// O-Net's outputs for a batch.
#[derive(Debug)]
pub struct ONetOutput {
    /// Box offsets `[n, 4]`.
    pub regression: Tensor<2>,
    /// Landmarks `[n, 10]`: x of the 5 points, then y, as fractions of the crop.
    pub landmarks: Tensor<2>,
    /// Face probability `[n]`.
    pub face_probability: Tensor<1>,
}

impl ONet {
    /// An uninitialised O-Net (weights come from [`crate::import::mtcnn`]).
    pub fn new(device: &Device) -> Self {
        Self {
            conv1: Conv2dConfig::new([3, 32], [3, 3]).init(device),
            prelu1: PReluConfig::new().with_num_parameters(32).init(device),
            conv2: Conv2dConfig::new([32, 64], [3, 3]).init(device),
            prelu2: PReluConfig::new().with_num_parameters(64).init(device),
            conv3: Conv2dConfig::new([64, 64], [3, 3]).init(device),
            prelu3: PReluConfig::new().with_num_parameters(64).init(device),
            conv4: Conv2dConfig::new([64, 128], [2, 2]).init(device),
            prelu4: PReluConfig::new().with_num_parameters(128).init(device),
            dense5: LinearConfig::new(1152, 256).init(device),
            prelu5: PReluConfig::new().with_num_parameters(256).init(device),
            dense6_1: LinearConfig::new(256, 2).init(device),
            dense6_2: LinearConfig::new(256, 4).init(device),
            dense6_3: LinearConfig::new(256, 10).init(device),
        }
    }

    /// # Shapes
    /// `[n, 3, 48, 48]` → regression `[n, 4]`, landmarks `[n, 10]`, probability `[n]`.
    pub fn forward(&self, x: Tensor<4>) -> ONetOutput {
        let x = self.prelu1.forward(self.conv1.forward(x)); // [n, 32, 46, 46]
        let x = max_pool_ceil(x, 3, 2); // [n, 32, 23, 23]
        let x = self.prelu2.forward(self.conv2.forward(x)); // [n, 64, 21, 21]
        let x = max_pool_ceil(x, 3, 2); // [n, 64, 10, 10]
        let x = self.prelu3.forward(self.conv3.forward(x)); // [n, 64, 8, 8]
        let x = max_pool_ceil(x, 2, 2); // [n, 64, 4, 4]
        let x = self.prelu4.forward(self.conv4.forward(x)); // [n, 128, 3, 3]
        let n = x.dims()[0];
        // The checkpoint's dense layer reads the features in (w, h, c) order.
        let x = x.permute([0, 3, 2, 1]).reshape([n, 1152]); // [n, 1152]
        let x = self.prelu5.forward(self.dense5.forward(x)); // [n, 256]
        let classes = softmax(self.dense6_1.forward(x.clone()), 1); // [n, 2]
        let face_probability = classes.slice([0..n, 1..2]).reshape([n]);
        ONetOutput {
            regression: self.dense6_2.forward(x.clone()),
            landmarks: self.dense6_3.forward(x),
            face_probability,
        }
    }
}
