//! A response read in full, and the assertions every test uses on it.

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;

pub const INVALID_TOKEN_DETAIL: &str = "Given token not valid for any token type";

/// A response read in full, so assertions can look at status, headers and body together.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    /// The body parsed as JSON, or `Value::Null` when it is not JSON.
    pub body: Value,
}

impl Reply {
    pub async fn read(response: reqwest::Response) -> Reply {
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("response body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            text,
            body,
        }
    }

    /// Exact status and exact JSON body.
    #[track_caller]
    pub fn assert(&self, status: StatusCode, body: Value) {
        assert_eq!(
            (self.status, &self.body),
            (status, &body),
            "unexpected reply; raw body: {}",
            self.text
        );
    }

    #[track_caller]
    pub fn assert_status(&self, status: StatusCode) -> &Value {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        &self.body
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// 401 `token_not_valid` in the protected-route shape; returns the `messages[].message` texts.
    #[track_caller]
    pub fn assert_token_not_valid(&self) -> Vec<String> {
        self.assert_status(StatusCode::UNAUTHORIZED);
        assert_eq!(self.body["code"], "token_not_valid", "body: {}", self.text);
        assert_eq!(
            self.body["detail"], INVALID_TOKEN_DETAIL,
            "body: {}",
            self.text
        );
        let messages = self.body["messages"]
            .as_array()
            .unwrap_or_else(|| panic!("no messages array: {}", self.text));
        assert!(!messages.is_empty(), "empty messages: {}", self.text);
        messages
            .iter()
            .map(|m| m["message"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// 401 `token_not_valid` in the token-endpoint shape (`/api/token/*`): detail and code.
    #[track_caller]
    pub fn assert_token_endpoint_refused(&self) {
        self.assert_status(StatusCode::UNAUTHORIZED);
        assert_eq!(self.body["code"], "token_not_valid", "body: {}", self.text);
        assert!(self.body["detail"].is_string(), "body: {}", self.text);
    }

    /// 503 with `Retry-After` and a JSON body: the answer while the database is away or locked.
    #[track_caller]
    pub fn assert_unavailable(&self) {
        self.assert_status(StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            self.header("Retry-After").is_some(),
            "no Retry-After: {self:?}"
        );
        assert!(self.body.is_object(), "not JSON: {}", self.text);
    }
}
