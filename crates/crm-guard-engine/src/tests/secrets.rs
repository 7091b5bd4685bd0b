//! Issue 10, item 5: the reporting secret stays in the worker (no reply, storage area, event,
//! export or log line carries it), and every signed sending carries an install id, a send time
//! and a fresh nonce, so a receiver can tell a replayed capture from a retry.

use crm_guard_core::events::is_install_id;
use serde_json::{json, Value};

use crate::fake::Browser;
use crate::ports::{HttpRequest, HttpResponse};
use crate::protocol::names::{INSTALL_ID_KEY, REPORT_ALARM};
use crate::protocol::Event;

const ENDPOINT: &str = "https://siem.acme.com/crm-guard/events";
const SECRET: &str = "Xq7-only-in-the-worker-0123456789";
const SF: &str = "https://acme.my.salesforce.com/setup/password";

/// Answers every fetch with `status`.
fn answer(b: &Browser, status: u16) {
    *b.state.http.borrow_mut() =
        Some(Box::new(move |_: &HttpRequest| Ok(HttpResponse { status, ..HttpResponse::default() })));
}

/// Everything a page, a content script, the console or the endpoint's wire could see.
fn visible(b: &Browser, replies: &[Value]) -> String {
    let bodies: Vec<String> = b.state.requests.borrow().iter().filter_map(|r| r.body.clone()).collect();
    format!(
        "{replies:?}{:?}{:?}{:?}{:?}{bodies:?}",
        b.state.local.borrow(),
        b.state.session.borrow(),
        b.state.errors.borrow(),
        b.state.told.borrow(),
    )
}

/// Every page message that reads settings, events or status.
fn page_replies(b: &Browser) -> Vec<Value> {
    [
        json!({"type": "settings"}),
        json!({"type": "settings", "fresh": true}),
        json!({"type": "settingsSchema"}),
        json!({"type": "events", "filter": {}}),
        json!({"type": "exportEvents", "format": "json", "filter": {}}),
        json!({"type": "exportEvents", "format": "csv", "filter": {}}),
        json!({"type": "reportingStatus"}),
        json!({"type": "saveOptions", "options": {"idleTimeoutMinutes": 30}}),
    ]
    .into_iter()
    .map(|m| b.page(m.clone()).unwrap_or_else(|e| panic!("{m}: {e}")))
    .collect()
}

#[test]
fn the_managed_reporting_secret_is_in_no_reply_storage_event_or_log() {
    let b = Browser::new();
    answer(&b, 500);
    // A bad value beside it: its policy error is an event, an export line and a report.
    b.set_policy(
        json!({"reportingUrl": ENDPOINT, "reportingHmacSecret": SECRET, "idleTimeoutMinutes": "soon"}),
    );
    b.navigate(1, SF);
    assert_eq!(b.content(1, SF, json!({"type": "pwBlocked"})).unwrap(), Value::Null);
    b.advance(60_000);
    b.send(Event::Alarm { name: REPORT_ALARM.into() }).unwrap();

    let replies = page_replies(&b);
    let settings = &replies[0];
    assert_eq!(settings["settings"]["reportingHmacSecret"], "(set)", "masked: {settings}");
    assert_eq!(settings["settings"]["reportingUrl"], ENDPOINT, "other values are shown");
    assert!(settings["locked"].as_array().unwrap().contains(&json!("reportingHmacSecret")));
    assert_eq!(replies[7]["settings"]["reportingHmacSecret"], "(set)", "saveOptions reply masked too");
    assert!(b.event_kinds().contains(&"policyError".to_owned()));
    assert!(!b.state.requests.borrow().is_empty(), "reports were attempted (and signed with it)");
    let seen = visible(&b, &replies);
    assert!(!seen.contains(SECRET), "the secret leaked: {seen}");

    // The worker restarted cold (managed storage answers late): the snapshot's stand-in is masked
    // as well, and nothing in storage holds the secret.
    let state = b.state.clone();
    let gate = state.managed_gate.try_lock().unwrap();
    let b = b.restart();
    let cold = b.page(json!({"type": "settings"})).unwrap();
    assert_eq!(cold["settings"]["reportingHmacSecret"], "(set)", "{cold}");
    drop(gate);
    b.settle();
    assert!(!visible(&b, &[cold]).contains(SECRET));
}

#[test]
fn a_rejected_or_user_set_secret_is_not_echoed_either() {
    let b = Browser::new();
    // Too short: rejected, reported as a policy error that names the key, never the value.
    let short = "sh0rt-s3cret";
    b.set_policy(json!({"reportingUrl": ENDPOINT, "reportingHmacSecret": short}));
    let replies = page_replies(&b);
    let errors = replies[0]["errors"].as_array().unwrap();
    assert!(errors.iter().any(|e| e["key"] == "reportingHmacSecret"), "{errors:?}");
    assert_eq!(replies[0]["settings"]["reportingHmacSecret"], Value::Null, "not in force");
    assert!(!visible(&b, &replies).contains(short));

    // The user's own secret (IT set only the URL): theirs in `options`, still masked in replies.
    b.set_policy(json!({"reportingUrl": ENDPOINT}));
    let mine = "users-own-secret-0123456789";
    let saved = b.page(json!({"type": "saveOptions", "options": {"reportingHmacSecret": mine}})).unwrap();
    assert_eq!(saved["settings"]["reportingHmacSecret"], "(set)", "{saved}");
    assert!(!saved.to_string().contains(mine));
    let settings = b.page(json!({"type": "settings"})).unwrap();
    assert!(!settings.to_string().contains(mine), "{settings}");
    assert!(!settings["locked"].as_array().unwrap().contains(&json!("reportingHmacSecret")));
}

/// The request bodies to the endpoint, each checked for its signature.
fn sendings(b: &Browser) -> Vec<Value> {
    b.signed_sendings(ENDPOINT, SECRET).into_iter().map(|(_, body)| body).collect()
}

#[test]
fn every_sending_carries_the_install_id_its_send_time_and_a_fresh_nonce() {
    let b = Browser::new();
    answer(&b, 503);
    b.set_policy(json!({"reportingUrl": ENDPOINT, "reportingHmacSecret": SECRET}));
    b.navigate(1, SF);
    b.content(1, SF, json!({"type": "pwBlocked"})).unwrap();
    let install = b.state.local.borrow().get(INSTALL_ID_KEY).cloned().expect("created at the first sending");
    let install = install.as_str().unwrap().to_owned();
    assert!(is_install_id(&install), "{install}");

    // Two failures, then the endpoint accepts: three sendings of one batch.
    for status in [503, 200] {
        b.advance(60_000);
        answer(&b, status);
        b.send(Event::Alarm { name: REPORT_ALARM.into() }).unwrap();
    }
    let sent = sendings(&b);
    assert_eq!(sent.len(), 3, "{sent:?}");
    for s in &sent {
        assert_eq!(s["installId"], install.as_str());
        assert_eq!(
            (&s["batchId"], &s["events"]),
            (&sent[0]["batchId"], &sent[0]["events"]),
            "a retry: same batch"
        );
        assert_eq!(s["nonce"].as_str().map(str::len), Some(32), "{s}");
    }
    let times: Vec<u64> = sent.iter().map(|s| s["sentMs"].as_u64().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[1] >= w[0] + 60_000), "each retry has its own send time: {times:?}");
    assert_eq!(times[2], b.state.now.get(), "the time it left");
    let mut nonces: Vec<&str> = sent.iter().map(|s| s["nonce"].as_str().unwrap()).collect();
    nonces.sort_unstable();
    nonces.dedup();
    assert_eq!(nonces.len(), 3, "a fresh nonce per sending");

    // The id is the install's: the same after the worker restarts, and a tampered one is replaced.
    let b = b.restart();
    b.content(1, SF, json!({"type": "pwBlocked"})).unwrap();
    let last = sendings(&b).pop().unwrap();
    assert_eq!(last["installId"], install.as_str(), "stable across workers");
    b.state.local.borrow_mut().insert(INSTALL_ID_KEY.into(), json!("not-an-id"));
    let b = b.restart();
    b.content(1, SF, json!({"type": "pwBlocked"})).unwrap();
    let fresh = sendings(&b).pop().unwrap();
    assert!(is_install_id(fresh["installId"].as_str().unwrap()) && fresh["installId"] != install.as_str());
}
