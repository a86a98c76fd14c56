//! Shared helpers of the admin API tests.

use fairydust_entities::{admin_audit_log, users};
use fairydust_tests::TestApp;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

/// Sets a column of a user directly, for data the API has no way to produce (odd emails, fixed names).
pub(crate) async fn set_user(app: &TestApp, id: Uuid, column: users::Column, value: &str) {
    users::Entity::update_many()
        .col_expr(column, Expr::value(value))
        .filter(users::Column::Id.eq(id))
        .exec(&app.db)
        .await
        .unwrap();
}

/// The audit rows of one action on one target.
pub(crate) async fn audit_rows(
    app: &TestApp,
    action: &str,
    target_id: &str,
) -> Vec<admin_audit_log::Model> {
    admin_audit_log::Entity::find()
        .filter(admin_audit_log::Column::Action.eq(action))
        .filter(admin_audit_log::Column::TargetId.eq(target_id))
        .all(&app.db)
        .await
        .unwrap()
}

/// Another device signing in as `user_id` (through the service, as the harness does: sign-in codes
/// are rate-limited per address, so a test can request only one).
pub(crate) async fn new_session(
    app: &TestApp,
    user_id: Uuid,
) -> Result<String, fairydust_schema::identity::IdentityError> {
    let user = users::Entity::find_by_id(user_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let state = &app.app.state.app;
    fairydust_schema::identity::sessions::start(
        &app.db,
        state.auth.keys(),
        &state.settings,
        &user,
        &Default::default(),
    )
    .await
    .map(|tokens| tokens.access_token)
}
