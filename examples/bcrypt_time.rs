//! Times bcrypt at a given cost on this machine, for `bench/run`.
//!
//! The benchmark targets for login and registration are stated against the *bcrypt limit*:
//! `cores / seconds per hash`, the most hashes per second the machine could ever compute. This
//! program measures the seconds per hash the same way the service spends them: the password is
//! pre-hashed with SHA-256 and bcrypt gets the 64-character hex digest (as Django's
//! `bcrypt_sha256` does), with a fresh random salt each time.
//!
//! ```text
//! cargo run --release --example bcrypt_time -- --cost 12 --count 8 --threads 2
//! ```
//!
//! Output is `key=value` lines (`ms_per_hash=251.300`, ...) that the script parses.

use std::error::Error;
use std::time::Instant;

use clap::Parser;
use sha2::{Digest, Sha256};

/// What the benchmark users log in with; any valid password costs the same.
const PASSWORD: &str = "correct-horse-battery-42";

#[derive(Parser)]
#[command(about = "Time bcrypt hashes at a given cost")]
struct Args {
    /// bcrypt work factor, as `bcrypt_cost` in the settings.
    #[arg(long, default_value_t = 12)]
    cost: u32,
    /// Hashes timed one after another on one thread, after one untimed warm-up hash.
    #[arg(long, default_value_t = 8)]
    count: u32,
    /// Also hash `count` times on each of this many threads at once, to show what the cores
    /// really deliver together (SMT siblings or a busy host give less than cores x one thread).
    /// 0 skips this part.
    #[arg(long, default_value_t = 0)]
    threads: u32,
}

fn main() -> Result<(), Box<dyn Error>> {
    let args = Args::parse();
    if args.count == 0 {
        return Err("--count must be at least 1".into());
    }
    let input = hex::encode(Sha256::digest(PASSWORD.as_bytes()));

    // Warm-up: page in the code and let the CPU leave any idle frequency state.
    bcrypt::hash(&input, args.cost)?;

    let started = Instant::now();
    for _ in 0..args.count {
        bcrypt::hash(&input, args.cost)?;
    }
    let seconds = started.elapsed().as_secs_f64() / f64::from(args.count);
    println!("cost={}", args.cost);
    println!("count={}", args.count);
    println!("ms_per_hash={:.3}", seconds * 1e3);
    println!("hashes_per_sec_one_thread={:.3}", 1.0 / seconds);

    if args.threads > 0 {
        let started = Instant::now();
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..args.threads)
                .map(|_| {
                    scope.spawn(|| -> Result<(), bcrypt::BcryptError> {
                        for _ in 0..args.count {
                            bcrypt::hash(&input, args.cost)?;
                        }
                        Ok(())
                    })
                })
                .collect();
            workers
                .into_iter()
                .try_for_each(|worker| match worker.join() {
                    Ok(result) => result.map_err(Box::<dyn Error>::from),
                    Err(_) => Err("a hashing thread panicked".into()),
                })
        })?;
        let total = f64::from(args.threads) * f64::from(args.count);
        println!("threads={}", args.threads);
        println!(
            "hashes_per_sec_parallel={:.3}",
            total / started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
