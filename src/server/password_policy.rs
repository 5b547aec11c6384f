//! The part of the password policy that needs a dictionary: refuse passwords that are
//! common, breached or otherwise easy to guess.
//!
//! `zxcvbn` ships frequency lists of the most common passwords (tens of thousands),
//! English words, names and keyboard patterns, and estimates how many guesses an
//! attacker needs. It is server-only: its dictionaries would add about a megabyte to
//! the WASM bundle, and the server's 422 explains the refusal inline anyway.

use crate::validation::{Field, FieldError, NewPassword};
use zxcvbn::Score;

/// Below this an offline attacker needs fewer than 10^8 guesses (zxcvbn's "too
/// guessable" and "very guessable": every listed common password falls here).
const MIN_SCORE: Score = Score::Two;

/// Refuses a guessable new password. The account's own details (email, username) count
/// against it: a password built from them is penalised too.
pub fn check_not_guessable(password: &NewPassword) -> Result<(), FieldError> {
    score_against(password.expose(), &password.personal())
}

fn score_against(password: &str, personal: &[&str]) -> Result<(), FieldError> {
    let estimate = zxcvbn::zxcvbn(password, personal);
    if estimate.score() >= MIN_SCORE {
        return Ok(());
    }
    let feedback = estimate.feedback();
    let mut message = "This password is too common or easy to guess.".to_owned();
    if let Some(warning) = feedback.and_then(|f| f.warning()) {
        message.push_str(&format!(" {warning}"));
    }
    match feedback.and_then(|f| f.suggestions().first()) {
        Some(suggestion) => message.push_str(&format!(" {suggestion}")),
        None => message.push_str(" Try a longer phrase of unrelated words."),
    }
    Err(FieldError::new(Field::Password, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_passwords_are_refused() {
        for common in [
            "password",
            "12345678",
            "iloveyou",
            "qwertyuiop",
            "password123",
            "sunshine1",
            "aaaaaaaaaa",
        ] {
            let err = score_against(common, &[]).unwrap_err();
            assert_eq!(err.field, Field::Password, "{common}");
            assert!(err.to_string().contains("too common or easy to guess"), "{err}");
        }
    }

    #[test]
    fn passphrases_and_unusual_scripts_pass() {
        for good in [
            "correct horse battery staple",
            "жёлтый трамвай едет домой",
            "🦀 crabs 🦀 rule 🦀 the sea",
        ] {
            assert_eq!(score_against(good, &[]), Ok(()), "{good}");
        }
    }

    #[test]
    fn personal_details_count_against_the_password() {
        assert!(score_against("annlee1987", &["ann.lee@example.com", "annlee1987"]).is_err());
        let built_from_details =
            NewPassword::parse(crate::api::Password::new("annlee1987"), "ann.lee@example.com", "annlee").unwrap();
        assert!(check_not_guessable(&built_from_details).is_err());
    }
}
