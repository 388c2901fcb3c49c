//! Contacts: the CSV import of a CRM export (streamed), the list, and erasure.

use std::collections::BTreeMap;
use std::sync::Arc;

use poem::Body;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiRequest, ApiResponse, Object, OpenApi};

use super::ApiTags;
use super::auth::Researcher;
use super::error::ApiError;
use crate::app::AppState;
use crate::contacts::import::MAX_IMPORT_BYTES;
use crate::contacts::{EraseContactError, ImportError, ImportOptions, erase_contact, import};
use crate::store::Contact;

const DEFAULT_LIMIT: u32 = 100;
const MAX_LIMIT: u32 = 1_000;

/// The routes whose bodies are streamed to their handler instead of read whole under the
/// 64 KiB cap: the CSV imports (contacts, outside texts), which carry up to 256 MiB.
pub fn streams_body(path: &str) -> bool {
    path == "/api/contacts" || super::texts::streams_body(path)
}

/// A CSV file with a header row.
#[derive(ApiRequest)]
pub enum CsvUpload {
    #[oai(content_type = "text/csv")]
    Csv(Binary<Body>),
    #[oai(content_type = "text/csv; charset=utf-8")]
    CsvUtf8(Binary<Body>),
}

impl CsvUpload {
    pub(super) fn into_body(self) -> Body {
        match self {
            CsvUpload::Csv(body) | CsvUpload::CsvUtf8(body) => body.0,
        }
    }
}

#[derive(Debug, Object)]
pub struct Imported {
    /// Contacts that were new.
    pub created: u64,
    /// Contacts that were there and were upserted.
    pub updated: u64,
}

#[derive(Debug, Object)]
pub struct ContactItem {
    pub key: String,
    /// Attributes by column; personal-data columns only with `pii=1`.
    pub attributes: BTreeMap<String, String>,
}

#[derive(Debug, Object)]
pub struct ContactPage {
    pub contacts: Vec<ContactItem>,
    /// The `after` of the next page; absent on the last.
    pub next: Option<String>,
}

#[derive(ApiResponse)]
pub enum ContactErased {
    /// The contact and every response linked to it are gone.
    #[oai(status = 204)]
    Erased,
}

pub struct ContactsApi {
    pub state: Arc<AppState>,
}

#[OpenApi(tag = "ApiTags::Contacts")]
impl ContactsApi {
    /// Imports contacts from CSV (a CRM export, up to 256 MiB, streamed). `key` names the key
    /// column (default `customer_id`), `pii` the comma-separated personal-data columns (an
    /// `email` column always is; a column once pii stays pii). Upserts by key: present
    /// columns overwrite, an empty cell clears, absent columns are kept. A bad row (line
    /// numbers count physical lines, the header is line 1; a key twice in one file is bad)
    /// is a 422 naming its line in `message` and `fields.line`, and nothing is kept.
    #[oai(path = "/contacts", method = "post")]
    async fn import(
        &self,
        _staff: Researcher,
        key: Query<Option<String>>,
        pii: Query<Option<String>>,
        body: CsvUpload,
    ) -> Result<Json<Imported>, ApiError> {
        let options = ImportOptions::parse(key.0.as_deref(), pii.0.as_deref());
        let reader = tokio_util::io::SyncIoBridge::new(body.into_body().into_async_read());
        let state = self.state.clone();
        let counts = tokio::task::spawn_blocking(move || {
            let counts = import(
                state.contacts.as_ref(),
                state.store.as_ref(),
                &state.reports,
                reader,
                &options,
            )?;
            crate::app::start_rebuilds(&state)?;
            Ok::<_, ApiError>(counts)
        })
        .await??;
        Ok(Json(Imported {
            created: counts.created,
            updated: counts.updated,
        }))
    }

    /// Contacts in key order, `limit` a page (default 100, at most 1000), from after the key
    /// `after`; `next` is the `after` of the following page. `pii=1` includes personal data.
    #[oai(path = "/contacts", method = "get")]
    async fn list(
        &self,
        _staff: Researcher,
        #[oai(validator(minimum(value = "1"), maximum(value = "1000")))] limit: Query<Option<u32>>,
        after: Query<Option<String>>,
        pii: Query<Option<String>>,
    ) -> Result<Json<ContactPage>, ApiError> {
        // The validator keeps it within 1..=MAX_LIMIT; the schema says so to clients.
        let limit = limit.0.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
        let with_pii = pii.0.as_deref() == Some("1");
        let contacts = self.state.contacts.clone();
        let (page, hidden) = crate::store::blocking(move || {
            let page = contacts.contacts_after(after.0.as_deref(), limit as usize + 1)?;
            Ok((page, contacts.pii_columns()?))
        })
        .await?;
        let more = page.len() > limit as usize;
        let items: Vec<ContactItem> = page
            .into_iter()
            .take(limit as usize)
            .map(|c| item(c, with_pii, &hidden))
            .collect();
        Ok(Json(ContactPage {
            next: more.then(|| items.last().map(|c| c.key.clone())).flatten(),
            contacts: items,
        }))
    }

    /// Erases a contact with every response linked to it (by `customer_id`): reports,
    /// themes and cards are then as if they had never come.
    #[oai(path = "/contacts/:key", method = "delete")]
    async fn erase(
        &self,
        _staff: Researcher,
        key: Path<String>,
    ) -> Result<ContactErased, ApiError> {
        let state = self.state.clone();
        tokio::task::spawn_blocking(move || {
            erase_contact(
                state.contacts.as_ref(),
                state.store.as_ref(),
                &state.catalog,
                &state.reports,
                &key.0,
            )?;
            // Their invitations name them: they go too (an unsubscription stays, so that a
            // later import of the same contact is never mailed).
            state.invitations.erase_contact(&key.0)?;
            // Linked interviews leave contact segments through a rebuild.
            crate::app::start_rebuilds(&state)?;
            Ok::<_, ApiError>(())
        })
        .await??;
        Ok(ContactErased::Erased)
    }
}

fn item(contact: Contact, with_pii: bool, pii: &std::collections::BTreeSet<String>) -> ContactItem {
    let attributes = contact
        .attributes
        .into_iter()
        .filter(|(column, _)| with_pii || !pii.contains(column))
        .collect();
    ContactItem {
        key: contact.key,
        attributes,
    }
}

impl From<ImportError> for ApiError {
    fn from(e: ImportError) -> Self {
        match e {
            ImportError::BadRow { line, .. } => ApiError::bad_import_row(&e, line),
            ImportError::TooLarge => ApiError::import_too_large(MAX_IMPORT_BYTES),
            ImportError::Read(reason) => ApiError::import_cut_short(reason),
            ImportError::Store(e) => e.into(),
        }
    }
}

impl From<EraseContactError> for ApiError {
    fn from(e: EraseContactError) -> Self {
        match e {
            EraseContactError::NotFound(_) => ApiError::not_found(e.to_string()),
            EraseContactError::Store(e) => e.into(),
        }
    }
}
