//! Capped exponential back-off with jitter, and the small seeded PRNG that draws the jitter.

/// A seeded pseudo-random generator: Marsaglia's xorshift32 (shifts 13, 17, 5). Not for
/// cryptography; it spreads reconnect times so that a fleet rebooted together does not
/// reconnect together. Seed it with something that differs per device (IMEI digits, a
/// hardware RNG word). A zero seed, which xorshift cannot leave, is replaced by 1.
///
/// ```
/// use atmodem::device::XorShift32;
/// let mut r = XorShift32::new(1);
/// assert_eq!(r.next_u32(), 270369);
/// assert_ne!(XorShift32::new(0).next_u32(), 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct XorShift32(u32);

impl XorShift32 {
    /// A generator from `seed` (0 becomes 1).
    ///
    /// ```
    /// use atmodem::device::XorShift32;
    /// assert_eq!(XorShift32::new(0), XorShift32::new(1));
    /// ```
    pub const fn new(seed: u32) -> Self {
        Self(if seed == 0 { 1 } else { seed })
    }

    /// The next value (never 0).
    ///
    /// ```
    /// use atmodem::device::XorShift32;
    /// let mut r = XorShift32::new(7);
    /// let (a, b) = (r.next_u32(), r.next_u32());
    /// assert_ne!(a, b);
    /// ```
    pub fn next_u32(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x
    }

    /// A value in `0..=max`.
    ///
    /// ```
    /// use atmodem::device::XorShift32;
    /// let mut r = XorShift32::new(3);
    /// assert!((0..100).all(|_| r.below_or(10) <= 10));
    /// assert_eq!(r.below_or(0), 0);
    /// ```
    pub fn below_or(&mut self, max: u32) -> u32 {
        match max.checked_add(1) {
            Some(n) => self.next_u32().checked_rem(n).unwrap_or(0),
            None => self.next_u32(),
        }
    }
}

/// How long to wait between attempts after a network or broker loss: `initial_ms`, doubled
/// after each failed attempt up to `max_ms`, minus a random part of up to
/// `jitter_permille`/1000 of it. A success resets it to `initial_ms`.
///
/// The Aliyun Link SDK waits 2 s, 4 s, 6 s, … (linear, ±0.5 s drawn once); this policy is
/// exponential with a cap, the usual choice for a fleet, and its defaults start at the
/// SDK's 2 s and stop at 2 minutes, near the SDK's ≈122 s ceiling.
///
/// ```
/// use atmodem::device::BackoffPolicy;
/// let p = BackoffPolicy::default();
/// assert_eq!((p.initial_ms, p.max_ms, p.jitter_permille), (2_000, 120_000, 250));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct BackoffPolicy {
    /// The first wait, in milliseconds.
    pub initial_ms: u32,
    /// The longest wait, in milliseconds.
    pub max_ms: u32,
    /// The random part: up to this many thousandths of the wait are taken off (0: none;
    /// values above 1000 count as 1000).
    pub jitter_permille: u16,
}

impl Default for BackoffPolicy {
    fn default() -> Self {
        Self {
            initial_ms: 2_000,
            max_ms: 120_000,
            jitter_permille: 250,
        }
    }
}

/// The state of a [`BackoffPolicy`]: how many attempts failed in a row.
///
/// ```
/// use atmodem::device::{Backoff, BackoffPolicy, XorShift32};
/// let p = BackoffPolicy { initial_ms: 100, max_ms: 350, jitter_permille: 0 };
/// let mut b = Backoff::new(p);
/// let mut rng = XorShift32::new(1);
/// let waits: Vec<u32> = (0..4).map(|_| b.next_delay(&mut rng)).collect();
/// assert_eq!(waits, [100, 200, 350, 350]);
/// b.reset();
/// assert_eq!(b.next_delay(&mut rng), 100);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Backoff {
    policy: BackoffPolicy,
    failures: u32,
}

impl Backoff {
    /// A fresh back-off (the next wait is `initial_ms`, jittered).
    ///
    /// ```
    /// use atmodem::device::{Backoff, BackoffPolicy};
    /// assert_eq!(Backoff::new(BackoffPolicy::default()).failures(), 0);
    /// ```
    pub const fn new(policy: BackoffPolicy) -> Self {
        Self {
            policy,
            failures: 0,
        }
    }

    /// Failed attempts since the last [`reset`](Self::reset).
    ///
    /// ```
    /// use atmodem::device::{Backoff, BackoffPolicy, XorShift32};
    /// let mut b = Backoff::new(BackoffPolicy::default());
    /// b.next_delay(&mut XorShift32::new(1));
    /// assert_eq!(b.failures(), 1);
    /// ```
    pub const fn failures(&self) -> u32 {
        self.failures
    }

    /// The wait before the next attempt, in milliseconds; counts one more failure. Never
    /// more than `max_ms`, never less than `(1 - jitter) · min(initial · 2ⁿ, max)`.
    ///
    /// ```
    /// use atmodem::device::{Backoff, BackoffPolicy, XorShift32};
    /// let p = BackoffPolicy { initial_ms: 1_000, max_ms: 8_000, jitter_permille: 500 };
    /// let mut b = Backoff::new(p);
    /// let d = b.next_delay(&mut XorShift32::new(9));
    /// assert!((500..=1_000).contains(&d));
    /// ```
    pub fn next_delay(&mut self, rng: &mut XorShift32) -> u32 {
        let p = self.policy;
        let base = 1u32
            .checked_shl(self.failures.min(31))
            .and_then(|f| p.initial_ms.checked_mul(f))
            .unwrap_or(u32::MAX)
            .min(p.max_ms);
        self.failures = self.failures.saturating_add(1);
        let jitter = u64::from(base)
            .saturating_mul(u64::from(p.jitter_permille.min(1000)))
            .checked_div(1000)
            .unwrap_or(0);
        let cut = rng.below_or(u32::try_from(jitter).unwrap_or(base));
        base.saturating_sub(cut)
    }

    /// After a success: the next wait is `initial_ms` again.
    ///
    /// ```
    /// use atmodem::device::{Backoff, BackoffPolicy, XorShift32};
    /// let mut b = Backoff::new(BackoffPolicy::default());
    /// b.next_delay(&mut XorShift32::new(1));
    /// b.reset();
    /// assert_eq!(b.failures(), 0);
    /// ```
    pub fn reset(&mut self) {
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xorshift32_matches_marsaglia() {
        // Computed independently in Python: x ^= x<<13; x ^= x>>17; x ^= x<<5 (32-bit),
        // from x = 1.
        let mut r = XorShift32::new(1);
        let got: [u32; 5] = core::array::from_fn(|_| r.next_u32());
        assert_eq!(got, [270369, 67634689, 2647435461, 307599695, 2398689233]);
    }

    #[test]
    fn doubles_up_to_the_cap_without_jitter() {
        let p = BackoffPolicy {
            initial_ms: 2_000,
            max_ms: 120_000,
            jitter_permille: 0,
        };
        let mut b = Backoff::new(p);
        let mut rng = XorShift32::new(5);
        let got: [u32; 9] = core::array::from_fn(|_| b.next_delay(&mut rng));
        // 2 s doubled: 2, 4, 8, 16, 32, 64, then capped at 120.
        assert_eq!(
            got,
            [
                2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 120_000, 120_000, 120_000
            ]
        );
        // Many failures later the shift saturates and the cap still holds.
        for _ in 0..100 {
            assert_eq!(b.next_delay(&mut rng), 120_000);
        }
    }

    #[test]
    fn jitter_stays_in_its_band_and_varies() {
        let p = BackoffPolicy {
            initial_ms: 1_000,
            max_ms: 4_000,
            jitter_permille: 250,
        };
        let mut rng = XorShift32::new(42);
        let mut seen = [0u32; 64];
        for s in &mut seen {
            let mut b = Backoff::new(p);
            b.next_delay(&mut rng);
            b.next_delay(&mut rng);
            // Third attempt: base 4000, at most 25 % off.
            *s = b.next_delay(&mut rng);
            assert!((3_000..=4_000).contains(s), "{s}");
        }
        assert!(seen.iter().any(|&s| s != seen[0]), "jitter must vary");
    }

    #[test]
    fn reset_after_success_starts_over() {
        let p = BackoffPolicy {
            initial_ms: 100,
            max_ms: 10_000,
            jitter_permille: 0,
        };
        let mut b = Backoff::new(p);
        let mut rng = XorShift32::new(1);
        for _ in 0..5 {
            b.next_delay(&mut rng);
        }
        assert_eq!(b.next_delay(&mut rng), 3_200);
        b.reset();
        assert_eq!(b.next_delay(&mut rng), 100);
    }

    #[test]
    fn extreme_policies_do_not_overflow() {
        let p = BackoffPolicy {
            initial_ms: u32::MAX,
            max_ms: u32::MAX,
            jitter_permille: u16::MAX,
        };
        let mut b = Backoff::new(p);
        let mut rng = XorShift32::new(3);
        for _ in 0..40 {
            let _ = b.next_delay(&mut rng);
        }
        let zero = BackoffPolicy {
            initial_ms: 0,
            max_ms: 0,
            jitter_permille: 1000,
        };
        assert_eq!(Backoff::new(zero).next_delay(&mut rng), 0);
    }
}
