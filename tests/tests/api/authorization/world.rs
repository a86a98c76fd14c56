//! A fresh little platform for one call of the matrix: an owner with something of everything, a builder
//! with an app, and the actor of the role under test. Fresh for every call, so a mutation allowed for one
//! role never changes what the next role meets.

use fairydust_entities::{now, user_stories};
use fairydust_schema::identity::sessions;
use fairydust_schema::state::RequestMeta;
use fairydust_tests::{MockIdentityProvider, TestApp, TestUser};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use super::Role;

pub struct World {
    pub owner: TestUser,
    pub app_owner: TestUser,
    /// Every id a document of the table may name, as GraphQL variables.
    pub variables: Value,
}

const MODEL_CONFIG: &str = "mutation M($id: ID!, $input: AppModelConfigInput!) { setAppModelConfig(appId: $id, input: $input) { model } }";
const SAVE_RECIPE: &str = "mutation R($app: ID!) { saveRecipe(input: {appId: $app, title: \"Soup\", content: \"# Soup\"}) { id } }";
const ADD_PERSON: &str =
    "mutation { addPerson(input: {name: \"Ada\", relationship: \"friend\"}) { id } }";
const ADD_FACT: &str = "mutation { upsertProfileData(items: [{category: \"cooking\", fieldName: \"cooking_skill_level\", fieldValue: \"beginner\"}]) { fieldName } }";
const CONSUME: &str = "mutation C($app: ID!, $key: String!) { consumeDust(input: {appId: $app, action: \"use\", idempotencyKey: $key}) { id } }";
const CREATE_QUESTION: &str = "mutation Q($id: String!) { createQuestion(input: {id: $id, category: \"fun\", text: \"Cats or dogs?\", type: SINGLE_CHOICE, profileField: \"pet\", priority: 5, options: [{value: \"cats\", label: \"Cats\"}, {value: \"dogs\", label: \"Dogs\"}]}) { id } }";

impl World {
    /// `document` is the call about to be made: a sign-in code is requested only when it uses one, as
    /// codes are limited per client IP.
    pub async fn build(app: &TestApp, curator: &TestUser, document: &str) -> World {
        let owner = app.user().await;
        let app_owner = app.builder().await;
        let the_app = app.priced_app(app_owner.id, &[("use", 1)]).await;
        let model_config = json!({
            "provider": "ANTHROPIC", "model": "claude-3-5-haiku-20241022",
            "parameters": { "temperature": 0.8, "maxTokens": 150, "topP": 0.9 },
            "costLimits": { "perRequestMax": "0.05", "dailyMax": "10", "monthlyMax": "100" },
        });
        app.gql_as(
            &app_owner.token,
            MODEL_CONFIG,
            json!({ "id": the_app.id, "input": model_config }),
        )
        .await
        .data();

        let as_owner = |query: &'static str, variables: Value| {
            let token = owner.token.clone();
            async move { app.gql_as(&token, query, variables).await }
        };
        let recipe = as_owner(SAVE_RECIPE, json!({ "app": the_app.slug })).await;
        let person = as_owner(ADD_PERSON, json!({})).await;
        as_owner(ADD_FACT, json!({})).await.data();
        let consume = as_owner(
            CONSUME,
            json!({ "app": the_app.slug, "key": fresh("setup") }),
        )
        .await;
        let story = insert_story(app, owner.id).await;
        let (session, refresh_token) = second_session(app, &owner).await;

        let question = format!("q_{}", &Uuid::new_v4().simple().to_string()[..12]);
        app.gql_as(&curator.token, CREATE_QUESTION, json!({ "id": question }))
            .await
            .data();

        let otp_email = format!("otp-{}@example.com", Uuid::new_v4().simple());
        let code = if document.contains("$code") {
            request_code(app, &otp_email).await
        } else {
            "000000".to_owned()
        };
        let nonce = fresh("nonce");
        let subject = fresh("google");
        let mut claims = MockIdentityProvider::google_claims(
            &subject,
            Some(&format!("{subject}@example.com")),
            true,
        );
        claims["nonce"] = json!(nonce);

        let variables = json!({
            "owner": owner.id,
            "app": the_app.id,
            "appSlug": the_app.slug,
            "recipe": recipe.at("saveRecipe.id"),
            "person": person.at("addPerson.id"),
            "transaction": consume.at("consumeDust.id"),
            "story": story,
            "session": session,
            "refreshToken": refresh_token,
            "question": question,
            "email": otp_email,
            "code": code,
            "idToken": MockIdentityProvider::sign(&claims),
            "nonce": nonce,
            "key": fresh("key"),
            // Replaced by a real code for signed-in callers (see `contact_change_code`).
            "contactCode": "123456",
            "newEmail": format!("new-{}@example.com", Uuid::new_v4().simple()),
            "from": (chrono::Utc::now() - chrono::Duration::days(7)).to_rfc3339(),
            "to": (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339(),
        });
        World {
            owner,
            app_owner,
            variables,
        }
    }

    /// The token the role calls with (none for anonymous); users, builders and admins are new ones.
    pub async fn token_for(&self, app: &TestApp, role: Role) -> Option<String> {
        match role {
            Role::Anonymous => None,
            Role::User => Some(app.user().await.token),
            Role::Owner => Some(self.owner.token.clone()),
            Role::Builder => Some(app.builder().await.token),
            Role::AppOwner => Some(self.app_owner.token.clone()),
            Role::Admin => Some(app.admin().await.token),
        }
    }
}

fn fresh(prefix: &str) -> String {
    format!("{prefix}-{}", Uuid::new_v4().simple())
}

async fn insert_story(app: &TestApp, user_id: Uuid) -> Uuid {
    let at = now();
    let id = Uuid::now_v7();
    user_stories::ActiveModel {
        id: Set(id),
        user_id: Set(user_id),
        title: Set("The brave cat".into()),
        content: Set("Once upon a time a cat was brave.".into()),
        genre: Set("adventure".into()),
        length: Set("short".into()),
        target_audience: Set("family".into()),
        characters: Set(json!([])),
        metadata: Set(json!({})),
        dust_cost: Set(2),
        word_count: Set(8),
        is_favorited: Set(false),
        idempotency_key: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(&app.db)
    .await
    .expect("story inserted");
    id
}

/// Another device of the owner: the session `revokeSession` names and the refresh token
/// `refreshSession` spends.
async fn second_session(app: &TestApp, owner: &TestUser) -> (Uuid, String) {
    let user = fairydust_entities::users::Entity::find_by_id(owner.id)
        .one(&app.db)
        .await
        .unwrap()
        .expect("owner exists");
    let state = &app.app.state.app;
    let tokens = sessions::start(
        &app.db,
        state.auth.keys(),
        &state.settings,
        &user,
        &RequestMeta::default(),
    )
    .await
    .expect("second session");
    (tokens.family_id, tokens.refresh_token)
}

async fn request_code(app: &TestApp, email: &str) -> String {
    app.request_email_code(email).await.data();
    app.providers
        .email_code(email)
        .await
        .expect("the code was sent")
}
