//! The course's own client, run against the app.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::harness::*;

/// The tutorial's client, unchanged: users made through djoser, keys from
/// `/api-token-auth/`, `Authorization: Token`, form bodies, paths without trailing slashes.
#[tokio::test]
async fn a_client_written_for_the_django_tutorial_works_unchanged() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let form = |pairs: &'static [(&'static str, &'static str)]| With::Form(pairs);
    for name in ["Adrian", "Mario", "Sana"] {
        app.register(name).await;
    }
    app.send(
        Method::POST,
        "/api/groups/manager/users",
        Some(&admin),
        form(&[("username", "Mario")]),
    )
    .await
    .assert_status(StatusCode::CREATED);
    let mario = app.token("Mario").await;
    let adrian = app.token("Adrian").await;
    for (title, price, inventory) in [
        ("Greek salad", "12.50", "20"),
        ("Bruschetta", "7.00", "15"),
        ("Lemon dessert", "5.50", "30"),
    ] {
        let fields = [("title", title), ("price", price), ("inventory", inventory)];
        app.send(Method::POST, ITEMS, Some(&mario), With::Form(&fields))
            .await
            .assert_status(StatusCode::CREATED);
    }
    app.send(
        Method::POST,
        ITEMS,
        Some(&adrian),
        form(&[("title", "x"), ("price", "1"), ("inventory", "1")]),
    )
    .await
    .assert(StatusCode::FORBIDDEN, json!({"detail": DENIED}));
    // Step 14 and 15 of the exercise: rate item 3, then try again.
    app.send(
        Method::POST,
        RATINGS,
        Some(&adrian),
        form(&[("menuitem_id", "3"), ("rating", "4")]),
    )
    .await
    .assert_status(StatusCode::CREATED);
    app.send(
        Method::POST,
        RATINGS,
        Some(&adrian),
        form(&[("menuitem_id", "3"), ("rating", "5")]),
    )
    .await
    .assert(
        StatusCode::BAD_REQUEST,
        json!({"non_field_errors": ["The fields user, menuitem_id must make a unique set."]}),
    );
    let menu = app.get(ITEMS, None).await;
    let titles: Vec<&str> = menu
        .assert_status(StatusCode::OK)
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|i| i["title"].as_str())
        .collect();
    assert_eq!(titles, ["Greek salad", "Bruschetta", "Lemon dessert"]);
    app.get(&item(3), None).await.assert(
        StatusCode::OK,
        json!({"id": 3, "title": "Lemon dessert", "price": "5.50", "inventory": 30}),
    );
}
