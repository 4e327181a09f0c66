//! Menu items: anyone reads, the Manager group writes, DRF's field errors, never a 500.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::harness::*;

#[tokio::test]
async fn anyone_reads_the_menu_and_an_unknown_item_is_404() {
    let (app, mario) = app_with_manager().await;
    app.get(ITEMS, None).await.assert(StatusCode::OK, json!([]));
    let id = app.menu_item(&mario, "Lemon cake", "5.5", "10").await;
    let cake = json!({"id": id, "title": "Lemon cake", "price": "5.50", "inventory": 10});
    app.get(ITEMS, None)
        .await
        .assert(StatusCode::OK, json!([cake]));
    app.get(&item(id), None)
        .await
        .assert(StatusCode::OK, cake.clone());
    // Logged-in customers read the same; a trailing slash is the same resource.
    app.register("sana").await;
    let sana = app.token("sana").await;
    app.get(&format!("{ITEMS}/"), Some(&sana))
        .await
        .assert(StatusCode::OK, json!([cake]));

    let not_found = json!({"detail": "Not found."});
    for path in [
        item(99),
        format!("{ITEMS}/abc"),
        format!("{ITEMS}/99999999999999999999"),
    ] {
        app.get(&path, None)
            .await
            .assert(StatusCode::NOT_FOUND, not_found.clone());
    }
    for method in [Method::PUT, Method::PATCH, Method::DELETE] {
        app.send(
            method,
            &item(99),
            Some(&mario),
            With::Json(json!({"title": "x"})),
        )
        .await
        .assert(StatusCode::NOT_FOUND, not_found.clone());
    }
}

#[tokio::test]
async fn a_bad_credential_is_401_even_where_anyone_may_read() {
    let app = spawn_app().await;
    for path in [ITEMS, RATINGS] {
        let reply = app.get(path, Some("Token not-a-key")).await;
        reply.assert(
            StatusCode::UNAUTHORIZED,
            json!({"detail": "Invalid token."}),
        );
        let reply = app.get(path, Some("Bearer not.a.jwt")).await;
        reply.assert_status(StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn a_manager_creates_updates_and_deletes_menu_items_with_json_and_form_bodies() {
    let (app, mario) = app_with_manager().await;
    let created = app
        .send(
            Method::POST,
            ITEMS,
            Some(&mario),
            With::Json(json!({"title": "Greek salad", "price": 12.5, "inventory": 20})),
        )
        .await;
    let id = created.assert_status(StatusCode::CREATED)["id"]
        .as_i64()
        .expect("id");
    created.assert(
        StatusCode::CREATED,
        json!({"id": id, "title": "Greek salad", "price": "12.50", "inventory": 20}),
    );

    // PUT replaces every field (form-encoded, as Insomnia sends it).
    let form = [
        ("title", "Greek salad"),
        ("price", "13.00"),
        ("inventory", "18"),
    ];
    app.send(Method::PUT, &item(id), Some(&mario), With::Form(&form))
        .await
        .assert(
            StatusCode::OK,
            json!({"id": id, "title": "Greek salad", "price": "13.00", "inventory": 18}),
        );
    // PATCH changes only what it names; an empty PATCH changes nothing.
    app.send(
        Method::PATCH,
        &item(id),
        Some(&mario),
        With::Json(json!({"price": "9.99"})),
    )
    .await
    .assert(
        StatusCode::OK,
        json!({"id": id, "title": "Greek salad", "price": "9.99", "inventory": 18}),
    );
    app.send(
        Method::PATCH,
        &item(id),
        Some(&mario),
        With::Json(json!({})),
    )
    .await
    .assert_status(StatusCode::OK);
    // PUT is not PATCH: missing fields are required.
    app.send(
        Method::PUT,
        &item(id),
        Some(&mario),
        With::Json(json!({"title": "x"})),
    )
    .await
    .assert(
        StatusCode::BAD_REQUEST,
        json!({"price": ["This field is required."], "inventory": ["This field is required."]}),
    );

    // Deleting an item leaves its ratings: `menuitem_id` is a number, not a foreign key.
    app.send(
        Method::POST,
        RATINGS,
        Some(&mario),
        With::Form(&[("menuitem_id", &id.to_string()), ("rating", "4")]),
    )
    .await
    .assert_status(StatusCode::CREATED);
    app.send(Method::DELETE, &item(id), Some(&mario), With::Nothing)
        .await
        .assert(StatusCode::NO_CONTENT, serde_json::Value::Null);
    app.get(&item(id), None)
        .await
        .assert_status(StatusCode::NOT_FOUND);
    let mario_id = app.me(&mario).await;
    app.get(RATINGS, None).await.assert(
        StatusCode::OK,
        json!([{"user": mario_id, "menuitem_id": id, "rating": 4}]),
    );
    // A manager's `Token` key works as well as a JWT.
    let key = app.token("mario").await;
    app.menu_item(&key, "Bruschetta", "7", "0").await;
}

#[tokio::test]
async fn writes_are_401_for_anonymous_callers_and_403_for_everyone_outside_the_manager_group() {
    let (app, mario) = app_with_manager().await;
    let id = app.menu_item(&mario, "Lemon cake", "5.50", "10").await;
    app.register("sana").await;
    let (sana_jwt, sana_key) = (app.bearer("sana").await, app.token("sana").await);
    let body = || With::Json(json!({"title": "Free cake", "price": "0.01", "inventory": 1}));
    let writes = [
        (Method::POST, ITEMS.to_owned()),
        (Method::PUT, item(id)),
        (Method::PATCH, item(id)),
        (Method::DELETE, item(id)),
    ];
    for (method, path) in &writes {
        app.send(method.clone(), path, None, body())
            .await
            .assert(StatusCode::UNAUTHORIZED, json!({"detail": NO_CREDENTIALS}));
        for sana in [&sana_jwt, &sana_key] {
            app.send(method.clone(), path, Some(sana), body())
                .await
                .assert(StatusCode::FORBIDDEN, json!({"detail": DENIED}));
        }
    }
    // Permission comes before the body: a non-manager's bad body is still a 403.
    app.send(
        Method::POST,
        ITEMS,
        Some(&sana_jwt),
        With::Json(json!({"price": "abc"})),
    )
    .await
    .assert(StatusCode::FORBIDDEN, json!({"detail": DENIED}));
    let cake = json!([{"id": id, "title": "Lemon cake", "price": "5.50", "inventory": 10}]);
    app.get(ITEMS, None).await.assert(StatusCode::OK, cake);
}

#[tokio::test]
async fn bad_prices_and_inventories_are_400_with_every_field_error_at_once() {
    let (app, mario) = app_with_manager().await;
    let post = |body| app.send(Method::POST, ITEMS, Some(&mario), With::Json(body));
    post(json!({})).await.assert(
        StatusCode::BAD_REQUEST,
        json!({
            "title": ["This field is required."],
            "price": ["This field is required."],
            "inventory": ["This field is required."],
        }),
    );
    post(json!({"title": " ", "price": "abc", "inventory": -1}))
        .await
        .assert(
            StatusCode::BAD_REQUEST,
            json!({
                "title": ["This field may not be blank."],
                "price": ["A valid number is required."],
                "inventory": ["Ensure this value is greater than or equal to 0."],
            }),
        );
    for (price, error) in [
        (json!("0"), "Ensure this value is greater than 0."),
        (json!(-5), "Ensure this value is greater than 0."),
        (
            json!("1.234"),
            "Ensure that there are no more than 2 decimal places.",
        ),
        (json!(null), "This field may not be null."),
        (json!([]), "A valid number is required."),
    ] {
        post(json!({"title": "Cake", "price": price, "inventory": 1}))
            .await
            .assert(StatusCode::BAD_REQUEST, json!({"price": [error]}));
    }
    for (inventory, error) in [
        (json!("many"), "A valid integer is required."),
        (json!(2.5), "A valid integer is required."),
        (
            json!(40000),
            "Ensure this value is less than or equal to 32767.",
        ),
    ] {
        post(json!({"title": "Cake", "price": "1.00", "inventory": inventory}))
            .await
            .assert(StatusCode::BAD_REQUEST, json!({"inventory": [error]}));
    }
    // Form bodies are checked the same way.
    let form = [("title", "Cake"), ("price", "free"), ("inventory", "1")];
    app.send(Method::POST, ITEMS, Some(&mario), With::Form(&form))
        .await
        .assert(
            StatusCode::BAD_REQUEST,
            json!({"price": ["A valid number is required."]}),
        );
    app.get(ITEMS, None).await.assert(StatusCode::OK, json!([]));
}

#[tokio::test]
async fn bodies_that_cannot_be_read_are_4xx_never_500() {
    let (app, mario) = app_with_manager().await;
    let raw = |content_type: &'static str, body: &'static str| {
        app.send_raw(Method::POST, ITEMS, &mario, content_type, body)
    };
    raw("application/json", "{not json")
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    raw("application/json", "[1, 2]")
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    raw("text/plain", "title=x")
        .await
        .assert_status(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    raw("application/x-www-form-urlencoded", "%%%")
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    let id = app.menu_item(&mario, "Cake", "1", "1").await;
    // On an existing item a bad body is a 400; on an unknown one DRF says 404 first.
    let bad = json!({"price": "abc"});
    app.send(
        Method::PATCH,
        &item(id),
        Some(&mario),
        With::Json(bad.clone()),
    )
    .await
    .assert(
        StatusCode::BAD_REQUEST,
        json!({"price": ["A valid number is required."]}),
    );
    app.send(Method::PATCH, &item(id + 1), Some(&mario), With::Json(bad))
        .await
        .assert_status(StatusCode::NOT_FOUND);
}
