//! What is true of every operation of a kind, applied to the generated document once, so no
//! handler has to repeat it:
//! - the two security schemes: `Authorization: Bearer <JWT>` and `Authorization: Token <key>`;
//! - djoser's `/auth/jwt/` paths, served by simplejwt's handlers (`routes/mod.rs`);
//! - request bodies are JSON or form-encoded (`http/body.rs`), and optional when every field
//!   is (an empty body reads as no fields);
//! - the errors a kind of operation can always give: 400, 413 and 415 where a body is read;
//!   401 where credentials are read; 429 and 503 where either is (throttles count both, and
//!   both can reach the database); 431 everywhere (`max_header_size`);
//! - operation ids are unique (a handler served for PUT and PATCH gets one per method).

use std::collections::HashMap;

use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Components, Ref, RefOr, Required, Schema};
use utoipa::{Modify, ToResponse};

use crate::http::error_docs::{
    BadRequest, HeadersTooLarge, PayloadTooLarge, TooManyRequests, Unauthorized, Unavailable,
    UnsupportedMediaType,
};

/// djoser's aliases of simplejwt's views: (alias, the path whose operation it serves).
const ALIASES: &[(&str, &str)] = &[
    ("/auth/jwt/create/", "/api/token/"),
    ("/auth/jwt/refresh/", "/api/token/refresh/"),
    ("/auth/jwt/verify/", "/api/token/verify/"),
];

const JSON: &str = "application/json";
const FORM: &str = "application/x-www-form-urlencoded";

pub struct Rules;

impl Modify for Rules {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        security_schemes(openapi);
        for (alias, original) in ALIASES {
            if let Some(item) = openapi.paths.paths.get(*original).cloned() {
                openapi
                    .paths
                    .paths
                    .insert((*alias).to_owned(), alias_of(item, original));
            }
        }
        let components = openapi.components.clone().unwrap_or_default();
        for item in openapi.paths.paths.values_mut() {
            for (_, operation) in operations(item) {
                form_bodies(operation, &components);
                common_responses(operation);
            }
        }
        unique_operation_ids(openapi);
    }
}

fn security_schemes(openapi: &mut utoipa::openapi::OpenApi) {
    let components = openapi.components.get_or_insert_with(Default::default);
    let jwt = HttpBuilder::new()
        .scheme(HttpAuthScheme::Bearer)
        .bearer_format("JWT")
        .description(Some(
            "An access token from `POST /api/token/`: `Authorization: Bearer <access>` (or \
             another prefix listed in `auth_header_types`).",
        ))
        .build();
    components
        .security_schemes
        .insert("jwt".into(), SecurityScheme::Http(jwt));
    let key = ApiKeyValue::with_description(
        "Authorization",
        "An opaque key from `POST /auth/token/login/`, sent as `Authorization: Token <key>` \
         (DRF's TokenAuthentication): type `Token ` before the key.",
    );
    components
        .security_schemes
        .insert("key".into(), SecurityScheme::ApiKey(ApiKey::Header(key)));
}

fn alias_of(mut item: PathItem, original: &str) -> PathItem {
    for (method, operation) in operations(&mut item) {
        operation.operation_id = operation
            .operation_id
            .take()
            .map(|id| format!("{id}_djoser"))
            .or_else(|| Some(format!("{method}_djoser")));
        operation.tags = Some(vec!["tokens".into()]);
        let note = format!("djoser's name for `{original}`: the same view.");
        operation.description = Some(match operation.description.take() {
            Some(text) => format!("{note}\n\n{text}"),
            None => note,
        });
    }
    item
}

/// Each operation of a path item with its method's name.
fn operations(item: &mut PathItem) -> Vec<(&'static str, &mut Operation)> {
    [
        ("get", &mut item.get),
        ("put", &mut item.put),
        ("post", &mut item.post),
        ("delete", &mut item.delete),
        ("patch", &mut item.patch),
        ("head", &mut item.head),
        ("options", &mut item.options),
        ("trace", &mut item.trace),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.as_mut().map(|op| (method, op)))
    .collect()
}

/// Every body is read by `http::body::Form`: JSON or form-encoded, the same fields; no body
/// at all reads as no fields, so a body whose fields are all optional may be left out.
fn form_bodies(operation: &mut Operation, components: &Components) {
    let Some(body) = operation.request_body.as_mut() else {
        return;
    };
    let Some(json) = body.content.get(JSON).cloned() else {
        return;
    };
    let all_optional = match &json.schema {
        Some(RefOr::Ref(reference)) => reference
            .ref_location
            .rsplit('/')
            .next()
            .and_then(|name| components.schemas.get(name))
            .is_some_and(|schema| {
                matches!(schema, RefOr::T(Schema::Object(object)) if object.required.is_empty())
            }),
        _ => false,
    };
    if all_optional {
        body.required = Some(Required::False);
    }
    body.content.entry(FORM.to_owned()).or_insert(json);
}

fn common_responses(operation: &mut Operation) {
    let has_body = operation.request_body.is_some();
    let has_credentials = operation.security.as_ref().is_some_and(|s| !s.is_empty());
    let mut add = |status: &str, (name, _): (&str, _)| {
        operation
            .responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
    };
    if has_body {
        add("400", BadRequest::response());
        add("413", PayloadTooLarge::response());
        add("415", UnsupportedMediaType::response());
    }
    if has_credentials {
        add("401", Unauthorized::response());
    }
    if has_body || has_credentials {
        add("429", TooManyRequests::response());
        add("503", Unavailable::response());
    }
    add("431", HeadersTooLarge::response());
}

fn unique_operation_ids(openapi: &mut utoipa::openapi::OpenApi) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for item in openapi.paths.paths.values_mut() {
        for (_, operation) in operations(item) {
            if let Some(id) = &operation.operation_id {
                *seen.entry(id.clone()).or_default() += 1;
            }
        }
    }
    for item in openapi.paths.paths.values_mut() {
        for (method, operation) in operations(item) {
            if let Some(id) = operation.operation_id.as_mut()
                && seen.get(id.as_str()).is_some_and(|&n| n > 1)
            {
                *id = format!("{id}_{method}");
            }
        }
    }
}
