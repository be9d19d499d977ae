//! Memory bounds of the parsers (issue 20): a declared size is checked against what the input can hold
//! *before* anything is allocated. A counting global allocator measures the peak bytes each parse of a
//! crafted input allocates; each must stay within the multiple of the input size (or of the pixel limit)
//! that the reader's doc comment states.

use facenet_vision::dlib_format::DlibReader;
use facenet_vision::hog::HogDetector;
use facenet_vision::hog::decoder::{decode_header, decompress};
use facenet_vision::{Error, LoadOptions, ShapePredictor, load_rgb_from_memory};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicIsize, Ordering};

/// The system allocator, counting on the measuring thread the bytes live now and the most live since the
/// measurement began. Other threads (the harness runs tests on several) are not counted: their allocations
/// made a measurement of a few bytes read thousands.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);
/// One measurement at a time.
static MEASURING: Mutex<()> = Mutex::new(());

thread_local! {
    /// Whether this thread's allocations are being counted.
    static MEASURED: Cell<bool> = const { Cell::new(false) };
}

fn counted() -> bool {
    MEASURED.try_with(Cell::get).unwrap_or(false)
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if counted() {
            let size = layout.size() as isize;
            let live = LIVE.fetch_add(size, Ordering::SeqCst) + size;
            PEAK.fetch_max(live, Ordering::SeqCst);
        }
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if counted() {
            LIVE.fetch_sub(layout.size() as isize, Ordering::SeqCst);
        }
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `parse` on this thread and returns its result with the peak bytes it allocated.
fn peak_allocation<T>(parse: impl FnOnce() -> T) -> (T, usize) {
    let _one_at_a_time = MEASURING.lock().unwrap_or_else(|e| e.into_inner());
    LIVE.store(0, Ordering::SeqCst);
    PEAK.store(0, Ordering::SeqCst);
    MEASURED.with(|m| m.set(true));
    let result = parse();
    MEASURED.with(|m| m.set(false));
    (result, PEAK.load(Ordering::SeqCst).max(0) as usize)
}

/// A dlib-serialised unsigned integer: control byte (byte count), then little-endian bytes.
fn dlib_uint(value: u64) -> Vec<u8> {
    let bytes: Vec<u8> = value.to_le_bytes().into_iter().rev().skip_while(|&b| b == 0).collect();
    let mut magnitude: Vec<u8> = bytes.into_iter().rev().collect();
    if magnitude.is_empty() {
        magnitude.push(0);
    }
    let mut out = vec![magnitude.len() as u8];
    out.extend(magnitude);
    out
}

/// A dlib float 0.0 (mantissa 0, exponent 0).
fn dlib_zero_float() -> Vec<u8> {
    [dlib_uint(0), dlib_uint(0)].concat()
}

#[test]
fn a_matrix_declaring_2_pow_40_elements_is_refused_before_allocating() {
    let bytes = [dlib_uint(1 << 20), dlib_uint(1 << 20), dlib_zero_float()].concat();
    let (result, peak) = peak_allocation(|| DlibReader::new(&bytes).read_matrix_f32("weights"));
    let error = result.unwrap_err();
    assert!(error.to_string().contains("exceeds"), "{error}");
    assert!(peak < 4096, "{peak} bytes allocated for a {}-byte input", bytes.len());
}

#[test]
fn a_vector_count_larger_than_the_input_is_refused_and_a_plausible_one_reserves_little() {
    let huge = [dlib_uint(u64::from(u32::MAX)), vec![b'1'; 16]].concat();
    let (result, _) = peak_allocation(|| DlibReader::new(&huge).read_vec("flags", |r, _| r.read_bool("flag")));
    assert!(result.unwrap_err().to_string().contains("exceeds"));
    // a count the bytes could hold, but whose items are 48 bytes each in memory: only what is read is kept
    let mut bytes = dlib_uint(1 << 20);
    bytes.resize(bytes.len() + (1 << 20), b'x');
    let (result, peak) =
        peak_allocation(|| DlibReader::new(&bytes).read_vec("matrices", |r, _| r.read_matrix_f32("matrix")));
    assert!(result.is_err());
    let reserved =
        facenet_vision::dlib_format::MAX_RESERVED_ITEMS * size_of::<facenet_vision::dlib_format::DlibMatrix<f32>>();
    assert!(
        peak <= reserved + 4096,
        "{peak} bytes reserved before the first item failed"
    );
}

#[test]
fn a_shape_predictor_of_empty_leaves_allocates_at_most_64_times_its_size() {
    // version 1, a 10×1 initial shape, one forest of one tree with 2^16 − 1 splits and 2^16 empty leaves:
    // each empty leaf used to reserve room for 10 values before the leaves were checked.
    let leaves = 1u64 << 16;
    let mut bytes = [dlib_uint(1), dlib_uint(10), dlib_uint(1)].concat();
    bytes.extend((0..10).flat_map(|_| dlib_zero_float()));
    bytes.extend([dlib_uint(1), dlib_uint(1), dlib_uint(leaves - 1)].concat());
    for _ in 1..leaves {
        bytes.extend([dlib_uint(0), dlib_uint(0), dlib_zero_float()].concat());
    }
    bytes.extend(dlib_uint(leaves));
    for _ in 0..leaves {
        bytes.extend([dlib_uint(0), dlib_uint(0)].concat());
    }
    let (result, peak) = peak_allocation(|| ShapePredictor::from_bytes(&bytes));
    let error = result.unwrap_err();
    assert!(error.to_string().contains("leaf of 0 values"), "{error}");
    assert!(
        peak <= 64 * bytes.len() + 64 * 1024,
        "{peak} bytes for a {}-byte file",
        bytes.len()
    );
}

#[test]
fn garbage_compressed_streams_end_with_a_bounded_output() {
    for seed in 0u32..32 {
        let garbage: Vec<u8> = (0..512u32)
            .map(|i| (i.wrapping_mul(2_654_435_761).wrapping_add(seed * 97) >> 13) as u8)
            .collect();
        let (result, peak) = peak_allocation(|| decompress(&garbage));
        if let Ok(out) = result {
            assert!(out.len() <= 64 << 20);
        }
        // the model's 200,000 nodes are a fixed cost; the output at most the documented limit
        assert!(peak <= (64 << 20) + (16 << 20), "seed {seed}: {peak} bytes");
    }
    // an all-zero stream is the end marker at once and the CRC of nothing: an empty output, not a loop
    assert_eq!(decompress(&[]).unwrap(), Vec::<u8>::new());
    assert!(decode_header("sout << \"A!AA\";").is_err());
}

#[test]
fn a_hog_detector_declaring_huge_filters_is_an_error() {
    let bytes = [
        dlib_uint(2),
        dlib_uint(u64::from(u32::MAX)),
        dlib_uint(u64::from(u32::MAX)),
    ]
    .concat();
    let (result, peak) = peak_allocation(|| HogDetector::from_bytes(&bytes));
    assert!(result.is_err());
    assert!(peak < 64 * 1024, "{peak} bytes");
}

/// A PNG declaring `width × height` 8-bit RGB, with a few bytes of image data.
fn png_header(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = Vec::new();
    ihdr.extend(width.to_be_bytes());
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [
        (b"IHDR", ihdr),
        (b"IDAT", vec![0x78, 0x9c, 0, 0]),
        (b"IEND", Vec::new()),
    ] {
        png.extend((data.len() as u32).to_be_bytes());
        let body = [kind.as_slice(), &data].concat();
        png.extend(&body);
        png.extend(crc32fast::hash(&body).to_be_bytes());
    }
    png
}

/// A real 8×8 JPEG whose frame header (SOF0) is patched to declare `width × height`.
fn jpeg_declaring(width: u16, height: u16) -> Vec<u8> {
    let mut jpeg = Vec::new();
    jpeg_encoder::Encoder::new(&mut jpeg, 90)
        .encode(&[128; 8 * 8 * 3], 8, 8, jpeg_encoder::ColorType::Rgb)
        .expect("encoding to memory should work");
    let sof = jpeg
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("a baseline JPEG has an SOF0 marker");
    jpeg[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
    jpeg[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    jpeg
}

#[test]
fn images_declaring_more_than_the_pixel_limit_are_refused_before_decoding() {
    let options = LoadOptions {
        max_pixels: 1_000_000,
        ..LoadOptions::default()
    };
    for (name, bytes) in [
        ("bomb.png", png_header(100_000, 100_000)),
        ("bomb.jpg", jpeg_declaring(65_000, 65_000)),
    ] {
        let (result, peak) = peak_allocation(|| load_rgb_from_memory(&bytes, Path::new(name), &options));
        match result {
            Err(Error::TooLarge { path, limit, .. }) => {
                assert_eq!((path.to_str(), limit), (Some(name), 1_000_000));
            }
            other => panic!("{name}: expected TooLarge, got {other:?}"),
        }
        // the decoder's buffers are sized from the file, never from the declared 10^10 pixels
        assert!(peak < 4 << 20, "{name}: {peak} bytes allocated");
    }
    // within the limit, a truncated file allocates at most 3 bytes per allowed pixel (plus buffers)
    let (result, peak) =
        peak_allocation(|| load_rgb_from_memory(&png_header(1000, 1000), Path::new("cut.png"), &options));
    assert!(result.is_err());
    assert!(peak <= 3 * 1_000_000 + (4 << 20), "{peak} bytes");
}
