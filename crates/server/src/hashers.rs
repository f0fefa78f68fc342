//! Password hashing on a few threads of its own. Argon2id takes 19 MiB for each hash: on the
//! runtime's blocking pool a burst of logins would spread those over ever new threads, each
//! keeping its own allocator arena, and the server's memory would grow with the burst. Here the
//! threads are few and long-lived and the queue in front of them is short: a burst waits a
//! moment or is told to come back (503 with Retry-After).

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

type Job = Box<dyn FnOnce() + Send>;

/// The queue was full (or no hashing thread is running): try again shortly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

pub struct Hashers {
    queue: SyncSender<Job>,
}

/// Longer than any hash takes with a full queue in front of it; a job not done by then
/// is answered as busy (it can only be that the threads are gone).
const MAX_WAIT: Duration = Duration::from_secs(30);

impl Hashers {
    /// `threads` hashing threads behind a queue of `queue` waiting jobs.
    pub fn new(threads: usize, queue: usize) -> Hashers {
        let (tx, rx) = sync_channel::<Job>(queue);
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx = rx.clone();
            let started = std::thread::Builder::new()
                .name(format!("password-{i}"))
                .spawn(move || work(&rx));
            if let Err(e) = started {
                tracing::error!(error = %e, "cannot start a password hashing thread");
            }
        }
        Hashers { queue: tx }
    }

    /// Queues `job` for a hashing thread now; the future is its result (Busy at once when the
    /// queue is full).
    pub fn run<T, F>(&self, job: F) -> impl Future<Output = Result<T, Busy>> + use<T, F>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (done, result) = tokio::sync::oneshot::channel();
        let queued = self
            .queue
            .try_send(Box::new(move || {
                let _ = done.send(job());
            }))
            .is_ok();
        async move {
            if !queued {
                return Err(Busy);
            }
            match tokio::time::timeout(MAX_WAIT, result).await {
                Ok(Ok(value)) => Ok(value),
                _ => Err(Busy),
            }
        }
    }
}

fn work(jobs: &Mutex<Receiver<Job>>) {
    loop {
        // The lock is held only to take the next job, not while hashing.
        let next = jobs.lock().unwrap_or_else(|p| p.into_inner()).recv();
        match next {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_run_off_the_runtime_and_a_full_queue_says_busy() {
        let hashers = Hashers::new(1, 1);
        let name = hashers
            .run(|| std::thread::current().name().map(str::to_string))
            .await;
        assert_eq!(name, Ok(Some("password-0".to_string())));
        // One job holds the thread, one waits in the queue: a third is refused at once.
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let (started, on_start) = std::sync::mpsc::channel::<()>();
        let first = hashers.run(move || {
            let _ = started.send(());
            let _ = wait.recv();
        });
        let first = tokio::spawn(first);
        let _ = tokio::task::spawn_blocking(move || on_start.recv()).await;
        let second = tokio::spawn(hashers.run(|| ()));
        tokio::task::yield_now().await;
        assert_eq!(hashers.run(|| ()).await, Err(Busy));
        let _ = release.send(());
        assert_eq!(first.await.ok(), Some(Ok(())));
        assert_eq!(second.await.ok(), Some(Ok(())));
    }
}
