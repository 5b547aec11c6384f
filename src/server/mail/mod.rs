//! Mail that really arrives, and is never lost.
//!
//! A service that sends a message writes it to the `outbox` table in the same transaction
//! as what the message announces (a reset token, say): either both exist or neither
//! ([`outbox`]). The [`worker`] claims messages one at a time, sends them through the
//! [`transport`] (SMTP, or `.eml` files in development) and retries with backoff while the
//! relay is down; a restart picks up where it left off. Nothing is sent on the request
//! path, so no answer waits for SMTP or reveals by its timing whether a mail went out.
//! [`templates`] holds the texts.

pub mod links;
pub mod outbox;
pub mod templates;
pub mod transport;
pub mod worker;

use self::links::{MailLinks, Purpose};
use super::platform::config::{Config, MailSettings};
use super::platform::database::Database;
use outbox::Outbox;
use sqlx::AnyPool;
use std::sync::Arc;
use std::time::Duration;
use templates::Mail;
use tokio::sync::Notify;

/// What the services need to send mail: the outbox, and a bell for the worker.
#[derive(Clone)]
pub struct Mailer {
    pub outbox: Outbox,
    pool: AnyPool,
    wake: Arc<Notify>,
    /// Where links point (`PUBLIC_URL`), without a trailing slash.
    link_base: String,
    reset_ttl: Duration,
    verification_ttl: Duration,
    change_ttl: Duration,
}

impl Mailer {
    pub fn new(database: &Database, settings: &MailSettings) -> Self {
        Self {
            outbox: Outbox::new(database),
            pool: database.pool().clone(),
            wake: Arc::new(Notify::new()),
            link_base: settings.link_base.clone(),
            reset_ttl: settings.reset_ttl,
            verification_ttl: settings.verification_ttl,
            change_ttl: settings.change_ttl,
        }
    }

    /// How long a link of `purpose` works.
    pub fn ttl(&self, purpose: Purpose) -> Duration {
        match purpose {
            Purpose::PasswordReset => self.reset_ttl,
            Purpose::VerifyEmail => self.verification_ttl,
            Purpose::ChangeEmail => self.change_ttl,
        }
    }

    /// Mails a link of `purpose` for `user_id` to `to`: the token, its message and any
    /// `notices` are stored in one transaction (all or nothing), then the worker is woken.
    pub async fn send_link(
        &self,
        user_id: i64,
        purpose: Purpose,
        to: &str,
        notices: &[Mail],
    ) -> Result<(), sqlx::Error> {
        let ttl = self.ttl(purpose);
        let mut tx = self.pool.begin().await?;
        let token = MailLinks::issue(&mut tx, user_id, purpose, to, ttl).await?;
        let compose = match purpose {
            Purpose::PasswordReset => templates::password_reset,
            Purpose::VerifyEmail => templates::verify_email,
            Purpose::ChangeEmail => templates::confirm_new_email,
        };
        Outbox::enqueue(
            &mut tx,
            &compose(to, &self.link_base, &token, &templates::validity(ttl)),
        )
        .await?;
        for notice in notices {
            Outbox::enqueue(&mut tx, notice).await?;
        }
        tx.commit().await?;
        self.wake_worker();
        Ok(())
    }

    /// Tells the worker that a message is waiting (call after the transaction commits).
    pub fn wake_worker(&self) {
        self.wake.notify_one();
    }

    pub(crate) fn bell(&self) -> Arc<Notify> {
        self.wake.clone()
    }
}

/// Starts the delivery worker for this instance (`App::build`).
pub fn start_worker(config: &Config, mailer: &Mailer) -> anyhow::Result<()> {
    let worker = worker::Worker {
        outbox: mailer.outbox.clone(),
        transport: transport::Transport::new(&config.mail, &config.data_dir)?,
        from: config.mail.from.clone(),
        retry_max: config.mail.retry_max,
    };
    tokio::spawn(worker.run(mailer.clone()));
    Ok(())
}
