//! Ratings: anyone lists, authenticated users post (key or JWT), one per user and item.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::harness::*;

#[tokio::test]
async fn ratings_are_posted_form_encoded_with_a_token_key_or_a_bearer_jwt() {
    let (app, mario) = app_with_manager().await;
    let cake = app.menu_item(&mario, "Lemon cake", "5.50", "10").await;
    let salad = app.menu_item(&mario, "Greek salad", "12.50", "20").await;
    let adrian = app.register("adrian").await;
    let key = app.token("adrian").await;
    let jwt = app.bearer("adrian").await;

    let (cake_id, salad_id) = (cake.to_string(), salad.to_string());
    let form = [("menuitem_id", cake_id.as_str()), ("rating", "4")];
    app.send(Method::POST, RATINGS, Some(&key), With::Form(&form))
        .await
        .assert(
            StatusCode::CREATED,
            json!({"user": adrian, "menuitem_id": cake, "rating": 4}),
        );
    let form = [("menuitem_id", salad_id.as_str()), ("rating", "5")];
    app.send(Method::POST, RATINGS, Some(&jwt), With::Form(&form))
        .await
        .assert(
            StatusCode::CREATED,
            json!({"user": adrian, "menuitem_id": salad, "rating": 5}),
        );
    app.get(RATINGS, None).await.assert(
        StatusCode::OK,
        json!([
            {"user": adrian, "menuitem_id": cake, "rating": 4},
            {"user": adrian, "menuitem_id": salad, "rating": 5},
        ]),
    );
}

#[tokio::test]
async fn a_rating_out_of_range_or_not_an_integer_is_400() {
    let (app, mario) = app_with_manager().await;
    let cake = app.menu_item(&mario, "Lemon cake", "5.50", "10").await;
    let key = app.token("mario").await;
    for (rating, error) in [
        (json!(6), "Ensure this value is less than or equal to 5."),
        (
            json!("-1"),
            "Ensure this value is greater than or equal to 0.",
        ),
        (json!("good"), "A valid integer is required."),
        (json!(4.5), "A valid integer is required."),
    ] {
        app.send(
            Method::POST,
            RATINGS,
            Some(&key),
            With::Json(json!({"menuitem_id": cake, "rating": rating})),
        )
        .await
        .assert(StatusCode::BAD_REQUEST, json!({"rating": [error]}));
    }
    app.send(Method::POST, RATINGS, Some(&key), With::Json(json!({})))
        .await
        .assert(
            StatusCode::BAD_REQUEST,
            json!({"menuitem_id": ["This field is required."], "rating": ["This field is required."]}),
        );
    app.get(RATINGS, None)
        .await
        .assert(StatusCode::OK, json!([]));
}

#[tokio::test]
async fn a_second_rating_of_the_same_item_by_the_same_user_is_refused_as_drf_refuses_it() {
    let (app, mario) = app_with_manager().await;
    let cake = app.menu_item(&mario, "Lemon cake", "5.50", "10").await;
    app.register("adrian").await;
    app.register("sana").await;
    let (adrian, sana) = (app.token("adrian").await, app.token("sana").await);
    let cake_id = cake.to_string();
    let first = [("menuitem_id", cake_id.as_str()), ("rating", "4")];
    let again = [("menuitem_id", cake_id.as_str()), ("rating", "5")];
    app.send(Method::POST, RATINGS, Some(&adrian), With::Form(&first))
        .await
        .assert_status(StatusCode::CREATED);
    app.send(Method::POST, RATINGS, Some(&adrian), With::Form(&again))
        .await
        .assert(
            StatusCode::BAD_REQUEST,
            json!({"non_field_errors": ["The fields user, menuitem_id must make a unique set."]}),
        );
    // Another user rates the same item freely.
    app.send(Method::POST, RATINGS, Some(&sana), With::Form(&again))
        .await
        .assert_status(StatusCode::CREATED);
}

#[tokio::test]
async fn the_rater_is_always_the_caller_and_a_posted_user_is_ignored() {
    let (app, mario) = app_with_manager().await;
    let mario_id = app.me(&mario).await;
    let cake = app.menu_item(&mario, "Lemon cake", "5.50", "10").await;
    let adrian = app.register("adrian").await;
    let key = app.token("adrian").await;
    let body = json!({"menuitem_id": cake, "rating": 3, "user": mario_id});
    app.send(Method::POST, RATINGS, Some(&key), With::Json(body))
        .await
        .assert(
            StatusCode::CREATED,
            json!({"user": adrian, "menuitem_id": cake, "rating": 3}),
        );
    assert_ne!(adrian, mario_id);
}

#[tokio::test]
async fn on_a_fresh_project_with_no_menu_rating_item_3_is_201_as_in_the_tutorial() {
    // The second tutorial's model: `menuitem_id` is a SmallIntegerField, not a foreign key.
    let (app, _) = app_with_manager().await;
    let adrian = app.register("adrian").await;
    let key = app.token("adrian").await;
    app.get(ITEMS, None).await.assert(StatusCode::OK, json!([]));
    app.send(
        Method::POST,
        RATINGS,
        Some(&key),
        With::Json(json!({"menuitem_id": 3, "rating": 4})),
    )
    .await
    .assert(
        StatusCode::CREATED,
        json!({"user": adrian, "menuitem_id": 3, "rating": 4}),
    );
    // The ends of the range are numbers like any other; a string of digits is one too.
    for (menuitem_id, stored) in [(json!(-32768), -32768), (json!("32767"), 32767)] {
        app.send(
            Method::POST,
            RATINGS,
            Some(&key),
            With::Json(json!({"menuitem_id": menuitem_id, "rating": 0})),
        )
        .await
        .assert(
            StatusCode::CREATED,
            json!({"user": adrian, "menuitem_id": stored, "rating": 0}),
        );
    }
}

#[tokio::test]
async fn a_menu_item_id_outside_a_small_integer_gets_drfs_messages_with_every_field_reported() {
    let (app, _) = app_with_manager().await;
    let key = app.token("mario").await;
    let post = |body| app.send(Method::POST, RATINGS, Some(&key), With::Json(body));
    let too_big = "Ensure this value is less than or equal to 32767.";
    let too_small = "Ensure this value is greater than or equal to -32768.";
    for (menuitem_id, error) in [
        (json!(32768), too_big),
        (json!("99999999999999999999"), too_big),
        (json!(-32769), too_small),
        (json!("lemon"), "A valid integer is required."),
        (json!(3.5), "A valid integer is required."),
        (json!(null), "This field may not be null."),
    ] {
        post(json!({"menuitem_id": menuitem_id, "rating": 4}))
            .await
            .assert(StatusCode::BAD_REQUEST, json!({"menuitem_id": [error]}));
    }
    post(json!({"menuitem_id": 40000, "rating": 9}))
        .await
        .assert(
            StatusCode::BAD_REQUEST,
            json!({"menuitem_id": [too_big], "rating": ["Ensure this value is less than or equal to 5."]}),
        );
    app.get(RATINGS, None)
        .await
        .assert(StatusCode::OK, json!([]));
}

#[tokio::test]
async fn anyone_lists_ratings_but_only_authenticated_users_post_them() {
    let (app, mario) = app_with_manager().await;
    let cake = app.menu_item(&mario, "Lemon cake", "5.50", "10").await;
    let body = json!({"menuitem_id": cake, "rating": 4});
    app.send(Method::POST, RATINGS, None, With::Json(body.clone()))
        .await
        .assert(StatusCode::UNAUTHORIZED, json!({"detail": NO_CREDENTIALS}));
    app.send(Method::POST, RATINGS, Some(&mario), With::Json(body))
        .await
        .assert_status(StatusCode::CREATED);
    let mario_id = app.me(&mario).await;
    let list = json!([{"user": mario_id, "menuitem_id": cake, "rating": 4}]);
    app.get(RATINGS, None)
        .await
        .assert(StatusCode::OK, list.clone());
    app.register("sana").await;
    let sana = app.token("sana").await;
    app.get(RATINGS, Some(&sana))
        .await
        .assert(StatusCode::OK, list);
}

#[tokio::test]
async fn posting_ratings_is_throttled_per_user_at_ten_a_minute_and_reading_is_not() {
    let (app, mario) = app_with_manager().await;
    let mut items = Vec::new();
    for n in 0..11 {
        items.push(
            app.menu_item(&mario, &format!("Dish {n}"), "5.00", "1")
                .await,
        );
    }
    let key = app.token("mario").await;
    let other = {
        app.register("adrian").await;
        app.token("adrian").await
    };
    for item in &items[..10] {
        let reply = app
            .send(
                Method::POST,
                RATINGS,
                Some(&key),
                With::Json(json!({"menuitem_id": item, "rating": 3})),
            )
            .await;
        reply.assert_status(StatusCode::CREATED);
        assert_eq!(reply.header("ratelimit-limit"), Some("10"));
    }
    let refused = app
        .send(
            Method::POST,
            RATINGS,
            Some(&key),
            With::Json(json!({"menuitem_id": items[10], "rating": 3})),
        )
        .await;
    refused.assert_status(StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    // DRF's wait: until the first of the ten leaves the minute's window.
    assert!((50..=60).contains(&wait), "retry after {wait} s");
    // Another user has their own budget; reading is never throttled.
    app.send(
        Method::POST,
        RATINGS,
        Some(&other),
        With::Json(json!({"menuitem_id": items[10], "rating": 5})),
    )
    .await
    .assert_status(StatusCode::CREATED);
    for _ in 0..15 {
        let reply = app.get(RATINGS, Some(&key)).await;
        reply.assert_status(StatusCode::OK);
        assert_eq!(reply.header("ratelimit-limit"), None);
    }
}
