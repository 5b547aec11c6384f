//! The first proof of an account's mailbox: a verification link or a reset link opened.
//! Until then anyone could have signed up with the address (verification is optional by
//! default), so the ways in added before it — an authenticator app, passkeys — are as
//! likely a squatter's as the owner's, and they go (pre-hijacking). The owner is told what
//! went. Since adding either needs a proven address (`second_factor::setup`,
//! `passkeys::register_start`), only an account older than that rule can have them.

use crate::server::account::users::{Proven, UserStore};
use crate::server::mail::outbox::Outbox;
use crate::server::mail::templates;
use crate::server::passkeys::store::PasskeyStore;
use crate::server::second_factor::store::FactorStore;
use sqlx::AnyConnection;

/// Marks `address` proven for the account (inside the caller's transaction) and, at the
/// first proof, removes what was added before it, with a notice to `address` (the caller
/// wakes the mail worker after its commit).
pub async fn proven(connection: &mut AnyConnection, user_id: i64, address: &str) -> Result<Proven, sqlx::Error> {
    let proven = UserStore::mark_verified(connection, user_id, address).await?;
    if proven == Proven::First {
        let app = FactorStore::remove(connection, user_id).await?;
        let passkeys = PasskeyStore::remove_all(connection, user_id).await?;
        if app || passkeys > 0 {
            tracing::info!(app, passkeys, "ways in added before the address was proven removed");
            Outbox::enqueue(connection, &templates::unproven_ways_in_removed(address, app, passkeys)).await?;
        }
    }
    Ok(proven)
}
