//! Per-client rate limits on login and code requests (in this replica's memory; the
//! account lockout, in PostgreSQL, is what holds across replicas).

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Idle clients are forgotten this often, so the map stays small.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

pub struct LoginLimiter {
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    last_prune: Mutex<Instant>,
}

impl LoginLimiter {
    pub fn new(per_minute: u32) -> Self {
        let n = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        Self {
            per_ip: RateLimiter::keyed(Quota::per_minute(n)),
            last_prune: Mutex::new(Instant::now()),
        }
    }

    /// Whether one more attempt from `ip` is allowed now (unknown IPs share one bucket).
    pub fn check(&self, ip: Option<IpAddr>) -> bool {
        self.maybe_prune();
        let key = ip.unwrap_or(IpAddr::from([0, 0, 0, 0]));
        self.per_ip.check_key(&key).is_ok()
    }

    fn maybe_prune(&self) {
        if let Ok(mut last) = self.last_prune.try_lock()
            && last.elapsed() >= PRUNE_EVERY
        {
            *last = Instant::now();
            self.per_ip.retain_recent();
            self.per_ip.shrink_to_fit();
        }
    }
}
