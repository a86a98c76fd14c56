//! The daily bonus: the first claim each UTC day pays `table[min(streak, len) − 1]` DUST. The streak
//! grows when the previous claim was yesterday (UTC) or less than 36 hours ago, else restarts at 1.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use fairydust_entities::{dust_transactions, users};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, TransactionTrait};
use uuid::Uuid;

use super::IdentityError;
use crate::cache::Cache;
use crate::ledger::{self, Entry, TransactionKind, events};

const STREAK_GRACE: i64 = 36;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BonusStatus {
    pub eligible: bool,
    /// What a claim pays now, or the next one if today's is claimed.
    pub amount: i32,
    pub next_eligible_at: DateTime<Utc>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Claimed {
    pub amount: i32,
    pub streak_days: i32,
    pub balance: i32,
    pub already_claimed: bool,
}

fn next_streak(
    last_date: Option<NaiveDate>,
    last_at: Option<DateTime<Utc>>,
    streak: i32,
    now: DateTime<Utc>,
) -> i32 {
    let today = now.date_naive();
    let yesterday = today.pred_opt().unwrap_or(today);
    let continues = last_date == Some(yesterday)
        || last_at.is_some_and(|at| now - at < Duration::hours(STREAK_GRACE));
    if continues { streak + 1 } else { 1 }
}

pub fn reward_for(table: &[i32], streak: i32) -> i32 {
    let index = (streak.max(1) as usize).min(table.len()) - 1;
    table.get(index).copied().unwrap_or(1)
}

pub fn status(user: &users::Model, table: &[i32], now: DateTime<Utc>) -> BonusStatus {
    let today = now.date_naive();
    let tomorrow = today
        .succ_opt()
        .unwrap_or(today)
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc();
    if user.last_daily_bonus_date == Some(today) {
        // Tomorrow's claim continues the streak (yesterday's rule), whatever the hour.
        BonusStatus {
            eligible: false,
            amount: reward_for(table, user.streak_days + 1),
            next_eligible_at: tomorrow,
        }
    } else {
        let streak = next_streak(
            user.last_daily_bonus_date,
            user.last_daily_bonus_at,
            user.streak_days,
            now,
        );
        BonusStatus {
            eligible: true,
            amount: reward_for(table, streak),
            next_eligible_at: now,
        }
    }
}

fn idempotency_key(day: NaiveDate) -> String {
    format!("daily-bonus:{day}")
}

/// Claims today's bonus once: a second claim on the same UTC day returns the first one's result.
pub async fn claim(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    table: &[i32],
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Claimed, IdentityError> {
    let today = now.date_naive();
    let txn = db.begin().await?;
    // Write first: lock the user's row (and SQLite's write lock) before reading the streak.
    let locked = users::Entity::update_many()
        .col_expr(
            users::Column::UpdatedAt,
            Expr::value(fairydust_entities::now()),
        )
        .filter(users::Column::Id.eq(user_id))
        .exec_with_returning(&txn)
        .await?;
    let user = locked
        .into_iter()
        .next()
        .ok_or(IdentityError::UserNotFound)?;
    if user.last_daily_bonus_date == Some(today) {
        let earlier = dust_transactions::Entity::find()
            .filter(dust_transactions::Column::UserId.eq(user_id))
            .filter(dust_transactions::Column::IdempotencyKey.eq(idempotency_key(today)))
            .one(&txn)
            .await?;
        txn.commit().await?;
        return Ok(Claimed {
            amount: earlier.map_or(0, |row| row.amount),
            streak_days: user.streak_days,
            balance: user.dust_balance,
            already_claimed: true,
        });
    }
    let streak = next_streak(
        user.last_daily_bonus_date,
        user.last_daily_bonus_at,
        user.streak_days,
        now,
    );
    let amount = reward_for(table, streak);
    let entry = Entry {
        idempotency_key: Some(idempotency_key(today)),
        ..Entry::new(user_id, amount, TransactionKind::Reward)
            .described(format!("Daily bonus (day {streak})"))
    };
    let row = ledger::post(&txn, entry).await?;
    users::Entity::update_many()
        .col_expr(users::Column::StreakDays, Expr::value(streak))
        .col_expr(users::Column::LastDailyBonusDate, Expr::value(today))
        .col_expr(users::Column::LastDailyBonusAt, Expr::value(now))
        .filter(users::Column::Id.eq(user_id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    events::publish(cache, &row).await;
    Ok(Claimed {
        amount,
        streak_days: streak,
        balance: row.balance_after,
        already_claimed: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn the_streak_continues_from_yesterday_or_within_36_hours() {
        let now = at("2026-11-26T09:00:00Z");
        let yesterday = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        assert_eq!(
            next_streak(Some(yesterday), Some(at("2026-11-25T00:01:00Z")), 3, now),
            4
        );
        // Two calendar days back but 33 hours ago: still continues.
        let two_days = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        assert_eq!(
            next_streak(Some(two_days), Some(at("2026-11-24T23:59:00Z")), 3, now),
            4
        );
        assert_eq!(
            next_streak(Some(two_days), Some(at("2026-11-24T20:00:00Z")), 3, now),
            1
        );
        assert_eq!(next_streak(None, None, 0, now), 1);
    }

    #[test]
    fn rewards_follow_the_table_and_cap_at_its_end() {
        let table = [1, 2, 3, 4, 5];
        assert_eq!(
            (1..=7).map(|s| reward_for(&table, s)).collect::<Vec<_>>(),
            vec![1, 2, 3, 4, 5, 5, 5]
        );
        assert_eq!(reward_for(&[10], 4), 10);
    }
}
