//! Threads of our own for work that must not run on the async workers, each kind behind a
//! short queue: a burst waits a moment or is told to come back (503 with Retry-After).
//!
//! - Password hashing: Argon2id takes 19 MiB for each hash; on the runtime's blocking pool a
//!   burst of logins would spread those over ever new threads, each keeping its own allocator
//!   arena, and the server's memory would grow with the burst.
//! - Long queries (a route, a radius, a map view, a text search): they run at a lower OS
//!   priority, so on a machine with few cores the short nearest queries on the async workers
//!   still get the CPU when they need it (the scheduler gives a thread at niceness 10 about a
//!   tenth of the share of one at 0).

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

type Job = Box<dyn FnOnce() + Send>;

/// Why a job gave no result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotDone {
    /// The queue was full, or the job waited past `MAX_WAIT`: try again shortly.
    Busy,
    /// The job panicked (a bug, logged); its thread goes on with the next job.
    Failed,
}

pub struct Workers {
    queue: SyncSender<Job>,
}

/// Longer than any job takes with a full queue in front of it (a request times out sooner):
/// a job not done by then is answered as busy.
const MAX_WAIT: Duration = Duration::from_secs(30);

/// What a pool of workers is for: its threads' names and their OS priority.
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    pub name: &'static str,
    /// Unix niceness for the threads (0: as the rest of the server; higher: yields more).
    pub niceness: i32,
}

pub const PASSWORDS: Kind = Kind {
    name: "password",
    niceness: 0,
};

pub const LONG_QUERIES: Kind = Kind {
    name: "long-query",
    niceness: 10,
};

impl Workers {
    /// `threads` threads of `kind` behind a queue of `queue` waiting jobs.
    pub fn new(kind: Kind, threads: usize, queue: usize) -> Workers {
        let (tx, rx) = sync_channel::<Job>(queue);
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx = rx.clone();
            let started = std::thread::Builder::new()
                .name(format!("{}-{i}", kind.name))
                .spawn(move || {
                    lower_priority(kind);
                    work(&rx)
                });
            if let Err(e) = started {
                tracing::error!(error = %e, kind = kind.name, "cannot start a worker thread");
            }
        }
        Workers { queue: tx }
    }

    /// Queues `job` for a worker now; the future is its result (Busy at once when the queue is
    /// full). A job whose caller has gone (the request timed out or the client left) by the
    /// time a worker takes it is skipped.
    pub fn run<T, F>(&self, job: F) -> impl Future<Output = Result<T, NotDone>> + use<T, F>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (done, result) = tokio::sync::oneshot::channel();
        let queued = self
            .queue
            .try_send(Box::new(move || {
                if done.is_closed() {
                    return;
                }
                // A panic in one request's work must not take the thread (and every later
                // request of its kind) with it.
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                if outcome.is_err() {
                    tracing::error!("a worker's job panicked; the thread goes on");
                }
                let _ = done.send(outcome.map_err(|_| NotDone::Failed));
            }))
            .is_ok();
        async move {
            if !queued {
                return Err(NotDone::Busy);
            }
            match tokio::time::timeout(MAX_WAIT, result).await {
                Ok(Ok(outcome)) => outcome,
                _ => Err(NotDone::Busy),
            }
        }
    }
}

/// On Linux a thread has its own niceness; elsewhere the threads keep the process's.
#[cfg(target_os = "linux")]
fn lower_priority(kind: Kind) {
    if kind.niceness == 0 {
        return;
    }
    // SAFETY: gettid and setpriority take and return plain integers; PRIO_PROCESS with a
    // thread id changes only the calling thread.
    let done = unsafe {
        let thread = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, thread as libc::id_t, kind.niceness)
    };
    if done != 0 {
        tracing::warn!(kind = kind.name, error = %std::io::Error::last_os_error(), "cannot lower a worker's priority");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority(_: Kind) {}

fn work(jobs: &Mutex<Receiver<Job>>) {
    loop {
        // The lock is held only to take the next job, not while working.
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
        let workers = Workers::new(PASSWORDS, 1, 1);
        let name = workers
            .run(|| std::thread::current().name().map(str::to_string))
            .await;
        assert_eq!(name, Ok(Some("password-0".to_string())));
        // One job holds the thread, one waits in the queue: a third is refused at once.
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let (started, on_start) = std::sync::mpsc::channel::<()>();
        let first = workers.run(move || {
            let _ = started.send(());
            let _ = wait.recv();
        });
        let first = tokio::spawn(first);
        let _ = tokio::task::spawn_blocking(move || on_start.recv()).await;
        let second = tokio::spawn(workers.run(|| ()));
        tokio::task::yield_now().await;
        assert_eq!(workers.run(|| ()).await, Err(NotDone::Busy));
        let _ = release.send(());
        assert_eq!(first.await.ok(), Some(Ok(())));
        assert_eq!(second.await.ok(), Some(Ok(())));
    }

    #[tokio::test]
    async fn a_job_that_panics_fails_alone_and_the_thread_goes_on() {
        let workers = Workers::new(LONG_QUERIES, 1, 2);
        let failed = workers
            .run(|| -> u32 { panic!("a bug in one request's work") })
            .await;
        assert_eq!(failed, Err(NotDone::Failed));
        assert_eq!(
            workers.run(|| 7).await,
            Ok(7),
            "the same (only) thread answers"
        );
    }

    #[tokio::test]
    async fn a_job_whose_caller_left_is_skipped() {
        let workers = Workers::new(PASSWORDS, 1, 2);
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let (started, on_start) = std::sync::mpsc::channel::<()>();
        let holding = tokio::spawn(workers.run(move || {
            let _ = started.send(());
            let _ = wait.recv();
        }));
        let _ = tokio::task::spawn_blocking(move || on_start.recv()).await;
        let ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = ran.clone();
        // Queued behind the holding job, then given up before a worker reaches it.
        drop(workers.run(move || flag.store(true, std::sync::atomic::Ordering::SeqCst)));
        let _ = release.send(());
        assert_eq!(holding.await.ok(), Some(Ok(())));
        // The queue is first in, first out: once this later job is done, the dropped one
        // has been taken and skipped.
        assert_eq!(workers.run(|| ()).await, Ok(()));
        assert!(!ran.load(std::sync::atomic::Ordering::SeqCst));
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn long_queries_run_at_a_lower_priority_than_the_server() {
        fn niceness() -> Option<i64> {
            // Field 19 of /proc/thread-self/stat; the name before it is in parentheses.
            let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
            let after_name = &stat[stat.rfind(')')? + 2..];
            after_name.split(' ').nth(16)?.parse().ok()
        }
        let ours = niceness().expect("own niceness");
        let long = Workers::new(LONG_QUERIES, 1, 1);
        let passwords = Workers::new(PASSWORDS, 1, 1);
        assert_eq!(long.run(niceness).await, Ok(Some(ours + 10)));
        assert_eq!(passwords.run(niceness).await, Ok(Some(ours)));
    }
}
