//! Backups in sled: every tree that holds records is read out under the writers' lock, key
//! parts named; a restore writes them back with the indexes they imply. Which trees are carried
//! and which are left out is listed below, and a test fails when a tree is in neither list, so
//! a new tree cannot be missed by backups unnoticed.

use std::ops::ControlFlow;

use uuid::Uuid;

use super::StoreError;
use super::backup::{
    BackupStore, CampaignKeys, ContactKeys, InterviewKeys, Json, NoteKeys, Record, ResponseKeys,
    TextKeys, json_of,
};
use super::invitations::{Invitation, TokenRef};
use super::sled_aggregate_tx::key as joined_key;
use super::sled_interviews::{client_id_key, numbered_key};
use super::sled_store::{SledStore, backend, decode, encode, form_key};
use super::sled_webhooks::numbered_key as webhook_key;

/// The trees a backup carries, in the order it reads them (any order would do: every writer
/// waits for the read to end).
#[cfg(test)]
const CARRIED: [&str; 18] = [
    "responses",
    "revisions",
    "interviews",
    "notes",
    "interview_events",
    "profiles",
    "mail",
    "sessions",
    "webhook_queue",
    "webhook_sequences",
    "webhook_log",
    "webhook_failures",
    "contacts",
    "contact_meta",
    "outside_texts",
    "invitations",
    "campaigns",
    "unsubscribed",
];

/// The trees a restore derives (indexes, and quota counts from the places each response
/// took), a rebuild refills (aggregates), or that hold nothing worth keeping (`meta`: the
/// health probe's marker), and the partial responses: unfinished answers, erased after
/// `partial_days` anyway, that no report or restore counts. `contact_stage` is an import's
/// scratch; a contact's texts, the invitations waiting to be sent and the token index come
/// back from the texts and invitations they index.
#[cfg(test)]
const LEFT_OUT: [&str; 16] = [
    "quota_counts",
    "responses_by_form",
    "interviews_by_guide",
    "note_client_ids",
    "aggregates",
    "aggregate_state",
    "theme_texts",
    "terms",
    "evidence",
    "meta",
    "partials",
    "partials_by_form",
    "contact_stage",
    "texts_by_contact",
    "invitations_pending",
    "invitation_tokens",
];

fn corrupt(what: &str, key: &[u8]) -> StoreError {
    StoreError::Corrupt(format!("a key of {what} is malformed: {key:?}"))
}

/// A key made of a text, 0xFF, and a rest.
fn split_text(what: &str, key: &[u8]) -> Result<(String, Vec<u8>), StoreError> {
    let at = key
        .iter()
        .position(|&b| b == 0xFF)
        .ok_or_else(|| corrupt(what, key))?;
    let text = std::str::from_utf8(&key[..at]).map_err(|_| corrupt(what, key))?;
    Ok((text.to_string(), key[at + 1..].to_vec()))
}

fn number(what: &str, bytes: &[u8]) -> Result<u64, StoreError> {
    let array: [u8; 8] = bytes.try_into().map_err(|_| corrupt(what, bytes))?;
    Ok(u64::from_be_bytes(array))
}

/// A key made of an interview id and a number.
fn numbered(what: &str, key: &[u8]) -> Result<(Uuid, u64), StoreError> {
    if key.len() != 24 {
        return Err(corrupt(what, key));
    }
    let id = Uuid::from_slice(&key[..16]).map_err(|_| corrupt(what, key))?;
    Ok((id, number(what, &key[16..])?))
}

fn text(what: &str, key: &[u8]) -> Result<String, StoreError> {
    String::from_utf8(key.to_vec()).map_err(|_| corrupt(what, key))
}

/// Builds the record of one tree entry from its key and value.
type Make<'a> = &'a dyn Fn(&[u8], &[u8]) -> Result<Record, StoreError>;

/// Hands each entry of `tree` to `visit` as the record `make` builds; `Break` once it says so.
fn each(
    tree: &sled::Tree,
    visit: &mut dyn FnMut(Record) -> ControlFlow<()>,
    make: Make,
) -> Result<ControlFlow<()>, StoreError> {
    for entry in tree.iter() {
        let (key, value) = entry.map_err(backend)?;
        if visit(make(&key, &value)?).is_break() {
            return Ok(ControlFlow::Break(()));
        }
    }
    Ok(ControlFlow::Continue(()))
}

/// A webhook entry: endpoint, 0xFF, seq.
fn webhook(
    key: &[u8],
    value: &[u8],
    what: &str,
    make: fn(String, u64, Json) -> Record,
) -> Result<Record, StoreError> {
    let (endpoint, seq) = split_text(what, key)?;
    Ok(make(endpoint, number(what, &seq)?, json_of(value)?))
}

/// One sled batch per tree a restore writes.
#[derive(Default)]
struct Batches {
    responses: sled::Batch,
    responses_by_form: sled::Batch,
    revisions: sled::Batch,
    interviews: sled::Batch,
    interviews_by_guide: sled::Batch,
    notes: sled::Batch,
    note_client_ids: sled::Batch,
    interview_events: sled::Batch,
    profiles: sled::Batch,
    mail: sled::Batch,
    sessions: sled::Batch,
    webhook_queue: sled::Batch,
    webhook_sequences: sled::Batch,
    webhook_log: sled::Batch,
    webhook_failures: sled::Batch,
    contacts: sled::Batch,
    contact_meta: sled::Batch,
    outside_texts: sled::Batch,
    texts_by_contact: sled::Batch,
    invitations: sled::Batch,
    invitations_pending: sled::Batch,
    invitation_tokens: sled::Batch,
    campaigns: sled::Batch,
    unsubscribed: sled::Batch,
}

impl Batches {
    fn add(&mut self, record: &Record) -> Result<(), StoreError> {
        let bytes = |json: &Json| json.get().as_bytes().to_vec();
        match record {
            Record::Response { record } => {
                let keys: ResponseKeys = decode(record.get().as_bytes())?;
                let id = keys.id.as_bytes().to_vec();
                self.responses_by_form
                    .insert(form_key(&keys.form, &id), &[] as &[u8]);
                self.responses.insert(id, bytes(record));
            }
            Record::Revision {
                form,
                revision,
                record,
            } => self
                .revisions
                .insert(form_key(form, revision.as_bytes()), bytes(record)),
            Record::Interview { record } => {
                let keys: InterviewKeys = decode(record.get().as_bytes())?;
                let id = keys.id.as_bytes().to_vec();
                self.interviews_by_guide
                    .insert(form_key(&keys.guide, &id), &[] as &[u8]);
                self.interviews.insert(id, bytes(record));
            }
            Record::Note {
                interview,
                seq,
                record,
            } => {
                let keys: NoteKeys = decode(record.get().as_bytes())?;
                if let Some(client_id) = keys.client_id {
                    self.note_client_ids.insert(
                        client_id_key(*interview, &client_id),
                        &seq.to_be_bytes() as &[u8],
                    );
                }
                self.notes
                    .insert(numbered_key(*interview, *seq), bytes(record));
            }
            Record::InterviewEvent {
                interview,
                id,
                record,
            } => self
                .interview_events
                .insert(numbered_key(*interview, *id), bytes(record)),
            Record::CardNotes {
                report,
                segment,
                record,
            } => self
                .profiles
                .insert(form_key(report, segment.as_bytes()), bytes(record)),
            Record::MailState { report, record } => {
                self.mail.insert(report.as_bytes(), bytes(record))
            }
            Record::WebhookQueued {
                endpoint,
                seq,
                record,
            } => self
                .webhook_queue
                .insert(webhook_key(endpoint, *seq), bytes(record)),
            Record::WebhookSequence { endpoint, last } => self
                .webhook_sequences
                .insert(endpoint.as_bytes(), &last.to_be_bytes() as &[u8]),
            Record::WebhookFinished {
                endpoint,
                seq,
                record,
            } => self
                .webhook_log
                .insert(webhook_key(endpoint, *seq), bytes(record)),
            Record::WebhookFailed {
                endpoint,
                seq,
                record,
            } => self
                .webhook_failures
                .insert(webhook_key(endpoint, *seq), bytes(record)),
            Record::Session { id_sha256, record } => {
                self.sessions.insert(id_sha256.as_bytes(), bytes(record))
            }
            Record::Contact { record } => {
                let keys: ContactKeys = decode(record.get().as_bytes())?;
                self.contacts.insert(keys.key.as_bytes(), bytes(record))
            }
            Record::PiiColumns { names } => self
                .contact_meta
                .insert(super::sled_contacts::PII, encode(names)?),
            Record::Text { record } => {
                let keys: TextKeys = decode(record.get().as_bytes())?;
                let place = [
                    keys.report.as_bytes(),
                    keys.source.as_bytes(),
                    keys.id.as_bytes(),
                ];
                if let Some(contact) = &keys.customer_id {
                    let mut by_contact = vec![contact.as_bytes()];
                    by_contact.extend(place);
                    self.texts_by_contact
                        .insert(joined_key(&by_contact), &[] as &[u8]);
                }
                self.outside_texts.insert(joined_key(&place), bytes(record))
            }
            Record::Invitation { record } => {
                let invitation: Invitation = decode(record.get().as_bytes())?;
                let key = form_key(&invitation.form, invitation.contact.as_bytes());
                if invitation.pending() {
                    self.invitations_pending.insert(key.clone(), &[] as &[u8]);
                }
                for token in &invitation.tokens {
                    let target = TokenRef {
                        form: invitation.form.clone(),
                        contact: invitation.contact.clone(),
                        purpose: token.purpose,
                    };
                    self.invitation_tokens
                        .insert(token.sha256.as_bytes(), encode(&target)?);
                }
                self.invitations.insert(key, bytes(record))
            }
            Record::Campaign { record } => {
                let keys: CampaignKeys = decode(record.get().as_bytes())?;
                self.campaigns.insert(keys.id.as_bytes(), bytes(record))
            }
            Record::Unsubscribed { contact, at } => {
                self.unsubscribed.insert(contact.as_bytes(), at.as_bytes())
            }
        }
        Ok(())
    }
}

impl BackupStore for SledStore {
    fn each_record(
        &self,
        visit: &mut dyn FnMut(Record) -> ControlFlow<()>,
    ) -> Result<(), StoreError> {
        let _writers = self.lock()?;
        let trees: [(&sled::Tree, Make); 18] = [
            (&self.responses, &|_, v| {
                Ok(Record::Response {
                    record: json_of(v)?,
                })
            }),
            (&self.revisions, &|k, v| {
                let (form, revision) = split_text("revisions", k)?;
                Ok(Record::Revision {
                    form,
                    revision: text("revisions", &revision)?,
                    record: json_of(v)?,
                })
            }),
            (&self.interviews, &|_, v| {
                Ok(Record::Interview {
                    record: json_of(v)?,
                })
            }),
            (&self.notes, &|k, v| {
                let (interview, seq) = numbered("notes", k)?;
                Ok(Record::Note {
                    interview,
                    seq,
                    record: json_of(v)?,
                })
            }),
            (&self.interview_events, &|k, v| {
                let (interview, id) = numbered("interview_events", k)?;
                Ok(Record::InterviewEvent {
                    interview,
                    id,
                    record: json_of(v)?,
                })
            }),
            (&self.profiles, &|k, v| {
                let (report, segment) = split_text("profiles", k)?;
                Ok(Record::CardNotes {
                    report,
                    segment: text("profiles", &segment)?,
                    record: json_of(v)?,
                })
            }),
            (&self.mail, &|k, v| {
                Ok(Record::MailState {
                    report: text("mail", k)?,
                    record: json_of(v)?,
                })
            }),
            (&self.sessions, &|k, v| {
                Ok(Record::Session {
                    id_sha256: text("sessions", k)?,
                    record: json_of(v)?,
                })
            }),
            (&self.webhook_queue, &|k, v| {
                webhook(k, v, "webhook_queue", |endpoint, seq, record| {
                    Record::WebhookQueued {
                        endpoint,
                        seq,
                        record,
                    }
                })
            }),
            (&self.webhook_sequences, &|k, v| {
                Ok(Record::WebhookSequence {
                    endpoint: text("webhook_sequences", k)?,
                    last: number("webhook_sequences", v)?,
                })
            }),
            (&self.webhook_log, &|k, v| {
                webhook(k, v, "webhook_log", |endpoint, seq, record| {
                    Record::WebhookFinished {
                        endpoint,
                        seq,
                        record,
                    }
                })
            }),
            (&self.webhook_failures, &|k, v| {
                webhook(k, v, "webhook_failures", |endpoint, seq, record| {
                    Record::WebhookFailed {
                        endpoint,
                        seq,
                        record,
                    }
                })
            }),
            (&self.contacts, &|_, v| {
                Ok(Record::Contact {
                    record: json_of(v)?,
                })
            }),
            (&self.contact_meta, &|_, v| {
                Ok(Record::PiiColumns { names: decode(v)? })
            }),
            (&self.outside_texts, &|_, v| {
                Ok(Record::Text {
                    record: json_of(v)?,
                })
            }),
            (&self.invitations, &|_, v| {
                Ok(Record::Invitation {
                    record: json_of(v)?,
                })
            }),
            (&self.campaigns, &|_, v| {
                Ok(Record::Campaign {
                    record: json_of(v)?,
                })
            }),
            (&self.unsubscribed, &|k, v| {
                Ok(Record::Unsubscribed {
                    contact: text("unsubscribed", k)?,
                    at: text("unsubscribed", v)?,
                })
            }),
        ];
        for (tree, make) in trees {
            if each(tree, visit, make)?.is_break() {
                break;
            }
        }
        Ok(())
    }

    fn restore_records(&self, records: &[Record]) -> Result<(), StoreError> {
        let mut batches = Batches::default();
        let mut places: Vec<(String, String)> = Vec::new();
        for record in records {
            batches.add(record)?;
            if let Record::Response { record } = record {
                let keys: ResponseKeys = decode(record.get().as_bytes())?;
                places.extend(keys.quotas.into_iter().map(|p| (keys.form.clone(), p.name)));
            }
        }
        let Batches {
            responses,
            responses_by_form,
            revisions,
            interviews,
            interviews_by_guide,
            notes,
            note_client_ids,
            interview_events,
            profiles,
            mail,
            sessions,
            webhook_queue,
            webhook_sequences,
            webhook_log,
            webhook_failures,
            contacts,
            contact_meta,
            outside_texts,
            texts_by_contact,
            invitations,
            invitations_pending,
            invitation_tokens,
            campaigns,
            unsubscribed,
        } = batches;
        let guard = self.lock()?;
        for (tree, batch) in [
            (&self.responses, responses),
            (&self.responses_by_form, responses_by_form),
            (&self.revisions, revisions),
            (&self.interviews, interviews),
            (&self.interviews_by_guide, interviews_by_guide),
            (&self.notes, notes),
            (&self.note_client_ids, note_client_ids),
            (&self.interview_events, interview_events),
            (&self.profiles, profiles),
            (&self.mail, mail),
            (&self.sessions, sessions),
            (&self.webhook_queue, webhook_queue),
            (&self.webhook_sequences, webhook_sequences),
            (&self.webhook_log, webhook_log),
            (&self.webhook_failures, webhook_failures),
            (&self.contacts, contacts),
            (&self.contact_meta, contact_meta),
            (&self.outside_texts, outside_texts),
            (&self.texts_by_contact, texts_by_contact),
            (&self.invitations, invitations),
            (&self.invitations_pending, invitations_pending),
            (&self.invitation_tokens, invitation_tokens),
            (&self.campaigns, campaigns),
            (&self.unsubscribed, unsubscribed),
        ] {
            tree.apply_batch(batch).map_err(backend)?;
        }
        for (form, name) in places {
            super::sled_quotas::add_one(&self.quota_counts, &form, &name)?;
        }
        drop(guard);
        self.flusher.wait_durable()
    }
}

#[cfg(test)]
#[path = "sled_backup_tests.rs"]
mod tests;
