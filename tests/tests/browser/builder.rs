//! The builder portal in Chromium: a new user becomes a builder, creates an app (a server error
//! shows next to its field), prices an action at 3 DUST, sets a model with a fallback; the app is on
//! the marketplace, and a user's consumeDust shows in its usage and recent transactions (by
//! fairyname, never by email). Another builder's app does not open by URL. Screenshots at both sizes.

use fairydust_tests::TestApp;
use fantoccini::{Client, Locator};
use serde_json::json;
use std::time::Duration;

use crate::support::*;

const HAIKU: &str = "claude-3-5-haiku-20241022";
const MINI: &str = "gpt-4o-mini";

/// Waits until the text of `css` contains `needle`; returns the text.
async fn wait_text(client: &Client, css: &str, needle: &str) -> String {
    let mut text = String::new();
    for _ in 0..150 {
        if let Ok(element) = client.find(Locator::Css(css)).await
            && let Ok(found) = element.text().await
        {
            text = found;
            if text.contains(needle) {
                return text;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css} never contained {needle:?}; last text {text:?}");
}

async fn select(client: &Client, css: &str, value: &str) {
    wait_for(client, css)
        .await
        .select_by_value(value)
        .await
        .unwrap_or_else(|error| panic!("{css} has no option {value}: {error}"));
}

async fn scroll_to(client: &Client, css: &str) {
    wait_for(client, css).await;
    client
        .execute(
            "document.querySelector(arguments[0]).scrollIntoView()",
            vec![json!(css)],
        )
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_builder_portal_in_a_browser() {
    let Some(driver) = start_driver() else { return };
    let app = TestApp::spawn().await;
    let client = browser(&driver).await;

    // A signed-in non-builder sees what being a builder means, and becomes one without a new sign-in.
    client.goto(&app.url("/builder/")).await.unwrap();
    wait_for(&client, "#email").await;
    sign_in(&client, &app, "new-builder@example.com").await;
    wait_for(&client, "#onboarding #become-builder").await;
    screenshots(&client, "builder-onboarding").await;
    click(&client, "#become-builder").await;
    wait_for(&client, "nav.sidenav").await;
    wait_for(&client, ".state.empty").await;
    screenshots(&client, "builder-no-apps").await;

    // Create the app: the slug preview answers as the name is typed; a bad URL is refused by the
    // server and the message shows under its field.
    click(&client, "#new-app").await;
    fill(&client, "#app-name", "Rainy Day Ideas").await;
    let preview = wait_text(
        &client,
        "#slug-preview[data-state='available']",
        "rainy-day-ideas",
    )
    .await;
    assert!(preview.contains("available"), "{preview}");
    fill(
        &client,
        "#app-description",
        "One idea for a rainy day, every time you ask.",
    )
    .await;
    select(&client, "#app-category", "LIFESTYLE").await;
    fill(&client, "#app-website", "https://rainy.example.com").await;
    fill(&client, "#app-icon", "not a url").await;
    click(&client, "#save-app").await;
    let field_error = text_of(&client, "#iconUrl-error").await;
    assert!(field_error.contains("iconUrl"), "{field_error}");
    screenshots(&client, "builder-app-form").await;
    assert_fits_phone(&client, "the app form").await;
    // Corrected by typing (a WebDriver clear fires no input event, as no person clears a field so).
    fill(&client, "#app-icon", "https://rainy.example.com/icon.png").await;
    click(&client, "#save-app").await;
    let app_id = text_of(&client, "#app-id").await;
    assert_eq!(text_of(&client, "#app-slug").await, "rainy-day-ideas");

    // An action priced 3 DUST, then the model with a fallback.
    fill(&client, "#new-action-name", "idea").await;
    fill(&client, "#new-action-price", "3").await;
    click(&client, "#add-action").await;
    wait_for(&client, "#actions-table tr[data-action='idea']").await;
    wait_for(&client, "#model-form").await;
    select(&client, "#primary-model", HAIKU).await;
    fill(&client, "#max-tokens", "400").await;
    click(&client, "#add-fallback").await;
    wait_for(&client, "#fallbacks li.fallback").await;
    select(
        &client,
        "#fallbacks li.fallback select[id^='fallback-model']",
        MINI,
    )
    .await;
    select(
        &client,
        "#fallbacks li.fallback select[id^='fallback-trigger']",
        "PROVIDER_ERROR",
    )
    .await;
    click(&client, "#save-model").await;
    wait_text(&client, "#toasts", "Model configuration saved").await;
    // 500 prompt tokens and 400 answer tokens at Haiku's $0.80 / $4 per million: $0.002, so 3 DUST covers it.
    wait_text(&client, "#estimate-total", "$0.002").await;
    wait_text(&client, "#cost-coverage tr[data-action='idea']", "Yes").await;
    screenshots(&client, "builder-app-detail").await;
    scroll_to(&client, "#model-config").await;
    screenshots(&client, "builder-model").await;
    assert_fits_phone(&client, "the app page").await;

    let admin = app.admin().await;
    let config = app
        .gql_as(
            &admin.token,
            "query A($id: ID!) { app(id: $id) { modelConfig { model parameters { maxTokens } fallbacks { model trigger } } } }",
            json!({ "id": app_id }),
        )
        .await;
    assert_eq!(
        config.at("app.modelConfig"),
        &json!({ "model": HAIKU, "parameters": { "maxTokens": 400 }, "fallbacks": [{ "model": MINI, "trigger": "PROVIDER_ERROR" }] })
    );

    // On the marketplace, with its price.
    let market = app
        .gql(
            "{ apps(first: 100) { nodes { id actions { action dustCost } } } }",
            json!({}),
        )
        .await;
    let listed = market
        .at("apps.nodes")
        .as_array()
        .unwrap()
        .iter()
        .find(|node| node["id"] == app_id.as_str())
        .expect("the new app is on the marketplace")
        .clone();
    assert_eq!(
        listed["actions"],
        json!([{ "action": "idea", "dustCost": 3 }])
    );

    // A user pays for the action; the builder sees it in usage and transactions, by fairyname only.
    let user = app.user().await;
    app.gql_as(
        &user.token,
        "mutation C($app: ID!) { consumeDust(input: {appId: $app, action: \"idea\", idempotencyKey: \"rain-1\"}) { amount } }",
        json!({ "app": app_id }),
    )
    .await
    .data();
    client.refresh().await.unwrap();
    assert_eq!(text_of(&client, "#total-dust").await, "3");
    assert_eq!(text_of(&client, "#total-users").await, "1");
    wait_for(&client, "#dust-chart svg rect.bar").await;
    let row = wait_text(&client, "#transactions-table tbody tr", &user.fairyname).await;
    assert!(row.contains("idea") && row.contains('3'), "{row}");
    let page = client.source().await.unwrap();
    assert!(
        !page.contains(&user.email),
        "a user's email is never shown to a builder"
    );
    scroll_to(&client, "#usage").await;
    screenshots(&client, "builder-usage").await;
    scroll_to(&client, "#transactions").await;
    screenshots(&client, "builder-transactions").await;

    // The quick start has the real id and action, and runs checkDust as the builder.
    click(&client, "#quick-start").await;
    let code = text_of(&client, "#code-consume-dust").await;
    assert!(
        code.contains(&app_id) && code.contains("\"idea\"") && code.contains("idempotencyKey"),
        "{code}"
    );
    click(&client, "#try-check-dust").await;
    let tried = wait_text(&client, "#try-result[data-state='ok']", "sufficient").await;
    assert!(tried.contains("\"required\": 3"), "{tried}");
    screenshots(&client, "builder-quick-start").await;
    assert_fits_phone(&client, "the quick start").await;

    // My apps: counts and what the app earned.
    client.goto(&app.url("/builder/")).await.unwrap();
    wait_for(&client, "#my-apps").await;
    assert_eq!(text_of(&client, "#count-total").await, "1");
    assert_eq!(text_of(&client, "#count-live").await, "1");
    assert_eq!(text_of(&client, "#earned-30d").await, "3");
    screenshots(&client, "builder-my-apps").await;
    assert_fits_phone(&client, "my apps").await;

    // The edit page offers taking the app off the marketplace.
    client
        .goto(&app.url(&format!("/builder/apps/{app_id}/edit")))
        .await
        .unwrap();
    wait_for(&client, "#app-form").await;
    wait_text(&client, "#toggle-listing", "Take off").await;
    screenshots(&client, "builder-edit").await;

    // Another builder's app does not open by URL.
    let rival = app.builder().await;
    let theirs = app.priced_app(rival.id, &[("spell", 2)]).await;
    client
        .goto(&app.url(&format!("/builder/apps/{}", theirs.id)))
        .await
        .unwrap();
    let refused = text_of(&client, "#app-error [data-state='error']").await;
    assert!(refused.contains("Only the app's builder"), "{refused}");
    assert!(client.find(Locator::Css("#app-id")).await.is_err());
    screenshots(&client, "builder-other-app").await;
    client.close().await.unwrap();
}
