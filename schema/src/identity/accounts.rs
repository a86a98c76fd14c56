//! Creating accounts: a unique fairyname and the welcome bonus, in one database transaction.

use fairydust_entities::{admin_audit_log, now, users};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, IntoActiveModel, QueryFilter, TransactionSession, TransactionTrait,
};
use uuid::Uuid;

use super::contact::{Email, Phone};
use super::delivery::Identifier;
use super::{IdentityError, fairyname};
use crate::db_errors::{UniqueKey, violates_unique};
use crate::ledger::{self, Entry, TransactionKind, WELCOME_BONUS};

pub const UNIQUE_FAIRYNAME: UniqueKey = UniqueKey::new("uq_users_fairyname", "users.fairyname");
pub const UNIQUE_EMAIL: UniqueKey = UniqueKey::new("uq_users_email", "users.email");
pub const UNIQUE_PHONE: UniqueKey = UniqueKey::new("uq_users_phone", "users.phone");

/// Attempts at a random fairyname before giving up; with 36 million names a clash is already rare.
const FAIRYNAME_ATTEMPTS: usize = 8;

#[derive(Clone, Debug, Default)]
pub struct NewAccount {
    pub email: Option<Email>,
    pub phone: Option<Phone>,
    pub is_admin: bool,
}

/// Creates the user and grants the welcome bonus, both or neither. A clash on email or phone (a
/// concurrent first sign-in for the same identifier) is `ContactTaken`; the caller then signs in the
/// account that won.
pub async fn create_account(
    db: &DatabaseConnection,
    account: NewAccount,
) -> Result<users::Model, IdentityError> {
    let txn = db.begin().await?;
    let user = create_account_in(&txn, &account).await?;
    txn.commit().await?;
    Ok(user)
}

/// [`create_account`] inside the caller's transaction, so more rows (an OAuth identity) can join it.
pub async fn create_account_in<C: TransactionTrait + ConnectionTrait>(
    txn: &C,
    account: &NewAccount,
) -> Result<users::Model, IdentityError> {
    let user = insert_user(txn, account).await?;
    ledger::post(
        txn,
        Entry::new(user.id, WELCOME_BONUS, TransactionKind::Grant).described("Welcome bonus"),
    )
    .await?;
    Ok(users::Model {
        dust_balance: WELCOME_BONUS,
        ..user
    })
}

pub async fn find_by_identifier(
    db: &DatabaseConnection,
    identifier: &Identifier,
) -> Result<Option<users::Model>, sea_orm::DbErr> {
    let filter = match identifier {
        Identifier::Email(email) => users::Column::Email.eq(email.as_str()),
        Identifier::Phone(phone) => users::Column::Phone.eq(phone.as_str()),
    };
    users::Entity::find().filter(filter).one(db).await
}

/// The account for this email or phone, created (with its welcome bonus) on first use. Concurrent
/// first sign-ins for one identifier yield one account. Returns the user and whether it is new.
pub async fn find_or_create(
    db: &DatabaseConnection,
    identifier: &Identifier,
) -> Result<(users::Model, bool), IdentityError> {
    if let Some(user) = find_by_identifier(db, identifier).await? {
        return Ok((user, false));
    }
    let account = match identifier {
        Identifier::Email(email) => NewAccount {
            email: Some(email.clone()),
            ..NewAccount::default()
        },
        Identifier::Phone(phone) => NewAccount {
            phone: Some(phone.clone()),
            ..NewAccount::default()
        },
    };
    match create_account(db, account).await {
        Ok(user) => Ok((user, true)),
        Err(IdentityError::ContactTaken) => {
            let user = find_by_identifier(db, identifier)
                .await?
                .ok_or(IdentityError::UserNotFound)?;
            Ok((user, false))
        }
        Err(error) => Err(error),
    }
}

async fn insert_user<C: TransactionTrait + ConnectionTrait>(
    txn: &C,
    account: &NewAccount,
) -> Result<users::Model, IdentityError> {
    for _ in 0..FAIRYNAME_ATTEMPTS {
        let at = now();
        let user = users::Model {
            id: Uuid::now_v7(),
            fairyname: fairyname::generate(),
            email: account.email.as_ref().map(|e| e.as_str().to_owned()),
            phone: account.phone.as_ref().map(|p| p.as_str().to_owned()),
            is_builder: false,
            is_admin: account.is_admin,
            is_active: true,
            is_system: false,
            dust_balance: 0,
            first_name: None,
            birth_date: None,
            age_range: None,
            city: None,
            country: None,
            avatar_url: None,
            streak_days: 0,
            last_daily_bonus_date: None,
            last_daily_bonus_at: None,
            total_profiling_sessions: 0,
            last_profiling_session_at: None,
            created_at: at,
            updated_at: at,
        };
        // A savepoint: on PostgreSQL a failed INSERT would otherwise abort the whole transaction.
        let attempt = txn.begin().await?;
        match users::Entity::insert(user.clone().into_active_model())
            .exec_without_returning(&attempt)
            .await
        {
            Ok(_) => {
                attempt.commit().await?;
                return Ok(user);
            }
            Err(error) if violates_unique(&error, UNIQUE_FAIRYNAME) => attempt.rollback().await?,
            Err(error)
                if violates_unique(&error, UNIQUE_EMAIL)
                    || violates_unique(&error, UNIQUE_PHONE) =>
            {
                return Err(IdentityError::ContactTaken);
            }
            Err(error) => return Err(error.into()),
        }
    }
    Err(IdentityError::FairynameExhausted)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdminOutcome {
    Created,
    Promoted,
    AlreadyAdmin,
}

/// `server create-admin`: promotes the account with this email, or creates it as an admin.
pub async fn create_or_promote_admin(
    db: &DatabaseConnection,
    email: &Email,
) -> Result<(users::Model, AdminOutcome), IdentityError> {
    loop {
        if let Some(user) = users::Entity::find()
            .filter(users::Column::Email.eq(email.as_str()))
            .one(db)
            .await?
        {
            if user.is_admin {
                return Ok((user, AdminOutcome::AlreadyAdmin));
            }
            let before = serde_json::json!({ "is_admin": false });
            let mut active = user.into_active_model();
            active.is_admin = Set(true);
            active.updated_at = Set(now());
            let promoted = active.update(db).await?;
            record_cli_audit(db, promoted.id, "promote_admin", Some(before)).await?;
            return Ok((promoted, AdminOutcome::Promoted));
        }
        match create_account(
            db,
            NewAccount {
                email: Some(email.clone()),
                phone: None,
                is_admin: true,
            },
        )
        .await
        {
            Ok(user) => {
                record_cli_audit(db, user.id, "create_admin", None).await?;
                return Ok((user, AdminOutcome::Created));
            }
            // Someone created the account in between: promote it on the next pass.
            Err(IdentityError::ContactTaken) => continue,
            Err(error) => return Err(error),
        }
    }
}

async fn record_cli_audit(
    db: &DatabaseConnection,
    user_id: Uuid,
    action: &str,
    before: Option<serde_json::Value>,
) -> Result<(), sea_orm::DbErr> {
    let at = now();
    admin_audit_log::ActiveModel {
        id: Set(Uuid::now_v7()),
        actor_id: Set(None),
        action: Set(format!("cli.{action}")),
        target_type: Set("user".to_owned()),
        target_id: Set(user_id.to_string()),
        before: Set(before),
        after: Set(Some(serde_json::json!({ "is_admin": true }))),
        reason: Set(Some("server create-admin".to_owned())),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(db)
    .await?;
    Ok(())
}
