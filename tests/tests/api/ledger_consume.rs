//! DUST is money: exact, atomic, idempotent, never negative (issue "DUST ledger").
//!
//! Spending: concurrent debits, idempotency keys, prices from app actions, malformed input, the
//! caller's history, stats and checks, and builders' per-app aggregates.

use std::collections::HashSet;

use fairydust_entities::dust_transactions;
use fairydust_tests::TestApp;
use futures_util::future::join_all;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::ledger_support::{CONSUME, assert_chain_consistent, consume};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_concurrent_debits_of_one_on_twenty_five_succeed_exactly_twenty_five_times() {
    let app = TestApp::spawn().await;
    let owner = app.builder().await;
    let priced = app.priced_app(owner.id, &[("tap", 1)]).await;
    for round in 0..3 {
        let user = app.user().await;
        let answers = join_all((0..100).map(|i| {
            let (app, user, app_id) = (&app, &user, priced.id.to_string());
            async move {
                consume(
                    app,
                    user,
                    &app_id,
                    "tap",
                    1,
                    &format!("round{round}-req{i}"),
                )
                .await
            }
        }))
        .await;
        let succeeded = answers.iter().filter(|a| a.errors().is_empty()).count();
        let refused = answers
            .iter()
            .filter(|a| a.code() == Some("INSUFFICIENT_DUST"))
            .count();
        assert_eq!(
            (succeeded, refused),
            (25, 75),
            "round {round}: {:#?}",
            answers
                .iter()
                .find(|a| a.code().is_some_and(|c| c != "INSUFFICIENT_DUST"))
        );
        assert_eq!(app.balance(user.id).await, 0);
        assert_chain_consistent(&app, &user).await;
        let refusal = answers
            .iter()
            .find(|a| a.code() == Some("INSUFFICIENT_DUST"))
            .unwrap();
        assert_eq!(refusal.errors()[0]["extensions"]["balance"], 0);
        assert_eq!(refusal.errors()[0]["extensions"]["required"], 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_concurrent_requests_with_one_key_debit_once_and_answer_alike() {
    let app = TestApp::spawn().await;
    let owner = app.builder().await;
    let priced = app.priced_app(owner.id, &[("generate", 3)]).await;
    let user = app.user().await;
    let app_id = priced.id.to_string();
    let answers =
        join_all((0..10).map(|_| consume(&app, &user, &app_id, "generate", 2, "same-key"))).await;
    for answer in &answers {
        answer.data();
    }
    let ids: HashSet<&Value> = answers.iter().map(|a| a.at("consumeDust.id")).collect();
    assert_eq!(ids.len(), 1, "ten identical answers");
    let replayed = answers
        .iter()
        .filter(|a| a.at("consumeDust.replayed") == true)
        .count();
    assert_eq!(replayed, 9);
    assert_eq!(app.balance(user.id).await, 25 - 6);
    assert_eq!(answers[0].at("consumeDust.amount"), -6);
}

#[tokio::test]
async fn reusing_a_key_for_another_request_is_refused_and_replays_never_expire() {
    let app = TestApp::spawn().await;
    let owner = app.builder().await;
    let priced = app.priced_app(owner.id, &[("a", 1), ("b", 1)]).await;
    let id = priced.id.to_string();
    let user = app.user().await;
    consume(&app, &user, &id, "a", 1, "k1").await.data();
    consume(&app, &user, &id, "b", 1, "k1")
        .await
        .expect_error("IDEMPOTENCY_KEY_REUSED");
    consume(&app, &user, &id, "a", 2, "k1")
        .await
        .expect_error("IDEMPOTENCY_KEY_REUSED");

    dust_transactions::Entity::update_many()
        .col_expr(
            dust_transactions::Column::CreatedAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::days(400)),
        )
        .filter(dust_transactions::Column::IdempotencyKey.eq("k1"))
        .exec(&app.db)
        .await
        .unwrap();
    let replay = consume(&app, &user, &id, "a", 1, "k1").await;
    assert_eq!(
        replay.at("consumeDust.replayed"),
        true,
        "a replay a year later still works"
    );
    assert_eq!(app.balance(user.id).await, 24);
}

#[tokio::test]
async fn the_price_comes_from_the_app_action_and_apps_are_found_by_slug() {
    let app = TestApp::spawn().await;
    let owner = app.builder().await;
    let priced = app.priced_app(owner.id, &[("story", 4)]).await;
    let user = app.user().await;
    let answer = consume(&app, &user, &priced.slug, "story", 3, "by-slug").await;
    assert_eq!(answer.at("consumeDust.amount"), -12);
    assert_eq!(answer.at("consumeDust.balanceAfter"), 13);
    assert_eq!(answer.at("consumeDust.app.slug"), priced.slug.as_str());
    assert_eq!(answer.at("consumeDust.type"), "CONSUME");
}

#[tokio::test]
async fn unknown_apps_and_actions_are_not_found_and_unavailable_apps_forbidden() {
    let app = TestApp::spawn().await;
    let owner = app.builder().await;
    let priced = app.priced_app(owner.id, &[("x", 1)]).await;
    let user = app.user().await;
    consume(&app, &user, "no-such-app", "x", 1, "k1")
        .await
        .expect_error("NOT_FOUND");
    consume(&app, &user, &uuid::Uuid::now_v7().to_string(), "x", 1, "k2")
        .await
        .expect_error("NOT_FOUND");
    consume(&app, &user, &priced.slug, "nope", 1, "k3")
        .await
        .expect_error("NOT_FOUND");

    fairydust_entities::apps::Entity::update_many()
        .col_expr(
            fairydust_entities::apps::Column::Status,
            Expr::value(fairydust_entities::apps::AppStatus::Suspended),
        )
        .filter(fairydust_entities::apps::Column::Id.eq(priced.id))
        .exec(&app.db)
        .await
        .unwrap();
    // The status changed behind the service's back: drop the cached price list as the apps service does.
    fairydust_schema::apps::catalog::invalidate(&*app.app.state.app.cache, priced.id)
        .await
        .unwrap();
    // Off the marketplace: NOT_FOUND to its users (FORBIDDEN only to its builder and admins).
    consume(&app, &user, &priced.slug, "x", 1, "k4")
        .await
        .expect_error("NOT_FOUND");
    consume(&app, &owner, &priced.slug, "x", 1, "k4")
        .await
        .expect_error("FORBIDDEN");
    assert_eq!(app.balance(user.id).await, 25);
}

#[tokio::test]
async fn malformed_amounts_and_keys_are_bad_user_input() {
    let app = TestApp::spawn().await;
    let owner = app.builder().await;
    let priced = app.priced_app(owner.id, &[("x", 1)]).await;
    let id = priced.id.to_string();
    let user = app.user().await;
    for quantity in [
        json!(0),
        json!(-1),
        json!(101),
        json!(2_147_483_648_i64),
        json!(1.5),
        json!("2"),
    ] {
        let input =
            json!({ "appId": id, "action": "x", "quantity": quantity, "idempotencyKey": "k" });
        app.gql_as(&user.token, CONSUME, json!({ "input": input }))
            .await
            .expect_error("BAD_USER_INPUT");
    }
    for key in ["", "has space", &"k".repeat(129), "semi;colon"] {
        consume(&app, &user, &id, "x", 1, key)
            .await
            .expect_error("BAD_USER_INPUT");
    }
    assert_eq!(app.balance(user.id).await, 25);
}

#[tokio::test]
async fn history_pages_newest_first_with_filters_and_totals() {
    let app = TestApp::spawn().await;
    let owner = app.builder().await;
    let priced = app.priced_app(owner.id, &[("x", 1)]).await;
    let user = app.user().await;
    for i in 0..22 {
        consume(&app, &user, &priced.slug, "x", 1, &format!("k{i}"))
            .await
            .data();
    }
    let query = "query History($after: String, $type: TransactionKind, $app: ID) { me { dustTransactions(first: 10, after: $after, type: $type, appId: $app) {
        totalCount pageInfo { hasNextPage endCursor } edges { cursor node { amount balanceAfter type } } } } }";
    let first = app.gql_as(&user.token, query, json!({})).await;
    let page = first.at("me.dustTransactions");
    assert_eq!(page["totalCount"], 23);
    assert_eq!(page["edges"].as_array().unwrap().len(), 10);
    assert_eq!(page["edges"][0]["node"]["balanceAfter"], 3, "newest first");
    assert_eq!(page["pageInfo"]["hasNextPage"], true);

    let mut seen = 10;
    let mut after = page["pageInfo"]["endCursor"].clone();
    loop {
        let next = app
            .gql_as(&user.token, query, json!({ "after": after }))
            .await;
        let page = next.at("me.dustTransactions").clone();
        seen += page["edges"].as_array().unwrap().len();
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen, 23);

    let grants = app
        .gql_as(&user.token, query, json!({ "type": "GRANT" }))
        .await;
    assert_eq!(grants.at("me.dustTransactions.totalCount"), 1);
    let by_app = app
        .gql_as(&user.token, query, json!({ "app": priced.slug }))
        .await;
    assert_eq!(by_app.at("me.dustTransactions.totalCount"), 22);
    app.gql_as(&user.token, query, json!({ "after": "bogus" }))
        .await
        .expect_error("BAD_USER_INPUT");
    let too_big = "{ me { dustTransactions(first: 500) { totalCount } } }";
    app.gql_as(&user.token, too_big, json!({}))
        .await
        .expect_error("BAD_USER_INPUT");
}

#[tokio::test]
async fn stats_and_checks_describe_the_callers_own_dust() {
    let app = TestApp::spawn().await;
    let owner = app.builder().await;
    let priced = app.priced_app(owner.id, &[("x", 4)]).await;
    let user = app.user().await;
    consume(&app, &user, &priced.slug, "x", 2, "k").await.data();
    let stats = app
        .gql_as(
            &user.token,
            "{ me { dustBalance dustStats { granted consumed count favoriteApp { slug } } } }",
            json!({}),
        )
        .await;
    assert_eq!(stats.at("me.dustBalance"), 17);
    assert_eq!(stats.at("me.dustStats.granted"), 25);
    assert_eq!(stats.at("me.dustStats.consumed"), 8);
    assert_eq!(stats.at("me.dustStats.count"), 2);
    assert_eq!(
        stats.at("me.dustStats.favoriteApp.slug"),
        priced.slug.as_str()
    );

    let check = "query Check($app: ID!, $q: Int!) { checkDust(appId: $app, action: \"x\", quantity: $q) { sufficient balance required } }";
    let affordable = app
        .gql_as(&user.token, check, json!({ "app": priced.slug, "q": 4 }))
        .await;
    assert_eq!(
        affordable.at("checkDust"),
        &json!({ "sufficient": true, "balance": 17, "required": 16 })
    );
    let too_much = app
        .gql_as(&user.token, check, json!({ "app": priced.slug, "q": 5 }))
        .await;
    assert_eq!(too_much.at("checkDust.sufficient"), false);
    app.gql(check, json!({ "app": priced.slug, "q": 1 }))
        .await
        .expect_error("UNAUTHENTICATED");
}

#[tokio::test]
async fn builders_see_only_their_own_apps_aggregates() {
    let app = TestApp::spawn().await;
    let owner = app.builder().await;
    let stranger = app.builder().await;
    let admin = app.admin().await;
    let priced = app.priced_app(owner.id, &[("x", 2)]).await;
    for i in 0..3 {
        let user = app.user().await;
        consume(&app, &user, &priced.slug, "x", 1, &format!("k{i}"))
            .await
            .data();
    }
    let query = "query A($app: ID!, $from: DateTime!, $to: DateTime!) { appDustAnalytics(appId: $app, from: $from, to: $to) { date uniqueUsers transactions dustConsumed } }";
    let now = chrono::Utc::now();
    let vars = json!({ "app": priced.slug, "from": now - chrono::Duration::days(1), "to": now + chrono::Duration::days(1) });
    for viewer in [&owner, &admin] {
        let days = app.gql_as(&viewer.token, query, vars.clone()).await;
        let today = &days.at("appDustAnalytics")[0];
        assert_eq!(today["date"], now.date_naive().to_string());
        assert_eq!(
            (
                today["uniqueUsers"].clone(),
                today["transactions"].clone(),
                today["dustConsumed"].clone()
            ),
            (json!(3), json!(3), json!(6))
        );
    }
    app.gql_as(&stranger.token, query, vars)
        .await
        .expect_error("FORBIDDEN");
}
