//! Every API error, its status code and JSON body, mapped in one place.
//!
//! Body: `{"error": "<kind>", "message": "...", "fields": {...}}`. Internal errors are logged
//! and answered with a generic message so that nothing about the machine leaks to a client.

use std::collections::BTreeMap;

use poem::http::StatusCode;
use poem::{IntoResponse, Response};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object};

use crate::auth::AuthError;
use crate::export::ExportError;
use crate::form::FieldErrors;
use crate::interview::InterviewError;
use crate::mail::{MailError, SendError};
use crate::profiles::ProfileError;
use crate::responses::{EraseError, SubmitError};
use crate::store::StoreError;

#[derive(Debug, Clone, Object)]
pub struct ErrorBody {
    /// A stable, machine-readable kind: `validation`, `not_found`, `unauthorized`, ...
    pub error: String,
    /// A sentence for a person.
    pub message: String,
    /// Per-field messages, for `validation` errors.
    #[oai(skip_serializing_if_is_none)]
    pub fields: Option<BTreeMap<String, String>>,
    /// How far a rebuild has got, for `rebuilding` errors.
    #[oai(skip_serializing_if_is_none)]
    pub progress: Option<Box<Progress>>,
    /// The full quota, for `quota_full` errors.
    #[oai(skip_serializing_if_is_none)]
    pub quota: Option<String>,
}

#[derive(Debug, Clone, Object)]
pub struct Progress {
    /// Responses folded in so far.
    pub done: u64,
    /// Responses to fold in.
    pub total: u64,
}

#[derive(Debug, ApiResponse)]
pub enum ApiError {
    /// The request could not be read (malformed JSON, wrong field types).
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// No token, or a token that matches no role.
    #[oai(status = 401)]
    Unauthorized(Json<ErrorBody>),
    /// A valid token whose role may not do this.
    #[oai(status = 403)]
    Forbidden(Json<ErrorBody>),
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// The request body did not arrive within 30 s.
    #[oai(status = 408)]
    TooSlow(Json<ErrorBody>),
    /// The survey is closed, the interview has ended, or a quota the answers fall in is
    /// full (`quota_full`, naming it in `quota`; nothing was stored).
    #[oai(status = 409)]
    Conflict(Json<ErrorBody>),
    /// The request body is over 64 KiB.
    #[oai(status = 413)]
    TooLarge(Json<ErrorBody>),
    /// Some answers were refused (`validation`: `fields` names every one), or an export is
    /// too large for its format (`too_many_rows`: the message names the CSV route instead).
    #[oai(status = 422)]
    Validation(Json<ErrorBody>),
    /// Too many submissions from this address in the last minute (`rate_limited`); the
    /// `Retry-After` header says how many seconds to wait.
    #[oai(status = 429)]
    RateLimited(Json<ErrorBody>),
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
    /// The mail server could not be reached or refused the message; `message` names it.
    #[oai(status = 502)]
    BadGateway(Json<ErrorBody>),
    /// The store is not writable, its database cannot be reached (`store_unavailable`), or a
    /// report is being rebuilt (with `progress`).
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>),
    /// The server's disk is full (`storage_full`): nothing was stored; reads still work.
    #[oai(status = 507)]
    StorageFull(Json<ErrorBody>),
}

fn body(error: &str, message: impl Into<String>) -> Json<ErrorBody> {
    Json(ErrorBody {
        error: error.into(),
        message: message.into(),
        fields: None,
        progress: None,
        quota: None,
    })
}

impl ApiError {
    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError::NotFound(body("not_found", message))
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::BadRequest(body("bad_request", message))
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        ApiError::Conflict(body("conflict", message))
    }

    pub fn too_large() -> Self {
        ApiError::TooLarge(body(
            "too_large",
            format!(
                "the request body is over {} KiB",
                crate::app::MAX_BODY_BYTES / 1024
            ),
        ))
    }

    pub fn too_slow() -> Self {
        ApiError::TooSlow(body(
            "timeout",
            format!(
                "the request body did not arrive within {} s",
                crate::app::BODY_TIMEOUT.as_secs()
            ),
        ))
    }

    /// The caller adds `Retry-After: {wait}`.
    pub fn rate_limited(wait: u64, per_minute: std::num::NonZeroU32) -> Self {
        ApiError::RateLimited(body(
            "rate_limited",
            format!(
                "more than {per_minute} submissions a minute from your address; try again in {wait} s"
            ),
        ))
    }

    /// Logged, since someone must free space; the client learns that nothing was stored.
    pub fn storage_full(cause: impl std::fmt::Display) -> Self {
        tracing::error!("write refused, the disk is full: {cause}");
        ApiError::StorageFull(body(
            "storage_full",
            "the server's disk is full, so nothing was stored; try again later",
        ))
    }

    /// A CSV import refused at its first bad row (`message` names it): nothing was kept.
    pub fn bad_import_row(message: impl std::fmt::Display, line: u64) -> Self {
        ApiError::Validation(Json(ErrorBody {
            error: "validation".into(),
            message: format!("{message}; nothing of this file was imported"),
            fields: Some(BTreeMap::from([("line".to_string(), line.to_string())])),
            progress: None,
            quota: None,
        }))
    }

    /// A CSV import over `limit` bytes: nothing was kept.
    pub fn import_too_large(limit: u64) -> Self {
        ApiError::TooLarge(Json(ErrorBody {
            error: "too_large".into(),
            message: format!(
                "the file is over {} MiB; nothing of it was imported",
                limit / (1024 * 1024)
            ),
            fields: None,
            progress: None,
            quota: None,
        }))
    }

    /// A CSV import whose body broke off: nothing was kept.
    pub fn import_cut_short(reason: impl std::fmt::Display) -> Self {
        ApiError::bad_request(format!(
            "the file did not arrive whole ({reason}); nothing of it was imported"
        ))
    }

    pub fn validation(fields: FieldErrors) -> Self {
        let count = fields.len();
        ApiError::Validation(Json(ErrorBody {
            error: "validation".into(),
            message: format!(
                "{count} field{} not accepted",
                if count == 1 { " was" } else { "s were" }
            ),
            fields: Some(fields),
            progress: None,
            quota: None,
        }))
    }

    /// The database could not be reached: a 503 a client or a load balancer retries.
    pub fn store_unavailable(cause: impl std::fmt::Display) -> Self {
        tracing::error!("the store is unavailable: {cause}");
        ApiError::Unavailable(body(
            "store_unavailable",
            "the server cannot reach its database just now, so nothing was done; try again shortly",
        ))
    }

    /// Logs the cause; the client only learns that something went wrong on our side.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!("internal error: {cause}");
        ApiError::Internal(body(
            "internal",
            "something went wrong on the server; it has been logged",
        ))
    }

    /// An export larger than its format holds; `message` says where to get it instead.
    pub fn too_large_for_format(error: &str, message: impl Into<String>) -> Self {
        ApiError::Validation(body(error, message))
    }

    pub fn rebuilding(done: u64, total: u64) -> Self {
        ApiError::Unavailable(Json(ErrorBody {
            error: "rebuilding".into(),
            message: format!(
                "the report is being rebuilt from stored responses ({done} of {total}); try again shortly"
            ),
            fields: None,
            progress: Some(Box::new(Progress { done, total })),
            quota: None,
        }))
    }

    pub fn unavailable(cause: impl std::fmt::Display) -> Self {
        tracing::error!("store unavailable: {cause}");
        ApiError::Unavailable(body("unavailable", "the store is not writable"))
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Unauthenticated => ApiError::Unauthorized(body(
                "unauthorized",
                "a valid token is needed: send Authorization: Bearer <token>, or log in at /login",
            )),
            AuthError::Forbidden => {
                ApiError::Forbidden(body("forbidden", "your token's role may not do this"))
            }
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Full(_) => ApiError::storage_full(e),
            StoreError::Unavailable(_) => ApiError::store_unavailable(e),
            _ => ApiError::internal(e),
        }
    }
}

impl From<SubmitError> for ApiError {
    fn from(e: SubmitError) -> Self {
        match e {
            SubmitError::UnknownForm(_) => ApiError::not_found(e.to_string()),
            SubmitError::Closed(_) => ApiError::conflict(e.to_string()),
            SubmitError::Invalid(fields) => ApiError::validation(fields),
            SubmitError::QuotaFull {
                ref name,
                ref message,
            } => ApiError::Conflict(Json(ErrorBody {
                error: "quota_full".into(),
                message: if message.is_empty() {
                    e.to_string()
                } else {
                    message.clone()
                },
                fields: None,
                progress: None,
                quota: Some(name.clone()),
            })),
            SubmitError::AlreadyAnswered => {
                ApiError::Conflict(body("already_answered", e.to_string()))
            }
            SubmitError::Store(e) => ApiError::from(e),
        }
    }
}

impl From<EraseError> for ApiError {
    fn from(e: EraseError) -> Self {
        match e {
            EraseError::NotFound => ApiError::not_found(e.to_string()),
            // A wrong receipt is a wrong credential, like a wrong token: 401.
            EraseError::WrongReceipt => ApiError::Unauthorized(body("unauthorized", e.to_string())),
            EraseError::Store(e) => ApiError::from(e),
        }
    }
}

impl From<InterviewError> for ApiError {
    fn from(e: InterviewError) -> Self {
        match e {
            InterviewError::NotFound | InterviewError::NoteNotFound(_) => {
                ApiError::not_found(e.to_string())
            }
            InterviewError::GuideClosed(_)
            | InterviewError::GuideGone(_)
            | InterviewError::Ended => ApiError::conflict(e.to_string()),
            InterviewError::Invalid(fields) => ApiError::validation(fields),
            InterviewError::Store(e) => ApiError::from(e),
        }
    }
}

impl From<ProfileError> for ApiError {
    fn from(e: ProfileError) -> Self {
        match e {
            ProfileError::UnknownSegment(..) | ProfileError::NotFound(_) => {
                ApiError::not_found(e.to_string())
            }
            ProfileError::Suppressed(..) => ApiError::NotFound(body("suppressed", e.to_string())),
            ProfileError::Invalid(fields) => ApiError::validation(fields),
            ProfileError::Rebuilding { done, total } => ApiError::rebuilding(done, total),
            ProfileError::Store(e) => ApiError::from(e),
        }
    }
}

impl From<ExportError> for ApiError {
    fn from(e: ExportError) -> Self {
        match e {
            // The routes count first and say so with the form's own CSV route; this is for
            // responses that arrived between the count and the export.
            ExportError::TooManyRows { .. } => {
                ApiError::too_large_for_format("too_many_rows", e.to_string())
            }
            ExportError::TooManyColumns { .. } => {
                ApiError::too_large_for_format("too_many_columns", e.to_string())
            }
            ExportError::Store(e) => ApiError::from(e),
            // The XLSX and .sav exports spool in the data directory, which may fill.
            _ if e.is_storage_full() => ApiError::storage_full(e),
            _ => ApiError::internal(e),
        }
    }
}

impl From<SendError> for ApiError {
    fn from(e: SendError) -> Self {
        match e {
            SendError::NoEmail(_) => ApiError::Conflict(body("no_email", e.to_string())),
            // The researcher configured the server and needs to know what it said.
            SendError::Mail(MailError::Smtp { .. }) => {
                tracing::warn!("{e}");
                ApiError::BadGateway(body("mail_failed", e.to_string()))
            }
            SendError::Mail(e) => ApiError::internal(e),
            SendError::Store(e) => ApiError::from(e),
        }
    }
}

impl From<crate::backup::BackupError> for ApiError {
    /// A backup reads only the store, but spools to the data directory first: a full disk
    /// there is 507 like any write's; anything else is on the server's side.
    fn from(e: crate::backup::BackupError) -> Self {
        use crate::backup::BackupError;
        match e {
            BackupError::Store(e) => e.into(),
            BackupError::Io { ref source, .. }
                if source.kind() == std::io::ErrorKind::StorageFull =>
            {
                ApiError::storage_full(e)
            }
            _ => ApiError::internal(e),
        }
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(e: tokio::task::JoinError) -> Self {
        ApiError::internal(e)
    }
}

/// Turns every error that reaches the top of the API into the JSON error shape: our own
/// errors pass through; poem's (unreadable body, unknown route, ...) get their kind by status.
pub async fn to_json_error(err: poem::Error) -> Response {
    if err.is_from_response() {
        return err.into_response();
    }
    let status = err.status();
    let error = match status {
        StatusCode::BAD_REQUEST => ApiError::bad_request(err.to_string()),
        StatusCode::NOT_FOUND => ApiError::not_found("no such route"),
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::too_large(),
        StatusCode::REQUEST_TIMEOUT => ApiError::too_slow(),
        StatusCode::METHOD_NOT_ALLOWED => {
            return (
                status,
                body("method_not_allowed", "this route does not take that method"),
            )
                .into_response();
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ApiError::bad_request(format!("{err}; send Content-Type: application/json"))
        }
        s if s.is_client_error() => {
            return (status, body("bad_request", err.to_string())).into_response();
        }
        _ => ApiError::internal(err),
    };
    error.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_is_a_507_wherever_it_comes_from() {
        let full = || StoreError::Full("No space left on device".into());
        assert!(matches!(ApiError::from(full()), ApiError::StorageFull(_)));
        assert!(matches!(
            ApiError::from(SubmitError::Store(full())),
            ApiError::StorageFull(_)
        ));
        let spool = std::io::Error::from(std::io::ErrorKind::StorageFull);
        assert!(matches!(
            ApiError::from(ExportError::Io(spool)),
            ApiError::StorageFull(_)
        ));
        assert!(matches!(
            ApiError::from(StoreError::Backend("broken".into())),
            ApiError::Internal(_)
        ));
    }

    #[test]
    fn an_export_too_large_for_its_format_is_a_422_that_names_the_csv() {
        let error = ApiError::from(ExportError::TooManyRows { limit: 3 });
        let ApiError::Validation(Json(body)) = error else {
            panic!("a 422, got {error:?}");
        };
        assert_eq!(body.error, "too_many_rows");
        assert!(body.message.contains("CSV"), "{}", body.message);
    }
}
