//! Column shapes every migration uses, so both databases get the same types.

use sea_orm_migration::sea_query::{ColumnDef, IntoIden};

/// `timestamptz NOT NULL` (text on SQLite).
pub fn timestamp(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column)
        .timestamp_with_time_zone()
        .not_null()
        .take()
}

pub fn timestamp_null(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column)
        .timestamp_with_time_zone()
        .null()
        .take()
}

pub fn uuid_pk(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column)
        .uuid()
        .not_null()
        .primary_key()
        .take()
}

pub fn text(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).text().not_null().take()
}

pub fn text_null(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).text().null().take()
}

pub fn uuid_col(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).uuid().not_null().take()
}

pub fn uuid_null(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).uuid().null().take()
}

pub fn integer(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).integer().not_null().take()
}

pub fn big_integer(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).big_integer().not_null().take()
}

pub fn date_null(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).date().null().take()
}

pub fn big_integer_null(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).big_integer().null().take()
}

pub fn date(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).date().not_null().take()
}
