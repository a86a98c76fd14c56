//! Column and constraint shorthands shared by the schema migrations.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

pub fn id() -> ColumnDef {
    pk_uuid("id")
}

/// `created_at` and `updated_at`, written by the application (see `fairydust_entities::now`).
pub fn with_timestamps(table: &mut TableCreateStatement) -> &mut TableCreateStatement {
    table
        .col(timestamp_with_time_zone("created_at"))
        .col(timestamp_with_time_zone("updated_at"))
}

/// An exact USD amount: NUMERIC on PostgreSQL; TEXT on SQLite, whose numeric affinity would turn it into a
/// float (the `Usd` entity type decodes either).
pub fn usd(name: &'static str, precision: u32, backend: DbBackend) -> ColumnDef {
    let mut col = ColumnDef::new(name);
    match backend {
        DbBackend::Sqlite => col.custom("decimal_text"),
        _ => col.decimal_len(precision, 6),
    };
    col.not_null().take()
}

pub fn fk(
    table: &'static str,
    column: &'static str,
    target: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table, column)
        .to(target, "id")
        .on_delete(on_delete)
        .take()
}

pub fn check(name: &'static str, sql: &'static str) -> (String, Expr) {
    (name.to_owned(), Expr::cust(sql))
}

pub fn index(
    table: &'static str,
    name: &'static str,
    columns: &[&'static str],
) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(*column);
    }
    index.take()
}

pub fn unique(
    table: &'static str,
    name: &'static str,
    columns: &[&'static str],
) -> IndexCreateStatement {
    index(table, name, columns).unique().take()
}

pub async fn drop_tables(
    manager: &SchemaManager<'_>,
    tables: &[&'static str],
) -> Result<(), DbErr> {
    for table in tables {
        manager
            .drop_table(Table::drop().table(*table).if_exists().take())
            .await?;
    }
    Ok(())
}
