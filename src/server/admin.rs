//! Administration: only for users whose role is `admin`, checked on every request.

use super::auth::{Principal, authenticate, state};
use super::error::AuthError;
use super::state::AppState;
use crate::api::{Account, Role, UserPage};

pub const DEFAULT_PAGE_SIZE: i64 = 50;
pub const MAX_PAGE_SIZE: i64 = 100;

async fn require_admin(state: &AppState) -> Result<Principal, AuthError> {
    let principal = authenticate(state).await?;
    match principal.user.role() {
        Role::Admin => Ok(principal),
        Role::User => Err(AuthError::Forbidden),
    }
}

#[tracing::instrument(name = "list_users", skip_all, fields(user_id))]
pub async fn list_users(limit: Option<i64>, offset: Option<i64>) -> Result<UserPage, AuthError> {
    let state = state()?;
    require_admin(&state).await?;
    let limit = limit.unwrap_or(DEFAULT_PAGE_SIZE);
    let offset = offset.unwrap_or(0);
    if !(1..=MAX_PAGE_SIZE).contains(&limit) {
        return Err(AuthError::InvalidBody(format!(
            "limit: must be between 1 and {MAX_PAGE_SIZE}"
        )));
    }
    if offset < 0 {
        return Err(AuthError::InvalidBody("offset: must not be negative".to_owned()));
    }
    let (users, total) = state.users.list(limit, offset).await?;
    Ok(UserPage {
        users: users.iter().map(|u| u.account()).collect(),
        total,
        limit,
        offset,
    })
}

#[tracing::instrument(name = "set_role", skip_all, fields(user_id, target = id))]
pub async fn set_role(id: i64, role: Role) -> Result<Account, AuthError> {
    let state = state()?;
    let admin = require_admin(&state).await?;
    // Demoting oneself could leave nobody able to administer; another admin must do it.
    if admin.user.id == id && role != Role::Admin {
        return Err(AuthError::InvalidBody(
            "role: you cannot remove your own admin role".to_owned(),
        ));
    }
    let updated = state.users.set_role(id, role).await?.ok_or(AuthError::UnknownUser)?;
    tracing::info!(role = role.as_str(), "role changed");
    Ok(updated.account())
}
