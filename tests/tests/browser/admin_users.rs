//! The users screens, the audit log and the dashboard: an admin finds a user, grants DUST with a
//! reason, and the balance, the history, the audit log and the dashboard all show it.

use std::time::Duration;

use fairydust_tests::TestApp;
use fantoccini::{Client, Locator};

use crate::support::*;

const REASON: &str = "Browser test goodwill";

/// Waits until an element matching `css` has `needle` in its text; returns that text.
async fn wait_text(client: &Client, css: &str, needle: &str) -> String {
    let mut seen = Vec::new();
    for _ in 0..100 {
        seen.clear();
        if let Ok(elements) = client.find_all(Locator::Css(css)).await {
            for element in elements {
                if let Ok(text) = element.text().await {
                    if text.contains(needle) {
                        return text;
                    }
                    seen.push(text);
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    panic!("no {css} shows {needle:?}; saw {seen:?}");
}

/// Brings the element with this id to the top of the window, for a screenshot of it.
async fn scroll_to(client: &Client, id: &str) {
    client
        .execute(
            "document.getElementById(arguments[0]).scrollIntoView();",
            vec![id.into()],
        )
        .await
        .unwrap();
}

async fn balance_shown(client: &Client) -> i64 {
    let text = text_of(client, "#user-balance").await;
    text.chars()
        .filter(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap_or_else(|_| panic!("balance {text:?}"))
}

/// Search → open the user → grant 10 DUST with a reason → balance and history show it → the audit
/// log shows the grant with its before/after.
pub async fn grant_from_the_user_page(client: &Client, app: &TestApp) {
    let user = app.user().await;
    client.goto(&app.url("/admin/users")).await.unwrap();
    wait_for(client, "#users-table").await;
    fill(client, "#user-search", &user.fairyname).await;
    let row = format!("tr[data-user='{}']", user.id);
    wait_text(client, "#pager .range", "1–1 of 1").await;
    wait_for(client, &row).await;
    let focused = client
        .execute("return document.activeElement.id;", vec![])
        .await
        .unwrap();
    assert_eq!(focused, "user-search", "the search box keeps the focus");
    let url = client.current_url().await.unwrap();
    assert!(
        url.query().unwrap_or_default().contains("search="),
        "the search is kept in the URL: {url}"
    );
    screenshots(client, "admin-users").await;
    assert_fits_phone(client, "users").await;

    click(client, &format!("{row} a")).await;
    wait_for(client, "#user-profile").await;
    wait_for(client, "#history-table").await;
    let before = balance_shown(client).await;

    fill(client, "#dust-amount", "10").await;
    click(client, "#dust-submit").await;
    wait_for(client, "#confirm-dialog").await;
    let message = text_of(client, "#confirm-dialog p").await;
    assert!(message.contains("Grant 10 DUST"), "{message}");
    let confirm = wait_for(client, "#confirm-action").await;
    assert!(
        !confirm.is_enabled().await.unwrap(),
        "a grant needs a reason first"
    );
    fill(client, "#confirm-reason", REASON).await;
    click(client, "#confirm-action").await;
    wait_text(client, "#toasts .toast", "Granted 10 DUST").await;
    let mut after = before;
    for _ in 0..50 {
        after = balance_shown(client).await;
        if after == before + 10 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        after,
        before + 10,
        "the balance comes from the grant's answer"
    );
    let grant = wait_text(client, "#history-table tr[data-kind='grant']", REASON).await;
    assert!(grant.contains("+10"), "{grant}");
    screenshots(client, "admin-user-detail").await;
    assert_fits_phone(client, "user detail").await;
    scroll_to(client, "user-history").await;
    screenshots(client, "admin-user-history").await;

    // The audit log, filtered to this user, shows the grant and its balance change.
    click(client, "a[href*='/admin/audit-log?targetType=user']").await;
    wait_text(
        client,
        "#audit-table tr[data-action='ledger.grant']",
        REASON,
    )
    .await;
    click(
        client,
        "#audit-table tr[data-action='ledger.grant'] button.link",
    )
    .await;
    wait_for(client, ".audit-detail tr.changed[data-key='dust_balance']").await;
    screenshots(client, "admin-audit-log").await;
    assert_fits_phone(client, "audit log").await;

    // The CSV export authenticates with the session's bearer token (a plain link could not).
    click(client, "#export-audit-log").await;
    wait_text(client, "#toasts .toast", "Audit log exported").await;
}

/// The dashboard: totals, a chart per measure, the ledger audit and the latest admin actions.
pub async fn dashboard_shows_the_platform(client: &Client, app: &TestApp) {
    client.goto(&app.url("/admin/")).await.unwrap();
    wait_for(client, "#platform-totals").await;
    let granted = text_of(client, "#total-dust-granted").await;
    assert_ne!(granted, "0", "grants today count");
    wait_for(client, "#chart-new-users svg rect.bar").await;
    wait_for(client, "#chart-active-users svg polyline").await;
    wait_for(client, "#chart-llm-cost svg polyline").await;
    wait_for(client, "#dashboard-ledger[data-state='ok']").await;
    wait_text(client, "#latest-actions li", "ledger.grant").await;
    wait_for(client, "#pending-apps").await;
    screenshots(client, "admin-dashboard").await;
    assert_fits_phone(client, "dashboard").await;
}
