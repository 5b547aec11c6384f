//! Wrong codes in a row, per account, over every network (issue 21).
//!
//! The login throttles count wrong codes like wrong passwords, and those drain with time:
//! someone who has the password and many networks would get thousands of guesses a day.
//! So an account also keeps `totp_factors.failed_codes`, which only a right proof sets back
//! to 0. Past `SECOND_FACTOR_MAX_FAILURES` an app's code is refused without being checked,
//! unless the browser holds a device cookie of an earlier sign-in to the account; a
//! recovery code (128 random bits each) and a passkey cannot be guessed and still open,
//! and so does an admin's removal of the factor. The owner is mailed when a run reaches a
//! tenth of the cap: once per run, since exactly one request makes the count that number.

use super::store::TotpRow;
use crate::server::account::users::StoredUser;
use crate::server::error::AuthError;
use crate::server::mail::outbox::Outbox;
use crate::server::mail::templates;
use crate::server::state::AppState;

/// Whether the cap applies to the code being checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeFrom {
    /// A login from a browser without a device cookie for the account: the cap applies.
    Stranger,
    /// A browser that signed in to the account before, or a signed-in session confirming
    /// a change: its codes are always checked (its wrong ones still count).
    Known,
}

/// Refuses an app's code from a stranger once the account is past the cap.
pub fn admit(state: &AppState, row: &TotpRow, from: CodeFrom) -> Result<(), AuthError> {
    let cap = i64::from(state.second_factor.failure_cap);
    if from == CodeFrom::Stranger && row.failed_codes >= cap {
        tracing::warn!(
            failed_codes = row.failed_codes,
            "code refused: too many wrong codes in a row"
        );
        return Err(AuthError::SecondFactorLocked);
    }
    Ok(())
}

/// Records how a code or recovery code came out.
pub async fn record(state: &AppState, user: &StoredUser, accepted: bool) -> Result<(), AuthError> {
    let factors = &state.second_factor.factors;
    if accepted {
        factors.clear_failed_codes(user.id).await?;
        return Ok(());
    }
    let Some(count) = factors.count_failed_code(user.id).await? else {
        return Ok(());
    };
    let cap = state.second_factor.failure_cap;
    if count == i64::from(notice_at(cap)) {
        tracing::warn!(failed_codes = count, "wrong codes in a row: the owner is told");
        let mut connection = state.database.pool().acquire().await?;
        Outbox::enqueue(&mut connection, &templates::wrong_codes(&user.email, count, cap)).await?;
        state.mail.mailer.wake_worker();
    }
    Ok(())
}

/// The run of wrong codes at which the owner is mailed: a tenth of the cap (10 of 100).
fn notice_at(cap: u32) -> u32 {
    cap.div_ceil(10)
}

#[cfg(test)]
mod tests {
    use super::notice_at;

    #[test]
    fn the_owner_is_told_at_a_tenth_of_the_cap() {
        assert_eq!(notice_at(100), 10);
        assert_eq!(notice_at(6), 1);
        assert_eq!(notice_at(1), 1);
    }
}
