//! The messages AuthKit sends: a subject, a plain-text body and an HTML alternative, the
//! product's name, no remote images, no tracking; links built from `PUBLIC_URL`.

/// A message before it is stored in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

const PRODUCT: &str = "AuthKit";

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn html(paragraphs: &[String]) -> String {
    let body: String = paragraphs.iter().map(|p| format!("<p>{p}</p>\n")).collect();
    format!(
        "<!doctype html>\n<html><body style=\"font-family: sans-serif; line-height: 1.5\">\n{body}<p>— {PRODUCT}</p>\n</body></html>\n"
    )
}

/// A password-reset link. The token travels in the URL fragment, so it never reaches a
/// server log or a `Referer`; the page posts it.
pub fn password_reset(to: &str, link_base: &str, token: &str, minutes: u64) -> Mail {
    let link = format!("{link_base}/reset-password#token={token}");
    Mail {
        to: to.to_owned(),
        subject: format!("Reset your {PRODUCT} password"),
        text: format!(
            "Someone asked to reset the password of your {PRODUCT} account.\n\n\
             To choose a new password, open this link within {minutes} minutes:\n{link}\n\n\
             If it was not you, ignore this message: your password stays as it is.\n\n— {PRODUCT}\n"
        ),
        html: html(&[
            format!("Someone asked to reset the password of your {PRODUCT} account."),
            format!(
                "<a href=\"{0}\">Choose a new password</a> (the link works for {minutes} minutes):<br>{0}",
                escape(&link)
            ),
            "If it was not you, ignore this message: your password stays as it is.".to_owned(),
        ]),
    }
}

/// The notice that the password was changed (by a reset).
pub fn password_changed(to: &str) -> Mail {
    Mail {
        to: to.to_owned(),
        subject: format!("Your {PRODUCT} password was changed"),
        text: format!(
            "The password of your {PRODUCT} account was just changed, and every device was logged out.\n\n\
             If it was not you, reset your password at once and tell your administrator.\n\n— {PRODUCT}\n"
        ),
        html: html(&[
            format!("The password of your {PRODUCT} account was just changed, and every device was logged out."),
            "If it was not you, reset your password at once and tell your administrator.".to_owned(),
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reset_mail_carries_the_link_in_the_fragment_in_both_bodies() {
        let mail = password_reset("ann@example.com", "https://auth.example.com", "abc123", 30);
        let link = "https://auth.example.com/reset-password#token=abc123";
        assert!(mail.text.contains(link));
        assert!(mail.html.contains(&format!("href=\"{link}\"")));
        assert!(mail.subject.contains("AuthKit"));
        assert!(!mail.html.contains("<img"), "no remote images");
        assert!(mail.text.contains("30 minutes"));
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape("<a href=\"x\">&</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
        );
    }
}
