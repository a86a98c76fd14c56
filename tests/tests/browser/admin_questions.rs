//! The Questions screen: a question made in the portal is asked to the app's users.

use fairydust_tests::TestApp;
use fantoccini::{Client, Locator};
use serde_json::json;

use crate::support::*;

use crate::admin_llm::llm_app;

/// A SINGLE_CHOICE question made in the portal for an app is asked to that app's users.
pub async fn question_created_in_the_portal_is_asked(client: &Client, app: &TestApp) {
    let (app_id, slug) = llm_app(app).await;
    client.goto(&app.url("/admin/questions")).await.unwrap();
    wait_for(client, "#questions-table, .state.empty").await;
    click(client, "#new-question").await;
    if client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#question-form"))
        .await
        .is_err()
    {
        let url = client.current_url().await.unwrap();
        let body = client
            .find(Locator::Css("body"))
            .await
            .unwrap()
            .html(false)
            .await
            .unwrap();
        panic!("no form at {url}: {body}");
    }
    fill(client, "#q-id", "favourite_pet").await;
    fill(client, "#q-text", "Which pet do you like best?").await;
    fill(client, "#q-category", "pets").await;
    fill(client, "#q-field", "favourite_pet").await;
    fill(client, "#choice-value-0", "cat").await;
    fill(client, "#choice-label-0", "Cat").await;
    fill(client, "#choice-value-1", "dog").await;
    fill(client, "#choice-label-1", "Dog").await;
    fill(client, "#q-apps", &slug).await;
    fill(client, "#q-reward", "2").await;
    screenshots(client, "admin-question-form").await;
    click(client, "#save-question").await;
    wait_for(client, "tr[data-question='favourite_pet']").await;
    wait_gone(client, "#question-form").await;
    screenshots(client, "admin-questions").await;

    let user = app.user().await;
    let asked = app
        .gql_as(
            &user.token,
            "query Q($app: ID!) { profilingQuestions(appId: $app) { id type options } }",
            json!({ "app": app_id }),
        )
        .await;
    assert_eq!(
        asked.at("profilingQuestions"),
        &json!([{ "id": "favourite_pet", "type": "SINGLE_CHOICE",
                  "options": [{ "value": "cat", "label": "Cat" }, { "value": "dog", "label": "Dog" }] }])
    );
}
