//! Profile cards from a real server on loopback and the profile panel of
//! `tests/fixtures/profiles` (figures worked out by hand in `common::profiles`): what the JSON,
//! the cards page and profiles.md show, and what they never show (personal data, a segment
//! under `min_cell`); the Markdown read back with pulldown-cmark against the JSON; the page in
//! headless Chromium printed to PDF, one card a page; labels, reviews and contradictions;
//! activations with their figures before and since; and every kind of bad input.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use chrono::{Duration as Days, Utc};
use common::chrome::{ChromeDriver, log_in};
use common::profiles::{
    AGENCY, IN_HOUSE, PII_SECRET, REPORT, ROWS, TINY, TINY_SECRET, call, card, card_url, close,
    forms, get_ready, profiles, reports, seg, submit_rows, wilson_percent,
};
use common::{INTERVIEWER, RESEARCHER, TestServer, login_cookie};
use fantoccini::Locator;
use fieldnotes::config::MailConfig;
use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};
use reqwest::Method;
use serde_json::{Value, json};

async fn panel() -> TestServer {
    let server = TestServer::start_with(&forms(), &reports(), MailConfig::default()).await;
    submit_rows(&server.http, &server.base, &ROWS.iter().collect::<Vec<_>>()).await;
    server
}

async fn markdown(server: &TestServer, token: &str) -> String {
    let url = server.url(&format!("/api/reports/{REPORT}/profiles.md"));
    let response = get_ready(&server.http, &url, token).await;
    assert_eq!(response.status(), 200, "GET profiles.md");
    let kind = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(kind.starts_with("text/markdown"), "content type {kind}");
    response.text().await.unwrap()
}

async fn cards_page(server: &TestServer) -> String {
    let cookie = login_cookie(&server.base, RESEARCHER).await;
    let response = server
        .http
        .get(server.url(&format!("/r/{REPORT}/profiles")))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "the cards page");
    response.text().await.unwrap()
}

/// The `<article>` of the card with this index, as HTML.
fn article(html: &str, index: u64) -> &str {
    let start = html
        .find(&format!("<article class=\"card\" id=\"segment-{index}\""))
        .unwrap_or_else(|| panic!("an article for segment-{index}"));
    let len = html[start..].find("</article>").expect("a closed article");
    &html[start..start + len]
}

fn today() -> String {
    Utc::now().format("%Y-%m-%d").to_string()
}

fn tomorrow() -> String {
    (Utc::now() + Days::days(1)).format("%Y-%m-%d").to_string()
}

async fn post(server: &TestServer, path: &str, token: &str, body: Value) -> (u16, Value) {
    let (status, body) = call(
        &server.http,
        Method::POST,
        &server.url(path),
        Some(token),
        Some(body),
    )
    .await;
    (status.as_u16(), body)
}

fn card_path(segment: &str, rest: &str) -> String {
    format!("/api/reports/{REPORT}/profiles/{}{rest}", seg(segment))
}

#[tokio::test]
async fn personal_data_and_the_suppressed_segment_reach_no_output() {
    let server = panel().await;
    let json = profiles(&server.http, &server.base, INTERVIEWER).await;
    let names: Vec<&str> = json["cards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["segment"].as_str().unwrap())
        .collect();
    assert_eq!(names, [AGENCY, IN_HOUSE], "one card per shown segment");
    let icp_names: Vec<&Value> = json["icp"]["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["segment"])
        .collect();
    assert_eq!(icp_names, [AGENCY, IN_HOUSE]);
    // Tiny Shop's two responses take no part in any figure: shares are over 11, not 13.
    close(&card(&json, AGENCY)["share"], 600.0 / 11.0, "Agency share");
    close(
        &card(&json, IN_HOUSE)["share"],
        500.0 / 11.0,
        "In-house share",
    );
    // The personal-data text mentions the Price theme and holds a job statement: were it
    // read, Agency would count 3 Price texts and a second job.
    assert_eq!(
        card(&json, AGENCY)["themes"],
        json!([{"name": "Price", "responses": 2}, {"name": "Speed", "responses": 2}])
    );
    assert_eq!(card(&json, AGENCY)["jtbd"].as_array().unwrap().len(), 1);

    let json_text = json.to_string();
    let md = markdown(&server, RESEARCHER).await;
    let html = cards_page(&server).await;
    for (what, text) in [("JSON", &json_text), ("profiles.md", &md), ("page", &html)] {
        let lower = text.to_lowercase();
        for secret in [PII_SECRET, "zelda", TINY, TINY_SECRET] {
            assert!(
                !lower.contains(&secret.to_lowercase()),
                "{what} shows {secret:?}:\n{text}"
            );
        }
    }
    // The shown segments are all there, so the absence above is not an empty page.
    assert!(html.contains(IN_HOUSE) && md.contains("In\\-house 11–50"));
    server.stop().await;
}

#[tokio::test]
async fn card_figures_match_the_hand_computed_ones() {
    let server = panel().await;
    let json = profiles(&server.http, &server.base, RESEARCHER).await;
    assert_eq!(json["report"], REPORT);
    assert_eq!(json["alpha"], 0.05);
    let report = get_ready(
        &server.http,
        &server.url(&format!("/api/reports/{REPORT}")),
        RESEARCHER,
    )
    .await
    .json::<Value>()
    .await
    .unwrap();
    let order: Vec<&str> = report["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();

    let agency = card(&json, AGENCY);
    let in_house = card(&json, IN_HOUSE);
    // The anchors are the places in the report's segment list, Tiny Shop (suppressed) between.
    for c in [agency, in_house] {
        let place = order.iter().position(|n| *n == c["segment"]).unwrap();
        assert_eq!(c["index"], place as u64, "{}", c["segment"]);
    }
    assert_eq!(in_house["index"], 2);
    assert_eq!(agency["n"], 6);
    assert_eq!(in_house["n"], 5);
    assert_eq!(agency["label"], Value::Null);
    assert_eq!(agency["notes"], "");

    // NPS: Agency 4 promoters, 1 passive, 1 detractor of 6; In-house 1, 2, 2 of 5.
    let nps_half = |pp: f64, pd: f64, n: f64| 196.0 * ((pp + pd - (pp - pd).powi(2)) / n).sqrt();
    let a = &agency["loyalty"];
    close(&a["nps"], 50.0, "Agency NPS");
    close(
        &a["nps_ci95"][0],
        50.0 - nps_half(4.0 / 6.0, 1.0 / 6.0, 6.0),
        "NPS low",
    );
    close(&a["nps_ci95"][1], 100.0, "NPS high, clamped");
    let h = &in_house["loyalty"];
    close(&h["nps"], -20.0, "In-house NPS");
    close(
        &h["nps_ci95"][0],
        -20.0 - nps_half(0.2, 0.4, 5.0),
        "NPS low",
    );
    close(
        &h["nps_ci95"][1],
        -20.0 + nps_half(0.2, 0.4, 5.0),
        "NPS high",
    );
    // PMF: "Very disappointed", 4 of 6 and 1 of 5, Wilson intervals.
    assert_eq!(a["pmf"]["question"], "pmf");
    close(&a["pmf"]["percent"], 400.0 / 6.0, "Agency PMF");
    let (lo, hi) = wilson_percent(4.0, 6.0);
    close(&a["pmf"]["ci95"][0], lo, "PMF low");
    close(&a["pmf"]["ci95"][1], hi, "PMF high");
    close(&h["pmf"]["percent"], 20.0, "In-house PMF");

    // Choice fields: top options by count, ties in form order, against the other segment.
    let options = |c: &Value, tag: &str| -> Vec<(String, f64, f64)> {
        c["fields"][tag]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["option"].as_str().unwrap().to_string(),
                    e["percent"].as_f64().unwrap(),
                    e["others_percent"].as_f64().unwrap(),
                )
            })
            .collect()
    };
    let approx = |got: Vec<(String, f64, f64)>, want: &[(&str, f64, f64)], what: &str| {
        assert_eq!(got.len(), want.len(), "{what}: {got:?}");
        for ((o, p, q), (wo, wp, wq)) in got.iter().zip(want) {
            assert_eq!(o, wo, "{what}");
            assert!((p - wp).abs() < 1e-9 && (q - wq).abs() < 1e-9, "{what} {o}");
        }
    };
    approx(
        options(agency, "channel"),
        &[
            ("Peers", 400.0 / 6.0, 0.0),
            ("Search", 100.0 / 6.0, 80.0),
            ("Ads", 100.0 / 6.0, 20.0),
        ],
        "Agency channel",
    );
    approx(
        options(in_house, "channel"),
        &[("Search", 80.0, 100.0 / 6.0), ("Ads", 20.0, 100.0 / 6.0)],
        "In-house channel",
    );
    approx(
        options(agency, "goal"),
        &[
            ("Win clients", 400.0 / 6.0, 0.0),
            ("Save time", 200.0 / 6.0, 40.0),
            ("Report faster", 100.0 / 6.0, 80.0),
        ],
        "Agency goals",
    );
    let (lo, hi) = wilson_percent(4.0, 6.0);
    close(&agency["fields"]["channel"][0]["ci95"][0], lo, "Peers low");
    close(&agency["fields"]["channel"][0]["ci95"][1], hi, "Peers high");
    // The text field: themes of `why` only (the personal-data text is never read).
    let pain: Vec<(&str, u64, u64)> = agency["fields"]["pain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["theme"].as_str().unwrap(),
                e["responses"].as_u64().unwrap(),
                e["n"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(pain, [("Price", 2, 3), ("Speed", 2, 3)]);
    // The numeric field: seats.
    let seats = &agency["fields"]["context"][0];
    assert_eq!(seats["question"], "seats");
    close(&seats["mean"], 5.0, "Agency seats");
    close(&seats["others_mean"], 36.0, "others' seats");
    assert_eq!(
        agency["fields"]["trigger"],
        json!([]),
        "no question tagged trigger"
    );
    // The job statement of the first response, in its three parts.
    let job = &agency["jtbd"][0];
    assert_eq!(
        (&job["when"], &job["want"], &job["so"], &job["source"]),
        (
            &json!("a client asks about the price"),
            &json!("answer quickly"),
            &json!("keep the account"),
            &json!("survey")
        )
    );
    assert_eq!(agency["evidence"]["responses"], 6);
    assert_eq!(agency["evidence"]["angles"], json!(["voice"]));
    assert_eq!(agency["rhythm"]["target"], 2);
    assert_eq!(agency["stale"], false);

    // The ICP: Agency has the higher Wilson lower bound.
    let icp = &json["icp"];
    assert_eq!(icp["outcome"], "pmf");
    assert_eq!(icp["best"], AGENCY);
    assert_eq!(icp["segments"][0]["successes"], 4);
    assert_eq!(icp["segments"][1]["successes"], 1);
    close(&icp["best_vs_rest"]["percent"], 400.0 / 6.0, "best");
    close(&icp["best_vs_rest"]["others_percent"], 20.0, "rest");
    server.stop().await;
}

/// profiles.md as read by a Markdown parser: each `##` heading with, under it, the list items
/// and paragraphs before the first `###`, then each `###` section's.
#[derive(Debug, Default)]
struct MdSection {
    title: String,
    items: Vec<String>,
    paragraphs: Vec<String>,
}

#[derive(Debug)]
struct MdCard {
    title: String,
    sections: Vec<MdSection>,
}

fn parse_markdown(md: &str) -> (String, Vec<MdCard>) {
    let mut h1 = String::new();
    let mut cards: Vec<MdCard> = Vec::new();
    let mut text = String::new();
    let mut items = 0;
    for event in Parser::new(md) {
        match event {
            Event::Start(Tag::Heading { .. }) => text.clear(),
            Event::End(TagEnd::Heading(level)) => match level {
                HeadingLevel::H1 => h1 = text.clone(),
                HeadingLevel::H2 => cards.push(MdCard {
                    title: text.clone(),
                    sections: vec![MdSection::default()],
                }),
                _ => cards
                    .last_mut()
                    .expect("a ### under a ##")
                    .sections
                    .push(MdSection {
                        title: text.clone(),
                        ..MdSection::default()
                    }),
            },
            Event::Start(Tag::Item) => {
                items += 1;
                text.clear();
            }
            Event::End(TagEnd::Item) => {
                items -= 1;
                if let Some(card) = cards.last_mut() {
                    card.sections.last_mut().unwrap().items.push(text.clone());
                }
            }
            Event::Start(Tag::Paragraph) if items == 0 => text.clear(),
            Event::End(TagEnd::Paragraph) if items == 0 => {
                if let Some(card) = cards.last_mut() {
                    card.sections
                        .last_mut()
                        .unwrap()
                        .paragraphs
                        .push(text.clone());
                }
            }
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            _ => {}
        }
    }
    (h1, cards)
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("a number, not {v}"))
}

fn p_text(p: f64) -> String {
    if p < 0.001 {
        "p < 0.001".into()
    } else {
        format!("p = {p:.3}")
    }
}

/// A field entry as profiles.md words it (src/profiles/markdown.rs), from the JSON's figures.
fn entry_line(e: &Value) -> String {
    let line = if let Some(option) = e["option"].as_str() {
        let ci = if e["ci95"].is_array() {
            format!(" (95% CI {:.1}–{:.1})", f(&e["ci95"][0]), f(&e["ci95"][1]))
        } else {
            String::new()
        };
        let others = if e["others_percent"].is_number() {
            format!(", other segments {:.1}%", f(&e["others_percent"]))
        } else {
            String::new()
        };
        format!("{option}: {:.1}%{ci}{others}", f(&e["percent"]))
    } else if let Some(theme) = e["theme"].as_str() {
        format!("theme {theme}: {} of {} answers", e["responses"], e["n"])
    } else {
        let others = if e["others_mean"].is_number() {
            format!(", other segments {:.2}", f(&e["others_mean"]))
        } else {
            String::new()
        };
        format!("mean {:.2}{others}", f(&e["mean"]))
    };
    let question = e["text"].as_str().or(e["question"].as_str()).unwrap();
    format!("{line} ({question})")
}

#[tokio::test]
async fn profiles_md_read_back_carries_the_json_figures() {
    let server = panel().await;
    let (status, _) = call(
        &server.http,
        Method::PUT,
        &card_url(&server.base, AGENCY),
        Some(RESEARCHER),
        Some(json!({"label": "Client-service agencies & <studios>", "notes": "Ask sales."})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = post(
        &server,
        &card_path(IN_HOUSE, "/activations"),
        RESEARCHER,
        json!({"kind": "offer", "title": "Annual plan at 20% off", "started": "2020-01-01"}),
    )
    .await;
    assert_eq!(status, 201);
    let json = profiles(&server.http, &server.base, RESEARCHER).await;
    let md = markdown(&server, INTERVIEWER).await;
    let (h1, parsed) = parse_markdown(&md);
    assert_eq!(h1, "Profile panel by team — profile cards");

    // Every ## heading: the cards' labels or segments in order, then the report-wide parts.
    let cards = json["cards"].as_array().unwrap();
    let mut expected_headings: Vec<String> = cards
        .iter()
        .map(|c| {
            c["label"]
                .as_str()
                .or(c["segment"].as_str())
                .unwrap()
                .into()
        })
        .collect();
    assert_eq!(
        expected_headings,
        ["Client-service agencies & <studios>", IN_HOUSE]
    );
    if !json["similar_segments"].as_array().unwrap().is_empty() {
        expected_headings.push("Segments one profile may serve".into());
    }
    expected_headings.push("Ideal customer profile".into());
    let headings: Vec<&String> = parsed.iter().map(|c| &c.title).collect();
    assert_eq!(headings, expected_headings.iter().collect::<Vec<_>>());

    for (c, m) in cards.iter().zip(&parsed) {
        let what = c["segment"].as_str().unwrap();
        let head = &m.sections[0];
        let mut facts = vec![format!(
            "Responses: {} ({:.1}% of all shown)",
            c["n"],
            f(&c["share"])
        )];
        let (from, to) = (
            c["period"]["from"].as_str().unwrap(),
            c["period"]["to"].as_str().unwrap(),
        );
        facts.push(format!("Period: {} to {}", &from[..10], &to[..10]));
        let l = &c["loyalty"];
        facts.push(format!(
            "NPS: {:.1} (95% CI {:.1} to {:.1})",
            f(&l["nps"]),
            f(&l["nps_ci95"][0]),
            f(&l["nps_ci95"][1])
        ));
        facts.push(format!(
            "Product/market fit: {:.1}% would be very disappointed without it (95% CI {:.1}–{:.1})",
            f(&l["pmf"]["percent"]),
            f(&l["pmf"]["ci95"][0]),
            f(&l["pmf"]["ci95"][1])
        ));
        assert_eq!(head.items, facts, "{what}: the card's facts");
        if c["label"].is_string() {
            assert_eq!(
                head.paragraphs,
                [format!("Segment: {what}"), "Ask sales.".to_string()]
            );
        } else {
            assert!(head.paragraphs.is_empty(), "{what}: {:?}", head.paragraphs);
        }

        // Each section: the fields with entries, in the method's order, then the rest.
        let mut expected: Vec<(String, Vec<String>)> = Vec::new();
        for tag in [
            "goal",
            "pain",
            "trigger",
            "driver",
            "objection",
            "channel",
            "proof",
            "context",
        ] {
            let entries = c["fields"][tag].as_array().unwrap();
            if entries.is_empty() {
                continue;
            }
            let title = tag[..1].to_uppercase() + &tag[1..];
            expected.push((title, entries.iter().map(entry_line).collect()));
        }
        let list = |key: &str| c[key].as_array().unwrap().clone();
        if !list("distinctive").is_empty() {
            let lines = list("distinctive")
                .iter()
                .map(|d| {
                    format!(
                        "{}: {:.1}% against {:.1}% ({} after Holm)",
                        d["option"].as_str().unwrap(),
                        f(&d["percent"]),
                        f(&d["others_percent"]),
                        p_text(f(&d["p_adjusted"]))
                    )
                })
                .collect();
            expected.push(("What sets them apart".into(), lines));
        }
        let quotes: Vec<String> = list("quotes")
            .iter()
            .map(|q| {
                format!(
                    "“{}” ({})",
                    q["text"].as_str().unwrap(),
                    q["source"].as_str().unwrap()
                )
            })
            .collect();
        if !quotes.is_empty() {
            expected.push(("In their words".into(), Vec::new()));
        }
        if !list("jtbd").is_empty() {
            let lines = list("jtbd")
                .iter()
                .map(|j| {
                    format!(
                        "When {}, I want to {}, so I can {}.",
                        j["when"].as_str().unwrap(),
                        j["want"].as_str().unwrap(),
                        j["so"].as_str().unwrap()
                    )
                })
                .collect();
            expected.push(("Jobs to be done".into(), lines));
        }
        if !list("activations").is_empty() {
            let lines = list("activations")
                .iter()
                .map(|a| {
                    format!(
                        "{} ({}, since {}): {} responses before, {} since",
                        a["title"].as_str().unwrap(),
                        a["kind"].as_str().unwrap(),
                        a["started"].as_str().unwrap(),
                        a["before"]["n"],
                        a["since"]["n"]
                    )
                })
                .collect();
            expected.push(("Activations".into(), lines));
        }
        if !list("warnings").is_empty() {
            let lines = list("warnings")
                .iter()
                .map(|w| w["message"].as_str().unwrap().to_string())
                .collect();
            expected.push(("Warnings".into(), lines));
        }
        let got: Vec<(String, Vec<String>)> = m.sections[1..]
            .iter()
            .map(|s| (s.title.clone(), s.items.clone()))
            .collect();
        assert_eq!(got, expected, "{what}: the sections of the card");
        if let Some(words) = m.sections.iter().find(|s| s.title == "In their words") {
            assert_eq!(words.paragraphs, quotes, "{what}: the quotes");
        }
    }

    // The hand-computed figures, as printed (one decimal for percents).
    let agency = &parsed[0].sections[0].items;
    assert_eq!(agency[0], "Responses: 6 (54.5% of all shown)");
    assert_eq!(agency[2], "NPS: 50.0 (95% CI -11.1 to 100.0)");
    assert!(agency[3].starts_with("Product/market fit: 66.7% would"));
    let in_house = &parsed[1].sections[0].items;
    assert_eq!(in_house[0], "Responses: 5 (45.5% of all shown)");
    assert_eq!(in_house[2], "NPS: -20.0 (95% CI -85.6 to 45.6)");
    let channel = parsed[0]
        .sections
        .iter()
        .find(|s| s.title == "Channel")
        .expect("a Channel section");
    assert!(
        channel.items[0].starts_with("Peers: 66.7% (95% CI ")
            && channel.items[0]
                .ends_with(", other segments 0.0% (Where did you first hear of us?)"),
        "{:?}",
        channel.items
    );
    let activations = parsed[1]
        .sections
        .iter()
        .find(|s| s.title == "Activations")
        .expect("the activation");
    assert_eq!(
        activations.items,
        ["Annual plan at 20% off (offer, since 2020-01-01): 0 responses before, 5 since"]
    );

    // The ICP section: each segment's success rate, then the best fit.
    let icp = &json["icp"];
    let section = parsed.last().unwrap();
    assert_eq!(
        section.sections[0].paragraphs,
        [
            format!(
                "Success: {} to {}.",
                icp["success"].as_str().unwrap(),
                icp["outcome"].as_str().unwrap()
            ),
            format!("Best fit: {}.", icp["best"].as_str().unwrap())
        ]
    );
    let rows: Vec<String> = icp["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            format!(
                "{}: {} of {} ({:.1}%, 95% CI {:.1}–{:.1})",
                s["segment"].as_str().unwrap(),
                s["successes"],
                s["n"],
                f(&s["percent"]),
                f(&s["ci95"][0]),
                f(&s["ci95"][1])
            )
        })
        .collect();
    assert_eq!(section.sections[0].items, rows);
    assert!(rows[0].starts_with("Agency: 4 of 6 (66.7%, 95% CI "));
    assert!(rows[1].starts_with("In-house 11–50: 1 of 5 (20.0%, 95% CI "));
    server.stop().await;
}

/// WebDriver's Print Page (POST /session/{id}/print), which fantoccini 0.21 has no method
/// for: the page as a PDF, base64 in the answer's value.
#[derive(Debug)]
struct PrintPage;

impl fantoccini::wd::WebDriverCompatibleCommand for PrintPage {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!("session/{}/print", session_id.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (Method, Option<String>) {
        (Method::POST, Some("{}".into()))
    }
}

fn base64_decode(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' | b'\n' | b'\r' => continue,
            _ => panic!("not base64: {c}"),
        };
        buffer = (buffer << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    out
}

/// Checks a page printed by WebDriver's Print Page (its default: US Letter, 1 cm margins) for
/// what the template's `@media print` intends: a page break after every `.card`, and the ICP
/// section is a `.card` too, so one page per segment card, each card starting and ending on
/// its own page (the page's title is not printed), then the ICP on a page of its own.
fn assert_printed_one_card_a_page(printed: &Value, cards: &[Value]) {
    let pdf = base64_decode(printed.as_str().expect("base64 PDF"));
    assert!(pdf.starts_with(b"%PDF"), "a PDF");
    let doc = lopdf::Document::load_mem(&pdf).expect("the PDF parses");
    // Words as one line, with the ligatures Chromium's fonts print (ﬁ, ﬀ, ﬂ) spelled out.
    let flat = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .replace('ﬁ', "fi")
            .replace('ﬀ', "ff")
            .replace('ﬂ', "fl")
    };
    let texts: Vec<String> = doc
        .get_pages()
        .keys()
        .map(|p| flat(&doc.extract_text(&[*p]).expect("the page's text")))
        .collect();
    assert_eq!(
        texts.len(),
        cards.len() + 1,
        "one page per card and one for the ICP; the pages' texts: {texts:#?}"
    );
    // A card begins with its count and share and ends with its evidence sentence.
    for (i, c) in cards.iter().enumerate() {
        let first = format!(
            "{} responses, {:.1}% of everyone shown",
            c["n"],
            f(&c["share"])
        );
        let last = format!("Rests on {} responses", c["n"]);
        for (j, page) in texts.iter().enumerate() {
            for marker in [&first, &last] {
                assert_eq!(
                    page.contains(marker.as_str()),
                    i == j,
                    "card {i} ({}): {marker:?} on page {} of {}: {page}",
                    c["segment"],
                    j + 1,
                    texts.len()
                );
            }
        }
    }
    // The page's title and links are for the screen: on paper the first page is the first card.
    let first_title = cards[0]["label"]
        .as_str()
        .or(cards[0]["segment"].as_str())
        .expect("a title");
    assert!(texts[0].starts_with(first_title), "{}", texts[0]);
    let icp = texts.last().unwrap();
    assert!(
        icp.starts_with("Ideal customer profile"),
        "the last page is the ICP's: {icp}"
    );
}

#[tokio::test]
async fn the_cards_page_in_chromium_prints_one_card_a_page() {
    let server = panel().await;
    let label = "Client-service agencies & <studios>";
    let (status, saved) = call(
        &server.http,
        Method::PUT,
        &card_url(&server.base, AGENCY),
        Some(RESEARCHER),
        Some(json!({"label": label, "notes": ""})),
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["label"], label);
    let json = profiles(&server.http, &server.base, RESEARCHER).await;
    let cards = json["cards"].as_array().unwrap();
    assert!(json["icp"].is_object());

    let driver = ChromeDriver::start();
    let browser = driver.browser_sized(1280, 900).await;
    let path = format!("/r/{REPORT}/profiles");
    log_in(&browser, &server.base, RESEARCHER, &path).await;
    // Everything the browser shows is gathered first and checked once the browser is closed,
    // so that a failing check leaves no Chromium behind.
    let seen = async {
        browser
            .wait()
            .for_element(Locator::Css("article.card"))
            .await?;
        let mut articles = Vec::new();
        for article in browser.find_all(Locator::Css("article.card")).await? {
            let id = article.attr("id").await?.unwrap_or_default();
            let heading = article.find(Locator::Css("h2")).await?.text().await?;
            let segment_line = match article.find(Locator::Css(".segment-name")).await {
                Ok(line) => Some(line.text().await?),
                Err(_) => None,
            };
            articles.push((id, heading, segment_line));
        }
        let icp = browser.find(Locator::Css("section.card#icp")).await.is_ok();
        let printed = browser.issue_cmd(PrintPage).await?;
        Ok::<_, fantoccini::error::CmdError>((articles, icp, printed))
    }
    .await;
    browser.close().await.unwrap();
    let (articles, icp, printed) = seen.expect("the browser session");

    // One article per card, anchored by its index; the label is the big heading (escaped in
    // the HTML, shown as typed) with the segment's name under it; no label, no such line.
    let expected: Vec<(String, String, Option<String>)> = cards
        .iter()
        .map(|c| {
            let segment = c["segment"].as_str().unwrap();
            (
                format!("segment-{}", c["index"]),
                c["label"].as_str().unwrap_or(segment).to_string(),
                c["label"]
                    .is_string()
                    .then(|| format!("Segment: {segment}")),
            )
        })
        .collect();
    assert_eq!(
        expected,
        [
            (
                "segment-0".to_string(),
                label.to_string(),
                Some("Segment: Agency".to_string())
            ),
            ("segment-2".to_string(), IN_HOUSE.to_string(), None)
        ]
    );
    assert_eq!(articles, expected);
    assert!(icp, "the ICP section");
    assert_printed_one_card_a_page(&printed, cards);
    server.stop().await;
}

#[tokio::test]
async fn after_a_short_last_card_the_icp_still_prints_on_a_page_of_its_own() {
    let server = TestServer::start_with(&forms(), &reports(), MailConfig::default()).await;
    // Agency 5, In-house 4, Tiny Shop 1 (suppressed): two short cards and the ICP.
    let rows = [
        (AGENCY, 5, 9, "Very disappointed"),
        (IN_HOUSE, 4, 5, "Not disappointed"),
        (TINY, 1, 10, "Very disappointed"),
    ];
    for (size, times, nps, pmf) in rows {
        for _ in 0..times {
            let (status, _) = post(
                &server,
                "/api/forms/profiles-lean/responses",
                RESEARCHER,
                json!({"answers": {"size": size, "nps": nps, "pmf": pmf}}),
            )
            .await;
            assert_eq!(status, 201);
        }
    }
    let response = get_ready(
        &server.http,
        &server.url("/api/reports/profiles-lean/profiles"),
        RESEARCHER,
    )
    .await;
    let json: Value = response.json().await.unwrap();
    let cards = json["cards"].as_array().unwrap();
    assert_eq!(cards.len(), 2);
    assert_eq!(json["icp"]["best"], AGENCY);
    let driver = ChromeDriver::start();
    let browser = driver.browser_sized(1280, 900).await;
    log_in(
        &browser,
        &server.base,
        RESEARCHER,
        "/r/profiles-lean/profiles",
    )
    .await;
    let printed = async {
        browser
            .wait()
            .for_element(Locator::Css("section.card#icp"))
            .await?;
        browser.issue_cmd(PrintPage).await
    }
    .await;
    browser.close().await.unwrap();
    assert_printed_one_card_a_page(&printed.expect("the printed page"), cards);
    server.stop().await;
}

#[tokio::test]
async fn labels_reviews_and_contradictions_show_on_the_page_and_in_json() {
    let server = panel().await;
    let (status, saved) = call(
        &server.http,
        Method::PUT,
        &card_url(&server.base, IN_HOUSE),
        Some(RESEARCHER),
        Some(json!({"label": "In-house marketing teams", "notes": "Mostly mid-size."})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        saved,
        json!({"segment": IN_HOUSE, "label": "In-house marketing teams", "notes": "Mostly mid-size."})
    );
    let review = |team: &str, verdict: &str, comment: &str| json!({"team": team, "field": "pain", "verdict": verdict, "comment": comment});
    let reviews = card_path(IN_HOUSE, "/reviews");
    let (status, sales) = post(
        &server,
        &reviews,
        INTERVIEWER,
        review("sales", "agrees", "Price is the factor"),
    )
    .await;
    assert_eq!(status, 201, "{sales}");
    assert!(sales["id"].as_str().is_some_and(|id| !id.is_empty()));
    assert_eq!(sales["team"], "sales");
    let (status, marketing) = post(
        &server,
        &reviews,
        RESEARCHER,
        review("marketing", "disagrees", "Price is no factor"),
    )
    .await;
    assert_eq!(status, 201);
    assert_ne!(sales["id"], marketing["id"]);

    let json = profiles(&server.http, &server.base, INTERVIEWER).await;
    let c = card(&json, IN_HOUSE);
    assert_eq!(c["label"], "In-house marketing teams");
    assert_eq!(c["notes"], "Mostly mid-size.");
    assert_eq!(
        c["contradictions"],
        json!([{"field": "pain", "agree": ["sales"], "disagree": ["marketing"]}])
    );
    let listed: Vec<(&Value, &Value, &Value)> = c["reviews"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (&r["id"], &r["team"], &r["verdict"]))
        .collect();
    assert_eq!(
        listed,
        [
            (&sales["id"], &json!("sales"), &json!("agrees")),
            (&marketing["id"], &json!("marketing"), &json!("disagrees"))
        ]
    );
    assert_eq!(
        card(&json, AGENCY)["reviews"],
        json!([]),
        "other cards untouched"
    );
    let html = cards_page(&server).await;
    let index = c["index"].as_u64().unwrap();
    let art = article(&html, index);
    assert!(
        art.contains(&format!(
            "<h2 id=\"card-title-{index}\"><bdi>In-house marketing teams</bdi></h2>"
        )),
        "{art}"
    );
    assert!(art.contains("Segment: <bdi>In-house 11–50</bdi>"));
    assert!(
        art.contains("sales agrees on pain: “Price is the factor”"),
        "{art}"
    );
    assert!(art.contains("marketing disagrees on pain: “Price is no factor”"));
    assert!(art.contains("On pain, sales agrees but marketing disagrees: that is the work."));

    // Marketing changes its mind: its latest verdict counts, so the contradiction is gone.
    let (status, _) = post(
        &server,
        &reviews,
        RESEARCHER,
        review("marketing", "agrees", ""),
    )
    .await;
    assert_eq!(status, 201);
    let json = profiles(&server.http, &server.base, RESEARCHER).await;
    let c = card(&json, IN_HOUSE);
    assert_eq!(c["contradictions"], json!([]));
    assert_eq!(
        c["reviews"].as_array().unwrap().len(),
        3,
        "reviews are kept"
    );
    // Then sales does: the contradiction comes back the other way round.
    let (status, _) = post(
        &server,
        &reviews,
        INTERVIEWER,
        review("sales", "disagrees", ""),
    )
    .await;
    assert_eq!(status, 201);
    let json = profiles(&server.http, &server.base, RESEARCHER).await;
    assert_eq!(
        card(&json, IN_HOUSE)["contradictions"],
        json!([{"field": "pain", "agree": ["marketing"], "disagree": ["sales"]}])
    );
    let html = cards_page(&server).await;
    assert!(
        article(&html, index)
            .contains("On pain, marketing agrees but sales disagrees: that is the work.")
    );

    // Deleting sales' latest review (researcher): its earlier verdict counts again.
    let latest_sales = card(&json, IN_HOUSE)["reviews"][3]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _) = call(
        &server.http,
        Method::DELETE,
        &server.url(&card_path(IN_HOUSE, &format!("/reviews/{latest_sales}"))),
        Some(RESEARCHER),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let json = profiles(&server.http, &server.base, RESEARCHER).await;
    let c = card(&json, IN_HOUSE);
    assert_eq!(c["reviews"].as_array().unwrap().len(), 3);
    assert_eq!(
        c["contradictions"],
        json!([]),
        "sales and marketing both agree"
    );

    // A blank label is no label: the segment's name is the heading again.
    let (status, saved) = call(
        &server.http,
        Method::PUT,
        &card_url(&server.base, IN_HOUSE),
        Some(RESEARCHER),
        Some(json!({"label": "  ", "notes": ""})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(saved["label"], Value::Null);
    let html = cards_page(&server).await;
    assert!(article(&html, index).contains("<bdi>In-house 11–50</bdi></h2>"));
    server.stop().await;
}

#[tokio::test]
async fn activations_split_the_responses_at_their_start() {
    let server = panel().await;
    let activations = card_path(AGENCY, "/activations");
    // Every response was submitted before tomorrow 00:00 UTC, and on or after today's.
    let tomorrow = tomorrow();
    let (status, later) = post(
        &server,
        &activations,
        RESEARCHER,
        json!({"kind": "messaging", "title": "Lead with client reporting", "started": tomorrow}),
    )
    .await;
    assert_eq!(status, 201, "{later}");
    assert_eq!(later["kind"], "messaging");
    assert_eq!(later["started"], tomorrow);
    let today = today();
    let (status, now) = post(
        &server,
        &activations,
        RESEARCHER,
        json!({"kind": "retention", "title": "Quarterly check-ins", "started": today}),
    )
    .await;
    assert_eq!(status, 201);
    let (status, long_ago) = post(
        &server,
        &card_path(IN_HOUSE, "/activations"),
        RESEARCHER,
        json!({"kind": "ux", "title": "Simpler setup", "started": "2020-01-01"}),
    )
    .await;
    assert_eq!(status, 201);

    let json = profiles(&server.http, &server.base, RESEARCHER).await;
    let agency = card(&json, AGENCY)["activations"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(agency.len(), 2);
    let empty = json!({"n": 0, "nps": null, "pmf_percent": null});
    // Agency: NPS 50.0 and PMF 4 of 6, all on one side.
    let (a, b) = (&agency[0], &agency[1]);
    assert_eq!(a["id"], later["id"]);
    assert_eq!(a["title"], "Lead with client reporting");
    assert_eq!(a["started"], tomorrow);
    assert_eq!(a["before"]["n"], 6);
    close(&a["before"]["nps"], 50.0, "NPS before");
    close(&a["before"]["pmf_percent"], 400.0 / 6.0, "PMF before");
    assert_eq!(a["since"], empty);
    assert_eq!(a["p_value_promoters"], Value::Null);
    assert_eq!(a["p_value_pmf"], Value::Null);
    assert_eq!(b["id"], now["id"]);
    assert_eq!(b["before"], empty);
    assert_eq!(b["since"]["n"], 6);
    close(&b["since"]["nps"], 50.0, "NPS since");
    close(&b["since"]["pmf_percent"], 400.0 / 6.0, "PMF since");
    assert_eq!(b["p_value_promoters"], Value::Null);
    assert_eq!(b["p_value_pmf"], Value::Null);
    // In-house: NPS -20.0 and PMF 1 of 5, all since 2020.
    let h = &card(&json, IN_HOUSE)["activations"][0];
    assert_eq!(h["id"], long_ago["id"]);
    assert_eq!(h["before"], empty);
    assert_eq!(h["since"]["n"], 5);
    close(&h["since"]["nps"], -20.0, "In-house NPS since");
    close(&h["since"]["pmf_percent"], 20.0, "In-house PMF since");

    let html = cards_page(&server).await;
    let art = article(&html, 0);
    assert!(
        art.contains(&format!(
            "Lead with client reporting (messaging, from {tomorrow}): before, 6 responses, NPS 50.0, PMF 66.7%; since, 0 responses"
        )),
        "{art}"
    );
    assert!(art.contains(&format!(
        "Quarterly check-ins (retention, from {today}): before, 0 responses"
    )));
    assert!(art.contains("since, 6 responses, NPS 50.0, PMF 66.7%"));

    // Deleted (researcher): gone from the card, and a second delete finds nothing.
    let url = server.url(&card_path(
        AGENCY,
        &format!("/activations/{}", later["id"].as_str().unwrap()),
    ));
    let (status, _) = call(&server.http, Method::DELETE, &url, Some(RESEARCHER), None).await;
    assert_eq!(status, 204);
    let (status, body) = call(&server.http, Method::DELETE, &url, Some(RESEARCHER), None).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"], "not_found");
    let json = profiles(&server.http, &server.base, RESEARCHER).await;
    let left: Vec<&Value> = card(&json, AGENCY)["activations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["id"])
        .collect();
    assert_eq!(left, [&now["id"]]);
    server.stop().await;
}

#[tokio::test]
async fn bad_input_gets_a_clear_4xx_and_changes_nothing() {
    let server = panel().await;
    let http = &server.http;
    let before = profiles(http, &server.base, RESEARCHER).await;
    let good_review = json!({"team": "sales", "field": "pain", "verdict": "agrees", "comment": ""});
    let good_activation = json!({"kind": "offer", "title": "Discount", "started": "2026-01-05"});
    let label = json!({"label": "A name", "notes": ""});

    // Unknown report.
    for path in [
        "/api/reports/nope/profiles",
        "/api/reports/nope/profiles.md",
    ] {
        let (status, body) =
            call(http, Method::GET, &server.url(path), Some(RESEARCHER), None).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(body["error"], "not_found");
    }
    let (status, _) = call(
        http,
        Method::PUT,
        &server.url("/api/reports/nope/profiles/Agency"),
        Some(RESEARCHER),
        Some(label.clone()),
    )
    .await;
    assert_eq!(status, 404);
    let response = http
        .get(server.url("/r/nope/profiles"))
        .header("cookie", login_cookie(&server.base, RESEARCHER).await)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404, "the page of an unknown report");

    // Unknown and suppressed segments, on every write route.
    for (segment, error) in [("Enterprise", "not_found"), (TINY, "suppressed")] {
        let calls = [
            (Method::PUT, card_path(segment, ""), Some(label.clone())),
            (
                Method::POST,
                card_path(segment, "/reviews"),
                Some(good_review.clone()),
            ),
            (
                Method::POST,
                card_path(segment, "/activations"),
                Some(good_activation.clone()),
            ),
            (Method::DELETE, card_path(segment, "/reviews/x1"), None),
            (Method::DELETE, card_path(segment, "/activations/x1"), None),
        ];
        for (method, path, body) in calls {
            let (status, answer) = call(
                http,
                method.clone(),
                &server.url(&path),
                Some(RESEARCHER),
                body,
            )
            .await;
            assert_eq!(status, 404, "{method} {path}: {answer}");
            assert_eq!(answer["error"], error, "{method} {path}");
            assert!(
                answer["message"].as_str().unwrap().contains(segment),
                "{method} {path}: the message names the segment: {answer}"
            );
        }
    }

    // Unknown team, field and verdict: all three named at once.
    let (status, body) = post(
        &server,
        &card_path(AGENCY, "/reviews"),
        RESEARCHER,
        json!({"team": "legal", "field": "price", "verdict": "maybe", "comment": ""}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"], "validation");
    let fields = body["fields"].as_object().unwrap();
    let mut named: Vec<&String> = fields.keys().collect();
    named.sort();
    assert_eq!(named, ["field", "team", "verdict"]);
    for (field, good) in [("team", "sales"), ("field", "pain"), ("verdict", "agrees")] {
        let mut one_bad = good_review.clone();
        one_bad[field] = json!("nonsense");
        let (status, body) = post(
            &server,
            &card_path(AGENCY, "/reviews"),
            INTERVIEWER,
            one_bad,
        )
        .await;
        assert_eq!(status, 422, "{field}");
        let keys: Vec<&String> = body["fields"].as_object().unwrap().keys().collect();
        assert_eq!(keys, [field], "only {field} is named (not {good})");
    }

    // A label too long or over two lines, an activation that says nothing: 422 naming each.
    let long = "x".repeat(121);
    let refused = [
        (
            Method::PUT,
            card_path(AGENCY, ""),
            json!({"label": long, "notes": ""}),
            "label",
        ),
        (
            Method::PUT,
            card_path(AGENCY, ""),
            json!({"label": "two\nlines"}),
            "label",
        ),
        (
            Method::POST,
            card_path(AGENCY, "/activations"),
            json!({"kind": "ux", "title": "  ", "started": "2026-01-05"}),
            "title",
        ),
    ];
    for (method, path, body, field) in refused {
        let (status, answer) = call(
            http,
            method.clone(),
            &server.url(&path),
            Some(RESEARCHER),
            Some(body),
        )
        .await;
        assert_eq!(status, 422, "{method} {path}: {answer}");
        let keys: Vec<&String> = answer["fields"].as_object().unwrap().keys().collect();
        assert_eq!(keys, [field], "{method} {path}");
    }
    // Bodies that cannot be read: 400 with an error body, never a 5xx.
    for raw in ["not json", r#"{"label": "x", "colour": "red"}"#] {
        let response = http
            .put(server.url(&card_path(AGENCY, "")))
            .bearer_auth(RESEARCHER)
            .header("content-type", "application/json")
            .body(raw)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{raw}");
        let answer: Value = response.json().await.unwrap();
        assert_eq!(answer["error"], "bad_request", "{raw}");
    }

    // Unknown kind; bad dates.
    let mut bad_kind = good_activation.clone();
    bad_kind["kind"] = json!("billboard");
    let (status, body) = post(
        &server,
        &card_path(AGENCY, "/activations"),
        RESEARCHER,
        bad_kind,
    )
    .await;
    assert_eq!(status, 422);
    let keys: Vec<&String> = body["fields"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["kind"]);
    for date in ["2026-02-30", "2026/01/01", "", "2026-1-05", "05-01-2026"] {
        let mut bad_date = good_activation.clone();
        bad_date["started"] = json!(date);
        let (status, body) = post(
            &server,
            &card_path(AGENCY, "/activations"),
            RESEARCHER,
            bad_date,
        )
        .await;
        assert_eq!(status, 422, "started = {date:?}: {body}");
        let keys: Vec<&String> = body["fields"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["started"], "started = {date:?}");
    }

    // Roles: interviewers read and review, only researchers label, activate and delete.
    let (status, review) = post(
        &server,
        &card_path(AGENCY, "/reviews"),
        INTERVIEWER,
        good_review.clone(),
    )
    .await;
    assert_eq!(status, 201);
    let rid = review["id"].as_str().unwrap().to_string();
    let (status, activation) = post(
        &server,
        &card_path(AGENCY, "/activations"),
        RESEARCHER,
        good_activation.clone(),
    )
    .await;
    assert_eq!(status, 201);
    let aid = activation["id"].as_str().unwrap().to_string();
    let forbidden = [
        (Method::PUT, card_path(AGENCY, ""), Some(label.clone())),
        (
            Method::POST,
            card_path(AGENCY, "/activations"),
            Some(good_activation.clone()),
        ),
        (
            Method::DELETE,
            card_path(AGENCY, &format!("/reviews/{rid}")),
            None,
        ),
        (
            Method::DELETE,
            card_path(AGENCY, &format!("/activations/{aid}")),
            None,
        ),
    ];
    for (method, path, body) in forbidden.clone() {
        let (status, answer) = call(
            http,
            method.clone(),
            &server.url(&path),
            Some(INTERVIEWER),
            body,
        )
        .await;
        assert_eq!(status, 403, "interviewer {method} {path}");
        assert_eq!(answer["error"], "forbidden");
    }
    // No token, or a wrong one: 401 everywhere, reads included.
    let mut anonymous = forbidden.to_vec();
    anonymous.push((
        Method::POST,
        card_path(AGENCY, "/reviews"),
        Some(good_review.clone()),
    ));
    anonymous.push((Method::GET, format!("/api/reports/{REPORT}/profiles"), None));
    anonymous.push((
        Method::GET,
        format!("/api/reports/{REPORT}/profiles.md"),
        None,
    ));
    for (method, path, body) in anonymous {
        for token in [None, Some("not-a-token")] {
            let (status, answer) = call(
                http,
                method.clone(),
                &server.url(&path),
                token,
                body.clone(),
            )
            .await;
            assert_eq!(status, 401, "{method} {path} with {token:?}");
            assert_eq!(answer["error"], "unauthorized");
        }
    }
    // Deleting a review or an activation that is not there.
    for path in [
        card_path(AGENCY, "/reviews/0190000000007000800000000000dead"),
        card_path(AGENCY, &format!("/reviews/{aid}")),
        card_path(AGENCY, &format!("/activations/{rid}")),
        card_path(IN_HOUSE, &format!("/reviews/{rid}")),
    ] {
        let (status, answer) = call(
            http,
            Method::DELETE,
            &server.url(&path),
            Some(RESEARCHER),
            None,
        )
        .await;
        assert_eq!(status, 404, "DELETE {path}");
        assert_eq!(answer["error"], "not_found");
    }

    // Nothing refused left a trace: the card has exactly the one review and one activation.
    let after = profiles(http, &server.base, RESEARCHER).await;
    let agency = card(&after, AGENCY);
    assert_eq!(agency["label"], Value::Null);
    let reviews: Vec<&Value> = agency["reviews"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["id"])
        .collect();
    assert_eq!(reviews, [&review["id"]]);
    let activations: Vec<&Value> = agency["activations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["id"])
        .collect();
    assert_eq!(activations, [&activation["id"]]);
    // Everything else is as it was before the bad requests.
    let mut unchanged = after.clone();
    for key in ["reviews", "contradictions", "activations"] {
        unchanged["cards"][0][key] = json!([]);
    }
    let without_time = |v: &Value| {
        let mut v = v.clone();
        v.as_object_mut().unwrap().remove("drafted_at");
        v
    };
    assert_eq!(without_time(&unchanged), without_time(&before));
    server.stop().await;
}
