//! DUST is money: exact, atomic, idempotent, never negative (issue "DUST ledger").
//!
//! Moving DUST by hand: refunds, adjustments, grants and purchases; admin-only and audited; bulk
//! grants; and the ledger audit.

use fairydust_entities::admin_audit_log;
use fairydust_tests::TestApp;
use futures_util::future::join_all;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::ledger_support::{ADMIN_OPS, admin_op, consume};

#[tokio::test]
async fn a_consume_can_be_refunded_once() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let owner = app.builder().await;
    let priced = app.priced_app(owner.id, &[("x", 5)]).await;
    let user = app.user().await;
    let spent = consume(&app, &user, &priced.slug, "x", 1, "k").await;
    let tx = spent.at("consumeDust.id").as_str().unwrap().to_owned();

    let refund = admin_op(&app, &admin, "Refund", json!({ "tx": tx })).await;
    assert_eq!(refund.at("refundTransaction.amount"), 5);
    assert_eq!(refund.at("refundTransaction.type"), "REFUND");
    assert_eq!(refund.at("refundTransaction.referenceId"), tx.as_str());
    admin_op(&app, &admin, "Refund", json!({ "tx": tx }))
        .await
        .expect_error("CONFLICT");
    assert_eq!(app.balance(user.id).await, 25);

    let grant = admin_op(
        &app,
        &admin,
        "Grant",
        json!({ "user": user.id, "amount": 3 }),
    )
    .await;
    let grant_id = grant.at("grantDust.id").as_str().unwrap().to_owned();
    admin_op(&app, &admin, "Refund", json!({ "tx": grant_id }))
        .await
        .expect_error("BAD_USER_INPUT");
    admin_op(
        &app,
        &admin,
        "Refund",
        json!({ "tx": uuid::Uuid::now_v7() }),
    )
    .await
    .expect_error("NOT_FOUND");
}

#[tokio::test]
async fn every_consume_says_whether_it_was_refunded_in_one_query() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let owner = app.builder().await;
    let priced = app.priced_app(owner.id, &[("x", 1)]).await;
    let user = app.user().await;
    admin_op(
        &app,
        &admin,
        "Grant",
        json!({ "user": user.id, "amount": 10 }),
    )
    .await
    .data();
    let mut consumes = Vec::new();
    for key in 0..30 {
        let spent = consume(&app, &user, &priced.slug, "x", 1, &format!("k{key}")).await;
        consumes.push(spent.at("consumeDust.id").as_str().unwrap().to_owned());
    }
    // More refunds than the 25 the portal used to look at, the oldest consume among them.
    let refunded: Vec<&String> = consumes.iter().take(27).collect();
    for tx in &refunded {
        admin_op(&app, &admin, "Refund", json!({ "tx": tx }))
            .await
            .data();
    }
    let history = "query H($id: ID!) { user(id: $id) { account { dustTransactions(first: 100) {
        nodes { id type refundedBy { id type referenceId } } } } } }";
    let before = app.statements.get();
    let page = app
        .gql_as(&admin.token, history, json!({ "id": user.id }))
        .await;
    let statements = app.statements.get() - before;
    let nodes = page
        .at("user.account.dustTransactions.nodes")
        .as_array()
        .unwrap()
        .clone();
    for node in &nodes {
        let id = node["id"].as_str().unwrap().to_owned();
        match node["type"].as_str().unwrap() {
            "CONSUME" if refunded.contains(&&id) => {
                assert_eq!(node["refundedBy"]["type"], "REFUND");
                assert_eq!(node["refundedBy"]["referenceId"], id.as_str());
            }
            _ => assert!(node["refundedBy"].is_null(), "{node}"),
        }
    }
    assert_eq!(
        nodes.iter().filter(|n| !n["refundedBy"].is_null()).count(),
        27
    );
    assert!(
        statements <= 8,
        "the refunds of a page come in one query, not one per row ({statements} statements)"
    );
}

#[tokio::test]
async fn concurrent_refunds_of_one_consume_pay_back_once() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let owner = app.builder().await;
    let priced = app.priced_app(owner.id, &[("x", 5)]).await;
    let user = app.user().await;
    let tx = consume(&app, &user, &priced.slug, "x", 1, "k")
        .await
        .at("consumeDust.id")
        .clone();
    let answers =
        join_all((0..5).map(|_| admin_op(&app, &admin, "Refund", json!({ "tx": tx })))).await;
    assert_eq!(answers.iter().filter(|a| a.errors().is_empty()).count(), 1);
    assert!(
        answers
            .iter()
            .filter(|a| !a.errors().is_empty())
            .all(|a| a.code() == Some("CONFLICT"))
    );
    assert_eq!(app.balance(user.id).await, 25);
}

#[tokio::test]
async fn adjustments_never_take_a_balance_below_zero() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.user().await;
    let answer = admin_op(
        &app,
        &admin,
        "Adjust",
        json!({ "user": user.id, "delta": -26 }),
    )
    .await;
    answer.expect_error("INSUFFICIENT_DUST");
    let down = admin_op(
        &app,
        &admin,
        "Adjust",
        json!({ "user": user.id, "delta": -25 }),
    )
    .await;
    assert_eq!(down.at("adjustDust.balanceAfter"), 0);
    admin_op(
        &app,
        &admin,
        "Adjust",
        json!({ "user": user.id, "delta": 0 }),
    )
    .await
    .expect_error("BAD_USER_INPUT");
}

#[tokio::test]
async fn grant_amounts_are_bounded() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.user().await;
    for amount in [
        json!(0),
        json!(-5),
        json!(100_001),
        json!(2_147_483_648_i64),
        json!(2.5),
    ] {
        admin_op(
            &app,
            &admin,
            "Grant",
            json!({ "user": user.id, "amount": amount }),
        )
        .await
        .expect_error("BAD_USER_INPUT");
    }
    let granted = admin_op(
        &app,
        &admin,
        "Grant",
        json!({ "user": user.id, "amount": 100_000 }),
    )
    .await;
    assert_eq!(granted.at("grantDust.balanceAfter"), 100_025);
    admin_op(
        &app,
        &admin,
        "Grant",
        json!({ "user": uuid::Uuid::now_v7(), "amount": 1 }),
    )
    .await
    .expect_error("NOT_FOUND");
}

#[tokio::test]
async fn a_payment_is_recorded_once_and_must_cover_the_dust() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.user().await;
    let vars = json!({ "user": user.id, "amount": 500, "payment": "pi_123", "cents": 499 });
    admin_op(&app, &admin, "Purchase", vars)
        .await
        .expect_error("BAD_USER_INPUT");
    let vars = json!({ "user": user.id, "amount": 500, "payment": "pi_123", "cents": 500 });
    assert_eq!(
        admin_op(&app, &admin, "Purchase", vars.clone())
            .await
            .at("recordPurchase.type"),
        "PURCHASE"
    );
    admin_op(&app, &admin, "Purchase", vars)
        .await
        .expect_error("CONFLICT");
    assert_eq!(app.balance(user.id).await, 525);
}

#[tokio::test]
async fn only_admins_move_dust_by_hand_and_every_move_is_audited() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.user().await;
    let other = app.user().await;
    for caller in [&user, &app.builder().await] {
        let answer = admin_op(
            &app,
            caller,
            "Grant",
            json!({ "user": other.id, "amount": 10 }),
        )
        .await;
        answer.expect_error("FORBIDDEN");
        let answer = admin_op(
            &app,
            caller,
            "Adjust",
            json!({ "user": caller.id, "delta": 10 }),
        )
        .await;
        answer.expect_error("FORBIDDEN");
    }
    assert_eq!(app.balance(other.id).await, 25);
    admin_op(
        &app,
        &user,
        "Grant",
        json!({ "user": other.id, "amount": 10 }),
    )
    .await;
    let anonymous = app
        .send_gql(None, json!({ "query": ADMIN_OPS, "operationName": "Grant", "variables": { "user": other.id, "amount": 1 } }))
        .await;
    anonymous.expect_error("UNAUTHENTICATED");

    admin_op(
        &app,
        &admin,
        "Grant",
        json!({ "user": other.id, "amount": 10 }),
    )
    .await
    .data();
    let audit = admin_audit_log::Entity::find()
        .filter(admin_audit_log::Column::Action.eq("ledger.grant"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(
        audit[0].actor_id,
        Some(admin.id),
        "the actor comes from the token"
    );
    assert_eq!(audit[0].target_id, other.id.to_string());
}

#[tokio::test]
async fn bulk_grants_answer_per_user_in_a_constant_number_of_statements() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mut users = Vec::new();
    for _ in 0..12 {
        users.push(app.user().await);
    }
    let missing = uuid::Uuid::now_v7();
    let query = "mutation Bulk($ids: [ID!]!) { grantDustBulk(userIds: $ids, amount: 7, reason: \"launch\") {
        userId granted error transaction { amount balanceAfter } } }";

    let run = |ids: Vec<String>| {
        let app = &app;
        let token = admin.token.clone();
        async move {
            let before = app.statements.get();
            let answer = app.gql_as(&token, query, json!({ "ids": ids })).await;
            (answer, app.statements.get() - before)
        }
    };
    let (small, small_statements) =
        run(users[..2].iter().map(|u| u.id.to_string()).collect()).await;
    assert_eq!(small.at("grantDustBulk").as_array().unwrap().len(), 2);
    let mut ids: Vec<String> = users[2..].iter().map(|u| u.id.to_string()).collect();
    ids.push(missing.to_string());
    let (large, large_statements) = run(ids).await;
    let results = large.at("grantDustBulk").as_array().unwrap();
    assert_eq!(results.len(), 11);
    assert!(
        results[..10]
            .iter()
            .all(|r| r["granted"] == true && r["transaction"]["balanceAfter"] == 32)
    );
    assert_eq!(results[10]["error"], "NOT_FOUND");
    // The one lookup for the missing user is the only extra statement, however many users there are.
    assert!(
        large_statements <= small_statements + 1,
        "{small_statements} vs {large_statements}"
    );
    for user in &users {
        assert_eq!(app.balance(user.id).await, 32);
    }
    let too_many: Vec<String> = (0..1001)
        .map(|_| uuid::Uuid::now_v7().to_string())
        .collect();
    app.gql_as(&admin.token, query, json!({ "ids": too_many }))
        .await
        .expect_error("BAD_USER_INPUT");
}

#[tokio::test]
async fn the_ledger_audit_is_empty_and_admin_only() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.user().await;
    let audit = app
        .gql_as(
            &admin.token,
            "{ ledgerAudit { discrepancies { userId } checkedUsers nextAfter totalUsers } }",
            json!({}),
        )
        .await;
    let users = audit.at("ledgerAudit.totalUsers").as_i64().unwrap();
    assert!(users >= 2, "{audit:?}");
    assert_eq!(
        audit.at("ledgerAudit"),
        &json!({ "discrepancies": [], "checkedUsers": users, "nextAfter": null, "totalUsers": users })
    );
    app.gql_as(
        &user.token,
        "{ ledgerAudit { discrepancies { userId } } }",
        json!({}),
    )
    .await
    .expect_error("FORBIDDEN");

    // A balance changed outside the ledger is reported.
    fairydust_entities::users::Entity::update_many()
        .col_expr(
            fairydust_entities::users::Column::DustBalance,
            Expr::value(99),
        )
        .filter(fairydust_entities::users::Column::Id.eq(user.id))
        .exec(&app.db)
        .await
        .unwrap();
    let audit = app
        .gql_as(
            &admin.token,
            "{ ledgerAudit { discrepancies { userId balance transactionSum } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        audit.at("ledgerAudit.discrepancies"),
        &json!([{ "userId": user.id, "balance": 99, "transactionSum": 25 }])
    );
    // Put it back so the suite's own post-test audit passes.
    fairydust_entities::users::Entity::update_many()
        .col_expr(
            fairydust_entities::users::Column::DustBalance,
            Expr::value(25),
        )
        .filter(fairydust_entities::users::Column::Id.eq(user.id))
        .exec(&app.db)
        .await
        .unwrap();
}

/// The audit walks the users a chunk at a time: every user is checked exactly once across the chunks,
/// and a broken balance is reported by the chunk that holds its user.
#[tokio::test]
async fn the_ledger_audit_walks_every_user_in_chunks() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mut users = Vec::new();
    for _ in 0..4 {
        users.push(app.user().await);
    }
    let broken = &users[2];
    fairydust_entities::users::Entity::update_many()
        .col_expr(
            fairydust_entities::users::Column::DustBalance,
            Expr::value(7),
        )
        .filter(fairydust_entities::users::Column::Id.eq(broken.id))
        .exec(&app.db)
        .await
        .unwrap();

    let query = "query($after: ID) { ledgerAudit(after: $after, users: 2) { \
                 discrepancies { userId balance transactionSum } checkedUsers nextAfter totalUsers } }";
    let (mut after, mut checked, mut calls, mut found) = (json!(null), 0, 0, Vec::new());
    let total = loop {
        let chunk = app
            .gql_as(&admin.token, query, json!({ "after": after }))
            .await
            .at("ledgerAudit")
            .clone();
        calls += 1;
        let in_chunk = chunk["checkedUsers"].as_i64().unwrap();
        assert!((1..=2).contains(&in_chunk), "{chunk}");
        checked += in_chunk;
        found.extend(chunk["discrepancies"].as_array().unwrap().iter().cloned());
        if chunk["nextAfter"].is_null() {
            break chunk["totalUsers"].as_i64().unwrap();
        }
        after = chunk["nextAfter"].clone();
    };
    assert_eq!(checked, total, "every user once");
    assert_eq!(calls, (total + 1) / 2);
    assert_eq!(
        found,
        vec![json!({ "userId": broken.id, "balance": 7, "transactionSum": 25 })]
    );

    for users in [0, 50_001] {
        app.gql_as(
            &admin.token,
            "query($users: Int!) { ledgerAudit(users: $users) { checkedUsers } }",
            json!({ "users": users }),
        )
        .await
        .expect_error("BAD_USER_INPUT");
    }
    app.gql_as(
        &admin.token,
        "{ ledgerAudit(after: \"not-an-id\") { checkedUsers } }",
        json!({}),
    )
    .await
    .expect_error("BAD_USER_INPUT");

    // Put it back so the suite's own post-test audit passes.
    fairydust_entities::users::Entity::update_many()
        .col_expr(
            fairydust_entities::users::Column::DustBalance,
            Expr::value(25),
        )
        .filter(fairydust_entities::users::Column::Id.eq(broken.id))
        .exec(&app.db)
        .await
        .unwrap();
}

/// Bulk grants running together over the same users, listed in opposite orders, all succeed: the
/// balances are locked in one order, so neither waits for rows the other holds (on PostgreSQL such a
/// pair deadlocked and answered INTERNAL).
#[tokio::test]
async fn overlapping_bulk_grants_do_not_deadlock() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mut users = Vec::new();
    for _ in 0..20 {
        users.push(app.user().await);
    }
    let ids: Vec<String> = users.iter().map(|u| u.id.to_string()).collect();
    let reversed: Vec<String> = ids.iter().rev().cloned().collect();
    let query = "mutation Bulk($ids: [ID!]!) { grantDustBulk(userIds: $ids, amount: 1, reason: \"race\") { granted } }";
    let grants = (0..16).map(|n| {
        let ids = if n % 2 == 0 { &ids } else { &reversed };
        app.gql_as(&admin.token, query, json!({ "ids": ids }))
    });
    for answer in join_all(grants).await {
        assert!(
            answer
                .at("grantDustBulk")
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["granted"] == true),
            "{answer:?}"
        );
    }
    for user in &users {
        assert_eq!(app.balance(user.id).await, 25 + 16);
    }
}
