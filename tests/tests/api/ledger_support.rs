//! Shared helpers of the ledger tests (`ledger_consume`, `ledger_admin`): spending DUST, the admin
//! operations, and the check that a user's transactions form one consistent chain.

use fairydust_entities::dust_transactions;
use fairydust_tests::{Gql, TestApp, TestUser};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

pub(crate) const CONSUME: &str = "mutation Consume($input: ConsumeDustInput!) {
  consumeDust(input: $input) { id amount balanceAfter type action quantity replayed app { slug } }
}";

pub(crate) async fn consume(
    app: &TestApp,
    user: &TestUser,
    app_id: &str,
    action: &str,
    quantity: i64,
    key: &str,
) -> Gql {
    let input =
        json!({ "appId": app_id, "action": action, "quantity": quantity, "idempotencyKey": key });
    app.gql_as(&user.token, CONSUME, json!({ "input": input }))
        .await
}

/// Σ amount = balance, and the rows form one chain: starting from 0, each row's balance before
/// (balance_after − amount) is the previous row's balance_after. Concurrent debits commit in lock order,
/// not timestamp order, so the chain is followed by balances rather than by time.
pub(crate) async fn assert_chain_consistent(app: &TestApp, user: &TestUser) {
    let mut rows = dust_transactions::Entity::find()
        .filter(dust_transactions::Column::UserId.eq(user.id))
        .all(&app.db)
        .await
        .unwrap();
    let balance = app.balance(user.id).await;
    assert_eq!(
        rows.iter().map(|row| row.amount).sum::<i32>(),
        balance,
        "Σ transactions = balance"
    );
    let mut current = 0;
    while !rows.is_empty() {
        let next = rows
            .iter()
            .position(|row| row.balance_after - row.amount == current)
            .unwrap_or_else(|| {
                panic!("no transaction continues the chain at balance {current}: {rows:#?}")
            });
        current = rows.swap_remove(next).balance_after;
    }
    assert_eq!(current, balance);
}

pub(crate) const ADMIN_OPS: &str = "
mutation Grant($user: ID!, $amount: Int!) { grantDust(userId: $user, amount: $amount, reason: \"thanks\") { id amount balanceAfter type } }
mutation Adjust($user: ID!, $delta: Int!) { adjustDust(userId: $user, delta: $delta, reason: \"fix\") { amount balanceAfter type } }
mutation Refund($tx: ID!) { refundTransaction(transactionId: $tx, reason: \"sorry\") { amount balanceAfter type referenceId } }
mutation Purchase($user: ID!, $amount: Int!, $payment: String!, $cents: Int!) {
  recordPurchase(userId: $user, amount: $amount, paymentId: $payment, paymentAmountCents: $cents) { amount type }
}";

pub(crate) async fn admin_op(
    app: &TestApp,
    admin: &TestUser,
    operation: &str,
    variables: Value,
) -> Gql {
    app.send_gql(
        Some(&admin.token),
        json!({ "query": ADMIN_OPS, "operationName": operation, "variables": variables }),
    )
    .await
}
