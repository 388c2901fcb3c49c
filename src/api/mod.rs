//! The JSON API (poem-openapi): thin handlers that parse, call the domain and map errors.

mod auth;
mod backup;
mod contacts;
mod error;
mod forms;
mod health;
mod interviews;
mod invitations;
mod prebuilt;
mod profiles;
mod reports;
mod responses;
mod stream;
mod texts;
mod webhooks;

use std::sync::Arc;

use poem_openapi::{OpenApiService, Tags};

pub use contacts::streams_body;
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
    /// Contacts from a CRM export: import, list, erase
    Contacts,
    /// Outside texts of a report's sources (support tickets, reviews, sales-call notes)
    Texts,
    /// Personal invitations to a survey by email: campaigns, reminders, status
    Invitations,
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
    contacts::ContactsApi,
    texts::TextsApi,
    invitations::InvitationsApi,
);

/// The OpenAPI service; mounted at `/api`, it also serves the spec and Swagger UI.
pub fn service(state: Arc<AppState>) -> OpenApiService<Apis, ()> {
    let apis = (
        forms::FormsApi::new(state.clone()),
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
        backup::BackupApi {
            state: state.clone(),
        },
        contacts::ContactsApi {
            state: state.clone(),
        },
        texts::TextsApi {
            state: state.clone(),
        },
        invitations::InvitationsApi { state },
    );
    OpenApiService::new(apis, "fieldnotes", env!("CARGO_PKG_VERSION"))
        .description(
            "Survey and interview capture for customer profiling. Staff routes take \
             `Authorization: Bearer <token>` (researcher or interviewer token).",
        )
        .server("/api")
}

/// The OpenAPI document as served at `/api/openapi.json`. Every request body of ours refuses
/// unknown fields (`deny_unknown_fields`), which poem-openapi cannot state in the schema, so
/// `additionalProperties: false` is added here to each schema a request body names: clients
/// and fuzzers then know an extra field is a mistake, as the server does.
pub fn document(service: &OpenApiService<Apis, ()>) -> String {
    let spec = service.spec();
    let Ok(mut doc) = serde_json::from_str::<serde_json::Value>(&spec) else {
        return spec;
    };
    let mut bodies = Vec::new();
    if let Some(paths) = doc.get("paths").and_then(|p| p.as_object()) {
        for operation in paths
            .values()
            .filter_map(|p| p.as_object())
            .flat_map(|p| p.values())
        {
            let schemas = operation
                .pointer("/requestBody/content")
                .and_then(|c| c.as_object())
                .into_iter()
                .flat_map(|c| c.values());
            for schema in schemas {
                if let Some(name) = schema
                    .pointer("/schema/$ref")
                    .and_then(|r| r.as_str())
                    .and_then(|r| r.strip_prefix("#/components/schemas/"))
                {
                    bodies.push(name.to_string());
                }
            }
        }
    }
    // An optional field is written as `null` when it has no value (`"label": null`), which an
    // OpenAPI 3.0 schema allows only with `nullable`; a `$ref` takes no siblings, so it is
    // wrapped in `allOf` first.
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(|s| s.as_object_mut())
    {
        for schema in schemas.values_mut() {
            let required: Vec<String> = schema
                .get("required")
                .and_then(|r| r.as_array())
                .map(|r| {
                    r.iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            let Some(properties) = schema.get_mut("properties").and_then(|p| p.as_object_mut())
            else {
                continue;
            };
            for (name, property) in properties.iter_mut() {
                if required.contains(name) {
                    continue;
                }
                let Some(property) = property.as_object_mut() else {
                    continue;
                };
                if let Some(reference) = property.remove("$ref") {
                    property.insert("allOf".into(), serde_json::json!([{ "$ref": reference }]));
                }
                property.insert("nullable".into(), serde_json::Value::Bool(true));
            }
        }
    }
    for name in bodies {
        if let Some(schema) = doc
            .pointer_mut(&format!("/components/schemas/{name}"))
            .and_then(|s| s.as_object_mut())
        {
            schema.insert(
                "additionalProperties".into(),
                serde_json::Value::Bool(false),
            );
        }
    }
    serde_json::to_string(&doc).unwrap_or(spec)
}
