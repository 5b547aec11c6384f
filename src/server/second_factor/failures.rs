//! Wrong codes in a row, per account, over every network (issue 21).
//!
//! The login throttles count wrong codes like wrong passwords, and those drain with time:
//! someone who has the password and many networks would get thousands of guesses a day.
//! So an account also keeps `totp_factors.failed_codes`, which only a right proof sets back
//! to 0. Past `SECOND_FACTOR_MAX_FAILURES` an app's code is refused without being checked,
//! unless the browser holds a device cookie of an earlier sign-in to the account; a
//! recovery code (80 random bits each) and a passkey cannot be guessed and still open,
//! and so does an admin's removal of the factor. The owner is mailed when a run reaches a
//! tenth of the cap: once per run, since exactly one request makes the count that number.
//! Each attempt is counted before its proof is checked (`begin`), the way the throttles take
//! their slots, and a right proof then ends the run (`settle`).

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

/// Takes this attempt's place in the account's run before the proof is checked, as the
/// throttles take their slots: a parallel burst at the edge of the cap gets exactly the
/// guesses left. A stranger's app code past the cap is refused unchecked (and not counted).
/// `None`: the account has no second factor on, nothing to count.
pub async fn begin(state: &AppState, user_id: i64, capped: bool) -> Result<Option<i64>, AuthError> {
    let cap = i64::from(state.second_factor.failure_cap);
    let counted = state
        .second_factor
        .factors
        .count_attempt(user_id, capped.then_some(cap))
        .await?;
    if counted.is_none() && capped && state.second_factor.factors.is_enabled(user_id).await? {
        tracing::warn!("code refused: too many wrong codes in a row");
        return Err(AuthError::SecondFactorLocked);
    }
    Ok(counted)
}

/// Ends an attempt `begin` counted: a right proof ends the run; a wrong one stays counted,
/// and the one that makes the run a tenth of the cap mails the owner.
pub async fn settle(state: &AppState, user: &StoredUser, count: i64, accepted: bool) -> Result<(), AuthError> {
    if accepted {
        state.second_factor.factors.clear_failed_codes(user.id).await?;
        return Ok(());
    }
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
