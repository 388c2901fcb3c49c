//! CSV column names as SPSS variable names.
//!
//! The rules, applied to each column in table order (the same order as the CSV):
//! 1. A `question[option]` column becomes `question_option`; when the option has no letter or
//!    digit that survives rule 2 (an option written only in CJK, or only emoji), its
//!    position among the question's columns stands in: `tools[日本語]` → `tools_3`.
//! 2. Accents are taken off (Unicode NFKD, combining marks dropped: `Café` → `Cafe`). ASCII
//!    letters, digits and `_ . @ # $` are kept; every run of other characters becomes one `_`,
//!    or nothing at the end of the name (`a b/c` → `a_b_c`, `x (y)` → `x_y`).
//! 3. Trailing `.` are dropped (SPSS forbids them); a name that does not start with an ASCII
//!    letter gets a `v` in front (`1st` → `v1st`, `_x` → `v_x`, an empty name → `v`).
//! 4. A reserved word (`ALL AND BY EQ GE GT LE LT NE NOT OR TO WITH`, in any case) gets a `_`
//!    after it: `with` → `with_`.
//! 5. Names are cut to 64 bytes (all ASCII by now, so 64 characters).
//! 6. SPSS does not tell `Q1` from `q1`: a name already taken in any case gets `_2`, `_3`, …
//!    (the stem is cut so the whole stays within 64 bytes): the second `a` is `a_2`.
//!
//! Companion variables (`{name}_other`, see the module above) are claimed right after the
//! variable they belong to, under the same rule 6.

use std::collections::HashSet;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// SPSS names are at most 64 bytes.
pub const MAX_NAME: usize = 64;

const RESERVED: [&str; 13] = [
    "ALL", "AND", "BY", "EQ", "GE", "GT", "LE", "LT", "NE", "NOT", "OR", "TO", "WITH",
];

/// True for SPSS's reserved keywords, which can never name a variable.
pub fn is_reserved(name: &str) -> bool {
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(name))
}

fn keeps(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '@' | '#' | '$')
}

/// Rule 2: accents off, unsafe runs to one `_`, none trailing.
fn clean(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut gap = false;
    for c in raw.nfkd().filter(|&c| !is_combining_mark(c)) {
        if keeps(c) {
            if gap {
                out.push('_');
                gap = false;
            }
            out.push(c);
        } else {
            gap = true;
        }
    }
    out
}

/// Rules 2 to 5 for one name: SPSS-safe, not yet unique.
pub fn safe_name(raw: &str) -> String {
    let mut name = clean(raw).trim_end_matches('.').to_string();
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        name.insert(0, 'v');
    }
    if is_reserved(&name) {
        name.push('_');
    }
    cut(&name, MAX_NAME)
}

/// At most `max` bytes, without a trailing `.` (the name is ASCII, so bytes are characters).
fn cut(name: &str, max: usize) -> String {
    name[..name.len().min(max)]
        .trim_end_matches('.')
        .to_string()
}

/// Rule 1 then rules 2 to 5: the name a column asks for. `position` is the column's
/// 1-based place among the columns of its question.
pub fn column_base(column: &str, question: Option<&str>, position: usize) -> String {
    let option = question.and_then(|q| {
        column
            .strip_prefix(q)
            .and_then(|rest| rest.strip_prefix('['))
            .and_then(|rest| rest.strip_suffix(']'))
            .map(|option| (q, option))
    });
    match option {
        Some((q, option)) => {
            let part = clean(option);
            let part = part.trim_matches(|c| c == '_' || c == '.');
            if part.is_empty() {
                safe_name(&format!("{q}_{position}"))
            } else {
                safe_name(&format!("{q}_{part}"))
            }
        }
        None => safe_name(column),
    }
}

/// Rule 6: the names given so far, compared without regard to case.
#[derive(Default)]
pub struct Names {
    taken: HashSet<String>,
}

impl Names {
    /// `base` if it is free, else `base_2`, `base_3`, … cut to fit 64 bytes.
    pub fn claim(&mut self, base: &str) -> String {
        if self.taken.insert(base.to_ascii_lowercase()) {
            return base.to_string();
        }
        (2..)
            .map(|n: u32| {
                let suffix = format!("_{n}");
                format!("{}{suffix}", cut(base, MAX_NAME - suffix.len()))
            })
            .find(|candidate| self.taken.insert(candidate.to_ascii_lowercase()))
            .unwrap_or_default() // the range is endless: one is always free
    }
}

#[cfg(test)]
/// The SPSS names of a list of CSV column names (no question information: every column is
/// taken as it is), for documentation and tests.
pub fn spss_names<'a>(columns: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut names = Names::default();
    columns
        .into_iter()
        .map(|c| names.claim(&safe_name(c)))
        .collect()
}
