//! Administration: only for users whose role is `admin`, read from the database on
//! every request (through [`Principal`]).

pub mod api;

use super::account::users::Guarded;
use super::error::AuthError;
use super::http::validation_issues;
use super::sessions::Principal;
use super::state::AppState;
use crate::api::{Account, Role, UserPage};

pub const DEFAULT_PAGE_SIZE: i64 = 50;
pub const MAX_PAGE_SIZE: i64 = 100;

pub(crate) fn require_admin(principal: &Principal) -> Result<(), AuthError> {
    match principal.user.role() {
        Role::Admin => Ok(()),
        Role::User => Err(AuthError::Forbidden),
    }
}

#[tracing::instrument(name = "list_users", skip_all, fields(user_id = principal.user.id))]
pub async fn list_users(
    state: &AppState,
    principal: &Principal,
    limit: Option<i64>,
    offset: Option<i64>,
) -> Result<UserPage, AuthError> {
    require_admin(principal)?;
    let limit = limit.unwrap_or(DEFAULT_PAGE_SIZE);
    let offset = offset.unwrap_or(0);
    let mut refused = Vec::new();
    if limit < 1 {
        refused.push(validation_issues::query(
            "limit",
            "greater_than_equal",
            "Input should be greater than or equal to 1",
            Some(limit.into()),
        ));
    } else if limit > MAX_PAGE_SIZE {
        refused.push(validation_issues::query(
            "limit",
            "less_than_equal",
            format!("Input should be less than or equal to {MAX_PAGE_SIZE}"),
            Some(limit.into()),
        ));
    }
    if offset < 0 {
        refused.push(validation_issues::query(
            "offset",
            "greater_than_equal",
            "Input should be greater than or equal to 0",
            Some(offset.into()),
        ));
    }
    if !refused.is_empty() {
        return Err(AuthError::Invalid(refused));
    }
    let (users, total) = state.accounts.users.list(limit, offset).await?;
    Ok(UserPage {
        users,
        total,
        limit,
        offset,
    })
}

/// An admin changes another user's role; it applies to that user's next request.
#[tracing::instrument(name = "set_role", skip_all, fields(user_id = principal.user.id, target = id))]
pub async fn set_role(state: &AppState, principal: &Principal, id: i64, role: Role) -> Result<Account, AuthError> {
    require_admin(principal)?;
    // Demoting oneself could leave nobody able to administer; another admin must do it.
    if principal.user.id == id && role != Role::Admin {
        return Err(AuthError::Invalid(vec![validation_issues::body(
            "role",
            "value_error",
            "You cannot remove your own admin role",
            Some(role.as_str().into()),
        )]));
    }
    assign_role(state, id, role).await
}

/// Gives the user `role`, with no questions asked: for `set_role` once it has checked
/// who asks, and for the operator's `authkit promote`.
pub async fn assign_role(state: &AppState, id: i64, role: Role) -> Result<Account, AuthError> {
    let updated = match state.accounts.users.set_role(id, role).await? {
        Guarded::Done(user) => user,
        Guarded::NoSuchUser => return Err(AuthError::UnknownUser),
        Guarded::LastAdmin => return Err(AuthError::LastAdmin),
    };
    tracing::info!(target_user = id, role = role.as_str(), "role changed");
    let second_factor = state.second_factor.factors.is_enabled(updated.id).await?;
    Ok(updated.account(second_factor))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::test_support::{create_user, log_in, principal_of, test_state};

    async fn principal(state: &AppState, email: &str) -> Principal {
        let issued = log_in(state, email).await;
        principal_of(state, &issued).await
    }

    #[tokio::test]
    async fn only_admins_change_roles_and_never_their_own() {
        let t = test_state().await;
        let boss = create_user(&t.state, "boss@example.com", Role::Admin).await;
        let worker = create_user(&t.state, "worker@example.com", Role::User).await;
        let admin = principal(&t.state, "boss@example.com").await;
        let user = principal(&t.state, "worker@example.com").await;

        assert!(matches!(
            set_role(&t.state, &user, worker.id, Role::Admin).await,
            Err(AuthError::Forbidden)
        ));
        let promoted = set_role(&t.state, &admin, worker.id, Role::Admin).await.unwrap();
        assert_eq!(promoted.role, Role::Admin);
        // The worker's existing session sees the new role at its next request.
        assert_eq!(principal(&t.state, "worker@example.com").await.user.role(), Role::Admin);
        assert!(matches!(
            set_role(&t.state, &admin, boss.id, Role::User).await,
            Err(AuthError::Invalid(_))
        ));
        assert!(matches!(
            set_role(&t.state, &admin, 999_999, Role::User).await,
            Err(AuthError::UnknownUser)
        ));
        // Two admins demoting each other at once: both were admins when their requests
        // were authenticated, but only one demotion can win.
        let second = create_user(&t.state, "second@example.com", Role::Admin).await;
        let other_admin = principal(&t.state, "second@example.com").await;
        set_role(&t.state, &admin, worker.id, Role::User).await.unwrap();
        set_role(&t.state, &other_admin, boss.id, Role::User).await.unwrap();
        assert!(matches!(
            set_role(&t.state, &admin, second.id, Role::User).await,
            Err(AuthError::LastAdmin)
        ));
        assert_eq!(principal(&t.state, "second@example.com").await.user.role(), Role::Admin);

        let page = list_users(&t.state, &other_admin, Some(1), Some(1)).await.unwrap();
        assert_eq!((page.total, page.users.len()), (3, 1));
        assert_eq!(page.users[0].email, "worker@example.com");
    }
}
