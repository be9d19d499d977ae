//! How a face crop becomes network input: [`Preprocessing`] (stored in every checkpoint, so a model is
//! always fed the way it was trained) and [`faces_to_tensor`].

use burn::tensor::{Device, Tensor, TensorData};
use image::RgbImage;
use serde::{Deserialize, Serialize};

/// Pixel standardisation, applied per channel to 8-bit RGB values `x`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Preprocessing {
    /// `(x − 127.5) / 128` (the fixed standardisation of the public FaceNet trainers); the default.
    #[default]
    Fixed,
    /// `(x − mean[c]) / std[c]` with per-channel statistics (in 0…255 units).
    MeanStd { mean: [f32; 3], std: [f32; 3] },
}

impl Preprocessing {
    /// `(offset, scale)` per channel: `y = (x − offset) · scale`.
    fn affine(&self) -> [(f32, f32); 3] {
        match self {
            Preprocessing::Fixed => [(127.5, 1.0 / 128.0); 3],
            Preprocessing::MeanStd { mean, std } => [0, 1, 2].map(|c| (mean[c], 1.0 / std[c])),
        }
    }

    /// Checks the statistics are usable (every std finite and positive).
    pub fn validate(&self) -> Result<(), String> {
        match self {
            Preprocessing::MeanStd { mean, std }
                if !(mean.iter().all(|m| m.is_finite()) && std.iter().all(|s| s.is_finite() && *s > 0.0)) =>
            {
                Err(format!(
                    "preprocessing mean {mean:?} / std {std:?}: every std must be finite and > 0"
                ))
            }
            _ => Ok(()),
        }
    }
}

/// Stacks equally sized RGB crops into a `[n, 3, h, w]` tensor, standardised by `preprocessing`.
/// The caller checks the sizes (every crop `w × h`).
pub fn faces_to_tensor(faces: &[&RgbImage], preprocessing: &Preprocessing, device: &Device) -> Tensor<4> {
    let (w, h) = faces.first().map_or((0, 0), |f| f.dimensions());
    let (w, h) = (w as usize, h as usize);
    let affine = preprocessing.affine();
    let mut values = Vec::with_capacity(faces.len() * 3 * h * w);
    for face in faces {
        let raw = face.as_raw(); // HWC
        for (c, (offset, scale)) in affine.iter().enumerate() {
            values.extend(raw[c..].iter().step_by(3).map(|&x| (x as f32 - offset) * scale));
        }
    }
    Tensor::from_data(TensorData::new(values, [faces.len(), 3, h, w]), device)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_standardisation_and_channel_order() {
        let device = Device::flex();
        let mut img = RgbImage::new(2, 1);
        img.put_pixel(0, 0, image::Rgb([0, 255, 128]));
        img.put_pixel(1, 0, image::Rgb([255, 0, 128]));
        let t = faces_to_tensor(&[&img], &Preprocessing::Fixed, &device);
        assert_eq!(t.dims(), [1, 3, 1, 2]);
        let v = t.into_data().try_to_vec::<f32>().unwrap();
        let expect = [-127.5, 127.5, 127.5, -127.5, 0.5, 0.5].map(|x: f32| x / 128.0);
        assert_eq!(v, expect.to_vec());
    }

    #[test]
    fn mean_std_is_per_channel() {
        let device = Device::flex();
        let img = RgbImage::from_pixel(1, 1, image::Rgb([10, 20, 30]));
        let p = Preprocessing::MeanStd {
            mean: [10.0, 10.0, 10.0],
            std: [1.0, 2.0, 4.0],
        };
        let v = faces_to_tensor(&[&img], &p, &device)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        assert_eq!(v, vec![0.0, 5.0, 5.0]);
        assert!(
            Preprocessing::MeanStd {
                mean: [0.0; 3],
                std: [1.0, 0.0, 1.0]
            }
            .validate()
            .is_err()
        );
    }
}
