//! Failed-login rate limiting, per account and per client address, in memory.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed in one window before further attempts are refused.
const PER_ACCOUNT: u32 = 5;
const PER_ADDRESS: u32 = 20;
const WINDOW: Duration = Duration::from_secs(15 * 60);
const MAX_TRACKED: usize = 100_000;

#[derive(Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginLimiter {
    fn keys(username: &str, addr: IpAddr) -> [(String, u32); 2] {
        [
            (format!("user:{username}"), PER_ACCOUNT),
            (format!("addr:{addr}"), PER_ADDRESS),
        ]
    }

    /// Seconds to wait if this account or address has failed too often lately.
    pub fn blocked_for(&self, username: &str, addr: IpAddr) -> Option<u64> {
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        Self::keys(username, addr)
            .iter()
            .filter_map(|(key, limit)| {
                let (count, since) = map.get(key)?;
                let left = WINDOW.checked_sub(since.elapsed())?;
                (*count >= *limit).then_some(left.as_secs().max(1))
            })
            .max()
    }

    pub fn failed(&self, username: &str, addr: IpAddr) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        // Guessing many names must not grow memory without bound: forget expired windows.
        if map.len() > MAX_TRACKED {
            map.retain(|_, (_, since)| since.elapsed() <= WINDOW);
        }
        for (key, _) in Self::keys(username, addr) {
            let entry = map.entry(key).or_insert((0, Instant::now()));
            if entry.1.elapsed() > WINDOW {
                *entry = (0, Instant::now());
            }
            entry.0 += 1;
        }
    }

    pub fn succeeded(&self, username: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&format!("user:{username}"));
    }
}
