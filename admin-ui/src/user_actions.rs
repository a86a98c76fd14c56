//! What an admin can do to a user: move DUST (grant, adjust, record a purchase, refund a consume),
//! change roles, deactivate or reactivate the account and sign it out everywhere. Every change is
//! confirmed first, with a reason wherever the API records one; the page then takes the new state
//! from the mutation's answer.

use leptos::prelude::*;
use portal_kit::{ConfirmDialog, PortalError, run, use_toasts};

use crate::display::grouped;
use crate::ops::{
    AdjustDust, DeactivateUser, GrantDust, ReactivateUser, RecordPurchase, RefundUserTransaction,
    RevokeUserSessions, SetAdmin, SetBuilder, adjust_dust, deactivate_user, grant_dust,
    reactivate_user, record_purchase, refund_user_transaction, revoke_user_sessions, set_admin,
    set_builder,
};
use crate::user_detail::Account;

/// A change waiting for its confirmation.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    Grant(i64),
    Adjust(i64),
    Purchase {
        amount: i64,
        payment_id: String,
        cents: i64,
    },
    /// A consume (its id) and the DUST it took (positive).
    Refund(String, i64),
    SetBuilder(bool),
    SetAdmin(bool),
    Deactivate,
    Reactivate,
    RevokeSessions,
}

impl Change {
    fn title(&self) -> &'static str {
        match self {
            Change::Grant(_) => "Grant DUST",
            Change::Adjust(_) => "Adjust the balance",
            Change::Purchase { .. } => "Record a purchase",
            Change::Refund(..) => "Refund a transaction",
            Change::SetBuilder(_) => "Change builder rights",
            Change::SetAdmin(_) => "Change admin rights",
            Change::Deactivate => "Deactivate the account",
            Change::Reactivate => "Reactivate the account",
            Change::RevokeSessions => "Sign out everywhere",
        }
    }

    fn confirm_label(&self) -> &'static str {
        match self {
            Change::Grant(_) => "Grant",
            Change::Adjust(_) => "Adjust",
            Change::Purchase { .. } => "Record purchase",
            Change::Refund(..) => "Refund",
            Change::SetBuilder(_) | Change::SetAdmin(_) => "Change rights",
            Change::Deactivate => "Deactivate",
            Change::Reactivate => "Reactivate",
            Change::RevokeSessions => "Sign out",
        }
    }

    /// `setBuilder` and `recordPurchase` take no reason (a purchase has its payment id).
    fn asks_reason(&self) -> bool {
        !matches!(self, Change::SetBuilder(_) | Change::Purchase { .. })
    }

    fn message(&self, name: &str, balance: i64) -> String {
        let after = |delta: i64| {
            format!(
                "The balance goes from {} to {} DUST.",
                grouped(balance),
                grouped((balance + delta).max(0))
            )
        };
        match self {
            Change::Grant(amount) => format!("Grant {amount} DUST to {name}? {}", after(*amount)),
            Change::Adjust(delta) => format!(
                "Correct {name}'s balance by {delta} DUST? {}",
                after(*delta)
            ),
            Change::Purchase {
                amount,
                payment_id,
                cents,
            } => format!(
                "Credit {name} with {amount} DUST for payment {payment_id} ({cents} cents)? {}",
                after(*amount)
            ),
            Change::Refund(_, amount) => format!(
                "Give {name} back the {amount} DUST this transaction took? {}",
                after(*amount)
            ),
            Change::SetBuilder(true) => format!("Let {name} publish apps as a builder?"),
            Change::SetBuilder(false) => {
                format!("Take builder rights from {name}? Their apps stay as they are.")
            }
            Change::SetAdmin(true) => {
                format!("Make {name} an admin, with every right of this console?")
            }
            Change::SetAdmin(false) => format!(
                "Take admin rights from {name}? It applies to their current session at once."
            ),
            Change::Deactivate => format!(
                "Deactivate {name}? Every session ends now and sign-in is refused; data and DUST are kept."
            ),
            Change::Reactivate => format!("Let {name} sign in again?"),
            Change::RevokeSessions => {
                format!("Sign {name} out of every device? They can sign in again.")
            }
        }
    }
}

/// What the server answered, to update the page with.
enum Outcome {
    Balance(i64),
    Rights {
        is_builder: bool,
        is_admin: bool,
        is_active: bool,
    },
    SessionsEnded(i64),
}

macro_rules! rights {
    ($user:expr) => {{
        let user = $user;
        Outcome::Rights {
            is_builder: user.is_builder,
            is_admin: user.is_admin,
            is_active: user.is_active,
        }
    }};
}

async fn apply(user_id: String, change: Change, reason: String) -> Result<Outcome, PortalError> {
    let optional_reason = Some(reason.clone());
    Ok(match change {
        Change::Grant(amount) => {
            let data = run::<GrantDust>(grant_dust::Variables {
                user_id,
                amount,
                reason,
            })
            .await?;
            Outcome::Balance(data.grant_dust.balance_after)
        }
        Change::Adjust(delta) => {
            let data = run::<AdjustDust>(adjust_dust::Variables {
                user_id,
                delta,
                reason,
            })
            .await?;
            Outcome::Balance(data.adjust_dust.balance_after)
        }
        Change::Purchase {
            amount,
            payment_id,
            cents,
        } => {
            let data = run::<RecordPurchase>(record_purchase::Variables {
                user_id,
                amount,
                payment_id,
                payment_amount_cents: cents,
            })
            .await?;
            Outcome::Balance(data.record_purchase.balance_after)
        }
        Change::Refund(transaction_id, _) => {
            let data = run::<RefundUserTransaction>(refund_user_transaction::Variables {
                transaction_id,
                reason,
            })
            .await?;
            Outcome::Balance(data.refund_transaction.balance_after)
        }
        Change::SetBuilder(is_builder) => {
            let data = run::<SetBuilder>(set_builder::Variables {
                user_id,
                is_builder,
            })
            .await?;
            rights!(data.set_builder)
        }
        Change::SetAdmin(is_admin) => {
            let data = run::<SetAdmin>(set_admin::Variables {
                user_id,
                is_admin,
                reason: optional_reason,
            })
            .await?;
            rights!(data.set_admin)
        }
        Change::Deactivate => {
            let data =
                run::<DeactivateUser>(deactivate_user::Variables { user_id, reason }).await?;
            rights!(data.deactivate_user)
        }
        Change::Reactivate => {
            let data = run::<ReactivateUser>(reactivate_user::Variables {
                user_id,
                reason: optional_reason,
            })
            .await?;
            rights!(data.reactivate_user)
        }
        Change::RevokeSessions => {
            let data = run::<RevokeUserSessions>(revoke_user_sessions::Variables {
                user_id,
                reason: optional_reason,
            })
            .await?;
            Outcome::SessionsEnded(data.revoke_user_sessions)
        }
    })
}

/// The user's page-wide action state: the account, the change being confirmed and a counter the
/// DUST history reloads on.
#[derive(Clone, Copy)]
pub struct UserActions {
    pub account: RwSignal<Account>,
    pending: RwSignal<Option<Change>>,
    confirming: RwSignal<bool>,
    /// Bumped after every DUST movement.
    pub ledger_version: RwSignal<u32>,
}

impl UserActions {
    pub fn new(account: RwSignal<Account>) -> Self {
        Self {
            account,
            pending: RwSignal::new(None),
            confirming: RwSignal::new(false),
            ledger_version: RwSignal::new(0),
        }
    }

    /// Opens the confirmation for `change`.
    pub fn ask(&self, change: Change) {
        self.pending.set(Some(change));
        self.confirming.set(true);
    }

    fn take(&self, outcome: Outcome) {
        self.account.update(|account| match outcome {
            Outcome::Balance(balance) => account.dust_balance = balance,
            Outcome::Rights {
                is_builder,
                is_admin,
                is_active,
            } => {
                account.is_builder = is_builder;
                account.is_admin = is_admin;
                if !is_active {
                    // Deactivation ends every session.
                    account.sessions.clear();
                }
                account.is_active = is_active;
            }
            Outcome::SessionsEnded(_) => account.sessions.clear(),
        });
    }
}

/// `ended`: how many sessions a sign-out everywhere ended.
fn success_message(change: &Change, name: &str, balance: i64, ended: i64) -> String {
    let balance = grouped(balance);
    match change {
        Change::Grant(amount) => format!("Granted {amount} DUST to {name}: balance {balance}"),
        Change::Adjust(delta) => format!("Adjusted {name} by {delta} DUST: balance {balance}"),
        Change::Purchase { amount, .. } => {
            format!("Recorded {amount} DUST bought by {name}: balance {balance}")
        }
        Change::Refund(_, amount) => format!("Refunded {amount} DUST to {name}: balance {balance}"),
        Change::SetBuilder(true) => format!("{name} is a builder"),
        Change::SetBuilder(false) => format!("{name} is no longer a builder"),
        Change::SetAdmin(true) => format!("{name} is an admin"),
        Change::SetAdmin(false) => format!("{name} is no longer an admin"),
        Change::Deactivate => format!("{name} is deactivated and signed out everywhere"),
        Change::Reactivate => format!("{name} can sign in again"),
        Change::RevokeSessions => {
            format!("{name} is signed out of every device ({ended} sessions ended)")
        }
    }
}

/// The confirmation for every action of the page, and the call once confirmed.
#[component]
pub fn ActionDialog(actions: UserActions) -> impl IntoView {
    let toasts = use_toasts();
    let account = actions.account;
    let run_change = Action::new_local(move |(change, reason): &(Change, String)| {
        let (change, reason) = (change.clone(), reason.clone());
        let (user_id, name) = account.with_untracked(|a| (a.id.clone(), a.fairyname.clone()));
        async move {
            match apply(user_id, change.clone(), reason).await {
                Ok(outcome) => {
                    let moved_dust = matches!(outcome, Outcome::Balance(_));
                    let ended = match outcome {
                        Outcome::SessionsEnded(ended) => ended,
                        _ => 0,
                    };
                    actions.take(outcome);
                    if moved_dust {
                        actions.ledger_version.update(|version| *version += 1);
                    }
                    let balance = account.with_untracked(|a| a.dust_balance);
                    toasts.success(success_message(&change, &name, balance, ended));
                }
                Err(error)
                    if error.has_code("CONFLICT") && matches!(change, Change::Refund(..)) =>
                {
                    toasts.error("This transaction was refunded already.");
                    actions.ledger_version.update(|version| *version += 1);
                }
                Err(error) => toasts.error(error.message),
            }
        }
    });
    let pending = actions.pending;
    let title =
        Signal::derive(move || pending.get().map_or("", |change| change.title()).to_owned());
    let label = Signal::derive(move || {
        pending
            .get()
            .map_or("Confirm", |change| change.confirm_label())
            .to_owned()
    });
    let ask_reason =
        Signal::derive(move || pending.get().is_none_or(|change| change.asks_reason()));
    let message = Signal::derive(move || {
        let (name, balance) = account.with(|a| (a.fairyname.clone(), a.dust_balance));
        pending
            .get()
            .map(|change| change.message(&name, balance))
            .unwrap_or_default()
    });
    view! {
        <ConfirmDialog
            open=actions.confirming
            title
            message
            confirm_label=label
            ask_reason
            on_confirm=move |reason: String| {
                if let Some(change) = pending.get_untracked() {
                    run_change.dispatch_local((change, reason));
                }
            }
        />
    }
}
