//! Rate limits for work that pages can cause: a token bucket, time injected.

/// One token, in the bucket's units.
const UNIT: u64 = 60_000;

/// Up to `capacity` at once, then `per_minute` a minute. A clock that goes backwards refills
/// nothing (it never grants more than the bucket holds). Serialisable: a budget that must survive
/// the worker is kept in `storage.session`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenBucket {
    capacity: u32,
    per_minute: u32,
    /// Tokens in units of 1/60,000 (a minute in ms): refilling adds `per_minute` a millisecond
    /// exactly, with no remainder lost however often it is asked. At most `capacity * UNIT`.
    units: u64,
    last_ms: u64,
}

impl TokenBucket {
    /// A full bucket at `now_ms`.
    pub fn new(capacity: u32, per_minute: u32, now_ms: u64) -> Self {
        TokenBucket { capacity, per_minute, units: u64::from(capacity) * UNIT, last_ms: now_ms }
    }

    /// Whether one more may run at `now_ms`; takes its token if so.
    pub fn take(&mut self, now_ms: u64) -> bool {
        let elapsed = now_ms.saturating_sub(self.last_ms);
        self.last_ms = now_ms;
        let refill = elapsed.saturating_mul(u64::from(self.per_minute));
        self.units = self.units.saturating_add(refill).min(u64::from(self.capacity) * UNIT);
        if self.units >= UNIT {
            self.units -= UNIT;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn granted(b: &mut TokenBucket, now: u64, n: u32) -> u32 {
        (0..n).map(|_| u32::from(b.take(now))).sum()
    }

    #[test]
    fn burst_then_rate() {
        let mut b = TokenBucket::new(3, 6, 1_000);
        assert_eq!(granted(&mut b, 1_000, 20), 3, "the burst");
        assert_eq!(granted(&mut b, 10_999, 5), 0, "one per 10 s: not yet");
        assert_eq!(granted(&mut b, 11_000, 5), 1);
        assert_eq!(granted(&mut b, 71_000, 20), 3, "a long pause refills to capacity, no more");
        // Asked every millisecond, it still refills (no remainder is lost).
        let mut c = TokenBucket::new(1, 6, 0);
        let got: u32 = (0..=20_000).map(|t| u32::from(c.take(t))).sum();
        assert_eq!(got, 3, "one at once, then one per 10 s");
    }

    #[test]
    fn clock_going_backwards_refills_nothing() {
        let mut b = TokenBucket::new(2, 60, 5_000_000);
        assert_eq!(granted(&mut b, 5_000_000, 5), 2);
        assert_eq!(granted(&mut b, 1_000, 5), 0);
        assert_eq!(granted(&mut b, 2_000, 5), 1, "counts from the new clock");
        let mut z = TokenBucket::new(0, 0, 0);
        assert_eq!(granted(&mut z, u64::MAX, 3), 0);
        let mut big = TokenBucket::new(1, u32::MAX, 0);
        assert_eq!(granted(&mut big, u64::MAX, 3), 1, "no overflow");
    }
}
