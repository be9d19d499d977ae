//! Reading Flex tensors on the host: the kernels of this crate work on plain `f32` slices.

use burn_flex::FlexTensor;
use std::borrow::Cow;

/// A tensor's values in row-major order: borrowed when it lies contiguous in f32, else a copy.
pub fn f32s(tensor: &FlexTensor) -> Cow<'_, [f32]> {
    match tensor.as_slice::<f32>() {
        Some(values) => Cow::Borrowed(values),
        None => Cow::Owned(
            tensor
                .clone()
                .into_data()
                .convert::<f32>()
                .try_into_vec::<f32>()
                .expect("a float tensor converts to f32"),
        ),
    }
}
