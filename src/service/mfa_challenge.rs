//! The `mfa_token` of a login whose password was right and that waits for its second
//! factor: made at `POST /api/token/`, spent by `POST /auth/mfa/verify/`. 256 random bits,
//! kept only as their SHA-256 (a database reader cannot finish anyone's login), bound to the
//! user, valid for `mfa.challenge_lifetime`, single use (spending deletes the row, so of two
//! racing verifications one wins). It is no JWT, so no access or refresh token can pass for
//! one, nor it for them.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use super::mfa::{Mfa, internal};
use crate::clock;
use crate::db::mfa::{self, Challenge, NewChallenge};
use crate::db::models::User;
use crate::db::users;
use crate::error::{ApiError, MfaToken};

/// The hex SHA-256 of an `mfa_token`: what the table keeps.
fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl Mfa {
    /// A login whose password was right waits for its code: a fresh single-use token naming
    /// the user, valid for `mfa.challenge_lifetime`. 256 random bits, kept only as a hash.
    pub async fn challenge(&self, user_id: i64, cookie_mode: bool) -> Result<MfaToken, ApiError> {
        let mut random = [0u8; 32];
        getrandom::fill(&mut random).map_err(|e| internal(format!("no randomness: {e}")))?;
        let token = URL_SAFE_NO_PAD.encode(random);
        let now = clock::now();
        let challenge = NewChallenge {
            token_hash: token_hash(&token),
            user_id,
            cookie_mode,
            created_at: now,
            expires_at: now.saturating_add(self.challenge_lifetime),
        };
        self.db
            .write(move |conn| mfa::insert_challenge(conn, &challenge))
            .await?;
        Ok(MfaToken(token))
    }

    /// The login an `mfa_token` stands for, and its user (who must still be active);
    /// `MfaTokenInvalid` for an unknown, expired or spent token, whatever it looks like.
    pub async fn open_challenge(&self, token: &str) -> Result<(Challenge, User), ApiError> {
        // Bounded before hashing: a token is 43 characters.
        if token.is_empty() || token.len() > 128 {
            return Err(ApiError::MfaTokenInvalid);
        }
        let (hash, now) = (token_hash(token), clock::now());
        let found = self
            .db
            .run(move |conn| {
                let Some(challenge) = mfa::find_challenge(conn, &hash, now)? else {
                    return diesel::QueryResult::Ok(None);
                };
                let user = users::find_by_id(conn, challenge.user_id)?;
                Ok(user.map(|user| (challenge, user)))
            })
            .await?;
        match found {
            Some((challenge, user)) if user.is_active => Ok((challenge, user)),
            _ => Err(ApiError::MfaTokenInvalid),
        }
    }

    /// Spends an `mfa_token` (its login is finished); `MfaTokenInvalid` when another request
    /// spent it first or it expired meanwhile.
    pub async fn spend_challenge(&self, token: &str) -> Result<(), ApiError> {
        let (hash, now) = (token_hash(token), clock::now());
        let spent = self
            .db
            .write(move |conn| mfa::spend_challenge(conn, &hash, now))
            .await?;
        if spent {
            Ok(())
        } else {
            Err(ApiError::MfaTokenInvalid)
        }
    }
}
