//! The admin user directory and what `User` shows admins (issue "Admin console", admin API).

use fairydust_entities::users;
use fairydust_tests::TestApp;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::admin_support::set_user;

const USERS: &str =
    "query U($search: String, $role: UserRole, $active: Boolean, $first: Int, $after: String) {
  users(search: $search, role: $role, active: $active, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage hasPreviousPage endCursor }
    nodes { id fairyname email isActive isAdmin isBuilder lastSignInAt }
  }
}";

fn ids(answer: &Value) -> Vec<String> {
    answer["users"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn search_matches_percent_and_underscore_literally() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (under, wild, percent, plain) = (
        app.user().await,
        app.user().await,
        app.user().await,
        app.user().await,
    );
    set_user(&app, under.id, users::Column::Fairyname, "zq_moon_1").await;
    set_user(&app, wild.id, users::Column::Fairyname, "zqxmoon_1").await;
    set_user(
        &app,
        percent.id,
        users::Column::Email,
        "per%cent@example.com",
    )
    .await;
    set_user(
        &app,
        plain.id,
        users::Column::Email,
        "perxxcent@example.com",
    )
    .await;
    set_user(&app, plain.id, users::Column::Phone, "+14155550199").await;

    let search = |term: &str| {
        let term = term.to_owned();
        let (app, token) = (&app, admin.token.clone());
        async move {
            app.gql_as(&token, USERS, json!({ "search": term }))
                .await
                .data()
                .clone()
        }
    };
    assert_eq!(ids(&search("zq_m").await), vec![under.id.to_string()]);
    assert_eq!(
        ids(&search("ZQ_MOON").await),
        vec![under.id.to_string()],
        "case-insensitive"
    );
    assert_eq!(ids(&search("per%c").await), vec![percent.id.to_string()]);
    assert_eq!(ids(&search("%").await), vec![percent.id.to_string()]);
    assert_eq!(
        ids(&search("5550199").await),
        vec![plain.id.to_string()],
        "phone substring"
    );
    assert_eq!(
        ids(&search("+1415").await),
        vec![plain.id.to_string()],
        "phone prefix"
    );
    let by_name = search(&under.fairyname).await;
    assert!(ids(&by_name).is_empty(), "the old name no longer matches");

    let long = "x".repeat(101);
    app.gql_as(&admin.token, USERS, json!({ "search": long }))
        .await
        .expect_error("BAD_USER_INPUT");
}

#[tokio::test]
async fn users_pages_newest_first_with_a_total() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mut made = Vec::new();
    for n in 0..5 {
        let user = app.user().await;
        set_user(
            &app,
            user.id,
            users::Column::Fairyname,
            &format!("pagey_{n}"),
        )
        .await;
        made.push(user.id.to_string());
    }
    made.reverse();
    let first = app
        .gql_as(
            &admin.token,
            USERS,
            json!({ "search": "pagey", "first": 2 }),
        )
        .await;
    let page = first.data().clone();
    assert_eq!(ids(&page), made[0..2]);
    assert_eq!(page["users"]["totalCount"], 5);
    assert_eq!(page["users"]["pageInfo"]["hasNextPage"], true);
    let mut seen = ids(&page);
    let mut cursor = page["users"]["pageInfo"]["endCursor"].clone();
    loop {
        let next = app
            .gql_as(
                &admin.token,
                USERS,
                json!({ "search": "pagey", "first": 2, "after": cursor }),
            )
            .await
            .data()
            .clone();
        assert_eq!(next["users"]["totalCount"], 5);
        assert_eq!(next["users"]["pageInfo"]["hasPreviousPage"], true);
        seen.extend(ids(&next));
        if next["users"]["pageInfo"]["hasNextPage"] == false {
            break;
        }
        cursor = next["users"]["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen, made);
    for bad in [
        json!({ "first": 0 }),
        json!({ "first": 101 }),
        json!({ "after": "nope" }),
    ] {
        app.gql_as(&admin.token, USERS, bad)
            .await
            .expect_error("BAD_USER_INPUT");
    }
}

#[tokio::test]
async fn users_filter_by_role_and_status_and_hide_the_system_account() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let builder = app.builder().await;
    let user = app.user().await;
    let gone = app.user().await;
    users::Entity::update_many()
        .col_expr(users::Column::IsActive, Expr::value(false))
        .filter(users::Column::Id.eq(gone.id))
        .exec(&app.db)
        .await
        .unwrap();
    let list = |vars: Value| {
        let (app, token) = (&app, admin.token.clone());
        async move { ids(app.gql_as(&token, USERS, vars).await.data()) }
    };
    assert_eq!(
        list(json!({ "role": "ADMIN" })).await,
        vec![admin.id.to_string()]
    );
    assert_eq!(
        list(json!({ "role": "BUILDER" })).await,
        vec![builder.id.to_string()]
    );
    assert_eq!(
        list(json!({ "role": "USER" })).await,
        vec![gone.id.to_string(), user.id.to_string()]
    );
    assert_eq!(
        list(json!({ "active": false })).await,
        vec![gone.id.to_string()]
    );
    assert_eq!(
        list(json!({ "role": "USER", "active": true })).await,
        vec![user.id.to_string()]
    );
    let all = list(json!({})).await;
    assert_eq!(
        all.len(),
        4,
        "the seeded system account is not listed: {all:?}"
    );
}

#[tokio::test]
async fn only_admins_list_users() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let builder = app.builder().await;
    for token in [&user.token, &builder.token] {
        app.gql_as(token, USERS, json!({}))
            .await
            .expect_error("FORBIDDEN");
    }
    app.gql(USERS, json!({}))
        .await
        .expect_error("UNAUTHENTICATED");
}

#[tokio::test]
async fn admins_see_a_users_activity_and_the_user_sees_their_own() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.user().await;
    let other = app.user().await;
    let query = "query A($id: ID!, $from: DateTime!, $to: DateTime!) { user(id: $id) { account {
        isActive lastSignInAt sessions { id current } llmUsage(from: $from, to: $to) { totals { requests } }
    } } }";
    let vars =
        json!({ "id": user.id, "from": "2020-01-01T00:00:00Z", "to": "2020-12-31T00:00:00Z" });
    let seen = app.gql_as(&admin.token, query, vars.clone()).await;
    let account = seen.at("user.account");
    assert_eq!(account["isActive"], true);
    assert!(account["lastSignInAt"].is_string(), "{account}");
    assert_eq!(account["sessions"][0]["id"], user.session_id.to_string());
    assert_eq!(account["sessions"][0]["current"], false);
    assert_eq!(account["llmUsage"]["totals"]["requests"], 0);

    let own = app.gql_as(&user.token, query, vars.clone()).await;
    assert_eq!(own.at("user.account.sessions.0.current"), true);
    let stranger = app.gql_as(&other.token, query, vars).await;
    assert_eq!(stranger.at("user.account"), &Value::Null);

    // A page of users loads last sign-ins in one batch, not one query per user.
    for _ in 0..4 {
        app.user().await;
    }
    let before = app.statements.get();
    let page = app
        .gql_as(&admin.token, USERS, json!({ "first": 10 }))
        .await;
    let nodes = page.at("users.nodes").as_array().unwrap();
    assert!(nodes.len() >= 7 && nodes.iter().all(|n| n["lastSignInAt"].is_string()));
    let statements = app.statements.get() - before;
    assert!(statements <= 6, "{statements} statements for one page");
}

#[tokio::test]
async fn transactions_and_ledger_audit_name_their_user() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.user().await;
    let granted = app
        .gql_as(
            &admin.token,
            "mutation G($u: ID!) { grantDust(userId: $u, amount: 5, reason: \"hi\") { user { id fairyname } } }",
            json!({ "u": user.id }),
        )
        .await;
    assert_eq!(
        granted.at("grantDust.user.id"),
        user.id.to_string().as_str()
    );
    let own = app
        .gql_as(
            &user.token,
            "{ me { dustTransactions { nodes { user { id } } } } }",
            json!({}),
        )
        .await;
    assert!(
        own.at("me.dustTransactions.nodes")
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["user"]["id"] == user.id.to_string())
    );

    // Break one balance for a moment so the audit has something to report.
    let audit =
        "{ ledgerAudit { discrepancies { userId user { id fairyname } balance transactionSum } } }";
    users::Entity::update_many()
        .col_expr(users::Column::DustBalance, Expr::value(1))
        .filter(users::Column::Id.eq(user.id))
        .exec(&app.db)
        .await
        .unwrap();
    let found = app.gql_as(&admin.token, audit, json!({})).await;
    let entry = found.at("ledgerAudit.discrepancies.0").clone();
    users::Entity::update_many()
        .col_expr(users::Column::DustBalance, Expr::value(30))
        .filter(users::Column::Id.eq(user.id))
        .exec(&app.db)
        .await
        .unwrap();
    assert_eq!(entry["userId"], user.id.to_string());
    assert_eq!(entry["user"]["id"], user.id.to_string());
    assert_eq!(entry["user"]["fairyname"], user.fairyname);
}
