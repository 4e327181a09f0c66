//! Ratings: the tutorial's `RatingsView` (a `ListCreateAPIView` whose `get_permissions` lets
//! anyone list and only authenticated users post). The rater is always the caller, as the
//! serializer's `HiddenField(default=CurrentUserDefault())` makes it: a posted `user` is
//! never read. One rating per user and menu item is the table's UNIQUE constraint, mapped
//! to DRF's `UniqueTogetherValidator` message where the insert is made, so two posts racing
//! each other cannot both get in.
//!
//! `menuitem_id` is the second tutorial's `SmallIntegerField`: any number in its range, with
//! no menu item behind it required (`{"menuitem_id": 3, "rating": 4}` on a project without a
//! menu is 201, as in the exercise). A `ModelSerializer` turns the model field's range
//! validators into `IntegerField(min_value=-32768, max_value=32767)`, hence DRF's wording for
//! a value outside it. (Django on SQLite does not attach that range, SQLite being 64-bit
//! throughout; the field's documented range, which PostgreSQL and MySQL enforce, is the one
//! kept here.)

use actix_web::http::Method;
use actix_web::{HttpResponse, web};
use bouncer::{ApiError, AuthenticatedUser, BodyFields, OptionalUser, RouteThrottles};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sqlite::SqliteConnection;
use serde::Serialize;

use crate::db::{LemonDb, storage};
use crate::fields::{Reader, parse_integer};
use crate::schema::ratings;

const NOT_UNIQUE: &str = "The fields user, menuitem_id must make a unique set.";

/// A rating as stored and as sent: `{"user", "menuitem_id", "rating"}`.
#[derive(Debug, Serialize, Queryable, Selectable, Insertable)]
#[diesel(table_name = ratings)]
struct Rating {
    #[serde(rename = "user")]
    user_id: i64,
    menuitem_id: i16,
    rating: i32,
}

/// `SmallIntegerField`'s range (Django's `integer_field_ranges`).
const SMALL_INTEGER: (i64, i64) = (i16::MIN as i64, i16::MAX as i64);

/// The insert did not happen: UNIQUE (user_id, menuitem_id) refused it.
struct AlreadyRated;

fn list_rows(conn: &mut SqliteConnection) -> QueryResult<Vec<Rating>> {
    ratings::table
        .order(ratings::id)
        .select(Rating::as_select())
        .load(conn)
}

fn insert_row(
    conn: &mut SqliteConnection,
    rating: &Rating,
) -> QueryResult<Result<Rating, AlreadyRated>> {
    let inserted = diesel::insert_into(ratings::table)
        .values(rating)
        .returning(Rating::as_returning())
        .get_result(conn);
    match inserted {
        Ok(row) => Ok(Ok(row)),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            Ok(Err(AlreadyRated))
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
    let (min, max) = SMALL_INTEGER;
    let menuitem = fields.field("menuitem_id", |v| parse_integer(v, min, max));
    let rating = fields.field("rating", |v| parse_integer(v, 0, 5));
    let (Some(menuitem_id), Some(rating)) = (menuitem, rating) else {
        // DRF reports every field at once.
        fields.finish()?;
        return Err(ApiError::Internal("a rating without an error or a value".into()).into());
    };
    let new = Rating {
        user_id: user.user_id,
        // Both within their ranges after the checks above.
        menuitem_id: menuitem_id as i16,
        rating: rating as i32,
    };
    let outcome = db
        .run(move |conn| insert_row(conn, &new).map_err(storage))
        .await?;
    match outcome {
        Ok(row) => Ok(HttpResponse::Created().json(row)),
        Err(AlreadyRated) => Err(ApiError::Validation(
            [("non_field_errors".into(), vec![NOT_UNIQUE.into()])].into(),
        )
        .into()),
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
