//! `platformStats`: per UTC day and in total, from grouped queries on both backends.

use chrono::{Duration, Utc};
use fairydust_entities::{Usd, dust_transactions, llm_usage_logs, now, users};
use fairydust_tests::TestApp;
use rust_decimal::Decimal;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::ledger_support::{admin_op, consume};

const STATS: &str = "query S($from: DateTime!, $to: DateTime!) { platformStats(from: $from, to: $to) {
  totals { newUsers activeUsers dustGranted dustConsumed dustPurchased dustRefunded dustRewarded dustAdjusted
           dustInCirculation llmCalls llmCostUsd llmFallbackRate }
  days { date measures { newUsers activeUsers dustGranted dustConsumed dustInCirculation llmCalls } }
  appsByStatus { status count }
  topAppsByDust { dustSpent app { slug } }
  topAppsByCost { llmCalls llmCostUsd app { slug } }
} }";

/// One model call in the usage log, written at `at`.
pub(crate) struct UsageRow<'a> {
    pub user: Uuid,
    pub app_id: Uuid,
    pub model: &'a str,
    pub action: Option<&'a str>,
    pub fallback: bool,
    pub at: chrono::DateTime<Utc>,
}

/// Costs 0.00125 USD.
pub(crate) async fn log_usage(app: &TestApp, call: UsageRow<'_>) {
    let row = llm_usage_logs::Model {
        id: Uuid::now_v7(),
        user_id: call.user,
        app_id: call.app_id,
        provider: "anthropic".into(),
        model: call.model.into(),
        prompt_tokens: 10,
        completion_tokens: 10,
        total_tokens: 20,
        cost_usd: Usd(Decimal::new(1_250, 6)),
        latency_ms: 5,
        finish_reason: None,
        was_fallback: call.fallback,
        fallback_reason: None,
        action: call.action.map(str::to_owned),
        success: true,
        error: None,
        source: "gateway".into(),
        created_at: call.at,
        updated_at: call.at,
    };
    llm_usage_logs::Entity::insert(row.into_active_model())
        .exec_without_returning(&app.db)
        .await
        .unwrap();
}

async fn log_call(app: &TestApp, user: Uuid, app_id: Uuid, fallback: bool) {
    let call = UsageRow {
        user,
        app_id,
        model: "claude-3-5-haiku-20241022",
        action: None,
        fallback,
        at: now(),
    };
    log_usage(app, call).await;
}

#[tokio::test]
async fn platform_stats_add_up_per_day_and_in_total() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let owner = app.builder().await;
    let priced = app.priced_app(owner.id, &[("x", 3)]).await;
    let (spender, old) = (app.user().await, app.user().await);
    let first = consume(&app, &spender, &priced.slug, "x", 1, "k1").await;
    consume(&app, &spender, &priced.slug, "x", 1, "k2")
        .await
        .data();
    let tx = first.at("consumeDust.id").clone();
    admin_op(&app, &admin, "Refund", json!({ "tx": tx }))
        .await
        .data();
    let purchase = json!({ "user": spender.id, "amount": 100, "payment": "pi_1", "cents": 100 });
    admin_op(&app, &admin, "Purchase", purchase).await.data();
    for fallback in [false, false, false, true] {
        log_call(&app, spender.id, priced.id, fallback).await;
    }
    // One account signed up yesterday: its row and welcome bonus move back a day.
    let yesterday = now() - Duration::days(1);
    users::Entity::update_many()
        .col_expr(users::Column::CreatedAt, Expr::value(yesterday))
        .filter(users::Column::Id.eq(old.id))
        .exec(&app.db)
        .await
        .unwrap();
    dust_transactions::Entity::update_many()
        .col_expr(dust_transactions::Column::CreatedAt, Expr::value(yesterday))
        .filter(dust_transactions::Column::UserId.eq(old.id))
        .exec(&app.db)
        .await
        .unwrap();

    let today = Utc::now().date_naive();
    let from = (today - Duration::days(2))
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    let to = (today + Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    let answer = app
        .gql_as(&admin.token, STATS, json!({ "from": from, "to": to }))
        .await;
    let stats = answer.at("platformStats");
    let totals = &stats["totals"];
    assert_eq!(totals["newUsers"], 4);
    assert_eq!(totals["activeUsers"], 4, "all four signed in");
    assert_eq!(totals["dustGranted"], 100);
    assert_eq!(totals["dustConsumed"], 6);
    assert_eq!(totals["dustRefunded"], 3);
    assert_eq!(totals["dustPurchased"], 100);
    assert_eq!(totals["dustRewarded"], 0);
    assert_eq!(totals["dustInCirculation"], 100 - 6 + 3 + 100);
    assert_eq!(totals["llmCalls"], 4);
    assert_eq!(totals["llmCostUsd"], "0.005");
    assert_eq!(totals["llmFallbackRate"], 0.25);

    let days = stats["days"].as_array().unwrap();
    assert_eq!(days.len(), 3, "every day of the range, quiet ones too");
    let day = |n: usize| &days[n]["measures"];
    assert_eq!(days[0]["date"], (today - Duration::days(2)).to_string());
    assert_eq!(
        day(0),
        &json!({ "newUsers": 0, "activeUsers": 0, "dustGranted": 0, "dustConsumed": 0, "dustInCirculation": 0, "llmCalls": 0 })
    );
    assert_eq!(day(1)["newUsers"], 1);
    assert_eq!(day(1)["dustGranted"], 25);
    assert_eq!(day(1)["dustInCirculation"], 25);
    assert_eq!(day(2)["newUsers"], 3);
    assert_eq!(day(2)["dustConsumed"], 6);
    assert_eq!(day(2)["dustInCirculation"], totals["dustInCirculation"]);
    assert_eq!(day(2)["llmCalls"], 4);

    let by_dust = stats["topAppsByDust"].as_array().unwrap();
    assert_eq!(by_dust.len(), 1);
    assert_eq!(by_dust[0]["dustSpent"], 3, "net of the refund");
    assert_eq!(by_dust[0]["app"]["slug"], priced.slug.as_str());
    assert_eq!(stats["topAppsByCost"][0]["llmCalls"], 4);
    assert_eq!(
        stats["topAppsByCost"][0]["app"]["slug"],
        priced.slug.as_str()
    );
    let statuses: Vec<&Value> = stats["appsByStatus"].as_array().unwrap().iter().collect();
    assert_eq!(statuses.len(), 4);
    assert!(
        statuses
            .iter()
            .any(|s| s["status"] == "PENDING" && s["count"] == 0)
    );

    for (from, to) in [(to, from), (from, from + Duration::days(367))] {
        app.gql_as(&admin.token, STATS, json!({ "from": from, "to": to }))
            .await
            .expect_error("BAD_USER_INPUT");
    }
    app.gql_as(&spender.token, STATS, json!({ "from": from, "to": to }))
        .await
        .expect_error("FORBIDDEN");
}
