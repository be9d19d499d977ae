//! A moving average of the weights (Polyak averaging), as davidsandberg/facenet's `--moving_average_decay`
//! (TensorFlow's `ExponentialMovingAverage` with `num_updates`): after optimiser step `t`,
//! `avg ← d·avg + (1 − d)·w` with `d = min(decay, (1 + t) / (10 + t))`, so early on the average follows the
//! weights closely and later it spans roughly the last `t / 9` steps (at most `1 / (1 − decay)`).
//!
//! Every float tensor of the network is averaged, the batch-norm running statistics included, so that the
//! statistics belong to the averaged weights. The averaged network is what validation and the inference
//! checkpoint use: it swings far less from one validation to the next than the weights of the last step.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::tensor::Tensor;
use facenet_nn::models::FaceNet;
use std::collections::HashMap;

/// The running average of a network's weights, by parameter.
#[derive(Debug, Clone)]
pub struct WeightAverage {
    decay: f64,
    averages: HashMap<ParamId, Tensor<1>>,
}

impl WeightAverage {
    /// Starts the average at `model`'s weights.
    pub fn new(decay: f64, model: &FaceNet) -> Self {
        Self {
            decay,
            averages: weights(model),
        }
    }

    /// The decay used after step `step` (1-based: the number of steps done).
    pub fn decay_at(&self, step: u64) -> f64 {
        self.decay.min((1.0 + step as f64) / (10.0 + step as f64))
    }

    /// Folds `model`'s weights after step `step` into the average.
    pub fn update(&mut self, model: &FaceNet, step: u64) {
        let decay = self.decay_at(step);
        for (id, weight) in weights(model) {
            let average = match self.averages.remove(&id) {
                Some(average) => average.mul_scalar(decay) + weight.mul_scalar(1.0 - decay),
                None => weight,
            };
            self.averages.insert(id, average);
        }
    }

    /// `model` in inference form with the averaged weights in place of its own.
    pub fn apply(&self, model: &FaceNet) -> FaceNet {
        model.valid().map(&mut Substitute {
            averages: &self.averages,
        })
    }
}

/// Every float parameter of `model` (inference form), flattened, by id.
fn weights(model: &FaceNet) -> HashMap<ParamId, Tensor<1>> {
    let mut collect = Collect::default();
    model.valid().visit(&mut collect);
    collect.weights
}

#[derive(Default)]
struct Collect {
    weights: HashMap<ParamId, Tensor<1>>,
}

impl ModuleVisitor for Collect {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let value = param.val();
        let count = value.dims().iter().product::<usize>();
        self.weights.insert(param.id, value.reshape([count]));
    }
}

struct Substitute<'a> {
    averages: &'a HashMap<ParamId, Tensor<1>>,
}

impl ModuleMapper for Substitute<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let Some(average) = self.averages.get(&param.id) else {
            return param;
        };
        let average = average.clone();
        param.map(|value| average.reshape(value.dims()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Device;
    use facenet_nn::{Arch, FaceNetConfig};

    /// Every averaged tensor's values, in the order of the parameter ids.
    fn all_weights(model: &FaceNet) -> Vec<f32> {
        let mut by_id: Vec<_> = weights(model).into_iter().collect();
        by_id.sort_by_key(|(id, _)| id.val());
        by_id
            .into_iter()
            .flat_map(|(_, weight)| weight.into_data().try_to_vec::<f32>().unwrap())
            .collect()
    }

    #[test]
    fn decay_warms_up_then_caps() {
        let device = Device::flex();
        let model = FaceNetConfig::new(Arch::Nns2).with_embedding_dim(16).init(&device);
        let average = WeightAverage::new(0.99, &model);
        assert!((average.decay_at(0) - 0.1).abs() < 1e-12);
        assert!((average.decay_at(80) - 81.0 / 90.0).abs() < 1e-12);
        assert_eq!(average.decay_at(10_000), 0.99);
    }

    #[test]
    fn update_mixes_old_average_and_new_weights() {
        let device = Device::flex();
        let config = FaceNetConfig::new(Arch::Nns2).with_embedding_dim(16);
        let start = config.init(&device);
        let mut average = WeightAverage::new(0.99, &start);
        // the "trained" weights: the same parameters (same ids), every value doubled plus one. Built from
        // `valid()`, not `clone()`: burn's clones share their batch-norm running state, so mapping a clone
        // would change `start`'s statistics too.
        let trained = start.valid().map(&mut Doubled);
        average.update(&trained, 0); // d = 0.1
        let (w0, w1, avg) = (
            all_weights(&start),
            all_weights(&trained),
            all_weights(&average.apply(&trained)),
        );
        assert_eq!((w0.len(), w1.len()), (avg.len(), avg.len()));
        for ((a, b), got) in w0.iter().zip(&w1).zip(&avg) {
            let expected = 0.1 * a + 0.9 * b;
            assert!((got - expected).abs() < 1e-5, "{got} vs {expected}");
        }
    }

    struct Doubled;
    impl ModuleMapper for Doubled {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            param.map(|value| value.mul_scalar(2.0).add_scalar(1.0))
        }
    }
}
