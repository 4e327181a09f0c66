//! `GET /readyz`: 200 when every part an instance needs answers, 503 naming the part that
//! does not; it takes no input and changes nothing (issue 15 §2).

use diesel::{Connection, RunQueryDsl};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::database::{PgDatabase, postgres_or_skip};
use crate::helpers::*;
use crate::process::free_port;

fn checks(database: &str, migrations: &str, redis: &str) -> Value {
    json!({
        "database": database,
        "migrations": migrations,
        "keys": "ok",
        "revocations": "ok",
        "redis": redis,
    })
}

async fn readyz(app: &Api) -> Reply {
    app.send(app.client.get(app.url("/readyz"))).await
}

#[tokio::test]
async fn a_started_instance_is_ready_and_says_what_it_checked() {
    let app = spawn_app().await;
    let reply = readyz(&app).await;
    reply.assert(
        StatusCode::OK,
        json!({"status": "ok", "checks": checks("ok", "ok", "not_configured")}),
    );
    assert_eq!(reply.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn many_concurrent_polls_all_answer_ready() {
    let app = spawn_app().await;
    let polls = (0..64).map(|_| readyz(&app));
    for reply in futures::future::join_all(polls).await {
        reply.assert_status(StatusCode::OK);
    }
}

#[tokio::test]
async fn a_missing_migration_makes_the_instance_unready() {
    let app = spawn_app().await;
    app.db_execute(
        "DELETE FROM __diesel_schema_migrations WHERE version = \
         (SELECT MAX(version) FROM __diesel_schema_migrations)",
    );
    readyz(&app).await.assert(
        StatusCode::SERVICE_UNAVAILABLE,
        json!({"status": "unavailable", "checks": checks("ok", "pending", "not_configured")}),
    );
    // Liveness is another question: the process is fine.
    app.healthz().await.assert_status(StatusCode::OK);
}

#[tokio::test]
async fn an_unreachable_redis_makes_the_instance_unready() {
    let url = format!("redis://127.0.0.1:{}", free_port());
    let app = spawn_app_with(&[("throttle.redis_url", &url)]).await;
    let reply = readyz(&app).await;
    reply.assert(
        StatusCode::SERVICE_UNAVAILABLE,
        json!({"status": "unavailable", "checks": checks("ok", "ok", "unreachable")}),
    );
    assert!(!reply.text.contains("redis://"), "{}", reply.text);
}

#[tokio::test]
async fn a_reachable_redis_is_reported_ok() {
    let Some(redis) = crate::redis::redis_or_skip() else {
        return;
    };
    let app = spawn_app_with(&[
        ("throttle.redis_url", &redis.url),
        ("throttle.redis_key_prefix", &redis.prefix),
    ])
    .await;
    readyz(&app).await.assert(
        StatusCode::OK,
        json!({"status": "ok", "checks": checks("ok", "ok", "ok")}),
    );
}

#[tokio::test]
async fn a_dropped_postgresql_database_makes_the_instance_unready_without_naming_its_url() {
    let Some(admin) = postgres_or_skip() else {
        return;
    };
    let database = PgDatabase::create(&admin);
    let name = database.name.clone();
    let app = spawn_app_on(TestDb::Postgres(database), &[]).await;
    readyz(&app).await.assert_status(StatusCode::OK);

    let mut server = diesel::PgConnection::establish(&admin).expect("admin connection");
    diesel::sql_query(format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut server)
        .expect("drop the database");
    // Past the one-second cache of the last answer.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    let reply = readyz(&app).await;
    // `unreachable` when the pool's attempt fails within the second, `timeout` when the
    // pool is still trying to connect by then.
    let database = reply.body["checks"]["database"]
        .as_str()
        .unwrap_or_default();
    assert!(
        matches!(database, "unreachable" | "timeout"),
        "{}",
        reply.text
    );
    reply.assert(
        StatusCode::SERVICE_UNAVAILABLE,
        json!({"status": "unavailable", "checks": checks(database, "unknown", "not_configured")}),
    );
    assert!(!reply.text.contains(&name), "{}", reply.text);
}

#[tokio::test]
async fn readyz_takes_no_input() {
    let app = spawn_app().await;
    let reply = app
        .send(app.client.post(app.url("/readyz")).body("{}"))
        .await;
    // Only GET is routed: anything else is the JSON 404 of an unknown route.
    reply.assert_status(StatusCode::NOT_FOUND);
    let reply = app
        .send(app.client.get(app.url("/readyz?refresh=1&database=ok")))
        .await;
    reply.assert_status(StatusCode::OK);
}
