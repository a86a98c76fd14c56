//! Signed-in test users without going through the sign-in flow (tests of sign-in use the flow itself).

use fairydust_entities::users;
use fairydust_schema::auth::Roles;
use fairydust_schema::identity::accounts::{NewAccount, create_account};
use fairydust_schema::identity::contact::Email;
use fairydust_schema::identity::sessions;
use fairydust_schema::state::RequestMeta;
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
    pub refresh_token: String,
}

impl TestApp {
    /// A new user (with the welcome bonus) and a valid access token for a live session.
    pub async fn user(&self) -> TestUser {
        self.user_with(Roles::default()).await
    }

    pub async fn admin(&self) -> TestUser {
        self.user_with(Roles {
            admin: true,
            builder: false,
        })
        .await
    }

    pub async fn builder(&self) -> TestUser {
        self.user_with(Roles {
            admin: false,
            builder: true,
        })
        .await
    }

    pub async fn user_with(&self, roles: Roles) -> TestUser {
        let email = format!("user-{}@example.com", Uuid::new_v4().simple());
        let account = NewAccount {
            email: Some(Email::parse(&email).unwrap()),
            phone: None,
            is_admin: roles.admin,
        };
        let user = create_account(&self.db, account)
            .await
            .expect("account created");
        if roles.builder {
            let mut active = user.clone().into_active_model();
            active.is_builder = Set(true);
            active.update(&self.db).await.expect("builder flag set");
        }
        let user = users::Entity::find_by_id(user.id)
            .one(&self.db)
            .await
            .unwrap()
            .expect("user exists");
        let state = &self.app.state.app;
        let tokens = sessions::start(
            &self.db,
            state.auth.keys(),
            &state.settings,
            &user,
            &RequestMeta::default(),
        )
        .await
        .expect("session started");
        TestUser {
            id: user.id,
            fairyname: user.fairyname,
            email,
            session_id: tokens.family_id,
            token: tokens.access_token,
            refresh_token: tokens.refresh_token,
        }
    }

    pub async fn balance(&self, user_id: Uuid) -> i32 {
        users::Entity::find_by_id(user_id)
            .one(&self.db)
            .await
            .unwrap()
            .expect("user exists")
            .dust_balance
    }
}
