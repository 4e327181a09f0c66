//! Background jobs: named threads that run beside the server and stop with it.
//!
//! Jobs are plain threads, not async tasks: they block on the database (diesel is
//! synchronous) and must not take an HTTP worker's time.

pub mod cleanup;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Running jobs; they stop when this is dropped or [`Background::stop`] is called.
#[derive(Debug, Default)]
pub struct Background {
    stop: StopSignal,
    threads: Vec<JoinHandle<()>>,
}

/// Tells a job to finish; jobs poll it between steps.
#[derive(Debug, Clone, Default)]
pub struct StopSignal(Arc<AtomicBool>);

impl StopSignal {
    pub fn is_stopped(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// Sleeps in short steps so a stop request is honoured quickly; false once stopped.
    pub fn sleep(&self, total: Duration) -> bool {
        let deadline = Instant::now() + total;
        while !self.is_stopped() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return true;
            }
            std::thread::sleep(left.min(Duration::from_millis(50)));
        }
        false
    }
}

impl Background {
    /// Starts `job` on a thread called `name`; it should return soon after the signal is set.
    pub fn spawn(&mut self, name: &str, job: impl FnOnce(StopSignal) + Send + 'static) {
        let stop = self.stop.clone();
        match std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || job(stop))
        {
            Ok(handle) => self.threads.push(handle),
            Err(e) => log::error!("cannot start the {name} thread: {e}"),
        }
    }

    pub fn stop(&mut self) {
        self.stop.0.store(true, Ordering::SeqCst);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.stop();
    }
}
