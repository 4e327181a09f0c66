//! Unit tests for the permission extractors: 401 without credentials, 403 when not allowed,
//! decided from the rights in the token.
use std::sync::Arc;

use actix_web::test::TestRequest;
use actix_web::web;

use super::*;
use crate::auth::authenticator::Authenticator;
use crate::revocation::RevocationList;
use crate::settings::{LoadOptions, Secret, Settings};
use crate::tokens::{Grant, JwtKeys, Rights, SessionId, TokenId, TokenType};

crate::group!(Manager, "Manager");

fn keys() -> Arc<JwtKeys> {
    let settings = Settings::load(&LoadOptions::default()).unwrap();
    Arc::new(crate::keys::jwt_keys(
        &settings,
        &Secret::new("k".repeat(40)),
    ))
}

fn bearer(keys: &JwtKeys, rights: Rights) -> String {
    let grant = Grant {
        user_id: 7,
        sid: SessionId::generate(),
        auth_time: crate::clock::now(),
        jti: TokenId::generate(),
        rights,
        extra: Default::default(),
        amr: None,
    };
    let (token, _) = keys
        .mint_grant(TokenType::Access, grant, crate::clock::now())
        .unwrap();
    format!("Bearer {token}")
}

fn request(keys: &Arc<JwtKeys>, method: Method, authorization: Option<&str>) -> HttpRequest {
    let list = Arc::new(RevocationList::new(0));
    let auth = Authenticator::new(keys.clone(), list, &["Bearer".to_owned()]);
    let mut request = TestRequest::default()
        .method(method)
        .app_data(web::Data::new(auth));
    if let Some(value) = authorization {
        request = request.insert_header(("Authorization", value));
    }
    request.to_http_request()
}

async fn extract<T: FromRequest<Error = ApiError>>(req: &HttpRequest) -> Result<T, ApiError> {
    T::from_request(req, &mut Payload::None).await
}

#[actix_web::test]
async fn staff_only_routes_answer_401_403_or_let_staff_in() {
    let keys = keys();
    let staff = bearer(&keys, Rights::new(true, Vec::new()));
    let member = bearer(&keys, Rights::new(false, vec!["manager".to_owned()]));
    let get = |auth| request(&keys, Method::GET, auth);
    assert!(matches!(
        extract::<IsAdminUser>(&get(None)).await,
        Err(ApiError::NotAuthenticated)
    ));
    assert!(matches!(
        extract::<IsAdminUser>(&get(Some(&member))).await,
        Err(ApiError::PermissionDenied)
    ));
    assert!(extract::<IsAdminUser>(&get(Some(&staff))).await.is_ok());
    // Group names compare case-insensitively; staff are not members by being staff.
    assert!(
        extract::<InGroup<Manager>>(&get(Some(&member)))
            .await
            .is_ok()
    );
    assert!(matches!(
        extract::<InGroup<Manager>>(&get(Some(&staff))).await,
        Err(ApiError::PermissionDenied)
    ));
}

#[actix_web::test]
async fn read_only_methods_are_open_and_writes_need_credentials() {
    let keys = keys();
    let user = bearer(&keys, Rights::default());
    for method in [Method::GET, Method::HEAD, Method::OPTIONS] {
        let open = extract::<IsAuthenticatedOrReadOnly>(&request(&keys, method, None)).await;
        assert!(matches!(open, Ok(IsAuthenticatedOrReadOnly(None))));
    }
    for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
        let anonymous = request(&keys, method.clone(), None);
        assert!(matches!(
            extract::<IsAuthenticatedOrReadOnly>(&anonymous).await,
            Err(ApiError::NotAuthenticated)
        ));
        let authenticated = request(&keys, method, Some(&user));
        let allowed = extract::<IsAuthenticatedOrReadOnly>(&authenticated).await;
        assert!(matches!(allowed, Ok(IsAuthenticatedOrReadOnly(Some(_)))));
    }
    // A bad credential is refused even where reading is open (DRF authenticates eagerly).
    let forged = request(&keys, Method::GET, Some("Bearer not.a.token"));
    assert!(extract::<IsAuthenticatedOrReadOnly>(&forged).await.is_err());
}

#[actix_web::test]
async fn without_a_database_a_token_without_its_rights_claims_proves_no_rights() {
    // An app that only validates tokens cannot read rights: it refuses, never allows.
    let settings = Settings::load(&LoadOptions {
        overrides: vec![("access_token_claims".into(), "username".into())],
        ..LoadOptions::default()
    })
    .unwrap();
    let keys = Arc::new(crate::keys::jwt_keys(
        &settings,
        &Secret::new("k".repeat(40)),
    ));
    let staff = bearer(&keys, Rights::new(true, vec!["Manager".to_owned()]));
    let req = request(&keys, Method::GET, Some(&staff));
    assert!(extract::<AuthenticatedUser>(&req).await.is_ok());
    assert!(matches!(
        extract::<IsAdminUser>(&req).await,
        Err(ApiError::PermissionDenied)
    ));
    assert!(matches!(
        extract::<InGroup<Manager>>(&req).await,
        Err(ApiError::PermissionDenied)
    ));
}
