//! Password strength, reuse and phishing guard: field classification, scoring (stale requests,
//! a broken scorer), login fingerprints (never the password), reuse across CRMs, the phishing
//! check and its rate limit, the phishing content script's registration.

use serde_json::{json, Value};

use crate::fake::{content_sender, Browser};
use crate::protocol::names::{PW_FINGERPRINTS_KEY, PW_LIMITER_KEY};
use crate::protocol::Event;
use crate::EngineError;

const SF: &str = "https://acme.my.salesforce.com/lightning/page/home";
const HS: &str = "https://app.hubspot.com/contacts/123";
const EVIL: &str = "https://evil.test/login";
const PW: &str = "correct-horse-battery-staple";

/// Every string stored anywhere (local and session storage), as JSON text.
fn all_storage(b: &Browser) -> String {
    let local = b.state.local.borrow();
    let session = b.state.session.borrow();
    local.values().chain(session.values()).map(Value::to_string).collect::<Vec<_>>().join("\n")
}

/// Submits `pw` on the CRM login in `tab` (already on `url`), then the landing page loads.
fn log_in(b: &Browser, tab: i32, url: &str, pw: &str, landing_has_login_field: bool) -> Value {
    assert_eq!(
        b.content(tab, url, json!({"type": "pwLogin", "password": pw, "typed": true})).unwrap(),
        json!(true)
    );
    b.content(tab, url, json!({"type": "pwPage", "hasLoginField": landing_has_login_field})).unwrap()
}

fn fingerprints(b: &Browser) -> Vec<Value> {
    b.state.local.borrow().get(PW_FINGERPRINTS_KEY).and_then(|v| v.as_array().cloned()).unwrap_or_default()
}

fn score_msg(seq: i64, password: &str) -> Event {
    Event::Message {
        message: json!({"type": "pwScore", "seq": seq, "password": password, "values": ["jane.doe@acme.com"]}),
        sender: content_sender(1, SF),
    }
}

#[test]
fn fields_are_classified_with_the_policy_and_a_malformed_descriptor_does_not_fail_the_batch() {
    let b = Browser::new();
    b.set_policy(json!({"passwordMinLength": 16, "passwordMode": "block"}));
    b.navigate(1, SF);
    let reply = b
        .content(
            1,
            SF,
            json!({"type": "pwFields", "fields": [
                {"autocomplete": "new-password"},
                {"autocomplete": "current-password", "formPasswordCount": 2, "indexInForm": 0},
                {"name": "pw", "formHasEmailOrUsername": true, "urlPath": "/login"},
                {"formPasswordCount": "three", "name": 42},
                "not an object",
            ]}),
        )
        .unwrap();
    assert_eq!(reply["kinds"], json!(["newPassword", "currentPassword", "login", "unknown", "unknown"]));
    assert_eq!(reply["policy"], json!({"minLength": 16, "minScore": 3, "mode": "block"}));
}

#[test]
fn a_score_reply_carries_its_seq_and_the_judgement() {
    let b = Browser::new();
    b.navigate(1, SF);
    let strong = b.send(score_msg(7, "a-long-enough-passphrase")).unwrap();
    assert_eq!(strong["seq"], 7);
    assert_eq!(strong["acceptable"], true);
    assert_eq!(strong["label"], "strong");
    assert_eq!(strong["minLength"], 12);
    assert!(strong.get("stale").is_none());
    let weak = b.send(score_msg(8, "short")).unwrap();
    assert_eq!(weak["seq"], 8);
    assert_eq!(weak["acceptable"], false);
    assert_eq!(weak["blockSubmit"], false, "warn mode by default");
    assert_eq!(weak["reasons"][0]["type"], "tooShort");
    assert!(!weak.to_string().contains("short\""), "the reply never echoes the password");
}

#[test]
fn of_two_score_requests_delivered_together_only_the_latest_is_scored() {
    let b = Browser::new();
    b.navigate(1, SF);
    let scores = b.state.scores.get();
    let out = b.send_all(vec![score_msg(1, "first-try"), score_msg(2, "second-try-longer")]);
    let first = out[0].clone().unwrap();
    let second = out[1].clone().unwrap();
    assert_eq!(first, json!({"seq": 1, "stale": true}));
    assert_eq!(second["seq"], 2);
    assert!(second.get("stale").is_none());
    assert!(second.get("label").is_some());
    assert_eq!(b.state.scores.get(), scores + 1, "the stale request was not scored");
    // Another frame of the same tab is not made stale by this one.
    let mut other_frame = content_sender(1, SF);
    other_frame.frame_id = Some(3);
    let out = b.send_all(vec![
        score_msg(10, "main-frame-pw"),
        Event::Message {
            message: json!({"type": "pwScore", "seq": 1, "password": "frame-three-pw"}),
            sender: other_frame,
        },
    ]);
    assert!(out.iter().all(|r| r.as_ref().unwrap().get("label").is_some()), "{out:?}");
}

#[test]
fn a_new_document_in_the_tab_starts_its_score_sequence_afresh() {
    let b = Browser::new();
    b.navigate(1, SF);
    for seq in 1..=5 {
        assert!(b.send(score_msg(seq, "typing-along")).unwrap().get("label").is_some());
    }
    // The page reloads (or the user goes to another page of the CRM): its content script counts
    // from 1 again, and its first keystroke is not "stale".
    b.navigate(1, SF);
    let first = b.send(score_msg(1, "typing-again")).unwrap();
    assert!(first.get("stale").is_none(), "{first}");
    assert_eq!(first["seq"], 1);
}

#[test]
fn a_broken_scorer_is_unavailable_never_acceptable_and_blocks_in_block_mode() {
    let b = Browser::new();
    b.navigate(1, SF);
    b.state.scorer_broken.set(true);
    let warn = b.send(score_msg(1, "a-very-long-and-surely-strong-passphrase")).unwrap();
    assert_eq!(warn["label"], "unavailable");
    assert_eq!(warn["acceptable"], false);
    assert_eq!(warn["meterLevel"], 0);
    assert_eq!(warn["blockSubmit"], false);
    assert!(b.state.errors.borrow().iter().any(|e| e.contains("scorer")), "the failure is reported");
    assert!(!b.state.errors.borrow().iter().any(|e| e.contains("surely-strong")), "never the password");
    b.set_policy(json!({"passwordMode": "block"}));
    let block = b.send(score_msg(2, "a-very-long-and-surely-strong-passphrase")).unwrap();
    assert_eq!(block["label"], "unavailable");
    assert_eq!(block["acceptable"], false);
    assert_eq!(block["blockSubmit"], true);
}

#[test]
fn a_successful_login_stores_one_fingerprint_and_never_the_password() {
    let b = Browser::new();
    b.navigate(1, SF);
    let names = log_in(&b, 1, SF, PW, false);
    assert_eq!(names, json!([]), "no other CRM shares it");
    let fps = fingerprints(&b);
    assert_eq!(fps.len(), 1, "{fps:?}");
    assert_eq!(fps[0]["crmId"], "salesforce");
    assert_eq!(fps[0]["length"], PW.chars().count());
    let stored = all_storage(&b);
    assert!(!stored.contains(PW) && !stored.contains("horse"), "no password in storage: {stored}");
    assert!(b.state.session.borrow().get("tab:1").unwrap().get("pwPending").is_none_or(Value::is_null));
    // Logging in again on the same CRM replaces it, never adds a second one.
    log_in(&b, 1, SF, "another-password-entirely", false);
    assert_eq!(fingerprints(&b).len(), 1);
    assert_eq!(b.event_kinds(), Vec::<String>::new());
}

#[test]
fn a_landing_page_delivered_with_its_login_waits_for_the_derivation() {
    let b = Browser::new();
    b.navigate(1, SF);
    b.navigate(2, HS);
    b.state.interleave.set(true);
    let msg = |tab: i32, url: &str, m: Value| Event::Message { message: m, sender: content_sender(tab, url) };
    // Two first logins at once (the install's salt is created by one of them), each followed at
    // once by its landing page.
    let out = b.send_all(vec![
        msg(1, SF, json!({"type": "pwLogin", "password": PW, "typed": true})),
        msg(2, HS, json!({"type": "pwLogin", "password": PW, "typed": true})),
        msg(1, SF, json!({"type": "pwPage", "hasLoginField": false})),
        msg(2, HS, json!({"type": "pwPage", "hasLoginField": false})),
    ]);
    assert!(out.iter().all(Result::is_ok), "{out:?}");
    assert_eq!(out[0].as_ref().unwrap(), &json!(true));
    let fps = fingerprints(&b);
    assert_eq!(fps.len(), 2, "{fps:?}");
    assert_eq!(fps[0]["bits"], fps[1]["bits"], "one salt for both derivations");
    assert_eq!(b.event_kinds(), vec!["passwordReuse"]);
    assert_eq!(b.badge_text(1), "badge_warning");
    assert_eq!(b.badge_text(2), "badge_warning");
}

#[test]
fn a_failed_login_stores_nothing() {
    let b = Browser::new();
    b.navigate(1, SF);
    log_in(&b, 1, SF, "typo-password", true);
    assert!(fingerprints(&b).is_empty());
    assert!(b.state.session.borrow().get("tab:1").unwrap().get("pwPending").is_none_or(Value::is_null));
    // A page of another site after the submit: we cannot tell, nothing is stored either.
    b.content(1, SF, json!({"type": "pwLogin", "password": PW, "typed": true})).unwrap();
    b.navigate(1, HS);
    b.content(1, HS, json!({"type": "pwPage", "hasLoginField": false})).unwrap();
    assert!(fingerprints(&b).is_empty());
}

#[test]
fn the_same_password_on_two_crms_is_a_reuse_finding_on_both_tabs() {
    let b = Browser::new();
    b.navigate(1, SF);
    b.navigate(2, HS);
    log_in(&b, 1, SF, PW, false);
    assert_eq!(b.badge_text(1), "badge_secure");
    let names = log_in(&b, 2, HS, PW, false);
    assert_eq!(names, json!(["Salesforce"]));
    assert_eq!(fingerprints(&b).len(), 2);
    assert_eq!(b.event_kinds(), vec!["passwordReuse"]);
    for (tab, other) in [(1, "HubSpot"), (2, "Salesforce")] {
        assert_eq!(b.badge_text(tab), "badge_warning", "tab {tab}");
        let v = b.page(json!({"type": "verdict", "tabId": tab})).unwrap();
        assert_eq!(v["level"], "warning");
        assert!(
            v["findings"]
                .as_array()
                .unwrap()
                .contains(&json!({"kind": "passwordReuse", "level": "warning", "detail": other})),
            "tab {tab}: {v}"
        );
    }
    let log = b.page(json!({"type": "events", "filter": {}})).unwrap();
    let e = &log["events"][0];
    assert_eq!(e["crmId"], "hubspot");
    assert_eq!(e["host"], "app.hubspot.com");
    assert_eq!(e["detail"], "Salesforce");
    assert!(!all_storage(&b).contains(PW));
    // The Salesforce tab's next page still says so (from the stored fingerprints).
    b.navigate(1, SF);
    let again = b.content(1, SF, json!({"type": "pwPage", "hasLoginField": false})).unwrap();
    assert_eq!(again, json!(["HubSpot"]));
    assert_eq!(b.badge_text(1), "badge_warning");
    // A different password on a third CRM is no finding.
    b.navigate(3, "https://acme.odoo.com/web");
    assert_eq!(log_in(&b, 3, "https://acme.odoo.com/web", "unrelated-secret-99", false), json!([]));
    assert_eq!(b.badge_text(3), "badge_secure");
    assert_eq!(b.event_kinds(), vec!["passwordReuse"]);
}

#[test]
fn password_messages_from_a_non_crm_page_are_refused() {
    let b = Browser::new();
    b.navigate(1, EVIL);
    for msg in [
        json!({"type": "pwFields", "fields": []}),
        json!({"type": "pwScore", "seq": 1, "password": PW}),
        json!({"type": "pwLogin", "password": PW, "typed": true}),
        json!({"type": "pwPage", "hasLoginField": false}),
        json!({"type": "pwBlocked"}),
    ] {
        let out = b.content(1, EVIL, msg.clone());
        assert!(matches!(out, Err(EngineError::Refused(_))), "{msg}: {out:?}");
    }
    // Nor from a lookalike of a CRM.
    let out = b.content(
        2,
        "https://salesforce-login.com/",
        json!({"type": "pwLogin", "password": PW, "typed": true}),
    );
    assert!(matches!(out, Err(EngineError::Refused(_))), "{out:?}");
    assert_eq!(b.state.derivations.get(), 0);
    assert_eq!(b.state.scores.get(), 0);
    assert!(fingerprints(&b).is_empty());
}

/// A browser whose Salesforce password is known (fingerprint stored), phishing guard `on`.
fn with_salesforce_password(phishing_guard: bool) -> Browser {
    let b = Browser::new();
    b.set_policy(json!({"phishingGuard": phishing_guard}));
    b.navigate(1, SF);
    log_in(&b, 1, SF, PW, false);
    assert_eq!(fingerprints(&b).len(), 1);
    b.navigate(2, EVIL);
    b
}

fn phish(b: &Browser, pw: &str) -> Value {
    b.content(2, EVIL, json!({"type": "pwPhish", "password": pw})).unwrap()
}

#[test]
fn a_crm_password_typed_on_another_site_raises_the_phishing_alert() {
    let b = with_salesforce_password(true);
    assert_eq!(phish(&b, "not-the-crm-password"), Value::Null);
    assert_eq!(b.event_kinds(), Vec::<String>::new());
    let alert = phish(&b, PW);
    assert_eq!(alert, json!({"crmId": "salesforce", "crmName": "Salesforce"}));
    assert_eq!(b.event_kinds(), vec!["phishingAlert"]);
    let log = b.page(json!({"type": "events"})).unwrap();
    let e = &log["events"][0];
    assert_eq!(e["host"], "evil.test");
    assert_eq!(e["level"], "atRisk");
    assert_eq!(e["crmId"], "salesforce");
    assert!(!all_storage(&b).contains(PW));
    // On the CRM itself it is no phishing.
    assert_eq!(b.content(1, SF, json!({"type": "pwPhish", "password": PW})).unwrap(), Value::Null);
    assert_eq!(b.event_kinds().len(), 1);
}

#[test]
fn phishing_checks_are_limited_to_six_a_minute_and_the_seventh_derives_nothing() {
    let b = with_salesforce_password(true);
    for i in 0..6 {
        let out = phish(&b, &format!("guess-{i}"));
        assert_eq!(out, Value::Null, "check {i}");
    }
    let derivations = b.state.derivations.get();
    assert_eq!(phish(&b, PW), json!({"limited": true}));
    assert_eq!(b.state.derivations.get(), derivations, "a limited check does not derive");
    assert_eq!(b.event_kinds(), Vec::<String>::new());
    // The limit survives the worker.
    let b = b.restart();
    assert_eq!(phish(&b, PW), json!({"limited": true}));
    assert_eq!(b.state.derivations.get(), derivations);
    assert!(b.state.session.borrow().contains_key(PW_LIMITER_KEY));
    // A minute later, checks run again.
    b.advance(60_001);
    assert_eq!(phish(&b, PW)["crmId"], "salesforce");
    assert_eq!(b.state.derivations.get(), derivations + 1);
    assert_eq!(b.event_kinds(), vec!["phishingAlert"]);
}

#[test]
fn without_the_phishing_policy_nothing_is_checked() {
    let b = with_salesforce_password(false);
    let derivations = b.state.derivations.get();
    for _ in 0..3 {
        assert_eq!(phish(&b, PW), Value::Null);
    }
    assert_eq!(b.state.derivations.get(), derivations);
    assert_eq!(b.event_kinds(), Vec::<String>::new());
    assert!(!b.state.session.borrow().contains_key(PW_LIMITER_KEY));
}

#[test]
fn the_phishing_script_is_registered_exactly_with_the_policy_and_all_urls() {
    let b = Browser::new();
    b.send(Event::Installed).unwrap();
    assert!(!b.state.phishing_registered.get());
    b.set_policy(json!({"phishingGuard": true}));
    assert!(!b.state.phishing_registered.get(), "wanted but <all_urls> not granted");
    assert_eq!(
        b.page(json!({"type": "pwPhishingStatus"})).unwrap(),
        json!({"wanted": true, "granted": false})
    );
    b.state.all_urls.set(true);
    b.send(Event::PermissionsChanged).unwrap();
    assert!(b.state.phishing_registered.get());
    assert_eq!(
        b.page(json!({"type": "pwPhishingStatus"})).unwrap(),
        json!({"wanted": true, "granted": true})
    );
    b.set_policy(json!({"phishingGuard": false}));
    assert!(!b.state.phishing_registered.get(), "policy turned it off");
    b.set_policy(json!({"phishingGuard": true}));
    assert!(b.state.phishing_registered.get());
    b.state.all_urls.set(false);
    b.send(Event::PermissionsChanged).unwrap();
    assert!(!b.state.phishing_registered.get(), "permission withdrawn");
    // User options can turn it on too when IT does not lock it.
    b.set_policy(json!({}));
    b.state.all_urls.set(true);
    b.page(json!({"type": "saveOptions", "options": {"phishingGuard": true}})).unwrap();
    b.send(Event::StorageChanged { area: "local".into(), keys: vec!["options".into()] }).unwrap();
    assert!(b.state.phishing_registered.get());
}

/// Issue 13: the scorer is a WASM module of its own. Navigations, alarms, the idle state and the
/// popup never load it; a page reporting a password field does (after its reply), and so does a
/// score request on a worker that restarted since.
#[test]
fn the_scorer_is_loaded_only_for_password_fields() {
    let b = Browser::new();
    b.navigate(1, SF);
    b.navigate(2, HS);
    b.send(Event::Alarm { name: crate::protocol::names::REPORT_ALARM.into() }).unwrap();
    b.send(Event::Alarm { name: crate::protocol::names::IDLE_ALARM.into() }).unwrap();
    b.page(json!({"type": "verdict", "tabId": 1})).unwrap();
    b.advance(60_000);
    b.settle();
    assert_eq!(b.state.scorer_loads.get(), 0, "nothing but a password field loads the scorer");
    b.content(1, SF, json!({"type": "pwFields", "fields": [{"autocomplete": "new-password"}]})).unwrap();
    b.settle();
    assert_eq!(b.state.scorer_loads.get(), 1);
    assert!(b.state.scorer_loaded.get());
    let b = b.restart();
    b.state.scorer_loaded.set(false); // a new worker: a new scorer instance to load
    let s = b.send(score_msg(1, PW)).unwrap();
    assert!(s["score"].is_number(), "{s}");
}

/// A cold worker still reading its settings (here the first start, waiting for managed
/// storage): a score request has the scorer's module fetched at once, beside that wait — the
/// first keystroke's meter waits for the longer of the two, not for both in sequence.
#[test]
fn a_score_request_fetches_the_scorer_while_the_settings_are_read() {
    let b = Browser::new();
    let state = b.state.clone();
    let gate = state.managed_gate.try_lock().unwrap();
    let reply = b.start(score_msg(1, PW));
    assert!(reply.borrow().is_none(), "the request waits for the settings");
    assert_eq!(state.scorer_loads.get(), 1, "the scorer is fetched meanwhile");
    assert!(state.scorer_loaded.get());
    drop(gate);
    b.settle();
    let r = reply.borrow_mut().take().unwrap().unwrap();
    assert!(r["score"].is_number(), "{r}");
    assert_eq!(state.scorer_loads.get(), 1, "fetched once");
}

/// A scorer module that cannot be fetched or compiled: "unavailable" (block mode blocks), the
/// failure logged, and loaded again on the next request — which scores once it can.
#[test]
fn a_scorer_that_cannot_load_is_unavailable_and_loaded_again_later() {
    let b = Browser::new();
    b.set_policy(json!({"passwordMode": "block"}));
    b.navigate(1, SF);
    b.state.scorer_unloadable.set(true);
    let first = b.send(score_msg(1, PW)).unwrap();
    assert_eq!(first["label"], "unavailable");
    assert_eq!(first["blockSubmit"], true);
    assert!(b.state.errors.borrow().iter().any(|e| e.contains("scorer")), "{:?}", b.state.errors.borrow());
    let failed_fetches = b.state.scorer_loads.get();
    b.state.scorer_unloadable.set(false);
    let second = b.send(score_msg(2, PW)).unwrap();
    assert_ne!(second["label"], "unavailable", "{second}");
    assert_eq!(b.state.scorer_loads.get(), failed_fetches + 1, "fetched again, once");
}
