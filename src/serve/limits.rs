//! How much the server takes on at once. Two gates, so that neither memory nor the CPU can be
//! exhausted by clients:
//!
//! - **admission**: a request holds a slot from before its body is read until its answer is
//!   built. At most `max_concurrent + max_queued` requests hold one, so at most that many
//!   uploads sit in memory; the next request gets 429 at once, before its body is read.
//! - **checking**: an admitted request waits for one of `max_concurrent` permits and then checks
//!   its files on a blocking thread, off the async runtime.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The bounds of a server; every one is a command-line flag of `selfeval serve`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body, in bytes (every file of one request together).
    pub max_upload_bytes: usize,
    /// Most files in one request.
    pub max_files: usize,
    /// Requests whose files are being checked at the same time (CPU-bound work).
    pub max_concurrent: usize,
    /// Admitted requests that may wait for a checking permit, beyond `max_concurrent`.
    pub max_queued: usize,
    /// Longest wait for the next piece of an upload: a client that stalls must not keep its
    /// slot (and every slot, if it opens enough connections) for ever.
    pub upload_idle: std::time::Duration,
}

impl Default for Limits {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Self {
            max_upload_bytes: 50 * 1024 * 1024,
            max_files: 200,
            max_concurrent: cores,
            max_queued: 4 * cores,
            upload_idle: std::time::Duration::from_secs(60),
        }
    }
}

impl Limits {
    /// Requests checked at once: zero would refuse every request, so a limit of zero is read
    /// as one.
    pub fn effective_max_concurrent(&self) -> usize {
        self.max_concurrent.max(1)
    }
}

/// The two gates of [`Limits`], shared by every request.
#[derive(Debug, Clone)]
pub struct Limiter {
    slots: Arc<Semaphore>,
    total_slots: usize,
    checking: Arc<Semaphore>,
}

/// A request's admission: dropping it lets the next request in.
#[derive(Debug)]
pub struct Admission(#[allow(dead_code)] OwnedSemaphorePermit);

impl Limiter {
    pub fn new(limits: &Limits) -> Self {
        let running = limits.effective_max_concurrent();
        let total = running + limits.max_queued;
        Self {
            slots: Arc::new(Semaphore::new(total)),
            total_slots: total,
            checking: Arc::new(Semaphore::new(running)),
        }
    }

    /// A slot for one request, or `None` when the server is full (the caller answers 429).
    pub fn try_admit(&self) -> Option<Admission> {
        Arc::clone(&self.slots)
            .try_acquire_owned()
            .ok()
            .map(Admission)
    }

    /// Requests admitted and not yet answered.
    pub fn in_flight(&self) -> usize {
        self.total_slots - self.slots.available_permits()
    }

    /// Runs CPU-bound `work` on a blocking thread once a checking permit is free. The permit
    /// moves into the thread, so a client that hangs up while its files are checked does not
    /// let another check start before this one has finished.
    pub async fn check<T, F>(&self, work: F) -> Result<T, Overloaded>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let permit = Arc::clone(&self.checking)
            .acquire_owned()
            .await
            .map_err(|_| Overloaded)?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .map_err(|_| Overloaded)
    }
}

/// The checking pool is closed or a check thread was lost: an internal error, never expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overloaded;

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(running: usize, queued: usize) -> Limits {
        Limits {
            max_upload_bytes: 1,
            max_files: 1,
            max_concurrent: running,
            max_queued: queued,
            upload_idle: std::time::Duration::from_secs(1),
        }
    }

    #[test]
    fn admission_is_refused_past_running_plus_queued_and_freed_on_drop() {
        let l = Limiter::new(&limits(1, 1));
        let a = l.try_admit().expect("first");
        let b = l.try_admit().expect("second waits in the queue");
        assert_eq!(l.in_flight(), 2);
        assert!(l.try_admit().is_none(), "third is refused");
        drop(a);
        assert_eq!(l.in_flight(), 1);
        assert!(l.try_admit().is_some());
        drop(b);
    }

    #[test]
    fn zero_concurrency_still_lets_one_request_in() {
        let l = Limiter::new(&limits(0, 0));
        let _a = l.try_admit().expect("one");
        assert!(l.try_admit().is_none());
    }

    #[tokio::test]
    async fn checks_beyond_the_limit_wait_for_a_permit() {
        let l = Limiter::new(&limits(1, 4));
        let running = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let peak = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let (l, running, peak) = (l.clone(), running.clone(), peak.clone());
                tokio::spawn(async move {
                    l.check(move || {
                        use std::sync::atomic::Ordering::SeqCst;
                        let now = running.fetch_add(1, SeqCst) + 1;
                        peak.fetch_max(now, SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        running.fetch_sub(1, SeqCst);
                    })
                    .await
                })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.expect("join"), Ok(()));
        }
        assert_eq!(peak.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
}
