//! CSV exports of the admin lists (users, transactions, audit log) with the same filters as their
//! GraphQL fields, streamed a page at a time so a million rows never sit in memory. Each export is
//! itself an audited admin action. The HTTP route lives in the server crate; this is the domain part.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use futures_util::Stream;
use sea_orm::DatabaseConnection;
use serde_json::json;
use uuid::Uuid;

use super::AdminError;
use super::audit::{self, AuditEntry};
use super::audit_log::{self, AuditFilter};
use super::directory::{self, Role, UserFilter};
use super::error::invalid;
use super::transactions::{self, TransactionFilter};
use crate::apps::catalog::{self, AppRef};
use crate::ledger::TransactionKind;
use crate::pagination::Cursor;
use sea_orm::ActiveEnum;

const EXPORT_PAGE: u64 = 500;

#[derive(Clone, Debug)]
pub enum ExportList {
    Users(UserFilter),
    Transactions(TransactionFilter),
    AuditLog(AuditFilter),
}

/// One CSV cell: numbers as they are; text quoted, and defused when a spreadsheet would read it as
/// a formula (OWASP CSV injection: a leading `=`, `+`, `-`, `@`, tab or carriage return gets a `'`).
pub enum Cell {
    Number(i64),
    Text(String),
    Empty,
}

impl Cell {
    fn text(value: impl ToString) -> Self {
        Cell::Text(value.to_string())
    }

    fn opt(value: Option<impl ToString>) -> Self {
        value.map_or(Cell::Empty, Cell::text)
    }

    fn write(&self, out: &mut String) {
        match self {
            Cell::Number(n) => out.push_str(&n.to_string()),
            Cell::Empty => {}
            Cell::Text(text) => {
                out.push('"');
                if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                    out.push('\'');
                }
                out.push_str(&text.replace('"', "\"\""));
                out.push('"');
            }
        }
    }
}

pub fn csv_line(cells: &[Cell]) -> String {
    let mut line = String::new();
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        cell.write(&mut line);
    }
    line.push_str("\r\n");
    line
}

fn param<'a>(params: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    params.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
}

fn uuid_param(params: &HashMap<String, String>, name: &str) -> Result<Option<Uuid>, AdminError> {
    param(params, name)
        .map(|v| Uuid::parse_str(v).map_err(|_| invalid(format!("{name} is not an id"))))
        .transpose()
}

fn time_param(
    params: &HashMap<String, String>,
    name: &str,
) -> Result<Option<DateTime<Utc>>, AdminError> {
    param(params, name)
        .map(|v| {
            DateTime::parse_from_rfc3339(v)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| invalid(format!("{name} must be an RFC 3339 date-time")))
        })
        .transpose()
}

impl ExportList {
    /// The list named by the route (`users`, `transactions`, `audit-log`) with its filters from the
    /// query string, named as the GraphQL arguments are.
    pub async fn parse(
        db: &DatabaseConnection,
        list: &str,
        params: &HashMap<String, String>,
    ) -> Result<Self, AdminError> {
        match list {
            "users" => Ok(ExportList::Users(UserFilter {
                search: param(params, "search").map(str::to_owned),
                role: match param(params, "role")
                    .map(str::to_ascii_uppercase)
                    .as_deref()
                {
                    None => None,
                    Some("USER") => Some(Role::User),
                    Some("BUILDER") => Some(Role::Builder),
                    Some("ADMIN") => Some(Role::Admin),
                    Some(_) => return Err(invalid("role must be USER, BUILDER or ADMIN")),
                },
                active: match param(params, "active") {
                    None => None,
                    Some("true") => Some(true),
                    Some("false") => Some(false),
                    Some(_) => return Err(invalid("active must be true or false")),
                },
            })),
            "transactions" => Ok(ExportList::Transactions(TransactionFilter {
                user_id: uuid_param(params, "userId")?,
                app_id: match param(params, "appId") {
                    None => None,
                    Some(app) => Some(
                        catalog::resolve_app_id(db, &AppRef::parse(app))
                            .await?
                            .ok_or(AdminError::NotFound("App"))?,
                    ),
                },
                kind: param(params, "type")
                    .map(|v| {
                        TransactionKind::try_from_value(&v.to_ascii_lowercase())
                            .map_err(|_| invalid("type is not a transaction type"))
                    })
                    .transpose()?,
                from: time_param(params, "from")?,
                to: time_param(params, "to")?,
            })),
            "audit-log" => Ok(ExportList::AuditLog(AuditFilter {
                actor_id: uuid_param(params, "actorId")?,
                action: param(params, "action").map(str::to_owned),
                target_type: param(params, "targetType").map(str::to_owned),
                target_id: param(params, "targetId").map(str::to_owned),
                from: time_param(params, "from")?,
                to: time_param(params, "to")?,
            })),
            _ => Err(AdminError::NotFound("Export")),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            ExportList::Users(_) => "users",
            ExportList::Transactions(_) => "transactions",
            ExportList::AuditLog(_) => "audit-log",
        }
    }

    fn header(&self) -> &'static str {
        match self {
            ExportList::Users(_) => {
                "id,fairyname,email,phone,is_admin,is_builder,is_active,dust_balance,created_at\r\n"
            }
            ExportList::Transactions(_) => {
                "id,created_at,user_id,type,amount,balance_after,app_id,action,quantity,description,reference_id,payment_id,actor_id\r\n"
            }
            ExportList::AuditLog(_) => {
                "id,created_at,actor_id,action,target_type,target_id,reason,before,after\r\n"
            }
        }
    }

    /// One page of CSV lines after `after`, and the cursor of its last row when there may be more.
    async fn chunk(
        &self,
        db: &DatabaseConnection,
        after: Option<Cursor>,
    ) -> Result<(String, Option<Cursor>), AdminError> {
        let mut out = String::new();
        let last = match self {
            ExportList::Users(filter) => {
                let (rows, _) = directory::page(db, filter, after, EXPORT_PAGE, false).await?;
                for u in &rows {
                    out.push_str(&csv_line(&[
                        Cell::text(u.id),
                        Cell::text(&u.fairyname),
                        Cell::opt(u.email.as_ref()),
                        Cell::opt(u.phone.as_ref()),
                        Cell::text(u.is_admin),
                        Cell::text(u.is_builder),
                        Cell::text(u.is_active),
                        Cell::Number(u.dust_balance.into()),
                        Cell::text(u.created_at.to_rfc3339()),
                    ]));
                }
                (rows.len() as u64, rows.last().map(|u| (u.created_at, u.id)))
            }
            ExportList::Transactions(filter) => {
                let (rows, _) = transactions::page(db, filter, after, EXPORT_PAGE, false).await?;
                for t in &rows {
                    out.push_str(&csv_line(&[
                        Cell::text(t.id),
                        Cell::text(t.created_at.to_rfc3339()),
                        Cell::text(t.user_id),
                        Cell::text(t.kind.to_value().to_ascii_uppercase()),
                        Cell::Number(t.amount.into()),
                        Cell::Number(t.balance_after.into()),
                        Cell::opt(t.app_id),
                        Cell::opt(t.action.as_ref()),
                        t.quantity.map_or(Cell::Empty, |q| Cell::Number(q.into())),
                        Cell::opt(t.description.as_ref()),
                        Cell::opt(t.reference_id),
                        Cell::opt(t.payment_id.as_ref()),
                        Cell::opt(t.actor_id),
                    ]));
                }
                (rows.len() as u64, rows.last().map(|t| (t.created_at, t.id)))
            }
            ExportList::AuditLog(filter) => {
                let (rows, _) = audit_log::page(db, filter, after, EXPORT_PAGE, false).await?;
                for a in &rows {
                    out.push_str(&csv_line(&[
                        Cell::text(a.id),
                        Cell::text(a.created_at.to_rfc3339()),
                        Cell::opt(a.actor_id),
                        Cell::text(&a.action),
                        Cell::text(&a.target_type),
                        Cell::text(&a.target_id),
                        Cell::opt(a.reason.as_ref()),
                        Cell::opt(a.before.as_ref()),
                        Cell::opt(a.after.as_ref()),
                    ]));
                }
                (rows.len() as u64, rows.last().map(|a| (a.created_at, a.id)))
            }
        };
        let next = match last {
            (n, Some((created_at, id))) if n == EXPORT_PAGE => Some(Cursor { created_at, id }),
            _ => None,
        };
        Ok((out, next))
    }
}

/// Records the export in the audit log, then returns the CSV as a stream of chunks: the header, then
/// one chunk per page. An error mid-stream ends the stream with that error.
pub async fn export(
    db: &DatabaseConnection,
    actor_id: Uuid,
    list: ExportList,
    filters: serde_json::Value,
) -> Result<impl Stream<Item = Result<String, AdminError>> + Send + 'static, AdminError> {
    audit::record(
        db,
        AuditEntry {
            actor_id,
            action: "export.csv",
            target_type: "export",
            target_id: list.name().to_owned(),
            before: None,
            after: Some(json!({ "list": list.name(), "filters": filters })),
            reason: None,
        },
    )
    .await?;
    enum Step {
        Header,
        Page(Option<Cursor>),
        Done,
    }
    let db = db.clone();
    Ok(futures_util::stream::unfold(
        (Step::Header, list, db),
        |(step, list, db)| async move {
            match step {
                Step::Header => Some((Ok(list.header().to_owned()), (Step::Page(None), list, db))),
                Step::Page(after) => match list.chunk(&db, after).await {
                    Ok((text, Some(next))) => Some((Ok(text), (Step::Page(Some(next)), list, db))),
                    Ok((text, None)) => Some((Ok(text), (Step::Done, list, db))),
                    Err(error) => Some((Err(error), (Step::Done, list, db))),
                },
                Step::Done => None,
            }
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_quotes_doubled() {
        let line = csv_line(&[
            Cell::text("=HYPERLINK(\"x\")"),
            Cell::text("+1"),
            Cell::text("-2"),
            Cell::text("@SUM(A1)"),
            Cell::text("plain, text"),
            Cell::Number(-5),
            Cell::Empty,
        ]);
        assert_eq!(
            line,
            "\"'=HYPERLINK(\"\"x\"\")\",\"'+1\",\"'-2\",\"'@SUM(A1)\",\"plain, text\",-5,\r\n"
        );
    }
}
