//! Fine-tuning the pretrained FaceNet (davidsandberg's 20180408-102900, Inception-ResNet-v1, 512-D):
//! its weights restored into the trainable network ([`crate::models::inception_resnet_v1::trainable`], an
//! [`Arch::InceptionResnetV1`] [`FaceNet`]), and the two ways to train only part of a network.
//!
//! The frozen graph stores every conv's batch norm folded into the conv's weights and an offset, and the
//! bottleneck's folded into its weights and a bias ([`crate::pretrained`]). [`restore`] puts the weights back
//! as read and restores a batch norm per conv whose inference output is exactly `conv(x) + offset`: running
//! mean 0, variance 1, `γ = √(1 + ε)`, `β = offset`. [`calibrate`] then re-parameterises each batch norm on
//! one batch (the first training batch): running mean and variance become the batch statistics `(m, v)` of
//! the conv's output, `γ = √(v + ε)`, `β = m + offset`. The network computes the pretrained function in
//! inference mode on any input, and in training mode (batch statistics) on that batch too, so fine-tuning
//! starts from the pretrained network rather than from a network whose norms see other statistics.
//!
//! [`freeze_until`]: the layers up to and including a named one get no gradient and keep their batch norms
//! on their running statistics (burn's [`Module::freeze`]), so they stay bit-identical.
//! [`freeze_batch_norm`]: every batch norm normalises with its running statistics, which no longer
//! change; `γ` and `β` still train.

use crate::models::inception_resnet_v1::trainable::{batch_statistics, restore_batch_norm};
use crate::models::inception_resnet_v1::{Branch, ConvSpec, InceptionResnetV1Spec, Stage, Weights};
use crate::models::{Arch, FaceNet, FaceNetConfig, Layer};
use crate::pretrained::{PretrainedFaceNet, converted_paths};
use crate::{Error, Result};
use burn::module::{Flag, Module, ModuleMapper, Param};
use burn::nn::BatchNorm;
use burn::nn::conv::Conv2d;
use burn::tensor::{Device, Tensor, TensorData};
use facenet_assets::Cache;

/// The config of the pretrained network: Inception-ResNet-v1, 512-D, 160×160.
pub fn pretrained_config() -> FaceNetConfig {
    FaceNetConfig::new(Arch::InceptionResnetV1).with_embedding_dim(512)
}

/// The pretrained FaceNet as a trainable network on `device` (fetching and converting the graph on first
/// use), its batch norms restored as the module doc says (not yet calibrated).
pub fn load_pretrained(cache: &Cache, device: &Device) -> Result<FaceNet> {
    let weights = PretrainedFaceNet::load_weights(cache)?;
    let source = converted_paths(&cache.derived_dir()?).0;
    restore(pretrained_config().init(device), weights, device).map_err(|e| Error::weights(&source, e))
}

/// Puts the frozen network's `weights` (by the names [`crate::models::inception_resnet_v1::InceptionResnetV1Cpu`]
/// reads) into `model`, built from [`pretrained_config`]; each must be there at its size.
pub fn restore(mut model: FaceNet, mut weights: Weights, device: &Device) -> std::result::Result<FaceNet, String> {
    let spec = InceptionResnetV1Spec::facenet_20180408();
    let mut take = |name: String, len: usize| -> std::result::Result<Vec<f32>, String> {
        let values = weights.remove(&name).ok_or_else(|| format!("{name}: missing"))?;
        match values.len() == len {
            true => Ok(values),
            false => Err(format!("{name}: {} values, expected {len}", values.len())),
        }
    };
    if model.features.len() != spec.stages.len() + 1 {
        return Err(format!(
            "the model has {} layers, not Inception-ResNet-v1's",
            model.features.len()
        ));
    }
    for (stage, layer) in spec.stages.iter().zip(model.features.iter_mut()) {
        let mismatch = || format!("{}: the model's layer is not this stage", stage.scope());
        match (stage, layer) {
            (Stage::Conv(conv), Layer::TfConv(unit)) => {
                restore_conv(&mut unit.conv, &mut unit.bn, conv, &mut take, device)?;
            }
            (Stage::MaxPool { .. }, Layer::Pool(_)) => {}
            (Stage::Residual { branches, up, .. }, Layer::Residual(block)) => {
                for (convs, units) in branches.iter().zip(block.branches.iter_mut()) {
                    for (conv, unit) in convs.iter().zip(units.iter_mut()) {
                        restore_conv(&mut unit.conv, &mut unit.bn, conv, &mut take, device)?;
                    }
                }
                let bias = take(format!("{}/bias", up.scope), up.out)?;
                block.up.weight = replaced(&block.up.weight, hwio_to_oihw(take_weights(up, &mut take)?, up, device));
                let bias = Tensor::from_data(TensorData::new(bias, [up.out]), device);
                block.up.bias = block.up.bias.as_ref().map(|b| replaced(b, bias));
            }
            (Stage::Reduction { branches, .. }, Layer::Reduction(block)) => {
                for (branch, units) in branches.iter().zip(block.branches.iter_mut()) {
                    if let Branch::Convs(convs) = branch {
                        for (conv, unit) in convs.iter().zip(units.iter_mut()) {
                            restore_conv(&mut unit.conv, &mut unit.bn, conv, &mut take, device)?;
                        }
                    }
                }
            }
            _ => return Err(mismatch()),
        }
    }
    let (c, d) = (spec.feature_shape().0, spec.embedding_dim);
    // x·W with W [c, d] row-major: burn's Linear stores [inputs, outputs] the same way
    let bottleneck = Tensor::from_data(
        TensorData::new(take("Bottleneck/weights".into(), c * d)?, [c, d]),
        device,
    );
    model.embedding.weight = replaced(&model.embedding.weight, bottleneck);
    let bias = take("Bottleneck/bias".into(), d)?;
    let bn = model
        .bottleneck_bn
        .as_mut()
        .ok_or("the model has no bottleneck batch norm")?;
    restore_offset(bn, bias, device);
    Ok(model)
}

type Take<'a> = dyn FnMut(String, usize) -> std::result::Result<Vec<f32>, String> + 'a;

fn take_weights(conv: &ConvSpec, take: &mut Take) -> std::result::Result<Vec<f32>, String> {
    take(format!("{}/weights", conv.scope), conv.weight_shape().iter().product())
}

/// A conv's weights and its batch norm from the folded offset.
fn restore_conv(
    target: &mut Conv2d,
    bn: &mut BatchNorm,
    conv: &ConvSpec,
    take: &mut Take,
    device: &Device,
) -> std::result::Result<(), String> {
    let weights = take_weights(conv, take)?;
    target.weight = replaced(&target.weight, hwio_to_oihw(weights, conv, device));
    restore_offset(bn, take(format!("{}/bias", conv.scope), conv.out)?, device);
    Ok(())
}

/// A batch norm computing `x + offset` in inference mode: mean 0, variance 1, `γ = √(1 + ε)`, `β = offset`.
fn restore_offset(bn: &mut BatchNorm, offset: Vec<f32>, device: &Device) {
    let n = offset.len();
    let gamma = Tensor::<1>::ones([n], device).mul_scalar((1.0 + bn.epsilon).sqrt());
    bn.gamma = replaced(&bn.gamma, gamma);
    bn.beta = replaced(&bn.beta, Tensor::from_data(TensorData::new(offset, [n]), device));
    bn.running_mean = burn::module::RunningState::new(Tensor::zeros([n], device));
    bn.running_var = burn::module::RunningState::new(Tensor::ones([n], device));
}

/// TensorFlow's HWIO filter as burn's OIHW weight.
fn hwio_to_oihw(values: Vec<f32>, conv: &ConvSpec, device: &Device) -> Tensor<4> {
    Tensor::<4>::from_data(TensorData::new(values, conv.weight_shape()), device).permute([3, 2, 0, 1])
}

/// `param` with `value` in place of its own (same id and gradient setting).
fn replaced<const D: usize>(param: &Param<Tensor<D>>, value: Tensor<D>) -> Param<Tensor<D>> {
    param.clone().map(|_| value)
}

/// Calibrates every batch norm of an Inception-ResNet-v1 `model` (in inference form: `model.valid()`) on
/// the batch `x` (`[b, 3, 160, 160]`, standardised, on the model's device), as the module doc says.
pub fn calibrate(mut model: FaceNet, x: Tensor<4>) -> FaceNet {
    let mut x = x;
    for layer in model.features.iter_mut() {
        x = match layer {
            Layer::TfConv(unit) => unit.calibrate(x),
            Layer::Residual(block) => block.calibrate(x),
            Layer::Reduction(block) => block.calibrate(x),
            other => other.forward(x),
        };
    }
    let [b, c, h, w] = x.dims();
    let x = model
        .hidden
        .iter()
        .fold(x.reshape([b, c * h * w]), |x, fc| fc.forward(x));
    let y = model.embedding.forward(x); // [b, d]
    if let Some(bn) = model.bottleneck_bn.as_mut() {
        let d = y.dims()[1];
        restore_batch_norm(bn, batch_statistics(y.reshape([b, d, 1, 1])));
    }
    model
}

/// Freezes the layers of `model` (built from `config`) up to and including the one named `until` (one of
/// [`FaceNetConfig::feature_names`]); an unknown name is an error listing the valid ones.
pub fn freeze_until(model: FaceNet, config: &FaceNetConfig, until: &str) -> Result<FaceNet> {
    let last = frozen_layers(config, until)?;
    let FaceNet {
        features,
        hidden,
        embedding,
        bottleneck_bn,
    } = model;
    let features = features
        .into_iter()
        .enumerate()
        .map(|(i, layer)| if i < last { layer.freeze() } else { layer })
        .collect();
    Ok(FaceNet {
        features,
        hidden,
        embedding,
        bottleneck_bn,
    })
}

/// How many leading layers `--freeze-until until` freezes.
pub fn frozen_layers(config: &FaceNetConfig, until: &str) -> Result<usize> {
    let names = config.feature_names();
    match names.iter().position(|n| n == until) {
        Some(i) => Ok(i + 1),
        None => Err(Error::Invalid(format!(
            "--freeze-until {until}: {} has no layer of that name; valid: {}",
            config.arch,
            names.join(", ")
        ))),
    }
}

/// Every batch norm of `model` normalises with its running statistics, which stop changing; `γ`, `β` and
/// every weight still train.
pub fn freeze_batch_norm(model: FaceNet) -> FaceNet {
    struct Statistics;
    impl ModuleMapper for Statistics {
        fn map_flag(&mut self, flag: Param<Flag>) -> Param<Flag> {
            flag.with_value(false)
        }
    }
    model.map(&mut Statistics)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_freeze_name_lists_the_valid_ones() {
        let config = pretrained_config();
        assert_eq!(frozen_layers(&config, "Conv2d_1a_3x3").unwrap(), 1);
        assert_eq!(frozen_layers(&config, "Mixed_6a").unwrap(), 13);
        let message = frozen_layers(&config, "Mixed_9z").unwrap_err().to_string();
        assert!(message.contains("Mixed_9z") && message.contains("Repeat_1/block17_10") && message.contains("Block8"));
    }
}
