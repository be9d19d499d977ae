//! R-Net, MTCNN's refinement network (Zhang et al. 2016, arXiv:1604.02878, Fig. 2), laid out as
//! facenet-pytorch 2.6.0's `RNet`. Input `[n, 3, 24, 24]` candidate crops → face probability and box
//! offsets.

use super::pool::max_pool_ceil;
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Linear, LinearConfig, PRelu, PReluConfig};
use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor};

/// R-Net; field names follow the checkpoint's keys.
#[derive(Module, Debug)]
pub struct RNet {
    conv1: Conv2d,
    prelu1: PRelu,
    conv2: Conv2d,
    prelu2: PRelu,
    conv3: Conv2d,
    prelu3: PRelu,
    dense4: Linear,
    prelu4: PRelu,
    dense5_1: Linear,
    dense5_2: Linear,
}

/// R-Net's outputs for a batch.
#[derive(Debug)]
pub struct RNetOutput {
    /// Box offsets `[n, 4]`.
    pub regression: Tensor<2>,
    /// Face probability `[n]`.
    pub face_probability: Tensor<1>,
}

impl RNet {
    /// An uninitialised R-Net (weights come from [`crate::import::mtcnn`]).
    pub fn new(device: &Device) -> Self {
        Self {
            conv1: Conv2dConfig::new([3, 28], [3, 3]).init(device),
            prelu1: PReluConfig::new().with_num_parameters(28).init(device),
            conv2: Conv2dConfig::new([28, 48], [3, 3]).init(device),
            prelu2: PReluConfig::new().with_num_parameters(48).init(device),
            conv3: Conv2dConfig::new([48, 64], [2, 2]).init(device),
            prelu3: PReluConfig::new().with_num_parameters(64).init(device),
            dense4: LinearConfig::new(576, 128).init(device),
            prelu4: PReluConfig::new().with_num_parameters(128).init(device),
            dense5_1: LinearConfig::new(128, 2).init(device),
            dense5_2: LinearConfig::new(128, 4).init(device),
        }
    }

    /// # Shapes
    /// `[n, 3, 24, 24]` → regression `[n, 4]`, probability `[n]`.
    pub fn forward(&self, x: Tensor<4>) -> RNetOutput {
        let x = self.prelu1.forward(self.conv1.forward(x)); // [n, 28, 22, 22]
        let x = max_pool_ceil(x, 3, 2); // [n, 28, 11, 11]
        let x = self.prelu2.forward(self.conv2.forward(x)); // [n, 48, 9, 9]
        let x = max_pool_ceil(x, 3, 2); // [n, 48, 4, 4]
        let x = self.prelu3.forward(self.conv3.forward(x)); // [n, 64, 3, 3]
        let n = x.dims()[0];
        // The checkpoint's dense layer reads the features in (w, h, c) order.
        let x = x.permute([0, 3, 2, 1]).reshape([n, 576]); // [n, 576]
        let x = self.prelu4.forward(self.dense4.forward(x)); // [n, 128]
        let classes = softmax(self.dense5_1.forward(x.clone()), 1); // [n, 2]
        let face_probability = classes.slice([0..n, 1..2]).reshape([n]);
        RNetOutput {
            regression: self.dense5_2.forward(x),
            face_probability,
        }
    }
}
