//! Languages on the hosted pages: the page's language by `?lang=`, by Accept-Language, or the
//! default; `lang` and `dir`; the switch that keeps every answer (over plain form posts and in
//! Chromium with JavaScript off); validation messages in the page's language; answers stored
//! in the default language with a `language` column; a translated guide in the console.
//! The message files and `check` are tested in `tests/translations.rs`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::chrome::ChromeDriver;
use common::survey::{page_of, state_of, unescape};
use common::{RESEARCHER, TestServer, parse_csv, repo_path};
use fantoccini::Locator;
use fieldnotes::form::invalid::Invalid;
use fieldnotes::i18n::{Locale, SHIPPED};
use serde_json::json;

fn language_forms() -> PathBuf {
    repo_path("tests/fixtures/languages/forms")
}

/// The `<html>` element's `lang` and `dir`.
fn html_lang(html: &str) -> (String, String) {
    let attr = |name: &str| {
        let tag_end = html
            .find("<html")
            .and_then(|s| html[s..].find('>').map(|e| (s, s + e)));
        let (start, end) = tag_end.expect("an <html> tag");
        let tag = &html[start..end];
        let marker = format!("{name}=\"");
        let from = tag
            .find(&marker)
            .unwrap_or_else(|| panic!("{name} on <html>: {tag}"))
            + marker.len();
        tag[from..from + tag[from..].find('"').expect("a closing quote")].to_string()
    };
    (attr("lang"), attr("dir"))
}

fn lang_field(html: &str) -> String {
    let marker = "name=\"_lang\" value=\"";
    let start = html.find(marker).expect("a _lang input") + marker.len();
    unescape(&html[start..start + html[start..].find('"').expect("its end")])
}

async fn get(s: &TestServer, path: &str, accept_language: Option<&str>) -> (u16, String) {
    let mut request = s.http.get(s.url(path));
    if let Some(header) = accept_language {
        request = request.header("accept-language", header);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn post(s: &TestServer, form: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let response = s
        .http
        .post(s.url(&format!("/s/{form}")))
        .form(fields)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// Posts the page `html` back with `answers` and `extra` fields (`_action`, `_switch`).
async fn post_page(
    s: &TestServer,
    form: &str,
    html: &str,
    answers: &[(&str, &str)],
    extra: &[(&str, &str)],
) -> (u16, String) {
    let (state, page, lang) = (state_of(html), page_of(html), lang_field(html));
    let mut fields = vec![
        ("_state", state.as_str()),
        ("_page", page.as_str()),
        ("_lang", lang.as_str()),
    ];
    fields.extend_from_slice(extra);
    fields.extend_from_slice(answers);
    post(s, form, &fields).await
}

#[tokio::test]
async fn the_language_comes_from_the_query_then_the_browser_then_the_default() {
    let s = TestServer::start(&repo_path("forms")).await;
    let (status, german) = get(&s, "/s/customer-profile?lang=de", None).await;
    assert_eq!(status, 200);
    assert_eq!(html_lang(&german), ("de".into(), "ltr".into()));
    for text in [
        "Helfen Sie uns zu verstehen, wie Sie arbeiten",
        "Wie viele Menschen arbeiten in Ihrem Unternehmen, Sie eingeschlossen?",
        "Seite 1 von",
        ">Weiter</button>",
        "(Pflichtfeld)",
    ] {
        assert!(german.contains(text), "no {text:?} in {german}");
    }
    // Labels are German, values the default's: what is posted is the same in every language.
    assert!(
        german.contains(">Gründer/in oder Inhaber/in</label>"),
        "{german}"
    );
    assert!(german.contains("value=\"Founder or owner\""), "{german}");

    let (_, by_header) = get(&s, "/s/customer-profile", Some("de-DE,de;q=0.9,en;q=0.8")).await;
    assert_eq!(html_lang(&by_header).0, "de");
    assert!(by_header.contains(">Weiter</button>"));

    // The query wins over the header; a language the form lacks falls back.
    let (_, asked) = get(&s, "/s/customer-profile?lang=en", Some("de")).await;
    assert_eq!(html_lang(&asked).0, "en");
    for (path, header) in [
        ("/s/customer-profile?lang=xx", None),
        ("/s/customer-profile?lang=fr", Some("ja, fr;q=0.5")),
        ("/s/customer-profile", None),
    ] {
        let (status, page) = get(&s, path, header).await;
        assert_eq!(status, 200);
        assert_eq!(
            html_lang(&page),
            ("en".into(), "ltr".into()),
            "{path} {header:?}"
        );
        assert!(page.contains("Help us understand how you work"));
        assert!(page.contains(">Next</button>"));
    }
    let response = s
        .http
        .get(s.url("/s/customer-profile"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers().get("vary").and_then(|v| v.to_str().ok()),
        Some("accept-language")
    );
    // The switch names each language in itself, marked with its own lang.
    assert!(
        german.contains("lang=\"de\" aria-current=\"true\">Deutsch</button>"),
        "{german}"
    );
    assert!(
        german.contains("value=\"en\" lang=\"en\">English</button>"),
        "{german}"
    );
    // Pages without a form take the browser's language among those that ship.
    let (status, missing) = get(&s, "/s/no-such-survey", Some("es-ES,es;q=0.9")).await;
    assert_eq!(status, 404);
    assert_eq!(html_lang(&missing).0, "es");
    assert!(missing.contains("Encuesta no encontrada"), "{missing}");
    s.stop().await;
}

#[tokio::test]
async fn every_page_says_its_lang_and_dir() {
    let s = TestServer::start(&language_forms()).await;
    let (_, arabic) = get(&s, "/s/right-to-left?lang=ar", None).await;
    assert_eq!(html_lang(&arabic), ("ar".into(), "rtl".into()));
    assert!(arabic.contains("ملاحظات"));
    for tag in SHIPPED {
        let (_, page) = get(&s, &format!("/s/four-languages?lang={tag}"), None).await;
        assert_eq!(html_lang(&page), (tag.to_string(), "ltr".into()));
        let locale = Locale::parse(tag).unwrap();
        assert!(page.contains(&locale.t("survey-submit")), "{tag}: {page}");
    }
    // The thank-you page is in the page's language too.
    let (_, first) = get(&s, "/s/four-languages?lang=fr", None).await;
    let (status, thanks) = post_page(
        &s,
        "four-languages",
        &first,
        &[("q.tool", "Notebook")],
        &[("_action", "next")],
    )
    .await;
    assert_eq!(status, 200, "{thanks}");
    assert_eq!(html_lang(&thanks).0, "fr");
    assert!(thanks.contains("Merci !"), "{thanks}");
    s.stop().await;
}

#[tokio::test]
async fn validation_messages_come_in_the_page_language() {
    let s = TestServer::start(&language_forms()).await;
    for tag in SHIPPED {
        let locale = Locale::parse(tag).unwrap();
        let (_, first) = get(&s, &format!("/s/four-languages?lang={tag}"), None).await;
        let answers = [("q.hours", "81"), ("q.email", "not an address")];
        let (status, page) = post_page(
            &s,
            "four-languages",
            &first,
            &answers,
            &[("_action", "next")],
        )
        .await;
        assert_eq!(status, 422, "{page}");
        assert_eq!(html_lang(&page).0, *tag);
        let expected = [
            Invalid::Required,
            Invalid::Between {
                min: 0.0,
                max: 80.0,
            },
            Invalid::NotAnEmail,
        ];
        for why in expected {
            let text = why.text(&locale);
            assert!(page.contains(&text), "{tag}: no {text:?} in {page}");
            if *tag != "en" {
                assert_ne!(text, why.text(&Locale::english()), "{tag} {}", why.id());
            }
        }
        assert!(page.contains(&locale.t_args("survey-error-summary", &[("count", 3usize.into())])));
    }
    s.stop().await;
}

/// Answers on each page of customer-profile until the thank-you page; returns it.
async fn walk_to_the_end(s: &TestServer, mut html: String, answers: &[(&str, &str)]) -> String {
    for _ in 0..20 {
        if !html.contains("name=\"_state\"") {
            return html;
        }
        let on_page: Vec<(&str, &str)> = answers
            .iter()
            .copied()
            .filter(|(name, _)| html.contains(&format!("name=\"{name}\"")))
            .collect();
        let (status, next) = post_page(
            s,
            "customer-profile",
            &html,
            &on_page,
            &[("_action", "next")],
        )
        .await;
        assert_eq!(status, 200, "{next}");
        html = next;
    }
    panic!("no end to the survey: {html}");
}

#[tokio::test]
async fn the_switch_keeps_every_answer_and_the_store_keeps_the_default_language() {
    let s = TestServer::start(&repo_path("forms")).await;
    let (_, first) = get(&s, "/s/customer-profile", None).await;
    assert!(first.contains("name=\"q.company_size\"") && first.contains("name=\"q.role\""));
    // Answers typed on page 1, then the switch: the same page, in German, with them chosen.
    let typed = [("q.company_size", "2–10"), ("q.role", "Founder or owner")];
    let (status, german) =
        post_page(&s, "customer-profile", &first, &typed, &[("_switch", "de")]).await;
    assert_eq!(status, 200, "{german}");
    assert_eq!(html_lang(&german).0, "de");
    assert_eq!(page_of(&german), page_of(&first));
    assert!(
        !german.contains("error-summary"),
        "the switch judges nothing: {german}"
    );
    for value in ["2–10", "Founder or owner"] {
        assert!(
            german.contains(&format!("value=\"{value}\" checked")),
            "{value} lost: {german}"
        );
    }
    // On to the next page and back, still German, still chosen.
    let (_, second) = post_page(
        &s,
        "customer-profile",
        &german,
        &typed,
        &[("_action", "next")],
    )
    .await;
    assert_eq!(html_lang(&second).0, "de");
    let (_, back) = post_page(&s, "customer-profile", &second, &[], &[("_action", "back")]).await;
    assert!(
        back.contains("value=\"Founder or owner\" checked"),
        "{back}"
    );
    let answers = [
        ("q.company_size", "2–10"),
        ("q.role", "Founder or owner"),
        ("q.nps", "9"),
        ("q.pmf", "Very disappointed"),
    ];
    let thanks = walk_to_the_end(&s, back, &answers).await;
    assert!(thanks.contains("Vielen Dank!"), "{thanks}");
    assert_eq!(html_lang(&thanks).0, "de");

    // An English respondent, through the API, without a language: the default is recorded.
    let r = s
        .submit("customer-profile", json!({"answers": {"company_size": "Just me", "role": "Individual contributor", "nps": 3}}))
        .await;
    assert_eq!(r.status(), 201);

    let csv = s
        .get_as("/api/forms/customer-profile/responses.csv", RESEARCHER)
        .await;
    let (header, rows) = parse_csv(&csv.bytes().await.unwrap());
    assert_eq!(
        &header[..4],
        ["response_id", "submitted_at", "form_revision", "language"]
    );
    assert_eq!(rows.len(), 2);
    let german_row = rows
        .iter()
        .find(|r| r["language"] == "de")
        .expect("the German response");
    assert_eq!(german_row["role"], "Founder or owner");
    assert_eq!(german_row["company_size"], "2–10");
    assert!(
        rows.iter()
            .any(|r| r["language"] == "en" && r["role"] == "Individual contributor")
    );
    let jsonl = s
        .get_as("/api/forms/customer-profile/responses.jsonl", RESEARCHER)
        .await;
    let text = jsonl.text().await.unwrap();
    assert!(
        text.lines()
            .all(|l| l.contains("\"form_revision\"") && l.contains("\"language\":")),
        "{text}"
    );
    s.stop().await;
}

#[tokio::test]
async fn the_api_takes_a_language_the_form_offers() {
    let s = TestServer::start(&language_forms()).await;
    let ok = s
        .submit(
            "four-languages",
            json!({"answers": {"tool": "Notebook"}, "language": "es"}),
        )
        .await;
    assert_eq!(ok.status(), 201);
    let bad = s
        .submit(
            "four-languages",
            json!({"answers": {"tool": "Notebook"}, "language": "it"}),
        )
        .await;
    assert_eq!(bad.status(), 422);
    let body: serde_json::Value = bad.json().await.unwrap();
    assert!(
        body["fields"]["language"]
            .as_str()
            .unwrap()
            .contains("'it' is not a language"),
        "{body}"
    );
    let csv = s
        .get_as("/api/forms/four-languages/responses.csv", RESEARCHER)
        .await;
    let (header, rows) = parse_csv(&csv.bytes().await.unwrap());
    assert_eq!(header[3], "language");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["language"], "es");
    s.stop().await;
}

#[tokio::test]
async fn forms_without_languages_are_english_and_record_none() {
    let s = TestServer::start(&common::fixture_forms()).await;
    let forms: serde_json::Value = s
        .http
        .get(s.url("/api/forms"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = forms
        .as_array()
        .and_then(|f| f.first())
        .and_then(|f| f["id"].as_str())
        .expect("a form")
        .to_string();
    let (_, page) = get(&s, &format!("/s/{id}?lang=de"), Some("de")).await;
    assert_eq!(html_lang(&page), ("en".into(), "ltr".into()));
    assert!(
        !page.contains("name=\"_switch\""),
        "no switch for one language"
    );
    let bad = s
        .submit(&id, json!({"answers": {}, "language": "en"}))
        .await;
    assert_eq!(bad.status(), 422);
    let body: serde_json::Value = bad.json().await.unwrap();
    assert!(body["fields"]["language"].is_string(), "{body}");
    s.stop().await;
}

#[tokio::test]
async fn the_switch_works_in_a_browser_without_javascript() {
    let s = TestServer::start(&repo_path("forms")).await;
    let driver = ChromeDriver::start();
    let browser = driver.browser_without_javascript().await;
    browser.goto(&s.url("/s/customer-profile")).await.unwrap();
    let wait = Duration::from_secs(30);
    browser
        .wait()
        .at_most(wait)
        .for_element(Locator::Id("q-company_size-2"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .find(Locator::Css("button[name='_switch'][value='de']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .at_most(wait)
        .for_element(Locator::Css("html[lang='de']"))
        .await
        .expect("the German page");
    let chosen = browser.find(Locator::Id("q-company_size-2")).await.unwrap();
    assert_eq!(
        chosen.prop("checked").await.unwrap().as_deref(),
        Some("true")
    );
    let label = browser
        .find(Locator::Css("label[for='q-company_size-0']"))
        .await
        .unwrap();
    assert_eq!(label.text().await.unwrap(), "Nur ich");
    let _ = browser.close().await;
    s.stop().await;
}

#[tokio::test]
async fn the_console_shows_a_guide_in_the_language_asked_for() {
    let s = TestServer::start(&language_forms()).await;
    let started = s
        .http
        .post(s.url("/api/interviews"))
        .bearer_auth(RESEARCHER)
        .json(&json!({"guide": "guide", "participant": "P1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 201);
    let id = started.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let cookie = common::login_cookie(&s.base, RESEARCHER).await;
    let console = |query: &'static str| {
        let (http, url, cookie) = (
            s.http.clone(),
            s.url(&format!("/i/{id}{query}")),
            cookie.clone(),
        );
        async move {
            http.get(url)
                .header("cookie", cookie)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let german = console("?lang=de").await;
    assert!(german.contains("lang=\"de\">"), "{german}");
    assert!(german.contains("Der erste Gedanke"), "{german}");
    assert!(german.contains("Wann haben Sie zum ersten Mal an einen Wechsel gedacht?"));
    // The console's own words stay English; so does the page.
    assert_eq!(html_lang(&german).0, "en");
    let english = console("").await;
    assert!(english.contains("First thought") && !english.contains("Der erste Gedanke"));
    s.stop().await;
}

#[tokio::test]
async fn save_and_resume_speak_the_page_language() {
    let s = TestServer::start(&repo_path("forms")).await;
    let de = Locale::parse("de").expect("German");
    let (_, first) = get(&s, "/s/customer-profile?lang=de", None).await;
    assert!(first.contains(&de.t("survey-save-later")), "{first}");
    assert!(first.contains(&de.t("survey-kept-note")), "{first}");
    let (status, saved) =
        post_page(&s, "customer-profile", &first, &[], &[("_action", "save")]).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(html_lang(&saved).0, "de");
    assert!(saved.contains(&de.t("resume-heading")), "{saved}");
    let end = saved
        .find("\" id=\"resume-link\"")
        .expect("the resume link");
    let start = saved[..end].rfind("href=\"").expect("its href") + "href=\"".len();
    let link = unescape(&saved[start..end]);
    // A browser that prefers English still resumes in German: the partial kept its language.
    let (status, resumed) = get(&s, &link, Some("en")).await;
    assert_eq!(status, 200, "{resumed}");
    assert_eq!(html_lang(&resumed).0, "de");
    assert_eq!(lang_field(&resumed), "de");
    // The link page's own form says what is wrong in the page's language.
    let response = s
        .http
        .post(s.url(&link))
        .form(&[("_lang", "de"), ("email", "not an address")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    let refused = response.text().await.unwrap();
    assert_eq!(html_lang(&refused).0, "de");
    assert!(refused.contains(&de.t("resume-email-invalid")), "{refused}");
    s.stop().await;
}
