//! One respondent through every page of a hosted survey, as a browser with JavaScript off:
//! the first page's GET, then each page's form posted back with its hidden inputs (`_state`,
//! `_page`, the token `t`, `_lang`), the shuffle cookie, and an answer to every question
//! shown (the first choice of each, a line of text in each text field), until the thank-you
//! page. Choosing the first options takes every follow-up page (NPS 0 asks for a reason,
//! "Yes" to an interview asks for an email).

use std::time::Instant;

use bytes::Bytes;
use http_body_util::Full;

use crate::load::{Client, Tally};

/// More pages than this and the flow is taken to be going round in circles.
const MAX_PAGES: usize = 30;

pub async fn respondent(client: &mut Client, form: &str, tally: &mut Tally) -> Result<(), String> {
    let path = format!("/s/{form}");
    let request = client
        .request("GET", &path)
        .body(Full::default())
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    let answer = client.send(request).await?;
    tally.took(started);
    if answer.status != 200 {
        return Err(format!("GET {path}: {}", answer.status));
    }
    let cookie = answer.cookie;
    let mut html = String::from_utf8_lossy(&answer.body).into_owned();
    for _ in 0..MAX_PAGES {
        let page = hidden_value(&html, "_page");
        let Some(page) = page else {
            return match html.contains("receipt") {
                true => {
                    tally.respondents += 1;
                    Ok(())
                }
                false => Err("a page with neither a form nor a receipt".into()),
            };
        };
        let body = fill(&html);
        let mut request = client
            .request("POST", &path)
            .header("content-type", "application/x-www-form-urlencoded");
        if let Some(cookie) = &cookie {
            request = request.header("cookie", cookie);
        }
        let request = request
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        let started = Instant::now();
        let answer = client.send(request).await?;
        tally.took(started);
        if answer.status != 200 {
            return Err(format!("POST {path} page {page}: {}", answer.status));
        }
        let next = String::from_utf8_lossy(&answer.body).into_owned();
        if hidden_value(&next, "_page").as_deref() == Some(page.as_str()) {
            return Err(format!("page {page} came back (an answer was refused)"));
        }
        html = next;
    }
    Err(format!("more than {MAX_PAGES} pages"))
}

/// The page's form as a browser would send it on "Next".
fn fill(html: &str) -> String {
    let mut form = form_urlencoded::Serializer::new(String::new());
    let mut answered: Vec<String> = Vec::new();
    for tag in tags(html, "<input ") {
        let (Some(name), kind) = (attr(tag, "name"), attr(tag, "type").unwrap_or_default()) else {
            continue;
        };
        let value = attr(tag, "value").unwrap_or_default();
        match kind.as_str() {
            "hidden" => {
                form.append_pair(&name, &value);
            }
            "checkbox" if name == "_consent" => {
                form.append_pair(&name, &value);
            }
            "radio" | "checkbox"
                if is_question(&name) && value != "__other__" && !answered.contains(&name) =>
            {
                form.append_pair(&name, &value);
                answered.push(name);
            }
            "email" if is_question(&name) => {
                form.append_pair(&name, "respondent@example.com");
            }
            "number" if is_question(&name) => {
                form.append_pair(&name, "3");
            }
            "text" if is_question(&name) && !name.ends_with(".other") => {
                form.append_pair(&name, "A few words");
            }
            _ => {}
        }
    }
    for tag in tags(html, "<textarea ") {
        if let Some(name) = attr(tag, "name").filter(|n| is_question(n)) {
            form.append_pair(&name, "Setting it up took longer than we hoped.");
        }
    }
    form.append_pair("_action", "next");
    form.finish()
}

fn is_question(name: &str) -> bool {
    name.starts_with("q.")
}

/// The attribute text of every tag that starts with `open`.
fn tags<'a>(html: &'a str, open: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    html.match_indices(open).filter_map(move |(at, _)| {
        let rest = &html[at + open.len()..];
        rest.find('>').map(|end| &rest[..end])
    })
}

/// An attribute's value, unescaped.
fn attr(tag: &str, name: &str) -> Option<String> {
    let marker = format!(" {name}=\"");
    let padded = format!(" {tag}");
    let start = padded.find(&marker)? + marker.len();
    let end = start + padded[start..].find('"')?;
    Some(unescape(&padded[start..end]))
}

fn hidden_value(html: &str, name: &str) -> Option<String> {
    tags(html, "<input ")
        .find(|tag| attr(tag, "name").as_deref() == Some(name))
        .and_then(|tag| attr(tag, "value"))
}

/// Decodes the character references the page's escaper writes (`&#34;`, `&amp;`, ...).
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let Some(end) = rest[at..].find(';').map(|e| at + e) else {
            break;
        };
        let name = &rest[at + 1..end];
        let decoded = match name {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => name
                .strip_prefix("#x")
                .map_or_else(
                    || name.strip_prefix('#').and_then(|d| d.parse::<u32>().ok()),
                    |hex| u32::from_str_radix(hex, 16).ok(),
                )
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => out.push(c),
            None => out.push_str(&rest[at..=end]),
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}
