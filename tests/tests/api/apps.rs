//! The marketplace and builders' apps: who may do what, prices that apply at once, no N+1.

use fairydust_entities::admin_audit_log;
use fairydust_tests::{TestApp, TestUser};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

const CREATE: &str = "mutation C($input: CreateAppInput!) { createApp(input: $input) { id slug status isActive category } }";

fn app_input(name: &str) -> Value {
    json!({ "input": { "name": name, "description": "Ideas for rainy days", "category": "LIFESTYLE", "websiteUrl": "https://example.com" } })
}

async fn create_app(app: &TestApp, builder: &TestUser, name: &str) -> Value {
    app.gql_as(&builder.token, CREATE, app_input(name))
        .await
        .at("createApp")
        .clone()
}

#[tokio::test]
async fn builders_publish_apps_that_are_approved_at_once() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    app.gql_as(&user.token, CREATE, app_input("Rainy Day"))
        .await
        .expect_error("FORBIDDEN");
    let became = app
        .gql_as(
            &user.token,
            "mutation { becomeBuilder { isBuilder } }",
            json!({}),
        )
        .await;
    assert_eq!(became.at("becomeBuilder.isBuilder"), true);

    // The new right applies to the same token at once.
    let first = create_app(&app, &user, "Rainy Day!").await;
    assert_eq!(first["slug"], "rainy-day");
    assert_eq!(
        (first["status"].clone(), first["isActive"].clone()),
        (json!("APPROVED"), json!(true))
    );
    let second = create_app(&app, &user, "Rainy day").await;
    assert_eq!(
        second["slug"], "rainy-day-2",
        "a derived slug gets a suffix"
    );
    let explicit = app.gql_as(&user.token, CREATE, json!({ "input": { "name": "X", "slug": "rainy-day", "description": "d", "category": "GAMES" } })).await;
    explicit.expect_error("CONFLICT");

    for bad in [
        json!({ "name": "", "description": "d", "category": "GAMES" }),
        json!({ "name": "A", "description": "d", "category": "GAMES", "iconUrl": "javascript:alert(1)" }),
        json!({ "name": "A", "slug": "Bad Slug", "description": "d", "category": "GAMES" }),
        json!({ "name": "A", "description": "", "category": "GAMES" }),
    ] {
        app.gql_as(&user.token, CREATE, json!({ "input": bad }))
            .await
            .expect_error("BAD_USER_INPUT");
    }
}

#[tokio::test]
async fn the_marketplace_lists_approved_active_apps_with_filters() {
    let app = TestApp::spawn().await;
    let builder = app.builder().await;
    create_app(&app, &builder, "Cosmic Cooking").await;
    let hidden = create_app(&app, &builder, "Hidden Gem").await;
    app.gql_as(
        &builder.token,
        "mutation U($id: ID!) { updateApp(id: $id, input: {isActive: false}) { isActive } }",
        json!({ "id": hidden["id"] }),
    )
    .await
    .data();

    let query = "query M($search: String, $category: AppCategory) { apps(first: 50, search: $search, category: $category) { totalCount nodes { slug } } }";
    let all = app.gql(query, json!({})).await;
    let slugs: Vec<&str> = all
        .at("apps.nodes")
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["slug"].as_str().unwrap())
        .collect();
    assert!(slugs.contains(&"cosmic-cooking") && slugs.contains(&"fairydust-story"));
    assert!(
        !slugs.contains(&"hidden-gem"),
        "inactive apps are not listed"
    );
    let found = app.gql(query, json!({ "search": "COSMIC" })).await;
    assert_eq!(found.at("apps.totalCount"), 1);
    let games = app.gql(query, json!({ "category": "GAMES" })).await;
    assert_eq!(games.at("apps.totalCount"), 0);
    let literal = app.gql(query, json!({ "search": "%" })).await;
    assert_eq!(literal.at("apps.totalCount"), 0, "wildcards are literal");

    // Off the marketplace, the app is visible to its builder only.
    let one = "query A($slug: String!) { app(slug: $slug) { name } }";
    app.gql(one, json!({ "slug": "hidden-gem" }))
        .await
        .expect_error("NOT_FOUND");
    app.gql_as(&builder.token, one, json!({ "slug": "hidden-gem" }))
        .await
        .data();
}

#[tokio::test]
async fn only_the_builder_or_an_admin_edits_and_sees_private_fields() {
    let app = TestApp::spawn().await;
    let owner = app.builder().await;
    let rival = app.builder().await;
    let admin = app.admin().await;
    let created = create_app(&app, &owner, "Owned").await;
    let update = "mutation U($id: ID!, $input: UpdateAppInput!) { updateApp(id: $id, input: $input) { name callbackUrl } }";
    app.gql_as(
        &owner.token,
        update,
        json!({ "id": created["id"], "input": { "callbackUrl": "https://owner.example/cb" } }),
    )
    .await
    .data();
    app.gql_as(
        &rival.token,
        update,
        json!({ "id": created["id"], "input": { "name": "Mine now" } }),
    )
    .await
    .expect_error("FORBIDDEN");
    let set_action = "mutation S($id: ID!) { setAppAction(appId: $id, action: \"go\", dustCost: 3) { dustCost } }";
    app.gql_as(&rival.token, set_action, json!({ "id": created["id"] }))
        .await
        .expect_error("FORBIDDEN");
    app.gql_as(
        &admin.token,
        update,
        json!({ "id": created["id"], "input": { "name": "Renamed" } }),
    )
    .await
    .data();
    app.gql_as(&admin.token, set_action, json!({ "id": created["id"] }))
        .await
        .data();
    // The admin's edits of someone else's app are audited, with the admin as the actor; the owner's are not.
    let audited = admin_audit_log::Entity::find()
        .filter(admin_audit_log::Column::TargetId.eq(created["id"].as_str().unwrap()))
        .order_by_asc(admin_audit_log::Column::CreatedAt)
        .all(&app.db)
        .await
        .unwrap();
    let actions: Vec<&str> = audited.iter().map(|row| row.action.as_str()).collect();
    assert_eq!(actions, vec!["apps.update", "apps.set_action"]);
    assert!(audited.iter().all(|row| row.actor_id == Some(admin.id)));

    let query =
        "query A($id: ID!) { app(id: $id) { name callbackUrl adminNotes builder { fairyname } } }";
    let public = app
        .gql_as(&rival.token, query, json!({ "id": created["id"] }))
        .await;
    assert!(public.at("app.callbackUrl").is_null());
    assert_eq!(public.at("app.builder.fairyname"), owner.fairyname.as_str());
    let private = app
        .gql_as(&owner.token, query, json!({ "id": created["id"] }))
        .await;
    assert_eq!(private.at("app.callbackUrl"), "https://owner.example/cb");
    app.gql_as(
        &rival.token,
        "query A($id: ID!) { app(id: $id) { modelConfig { model } } }",
        json!({ "id": created["id"] }),
    )
    .await
    .expect_error("FORBIDDEN");
}

#[tokio::test]
async fn a_new_price_applies_at_once_on_every_replica() {
    let app = TestApp::spawn().await;
    let replica = app.spawn_replica().await;
    let owner = app.builder().await;
    let user = app.user().await;
    let created = create_app(&app, &owner, "Priced").await;
    let set = "mutation S($id: ID!, $cost: Int!) { setAppAction(appId: $id, action: \"spark\", dustCost: $cost) { dustCost } }";
    app.gql_as(&owner.token, set, json!({ "id": created["id"], "cost": 2 }))
        .await
        .data();
    let consume = "mutation C($app: ID!, $k: String!) { consumeDust(input: {appId: $app, action: \"spark\", idempotencyKey: $k}) { amount } }";
    assert_eq!(
        replica
            .gql_as(
                &user.token,
                consume,
                json!({ "app": created["id"], "k": "a" })
            )
            .await
            .at("consumeDust.amount"),
        -2
    );
    app.gql_as(&owner.token, set, json!({ "id": created["id"], "cost": 5 }))
        .await
        .data();
    assert_eq!(
        replica
            .gql_as(
                &user.token,
                consume,
                json!({ "app": created["id"], "k": "b" })
            )
            .await
            .at("consumeDust.amount"),
        -5
    );
    app.gql_as(
        &owner.token,
        "mutation R($id: ID!) { removeAppAction(appId: $id, action: \"spark\") }",
        json!({ "id": created["id"] }),
    )
    .await
    .data();
    replica
        .gql_as(
            &user.token,
            consume,
            json!({ "app": created["id"], "k": "c" }),
        )
        .await
        .expect_error("NOT_FOUND");
    app.gql_as(&owner.token, set, json!({ "id": created["id"], "cost": 0 }))
        .await
        .expect_error("BAD_USER_INPUT");
}

#[tokio::test]
async fn only_admins_decide_and_only_along_allowed_transitions() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let owner = app.builder().await;
    let user = app.user().await;
    let created = create_app(&app, &owner, "Decided").await;
    app.gql_as(&owner.token, "mutation S($id: ID!) { setAppAction(appId: $id, action: \"go\", dustCost: 1) { dustCost } }", json!({ "id": created["id"] }))
        .await
        .data();
    let suspend =
        "mutation S($id: ID!) { suspendApp(id: $id, note: \"spam\") { status adminNotes } }";
    let reactivate = "mutation R($id: ID!) { reactivateApp(id: $id) { status } }";
    let approve = "mutation A($id: ID!) { approveApp(id: $id) { status } }";
    let reject = "mutation J($id: ID!) { rejectApp(id: $id, note: \"no\") { status } }";
    let id = json!({ "id": created["id"] });

    app.gql_as(&owner.token, suspend, id.clone())
        .await
        .expect_error("FORBIDDEN");
    let suspended = app.gql_as(&admin.token, suspend, id.clone()).await;
    assert_eq!(
        suspended.at("suspendApp"),
        &json!({ "status": "SUSPENDED", "adminNotes": "spam" })
    );
    let consume = "mutation C($app: ID!) { consumeDust(input: {appId: $app, action: \"go\", idempotencyKey: \"k\"}) { amount } }";
    // Off the marketplace, the app does not exist for its users.
    app.gql_as(&user.token, consume, json!({ "app": created["id"] }))
        .await
        .expect_error("NOT_FOUND");

    app.gql_as(&admin.token, approve, id.clone())
        .await
        .expect_error("CONFLICT");
    app.gql_as(&admin.token, suspend, id.clone())
        .await
        .expect_error("CONFLICT");
    app.gql_as(&admin.token, reject, id.clone())
        .await
        .expect_error("CONFLICT");
    assert_eq!(
        app.gql_as(&admin.token, reactivate, id.clone())
            .await
            .at("reactivateApp.status"),
        "APPROVED"
    );
    app.gql_as(&user.token, consume, json!({ "app": created["id"] }))
        .await
        .data();

    let audited = admin_audit_log::Entity::find()
        .filter(admin_audit_log::Column::TargetId.eq(created["id"].as_str().unwrap()))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(audited, 2, "suspend and reactivate were audited");
}

#[tokio::test]
async fn listing_apps_with_builders_actions_and_configs_is_not_n_plus_one() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    // Warm the admin's cached roles, so only the listing itself is counted.
    app.gql_as(&admin.token, "{ version }", json!({}))
        .await
        .data();
    let query = "{ apps(first: 100) { nodes { slug builder { fairyname } actions { action dustCost } modelConfig { model } } } }";
    let mut counts = Vec::new();
    for (builders, apps_each) in [(1, 2), (5, 10)] {
        for _ in 0..builders {
            let builder = app.builder().await;
            for i in 0..apps_each {
                let created = create_app(&app, &builder, &format!("App {i}")).await;
                let set = "mutation S($id: ID!) { setAppAction(appId: $id, action: \"go\", dustCost: 1) { dustCost } }";
                app.gql_as(&builder.token, set, json!({ "id": created["id"] }))
                    .await
                    .data();
            }
        }
        let before = app.statements.get();
        let answer = app.gql_as(&admin.token, query, json!({})).await;
        counts.push(app.statements.get() - before);
        assert!(answer.at("apps.nodes").as_array().unwrap().len() >= builders * apps_each);
    }
    assert_eq!(
        counts[0], counts[1],
        "statements for a handful vs 50+ apps: {counts:?}"
    );
}
