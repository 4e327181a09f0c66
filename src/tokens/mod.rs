//! Tokens as values: ids, claims, the JWT wire format, signing keys, and the principal a
//! verified credential proves. Imports nothing else from the crate.

mod claims;
mod dpop;
mod dpop_jwk;
mod extra_claims;
mod ids;
mod key_material;
mod keyring;
mod keys;
mod legacy;
mod principal;
mod rights;
mod wire;

pub use claims::{Amr, Claims, TokenError, TokenType};
pub use dpop::{
    ProofCheck, Thumbprint, VerifiedProof, access_token_hash, proof_algorithm, verify_proof,
};
pub use extra_claims::{MintError, RightsClaims};
pub use ids::{SessionId, TokenId};
pub use key_material::{KeyMaterial, generate_key};
pub use keyring::{KeyRing, KeyState, RingKey, alg_name};
pub use keys::{Grant, JwtKeys, KeyConfig};
pub use legacy::{LegacyClaims, LegacyConfig, LegacyKeys, LegacyRefusal};
pub use principal::{AuthMethod, Principal};
pub use rights::Rights;
