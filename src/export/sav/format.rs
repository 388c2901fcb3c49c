//! The bytes of an SPSS system file, after PSPP's "System File Format" description (and
//! checked against what ReadStat and PSPP themselves write).
//!
//! Everything is little-endian, and the file says so (machine integer info, endianness 2),
//! so the output is the same on every machine. Text is UTF-8 (character code 65001 and the
//! encoding record "UTF-8"). The data is bytecode-compressed ("simple" compression, bias
//! 100): strings are sized to their longest value, so most 8-byte chunks of a wide text
//! variable are blank, and a blank chunk costs one code byte instead of eight.
//!
//! Records written, in order: file header (type 1, called "record 1" here as in PSPP's
//! text), one variable record (type 2) per 8-byte slot, value labels (types 3 and 4), machine
//! integer info (7.3), floating point info (7.4), display parameters (7.11), long variable
//! names (7.13), very long strings (7.14, only when there are any), encoding (7.20),
//! dictionary termination (999); the compressed cases follow (see `cases`).

use std::collections::HashSet;
use std::io::{self, Write};

/// The system-missing value: an empty numeric cell.
pub const SYSMIS: f64 = -f64::MAX;
/// The widest string SPSS holds, in bytes.
pub const MAX_STRING_WIDTH: usize = 32_767;
/// SPSS keeps at most this many bytes of a variable label.
pub const MAX_VARIABLE_LABEL: usize = 255;
/// The longest value label SPSS documents (PSPP reads up to 255, SPSS since 14 up to 120).
pub const MAX_VALUE_LABEL: usize = 120;

/// Strings wider than this are "very long": several string variables ("segments") glued.
pub(super) const MAX_SEGMENT_WIDTH: usize = 255;
/// Each segment but the last counts for this many bytes of the very long string's width.
const SEGMENT_STEP: usize = 252;
/// Bias of the compression codes: code `n` stands for the number `n - 100`.
pub(super) const BIAS: f64 = 100.0;
/// 2 is "record layout of SPSS 4 and later"; every reader expects it.
const LAYOUT_CODE: i32 = 2;
/// Character code of UTF-8 in the machine integer info record (a Windows code page number).
const UTF8_CODE_PAGE: i32 = 65001;

/// The measurement level SPSS shows and uses to pick charts and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    Nominal,
    Ordinal,
    Scale,
}

impl Measure {
    fn code(self) -> i32 {
        match self {
            Measure::Nominal => 1,
            Measure::Ordinal => 2,
            Measure::Scale => 3,
        }
    }
}

/// What a variable stores and how SPSS shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// `Fw.d`.
    Number { width: u8, decimals: u8 },
    /// `DATETIMEw.d`: seconds since 1582-10-14 00:00.
    DateTime { width: u8, decimals: u8 },
    /// `Aw`: `width` bytes of UTF-8, blank-padded.
    Text { width: usize },
}

impl Storage {
    fn string_width(self) -> Option<usize> {
        match self {
            Storage::Text { width } => Some(width),
            _ => None,
        }
    }
}

/// One variable of the dictionary.
#[derive(Debug, Clone, PartialEq)]
pub struct Variable {
    /// The (long) name: at most 64 bytes, already SPSS-safe and unique.
    pub name: String,
    pub label: String,
    pub storage: Storage,
    pub measure: Measure,
    /// Column width in SPSS's Data View, in characters.
    pub display_width: u32,
    pub value_labels: Vec<(f64, String)>,
}

impl Variable {
    /// The widths of its segments: one for numbers and strings up to 255 bytes.
    pub fn segments(&self) -> Vec<usize> {
        match self.storage.string_width() {
            Some(width) => segment_widths(width).collect(),
            None => vec![0],
        }
    }

    /// How many 8-byte slots a case spends on it.
    fn slots(&self) -> usize {
        self.segments().iter().map(|&w| slots(w)).sum()
    }
}

/// Segment widths of a string: 255 for all but the last, which has what is left once each
/// earlier segment has counted for 252 bytes (that is how SPSS defines them).
pub(super) fn segment_widths(width: usize) -> impl Iterator<Item = usize> {
    let n = if width <= MAX_SEGMENT_WIDTH {
        1
    } else {
        width.div_ceil(SEGMENT_STEP)
    };
    (0..n).map(move |k| {
        if k + 1 < n {
            MAX_SEGMENT_WIDTH
        } else {
            width - (n - 1) * SEGMENT_STEP
        }
    })
}

/// 8-byte slots of one segment (a number is width 0 and takes one).
pub(super) fn slots(segment_width: usize) -> usize {
    segment_width.div_ceil(8).max(1)
}

/// The longest prefix of `text` that fits `max` bytes without cutting a character.
pub fn truncate_utf8(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The whole dictionary, written before the cases.
pub struct Dictionary<'a> {
    pub variables: &'a [Variable],
    /// The form's title; SPSS keeps 64 bytes of it.
    pub file_label: &'a str,
    pub cases: u64,
    pub created: chrono::DateTime<chrono::Utc>,
}

impl Dictionary<'_> {
    pub fn write<W: Write>(&self, out: &mut W) -> io::Result<()> {
        let short = short_names(self.variables);
        self.header(out)?;
        for (variable, names) in self.variables.iter().zip(&short) {
            variable_records(out, variable, names)?;
        }
        self.value_labels(out)?;
        machine_integer_info(out)?;
        floating_point_info(out)?;
        self.display_parameters(out)?;
        self.long_names(out, &short)?;
        self.very_long_strings(out, &short)?;
        text_record(out, 20, b"UTF-8")?;
        // Dictionary termination: record type 999 and a filler.
        put_i32(out, 999)?;
        put_i32(out, 0)
    }

    fn header<W: Write>(&self, out: &mut W) -> io::Result<()> {
        let slots: usize = self.variables.iter().map(Variable::slots).sum();
        out.write_all(b"$FL2")?;
        let product = concat!("@(#) SPSS DATA FILE fieldnotes ", env!("CARGO_PKG_VERSION"));
        put_padded(out, product.as_bytes(), 60, b' ')?;
        put_i32(out, LAYOUT_CODE)?;
        put_i32(out, i32::try_from(slots).unwrap_or(-1))?;
        put_i32(out, 1)?; // bytecode compression
        put_i32(out, 0)?; // no weight variable
        // The real count: the cases were counted before the dictionary is written (the
        // stream cannot seek back). Past i32, -1 is the format's "unknown".
        put_i32(out, i32::try_from(self.cases).unwrap_or(-1))?;
        out.write_all(&BIAS.to_le_bytes())?;
        let date = self.created.format("%d %b %y").to_string();
        let time = self.created.format("%H:%M:%S").to_string();
        put_padded(out, date.as_bytes(), 9, b' ')?;
        put_padded(out, time.as_bytes(), 8, b' ')?;
        put_padded(out, truncate_utf8(self.file_label, 64).as_bytes(), 64, b' ')?;
        out.write_all(&[0; 3])
    }

    /// One type 3 record (the labels) and one type 4 record (the variable) per labelled
    /// variable; only numeric variables carry value labels here.
    fn value_labels<W: Write>(&self, out: &mut W) -> io::Result<()> {
        let mut index = 1; // dictionary index: 1-based, counting every slot
        for variable in self.variables {
            if !variable.value_labels.is_empty() && variable.storage.string_width().is_none() {
                put_i32(out, 3)?;
                put_i32(out, count(variable.value_labels.len())?)?;
                for (value, label) in &variable.value_labels {
                    out.write_all(&value.to_le_bytes())?;
                    let label = truncate_utf8(label, MAX_VALUE_LABEL).as_bytes();
                    // The length byte and the label together fill whole 8-byte units.
                    let padded = (1 + label.len()).next_multiple_of(8) - 1;
                    let length = u8::try_from(label.len()).map_err(io::Error::other)?;
                    out.write_all(&[length])?;
                    put_padded(out, label, padded, b' ')?;
                }
                put_i32(out, 4)?;
                put_i32(out, 1)?;
                put_i32(out, count(index)?)?;
            }
            index += variable.slots();
        }
        Ok(())
    }

    /// Measure, display width and alignment, once per segment.
    fn display_parameters<W: Write>(&self, out: &mut W) -> io::Result<()> {
        let segments: usize = self.variables.iter().map(|v| v.segments().len()).sum();
        info_header(out, 11, 4, count(segments * 3)?)?;
        for variable in self.variables {
            // Text reads best flush left, numbers flush right (SPSS's own defaults).
            let alignment = if variable.storage.string_width().is_some() {
                0
            } else {
                1
            };
            for _ in variable.segments() {
                put_i32(out, variable.measure.code())?;
                put_i32(
                    out,
                    i32::try_from(variable.display_width).unwrap_or(i32::MAX),
                )?;
                put_i32(out, alignment)?;
            }
        }
        Ok(())
    }

    /// `SHORT=long` pairs separated by tabs: the names SPSS shows.
    fn long_names<W: Write>(&self, out: &mut W, short: &[Vec<String>]) -> io::Result<()> {
        let pairs: Vec<String> = self
            .variables
            .iter()
            .zip(short)
            .map(|(v, names)| format!("{}={}", names[0], v.name))
            .collect();
        text_record(out, 13, pairs.join("\t").as_bytes())
    }

    /// `SHORT=width` (five digits) then NUL and tab, for each string wider than 255 bytes.
    fn very_long_strings<W: Write>(&self, out: &mut W, short: &[Vec<String>]) -> io::Result<()> {
        let mut body = String::new();
        for (variable, names) in self.variables.iter().zip(short) {
            if let Some(width) = variable.storage.string_width()
                && width > MAX_SEGMENT_WIDTH
            {
                body.push_str(&format!("{}={width:05}\0\t", names[0]));
            }
        }
        if body.is_empty() {
            return Ok(());
        }
        text_record(out, 14, body.as_bytes())
    }
}

/// The variable's type 2 records: the first segment with the label, continuation records
/// for every further 8 bytes, then each further segment of a very long string the same way.
fn variable_records<W: Write>(
    out: &mut W,
    variable: &Variable,
    names: &[String],
) -> io::Result<()> {
    for (index, (width, name)) in variable.segments().into_iter().zip(names).enumerate() {
        let label = (index == 0 && !variable.label.is_empty()).then_some(&variable.label);
        let format = match variable.storage {
            Storage::Number { width, decimals } => encode_format(5, width, decimals),
            Storage::DateTime { width, decimals } => encode_format(22, width, decimals),
            // A segment's format is as wide as the segment (at most 255, so it fits a byte).
            Storage::Text { .. } => {
                encode_format(1, u8::try_from(width).map_err(io::Error::other)?, 0)
            }
        };
        put_i32(out, 2)?;
        put_i32(out, count(width)?)?; // 0 numeric, else the string width
        put_i32(out, i32::from(label.is_some()))?;
        put_i32(out, 0)?; // no user-missing values
        put_i32(out, format)?; // print format
        put_i32(out, format)?; // write format
        put_padded(out, name.as_bytes(), 8, b' ')?;
        if let Some(label) = label {
            let label = truncate_utf8(label, MAX_VARIABLE_LABEL).as_bytes();
            put_i32(out, count(label.len())?)?;
            put_padded(out, label, label.len().next_multiple_of(4), 0)?;
        }
        for _ in 1..slots(width) {
            put_i32(out, 2)?;
            put_i32(out, -1)?; // continuation of the string before
            for _ in 0..4 {
                put_i32(out, 0)?;
            }
            out.write_all(&[b' '; 8])?;
        }
    }
    Ok(())
}

/// Print and write formats pack the type, width and decimals in one int32.
fn encode_format(kind: u8, width: u8, decimals: u8) -> i32 {
    (i32::from(kind) << 16) | (i32::from(width) << 8) | i32::from(decimals)
}

/// Eight-byte short names, one per segment, unique without regard to case: what readers
/// that ignore the long-name record show, and what the long-name and very-long-string
/// records are keyed on. Derived from the long name so that they stay recognisable.
fn short_names(variables: &[Variable]) -> Vec<Vec<String>> {
    let mut taken = HashSet::new();
    variables
        .iter()
        .map(|variable| {
            let base: String = variable
                .name
                .chars()
                .map(|c| c.to_ascii_uppercase())
                .collect();
            let first = claim_short(&base, &mut taken);
            let mut names = vec![first.clone()];
            for segment in 1..variable.segments().len() {
                let stem = truncate_utf8(&first, 5);
                names.push(claim_short(&format!("{stem}{segment}"), &mut taken));
            }
            names
        })
        .collect()
}

fn claim_short(base: &str, taken: &mut HashSet<String>) -> String {
    // Long names are ASCII (see `names`), so byte cuts are character cuts.
    let fits =
        |stem: &str, room: usize| truncate_utf8(stem, room).trim_end_matches('.').to_string();
    let first = fits(base, 8);
    if !first.is_empty() && !super::names::is_reserved(&first) && taken.insert(first.clone()) {
        return first;
    }
    let stem = if first.is_empty() {
        "V".to_string()
    } else {
        first
    };
    (1..)
        .map(|n: u32| {
            let digits = n.to_string();
            format!("{}{digits}", fits(&stem, 8 - digits.len()))
        })
        .find(|candidate| taken.insert(candidate.clone()))
        .unwrap_or_default() // the range is endless: one is always free
}

fn machine_integer_info<W: Write>(out: &mut W) -> io::Result<()> {
    info_header(out, 3, 4, 8)?;
    let version: Vec<i32> = env!("CARGO_PKG_VERSION")
        .split('.')
        .map(|part| part.parse().unwrap_or(0))
        .chain([0, 0, 0])
        .take(3)
        .collect();
    for value in version {
        put_i32(out, value)?;
    }
    put_i32(out, -1)?; // machine code: unspecified
    put_i32(out, 1)?; // IEEE 754 floating point
    put_i32(out, 1)?; // compression code (SPSS writes 1)
    put_i32(out, 2)?; // little-endian
    put_i32(out, UTF8_CODE_PAGE)
}

fn floating_point_info<W: Write>(out: &mut W) -> io::Result<()> {
    info_header(out, 4, 8, 3)?;
    out.write_all(&SYSMIS.to_le_bytes())?;
    out.write_all(&f64::MAX.to_le_bytes())?; // HIGHEST
    // LOWEST: the number just above SYSMIS.
    out.write_all(&f64::from_bits(SYSMIS.to_bits() - 1).to_le_bytes())
}

fn info_header<W: Write>(out: &mut W, subtype: i32, size: i32, count: i32) -> io::Result<()> {
    put_i32(out, 7)?;
    put_i32(out, subtype)?;
    put_i32(out, size)?;
    put_i32(out, count)
}

fn text_record<W: Write>(out: &mut W, subtype: i32, body: &[u8]) -> io::Result<()> {
    info_header(out, subtype, 1, count(body.len())?)?;
    out.write_all(body)
}

fn put_i32<W: Write>(out: &mut W, value: i32) -> io::Result<()> {
    out.write_all(&value.to_le_bytes())
}

/// `bytes` (cut at `len`) then `pad` up to exactly `len` bytes.
fn put_padded<W: Write>(out: &mut W, bytes: &[u8], len: usize, pad: u8) -> io::Result<()> {
    let bytes = &bytes[..bytes.len().min(len)];
    out.write_all(bytes)?;
    out.write_all(&vec![pad; len - bytes.len()])
}

/// A count for an int32 field; a dictionary that large cannot be written at all.
fn count(n: usize) -> io::Result<i32> {
    i32::try_from(n).map_err(|_| io::Error::other("too large for an SPSS system file"))
}
