//! The portals in a real headless Chromium: they load, render their sign-in page and reach the API.
//! Screenshots land in `target/e2e/`.

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
                "--window-size=1200,900", format!("--user-data-dir={}", profile.display()),
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

async fn check_portal(client: &Client, app: &TestApp, path: &str, heading: &str, name: &str) {
    client.goto(&app.url(path)).await.unwrap();
    let h1 = client
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css("h1"))
        .await
        .unwrap();
    assert_eq!(h1.text().await.unwrap(), heading);
    let page = client
        .find(Locator::Css("#app-root"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Sign in"), "{page}");
    client
        .find(Locator::Css("#email"))
        .await
        .expect("the sign-in form renders");
    client
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css("#server-status[data-state='ready']"))
        .await
        .expect("the status line reaches the API");
    let status = client
        .find(Locator::Css("#server-status"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        status.contains(env!("CARGO_PKG_VERSION")) && status.contains("UP"),
        "{status}"
    );
    screenshot(client, name).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_portals_render_their_sign_in_page_and_reach_the_api() {
    let Some(driver) = start_driver() else { return };
    let app = TestApp::spawn().await;
    let client = browser(&driver).await;
    check_portal(&client, &app, "/admin/", "fairydust Admin", "admin-sign-in").await;
    check_portal(
        &client,
        &app,
        "/builder/",
        "fairydust Builder",
        "builder-sign-in",
    )
    .await;
    // A deep link loads the app through the SPA fallback.
    check_portal(
        &client,
        &app,
        "/admin/users/some-id",
        "fairydust Admin",
        "admin-deep-link",
    )
    .await;
    client.close().await.unwrap();
}

/// The whole sign-in as a person does it: email, the code from the (mock) email, signed in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_signs_in_to_the_admin_portal_with_an_emailed_code() {
    let Some(driver) = start_driver() else { return };
    let app = TestApp::spawn().await;
    let email = "portal-admin@example.com";
    let identifier = fairydust_schema::identity::contact::Email::parse(email).unwrap();
    fairydust_schema::identity::accounts::create_or_promote_admin(&app.db, &identifier)
        .await
        .unwrap();
    let client = browser(&driver).await;
    client.goto(&app.url("/admin/")).await.unwrap();
    let wait = Duration::from_secs(15);
    client
        .wait()
        .at_most(wait)
        .for_element(Locator::Css("#email"))
        .await
        .unwrap()
        .send_keys(email)
        .await
        .unwrap();
    client
        .find(Locator::Css("#request-code"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let code_box = client
        .wait()
        .at_most(wait)
        .for_element(Locator::Css("#code"))
        .await
        .unwrap();
    let code = {
        let mut code = None;
        for _ in 0..50 {
            code = app.providers.email_code(email).await;
            if code.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        code.expect("the portal asked the server to email a code")
    };
    code_box.send_keys(&code).await.unwrap();
    client
        .find(Locator::Css("#verify-code"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let signed_in = client
        .wait()
        .at_most(wait)
        .for_element(Locator::Css("#signed-in-as"))
        .await
        .unwrap();
    let text = signed_in.text().await.unwrap();
    assert!(text.starts_with("Signed in as "), "{text}");
    let page = client
        .find(Locator::Css("#app-root"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("not an admin"), "{page}");
    screenshot(&client, "admin-signed-in").await;
    client.close().await.unwrap();
}
