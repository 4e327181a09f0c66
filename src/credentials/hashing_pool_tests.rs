//! Unit tests for the hashing pool.
use super::*;

#[actix_web::test]
async fn hashes_made_on_the_pool_verify_and_unknown_users_never_match() {
    let hasher = HashingPool::new(4, 2).await.unwrap();
    let hash = hasher.hash("correct-horse".into()).await.unwrap();
    assert!(
        hasher
            .verify("correct-horse".into(), Some(hash.clone()))
            .await
            .unwrap()
    );
    assert!(
        !hasher
            .verify("wrong-horse".into(), Some(hash))
            .await
            .unwrap()
    );
    let dummy_password = "bouncer-dummy-password".to_owned();
    assert!(!hasher.verify(dummy_password, None).await.unwrap());
}

#[test]
fn hashing_threads_run_at_a_lower_priority() {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .start_handler(|_| lower_thread_priority())
        .build()
        .unwrap();
    // SAFETY: as in lower_thread_priority: integers in, an integer out.
    let before = unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
    // SAFETY: as above.
    let inside = pool.install(|| unsafe {
        libc::getpriority(
            libc::PRIO_PROCESS,
            libc::syscall(libc::SYS_gettid) as libc::id_t,
        )
    });
    assert_eq!(inside, (before + HASHING_NICENESS).min(19));
}
