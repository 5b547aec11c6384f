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

/// A message whose point is one link: the token travels in the URL fragment, so it never
/// reaches a server log or a `Referer`; the page at `page` posts it.
struct LinkMail<'a> {
    to: &'a str,
    subject: String,
    why: String,
    page: &'a str,
    action: &'a str,
    validity: &'a str,
    if_not_you: &'a str,
}

impl LinkMail<'_> {
    fn compose(self, link_base: &str, token: &str) -> Mail {
        let link = format!("{link_base}{}#token={token}", self.page);
        let (why, action, validity, if_not_you) = (&self.why, self.action, self.validity, self.if_not_you);
        Mail {
            to: self.to.to_owned(),
            subject: self.subject,
            text: format!(
                "{why}\n\n{action} by opening this link within {validity}:\n{link}\n\n{if_not_you}\n\n— {PRODUCT}\n"
            ),
            html: html(&[
                escape(why),
                format!(
                    "<a href=\"{0}\">{action}</a> (the link works for {validity}):<br>{0}",
                    escape(&link)
                ),
                escape(if_not_you),
            ]),
        }
    }
}

/// A password-reset link.
pub fn password_reset(to: &str, link_base: &str, token: &str, validity: &str) -> Mail {
    LinkMail {
        to,
        subject: format!("Reset your {PRODUCT} password"),
        why: format!("Someone asked to reset the password of your {PRODUCT} account."),
        page: "/reset-password",
        action: "Choose a new password",
        validity,
        if_not_you: "If it was not you, ignore this message: your password stays as it is.",
    }
    .compose(link_base, token)
}

/// The link that verifies the account's address (after signup, or asked for again).
pub fn verify_email(to: &str, link_base: &str, token: &str, validity: &str) -> Mail {
    LinkMail {
        to,
        subject: format!("Verify your {PRODUCT} email address"),
        why: format!("Welcome to {PRODUCT}! Please confirm that this is your email address."),
        page: "/verify-email",
        action: "Verify your email address",
        validity,
        if_not_you: "If you did not sign up, ignore this message: the address stays unverified.",
    }
    .compose(link_base, token)
}

/// The link that moves an account to a new address, sent to that new address.
pub fn confirm_new_email(to: &str, link_base: &str, token: &str, validity: &str) -> Mail {
    LinkMail {
        to,
        subject: format!("Confirm your new {PRODUCT} email address"),
        why: format!("Someone asked to use this address for their {PRODUCT} account."),
        page: "/confirm-email",
        action: "Confirm the new address",
        validity,
        if_not_you: "If it was not you, ignore this message: nothing changes.",
    }
    .compose(link_base, token)
}

/// The notice to the old address that a change to `new_email` was asked for.
pub fn email_change_notice(to: &str, new_email: &str) -> Mail {
    let asked =
        format!("Someone logged in to your {PRODUCT} account asked to change its email address to {new_email}.");
    let next = "The change happens only when the link sent to the new address is opened.";
    let if_not_you = "If it was not you, change your password at once: that also cancels the change.";
    Mail {
        to: to.to_owned(),
        subject: format!("Your {PRODUCT} email address is being changed"),
        text: format!("{asked}\n\n{next}\n\n{if_not_you}\n\n— {PRODUCT}\n"),
        html: html(&[escape(&asked), escape(next), escape(if_not_you)]),
    }
}

/// The notice that the password was changed (from the profile, or by a reset).
pub fn password_changed(to: &str) -> Mail {
    let what =
        format!("The password of your {PRODUCT} account was just changed, and its other sessions were logged out.");
    let if_not_you = "If it was not you, reset your password at once and tell your administrator.";
    Mail {
        to: to.to_owned(),
        subject: format!("Your {PRODUCT} password was changed"),
        text: format!("{what}\n\n{if_not_you}\n\n— {PRODUCT}\n"),
        html: html(&[escape(&what), escape(if_not_you)]),
    }
}

/// A change to an account's second factor, which its owner is always told of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactorChange {
    Enabled,
    Disabled,
    NewRecoveryCodes,
    RemovedByAdmin,
    PasskeyAdded,
    PasskeyRemoved,
    PasskeysRemovedByAdmin,
}

/// The first proof of the address removed what had been added to the account before it
/// (`email_address::proof`): an authenticator app, `passkeys` passkeys.
pub fn unproven_ways_in_removed(to: &str, app: bool, passkeys: u64) -> Mail {
    let mut removed = Vec::new();
    if app {
        removed.push("an authenticator app (two-step verification) and its recovery codes".to_owned());
    }
    match passkeys {
        0 => {}
        1 => removed.push("a passkey".to_owned()),
        n => removed.push(format!("{n} passkeys")),
    }
    let what = format!(
        "Your {PRODUCT} email address was just proven for the first time. Until then anyone could have signed up with it, so what had been added to the account before was removed: {}.",
        removed.join(" and ")
    );
    let again = "If you added them yourself, add them again from the security settings: nobody but you can now.";
    Mail {
        to: to.to_owned(),
        subject: format!("{PRODUCT}: Ways to sign in were removed"),
        text: format!("{what}\n\n{again}\n\n— {PRODUCT}\n"),
        html: html(&[escape(&what), escape(again)]),
    }
}

pub fn factor_change(to: &str, change: FactorChange) -> Mail {
    let (subject, what) = match change {
        FactorChange::Enabled => (
            "Two-step verification is on",
            "Two-step verification was just turned on for your AuthKit account: logging in now also asks for a code from your authenticator app.",
        ),
        FactorChange::Disabled => (
            "Two-step verification is off",
            "Two-step verification was just turned off for your AuthKit account: logging in now asks only for your password.",
        ),
        FactorChange::NewRecoveryCodes => (
            "New recovery codes",
            "New recovery codes were just made for your AuthKit account; the earlier ones no longer work.",
        ),
        FactorChange::PasskeyAdded => (
            "A passkey was added",
            "A passkey was just added to your AuthKit account: it can now sign in without your password.",
        ),
        FactorChange::PasskeyRemoved => (
            "A passkey was removed",
            "A passkey was just removed from your AuthKit account: it can no longer sign in.",
        ),
        FactorChange::PasskeysRemovedByAdmin => (
            "Your passkeys were removed",
            "An administrator removed every passkey from your AuthKit account: none of them can sign in any more. You can add passkeys again from the security settings.",
        ),
        FactorChange::RemovedByAdmin => (
            "Two-step verification was removed",
            "An administrator removed two-step verification from your AuthKit account: logging in now asks only for your password. You can turn it on again from your profile.",
        ),
    };
    let if_not_you = match change {
        // A password change does not remove a passkey: the stranger's passkey must go.
        FactorChange::PasskeyAdded => {
            "If it was not you, delete that passkey from your profile at once, change your password and tell your administrator."
        }
        _ => "If it was not you, change your password at once and tell your administrator.",
    };
    Mail {
        to: to.to_owned(),
        subject: format!("{PRODUCT}: {subject}"),
        text: format!("{what}\n\n{if_not_you}\n\n— {PRODUCT}\n"),
        html: html(&[escape(what), escape(if_not_you)]),
    }
}

/// `count` wrong two-step codes in a row were typed for the account (`second_factor::failures`):
/// someone may have the password. Past `cap`, codes work only from a browser that signed in
/// before.
pub fn wrong_codes(to: &str, count: i64, cap: u32) -> Mail {
    let what = format!(
        "{count} wrong two-step verification codes in a row were just entered for your {PRODUCT} account, after its right password. Whoever entered them may know your password."
    );
    let then = format!(
        "After {cap} wrong codes in a row, codes are accepted only from a browser you have signed in with before; a recovery code or a passkey still works anywhere."
    );
    let if_not_you = "If it was not you, change your password at once and tell your administrator.";
    Mail {
        to: to.to_owned(),
        subject: format!("{PRODUCT}: Wrong two-step codes"),
        text: format!("{what}\n\n{then}\n\n{if_not_you}\n\n— {PRODUCT}\n"),
        html: html(&[escape(&what), escape(&then), escape(if_not_you)]),
    }
}

/// A duration as the mails say it: "30 minutes", "1 hour", "24 hours".
pub fn validity(duration: std::time::Duration) -> String {
    let minutes = duration.as_secs() / 60;
    let (n, unit) = if minutes.is_multiple_of(60) {
        (minutes / 60, "hour")
    } else {
        (minutes, "minute")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reset_mail_carries_the_link_in_the_fragment_in_both_bodies() {
        let mail = password_reset("ann@example.com", "https://auth.example.com", "abc123", "30 minutes");
        let link = "https://auth.example.com/reset-password#token=abc123";
        assert!(mail.text.contains(link));
        assert!(mail.html.contains(&format!("href=\"{link}\"")));
        assert!(mail.subject.contains("AuthKit"));
        assert!(!mail.html.contains("<img"), "no remote images");
        assert!(mail.text.contains("30 minutes"));
    }

    #[test]
    fn each_link_goes_to_its_own_page() {
        let base = "https://auth.example.com";
        let verify = verify_email("a@example.com", base, "t1", "24 hours");
        assert!(verify.text.contains("https://auth.example.com/verify-email#token=t1"));
        assert!(verify.text.contains("24 hours"));
        let confirm = confirm_new_email("new@example.com", base, "t2", "1 hour");
        assert!(
            confirm
                .html
                .contains("href=\"https://auth.example.com/confirm-email#token=t2\"")
        );
        assert_eq!(confirm.to, "new@example.com");
        // The notice to the old address names the new one, escaped, and carries no link.
        let notice = email_change_notice("old@example.com", "<b>x@example.com");
        assert!(notice.html.contains("&lt;b&gt;x@example.com") && !notice.html.contains("href"));
    }

    #[test]
    fn validity_reads_naturally() {
        use std::time::Duration;
        assert_eq!(validity(Duration::from_secs(30 * 60)), "30 minutes");
        assert_eq!(validity(Duration::from_secs(3600)), "1 hour");
        assert_eq!(validity(Duration::from_secs(24 * 3600)), "24 hours");
        assert_eq!(validity(Duration::from_secs(90 * 60)), "90 minutes");
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape("<a href=\"x\">&</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
        );
    }
}
