//! The page cache: fetched pages for 15 minutes, bounded by count and bytes.

use super::{CACHE_MAX_BYTES, CACHE_MAX_ENTRIES, CACHE_TTL};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// A fetched page as kept in the cache (already converted and truncated).
#[derive(Clone, Debug, PartialEq)]
pub struct FetchedPage {
    /// The URL the content came from (after same-host redirects).
    pub url: String,
    pub status: u16,
    pub content_type: String,
    /// Bytes received.
    pub bytes: usize,
    /// Markdown or text, at most [`MAX_CONTENT_CHARS`] chars plus truncation notes.
    pub content: String,
}

struct CacheEntry {
    key: String,
    page: FetchedPage,
    stored: Instant,
}

type Clock = Box<dyn Fn() -> Instant + Send + Sync>;

/// A bounded, time-limited cache of fetched pages, keyed by URL. Least recently used entries go
/// first when it is full.
pub struct PageCache {
    /// Most recently used last.
    entries: Mutex<Vec<CacheEntry>>,
    ttl: Duration,
    max_entries: usize,
    max_bytes: usize,
    clock: Clock,
}

impl Default for PageCache {
    fn default() -> Self {
        Self::new(Box::new(Instant::now))
    }
}

impl PageCache {
    /// The standard limits with the given clock (tests pass a manual one).
    pub fn new(clock: Clock) -> Self {
        Self::with_limits(CACHE_TTL, CACHE_MAX_ENTRIES, CACHE_MAX_BYTES, clock)
    }

    pub fn with_limits(ttl: Duration, max_entries: usize, max_bytes: usize, clock: Clock) -> Self {
        PageCache {
            entries: Mutex::new(Vec::new()),
            ttl,
            max_entries,
            max_bytes,
            clock,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<CacheEntry>> {
        // The cache holds plain data; a poisoned lock is still consistent.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn get(&self, key: &str) -> Option<FetchedPage> {
        let now = (self.clock)();
        let mut entries = self.lock();
        let ttl = self.ttl;
        entries.retain(|e| now.saturating_duration_since(e.stored) < ttl);
        let i = entries.iter().position(|e| e.key == key)?;
        let e = entries.remove(i);
        let page = e.page.clone();
        entries.push(e);
        Some(page)
    }

    pub fn insert(&self, key: &str, page: FetchedPage) {
        if page.content.len() > self.max_bytes {
            return;
        }
        let now = (self.clock)();
        let mut entries = self.lock();
        let ttl = self.ttl;
        entries.retain(|e| e.key != key && now.saturating_duration_since(e.stored) < ttl);
        entries.push(CacheEntry {
            key: key.to_string(),
            page,
            stored: now,
        });
        while entries.len() > self.max_entries
            || entries.iter().map(|e| e.page.content.len()).sum::<usize>() > self.max_bytes
        {
            entries.remove(0);
        }
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn clear(&self) {
        self.lock().clear();
    }
}

/// A page with this content, for tests.
#[cfg(test)]
pub(super) fn test_page(content: &str) -> FetchedPage {
    FetchedPage {
        url: "https://a.com/".into(),
        status: 200,
        content_type: "text/html".into(),
        bytes: content.len(),
        content: content.into(),
    }
}

/// The process-wide page cache.
pub fn global_cache() -> Arc<PageCache> {
    static CACHE: OnceLock<Arc<PageCache>> = OnceLock::new();
    CACHE.get_or_init(|| Arc::new(PageCache::default())).clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A clock the test moves by hand.
    fn manual_clock() -> (Arc<Mutex<Duration>>, Clock) {
        let base = Instant::now();
        let offset = Arc::new(Mutex::new(Duration::ZERO));
        let o = offset.clone();
        (offset, Box::new(move || base + *o.lock().unwrap()))
    }

    #[test]
    fn cache_entries_expire() {
        let (offset, clock) = manual_clock();
        let cache = PageCache::new(clock);
        cache.insert("k", test_page("hello"));
        *offset.lock().unwrap() = Duration::from_secs(14 * 60);
        assert_eq!(cache.get("k").unwrap().content, "hello");
        *offset.lock().unwrap() = Duration::from_secs(15 * 60);
        assert!(cache.get("k").is_none());
        assert!(cache.is_empty(), "expired entries are dropped");
    }

    #[test]
    fn cache_is_bounded_by_count_and_bytes() {
        let (_offset, clock) = manual_clock();
        let cache = PageCache::with_limits(CACHE_TTL, 3, 10, clock);
        cache.insert("a", test_page("1111"));
        cache.insert("b", test_page("2222"));
        // Using "a" makes "b" the least recently used.
        assert!(cache.get("a").is_some());
        cache.insert("c", test_page("33"));
        assert_eq!(cache.len(), 3);
        cache.insert("d", test_page("4"));
        assert_eq!(cache.len(), 3);
        assert!(cache.get("b").is_none(), "least recently used goes first");
        // Bytes: a(4) + c(2) + d(1) = 7; adding 5 more evicts until ≤ 10.
        cache.insert("e", test_page("55555"));
        assert!(cache.get("a").is_none());
        assert!(cache.get("e").is_some());
        assert!(cache.get("d").is_some());
        // An entry larger than the whole budget is not stored.
        cache.insert("huge", test_page("x".repeat(11).as_str()));
        assert!(cache.get("huge").is_none());
        // Re-inserting a key replaces it.
        cache.insert("d", test_page("new"));
        assert_eq!(cache.get("d").unwrap().content, "new");
    }
}
