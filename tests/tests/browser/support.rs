//! Driving Chromium: the chromedriver process, waiting for elements, screenshots, signing in.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fairydust_tests::TestApp;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// chromedriver, killed when the test ends however it ends.
pub struct Driver {
    process: Child,
    pub port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `None` (with a printed reason) when this machine has no Chromium or no built portals.
pub fn start_driver() -> Option<Driver> {
    let portals = concat!(env!("CARGO_MANIFEST_DIR"), "/../dist");
    if !std::path::Path::new(portals)
        .join("admin/index.html")
        .exists()
    {
        skipped("portals not built (run scripts/build-portals.sh)");
        return None;
    }
    if !std::path::Path::new("/usr/bin/chromium").exists() {
        skipped("/usr/bin/chromium is not installed (apt-get install chromium chromium-driver)");
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
            skipped("chromedriver is not installed");
            return None;
        }
    };
    Some(Driver { process, port })
}

fn skipped(reason: &str) {
    fairydust_schema::skipped_tests::report_skipped("browser tests", reason);
}

pub async fn browser(driver: &Driver) -> Client {
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

pub async fn screenshot(client: &Client, name: &str) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/e2e");
    std::fs::create_dir_all(dir).unwrap();
    let png = client.screenshot().await.unwrap();
    std::fs::write(format!("{dir}/{name}.png"), png).unwrap();
}

pub const WAIT: Duration = Duration::from_secs(15);
pub const SIZES: [(u32, u32, &str); 2] = [(1280, 800, "desktop"), (390, 844, "phone")];

pub async fn wait_for(client: &Client, css: &str) -> fantoccini::elements::Element {
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|error| panic!("{css} did not appear: {error}"))
}

/// The text of `css`, found again when the page re-rendered it between finding and reading (the
/// portals replace their first screen once the session check answers).
pub async fn text_of(client: &Client, css: &str) -> String {
    for _ in 0..50 {
        if let Ok(text) = wait_for(client, css).await.text().await {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css} kept going stale");
}

/// Waits until `css` matches nothing (e.g. a page replaced by another).
pub async fn wait_gone(client: &Client, css: &str) {
    for _ in 0..150 {
        if client.find(Locator::Css(css)).await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css} is still there");
}

/// Resizes the window and returns once the browser has laid out and painted a frame at the new size
/// (two animation frames), instead of waiting a fixed time.
pub async fn resize(client: &Client, width: u32, height: u32) {
    client.set_window_size(width, height).await.unwrap();
    client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             requestAnimationFrame(() => requestAnimationFrame(() => done(window.innerWidth)));",
            vec![],
        )
        .await
        .unwrap();
}

/// Screenshots of the current page at both sizes; ends at desktop size.
pub async fn screenshots(client: &Client, name: &str) {
    for (width, height, size) in SIZES.iter().rev() {
        resize(client, *width, *height).await;
        screenshot(client, &format!("{name}-{size}")).await;
    }
}

pub async fn fill(client: &Client, css: &str, value: &str) {
    let input = wait_for(client, css).await;
    input.clear().await.unwrap();
    input.send_keys(value).await.unwrap();
}

pub async fn click(client: &Client, css: &str) {
    wait_for(client, css).await.click().await.unwrap();
}

/// Signs in through the form on the current page, with the code read from the mock mailbox.
pub async fn sign_in(client: &Client, app: &TestApp, email: &str) {
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
pub async fn script_visible_storage(client: &Client) -> serde_json::Value {
    client
        .execute(
            "return { local: Object.keys(localStorage), session: Object.keys(sessionStorage), cookie: document.cookie };",
            vec![],
        )
        .await
        .unwrap()
}

/// At 390×844 the page must not scroll sideways (wide tables scroll inside their own box); on
/// failure the message names the elements that stick out. Ends at desktop size.
pub async fn assert_fits_phone(client: &Client, screen: &str) {
    resize(client, 390, 844).await;
    let measured = client
        .execute(
            "const width = window.innerWidth;
             const offenders = [...document.querySelectorAll('body *')]
               .filter(el => el.getBoundingClientRect().right > width + 1)
               .filter(el => !el.closest('.table-scroll, .sidenav'))
               .slice(0, 8)
               .map(el => `${el.tagName.toLowerCase()}#${el.id}.${el.className}`);
             return { scroll: document.documentElement.scrollWidth, width, offenders };",
            vec![],
        )
        .await
        .unwrap();
    resize(client, 1280, 800).await;
    assert!(
        measured["scroll"].as_i64() <= measured["width"].as_i64(),
        "{screen} scrolls sideways at phone width: {measured}"
    );
}
