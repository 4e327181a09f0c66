//! Keys stored in the database: the ring built from them, and the operations behind
//! `bouncer keys list|generate|rotate|retire` and the scheduled rotation.
//!
//! The rules (docs/security.md T1): a generated key is `next` and published in the JWKS at
//! once, but signs only after `jwks_max_age`, so every verifier that honours the JWKS's
//! `Cache-Control` has it first. Rotation makes the oldest such key active and retires the
//! active one until every token it signed has expired (the longest token lifetime plus
//! leeway); after that it neither verifies nor is published.

use jsonwebtoken::Algorithm;

use super::names::{KeyringError, parse_algorithm};
use super::seal::Sealer;
use crate::db::signing_keys::{self, Rotated, StoredSigningKey};
use crate::db::{Db, StorageError};
use crate::settings::SettingsError;
use crate::tokens::{KeyMaterial, KeyRing, KeyState, RingKey, alg_name, generate_key};

pub use crate::db::signing_keys::Retired;

/// A stored key as `bouncer keys list` shows it (no key material).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRow {
    pub kid: String,
    pub algorithm: String,
    pub state: KeyState,
    pub created_at: i64,
    pub activated_at: Option<i64>,
    pub retired_at: Option<i64>,
    pub verify_until: Option<i64>,
}

pub fn list(db: &Db) -> Result<Vec<KeyRow>, KeyringError> {
    let rows = signing_keys::all(&mut db.get()?).map_err(StorageError::from)?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(KeyRow {
                state: KeyState::parse(&r.state)?,
                kid: r.kid,
                algorithm: r.algorithm,
                created_at: r.created_at,
                activated_at: r.activated_at,
                retired_at: r.retired_at,
                verify_until: r.verify_until,
            })
        })
        .collect())
}

fn bad_row(kid: &str, why: impl std::fmt::Display) -> KeyringError {
    SettingsError::new(format!("stored signing key {kid}: {why}")).into()
}

/// The ring of every stored key that still verifies at `now`.
pub fn stored_ring(db: &Db, sealer: &Sealer, now: i64) -> Result<KeyRing, KeyringError> {
    let rows = signing_keys::all(&mut db.get()?).map_err(StorageError::from)?;
    let mut keys = Vec::with_capacity(rows.len());
    for row in rows {
        if row.verify_until.is_some_and(|until| until < now) {
            continue;
        }
        let alg = parse_algorithm(&row.algorithm)
            .ok_or_else(|| bad_row(&row.kid, "unknown algorithm"))?;
        let state =
            KeyState::parse(&row.state).ok_or_else(|| bad_row(&row.kid, "unknown state"))?;
        let bytes = sealer
            .open(&row.kid, &row.algorithm, &row.sealed_key)
            .map_err(|e| bad_row(&row.kid, e))?;
        let material = KeyMaterial::from_stored(alg, &bytes).map_err(|e| bad_row(&row.kid, e))?;
        if material.kid() != row.kid {
            return Err(bad_row(&row.kid, "its key does not match its kid"));
        }
        let since = row.activated_at.unwrap_or(row.created_at);
        keys.push(RingKey::new(material, state, row.verify_until).since(since));
    }
    KeyRing::new(keys, false).map_err(|e| bad_row("ring", e))
}

/// A key just generated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    pub kid: String,
    pub state: KeyState,
}

/// Generates and stores a key: `next`, or `active` when there is no active key at all (a
/// new deployment: nothing was signed, nothing cached).
pub fn generate(
    db: &Db,
    sealer: &Sealer,
    alg: Algorithm,
    now: i64,
) -> Result<Generated, KeyringError> {
    let bytes = generate_key(alg).map_err(|e| bad_row("new", e))?;
    let material = KeyMaterial::from_stored(alg, &bytes).map_err(|e| bad_row("new", e))?;
    let kid = material.kid().to_owned();
    let name = alg_name(alg);
    let sealed = sealer
        .seal(&kid, name, &bytes)
        .map_err(|e| bad_row(&kid, e))?;
    let has_active = list(db)?.iter().any(|k| k.state == KeyState::Active);
    let mut row = StoredSigningKey {
        kid: kid.clone(),
        algorithm: name.to_owned(),
        sealed_key: sealed,
        state: if has_active { "next" } else { "active" }.to_owned(),
        created_at: now,
        activated_at: (!has_active).then_some(now),
        retired_at: None,
        verify_until: None,
    };
    let inserted = db.write_blocking({
        let row = row.clone();
        move |conn| signing_keys::insert(conn, &row)
    });
    if inserted.is_err() && !has_active {
        // Another instance made the first active key meanwhile (the unique index): be next.
        row.state = "next".into();
        row.activated_at = None;
        db.write_blocking(move |conn| signing_keys::insert(conn, &row))?;
        return Ok(Generated {
            kid,
            state: KeyState::Next,
        });
    }
    inserted?;
    let state = if has_active {
        KeyState::Next
    } else {
        KeyState::Active
    };
    Ok(Generated { kid, state })
}

/// What `rotate` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RotateOutcome {
    Rotated {
        activated: String,
        retired: Option<String>,
        verify_until: i64,
    },
    /// No next key was published long enough ago; `kid` (perhaps generated just now) can
    /// sign from `ready_at`.
    Pending {
        kid: String,
        ready_at: i64,
        generated: bool,
    },
}

/// Rotates if a next key has been published for `jwks_max_age`; otherwise says when one
/// will be, generating it (with `alg`) if there is none.
pub fn rotate(
    db: &Db,
    sealer: &Sealer,
    alg: Algorithm,
    now: i64,
    jwks_max_age: i64,
    token_window: i64,
) -> Result<RotateOutcome, KeyringError> {
    let verify_until = now.saturating_add(token_window);
    let published_by = now.saturating_sub(jwks_max_age);
    let rotated =
        db.write_blocking(move |conn| signing_keys::rotate(conn, now, published_by, verify_until))?;
    match rotated {
        Rotated::Done { activated, retired } => Ok(RotateOutcome::Rotated {
            activated,
            retired,
            verify_until,
        }),
        Rotated::NotReady {
            oldest_next: Some((kid, created_at)),
        } => Ok(RotateOutcome::Pending {
            kid,
            ready_at: created_at.saturating_add(jwks_max_age),
            generated: false,
        }),
        Rotated::NotReady { oldest_next: None } => {
            let made = generate(db, sealer, alg, now)?;
            Ok(RotateOutcome::Pending {
                kid: made.kid,
                ready_at: now.saturating_add(jwks_max_age),
                generated: true,
            })
        }
    }
}

/// Takes `kid` out of service now (see `db::signing_keys::retire`).
pub fn retire(db: &Db, kid: &str, now: i64) -> Result<Retired, KeyringError> {
    let kid = kid.to_owned();
    Ok(db.write_blocking(move |conn| signing_keys::retire(conn, &kid, now))?)
}
