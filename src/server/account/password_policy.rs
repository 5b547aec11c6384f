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

/// zxcvbn's cost grows steeply with length: measured on a release build, about 3 ms for
/// 48 characters but 175–275 ms for 96–128 characters of non-dictionary text
/// (docs/BENCHMARKS.md). It therefore scores windows of at most this many characters.
const MAX_SCORED_CHARS: usize = 48;

/// Refuses a guessable new password. The account's own details (email, username) count
/// against it: a password built from them is penalised too.
///
/// A longer password is scored by its first and its last 48 characters, and passes if
/// either does: a password is at least as hard to guess as any part of it, and a weak
/// part at one end (a repeated word) shows in that window.
pub fn check_not_guessable(password: &NewPassword) -> Result<(), FieldError> {
    score(password).map_err(|refusal| refusal.about(password.field()))
}

fn score(password: &NewPassword) -> Result<(), FieldError> {
    let personal = password.personal();
    let chars: Vec<char> = password.expose().chars().collect();
    if chars.len() <= MAX_SCORED_CHARS {
        return score_against(password.expose(), &personal);
    }
    let head: String = chars[..MAX_SCORED_CHARS].iter().collect();
    let tail: String = chars[chars.len() - MAX_SCORED_CHARS..].iter().collect();
    score_against(&head, &personal).or_else(|refusal| score_against(&tail, &personal).map_err(|_| refusal))
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

    fn new_password(text: &str) -> NewPassword {
        NewPassword::parse(crate::api::Password::new(text), "ann@example.com", "ann").unwrap()
    }

    #[test]
    fn long_passwords_are_scored_by_their_ends() {
        assert!(check_not_guessable(&new_password(&"password".repeat(16))).is_err());
        assert!(check_not_guessable(&new_password(&"a".repeat(128))).is_err());
        let weak_start = format!("{}{}", "password".repeat(7), "quartz vivid jumbo lynx sphinx");
        assert_eq!(check_not_guessable(&new_password(&weak_start)), Ok(()));
        let weak_end = format!("{}{}", "quartz vivid jumbo lynx sphinx", "password".repeat(7));
        assert_eq!(check_not_guessable(&new_password(&weak_end)), Ok(()));
    }

    #[test]
    fn personal_details_count_against_the_password() {
        assert!(score_against("annlee1987", &["ann.lee@example.com", "annlee1987"]).is_err());
        let built_from_details =
            NewPassword::parse(crate::api::Password::new("annlee1987"), "ann.lee@example.com", "annlee").unwrap();
        assert!(check_not_guessable(&built_from_details).is_err());
    }
}
