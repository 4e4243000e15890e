//! When a failed request is tried again, how long ccrs waits, and what front ends are told.
//!
//! Every failure ends within a bound that does not depend on the server's good will:
//!
//! | failure | retries | waits |
//! | --- | --- | --- |
//! | not the API (an HTML page, a wrong content type), 4xx, TLS or proxy refusal | none | — |
//! | no connection (refused, unreachable, DNS) | 2 | 0.5 s, 1 s |
//! | nothing arrives for the stall timeout (headers or stream) | 1 | 0.5 s |
//! | 429, 5xx, 529, a stream that broke or reported an error | `CLAUDE_CODE_MAX_RETRIES` (10) | 0.5 s doubling to 32 s, `retry-after` up to 60 s |
//!
//! All of them share one total: at most `CLAUDE_CODE_MAX_RETRIES` retries and 5 minutes of
//! waiting per request. So with defaults a request ends after at most 11 attempts and ~2.7
//! minutes of backoff (plus the attempts themselves; a stall costs at most twice its timeout).
//! The limits are [`RetryPolicy`] fields.

use std::time::Duration;

/// The notice front ends get; it lives in the leaf layer ([`crate::events`]) so that
/// `AgentEvent` can carry it.
pub use crate::events::RetryNotice;

/// Why an attempt failed, as far as trying again goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// Retrying cannot help: a 4xx, a TLS or proxy refusal, something that is not the API.
    Fatal,
    /// Rate limits, overload, 5xx, a broken stream: the general budget.
    Transient,
    /// No connection could be made: a couple of quick retries.
    Connect,
    /// Nothing arrived within the stall timeout: one retry.
    Timeout,
}

/// The retry limits (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt, whatever the cause (`CLAUDE_CODE_MAX_RETRIES`).
    pub max_retries: u32,
    /// Of those, at most this many for failed connections.
    pub connect_retries: u32,
    /// Of those, at most this many for stalls.
    pub timeout_retries: u32,
    /// The longest single wait (`retry-after` beyond it is capped).
    pub max_wait: Duration,
    /// The most waiting in total; a retry that would exceed it is not made.
    pub total_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 10,
            connect_retries: 2,
            timeout_retries: 1,
            max_wait: Duration::from_secs(60),
            total_wait: Duration::from_secs(300),
        }
    }
}

/// What one request has used of its [`RetryPolicy`].
#[derive(Debug)]
pub(crate) struct Budget {
    policy: RetryPolicy,
    retries: u32,
    connect: u32,
    timeouts: u32,
    waited: Duration,
}

/// A granted retry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Granted {
    pub delay: Duration,
    /// This retry's number (1 = the first retry).
    pub attempt: u32,
    /// The most retries this kind of failure can still reach (for "attempt 1 of 2").
    pub max_retries: u32,
}

impl Budget {
    pub fn new(policy: RetryPolicy) -> Self {
        Budget {
            policy,
            retries: 0,
            connect: 0,
            timeouts: 0,
            waited: Duration::ZERO,
        }
    }

    /// Whether another attempt follows a failure of `class`, and after how long.
    pub fn next(&mut self, class: Class, retry_after: Option<Duration>) -> Option<Granted> {
        let p = &self.policy;
        let remaining_total = p.max_retries.saturating_sub(self.retries);
        let remaining = match class {
            Class::Fatal => 0,
            Class::Transient => remaining_total,
            Class::Connect => p.connect_retries.saturating_sub(self.connect),
            Class::Timeout => p.timeout_retries.saturating_sub(self.timeouts),
        }
        .min(remaining_total);
        if remaining == 0 {
            return None;
        }
        let delay = match class {
            // A connection that failed at once needs no long pause to fail again.
            Class::Connect => Duration::from_millis(500 << self.connect.min(4)),
            Class::Timeout => Duration::from_millis(500),
            _ => retry_after
                .map(|d| d.min(p.max_wait))
                .unwrap_or_else(|| backoff(self.retries + 1).min(p.max_wait)),
        };
        if self.waited + delay > p.total_wait {
            return None;
        }
        self.waited += delay;
        self.retries += 1;
        match class {
            Class::Connect => self.connect += 1,
            Class::Timeout => self.timeouts += 1,
            _ => {}
        }
        Some(Granted {
            delay,
            attempt: self.retries,
            max_retries: self.retries + remaining - 1,
        })
    }
}

/// Exponential backoff with jitter for retry `n` (1-based): 0.5 s, 1 s, 2 s, … capped at 32 s,
/// each scaled by 75–100 % so that many clients do not retry in step.
pub fn backoff(n: u32) -> Duration {
    let base = 500u64
        .saturating_mul(1u64 << n.saturating_sub(1).min(6))
        .min(32_000);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let jitter = 0.75 + (nanos % 1000) as f64 / 4000.0;
    Duration::from_millis((base as f64 * jitter) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(backoff(1) <= Duration::from_millis(500));
        assert!(backoff(1) >= Duration::from_millis(375));
        assert!(backoff(3) >= Duration::from_millis(1500));
        assert!(backoff(30) <= Duration::from_secs(32));
    }

    #[test]
    fn each_class_has_its_own_cap_inside_the_total() {
        let mut b = Budget::new(RetryPolicy::default());
        assert_eq!(b.next(Class::Fatal, None), None);
        let g = b.next(Class::Connect, None).unwrap();
        assert_eq!((g.attempt, g.max_retries), (1, 2));
        assert_eq!(g.delay, Duration::from_millis(500));
        let g = b.next(Class::Connect, None).unwrap();
        assert_eq!(
            (g.attempt, g.max_retries, g.delay.as_millis()),
            (2, 2, 1000)
        );
        assert_eq!(b.next(Class::Connect, None), None);
        let g = b.next(Class::Timeout, None).unwrap();
        assert_eq!((g.attempt, g.max_retries), (3, 3));
        assert_eq!(b.next(Class::Timeout, None), None);
        // The general budget counts every retry so far.
        let mut n = 3;
        while let Some(g) = b.next(Class::Transient, Some(Duration::ZERO)) {
            n += 1;
            assert_eq!((g.attempt, g.max_retries), (n, 10));
        }
        assert_eq!(n, 10);
    }

    #[test]
    fn waiting_is_bounded() {
        let mut b = Budget::new(RetryPolicy::default());
        let mut waited = Duration::ZERO;
        // A server that always asks for 10 minutes gets 60 s waits, 5 minutes in total.
        while let Some(g) = b.next(Class::Transient, Some(Duration::from_secs(600))) {
            assert_eq!(g.delay, Duration::from_secs(60));
            waited += g.delay;
        }
        assert_eq!(waited, Duration::from_secs(300));
        // With defaults, backoff alone stays under 3 minutes for all 10 retries.
        let mut b = Budget::new(RetryPolicy::default());
        let mut total = Duration::ZERO;
        let mut retries = 0;
        while let Some(g) = b.next(Class::Transient, None) {
            total += g.delay;
            retries += 1;
        }
        assert_eq!(retries, 10);
        assert!(total <= Duration::from_secs(160), "{total:?}");
        // No retries at all when the user says so.
        let mut b = Budget::new(RetryPolicy {
            max_retries: 0,
            ..Default::default()
        });
        assert_eq!(b.next(Class::Transient, None), None);
        assert_eq!(b.next(Class::Connect, None), None);
    }

    #[test]
    fn notice_text() {
        let n = RetryNotice {
            attempt: 1,
            max_retries: 10,
            delay_ms: 1500,
            status: Some(529),
            category: "overloaded",
            message: "the API is overloaded (HTTP 529): Overloaded".into(),
            discarded_output: true,
            non_streaming: false,
        };
        assert_eq!(
            n.describe(),
            "the API is overloaded (HTTP 529): Overloaded — retrying in 2s (retry 1 of 10); \
             the partial answer is discarded"
        );
    }
}
