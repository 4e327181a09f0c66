//! `GET /openapi.json` and `GET /docs` as a client sees them. That the document covers every
//! route is `routes::openapi`'s unit test; that responses match it is `tests/openapi/run`.

use reqwest::StatusCode;

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_openapi_document_is_served_as_openapi_3_1_json_with_both_security_schemes() {
    let app = spawn_app().await;

    let reply = app.send(app.client.get(app.url("/openapi.json"))).await;

    let doc = reply.assert_status(StatusCode::OK);
    assert!(
        reply
            .header("content-type")
            .unwrap_or_default()
            .starts_with("application/json")
    );
    assert_eq!(doc["openapi"], "3.1.0");
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["jwt"]["scheme"], "bearer");
    assert_eq!(schemes["key"]["name"], "Authorization");
    let login = &doc["paths"]["/api/token/"]["post"];
    assert_eq!(
        login["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/TokenPairResponse"
    );
    assert!(login["requestBody"]["content"]["application/x-www-form-urlencoded"].is_object());
    assert!(doc["paths"]["/auth/jwt/create/"]["post"].is_object());
    let me = &doc["paths"]["/auth/users/me/"]["get"]["responses"];
    assert_eq!(me["401"]["$ref"], "#/components/responses/Unauthorized");
}

#[tokio::test]
async fn the_same_document_answers_every_request() {
    let app = spawn_app().await;

    let first = app.send(app.client.get(app.url("/openapi.json"))).await;
    let second = app.send(app.client.get(app.url("/openapi.json"))).await;

    assert_eq!(first.text, second.text);
}

#[tokio::test]
async fn the_docs_page_and_its_script_come_from_this_server_under_a_self_only_policy() {
    let app = spawn_app().await;

    let page = app.send(app.client.get(app.url("/docs"))).await;

    page.assert_status(StatusCode::OK);
    assert!(
        page.header("content-type")
            .unwrap_or_default()
            .starts_with("text/html")
    );
    let csp = page.header("content-security-policy").unwrap_or_default();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(csp.contains("script-src 'self';"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(
        page.text.contains("spec-url=\"openapi.json\""),
        "{}",
        page.text
    );
    assert!(
        !page.text.contains("https://"),
        "the page loads nothing from elsewhere"
    );
    let script = page
        .text
        .split("src=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page loads a script");
    let reply = app
        .send(app.client.get(app.url(&format!("/{script}"))))
        .await;
    reply.assert_status(StatusCode::OK);
    assert!(
        reply
            .header("content-type")
            .unwrap_or_default()
            .starts_with("text/javascript")
    );
    assert!(reply.text.contains("RapiDoc"));
}
