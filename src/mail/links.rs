//! Links in messages, from the templates in `[mail]` (djoser's `PASSWORD_RESET_CONFIRM_URL`
//! and `ACTIVATION_URL`, with the frontend's address in front).
//!
//! Values are put in as they are, without percent-encoding: callers pass a URL-safe uid and
//! token (djoser's are base64url and `[0-9a-z-]`), and `frontend_url` is a URL already. Settings
//! validation guarantees each template has `{uid}` and `{token}` and nothing else in braces.

use crate::settings::MailSettings;

/// The link templates of `[mail]`, ready to fill in.
#[derive(Debug, Clone)]
pub struct Links {
    frontend_url: String,
    password_reset_url: String,
    activation_url: String,
}

impl Links {
    pub fn from_settings(settings: &MailSettings) -> Self {
        Self {
            frontend_url: settings.frontend_url.clone(),
            password_reset_url: settings.password_reset_url.clone(),
            activation_url: settings.activation_url.clone(),
        }
    }

    /// The link a password-reset message carries (`mail.password_reset_url`).
    pub fn password_reset(&self, uid: &str, token: &str) -> String {
        render_link(&self.password_reset_url, &self.frontend_url, uid, token)
    }

    /// The link an activation message carries (`mail.activation_url`).
    pub fn activation(&self, uid: &str, token: &str) -> String {
        render_link(&self.activation_url, &self.frontend_url, uid, token)
    }
}

/// Replaces `{frontend}`, `{uid}` and `{token}` in `template`, in one pass, so a value that
/// happens to contain a placeholder is never expanded again. One trailing `/` of `frontend`
/// is dropped, so `http://host/` and `{frontend}/activate` make no `//`. Any other `{...}`
/// is left as it is (validation refuses such templates).
pub fn render_link(template: &str, frontend: &str, uid: &str, token: &str) -> String {
    let frontend = frontend.strip_suffix('/').unwrap_or(frontend);
    let mut out = String::with_capacity(template.len() + frontend.len() + uid.len() + token.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        rest = &rest[open..];
        let value = [("{frontend}", frontend), ("{uid}", uid), ("{token}", token)]
            .into_iter()
            .find(|(placeholder, _)| rest.starts_with(placeholder));
        match value {
            Some((placeholder, value)) => {
                out.push_str(value);
                rest = &rest[placeholder.len()..];
            }
            None => {
                out.push('{');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
#[path = "links_tests.rs"]
mod tests;
