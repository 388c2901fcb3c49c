//! Headless Chromium through chromedriver, for the browser tests. Each browser session gets
//! its own profile, so two sessions are two people with their own cookies and storage.
//!
//! Needs Debian's `chromium` and `chromium-driver`; `scripts/test` installs them. The tests
//! fail, never skip, when they are missing.

use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use super::free_port;

pub struct ChromeDriver {
    child: Child,
    port: u16,
    profiles: Mutex<Vec<tempfile::TempDir>>,
}

impl ChromeDriver {
    pub fn start() -> ChromeDriver {
        let binary =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let port = free_port();
        let child = Command::new(&binary)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot run {binary} ({e}): install chromium-driver, or run scripts/test")
            });
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        ChromeDriver {
            child,
            port,
            profiles: Mutex::new(Vec::new()),
        }
    }

    /// A phone-sized browser.
    pub async fn browser(&self) -> Client {
        self.browser_sized(412, 915).await
    }

    /// A browser with a window of this size and a profile of its own.
    pub async fn browser_sized(&self, width: u32, height: u32) -> Client {
        self.session(width, height, json!({})).await
    }

    /// A phone-sized browser that runs no page scripts, as a respondent with JavaScript off.
    /// WebDriver's own scripts (reading the focused element) still run.
    pub async fn browser_without_javascript(&self) -> Client {
        let prefs = json!({"profile.managed_default_content_settings.javascript": 2});
        self.session(412, 915, prefs).await
    }

    async fn session(&self, width: u32, height: u32, prefs: serde_json::Value) -> Client {
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let profile_dir = tempfile::tempdir().expect("profile dir");
        let profile = format!("--user-data-dir={}", profile_dir.path().display());
        self.profiles.lock().expect("profiles").push(profile_dir);
        let capabilities = json!({
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-quic", "--no-first-run", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync",
                         format!("--window-size={width},{height}"), profile],
                "prefs": prefs
            }
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!()
        };
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("a Chromium session")
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Logs a browser in through the login page, as a person would, and waits until it has been
/// sent on to `next`. Waits for each element rather than assuming the page is there: on a
/// loaded machine a navigation can take a while to settle.
#[allow(dead_code)]
pub async fn log_in(browser: &Client, base: &str, token: &str, next: &str) {
    const WAIT: Duration = Duration::from_secs(30);
    let encoded: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
    browser
        .goto(&format!("{base}/login?next={encoded}"))
        .await
        .expect("the login page");
    browser
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Id("token"))
        .await
        .expect("a token field")
        .send_keys(token)
        .await
        .expect("type the token");
    browser
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("form button[type=submit]"))
        .await
        .expect("a submit button")
        .click()
        .await
        .expect("log in");
    let deadline = Instant::now() + WAIT;
    loop {
        let url = browser.current_url().await.expect("url");
        let here = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        };
        if here == next {
            return;
        }
        assert!(Instant::now() < deadline, "login did not lead to {next}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// How long a page may take to replace the one before it.
const NEW_PAGE_WAIT: Duration = Duration::from_secs(30);

/// Clicks what `css` finds and waits until the browser has replaced the page.
pub async fn click_and_wait(browser: &Client, css: &str) {
    let old_page = browser.find(Locator::Css("main")).await.expect("main");
    browser
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("{css}"))
        .click()
        .await
        .expect("click");
    let deadline = Instant::now() + NEW_PAGE_WAIT;
    while old_page.text().await.is_ok() {
        assert!(
            Instant::now() < deadline,
            "no new page after clicking {css}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    browser
        .wait()
        .at_most(NEW_PAGE_WAIT)
        .for_element(Locator::Css("main"))
        .await
        .expect("the next page");
}

/// Presses the survey button whose value is `action` (`next`, `back`, `save`, or a language
/// of the switch) and waits for the page it leads to.
pub async fn press(browser: &Client, action: &str) {
    click_and_wait(browser, &format!("button[value='{action}']")).await;
}

/// The text of the page's `main` element.
pub async fn main_text(browser: &Client) -> String {
    browser
        .find(Locator::Css("main"))
        .await
        .expect("main")
        .text()
        .await
        .expect("text")
}
