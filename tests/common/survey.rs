//! Reading the hosted survey's pages as a browser with JavaScript off would: the hidden
//! `_state` and `_page` inputs that carry a respondent from one page to the next.

/// The value of the hidden `_state` input, unescaped.
pub fn state_of(html: &str) -> String {
    hidden_input(html, "_state")
}

/// The page index the page posts back (`_page`).
pub fn page_of(html: &str) -> String {
    hidden_input(html, "_page")
}

fn hidden_input(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("a {name} input in {html}"))
        + marker.len();
    let end = start + html[start..].find('"').expect("a closing quote");
    unescape(&html[start..end])
}

/// Decodes the character references an HTML escaper writes (`&#60;`, `&lt;`, ...).
pub fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let end = rest[at..]
            .find(';')
            .map(|e| at + e)
            .expect("a terminated reference");
        let name = &rest[at + 1..end];
        let decoded = match name {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = name.strip_prefix("#x").map_or_else(
                    || name.trim_start_matches('#').parse::<u32>().ok(),
                    |hex| u32::from_str_radix(hex, 16).ok(),
                );
                code.and_then(char::from_u32).expect("a known reference")
            }
        };
        out.push(decoded);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The text of the page's main button: "Next" or "Submit".
pub fn main_button(html: &str) -> &str {
    let marker = "<button class=\"primary\" type=\"submit\" name=\"_action\" value=\"next\">";
    let start = html.find(marker).expect("a main button") + marker.len();
    let end = start + html[start..].find("</button>").expect("its end");
    &html[start..end]
}

/// "Page n of m" as (n, m).
pub fn page_count(html: &str) -> (usize, usize) {
    let start = html.find(">Page ").expect("a progress line") + 6;
    let line = &html[start..start + html[start..].find('<').expect("its end")];
    let (n, m) = line.split_once(" of ").expect("n of m");
    (n.parse().expect("n"), m.parse().expect("m"))
}

/// The respondent's token (`t`), once the server keeps their answers; `None` before.
pub fn token_of(html: &str) -> Option<String> {
    html.contains("name=\"t\" value=\"")
        .then(|| hidden_input(html, "t"))
}

/// A GET's status and body.
pub async fn get(http: &reqwest::Client, url: &str) -> (u16, String) {
    let response = http.get(url).send().await.expect("GET");
    (
        response.status().as_u16(),
        response.text().await.expect("body"),
    )
}

/// Sends a page of survey `form` as a browser with JavaScript off would: the page's own
/// hidden fields (its token once it has one), the action and the answers.
pub async fn send_page(
    http: &reqwest::Client,
    base: &str,
    form: &str,
    html: &str,
    action: &str,
    answers: &[(&str, &str)],
) -> reqwest::Result<(u16, String)> {
    let mut fields = vec![
        ("_state".to_string(), state_of(html)),
        ("_page".to_string(), page_of(html)),
        ("_action".to_string(), action.to_string()),
    ];
    if let Some(token) = token_of(html) {
        fields.push(("t".to_string(), token));
    }
    fields.extend(answers.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let response = http
        .post(format!("{base}/s/{form}"))
        .form(&fields)
        .send()
        .await?;
    Ok((response.status().as_u16(), response.text().await?))
}
