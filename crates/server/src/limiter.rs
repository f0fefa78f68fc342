//! Rate limits, in memory: login attempts per account and per client address, and what anyone
//! may send without an account (problem reports, proposals) per address and per device (the
//! random id an app sends; both are all there is to limit them by).
//!
//! Logins: an attempt is counted *before* its password is hashed, under one lock, so a burst
//! of parallel guesses cannot slip past the count. An address (IPv6 by its /64, which one
//! subscriber holds) that fails too often is refused for the rest of the window. An account that
//! fails too often is not locked: further attempts wait a delay that doubles with each failure —
//! except from an address that has logged in to that account before, so guessing at the admin's
//! password from elsewhere cannot lock the admin out.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed before the account's delays start, and per address in one window.
const PER_ACCOUNT: u32 = 5;
const PER_ADDRESS: u32 = 20;
/// The first delay once an account has failed PER_ACCOUNT times; it doubles with each failure.
const FIRST_DELAY: Duration = Duration::from_secs(2);
/// What anyone may send without an account, each limited per address (and per device, when
/// it says which) in one window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anonymous {
    Report,
    Proposal,
    Confirmation,
}

impl Anonymous {
    fn name(self) -> &'static str {
        match self {
            Anonymous::Report => "report",
            Anonymous::Proposal => "proposal",
            Anonymous::Confirmation => "confirmation",
        }
    }

    /// How many one address, or one device, may send in one window.
    fn per_window(self) -> u32 {
        match self {
            Anonymous::Report => 30,
            // A proposal is reviewed by a person: fewer, and each one worth reading.
            Anonymous::Proposal => 10,
            // A driver at a station taps through its facts: a few stations' worth.
            Anonymous::Confirmation => 60,
        }
    }
}
const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Keys kept at most (each about 100 bytes): past it the oldest tenth is forgotten.
const MAX_TRACKED: usize = 100_000;

/// Events per key in fixed windows, and when the last one came.
#[derive(Clone, Copy)]
struct Count {
    n: u32,
    since: Instant,
    last: Instant,
}

#[derive(Default)]
struct Counts(HashMap<String, Count>);

impl Counts {
    fn get(&self, key: &str) -> Option<Count> {
        self.0
            .get(key)
            .copied()
            .filter(|c| c.since.elapsed() <= WINDOW)
    }

    fn add(&mut self, key: String) {
        self.make_room();
        let now = Instant::now();
        let fresh = Count {
            n: 0,
            since: now,
            last: now,
        };
        let count = self.0.entry(key).or_insert(fresh);
        if count.since.elapsed() > WINDOW {
            *count = fresh;
        }
        count.n += 1;
        count.last = now;
    }

    /// Takes back one event (a login that turned out right).
    fn refund(&mut self, key: &str) {
        if let Some(c) = self.0.get_mut(key) {
            c.n = c.n.saturating_sub(1);
        }
    }

    /// Many distinct keys must not grow memory without bound: expired windows go first, then
    /// the oldest tenth.
    fn make_room(&mut self) {
        if self.0.len() < MAX_TRACKED {
            return;
        }
        self.0.retain(|_, c| c.since.elapsed() <= WINDOW);
        if self.0.len() >= MAX_TRACKED {
            let mut ages: Vec<Instant> = self.0.values().map(|c| c.last).collect();
            let cut = MAX_TRACKED / 10;
            ages.select_nth_unstable(cut);
            let oldest = ages[cut];
            self.0.retain(|_, c| c.last > oldest);
        }
    }
}

/// What a client address is known by: IPv4 whole, IPv6 by its /64.
pub fn address_key(addr: IpAddr) -> String {
    match addr {
        IpAddr::V4(v4) => format!("addr:{v4}"),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => format!("addr:{v4}"),
            None => {
                let s = v6.segments();
                format!("addr:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

fn account_key(username: &str) -> String {
    format!("user:{username}")
}

/// Seconds to wait before an account that failed `n` times may be tried again (from an
/// address that has not logged in to it before).
fn account_delay(c: Count) -> Option<u64> {
    let over = c.n.checked_sub(PER_ACCOUNT)?;
    let delay = FIRST_DELAY
        .saturating_mul(1u32.checked_shl(over.min(20)).unwrap_or(u32::MAX))
        .min(WINDOW);
    let left = delay.checked_sub(c.last.elapsed())?;
    Some(ceil_secs(left))
}

/// Whole seconds to wait, rounded up (Retry-After must not invite a retry that is too early).
fn ceil_secs(d: Duration) -> u64 {
    (d.as_secs() + u64::from(d.subsec_nanos() > 0)).max(1)
}

fn window_left(c: Count, limit: u32) -> Option<u64> {
    if c.n < limit {
        return None;
    }
    WINDOW.checked_sub(c.since.elapsed()).map(ceil_secs)
}

#[derive(Default)]
struct Logins {
    failures: Counts,
    /// (account, address key) pairs that have logged in successfully.
    known: HashSet<(String, String)>,
}

#[derive(Default)]
pub struct RateLimits {
    logins: Mutex<Logins>,
    anonymous: Mutex<Counts>,
}

/// A login attempt counted before its password is checked; say how it ended.
pub struct LoginAttempt<'a> {
    limits: &'a RateLimits,
    account: String,
    address: String,
}

impl LoginAttempt<'_> {
    /// The password was never checked (the server was busy): the attempt does not count.
    pub fn not_checked(self) {
        let mut logins = self.limits.lock_logins();
        logins.failures.refund(&self.account);
        logins.failures.refund(&self.address);
    }

    /// The password was right: the account's failures are forgotten, this attempt no longer
    /// counts against the address, and the address is known for this account from now on.
    pub fn succeeded(self) {
        let mut logins = self.limits.lock_logins();
        logins.failures.0.remove(&self.account);
        logins.failures.refund(&self.address);
        if logins.known.len() >= MAX_TRACKED {
            logins.known.clear();
        }
        logins.known.insert((self.account, self.address));
    }
}

impl RateLimits {
    fn lock_logins(&self) -> std::sync::MutexGuard<'_, Logins> {
        self.logins.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts a login attempt before any hashing; Err(seconds to wait) if this address has
    /// failed too often, or the account has and this address has never logged in to it.
    pub fn begin_login(&self, username: &str, addr: IpAddr) -> Result<LoginAttempt<'_>, u64> {
        let (account, address) = (account_key(username), address_key(addr));
        let mut logins = self.lock_logins();
        if let Some(wait) = logins
            .failures
            .get(&address)
            .and_then(|c| window_left(c, PER_ADDRESS))
        {
            return Err(wait);
        }
        let known = logins.known.contains(&(account.clone(), address.clone()));
        if !known && let Some(wait) = logins.failures.get(&account).and_then(account_delay) {
            return Err(wait);
        }
        logins.failures.add(account.clone());
        logins.failures.add(address.clone());
        Ok(LoginAttempt {
            limits: self,
            account,
            address,
        })
    }

    /// Counts one of `what` from `addr` (and `device`, when given); Some(seconds to wait) if
    /// it is one too many from either. A device id too long to be one (the request check
    /// refuses it) is not kept as a key.
    pub fn anonymous(&self, what: Anonymous, addr: IpAddr, device: Option<&str>) -> Option<u64> {
        let device = device
            .filter(|d| d.chars().count() <= waystation_catalog::request::limits::MAX_DEVICE_CHARS);
        let mut keys = vec![format!("{}:{}", what.name(), address_key(addr))];
        keys.extend(device.map(|d| format!("{}:device:{d}", what.name())));
        let mut counts = self.anonymous.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(wait) = keys
            .iter()
            .filter_map(|k| counts.get(k))
            .filter_map(|c| window_left(c, what.per_window()))
            .max()
        {
            return Some(wait);
        }
        for key in keys {
            counts.add(key);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_addresses_count_by_their_64_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().expect("ip");
        let c: IpAddr = "2001:db8:1:3::1".parse().expect("ip");
        assert_eq!(address_key(a), address_key(b));
        assert_ne!(address_key(a), address_key(c));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().expect("ip");
        assert_eq!(address_key(mapped), "addr:192.0.2.1");
    }

    #[test]
    fn an_account_slows_down_but_its_known_addresses_get_in() {
        let limits = RateLimits::default();
        let home: IpAddr = "192.0.2.1".parse().expect("ip");
        let attacker: IpAddr = "198.51.100.7".parse().expect("ip");
        limits.begin_login("root", home).expect("first").succeeded();
        for _ in 0..PER_ACCOUNT {
            let _failed = limits.begin_login("root", attacker).expect("allowed");
        }
        let wait = limits.begin_login("root", attacker).err();
        assert_eq!(wait, Some(FIRST_DELAY.as_secs()), "the sixth waits");
        assert!(
            limits.begin_login("root", home).is_ok(),
            "not from an address that has logged in before"
        );
    }

    #[test]
    fn the_delay_doubles_and_is_capped() {
        let now = Instant::now();
        let count = |n| Count {
            n,
            since: now,
            last: now,
        };
        assert_eq!(account_delay(count(PER_ACCOUNT - 1)), None);
        assert_eq!(account_delay(count(PER_ACCOUNT)), Some(2));
        assert_eq!(account_delay(count(PER_ACCOUNT + 3)), Some(16));
        assert_eq!(
            account_delay(count(PER_ACCOUNT + 40)),
            Some(WINDOW.as_secs())
        );
    }

    #[test]
    fn memory_stays_bounded_under_many_addresses() {
        let mut counts = Counts::default();
        for i in 0..(MAX_TRACKED + 10) {
            counts.add(format!("addr:{i}"));
        }
        assert!(counts.0.len() <= MAX_TRACKED);
    }
}
