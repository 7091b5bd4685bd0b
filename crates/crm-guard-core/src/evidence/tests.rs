use proptest::prelude::*;

use super::*;
use crate::Level;

fn mixed(host: &str) -> Finding {
    Finding::new(FindingKind::MixedContentPassive).with_detail(host)
}

#[test]
fn one_finding_per_kind_lists_the_first_hosts_and_counts_the_rest() {
    let mut findings = vec![Finding::new(FindingKind::MissingHsts)];
    let added = add_findings(&mut findings, (0..200).map(|i| mixed(&format!("h{i}.test"))));
    assert_eq!(added.new, vec![mixed("h0.test"), mixed("h1.test"), mixed("h2.test")]);
    assert_eq!(added.capped, vec![FindingKind::MixedContentPassive]);
    assert_eq!(findings.len(), 2);
    let agg = &findings[1];
    assert_eq!(agg.detail.as_deref(), Some("h0.test, h1.test, h2.test"));
    assert_eq!(agg.more, 197);
    assert_eq!(agg.details().collect::<Vec<_>>(), ["h0.test", "h1.test", "h2.test"]);

    // The same again: nothing new, nothing capped again, listed hosts are not counted twice.
    let again = add_findings(&mut findings, [mixed("h1.test"), mixed("h300.test")]);
    assert_eq!(again, Added::default());
    assert_eq!(findings[1].more, 198);
}

#[test]
fn kinds_levels_and_detail_less_findings_stay_apart() {
    let mut findings = Vec::new();
    let active = Finding::new(FindingKind::MixedContentActive).with_detail("a.test");
    let raised = Finding { level: Level::AtRisk, ..mixed("a.test") };
    let added = add_findings(
        &mut findings,
        [mixed("a.test"), active.clone(), raised.clone(), Finding::new(FindingKind::MissingHsts)],
    );
    assert_eq!(added.new.len(), 4);
    assert_eq!(findings, vec![mixed("a.test"), active, raised, Finding::new(FindingKind::MissingHsts)]);
    // A duplicate without detail adds nothing.
    assert_eq!(add_findings(&mut findings, [Finding::new(FindingKind::MissingHsts)]), Added::default());
}

#[test]
fn a_detail_holding_the_separator_cannot_pose_as_several() {
    let mut findings = vec![mixed("a.test")];
    let added = add_findings(&mut findings, [mixed("b.test, c.test")]);
    assert!(added.new.is_empty());
    assert_eq!(findings[0].details().count(), 1);
    assert_eq!(findings[0].more, 1);
}

#[test]
fn a_finding_serialises_its_count_only_when_there_is_one() {
    let plain = serde_json::to_value(mixed("a.test")).unwrap_or_default();
    assert!(plain.get("more").is_none());
    let agg = Finding { more: 4, ..mixed("a.test") };
    assert_eq!(serde_json::to_value(&agg).unwrap_or_default()["more"], 4);
    // Records stored before aggregation existed still read.
    let old: Finding =
        serde_json::from_str(r#"{"kind":"mixedContentPassive","level":"warning","detail":"a.test"}"#)
            .unwrap_or_else(|_| Finding::new(FindingKind::MissingHsts));
    assert_eq!(old, mixed("a.test"));
}

fn raised(t: u64, host: &str) -> NewEvent {
    NewEvent::new(t, EventKind::FindingRaised).host(host).level(Level::Warning)
}

/// Logs like the engine does: admitted, capped or dropped.
fn log(log: &mut EventLog, new: NewEvent) -> Admission {
    let admission = admit(log, &new);
    match admission {
        Admission::Keep => {
            log.push(new);
        }
        Admission::CapReached => {
            log.push(host_cap_event(&new));
        }
        Admission::Drop => {}
    }
    admission
}

#[test]
fn one_host_gets_its_window_then_one_cap_event_then_nothing() {
    let mut l = EventLog::new(100);
    l.push(NewEvent::new(0, EventKind::IdleLogout).crm("salesforce"));
    let outcomes: Vec<Admission> =
        (0..1000).map(|i| log(&mut l, raised(10 + i, "acme.my.salesforce.com"))).collect();
    assert!(outcomes[..MAX_EVENTS_PER_HOST].iter().all(|a| *a == Admission::Keep));
    assert_eq!(outcomes[MAX_EVENTS_PER_HOST], Admission::CapReached);
    assert!(outcomes[MAX_EVENTS_PER_HOST + 1..].iter().all(|a| *a == Admission::Drop));
    assert_eq!(l.len(), 1 + MAX_EVENTS_PER_HOST + 1, "the sentinel is still there");
    assert_eq!(l.events().next().map(|e| e.kind), Some(EventKind::IdleLogout));
    let last = l.events().last().cloned();
    assert_eq!(last.as_ref().map(|e| e.kind), Some(EventKind::EvidenceCapped));
    assert_eq!(last.and_then(|e| e.host), Some("acme.my.salesforce.com".to_owned()));

    // Other hosts, and events no page drives, are unaffected.
    assert_eq!(log(&mut l, raised(2000, "globex.my.salesforce.com")), Admission::Keep);
    let logout = NewEvent::new(2001, EventKind::IdleLogout).host("acme.my.salesforce.com");
    assert_eq!(log(&mut l, logout), Admission::Keep);

    // An hour after the first of them, the host's window opens again.
    assert_eq!(log(&mut l, raised(10 + HOST_WINDOW_MS + 2000, "acme.my.salesforce.com")), Admission::Keep);
}

#[test]
fn events_without_a_host_are_not_capped() {
    let mut l = EventLog::new(100);
    for i in 0..50 {
        assert_eq!(log(&mut l, NewEvent::new(i, EventKind::FindingRaised)), Admission::Keep);
    }
}

proptest! {
    /// However one host spreads its reports over four hours, it holds at most its windows' share
    /// of the smallest log policy allows (4 × 21 of 100): the oldest event of another kind survives.
    #[test]
    fn one_host_never_evicts_the_log(steps in proptest::collection::vec(0u64..HOST_WINDOW_MS / 100, 1..400)) {
        let mut l = EventLog::new(100);
        l.push(NewEvent::new(0, EventKind::LockLogout));
        let mut t = 0;
        for dt in steps {
            t += dt;
            log(&mut l, raised(t, "evil.my.site.com"));
        }
        prop_assert_eq!(l.events().next().map(|e| e.kind), Some(EventKind::LockLogout));
    }
}
