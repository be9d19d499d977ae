//! The FaceNet networks of Schroff et al. 2015 (arXiv:1503.03832) behind one model type, [`FaceNet`],
//! built from a [`FaceNetConfig`]: `FaceNetConfig::new(Arch::Nn4).init(&device).forward(x)` maps
//! `[b, 3, h, w]` images to `[b, d]` L2-normalised embeddings.
//!
//! One file per architecture: [`super::nn1`] (Table 1), [`super::inception`] (Table 2's NN2 and its
//! variants NN3, NN4, NNS1), [`super::nns2`]. Each describes its network as a [`NetSpec`]; the same spec
//! builds the burn module and the paper-style summary. The choices the paper leaves open are in
//! [`crate::options`].
//!
//! davidsandberg's Inception-ResNet-v1 ([`Arch::InceptionResnetV1`]) is a FaceNet of the same shape, so the
//! trainer, the weight average, checkpoints and `--model RUN_DIR` take it unchanged: its features are the
//! stages of [`InceptionResnetV1Spec`] as [`Layer::TfConv`] / [`Layer::Residual`] / [`Layer::Reduction`]
//! ([`super::inception_resnet_v1::trainable`]) and the global average pool; its embedding is the
//! bottleneck fc without bias followed by [`FaceNet::bottleneck_bn`].

use super::inception::{Inception, InceptionConfig};
use super::inception_resnet_v1::trainable::{ReductionBlock, ResidualBlock, TfConv, batch_norm, valid_max_pool};
use super::inception_resnet_v1::{Branch, InceptionResnetV1Spec, Stage};
use super::{nn1, nns2};
use crate::layers::{ConvUnit, Fc, Lrn, Pool, l2_normalize};
use crate::options::ArchOptions;
use crate::spec::{InputSize, LayerSpec, NetSpec, Summary};
use burn::config::Config;
use burn::module::{Module, ModuleVisitor, Param};
use burn::nn::pool::{AdaptiveAvgPool2d, AdaptiveAvgPool2dConfig};
use burn::nn::{BatchNorm, Linear, LinearConfig};
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The paper's architectures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arch {
    /// Zeiler&Fergus + 1×1 convs, 220×220, 140M params, 1.6B multiply-adds (Table 1).
    Nn1,
    /// Inception, 224×224, 7.5M params, 1.6B multiply-adds (Table 2).
    Nn2,
    /// NN2 at 160×160.
    Nn3,
    /// Inception at 96×96, no 5×5 in the higher layers, ~285M multiply-adds.
    Nn4,
    /// Small Inception at 165×165, ~220M multiply-adds.
    Nns1,
    /// Tiny net at 140×116, 4.3M params, ~20M multiply-adds.
    Nns2,
    /// davidsandberg's Inception-ResNet-v1 (Szegedy et al. 2016) at 160×160, the pretrained FaceNet's network;
    /// not one of the paper's.
    #[serde(rename = "inception-resnet-v1")]
    InceptionResnetV1,
}

impl Arch {
    pub const ALL: [Arch; 6] = [Arch::Nn1, Arch::Nn2, Arch::Nn3, Arch::Nn4, Arch::Nns1, Arch::Nns2];

    /// The lowercase name (`nn4`), as on the command line and in checkpoint configs.
    pub fn name(self) -> &'static str {
        match self {
            Arch::Nn1 => "nn1",
            Arch::Nn2 => "nn2",
            Arch::Nn3 => "nn3",
            Arch::Nn4 => "nn4",
            Arch::Nns1 => "nns1",
            Arch::Nns2 => "nns2",
            Arch::InceptionResnetV1 => super::inception_resnet_v1::ARCH_NAME,
        }
    }

    /// The input the network expects (height × width × 3).
    pub fn input_size(self) -> InputSize {
        match self.spec(128) {
            Some(spec) => spec.input,
            None => InceptionResnetV1Spec::facenet_20180408().input,
        }
    }

    /// The layer list with an `embedding_dim`-D embedding; None for Inception-ResNet-v1, which
    /// [`InceptionResnetV1Spec`] describes.
    pub fn spec(self, embedding_dim: usize) -> Option<NetSpec> {
        Some(match self {
            Arch::Nn1 => nn1::spec(embedding_dim),
            Arch::Nn2 => InceptionConfig::nn2().spec(embedding_dim),
            Arch::Nn3 => InceptionConfig::nn3().spec(embedding_dim),
            Arch::Nn4 => InceptionConfig::nn4().spec(embedding_dim),
            Arch::Nns1 => InceptionConfig::nns1().spec(embedding_dim),
            Arch::Nns2 => nns2::spec(embedding_dim),
            Arch::InceptionResnetV1 => return None,
        })
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Arch {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Arch::ALL
            .into_iter()
            .chain([Arch::InceptionResnetV1])
            .find(|a| a.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("unknown architecture '{s}' (expected nn1, nn2, nn3, nn4, nns1, nns2 or inception-resnet-v1)")
            })
    }
}

/// Which FaceNet to build: architecture, embedding size (64, 128, 256, 512 in the paper; default 128),
/// the open choices, and optionally an input size other than the architecture's (the same layers on
/// smaller or larger faces, e.g. NNS2's layers at 70×58 for fast CPU training; the paper's NN3 is NN2
/// at 160×160 in the same way).
#[derive(Config, Debug, PartialEq)]
pub struct FaceNetConfig {
    pub arch: Arch,
    #[config(default = 128)]
    pub embedding_dim: usize,
    #[config(default = "ArchOptions::new()")]
    pub options: ArchOptions,
    /// The input size when it is not the architecture's (None: [`Arch::input_size`]).
    #[config(default = "None")]
    pub input: Option<InputSize>,
}

impl FaceNetConfig {
    /// The layer list of this network (None for Inception-ResNet-v1: [`InceptionResnetV1Spec`]).
    pub fn spec(&self) -> Option<NetSpec> {
        let mut spec = self.arch.spec(self.embedding_dim)?;
        spec.input = self.input_size();
        Some(spec)
    }

    /// Inception-ResNet-v1's spec at this config's input and embedding size.
    fn inception_resnet_v1(&self) -> InceptionResnetV1Spec {
        InceptionResnetV1Spec {
            input: self.input_size(),
            embedding_dim: self.embedding_dim,
            ..InceptionResnetV1Spec::facenet_20180408()
        }
    }

    /// The input the network takes: the override if set, else the architecture's.
    pub fn input_size(&self) -> InputSize {
        self.input.unwrap_or_else(|| self.arch.input_size())
    }

    /// The paper-style table: output size, weights and multiply-adds per layer.
    pub fn summary(&self) -> Summary {
        match self.spec() {
            Some(spec) => spec.summary(self.arch.name(), &self.options),
            None => self.inception_resnet_v1().summary(),
        }
    }

    /// The names of the layers of [`FaceNet::features`], in order (the table's rows; Inception-ResNet-v1's
    /// TensorFlow scopes such as `Mixed_6a`, `Repeat_1/block17_10`, `Block8`).
    pub fn feature_names(&self) -> Vec<String> {
        match self.spec() {
            Some(spec) => spec.active_features(&self.options).map(|l| l.name.clone()).collect(),
            None => self
                .inception_resnet_v1()
                .stages
                .iter()
                .map(|s| s.scope().to_string())
                .chain(["Logits/AvgPool_1a_8x8".to_string()])
                .collect(),
        }
    }

    /// Number of weights as [`FaceNet::num_weights`] counts them (every tensor of rank ≥ 2).
    pub fn num_weights(&self) -> u64 {
        match self.spec() {
            Some(_) => self.summary().params,
            None => {
                let spec = self.inception_resnet_v1();
                let convs: u64 = spec
                    .convs()
                    .map(|c| c.weight_shape().iter().product::<usize>() as u64)
                    .sum();
                convs + (spec.feature_shape().0 * spec.embedding_dim) as u64
            }
        }
    }

    /// Builds the network with freshly initialised weights on `device` (an autodiff device to train).
    pub fn init(&self, device: &Device) -> FaceNet {
        let Some(spec) = self.spec() else {
            return self.init_inception_resnet_v1(device);
        };
        let mut channels = 3;
        let mut shape = (3, spec.input.height, spec.input.width);
        let mut features = Vec::new();
        for named in spec.active_features(&self.options) {
            features.push(Layer::new(&named.layer, channels, &self.options, device));
            shape = named.layer.cost(shape).0;
            channels = shape.0;
        }
        let mut width = shape.0 * shape.1 * shape.2;
        let mut hidden = Vec::new();
        for fc in &spec.hidden {
            hidden.push(Fc::new(width, fc.out, fc.pieces, &self.options, device));
            width = fc.out;
        }
        let embedding = LinearConfig::new(width, self.embedding_dim)
            .with_initializer(self.options.init.initializer())
            .init(device);
        FaceNet {
            features,
            hidden,
            embedding,
            bottleneck_bn: None,
        }
    }

    /// Inception-ResNet-v1: its stages, the global average pool, the bottleneck fc (no bias) + batch norm.
    fn init_inception_resnet_v1(&self, device: &Device) -> FaceNet {
        let spec = self.inception_resnet_v1();
        let mut features: Vec<Layer> = spec.stages.iter().map(|s| Layer::stage(s, device)).collect();
        features.push(Layer::GlobalAvgPool(AdaptiveAvgPool2dConfig::new([1, 1]).init()));
        let embedding = LinearConfig::new(spec.feature_shape().0, spec.embedding_dim)
            .with_bias(false)
            .init(device);
        FaceNet {
            features,
            hidden: vec![],
            embedding,
            bottleneck_bn: Some(batch_norm(spec.embedding_dim, device)),
        }
    }
}

/// One layer of a network's convolutional part. An Inception module is larger than the other variants;
/// a network holds a few dozen layers, so boxing it would save nothing that matters.
#[derive(Module, Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Layer {
    Conv(ConvUnit),
    Pool(Pool),
    Lrn(Lrn),
    Inception(Inception),
    GlobalAvgPool(AdaptiveAvgPool2d),
    /// Inception-ResNet-v1's layers.
    TfConv(TfConv),
    Residual(ResidualBlock),
    Reduction(ReductionBlock),
}

impl Layer {
    fn new(spec: &LayerSpec, channels_in: usize, options: &ArchOptions, device: &Device) -> Self {
        match spec {
            LayerSpec::Conv { out, kernel, stride } => {
                Layer::Conv(ConvUnit::new(channels_in, *out, *kernel, *stride, options, device))
            }
            LayerSpec::Pool { kind, kernel, stride } => Layer::Pool(Pool::new(*kind, *kernel, *stride, options)),
            LayerSpec::Lrn => Layer::Lrn(Lrn::new(
                options.lrn.as_ref().expect("LRN layers are kept only with LRN options"),
            )),
            LayerSpec::Inception(module) => Layer::Inception(module.init(channels_in, options, device)),
            LayerSpec::GlobalAvgPool => Layer::GlobalAvgPool(AdaptiveAvgPool2dConfig::new([1, 1]).init()),
        }
    }

    /// The layer of an Inception-ResNet-v1 stage, with fresh weights.
    fn stage(stage: &Stage, device: &Device) -> Self {
        match stage {
            Stage::Conv(conv) => Layer::TfConv(TfConv::new(conv, device)),
            Stage::MaxPool { .. } => Layer::Pool(Pool::Max(valid_max_pool())),
            Stage::Residual {
                branches,
                up,
                scale,
                relu,
                ..
            } => Layer::Residual(ResidualBlock::new(branches, up, *scale, *relu, device)),
            Stage::Reduction { branches, .. } => {
                let branches: Vec<_> = branches
                    .iter()
                    .map(|b| match b {
                        Branch::Convs(convs) => Some(convs.as_slice()),
                        Branch::MaxPool => None,
                    })
                    .collect();
                Layer::Reduction(ReductionBlock::new(&branches, device))
            }
        }
    }

    /// # Shapes
    /// `[b, c, h, w]` → `[b, c', h', w']`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        match self {
            Layer::Conv(unit) => unit.forward(x),
            Layer::Pool(pool) => pool.forward(x),
            Layer::Lrn(lrn) => lrn.forward(x),
            Layer::Inception(module) => module.forward(x),
            Layer::GlobalAvgPool(pool) => pool.forward(x),
            Layer::TfConv(conv) => conv.forward(x),
            Layer::Residual(block) => block.forward(x),
            Layer::Reduction(block) => block.forward(x),
        }
    }
}

/// A FaceNet network of any architecture: conv part, flatten, hidden fc layers, embedding fc (+ batch norm
/// for Inception-ResNet-v1's bottleneck), L2 norm.
#[derive(Module, Debug)]
pub struct FaceNet {
    pub features: Vec<Layer>,
    pub hidden: Vec<Fc>,
    pub embedding: Linear,
    /// The bottleneck's batch norm (Inception-ResNet-v1 only).
    pub bottleneck_bn: Option<BatchNorm>,
}

impl FaceNet {
    /// Embeds a batch of images (already preprocessed, e.g. `(x − 127.5) / 128`).
    ///
    /// # Shapes
    /// `[b, 3, h, w]` (the architecture's input size) → `[b, embedding_dim]`, every row of unit L2 norm.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let x = self.features.iter().fold(x, |x, layer| layer.forward(x)); // [b, c, h', w']
        let [b, c, h, w] = x.dims();
        let x = x.reshape([b, c * h * w]); // [b, c·h'·w']
        let x = self.hidden.iter().fold(x, |x, fc| fc.forward(x)); // [b, hidden]
        l2_normalize(self.bottleneck(x)) // [b, embedding_dim]
    }

    /// The embedding fc (and its batch norm, if any) before the L2 norm.
    ///
    /// # Shapes
    /// `[b, inputs]` → `[b, embedding_dim]`
    pub fn bottleneck(&self, x: Tensor<2>) -> Tensor<2> {
        let y = self.embedding.forward(x);
        match &self.bottleneck_bn {
            Some(bn) => bn.forward(y),
            None => y,
        }
    }

    /// Number of weights as the paper counts them: conv kernels and fc matrices, without biases and
    /// batch-norm parameters (every tensor of rank ≥ 2). Does not initialise lazy parameters.
    pub fn num_weights(&self) -> u64 {
        struct WeightCounter(u64);
        impl ModuleVisitor for WeightCounter {
            fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
                if D >= 2 {
                    self.0 += param.lazy_shape().num_elements() as u64;
                }
            }
        }
        let mut counter = WeightCounter(0);
        self.visit(&mut counter);
        counter.0
    }

    /// The most values one tensor of the network holds (NN1's fc1: 102.8M), which a GPU must bind as one
    /// buffer ([`facenet_kernels::device::check_fits`]).
    pub fn largest_tensor(&self) -> usize {
        struct Largest(usize);
        impl ModuleVisitor for Largest {
            fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
                self.0 = self.0.max(param.lazy_shape().num_elements());
            }
        }
        let mut largest = Largest(0);
        self.visit(&mut largest);
        largest.0
    }

    /// Refuses a `device` that cannot hold the network's largest tensor; `name` names the network.
    pub fn check_fits(&self, device: &Device, name: &str) -> Result<(), facenet_kernels::device::DeviceError> {
        facenet_kernels::device::check_fits(device, self.largest_tensor(), name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loss::triplet_loss;
    use burn::optim::{AdaGradConfig, GradientsParams};
    use burn::tensor::Distribution;

    fn within(value: u64, paper: f64, tolerance: f64) -> bool {
        ((value as f64 - paper) / paper).abs() <= tolerance
    }

    #[test]
    fn nn1_totals_match_table_1() {
        let s = FaceNetConfig::new(Arch::Nn1).summary();
        assert!(within(s.params, 140.0e6, 0.01), "params {}", s.params);
        assert!(
            within(s.multiply_adds, 1.61e9, 0.01),
            "multiply-adds {}",
            s.multiply_adds
        );
        let fc1 = s.layers.iter().find(|l| l.name == "fc1").expect("fc1 row");
        assert_eq!(fc1.params, 7 * 7 * 256 * 8192);
        assert_eq!(fc1.output, [1, 1, 4096]);
    }

    #[test]
    fn nn2_totals_and_modules_match_table_2() {
        let s = FaceNetConfig::new(Arch::Nn2).summary();
        assert!(within(s.params, 7.45e6, 0.01), "params {}", s.params);
        assert!(
            within(s.multiply_adds, 1.60e9, 0.01),
            "multiply-adds {}",
            s.multiply_adds
        );
        let modules: Vec<u64> = s
            .layers
            .iter()
            .filter(|l| l.name.starts_with("inception_") && l.name != "inception_2")
            .map(|l| l.params)
            .collect();
        assert_eq!(
            modules,
            vec![
                163_328, 227_328, 397_312, 544_768, 594_432, 653_312, 721_408, 716_800, 1_587_200, 1_587_200
            ]
        );
        let output = |name: &str| s.layers.iter().find(|l| l.name == name).expect("row").output;
        assert_eq!(output("inception_3c"), [14, 14, 640]);
        assert_eq!(output("inception_4e"), [7, 7, 1024]);
        assert_eq!(output("avg_pool"), [1, 1, 1024]);
        // Table 2 rows the paper prints in FLOPS (multiply-adds), each within 1 %
        let macs = |name: &str| s.layers.iter().find(|l| l.name == name).expect("row").multiply_adds as f64;
        for (name, paper) in [
            ("conv1", 119e6),
            ("inception_2", 360e6),
            ("inception_3c", 108e6),
            ("inception_5a", 78e6),
        ] {
            assert!((macs(name) - paper).abs() / paper < 0.01, "{name}: {}", macs(name));
        }
    }

    #[test]
    fn variants_reach_the_papers_figures() {
        let s = |arch| FaceNetConfig::new(arch).summary();
        assert_eq!(s(Arch::Nn3).params, s(Arch::Nn2).params, "NN3 has NN2's layers");
        assert_eq!(s(Arch::Nn3).input, [160, 160, 3]);
        assert!(
            within(s(Arch::Nn4).multiply_adds, 285e6, 0.02),
            "nn4 {}",
            s(Arch::Nn4).multiply_adds
        );
        assert!(
            within(s(Arch::Nns1).multiply_adds, 220e6, 0.02),
            "nns1 {}",
            s(Arch::Nns1).multiply_adds
        );
        assert!(
            within(s(Arch::Nns2).params, 4.3e6, 0.01),
            "nns2 {}",
            s(Arch::Nns2).params
        );
        assert!(
            within(s(Arch::Nns2).multiply_adds, 20e6, 0.05),
            "nns2 {}",
            s(Arch::Nns2).multiply_adds
        );
    }

    #[test]
    fn summary_counts_the_weights_the_built_module_has() {
        let device = Device::flex();
        for arch in Arch::ALL {
            for options in [
                ArchOptions::new(),
                ArchOptions::new().with_batch_norm(false).with_lrn(None),
            ] {
                let config = FaceNetConfig::new(arch).with_options(options);
                let model = config.init(&device);
                assert_eq!(model.num_weights(), config.summary().params, "{arch}");
            }
        }
    }

    #[test]
    fn embedding_size_is_configurable_and_rows_are_unit_norm() {
        let device = Device::flex();
        for dim in [64, 256] {
            let model = FaceNetConfig::new(Arch::Nns2).with_embedding_dim(dim).init(&device);
            let x = Tensor::<4>::random([2, 3, 140, 116], Distribution::Normal(0.0, 1.0), &device);
            let y = model.forward(x);
            assert_eq!(y.dims(), [2, dim]);
            let norms = y.square().sum_dim(1).into_data().try_to_vec::<f32>().unwrap();
            assert!(norms.iter().all(|n| (n - 1.0).abs() < 1e-4), "{norms:?}");
        }
    }

    #[test]
    fn nn4_embeds_96x96_batches() {
        let device = Device::flex();
        let model = FaceNetConfig::new(Arch::Nn4).init(&device);
        let x = Tensor::<4>::random([2, 3, 96, 96], Distribution::Normal(0.0, 1.0), &device);
        assert_eq!(model.forward(x).dims(), [2, 128]);
    }

    /// One AdaGrad step on a batch of `triplets` random triplets: every gradient finite, every weight
    /// tensor that should learn changes.
    fn one_training_step_changes_weights(arch: Arch, triplets: usize) {
        let device = Device::flex().autodiff();
        let model = FaceNetConfig::new(arch).init(&device);
        let input = arch.input_size();
        let x = Tensor::<4>::random(
            [3 * triplets, 3, input.height, input.width],
            Distribution::Normal(0.0, 1.0),
            &device,
        );
        let y = model.forward(x); // [3t, d]: anchors, positives, negatives
        let [a, p, n] = [0, 1, 2].map(|i| y.clone().narrow(0, i * triplets, triplets));
        // margin 4 (the largest squared distance) keeps every triplet active, so every weight gets a gradient
        let loss = triplet_loss(a, p, n, 4.0);
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        let before = weights(&model);
        let mut optim = AdaGradConfig::new().init();
        let model = optim.step(0.05, model, grads);
        let after = weights(&model);
        assert_eq!(before.len(), after.len());
        for (i, (b, a)) in before.iter().zip(&after).enumerate() {
            assert!(a.iter().all(|v| v.is_finite()), "{arch}: tensor {i} not finite");
            assert!(
                b.iter().zip(a).any(|(x, y)| x != y),
                "{arch}: tensor {i} did not change"
            );
        }
    }

    /// Every weight tensor (rank ≥ 2) of `model`, flattened.
    fn weights(model: &FaceNet) -> Vec<Vec<f32>> {
        struct Collect(Vec<Vec<f32>>);
        impl ModuleVisitor for Collect {
            fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
                if D >= 2 {
                    self.0
                        .push(param.val().into_data().try_to_vec::<f32>().expect("f32 weights"));
                }
            }
        }
        let mut collect = Collect(vec![]);
        model.visit(&mut collect);
        collect.0
    }

    #[test]
    fn training_step_nn1() {
        one_training_step_changes_weights(Arch::Nn1, 1);
    }

    #[test]
    fn training_step_nn2() {
        one_training_step_changes_weights(Arch::Nn2, 1);
    }

    #[test]
    fn training_step_nn3() {
        one_training_step_changes_weights(Arch::Nn3, 1);
    }

    #[test]
    fn training_step_nn4() {
        one_training_step_changes_weights(Arch::Nn4, 2);
    }

    #[test]
    fn training_step_nns1() {
        one_training_step_changes_weights(Arch::Nns1, 2);
    }

    #[test]
    fn training_step_nns2() {
        one_training_step_changes_weights(Arch::Nns2, 3);
    }

    #[test]
    fn training_step_without_batch_norm_or_lrn() {
        let device = Device::flex().autodiff();
        let options = ArchOptions::new().with_batch_norm(false).with_lrn(None);
        let model = FaceNetConfig::new(Arch::Nns2).with_options(options).init(&device);
        let x = Tensor::<4>::random([3, 3, 140, 116], Distribution::Normal(0.0, 1.0), &device);
        let y = model.forward(x);
        let [a, p, n] = [0, 1, 2].map(|i| y.clone().narrow(0, i, 1));
        let grads = triplet_loss(a, p, n, 4.0).backward();
        let conv1 = match &model.features[0] {
            Layer::Conv(unit) => unit.conv.weight.grad(&grads).expect("conv1 has a gradient"),
            other => panic!("conv1 should be a conv, got {other:?}"),
        };
        let g = conv1.into_data().try_to_vec::<f32>().unwrap();
        assert!(g.iter().all(|v| v.is_finite()) && g.iter().any(|v| *v != 0.0));
    }

    #[test]
    fn inference_is_deterministic() {
        let device = Device::flex();
        for arch in [Arch::Nn4, Arch::Nns2] {
            let model = FaceNetConfig::new(arch).init(&device);
            let input = arch.input_size();
            let x = Tensor::<4>::random(
                [4, 3, input.height, input.width],
                Distribution::Normal(0.0, 1.0),
                &device,
            );
            let first = model.forward(x.clone()).into_data().try_to_vec::<f32>().unwrap();
            let second = model.forward(x.clone()).into_data().try_to_vec::<f32>().unwrap();
            assert_eq!(first, second, "{arch}: same input, same output");
            // a face's embedding does not depend on the rest of the batch (batch norm uses running stats)
            let alone = model
                .forward(x.narrow(0, 1, 1))
                .into_data()
                .try_to_vec::<f32>()
                .unwrap();
            let d = 128;
            for (a, b) in alone.iter().zip(&first[d..2 * d]) {
                assert!((a - b).abs() < 1e-5, "{arch}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn an_input_override_runs_the_same_layers_on_smaller_faces() {
        let device = Device::flex();
        let small = InputSize { height: 70, width: 58 };
        let config = FaceNetConfig::new(Arch::Nns2)
            .with_embedding_dim(32)
            .with_input(Some(small));
        assert_eq!(config.input_size(), small);
        assert_eq!(config.spec().unwrap().input, small);
        let model = config.init(&device);
        let x = Tensor::<4>::random([2, 3, 70, 58], Distribution::Normal(0.0, 1.0), &device);
        assert_eq!(model.forward(x).dims(), [2, 32]);
        // the same conv layers, a smaller fc1: 5×4×64 inputs instead of 9×8×64
        let full = FaceNetConfig::new(Arch::Nns2).with_embedding_dim(32);
        assert_eq!(
            full.summary().params - config.summary().params,
            (9 * 8 - 5 * 4) * 64 * 896
        );
        // configs written before the override existed read as "the architecture's input"
        let mut json = serde_json::to_value(&full).unwrap();
        json.as_object_mut().unwrap().remove("input");
        let old: FaceNetConfig = serde_json::from_value(json).unwrap();
        assert_eq!((old.input, old.input_size()), (None, Arch::Nns2.input_size()));
        let round_trip: FaceNetConfig = serde_json::from_str(&serde_json::to_string(&config).unwrap()).unwrap();
        assert_eq!(round_trip, config);
    }

    #[test]
    fn arch_names_round_trip() {
        for arch in Arch::ALL {
            assert_eq!(arch.name().parse::<Arch>(), Ok(arch));
        }
        assert!("nn5".parse::<Arch>().is_err());
        assert_eq!(
            Arch::Nns2.input_size(),
            InputSize {
                height: 140,
                width: 116
            }
        );
    }
}
