//! Input rules, compiled into both the WASM bundle and the server.
//!
//! The browser runs them before sending anything (instant feedback, no round trip); the
//! server runs them again, because a script can send anything. Parsing returns types
//! that can only hold valid values ("parse, don't validate"), so code that receives an
//! [`Email`] or a [`Username`] never has to check it again.

use crate::api::Password;
use crate::text::{has_format_characters, nfc, nfkc};
use std::fmt;

/// The longest address SMTP can deliver to (RFC 5321 path limit).
pub const MAX_EMAIL_LEN: usize = 254;
/// Usernames are display names: generous, but bounded.
pub const MAX_USERNAME_CHARS: usize = 50;
/// NIST SP 800-63B: at least 8 characters, and allow at least 64; we allow 128.
pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 128;

/// The input field a validation error is about; its name is the JSON key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Email,
    Username,
    Password,
    /// The address an account is moving to (`POST /auth/email`).
    NewEmail,
    /// A new password sent beside another credential (`POST /auth/password`, a reset).
    NewPassword,
    /// The name a person gives a passkey.
    PasskeyName,
}

impl Field {
    pub fn name(self) -> &'static str {
        match self {
            Field::Email => "email",
            Field::Username => "username",
            Field::Password => "password",
            Field::NewEmail => "new_email",
            Field::NewPassword => "new_password",
            Field::PasskeyName => "name",
        }
    }
}

/// Why a field was refused, phrased for the person filling in the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: Field,
    pub message: String,
    /// What was sent, to show back (FastAPI's `input`); never set for a password.
    pub input: Option<String>,
}

impl FieldError {
    pub fn new(field: Field, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
            input: None,
        }
    }

    /// The same refusal, remembering what was sent.
    pub fn with_input(self, input: &str) -> Self {
        Self {
            input: Some(input.to_owned()),
            ..self
        }
    }

    /// The same refusal, about another field of the same kind (a new email address is
    /// checked by the rules of every address).
    pub fn about(self, field: Field) -> Self {
        Self { field, ..self }
    }
}

impl fmt::Display for FieldError {
    /// `"email: Enter a valid email address"` — the API's `detail` names the field.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field.name(), self.message)
    }
}

impl std::error::Error for FieldError {}

/// An email address, trimmed, NFC-normalised and lower-cased, so that `Ann@Example.com `
/// and `ann@example.com` are the same account, and so are an `é` typed as one code point
/// and one typed as `e` plus a combining accent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let normalised = nfc(&nfc(raw.trim()).to_lowercase());
        let invalid = |message: &str| Err(FieldError::new(Field::Email, message).with_input(raw));
        if normalised.is_empty() {
            return invalid("Email is required");
        }
        if normalised.len() > MAX_EMAIL_LEN {
            return invalid("Email must be at most 254 characters");
        }
        // The crate checks RFC 5322 syntax; a real mailbox also needs a dotted domain,
        // which catches the common `name@gmail` typo.
        let has_dotted_domain = normalised
            .rsplit_once('@')
            .is_some_and(|(_, domain)| domain.contains('.') && !domain.ends_with('.'));
        if !email_address::EmailAddress::is_valid(&normalised) || !has_dotted_domain {
            return invalid("Enter a valid email address");
        }
        Ok(Self(normalised))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A name people read (a username, a passkey's name): NFC, trimmed, 1–50 characters, no
/// control or invisible format characters. `what` starts the messages.
fn display_name(raw: &str, field: Field, what: &str) -> Result<String, FieldError> {
    let normalised = nfc(raw);
    let trimmed = normalised.trim();
    let invalid = |rule: &str| Err(FieldError::new(field, format!("{what} {rule}")).with_input(raw));
    if trimmed.is_empty() {
        return invalid("is required");
    }
    if trimmed.chars().count() > MAX_USERNAME_CHARS {
        return invalid("must be at most 50 characters");
    }
    if trimmed.chars().any(char::is_control) {
        return invalid("must not contain control characters");
    }
    if has_format_characters(trimmed) {
        return invalid("must not contain invisible formatting characters");
    }
    Ok(trimmed.to_owned())
}

/// The name of a passkey ("Work laptop"), by the same rules as a username.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyName(String);

impl PasskeyName {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        display_name(raw, Field::PasskeyName, "Passkey name").map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A display name: NFC-normalised, 1–50 characters after trimming, no control
/// characters and no invisible format characters (bidi overrides, zero-width spaces:
/// Unicode category Cf), which would let one name pass for another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        display_name(raw, Field::Username, "Username").map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks a new password against the rules that need no dictionary (the server also
/// refuses common passwords, see `server::password_policy`).
///
/// Passwords are never trimmed or case-folded: they are compared exactly as typed, and
/// there are no composition rules (NIST SP 800-63B). Length counts Unicode code points.
/// `email` and `username` are the account's own; a password equal to either, or to the
/// email's local part, is refused.
fn check_new_password(password: &str, email: &str, username: &str) -> Result<(), FieldError> {
    let invalid = |message: &str| Err(FieldError::new(Field::Password, message));
    let chars = password.chars().count();
    if chars == 0 {
        return invalid("Password is required");
    }
    if chars < MIN_PASSWORD_CHARS {
        return invalid("Password must be at least 8 characters");
    }
    if chars > MAX_PASSWORD_CHARS {
        return invalid("Password must be at most 128 characters");
    }
    let lowered = password.to_lowercase();
    let email = email.trim().to_lowercase();
    let local_part = email.split('@').next().unwrap_or_default();
    let username = username.trim().to_lowercase();
    let personal = [email.as_str(), local_part, username.as_str()];
    if personal.iter().any(|p| !p.is_empty() && *p == lowered) {
        return invalid("Password must not be your email address or username");
    }
    Ok(())
}

/// A password that passed every rule that needs no dictionary, together with the
/// account details it was checked against (the server's dictionary check,
/// `server::password_policy`, uses them as hints too).
#[derive(Clone)]
pub struct NewPassword {
    password: Password,
    email: String,
    username: String,
    /// The body field it came in (`password` at signup, `new_password` elsewhere), which
    /// every refusal of it names.
    field: Field,
}

impl NewPassword {
    /// Checks `password` as the new password of the account with this email and username.
    /// The password is NFKC-normalised first (NIST SP 800-63B §5.1.1.2): the rules, the
    /// dictionary check and the hash all see that form.
    pub fn parse(password: Password, email: &str, username: &str) -> Result<Self, FieldError> {
        Self::parse_field(Field::Password, password, email, username)
    }

    /// [`NewPassword::parse`] for a password sent in body field `field`.
    pub fn parse_field(field: Field, password: Password, email: &str, username: &str) -> Result<Self, FieldError> {
        let password = Password::new(nfkc(password.expose()));
        check_new_password(password.expose(), email, username).map_err(|e| e.about(field))?;
        Ok(Self {
            password,
            email: email.to_owned(),
            username: username.to_owned(),
            field,
        })
    }

    /// The body field it came in.
    pub fn field(&self) -> Field {
        self.field
    }

    pub fn expose(&self) -> &str {
        self.password.expose()
    }

    /// The account's own details, which the password must not be built from.
    pub fn personal(&self) -> [&str; 2] {
        [&self.email, &self.username]
    }

    pub fn into_password(self) -> Password {
        self.password
    }
}

/// Everything a new account needs, each part valid: what signup, `authkit create-admin`
/// and the signup page accept.
#[derive(Clone)]
pub struct NewAccount {
    email: Email,
    username: Username,
    password: NewPassword,
}

impl NewAccount {
    /// Checks every field, and refuses with every field that is wrong (in the order the
    /// form shows them: email, username, password), not only the first.
    pub fn parse(email: &str, username: &str, password: Password) -> Result<Self, Vec<FieldError>> {
        let parsed_email = Email::parse(email);
        let parsed_username = Username::parse(username);
        // The password is checked against what was typed even if that was refused.
        let personal_email = parsed_email.as_ref().map_or(email, |e| e.as_str());
        let personal_username = parsed_username.as_ref().map_or(username, |u| u.as_str());
        let parsed_password = NewPassword::parse(password, personal_email, personal_username);
        match (parsed_email, parsed_username, parsed_password) {
            (Ok(email), Ok(username), Ok(password)) => Ok(Self {
                email,
                username,
                password,
            }),
            (email, username, password) => Err([email.err(), username.err(), password.err()]
                .into_iter()
                .flatten()
                .collect()),
        }
    }

    pub fn email(&self) -> &Email {
        &self.email
    }

    pub fn username(&self) -> &Username {
        &self.username
    }

    pub fn password(&self) -> &NewPassword {
        &self.password
    }
}

/// At login we only require *something*: the policy may have changed since the
/// account was made, and a wrong password is answered by the credential check.
pub fn check_login_password(password: &str) -> Result<(), FieldError> {
    let invalid = |message: &str| Err(FieldError::new(Field::Password, message));
    if password.is_empty() {
        return invalid("Password is required");
    }
    if password.chars().count() > MAX_PASSWORD_CHARS {
        return invalid("Password must be at most 128 characters");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_trimmed_and_lower_cased() {
        let email = Email::parse("  Ann.Lee@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "ann.lee@example.com");
    }

    #[test]
    fn email_rejects_bad_shapes() {
        for raw in [
            "",
            "   ",
            "not-an-email",
            "a@b",
            "@example.com",
            "ann@",
            "a b@example.com",
            "ann@example.",
        ] {
            let err = Email::parse(raw).unwrap_err();
            assert_eq!(err.field, Field::Email, "{raw:?}");
        }
    }

    #[test]
    fn email_length_is_capped_at_254() {
        // DNS labels are at most 63 characters, so build the domain from several.
        let local = "a".repeat(64);
        let domain = |first: usize| format!("{}.{}.{}.com", "b".repeat(first), "c".repeat(60), "d".repeat(63));
        let ok = format!("{local}@{}", domain(60));
        assert_eq!(ok.len(), MAX_EMAIL_LEN);
        assert!(Email::parse(&ok).is_ok());
        let too_long = format!("{local}@{}", domain(61));
        assert_eq!(
            Email::parse(&too_long).unwrap_err().message,
            "Email must be at most 254 characters"
        );
    }

    #[test]
    fn username_is_trimmed_and_bounded() {
        assert_eq!(Username::parse("  ann ").unwrap().as_str(), "ann");
        assert!(Username::parse("   ").is_err());
        assert!(Username::parse(&"é".repeat(50)).is_ok());
        assert!(Username::parse(&"é".repeat(51)).is_err());
        assert!(Username::parse("ann\u{7}").is_err());
    }

    fn check(password: &str) -> Result<(), FieldError> {
        check_new_password(password, "ann.lee@example.com", "Ann")
    }

    #[test]
    fn new_password_length_counts_code_points() {
        assert!(check("").is_err());
        assert!(check("1234567").is_err());
        assert!(check("12345678").is_ok());
        // 8 emoji are 32 bytes but 8 code points; 7 are 28 bytes and too few.
        assert!(check(&"🔑".repeat(8)).is_ok());
        assert!(check(&"🔑".repeat(7)).is_err());
        assert!(check(&"ж".repeat(128)).is_ok());
        assert!(check(&"ж".repeat(129)).is_err());
    }

    #[test]
    fn new_password_is_not_trimmed() {
        // Seven letters and a space: the space counts.
        assert!(check("abcdefg ").is_ok());
        assert!(check(" abcdefg").is_ok());
    }

    #[test]
    fn new_password_must_not_be_the_email_local_part_or_username() {
        assert!(check_new_password("Ann.Lee@Example.com", "ann.lee@example.com", "someone").is_err());
        assert!(check_new_password("ANN.LEE1", "ann.lee1@example.com", "someone").is_err());
        assert!(check_new_password("SuperAnnie", "a@example.com", "superannie").is_err());
        assert!(check_new_password("ann.lee@example.comX", "ann.lee@example.com", "someone").is_ok());
    }

    #[test]
    fn new_account_reports_every_wrong_field_in_form_order() {
        let parse = |email: &str, username: &str, password: &str| {
            NewAccount::parse(email, username, Password::new(password))
                .map_err(|errors| errors.iter().map(|e| e.field).collect::<Vec<_>>())
        };
        let account = NewAccount::parse(" Ann@Example.com", " Ann ", Password::new("long enough pass")).unwrap();
        assert_eq!(account.email().as_str(), "ann@example.com");
        assert_eq!(account.username().as_str(), "Ann");
        assert_eq!(account.password().expose(), "long enough pass");
        assert_eq!(account.password().personal(), ["ann@example.com", "Ann"]);
        assert_eq!(
            parse("nope", "", "short").err(),
            Some(vec![Field::Email, Field::Username, Field::Password])
        );
        assert_eq!(
            parse("a@example.com", "", "short").err(),
            Some(vec![Field::Username, Field::Password])
        );
        assert_eq!(parse("a@example.com", "a", "short").err(), Some(vec![Field::Password]));
        // The password rules see the normalised details.
        assert_eq!(
            parse("Ann@Example.com", "x", "ANN@example.com").err(),
            Some(vec![Field::Password])
        );
        // What was sent is kept for the answer, except the password.
        let errors = NewAccount::parse("nope", "", Password::new("short")).err().unwrap();
        assert_eq!(errors[0].input.as_deref(), Some("nope"));
        assert_eq!(errors[2].input, None);
    }

    #[test]
    fn look_alike_text_is_one_text() {
        // U+00E9 and U+0065 U+0301 are one address.
        assert_eq!(
            Email::parse("jos\u{e9}@example.com").unwrap(),
            Email::parse("Jose\u{301}@Example.com").unwrap()
        );
        assert_eq!(Username::parse(" Jose\u{301} ").unwrap().as_str(), "Jos\u{e9}");
        for sneaky in ["ad\u{200b}min", "\u{202e}nimda", "a\u{2060}b", "x\u{feff}"] {
            assert_eq!(
                Username::parse(sneaky).unwrap_err().message,
                "Username must not contain invisible formatting characters",
                "{sneaky:?}"
            );
        }
        // U+FB01 (the "fi" ligature) is "fi" in a password.
        let new = NewPassword::parse(Password::new("the \u{fb01}nal countdown"), "a@example.com", "a").unwrap();
        assert_eq!(new.expose(), "the final countdown");
    }

    #[test]
    fn login_password_only_needs_to_be_present() {
        assert!(check_login_password("").is_err());
        assert!(check_login_password("x").is_ok());
    }

    #[test]
    fn field_error_names_the_field() {
        let err = Email::parse("nope").unwrap_err();
        assert_eq!(err.to_string(), "email: Enter a valid email address");
    }
}
