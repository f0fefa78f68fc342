//! Rate limits, in memory: failed logins per account and per client address, and problem reports
//! per address (reports are anonymous, so the address is all there is to limit).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed in one window before further attempts are refused.
const PER_ACCOUNT: u32 = 5;
const PER_ADDRESS: u32 = 20;
/// Problem reports one address may send in one window.
const REPORTS_PER_ADDRESS: u32 = 30;
const WINDOW: Duration = Duration::from_secs(15 * 60);
const MAX_TRACKED: usize = 100_000;

/// Events per key, counted in fixed windows.
#[derive(Default)]
struct Counter {
    counts: Mutex<HashMap<String, (u32, Instant)>>,
}

impl Counter {
    /// Seconds left in the window if `key` has reached `limit`.
    fn wait(&self, key: &str, limit: u32) -> Option<u64> {
        let map = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let (count, since) = map.get(key)?;
        let left = WINDOW.checked_sub(since.elapsed())?;
        (*count >= limit).then_some(left.as_secs().max(1))
    }

    fn add(&self, key: String) {
        let mut map = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        // Many distinct keys must not grow memory without bound: forget expired windows.
        if map.len() > MAX_TRACKED {
            map.retain(|_, (_, since)| since.elapsed() <= WINDOW);
        }
        let entry = map.entry(key).or_insert((0, Instant::now()));
        if entry.1.elapsed() > WINDOW {
            *entry = (0, Instant::now());
        }
        entry.0 += 1;
    }

    fn forget(&self, key: &str) {
        self.counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
    }
}

#[derive(Default)]
pub struct RateLimits {
    failures: Counter,
    reports: Counter,
}

impl RateLimits {
    fn keys(username: &str, addr: IpAddr) -> [(String, u32); 2] {
        [
            (format!("user:{username}"), PER_ACCOUNT),
            (format!("addr:{addr}"), PER_ADDRESS),
        ]
    }

    /// Seconds to wait if this account or address has failed too often lately.
    pub fn blocked_for(&self, username: &str, addr: IpAddr) -> Option<u64> {
        Self::keys(username, addr)
            .iter()
            .filter_map(|(key, limit)| self.failures.wait(key, *limit))
            .max()
    }

    pub fn failed(&self, username: &str, addr: IpAddr) {
        for (key, _) in Self::keys(username, addr) {
            self.failures.add(key);
        }
    }

    pub fn succeeded(&self, username: &str) {
        self.failures.forget(&format!("user:{username}"));
    }

    /// Counts a problem report from `addr`; Some(seconds to wait) if it is one too many.
    pub fn report(&self, addr: IpAddr) -> Option<u64> {
        let key = addr.to_string();
        if let Some(wait) = self.reports.wait(&key, REPORTS_PER_ADDRESS) {
            return Some(wait);
        }
        self.reports.add(key);
        None
    }
}
