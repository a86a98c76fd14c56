use rust_decimal::Decimal;
use sea_orm::sea_query::{ArrayType, ColumnType, Nullable, Value, ValueType, ValueTypeErr};
use sea_orm::{ColIdx, QueryResult, TryGetError, TryGetable};
use serde::{Deserialize, Serialize};

/// An exact USD amount (prices per million tokens, LLM call costs), normalised on read so that
/// PostgreSQL's `1.000000` and SQLite's `1` are the same value everywhere above the database.
///
/// sea-orm reads `Decimal` from SQLite through `f64`, which would make costs inexact, so on SQLite these
/// columns are TEXT and this type decodes the text; on PostgreSQL they are NUMERIC and decode as `Decimal`.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Usd(pub Decimal);

impl From<Usd> for Value {
    fn from(value: Usd) -> Self {
        Value::Decimal(Some(value.0))
    }
}

impl Nullable for Usd {
    fn null() -> Value {
        Value::Decimal(None)
    }
}

impl ValueType for Usd {
    fn try_from(v: Value) -> Result<Self, ValueTypeErr> {
        match v {
            Value::Decimal(Some(d)) => Ok(Usd(d)),
            Value::String(Some(s)) => s.parse().map(Usd).map_err(|_| ValueTypeErr),
            _ => Err(ValueTypeErr),
        }
    }

    fn type_name() -> String {
        "Usd".to_owned()
    }

    fn array_type() -> ArrayType {
        ArrayType::Decimal
    }

    fn column_type() -> ColumnType {
        ColumnType::Decimal(Some((12, 6)))
    }
}

impl TryGetable for Usd {
    fn try_get_by<I: ColIdx>(res: &QueryResult, index: I) -> Result<Self, TryGetError> {
        // PostgreSQL NUMERIC refuses to decode as text, SQLite TEXT decodes as text: try text first.
        if let Ok(text) = String::try_get_by(res, index) {
            return text
                .parse()
                .map(|d: Decimal| Usd(d.normalize()))
                .map_err(|e| {
                    TryGetError::DbErr(sea_orm::DbErr::Type(format!(
                        "bad USD amount {text:?}: {e}"
                    )))
                });
        }
        Decimal::try_get_by(res, index).map(|d| Usd(d.normalize()))
    }
}
