//! Signed-in test users without going through the sign-in flow (tests of sign-in use the flow itself).

use chrono::Utc;
use fairydust_entities::{auth_sessions, now, users};
use fairydust_schema::auth::Roles;
use fairydust_schema::identity::accounts::{NewAccount, create_account};
use fairydust_schema::identity::contact::Email;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, IntoActiveModel};
use uuid::Uuid;

use crate::TestApp;

#[derive(Clone, Debug)]
pub struct TestUser {
    pub id: Uuid,
    pub fairyname: String,
    pub email: String,
    pub session_id: Uuid,
    pub token: String,
}

impl TestApp {
    /// A new user (with the welcome bonus) and a valid access token for a live session.
    pub async fn user(&self) -> TestUser {
        self.user_with(Roles::default()).await
    }

    pub async fn admin(&self) -> TestUser {
        self.user_with(Roles { admin: true, builder: false }).await
    }

    pub async fn builder(&self) -> TestUser {
        self.user_with(Roles { admin: false, builder: true }).await
    }

    pub async fn user_with(&self, roles: Roles) -> TestUser {
        let email = format!("user-{}@example.com", Uuid::new_v4().simple());
        let account = NewAccount { email: Some(Email::parse(&email).unwrap()), phone: None, is_admin: roles.admin };
        let user = create_account(&self.db, account).await.expect("account created");
        if roles.builder {
            let mut active = user.clone().into_active_model();
            active.is_builder = Set(true);
            active.update(&self.db).await.expect("builder flag set");
        }
        let session_id = self.insert_session(user.id).await;
        let (token, _) = self.app.state.app.auth.keys().issue_access(
            user.id,
            session_id,
            roles.names(),
            Utc::now(),
            chrono::Duration::hours(1),
        );
        TestUser { id: user.id, fairyname: user.fairyname, email, session_id, token }
    }

    /// A live session family for `user_id`, as sign-in would create.
    pub async fn insert_session(&self, user_id: Uuid) -> Uuid {
        let at = now();
        let family = Uuid::now_v7();
        auth_sessions::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(user_id),
            refresh_token_hash: Set(format!("{:064x}", rand_u128())),
            family_id: Set(family),
            expires_at: Set(at + chrono::Duration::days(30)),
            rotated_at: Set(None),
            revoked_at: Set(None),
            last_used_at: Set(at),
            user_agent: Set(Some("fairydust-tests".into())),
            ip: Set(Some("127.0.0.1".into())),
            created_at: Set(at),
            updated_at: Set(at),
        }
        .insert(&self.db)
        .await
        .expect("session inserted");
        family
    }

    pub async fn balance(&self, user_id: Uuid) -> i32 {
        users::Entity::find_by_id(user_id).one(&self.db).await.unwrap().expect("user exists").dust_balance
    }
}

fn rand_u128() -> u128 {
    Uuid::new_v4().as_u128()
}
