//! Invitations in PostgreSQL (migration 0011). A change locks the invitation's row
//! (`FOR UPDATE`), so two nodes claiming the same message apply one after the other and the
//! second sees it claimed; the record, its pending flag and its new tokens change in one
//! transaction.

use sqlx::PgConnection;

use super::{Paged, PgStore, backend, corrupt, decode_rows};
use crate::store::StoreError;
use crate::store::invitations::{Campaign, Invitation, InvitationIter, InvitationStore, TokenRef};

fn sender_lock(process: &str) -> String {
    format!("invitation sender:{process}")
}

fn json<T: serde::Serialize>(value: &T) -> Result<serde_json::Value, StoreError> {
    serde_json::to_value(value).map_err(corrupt)
}

/// Writes `invitation` (new or changed) and indexes its tokens, inside the caller's
/// transaction.
pub(super) async fn put(tx: &mut PgConnection, invitation: &Invitation) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO invitations (form, contact, pending, record) VALUES ($1, $2, $3, $4)
         ON CONFLICT (form, contact) DO UPDATE SET pending = $3, record = $4",
    )
    .bind(&invitation.form)
    .bind(&invitation.contact)
    .bind(invitation.pending())
    .bind(json(invitation)?)
    .execute(&mut *tx)
    .await
    .map_err(backend)?;
    index_tokens(tx, invitation).await
}

/// Indexes the invitation's tokens (those indexed already stay as they are).
async fn index_tokens(tx: &mut PgConnection, invitation: &Invitation) -> Result<(), StoreError> {
    for token in &invitation.tokens {
        let target = TokenRef {
            form: invitation.form.clone(),
            contact: invitation.contact.clone(),
            purpose: token.purpose,
        };
        sqlx::query(
            "INSERT INTO invitation_tokens (sha256, form, contact, target) VALUES ($1, $2, $3, $4)
             ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(&token.sha256)
        .bind(&invitation.form)
        .bind(&invitation.contact)
        .bind(json(&target)?)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
    }
    Ok(())
}

impl InvitationStore for PgStore {
    /// A session advisory lock named after the sender, held while this process lives (see
    /// `leases`).
    fn announce_sender(&self, me: &str) -> Result<(), StoreError> {
        self.hold(sender_lock(me)).map(|_| ())
    }

    /// Gone when its lock is free: taken here for a moment to see, and let go.
    fn sender_gone(&self, by: &str) -> Result<bool, StoreError> {
        self.run(async {
            let mut connection = self.pool().acquire().await.map_err(backend)?;
            let (free,): (bool,) =
                sqlx::query_as("SELECT pg_try_advisory_lock(hashtextextended($1, 0))")
                    .bind(sender_lock(by))
                    .fetch_one(&mut *connection)
                    .await
                    .map_err(backend)?;
            if free {
                sqlx::query("SELECT pg_advisory_unlock(hashtextextended($1, 0))")
                    .bind(sender_lock(by))
                    .execute(&mut *connection)
                    .await
                    .map_err(backend)?;
            }
            Ok(free)
        })
    }

    fn invitation(&self, form: &str, contact: &str) -> Result<Option<Invitation>, StoreError> {
        let rows: Vec<(serde_json::Value,)> = self.run(async {
            sqlx::query_as("SELECT record FROM invitations WHERE form = $1 AND contact = $2")
                .bind(form)
                .bind(contact)
                .fetch_all(self.pool())
                .await
                .map_err(backend)
        })?;
        Ok(decode_rows(rows)?.into_iter().next())
    }

    fn form_invitations(&self, form: &str) -> InvitationIter {
        let (pool, form) = (self.pool().clone(), form.to_string());
        Box::new(Paged::new(self, move |after: Option<&String>, limit| {
            let (pool, form, after) = (pool.clone(), form.clone(), after.cloned());
            async move {
                let rows: Vec<(String, serde_json::Value)> = sqlx::query_as(
                    "SELECT contact, record FROM invitations
                     WHERE form = $1 AND ($2::text IS NULL OR contact > $2)
                     ORDER BY contact LIMIT $3",
                )
                .bind(&form)
                .bind(after)
                .bind(limit)
                .fetch_all(&pool)
                .await
                .map_err(backend)?;
                rows.into_iter()
                    .map(|(key, record)| {
                        Ok((key, serde_json::from_value(record).map_err(corrupt)?))
                    })
                    .collect()
            }
        }))
    }

    fn pending_invitations(&self, limit: usize) -> Result<Vec<Invitation>, StoreError> {
        let rows: Vec<(serde_json::Value,)> = self.run(async {
            sqlx::query_as(
                "SELECT record FROM invitations WHERE pending ORDER BY form, contact LIMIT $1",
            )
            .bind(i64::try_from(limit).map_err(corrupt)?)
            .fetch_all(self.pool())
            .await
            .map_err(backend)
        })?;
        decode_rows(rows)
    }

    fn add_invitations(&self, invitations: &[Invitation]) -> Result<Vec<bool>, StoreError> {
        self.write(async {
            let mut tx = self.pool().begin().await.map_err(backend)?;
            let mut added = Vec::with_capacity(invitations.len());
            for invitation in invitations {
                let inserted = sqlx::query(
                    "INSERT INTO invitations (form, contact, pending, record)
                     VALUES ($1, $2, $3, $4) ON CONFLICT (form, contact) DO NOTHING",
                )
                .bind(&invitation.form)
                .bind(&invitation.contact)
                .bind(invitation.pending())
                .bind(json(invitation)?)
                .execute(&mut *tx)
                .await
                .map_err(backend)?
                .rows_affected()
                    == 1;
                if inserted {
                    index_tokens(&mut tx, invitation).await?;
                }
                added.push(inserted);
            }
            tx.commit().await.map_err(backend)?;
            Ok(added)
        })
    }

    fn update_invitation(
        &self,
        form: &str,
        contact: &str,
        change: &mut dyn FnMut(&mut Invitation) -> bool,
    ) -> Result<Option<Invitation>, StoreError> {
        self.write(async {
            let mut tx = self.pool().begin().await.map_err(backend)?;
            let row: Option<(serde_json::Value,)> = sqlx::query_as(
                "SELECT record FROM invitations WHERE form = $1 AND contact = $2 FOR UPDATE",
            )
            .bind(form)
            .bind(contact)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
            let Some((record,)) = row else {
                return Ok(None);
            };
            let mut invitation: Invitation = serde_json::from_value(record).map_err(corrupt)?;
            if !change(&mut invitation) {
                return Ok(None);
            }
            put(&mut tx, &invitation).await?;
            tx.commit().await.map_err(backend)?;
            Ok(Some(invitation))
        })
    }

    fn token(&self, sha256: &str) -> Result<Option<TokenRef>, StoreError> {
        self.one_record(
            "SELECT target FROM invitation_tokens WHERE sha256 = $1",
            sha256,
        )
    }

    fn put_campaign(&self, campaign: &Campaign) -> Result<(), StoreError> {
        self.write(async {
            sqlx::query(
                "INSERT INTO campaigns (id, record) VALUES ($1, $2)
                 ON CONFLICT (id) DO UPDATE SET record = $2",
            )
            .bind(&campaign.id)
            .bind(json(campaign)?)
            .execute(self.pool())
            .await
            .map_err(backend)?;
            Ok(())
        })
    }

    fn campaign(&self, id: &str) -> Result<Option<Campaign>, StoreError> {
        self.one_record("SELECT record FROM campaigns WHERE id = $1", id)
    }

    fn unsubscribed(&self, contact: &str) -> Result<Option<String>, StoreError> {
        self.run(async {
            let row: Option<(String,)> =
                sqlx::query_as("SELECT at FROM unsubscribed WHERE contact = $1")
                    .bind(contact)
                    .fetch_optional(self.pool())
                    .await
                    .map_err(backend)?;
            Ok(row.map(|(at,)| at))
        })
    }

    fn unsubscribe(&self, contact: &str, at: &str) -> Result<(), StoreError> {
        self.write(async {
            sqlx::query(
                "INSERT INTO unsubscribed (contact, at) VALUES ($1, $2)
                 ON CONFLICT (contact) DO NOTHING",
            )
            .bind(contact)
            .bind(at)
            .execute(self.pool())
            .await
            .map_err(backend)?;
            Ok(())
        })
    }

    fn delete_contact_invitations(&self, contact: &str) -> Result<u64, StoreError> {
        self.write(async {
            let mut tx = self.pool().begin().await.map_err(backend)?;
            sqlx::query("DELETE FROM invitation_tokens WHERE contact = $1")
                .bind(contact)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            let gone = sqlx::query("DELETE FROM invitations WHERE contact = $1")
                .bind(contact)
                .execute(&mut *tx)
                .await
                .map_err(backend)?
                .rows_affected();
            tx.commit().await.map_err(backend)?;
            Ok(gone)
        })
    }
}
