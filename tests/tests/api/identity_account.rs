//! The caller's own account: details, contact changes, public profiles, daily bonus.

use fairydust_entities::{auth_sessions, dust_transactions, users};
use fairydust_tests::TestApp;
use futures_util::future::join_all;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

const UPDATE: &str = "mutation U($input: UpdateMeInput!) { updateMe(input: $input) { fairyname firstName city ageRange birthDate avatarUrl } }";

#[tokio::test]
async fn users_update_their_details_with_validation() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let other = app.user().await;
    let changed = app
        .gql_as(&user.token, UPDATE, json!({ "input": { "fairyname": "moon_dancer", "firstName": "Ada", "city": "Oslo", "ageRange": "25_34", "birthDate": "1990-04-01" } }))
        .await;
    assert_eq!(changed.at("updateMe.fairyname"), "moon_dancer");
    assert_eq!(changed.at("updateMe.city"), "Oslo");
    // null clears, absence keeps.
    let cleared = app
        .gql_as(&user.token, UPDATE, json!({ "input": { "city": null } }))
        .await;
    assert!(cleared.at("updateMe.city").is_null());
    assert_eq!(cleared.at("updateMe.firstName"), "Ada");

    app.gql_as(
        &other.token,
        UPDATE,
        json!({ "input": { "fairyname": "moon_dancer" } }),
    )
    .await
    .expect_error("CONFLICT");
    for bad in [
        json!({ "fairyname": "ab" }),
        json!({ "fairyname": "Has-Caps" }),
        json!({ "ageRange": "ancient" }),
        json!({ "birthDate": "2999-01-01" }),
        json!({ "avatarUrl": "javascript:alert(1)" }),
        json!({ "firstName": "x".repeat(101) }),
    ] {
        app.gql_as(&user.token, UPDATE, json!({ "input": bad }))
            .await
            .expect_error("BAD_USER_INPUT");
    }
    app.gql(UPDATE, json!({ "input": { "city": "x" } }))
        .await
        .expect_error("UNAUTHENTICATED");
}

const REQUEST_CHANGE: &str =
    "mutation C($input: RequestOtpInput!) { requestContactChange(input: $input) { sentTo } }";
const CONFIRM_CHANGE: &str =
    "mutation F($code: String!) { confirmContactChange(code: $code) { email } }";

#[tokio::test]
async fn changing_email_needs_a_code_sent_to_the_new_address() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let other = app.user().await;
    app.gql_as(
        &user.token,
        REQUEST_CHANGE,
        json!({ "input": { "email": "New@Example.com" } }),
    )
    .await
    .data();
    let code = app.providers.email_code("new@example.com").await.unwrap();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    app.gql_as(&user.token, CONFIRM_CHANGE, json!({ "code": wrong }))
        .await
        .expect_error("UNAUTHENTICATED");
    // Another user cannot use the code.
    app.gql_as(&other.token, CONFIRM_CHANGE, json!({ "code": code }))
        .await
        .expect_error("UNAUTHENTICATED");
    let confirmed = app
        .gql_as(&user.token, CONFIRM_CHANGE, json!({ "code": code }))
        .await;
    assert_eq!(
        confirmed.at("confirmContactChange.email"),
        "new@example.com"
    );
}

#[tokio::test]
async fn a_taken_address_answers_like_a_free_one_until_its_code_proves_ownership() {
    let app = TestApp::spawn().await;
    let (user, owner, third) = (app.user().await, app.user().await, app.user().await);
    let taken = app
        .gql_as(
            &user.token,
            REQUEST_CHANGE,
            json!({ "input": { "email": owner.email } }),
        )
        .await;
    let free = app
        .gql_as(
            &third.token,
            REQUEST_CHANGE,
            json!({ "input": { "email": "nobody-yet@example.com" } }),
        )
        .await;
    assert_eq!(taken.status, free.status);
    assert!(
        taken.errors().is_empty() && free.errors().is_empty(),
        "{taken:?} {free:?}"
    );
    assert_eq!(
        taken
            .at("requestContactChange.sentTo")
            .as_str()
            .unwrap()
            .split('@')
            .nth(1),
        Some("example.com"),
        "the answer is only the masked address"
    );
    // Whoever controls the owner's mailbox learns of the conflict, nobody else.
    let code = app
        .providers
        .email_code(&owner.email)
        .await
        .expect("a code was sent");
    app.gql_as(&user.token, CONFIRM_CHANGE, json!({ "code": code }))
        .await
        .expect_error("CONFLICT");
    let unchanged = app.gql_as(&user.token, "{ me { email } }", json!({})).await;
    assert_eq!(unchanged.at("me.email"), user.email.as_str());
}

#[tokio::test]
async fn contact_change_codes_are_throttled_per_user_and_per_address() {
    let app = TestApp::spawn().await;
    let (user, other) = (app.user().await, app.user().await);
    let request = |token: String, email: &'static str| {
        let app = &app;
        async move {
            app.gql_as(
                &token,
                REQUEST_CHANGE,
                json!({ "input": { "email": email } }),
            )
            .await
        }
    };
    request(user.token.clone(), "first@example.com")
        .await
        .data();
    // One user cannot walk through addresses…
    let second = request(user.token.clone(), "second@example.com").await;
    second.expect_error("RATE_LIMITED");
    // …and an address gets one code a minute, whoever asks and for whatever purpose.
    request(other.token.clone(), "first@example.com")
        .await
        .expect_error("RATE_LIMITED");
    app.request_email_code("first@example.com")
        .await
        .expect_error("RATE_LIMITED");
}

#[tokio::test]
async fn a_new_sign_in_email_needs_a_recent_sign_in_tells_the_old_one_and_ends_other_sessions() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    // A second device that signed in just now, by a code sent to the current address.
    let fresh = app.sign_in_by_email(&user.email).await;
    let fresh_token = fresh["accessToken"].as_str().unwrap().to_owned();
    // The first device signed in eleven minutes ago (and may have refreshed since).
    auth_sessions::Entity::update_many()
        .col_expr(
            auth_sessions::Column::CreatedAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::minutes(11)),
        )
        .filter(auth_sessions::Column::FamilyId.eq(user.session_id))
        .exec(&app.db)
        .await
        .unwrap();

    let stale = app
        .gql_as(
            &user.token,
            REQUEST_CHANGE,
            json!({ "input": { "email": "moved@example.com" } }),
        )
        .await;
    assert_eq!(
        stale.expect_error("FORBIDDEN")["extensions"]["reason"],
        "RECENT_SIGN_IN_REQUIRED"
    );
    assert!(
        app.providers
            .email_code("moved@example.com")
            .await
            .is_none()
    );

    app.gql_as(
        &fresh_token,
        REQUEST_CHANGE,
        json!({ "input": { "email": "moved@example.com" } }),
    )
    .await
    .data();
    let code = app.providers.email_code("moved@example.com").await.unwrap();
    let confirmed = app
        .gql_as(&fresh_token, CONFIRM_CHANGE, json!({ "code": code }))
        .await;
    assert_eq!(
        confirmed.at("confirmContactChange.email"),
        "moved@example.com"
    );

    let notices = emails_to(&app, &user.email).await;
    assert!(
        notices
            .iter()
            .any(|text| text.contains("was changed to m***@example.com")),
        "{notices:?}"
    );
    app.gql_as(&user.token, "{ me { id } }", json!({}))
        .await
        .expect_error("UNAUTHENTICATED");
    app.gql_as(&fresh_token, "{ me { id } }", json!({}))
        .await
        .data();
}

/// The text of every email the server sent to `to`.
async fn emails_to(app: &TestApp, to: &str) -> Vec<String> {
    let requests = app
        .providers
        .email
        .received_requests()
        .await
        .unwrap_or_default();
    requests
        .iter()
        .filter_map(|request| serde_json::from_slice::<serde_json::Value>(&request.body).ok())
        .filter(|body| {
            body["to"]
                .as_array()
                .is_some_and(|r| r.iter().any(|r| r == to))
        })
        .filter_map(|body| body["text"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn public_profiles_show_the_full_account_only_to_its_owner_and_admins() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let stranger = app.user().await;
    let admin = app.admin().await;
    let query =
        "query P($id: ID!) { user(id: $id) { fairyname isBuilder account { email dustBalance } } }";
    let vars = json!({ "id": user.id });
    let anonymous = app.gql(query, vars.clone()).await;
    assert_eq!(anonymous.at("user.fairyname"), user.fairyname.as_str());
    assert!(anonymous.at("user.account").is_null());
    assert!(
        app.gql_as(&stranger.token, query, vars.clone())
            .await
            .at("user.account")
            .is_null()
    );
    assert_eq!(
        app.gql_as(&user.token, query, vars.clone())
            .await
            .at("user.account.email"),
        user.email.as_str()
    );
    assert_eq!(
        app.gql_as(&admin.token, query, vars)
            .await
            .at("user.account.dustBalance"),
        25
    );
    app.gql(query, json!({ "id": "nope" }))
        .await
        .expect_error("NOT_FOUND");
}

const CLAIM: &str = "mutation { claimDailyBonus { amount streakDays balance alreadyClaimed } }";

#[tokio::test]
async fn the_daily_bonus_pays_once_a_day_and_grows_with_the_streak() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let status = app
        .gql_as(
            &user.token,
            "{ me { dailyBonus { eligible amount } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        status.at("me.dailyBonus"),
        &json!({ "eligible": true, "amount": 1 })
    );

    let first = app.gql_as(&user.token, CLAIM, json!({})).await;
    assert_eq!(
        first.at("claimDailyBonus"),
        &json!({ "amount": 1, "streakDays": 1, "balance": 26, "alreadyClaimed": false })
    );
    let again = app.gql_as(&user.token, CLAIM, json!({})).await;
    assert_eq!(
        again.at("claimDailyBonus"),
        &json!({ "amount": 1, "streakDays": 1, "balance": 26, "alreadyClaimed": true })
    );
    let status = app
        .gql_as(
            &user.token,
            "{ me { dailyBonus { eligible amount } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        status.at("me.dailyBonus"),
        &json!({ "eligible": false, "amount": 2 })
    );

    // Pretend the claim was yesterday: the streak continues.
    let yesterday = chrono::Utc::now() - chrono::Duration::days(1);
    set_last_claim(&app, user.id, yesterday, 4).await;
    let fifth = app.gql_as(&user.token, CLAIM, json!({})).await;
    assert_eq!(fifth.at("claimDailyBonus.streakDays"), 5);
    assert_eq!(fifth.at("claimDailyBonus.amount"), 5);

    // Three days of silence: the streak restarts.
    set_last_claim(
        &app,
        user.id,
        chrono::Utc::now() - chrono::Duration::days(3),
        9,
    )
    .await;
    let restart = app.gql_as(&user.token, CLAIM, json!({})).await;
    assert_eq!(restart.at("claimDailyBonus.streakDays"), 1);
    assert_eq!(restart.at("claimDailyBonus.amount"), 1);

    let rewards = dust_transactions::Entity::find()
        .filter(dust_transactions::Column::UserId.eq(user.id))
        .filter(dust_transactions::Column::Kind.eq("reward"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(rewards, 3);
}

/// Moves the user's latest claim (and its ledger row) back in time, as if it had been made `at`.
async fn set_last_claim(
    app: &TestApp,
    user_id: uuid::Uuid,
    at: chrono::DateTime<chrono::Utc>,
    streak: i32,
) {
    let today = format!("daily-bonus:{}", chrono::Utc::now().date_naive());
    dust_transactions::Entity::update_many()
        .col_expr(
            dust_transactions::Column::IdempotencyKey,
            Expr::value(format!("daily-bonus:{}", at.date_naive())),
        )
        .filter(dust_transactions::Column::UserId.eq(user_id))
        .filter(dust_transactions::Column::IdempotencyKey.eq(today))
        .exec(&app.db)
        .await
        .unwrap();
    users::Entity::update_many()
        .col_expr(
            users::Column::LastDailyBonusDate,
            Expr::value(at.date_naive()),
        )
        .col_expr(users::Column::LastDailyBonusAt, Expr::value(at))
        .col_expr(users::Column::StreakDays, Expr::value(streak))
        .filter(users::Column::Id.eq(user_id))
        .exec(&app.db)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_claims_pay_once() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let answers = join_all((0..8).map(|_| app.gql_as(&user.token, CLAIM, json!({})))).await;
    assert!(
        answers.iter().all(|a| a.errors().is_empty()),
        "{answers:#?}"
    );
    assert_eq!(
        answers
            .iter()
            .filter(|a| a.at("claimDailyBonus.alreadyClaimed") == false)
            .count(),
        1
    );
    assert_eq!(app.balance(user.id).await, 26);
}
