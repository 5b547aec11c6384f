//! The delivery worker: claims due messages and sends them, retrying with exponential
//! backoff (2 s, 4 s, 8 s, … up to `MAIL_RETRY_MAX_SECS`) while the relay is down or
//! refuses. It wakes when a service enqueues a message, and polls every second anyway
//! (messages enqueued by another instance, retries that come due).

use super::Mailer;
use super::outbox::{Outbox, Pending};
use super::transport::{Transport, message};
use crate::server::sessions::store::now_secs;
use lettre::message::Mailbox;
use std::time::Duration;

/// How long a claimed message is reserved for the worker that claimed it.
const LEASE_SECS: i64 = 120;
const POLL: Duration = Duration::from_secs(1);

pub struct Worker {
    pub outbox: Outbox,
    pub transport: Transport,
    pub from: Mailbox,
    pub retry_max: Duration,
}

impl Worker {
    /// Runs until the process ends.
    pub async fn run(self, mailer: Mailer) {
        let bell = mailer.bell();
        loop {
            match self.outbox.claim(LEASE_SECS).await {
                Ok(Some(pending)) => self.deliver(pending).await,
                Ok(None) => {
                    let _ = tokio::time::timeout(POLL, bell.notified()).await;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "mail outbox unavailable");
                    tokio::time::sleep(POLL).await;
                }
            }
        }
    }

    async fn deliver(&self, pending: Pending) {
        let built = message(
            &self.from,
            &pending.recipient,
            &pending.subject,
            &pending.text_body,
            &pending.html_body,
        );
        let sent = match built {
            Ok(message) => self.transport.send(pending.id, message).await,
            Err(e) => Err(format!("{e:#}")),
        };
        let outcome = match sent {
            Ok(()) => {
                tracing::info!(id = pending.id, "mail sent");
                self.outbox.sent(pending.id).await
            }
            Err(error) => {
                let wait = backoff(pending.attempts + 1, self.retry_max);
                tracing::warn!(id = pending.id, attempt = pending.attempts + 1, retry_in = ?wait, %error, "mail not sent");
                let next = now_secs().saturating_add(i64::try_from(wait.as_secs()).unwrap_or(i64::MAX));
                self.outbox.failed(pending.id, next, &error).await
            }
        };
        if let Err(e) = outcome {
            // The lease runs out and the message is tried again: sent at least once.
            tracing::warn!(id = pending.id, error = %e, "could not record the mail's outcome");
        }
    }
}

/// The wait before attempt `attempts + 1`.
fn backoff(attempts: i64, max: Duration) -> Duration {
    let exponent = u32::try_from(attempts.clamp(1, 20)).unwrap_or(20);
    Duration::from_secs(2u64.saturating_pow(exponent)).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let max = Duration::from_secs(300);
        let waits: Vec<u64> = (1..=10).map(|a| backoff(a, max).as_secs()).collect();
        assert_eq!(waits, [2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
    }
}
