//! The words of the messages bouncer sends, kept beside the mailer so they can be read (and
//! tested) in one place; the services only say which message and fill in its link.

use super::message::Message;

impl Message {
    /// djoser's password-reset e-mail: a single-use link, valid for the hour.
    pub fn password_reset(to: &str, username: &str, link: &str) -> Self {
        Self {
            to: to.to_owned(),
            subject: "Password reset".into(),
            body: format!(
                "Someone asked to reset the password of {username}.\n\nTo choose a new \
                 password, open this link (it works once, within the hour):\n\n{link}\n\n\
                 If it was not you, ignore this message; your password stays as it is.\n"
            ),
        }
    }

    /// djoser's activation e-mail, sent on sign-up and on request.
    pub fn activation(to: &str, username: &str, link: &str) -> Self {
        Self {
            to: to.to_owned(),
            subject: "Activate your account".into(),
            body: format!(
                "Welcome, {username}.\n\nTo activate your account, open this link:\n\n{link}\n"
            ),
        }
    }
}

#[cfg(test)]
#[path = "texts_tests.rs"]
mod tests;
