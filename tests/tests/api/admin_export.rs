//! CSV exports of the admin lists: admin-only over a bearer token, the same filters as GraphQL,
//! streamed page by page, audited, and safe to open in a spreadsheet.

use fairydust_entities::{admin_audit_log, now, users};
use fairydust_tests::{TestApp, TestUser};
use sea_orm::{EntityTrait, IntoActiveModel};
use serde_json::json;
use uuid::Uuid;

use crate::admin_support::{audit_rows, set_user};

async fn get(app: &TestApp, token: Option<&TestUser>, path: &str) -> (u16, String, String) {
    let mut request = app.http.get(app.url(path));
    if let Some(user) = token {
        request = request.bearer_auth(&user.token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let kind = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, kind, response.text().await.unwrap())
}

#[tokio::test]
async fn only_admins_export_and_every_export_is_audited() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.user().await;
    set_user(&app, user.id, users::Column::Email, "=cmd|calc@example.com").await;
    set_user(&app, user.id, users::Column::Fairyname, "csvtarget").await;

    assert_eq!(get(&app, None, "/export/users.csv").await.0, 401);
    assert_eq!(get(&app, Some(&user), "/export/users.csv").await.0, 403);
    assert_eq!(
        get(&app, Some(&app.builder().await), "/export/users.csv")
            .await
            .0,
        403
    );
    assert!(audit_rows(&app, "export.csv", "users").await.is_empty());

    let (status, kind, body) = get(&app, Some(&admin), "/export/users.csv?search=csvtarget").await;
    assert_eq!(status, 200, "{body}");
    assert!(kind.starts_with("text/csv"), "{kind}");
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(
        lines[0],
        "id,fairyname,email,phone,is_admin,is_builder,is_active,dust_balance,created_at"
    );
    assert_eq!(lines.len(), 2, "{body}");
    assert!(
        lines[1].starts_with(&format!(
            "\"{}\",\"csvtarget\",\"'=cmd|calc@example.com\",,\"false\"",
            user.id
        )),
        "a formula is defused: {}",
        lines[1]
    );
    assert!(
        lines[1].contains(",25,"),
        "numbers stay numbers: {}",
        lines[1]
    );
    let audit = audit_rows(&app, "export.csv", "users").await;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].actor_id, Some(admin.id));
    assert_eq!(
        audit[0].after.as_ref().unwrap()["filters"],
        json!({ "search": "csvtarget" })
    );

    assert_eq!(
        get(&app, Some(&admin), "/export/users.csv?role=OWNER")
            .await
            .0,
        400
    );
    assert_eq!(
        get(
            &app,
            Some(&admin),
            "/export/transactions.csv?from=yesterday"
        )
        .await
        .0,
        400
    );
    assert_eq!(get(&app, Some(&admin), "/export/secrets.csv").await.0, 404);
}

#[tokio::test]
async fn transactions_export_with_filters_and_injection_safe_text() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.user().await;
    let other = app.user().await;
    let grant =
        "mutation G($u: ID!, $r: String!) { grantDust(userId: $u, amount: 7, reason: $r) { id } }";
    for reason in [
        "=HYPERLINK(\"http://evil\")",
        "+1",
        "@SUM(A1)",
        "-2",
        "plain, \"quoted\"",
    ] {
        app.gql_as(&admin.token, grant, json!({ "u": user.id, "r": reason }))
            .await
            .data();
    }
    app.gql_as(&admin.token, grant, json!({ "u": other.id, "r": "x" }))
        .await
        .data();
    let path = format!("/export/transactions.csv?userId={}&type=GRANT", user.id);
    let (status, _, body) = get(&app, Some(&admin), &path).await;
    assert_eq!(status, 200, "{body}");
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(
        lines.len(),
        1 + 6,
        "five grants and the welcome bonus: {body}"
    );
    for expected in [
        "\"'=HYPERLINK(\"\"http://evil\"\")\"",
        "\"'+1\"",
        "\"'@SUM(A1)\"",
        "\"'-2\"",
        "\"plain, \"\"quoted\"\"\"",
    ] {
        assert!(body.contains(expected), "{expected} in {body}");
    }
    assert!(lines[1].contains(",\"GRANT\",7,"), "{}", lines[1]);
    assert!(!body.contains(&other.id.to_string()));
}

#[tokio::test]
async fn a_long_audit_log_streams_across_pages() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let at = now();
    let rows: Vec<_> = (0..1_203)
        .map(|n| {
            admin_audit_log::Model {
                id: Uuid::now_v7(),
                actor_id: Some(admin.id),
                action: "test.bulk".into(),
                target_type: "thing".into(),
                target_id: format!("t{n}"),
                before: None,
                after: Some(json!({ "n": n })),
                reason: None,
                created_at: at,
                updated_at: at,
            }
            .into_active_model()
        })
        .collect();
    for chunk in rows.chunks(300) {
        admin_audit_log::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&app.db)
            .await
            .unwrap();
    }
    let (status, _, body) = get(&app, Some(&admin), "/export/audit-log.csv?action=test.bulk").await;
    assert_eq!(status, 200);
    let lines: Vec<&str> = body.lines().skip(1).collect();
    assert_eq!(lines.len(), 1_203);
    let mut targets: Vec<&str> = lines.iter().map(|l| l.split(',').nth(5).unwrap()).collect();
    targets.sort();
    targets.dedup();
    assert_eq!(targets.len(), 1_203, "no row twice, none missing");
}
