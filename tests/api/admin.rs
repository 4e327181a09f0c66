//! The admin web page (`/admin/`, `admin.enabled`) over HTTP: off by default, staff only,
//! every form post checked for its origin and CSRF proof, and bad fields answered with the
//! page and the error next to the field while nothing changes. The browser flow itself is in
//! tests/browser/admin.test.mjs.

use reqwest::{Method, StatusCode};

use crate::helpers::{Api, PASSWORD, Reply, TestApp, TestDb, spawn_app, spawn_app_with};
use crate::process::{Served, bouncer};

const COOKIE: &str = "__Host-bouncer_admin";
const ENABLED: &[(&str, &str)] = &[("admin.enabled", "true")];
const REFUSED: &str = "Please enter the correct username and password for a staff account.";

/// A logged-in admin page session: its cookie and CSRF proof.
struct Admin {
    cookie: String,
    csrf: String,
}

fn set_cookie(reply: &Reply) -> Option<String> {
    reply
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{COOKIE}=")))
        .map(str::to_owned)
}

fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).expect("a csrf field on the page") + marker.len();
    html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

async fn post(
    app: &Api,
    path: &str,
    cookie: Option<&str>,
    origin: Option<&str>,
    form: &[(&str, &str)],
) -> Reply {
    let mut request = app.client.post(app.url(path)).form(form);
    if let Some(cookie) = cookie {
        request = request.header("Cookie", format!("{COOKIE}={cookie}"));
    }
    if let Some(origin) = origin {
        request = request.header("Origin", origin);
    }
    app.send(request).await
}

async fn get(app: &Api, path: &str, cookie: &str) -> Reply {
    let request = app
        .client
        .get(app.url(path))
        .header("Cookie", format!("{COOKIE}={cookie}"));
    app.send(request).await
}

async fn log_in(app: &Api, username: &str, password: &str) -> Reply {
    let form = [("username", username), ("password", password)];
    post(app, "/admin/login/", None, Some(&app.address), &form).await
}

/// Registers `admin` (staff) and logs in to the admin page.
async fn admin_session(app: &TestApp) -> Admin {
    app.admin().await;
    open_session(app, "admin").await
}

/// Logs staff user `username` in to the admin page.
async fn open_session(app: &Api, username: &str) -> Admin {
    let reply = log_in(app, username, PASSWORD).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text);
    let header = set_cookie(&reply).expect("the admin cookie");
    let cookie = header.split(';').next().unwrap()[COOKIE.len() + 1..].to_owned();
    let home = get(app, "/admin/", &cookie).await;
    home.assert_status(StatusCode::OK);
    Admin {
        csrf: csrf_of(&home.text),
        cookie,
    }
}

impl Admin {
    async fn post(&self, app: &Api, path: &str, form: &[(&str, &str)]) -> Reply {
        let mut form = form.to_vec();
        form.push(("csrf_token", &self.csrf));
        post(app, path, Some(&self.cookie), Some(&app.address), &form).await
    }
}

#[actix_web::test]
async fn the_admin_page_is_a_404_unless_enabled() {
    let app = spawn_app().await;
    app.admin().await;
    for path in ["/admin/", "/admin/login/", "/admin/users/"] {
        let reply = app.send(app.client.get(app.url(path))).await;
        reply.assert_status(StatusCode::NOT_FOUND);
    }
    let reply = log_in(&app, "admin", PASSWORD).await;
    reply.assert_status(StatusCode::NOT_FOUND);
    assert!(set_cookie(&reply).is_none());
}

#[actix_web::test]
async fn a_staff_login_gets_a_strict_httponly_cookie_and_pages_that_cannot_be_framed_or_cached() {
    let app = spawn_app_with(ENABLED).await;
    app.admin().await;
    let reply = log_in(&app, "admin", PASSWORD).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(reply.header("location"), Some("/admin/"));
    let cookie = set_cookie(&reply).unwrap().to_ascii_lowercase();
    for attribute in [
        "httponly",
        "secure",
        "samesite=strict",
        "path=/",
        "max-age=",
    ] {
        assert!(
            cookie.contains(attribute),
            "{attribute} missing from {cookie}"
        );
    }
    let admin = admin_session(&spawn_app_with(ENABLED).await).await;
    assert!(!admin.csrf.is_empty());
    let page = get(&app, "/admin/login/", "").await;
    page.assert_status(StatusCode::OK);
    let csp = page.header("content-security-policy").unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"));
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert!(page.text.contains("<label for=\"username\">"));
}

#[actix_web::test]
async fn pages_without_a_session_send_the_browser_to_the_login_form() {
    let app = spawn_app_with(ENABLED).await;
    for cookie in ["", "not-a-token"] {
        let reply = get(&app, "/admin/users/", cookie).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER);
        assert_eq!(reply.header("location"), Some("/admin/login/"));
    }
}

#[actix_web::test]
async fn a_non_staff_login_is_refused_like_a_wrong_password() {
    let app = spawn_app_with(ENABLED).await;
    app.create_user("carol", PASSWORD).await;
    let not_staff = log_in(&app, "carol", PASSWORD).await;
    let wrong = log_in(&app, "carol", "wrong-password-1").await;
    let unknown = log_in(&app, "nobody", PASSWORD).await;
    for reply in [&not_staff, &wrong, &unknown] {
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text);
        assert!(reply.text.contains(REFUSED), "{}", reply.text);
        assert!(set_cookie(reply).is_none());
    }
    assert_eq!(
        not_staff.text.replace("carol", "x"),
        wrong.text.replace("carol", "x")
    );
    assert_eq!(app.db_number("SELECT count(*) FROM sessions"), 0);
}

#[actix_web::test]
async fn failed_admin_logins_lead_to_the_same_lockout_as_api_logins() {
    let app = spawn_app_with(ENABLED).await;
    app.admin().await;
    for _ in 0..5 {
        let reply = log_in(&app, "admin", "wrong-password-1").await;
        reply.assert_status(StatusCode::UNAUTHORIZED);
    }
    let reply = log_in(&app, "admin", PASSWORD).await;
    reply.assert_status(StatusCode::TOO_MANY_REQUESTS);
    assert!(reply.header("retry-after").is_some());
    app.login("admin", PASSWORD)
        .await
        .assert_status(StatusCode::TOO_MANY_REQUESTS);
}

#[actix_web::test]
async fn a_login_post_without_an_origin_or_from_another_site_is_forbidden() {
    let app = spawn_app_with(ENABLED).await;
    app.admin().await;
    let form = [("username", "admin"), ("password", PASSWORD)];
    let sessions = app.db_number("SELECT count(*) FROM sessions");
    for origin in [None, Some("https://evil.example"), Some("null")] {
        let reply = post(&app, "/admin/login/", None, origin, &form).await;
        reply.assert_status(StatusCode::FORBIDDEN);
        assert!(set_cookie(&reply).is_none());
    }
    assert_eq!(app.db_number("SELECT count(*) FROM sessions"), sessions);
}

#[actix_web::test]
async fn a_form_post_without_the_right_csrf_proof_or_origin_is_forbidden_and_changes_nothing() {
    let app = spawn_app_with(ENABLED).await;
    let admin = admin_session(&app).await;
    let bob = app.create_user("bob", PASSWORD).await;
    let path = format!("/admin/users/{bob}/groups/");
    let form = [("group", "Manager"), ("action", "add")];
    let cookie = Some(admin.cookie.as_str());
    let own = Some(app.address.as_str());
    let other = app.address.replace("127.0.0.1", "localhost");
    let mismatched = [
        ("group", "Manager"),
        ("action", "add"),
        ("csrf_token", "AAAA"),
    ];
    let replies = [
        post(&app, &path, cookie, own, &form).await,
        post(&app, &path, cookie, own, &mismatched).await,
        post(
            &app,
            &path,
            cookie,
            None,
            &[
                ("csrf_token", &admin.csrf),
                ("group", "Manager"),
                ("action", "add"),
            ],
        )
        .await,
        post(
            &app,
            &path,
            cookie,
            Some(&other),
            &[
                ("csrf_token", &admin.csrf),
                ("group", "Manager"),
                ("action", "add"),
            ],
        )
        .await,
    ];
    for reply in &replies {
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text);
        assert!(reply.text.contains("CSRF"), "{}", reply.text);
    }
    assert_eq!(app.db_number("SELECT count(*) FROM user_groups"), 0);
    // Another session's proof is no proof for this one.
    let second = {
        let reply = log_in(&app, "admin", PASSWORD).await;
        let header = set_cookie(&reply).unwrap();
        header.split(';').next().unwrap()[COOKIE.len() + 1..].to_owned()
    };
    let reply = post(
        &app,
        &path,
        Some(&second),
        own,
        &[
            ("csrf_token", &admin.csrf),
            ("group", "Manager"),
            ("action", "add"),
        ],
    )
    .await;
    reply.assert_status(StatusCode::FORBIDDEN);
    assert_eq!(app.db_number("SELECT count(*) FROM user_groups"), 0);
    // The same post with the proof goes through.
    let reply = admin.post(&app, &path, &form).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text);
    assert_eq!(app.db_number("SELECT count(*) FROM user_groups"), 1);
}

/// A form post: its path, its fields, and a text the refusal must show.
type Case<'a> = (String, Vec<(&'a str, &'a str)>, &'a str);

#[actix_web::test]
async fn bad_fields_show_the_form_again_with_errors_and_change_nothing() {
    let app = spawn_app_with(ENABLED).await;
    let admin = admin_session(&app).await;
    let bob = app.create_user("bob", PASSWORD).await;
    let user = |rest: &str| format!("/admin/users/{bob}/{rest}");
    let long_name = "g".repeat(151);
    let cases: Vec<Case> = vec![
        (
            user("password/"),
            vec![("password1", "short"), ("password2", "short")],
            "too short",
        ),
        (
            user("password/"),
            vec![
                ("password1", "Another-long-pass-99"),
                ("password2", "different-long-pass-98"),
            ],
            "match",
        ),
        (user("password/"), vec![("password1", "")], "This field"),
        (
            user("groups/"),
            vec![("group", "Mana\u{7}ger"), ("action", "add")],
            "control characters",
        ),
        (
            user("groups/"),
            vec![("group", &long_name), ("action", "add")],
            "150 characters",
        ),
        (
            user("groups/"),
            vec![("group", "Manager"), ("action", "explode")],
            "add or to remove",
        ),
        (
            user("sessions/end/"),
            vec![("sid", "../../etc")],
            "Not a session id",
        ),
        (user("sessions/end/"), vec![], "Name one session"),
        (
            user("sessions/end/"),
            vec![("sid", "0190a0b0c0d07e008000000000000000")],
            "already ended",
        ),
        (
            user("flags/"),
            vec![("is_active", "maybe")],
            "valid boolean",
        ),
        (
            "/admin/users/add/".into(),
            vec![
                ("username", "bad\nname"),
                ("password1", PASSWORD),
                ("password2", PASSWORD),
            ],
            "username",
        ),
        (
            "/admin/users/add/".into(),
            vec![
                ("username", "dave"),
                ("email", "not-an-email"),
                ("password1", PASSWORD),
                ("password2", PASSWORD),
            ],
            "email-error",
        ),
        (
            "/admin/users/add/".into(),
            vec![
                ("username", "bob"),
                ("password1", PASSWORD),
                ("password2", PASSWORD),
            ],
            "already exists",
        ),
        (
            "/admin/groups/".into(),
            vec![
                ("group", "Manager"),
                ("username", "nobody"),
                ("action", "add"),
            ],
            "no such user",
        ),
    ];
    let (users, groups) = (
        app.db_number("SELECT count(*) FROM users"),
        app.db_number("SELECT count(*) FROM auth_groups"),
    );
    for (path, form, expected) in &cases {
        let reply = admin.post(&app, path, form).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{path} {form:?}: {}",
            reply.text
        );
        assert!(
            reply.text.contains(expected),
            "{path} {form:?}: no {expected:?} in {}",
            reply.text
        );
        assert!(
            reply.text.contains("aria-invalid=\"true\"")
                || reply.text.contains("class=\"field-error\""),
            "{path}: error not next to a field"
        );
    }
    assert_eq!(app.db_number("SELECT count(*) FROM users"), users);
    assert_eq!(app.db_number("SELECT count(*) FROM auth_groups"), groups);
    // bob's password is unchanged and his session stands.
    app.tokens("bob", PASSWORD).await;
    let reply = admin
        .post(
            &app,
            "/admin/users/999999/groups/",
            &[("group", "Manager"), ("action", "add")],
        )
        .await;
    reply.assert_status(StatusCode::NOT_FOUND);
    assert_eq!(app.db_number("SELECT count(*) FROM auth_groups"), groups);
}

#[actix_web::test]
async fn an_admin_can_refuse_to_lock_themselves_out_and_staff_is_rechecked_on_every_request() {
    let app = spawn_app_with(ENABLED).await;
    let admin = admin_session(&app).await;
    let me = app.db_number("SELECT id FROM users WHERE username = 'admin'");
    let reply = admin
        .post(
            &app,
            &format!("/admin/users/{me}/flags/"),
            &[("is_active", "true")],
        )
        .await;
    reply.assert_status(StatusCode::BAD_REQUEST);
    assert_eq!(
        app.db_number("SELECT count(*) FROM users WHERE is_staff"),
        1
    );
    app.db_execute("UPDATE users SET is_staff = FALSE WHERE username = 'admin'");
    let reply = get(&app, "/admin/", &admin.cookie).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(reply.header("location"), Some("/admin/login/"));
}

#[actix_web::test]
async fn the_admin_session_is_a_session_of_the_user_that_ends_like_any_other() {
    let app = spawn_app_with(ENABLED).await;
    let admin = admin_session(&app).await;
    let api = app.tokens("admin", PASSWORD).await;
    let bearer = format!("Bearer {}", api.access);
    let listed = app
        .call(Method::GET, "/auth/sessions/", &bearer, None)
        .await;
    let sessions = listed
        .assert_status(StatusCode::OK)
        .as_array()
        .unwrap()
        .clone();
    // `app.admin()`'s API login, the admin page's, and this one.
    assert_eq!(sessions.len(), 3, "{}", listed.text);
    // Ending every session of the user from the API ends the admin page's too.
    app.call(
        Method::POST,
        "/auth/logout/",
        &bearer,
        Some(&serde_json::json!({"scope": "others"})),
    )
    .await;
    let reply = get(&app, "/admin/", &admin.cookie).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    // And logging out of the page ends its session: its token is refused everywhere.
    let admin = {
        let reply = log_in(&app, "admin", PASSWORD).await;
        let header = set_cookie(&reply).unwrap();
        let cookie = header.split(';').next().unwrap()[COOKIE.len() + 1..].to_owned();
        let home = get(&app, "/admin/", &cookie).await;
        Admin {
            csrf: csrf_of(&home.text),
            cookie,
        }
    };
    let reply = admin.post(&app, "/admin/logout/", &[]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert!(set_cookie(&reply).unwrap().contains("Max-Age=0"));
    app.refresh(&admin.cookie)
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    let reply = get(&app, "/admin/", &admin.cookie).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
}

#[actix_web::test]
async fn admin_actions_take_effect_through_the_api() {
    let app = spawn_app_with(ENABLED).await;
    let admin = admin_session(&app).await;
    let bob = app.create_user("bob", PASSWORD).await;
    let tokens = app.tokens("bob", PASSWORD).await;
    let reply = admin
        .post(
            &app,
            &format!("/admin/users/{bob}/groups/"),
            &[("group", "Manager"), ("action", "add")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    app.call(
        Method::GET,
        "/api/manager-view/",
        &format!("Bearer {}", tokens.access),
        None,
    )
    .await
    .assert_status(StatusCode::OK);
    let reply = admin
        .post(&app, &format!("/admin/users/{bob}/keys/"), &[])
        .await;
    reply.assert_status(StatusCode::OK);
    let key = reply
        .text
        .split("id=\"new-key\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    app.call(
        Method::GET,
        "/auth/users/me/",
        &format!("Token {key}"),
        None,
    )
    .await
    .assert_status(StatusCode::OK);
    let reply = admin
        .post(
            &app,
            &format!("/admin/users/{bob}/password/"),
            &[
                ("password1", "Fresh-and-long-pass-77"),
                ("password2", "Fresh-and-long-pass-77"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text);
    app.refresh(&tokens.refresh)
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    app.call(
        Method::GET,
        "/auth/users/me/",
        &format!("Token {key}"),
        None,
    )
    .await
    .assert_status(StatusCode::UNAUTHORIZED);
    app.tokens("bob", "Fresh-and-long-pass-77").await;
}

#[actix_web::test]
async fn every_admin_action_writes_an_audit_line_naming_the_admin_and_the_target() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new();
    let mut command = bouncer(&db);
    command
        .env("RUST_LOG", "bouncer::audit=info")
        .env("BOUNCER_ADMIN__ENABLED", "true");
    let served = Served::start(command, dir.path().join("serve.log")).await;
    served.create_user("boss", PASSWORD).await;
    db.execute("UPDATE users SET is_staff = TRUE, is_superuser = TRUE WHERE username = 'boss'");
    let bob = served.create_user("bob", PASSWORD).await;
    let admin = open_session(&served, "boss").await;
    let user = |rest: &str| format!("/admin/users/{bob}/{rest}");
    let new_password = "Fresh-and-long-pass-77";
    let steps: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            user("groups/"),
            vec![("group", "Manager"), ("action", "add")],
        ),
        (
            user("groups/"),
            vec![("group", "Manager"), ("action", "remove")],
        ),
        (
            user("flags/"),
            vec![("is_active", "true"), ("is_staff", "true")],
        ),
        (
            user("password/"),
            vec![("password1", new_password), ("password2", new_password)],
        ),
        (user("sessions/end/"), vec![("all", "true")]),
        (
            "/admin/users/add/".into(),
            vec![
                ("username", "erin"),
                ("password1", PASSWORD),
                ("password2", PASSWORD),
            ],
        ),
    ];
    for (path, form) in &steps {
        let reply = admin.post(&served, path, form).await;
        assert_eq!(
            reply.status,
            StatusCode::SEE_OTHER,
            "{path}: {}",
            reply.text
        );
    }
    let reply = admin.post(&served, &user("keys/"), &[]).await;
    reply.assert_status(StatusCode::OK);
    let key = reply
        .text
        .split("id=\"new-key\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    admin.post(&served, "/admin/logout/", &[]).await;

    let logs = served.logs();
    let lines: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("event=admin."))
        .collect();
    for event in [
        "admin.group_add",
        "admin.group_remove",
        "admin.user_status",
        "admin.password_set",
        "admin.sessions_ended",
        "admin.user_added",
        "admin.key_created",
        "admin.logout",
    ] {
        let line = lines
            .iter()
            .find(|l| l.contains(&format!("event={event} ")))
            .unwrap_or_else(|| panic!("no {event} line in {logs}"));
        assert!(
            line.contains("admin=\"boss\"") && line.contains("admin_id="),
            "{line}"
        );
        if event != "admin.logout" {
            assert!(line.contains("user_id="), "{line}");
        }
    }
    assert!(
        logs.contains("event=login.success credential=\"admin\""),
        "{logs}"
    );
    for secret in [
        PASSWORD,
        new_password,
        key.as_str(),
        admin.cookie.as_str(),
        admin.csrf.as_str(),
    ] {
        assert!(!logs.contains(secret), "the log holds a secret");
    }
}

#[actix_web::test]
async fn the_user_search_matches_parts_of_names_and_addresses_and_takes_wildcards_literally() {
    let app = spawn_app_with(ENABLED).await;
    let admin = admin_session(&app).await;
    app.create_user("Bobby_Tables", PASSWORD).await;
    app.create_user("bobxtables", PASSWORD).await;
    let search = |q: &str| {
        let path = format!("/admin/users/?q={}", q.replace('%', "%25"));
        let cookie = admin.cookie.clone();
        let app = &app;
        async move { get(app, &path, &cookie).await }
    };
    let reply = search("bobby").await;
    reply.assert_status(StatusCode::OK);
    assert!(reply.text.contains("Bobby_Tables") && !reply.text.contains("bobxtables"));
    let reply = search("b_t").await;
    assert!(reply.text.contains("Bobby_Tables") || reply.text.contains("No user matches"));
    assert!(
        !reply.text.contains("bobxtables"),
        "_ matched any character"
    );
    let reply = search("%").await;
    assert!(reply.text.contains("No user matches"), "% matched anything");
    let reply = search("<script>").await;
    assert!(reply.text.contains("&lt;script&gt;") && !reply.text.contains("value=\"<script>"));
}
