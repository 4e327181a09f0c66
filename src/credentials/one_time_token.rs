//! Password-reset and activation tokens, made as Django's `PasswordResetTokenGenerator` makes
//! them: nothing is stored. A token is a timestamp and an HMAC of the user's current state
//! (password hash, last login, active flag, e-mail) under a key derived from the signing
//! secret for this purpose only. So a token
//! - expires: its timestamp is checked against a maximum age;
//! - is single-use and dies with a password change or a login: either changes the state the
//!   HMAC covers (activation flips `is_active`);
//! - cannot be made or used from a copy of the database: the key is not in it.
//!
//! Form: `<seconds, base 36>-<HMAC-SHA256, 32 hex>`; the uid beside it is djoser's
//! `urlsafe_base64(user id)`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// What a token is for: a reset token is not an activation token, and the reverse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    PasswordReset,
    Activation,
}

impl Purpose {
    fn label(self) -> &'static str {
        match self {
            Self::PasswordReset => "bouncer.password-reset",
            Self::Activation => "bouncer.activation",
        }
    }
}

/// The user state a token is bound to.
#[derive(Debug, Clone, Copy)]
pub struct UserState<'a> {
    pub user_id: i64,
    pub password_hash: &'a str,
    /// Unix seconds of the last login, if any.
    pub last_login: Option<i64>,
    pub is_active: bool,
    pub email: &'a str,
}

/// Makes and checks one-time tokens with a key derived from the signing secret.
#[derive(Clone)]
pub struct OneTimeTokens {
    secret: Vec<u8>,
    max_age: i64,
}

impl std::fmt::Debug for OneTimeTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OneTimeTokens(<redacted>)")
    }
}

/// Digits of the HMAC kept in the token: 128 bits.
const MAC_HEX: usize = 32;

impl OneTimeTokens {
    /// `max_age`: seconds a token stays valid.
    pub fn new(secret: &[u8], max_age: i64) -> Self {
        Self {
            secret: secret.to_vec(),
            max_age,
        }
    }

    pub fn make(&self, purpose: Purpose, user: &UserState<'_>, now: i64) -> String {
        let timestamp = to_base36(now.max(0) as u64);
        let mac = hex::encode(self.mac(purpose, user, &timestamp).finalize().into_bytes());
        format!("{timestamp}-{}", &mac[..MAC_HEX])
    }

    /// Whether `token` was made for this purpose and this exact user state, less than
    /// `max_age` ago. Compared in constant time.
    pub fn check(&self, purpose: Purpose, user: &UserState<'_>, token: &str, now: i64) -> bool {
        let Some((timestamp, mac)) = token.split_once('-') else {
            return false;
        };
        let Some(made_at) = from_base36(timestamp) else {
            return false;
        };
        if mac.len() != MAC_HEX || made_at > now || now - made_at > self.max_age {
            return false;
        }
        let Ok(mac) = hex::decode(mac) else {
            return false;
        };
        self.mac(purpose, user, timestamp)
            .verify_truncated_left(&mac)
            .is_ok()
    }

    fn mac(&self, purpose: Purpose, user: &UserState<'_>, timestamp: &str) -> HmacSha256 {
        // The key for this purpose: HMAC(secret, label), so no other use of the signing
        // secret can produce or check these MACs.
        let mut derive =
            HmacSha256::new_from_slice(&self.secret).expect("HMAC takes a key of any length");
        derive.update(purpose.label().as_bytes());
        let key = derive.finalize().into_bytes();
        let mut mac = HmacSha256::new_from_slice(&key).expect("HMAC takes a key of any length");
        // Length-prefixed fields: no two states share an encoding.
        for field in [
            user.user_id.to_string().as_str(),
            user.password_hash,
            &user.last_login.map(|t| t.to_string()).unwrap_or_default(),
            if user.is_active { "1" } else { "0" },
            user.email,
            timestamp,
        ] {
            mac.update(&(field.len() as u64).to_be_bytes());
            mac.update(field.as_bytes());
        }
        mac
    }
}

/// djoser's uid: the user id in URL-safe base64 without padding.
pub fn encode_uid(user_id: i64) -> String {
    URL_SAFE_NO_PAD.encode(user_id.to_string())
}

/// The user id in a uid, if it is one bouncer could have written.
pub fn decode_uid(uid: &str) -> Option<i64> {
    let bytes = URL_SAFE_NO_PAD.decode(uid.trim_end_matches('=')).ok()?;
    let text = std::str::from_utf8(&bytes).ok()?;
    if text.is_empty() || text.starts_with('0') || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn to_base36(mut n: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

fn from_base36(text: &str) -> Option<i64> {
    if text.is_empty() || text.len() > 12 {
        return None;
    }
    i64::from_str_radix(text, 36).ok()
}

#[cfg(test)]
#[path = "one_time_token_tests.rs"]
mod tests;
