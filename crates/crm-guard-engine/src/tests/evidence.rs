//! Bounded evidence (issue 10, item 4): a CRM page that requests 200 `http:` image hosts and
//! reloads itself twenty times. Its tab shows one aggregated finding; the log and the report
//! queue hold that host's window and one "capped" event, and keep what was there before.

use serde_json::{json, Value};

use super::network::verdict;
use crate::fake::Browser;
use crate::protocol::names::{EVENT_LOG_KEY, REPORT_QUEUE_KEY};
use crm_guard_core::evidence::{MAX_DETAILS_PER_KIND, MAX_EVENTS_PER_HOST};

const SF: &str = "https://acme.my.salesforce.com/lightning/page/home";

/// One report of the page's DOM: `n` images, each from its own `http:` host.
fn flood(load: usize, n: usize) -> Value {
    let resources: Vec<Value> = (0..n)
        .map(|i| json!({"url": format!("http://h{i}.l{load}.flood.test/p.png"), "type": "image"}))
        .collect();
    json!({"type": "network.page", "report": {"resources": resources, "formActions": []}})
}

fn stored(b: &Browser, key: &str) -> Value {
    b.state.local.borrow().get(key).cloned().unwrap_or(Value::Null)
}

#[test]
fn twenty_flooded_loads_leave_one_finding_a_window_of_events_and_the_log_intact() {
    let b = Browser::new();
    b.set_policy(json!({
        "eventLogSize": 100,
        "reportingUrl": "https://siem.acme.com/events",
        "reportingHmacSecret": "0123456789abcdef-secret",
        "idleTimeoutMinutes": "soon",
    }));
    // Before the attack: one event IT cares about (the policy error).
    let first = stored(&b, EVENT_LOG_KEY)["events"][0].clone();
    assert_eq!(first["kind"], "policyError");

    for load in 0..20 {
        b.navigate(1, SF);
        b.content(1, SF, flood(load, 200)).unwrap();
    }

    // The tab: one passive mixed-content finding, the first hosts listed, the rest counted.
    let v = verdict(&b, 1);
    let mixed: Vec<&Value> =
        v["findings"].as_array().unwrap().iter().filter(|f| f["kind"] == "mixedContentPassive").collect();
    assert_eq!(mixed.len(), 1, "{v}");
    assert_eq!(mixed[0]["detail"], "h0.l19.flood.test, h1.l19.flood.test, h2.l19.flood.test");
    assert_eq!(mixed[0]["more"], 200 - MAX_DETAILS_PER_KIND);

    // The log: the policy error survived; the host holds its window and one cap event.
    let events = stored(&b, EVENT_LOG_KEY)["events"].as_array().unwrap().clone();
    assert_eq!(events[0], first, "one page did not evict the log");
    let from_host: Vec<&Value> = events.iter().filter(|e| e["host"] == "acme.my.salesforce.com").collect();
    assert_eq!(from_host.len(), MAX_EVENTS_PER_HOST + 1, "4,000 reported hosts, a bounded log");
    let last = from_host.last().unwrap();
    assert_eq!((&last["kind"], &last["detail"]), (&json!("evidenceCapped"), &json!("host cap")));
    // The first load's overflow is itself an event.
    assert!(from_host.iter().any(|e| e["kind"] == "evidenceCapped" && e["detail"] == "mixedContentPassive"));

    // The endpoint gets the same bounded set, queued or sent: the policy error and the window.
    let queue = stored(&b, REPORT_QUEUE_KEY);
    let ids = |events: &Value| -> Vec<u64> {
        events.as_array().map_or(Vec::new(), |a| a.iter().filter_map(|e| e["id"].as_u64()).collect())
    };
    let mut reported: Vec<u64> = ids(&queue["pending"]);
    reported.extend(ids(&queue["inFlight"]["events"]));
    for (_, body) in b.signed_sendings("https://siem.acme.com/events", "0123456789abcdef-secret") {
        reported.extend(ids(&body["events"]));
    }
    reported.sort_unstable();
    reported.dedup();
    assert_eq!(reported.len(), 1 + MAX_EVENTS_PER_HOST + 1, "{reported:?}");
}

#[test]
fn after_the_window_the_host_is_heard_again() {
    let b = Browser::new();
    for load in 0..3 {
        b.navigate(1, SF);
        b.content(1, SF, flood(load, 50)).unwrap();
    }
    let kinds = b.event_kinds();
    assert_eq!(kinds.last().map(String::as_str), Some("evidenceCapped"));
    let before = kinds.len();
    b.content(1, SF, flood(99, 5)).unwrap();
    assert_eq!(b.event_kinds().len(), before, "dropped while the window is closed");
    b.advance(crm_guard_core::evidence::HOST_WINDOW_MS + 1);
    b.navigate(1, SF);
    b.content(1, SF, flood(100, 1)).unwrap();
    assert_eq!(b.event_kinds().len(), before + 1, "an hour later the host is heard again");
}
