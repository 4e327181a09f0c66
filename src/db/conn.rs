//! A pooled connection of either backend, and the macro that compiles one query for each.

use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, PooledConnection};
use diesel::sqlite::SqliteConnection;

pub(super) type Pool<C> = diesel::r2d2::Pool<ConnectionManager<C>>;

/// A pooled connection to whichever backend the database URL chose.
pub enum DbConn {
    Sqlite(PooledConnection<ConnectionManager<SqliteConnection>>),
    Postgres(PooledConnection<ConnectionManager<PgConnection>>),
}

/// Runs `$body` with `$conn` bound to the concrete connection of the active backend, so each
/// query is type-checked against that backend's full SQL dialect. Backend differences go
/// through `BackendOps`. Internal to storage: nothing outside `db/` writes queries.
macro_rules! on_backend {
    ($db:expr, $conn:ident => $body:expr) => {
        match $db {
            $crate::db::conn::DbConn::Sqlite($conn) => {
                let $conn: &mut diesel::sqlite::SqliteConnection = &mut *$conn;
                $body
            }
            $crate::db::conn::DbConn::Postgres($conn) => {
                let $conn: &mut diesel::pg::PgConnection = &mut *$conn;
                $body
            }
        }
    };
}
pub(crate) use on_backend;
