//! Where networks run. Library code takes a `&Device`; this module makes one from the user's choice
//! ([`DeviceChoice`], `--device cpu|gpu`). The pure-Rust Flex CPU backend is always there; the GPU is burn's
//! `wgpu` backend (Vulkan, Metal, DX12), built only with the cargo feature `gpu`. The layers ask [`is_flex`]
//! to pick our Flex kernels or burn's generic operations: that test is the one place a device chooses its
//! kernels.

use burn::backend::DispatchDevice;
pub use burn::tensor::Device;
use std::fmt;
use std::str::FromStr;

/// The hardware a command runs its networks on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum DeviceChoice {
    /// The Flex CPU backend with facenet's kernels.
    #[default]
    Cpu,
    /// The first GPU adapter wgpu finds (`CUBECL_WGPU_DEFAULT_DEVICE` overrides it), with burn's generic
    /// operations.
    Gpu,
}

impl FromStr for DeviceChoice {
    type Err = DeviceError;

    fn from_str(s: &str) -> Result<Self, DeviceError> {
        match s {
            "cpu" => Ok(Self::Cpu),
            "gpu" => Ok(Self::Gpu),
            other => Err(DeviceError(format!("unknown device {other:?}: expected cpu or gpu"))),
        }
    }
}

impl fmt::Display for DeviceChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Cpu => "cpu",
            Self::Gpu => "gpu",
        })
    }
}

/// A device that cannot be had, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceError(pub String);

impl fmt::Display for DeviceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DeviceError {}

/// The device used when the caller names none: the Flex CPU backend.
pub fn default_device() -> Device {
    Device::flex()
}

/// The default device with autodiff, for training.
pub fn default_training_device() -> Device {
    default_device().autodiff()
}

/// The device `choice` names, for inference. The GPU is set up once per process; without an adapter, or in
/// a build without the `gpu` feature, the error says what was looked for.
pub fn device_for(choice: DeviceChoice) -> Result<Device, DeviceError> {
    match choice {
        DeviceChoice::Cpu => Ok(default_device()),
        DeviceChoice::Gpu => gpu::adapter().map(|gpu| gpu.device),
    }
}

/// [`device_for`] with autodiff, for training.
pub fn training_device_for(choice: DeviceChoice) -> Result<Device, DeviceError> {
    device_for(choice).map(Device::autodiff)
}

/// What `choice` runs on, in words: "cpu (Flex, N threads)" or the GPU adapter's name, backend, type and
/// largest buffer.
pub fn describe(choice: DeviceChoice) -> Result<String, DeviceError> {
    match choice {
        DeviceChoice::Cpu => Ok(format!("cpu (burn Flex, {} threads)", rayon::current_num_threads())),
        DeviceChoice::Gpu => gpu::adapter().map(|gpu| gpu.description),
    }
}

/// The most bytes one tensor may hold on `device` (a GPU binds a tensor as one storage buffer, and its
/// driver caps that size: lavapipe at 128 MiB); `None` on the CPU, where only memory bounds it.
fn largest_tensor_bytes(device: &Device) -> Option<u64> {
    match is_flex(device) {
        true => None,
        false => gpu::adapter().ok().map(|gpu| gpu.largest_buffer),
    }
}

/// Refuses a network whose largest tensor of `floats` f32 values `device` cannot hold, naming `what`.
pub fn check_fits(device: &Device, floats: usize, what: &str) -> Result<(), DeviceError> {
    let bytes = 4 * floats as u64;
    match largest_tensor_bytes(device) {
        Some(limit) if bytes > limit => Err(DeviceError(format!(
            "{what}: its largest weight holds {floats} floats ({} MiB), more than this GPU binds in one buffer \
             ({} MiB); use --device cpu or a GPU with a larger storage-buffer limit",
            bytes >> 20,
            limit >> 20
        ))),
        _ => Ok(()),
    }
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

/// The GPU as set up once per process.
#[derive(Debug, Clone)]
#[cfg_attr(not(feature = "gpu"), allow(dead_code))] // only the `gpu` feature makes one
struct Gpu {
    device: Device,
    /// Adapter name, backend, type, driver, largest buffer.
    description: String,
    /// The largest storage buffer the device binds, in bytes.
    largest_buffer: u64,
}

#[cfg(feature = "gpu")]
mod gpu {
    use super::{Device, DeviceError, Gpu};
    use std::sync::OnceLock;

    /// The GPU, set up on first use (burn's wgpu runtime is set up once per process).
    pub fn adapter() -> Result<Gpu, DeviceError> {
        static GPU: OnceLock<Result<Gpu, DeviceError>> = OnceLock::new();
        GPU.get_or_init(set_up).clone()
    }

    fn set_up() -> Result<Gpu, DeviceError> {
        let (device, setup) = Device::wgpu_options().init_with_setup().map_err(|e| {
            DeviceError(format!(
                "--device gpu: no usable GPU adapter: wgpu looked for a Vulkan, Metal, DX12 or OpenGL adapter \
                 (CUBECL_WGPU_DEFAULT_DEVICE picks another kind) and got: {e}. Install the GPU's Vulkan driver \
                 (on Debian, mesa-vulkan-drivers also gives the software device lavapipe) or use --device cpu"
            ))
        })?;
        let info = setup.adapter.get_info();
        let limits = setup.device.limits();
        let largest_buffer = limits.max_storage_buffer_binding_size.min(limits.max_buffer_size);
        let description = format!(
            "gpu ({}, {:?}, {:?}, driver {} {}, largest buffer {} MiB)",
            info.name,
            info.backend,
            info.device_type,
            info.driver,
            info.driver_info,
            largest_buffer >> 20
        );
        Ok(Gpu {
            device,
            description,
            largest_buffer,
        })
    }
}

#[cfg(not(feature = "gpu"))]
mod gpu {
    use super::{DeviceError, Gpu};

    pub fn adapter() -> Result<Gpu, DeviceError> {
        Err(DeviceError(
            "--device gpu: this facenet was built without the `gpu` cargo feature; rebuild with \
             `cargo build --release --features gpu` (burn's wgpu backend) or use --device cpu"
                .into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_parse_and_print_as_the_flag_spells_them() {
        for choice in [DeviceChoice::Cpu, DeviceChoice::Gpu] {
            assert_eq!(choice.to_string().parse::<DeviceChoice>(), Ok(choice));
        }
        let err = "tpu".parse::<DeviceChoice>().unwrap_err().to_string();
        assert!(err.contains("\"tpu\"") && err.contains("cpu or gpu"), "{err}");
    }

    #[test]
    fn the_cpu_is_flex_with_and_without_autodiff() {
        assert!(is_flex(&device_for(DeviceChoice::Cpu).unwrap()));
        assert!(is_flex_autodiff(&training_device_for(DeviceChoice::Cpu).unwrap()));
    }

    #[cfg(not(feature = "gpu"))]
    #[test]
    fn without_the_feature_the_gpu_is_refused_with_the_way_to_get_it() {
        let err = device_for(DeviceChoice::Gpu).unwrap_err().to_string();
        assert!(err.contains("--features gpu") && err.contains("--device cpu"), "{err}");
    }
}
