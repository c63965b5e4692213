//! The line queue: order, dropping the oldest when full, taking lines from the middle, and
//! the sequence marks that tell lines queued before a command from lines queued after it.
//! Sizes are hand-derived: each line costs its length plus 8 bytes.
#![allow(clippy::unwrap_used)]

use atmodem::codec::{LineQueue, MessageSpans, Tag};

fn all<const N: usize>(q: &LineQueue<[u8; N]>) -> Vec<Vec<u8>> {
    q.iter().map(<[u8]>::to_vec).collect()
}

#[test]
fn fifo_order_and_pop() {
    let mut q: LineQueue<[u8; 64]> = LineQueue::new();
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
    // 36 bytes: three 4-byte lines take 36; the fourth pushes out the first.
    let mut q: LineQueue<[u8; 36]> = LineQueue::new();
    for l in [b"aaaa", b"bbbb", b"cccc", b"dddd"] {
        assert!(q.push(l));
    }
    assert_eq!(q.dropped(), 1);
    assert_eq!(
        all(&q),
        vec![b"bbbb".to_vec(), b"cccc".to_vec(), b"dddd".to_vec()]
    );
    // A line larger than the whole queue is itself dropped; the rest stays.
    assert!(!q.push(&[b'x'; 29]));
    assert_eq!(q.dropped(), 2);
    assert_eq!(q.len(), 3);
}

#[test]
fn tagged_pushes_never_drop_and_refuse_what_does_not_fit() {
    // A line costs its length plus 8 bytes, a message 8 more (where its topic and payload
    // lie): 20 + 12 + 20.
    let mut q: LineQueue<[u8; 52]> = LineQueue::new();
    assert!(q.push_tagged(b"m-00", Tag::Message(0)));
    assert!(q.push_tagged(b"u-01", Tag::Urc));
    assert!(q.push_tagged(b"m-10", Tag::Message(1)));
    // Full (52 of 52 bytes): refused, nothing dropped.
    assert!(!q.fits(0));
    assert!(!q.push_tagged(b"m-02", Tag::Message(0)));
    assert_eq!((q.len(), q.dropped()), (3, 0));
    // Taken by tag alone; the line comes back with its tag.
    assert_eq!(
        q.take_tagged(None, |t| t == Tag::Message(1)),
        Some((&b"m-10"[..], Tag::Message(1)))
    );
    // Its 20 bytes are free again: the next line fits, after the others, in order.
    assert!(q.push_tagged(b"m-02", Tag::Message(0)));
    assert_eq!(
        all(&q),
        vec![b"m-00".to_vec(), b"u-01".to_vec(), b"m-02".to_vec()]
    );
    // Taking from the middle leaves the others in order; their space is reused (12 bytes:
    // a line, not a message).
    assert!(q.discard_first(|t| t == Tag::Urc));
    assert_eq!(q.dropped(), 1);
    assert!(!q.push_tagged(b"m-03", Tag::Message(0)));
    assert!(q.push_tagged(b"u-03", Tag::Urc));
    let order: Vec<(Vec<u8>, Tag)> =
        std::iter::from_fn(|| q.pop_tagged().map(|(l, t)| (l.to_vec(), t))).collect();
    assert_eq!(
        order,
        vec![
            (b"m-00".to_vec(), Tag::Message(0)),
            (b"m-02".to_vec(), Tag::Message(0)),
            (b"u-03".to_vec(), Tag::Urc),
        ]
    );
    assert!(q.is_empty() && q.fits(44) && !q.fits_tagged(37, Tag::Message(0)));
}

#[test]
fn tag_and_mark_filters_together() {
    let mut q: LineQueue<[u8; 128]> = LineQueue::new();
    q.push_tagged(b"+QMTSTAT: 0,1", Tag::LinkDown(Some(0)));
    let mark = q.since();
    q.push_tagged(b"+QMTRECV: 0,...", Tag::Message(0));
    assert!(!q.any_tagged(Some(mark), |t| matches!(t, Tag::LinkDown(_))));
    assert!(q.any_tagged(None, |t| matches!(t, Tag::LinkDown(_))));
    assert!(q.any_with(Some(mark), |t, l| t == Tag::Message(0)
        && l.ends_with(b"...")));
    assert_eq!(
        q.take_with(Some(mark), |t, l| (t == Tag::Message(0)).then_some(l.len())),
        Some(15)
    );
    assert_eq!(q.len(), 1);
}

#[test]
fn taking_from_the_middle_keeps_the_order_of_the_rest() {
    let mut q: LineQueue<[u8; 128]> = LineQueue::new();
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

/// What a client does while messages of another client wait unread at the head: each new
/// status line is stored after the oldest status line is discarded. Over many rounds (the
/// holes behind the waiting messages closed by moving them, the regions wrapping) the
/// messages stay first and whole, and the status lines keep their order.
#[test]
fn messages_left_at_the_head_survive_a_stream_of_discards_behind_them() {
    // One or two messages are moved into the holes; four fill more than half the queue, which
    // is then compacted instead. Both ways of discarding: by a tag test, and the client's
    // search for the first line that is not a message, which skips the messages it has
    // walked past before.
    for (waiting, by_tag) in [1, 2, 4].into_iter().flat_map(|w| [(w, true), (w, false)]) {
        let mut q: LineQueue<[u8; 256]> = LineQueue::new();
        let messages: Vec<Vec<u8>> = (0..waiting)
            .map(|i| format!("+QMTRECV: 1,{i},\"t/1\",2,\"{{}}\"").into_bytes())
            .collect();
        for m in &messages {
            let spans = MessageSpans::of(m, &m[15..18], &m[23..25]).unwrap();
            assert!(q.push_message(m, 1, spans));
        }
        let mut statuses: std::collections::VecDeque<Vec<u8>> = Default::default();
        for n in 0..500u32 {
            // Lengths vary, so holes and new lines rarely match.
            let pad = " ".repeat((n % 7) as usize);
            let line = format!("+QMTPUBEX: 0,{n},0{pad}").into_bytes();
            while !q.push_tagged(&line, Tag::Urc) {
                let discarded = if by_tag {
                    q.discard_first(|t| t == Tag::Urc)
                } else {
                    q.discard_first_non_message()
                };
                assert!(discarded, "{waiting}/{n}: nothing to discard");
                statuses.pop_front();
            }
            statuses.push_back(line);
            let want: Vec<Vec<u8>> = messages.iter().chain(statuses.iter()).cloned().collect();
            assert_eq!(all(&q), want, "{waiting} waiting, round {n}");
        }
        for (i, m) in messages.iter().enumerate() {
            let (line, spans) = q.take_message(1).unwrap();
            assert_eq!(line, &m[..], "message {i}");
            assert_eq!(spans.unwrap().payload(line), Some(&b"{}"[..]));
        }
    }
}

#[test]
fn marks_separate_old_lines_from_new_ones() {
    let mut q: LineQueue<[u8; 128]> = LineQueue::new();
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
    let mut q: LineQueue<[u8; 128]> = LineQueue::new();
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
    let mut q: LineQueue<[u8; 16]> = LineQueue::new();
    q.push(b"abc");
    let s = q.scratch();
    assert_eq!(s.len(), 16);
    s[..4].copy_from_slice(b"AT\r\n");
    assert_eq!(q.scratch_bytes(4), b"AT\r\n");
    assert!(q.is_empty());
    assert_eq!(q.scratch_bytes(99), b"");
}

mod model {
    //! The queue against a model (a plain list): every sequence of pushes, takes from the
    //! middle and discards keeps the same lines in the same order, refuses exactly what does
    //! not fit (each line costs its length plus 8, a message 16), and never moves a line it
    //! hands out before the queue is changed again.
    use atmodem::codec::{LineQueue, MessageSpans, Tag};
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        Push(usize, u8),
        Message(usize, u8),
        TakeMessage(u8),
        TakeKind(u8),
        Discard,
        DiscardNonMessage,
        Pop,
    }

    /// Operations on lines of at most `max` bytes.
    fn op(max: usize) -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (1usize..max, 0u8..3).prop_map(|(n, k)| Op::Push(n, k)),
            3 => (3usize..max, 0u8..3).prop_map(|(n, c)| Op::Message(n, c)),
            2 => (0u8..3).prop_map(Op::TakeMessage),
            1 => (0u8..4).prop_map(Op::TakeKind),
            1 => Just(Op::Discard),
            2 => Just(Op::DiscardNonMessage),
            1 => Just(Op::Pop),
        ]
    }

    fn cost(len: usize, tag: Tag) -> usize {
        len + if matches!(tag, Tag::Message(_)) {
            16
        } else {
            8
        }
    }

    fn kind(tag: Tag) -> u8 {
        match tag {
            Tag::Unknown => 0,
            Tag::Urc => 1,
            Tag::Message(_) => 2,
            Tag::LinkDown(_) => 3,
        }
    }

    /// Run `ops` on a queue of `N` bytes and on the model, comparing after each.
    fn run<const N: usize>(ops: Vec<Op>) -> Result<(), TestCaseError> {
        let mut q: LineQueue<[u8; N]> = LineQueue::new();
        let mut m: Vec<(Vec<u8>, Tag)> = Vec::new();
        for (n, op) in (1u32..).zip(ops) {
            let live: usize = m.iter().map(|(l, t)| cost(l.len(), *t)).sum();
            match op {
                Op::Push(len, k) => {
                    let tag = [Tag::Unknown, Tag::Urc, Tag::LinkDown(Some(0))][usize::from(k)];
                    let line: Vec<u8> = (0..len)
                        .map(|i| b'a' + ((i as u32 + n) % 26) as u8)
                        .collect();
                    let ok = q.push_tagged(&line, tag);
                    prop_assert_eq!(ok, live + cost(len, tag) <= N);
                    if ok {
                        m.push((line, tag));
                    }
                }
                Op::Message(len, c) => {
                    let line: Vec<u8> = (0..len)
                        .map(|i| b'A' + ((i as u32 + n) % 26) as u8)
                        .collect();
                    let spans = MessageSpans::of(&line, &line[..1], &line[1..]).unwrap();
                    let tag = Tag::Message(c);
                    let ok = q.push_message(&line, c, spans);
                    prop_assert_eq!(ok, live + cost(len, tag) <= N);
                    if ok {
                        m.push((line, tag));
                    }
                }
                Op::TakeMessage(c) => {
                    let want = m.iter().position(|(_, t)| *t == Tag::Message(c));
                    let got = q.take_message(c).map(|(l, s)| {
                        let s = s.unwrap();
                        (
                            l.to_vec(),
                            s.topic(l).unwrap().to_vec(),
                            s.payload(l).unwrap().to_vec(),
                        )
                    });
                    match want {
                        Some(i) => {
                            let (line, _) = m.remove(i);
                            prop_assert_eq!(
                                got,
                                Some((line.clone(), line[..1].to_vec(), line[1..].to_vec()))
                            );
                        }
                        None => prop_assert_eq!(got, None),
                    }
                }
                Op::TakeKind(k) => {
                    let want = m.iter().position(|(_, t)| kind(*t) == k);
                    let got = q
                        .take_tagged(None, |t| kind(t) == k)
                        .map(|(l, t)| (l.to_vec(), t));
                    prop_assert_eq!(got, want.map(|i| m.remove(i)));
                }
                Op::Discard => {
                    let want = m.iter().position(|(_, t)| !matches!(t, Tag::Message(_)));
                    prop_assert_eq!(
                        q.discard_first(|t| !matches!(t, Tag::Message(_))),
                        want.is_some()
                    );
                    if let Some(i) = want {
                        m.remove(i);
                    }
                }
                Op::DiscardNonMessage => {
                    let want = m.iter().position(|(_, t)| !matches!(t, Tag::Message(_)));
                    prop_assert_eq!(q.discard_first_non_message(), want.is_some());
                    if let Some(i) = want {
                        m.remove(i);
                    }
                }
                Op::Pop => {
                    let got = q.pop_tagged().map(|(l, t)| (l.to_vec(), t));
                    let want = if m.is_empty() {
                        None
                    } else {
                        Some(m.remove(0))
                    };
                    prop_assert_eq!(got, want);
                }
            }
            prop_assert_eq!(q.len(), m.len());
            let lines: Vec<Vec<u8>> = q.iter().map(<[u8]>::to_vec).collect();
            let want: Vec<Vec<u8>> = m.iter().map(|(l, _)| l.clone()).collect();
            prop_assert_eq!(lines, want);
            for c in 0..3 {
                prop_assert_eq!(
                    q.may_hold_message(c),
                    m.iter().any(|(_, t)| *t == Tag::Message(c))
                );
            }
            prop_assert_eq!(
                q.may_hold_link_down(),
                m.iter().any(|(_, t)| matches!(t, Tag::LinkDown(_)))
            );
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn the_queue_behaves_as_a_list(ops in proptest::collection::vec(op(60), 1..200)) {
            run::<256>(ops)?;
        }

        /// A small queue with short lines: the regions wrap, and lines are taken from both
        /// of them, far more often.
        #[test]
        fn a_small_queue_behaves_as_a_list(ops in proptest::collection::vec(op(14), 1..300)) {
            run::<64>(ops)?;
        }
    }
}
