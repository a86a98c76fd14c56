//! Builders' apps: creation (auto-approved), edits by the owner or an admin, the action price list,
//! and the admin status transitions.

use fairydust_entities::apps::{AppCategory, AppStatus};
use fairydust_entities::{app_actions, apps, now, users};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use super::{AppsError, access, catalog, slug};
use crate::admin::audit::{self, AuditEntry};
use crate::auth::Principal;
use crate::cache::Cache;
use crate::db_errors::{UniqueKey, violates_unique};
use crate::identity::sessions;
use crate::validation;

pub const MAX_ACTION_COST: i32 = 10_000;
const UNIQUE_SLUG: UniqueKey = UniqueKey::new("uq_apps_slug", "apps.slug");

/// Fields of an app; on update `None` leaves a field alone and `Some(None)` clears an optional one.
#[derive(Clone, Debug, Default)]
pub struct AppFields {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub description: Option<String>,
    pub category: Option<AppCategory>,
    pub icon_url: Option<Option<String>>,
    pub website_url: Option<Option<String>>,
    pub demo_url: Option<Option<String>>,
    pub callback_url: Option<Option<String>>,
    pub is_active: Option<bool>,
}

fn invalid(message: impl Into<String>) -> AppsError {
    AppsError::InvalidInput(message.into())
}

/// An error about one field, named as in the GraphQL input (`extensions.field`).
fn invalid_field(field: &'static str) -> impl Fn(String) -> AppsError {
    move |message| AppsError::InvalidField { field, message }
}

fn apply(mut app: apps::ActiveModel, fields: &AppFields) -> Result<apps::ActiveModel, AppsError> {
    if let Some(name) = &fields.name {
        app.name = Set(validation::text("name", name, 100).map_err(invalid_field("name"))?);
    }
    if let Some(slug) = &fields.slug {
        if !slug::is_valid(slug) {
            return Err(invalid_field("slug")(
                "slug must be lower-case letters and digits in dash-separated words, at most 64"
                    .into(),
            ));
        }
        app.slug = Set(slug.clone());
    }
    if let Some(description) = &fields.description {
        app.description = Set(validation::text("description", description, 2000)
            .map_err(invalid_field("description"))?);
    }
    if let Some(category) = fields.category {
        app.category = Set(category);
    }
    let url = |field: &'static str,
               value: &Option<Option<String>>|
     -> Result<Option<Option<String>>, AppsError> {
        match value {
            Some(Some(url)) => {
                validation::http_url(field, url).map_err(invalid_field(field))?;
                Ok(Some(Some(url.clone())))
            }
            other => Ok(other.clone()),
        }
    };
    if let Some(icon) = url("iconUrl", &fields.icon_url)? {
        app.icon_url = Set(icon);
    }
    if let Some(website) = url("websiteUrl", &fields.website_url)? {
        app.website_url = Set(website);
    }
    if let Some(demo) = url("demoUrl", &fields.demo_url)? {
        app.demo_url = Set(demo);
    }
    if let Some(callback) = url("callbackUrl", &fields.callback_url)? {
        app.callback_url = Set(callback);
    }
    if let Some(active) = fields.is_active {
        app.is_active = Set(active);
    }
    app.updated_at = Set(now());
    Ok(app)
}

/// Counts an app creation against the builder's per-minute write throttle.
pub async fn throttle_create(
    cache: &dyn Cache,
    limits: &crate::settings::ContentLimits,
    builder_id: Uuid,
) -> Result<(), AppsError> {
    match crate::write_limits::hit(cache, limits, builder_id).await? {
        Some(retry_after) => Err(AppsError::RateLimited { retry_after }),
        None => Ok(()),
    }
}

/// Creates an app: approved and active at once when `auto_approve` (the `APP_AUTO_APPROVE` setting),
/// otherwise pending in the admins' review queue. A slug derived from the name gets `-2`, `-3`, … when
/// taken. A builder keeps at most `max_apps` apps (checked before the insert; the write throttle bounds
/// what parallel creations could add past it).
pub async fn create(
    db: &DatabaseConnection,
    builder_id: Uuid,
    fields: AppFields,
    max_apps: u64,
    auto_approve: bool,
) -> Result<apps::Model, AppsError> {
    let owned = apps::Entity::find()
        .filter(apps::Column::BuilderId.eq(builder_id))
        .count(db)
        .await?;
    if owned >= max_apps {
        return Err(invalid(format!(
            "a builder can have at most {max_apps} apps"
        )));
    }
    let name = fields
        .name
        .clone()
        .ok_or_else(|| invalid_field("name")("name is required".into()))?;
    fields
        .description
        .as_ref()
        .ok_or_else(|| invalid_field("description")("description is required".into()))?;
    fields
        .category
        .as_ref()
        .ok_or_else(|| invalid_field("category")("category is required".into()))?;
    let (base, derived) = match &fields.slug {
        Some(slug) => (slug.clone(), false),
        None => (slug::from_name(&name), true),
    };
    if base.is_empty() {
        return Err(invalid_field("name")(
            "the name needs a letter or digit to make a slug from; or give a slug".into(),
        ));
    }
    let attempts = if derived { 50 } else { 1 };
    for n in 1..=attempts {
        let at = now();
        let blank = apps::ActiveModel {
            id: Set(Uuid::now_v7()),
            builder_id: Set(builder_id),
            name: Set(String::new()),
            slug: Set(String::new()),
            description: Set(String::new()),
            category: Set(AppCategory::Other),
            icon_url: Set(None),
            website_url: Set(None),
            demo_url: Set(None),
            callback_url: Set(None),
            status: Set(if auto_approve {
                AppStatus::Approved
            } else {
                AppStatus::Pending
            }),
            is_active: Set(true),
            admin_notes: Set(None),
            created_at: Set(at),
            updated_at: Set(at),
        };
        let candidate = AppFields {
            slug: Some(slug::candidate(&base, n)),
            ..fields.clone()
        };
        match apply(blank, &candidate)?.insert(db).await {
            Ok(app) => return Ok(app),
            Err(error) if violates_unique(&error, UNIQUE_SLUG) => continue,
            Err(error) => return Err(error.into()),
        }
    }
    Err(AppsError::SlugTaken(base))
}

/// The app, if the viewer may edit it: an admin, or its builder while they hold the builder right
/// ([`access::operated_by`]). Others get NOT_FOUND (an app they cannot see) or FORBIDDEN.
pub async fn editable(
    db: &DatabaseConnection,
    viewer: &Principal,
    app_id: Uuid,
) -> Result<apps::Model, AppsError> {
    access::operated_by(
        db,
        viewer,
        &catalog::AppRef::Id(app_id),
        "Only the app's builder or an admin can change it",
    )
    .await
}

/// An admin changing someone else's app is an admin action: it leaves an audit row, written in the
/// caller's transaction. A builder changing their own app does not.
pub async fn audit_admin_edit<C: ConnectionTrait>(
    conn: &C,
    viewer: &Principal,
    app: &apps::Model,
    action: &str,
    after: serde_json::Value,
) -> Result<(), sea_orm::DbErr> {
    if app.builder_id == viewer.user_id {
        return Ok(());
    }
    audit::record(
        conn,
        AuditEntry {
            actor_id: viewer.user_id,
            action,
            target_type: "app",
            target_id: app.id.to_string(),
            before: None,
            after: Some(after),
            reason: None,
        },
    )
    .await
}

pub async fn update(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    viewer: &Principal,
    app_id: Uuid,
    fields: AppFields,
) -> Result<apps::Model, AppsError> {
    let app = editable(db, viewer, app_id).await?;
    let old_slug = app.slug.clone();
    let txn = db.begin().await?;
    let updated = match apply(app.clone().into_active_model(), &fields)?
        .update(&txn)
        .await
    {
        Ok(app) => app,
        Err(error) if violates_unique(&error, UNIQUE_SLUG) => {
            return Err(AppsError::SlugTaken(fields.slug.unwrap_or_default()));
        }
        Err(error) => return Err(error.into()),
    };
    let after =
        json!({ "name": updated.name, "slug": updated.slug, "is_active": updated.is_active });
    audit_admin_edit(&txn, viewer, &app, "apps.update", after).await?;
    txn.commit().await?;
    catalog::invalidate(cache, app_id).await?;
    if updated.slug != old_slug {
        catalog::forget_slug(cache, &old_slug).await?;
    }
    Ok(updated)
}

/// Adds or re-prices an action.
pub async fn set_action(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    viewer: &Principal,
    app_id: Uuid,
    action: &str,
    dust_cost: i32,
    description: Option<String>,
) -> Result<app_actions::Model, AppsError> {
    let app = editable(db, viewer, app_id).await?;
    validation::snake_slug("action", action, 64).map_err(invalid_field("action"))?;
    if !(1..=MAX_ACTION_COST).contains(&dust_cost) {
        return Err(invalid_field("dustCost")(format!(
            "dustCost must be between 1 and {MAX_ACTION_COST}"
        )));
    }
    let at = now();
    let row = app_actions::ActiveModel {
        id: Set(Uuid::now_v7()),
        app_id: Set(app_id),
        action: Set(action.to_owned()),
        dust_cost: Set(dust_cost),
        description: Set(description),
        created_at: Set(at),
        updated_at: Set(at),
    };
    use app_actions::Column as C;
    let txn = db.begin().await?;
    app_actions::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([C::AppId, C::Action])
                .update_columns([C::DustCost, C::Description, C::UpdatedAt])
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    let after = json!({ "action": action, "dust_cost": dust_cost });
    audit_admin_edit(&txn, viewer, &app, "apps.set_action", after).await?;
    txn.commit().await?;
    catalog::invalidate(cache, app_id).await?;
    app_actions::Entity::find()
        .filter(C::AppId.eq(app_id))
        .filter(C::Action.eq(action))
        .one(db)
        .await?
        .ok_or(AppsError::NotFound("Action"))
}

pub async fn remove_action(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    viewer: &Principal,
    app_id: Uuid,
    action: &str,
) -> Result<(), AppsError> {
    let app = editable(db, viewer, app_id).await?;
    let txn = db.begin().await?;
    let removed = app_actions::Entity::delete_many()
        .filter(app_actions::Column::AppId.eq(app_id))
        .filter(app_actions::Column::Action.eq(action))
        .exec(&txn)
        .await?;
    if removed.rows_affected == 0 {
        return Err(AppsError::NotFound("Action"));
    }
    audit_admin_edit(
        &txn,
        viewer,
        &app,
        "apps.remove_action",
        json!({ "action": action }),
    )
    .await?;
    txn.commit().await?;
    catalog::invalidate(cache, app_id).await?;
    Ok(())
}

/// The admin decisions on an app.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject,
    Suspend,
    Reactivate,
}

impl Decision {
    fn target(self) -> AppStatus {
        match self {
            Decision::Approve | Decision::Reactivate => AppStatus::Approved,
            Decision::Reject => AppStatus::Rejected,
            Decision::Suspend => AppStatus::Suspended,
        }
    }

    /// pending→approved|rejected, approved→suspended, suspended|rejected→approved.
    fn allowed_from(self, status: AppStatus) -> bool {
        use AppStatus::*;
        matches!(
            (self, status),
            (Decision::Approve | Decision::Reject, Pending)
                | (Decision::Suspend, Approved)
                | (Decision::Reactivate, Suspended | Rejected)
        )
    }

    fn audit_action(self) -> &'static str {
        match self {
            Decision::Approve => "apps.approve",
            Decision::Reject => "apps.reject",
            Decision::Suspend => "apps.suspend",
            Decision::Reactivate => "apps.reactivate",
        }
    }
}

/// Applies an admin decision, if the current status allows it, with its audit row in one transaction.
pub async fn decide(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    admin_id: Uuid,
    app_id: Uuid,
    decision: Decision,
    note: Option<String>,
) -> Result<apps::Model, AppsError> {
    let note = note
        .map(|n| validation::text("note", &n, 2000))
        .transpose()
        .map_err(invalid)?;
    let txn = db.begin().await?;
    let app = apps::Entity::find_by_id(app_id)
        .one(&txn)
        .await?
        .ok_or(AppsError::NotFound("App"))?;
    if !decision.allowed_from(app.status) {
        return Err(AppsError::InvalidTransition {
            from: app.status,
            to: decision.target(),
        });
    }
    // The status is part of the UPDATE's condition, so two admins deciding at once cannot both win.
    let changed = apps::Entity::update_many()
        .col_expr(apps::Column::Status, Expr::value(decision.target()))
        .col_expr(
            apps::Column::AdminNotes,
            Expr::value(note.clone().or(app.admin_notes.clone())),
        )
        .col_expr(apps::Column::UpdatedAt, Expr::value(now()))
        .filter(apps::Column::Id.eq(app_id))
        .filter(apps::Column::Status.eq(app.status))
        .exec_with_returning(&txn)
        .await?;
    let Some(updated) = changed.into_iter().next() else {
        return Err(AppsError::InvalidTransition {
            from: app.status,
            to: decision.target(),
        });
    };
    audit::record(
        &txn,
        AuditEntry {
            actor_id: admin_id,
            action: decision.audit_action(),
            target_type: "app",
            target_id: app_id.to_string(),
            before: Some(json!({ "status": app.status })),
            after: Some(json!({ "status": updated.status })),
            reason: note,
        },
    )
    .await?;
    txn.commit().await?;
    catalog::invalidate(cache, app_id).await?;
    Ok(updated)
}

/// Turns builder rights on for the caller (opt-in) or, by an admin, on or off for anyone.
pub async fn set_builder(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    actor: &Principal,
    user_id: Uuid,
    is_builder: bool,
) -> Result<users::Model, AppsError> {
    let by_admin = actor.user_id != user_id;
    if by_admin && !actor.roles.admin {
        return Err(AppsError::Forbidden(
            "Only admins can change another user's builder rights",
        ));
    }
    if !by_admin && !is_builder && !actor.roles.admin {
        return Err(AppsError::Forbidden(
            "Ask an admin to remove builder rights",
        ));
    }
    let txn = db.begin().await?;
    let user = users::Entity::find_by_id(user_id)
        .one(&txn)
        .await?
        .ok_or(AppsError::NotFound("User"))?;
    let before = user.is_builder;
    let mut active = user.into_active_model();
    active.is_builder = Set(is_builder);
    active.updated_at = Set(now());
    let user = active.update(&txn).await?;
    if by_admin {
        audit::record(
            &txn,
            AuditEntry {
                actor_id: actor.user_id,
                action: "users.set_builder",
                target_type: "user",
                target_id: user_id.to_string(),
                before: Some(json!({ "is_builder": before })),
                after: Some(json!({ "is_builder": is_builder })),
                reason: None,
            },
        )
        .await?;
    }
    txn.commit().await?;
    if !by_admin {
        // Self-service is not an admin action, so it has no audit row; the log keeps the trail.
        tracing::info!(user_id = %user_id, was_builder = before, "user opted in as a builder");
    }
    sessions::forget_principals(db, cache, user_id).await?;
    Ok(user)
}
