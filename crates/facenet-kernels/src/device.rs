//! Where networks run. Library code takes a `&Device`; this module picks the default one. The pure-Rust
//! Flex CPU backend is always available; GPU backends come behind cargo features that CI never enables.

use burn::backend::DispatchDevice;
pub use burn::tensor::Device;

/// The device used when the caller names none: the Flex CPU backend.
pub fn default_device() -> Device {
    Device::flex()
}

/// The default device with autodiff, for training.
pub fn default_training_device() -> Device {
    default_device().autodiff()
}

/// Whether `device` is the Flex CPU backend, with or without autodiff.
pub fn is_flex(device: &Device) -> bool {
    is_flex_dispatch(device.as_dispatch()) || is_flex_autodiff(device)
}

/// Whether `device` is the Flex CPU backend with autodiff (training).
pub fn is_flex_autodiff(device: &Device) -> bool {
    match device.as_dispatch() {
        DispatchDevice::Autodiff(inner) => is_flex_dispatch(inner),
        _ => false,
    }
}

fn is_flex_dispatch(device: &DispatchDevice) -> bool {
    matches!(device, DispatchDevice::Flex(_))
}
