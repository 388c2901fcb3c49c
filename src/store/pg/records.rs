//! Small records changed whole through a closure: each report's summary bookkeeping
//! (`mail_state`) and the team's words on each card (`card_notes`). A change locks its row
//! (`FOR UPDATE`), so `change` runs once per call, on the latest record.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{PgStore, backend, corrupt};
use crate::store::{CardNotes, MailState, MailStore, ProfileStore, StoreError};

/// The queries of one table of records, keyed by report and a second part ('' for none).
struct Table {
    select: &'static str,
    /// Makes the row exist, so that two first changes lock the same row.
    seed: &'static str,
    lock: &'static str,
    put: &'static str,
}

const MAIL: Table = Table {
    select: "SELECT record FROM mail_state WHERE report = $1 AND $2 = ''",
    seed: "INSERT INTO mail_state (report, record) SELECT $1, $3 WHERE $2 = ''
           ON CONFLICT (report) DO NOTHING",
    lock: "SELECT record FROM mail_state WHERE report = $1 AND $2 = '' FOR UPDATE",
    put: "UPDATE mail_state SET record = $3 WHERE report = $1 AND $2 = ''",
};

const CARDS: Table = Table {
    select: "SELECT record FROM card_notes WHERE report = $1 AND segment = $2",
    seed: "INSERT INTO card_notes (report, segment, record) VALUES ($1, $2, $3)
           ON CONFLICT (report, segment) DO NOTHING",
    lock: "SELECT record FROM card_notes WHERE report = $1 AND segment = $2 FOR UPDATE",
    put: "UPDATE card_notes SET record = $3 WHERE report = $1 AND segment = $2",
};

impl PgStore {
    fn record<T: DeserializeOwned + Default>(
        &self,
        table: &Table,
        key: (&str, &str),
    ) -> Result<T, StoreError> {
        let row: Option<(serde_json::Value,)> = self.run(async {
            sqlx::query_as(table.select)
                .bind(key.0)
                .bind(key.1)
                .fetch_optional(self.pool())
                .await
                .map_err(backend)
        })?;
        match row {
            Some((record,)) => serde_json::from_value(record).map_err(corrupt),
            None => Ok(T::default()),
        }
    }

    fn update<T: Serialize + DeserializeOwned + Default>(
        &self,
        table: &Table,
        key: (&str, &str),
        change: &mut dyn FnMut(&mut T),
    ) -> Result<T, StoreError> {
        self.write(async {
            let empty = serde_json::to_value(T::default()).map_err(corrupt)?;
            let mut tx = self.pool().begin().await.map_err(backend)?;
            sqlx::query(table.seed)
                .bind(key.0)
                .bind(key.1)
                .bind(&empty)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            let (record,): (serde_json::Value,) = sqlx::query_as(table.lock)
                .bind(key.0)
                .bind(key.1)
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?;
            let mut record: T = serde_json::from_value(record).map_err(corrupt)?;
            change(&mut record);
            sqlx::query(table.put)
                .bind(key.0)
                .bind(key.1)
                .bind(serde_json::to_value(&record).map_err(corrupt)?)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            tx.commit().await.map_err(backend)?;
            Ok(record)
        })
    }
}

impl MailStore for PgStore {
    fn hold_schedule(&self, report: &str) -> Result<bool, StoreError> {
        self.hold(format!("summary:{report}"))
    }

    fn mail_state(&self, report: &str) -> Result<MailState, StoreError> {
        self.record(&MAIL, (report, ""))
    }

    fn update_mail_state(
        &self,
        report: &str,
        change: &mut dyn FnMut(&mut MailState),
    ) -> Result<MailState, StoreError> {
        self.update(&MAIL, (report, ""), change)
    }
}

impl ProfileStore for PgStore {
    fn card_notes(&self, report: &str, segment: &str) -> Result<CardNotes, StoreError> {
        self.record(&CARDS, (report, segment))
    }

    fn update_card_notes(
        &self,
        report: &str,
        segment: &str,
        change: &mut dyn FnMut(&mut CardNotes),
    ) -> Result<CardNotes, StoreError> {
        self.update(&CARDS, (report, segment), change)
    }
}
