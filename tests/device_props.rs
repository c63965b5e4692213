//! Properties of the device's parts. The outbound queue against a model (a `VecDeque` of
//! owned messages): any sequence of pushes and pops gives the same messages in the same
//! order, never more bytes than its capacity, and never panics. The back-off: within its
//! band, capped, and back to the start after a reset.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::collections::VecDeque;

use atmodem::device::{Backoff, BackoffPolicy, Outbox, RECORD_OVERHEAD, XorShift32};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Push(String, Vec<u8>),
    Pop,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (
            "[a-z/+#]{0,12}",
            proptest::collection::vec(any::<u8>(), 0..40)
        )
            .prop_map(|(t, p)| Op::Push(t, p)),
        Just(Op::Pop),
    ]
}

proptest! {
    #[test]
    fn behaves_like_a_fifo(ops in proptest::collection::vec(op(), 0..200)) {
        const N: usize = 128;
        let mut q: Outbox<N> = Outbox::new();
        let mut model: VecDeque<(String, Vec<u8>)> = VecDeque::new();
        let mut used = 0usize;
        for op in ops {
            match op {
                Op::Push(t, p) => {
                    let size = RECORD_OVERHEAD + t.len() + p.len();
                    let fits = used + size <= N;
                    prop_assert_eq!(q.push(&t, &p).is_ok(), fits);
                    if fits {
                        used += size;
                        model.push_back((t, p));
                    }
                }
                Op::Pop => {
                    if let Some((t, p)) = model.pop_front() {
                        used -= RECORD_OVERHEAD + t.len() + p.len();
                    }
                    q.pop();
                }
            }
            prop_assert_eq!(q.len(), model.len());
            prop_assert_eq!(q.used(), used);
            let front = q.front().map(|(t, p)| (t.to_string(), p.to_vec()));
            prop_assert_eq!(front, model.front().cloned());
        }
    }
}

#[test]
fn a_message_longer_than_a_length_field_is_refused() {
    let mut q: Outbox<70_000> = Outbox::new();
    assert!(q.push("t", &vec![0u8; 65_536]).is_err());
    assert!(q.push("t", &vec![0u8; 65_535]).is_ok());
    assert_eq!(q.front().unwrap().1.len(), 65_535);
}

proptest! {
    #[test]
    fn backoff_stays_in_its_band(
        initial in 0u32..100_000,
        extra in 0u32..1_000_000,
        jitter in 0u16..2000,
        seed in any::<u32>(),
        attempts in 1usize..80,
    ) {
        let p = BackoffPolicy { initial_ms: initial, max_ms: initial.saturating_add(extra), jitter_permille: jitter };
        let mut b = Backoff::new(p);
        let mut rng = XorShift32::new(seed);
        for n in 0..attempts {
            // The base, computed here with u128 arithmetic: initial * 2^n, capped.
            let base = ((initial as u128) << n.min(100)).min(p.max_ms as u128) as u64;
            let floor = base - base * u64::from(jitter.min(1000)) / 1000;
            let d = u64::from(b.next_delay(&mut rng));
            prop_assert!(d <= base && d >= floor, "attempt {}: {} not in {}..={}", n, d, floor, base);
        }
        b.reset();
        let d = b.next_delay(&mut rng);
        prop_assert!(d <= initial.min(p.max_ms));
    }
}
