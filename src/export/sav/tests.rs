//! Unit tests: the name mapping, and the records read back with a small reader of our own
//! (the integration test `tests/sav_export.rs` reads whole files with pyreadstat and PSPP).

use super::cases::CaseWriter;
use super::format::{
    Dictionary, MAX_VALUE_LABEL, Measure, SYSMIS, Storage, Variable, truncate_utf8,
};
use super::names::{column_base, safe_name, spss_names};

#[test]
fn unsafe_characters_become_one_underscore_and_accents_come_off() {
    let cases = [
        ("tools[Slack]", "tools_Slack"),
        ("a b/c", "a_b_c"),
        ("x (y)", "x_y"),
        ("Café crème", "Cafe_creme"),
        ("naïve.", "naive"),
        ("q.a.", "q.a"),
        ("contact.ATTR", "contact.ATTR"),
        ("price$@#", "price$@#"),
        ("1st", "v1st"),
        ("_x", "v_x"),
        ("#temp", "v#temp"),
        ("", "v"),
        ("日本語", "v"),
        ("größe", "gro_e"),
    ];
    for (raw, expected) in cases {
        assert_eq!(safe_name(raw), expected, "name for {raw:?}");
    }
}

#[test]
fn reserved_words_get_an_underscore() {
    for word in [
        "ALL", "and", "By", "eq", "GE", "gt", "LE", "lt", "NE", "not", "OR", "to", "with",
    ] {
        assert_eq!(safe_name(word), format!("{word}_"));
    }
    // Only whole words are reserved.
    for word in ["within", "total", "ora", "note"] {
        assert_eq!(safe_name(word), word);
    }
}

#[test]
fn long_names_are_cut_to_64_bytes_without_a_trailing_dot() {
    let long = "a".repeat(70);
    assert_eq!(safe_name(&long), "a".repeat(64));
    let dotted = format!("{}.b", "a".repeat(63));
    assert_eq!(safe_name(&dotted), "a".repeat(63));
    // Two long names that agree on their first 64 bytes stay apart, within 64 bytes.
    let names = spss_names([long.as_str(), format!("{}zz", "a".repeat(66)).as_str()]);
    assert_eq!(names[0], "a".repeat(64));
    assert_eq!(names[1], format!("{}_2", "a".repeat(62)));
    assert!(names.iter().all(|n| n.len() <= 64));
}

#[test]
fn collisions_get_numeric_suffixes_without_regard_to_case() {
    assert_eq!(
        spss_names(["a", "A", "a", "a_2", "tools[x y]", "tools_x_y"]),
        ["a", "A_2", "a_3", "a_2_2", "tools_x_y", "tools_x_y_2"]
    );
}

#[test]
fn option_columns_use_the_option_or_its_position() {
    assert_eq!(column_base("tools[Café]", Some("tools"), 1), "tools_Cafe");
    assert_eq!(column_base("tools[日本語]", Some("tools"), 3), "tools_3");
    assert_eq!(column_base("tools[🚀]", Some("tools"), 4), "tools_4");
    assert_eq!(column_base("tools[other]", Some("tools"), 5), "tools_other");
    assert_eq!(column_base("with[x]", Some("with"), 1), "with_x");
    // A column of the question itself is just its id.
    assert_eq!(column_base("with", Some("with"), 1), "with_");
}

#[test]
fn utf8_is_cut_on_character_boundaries() {
    assert_eq!(truncate_utf8("añb", 2), "a");
    assert_eq!(truncate_utf8("añb", 3), "añ");
    assert_eq!(truncate_utf8("😀", 3), "");
    assert_eq!(truncate_utf8("abc", 10), "abc");
}

fn numeric(name: &str, label: &str, value_labels: Vec<(f64, String)>) -> Variable {
    Variable {
        name: name.into(),
        label: label.into(),
        storage: Storage::Number {
            width: 8,
            decimals: 2,
        },
        measure: Measure::Scale,
        display_width: 8,
        value_labels,
    }
}

fn text(name: &str, width: usize) -> Variable {
    Variable {
        name: name.into(),
        label: String::new(),
        storage: Storage::Text { width },
        measure: Measure::Nominal,
        display_width: 8,
        value_labels: Vec::new(),
    }
}

fn write(variables: &[Variable], cases: u64) -> Vec<u8> {
    let mut out = Vec::new();
    Dictionary {
        variables,
        file_label: "Ünïcode title",
        cases,
        created: chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default(),
    }
    .write(&mut out)
    .expect("writing to a Vec cannot fail");
    out
}

fn i32_at(bytes: &[u8], at: usize) -> i32 {
    i32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
}

/// What a reader sees in the dictionary: each record's type (and subtype), with the type 2
/// records' (type, name) and where the data starts.
#[derive(Debug, Default)]
struct Parsed {
    records: Vec<(i32, i32)>,
    variables: Vec<(i32, String, Option<String>)>,
    value_labels: Vec<(f64, String)>,
    info: Vec<(i32, Vec<u8>)>,
    data_at: usize,
}

fn parse(bytes: &[u8]) -> Parsed {
    let mut parsed = Parsed::default();
    let mut at = 176;
    loop {
        let kind = i32_at(bytes, at);
        at += 4;
        match kind {
            2 => {
                let width = i32_at(bytes, at);
                let has_label = i32_at(bytes, at + 4);
                assert_eq!(i32_at(bytes, at + 8), 0, "no missing values");
                let name = String::from_utf8_lossy(&bytes[at + 20..at + 28])
                    .trim_end()
                    .to_string();
                at += 28;
                let label = (has_label == 1).then(|| {
                    let len = i32_at(bytes, at) as usize;
                    let label = String::from_utf8_lossy(&bytes[at + 4..at + 4 + len]).into_owned();
                    at += 4 + len.next_multiple_of(4);
                    label
                });
                parsed.records.push((2, 0));
                parsed.variables.push((width, name, label));
            }
            3 => {
                let n = i32_at(bytes, at);
                at += 4;
                for _ in 0..n {
                    let value = f64::from_le_bytes(bytes[at..at + 8].try_into().expect("8"));
                    let len = bytes[at + 8] as usize;
                    let label = String::from_utf8_lossy(&bytes[at + 9..at + 9 + len]).into_owned();
                    at += 8 + (1 + len).next_multiple_of(8);
                    parsed.value_labels.push((value, label));
                }
                parsed.records.push((3, 0));
            }
            4 => {
                let n = i32_at(bytes, at) as usize;
                at += 4 + 4 * n;
                parsed.records.push((4, 0));
            }
            7 => {
                let subtype = i32_at(bytes, at);
                let size = i32_at(bytes, at + 4) as usize;
                let count = i32_at(bytes, at + 8) as usize;
                at += 12;
                parsed
                    .info
                    .push((subtype, bytes[at..at + size * count].to_vec()));
                at += size * count;
                parsed.records.push((7, subtype));
            }
            999 => {
                at += 4;
                parsed.records.push((999, 0));
                break;
            }
            other => panic!("unexpected record type {other} at {at}"),
        }
    }
    parsed.data_at = at;
    parsed
}

/// Undoes bytecode compression: the slots, each as 8 bytes.
fn decompress(mut data: &[u8]) -> Vec<[u8; 8]> {
    let mut slots = Vec::new();
    while data.len() >= 8 {
        let (codes, rest) = data.split_at(8);
        data = rest;
        for &code in codes {
            match code {
                0 => {}
                253 => {
                    let (raw, rest) = data.split_at(8);
                    data = rest;
                    slots.push(raw.try_into().expect("8 bytes"));
                }
                254 => slots.push([b' '; 8]),
                255 => slots.push(SYSMIS.to_le_bytes()),
                n => slots.push((f64::from(n) - 100.0).to_le_bytes()),
            }
        }
    }
    slots
}

#[test]
fn header_says_what_follows() {
    let bytes = write(&[numeric("x", "", vec![]), text("t", 10)], 3);
    assert_eq!(&bytes[..4], b"$FL2");
    assert!(bytes[4..64].starts_with(b"@(#) SPSS DATA FILE fieldnotes"));
    assert_eq!(i32_at(&bytes, 64), 2, "layout code");
    assert_eq!(
        i32_at(&bytes, 68),
        3,
        "slots per case: 1 numeric + 2 for 10 bytes"
    );
    assert_eq!(i32_at(&bytes, 72), 1, "bytecode compression");
    assert_eq!(i32_at(&bytes, 76), 0, "no weight");
    assert_eq!(i32_at(&bytes, 80), 3, "cases");
    assert_eq!(
        f64::from_le_bytes(bytes[84..92].try_into().expect("8")),
        100.0
    );
    assert_eq!(&bytes[92..101], b"14 Nov 23");
    assert_eq!(&bytes[101..109], b"22:13:20");
    assert!(bytes[109..173].starts_with("Ünïcode title".as_bytes()));
    assert_eq!(&bytes[173..176], &[0, 0, 0]);
}

#[test]
fn dictionary_records_come_in_order_and_parse_back() {
    let labels = vec![(1.0, "Básico".to_string()), (2.0, "企業 🚀".to_string())];
    let variables = [
        numeric("plan", "Welcher Tarif?", labels.clone()),
        text("story", 600),
        text("short", 3),
    ];
    let bytes = write(&variables, 0);
    let parsed = parse(&bytes);
    let kinds: Vec<(i32, i32)> = parsed
        .records
        .iter()
        .copied()
        .filter(|r| r.0 != 2)
        .collect();
    assert_eq!(
        kinds,
        [
            (3, 0),
            (4, 0),
            (7, 3),
            (7, 4),
            (7, 11),
            (7, 13),
            (7, 14),
            (7, 20),
            (999, 0)
        ]
    );
    // 1 numeric; 600 bytes = segments 255 + 255 + 96 = 32 + 32 + 12 slots; 3 bytes = 1 slot.
    assert_eq!(parsed.variables.len(), 1 + 76 + 1);
    assert_eq!(i32_at(&bytes, 68), 78);
    let heads: Vec<&(i32, String, Option<String>)> =
        parsed.variables.iter().filter(|v| v.0 != -1).collect();
    let widths: Vec<i32> = heads.iter().map(|v| v.0).collect();
    assert_eq!(widths, [0, 255, 255, 96, 3]);
    assert_eq!(heads[0].1, "PLAN");
    assert_eq!(heads[0].2.as_deref(), Some("Welcher Tarif?"));
    let short: std::collections::HashSet<&str> = heads.iter().map(|v| v.1.as_str()).collect();
    assert_eq!(
        short.len(),
        heads.len(),
        "short names are unique: {heads:?}"
    );
    assert_eq!(parsed.value_labels, labels);

    let info = |subtype| {
        parsed
            .info
            .iter()
            .find(|(s, _)| *s == subtype)
            .map(|(_, body)| body.clone())
            .unwrap_or_default()
    };
    let integer = info(3);
    assert_eq!(i32_at(&integer, 24), 2, "little-endian");
    assert_eq!(i32_at(&integer, 28), 65001, "UTF-8");
    let names = String::from_utf8(info(13)).expect("UTF-8");
    assert_eq!(names, "PLAN=plan\tSTORY=story\tSHORT=short");
    assert_eq!(info(14), b"STORY=00600\0\t");
    assert_eq!(info(20), b"UTF-8");
    // Display parameters: one (measure, width, alignment) per segment: 1 + 3 + 1.
    let display = info(11);
    assert_eq!(display.len(), 5 * 12);
    assert_eq!((i32_at(&display, 0), i32_at(&display, 8)), (3, 1));
    assert_eq!((i32_at(&display, 12), i32_at(&display, 20)), (1, 0));
    assert_eq!(parsed.data_at, bytes.len(), "no cases, no data");
}

#[test]
fn long_value_labels_are_cut_and_padded() {
    let long = "é".repeat(100); // 200 bytes
    let bytes = write(&[numeric("x", "", vec![(1.0, long)])], 0);
    let parsed = parse(&bytes);
    let (_, label) = &parsed.value_labels[0];
    assert!(label.len() <= MAX_VALUE_LABEL);
    assert_eq!(label.as_str(), "é".repeat(60));
}

#[test]
fn cases_are_compressed_and_very_long_strings_packed_255_a_segment() {
    let mut out = CaseWriter::new(Vec::new());
    out.number(1.0).expect("write");
    out.number(SYSMIS).expect("write");
    out.number(3.5).expect("write");
    out.number(-99.0).expect("write");
    out.number(152.0).expect("write");
    out.string(3, b"abc").expect("write");
    out.string(10, b"").expect("write");
    let value = "x".repeat(300);
    out.string(300, value.as_bytes()).expect("write");
    let bytes = out.finish().expect("finish");
    // The first block: 1.0 is code 101, SYSMIS 255, 3.5 literal, -99 code 1, 152 literal.
    assert_eq!(&bytes[..8], &[101, 255, 253, 1, 253, 253, 254, 254]);
    assert_eq!(&bytes[8..16], &3.5f64.to_le_bytes());
    let slots = decompress(&bytes);
    assert_eq!(slots[2], 3.5f64.to_le_bytes());
    assert_eq!(slots[4], 152f64.to_le_bytes());
    assert_eq!(&slots[5], b"abc     ");
    assert_eq!(&slots[6..8], &[[b' '; 8], [b' '; 8]]);
    // 300 bytes: segments of 255 (32 slots) and 48 (6 slots); 255 bytes in the first.
    let long: Vec<u8> = slots[8..].iter().flatten().copied().collect();
    assert_eq!(long.len(), 256 + 48);
    assert_eq!(&long[..255], "x".repeat(255).as_bytes());
    assert_eq!(long[255], b' ');
    assert_eq!(&long[256..301], "x".repeat(45).as_bytes());
    assert!(long[301..].iter().all(|&b| b == b' '));
}
