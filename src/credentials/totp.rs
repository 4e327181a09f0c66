//! The second factor as values: TOTP secrets and codes (RFC 6238 through the `totp-rs`
//! crate, never a hand-rolled HOTP), the `otpauth://` URI and its QR code, and recovery codes.
//!
//! The parameters are the ones every authenticator app and pyotp assume when a URI does not
//! say otherwise: HMAC-SHA-1, 6 digits, 30-second steps. A code of the step before or after
//! the current one is accepted too (RFC 6238 §5.2's one step of network delay and clock
//! drift); which step matched is returned, so the caller can refuse a code of a step already
//! used (the same section: "the verifier MUST NOT accept the second attempt of the same OTP").

use std::fmt;

use base64::Engine;
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Totp};

/// 160 bits: RFC 4226 §4 asks for at least 128 and recommends 160 (the HMAC-SHA-1 key size).
const SECRET_BYTES: usize = 20;
const DIGITS: u8 = 6;
const STEP_SECONDS: u64 = 30;
/// Steps either side of the current one whose codes are accepted.
const SKEW: u16 = 1;

/// How many recovery codes an enrolment (or a regeneration) gives.
pub const RECOVERY_CODES: usize = 10;
/// Characters of a recovery code, from the 32-letter base32 alphabet: 16 of them are 80 bits.
const RECOVERY_CODE_CHARS: usize = 16;
const BASE32_LOWER: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// A TOTP shared secret. `Debug` shows nothing; it is only ever written sealed or sent to
/// the user who enrols.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(<redacted>)")
    }
}

impl TotpSecret {
    /// A fresh random secret.
    pub fn generate() -> Result<Self, String> {
        let mut bytes = vec![0u8; SECRET_BYTES];
        getrandom::fill(&mut bytes).map_err(|e| format!("no randomness: {e}"))?;
        Ok(Self(bytes))
    }

    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// RFC 4648 base32 without padding: what authenticator apps accept typed in, and what
    /// the URI's `secret` parameter carries.
    pub fn to_base32(&self) -> String {
        totp_rs::Secret::from(self.0.clone()).to_base32()
    }

    /// The secret from its base32 spelling (stored unsealed).
    pub fn from_base32(text: &str) -> Option<Self> {
        totp_rs::Secret::try_from_base32(text)
            .ok()
            .map(|secret| Self(secret.as_bytes().to_vec()))
    }

    /// The generator, labelled `issuer:account` for the URI. A `:` would end the label's
    /// issuer part early (the Key Uri Format), so one in the account name is replaced.
    fn totp(&self, issuer: &str, account: &str) -> Result<Totp, String> {
        let account = account.replace(':', "_");
        let issuer = issuer.replace(':', "_");
        totp_rs::Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(DIGITS)
            .with_skew(SKEW)
            .with_step_duration(STEP_SECONDS)
            .with_secret(self.0.clone())
            .with_issuer(Some(issuer))
            .with_account_name(account)
            .build()
            .map_err(|e| format!("building the TOTP generator failed: {e}"))
    }

    /// `otpauth://totp/issuer:account?secret=...&issuer=...`, Google's Key Uri Format, which
    /// authenticator apps read from the QR code and `pyotp.parse_uri` reads too.
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> Result<String, String> {
        self.totp(issuer, account)?
            .to_url()
            .map_err(|e| format!("writing the otpauth URI failed: {e}"))
    }

    /// The step whose code `code` is, among the current one and one either side of it at
    /// `now` (unix seconds); `None` for a wrong or malformed code.
    pub fn check(&self, code: &str, now: i64) -> Option<i64> {
        let code = code.trim();
        if code.len() != usize::from(DIGITS) || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let now = u64::try_from(now).ok()?;
        let totp = self.totp("bouncer", "user").ok()?;
        totp.check(code, now)
            .and_then(|step| i64::try_from(step).ok())
    }

    /// The code of the step `now` falls in.
    #[cfg(test)]
    pub fn code_at(&self, now: i64) -> Option<String> {
        let totp = self.totp("bouncer", "user").ok()?;
        Some(totp.generate(u64::try_from(now).ok()?).to_string())
    }
}

/// Whether `code` has the shape of a TOTP code (six digits) rather than a recovery code.
pub fn is_totp_code(code: &str) -> bool {
    let code = code.trim();
    code.len() == usize::from(DIGITS) && code.bytes().all(|b| b.is_ascii_digit())
}

/// The QR code of `uri` as an SVG document (black modules on white, a quiet zone around).
pub fn qr_svg(uri: &str) -> Result<String, String> {
    let code = qrcode::QrCode::with_error_correction_level(uri, qrcode::EcLevel::M)
        .map_err(|e| format!("the otpauth URI does not fit a QR code: {e}"))?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .build())
}

/// [`RECOVERY_CODES`] fresh recovery codes, `xxxx-xxxx-xxxx-xxxx` in lowercase base32.
pub fn generate_recovery_codes() -> Result<Vec<String>, String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut random = [0u8; RECOVERY_CODE_CHARS];
            getrandom::fill(&mut random).map_err(|e| format!("no randomness: {e}"))?;
            let chars: Vec<char> = random
                .iter()
                .map(|b| char::from(BASE32_LOWER[usize::from(b & 31)]))
                .collect();
            Ok(chars
                .chunks(4)
                .map(|group| group.iter().collect::<String>())
                .collect::<Vec<_>>()
                .join("-"))
        })
        .collect()
}

/// What a recovery code is stored as: the SHA-256 of the user's id and the code as typed
/// minus spaces and dashes, lower-cased (a user copying `ABCD EFGH ...` from paper still
/// matches), in base64.
///
/// Why one SHA-256 and not bcrypt: a code is 80 random bits (16 base32 characters), so a
/// stolen table cannot be searched, whatever the hash's speed: bcrypt's slowness protects
/// low-entropy human passwords, and would only cost every check a bcrypt here. The user id
/// in the hash keeps two users' equal codes (never, in practice) from sharing a row shape.
pub fn recovery_code_hash(user_id: i64, code: &str) -> String {
    let normalised: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_lowercase)
        .collect();
    let digest = Sha256::new()
        .chain_update(b"bouncer.recovery_code\0")
        .chain_update(user_id.to_string().as_bytes())
        .chain_update(b"\0")
        .chain_update(normalised.as_bytes())
        .finalize();
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(digest)
}

#[cfg(test)]
#[path = "totp_tests.rs"]
mod tests;
