//! dlib's binary serialisation, read from a byte slice: the primitives every dlib model file is built
//! from (dlib `serialize.h`, `float_details.h`, `matrix/matrix.h`, `geometry/vector.h`).
//!
//! The format, as dlib writes it:
//! - **integers** (all widths, signed or not): a control byte, then the magnitude's bytes, little-endian,
//!   with no leading zero bytes. The control byte's low nibble is the number of bytes (1…8; 0 is written
//!   as one zero byte), bit `0x80` marks a negative number, bits `0x70` are reserved and ignored.
//! - **floats**: a 64-bit signed mantissa and a 16-bit signed exponent, both as integers above; the value
//!   is `mantissa · 2^exponent`, except exponent 32000 = +∞, 32001 = −∞, 32002 and above = NaN. (An older
//!   ASCII format is told apart by the reserved bits of the first byte; it is refused here.)
//! - **bool**: one ASCII byte, `'1'` or `'0'`. **char**: one raw byte.
//! - **std::string** and **std::vector<char>**: a length (integer), then that many raw bytes.
//! - **std::vector<T>**: a length, then each element.
//! - **dlib::matrix**: rows and columns as integers, written *negated* (the current format; positive
//!   numbers mark the older one, read the same way), then the elements row by row.
//! - **dlib::vector<T, 2>** (a point): x, then y.
//!
//! [`DlibReader`] is a cursor over the bytes; every error is a [`DlibFormatError`] that names the byte
//! offset and what was being read, so a truncated or corrupt file can be diagnosed without a debugger.
//!
//! **Memory bound**: no declared length is trusted before the bytes are there. A string, vector or matrix
//! whose declared length needs more bytes than are left is an error before anything is allocated; a
//! vector reserves room for at most [`MAX_RESERVED_ITEMS`] items up front and grows only with items
//! actually read (each at least one byte of input). So what a reader keeps is bounded by the items it
//! read, at most `size_of::<T>()` bytes per input byte for a `Vec<T>` (a 2^40-element matrix declared in
//! a 20-byte file is refused, not allocated).

use std::fmt;

/// A failure to read dlib-serialised data: where, what, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at byte {offset}: {problem} while reading {what}")]
pub struct DlibFormatError {
    /// Byte offset (from the start of the data) of the item that failed.
    pub offset: usize,
    /// What was being read, innermost first (e.g. "tree 3 leaf values in forest 2").
    pub what: String,
    /// What was wrong (e.g. "unexpected end of data").
    pub problem: String,
}

impl DlibFormatError {
    /// Adds the enclosing item to `what`: `"thresh"` within `"split 4"` → `"thresh in split 4"`.
    pub fn within(mut self, outer: impl fmt::Display) -> Self {
        self.what = format!("{} in {outer}", self.what);
        self
    }
}

/// Result with [`DlibFormatError`].
pub type FormatResult<T> = std::result::Result<T, DlibFormatError>;

/// A dense row-major matrix as dlib serialises `dlib::matrix<T>`.
#[derive(Debug, Clone, PartialEq)]
pub struct DlibMatrix<T> {
    pub rows: usize,
    pub cols: usize,
    /// `rows · cols` elements, row by row.
    pub data: Vec<T>,
}

/// The exponent values dlib's `float_details` reserves for the non-finite numbers.
const EXPONENT_INF: i64 = 32000;
const EXPONENT_NEG_INF: i64 = 32001;
/// The most items [`DlibReader::read_vec`] reserves before reading them; more grow the vector as they come.
pub const MAX_RESERVED_ITEMS: usize = 4096;

/// The fewest bytes a serialised float takes (two one-byte integers).
const MIN_FLOAT_BYTES: usize = 4;

/// A cursor over dlib-serialised bytes. Cheap to copy: copy it to look ahead without consuming.
#[derive(Debug, Clone, Copy)]
pub struct DlibReader<'a> {
    bytes: &'a [u8],
    offset: usize,
}

impl<'a> DlibReader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, offset: 0 }
    }

    /// The offset of the next byte to read.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// How many bytes are left.
    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.offset
    }

    pub fn is_at_end(&self) -> bool {
        self.remaining() == 0
    }

    /// An error at the current offset, for checks made by the caller (a wrong version, a bad index).
    pub fn error(&self, what: impl Into<String>, problem: impl Into<String>) -> DlibFormatError {
        self.error_at_offset(self.offset, what, problem)
    }

    /// An error at `offset` (the start of an item the caller has read and found wrong).
    pub fn error_at_offset(
        &self,
        offset: usize,
        what: impl Into<String>,
        problem: impl Into<String>,
    ) -> DlibFormatError {
        DlibFormatError {
            offset,
            what: what.into(),
            problem: problem.into(),
        }
    }

    /// The next `n` raw bytes.
    pub fn read_bytes(&mut self, n: usize, what: &str) -> FormatResult<&'a [u8]> {
        if n > self.remaining() {
            let problem = format!("unexpected end of data ({n} bytes needed, {} left)", self.remaining());
            return Err(self.error(what, problem));
        }
        let slice = &self.bytes[self.offset..self.offset + n];
        self.offset += n;
        Ok(slice)
    }

    /// One raw byte (dlib's `char` / `unsigned char`).
    pub fn read_u8(&mut self, what: &str) -> FormatResult<u8> {
        Ok(self.read_bytes(1, what)?[0])
    }

    /// A serialised integer, as (negative, magnitude), accepting at most `max_bytes` magnitude bytes.
    fn read_int_parts(&mut self, max_bytes: usize, what: &str) -> FormatResult<(bool, u64)> {
        let start = self.offset;
        let control = self.read_u8(what)?;
        let negative = control & 0x80 != 0;
        let size = usize::from(control & 0x0F);
        if size == 0 || size > max_bytes {
            self.offset = start;
            let problem = format!("integer control byte 0x{control:02x} declares {size} bytes (1…{max_bytes} allowed)");
            return Err(self.error(what, problem));
        }
        let digits = self
            .read_bytes(size, what)
            .map_err(|e| DlibFormatError { offset: start, ..e })?;
        let magnitude = digits.iter().rev().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        Ok((negative, magnitude))
    }

    /// A serialised unsigned integer (dlib's `unsigned long`, `uint64`…). A sign bit is an error, as in dlib.
    pub fn read_u64(&mut self, what: &str) -> FormatResult<u64> {
        let start = self.offset;
        let (negative, magnitude) = self.read_int_parts(8, what)?;
        if negative {
            return Err(self.error_at_offset(start, what, "negative value for an unsigned integer"));
        }
        Ok(magnitude)
    }

    /// A serialised signed integer (dlib's `long`, `int`, `int64`…).
    pub fn read_i64(&mut self, what: &str) -> FormatResult<i64> {
        let start = self.offset;
        let (negative, magnitude) = self.read_int_parts(8, what)?;
        let value = i128::from(magnitude) * if negative { -1 } else { 1 };
        i64::try_from(value).map_err(|_| self.error_at_offset(start, what, format!("integer {value} out of range")))
    }

    /// A signed integer that must fit in an `i32` (dlib's `int`).
    pub fn read_i32(&mut self, what: &str) -> FormatResult<i32> {
        let start = self.offset;
        let value = self.read_i64(what)?;
        i32::try_from(value)
            .map_err(|_| self.error_at_offset(start, what, format!("integer {value} out of range for a 32-bit int")))
    }

    /// An unsigned integer used as a count or an index.
    pub fn read_usize(&mut self, what: &str) -> FormatResult<usize> {
        let start = self.offset;
        let value = self.read_u64(what)?;
        usize::try_from(value).map_err(|_| self.error_at_offset(start, what, format!("integer {value} too large")))
    }

    /// A count of items each at least `min_item_bytes` long: more than the data left can hold is an error
    /// (this keeps a corrupt count from allocating gigabytes).
    fn read_count(&mut self, min_item_bytes: usize, what: &str) -> FormatResult<usize> {
        let start = self.offset;
        let count = self.read_usize(what)?;
        if count.saturating_mul(min_item_bytes) > self.remaining() {
            let problem = format!("length {count} exceeds the {} bytes left", self.remaining());
            return Err(self.error_at_offset(start, what, problem));
        }
        Ok(count)
    }

    /// A float as (mantissa, exponent), checking for the old ASCII format.
    fn read_float_parts(&mut self, what: &str) -> FormatResult<(i64, i64)> {
        let start = self.offset;
        match self.bytes.get(self.offset) {
            None => return Err(self.error(what, "unexpected end of data")),
            Some(first) if first & 0x70 != 0 => {
                return Err(self.error(
                    what,
                    format!("byte 0x{first:02x} starts dlib's old ASCII float format (not supported)"),
                ));
            }
            Some(_) => {}
        }
        let mantissa = self.read_i64(what)?;
        let (negative, magnitude) = self
            .read_int_parts(2, what)
            .map_err(|e| DlibFormatError { offset: start, ..e })?;
        // dlib reads the exponent into an int16, wrapping magnitudes above 32767, then negates it.
        let exponent = (magnitude as u16 as i16).wrapping_mul(if negative { -1 } else { 1 });
        Ok((mantissa, i64::from(exponent)))
    }

    /// A serialised float converted to `f32` the way dlib does: the mantissa rounded to `f32`, then scaled
    /// by `2^exponent` (exact for floats dlib wrote from `f32`).
    pub fn read_f32(&mut self, what: &str) -> FormatResult<f32> {
        let (mantissa, exponent) = self.read_float_parts(what)?;
        Ok(match exponent {
            e if e < EXPONENT_INF => ldexp_f32(mantissa as f32, e),
            EXPONENT_INF => f32::INFINITY,
            EXPONENT_NEG_INF => f32::NEG_INFINITY,
            _ => f32::NAN,
        })
    }

    /// A serialised float converted to `f64` (dlib's `double`).
    pub fn read_f64(&mut self, what: &str) -> FormatResult<f64> {
        let (mantissa, exponent) = self.read_float_parts(what)?;
        Ok(match exponent {
            e if e < EXPONENT_INF => ldexp_f64(mantissa as f64, e),
            EXPONENT_INF => f64::INFINITY,
            EXPONENT_NEG_INF => f64::NEG_INFINITY,
            _ => f64::NAN,
        })
    }

    /// A serialised bool: `'1'` or `'0'`.
    pub fn read_bool(&mut self, what: &str) -> FormatResult<bool> {
        let start = self.offset;
        match self.read_u8(what)? {
            b'1' => Ok(true),
            b'0' => Ok(false),
            other => Err(self.error_at_offset(start, what, format!("byte 0x{other:02x} is not a bool ('0' or '1')"))),
        }
    }

    /// A serialised `std::string` (its bytes must be UTF-8: dlib's names and tags are ASCII).
    pub fn read_string(&mut self, what: &str) -> FormatResult<String> {
        let start = self.offset;
        let len = self.read_count(1, what)?;
        let bytes = self.read_bytes(len, what)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| self.error_at_offset(start, what, "string is not valid UTF-8"))
    }

    /// Reads a string and checks that it is `expected` (dlib writes a type tag before many objects).
    pub fn expect_string(&mut self, expected: &str, what: &str) -> FormatResult<()> {
        let start = self.offset;
        let found = self.read_string(what)?;
        if found != expected {
            return Err(self.error_at_offset(start, what, format!("expected \"{expected}\", found \"{found}\"")));
        }
        Ok(())
    }

    /// A serialised `std::vector<T>`: each element read by `read_item(reader, index)`. Errors from an
    /// element name its index.
    pub fn read_vec<T>(
        &mut self,
        what: &str,
        mut read_item: impl FnMut(&mut Self, usize) -> FormatResult<T>,
    ) -> FormatResult<Vec<T>> {
        let len = self.read_count(1, what)?;
        let mut items = Vec::with_capacity(len.min(MAX_RESERVED_ITEMS));
        for i in 0..len {
            items.push(read_item(self, i).map_err(|e| e.within(format_args!("element {i} of {what}")))?);
        }
        Ok(items)
    }

    /// A serialised `dlib::matrix<float>`, either sign convention for its dimensions.
    pub fn read_matrix_f32(&mut self, what: &str) -> FormatResult<DlibMatrix<f32>> {
        let start = self.offset;
        let rows = self.read_i64(what)?.unsigned_abs();
        let cols = self.read_i64(what)?.unsigned_abs();
        let count = usize::try_from(rows)
            .ok()
            .zip(usize::try_from(cols).ok())
            .and_then(|(r, c)| r.checked_mul(c).map(|n| (r, c, n)))
            .filter(|&(_, _, n)| n.saturating_mul(MIN_FLOAT_BYTES) <= self.remaining());
        let Some((rows, cols, count)) = count else {
            let problem = format!("matrix of {rows}×{cols} exceeds the {} bytes left", self.remaining());
            return Err(self.error_at_offset(start, what, problem));
        };
        let mut data = Vec::with_capacity(count);
        for i in 0..count {
            let value = self.read_f32("element").map_err(|e| DlibFormatError {
                what: format!("element ({}, {}) of {what}", i / cols, i % cols),
                ..e
            })?;
            data.push(value);
        }
        Ok(DlibMatrix { rows, cols, data })
    }

    /// A serialised `dlib::vector<float, 2>` (a point): x then y.
    pub fn read_point_f32(&mut self, what: &str) -> FormatResult<[f32; 2]> {
        let x = self.read_f32("x").map_err(|e| e.within(what))?;
        let y = self.read_f32("y").map_err(|e| e.within(what))?;
        Ok([x, y])
    }
}

/// `x · 2^exp` for an `f32` `x`, rounded once (as C's `ldexpf`): the product is exact in `f64` for every
/// exponent that can give a non-zero finite `f32`, and larger magnitudes saturate the same way.
fn ldexp_f32(x: f32, exp: i64) -> f32 {
    (f64::from(x) * 2f64.powi(exp.clamp(-400, 400) as i32)) as f32
}

/// `x · 2^exp` for an `f64` `x`, in steps that keep each power of two representable.
fn ldexp_f64(mut x: f64, mut exp: i64) -> f64 {
    const STEP: i64 = 1000;
    while exp > STEP && x.is_finite() && x != 0.0 {
        x *= 2f64.powi(STEP as i32);
        exp -= STEP;
    }
    while exp < -STEP && x != 0.0 {
        x *= 2f64.powi(-STEP as i32);
        exp += STEP;
    }
    x * 2f64.powi(exp.clamp(-STEP, STEP) as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_use_a_control_byte_and_little_endian_magnitude() {
        // 0 → [1, 0]; 300 = 0x012c → [2, 0x2c, 0x01]; -5 → [0x81, 5]; u64::MAX → [8, 0xff × 8].
        let mut bytes = vec![0x01, 0x00, 0x02, 0x2c, 0x01, 0x81, 0x05, 0x08];
        bytes.extend([0xff; 8]);
        let mut r = DlibReader::new(&bytes);
        assert_eq!(r.read_u64("a").unwrap(), 0);
        assert_eq!(r.read_i64("b").unwrap(), 300);
        assert_eq!(r.read_i64("c").unwrap(), -5);
        assert_eq!(r.read_u64("d").unwrap(), u64::MAX);
        assert!(r.is_at_end());
    }

    #[test]
    fn reserved_bits_of_the_control_byte_are_ignored() {
        let mut r = DlibReader::new(&[0x71, 0x07]);
        assert_eq!(r.read_u64("n").unwrap(), 7);
    }

    #[test]
    fn bad_integer_control_bytes_are_errors_at_their_offset() {
        let mut r = DlibReader::new(&[0x01, 0x02, 0x00]);
        r.read_u64("first").unwrap();
        let err = r.read_u64("second").unwrap_err();
        assert_eq!((err.offset, err.what.as_str()), (2, "second"));
        assert!(err.problem.contains("0x00"), "{err}");

        let err = DlibReader::new(&[0x09, 0, 0]).read_i64("n").unwrap_err();
        assert!(err.problem.contains("9 bytes"), "{err}");
        let err = DlibReader::new(&[0x81, 0x01]).read_u64("count").unwrap_err();
        assert!(err.problem.contains("negative"), "{err}");
        let err = DlibReader::new(&[0x03, 0x01]).read_i64("n").unwrap_err();
        assert_eq!(err.offset, 0);
        assert!(err.to_string().contains("unexpected end of data"), "{err}");
    }

    #[test]
    fn i32_checks_its_range() {
        assert_eq!(DlibReader::new(&[0x84, 0, 0, 0, 0x80]).read_i32("n").unwrap(), i32::MIN);
        assert!(DlibReader::new(&[0x04, 0, 0, 0, 0x80]).read_i32("n").is_err());
    }

    #[test]
    fn floats_are_mantissa_times_two_to_the_exponent() {
        // 1.0f32 as dlib writes it: mantissa 128, exponent -7; -0.75 = -3 · 2^-2; 0 = 0 · 2^0.
        let bytes = [0x01, 0x80, 0x81, 0x07, 0x81, 0x03, 0x81, 0x02, 0x01, 0x00, 0x01, 0x00];
        let mut r = DlibReader::new(&bytes);
        assert_eq!(r.read_f32("one").unwrap(), 1.0);
        assert_eq!(r.read_f64("minus three quarters").unwrap(), -0.75);
        assert_eq!(r.read_f32("zero").unwrap(), 0.0);
    }

    #[test]
    fn float_special_exponents_are_inf_and_nan() {
        // exponent 32000 = 0x7d00, 32001 = 0x7d01, 32002 = 0x7d02, mantissa 0.
        let special = |e: u8| [0x01, 0x00, 0x02, e, 0x7d];
        assert_eq!(DlibReader::new(&special(0x00)).read_f32("x").unwrap(), f32::INFINITY);
        assert_eq!(
            DlibReader::new(&special(0x01)).read_f64("x").unwrap(),
            f64::NEG_INFINITY
        );
        assert!(DlibReader::new(&special(0x02)).read_f32("x").unwrap().is_nan());
    }

    #[test]
    fn tiny_and_huge_floats_round_like_ldexp() {
        // 1 · 2^-149 is the smallest f32 subnormal; 1 · 2^-150 rounds to 0 (ties to even); 2^200 overflows.
        let with_exponent = |neg: u8, e: u8| [0x01, 0x01, 0x01 | neg, e];
        assert_eq!(
            DlibReader::new(&with_exponent(0x80, 149)).read_f32("x").unwrap(),
            f32::from_bits(1)
        );
        assert_eq!(DlibReader::new(&with_exponent(0x80, 150)).read_f32("x").unwrap(), 0.0);
        assert_eq!(
            DlibReader::new(&with_exponent(0, 200)).read_f32("x").unwrap(),
            f32::INFINITY
        );
        assert_eq!(
            DlibReader::new(&with_exponent(0, 200)).read_f64("x").unwrap(),
            2f64.powi(200)
        );
        assert_eq!(
            DlibReader::new(&[0x01, 0x01, 0x82, 0x32, 0x04]).read_f64("x").unwrap(),
            f64::from_bits(1)
        );
    }

    #[test]
    fn old_ascii_floats_are_refused_with_a_clear_message() {
        let err = DlibReader::new(b"1.5 ").read_f32("thresh").unwrap_err();
        assert!(err.problem.contains("ASCII"), "{err}");
        assert_eq!(err.what, "thresh");
    }

    #[test]
    fn bools_strings_and_tags() {
        let bytes = [b'1', b'0', 0x01, 0x03, b'c', b'o', b'n', 0x01, 0x02, b'f', b'c', b'2'];
        let mut r = DlibReader::new(&bytes);
        assert!(r.read_bool("a").unwrap());
        assert!(!r.read_bool("b").unwrap());
        assert_eq!(r.read_string("name").unwrap(), "con");
        let err = r.expect_string("relu", "layer tag").unwrap_err();
        assert_eq!(err.offset, 7);
        assert!(err.problem.contains("expected \"relu\", found \"fc\""), "{err}");
        let err = r.read_bool("flag").unwrap_err();
        assert!(err.problem.contains("not a bool"), "{err}");
    }

    #[test]
    fn a_length_longer_than_the_data_is_refused_before_allocating() {
        let mut bytes = vec![0x08];
        bytes.extend([0xff; 7]);
        bytes.push(0x7f);
        let err = DlibReader::new(&bytes).read_string("name").unwrap_err();
        assert!(err.problem.contains("exceeds"), "{err}");
        let err = DlibReader::new(&bytes)
            .read_vec("forests", |r, _| r.read_u8("x"))
            .unwrap_err();
        assert!(err.problem.contains("exceeds"), "{err}");
    }

    #[test]
    fn vectors_name_the_failing_element() {
        // [1, 2, <missing>]: a vector of three unsigned ints with the last one cut off.
        let bytes = [0x01, 0x03, 0x01, 0x01, 0x01, 0x02, 0x01];
        let err = DlibReader::new(&bytes)
            .read_vec("anchor_idx", |r, _| r.read_u64("index"))
            .unwrap_err();
        assert_eq!(err.offset, 6);
        assert_eq!(err.what, "index in element 2 of anchor_idx");
        let ok = DlibReader::new(&bytes[..6]).read_vec("v", |r, _| r.read_u64("i"));
        assert!(ok.is_err(), "a two-byte element cut to one byte is an error");
        let mut r = DlibReader::new(&[0x01, 0x02, 0x01, 0x01, 0x01, 0x02]);
        assert_eq!(r.read_vec("v", |r, _| r.read_u64("i")).unwrap(), vec![1, 2]);
    }

    #[test]
    fn matrices_accept_both_dimension_conventions() {
        // New format: rows and cols negated (-2, -1), then 2 floats; old format: positive (1, 1).
        let one = [0x01, 0x80, 0x81, 0x07];
        let mut bytes = vec![0x81, 0x02, 0x81, 0x01];
        bytes.extend(one);
        bytes.extend([0x01, 0x00, 0x01, 0x00]);
        bytes.extend([0x01, 0x01, 0x01, 0x01]);
        bytes.extend(one);
        let mut r = DlibReader::new(&bytes);
        assert_eq!(
            r.read_matrix_f32("m").unwrap(),
            DlibMatrix {
                rows: 2,
                cols: 1,
                data: vec![1.0, 0.0]
            }
        );
        assert_eq!(
            r.read_matrix_f32("m").unwrap(),
            DlibMatrix {
                rows: 1,
                cols: 1,
                data: vec![1.0]
            }
        );
        let err = DlibReader::new(&[0x84, 0xff, 0xff, 0xff, 0x7f, 0x81, 0x02])
            .read_matrix_f32("initial_shape")
            .unwrap_err();
        assert!(err.problem.contains("exceeds"), "{err}");
    }

    #[test]
    fn points_are_x_then_y() {
        let bytes = [0x01, 0x80, 0x81, 0x07, 0x81, 0x03, 0x81, 0x02];
        assert_eq!(DlibReader::new(&bytes).read_point_f32("delta").unwrap(), [1.0, -0.75]);
        let err = DlibReader::new(&bytes[..6]).read_point_f32("delta").unwrap_err();
        assert_eq!(err.what, "y in delta");
        assert_eq!(err.offset, 4);
    }

    #[test]
    fn within_names_the_enclosing_item() {
        let err = DlibReader::new(&[])
            .read_u8("thresh")
            .unwrap_err()
            .within("split 3")
            .within("tree 1");
        assert_eq!(
            err.to_string(),
            "at byte 0: unexpected end of data (1 bytes needed, 0 left) while reading thresh in split 3 in tree 1"
        );
    }
}
