//! The portals in a real headless Chromium, one browser and one server for the whole run (CI time):
//! sign-in pages, the cookie session (reload keeps it, script sees no token, sign-out ends it), the
//! admin refusal for non-admins, and the admin screens doing real work. Screenshots at 1280×800 and
//! 390×844 land in `target/e2e/`.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fairydust_tests::TestApp;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// chromedriver, killed when the test ends however it ends.
struct Driver {
    process: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `None` (with a printed reason) when this machine has no Chromium or no built portals.
fn start_driver() -> Option<Driver> {
    let portals = concat!(env!("CARGO_MANIFEST_DIR"), "/../dist");
    if !std::path::Path::new(portals)
        .join("admin/index.html")
        .exists()
    {
        eprintln!("SKIPPED browser test: portals not built (run scripts/build-portals.sh)");
        return None;
    }
    if !std::path::Path::new("/usr/bin/chromium").exists() {
        eprintln!(
            "SKIPPED browser test: /usr/bin/chromium is not installed (apt-get install chromium chromium-driver)"
        );
        return None;
    }
    let port = free_port();
    let process = match Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(process) => process,
        Err(_) => {
            eprintln!("SKIPPED browser test: chromedriver is not installed");
            return None;
        }
    };
    Some(Driver { process, port })
}

async fn browser(driver: &Driver) -> Client {
    let profile = tempfile::tempdir().unwrap().keep();
    let capabilities = json!({
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1280,800", format!("--user-data-dir={}", profile.display()),
            ],
        }
    });
    let capabilities = capabilities.as_object().unwrap().clone();
    let url = format!("http://127.0.0.1:{}", driver.port);
    for _ in 0..50 {
        if let Ok(client) = ClientBuilder::rustls()
            .unwrap()
            .capabilities(capabilities.clone())
            .connect(&url)
            .await
        {
            return client;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not accept a session");
}

async fn screenshot(client: &Client, name: &str) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/e2e");
    std::fs::create_dir_all(dir).unwrap();
    let png = client.screenshot().await.unwrap();
    std::fs::write(format!("{dir}/{name}.png"), png).unwrap();
}

const WAIT: Duration = Duration::from_secs(15);
const SIZES: [(u32, u32, &str); 2] = [(1280, 800, "desktop"), (390, 844, "phone")];

async fn wait_for(client: &Client, css: &str) -> fantoccini::elements::Element {
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|error| panic!("{css} did not appear: {error}"))
}

async fn text_of(client: &Client, css: &str) -> String {
    wait_for(client, css).await.text().await.unwrap()
}

/// Waits until `css` matches nothing (e.g. a page replaced by another).
async fn wait_gone(client: &Client, css: &str) {
    for _ in 0..150 {
        if client.find(Locator::Css(css)).await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css} is still there");
}

/// Screenshots of the current page at both sizes; ends at desktop size.
async fn screenshots(client: &Client, name: &str) {
    for (width, height, size) in SIZES.iter().rev() {
        client.set_window_size(*width, *height).await.unwrap();
        // Let the layout settle at the new width before the picture.
        tokio::time::sleep(Duration::from_millis(150)).await;
        screenshot(client, &format!("{name}-{size}")).await;
    }
}

async fn fill(client: &Client, css: &str, value: &str) {
    let input = wait_for(client, css).await;
    input.clear().await.unwrap();
    input.send_keys(value).await.unwrap();
}

async fn click(client: &Client, css: &str) {
    wait_for(client, css).await.click().await.unwrap();
}

/// Signs in through the form on the current page, with the code read from the mock mailbox.
async fn sign_in(client: &Client, app: &TestApp, email: &str) {
    fill(client, "#email", email).await;
    click(client, "#request-code").await;
    let code_box = wait_for(client, "#code").await;
    let mut code = None;
    for _ in 0..50 {
        code = app.providers.email_code(email).await;
        if code.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    code_box
        .send_keys(&code.expect("the portal asked the server to email a code"))
        .await
        .unwrap();
    click(client, "#verify-code").await;
}

/// What page script can read of the browser's storage: must hold no token.
async fn script_visible_storage(client: &Client) -> serde_json::Value {
    client
        .execute(
            "return { local: Object.keys(localStorage), session: Object.keys(sessionStorage), cookie: document.cookie };",
            vec![],
        )
        .await
        .unwrap()
}

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
        assert_eq!(text_of(&client, "h1").await, heading);
        wait_for(&client, "#email").await;
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
    model_price_edit_costs_the_next_call(&client, &app).await;
    question_created_in_the_portal_is_asked(&client, &app).await;

    client.goto(&app.url("/admin/ledger")).await.unwrap();
    wait_for(&client, "#ledger-status[data-state='ok']").await;
    screenshots(&client, "admin-ledger").await;
    client.goto(&app.url("/admin/users")).await.unwrap();
    let placeholder = text_of(&client, "#placeholder").await;
    assert!(placeholder.contains("not available yet"), "{placeholder}");

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

const HAIKU: &str = "claude-3-5-haiku-20241022";
const GENERATE: &str = "mutation G($input: GenerateTextInput!) { generateText(input: $input) { model usage { promptTokens completionTokens costUsd } } }";

/// A builder's app whose action `idea` calls Haiku; returns (id, slug).
async fn llm_app(app: &TestApp) -> (String, String) {
    let builder = app.builder().await;
    let created = app
        .gql_as(&builder.token, "mutation { createApp(input: {name: \"Idea Box\", description: \"Ideas\", category: LIFESTYLE}) { id slug } }", json!({}))
        .await;
    let id = created.at("createApp.id").as_str().unwrap().to_owned();
    app.gql_as(&builder.token, "mutation S($id: ID!) { setAppAction(appId: $id, action: \"idea\", dustCost: 3) { dustCost } }", json!({ "id": id }))
        .await
        .data();
    let config = json!({
        "provider": "ANTHROPIC", "model": HAIKU,
        "parameters": { "temperature": 0.8, "maxTokens": 150, "topP": 0.9 },
        "fallbacks": [],
        "costLimits": { "perRequestMax": "0.05", "dailyMax": "10", "monthlyMax": "100" },
    });
    app.gql_as(
        &builder.token,
        "mutation M($id: ID!, $input: AppModelConfigInput!) { setAppModelConfig(appId: $id, input: $input) { model } }",
        json!({ "id": id, "input": config }),
    )
    .await
    .data();
    let slug = created.at("createApp.slug").as_str().unwrap().to_owned();
    (id, slug)
}

/// The admin changes Haiku's prices with a reason; the next call is costed at the new prices.
async fn model_price_edit_costs_the_next_call(client: &Client, app: &TestApp) {
    client.goto(&app.url("/admin/llm")).await.unwrap();
    wait_for(client, "#price-table").await;
    wait_for(client, "#usage-totals, .state.empty").await;
    screenshots(client, "admin-llm").await;

    fill(client, &format!("[id='input-price-{HAIKU}']"), "2").await;
    fill(client, &format!("[id='output-price-{HAIKU}']"), "10").await;
    click(client, &format!("[id='save-price-{HAIKU}']")).await;
    wait_for(client, "#confirm-dialog").await;
    let confirm = wait_for(client, "#confirm-action").await;
    assert!(
        !confirm.is_enabled().await.unwrap(),
        "a money change needs a reason first"
    );
    fill(client, "#confirm-reason", "Provider raised its prices").await;
    screenshot(client, "admin-llm-confirm-desktop").await;
    click(client, "#confirm-action").await;
    let toast = text_of(client, "#toasts .toast").await;
    assert!(toast.contains("saved"), "{toast}");

    let (_, slug) = llm_app(app).await;
    let user = app.user().await;
    app.providers
        .llm
        .anthropic_ok(HAIKU, "Build a blanket fort.", 1234, 567)
        .await;
    let answer = app
        .gql_as(
            &user.token,
            GENERATE,
            json!({ "input": { "appId": slug, "action": "idea", "prompt": "An idea", "idempotencyKey": "price-1" } }),
        )
        .await;
    // 1234 × $2/M + 567 × $10/M (it was $0.003255 at the seeded $0.80 / $4).
    assert_eq!(answer.at("generateText.usage.costUsd"), "0.008138");

    // The usage shows up in the analytics, chart included.
    client.refresh().await.unwrap();
    wait_for(client, "#usage-totals").await;
    wait_for(client, "#cost-chart svg polyline").await;
    wait_for(client, "#calls-chart svg rect.bar").await;
    screenshots(client, "admin-llm-usage").await;
}

/// A SINGLE_CHOICE question made in the portal for an app is asked to that app's users.
async fn question_created_in_the_portal_is_asked(client: &Client, app: &TestApp) {
    let (app_id, slug) = llm_app(app).await;
    client.goto(&app.url("/admin/questions")).await.unwrap();
    wait_for(client, "#questions-table, .state.empty").await;
    click(client, "#new-question").await;
    wait_for(client, "#question-form").await;
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
