//! Outside texts in PostgreSQL (table `outside_texts`, migration 0010). A write changes the
//! texts and, through `aggregate_writes::apply`, the aggregates in one transaction; like
//! response writers it reads each report's rebuild progress `FOR SHARE`, so it is ordered
//! with rebuild steps as the protocol of `store::aggregates` needs.

use sqlx::PgConnection;

use super::aggregate_writes::apply;
use super::{PgStore, backend, corrupt};
use crate::store::{
    StoreError, StoredText, TextContributions, TextCounts, TextIter, TextKey, TextStore,
};

fn decode(record: serde_json::Value) -> Result<StoredText, StoreError> {
    serde_json::from_value(record).map_err(corrupt)
}

/// Takes a stored text out with its contributions, inside the caller's transaction;
/// whether there was one.
async fn remove(
    tx: &mut PgConnection,
    key: &TextKey,
    contributions: TextContributions<'_>,
) -> Result<bool, StoreError> {
    let old: Option<(serde_json::Value,)> = sqlx::query_as(
        "DELETE FROM outside_texts WHERE report = $1 AND source = $2 AND id = $3
         RETURNING record",
    )
    .bind(&key.report)
    .bind(&key.source)
    .bind(&key.id)
    .fetch_optional(&mut *tx)
    .await
    .map_err(backend)?;
    let Some((record,)) = old else {
        return Ok(false);
    };
    apply(tx, &contributions(&decode(record)?), None, -1).await?;
    Ok(true)
}

impl PgStore {
    /// Every text a query finds, read on a thread of its own: a rebuild step asks for a
    /// report's texts from inside its transaction, where this runtime is already blocked on.
    fn texts_where(&self, query: &'static str, value: &str) -> Result<Vec<StoredText>, StoreError> {
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    self.run(async {
                        let rows: Vec<(serde_json::Value,)> = sqlx::query_as(query)
                            .bind(value)
                            .fetch_all(self.pool())
                            .await
                            .map_err(backend)?;
                        rows.into_iter().map(|(record,)| decode(record)).collect()
                    })
                })
                .join()
                .map_err(|_| StoreError::Backend("reading outside texts failed".into()))?
        })
    }
}

impl TextStore for PgStore {
    fn text(&self, key: &TextKey) -> Result<Option<StoredText>, StoreError> {
        self.run(async {
            let row: Option<(serde_json::Value,)> = sqlx::query_as(
                "SELECT record FROM outside_texts WHERE report = $1 AND source = $2 AND id = $3",
            )
            .bind(&key.report)
            .bind(&key.source)
            .bind(&key.id)
            .fetch_optional(self.pool())
            .await
            .map_err(backend)?;
            row.map(|(record,)| decode(record)).transpose()
        })
    }

    fn report_texts(&self, report: &str) -> TextIter {
        match self.texts_where(
            "SELECT record FROM outside_texts WHERE report = $1 ORDER BY source, id",
            report,
        ) {
            Ok(texts) => Box::new(texts.into_iter().map(Ok)),
            Err(e) => Box::new(std::iter::once(Err(e))),
        }
    }

    fn contact_texts(&self, customer_id: &str) -> Result<Vec<StoredText>, StoreError> {
        self.texts_where(
            "SELECT record FROM outside_texts WHERE customer_id = $1 ORDER BY report, source, id",
            customer_id,
        )
    }

    fn put_texts(
        &self,
        texts: &[StoredText],
        contributions: TextContributions,
    ) -> Result<TextCounts, StoreError> {
        self.write(async {
            let mut tx = self.pool().begin().await.map_err(backend)?;
            let mut counts = TextCounts::default();
            for text in texts {
                match remove(&mut tx, &text.key(), contributions).await? {
                    true => counts.updated += 1,
                    false => counts.created += 1,
                }
                let record = serde_json::to_value(text).map_err(corrupt)?;
                sqlx::query(
                    "INSERT INTO outside_texts (report, source, id, customer_id, record)
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&text.report)
                .bind(&text.source)
                .bind(&text.id)
                .bind(&text.customer_id)
                .bind(&record)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                apply(&mut tx, &contributions(text), None, 1).await?;
            }
            tx.commit().await.map_err(backend)?;
            Ok(counts)
        })
    }

    fn delete_texts(
        &self,
        keys: &[TextKey],
        contributions: TextContributions,
    ) -> Result<u64, StoreError> {
        self.write(async {
            let mut tx = self.pool().begin().await.map_err(backend)?;
            let mut removed = 0;
            for key in keys {
                if remove(&mut tx, key, contributions).await? {
                    removed += 1;
                }
            }
            tx.commit().await.map_err(backend)?;
            Ok(removed)
        })
    }
}
