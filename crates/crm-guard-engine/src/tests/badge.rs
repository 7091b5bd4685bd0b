//! Navigation → verdict → badge, the one tab record, settings snapshot and start-up.

use serde_json::json;

use crate::fake::Browser;
use crate::protocol::Event;

const SF: &str = "https://acme.my.salesforce.com/lightning/page/home";

#[test]
fn a_crm_tab_gets_a_secure_badge_and_a_non_crm_tab_none() {
    let b = Browser::new();
    b.navigate(1, SF);
    b.navigate(2, "https://example.test/");
    assert_eq!(b.badge_text(1), "badge_secure");
    assert_eq!(b.badge(1).unwrap().title, "badgeTitle(Salesforce,level_secure)");
    assert_eq!(b.badge_text(2), "");
    // Nothing is kept about the non-CRM tab.
    assert!(!b.state.session.borrow().contains_key("tab:2"));
}

#[test]
fn plain_http_on_a_crm_host_is_at_risk() {
    let b = Browser::new();
    b.navigate(1, "http://acme.odoo.com/web");
    assert_eq!(b.badge_text(1), "badge_atRisk");
}

#[test]
fn leaving_the_crm_clears_the_badge_and_the_record() {
    let b = Browser::new();
    b.navigate(1, SF);
    b.navigate(1, "https://example.test/page?secret=1");
    assert_eq!(b.badge_text(1), "");
    assert!(b.state.session.borrow().get("tab:1").is_none());
}

#[test]
fn a_lookalike_is_at_risk_and_only_its_origin_is_kept() {
    let b = Browser::new();
    b.navigate(1, "https://salesforce-login.com/path/secret?x=1");
    assert_eq!(b.badge_text(1), "badge_atRisk");
    let rec = b.state.session.borrow().get("tab:1").cloned().unwrap();
    assert_eq!(rec["url"], "https://salesforce-login.com/");
}

#[test]
fn a_killed_worker_keeps_the_tab_and_the_popup_verdict() {
    let b = Browser::new();
    b.navigate(1, "http://acme.odoo.com/web");
    let b = b.restart();
    let v = b.page(json!({"type": "verdict", "tabId": 1})).unwrap();
    assert_eq!(v["level"], "atRisk");
}

#[test]
fn the_first_badge_does_not_wait_for_managed_storage_when_a_snapshot_exists() {
    let b = Browser::new();
    b.set_policy(json!({"disabledCrms": ["odoo"]}));
    b.navigate(1, "https://acme.odoo.com/web");
    assert_eq!(b.badge_text(1), "", "policy disables Odoo");
    // A browser restart: managed storage answers late.
    let state = b.state.clone();
    let gate = state.managed_gate.try_lock().unwrap();
    let reads = state.managed_reads.get();
    let b = b.restart();
    b.navigate(2, "https://acme.odoo.com/web");
    b.navigate(3, SF);
    // Painted at once from the snapshot: the policy in force is still IT's.
    assert_eq!(b.badge_text(2), "");
    assert_eq!(b.badge_text(3), "badge_secure");
    assert_eq!(state.managed_reads.get(), reads, "nothing waited for managed storage");
    drop(gate);
    b.settle();
    assert_eq!(b.badge_text(3), "badge_secure");
    assert_eq!(state.managed_reads.get(), reads + 1, "read once, in the background");
}

#[test]
fn a_policy_changed_while_the_browser_was_closed_applies_when_managed_answers() {
    let b = Browser::new();
    b.set_policy(json!({}));
    b.navigate(1, "https://acme.odoo.com/web");
    let state = b.state.clone();
    let gate = state.managed_gate.try_lock().unwrap();
    *state.managed.borrow_mut() = json!({"disabledCrms": ["odoo"]});
    let b = b.restart();
    b.send(Event::Startup).unwrap();
    assert_eq!(b.badge_text(1), "badge_secure", "the snapshot's policy, until managed answers");
    drop(gate);
    b.settle();
    assert_eq!(b.badge_text(1), "", "managed answered: Odoo is disabled, the tab repainted");
}

/// A first start (no snapshot: the settings wait for managed storage) with several events at
/// once: they all wait for one settings read — one managed read, not one per event — and each
/// gets its answer when it comes.
#[test]
fn events_that_miss_the_settings_at_once_share_one_read() {
    let b = Browser::new();
    *b.state.managed.borrow_mut() = json!({"disabledCrms": ["odoo"]});
    let gate = b.state.managed_gate.try_lock().unwrap();
    let commits: Vec<_> =
        [(1, SF), (2, "https://acme.odoo.com/web"), (3, "https://app.hubspot.com/contacts/1")]
            .into_iter()
            .map(|(tab, url)| b.start(Event::NavigationCommitted { tab_id: tab, url: url.into() }))
            .collect();
    assert!(commits.iter().all(|c| c.borrow().is_none()), "all wait for managed storage");
    drop(gate);
    b.settle();
    assert!(commits.iter().all(|c| matches!(*c.borrow(), Some(Ok(_)))));
    assert_eq!(b.state.managed_reads.get(), 1, "one read for the three events");
    assert_eq!(b.badge_text(1), "badge_secure");
    assert_eq!(b.badge_text(2), "", "the policy read disables Odoo");
    assert_eq!(b.badge_text(3), "badge_secure");
}
