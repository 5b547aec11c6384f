//! Mail that really arrives, and is never lost.
//!
//! A service that sends a message writes it to the `outbox` table in the same transaction
//! as what the message announces (a reset token, say): either both exist or neither
//! ([`outbox`]). The [`worker`] claims messages one at a time, sends them through the
//! [`transport`] (SMTP, or `.eml` files in development) and retries with backoff while the
//! relay is down; a restart picks up where it left off. Nothing is sent on the request
//! path, so no answer waits for SMTP or reveals by its timing whether a mail went out.
//! [`templates`] holds the texts.

pub mod outbox;
pub mod templates;
pub mod transport;
pub mod worker;

use super::config::{Config, MailSettings};
use super::database::Database;
use outbox::Outbox;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// What the services need to send mail: the outbox, and a bell for the worker.
#[derive(Clone)]
pub struct Mailer {
    pub outbox: Outbox,
    wake: Arc<Notify>,
    /// Where links point (`PUBLIC_URL`), without a trailing slash.
    pub link_base: String,
    pub reset_ttl: Duration,
}

impl Mailer {
    pub fn new(database: &Database, settings: &MailSettings) -> Self {
        Self {
            outbox: Outbox::new(database),
            wake: Arc::new(Notify::new()),
            link_base: settings.link_base.clone(),
            reset_ttl: settings.reset_ttl,
        }
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
    use anyhow::Context;
    let worker = worker::Worker {
        outbox: mailer.outbox.clone(),
        transport: transport::Transport::new(&config.mail, &config.data_dir)?,
        from: config.mail.from.parse().context("MAIL_FROM is not an address")?,
        retry_max: config.mail.retry_max,
    };
    tokio::spawn(worker.run(mailer.clone()));
    Ok(())
}
