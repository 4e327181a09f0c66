//! The audit trail, read from the log of a real `bouncer serve`: every security event is one
//! line on the `bouncer::audit` target with its fields, in both formats; a username typed with
//! a newline and quotes stays inside its field; and no line of the whole log holds a password,
//! a token or a key.

use std::collections::BTreeMap;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::*;
use crate::jwt;
use crate::process::*;

/// A username that would forge a second event if it were written unescaped.
const FORGED: &str = "mallory\n[2030-01-01T00:00:00Z INFO  bouncer::audit] event=login.success \
                      user_id=1 \"x\\";
/// A user agent with quotes, sent with every request.
const USER_AGENT: &str = "audit-test/1.0 (\"quoted\" agent)";
const WRONG: &str = "not-the-password-1";
const NEW_PASSWORD: &str = "another-horse-battery-staple-43";

/// One audit line: its fields as strings (numbers and booleans as written), `event` included.
type Event = BTreeMap<String, String>;

/// The message of every `bouncer::audit` line, in order.
fn audit_messages(logs: &str) -> Vec<&str> {
    logs.lines()
        .filter_map(|line| line.split_once(" bouncer::audit] ").map(|(_, m)| m))
        .collect()
}

/// Parses a plain line (`event=x key="quoted \"value\"" n=1`), asserting it is well formed
/// to its last byte: an injected field or a broken quote fails here.
fn parse_plain(line: &str) -> Event {
    let mut event = Event::new();
    let mut rest = line;
    while !rest.is_empty() {
        let (key, after) = rest
            .split_once('=')
            .unwrap_or_else(|| panic!("no `=` in {rest:?} of {line:?}"));
        assert!(
            !key.is_empty() && key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
            "bad key {key:?} in {line:?}"
        );
        let (value, after) = if let Some(quoted) = after.strip_prefix('"') {
            unquote(quoted, line)
        } else {
            let end = after.find(' ').unwrap_or(after.len());
            (after[..end].to_owned(), &after[end..])
        };
        assert!(
            event.insert(key.to_owned(), value).is_none(),
            "{key} twice in {line:?}"
        );
        rest = match after.strip_prefix(' ') {
            Some(next) => next,
            None if after.is_empty() => after,
            None => panic!("junk {after:?} in {line:?}"),
        };
    }
    event
}

/// The value of a quoted string whose opening quote is gone, and what follows its closing one.
fn unquote<'a>(text: &'a str, line: &str) -> (String, &'a str) {
    let mut value = String::new();
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return (value, &text[i + 1..]),
            '\\' => match chars.next().map(|(_, c)| c) {
                Some('n') => value.push('\n'),
                Some('r') => value.push('\r'),
                Some('t') => value.push('\t'),
                Some('"') => value.push('"'),
                Some('\\') => value.push('\\'),
                Some('u') => {
                    let hex: String = chars
                        .by_ref()
                        .map(|(_, c)| c)
                        .skip(1)
                        .take_while(|&c| c != '}')
                        .collect();
                    let code = u32::from_str_radix(&hex, 16).expect("hex escape");
                    value.push(char::from_u32(code).expect("a char"));
                }
                other => panic!("bad escape {other:?} in {line:?}"),
            },
            c => value.push(c),
        }
    }
    panic!("unterminated string in {line:?}")
}

fn parse_json(line: &str) -> Event {
    let value: Value =
        serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line:?}"));
    let object = value.as_object().expect("a JSON object");
    assert!(object["event"].is_string(), "no event in {line:?}");
    object
        .iter()
        .map(|(key, value)| {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Number(_) | Value::Bool(_) => value.to_string(),
                other => panic!("{key} is {other} in {line:?}"),
            };
            (key.clone(), text)
        })
        .collect()
}

/// The events named `name`.
fn named<'a>(events: &'a [Event], name: &str) -> Vec<&'a Event> {
    events.iter().filter(|e| e["event"] == name).collect()
}

/// The one event named `name` whose fields include `fields`; panics listing the candidates.
#[track_caller]
fn expect<'a>(events: &'a [Event], name: &str, fields: &[(&str, &str)]) -> &'a Event {
    let candidates = named(events, name);
    let matching: Vec<&Event> = candidates
        .iter()
        .copied()
        .filter(|e| {
            fields
                .iter()
                .all(|(k, v)| e.get(*k).map(String::as_str) == Some(*v))
        })
        .collect();
    assert_eq!(
        matching.len(),
        1,
        "expected one {name} with {fields:?}; {name} events: {candidates:#?}"
    );
    matching[0]
}

/// The `ip`, `user_agent`, `method` and `path` of a request event.
#[track_caller]
fn assert_request(event: &Event, method: &str, path: &str) {
    assert_eq!(event["ip"], "127.0.0.1", "{event:?}");
    assert_eq!(event["user_agent"], USER_AGENT, "{event:?}");
    assert_eq!(event["method"], method, "{event:?}");
    assert_eq!(event["path"], path, "{event:?}");
}

fn claim(token: &str, name: &str) -> String {
    jwt::claims(token)[name]
        .as_str()
        .unwrap_or_else(|| panic!("no {name} in {token}"))
        .to_owned()
}

/// What the scenario made that must never reach the log.
struct Secrets(Vec<(&'static str, String)>);

impl Secrets {
    fn add(&mut self, what: &'static str, tokens: &Tokens) {
        self.0.push((what, tokens.access.clone()));
        self.0.push((what, tokens.refresh.clone()));
    }
}

/// Drives every audited flow against a server writing `format`, then checks each event's
/// line and sweeps the whole log for secrets. Returns the audit lines as written.
async fn every_event_in(format: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let (db, log) = (TestDb::new(), dir.path().join("serve.log"));
    let mut command = bouncer(&db);
    command
        .env("RUST_LOG", "bouncer=trace,info")
        .env("BOUNCER_AUDIT_FORMAT", format)
        .env("BOUNCER_REFRESH_REUSE_GRACE", "10s")
        .env("BOUNCER_THROTTLE__SCOPES__TEN", "1/minute")
        .env("BOUNCER_THROTTLE__LOGIN_FAILURES_PER_USER_AND_ADDRESS", "1");
    let mut served = Served::start(command, log).await;
    served.api.client = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(0)
        .user_agent(USER_AGENT)
        .build()
        .unwrap();
    let mut secrets = Secrets(vec![
        ("password", PASSWORD.into()),
        ("wrong password", WRONG.into()),
        ("new password", NEW_PASSWORD.into()),
        ("signing secret", TEST_SECRET.into()),
    ]);

    let alice = served.create_user("alice", PASSWORD).await;
    let admin = served.create_user("admin", PASSWORD).await;
    db.execute("UPDATE users SET is_staff = TRUE, is_superuser = TRUE WHERE username = 'admin'");
    // A failed login under a forged username, then that pair is locked out (limit 1).
    served
        .login(FORGED, WRONG)
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    served
        .login(FORGED, WRONG)
        .await
        .assert_status(StatusCode::TOO_MANY_REQUESTS);
    // Log in, refresh, retry the refresh inside the grace window (the same pair again), rotate
    // once more, then replay the first refresh token: reuse detected.
    let first = served.tokens("alice", PASSWORD).await;
    let rotated = served.rotate(&first.refresh).await;
    let retried = served.rotate(&first.refresh).await;
    assert_eq!(retried.refresh, rotated.refresh);
    let rotated_twice = served.rotate(&rotated.refresh).await;
    served
        .refresh(&first.refresh)
        .await
        .assert_token_endpoint_refused();
    secrets.add("first tokens", &first);
    secrets.add("rotated tokens", &rotated);
    secrets.add("rotated twice", &rotated_twice);
    // A second session: refused by a permission, throttled, then logged out.
    let second = served.tokens("alice", PASSWORD).await;
    secrets.add("second tokens", &second);
    let bearer = format!("Bearer {}", second.access);
    served
        .call(Method::GET, "/api/manager-view/", &bearer, None)
        .await
        .assert_status(StatusCode::FORBIDDEN);
    for expected in [StatusCode::OK, StatusCode::TOO_MANY_REQUESTS] {
        served
            .call(Method::GET, "/api/throttle-check-auth", &bearer, None)
            .await
            .assert_status(expected);
    }
    served
        .logout(&second.access, None)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    // Staff put alice in a group and take her out again.
    let staff = served.tokens("admin", PASSWORD).await;
    secrets.add("staff tokens", &staff);
    let staff_bearer = format!("Bearer {}", staff.access);
    let member = json!({"username": "alice"});
    served
        .call(
            Method::POST,
            "/api/groups/Manager/users",
            &staff_bearer,
            Some(&member),
        )
        .await
        .assert_status(StatusCode::CREATED);
    served
        .call(
            Method::DELETE,
            "/api/groups/Manager/users",
            &staff_bearer,
            Some(&member),
        )
        .await
        .assert_status(StatusCode::OK);
    // Blacklist a session's refresh token.
    let third = served.tokens("alice", PASSWORD).await;
    secrets.add("blacklisted tokens", &third);
    served
        .blacklist(&third.refresh)
        .await
        .assert_status(StatusCode::OK);
    // A key: logged in, then logged out.
    let key = served.key("alice", PASSWORD).await;
    secrets.0.push(("key", key.clone()));
    served
        .call(
            Method::POST,
            "/auth/token/logout/",
            &format!("Token {key}"),
            None,
        )
        .await
        .assert_status(StatusCode::NO_CONTENT);
    // A password change from a fresh session, which ends the one other live session.
    let fourth = served.tokens("alice", PASSWORD).await;
    let other = served.tokens("alice", PASSWORD).await;
    secrets.add("fourth tokens", &fourth);
    secrets.add("other tokens", &other);
    let change = json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD});
    served
        .call(
            Method::POST,
            "/auth/users/set_password/",
            &format!("Bearer {}", fourth.access),
            Some(&change),
        )
        .await
        .assert_status(StatusCode::NO_CONTENT);

    let logs = served.logs();
    drop(served);

    // Nothing secret anywhere in the log, at any level.
    for (what, value) in &secrets.0 {
        assert!(
            !logs.contains(value.as_str()),
            "the log holds the {what}:\n{logs}"
        );
    }
    // Every line is a log record: nothing a client sent started a line of its own.
    for line in logs.lines() {
        assert!(
            line.starts_with('['),
            "a line not written by the logger: {line:?}"
        );
    }
    let messages = audit_messages(&logs);
    let events: Vec<Event> = messages
        .iter()
        .map(|m| match format {
            "json" => parse_json(m),
            _ => parse_plain(m),
        })
        .collect();
    let (alice, admin) = (alice.to_string(), admin.to_string());

    expect(
        &events,
        "user.registered",
        &[("user_id", &alice), ("staff", "false")],
    );
    expect(&events, "user.registered", &[("user_id", &admin)]);

    let failure = expect(&events, "login.failure", &[("username", FORGED)]);
    assert_eq!(failure["reason"], "bad_credentials");
    assert_eq!(failure["credential"], "jwt");
    assert!(!failure.contains_key("user_id"), "{failure:?}");
    assert_request(failure, "POST", "/api/token/");
    let locked = expect(&events, "login.locked_out", &[("username", FORGED)]);
    assert!(locked["wait"].parse::<u64>().unwrap() >= 1, "{locked:?}");
    assert_request(locked, "POST", "/api/token/");
    assert_eq!(named(&events, "login.failure").len(), 1);

    let (first_sid, first_jti) = (claim(&first.refresh, "sid"), claim(&first.refresh, "jti"));
    let login = expect(&events, "login.success", &[("sid", &first_sid)]);
    assert_eq!(login["username"], "alice");
    assert_eq!(login["user_id"], alice);
    assert_eq!(login["credential"], "jwt");
    assert_request(login, "POST", "/api/token/");
    expect(
        &events,
        "token.refresh",
        &[
            ("user_id", &alice),
            ("sid", &first_sid),
            ("jti", &first_jti),
        ],
    );
    expect(
        &events,
        "token.refresh_retried",
        &[
            ("user_id", &alice),
            ("sid", &first_sid),
            ("jti", &first_jti),
            ("successor", &claim(&rotated.refresh, "jti")),
        ],
    );
    expect(
        &events,
        "token.reuse_detected",
        &[
            ("user_id", &alice),
            ("sid", &first_sid),
            ("jti", &first_jti),
        ],
    );

    let denied = expect(&events, "permission.denied", &[("user_id", &alice)]);
    assert_request(denied, "GET", "/api/manager-view/");
    let throttled = expect(&events, "request.throttled", &[("user_id", &alice)]);
    assert_request(throttled, "GET", "/api/throttle-check-auth");
    assert!(throttled["wait"].parse::<u64>().unwrap() >= 1);
    expect(
        &events,
        "logout",
        &[
            ("user_id", &alice),
            ("sid", &claim(&second.access, "sid")),
            ("jti", &claim(&second.access, "jti")),
        ],
    );

    let group = [("group", "Manager"), ("user_id", &alice), ("by", &admin)];
    expect(&events, "group.add", &group);
    expect(&events, "group.remove", &group);
    expect(
        &events,
        "token.blacklist",
        &[
            ("user_id", &alice),
            ("sid", &claim(&third.refresh, "sid")),
            ("jti", &claim(&third.refresh, "jti")),
        ],
    );

    let fingerprint = hex::encode(&Sha256::digest(key.as_bytes())[..4]);
    let key_login = expect(&events, "login.success", &[("key", &fingerprint)]);
    assert_eq!(key_login["credential"], "key");
    assert_request(key_login, "POST", "/api/api-token-auth/");
    let created = expect(
        &events,
        "key.created",
        &[("user_id", &alice), ("key", &fingerprint)],
    );
    expect(
        &events,
        "key.logout",
        &[("user_id", &alice), ("sid", &created["sid"])],
    );

    let changed = expect(
        &events,
        "password.change",
        &[("user_id", &alice), ("sid", &claim(&fourth.access, "sid"))],
    );
    assert_eq!(changed["sessions_ended"], "1", "{changed:?}");

    messages.into_iter().map(str::to_owned).collect()
}

#[tokio::test]
async fn every_security_event_is_one_plain_line_with_its_fields_and_no_secret() {
    let lines = every_event_in("plain").await;

    // The forged username is one quoted, escaped value inside its own line.
    let failure = lines
        .iter()
        .find(|l| l.starts_with("event=login.failure "))
        .expect("a login.failure line");
    assert!(
        failure.contains(
            r#"username="mallory\n[2030-01-01T00:00:00Z INFO  bouncer::audit] event=login.success user_id=1 \"x\\""#
        ),
        "{failure}"
    );
    assert!(lines.iter().all(|l| l.starts_with("event=")), "{lines:#?}");
}

#[tokio::test]
async fn with_audit_format_json_every_security_event_is_one_json_object_and_no_secret() {
    let lines = every_event_in("json").await;

    assert!(
        lines.iter().all(|l| l.starts_with(r#"{"event":""#)),
        "{lines:#?}"
    );
    let failure = lines
        .iter()
        .find(|l| l.contains(r#""event":"login.failure""#))
        .expect("a login.failure line");
    assert!(
        failure.contains(r#""username":"mallory\n[2030"#),
        "the newline is not escaped: {failure}"
    );
}
