//! Reporting formats (`reportingFormat`): the engine picks the core's format, and batching,
//! back-off, a killed worker and the stand-in secret behave the same for each; the send status
//! and the diagnostics page's reply (sources, masked secrets, the test event).

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::fake::Browser;
use crate::ports::{HttpRequest, HttpResponse};
use crate::protocol::names::{REPORT_ALARM, REPORT_STATUS_KEY};
use crate::protocol::Event;

const SF: &str = "https://acme.my.salesforce.com/setup/password";
const OTLP: &str = "https://otel.acme.com:4318/v1/logs";
const HEC: &str = "https://splunk.acme.com:8088/services/collector/event";
const TOKEN: &str = "11111111-2222-3333-4444-555555555555";

fn blocked(b: &Browser, tab: i32) {
    assert_eq!(b.content(tab, SF, json!({"type": "pwBlocked"})).unwrap(), Value::Null);
}

fn answer(b: &Browser, status: u16) {
    *b.state.http.borrow_mut() =
        Some(Box::new(move |_: &HttpRequest| Ok(HttpResponse { status, ..HttpResponse::default() })));
}

fn sent(b: &Browser, url: &str) -> Vec<HttpRequest> {
    b.state.requests.borrow().iter().filter(|r| r.url == url).cloned().collect()
}

fn header<'a>(r: &'a HttpRequest, name: &str) -> Option<&'a str> {
    r.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// Event ids in an OTLP body (the `crm_guard.event.id` attribute of each record).
fn otlp_ids(r: &HttpRequest) -> Vec<u64> {
    let body: Value = serde_json::from_str(r.body.as_deref().unwrap()).unwrap();
    let records = body["resourceLogs"][0]["scopeLogs"][0]["logRecords"].as_array().unwrap().clone();
    records
        .iter()
        .map(|rec| {
            let attrs = rec["attributes"].as_array().unwrap();
            let id = attrs.iter().find(|a| a["key"] == "crm_guard.event.id").unwrap();
            id["value"]["intValue"].as_str().unwrap().parse().unwrap()
        })
        .collect()
}

/// Event ids in a Splunk HEC body (newline-separated event objects).
fn hec_ids(r: &HttpRequest) -> Vec<u64> {
    r.body
        .as_deref()
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["event"]["id"].as_u64().unwrap())
        .collect()
}

fn status(b: &Browser) -> Value {
    b.page(json!({"type": "reportingStatus"})).unwrap()
}

#[test]
fn otlp_reports_go_to_the_collector_with_the_bearer_token_in_batches() {
    let b = Browser::new();
    answer(&b, 200);
    b.set_policy(json!({"reportingUrl": OTLP, "reportingFormat": "otlp", "reportingToken": TOKEN, "reportingBatchSize": 2}));
    for tab in 1..=3 {
        blocked(&b, tab);
    }
    let reqs = sent(&b, OTLP);
    assert!(!reqs.is_empty());
    for r in &reqs {
        assert_eq!(header(r, "Authorization"), Some(format!("Bearer {TOKEN}").as_str()));
        assert_eq!(header(r, "Content-Type"), Some("application/json"));
        assert!(header(r, "X-CRM-Guard-Signature").is_none(), "no HMAC outside the crm-guard format");
        assert!(otlp_ids(r).len() <= 2, "batch size from policy");
    }
    let ids: Vec<u64> = reqs.iter().flat_map(otlp_ids).collect();
    assert_eq!(ids, vec![1, 2, 3]);
    let st = status(&b);
    assert_eq!(
        (st["format"].as_str(), st["endpoint"].as_str(), st["queued"].as_u64()),
        (Some("otlp"), Some(OTLP), Some(0))
    );
    assert_eq!(st["sent"], 3);
    assert!(st["lastSuccessMs"].as_u64().is_some());
    // OTLP without a token is fine (a collector on the internal network): no Authorization.
    let b = Browser::new();
    answer(&b, 200);
    b.set_policy(json!({"reportingUrl": OTLP, "reportingFormat": "otlp"}));
    blocked(&b, 1);
    assert!(sent(&b, OTLP).iter().all(|r| header(r, "Authorization").is_none()));
    assert_eq!(sent(&b, OTLP).iter().flat_map(otlp_ids).collect::<Vec<_>>(), vec![1]);
}

#[test]
fn splunk_hec_needs_its_token_and_sends_it() {
    let b = Browser::new();
    answer(&b, 200);
    b.set_policy(json!({"reportingUrl": HEC, "reportingFormat": "splunk-hec"}));
    let s = b.page(json!({"type": "settings"})).unwrap();
    assert!(s["errors"].as_array().unwrap().iter().any(|e| e["key"] == "reportingToken"), "{s}");
    assert_eq!(status(&b)["enabled"], false, "reporting off without the token");
    blocked(&b, 1);
    assert!(sent(&b, HEC).is_empty());

    let b = Browser::new();
    answer(&b, 200);
    b.set_policy(json!({"reportingUrl": HEC, "reportingFormat": "splunk-hec", "reportingToken": TOKEN}));
    blocked(&b, 1);
    let reqs = sent(&b, HEC);
    assert_eq!(reqs.len(), 1);
    assert_eq!(header(&reqs[0], "Authorization"), Some(format!("Splunk {TOKEN}").as_str()));
    assert_eq!(hec_ids(&reqs[0]), vec![1]);
    let e: Value = serde_json::from_str(reqs[0].body.as_deref().unwrap()).unwrap();
    assert_eq!(e["sourcetype"], "crm_guard:event");
    assert_eq!(e["event"]["kind"], "weakPasswordBlocked");
    assert_eq!(e["event"]["ocsf"]["class_uid"], 2004);
    // A custom header carries the token verbatim.
    let b = Browser::new();
    answer(&b, 200);
    b.set_policy(json!({"reportingUrl": HEC, "reportingFormat": "splunk-hec", "reportingToken": TOKEN,
        "reportingAuthHeader": "X-Splunk-Token"}));
    blocked(&b, 1);
    assert_eq!(header(&sent(&b, HEC)[0], "X-Splunk-Token"), Some(TOKEN));
}

/// A 500, then a killed worker, then recovery: each event reaches HEC, only the batch in
/// flight when the worker died may go twice (the documented at-least-once).
#[test]
fn splunk_hec_retries_and_survives_a_killed_worker_like_every_format() {
    let b = Browser::new();
    b.set_policy(json!({"reportingUrl": HEC, "reportingFormat": "splunk-hec", "reportingToken": TOKEN, "reportingBatchSize": 2}));
    answer(&b, 500);
    blocked(&b, 1);
    blocked(&b, 2);
    let st = status(&b);
    assert_eq!(st["failures"], 1);
    assert_eq!(st["lastError"], "HTTP 500");
    assert!(st["lastSuccessMs"].is_null());
    let alarm = b.state.alarms.borrow().get(REPORT_ALARM).copied().expect("the back-off alarm");
    // The status is stored with the queue: a restarted worker still shows it.
    assert_eq!(b.state.local.borrow()[REPORT_STATUS_KEY]["lastError"], "HTTP 500");
    let b = b.restart();
    assert_eq!(status(&b)["lastError"], "HTTP 500");
    answer(&b, 200);
    blocked(&b, 3);
    b.state.now.set(alarm);
    b.send(Event::Alarm { name: REPORT_ALARM.into() }).unwrap();
    let mut times: BTreeMap<u64, usize> = BTreeMap::new();
    let reqs = sent(&b, HEC);
    for r in &reqs {
        assert_eq!(
            header(r, "Authorization"),
            Some(format!("Splunk {TOKEN}").as_str()),
            "the real token, never the stand-in"
        );
    }
    let accepted: Vec<u64> = reqs.iter().skip(1).flat_map(hec_ids).collect();
    for id in &accepted {
        *times.entry(*id).or_default() += 1;
    }
    assert_eq!(times, BTreeMap::from([(1, 1), (2, 1), (3, 1)]), "{accepted:?}");
    assert_eq!(hec_ids(&reqs[0]), hec_ids(&reqs[1]), "the failed batch is resent unchanged");
    let st = status(&b);
    assert_eq!((st["queued"].as_u64(), st["failures"].as_u64()), (Some(0), Some(0)));
    assert!(st["lastSuccessMs"].as_u64().is_some());
}

#[test]
fn the_token_never_enters_the_snapshot_and_nothing_is_sent_with_its_stand_in() {
    let b = Browser::new();
    answer(&b, 200);
    b.set_policy(json!({"reportingUrl": OTLP, "reportingFormat": "otlp", "reportingToken": TOKEN}));
    let local = serde_json::to_string(&*b.state.local.borrow()).unwrap();
    assert!(!local.contains(TOKEN), "the token stays out of storage.local");
    let state = b.state.clone();
    let gate = state.managed_gate.try_lock().unwrap();
    let b = b.restart();
    let before = state.requests.borrow().len();
    blocked(&b, 1);
    b.send(Event::Alarm { name: REPORT_ALARM.into() }).unwrap();
    assert_eq!(state.requests.borrow().len(), before, "a stand-in token authenticates nothing");
    assert_eq!(status(&b)["waitingForPolicy"], true);
    drop(gate);
    b.settle();
    let reqs = sent(&b, OTLP);
    assert_eq!(header(reqs.last().unwrap(), "Authorization"), Some(format!("Bearer {TOKEN}").as_str()));
}

#[test]
fn diagnostics_say_where_each_setting_came_from_and_never_show_a_secret() {
    let b = Browser::new();
    answer(&b, 204);
    b.state
        .local
        .borrow_mut()
        .insert("options".into(), json!({"warningSeconds": 30, "idleTimeoutMinutes": 20}));
    b.set_policy(json!({"idleTimeoutMinutes": 5, "reportingUrl": OTLP, "reportingFormat": "otlp",
        "reportingToken": TOKEN, "reportingHmacSecret": "0123456789abcdef-secret", "disabledCrms": ["nope"],
        "tenants": {"salesforce": ["acme.my.salesforce.com"]}}));
    let d = b.page(json!({"type": "diagnostics"})).unwrap();
    let text = d.to_string();
    assert!(!text.contains(TOKEN) && !text.contains("0123456789abcdef-secret"), "{text}");
    let row = |k: &str| d["settings"].as_array().unwrap().iter().find(|r| r["key"] == k).unwrap().clone();
    assert_eq!(
        row("idleTimeoutMinutes"),
        json!({"key": "idleTimeoutMinutes", "value": 5, "source": "managed", "locked": true})
    );
    assert_eq!(
        row("warningSeconds"),
        json!({"key": "warningSeconds", "value": 30, "source": "user", "locked": false})
    );
    assert_eq!(row("passwordMinLength")["source"], "default");
    assert_eq!(row("reportingToken")["value"], "(set)");
    assert_eq!(d["settings"].as_array().unwrap().len(), crm_guard_core::policy::Key::ALL.len());
    assert_eq!(d["managedPolicy"]["reportingToken"], "(set)", "the raw policy, secrets masked");
    assert_eq!(d["managedPolicy"]["idleTimeoutMinutes"], 5);
    assert!(d["errors"].as_array().unwrap().iter().any(|e| e["key"] == "disabledCrms"));
    assert_eq!(d["tenants"], json!({"salesforce": ["acme.my.salesforce.com"]}));
    assert!(d["catalog"].as_array().unwrap().iter().any(|c| c["id"] == "salesforce"));
    assert_eq!(d["extension"]["id"], "kojhflkoadfcddkikeefjjgeecmhlajk");
    assert_eq!(d["extension"]["version"], "0.1.0");
    assert_eq!(d["extension"]["browser"], "Chrome 156");
    assert_eq!(d["reporting"]["format"], "otlp");
    assert_eq!(d["reporting"]["endpoint"], OTLP);

    // The test event takes the way every event takes.
    let e = b.page(json!({"type": "sendTestEvent"})).unwrap();
    assert_eq!(e["kind"], "reportingTest");
    let id = e["id"].as_u64().unwrap();
    assert!(sent(&b, OTLP).iter().any(|r| otlp_ids(r).contains(&id)));
    // Only extension pages may ask.
    let refused = b.content(1, SF, json!({"type": "sendTestEvent"}));
    assert!(matches!(refused, Err(crate::EngineError::Refused(_))), "{refused:?}");
    let refused = b.content(1, SF, json!({"type": "diagnostics"}));
    assert!(matches!(refused, Err(crate::EngineError::Refused(_))), "{refused:?}");
}
