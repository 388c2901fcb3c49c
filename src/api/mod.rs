//! The JSON API (poem-openapi): thin handlers that parse, call the domain and map errors.

mod auth;
mod backup;
mod error;
mod forms;
mod health;
mod interviews;
mod profiles;
mod reports;
mod responses;
mod stream;
mod webhooks;

use std::sync::Arc;

use poem_openapi::{OpenApiService, Tags};

pub use auth::{SESSION_COOKIE, authorize, caller_role, session_cookie};
pub use error::{ApiError, ErrorBody, to_json_error};
pub use health::check as health_check;
pub use profiles::ProfilesApi;

use crate::app::AppState;

#[derive(Tags)]
pub enum ApiTags {
    /// Form definitions
    Forms,
    /// Survey responses: submit, erase, export
    Responses,
    /// Segment statistics
    Reports,
    /// Service health
    Health,
    /// Live interviews: notes, events, notes export
    Interviews,
    /// Profile cards, the ICP, and the team's reviews and activations
    Profiles,
    /// Webhook endpoints and their delivery log
    Webhooks,
    /// Backups of the whole store
    Backup,
}

pub type Apis = (
    forms::FormsApi,
    responses::ResponsesApi,
    reports::ReportsApi,
    health::HealthApi,
    interviews::InterviewsApi,
    profiles::ProfilesApi,
    webhooks::WebhooksApi,
    backup::BackupApi,
);

/// The OpenAPI service; mounted at `/api`, it also serves the spec and Swagger UI.
pub fn service(state: Arc<AppState>) -> OpenApiService<Apis, ()> {
    let apis = (
        forms::FormsApi {
            state: state.clone(),
        },
        responses::ResponsesApi {
            state: state.clone(),
        },
        reports::ReportsApi {
            state: state.clone(),
        },
        health::HealthApi {
            state: state.clone(),
        },
        interviews::InterviewsApi {
            state: state.clone(),
        },
        profiles::ProfilesApi {
            state: state.clone(),
        },
        webhooks::WebhooksApi {
            state: state.clone(),
        },
        backup::BackupApi { state },
    );
    OpenApiService::new(apis, "fieldnotes", env!("CARGO_PKG_VERSION"))
        .description(
            "Survey and interview capture for customer profiling. Staff routes take \
             `Authorization: Bearer <token>` (researcher or interviewer token).",
        )
        .server("/api")
}
