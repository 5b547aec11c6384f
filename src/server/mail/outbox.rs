//! `Outbox`: the `outbox` table. Messages go in inside the caller's transaction
//! ([`Outbox::enqueue`]); the worker takes them out one at a time with a lease
//! ([`Outbox::claim`]): a claimed message is not claimed again until the lease runs out, so
//! with several instances each message is sent once, and a worker that dies mid-send only
//! delays its message by the lease.

use super::templates::Mail;
use crate::server::platform::database::{Backend, Database};
use crate::server::sessions::store::now_secs;
use sqlx::{AnyConnection, AnyPool};

/// A claimed message.
#[derive(Debug, sqlx::FromRow)]
pub struct Pending {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub attempts: i64,
}

#[derive(Clone)]
pub struct Outbox {
    pool: AnyPool,
    backend: Backend,
}

/// The due, unclaimed message with the lowest id (the `$1` is now).
macro_rules! next_due {
    () => {
        "SELECT id FROM outbox WHERE sent_at IS NULL AND next_attempt_at <= $1 \
         AND (claimed_until IS NULL OR claimed_until <= $1) ORDER BY id LIMIT 1"
    };
}
macro_rules! claim {
    ($pick:expr) => {
        concat!(
            "UPDATE outbox SET claimed_until = $1 + $2 WHERE id = (",
            $pick,
            ") RETURNING id, recipient, subject, text_body, html_body, attempts"
        )
    };
}

impl Outbox {
    pub fn new(database: &Database) -> Self {
        Self {
            pool: database.pool().clone(),
            backend: database.backend(),
        }
    }

    /// Stores a message, inside the caller's transaction.
    pub async fn enqueue(connection: &mut AnyConnection, mail: &Mail) -> Result<(), sqlx::Error> {
        let now = now_secs();
        sqlx::query(
            "INSERT INTO outbox (recipient, subject, text_body, html_body, created_at, next_attempt_at) \
             VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(&mail.to)
        .bind(&mail.subject)
        .bind(&mail.text)
        .bind(&mail.html)
        .bind(now)
        .execute(connection)
        .await?;
        Ok(())
    }

    /// Takes the next due message for `lease_secs`. PostgreSQL skips rows another
    /// instance is claiming this very moment; SQLite has one writer at a time.
    pub async fn claim(&self, lease_secs: i64) -> Result<Option<Pending>, sqlx::Error> {
        sqlx::query_as(self.backend.pick(
            claim!(next_due!()),
            claim!(concat!(next_due!(), " FOR UPDATE SKIP LOCKED")),
        ))
        .bind(now_secs())
        .bind(lease_secs)
        .fetch_optional(&self.pool)
        .await
    }

    /// Marks a message sent and blanks its bodies (they may carry a link with a token).
    pub async fn sent(&self, id: i64) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE outbox SET sent_at = $1, text_body = '', html_body = '', claimed_until = NULL, \
             attempts = attempts + 1, last_error = NULL WHERE id = $2",
        )
        .bind(now_secs())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Schedules another attempt at `next_attempt_at`, keeping the error for the operator.
    pub async fn failed(&self, id: i64, next_attempt_at: i64, error: &str) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $1, claimed_until = NULL, \
             last_error = $2 WHERE id = $3",
        )
        .bind(next_attempt_at)
        .bind(error)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Deletes the messages sent before `before` (the hourly purge); unsent ones stay
    /// however old they are.
    pub async fn purge_sent(&self, before: i64) -> Result<u64, sqlx::Error> {
        let done = sqlx::query("DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < $1")
            .bind(before)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// Messages not sent yet.
    pub async fn unsent(&self) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL")
            .fetch_one(&self.pool)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::test_support::test_state;

    fn mail(to: &str) -> Mail {
        Mail {
            to: to.into(),
            subject: "s".into(),
            text: "t".into(),
            html: "h".into(),
        }
    }

    #[tokio::test]
    async fn a_message_is_claimed_once_until_its_lease_ends() {
        let t = test_state().await;
        let outbox = Outbox::new(&t.state.database);
        let mut tx = t.state.database.pool().begin().await.unwrap();
        Outbox::enqueue(&mut tx, &mail("a@example.com")).await.unwrap();
        Outbox::enqueue(&mut tx, &mail("b@example.com")).await.unwrap();
        tx.commit().await.unwrap();
        let claims = futures::future::join_all((0..6).map(|_| outbox.claim(60))).await;
        let mut claimed: Vec<String> = claims
            .into_iter()
            .filter_map(|c| c.unwrap().map(|p| p.recipient))
            .collect();
        claimed.sort();
        assert_eq!(claimed, ["a@example.com", "b@example.com"], "each once");
        assert!(outbox.claim(60).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_failed_message_waits_for_its_next_attempt_and_a_sent_one_is_blanked() {
        let t = test_state().await;
        let outbox = Outbox::new(&t.state.database);
        let mut tx = t.state.database.pool().begin().await.unwrap();
        Outbox::enqueue(&mut tx, &mail("a@example.com")).await.unwrap();
        tx.commit().await.unwrap();
        let first = outbox.claim(60).await.unwrap().unwrap();
        outbox.failed(first.id, now_secs() + 3600, "relay down").await.unwrap();
        assert!(outbox.claim(60).await.unwrap().is_none(), "not due yet");
        outbox.failed(first.id, now_secs() - 1, "relay down").await.unwrap();
        let again = outbox.claim(60).await.unwrap().unwrap();
        assert_eq!(again.attempts, 2);
        outbox.sent(again.id).await.unwrap();
        assert_eq!(outbox.unsent().await.unwrap(), 0);
        let body: String = sqlx::query_scalar("SELECT text_body FROM outbox")
            .fetch_one(t.state.database.pool())
            .await
            .unwrap();
        assert_eq!(body, "");
    }

    #[tokio::test]
    async fn the_purge_deletes_sent_messages_and_keeps_unsent_ones() {
        let t = test_state().await;
        let outbox = Outbox::new(&t.state.database);
        let mut tx = t.state.database.pool().begin().await.unwrap();
        Outbox::enqueue(&mut tx, &mail("sent@example.com")).await.unwrap();
        Outbox::enqueue(&mut tx, &mail("waiting@example.com")).await.unwrap();
        tx.commit().await.unwrap();
        let first = outbox.claim(60).await.unwrap().unwrap();
        outbox.sent(first.id).await.unwrap();
        assert_eq!(
            outbox.purge_sent(now_secs() - 60).await.unwrap(),
            0,
            "sent just now: kept"
        );
        assert_eq!(outbox.purge_sent(now_secs() + 1).await.unwrap(), 1);
        let left: Vec<String> = sqlx::query_scalar("SELECT recipient FROM outbox")
            .fetch_all(t.state.database.pool())
            .await
            .unwrap();
        assert_eq!(left, ["waiting@example.com"]);
    }
}
