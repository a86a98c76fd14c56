//! The admin lists: apps under review (with `APP_AUTO_APPROVE=false`), the platform-wide ledger and
//! the audit log: admin-only, filtered, paginated with a total.

use fairydust_tests::{Overrides, TestApp};
use serde_json::{Value, json};

use crate::ledger_support::consume;

const ADMIN_APPS: &str =
    "query A($status: AppStatus, $builder: ID, $search: String, $first: Int, $after: String) {
  adminApps(status: $status, builderId: $builder, search: $search, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id slug status }
  }
  appStatusCounts(builderId: $builder, search: $search) { status count }
}";
const CREATE: &str =
    "mutation C($input: CreateAppInput!) { createApp(input: $input) { id slug status } }";
const MARKET: &str = "{ apps(first: 100) { nodes { id } } }";

fn count_of(answer: &Value, status: &str) -> i64 {
    answer["appStatusCounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["status"] == status)
        .unwrap()["count"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn without_auto_approval_new_apps_wait_in_the_review_queue() {
    let app = TestApp::spawn_with(Overrides::default().set("APP_AUTO_APPROVE", "false")).await;
    let admin = app.admin().await;
    let builder = app.builder().await;
    let other = app.builder().await;
    let mut mine = Vec::new();
    for name in ["Moon 100%", "Moon_x", "Moonxx"] {
        let input = json!({ "input": { "name": name, "description": "d", "category": "GAMES" } });
        let created = app.gql_as(&builder.token, CREATE, input).await;
        assert_eq!(created.at("createApp.status"), "PENDING");
        mine.push(created.at("createApp.id").as_str().unwrap().to_owned());
    }
    let input = json!({ "input": { "name": "Sun", "description": "d", "category": "GAMES" } });
    app.gql_as(&other.token, CREATE, input).await.data();
    let market = app.gql(MARKET, json!({})).await;
    let listed = market.at("apps.nodes").to_string();
    assert!(
        mine.iter().all(|id| !listed.contains(id.as_str())),
        "pending apps are not on the marketplace"
    );

    let queue = app
        .gql_as(
            &admin.token,
            ADMIN_APPS,
            json!({ "status": "PENDING", "builder": builder.id, "first": 2 }),
        )
        .await;
    let page = queue.data();
    assert_eq!(page["adminApps"]["totalCount"], 3);
    assert_eq!(page["adminApps"]["pageInfo"]["hasNextPage"], true);
    assert_eq!(
        page["adminApps"]["nodes"][0]["id"],
        mine[2].as_str(),
        "newest first"
    );
    assert_eq!(count_of(page, "PENDING"), 3);
    let rest = app
        .gql_as(
            &admin.token,
            ADMIN_APPS,
            json!({ "status": "PENDING", "builder": builder.id, "after": page["adminApps"]["pageInfo"]["endCursor"] }),
        )
        .await;
    assert_eq!(rest.at("adminApps.nodes.0.id"), mine[0].as_str());

    let literal = app
        .gql_as(&admin.token, ADMIN_APPS, json!({ "search": "moon_" }))
        .await;
    assert_eq!(literal.at("adminApps.totalCount"), 1, "_ is not a wildcard");
    let percent = app
        .gql_as(&admin.token, ADMIN_APPS, json!({ "search": "100%" }))
        .await;
    assert_eq!(percent.at("adminApps.nodes.0.id"), mine[0].as_str());

    app.gql_as(
        &admin.token,
        "mutation A($id: ID!) { approveApp(id: $id) { status } }",
        json!({ "id": mine[1] }),
    )
    .await
    .data();
    let after = app
        .gql_as(&admin.token, ADMIN_APPS, json!({ "builder": builder.id }))
        .await;
    assert_eq!(count_of(after.data(), "PENDING"), 2);
    assert_eq!(count_of(after.data(), "APPROVED"), 1);
    assert_eq!(after.at("adminApps.totalCount"), 3);
    let market = app.gql(MARKET, json!({})).await;
    assert!(
        market
            .at("apps.nodes")
            .to_string()
            .contains(mine[1].as_str())
    );

    for token in [&builder.token, &app.user().await.token] {
        app.gql_as(token, ADMIN_APPS, json!({}))
            .await
            .expect_error("FORBIDDEN");
    }
    app.gql_as(&admin.token, ADMIN_APPS, json!({ "builder": "x" }))
        .await
        .expect_error("BAD_USER_INPUT");
}

const TRANSACTIONS: &str = "query T($user: ID, $app: ID, $type: TransactionKind, $from: DateTime, $to: DateTime, $first: Int, $after: String) {
  transactions(userId: $user, appId: $app, type: $type, from: $from, to: $to, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id amount type user { id } app { slug } }
  }
}";

#[tokio::test]
async fn admins_read_the_whole_ledger_with_filters() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let owner = app.builder().await;
    let priced = app.priced_app(owner.id, &[("x", 2)]).await;
    let (alice, bob) = (app.user().await, app.user().await);
    consume(&app, &alice, &priced.slug, "x", 1, "a1")
        .await
        .data();
    consume(&app, &bob, &priced.slug, "x", 2, "b1").await.data();
    let spent = consume(&app, &alice, &priced.slug, "x", 3, "a2").await;
    let last_id = spent.at("consumeDust.id").as_str().unwrap().to_owned();

    let all = app
        .gql_as(&admin.token, TRANSACTIONS, json!({ "first": 2 }))
        .await;
    assert_eq!(
        all.at("transactions.totalCount"),
        4 + 3,
        "four welcome bonuses, three spends"
    );
    assert_eq!(
        all.at("transactions.nodes.0.id"),
        last_id.as_str(),
        "newest first"
    );
    assert_eq!(
        all.at("transactions.nodes.0.user.id"),
        alice.id.to_string().as_str()
    );

    let spends = app
        .gql_as(
            &admin.token,
            TRANSACTIONS,
            json!({ "app": priced.slug, "type": "CONSUME" }),
        )
        .await;
    assert_eq!(spends.at("transactions.totalCount"), 3);
    let alices = app
        .gql_as(
            &admin.token,
            TRANSACTIONS,
            json!({ "user": alice.id, "type": "CONSUME", "first": 1 }),
        )
        .await;
    assert_eq!(alices.at("transactions.totalCount"), 2);
    assert_eq!(alices.at("transactions.pageInfo.hasNextPage"), true);
    let next = app
        .gql_as(
            &admin.token,
            TRANSACTIONS,
            json!({ "user": alice.id, "type": "CONSUME", "after": alices.at("transactions.pageInfo.endCursor") }),
        )
        .await;
    assert_eq!(next.at("transactions.nodes.0.amount"), -2);
    let future = app
        .gql_as(
            &admin.token,
            TRANSACTIONS,
            json!({ "from": "2999-01-01T00:00:00Z" }),
        )
        .await;
    assert_eq!(future.at("transactions.totalCount"), 0);
    app.gql_as(
        &admin.token,
        TRANSACTIONS,
        json!({ "from": "2030-01-02T00:00:00Z", "to": "2030-01-01T00:00:00Z" }),
    )
    .await
    .expect_error("BAD_USER_INPUT");

    let one = "query O($id: ID!) { transaction(id: $id) { id amount user { id } } }";
    let found = app
        .gql_as(&admin.token, one, json!({ "id": last_id }))
        .await;
    assert_eq!(found.at("transaction.amount"), -6);
    app.gql_as(&admin.token, one, json!({ "id": uuid::Uuid::now_v7() }))
        .await
        .expect_error("NOT_FOUND");
    for token in [&alice.token, &owner.token] {
        app.gql_as(token, TRANSACTIONS, json!({}))
            .await
            .expect_error("FORBIDDEN");
        app.gql_as(token, one, json!({ "id": last_id }))
            .await
            .expect_error("FORBIDDEN");
    }
}

const AUDIT: &str = "query L($actor: ID, $action: String, $type: String, $target: String, $from: DateTime, $first: Int, $after: String) {
  adminAuditLog(actorId: $actor, action: $action, targetType: $type, targetId: $target, from: $from, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id action targetType targetId before after reason actorId actor { id } createdAt }
  }
}";

#[tokio::test]
async fn the_audit_log_lists_admin_actions_with_before_and_after() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let other_admin = app.admin().await;
    let user = app.user().await;
    let grant = "mutation G($u: ID!, $a: Int!) { grantDust(userId: $u, amount: $a, reason: \"gift\") { id } }";
    for amount in [1, 2, 3] {
        app.gql_as(&admin.token, grant, json!({ "u": user.id, "a": amount }))
            .await
            .data();
    }
    app.gql_as(&other_admin.token, grant, json!({ "u": user.id, "a": 9 }))
        .await
        .data();
    app.gql_as(
        &admin.token,
        "mutation D($u: ID!) { deactivateUser(userId: $u, reason: \"spam\") { id } }",
        json!({ "u": user.id }),
    )
    .await
    .data();

    let grants = app
        .gql_as(
            &admin.token,
            AUDIT,
            json!({ "actor": admin.id, "action": "ledger.grant", "first": 2 }),
        )
        .await;
    assert_eq!(grants.at("adminAuditLog.totalCount"), 3);
    let newest = grants.at("adminAuditLog.nodes.0").clone();
    assert_eq!(newest["before"], json!({ "dust_balance": 28 }));
    assert_eq!(newest["after"]["dust_balance"], 31);
    assert_eq!(newest["reason"], "gift");
    assert_eq!(newest["actor"]["id"], admin.id.to_string());
    let rest = app
        .gql_as(
            &admin.token,
            AUDIT,
            json!({ "actor": admin.id, "action": "ledger.grant", "after": grants.at("adminAuditLog.pageInfo.endCursor") }),
        )
        .await;
    assert_eq!(rest.at("adminAuditLog.nodes").as_array().unwrap().len(), 1);
    assert_eq!(rest.at("adminAuditLog.nodes.0.after.dust_balance"), 26);

    let on_user = app
        .gql_as(
            &admin.token,
            AUDIT,
            json!({ "type": "user", "target": user.id.to_string() }),
        )
        .await;
    assert_eq!(on_user.at("adminAuditLog.totalCount"), 5);
    assert_eq!(
        on_user.at("adminAuditLog.nodes.0.action"),
        "users.deactivate"
    );
    let later = app
        .gql_as(
            &admin.token,
            AUDIT,
            json!({ "from": "2999-01-01T00:00:00Z" }),
        )
        .await;
    assert_eq!(later.at("adminAuditLog.totalCount"), 0);
    app.gql_as(&admin.token, AUDIT, json!({ "actor": "nope" }))
        .await
        .expect_error("BAD_USER_INPUT");
    let builder = app.builder().await;
    app.gql_as(&builder.token, AUDIT, json!({}))
        .await
        .expect_error("FORBIDDEN");
}
