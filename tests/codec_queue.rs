//! The line queue: order, dropping the oldest when full, taking lines from the middle, and
//! the sequence marks that tell lines queued before a command from lines queued after it.
//! Sizes are hand-derived: each line costs its length plus 6 bytes.
#![allow(clippy::unwrap_used)]

use atmodem::codec::LineQueue;

fn all<const N: usize>(q: &LineQueue<N>) -> Vec<Vec<u8>> {
    q.iter().map(<[u8]>::to_vec).collect()
}

#[test]
fn fifo_order_and_pop() {
    let mut q: LineQueue<64> = LineQueue::new();
    assert!(q.push(b"one"));
    assert!(q.push(b"two"));
    assert!(q.push(b"three"));
    assert_eq!(q.len(), 3);
    assert_eq!(q.pop(), Some(&b"one"[..]));
    assert_eq!(all(&q), vec![b"two".to_vec(), b"three".to_vec()]);
    assert_eq!(q.pop(), Some(&b"two"[..]));
    assert_eq!(q.pop(), Some(&b"three"[..]));
    assert_eq!(q.pop(), None);
    assert!(q.is_empty());
}

#[test]
fn full_queue_drops_the_oldest_and_counts() {
    // 32 bytes: three 4-byte lines take 30; the fourth pushes out the first.
    let mut q: LineQueue<32> = LineQueue::new();
    for l in [b"aaaa", b"bbbb", b"cccc", b"dddd"] {
        assert!(q.push(l));
    }
    assert_eq!(q.dropped(), 1);
    assert_eq!(
        all(&q),
        vec![b"bbbb".to_vec(), b"cccc".to_vec(), b"dddd".to_vec()]
    );
    // A line larger than the whole queue is itself dropped; the rest stays.
    assert!(!q.push(&[b'x'; 27]));
    assert_eq!(q.dropped(), 2);
    assert_eq!(q.len(), 3);
}

#[test]
fn taking_from_the_middle_keeps_the_order_of_the_rest() {
    let mut q: LineQueue<128> = LineQueue::new();
    for l in [&b"+A: 1"[..], b"+MSG: x", b"+B: 2", b"+MSG: y"] {
        q.push(l);
    }
    let got = q.pop_first(|l| l.starts_with(b"+MSG")).map(<[u8]>::to_vec);
    assert_eq!(got, Some(b"+MSG: x".to_vec()));
    assert_eq!(
        all(&q),
        vec![b"+A: 1".to_vec(), b"+B: 2".to_vec(), b"+MSG: y".to_vec()]
    );
    let v = q.take_first(|l| (l == b"+B: 2").then_some(7));
    assert_eq!(v, Some(7));
    assert_eq!(all(&q), vec![b"+A: 1".to_vec(), b"+MSG: y".to_vec()]);
    assert!(q.any(|l| l == b"+MSG: y"));
    assert!(!q.any(|l| l == b"+B: 2"));
}

#[test]
fn marks_separate_old_lines_from_new_ones() {
    let mut q: LineQueue<128> = LineQueue::new();
    q.push(b"+QMTSTAT: 0,1"); // from an earlier session
    let mark = q.since();
    assert!(!q.any_since(Some(mark), |l| l.starts_with(b"+QMTSTAT")));
    assert_eq!(q.take_first_since(mark, |l| Some(l.len())), None);
    q.push(b"+QMTCONN: 0,0,0");
    assert!(q.any_since(Some(mark), |l| l.starts_with(b"+QMTCONN")));
    // Only the new line is offered; the old one stays queued.
    let taken = q.take_first_since(mark, |l| Some(l.to_vec()));
    assert_eq!(taken, Some(b"+QMTCONN: 0,0,0".to_vec()));
    assert_eq!(all(&q), vec![b"+QMTSTAT: 0,1".to_vec()]);
    // Without a mark, every line counts.
    assert_eq!(q.take_first(|l| Some(l.len())), Some(13));
    assert!(q.is_empty());
}

#[test]
fn marks_survive_removals_in_the_middle() {
    let mut q: LineQueue<128> = LineQueue::new();
    q.push(b"old-1");
    q.push(b"old-2");
    let mark = q.since();
    q.push(b"new-1");
    // Removing an old line must not make another old line look new.
    q.pop_first(|l| l == b"old-2");
    let seen: Vec<Vec<u8>> =
        std::iter::from_fn(|| q.take_first_since(mark, |l| Some(l.to_vec()))).collect();
    assert_eq!(seen, vec![b"new-1".to_vec()]);
    assert_eq!(all(&q), vec![b"old-1".to_vec()]);
}

#[test]
fn scratch_space_empties_the_queue() {
    let mut q: LineQueue<16> = LineQueue::new();
    q.push(b"abc");
    let s = q.scratch();
    assert_eq!(s.len(), 16);
    s[..4].copy_from_slice(b"AT\r\n");
    assert_eq!(q.scratch_bytes(4), b"AT\r\n");
    assert!(q.is_empty());
    assert_eq!(q.scratch_bytes(99), b"");
}
