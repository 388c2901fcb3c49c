//! The cases, bytecode-compressed ("simple" compression in PSPP's description).

use std::io::{self, Write};

use super::format::{BIAS, MAX_SEGMENT_WIDTH, SYSMIS, segment_widths, slots};

/// Writes cases with bytecode compression: each 8-byte slot becomes one code byte, eight
/// codes make a block, and the slots that no code can stand for follow their block as they
/// are. Blocks run on across cases; the last one is padded with code 0 (ignored).
pub struct CaseWriter<W: Write> {
    out: W,
    codes: [u8; 8],
    used: usize,
    literal: Vec<u8>,
}

impl<W: Write> CaseWriter<W> {
    pub fn new(out: W) -> Self {
        CaseWriter {
            out,
            codes: [0; 8],
            used: 0,
            literal: Vec::with_capacity(64),
        }
    }

    pub fn number(&mut self, value: f64) -> io::Result<()> {
        if value == SYSMIS || !value.is_finite() {
            return self.code(255, None);
        }
        // Whole numbers from -99 to 151 are code + bias; -0.0 stays literal to keep its sign.
        let small = value.fract() == 0.0 && (-99.0..=151.0).contains(&value);
        if small && !(value == 0.0 && value.is_sign_negative()) {
            #[allow(
                clippy::cast_possible_truncation,
                reason = "a whole number in -99..=151, plus the bias, is in 1..=251"
            )]
            let code = (value + BIAS) as u8;
            return self.code(code, None);
        }
        self.code(253, Some(value.to_le_bytes()))
    }

    /// A string of `width` bytes (`value` must not be longer): each segment holds 255 bytes
    /// of it (the last what is left), blank-padded to whole slots.
    pub fn string(&mut self, width: usize, value: &[u8]) -> io::Result<()> {
        let mut rest = value;
        for segment in segment_widths(width) {
            let (here, later) = rest.split_at(rest.len().min(segment.min(MAX_SEGMENT_WIDTH)));
            rest = later;
            for slot in 0..slots(segment) {
                let mut chunk = [b' '; 8];
                if let Some(bytes) = here.get(slot * 8..) {
                    let bytes = &bytes[..bytes.len().min(8)];
                    chunk[..bytes.len()].copy_from_slice(bytes);
                }
                if chunk == [b' '; 8] {
                    self.code(254, None)?;
                } else {
                    self.code(253, Some(chunk))?;
                }
            }
        }
        Ok(())
    }

    fn code(&mut self, code: u8, literal: Option<[u8; 8]>) -> io::Result<()> {
        self.codes[self.used] = code;
        self.used += 1;
        if let Some(bytes) = literal {
            self.literal.extend_from_slice(&bytes);
        }
        if self.used == 8 {
            self.flush_block()?;
        }
        Ok(())
    }

    fn flush_block(&mut self) -> io::Result<()> {
        self.out.write_all(&self.codes)?;
        self.out.write_all(&self.literal)?;
        self.codes = [0; 8];
        self.used = 0;
        self.literal.clear();
        Ok(())
    }

    /// Writes the last, partly filled block and hands back the writer.
    pub fn finish(mut self) -> io::Result<W> {
        if self.used > 0 {
            self.flush_block()?;
        }
        self.out.flush()?;
        Ok(self.out)
    }
}
