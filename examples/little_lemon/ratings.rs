//! Ratings: the tutorial's `RatingsView` (a `ListCreateAPIView` whose `get_permissions` lets
//! anyone list and only authenticated users post). The rater is always the caller, as the
//! serializer's `HiddenField(default=CurrentUserDefault())` makes it: a posted `user` is
//! never read. One rating per user and menu item is the table's UNIQUE constraint, mapped
//! to DRF's `UniqueTogetherValidator` message where the insert is made, so two posts racing
//! each other cannot both get in.

use actix_web::http::Method;
use actix_web::{HttpResponse, web};
use bouncer::{ApiError, AuthenticatedUser, BodyFields, OptionalUser, RouteThrottles};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sqlite::SqliteConnection;
use serde::Serialize;

use crate::db::{LemonDb, storage};
use crate::fields::{Reader, no_such_pk, parse_integer, parse_pk};
use crate::schema::{menu_items, ratings};

const NOT_UNIQUE: &str = "The fields user, menuitem_id must make a unique set.";

/// A rating as stored and as sent: `{"user", "menuitem_id", "rating"}`.
#[derive(Debug, Serialize, Queryable, Selectable, Insertable)]
#[diesel(table_name = ratings)]
struct Rating {
    #[serde(rename = "user")]
    user_id: i64,
    menuitem_id: i64,
    rating: i32,
}

/// Why an insert did not happen, as the constraints said.
enum Refused {
    /// UNIQUE (user_id, menuitem_id).
    AlreadyRated,
    /// The menu item's foreign key: no such item (or deleted meanwhile).
    NoSuchMenuItem,
}

fn list_rows(conn: &mut SqliteConnection) -> QueryResult<Vec<Rating>> {
    ratings::table
        .order(ratings::id)
        .select(Rating::as_select())
        .load(conn)
}

fn item_exists(conn: &mut SqliteConnection, id: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(menu_items::table.find(id))).get_result(conn)
}

fn insert_row(
    conn: &mut SqliteConnection,
    rating: &Rating,
) -> QueryResult<Result<Rating, Refused>> {
    let inserted = diesel::insert_into(ratings::table)
        .values(rating)
        .returning(Rating::as_returning())
        .get_result(conn);
    match inserted {
        Ok(row) => Ok(Ok(row)),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            Ok(Err(Refused::AlreadyRated))
        }
        Err(DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _)) => {
            Ok(Err(Refused::NoSuchMenuItem))
        }
        Err(e) => Err(e),
    }
}

/// `GET /api/ratings`: anyone; a bad credential is still a 401.
pub async fn list(_: OptionalUser, db: web::Data<LemonDb>) -> Result<HttpResponse, ApiError> {
    let rows = db.run(|conn| list_rows(conn).map_err(storage)).await?;
    Ok(HttpResponse::Ok().json(rows))
}

/// `POST /api/ratings` `{menuitem_id, rating}`: authenticated users (a JWT or a `Token`
/// key); 201 with the rating. Throttled per user by bouncer's `ten` scope (10 a minute, the
/// tutorial's rate; see `configure`), counted once the caller is authenticated.
pub async fn create(
    user: AuthenticatedUser,
    db: web::Data<LemonDb>,
    body: Result<BodyFields, ApiError>,
) -> actix_web::Result<HttpResponse> {
    let body = body?;
    let mut fields = Reader::new(body.as_map(), false);
    let menuitem = fields.field("menuitem_id", parse_pk);
    let rating = fields.field("rating", |v| parse_integer(v, 0, 5));
    let sent = fields.raw("menuitem_id").cloned().unwrap_or_default();
    let (Some(Some(menuitem_id)), Some(rating)) = (menuitem, rating) else {
        // DRF reports every field at once: with the rating wrong, an unknown menu item is
        // still named. (A valid post learns it from the insert, without this query.)
        if let Some(key) = menuitem {
            let exists = match key {
                Some(id) => {
                    db.run(move |conn| item_exists(conn, id).map_err(storage))
                        .await?
                }
                None => false,
            };
            if !exists {
                fields.error("menuitem_id", no_such_pk(&sent));
            }
        }
        fields.finish()?;
        return Err(ApiError::Internal("a rating without an error or a value".into()).into());
    };
    let new = Rating {
        user_id: user.user_id,
        menuitem_id,
        // 0..=5 after the check above.
        rating: rating as i32,
    };
    let outcome = db
        .run(move |conn| insert_row(conn, &new).map_err(storage))
        .await?;
    match outcome {
        Ok(row) => Ok(HttpResponse::Created().json(row)),
        Err(Refused::AlreadyRated) => Err(ApiError::Validation(
            [("non_field_errors".into(), vec![NOT_UNIQUE.into()])].into(),
        )
        .into()),
        Err(Refused::NoSuchMenuItem) => {
            Err(ApiError::field("menuitem_id", &no_such_pk(&sent)).into())
        }
    }
}

/// The ratings routes, with and without Django's trailing slash. POSTs are throttled per user
/// by the `ten` scope (`[throttle.scopes]`); GETs are not throttled at all (the route names
/// its own throttles, so the global ones do not apply either: DRF's rule).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource(["/api/ratings", "/api/ratings/"])
            .app_data(RouteThrottles::scope("ten").on(&[Method::POST]))
            .route(web::get().to(list))
            .route(web::post().to(create)),
    );
}
