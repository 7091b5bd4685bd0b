use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;

#[test]
fn ring_buffer_keeps_the_newest() {
    let mut log = EventLog::new(3);
    for t in 0..10 {
        let id = log.push(NewEvent::new(t, EventKind::IdleLogout)).id;
        assert_eq!(id, t + 1, "ids are monotonic");
    }
    assert_eq!(log.len(), 3);
    assert_eq!(log.events().map(|e| e.id).collect::<Vec<_>>(), [8, 9, 10]);
    log.set_capacity(2);
    assert_eq!(log.events().map(|e| e.id).collect::<Vec<_>>(), [9, 10]);
    log.set_capacity(0);
    assert_eq!(log.capacity(), 1);
    log.clear();
    assert_eq!(log.push(NewEvent::new(0, EventKind::LockLogout)).id, 11, "ids survive clear");
    let json = serde_json::to_string(&log).unwrap();
    let back: EventLog = serde_json::from_str(&json).unwrap();
    assert_eq!(back, log);
}

#[test]
fn events_keep_only_hosts_and_short_details() {
    let mut log = EventLog::new(10);
    let e = log
        .push(
            NewEvent::new(1, EventKind::PhishingAlert)
                .host("https://user:pw@Evil.Example.COM.:8443/login?password=hunter2#x")
                .detail("d".repeat(1000)),
        )
        .clone();
    assert_eq!(e.host.as_deref(), Some("evil.example.com"));
    assert_eq!(e.detail.map(|d| d.chars().count()), Some(MAX_DETAIL_CHARS));
    assert_eq!(host_only("crm.acme.com/path"), Some("crm.acme.com".into()));
    assert_eq!(host_only("[::1]:8080"), Some("[::1]".into()));
    assert_eq!(host_only("not a host"), None);
    assert_eq!(host_only(""), None);
}

#[test]
fn filters() {
    let mut log = EventLog::new(10);
    log.push(NewEvent::new(1, EventKind::FindingRaised).crm("salesforce").level(Level::Warning));
    log.push(NewEvent::new(2, EventKind::FindingRaised).crm("hubspot").level(Level::AtRisk));
    log.push(NewEvent::new(3, EventKind::IdleLogout).crm("hubspot"));
    let ids = |f: Filter| log.filter(&f).map(|e| e.id).collect::<Vec<_>>();
    assert_eq!(ids(Filter::default()), [1, 2, 3]);
    assert_eq!(ids(Filter { crm_id: Some("hubspot".into()), ..Filter::default() }), [2, 3]);
    assert_eq!(ids(Filter { min_level: Some(Level::Warning), ..Filter::default() }), [1, 2]);
    assert_eq!(ids(Filter { min_level: Some(Level::AtRisk), ..Filter::default() }), [2]);
    assert_eq!(ids(Filter { kind: Some(EventKind::IdleLogout), ..Filter::default() }), [3]);
    let json: serde_json::Value = serde_json::from_str(&log.to_json(&Filter::default())).unwrap();
    assert_eq!(
        json[2],
        serde_json::json!({ "id": 3, "timeMs": 3, "kind": "idleLogout", "crmId": "hubspot" })
    );
}

#[test]
fn csv_is_quoted_and_formula_safe() {
    assert_eq!(csv_cell("plain"), "plain");
    assert_eq!(csv_cell("a,b"), "\"a,b\"");
    assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
    assert_eq!(csv_cell("two\nlines"), "\"two\nlines\"");
    assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
    assert_eq!(csv_cell("+1"), "'+1");
    assert_eq!(csv_cell("-1"), "'-1");
    assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
    let mut log = EventLog::new(10);
    log.push(NewEvent::new(1_717_243_200_123, EventKind::PolicyError).detail("=cmd|' /C calc'!A0, x"));
    let csv = log.to_csv(&Filter::default());
    assert_eq!(
        csv,
        "id,time,kind,crm,host,level,detail\r\n\
         1,2024-06-01T12:00:00.123Z,policyError,,,,\"'=cmd|' /C calc'!A0, x\"\r\n"
    );
}

#[test]
fn iso_dates() {
    assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
    assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00.000Z");
    assert_eq!(iso8601(4_102_444_799_999), "2099-12-31T23:59:59.999Z");
    assert_eq!(year_of_ms(0), 1970);
    assert_eq!(year_of_ms(1_798_761_599_999), 2026, "the last millisecond of 2026");
    assert_eq!(year_of_ms(1_798_761_600_000), 2027);
}

#[test]
fn hmac_rfc4231_case_2() {
    assert_eq!(
        sign(b"Jefe", b"what do ya want for nothing?"),
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

const SENDING: Sending<'static> = Sending {
    install_id: "00112233445566778899aabbccddeeff",
    sent_ms: 1_717_243_200_123,
    nonce: "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    extension_version: "1.2.3",
};

#[test]
fn report_body_format() {
    let mut log = EventLog::new(10);
    let e = log.push(NewEvent::new(5, EventKind::ForcedLogout).crm("salesforce")).clone();
    let body = report_body(&Batch { batch_id: 7, events: vec![e] }, &SENDING);
    assert_eq!(
        body,
        r#"{"schema":"crm-guard.events.v1","batchId":7,"installId":"00112233445566778899aabbccddeeff","sentMs":1717243200123,"nonce":"0f1e2d3c4b5a69788796a5b4c3d2e1f0","extensionVersion":"1.2.3","events":[{"id":1,"timeMs":5,"kind":"forcedLogout","crmId":"salesforce"}]}"#
    );
}

/// Issue 10, item 5: what makes a replay detectable is inside the signature: changing the
/// install id, the send time or the nonce of a captured body breaks it.
#[test]
fn install_id_send_time_and_nonce_are_signed() {
    let mut log = EventLog::new(10);
    let batch =
        Batch { batch_id: 3, events: vec![log.push(NewEvent::new(5, EventKind::IdleLogout)).clone()] };
    let signed = sign(b"0123456789abcdef", report_body(&batch, &SENDING).as_bytes());
    for other in [
        Sending { install_id: "ffeeddccbbaa99887766554433221100", ..SENDING },
        Sending { sent_ms: SENDING.sent_ms + 1, ..SENDING },
        Sending { nonce: "00000000000000000000000000000000", ..SENDING },
    ] {
        assert_ne!(sign(b"0123456789abcdef", report_body(&batch, &other).as_bytes()), signed, "{other:?}");
    }
    assert_eq!(hex(&[0, 0x0f, 0xa0, 0xff]), "000fa0ff");
    assert!(is_install_id(SENDING.install_id));
    for bad in [
        "",
        "00112233445566778899AABBCCDDEEFF",
        "00112233",
        "0011223344556677889900aabbccddeeff",
        "g0112233445566778899aabbccddeeff",
    ] {
        assert!(!is_install_id(bad), "{bad}");
    }
}

#[test]
fn backoff_schedule() {
    let delays: Vec<u64> = (1..=10).map(backoff_ms).collect();
    assert_eq!(delays, [5, 10, 20, 40, 80, 160, 320, 640, 900, 900].map(|s| s * 1000));
    assert_eq!(backoff_ms(u32::MAX), BACKOFF_MAX_MS);
    let mut q = ReportQueue::new();
    assert!(!q.due(0), "nothing to send");
    q.push(EventLog::new(1).push(NewEvent::new(0, EventKind::IdleLogout)).clone());
    assert!(q.due(0));
    let b = q.next_batch(10).unwrap();
    q.fail(1_000);
    assert!(!q.due(5_999) && q.due(6_000));
    assert_eq!(q.next_batch(10), Some(b.clone()), "a retry resends the same batch");
    q.ack(b.batch_id);
    q.ack(b.batch_id);
    assert!(q.is_empty() && q.failures() == 0);
}

#[derive(Debug, Clone)]
enum Op {
    Push,
    Send(usize),
    AckCurrent,
    /// Acknowledges again a batch acknowledged before (a duplicated response).
    AckAgain(usize),
    Fail(u64),
    Reload,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::Push),
        2 => (1usize..5).prop_map(Op::Send),
        2 => Just(Op::AckCurrent),
        1 => (0usize..10).prop_map(Op::AckAgain),
        1 => (0u64..1_000_000).prop_map(Op::Fail),
        1 => Just(Op::Reload),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// Whatever the sequence of sends, failures, stale and repeated acks, and reloads from
    /// storage, every event is acknowledged exactly once once the queue drains.
    #[test]
    fn queue_never_loses_or_duplicates(ops in prop::collection::vec(op(), 0..60)) {
        let mut log = EventLog::new(5);
        let mut q = ReportQueue::new();
        let mut acked: BTreeMap<u64, u32> = BTreeMap::new();
        let mut current: Option<Batch> = None;
        let mut pushed = 0u64;
        let mut done: Vec<Batch> = Vec::new();
        let ack = |b: &Batch, q: &mut ReportQueue, acked: &mut BTreeMap<u64, u32>, done: &mut Vec<Batch>| {
            let before = q.len();
            q.ack(b.batch_id);
            if q.len() < before {
                prop_assert_eq!(before - q.len(), b.events.len(), "ack removes exactly the batch");
                for e in &b.events {
                    *acked.entry(e.id).or_default() += 1;
                }
                done.push(b.clone());
            }
            Ok(())
        };
        for op in ops {
            match op {
                Op::Push => {
                    q.push(log.push(NewEvent::new(pushed, EventKind::FindingRaised)).clone());
                    pushed += 1;
                }
                Op::Send(max) => {
                    current = q.next_batch(max);
                    if let Some(b) = &current {
                        prop_assert!(!b.events.is_empty() && b.events.len() <= max.max(b.events.len()));
                    }
                }
                Op::AckCurrent => {
                    if let Some(b) = &current {
                        ack(b, &mut q, &mut acked, &mut done)?;
                    }
                }
                Op::AckAgain(i) => {
                    if let Some(b) = done.get(i).cloned() {
                        let before = q.len();
                        q.ack(b.batch_id);
                        prop_assert_eq!(q.len(), before, "acknowledging twice changes nothing");
                    }
                }
                Op::Fail(now) => q.fail(now),
                Op::Reload => q = serde_json::from_str(&serde_json::to_string(&q).unwrap()).unwrap(),
            }
        }
        while let Some(b) = q.next_batch(3) {
            ack(&b, &mut q, &mut acked, &mut done)?;
        }
        prop_assert_eq!(acked.len() as u64, pushed, "every event acknowledged");
        prop_assert!(acked.values().all(|n| *n == 1), "no event acknowledged twice");
        prop_assert!(acked.keys().copied().eq(1..=pushed));
    }
}

#[test]
fn every_event_kind_is_listed_once_and_named_as_serialised() {
    let mut ids: Vec<&str> = EventKind::ALL.iter().map(|k| k.id()).collect();
    for k in EventKind::ALL {
        assert_eq!(serde_json::to_value(k).unwrap(), k.id());
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), EventKind::ALL.len());
}
