//! The security event log (listing, filters, exports, bound), the reporting endpoint (signed
//! batches, back-off, a killed worker), policy errors logged once, options and the settings reply.

use std::collections::BTreeMap;
use std::rc::Rc;

use serde_json::{json, Value};

use crate::fake::Browser;
use crate::ports::{HttpRequest, HttpResponse};
use crate::protocol::names::{
    EVENT_LOG_KEY, OPTIONS_KEY, POLICY_DIGESTS_KEY, REPORT_ALARM, REPORT_QUEUE_KEY,
};
use crate::protocol::Event;
use crate::EngineError;

const SF: &str = "https://acme.my.salesforce.com/setup/password";
const HS: &str = "https://app.hubspot.com/settings/password";
const ENDPOINT: &str = "https://siem.acme.com/crm-guard/events";
const SECRET: &str = "0123456789abcdef-report-secret";

/// One `weakPasswordBlocked` event for the CRM of `url` (no level), each from a tab of its own
/// (one tab's page-driven messages have a budget: `crate::limits`).
fn blocked(b: &Browser, url: &str) {
    thread_local!(static TAB: std::cell::Cell<i32> = const { std::cell::Cell::new(100) });
    let tab = TAB.with(|t| t.replace(t.get() + 1));
    assert_eq!(b.content(tab, url, json!({"type": "pwBlocked"})).unwrap(), Value::Null);
}

fn list(b: &Browser, filter: Value) -> Value {
    b.page(json!({"type": "events", "filter": filter})).unwrap()
}

fn ids(events: &Value) -> Vec<u64> {
    events.as_array().unwrap().iter().map(|e| e["id"].as_u64().unwrap()).collect()
}

/// Answers every fetch with `status`.
fn answer(b: &Browser, status: u16) {
    *b.state.http.borrow_mut() =
        Some(Box::new(move |_: &HttpRequest| Ok(HttpResponse { status, ..HttpResponse::default() })));
}

/// The requests to the endpoint so far, as (batchId, event ids), each checked for its signature.
fn reports(b: &Browser) -> Vec<(u64, Vec<u64>)> {
    b.signed_sendings(ENDPOINT, SECRET)
        .into_iter()
        .map(|(r, body)| {
            assert!(!r.with_cookies);
            assert_eq!(body["schema"], "crm-guard.events.v1");
            assert_eq!(body["extensionVersion"], "0.1.0");
            (body["batchId"].as_u64().unwrap(), ids(&body["events"]))
        })
        .collect()
}

fn reporting_policy(extra: Value) -> Value {
    let mut p = json!({"reportingUrl": ENDPOINT, "reportingHmacSecret": SECRET});
    p.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    p
}

fn status(b: &Browser) -> Value {
    b.page(json!({"type": "reportingStatus"})).unwrap()
}

#[test]
fn events_are_listed_newest_first_and_filtered() {
    let b = Browser::new();
    // 1: a policy error (managed: at risk, no CRM); 2–4: blocked weak passwords (no level).
    b.set_policy(json!({"idleTimeoutMinutes": "soon"}));
    blocked(&b, SF);
    blocked(&b, HS);
    blocked(&b, SF);
    let all = list(&b, json!({}));
    assert_eq!(ids(&all["events"]), vec![4, 3, 2, 1]);
    assert_eq!(all["total"], 4);
    assert_eq!(all["matching"], 4);
    assert_eq!(all["crms"], json!(["hubspot", "salesforce"]));
    assert_eq!(all["events"][0]["kind"], "weakPasswordBlocked");
    assert_eq!(all["events"][0]["host"], "acme.my.salesforce.com", "the host only, never the path");
    assert_eq!(all["events"][3]["kind"], "policyError");
    assert_eq!(all["events"][3]["level"], "atRisk");

    let sf = list(&b, json!({"crmId": "salesforce"}));
    assert_eq!(ids(&sf["events"]), vec![4, 2]);
    assert_eq!(sf["matching"], 2);
    assert_eq!(sf["total"], 4);
    assert_eq!(ids(&list(&b, json!({"kind": "policyError"}))["events"]), vec![1]);
    assert_eq!(ids(&list(&b, json!({"minLevel": "warning"}))["events"]), vec![1]);
    assert_eq!(ids(&list(&b, json!({"kind": "weakPasswordBlocked", "crmId": "hubspot"}))["events"]), vec![3]);
    // Empty and foreign fields are ignored; a missing filter is no filter.
    assert_eq!(
        ids(&list(&b, json!({"crmId": "", "kind": "", "other": 1, "minLevel": 3}))["events"]),
        vec![4, 3, 2, 1]
    );
    assert_eq!(ids(&b.page(json!({"type": "events"})).unwrap()["events"]), vec![4, 3, 2, 1]);
    // An unknown kind is a malformed filter.
    let bad = b.page(json!({"type": "events", "filter": {"kind": "nope"}}));
    assert!(matches!(bad, Err(EngineError::Malformed(_))), "{bad:?}");
    // Only extension pages may read the log.
    let from_page = b.content(1, SF, json!({"type": "events"}));
    assert!(matches!(from_page, Err(EngineError::Refused(_))), "{from_page:?}");
    // The log survives the worker.
    let b = b.restart();
    assert_eq!(ids(&list(&b, json!({}))["events"]), vec![4, 3, 2, 1]);
}

#[test]
fn events_export_as_json_and_csv_with_the_filter() {
    let b = Browser::new();
    blocked(&b, SF);
    blocked(&b, HS);
    blocked(&b, SF);
    let json_text =
        b.page(json!({"type": "exportEvents", "format": "json", "filter": {"crmId": "salesforce"}})).unwrap();
    let exported: Value = serde_json::from_str(json_text.as_str().unwrap()).unwrap();
    assert_eq!(ids(&exported), vec![1, 3], "oldest first, filtered");
    assert_eq!(exported[0]["kind"], "weakPasswordBlocked");
    let csv = b.page(json!({"type": "exportEvents", "format": "csv"})).unwrap();
    let lines: Vec<&str> = csv.as_str().unwrap().split("\r\n").collect();
    assert_eq!(lines[0], "id,time,kind,crm,host,level,detail");
    assert_eq!(lines.len(), 5, "header, 3 events, trailing empty: {lines:?}");
    assert!(lines[2].starts_with("2,2025-06-15T"), "{}", lines[2]);
    assert!(lines[2].contains(",weakPasswordBlocked,hubspot,app.hubspot.com,"), "{}", lines[2]);
    let bad = b.page(json!({"type": "exportEvents", "format": "xml"}));
    assert!(matches!(bad, Err(EngineError::Malformed(_))), "{bad:?}");
}

#[test]
fn the_log_is_bounded_by_policy() {
    let b = Browser::new();
    b.set_policy(json!({"eventLogSize": 100}));
    // Minutes apart: one host's events in an hour are capped (`hostile.rs`), these are not.
    let blocked = |b: &Browser, url: &str| {
        b.advance(4 * 60 * 1000);
        blocked(b, url);
    };
    for _ in 0..105 {
        blocked(&b, SF);
    }
    let all = list(&b, json!({}));
    assert_eq!(all["total"], 100);
    let listed = ids(&all["events"]);
    assert_eq!((listed[0], listed[99]), (105, 6), "the oldest were dropped");
    let stored = b.state.local.borrow().get(EVENT_LOG_KEY).cloned().unwrap();
    assert_eq!(stored["events"].as_array().unwrap().len(), 100, "storage holds no more than policy allows");
    // A larger bound keeps more from then on; a smaller one trims at the next event.
    b.set_policy(json!({"eventLogSize": 200}));
    for _ in 0..50 {
        blocked(&b, HS);
    }
    assert_eq!(list(&b, json!({}))["total"], 150);
    b.set_policy(json!({"eventLogSize": 120}));
    blocked(&b, HS);
    let all = list(&b, json!({}));
    assert_eq!(all["total"], 120);
    assert_eq!(ids(&all["events"])[0], 156);
}

#[test]
fn events_reach_the_endpoint_in_signed_batches() {
    let b = Browser::new();
    answer(&b, 200);
    blocked(&b, SF);
    assert!(reports(&b).is_empty(), "no reporting without policy");
    b.set_policy(reporting_policy(json!({"reportingBatchSize": 2})));
    assert!(reports(&b).is_empty(), "events logged before reporting was on are not queued");
    blocked(&b, SF);
    blocked(&b, HS);
    let sent = reports(&b);
    let all: Vec<u64> = sent.iter().flat_map(|(_, ids)| ids.clone()).collect();
    assert_eq!(all, vec![2, 3]);
    assert_eq!(status(&b)["queued"], 0);
    assert_eq!(status(&b)["enabled"], true);
    assert!(b.state.local.borrow().get(REPORT_QUEUE_KEY).is_some());
    // Events that pile up while the endpoint is down leave in batches of at most 2.
    answer(&b, 503);
    for _ in 0..4 {
        blocked(&b, HS);
    }
    answer(&b, 200);
    b.advance(60_000);
    b.send(Event::Alarm { name: REPORT_ALARM.into() }).unwrap();
    let sent = reports(&b);
    assert!(sent.iter().all(|(_, ids)| ids.len() <= 2), "{sent:?}");
    let mut delivered: Vec<u64> = sent.iter().flat_map(|(_, ids)| ids.clone()).collect();
    delivered.sort_unstable();
    delivered.dedup();
    assert_eq!(delivered, vec![2, 3, 4, 5, 6, 7]);
    assert_eq!(status(&b)["queued"], 0);
    // No secret in the log, the queue or the requests' bodies.
    for key in [EVENT_LOG_KEY, REPORT_QUEUE_KEY] {
        assert!(!b.state.local.borrow()[key].to_string().contains(SECRET), "{key}");
    }
    assert!(b.state.requests.borrow().iter().all(|r| !r.body.clone().unwrap_or_default().contains(SECRET)));
}

#[test]
fn events_logged_concurrently_are_all_kept_and_reported_once() {
    let b = Browser::new();
    b.set_policy(reporting_policy(json!({"reportingBatchSize": 3})));
    answer(&b, 200);
    b.state.interleave.set(true);
    let msgs = (0..10)
        .map(|i| Event::Message {
            message: json!({"type": "pwBlocked"}),
            sender: crate::fake::content_sender(i, if i % 2 == 0 { SF } else { HS }),
        })
        .collect();
    assert!(b.send_all(msgs).iter().all(Result::is_ok));
    b.settle();
    assert_eq!(ids(&list(&b, json!({}))["events"]), (1..=10).rev().collect::<Vec<_>>());
    let stored = b.state.local.borrow()[EVENT_LOG_KEY]["events"].as_array().unwrap().len();
    assert_eq!(stored, 10, "the stored log lost none");
    let mut sent: Vec<u64> = reports(&b).into_iter().flat_map(|(_, ids)| ids).collect();
    sent.sort_unstable();
    assert_eq!(sent, (1..=10).collect::<Vec<_>>(), "each event reported once");
    assert_eq!(status(&b)["queued"], 0);
}

#[test]
fn a_failed_report_backs_off_and_the_alarm_resends_the_same_batch() {
    let b = Browser::new();
    b.set_policy(reporting_policy(json!({})));
    answer(&b, 500);
    blocked(&b, SF);
    assert_eq!(reports(&b), vec![(1, vec![1])]);
    let alarm = b.state.alarms.borrow().get(REPORT_ALARM).copied().expect("the back-off alarm");
    assert!(alarm >= b.state.now.get() + 5_000, "backs off 5 s");
    assert_eq!(status(&b)["failures"], 1);
    // Events during the back-off wait for it (no request each time).
    blocked(&b, HS);
    assert_eq!(reports(&b).len(), 1);
    // An early alarm sends nothing either.
    b.send(Event::Alarm { name: REPORT_ALARM.into() }).unwrap();
    assert_eq!(reports(&b).len(), 1);
    // A second failure doubles the back-off.
    b.state.now.set(alarm);
    b.send(Event::Alarm { name: REPORT_ALARM.into() }).unwrap();
    assert_eq!(reports(&b), vec![(1, vec![1]), (1, vec![1])]);
    let alarm2 = b.state.alarms.borrow().get(REPORT_ALARM).copied().unwrap();
    assert!(alarm2 >= b.state.now.get() + 10_000);
    assert_eq!(status(&b)["failures"], 2);
    // The endpoint is back: the same batch (same id, same events), then the rest.
    answer(&b, 200);
    b.state.now.set(alarm2);
    b.send(Event::Alarm { name: REPORT_ALARM.into() }).unwrap();
    assert_eq!(reports(&b), vec![(1, vec![1]), (1, vec![1]), (1, vec![1]), (2, vec![2])]);
    assert_eq!(status(&b)["queued"], 0);
    assert_eq!(status(&b)["failures"], 0);
}

#[test]
fn a_killed_worker_loses_no_report_and_resends_only_the_batch_in_flight() {
    let b = Browser::new();
    b.set_policy(reporting_policy(json!({"reportingBatchSize": 2})));
    answer(&b, 200);
    blocked(&b, SF); // 1: delivered
                     // The endpoint took batch 2 but the worker never saw the answer (killed / network error).
    let state = b.state.clone();
    *b.state.http.borrow_mut() = Some(Box::new(|_: &HttpRequest| Err(crate::ports::HttpError::Offline)));
    blocked(&b, SF); // 2: in flight
    blocked(&b, HS); // 3: queued behind it
    let before = reports(&b);
    assert_eq!(before, vec![(1, vec![1]), (2, vec![2])]);
    let b = b.restart();
    assert!(Rc::ptr_eq(&state, &b.state));
    answer(&b, 200);
    blocked(&b, HS); // 4: logged by the new worker
    b.advance(60_000);
    b.send(Event::Alarm { name: REPORT_ALARM.into() }).unwrap();
    let sent = reports(&b);
    // Every id reached the endpoint; only the in-flight batch went twice, unchanged.
    let mut times: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    for (batch, ids) in &sent {
        for id in ids {
            times.entry(*id).or_default().push(*batch);
        }
    }
    assert_eq!(times.keys().copied().collect::<Vec<_>>(), vec![1, 2, 3, 4], "{sent:?}");
    assert_eq!(times[&2], vec![2, 2], "resent as the same batch: {sent:?}");
    for id in [1, 3, 4] {
        assert_eq!(times[&id].len(), 1, "event {id} once: {sent:?}");
    }
    assert_eq!(sent.iter().filter(|(batch, _)| *batch == 2).count(), 2);
    assert_eq!(status(&b)["queued"], 0);
    // The log numbers on after the restart and holds every event once.
    assert_eq!(ids(&list(&b, json!({}))["events"]), vec![4, 3, 2, 1]);
}

#[test]
fn policy_errors_are_logged_once_not_again_after_a_restart() {
    let b = Browser::new();
    b.set_policy(json!({"idleTimeoutMinutes": "soon", "reportingHmacSecret": "short-secret"}));
    let kinds = b.event_kinds();
    assert_eq!(kinds.iter().filter(|k| *k == "policyError").count(), 2, "{kinds:?}");
    let log = list(&b, json!({"kind": "policyError"}));
    let details: Vec<String> =
        log["events"].as_array().unwrap().iter().map(|e| e["detail"].as_str().unwrap().to_owned()).collect();
    assert!(details.iter().any(|d| d.contains("idleTimeoutMinutes")), "{details:?}");
    assert!(details.iter().all(|d| !d.contains("short-secret")), "a secret is never logged: {details:?}");
    assert!(log["events"].as_array().unwrap().iter().all(|e| e["level"] == "atRisk"));
    assert!(b.state.local.borrow().contains_key(POLICY_DIGESTS_KEY));
    // Every later read of the same policy: nothing new.
    b.navigate(1, SF);
    b.page(json!({"type": "settings", "fresh": true})).unwrap();
    b.send(Event::StorageChanged { area: "managed".into(), keys: vec![] }).unwrap();
    assert_eq!(b.event_kinds().len(), 2);
    let b = b.restart();
    b.send(Event::Startup).unwrap();
    b.navigate(2, HS);
    b.page(json!({"type": "settings", "fresh": true})).unwrap();
    assert_eq!(b.event_kinds().len(), 2, "{:?}", b.event_kinds());
    // A new error is logged, once; the old ones are not repeated.
    b.set_policy(
        json!({"idleTimeoutMinutes": "soon", "reportingHmacSecret": "short-secret", "warningSeconds": 1}),
    );
    b.set_policy(
        json!({"idleTimeoutMinutes": "soon", "reportingHmacSecret": "short-secret", "warningSeconds": 1}),
    );
    let kinds = b.event_kinds();
    assert_eq!(kinds.len(), 3, "{kinds:?}");
    assert!(list(&b, json!({}))["events"][0]["detail"].as_str().unwrap().contains("warningSeconds"));
}

#[test]
fn a_user_option_error_is_logged_as_a_warning() {
    let b = Browser::new();
    let reply = b.page(json!({"type": "saveOptions", "options": {"idleTimeoutMinutes": 0}})).unwrap();
    assert_eq!(reply["errors"][0]["key"], "idleTimeoutMinutes");
    b.settle();
    let log = list(&b, json!({"kind": "policyError"}));
    assert_eq!(ids(&log["events"]).len(), 1, "{log}");
    assert_eq!(log["events"][0]["level"], "warning");
}

#[test]
fn save_options_takes_an_object_only() {
    let b = Browser::new();
    for bad in [json!([1, 2]), json!("idleTimeoutMinutes=5"), json!(null), json!(5)] {
        let out = b.page(json!({"type": "saveOptions", "options": bad}));
        assert!(matches!(out, Err(EngineError::Malformed(_))), "{bad}: {out:?}");
    }
    assert!(!b.state.local.borrow().contains_key(OPTIONS_KEY), "nothing written");
    let out = b.content(1, SF, json!({"type": "saveOptions", "options": {"reuseGuard": false}}));
    assert!(matches!(out, Err(EngineError::Refused(_))), "{out:?}");
    assert!(!b.state.local.borrow().contains_key(OPTIONS_KEY));
    let ok = b.page(json!({"type": "saveOptions", "options": {"warningSeconds": 30}})).unwrap();
    assert_eq!(ok["settings"]["warningSeconds"], 30);
    assert_eq!(b.state.local.borrow()[OPTIONS_KEY], json!({"warningSeconds": 30}));
}

#[test]
fn the_settings_reply_shows_the_keys_policy_locks() {
    let b = Browser::new();
    b.set_policy(json!({"idleTimeoutMinutes": 30, "passwordMode": "sometimes"}));
    let saved = b
        .page(json!({"type": "saveOptions", "options": {"idleTimeoutMinutes": 5, "passwordMode": "warn", "warningSeconds": 20}}))
        .unwrap();
    assert_eq!(saved["settings"]["idleTimeoutMinutes"], 30, "the managed value wins");
    let s = b.page(json!({"type": "settings"})).unwrap();
    assert_eq!(s["locked"], json!(["idleTimeoutMinutes", "passwordMode"]));
    assert_eq!(s["settings"]["idleTimeoutMinutes"], 30);
    assert_eq!(s["settings"]["passwordMode"], "warn", "an invalid managed value locks the default");
    assert_eq!(s["settings"]["warningSeconds"], 20, "an unlocked key takes the user's value");
    let errors = s["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["key"], "passwordMode");
    assert_eq!(errors[0]["source"], "managed");
    // Policy lifted: nothing locked, the user's values apply.
    b.set_policy(json!({}));
    let s = b.page(json!({"type": "settings"})).unwrap();
    assert_eq!(s["locked"], json!([]));
    assert_eq!(s["settings"]["idleTimeoutMinutes"], 5);
    assert_eq!(s["errors"], json!([]));
    let schema = b.page(json!({"type": "settingsSchema"})).unwrap();
    let rows = schema.as_array().unwrap();
    assert!(rows.len() >= 20);
    // Each row names the options page group it is shown in.
    let group = |key: &str| rows.iter().find(|r| r["key"] == key).map(|r| r["group"].clone());
    assert_eq!(group("idleTimeoutMinutes"), Some(json!("signOut")));
    assert_eq!(group("tenants"), Some(json!("crms")));
    assert_eq!(group("httpsExceptionHosts"), Some(json!("network")));
    assert!(rows.iter().all(|r| r["group"].is_string()));
}

#[test]
fn the_settings_snapshot_never_holds_the_secret_and_no_report_is_signed_without_it() {
    let b = Browser::new();
    let url = "https://siem.acme.test/events";
    let secret = "s3cret-s3cret-s3cret-0123";
    *b.state.http.borrow_mut() =
        Some(Box::new(|_| Ok(crate::ports::HttpResponse { status: 200, ..Default::default() })));
    b.set_policy(json!({"reportingUrl": url, "reportingHmacSecret": secret}));
    let snapshot =
        b.state.local.borrow().get(crate::protocol::names::SETTINGS_SNAPSHOT_KEY).cloned().unwrap();
    assert!(!snapshot.to_string().contains(secret), "{snapshot}");
    // A cold start: managed storage answers late; events are queued, none is sent yet.
    let state = b.state.clone();
    let gate = state.managed_gate.try_lock().unwrap();
    let b = b.restart();
    let sent_before = state.requests.borrow().len();
    let page = "https://acme.odoo.com/web";
    b.navigate(1, page);
    let report = json!({"type": "network.page", "report": {"resources": [{"url": "http://cdn.example.test/x.js", "type": "script"}]}});
    b.content(1, page, report).unwrap();
    assert!(b.event_kinds().contains(&"findingRaised".to_owned()));
    b.send(crate::protocol::Event::Alarm { name: "crm-guard-report".into() }).unwrap();
    assert_eq!(state.requests.borrow().len(), sent_before, "nothing signed with a stand-in");
    drop(gate);
    b.settle();
    let requests = state.requests.borrow();
    assert!(requests.len() > sent_before, "the queued events go once managed answered");
    let expected = crm_guard_core::events::sign(
        secret.as_bytes(),
        requests.last().unwrap().body.as_deref().unwrap().as_bytes(),
    );
    assert!(
        requests.last().unwrap().headers.iter().any(|(_, v)| *v == expected),
        "signed with the real secret"
    );
}
