//! Resolutions kept: (tenant, node path) → the tariff version billing resolved, until the
//! first of: the next version's start (billing's `valid_until`), the time to live, or a
//! `tariff.changed` of the tenant. The clock is the caller's, so this is plain data.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use proto::pylon::billing::v1::TariffRef;
use uuid::Uuid;

/// Entries kept at most; past it the cache starts over (sites are far fewer).
const MAX_ENTRIES: usize = 100_000;

struct Entry {
    tariff: Arc<TariffRef>,
    /// Monotonic end of the time to live.
    expires: Instant,
    /// When the tariff's next version takes effect (billing's `valid_until`).
    valid_until: Option<DateTime<Utc>>,
}

#[derive(Default)]
struct Inner {
    /// By tenant, then node path: a lookup borrows the path, and a tenant's change drops
    /// its map at once.
    by_tenant: HashMap<Uuid, HashMap<String, Entry>>,
    /// Entries in all the tenants' maps.
    count: usize,
    /// Bumped by every forgetting: a resolution asked for before it is not stored.
    generation: u64,
}

/// The cache; `ttl` zero keeps nothing.
pub struct TariffCache {
    ttl: Duration,
    inner: Mutex<Inner>,
}

/// Taken before asking billing; storing the answer with it fails if anything was
/// forgotten meanwhile (the answer may predate the change).
#[derive(Clone, Copy, Debug)]
pub struct Ticket(u64);

impl TariffCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            inner: Mutex::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The resolution of `node_path` of `tenant`, if one is kept and still valid at
    /// (`now`, `at`).
    pub fn get(
        &self,
        tenant: Uuid,
        node_path: &str,
        now: Instant,
        at: DateTime<Utc>,
    ) -> Option<Arc<TariffRef>> {
        let inner = self.lock();
        let e = inner.by_tenant.get(&tenant)?.get(node_path)?;
        let valid = now < e.expires && e.valid_until.is_none_or(|u| at < u);
        valid.then(|| e.tariff.clone())
    }

    pub fn ticket(&self) -> Ticket {
        Ticket(self.lock().generation)
    }

    /// Keeps billing's answer `tariff` for `node_path` of `tenant` (until its
    /// `valid_until`, at most the time to live) unless something was forgotten since
    /// `ticket`; whether it was kept.
    pub fn put(
        &self,
        ticket: Ticket,
        tenant: Uuid,
        node_path: &str,
        tariff: Arc<TariffRef>,
        now: Instant,
    ) -> bool {
        if self.ttl.is_zero() {
            return false;
        }
        let mut inner = self.lock();
        if inner.generation != ticket.0 {
            return false;
        }
        if inner.count >= MAX_ENTRIES {
            inner.by_tenant.clear();
            inner.count = 0;
        }
        let entry = Entry {
            valid_until: tariff.valid_until.as_ref().and_then(bus::event::datetime),
            tariff,
            expires: now + self.ttl,
        };
        let replaced = inner
            .by_tenant
            .entry(tenant)
            .or_default()
            .insert(node_path.to_owned(), entry);
        if replaced.is_none() {
            inner.count += 1;
        }
        true
    }

    /// Forgets every resolution of `tenant`.
    pub fn forget_tenant(&self, tenant: Uuid) {
        let mut inner = self.lock();
        inner.generation += 1;
        if let Some(gone) = inner.by_tenant.remove(&tenant) {
            inner.count -= gone.len();
        }
    }

    /// Forgets everything.
    pub fn forget_all(&self) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.by_tenant.clear();
        inner.count = 0;
    }

    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.lock().count == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TTL: Duration = Duration::from_secs(60);

    fn tariff(version: u32) -> Arc<TariffRef> {
        until(version, None)
    }

    /// Billing's answer with version `version`, the next one starting at `next`.
    fn until(version: u32, next: Option<DateTime<Utc>>) -> Arc<TariffRef> {
        Arc::new(TariffRef {
            tariff_id: "t".into(),
            version,
            valid_until: next.map(bus::event::timestamp),
            ..TariffRef::default()
        })
    }

    #[test]
    fn a_resolution_is_kept_until_its_time_to_live_or_the_next_version() {
        let cache = TariffCache::new(TTL);
        let (tenant, now, at) = (Uuid::now_v7(), Instant::now(), Utc::now());
        let next = at + chrono::Duration::seconds(30);
        assert!(cache.put(cache.ticket(), tenant, "/a/", until(1, Some(next)), now));
        assert_eq!(cache.get(tenant, "/a/", now, at).unwrap().version, 1);
        assert!(cache.get(tenant, "/b/", now, at).is_none(), "another node");
        assert!(
            cache.get(Uuid::now_v7(), "/a/", now, at).is_none(),
            "another tenant"
        );
        assert!(
            cache.get(tenant, "/a/", now, next).is_none(),
            "the next version has taken over"
        );
        assert!(
            cache.get(tenant, "/a/", now + TTL, at).is_none(),
            "past its time to live"
        );
    }

    #[test]
    fn forgetting_drops_the_tenants_entries_and_refuses_answers_asked_before() {
        let cache = TariffCache::new(TTL);
        let (a, b, now, at) = (Uuid::now_v7(), Uuid::now_v7(), Instant::now(), Utc::now());
        cache.put(cache.ticket(), a, "/a/", tariff(1), now);
        cache.put(cache.ticket(), b, "/b/", tariff(1), now);
        let asked_before = cache.ticket();
        cache.forget_tenant(a);
        assert!(cache.get(a, "/a/", now, at).is_none());
        assert!(
            cache.get(b, "/b/", now, at).is_some(),
            "other tenants keep theirs"
        );
        assert!(
            !cache.put(asked_before, a, "/a/", tariff(1), now),
            "an answer that may predate the change is not kept"
        );
        assert!(cache.put(cache.ticket(), a, "/a/", tariff(2), now));
        cache.forget_all();
        assert!(cache.is_empty());
    }

    #[test]
    fn a_zero_time_to_live_keeps_nothing() {
        let cache = TariffCache::new(Duration::ZERO);
        assert!(!cache.put(
            cache.ticket(),
            Uuid::now_v7(),
            "/a/",
            tariff(1),
            Instant::now()
        ));
        assert!(cache.is_empty());
    }
}
