//! The document covers every route, and only routes that exist.
//!
//! actix has no public route listing, so this reads the wiring itself: `routes/mod.rs`, where
//! every path is wired (`web::resource("/path").route(web::get()...)` or
//! `.route("/path", web::get()...)`). Wiring it cannot read (`web::scope`, `format!`,
//! `.configure`) fails the test rather than being skipped, so no route slips past.

use std::collections::BTreeSet;

use super::document;

/// Where routes are wired: the API's, and the admin page's (served when `admin.enabled`).
const WIRING: &[(&str, &str)] = &[
    ("src/routes/mod.rs", include_str!("../mod.rs")),
    ("src/admin/mod.rs", include_str!("../../admin/mod.rs")),
];
const WIRING_FILE: &str = "src/routes/mod.rs";

const METHODS: &[&str] = &["get", "post", "put", "patch", "delete", "head"];

/// `text` without `//` comments (string literals kept whole).
fn without_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if in_string => {
                out.push(c);
                out.extend(chars.next());
            }
            '"' => {
                in_string = !in_string;
                out.push(c);
            }
            '/' if !in_string && chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// The string literal at the start of `rest` (after blanks), if there is one.
fn literal(rest: &str) -> Option<&str> {
    let rest = rest.trim_start().strip_prefix('"')?;
    rest.find('"').map(|end| &rest[..end])
}

/// `web::get()` ... at the start of `rest` (after blanks): the method's name.
fn method(rest: &str) -> Option<&'static str> {
    let rest = rest.trim_start().strip_prefix("web::")?;
    METHODS
        .iter()
        .find(|m| rest.starts_with(&format!("{m}()")))
        .copied()
}

/// `{id:\d+}` -> `{id}`: actix's pattern syntax to OpenAPI's.
fn template(path: &str) -> String {
    let mut out = String::new();
    let (mut in_param, mut skipping) = (false, false);
    for c in path.chars() {
        match c {
            '{' | '}' => {
                (in_param, skipping) = (c == '{', false);
                out.push(c);
            }
            ':' if in_param => skipping = true,
            _ if skipping => {}
            _ => out.push(c),
        }
    }
    out
}

/// Every (METHOD, path) wired in `source`, or what could not be read.
fn wired_routes(file: &str, source: &str) -> Result<BTreeSet<(String, String)>, Vec<String>> {
    let text = without_comments(source);
    let (mut routes, mut problems) = (BTreeSet::new(), Vec::new());
    let mut resource: Option<String> = None;
    let line_of = |at: usize| text[..at].lines().count();
    for (at, _) in text.char_indices() {
        let rest = &text[at..];
        if let Some(after) = rest.strip_prefix("web::resource(") {
            match literal(after) {
                Some(path) => resource = Some(template(path)),
                None => problems.push(format!(
                    "{file}:{}: a resource whose path is not a string literal",
                    line_of(at)
                )),
            }
        } else if let Some(after) = rest.strip_prefix(".route(") {
            if let Some(path) = literal(after) {
                // `.route("/path", web::get().to(...))` on the config or app.
                let after_path = &after[after.find(',').map_or(after.len(), |i| i + 1)..];
                match method(after_path) {
                    Some(m) => drop(routes.insert((m.to_uppercase(), template(path)))),
                    None => problems.push(format!(
                        "{file}:{}: route {path} with a method this test cannot read",
                        line_of(at)
                    )),
                }
            } else {
                match (method(after), &resource) {
                    (Some(m), Some(path)) => drop(routes.insert((m.to_uppercase(), path.clone()))),
                    _ => problems.push(format!(
                        "{file}:{}: a `.route(...)` this test cannot read",
                        line_of(at)
                    )),
                }
            }
        } else {
            for unreadable in ["web::scope(", "format!(", ".configure(", "web::route()"] {
                if rest.starts_with(unreadable) {
                    problems.push(format!(
                        "{file}:{}: `{unreadable}` hides paths from this test",
                        line_of(at)
                    ));
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(routes)
    } else {
        Err(problems)
    }
}

/// Every (METHOD, path) the document has an operation for.
fn documented_operations() -> BTreeSet<(String, String)> {
    let json = serde_json::to_value(document()).expect("the document serialises");
    let paths = json["paths"].as_object().expect("the document has paths");
    paths
        .iter()
        .flat_map(|(path, item)| {
            let item = item.as_object().expect("a path item is an object");
            METHODS
                .iter()
                .filter(|m| item.contains_key(**m))
                .map(move |m| (m.to_uppercase(), path.clone()))
        })
        .collect()
}

#[test]
fn every_route_wired_in_routes_mod_or_the_admin_page_has_an_operation_in_the_document_and_no_other()
{
    let mut wired = BTreeSet::new();
    for (file, source) in WIRING {
        wired.extend(wired_routes(file, source).unwrap_or_else(|problems| {
            panic!(
                "{}\nWire routes in {file} as `web::resource(\"/path\").route(web::get()...)` \
                 or `.route(\"/path\", web::get()...)` with literal paths, so this test can \
                 check that the OpenAPI document covers them.",
                problems.join("\n")
            )
        }));
    }
    let documented = documented_operations();
    let mut failures = Vec::new();
    for (method, path) in wired.difference(&documented) {
        failures.push(format!(
            "{method} {path} is served ({WIRING_FILE} or src/admin/mod.rs) but has no operation in the OpenAPI \
             document: annotate its handler with `#[utoipa::path({m}, path = \"{path}\", \
             tag = \"...\", responses((status = 200, description = \"...\", body = ...)))]` \
             (security, request_body and params as its extractors need; see \
             src/routes/users.rs) and list the handler in `paths(...)` in \
             src/routes/openapi/mod.rs.",
            m = method.to_lowercase()
        ));
    }
    for (method, path) in documented.difference(&wired) {
        failures.push(format!(
            "{method} {path} is in the OpenAPI document but {WIRING_FILE} wires no such \
             route: fix the handler's `#[utoipa::path(...)]` or remove it from `paths(...)` in \
             src/routes/openapi/mod.rs."
        ));
    }
    assert!(failures.is_empty(), "\n{}\n", failures.join("\n"));
}

#[test]
fn the_wiring_reader_finds_resource_routes_plain_routes_and_refuses_what_it_cannot_read() {
    let source = r#"
        cfg.route("/healthz", web::get().to(health::healthz)) // a comment with "quotes
            .service(
                web::resource("/auth/users/{id:\d+}/")
                    .app_data(RouteThrottles::anon())
                    .route(web::get().to(users::detail))
                    .route(web::patch().to(users::update)),
            );
    "#;
    let routes = wired_routes("test", source).expect("readable");
    let expected: BTreeSet<(String, String)> = [
        ("GET", "/healthz"),
        ("GET", "/auth/users/{id}/"),
        ("PATCH", "/auth/users/{id}/"),
    ]
    .into_iter()
    .map(|(m, p)| (m.to_owned(), p.to_owned()))
    .collect();
    assert_eq!(routes, expected);
    for unreadable in [
        r#"cfg.service(web::scope("/admin").route("/", web::get().to(admin::index)));"#,
        r#"cfg.service(web::resource(format!("{prefix}x/")).route(web::post().to(a::b)));"#,
        r#"cfg.configure(admin::configure);"#,
    ] {
        assert!(wired_routes("test", unreadable).is_err(), "{unreadable}");
    }
}

#[test]
fn every_reference_in_the_document_points_at_a_component_it_defines() {
    let json = serde_json::to_value(document()).expect("the document serialises");
    let mut missing = Vec::new();
    let mut stack = vec![&json];
    while let Some(value) = stack.pop() {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(serde_json::Value::String(target)) = map.get("$ref") {
                    let pointer = target.trim_start_matches('#');
                    if json.pointer(pointer).is_none() {
                        missing.push(target.clone());
                    }
                }
                stack.extend(map.values());
            }
            serde_json::Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    assert!(missing.is_empty(), "dangling references: {missing:?}");
    assert_eq!(json["openapi"], "3.1.0");
    let schemes = &json["components"]["securitySchemes"];
    assert_eq!(schemes["jwt"]["scheme"], "bearer");
    assert_eq!(schemes["key"]["in"], "header");
}
