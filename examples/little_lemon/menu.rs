//! Menu items: the tutorial's `MenuItemsViewSet`. Anyone reads them; only the Manager group
//! writes them. The permission is the extractor in each handler's signature, so a write never
//! reaches the database unless bouncer has already said yes (401 anonymous, 403 not a manager).

use actix_web::{HttpResponse, web};
use bouncer::{ApiError, BodyFields, InGroup, OptionalUser};
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use serde::Serialize;

use crate::db::{LemonDb, storage};
use crate::fields::{Decimal, Reader, parse_char, parse_integer};
use crate::schema::menu_items;

// The tutorial's Manager group; bouncer compares group names case-insensitively, so
// `/api/groups/manager/users` and `bouncer group add-user Manager alice` both reach it.
bouncer::group!(Manager, "Manager");

/// The model's `DecimalField(max_digits=6, decimal_places=2)`.
const PRICE: Decimal = Decimal {
    max_digits: 6,
    decimal_places: 2,
};
/// The model's `CharField(max_length=255)`.
const TITLE_MAX: usize = 255;
/// The model's `SmallIntegerField`, which cannot go below zero here.
const INVENTORY_MAX: i64 = i16::MAX as i64;

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = menu_items)]
struct MenuItemRow {
    id: i64,
    title: String,
    price_cents: i64,
    inventory: i32,
}

/// A menu item on the wire: the price as a string with two places, as DRF sends decimals.
#[derive(Debug, Serialize)]
struct MenuItem {
    id: i64,
    title: String,
    price: String,
    inventory: i32,
}

impl From<MenuItemRow> for MenuItem {
    fn from(row: MenuItemRow) -> Self {
        Self {
            id: row.id,
            title: row.title,
            price: PRICE.format(row.price_cents),
            inventory: row.inventory,
        }
    }
}

/// What a write sets; `None` leaves a column alone (PATCH).
#[derive(Debug, Default, AsChangeset, Insertable)]
#[diesel(table_name = menu_items)]
struct Changes {
    title: Option<String>,
    price_cents: Option<i64>,
    inventory: Option<i32>,
}

impl Changes {
    /// Every field checked, every error reported together. `partial` is PATCH.
    fn read(body: &BodyFields, partial: bool) -> Result<Self, ApiError> {
        let mut fields = Reader::new(body.as_map(), partial);
        let title = fields.field("title", |v| parse_char(v, TITLE_MAX));
        let price_cents = fields.field("price", |v| {
            // DRF's DecimalField has no exclusive minimum; this is the app's own rule.
            PRICE.parse(v).and_then(|cents| match cents > 0 {
                true => Ok(cents),
                false => Err("Ensure this value is greater than 0.".to_owned()),
            })
        });
        let inventory = fields.field("inventory", |v| parse_integer(v, 0, INVENTORY_MAX));
        fields.finish()?;
        Ok(Self {
            title,
            price_cents,
            // Within 0..=32767 after the check above.
            inventory: inventory.map(|n| n as i32),
        })
    }

    fn is_empty(&self) -> bool {
        self.title.is_none() && self.price_cents.is_none() && self.inventory.is_none()
    }
}

// ------------------------------------------------------------ queries

fn list_rows(conn: &mut SqliteConnection) -> QueryResult<Vec<MenuItemRow>> {
    menu_items::table
        .order(menu_items::id)
        .select(MenuItemRow::as_select())
        .load(conn)
}

fn find_row(conn: &mut SqliteConnection, id: i64) -> QueryResult<Option<MenuItemRow>> {
    menu_items::table
        .find(id)
        .select(MenuItemRow::as_select())
        .first(conn)
        .optional()
}

fn insert_row(conn: &mut SqliteConnection, new: &Changes) -> QueryResult<MenuItemRow> {
    diesel::insert_into(menu_items::table)
        .values(new)
        .returning(MenuItemRow::as_returning())
        .get_result(conn)
}

fn update_row(
    conn: &mut SqliteConnection,
    id: i64,
    changes: &Changes,
) -> QueryResult<Option<MenuItemRow>> {
    // diesel refuses an UPDATE that sets nothing (an empty PATCH): that is just a read.
    if changes.is_empty() {
        return find_row(conn, id);
    }
    diesel::update(menu_items::table.find(id))
        .set(changes)
        .returning(MenuItemRow::as_returning())
        .get_result(conn)
        .optional()
}

/// Whether a row was there to delete. Its ratings stay: a rating's `menuitem_id` is a plain
/// number in the tutorial's model, not a foreign key.
fn delete_row(conn: &mut SqliteConnection, id: i64) -> QueryResult<bool> {
    Ok(diesel::delete(menu_items::table.find(id)).execute(conn)? > 0)
}

// ------------------------------------------------------------ handlers

/// `{id}` is read as text so a non-number is the same 404 as an unknown number.
fn item_id(path: &str) -> Result<i64, ApiError> {
    path.parse().map_err(|_| ApiError::NotFound)
}

/// `GET /api/menu-items`: anyone; a bad credential is still a 401 (DRF authenticates first).
pub async fn list(_: OptionalUser, db: web::Data<LemonDb>) -> Result<HttpResponse, ApiError> {
    let rows = db.run(|conn| list_rows(conn).map_err(storage)).await?;
    let items: Vec<MenuItem> = rows.into_iter().map(MenuItem::from).collect();
    Ok(HttpResponse::Ok().json(items))
}

/// `GET /api/menu-items/{id}`: anyone.
pub async fn detail(
    _: OptionalUser,
    db: web::Data<LemonDb>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = item_id(&path)?;
    let row = db
        .run(move |conn| find_row(conn, id).map_err(storage))
        .await?;
    let row = row.ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(MenuItem::from(row)))
}

/// `POST /api/menu-items`: managers; 201 with the new item.
pub async fn create(
    _: InGroup<Manager>,
    db: web::Data<LemonDb>,
    body: Result<BodyFields, ApiError>,
) -> actix_web::Result<HttpResponse> {
    let new = Changes::read(&body?, false)?;
    let row = db
        .run(move |conn| insert_row(conn, &new).map_err(storage))
        .await?;
    Ok(HttpResponse::Created().json(MenuItem::from(row)))
}

/// `PUT` (every field) and `PATCH` (any of them) `/api/menu-items/{id}`: managers.
async fn update(
    db: web::Data<LemonDb>,
    path: web::Path<String>,
    body: Result<BodyFields, ApiError>,
    partial: bool,
) -> actix_web::Result<HttpResponse> {
    let id = item_id(&path)?;
    let changes = match body.and_then(|b| Changes::read(&b, partial)) {
        Ok(changes) => changes,
        Err(invalid) => {
            // DRF looks the item up before reading the body: an unknown id is a 404 even
            // when the body is wrong too.
            let found = db
                .run(move |conn| find_row(conn, id).map_err(storage))
                .await?;
            found.ok_or(ApiError::NotFound)?;
            return Err(invalid.into());
        }
    };
    let row = db
        .run(move |conn| update_row(conn, id, &changes).map_err(storage))
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(MenuItem::from(row)))
}

pub async fn replace(
    _: InGroup<Manager>,
    db: web::Data<LemonDb>,
    path: web::Path<String>,
    body: Result<BodyFields, ApiError>,
) -> actix_web::Result<HttpResponse> {
    update(db, path, body, false).await
}

pub async fn modify(
    _: InGroup<Manager>,
    db: web::Data<LemonDb>,
    path: web::Path<String>,
    body: Result<BodyFields, ApiError>,
) -> actix_web::Result<HttpResponse> {
    update(db, path, body, true).await
}

/// `DELETE /api/menu-items/{id}`: managers; 204.
pub async fn delete(
    _: InGroup<Manager>,
    db: web::Data<LemonDb>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = item_id(&path)?;
    let deleted = db
        .run(move |conn| delete_row(conn, id).map_err(storage))
        .await?;
    if !deleted {
        return Err(ApiError::NotFound);
    }
    Ok(HttpResponse::NoContent().finish())
}

/// The menu's routes, with and without Django's trailing slash.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource(["/api/menu-items", "/api/menu-items/"])
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .service(
        web::resource(["/api/menu-items/{id}", "/api/menu-items/{id}/"])
            .route(web::get().to(detail))
            .route(web::put().to(replace))
            .route(web::patch().to(modify))
            .route(web::delete().to(delete)),
    );
}
