//! The decoder of dlib's compressed text resources: how `dlib/image_processing/frontal_face_detector.h`
//! stores the serialised HOG face detector. The header holds base64 text (`sout << "…";` lines); the bytes
//! it encodes are a `compress_stream::kernel_1ea` stream (dlib `compress_stream/compress_stream_kernel_1.h`):
//! a PPM model of order 4 over 257 symbols (256 bytes and an end marker) with escape method D, Shkarin's
//! information inheritance and at most 200,000 context nodes (dlib
//! `entropy_decoder_model/entropy_decoder_model_kernel_5.h`, after Moffat 1990), driving a 32-bit range
//! decoder (dlib `entropy_decoder/entropy_decoder_kernel_2.cpp`). Every 20,000 symbols the stream carries
//! a check value; after the end marker, the CRC-32 of the data, big-endian.
//!
//! Written from the format those files describe; every integer width and wrap-around is dlib's (`u32`
//! coder state, `u16` node counts), because the model must stay in step with the encoder bit for bit.

use crate::{Error, Result};

/// The text between the quotes of every `sout << "…";` line of `header`, concatenated: the base64 form of
/// the compressed detector.
pub fn embedded_base64(header: &str) -> String {
    header
        .lines()
        .filter_map(|line| line.trim().strip_prefix("sout << \"")?.strip_suffix("\";"))
        .collect()
}

/// The serialised detector that dlib's header `header` carries: base64 → compressed → bytes.
pub fn decode_header(header: &str) -> Result<Vec<u8>> {
    let text = embedded_base64(header);
    if text.is_empty() {
        return Err(Error::Invalid(
            "the header holds no `sout << \"…\";` lines of base64 text".into(),
        ));
    }
    decompress(&decode_base64(&text)?)
}

/// Standard base64 (`A–Z a–z 0–9 + /`, `=` padding); white space is skipped.
pub fn decode_base64(text: &str) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut bits, mut nbits) = (0u32, 0u32);
    for (i, ch) in text.bytes().enumerate() {
        let value = match ch {
            b'A'..=b'Z' => ch - b'A',
            b'a'..=b'z' => ch - b'a' + 26,
            b'0'..=b'9' => ch - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            c if c.is_ascii_whitespace() => continue,
            c => {
                return Err(Error::Invalid(format!(
                    "base64 text: byte {c:#04x} at {i} is not base64"
                )));
            }
        };
        bits = (bits << 6) | u32::from(value);
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            out.push((bits >> nbits) as u8);
            bits &= (1 << nbits) - 1;
        }
    }
    Ok(out)
}

/// The end-of-data symbol of the 257-symbol alphabet.
const END_OF_DATA: u32 = 256;
/// After this many symbols the encoder writes a check value (1500 out of 8000).
const CHECK_INTERVAL: usize = 20_000;

/// The most bytes [`decompress`] produces (dlib 20.0.1's detector is about 0.4 MB): past it, a stream is
/// refused as corrupt instead of growing without bound.
pub const MAX_DECOMPRESSED_BYTES: usize = 64 << 20;
/// How many bytes the range decoder may read past the end of a stream (it reads 4 ahead, zeros past the end).
const READ_PAST_END: usize = 8;

/// Decompresses a `compress_stream::kernel_1ea` stream, checking its periodic markers and final CRC-32.
///
/// Memory bound: the model's fixed 200,000 context nodes plus the output, at most
/// [`MAX_DECOMPRESSED_BYTES`]; a stream whose decoder runs more than a few bytes past its end before the end
/// marker is an error, so garbage cannot decode forever.
pub fn decompress(compressed: &[u8]) -> Result<Vec<u8>> {
    let corrupt = |what: &str| Error::Invalid(format!("compressed stream: {what}"));
    let mut coder = RangeDecoder::new(compressed);
    let mut model = PpmModel::new();
    let mut out = Vec::new();
    let mut since_check = 0;
    loop {
        if coder.pos > compressed.len() + READ_PAST_END {
            return Err(corrupt(&format!(
                "no end marker within the {} bytes ({} decoded)",
                compressed.len(),
                out.len()
            )));
        }
        if out.len() >= MAX_DECOMPRESSED_BYTES {
            return Err(corrupt(&format!("more than {MAX_DECOMPRESSED_BYTES} bytes decoded")));
        }
        if since_check == CHECK_INTERVAL {
            if coder.target(8000) != 1500 {
                return Err(corrupt(&format!("check value missing after {} bytes", out.len())));
            }
            coder.decode(1500, 1501);
            since_check = 0;
        }
        since_check += 1;
        let symbol = model.decode(&mut coder);
        if symbol == END_OF_DATA {
            break;
        }
        out.push(symbol as u8);
    }
    let stored = (0..4).fold(0u32, |acc, _| (acc << 8) | (model.decode(&mut coder) & 0xFF));
    if stored != crc32(&out) {
        return Err(corrupt(&format!("CRC-32 {:08x} ≠ stored {stored:08x}", crc32(&out))));
    }
    Ok(out)
}

/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as dlib's `crc32`.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    crc ^ 0xFFFF_FFFF
}

/// dlib's 32-bit range decoder: `high` is the real upper end minus one; bytes roll out at the top when
/// `low` and `high` agree on them; a range that becomes too narrow is forced to agree.
struct RangeDecoder<'a> {
    data: &'a [u8],
    pos: usize,
    low: u32,
    high: u32,
    target: u32,
    step: u32,
}

impl<'a> RangeDecoder<'a> {
    fn new(data: &'a [u8]) -> Self {
        let mut coder = Self {
            data,
            pos: 0,
            low: 1,
            high: u32::MAX,
            target: 0,
            step: 0,
        };
        for _ in 0..4 {
            coder.target = (coder.target << 8) | u32::from(coder.next_byte());
        }
        coder
    }

    /// The next input byte; 0 past the end, as dlib reads it.
    fn next_byte(&mut self) -> u8 {
        let byte = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        byte
    }

    /// Where the coded value falls in `0..total`.
    fn target(&mut self, total: u32) -> u32 {
        self.step = self.high.wrapping_sub(self.low).wrapping_add(1) / total;
        (self.target.wrapping_sub(self.low) / self.step).min(total - 1)
    }

    /// Consumes the symbol that occupies `low_count..high_count` of the last [`Self::target`]'s total.
    fn decode(&mut self, low_count: u32, high_count: u32) {
        self.high = self
            .low
            .wrapping_add(self.step.wrapping_mul(high_count))
            .wrapping_sub(1);
        self.low = self.low.wrapping_add(self.step.wrapping_mul(low_count));
        self.step = 0;
        loop {
            if (self.high & 0xFF00_0000) != (self.low & 0xFF00_0000) {
                let width = self.high.wrapping_sub(self.low);
                if width >= 0x10000 {
                    break;
                }
                self.high >>= 1;
                self.low >>= 1;
                let middle = self.high.wrapping_add(self.low);
                let margin = if width > 0x1000 { 0xFF } else { 0 };
                self.high = middle.wrapping_add(margin);
                self.low = middle.wrapping_sub(margin);
            } else {
                let byte = self.next_byte();
                self.target = (self.target << 8) | u32::from(byte);
                self.high = (self.high << 8) | 0xFF;
                self.low <<= 8;
                if self.low == 0 {
                    self.low = 1;
                }
            }
        }
    }
}

const ALPHABET: u32 = 257;
const MAX_ORDER: usize = 4;
const MAX_NODES: usize = 200_000;
const NIL: u32 = u32::MAX;
const ROOT: u32 = 0;

/// A context node: a symbol seen after its parent's context, and the statistics of what follows it.
#[derive(Debug, Clone, Copy)]
struct Node {
    /// The next node of the same context set.
    next: u32,
    /// The first node of the child context set.
    child: u32,
    /// The same symbol in the context one symbol shorter.
    parent: u32,
    symbol: u16,
    count: u16,
    /// Sum of the children's counts plus the escapes.
    total: u16,
    escapes: u16,
}

const EMPTY: Node = Node {
    next: NIL,
    child: NIL,
    parent: NIL,
    symbol: 0,
    count: 0,
    total: 0,
    escapes: 0,
};

/// dlib's `entropy_decoder_model_kernel_5<257, …, 200000, 4>`.
struct PpmModel {
    nodes: Vec<Node>,
    next_free: usize,
    current: u32,
    current_order: usize,
    excluded: [u32; (ALPHABET / 32 + 1) as usize],
    any_excluded: bool,
    /// New nodes of this symbol and the context each was added to, initialised once the symbol is known.
    added: Vec<(u32, u32)>,
}

impl PpmModel {
    fn new() -> Self {
        Self {
            nodes: vec![EMPTY; MAX_NODES],
            next_free: 1,
            current: ROOT,
            current_order: 0,
            excluded: [0; (ALPHABET / 32 + 1) as usize],
            any_excluded: false,
            added: Vec::with_capacity(MAX_ORDER + 2),
        }
    }

    fn node(&mut self, index: u32) -> &mut Node {
        &mut self.nodes[index as usize]
    }

    /// Forgets every context (dlib's `clear`, when the node pool runs out).
    fn reset(&mut self) {
        self.next_free = 1;
        let root = self.node(ROOT);
        root.child = NIL;
        root.escapes = 0;
        root.total = 0;
        self.current = ROOT;
        self.current_order = 0;
        self.added.clear();
        self.clear_exclusions();
    }

    fn allocate(&mut self) -> u32 {
        self.next_free += 1;
        (self.next_free - 1) as u32
    }

    fn clear_exclusions(&mut self) {
        self.excluded = [0; (ALPHABET / 32 + 1) as usize];
        self.any_excluded = false;
    }

    fn exclude(&mut self, symbol: u16) {
        self.any_excluded = true;
        self.excluded[usize::from(symbol >> 5)] |= 1 << (symbol & 0x1F);
    }

    fn is_excluded(&self, symbol: u16) -> bool {
        self.excluded[usize::from(symbol >> 5)] & (1 << (symbol & 0x1F)) != 0
    }

    /// Halves the counts of `context`'s children (never to 0) and its escapes.
    fn halve_counts(&mut self, context: u32) {
        let ctx = self.node(context);
        if ctx.escapes > 1 {
            ctx.escapes >>= 1;
        }
        let mut total = ctx.escapes;
        let mut n = ctx.child;
        while n != NIL {
            let node = self.node(n);
            if node.count > 1 {
                node.count >>= 1;
            }
            total = total.wrapping_add(node.count);
            n = node.next;
        }
        self.node(context).total = total;
    }

    /// The total of `context`'s children that are not excluded, plus its escapes.
    fn unexcluded_total(&self, context: u32) -> u32 {
        let ctx = &self.nodes[context as usize];
        let mut total = u32::from(ctx.escapes);
        let mut n = ctx.child;
        while n != NIL {
            let node = &self.nodes[n as usize];
            if !self.is_excluded(node.symbol) {
                total += u32::from(node.count);
            }
            n = node.next;
        }
        total
    }

    /// Chains a fresh node after `previous` (through `parent`) or starts the chain.
    fn chain_new_node(&mut self, previous: u32) -> u32 {
        let fresh = self.allocate();
        if previous != NIL {
            self.node(previous).parent = fresh;
        }
        fresh
    }

    /// Decodes one symbol, escaping from the longest context down to the order −1 context.
    fn decode(&mut self, coder: &mut RangeDecoder) -> u32 {
        let mut context = self.current;
        self.current = NIL;
        let mut new_node = NIL;
        let mut order = self.current_order;
        if self.any_excluded {
            self.clear_exclusions();
        }
        let (symbol, count, total);
        loop {
            if self.next_free >= MAX_NODES {
                self.reset();
                context = self.current;
                order = self.current_order;
                self.current = NIL;
                new_node = NIL;
                continue;
            }
            if self.nodes[context as usize].total > 0 {
                if self.nodes[context as usize].total > 10_000 {
                    self.halve_counts(context);
                }
                let sum = if self.any_excluded {
                    self.unexcluded_total(context)
                } else {
                    u32::from(self.nodes[context as usize].total)
                };
                let target = coder.target(sum);
                let mut high = 0u32;
                let mut n = self.nodes[context as usize].child;
                let mut last = NIL;
                loop {
                    let node = self.nodes[n as usize];
                    if !self.is_excluded(node.symbol) {
                        high += u32::from(node.count);
                        self.exclude(node.symbol);
                    }
                    if high > target || node.next == NIL {
                        break;
                    }
                    last = n;
                    n = node.next;
                }
                if high > target {
                    if new_node != NIL {
                        self.node(new_node).parent = n;
                    }
                    let found = self.nodes[n as usize];
                    coder.decode(high - u32::from(found.count), high);
                    symbol = u32::from(found.symbol);
                    count = found.count.wrapping_add(8);
                    self.node(n).count = count;
                    total = self.nodes[context as usize].total.wrapping_add(8);
                    self.node(context).total = total;
                    if last != NIL {
                        self.node(last).next = found.next;
                        self.node(n).next = self.nodes[context as usize].child;
                        self.node(context).child = n;
                    }
                    if self.current == NIL {
                        if order < MAX_ORDER {
                            self.current_order = order + 1;
                            self.current = n;
                        } else {
                            self.current = found.parent;
                            self.current_order = order;
                        }
                    }
                    break;
                }
                new_node = self.chain_new_node(new_node);
                self.node(n).next = new_node;
                coder.decode(high, sum);
            } else {
                new_node = self.chain_new_node(new_node);
                self.node(context).child = new_node;
            }
            if self.current == NIL && order < MAX_ORDER {
                self.current = new_node;
                self.current_order = order + 1;
            }
            let fresh = self.node(new_node);
            (fresh.child, fresh.next, fresh.escapes, fresh.total) = (NIL, NIL, 0, 0);
            self.added.push((new_node, context));
            if context != ROOT {
                context = self.nodes[context as usize].parent;
                order -= 1;
                continue;
            }
            let target = coder.target(ALPHABET);
            self.node(new_node).parent = ROOT;
            coder.decode(target, target + 1);
            symbol = target;
            (count, total) = (8, 2056);
            if self.current == NIL {
                self.current = ROOT;
                self.current_order = 0;
            }
            break;
        }
        self.initialise_added(symbol, count, total);
        symbol
    }

    /// Gives the nodes added for `symbol` their counts, inherited from the context the symbol was found in
    /// (its count `count` out of `total`).
    fn initialise_added(&mut self, symbol: u32, count: u16, total: u16) {
        let (c, t) = (i64::from(count), i64::from(total));
        while let Some((n, context)) = self.added.pop() {
            self.node(n).symbol = symbol as u16;
            let ctx = self.nodes[context as usize];
            let new_count = if ctx.total != 0 {
                let spread = (t - c + i64::from(ctx.total) - 2 * i64::from(ctx.escapes)) as u64;
                let inherited = (u64::from(ctx.total) * c as u64 / (spread | 1) + 2).min(50_000) as u16;
                let ctx = self.node(context);
                ctx.escapes = ctx.escapes.wrapping_add(4);
                ctx.total = ctx.total.wrapping_add(inherited).wrapping_add(4);
                inherited
            } else {
                let first = (3 + 5 * c / (t - c).max(1)) as u16;
                let ctx = self.node(context);
                ctx.escapes = 4;
                ctx.total = first.wrapping_add(4);
                first
            };
            self.node(n).count = new_count;
            while self.nodes[context as usize].total > 10_000 {
                self.halve_counts(context);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_decodes_with_and_without_padding() {
        assert_eq!(decode_base64("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(decode_base64("aGVs\nbG8").unwrap(), b"hello");
        assert!(decode_base64("aGV*").is_err());
    }

    #[test]
    fn crc32_is_the_ieee_checksum() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn header_lines_are_joined_in_order() {
        let header = "x\n        sout << \"AB\";\n  // no\n        sout << \"CD\";\n";
        assert_eq!(embedded_base64(header), "ABCD");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(decompress(&[0x12, 0x34, 0x56, 0x78, 0x9A]).is_err());
        // No input reads as zeros: the end marker at once and the CRC of nothing (0), as in dlib.
        assert_eq!(decompress(&[]).unwrap(), Vec::<u8>::new());
    }
}
