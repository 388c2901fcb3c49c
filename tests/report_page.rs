//! The report page's cross-tabs, from a real server (the `fieldnotes` binary) and a fixed
//! small dataset: column percentages, the overall column, the n of each column, links to the
//! profile cards, and the cells marked by their adjusted standardised residuals.
//!
//! Reference residuals: SciPy 1.17.1 / NumPy 2.4.6 on the counts below,
//! `e = scipy.stats.contingency.expected_freq(t); n = t.sum();
//!  r = t.sum(1, keepdims=True) / n; c = t.sum(0, keepdims=True) / n;
//!  (t - e) / np.sqrt(e * (1 - r) * (1 - c))`,
//! for `channel` on the 4×3 table options × segments, for each `tools` option on the 2×3
//! table [chose, answered − chose] (its first row).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use common::{RESEARCHER, ServerProcess, free_port, login_cookie, repo_path};
use serde_json::{Value, json};

/// (size, channel, tools, nps); `None` leaves the question unanswered. Small has 3
/// responses, under `min_cell` = 5, so it is suppressed and sits between two shown segments.
type Row = (
    &'static str,
    Option<&'static str>,
    Option<&'static [&'static str]>,
    i64,
);

const ROWS: [Row; 24] = [
    ("Solo", Some("Search"), Some(&["Slack"]), 9),
    ("Solo", Some("Search"), Some(&["Slack"]), 10),
    ("Solo", Some("Search"), Some(&["Slack", "Jira"]), 8),
    ("Solo", Some("Search"), Some(&["Slack"]), 7),
    ("Solo", Some("Search"), Some(&["Slack"]), 9),
    ("Solo", Some("Peers"), Some(&["Slack"]), 6),
    ("Solo", Some("a podcast"), Some(&["Linear"]), 10),
    ("Small", Some("Peers"), Some(&["Jira"]), 5),
    ("Small", Some("Peers"), Some(&["Jira"]), 6),
    ("Small", Some("Peers"), None, 7),
    ("Mid", Some("Search"), Some(&["Jira"]), 3),
    ("Mid", Some("Peers"), Some(&["Jira", "Slack"]), 8),
    ("Mid", Some("Peers"), Some(&["Jira"]), 9),
    ("Mid", Some("Peers"), Some(&["Jira"]), 7),
    ("Mid", Some("Peers"), Some(&["Jira", "Linear"]), 6),
    ("Mid", Some("Peers"), Some(&["Jira"]), 10),
    ("Mid", Some("Ads"), Some(&["Slack"]), 4),
    ("Mid", None, Some(&["Jira"]), 8),
    ("Large", Some("Search"), Some(&["Linear"]), 2),
    ("Large", Some("Search"), Some(&["Linear", "Slack"]), 5),
    ("Large", Some("Ads"), Some(&["Linear"]), 9),
    ("Large", Some("Ads"), Some(&["Jira", "Linear"]), 6),
    // An empty list is no answer to a multi question.
    ("Large", Some("Ads"), Some(&[]), 7),
    ("Large", Some("the radio"), Some(&["Slack"]), 3),
];

/// `channel`, counts (Solo, Mid, Large): Search 5 1 2, Peers 1 5 0, Ads 0 1 3, Other 1 0 1;
/// answered 7 7 6 (one Mid left it out), 20 in all.
const CHANNEL: [(&str, [&str; 4], [f64; 3]); 4] = [
    (
        "Search",
        ["71%", "14%", "33%", "40%"],
        [2.10528725646512, -1.7225077552896433, -0.3984095364447978],
    ),
    (
        "Peers",
        ["14%", "71%", "0%", "30%"],
        [-1.1253233734905375, 2.9667616210205074, -1.9166296949998198],
    ),
    (
        "Ads",
        ["0%", "14%", "50%", "20%"],
        [-1.640825308284734, -0.46880723093849536, 2.1957751641342],
    ),
    (
        "Other",
        ["14%", "0%", "17%", "10%"],
        [0.46880723093849547, -1.0938835388564891, 0.6506000486323554],
    ),
];

/// `tools`, answered 7 8 5 (one Large gave an empty list), 20 in all. Chose: Slack 6 2 2,
/// Jira 1 7 1, Linear 1 1 4.
const TOOLS: [(&str, [&str; 4], [f64; 3]); 3] = [
    (
        "Slack",
        ["86%", "25%", "40%", "50%"],
        [2.344036154692477, -1.8257418583505538, -0.5163977794943222],
    ),
    (
        "Jira",
        ["14%", "88%", "20%", "45%"],
        [-2.026026679188629, 3.119397334524688, -1.2974982402692048],
    ),
    (
        "Linear",
        ["14%", "13%", "80%", "30%"],
        [-1.1253233734905375, -1.3944333775567925, 2.8171808490950556],
    ),
];

fn body(row: &Row) -> Value {
    let (size, channel, tools, nps) = row;
    let mut answers = json!({"size": size, "nps": nps});
    if let Some(channel) = channel {
        answers["channel"] = json!(channel);
    }
    if let Some(tools) = tools {
        answers["tools"] = json!(tools);
    }
    json!({ "answers": answers })
}

/// The text of one attribute of an HTML tag (the page's own, attribute values unescaped).
fn attr(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let len = tag[start..].find('"')?;
    Some(tag[start..start + len].to_string())
}

fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every `<{name} …>…</{name}>` element in `html`: (opening tag, inner HTML).
fn elements<'a>(html: &'a str, name: &str) -> Vec<(&'a str, &'a str)> {
    let open = format!("<{name}");
    let close = format!("</{name}>");
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find(&open) {
        let after = &rest[at..];
        let boundary = after[open.len()..].chars().next();
        if !matches!(boundary, Some(' ' | '>')) {
            rest = &after[open.len()..];
            continue;
        }
        let tag_end = after.find('>').expect("a closed tag") + 1;
        let inner_end = after.find(&close).expect("a closing tag");
        found.push((&after[..tag_end], &after[tag_end..inner_end]));
        rest = &after[inner_end + close.len()..];
    }
    found
}

fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html
        .find(start)
        .unwrap_or_else(|| panic!("{start} in the page"));
    let len = html[from..]
        .find(end)
        .unwrap_or_else(|| panic!("{end} after {start}"));
    &html[from..from + len]
}

fn question<'a>(html: &'a str, id: &str) -> &'a str {
    between(html, &format!("id=\"q-{id}\""), "</section>")
}

/// A data cell: its class, `data-residual`, visible text and visually hidden text.
#[derive(Debug)]
struct Td {
    class: String,
    residual: Option<f64>,
    text: String,
    hidden: String,
}

fn cells(row: &str) -> Vec<Td> {
    elements(row, "td")
        .into_iter()
        .map(|(tag, inner)| {
            let hidden = elements(inner, "span")
                .into_iter()
                .filter(|(tag, _)| attr(tag, "class").as_deref() == Some("visually-hidden"))
                .map(|(_, text)| strip_tags(text))
                .collect::<Vec<_>>()
                .join(" ");
            let visible = inner.split('<').next().unwrap_or_default().trim();
            Td {
                class: attr(tag, "class").unwrap_or_default(),
                residual: attr(tag, "data-residual")
                    .map(|r| r.parse().expect("a residual is a number")),
                text: visible.to_string(),
                hidden,
            }
        })
        .collect()
}

/// (header text, link) of each column header of a table.
fn column_headers(table: &str) -> Vec<(String, Option<String>)> {
    let head = between(table, "<thead>", "</thead>");
    elements(head, "th")
        .into_iter()
        .filter(|(tag, _)| attr(tag, "scope").as_deref() == Some("col"))
        .map(|(_, inner)| {
            let link = elements(inner, "a")
                .first()
                .and_then(|(tag, _)| attr(tag, "href"));
            (strip_tags(inner), link)
        })
        .collect()
}

fn body_rows(table: &str) -> Vec<(String, Vec<Td>)> {
    let tbody = between(table, "<tbody>", "</tbody>");
    elements(tbody, "tr")
        .into_iter()
        .map(|(tag, inner)| (attr(tag, "data-option").unwrap_or_default(), cells(inner)))
        .collect()
}

/// One question's cross-tab against its reference: percentages (segments, then All),
/// residuals to the three decimals the page prints, and marks exactly where |r| > 1.96.
fn check_crosstab(section: &str, expected: &[(&str, [&str; 4], [f64; 3])]) {
    let table = between(section, "<table class=\"crosstab\"", "</table>");
    assert!(table.contains("<caption"), "a caption");
    assert_eq!(
        column_headers(table),
        vec![
            ("Option".to_string(), None),
            (
                "Solo".to_string(),
                Some("/r/crosstab/profiles#segment-0".to_string())
            ),
            (
                "Mid".to_string(),
                Some("/r/crosstab/profiles#segment-2".to_string())
            ),
            (
                "Large".to_string(),
                Some("/r/crosstab/profiles#segment-3".to_string())
            ),
            ("All".to_string(), None),
        ],
        "suppressed Small is no column; links use the index among all segments"
    );
    let rows = body_rows(table);
    let options: Vec<&str> = rows.iter().map(|(o, _)| o.as_str()).collect();
    let want: Vec<&str> = expected.iter().map(|(o, _, _)| *o).collect();
    assert_eq!(options, want);
    for ((option, tds), (_, percents, residuals)) in rows.iter().zip(expected) {
        let texts: Vec<&str> = tds.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(texts, percents, "percentages of {option}");
        let all = &tds[3];
        assert!(all.class.contains("all") && all.residual.is_none());
        for (j, (td, reference)) in tds.iter().zip(residuals).enumerate() {
            let got = td
                .residual
                .unwrap_or_else(|| panic!("{option} {j}: a residual"));
            assert!(
                (got - reference).abs() < 0.0006,
                "{option} {j}: residual {got}, reference {reference}"
            );
            let classes: Vec<&str> = td.class.split(' ').collect();
            let (over, under) = (classes.contains(&"over"), classes.contains(&"under"));
            assert_eq!(over, *reference > 1.96, "{option} {j}: over? {td:?}");
            assert_eq!(under, *reference < -1.96, "{option} {j}: under? {td:?}");
            let words = match (over, under) {
                (true, _) => "(significantly more than expected)",
                (_, true) => "(significantly fewer than expected)",
                _ => "",
            };
            assert_eq!(td.hidden, words, "{option} {j}");
        }
    }
}

async fn report_page(server: &ServerProcess, cookie: &str) -> String {
    let http = reqwest::Client::new();
    for _ in 0..200 {
        let response = http
            .get(format!("{}/r/crosstab", server.base))
            .header("cookie", cookie)
            .send()
            .await
            .expect("the report page");
        // 503 while the aggregates are built for the first time.
        if response.status() == 503 {
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
            continue;
        }
        assert_eq!(response.status(), 200);
        return response.text().await.expect("a body");
    }
    panic!("the report page never became ready");
}

#[tokio::test]
async fn choice_questions_are_cross_tabs_with_marked_residuals() {
    let data = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_with_reports(
        data.path(),
        &repo_path("tests/fixtures/crosstab/forms"),
        &repo_path("tests/fixtures/crosstab/reports"),
        free_port(),
    );
    let http = reqwest::Client::new();
    for row in &ROWS {
        let response = http
            .post(format!("{}/api/forms/crosstab/responses", server.base))
            .json(&body(row))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{row:?}");
    }
    let cookie = login_cookie(&server.base, RESEARCHER).await;
    let html = report_page(&server, &cookie).await;

    // The report JSON has the segment list the links index into, Small included.
    let report: Value = http
        .get(format!("{}/api/reports/crosstab", server.base))
        .bearer_auth(RESEARCHER)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = report["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Solo", "Small", "Mid", "Large"]);
    assert_eq!(report["segments"][1]["suppressed"], true);

    assert!(html.contains(r#"<a href="/r/crosstab/profiles">Profile cards</a>"#));
    let segments_line = between(&html, "<p id=\"segments\">", "</p>");
    let links: Vec<Option<String>> = elements(segments_line, "a")
        .into_iter()
        .map(|(tag, _)| attr(tag, "href"))
        .collect();
    assert_eq!(
        links,
        vec![
            Some("/r/crosstab/profiles#segment-0".to_string()),
            Some("/r/crosstab/profiles#segment-2".to_string()),
            Some("/r/crosstab/profiles#segment-3".to_string()),
        ]
    );
    assert!(strip_tags(segments_line).contains("Mid (n=8)"));
    assert!(
        !html.contains("#segment-1\""),
        "the suppressed segment has no link"
    );

    let channel = question(&html, "channel");
    check_crosstab(channel, &CHANNEL);
    let n_row = between(channel, "<tr class=\"n-row\">", "</tr>");
    let ns: Vec<String> = cells(n_row).into_iter().map(|t| t.text).collect();
    assert_eq!(ns, ["7", "7", "6", "20"]);
    assert!(between(channel, "<caption", "</caption>").contains("each column sums to 100%"));
    // Each marked cell carries its sign in a symbol as well as in words.
    let peers = between(channel, "data-option=\"Peers\"", "</tr>");
    assert!(peers.contains(r#"data-residual="2.967""#));
    assert!(peers.contains("▲"));

    let tools = question(&html, "tools");
    check_crosstab(tools, &TOOLS);
    let n_row = between(tools, "<tr class=\"n-row\">", "</tr>");
    let ns: Vec<String> = cells(n_row).into_iter().map(|t| t.text).collect();
    assert_eq!(ns, ["7", "8", "5", "20"]);
    let caption = strip_tags(between(tools, "<caption", "</caption>"));
    assert!(
        caption.contains(
            "computed per option from those who chose it against those who answered but did not"
        ),
        "{caption}"
    );
    assert!(caption.contains("can sum past 100%"), "{caption}");
    let jira = between(tools, "data-option=\"Jira\"", "</tr>");
    assert!(jira.contains("▼"), "Jira among Solo is under");

    // The chart stays beside the table.
    for section in [channel, tools] {
        assert_eq!(section.matches("<g class=\"bar-group\"").count(), 3);
    }

    // A numeric question: its chart, and n, mean and interval per segment with the links.
    let nps = question(&html, "nps");
    assert!(!nps.contains("class=\"crosstab\""));
    let table = between(nps, "<table class=\"numeric\"", "</table>");
    let tbody = between(table, "<tbody>", "</tbody>");
    let rows: Vec<(String, Option<String>, String)> = elements(tbody, "tr")
        .into_iter()
        .map(|(_, inner)| {
            let (_, th) = elements(inner, "th")[0];
            let link = elements(th, "a")
                .first()
                .and_then(|(tag, _)| attr(tag, "href"));
            let n = cells(inner)[0].text.clone();
            (strip_tags(th), link, n)
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            (
                "Solo".into(),
                Some("/r/crosstab/profiles#segment-0".into()),
                "7".into()
            ),
            (
                "Mid".into(),
                Some("/r/crosstab/profiles#segment-2".into()),
                "8".into()
            ),
            (
                "Large".into(),
                Some("/r/crosstab/profiles#segment-3".into()),
                "6".into()
            ),
            ("All".into(), None, "21".into()),
        ]
    );
    // Solo's mean: (9 + 10 + 8 + 7 + 9 + 6 + 10) / 7 = 59 / 7.
    assert!(table.contains("<td>8.43</td>"), "{table}");
    assert!(nps.contains("<svg class=\"chart\""));
}

#[tokio::test]
async fn the_front_page_links_each_reports_profile_cards() {
    let data = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_with_reports(
        data.path(),
        &repo_path("tests/fixtures/crosstab/forms"),
        &repo_path("tests/fixtures/crosstab/reports"),
        free_port(),
    );
    let cookie = login_cookie(&server.base, RESEARCHER).await;
    let html = reqwest::Client::new()
        .get(format!("{}/", server.base))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(r#"<a href="/r/crosstab">Cross-tab panel by size</a> · <a href="/r/crosstab/profiles">profile cards</a>"#),
        "{html}"
    );
}
