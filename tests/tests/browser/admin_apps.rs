//! The Apps and Ledger screens: the review queue and status tabs, an app suspended with a note
//! leaves the marketplace, a refused model setting is shown next to its field, and a consume is
//! refunded from the ledger. Every screen fits a phone without page-wide horizontal scrolling.

use fairydust_entities::apps;
use fairydust_tests::TestApp;
use fantoccini::{Client, Locator};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, IntoActiveModel};
use serde_json::json;

use crate::support::*;

const MARKETPLACE: &str = "{ apps(first: 100) { nodes { slug } } }";

async fn on_marketplace(app: &TestApp, slug: &str) -> bool {
    let listed = app.gql(MARKETPLACE, json!({})).await;
    listed
        .at("apps.nodes")
        .as_array()
        .unwrap()
        .iter()
        .any(|node| node["slug"] == slug)
}

/// A builder's app with the priced action `spell` (4 DUST); returns (id, slug).
async fn builder_app(app: &TestApp, name: &str) -> (String, String) {
    let builder = app.builder().await;
    let created = app
        .gql_as(
            &builder.token,
            "mutation C($name: String!) { createApp(input: {name: $name, description: \"Spells for every day\", category: CREATIVE}) { id slug status } }",
            json!({ "name": name }),
        )
        .await;
    assert_eq!(created.at("createApp.status"), "APPROVED");
    let id = created.at("createApp.id").as_str().unwrap().to_owned();
    app.gql_as(
        &builder.token,
        "mutation S($id: ID!) { setAppAction(appId: $id, action: \"spell\", dustCost: 4, description: \"One spell\") { dustCost } }",
        json!({ "id": id }),
    )
    .await
    .data();
    (
        id,
        created.at("createApp.slug").as_str().unwrap().to_owned(),
    )
}

/// The admin suspends an app with a note in its detail page: it leaves the marketplace and shows
/// under the Suspended tab. A model setting the server refuses is shown next to its field.
pub async fn suspended_app_leaves_the_marketplace(client: &Client, app: &TestApp) {
    let (id, slug) = builder_app(app, "Spell Book").await;
    // One app waiting for review, so the queue has something in it.
    let (pending_id, _) = builder_app(app, "Potion Lab").await;
    let mut pending = apps::Entity::find_by_id(uuid::Uuid::parse_str(&pending_id).unwrap())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .into_active_model();
    pending.status = Set(fairydust_entities::apps::AppStatus::Pending);
    pending.update(&app.db).await.unwrap();
    assert!(on_marketplace(app, &slug).await);

    client.goto(&app.url("/admin/apps")).await.unwrap();
    wait_for(client, "#apps-table tr[data-app]").await;
    let queue = text_of(client, "#tab-pending").await;
    assert!(queue.ends_with("(1)"), "{queue}");
    screenshots(client, "admin-apps").await;
    assert_fits_phone(client, "Apps").await;

    click(client, "#tab-approved").await;
    fill(client, "#app-search", "spell book").await;
    let row = format!("#apps-table tr[data-app='{slug}'] a");
    click(client, &row).await;
    wait_for(client, "#app-status[data-status='APPROVED']").await;
    assert_eq!(text_of(client, "#marketplace").await, "Listed");
    wait_for(client, "#actions-table tr[data-action='spell']").await;
    screenshots(client, "admin-app-detail").await;
    assert_fits_phone(client, "App detail").await;

    // The server names the refused field; the form shows the message there.
    fill(client, "#config-temperature", "3").await;
    click(client, "#save-model-config").await;
    let refused = text_of(client, ".field-error[data-field='parameters.temperature']").await;
    assert!(refused.contains("temperature"), "{refused}");
    fill(client, "#config-temperature", "0.7").await;
    click(client, "#save-model-config").await;
    // The refusal's toast may still be up: the newest toast is the last.
    wait_for(client, "#toasts .toast:last-child[data-kind='success']").await;
    wait_gone(client, ".field-error").await;

    click(client, "#decide-suspend").await;
    wait_for(client, "#confirm-dialog").await;
    fill(
        client,
        "#confirm-reason",
        "Charges for spells it never casts",
    )
    .await;
    screenshot(client, "admin-app-suspend-desktop").await;
    click(client, "#confirm-action").await;
    wait_for(client, "#app-status[data-status='SUSPENDED']").await;
    assert_eq!(text_of(client, "#marketplace").await, "Not listed");
    assert_eq!(
        text_of(client, "#admin-notes").await,
        "Charges for spells it never casts"
    );
    wait_for(client, "#decide-reactivate").await;
    assert!(
        !on_marketplace(app, &slug).await,
        "a suspended app left the marketplace"
    );

    client.goto(&app.url("/admin/apps")).await.unwrap();
    click(client, "#tab-suspended").await;
    wait_for(client, &format!("#apps-table tr[data-app='{slug}']")).await;
    assert!(
        client
            .find(Locator::Css(&format!("[href='/admin/apps/{id}']")))
            .await
            .is_ok()
    );
}

/// A user's consume shows in the ledger; a refund with a reason from the portal gives the DUST
/// back and shows as a refund row.
pub async fn consume_is_refunded_from_the_ledger(client: &Client, app: &TestApp) {
    let builder = app.builder().await;
    let shop = app.priced_app(builder.id, &[("wand", 6)]).await;
    let user = app.user().await;
    let before = app.balance(user.id).await;
    app.gql_as(
        &user.token,
        "mutation C($app: ID!) { consumeDust(input: {appId: $app, action: \"wand\", idempotencyKey: \"wand-1\"}) { amount } }",
        json!({ "app": shop.slug }),
    )
    .await
    .data();
    assert_eq!(app.balance(user.id).await, before - 6);

    client.goto(&app.url("/admin/ledger")).await.unwrap();
    wait_for(client, "#transactions-table").await;
    fill(client, "#filter-user", &user.id.to_string()).await;
    let consume = "#transactions-table tr[data-type='CONSUME']";
    wait_for(client, consume).await;
    screenshots(client, "admin-ledger-transactions").await;
    assert_fits_phone(client, "Ledger").await;

    click(client, &format!("{consume} button.refund")).await;
    wait_for(client, "#confirm-dialog").await;
    fill(client, "#confirm-reason", "The wand never arrived").await;
    click(client, "#confirm-action").await;
    let toast = text_of(client, "#toasts .toast:last-child").await;
    assert!(toast.contains("Refunded 6 DUST"), "{toast}");
    wait_for(client, "#transactions-table tr[data-type='REFUND']").await;
    wait_gone(client, &format!("{consume} button.refund")).await;
    assert_eq!(app.balance(user.id).await, before);
    screenshots(client, "admin-ledger-refunded").await;
}

/// The LLM screen fits a phone too (its tables scroll inside their own box).
pub async fn llm_screen_fits_a_phone(client: &Client, app: &TestApp) {
    client.goto(&app.url("/admin/llm")).await.unwrap();
    wait_for(client, "#price-table").await;
    wait_for(client, "#usage-totals, .state.empty").await;
    assert_fits_phone(client, "LLM").await;
}
