//! The breached-password check (k-anonymity ranges): what leaves the browser (the 5-hex-digit
//! prefix only, and only for a committed value), every state the meter shows (off, pending,
//! breached, clean, could not check), the cache, the timeout, and policy off or invalid.

use std::cell::Cell;
use std::rc::Rc;

use serde_json::{json, Value};

use crate::fake::{content_sender, Browser};
use crate::ports::{HttpError, HttpRequest, HttpResponse};
use crate::protocol::Event;

const SF: &str = "https://acme.my.salesforce.com/lightning/page/home";
const RANGE_URL: &str = "https://breach.acme.test/range/";
/// In the served range (SHA-1 641CAD4FF36422DEAFDAD913E2DDC6CA6DB73E0A); the fake scorer gives
/// it 4 (24 characters).
const BREACHED: &str = "CorrectHorseBattery!2024";
const BREACHED_SHA1: &str = "641CAD4FF36422DEAFDAD913E2DDC6CA6DB73E0A";
/// Not in any range (SHA-1 F41F84D84BA98694FEBCDFF5948DCE00586C91B0).
const CLEAN: &str = "unbreached-strong-passphrase-xyz";
const CLEAN_SHA1: &str = "F41F84D84BA98694FEBCDFF5948DCE00586C91B0";

/// How the fake range service answers.
#[derive(Clone, Copy, PartialEq)]
enum Service {
    Up,
    TimesOut,
    Offline,
    Status503,
    Html,
    Huge,
}

/// Serves ranges: the breached password's bucket holds it (42 times), another suffix and a
/// padding line; the clean password's bucket holds other suffixes and the clean suffix as a
/// padding line (count 0: must not count).
fn serve(b: &Browser, service: Rc<Cell<Service>>) {
    *b.state.http.borrow_mut() = Some(Box::new(move |req: &HttpRequest| {
        let prefix = req.url.strip_prefix(RANGE_URL).expect("only the range URL is fetched");
        let body = match prefix {
            p if p == &BREACHED_SHA1[..5] => format!(
                "0018A45C4D1DEF81644B54AB7F969B88D65:3\r\n{}:42\r\n011053FD0102E94D6AE2F8B83D76FAF94F6:0\r\n",
                &BREACHED_SHA1[5..]
            ),
            p if p == &CLEAN_SHA1[..5] => {
                format!("0018A45C4D1DEF81644B54AB7F969B88D65:7\r\n{}:0\r\n", &CLEAN_SHA1[5..])
            }
            _ => "0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n".to_owned(),
        };
        let ok = |body: String| Ok(HttpResponse { status: 200, body_prefix: body, ..Default::default() });
        match service.get() {
            Service::Up => ok(body),
            Service::TimesOut => Err(HttpError::TimedOut),
            Service::Offline => Err(HttpError::Failed("net::ERR_CONNECTION_RESET".into())),
            Service::Status503 => Ok(HttpResponse { status: 503, body_prefix: body, ..Default::default() }),
            Service::Html => ok("<html><body>Service unavailable</body></html>".into()),
            Service::Huge => {
                ok(body.repeat(crm_guard_core::password::breach::MAX_RANGE_BYTES / body.len() + 1))
            }
        }
    }));
}

fn browser(policy: Value) -> (Browser, Rc<Cell<Service>>) {
    let b = Browser::new();
    b.set_policy(policy);
    b.navigate(1, SF);
    let service = Rc::new(Cell::new(Service::Up));
    serve(&b, service.clone());
    (b, service)
}

fn block_policy() -> Value {
    json!({"breachCheckUrl": RANGE_URL, "passwordMode": "block"})
}

fn score(b: &Browser, seq: i64, pw: &str, commit: bool) -> Value {
    b.send(Event::Message {
        message: json!({"type": "pwScore", "seq": seq, "password": pw, "values": [], "commit": commit}),
        sender: content_sender(1, SF),
    })
    .unwrap()
}

fn range_requests(b: &Browser) -> Vec<HttpRequest> {
    b.state.requests.borrow().iter().filter(|r| r.url.starts_with(RANGE_URL)).cloned().collect()
}

#[test]
fn a_committed_breached_password_is_very_weak_and_blocked_and_only_the_prefix_leaves() {
    let (b, _) = browser(block_policy());
    let view = score(&b, 1, BREACHED, true);
    assert_eq!(view["breach"], json!({"state": "breached", "count": 42}), "{view}");
    assert_eq!((view["score"].clone(), view["label"].clone()), (json!(0), json!("veryWeak")), "{view}");
    assert_eq!(view["blockSubmit"], true, "block mode refuses it although the scorer gave 4");
    assert_eq!(view["crackSeconds"], 0.0);
    assert!(view["reasons"].as_array().unwrap().contains(&json!({"type": "breached", "count": 42})));

    let reqs = range_requests(&b);
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.url, format!("{RANGE_URL}641CA"), "the 5 upper-case hex digits appended");
    assert_eq!(r.body, None, "a GET");
    assert_eq!(r.headers, vec![("Add-Padding".to_owned(), "true".to_owned())]);
    assert!(!r.with_cookies && !r.manual_redirect, "no cookies; a redirect is an error, never followed");
    assert_eq!(r.timeout_ms, 3000, "the default timeout");
    // Nothing else of the password or its hash is in the request.
    let sent = format!("{} {:?} {:?}", r.url, r.headers, r.body).to_uppercase();
    assert!(!sent.contains(&BREACHED.to_uppercase()));
    assert!(!sent.contains(&BREACHED_SHA1[..6]), "not one hex digit more than the prefix");
    assert!(!sent.contains(&BREACHED_SHA1[5..]), "never the suffix");
}

#[test]
fn warn_mode_warns_about_a_breached_password_without_blocking() {
    let (b, _) = browser(json!({"breachCheckUrl": RANGE_URL}));
    let view = score(&b, 1, BREACHED, true);
    assert_eq!(view["breach"]["state"], "breached");
    assert_eq!((view["acceptable"].clone(), view["blockSubmit"].clone()), (json!(false), json!(false)));
}

#[test]
fn a_password_not_in_its_range_keeps_its_score_and_padding_lines_never_count() {
    let (b, _) = browser(block_policy());
    let view = score(&b, 1, CLEAN, true);
    assert_eq!(view["breach"], json!({"state": "clean"}), "its suffix is only a count-0 padding line");
    assert_eq!(view["score"], 4);
    assert_eq!((view["acceptable"].clone(), view["blockSubmit"].clone()), (json!(true), json!(false)));
    assert_eq!(range_requests(&b)[0].url, format!("{RANGE_URL}F41F8"));
}

#[test]
fn keystrokes_are_never_checked_only_the_committed_value_is() {
    let (b, _) = browser(block_policy());
    // Typed character by character: each prefix of the password is scored, none is checked.
    for (i, end) in (1..=BREACHED.len()).enumerate() {
        let view = score(&b, i as i64 + 1, &BREACHED[..end], false);
        assert_eq!(view["breach"], json!({"state": "pending"}), "{view}");
    }
    assert!(range_requests(&b).is_empty(), "no request per keystroke");
    // A strong value not yet checked is judged on strength (the content script holds a submit
    // for a committed check: see password-block.js).
    let last = score(&b, 100, BREACHED, false);
    assert_eq!(last["acceptable"], true);
    // The user settles on it (change / blur): one request.
    let view = score(&b, 101, BREACHED, true);
    assert_eq!(view["breach"]["state"], "breached");
    assert_eq!(range_requests(&b).len(), 1);
}

#[test]
fn ranges_are_cached_per_prefix_for_a_while_and_keystrokes_may_use_the_cache() {
    let (b, _) = browser(block_policy());
    score(&b, 1, BREACHED, true);
    score(&b, 2, BREACHED, true);
    assert_eq!(range_requests(&b).len(), 1, "the second commit is answered from the cache");
    // Retyping it: the cached range answers locally (no request), so the meter knows at once.
    let view = score(&b, 3, BREACHED, false);
    assert_eq!(view["breach"]["state"], "breached");
    assert_eq!(range_requests(&b).len(), 1);
    // Nothing of the password or its hash is stored anywhere.
    let stored = format!("{:?} {:?}", b.state.local.borrow(), b.state.session.borrow()).to_uppercase();
    assert!(!stored.contains(&BREACHED.to_uppercase()) && !stored.contains(&BREACHED_SHA1[..5]));
    // After the TTL the range is fetched again.
    b.advance(crm_guard_core::password::breach::CACHE_TTL_MS);
    score(&b, 4, BREACHED, true);
    assert_eq!(range_requests(&b).len(), 2);
}

#[test]
fn an_outage_shows_could_not_check_and_never_blocks() {
    for (service, why) in [
        (Service::TimesOut, "timedOut"),
        (Service::Offline, "failed"),
        (Service::Status503, "status"),
        (Service::Html, "malformed"),
        (Service::Huge, "tooLarge"),
    ] {
        let (b, s) = browser(block_policy());
        s.set(service);
        let view = score(&b, 1, BREACHED, true);
        assert_eq!(view["breach"], json!({"state": "unchecked", "why": why}), "{view}");
        assert_eq!(view["score"], 4, "judged on strength alone");
        assert_eq!((view["acceptable"].clone(), view["blockSubmit"].clone()), (json!(true), json!(false)));
        // A failure is not cached: the service back, the next commit checks.
        s.set(Service::Up);
        assert_eq!(score(&b, 2, BREACHED, true)["breach"]["state"], "breached");
        assert_eq!(range_requests(&b).len(), 2);
    }
}

#[test]
fn the_timeout_comes_from_policy_within_its_bounds() {
    let (b, _) = browser(json!({"breachCheckUrl": RANGE_URL, "breachCheckTimeoutMs": 1200}));
    score(&b, 1, CLEAN, true);
    assert_eq!(range_requests(&b)[0].timeout_ms, 1200);
    let (b, _) = browser(json!({"breachCheckUrl": RANGE_URL, "breachCheckTimeoutMs": 600_000}));
    score(&b, 1, CLEAN, true);
    assert_eq!(range_requests(&b)[0].timeout_ms, 10_000, "the nearest bound");
}

#[test]
fn without_a_valid_https_url_nothing_is_sent() {
    // Off by default.
    let (b, _) = browser(json!({"passwordMode": "block"}));
    let view = score(&b, 1, BREACHED, true);
    assert_eq!(view["breach"], json!({"state": "off"}));
    assert_eq!(view["score"], 4);
    // An http URL (or not a URL): a policy error, and the check stays off (never a fallback).
    for bad in [json!("http://breach.acme.test/range/"), json!("range/"), json!(42)] {
        let (b, _) = browser(json!({"breachCheckUrl": bad, "passwordMode": "block"}));
        let view = score(&b, 1, BREACHED, true);
        assert_eq!(view["breach"], json!({"state": "off"}), "{bad}");
        assert!(b.state.requests.borrow().is_empty(), "{bad}: {:?}", b.state.requests.borrow());
        let s = b.page(json!({"type": "settings"})).unwrap();
        assert!(s["errors"].as_array().unwrap().iter().any(|e| e["key"] == "breachCheckUrl"), "{s}");
    }
}

/// Two fields holding one password committed at once (or a blur and a submit): one range
/// request, whose answer both get — not two identical prefixes on the wire.
#[test]
fn one_range_request_serves_every_value_committed_while_it_is_in_flight() {
    let (b, _) = browser(block_policy());
    let gate = b.state.http_gate.try_lock().unwrap();
    let commit = |frame: i32, seq: i64| {
        let mut sender = content_sender(1, SF);
        sender.frame_id = Some(frame);
        b.start(Event::Message {
            message: json!({"type": "pwScore", "seq": seq, "password": BREACHED, "values": [], "commit": true}),
            sender,
        })
    };
    let (first, second) = (commit(0, 1), commit(1, 1));
    assert!(first.borrow().is_none() && second.borrow().is_none(), "both wait for the range");
    assert_eq!(range_requests(&b).len(), 1, "the second waits for the first request");
    drop(gate);
    b.settle();
    for reply in [first, second] {
        let r = reply.borrow_mut().take().unwrap().unwrap();
        assert_eq!(r["breach"]["state"], "breached", "{r}");
    }
    assert_eq!(range_requests(&b).len(), 1);
    assert_eq!(score(&b, 2, BREACHED, true)["breach"]["state"], "breached", "then from the cache");
    assert_eq!(range_requests(&b).len(), 1);
}
