//! Idle and lock auto-logout: the countdown, the warning in every CRM tab, the logout itself,
//! a killed worker, settings changed mid-countdown, the lock, the forced-logout token and the
//! development-only test override.

use crm_guard_core::idle::logout::Cookie;
use crm_guard_core::idle::BrowserIdleState;
use serde_json::{json, Value};

use crate::fake::{content_sender, Browser};
use crate::ports::HttpResponse;
use crate::protocol::names::{IDLE_ALARM, IDLE_TEST_OVERRIDE_KEY};
use crate::protocol::Event;
use crate::EngineError;

const SF: &str = "https://acme.my.salesforce.com/lightning/page/home";
const ODOO: &str = "https://acme.odoo.com/web";
const OTHER: &str = "https://example.test/";
const WARNING_MS: u64 = 60_000;
const LOGOUT_KINDS: [&str; 4] = ["idleLogout", "lockLogout", "forcedLogout", "userLogout"];

fn cookie(name: &str, domain: &str) -> Cookie {
    Cookie {
        name: name.into(),
        domain: domain.into(),
        path: "/".into(),
        secure: true,
        host_only: true,
        store_id: Some("0".into()),
    }
}

/// Two CRM tabs (Salesforce, Odoo) and one other, signed in to both CRMs and to the other site;
/// every logout URL answers with a redirect. The worker has started (`Wake`), the user is active.
fn signed_in() -> Browser {
    signed_in_under(json!({}))
}

fn signed_in_under(policy: Value) -> Browser {
    let b = Browser::new();
    *b.state.managed.borrow_mut() = policy;
    b.navigate(1, SF);
    b.navigate(2, OTHER);
    b.navigate(3, ODOO);
    b.state.cookies.borrow_mut().extend([
        cookie("sid", "acme.my.salesforce.com"),
        cookie("session_id", "acme.odoo.com"),
        cookie("sid", "example.test"),
    ]);
    *b.state.http.borrow_mut() =
        Some(Box::new(|_| Ok(HttpResponse { opaque_redirect: true, ..Default::default() })));
    b.send(Event::Wake).unwrap();
    assert_eq!(b.state.detection_interval.get(), 14 * 60, "15 min − 60 s");
    b
}

/// The browser reports a new idle state (and answers `queryState` with it from now on).
fn browser_is(b: &Browser, state: BrowserIdleState) {
    b.state.idle_state.set(Some(state));
    b.send(Event::IdleChanged { state }).unwrap();
}

fn now(b: &Browser) -> u64 {
    b.state.now.get()
}

fn alarm_at(b: &Browser) -> Option<u64> {
    b.state.alarms.borrow().get(IDLE_ALARM).copied()
}

/// The idle alarm fires: the clock reaches its time (if later) and the event comes.
fn ring(b: &Browser) {
    let at = alarm_at(b).expect("an idle alarm is scheduled");
    if at > now(b) {
        b.advance(at - now(b));
    }
    b.send(Event::Alarm { name: IDLE_ALARM.into() }).unwrap();
}

/// Rings the idle alarm until a logout or `until_ms` (exclusive), whichever comes first.
fn ring_until(b: &Browser, until_ms: u64) {
    let before = logouts(b).len();
    while logouts(b).len() == before && alarm_at(b).is_some_and(|at| at < until_ms) {
        ring(b);
    }
}

fn logouts(b: &Browser) -> Vec<String> {
    b.event_kinds().into_iter().filter(|k| LOGOUT_KINDS.contains(&k.as_str())).collect()
}

/// Messages of this type sent to content scripts, as (tab, message).
fn told(b: &Browser, kind: &str) -> Vec<(i32, Value)> {
    b.state.told.borrow().iter().filter(|(_, m)| m["type"] == kind).cloned().collect()
}

fn told_tabs(b: &Browser, kind: &str) -> Vec<i32> {
    told(b, kind).into_iter().map(|(t, _)| t).collect()
}

/// The deadline announced last to the content scripts.
fn announced(b: &Browser) -> u64 {
    told(b, "idleWarning").last().expect("a warning was shown").1["deadlineMs"].as_u64().unwrap()
}

fn tab_url(b: &Browser, tab: i32) -> String {
    b.state.tabs.borrow().get(&tab).cloned().flatten().unwrap_or_default()
}

fn cookie_names(b: &Browser) -> Vec<(String, String)> {
    b.state.cookies.borrow().iter().map(|c| (c.name.clone(), c.domain.clone())).collect()
}

/// The development-only test override is written (storage.local) and its change reported.
fn set_override(b: &Browser, timeout_ms: u64, warning_ms: u64) {
    let value = json!({"timeoutMs": timeout_ms, "warningMs": warning_ms});
    b.state.local.borrow_mut().insert(IDLE_TEST_OVERRIDE_KEY.into(), value);
    b.send(Event::StorageChanged { area: "local".into(), keys: vec![IDLE_TEST_OVERRIDE_KEY.into()] })
        .unwrap();
}

fn status(b: &Browser, tab: i32) -> Value {
    b.page(json!({"type": "idleStatus", "tabId": tab})).unwrap()
}

/// Nothing of a logout happened: no event, no request, cookies and tabs untouched.
fn assert_signed_in(b: &Browser, why: &str) {
    assert_eq!(logouts(b), Vec::<String>::new(), "{why}");
    assert!(b.state.requests.borrow().is_empty(), "{why}: no logout URL called");
    assert_eq!(b.state.cookies.borrow().len(), 3, "{why}: cookies kept");
    assert_eq!(tab_url(b, 1), SF, "{why}");
    assert!(b.state.cleared_origins.borrow().is_empty(), "{why}");
}

#[test]
fn idle_warns_the_crm_tabs_then_logs_out_of_every_crm_at_the_deadline() {
    let b = signed_in();
    let t0 = now(&b);
    browser_is(&b, BrowserIdleState::Idle);

    // The warning goes to each CRM tab with its CRM's name, never to the other tab.
    let warnings = told(&b, "idleWarning");
    assert_eq!(told_tabs(&b, "idleWarning"), [1, 3]);
    assert_eq!(warnings[0].1["crmName"], "Salesforce");
    assert_eq!(warnings[1].1["crmName"], "Odoo Online");
    let deadline = t0 + WARNING_MS;
    assert!(warnings.iter().all(|(_, m)| m["deadlineMs"] == deadline), "{warnings:?}");
    assert!(alarm_at(&b).is_some_and(|at| at > t0 && at <= deadline));
    // The popup and a content script that reloads see the running countdown.
    let s = status(&b, 1);
    assert_eq!(s["phase"]["phase"], "warning");
    assert_eq!(s["crmTab"], true);
    assert_eq!(status(&b, 2)["crmTab"], false);
    let q = b.content(1, SF, json!({"type": "idleQuery"})).unwrap();
    assert_eq!(q, json!({"deadlineMs": deadline, "crmName": "Salesforce"}));

    // Alarms before the deadline (the 30 s steps) do nothing.
    ring_until(&b, deadline);
    assert!(now(&b) < deadline);
    assert_signed_in(&b, "before the deadline");

    ring(&b);
    assert_eq!(now(&b), deadline);
    assert_eq!(logouts(&b), ["idleLogout"]);
    // 1. Each signed-in CRM's logout URL, with its cookies, redirects not followed.
    let mut called: Vec<String> = b.state.requests.borrow().iter().map(|r| r.url.clone()).collect();
    called.sort();
    assert_eq!(
        called,
        ["https://acme.my.salesforce.com/secur/logout.jsp", "https://acme.odoo.com/web/session/logout"]
    );
    assert!(b.state.requests.borrow().iter().all(|r| r.with_cookies && r.manual_redirect));
    // The content scripts clear the page's own storage.
    assert_eq!(told_tabs(&b, "idleLogout"), [1, 3]);
    // 2. The CRM cookies are gone; the other site's cookie of the same name is kept.
    assert_eq!(cookie_names(&b), [("sid".to_owned(), "example.test".to_owned())]);
    // 3. Site data of the CRM origins only.
    let mut cleared = b.state.cleared_origins.borrow().clone();
    cleared.sort();
    assert_eq!(cleared, ["https://acme.my.salesforce.com", "https://acme.odoo.com"]);
    // 4. The CRM tabs are on the signed-out page, the other tab where it was.
    let signed_out = "chrome-extension://kojhflkoadfcddkikeefjjgeecmhlajk/signed-out.html?";
    assert_eq!(
        tab_url(&b, 1),
        format!(
            "{signed_out}crm=Salesforce&reason=idle&minutes=15&back=https%3A%2F%2Facme.my.salesforce.com%2F"
        )
    );
    assert!(tab_url(&b, 3).starts_with(&format!("{signed_out}crm=Odoo+Online&reason=idle")));
    assert_eq!(tab_url(&b, 2), OTHER);
    assert_eq!(alarm_at(&b), None, "nothing left armed");
    assert_eq!(status(&b, 1)["phase"]["phase"], "loggedOut");

    // Once per idle period: more alarms, a woken worker, the page's timer change nothing.
    b.send(Event::Alarm { name: IDLE_ALARM.into() }).unwrap();
    b.send(Event::IdleChanged { state: BrowserIdleState::Idle }).unwrap();
    b.content(3, ODOO, json!({"type": "idleDeadline"})).unwrap();
    let b = b.restart();
    b.advance(10 * 60_000);
    b.send(Event::Alarm { name: IDLE_ALARM.into() }).unwrap();
    assert_eq!(logouts(&b), ["idleLogout"]);
    assert_eq!(b.state.requests.borrow().len(), 2);
}

#[test]
fn the_next_idle_period_after_activity_logs_out_again() {
    let b = signed_in();
    browser_is(&b, BrowserIdleState::Idle);
    ring_until(&b, u64::MAX);
    assert_eq!(logouts(&b), ["idleLogout"]);
    browser_is(&b, BrowserIdleState::Active);
    b.navigate(1, SF);
    browser_is(&b, BrowserIdleState::Idle);
    assert_eq!(told_tabs(&b, "idleWarning").last(), Some(&1));
    ring_until(&b, u64::MAX);
    assert_eq!(logouts(&b), ["idleLogout", "idleLogout"]);
}

#[test]
fn stay_signed_in_or_input_cancels_the_countdown() {
    let b = signed_in();
    browser_is(&b, BrowserIdleState::Idle);
    let deadline = announced(&b);
    b.advance(20_000);

    // A content script on a page that is not a CRM cannot keep the session alive.
    let refused = b.content(2, OTHER, json!({"type": "idleStay"}));
    assert!(matches!(refused, Err(EngineError::Refused(_))), "{refused:?}");
    assert_eq!(status(&b, 1)["phase"]["phase"], "warning");

    // The user's click is device input: the browser, asked, says active.
    b.state.idle_state.set(Some(BrowserIdleState::Active));
    let s = b.content(1, SF, json!({"type": "idleStay"})).unwrap();
    assert_eq!(s["phase"]["phase"], "active");
    assert_eq!(told_tabs(&b, "idleCancel"), [1, 3], "the warning is dropped in every CRM tab");
    assert_eq!(alarm_at(&b), None);
    assert_eq!(b.content(1, SF, json!({"type": "idleQuery"})).unwrap(), Value::Null);
    // A late alarm (cleared too late) and the page's own timer at the old deadline: nothing.
    b.advance(deadline - now(&b) + 1);
    b.send(Event::Alarm { name: IDLE_ALARM.into() }).unwrap();
    b.content(3, ODOO, json!({"type": "idleDeadline"})).unwrap();
    assert_signed_in(&b, "stayed signed in");

    // Input during the next warning cancels it too.
    browser_is(&b, BrowserIdleState::Idle);
    let deadline = announced(&b);
    browser_is(&b, BrowserIdleState::Active);
    assert_eq!(told_tabs(&b, "idleCancel").len(), 4);
    b.advance(deadline - now(&b) + 1);
    b.send(Event::Alarm { name: IDLE_ALARM.into() }).unwrap();
    assert_signed_in(&b, "input came");
}

/// Issue 10, finding 8: "Stay signed in" clicked with no device input (automation, another
/// extension through `debugger`): chrome.idle still says idle and would never fire again. The
/// engine asks it and the countdown goes on — the warning is shown again with its deadline, and
/// the logout comes at that deadline however often it is clicked; while locked, it logs out.
#[test]
fn stay_signed_in_without_device_input_does_not_stop_the_countdown() {
    let b = signed_in();
    browser_is(&b, BrowserIdleState::Idle);
    let deadline = announced(&b);
    for _ in 0..3 {
        b.advance(15_000);
        let s = b.content(1, SF, json!({"type": "idleStay"})).unwrap();
        assert_eq!(s["phase"]["phase"], "warning", "{s}");
        assert_eq!(announced(&b), deadline, "shown again, same deadline");
        assert!(alarm_at(&b).is_some_and(|at| at <= deadline));
    }
    assert_eq!(told_tabs(&b, "idleCancel"), Vec::<i32>::new());
    assert_eq!(b.content(1, SF, json!({"type": "idleQuery"})).unwrap()["deadlineMs"], deadline);
    ring_until(&b, u64::MAX);
    assert_eq!(now(&b), deadline);
    assert_eq!(logouts(&b), ["idleLogout"]);
    assert!(tab_url(&b, 1).contains("signed-out.html"));

    // Locked (and logout on lock): the click logs out at once.
    let b = signed_in();
    browser_is(&b, BrowserIdleState::Idle);
    b.state.idle_state.set(Some(BrowserIdleState::Locked));
    b.content(1, SF, json!({"type": "idleStay"})).unwrap();
    assert_eq!(logouts(&b), ["lockLogout"]);
}

#[test]
fn the_pages_timer_cannot_log_out_before_the_deadline() {
    let b = signed_in();
    browser_is(&b, BrowserIdleState::Idle);
    let deadline = announced(&b);
    b.advance(WARNING_MS - 1);
    b.content(1, SF, json!({"type": "idleDeadline"})).unwrap();
    assert_signed_in(&b, "1 ms early");
    b.advance(1);
    b.content(1, SF, json!({"type": "idleDeadline"})).unwrap();
    assert_eq!(now(&b), deadline);
    assert_eq!(logouts(&b), ["idleLogout"]);
    // The alarm that was still armed for the deadline comes too: still one logout.
    b.send(Event::Alarm { name: IDLE_ALARM.into() }).unwrap();
    assert_eq!(logouts(&b), ["idleLogout"]);
}

#[test]
fn a_worker_killed_mid_countdown_still_logs_out_at_the_alarm_once() {
    let b = signed_in();
    browser_is(&b, BrowserIdleState::Idle);
    let deadline = announced(&b);
    b.advance(25_000);
    let b = b.restart();
    // The woken worker keeps the countdown (the browser still says idle).
    assert_signed_in(&b, "woken mid-countdown");
    assert_eq!(b.content(3, ODOO, json!({"type": "idleQuery"})).unwrap()["deadlineMs"], deadline);
    ring_until(&b, deadline);
    assert_signed_in(&b, "before the deadline");
    // Killed again; the alarm at the deadline wakes a new worker (wake, then the alarm).
    let at = alarm_at(&b).unwrap();
    assert_eq!(at, deadline);
    b.advance(at - now(&b));
    let b = b.restart();
    b.send(Event::Alarm { name: IDLE_ALARM.into() }).unwrap();
    assert_eq!(logouts(&b), ["idleLogout"]);
    assert_eq!(cookie_names(&b), [("sid".to_owned(), "example.test".to_owned())]);
    assert!(tab_url(&b, 1).contains("signed-out.html"));
    // And once more killed after the logout: no second one.
    let b = b.restart();
    b.send(Event::Alarm { name: IDLE_ALARM.into() }).unwrap();
    assert_eq!(logouts(&b), ["idleLogout"]);
    assert_eq!(b.state.requests.borrow().len(), 2);
}

#[test]
fn a_worker_that_slept_through_the_deadline_logs_out_on_wake() {
    let b = signed_in();
    browser_is(&b, BrowserIdleState::Idle);
    b.advance(3 * 60_000);
    let b = b.restart();
    assert_eq!(logouts(&b), ["idleLogout"]);
    // Even with input seen first after a system resume, the session is not rescued.
    let b2 = signed_in();
    browser_is(&b2, BrowserIdleState::Idle);
    b2.advance(3 * 60_000);
    browser_is(&b2, BrowserIdleState::Active);
    assert_eq!(logouts(&b2), ["idleLogout"]);
}

#[test]
fn a_longer_policy_timeout_mid_countdown_moves_the_deadline_later() {
    let b = signed_in();
    browser_is(&b, BrowserIdleState::Idle);
    let first = announced(&b);
    b.advance(10_000);
    b.set_policy(json!({"idleTimeoutMinutes": 20}));
    let second = announced(&b);
    assert_eq!(second, first + 5 * 60_000, "idle start + the new timeout");
    assert_eq!(b.state.detection_interval.get(), 19 * 60, "20 min − 60 s");
    ring_until(&b, second);
    assert!(now(&b) > first);
    assert_signed_in(&b, "past the old deadline");
    ring(&b);
    assert_eq!(now(&b), second);
    assert_eq!(logouts(&b), ["idleLogout"]);
}

#[test]
fn a_shorter_policy_timeout_mid_countdown_never_logs_out_before_the_announced_deadline() {
    let b = signed_in();
    browser_is(&b, BrowserIdleState::Idle);
    let first = announced(&b);
    b.advance(10_000);
    // Same timeout, shorter warning: the deadline stays where it was announced.
    b.set_policy(json!({"warningSeconds": 10}));
    assert_eq!(status(&b, 1)["timeLeftMs"], first - now(&b));
    // The clock goes 2 ms back (seen by the next event): the 50 s left are kept on the new clock.
    b.state.now.set(now(&b) - 2);
    b.send(Event::IdleChanged { state: BrowserIdleState::Idle }).unwrap();
    assert_signed_in(&b, "2 ms back");
    ring_until(&b, first - 2);
    assert_signed_in(&b, "the warning said 50 s");
    assert_eq!(announced(&b), first - 2);
    ring(&b);
    assert_eq!(now(&b), first - 2);
    assert_eq!(logouts(&b), ["idleLogout"]);
}

#[test]
fn a_warning_cut_to_zero_mid_countdown_with_the_clock_2_ms_back_never_logs_out_early() {
    let b = signed_in();
    b.state.development.set(true);
    browser_is(&b, BrowserIdleState::Idle);
    let first = announced(&b);
    b.advance(10_000);
    // The (development) override: same timeout, no warning.
    set_override(&b, 15 * 60_000, 0);
    assert_eq!(b.state.detection_interval.get(), 15 * 60, "the override applies");
    assert_signed_in(&b, "the timeout has not elapsed");
    b.state.now.set(now(&b) - 2);
    // Any idle event now: the alarm, a content script reloading, the browser's state.
    b.content(1, SF, json!({"type": "idleQuery"})).unwrap();
    b.send(Event::IdleChanged { state: BrowserIdleState::Idle }).unwrap();
    assert_signed_in(&b, "2 ms back");
    ring_until(&b, first - 2);
    assert_signed_in(&b, "before the announced deadline");
    ring_until(&b, u64::MAX);
    assert_eq!(logouts(&b), ["idleLogout"]);
    assert_eq!(now(&b), first - 2, "the 50 s left, on the clock 2 ms back");
}

#[test]
fn a_shorter_timeout_that_has_already_elapsed_logs_out_at_once() {
    let b = signed_in();
    browser_is(&b, BrowserIdleState::Idle);
    b.advance(10_000);
    // Idle for 14 min 10 s: a 5-minute timeout has long elapsed.
    b.set_policy(json!({"idleTimeoutMinutes": 5}));
    assert_eq!(logouts(&b), ["idleLogout"]);
    b.set_policy(json!({"idleTimeoutMinutes": 4}));
    assert_eq!(logouts(&b), ["idleLogout"], "once");
}

#[test]
fn lock_logs_out_at_once_with_logout_on_lock() {
    let b = signed_in();
    browser_is(&b, BrowserIdleState::Locked);
    assert_eq!(logouts(&b), ["lockLogout"]);
    assert!(tab_url(&b, 1).contains("reason=locked"));
    assert_eq!(cookie_names(&b), [("sid".to_owned(), "example.test".to_owned())]);
    browser_is(&b, BrowserIdleState::Idle);
    b.advance(WARNING_MS);
    b.send(Event::Alarm { name: IDLE_ALARM.into() }).unwrap();
    assert_eq!(logouts(&b), ["lockLogout"], "one logout per idle period");

    // Locked during the warning: out at once, for the lock.
    let b = signed_in();
    browser_is(&b, BrowserIdleState::Idle);
    b.advance(5_000);
    browser_is(&b, BrowserIdleState::Locked);
    assert_eq!(logouts(&b), ["lockLogout"]);
    assert_eq!(told_tabs(&b, "idleCancel"), [1, 3]);
}

#[test]
fn without_logout_on_lock_a_lock_is_only_idle() {
    let b = signed_in();
    b.set_policy(json!({"logoutOnLock": false}));
    browser_is(&b, BrowserIdleState::Locked);
    assert_signed_in(&b, "locked");
    let deadline = announced(&b);
    assert_eq!(told_tabs(&b, "idleWarning"), [1, 3]);
    ring_until(&b, deadline);
    assert_signed_in(&b, "locked, before the deadline");
    ring(&b);
    assert_eq!(logouts(&b), ["idleLogout"]);
}

#[test]
fn a_changed_force_logout_token_logs_out_once() {
    // The token in force when the machine starts is remembered, not acted on.
    let b = signed_in_under(json!({"forceLogoutToken": "t1"}));
    b.set_policy(json!({"forceLogoutToken": "t1"}));
    assert_signed_in(&b, "first token");
    b.set_policy(json!({"forceLogoutToken": "t2"}));
    assert_eq!(logouts(&b), ["forcedLogout"]);
    assert!(tab_url(&b, 1).contains("reason=forced"));
    assert_eq!(cookie_names(&b), [("sid".to_owned(), "example.test".to_owned())]);
    // The same token again, a killed worker, another policy change, no token: nothing.
    b.set_policy(json!({"forceLogoutToken": "t2"}));
    let b = b.restart();
    b.set_policy(json!({"forceLogoutToken": "t2", "warningSeconds": 30}));
    b.set_policy(json!({}));
    assert_eq!(logouts(&b), ["forcedLogout"]);
    // Signed in again: an idle logout still comes (the forced one left the machine armed).
    b.navigate(1, SF);
    browser_is(&b, BrowserIdleState::Idle);
    ring_until(&b, u64::MAX);
    assert_eq!(logouts(&b), ["forcedLogout", "idleLogout"]);
}

#[test]
fn a_token_changed_while_the_browser_was_closed_logs_out_at_start_once() {
    let b = signed_in_under(json!({"forceLogoutToken": "t1"}));
    assert_signed_in(&b, "first token");
    // The browser closes (session storage goes); IT changes the token meanwhile.
    b.state.session.borrow_mut().clear();
    *b.state.managed.borrow_mut() = json!({"forceLogoutToken": "t2"});
    let b = b.restart();
    b.send(Event::Startup).unwrap();
    b.settle();
    assert_eq!(logouts(&b), ["forcedLogout"]);
    let b = b.restart();
    b.send(Event::StorageChanged { area: "managed".into(), keys: vec![] }).unwrap();
    assert_eq!(logouts(&b), ["forcedLogout"]);
}

#[test]
fn the_idle_test_override_is_honoured_for_development_installs_only() {
    // Packed install: ignored.
    let b = signed_in();
    set_override(&b, 20_000, 5_000);
    let t0 = now(&b);
    browser_is(&b, BrowserIdleState::Idle);
    assert_eq!(announced(&b), t0 + WARNING_MS);
    b.advance(5_000);
    b.send(Event::Alarm { name: IDLE_ALARM.into() }).unwrap();
    assert_signed_in(&b, "override ignored");

    // Unpacked: a 15 s detection interval (the minimum) and a 5 s warning.
    let b = signed_in();
    b.state.development.set(true);
    set_override(&b, 20_000, 5_000);
    assert_eq!(b.state.detection_interval.get(), 15);
    let t0 = now(&b);
    browser_is(&b, BrowserIdleState::Idle);
    assert_eq!(announced(&b), t0 + 5_000);
    ring_until(&b, u64::MAX);
    assert_eq!(now(&b), t0 + 5_000);
    assert_eq!(logouts(&b), ["idleLogout"]);

    // It never makes the logout later.
    let b = signed_in();
    b.state.development.set(true);
    set_override(&b, 3_600_000, 600_000);
    let t0 = now(&b);
    browser_is(&b, BrowserIdleState::Idle);
    assert_eq!(announced(&b), t0 + WARNING_MS);
}

#[test]
fn idle_work_does_not_wait_behind_a_tabs_work_in_flight() {
    let b = signed_in();
    b.state.idle_state.set(Some(BrowserIdleState::Idle));
    // Tab 1's navigation is stuck painting its badge.
    let gate = b.state.paint_gate.try_lock().unwrap();
    let nav = b.start(Event::NavigationCommitted { tab_id: 1, url: SF.into() });
    assert!(nav.borrow().is_none(), "the navigation is in flight");
    // The idle event, the alarm and the CRM tab's own idle messages still run.
    let idle = b.start(Event::IdleChanged { state: BrowserIdleState::Idle });
    assert!(matches!(*idle.borrow(), Some(Ok(_))), "the idle event waited for the tab's work");
    assert_eq!(told_tabs(&b, "idleWarning"), [1, 3]);
    let q = b
        .send(Event::Message { message: json!({"type": "idleQuery"}), sender: content_sender(1, SF) })
        .unwrap();
    assert_eq!(q["crmName"], "Salesforce");
    ring_until(&b, u64::MAX);
    assert_eq!(logouts(&b), ["idleLogout"]);
    assert!(nav.borrow().is_none(), "the navigation is still in flight");
    drop(gate);
    b.settle();
    assert!(matches!(*nav.borrow(), Some(Ok(_))), "the navigation finished");

    // Events arriving together: the tab's and the idle one both complete.
    let b = signed_in();
    let out = b.send_all(vec![
        Event::NavigationCommitted { tab_id: 3, url: ODOO.into() },
        Event::IdleChanged { state: BrowserIdleState::Idle },
        Event::NavigationCommitted { tab_id: 1, url: SF.into() },
    ]);
    assert!(out.iter().all(Result::is_ok), "{out:?}");
    assert_eq!(told_tabs(&b, "idleWarning"), [1, 3]);
    assert_eq!(b.badge_text(1), "badge_secure");
}

/// "Sign out of all CRMs now" (popup): the idle logout's whole path at once — logout URLs, the
/// CRM cookies (the other site's kept), site data, both CRM tabs to the signed-out page (reason
/// `user`) — one `userLogout` event; a running warning ends, and the next idle period counts down
/// again. Only our extension pages may ask.
#[test]
fn sign_out_now_logs_out_of_every_crm_with_one_event() {
    let b = signed_in();
    browser_is(&b, BrowserIdleState::Idle);
    assert_eq!(status(&b, 1)["phase"]["phase"], "warning");

    // A content script, even on a CRM page, cannot sign the user out.
    assert!(b.content(1, SF, json!({"type": "signOutAll"})).is_err());
    assert_eq!(logouts(&b), Vec::<String>::new());

    let s = b.page(json!({"type": "signOutAll"})).unwrap();
    assert_eq!(s["phase"]["phase"], "active", "armed again: {s}");
    assert_eq!(logouts(&b), ["userLogout"]);
    assert_eq!(b.state.requests.borrow().len(), 2, "both logout URLs");
    assert_eq!(cookie_names(&b), [("sid".to_owned(), "example.test".to_owned())]);
    assert_eq!(b.state.cleared_origins.borrow().len(), 2);
    assert!(tab_url(&b, 1).contains("signed-out.html?crm=Salesforce&reason=user&"), "{}", tab_url(&b, 1));
    assert!(tab_url(&b, 3).contains("signed-out.html?crm=Odoo+Online&reason=user&"));
    assert_eq!(tab_url(&b, 2), OTHER);
    assert_eq!(told_tabs(&b, "idleCancel"), [1, 3], "the warning is dropped");
    assert_eq!(alarm_at(&b), None);

    // The old deadline does nothing; a new idle period warns and logs out again.
    b.advance(WARNING_MS);
    b.send(Event::Alarm { name: IDLE_ALARM.into() }).unwrap();
    assert_eq!(logouts(&b), ["userLogout"]);
    b.navigate(1, SF);
    browser_is(&b, BrowserIdleState::Active);
    browser_is(&b, BrowserIdleState::Idle);
    ring_until(&b, announced(&b));
    ring(&b);
    assert_eq!(logouts(&b), ["userLogout", "idleLogout"]);
}
