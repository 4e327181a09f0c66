//! Unit tests for the CSRF proof.
use super::*;

const SID: &str = "0123456789abcdef0123456789abcdef";
const OTHER_SID: &str = "fedcba9876543210fedcba9876543210";

#[test]
fn a_proof_is_accepted_for_its_session_only() {
    let proofs = CsrfProofs::new(b"a secret that is long enough for the test");
    let proof = proofs.for_session(SID);
    assert_eq!(proof.len(), 43);
    assert!(proofs.check(SID, &proof));
    assert!(!proofs.check(OTHER_SID, &proof));
    assert_eq!(proof, proofs.for_session(SID), "stable for the session");
}

#[test]
fn tampered_truncated_or_foreign_proofs_are_refused() {
    let proofs = CsrfProofs::new(b"a secret that is long enough for the test");
    let other = CsrfProofs::new(b"another secret that is long enough too!!");
    let proof = proofs.for_session(SID);
    assert!(!proofs.check(SID, &other.for_session(SID)));
    assert!(!proofs.check(SID, &proof[..42]));
    assert!(!proofs.check(SID, ""));
    assert!(!proofs.check(SID, "not base64 at all!"));
    let mut flipped = proof.into_bytes();
    flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
    assert!(!proofs.check(SID, &String::from_utf8(flipped).unwrap()));
}
