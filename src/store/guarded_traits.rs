//! `GuardedStore` speaks every store interface by handing each call to the database it
//! guards: reads straight through, writes through `GuardedStore::write`, iterators holding
//! their database (see `guarded`).

use std::collections::BTreeMap;

use uuid::Uuid;

use super::guarded::{GuardedStore, Held, Write};
use super::{
    AggregateState, AggregateStore, CardNotes, ContributionsOf, DatedText, FinishedWebhook,
    HealthStore, InterviewIter, InterviewStore, InterviewWrite, MailState, MailStore, NoteIter,
    NotesOf, ProfileStore, QueuedWebhook, ResponseIter, ResponseStore, SegmentEvidence,
    SessionStore, StoreError, StoredResponse, ThemeTextIter, WebhookMessage, WebhookStore,
};
use crate::auth::Session;
use crate::form::Form;
use crate::interview::{Interview, InterviewEvent};
use crate::tally::Contribution;

/// An iterator from the current database that keeps it open, or the one error of getting it.
macro_rules! held {
    ($store:expr, |$db:ident| $iter:expr) => {
        match $store.db() {
            Ok($db) => Box::new(Held {
                inner: $iter,
                _db: $db,
            }),
            Err(e) => Box::new(std::iter::once(Err(e))),
        }
    };
}

impl ResponseStore for GuardedStore {
    fn insert_response(
        &self,
        response: &StoredResponse,
        form: &Form,
        contributions: &[Contribution],
        webhooks: &[WebhookMessage],
    ) -> Result<(), StoreError> {
        self.write(Write::Adds, |db| {
            db.insert_response(response, form, contributions, webhooks)
        })
    }

    fn response(&self, id: Uuid) -> Result<Option<StoredResponse>, StoreError> {
        self.db()?.response(id)
    }

    fn quota_counts(
        &self,
        form_id: &str,
    ) -> Result<std::collections::BTreeMap<String, u64>, StoreError> {
        self.db()?.quota_counts(form_id)
    }

    fn delete_response(
        &self,
        id: Uuid,
        contributions: ContributionsOf,
        webhooks: &[WebhookMessage],
    ) -> Result<Option<StoredResponse>, StoreError> {
        self.write(Write::Erases, |db| {
            db.delete_response(id, contributions, webhooks)
        })
    }

    fn responses(&self, form_id: &str) -> ResponseIter {
        held!(self, |db| db.responses(form_id))
    }

    fn count_responses(&self, form_id: &str) -> Result<u64, StoreError> {
        self.db()?.count_responses(form_id)
    }

    fn revisions(&self, form_id: &str) -> Result<Vec<Form>, StoreError> {
        self.db()?.revisions(form_id)
    }
}

impl HealthStore for GuardedStore {
    fn probe_write(&self) -> Result<(), StoreError> {
        self.write(Write::Adds, |db| db.probe_write())
    }

    fn last_durable_write(&self) -> Option<(std::time::Instant, Result<(), String>)> {
        self.last_outcome()
    }
}

impl SessionStore for GuardedStore {
    fn put_session(&self, id_sha256: &str, session: &Session) -> Result<(), StoreError> {
        self.write(Write::Adds, |db| db.put_session(id_sha256, session))
    }

    fn session(&self, id_sha256: &str) -> Result<Option<Session>, StoreError> {
        self.db()?.session(id_sha256)
    }

    fn delete_session(&self, id_sha256: &str) -> Result<(), StoreError> {
        self.write(Write::Erases, |db| db.delete_session(id_sha256))
    }
}

impl AggregateStore for GuardedStore {
    fn aggregates(&self, report: &str, key: &str) -> Result<AggregateState, StoreError> {
        self.db()?.aggregates(report, key)
    }

    fn begin_rebuild(&self, report: &str, key: &str, form_id: &str) -> Result<bool, StoreError> {
        self.write(Write::Adds, |db| db.begin_rebuild(report, key, form_id))
    }

    fn rebuild_step(
        &self,
        report: &str,
        form_id: &str,
        batch: usize,
        contributions: ContributionsOf,
        notes: NotesOf,
    ) -> Result<bool, StoreError> {
        self.write(Write::Adds, |db| {
            db.rebuild_step(report, form_id, batch, contributions, notes)
        })
    }

    fn theme_texts(&self, report: &str, theme: &str) -> ThemeTextIter {
        held!(self, |db| db.theme_texts(report, theme))
    }

    fn terms(
        &self,
        report: &str,
        include: &dyn Fn(&str) -> bool,
    ) -> Result<BTreeMap<String, u64>, StoreError> {
        self.db()?.terms(report, include)
    }

    fn segment_evidence(
        &self,
        report: &str,
        segment: &str,
        jobs: usize,
    ) -> Result<SegmentEvidence, StoreError> {
        self.db()?.segment_evidence(report, segment, jobs)
    }

    fn segment_theme_texts(
        &self,
        report: &str,
        segment: &str,
        theme: &str,
        limit: usize,
    ) -> Result<Vec<DatedText>, StoreError> {
        self.db()?
            .segment_theme_texts(report, segment, theme, limit)
    }
}

impl InterviewStore for GuardedStore {
    fn insert_interview(&self, interview: &Interview) -> Result<(), StoreError> {
        self.write(Write::Adds, |db| db.insert_interview(interview))
    }

    fn interview(&self, id: Uuid) -> Result<Option<Interview>, StoreError> {
        self.db()?.interview(id)
    }

    fn interviews(&self, guide: Option<&str>) -> InterviewIter {
        held!(self, |db| db.interviews(guide))
    }

    fn notes(&self, interview: Uuid) -> NoteIter {
        held!(self, |db| db.notes(interview))
    }

    fn note(
        &self,
        interview: Uuid,
        seq: u64,
    ) -> Result<Option<crate::interview::Note>, StoreError> {
        self.db()?.note(interview, seq)
    }

    fn note_for_client_id(
        &self,
        interview: Uuid,
        client_id: &str,
    ) -> Result<Option<u64>, StoreError> {
        self.db()?.note_for_client_id(interview, client_id)
    }

    fn write(&self, change: &InterviewWrite) -> Result<(), StoreError> {
        GuardedStore::write(self, Write::Adds, |db| InterviewStore::write(db, change))
    }

    fn events_after(&self, interview: Uuid, after: u64) -> Result<Vec<InterviewEvent>, StoreError> {
        self.db()?.events_after(interview, after)
    }
}

impl MailStore for GuardedStore {
    fn mail_state(&self, report: &str) -> Result<MailState, StoreError> {
        self.db()?.mail_state(report)
    }

    fn update_mail_state(
        &self,
        report: &str,
        change: &mut dyn FnMut(&mut MailState),
    ) -> Result<MailState, StoreError> {
        self.write(Write::Adds, |db| db.update_mail_state(report, change))
    }
}

impl ProfileStore for GuardedStore {
    fn card_notes(&self, report: &str, segment: &str) -> Result<CardNotes, StoreError> {
        self.db()?.card_notes(report, segment)
    }

    fn update_card_notes(
        &self,
        report: &str,
        segment: &str,
        change: &mut dyn FnMut(&mut CardNotes),
    ) -> Result<CardNotes, StoreError> {
        self.write(Write::Adds, |db| {
            db.update_card_notes(report, segment, change)
        })
    }
}

impl WebhookStore for GuardedStore {
    fn webhook_head(&self, endpoint: &str) -> Result<Option<QueuedWebhook>, StoreError> {
        self.db()?.webhook_head(endpoint)
    }

    fn webhook_queue_len(&self, endpoint: &str) -> Result<u64, StoreError> {
        self.db()?.webhook_queue_len(endpoint)
    }

    fn update_webhook(&self, queued: &QueuedWebhook) -> Result<(), StoreError> {
        self.write(Write::Adds, |db| db.update_webhook(queued))
    }

    fn finish_webhook(
        &self,
        endpoint: &str,
        finished: &FinishedWebhook,
        keep: usize,
    ) -> Result<(), StoreError> {
        self.write(Write::Adds, |db| {
            db.finish_webhook(endpoint, finished, keep)
        })
    }

    fn finished_webhooks(
        &self,
        endpoint: &str,
        limit: usize,
    ) -> Result<Vec<FinishedWebhook>, StoreError> {
        self.db()?.finished_webhooks(endpoint, limit)
    }

    fn failed_webhooks(
        &self,
        endpoint: &str,
        limit: usize,
    ) -> Result<Vec<FinishedWebhook>, StoreError> {
        self.db()?.failed_webhooks(endpoint, limit)
    }
}

impl super::BackupStore for GuardedStore {
    fn each_record(
        &self,
        visit: &mut dyn FnMut(super::Record) -> std::ops::ControlFlow<()>,
    ) -> Result<(), StoreError> {
        self.db()?.each_record(visit)
    }

    fn restore_records(&self, records: &[super::Record]) -> Result<(), StoreError> {
        self.write(Write::Adds, |db| db.restore_records(records))
    }
}
