//! Where messages go: an SMTP relay (`SMTP_URL`, through lettre with rustls), or, without
//! one (development), `.eml` files in `$DATA_DIR/outbox/` that a developer can open.

use crate::server::platform::config::MailSettings;
use anyhow::Context;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;
use std::path::{Path, PathBuf};

#[derive(Clone)]
pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Folder(PathBuf),
}

/// lettre reads `smtp://` without `tls` as plain text. Ours: `smtps://` is implicit TLS,
/// `smtp://` is STARTTLS (required), and only `smtp://…?tls=none` is plain (a local relay);
/// any other `tls` is refused at start.
fn lettre_url(url: &str) -> anyhow::Result<String> {
    let mut parsed = url::Url::parse(url).context("SMTP_URL is not a URL")?;
    anyhow::ensure!(
        matches!(parsed.scheme(), "smtp" | "smtps"),
        "SMTP_URL must start with smtp:// or smtps://"
    );
    let starttls_by_default = parsed.scheme() == "smtp";
    let mut pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    // `tls=opportunistic` (or lettre's other values) would let anyone on the path strip
    // STARTTLS and read the mail: only a plain relay said out loud, or TLS required.
    let tls: Vec<usize> = (0..pairs.len()).filter(|&i| pairs[i].0 == "tls").collect();
    match tls.as_slice() {
        [] if starttls_by_default => pairs.push(("tls".into(), "required".into())),
        [] => {}
        [i] if starttls_by_default && pairs[*i].1 == "none" => {
            pairs.remove(*i);
        }
        [i] if starttls_by_default && pairs[*i].1 == "required" => {}
        _ => anyhow::bail!(
            "SMTP_URL's tls must be `required` (the default of smtp://) or `none` (a local relay); \
             smtps:// takes none"
        ),
    }
    if pairs.is_empty() {
        parsed.set_query(None);
    } else {
        parsed.query_pairs_mut().clear().extend_pairs(&pairs);
    }
    Ok(parsed.to_string())
}

impl Transport {
    pub fn new(settings: &MailSettings, data_dir: &Path) -> anyhow::Result<Self> {
        match &settings.smtp_url {
            Some(url) => {
                let url = lettre_url(url.expose_secret())?;
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
                    .context("SMTP_URL")?
                    .build();
                Ok(Transport::Smtp(transport))
            }
            None => Ok(Transport::Folder(data_dir.join("outbox"))),
        }
    }

    /// Sends one message; the error is kept with the message for the operator.
    pub async fn send(&self, id: i64, message: Message) -> Result<(), String> {
        match self {
            Transport::Smtp(smtp) => smtp.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
            Transport::Folder(dir) => {
                let path = dir.join(format!("{id:08}.eml"));
                write_private(dir, &path, &message.formatted())
                    .await
                    .map_err(|e| format!("{e:#}"))?;
                // The path, never the message: it may carry a link with a token.
                tracing::info!(path = %path.display(), "mail written to the development outbox (no SMTP_URL)");
                Ok(())
            }
        }
    }
}

async fn write_private(dir: &Path, path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    let (dir, path, bytes) = (dir.to_owned(), path.to_owned(), bytes.to_owned());
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(&dir)?;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&path)?;
        std::io::Write::write_all(&mut file, &bytes)?;
        Ok(())
    })
    .await
    .context("writing a mail file")?
}

/// A message as sent: plain text with an HTML alternative.
pub fn message(from: &Mailbox, to: &str, subject: &str, text: &str, html: &str) -> anyhow::Result<Message> {
    let to: Mailbox = to.parse().context("recipient")?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(subject)
        .multipart(MultiPart::alternative_plain_html(text.to_owned(), html.to_owned()))
        .context("building the message")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_means_starttls_unless_tls_none() {
        assert_eq!(
            lettre_url("smtp://user:pw@mail.example.com:587").unwrap(),
            "smtp://user:pw@mail.example.com:587?tls=required"
        );
        assert_eq!(
            lettre_url("smtp://127.0.0.1:2525?tls=none").unwrap(),
            "smtp://127.0.0.1:2525"
        );
        assert_eq!(
            lettre_url("smtps://user:pw@mail.example.com:465").unwrap(),
            "smtps://user:pw@mail.example.com:465"
        );
        assert!(lettre_url("http://mail.example.com").is_err());
    }

    /// Issue 21 (8): `tls=opportunistic` lets anyone on the path strip STARTTLS and read
    /// the reset links; only `none` (said out loud, for a local relay) and `required` pass.
    #[test]
    fn a_downgradable_tls_setting_is_refused() {
        for url in [
            "smtp://mail.example.com:587?tls=opportunistic",
            "smtp://mail.example.com:587?tls=OPPORTUNISTIC",
            "smtp://mail.example.com:587?tls=",
            "smtp://mail.example.com:587?tls=wrapper&tls=none",
            "smtps://mail.example.com:465?tls=opportunistic",
        ] {
            let refused = lettre_url(url).expect_err(url).to_string();
            assert!(refused.contains("tls"), "{url}: {refused}");
        }
        assert_eq!(
            lettre_url("smtp://mail.example.com:587?tls=required").unwrap(),
            "smtp://mail.example.com:587?tls=required"
        );
    }
}
