//! The admin reports over closed UTC days: a closed day is computed once into its rollup
//! (`report_days`), later calls read the rollup and answer exactly what the first computed, and the
//! days still open are counted live.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use fairydust_entities::{dust_transactions, report_days, users};
use fairydust_schema::rollups;
use fairydust_tests::TestApp;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};
use serde_json::{Value, json};

use crate::admin_stats::{UsageRow, log_usage};
use crate::ledger_support::consume;

const PLATFORM: &str = "query S($from: DateTime!, $to: DateTime!) { platformStats(from: $from, to: $to) {
  totals { newUsers activeUsers dustGranted dustConsumed dustInCirculation llmCalls llmCostUsd }
  days { date measures { newUsers activeUsers dustGranted dustConsumed dustInCirculation llmCalls } }
  topAppsByDust { dustSpent app { slug } }
  topAppsByCost { llmCalls app { slug } }
} }";

const LLM: &str = "query A($from: DateTime!, $to: DateTime!) { llmAnalytics(from: $from, to: $to) {
  totals { requests fallbacks costUsd uniqueUsers }
  byDay { key totals { requests uniqueUsers } }
  byModel { key totals { requests costUsd uniqueUsers } }
  byApp { app { slug } totals { requests uniqueUsers } }
  byAction { key totals { requests uniqueUsers } }
} }";

fn midnight(day: NaiveDate) -> DateTime<Utc> {
    rollups::midnight(day)
}

/// `[today - days_back, tomorrow)` and the closed days the server will roll up for it.
fn range(days_back: i64) -> (Value, Vec<NaiveDate>) {
    let today = Utc::now().date_naive();
    let (from, to) = (
        midnight(today - Duration::days(days_back)),
        midnight(today + Duration::days(1)),
    );
    let closed = rollups::split(from, to, Utc::now()).closed_days;
    (json!({ "from": from, "to": to }), closed)
}

async fn rollups_of(app: &TestApp, report: &str) -> Vec<report_days::Model> {
    report_days::Entity::find()
        .filter(report_days::Column::Report.eq(report))
        .all(&app.db)
        .await
        .unwrap()
}

/// Every stored rollup and when it was computed.
async fn stamps(app: &TestApp) -> Vec<(String, NaiveDate, DateTime<Utc>)> {
    report_days::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|row| (row.report, row.day, row.computed_at))
        .collect()
}

#[tokio::test]
async fn platform_stats_read_closed_days_from_their_rollups() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let owner = app.builder().await;
    let priced = app.priced_app(owner.id, &[("x", 2)]).await;
    let (today_user, old_user) = (app.user().await, app.user().await);
    consume(&app, &today_user, &priced.slug, "x", 1, "today")
        .await
        .data();
    consume(&app, &old_user, &priced.slug, "x", 1, "old")
        .await
        .data();
    // The older account, its welcome bonus and its spend all happened three days ago, at noon.
    let three_days_ago =
        midnight(Utc::now().date_naive() - Duration::days(3)) + Duration::hours(12);
    users::Entity::update_many()
        .col_expr(users::Column::CreatedAt, Expr::value(three_days_ago))
        .filter(users::Column::Id.eq(old_user.id))
        .exec(&app.db)
        .await
        .unwrap();
    dust_transactions::Entity::update_many()
        .col_expr(
            dust_transactions::Column::CreatedAt,
            Expr::value(three_days_ago),
        )
        .filter(dust_transactions::Column::UserId.eq(old_user.id))
        .exec(&app.db)
        .await
        .unwrap();
    for _ in 0..2 {
        let call = UsageRow {
            user: old_user.id,
            app_id: priced.id,
            model: "claude-3-5-haiku-20241022",
            action: Some("x"),
            fallback: false,
            at: three_days_ago,
        };
        log_usage(&app, call).await;
    }

    let (window, closed) = range(4);
    assert!(rollups_of(&app, "platform").await.is_empty());
    let first = app.gql_as(&admin.token, PLATFORM, window.clone()).await;
    let stats = first.at("platformStats").clone();
    assert_eq!(
        rollups_of(&app, "platform").await.len(),
        closed.len(),
        "one rollup per closed day"
    );
    assert_eq!(rollups_of(&app, "platform-apps").await.len(), closed.len());

    let days = stats["days"].as_array().unwrap();
    assert_eq!(days.len(), 5);
    let old_day = &days[1]["measures"];
    assert_eq!(
        days[1]["date"],
        (Utc::now().date_naive() - Duration::days(3)).to_string()
    );
    assert_eq!(
        old_day,
        &json!({ "newUsers": 1, "activeUsers": 1, "dustGranted": 25, "dustConsumed": 2, "dustInCirculation": 23, "llmCalls": 2 })
    );
    // Today's figures (live): the admin, the builder and the user signed in; one spend of 2.
    let today = &days[4]["measures"];
    assert_eq!(today["dustConsumed"], 2);
    assert_eq!(
        today["dustInCirculation"],
        stats["totals"]["dustInCirculation"]
    );
    assert_eq!(stats["totals"]["dustConsumed"], 4);
    assert_eq!(stats["totals"]["llmCalls"], 2);
    assert_eq!(stats["totals"]["llmCostUsd"], "0.0025");
    assert_eq!(
        stats["topAppsByDust"],
        json!([{ "dustSpent": 4, "app": { "slug": priced.slug } }])
    );
    assert_eq!(
        stats["topAppsByCost"],
        json!([{ "llmCalls": 2, "app": { "slug": priced.slug } }])
    );

    // From the rollups, the same answer.
    let second = app.gql_as(&admin.token, PLATFORM, window.clone()).await;
    assert_eq!(second.at("platformStats"), &stats);

    // What a stored rollup says is what the report shows: the raw rows of a closed day are not read.
    let old_date = Utc::now().date_naive() - Duration::days(3);
    let stored = report_days::Entity::find_by_id(("platform".to_owned(), old_date))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the closed day was rolled up");
    let mut body: Value = serde_json::from_str(&stored.body).unwrap();
    body["new_users"] = json!(41);
    let mut changed = stored.into_active_model();
    changed.body = Set(body.to_string());
    changed.update(&app.db).await.unwrap();
    let third = app.gql_as(&admin.token, PLATFORM, window).await;
    assert_eq!(third.at("platformStats.days.1.measures.newUsers"), 41);
    assert_eq!(
        third.at("platformStats.totals.newUsers").as_i64().unwrap(),
        stats["totals"]["newUsers"].as_i64().unwrap() + 40
    );
}

#[tokio::test]
async fn llm_analytics_add_rolled_up_days_to_the_live_one() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let owner = app.builder().await;
    let (ideas, stories) = (
        app.priced_app(owner.id, &[("idea", 1)]).await,
        app.priced_app(owner.id, &[("story", 1)]).await,
    );
    let (ada, bob) = (app.user().await, app.user().await);
    let two_days_ago = midnight(Utc::now().date_naive() - Duration::days(2)) + Duration::hours(8);
    let haiku = "claude-3-5-haiku-20241022";
    let sonnet = "claude-3-5-sonnet-20241022";
    let calls = [
        (ada.id, ideas.id, haiku, Some("idea"), false, two_days_ago),
        (ada.id, ideas.id, haiku, Some("idea"), false, two_days_ago),
        (bob.id, stories.id, sonnet, None, true, two_days_ago),
        (ada.id, ideas.id, haiku, Some("idea"), false, Utc::now()),
    ];
    for (user, app_id, model, action, fallback, at) in calls {
        let call = UsageRow {
            user,
            app_id,
            model,
            action,
            fallback,
            at,
        };
        log_usage(&app, call).await;
    }

    let (window, closed) = range(3);
    let first = app.gql_as(&admin.token, LLM, window.clone()).await;
    let report = first.at("llmAnalytics").clone();
    assert_eq!(rollups_of(&app, "llm").await.len(), closed.len());
    assert_eq!(
        report["totals"],
        json!({ "requests": 4, "fallbacks": 1, "costUsd": "0.005", "uniqueUsers": 2 })
    );
    let two_days_ago_key = two_days_ago.date_naive().to_string();
    let today_key = Utc::now().date_naive().to_string();
    assert_eq!(
        report["byDay"],
        json!([
            { "key": two_days_ago_key, "totals": { "requests": 3, "uniqueUsers": 2 } },
            { "key": today_key, "totals": { "requests": 1, "uniqueUsers": 1 } },
        ])
    );
    assert_eq!(
        report["byModel"],
        json!([
            { "key": haiku, "totals": { "requests": 3, "costUsd": "0.00375", "uniqueUsers": 1 } },
            { "key": sonnet, "totals": { "requests": 1, "costUsd": "0.00125", "uniqueUsers": 1 } },
        ])
    );
    assert_eq!(
        report["byApp"],
        json!([
            { "app": { "slug": ideas.slug }, "totals": { "requests": 3, "uniqueUsers": 1 } },
            { "app": { "slug": stories.slug }, "totals": { "requests": 1, "uniqueUsers": 1 } },
        ])
    );
    assert_eq!(
        report["byAction"],
        json!([
            { "key": "idea", "totals": { "requests": 3, "uniqueUsers": 1 } },
            { "key": "", "totals": { "requests": 1, "uniqueUsers": 1 } },
        ])
    );

    let second = app.gql_as(&admin.token, LLM, window.clone()).await;
    assert_eq!(
        second.at("llmAnalytics"),
        &report,
        "the rollups answer the same"
    );
    // Without distinct users the sums are the same, from the rollups alone.
    let sums = app
        .gql_as(
            &admin.token,
            "query A($from: DateTime!, $to: DateTime!) { llmAnalytics(from: $from, to: $to) { totals { requests costUsd } byModel { key totals { requests } } } }",
            window,
        )
        .await;
    assert_eq!(
        sums.at("llmAnalytics.totals"),
        &json!({ "requests": 4, "costUsd": "0.005" })
    );
    assert_eq!(
        sums.at("llmAnalytics.byModel.0"),
        &json!({ "key": haiku, "totals": { "requests": 3 } })
    );
}

#[tokio::test]
async fn circulation_is_carried_from_a_daily_anchor_and_active_users_count_once() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let owner = app.builder().await;
    let priced = app.priced_app(owner.id, &[("x", 3)]).await;
    let regular = app.user().await;
    consume(&app, &regular, &priced.slug, "x", 1, "today")
        .await
        .data();
    // The same person also spent DUST on two closed days: one active user over the range, not three.
    for (days_back, key) in [(2, "two-days-ago"), (1, "yesterday")] {
        consume(&app, &regular, &priced.slug, "x", 1, key)
            .await
            .data();
        let at = midnight(Utc::now().date_naive() - Duration::days(days_back)) + Duration::hours(9);
        dust_transactions::Entity::update_many()
            .col_expr(dust_transactions::Column::CreatedAt, Expr::value(at))
            .filter(dust_transactions::Column::IdempotencyKey.eq(key))
            .exec(&app.db)
            .await
            .unwrap();
    }

    let (window, closed) = range(3);
    let first = app.gql_as(&admin.token, PLATFORM, window.clone()).await;
    let stats = first.at("platformStats").clone();
    let held: i64 = users::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .iter()
        .map(|user| i64::from(user.dust_balance))
        .sum();
    assert_eq!(stats["totals"]["dustInCirculation"], held);
    let days = stats["days"].as_array().unwrap();
    let spent: Vec<_> = days
        .iter()
        .map(|d| &d["measures"]["dustConsumed"])
        .collect();
    assert_eq!(spent, [&json!(0), &json!(3), &json!(3), &json!(3)]);
    // Each day's circulation is the one before it plus what moved that day.
    assert_eq!(
        days[1]["measures"]["dustInCirculation"].as_i64().unwrap() - 3,
        days[2]["measures"]["dustInCirculation"].as_i64().unwrap()
    );
    // The admin, the builder and the regular user signed in today; the user's spends on the closed
    // days do not count them again.
    assert_eq!(stats["totals"]["activeUsers"], 3);
    assert_eq!(
        rollups_of(&app, "platform-active-users").await.len(),
        closed.len()
    );

    // The anchor is what the report reads: one stored figure per day, not a sum over every balance.
    let anchors = rollups_of(&app, "platform-circulation").await;
    assert_eq!(anchors.len(), 1);
    let mut anchor = anchors[0].clone().into_active_model();
    let stored: i64 = anchors[0].body.parse().unwrap();
    anchor.body = Set((stored + 100).to_string());
    anchor.update(&app.db).await.unwrap();
    let moved = app.gql_as(&admin.token, PLATFORM, window).await;
    assert_eq!(
        moved.at("platformStats.totals.dustInCirculation"),
        held + 100
    );
    assert_eq!(
        moved.at("platformStats.days.0.measures.dustInCirculation"),
        days[0]["measures"]["dustInCirculation"].as_i64().unwrap() + 100
    );
}

#[tokio::test]
async fn rollups_filled_ahead_leave_a_report_nothing_to_compute() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let now = Utc::now();
    let days = rollups::recent_closed_days(now, 5);
    fairydust_schema::admin::stats::fill_rollups(&app.db, &days, now)
        .await
        .unwrap();
    fairydust_schema::llm::platform_usage::fill_rollups(&app.db, &days)
        .await
        .unwrap();
    let reports = [
        "platform",
        "platform-apps",
        "platform-active-users",
        "llm",
        "llm-users",
    ];
    for report in reports {
        assert_eq!(rollups_of(&app, report).await.len(), 5, "{report}");
    }
    let computed_at = stamps(&app).await;

    let (window, _) = range(4);
    app.gql_as(&admin.token, PLATFORM, window.clone())
        .await
        .data();
    app.gql_as(&admin.token, LLM, window).await.data();
    let after = stamps(&app).await;
    assert_eq!(after, computed_at, "the reports only read what was filled");
}
