//! Where networks run. Library code takes a `&Device`; this module picks the default one. The pure-Rust
//! Flex CPU backend is always available; GPU backends come behind cargo features that CI never enables.

pub use burn::tensor::Device;

/// The device used when the caller names none: the Flex CPU backend.
pub fn default_device() -> Device {
    Device::flex()
}

/// The default device with autodiff, for training.
pub fn default_training_device() -> Device {
    default_device().autodiff()
}
