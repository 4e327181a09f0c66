//! What the admin pages answer, as the OpenAPI document (`GET /openapi.json`, tag `admin`)
//! shows it: each handler carries its `#[utoipa::path]` like the API's do, naming these
//! responses, and `AdminDoc` (`mod.rs`) lists the handlers for `routes/openapi/`, which merges
//! them into the one document. They answer HTML, not JSON:
//! a browser's forms are their client, so the document says what each answers and no more.
//! When `admin.enabled` is off every one of them is the API's JSON 404.

use utoipa::openapi::schema::{Object, Type};
use utoipa::openapi::{Content, Header, RefOr, Response, ResponseBuilder, Schema};

use crate::http::error_docs::unit_response;

const HTML: &str = "text/html; charset=utf-8";

fn html(description: &str) -> ResponseBuilder {
    let page: RefOr<Schema> = Object::with_type(Type::String).into();
    Response::builder()
        .description(description)
        .content(HTML, Content::new(Some(page)))
}

unit_response!(
    /// 200: the page.
    HtmlPage => html("The page (HTML, never cached).")
);

unit_response!(
    /// 303: to the login form (no live staff session), or where a form post leads.
    SeeOther => Response::builder()
        .description(
            "To the login form when there is no live staff session (a stale session cookie \
             is dropped), or, after a form post that succeeded, to the page that shows it.",
        )
        .header(
            "Location",
            Header::builder()
                .schema(Object::with_type(Type::String))
                .description(Some("Where to go: an `/admin/` path."))
                .build(),
        )
);

unit_response!(
    /// 400: the form again, each error next to its field.
    FormErrors => html(
        "The form again with each error next to its field; nothing was changed.",
    )
);

unit_response!(
    /// 401: wrong username or password on the login form.
    LoginRefused => html(
        "The login form again: wrong username or password, an inactive account or a \
         non-staff user (one answer for all, as the API gives).",
    )
);

unit_response!(
    /// 403: a form post without the page's CSRF proof or from another origin.
    CsrfRefused => html(
        "A form post without this session's CSRF proof or from a foreign `Origin`; nothing \
         was changed.",
    )
);

unit_response!(
    /// 404: the admin page is off (the API's JSON 404), or no such user or group.
    AdminNotFound => Response::builder()
        .description(
            "`admin.enabled` is off (the API's JSON 404), or there is no such user or group \
             (an HTML page).",
        )
        .content(
            "application/json",
            Content::new(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                "ErrorDetail",
            )))),
        )
        .content(HTML, Content::new(Some(RefOr::<Schema>::from(Object::with_type(Type::String)))))
);
