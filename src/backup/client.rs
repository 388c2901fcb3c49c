//! `fieldnotes backup` against a running server: sled lets one process open a store, so while
//! `serve` holds it the backup is asked of the server (`POST /api/backup`) and written here.

use std::io::{Seek, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use super::{BackupError, Summary, read};
use crate::config::Secret;
use crate::durable::Replacement;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The URL of the server that listens on `addr` (what `serve --addr` or `FIELDNOTES_ADDR`
/// says): an address that listens everywhere (`0.0.0.0`, `[::]`) is reached on loopback.
pub fn server_url(addr: &str) -> String {
    match addr.parse::<SocketAddr>() {
        Ok(mut socket) => {
            if socket.ip().is_unspecified() {
                socket.set_ip(match socket {
                    SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                    SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
                });
            }
            format!("http://{socket}")
        }
        Err(_) => format!("http://{addr}"),
    }
}

fn io(context: &'static str) -> impl Fn(std::io::Error) -> BackupError {
    move |source| BackupError::Io { context, source }
}

/// What the server said, for a person: its JSON error message when it sent one.
async fn refusal(response: reqwest::Response) -> String {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let message = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|json| json["message"].as_str().map(str::to_string))
        .unwrap_or(text);
    match status.as_u16() {
        401 => format!(
            "the server refused the token (401: {message}); set FIELDNOTES_RESEARCHER_TOKEN to the researcher token"
        ),
        403 => format!(
            "the token is not the researcher's (403: {message}); a backup needs the researcher token"
        ),
        _ => format!("the server answered {status}: {message}"),
    }
}

/// Asks the server at `server` (a base URL such as `http://127.0.0.1:8080`) for a backup and
/// writes it to `target` durably. The download is read back in full before it takes
/// `target`'s name, so a transfer cut short never replaces a good backup.
pub async fn download(server: &str, token: &Secret, target: &Path) -> Result<Summary, BackupError> {
    let url = format!("{}/api/backup", server.trim_end_matches('/'));
    let http = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .build()
        .map_err(|e| BackupError::Server(format!("cannot make an HTTP client: {e}")))?;
    let mut response = http
        .post(&url)
        .bearer_auth(token.expose())
        .send()
        .await
        .map_err(|e| BackupError::Server(format!("no server answered at {url}: {e}")))?;
    if !response.status().is_success() {
        return Err(BackupError::Server(refusal(response).await));
    }
    let mut file = Replacement::begin(target).map_err(io("cannot create the backup file"))?;
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| BackupError::Server(format!("the download from {url} broke off: {e}")))?
    {
        file.file()
            .write_all(&chunk)
            .map_err(io("cannot write the backup file"))?;
    }
    file.file()
        .rewind()
        .map_err(io("cannot read the backup file back"))?;
    let summary = read(file.file(), &mut |_| Ok(()))?;
    file.commit().map_err(io("cannot write the backup file"))?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_listening_everywhere_is_reached_on_loopback() {
        assert_eq!(server_url("0.0.0.0:8080"), "http://127.0.0.1:8080");
        assert_eq!(server_url("[::]:9000"), "http://[::1]:9000");
        assert_eq!(server_url("10.0.0.7:8080"), "http://10.0.0.7:8080");
        assert_eq!(server_url("notes.internal:80"), "http://notes.internal:80");
    }
}
