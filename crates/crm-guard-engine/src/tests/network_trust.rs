//! The trusted network, the proxy, races between one tab's events, and the popup's verdict.

use std::cell::Cell;
use std::rc::Rc;

use serde_json::{json, Value};

use super::network::*;
use crate::fake::{content_sender, Browser};
use crate::ports::{HttpError, HttpResponse, ProxySettings};
use crate::protocol::names::{NET_TRUST_KEY, PROBE_ALARM};
use crate::protocol::Event;
// ---------------------------------------------------------------------------------------------
// The trusted network and the proxy.

#[derive(Clone, Copy, PartialEq)]
enum Net {
    Corporate,
    Elsewhere,
    Offline,
}

/// Answers the probe as the network `net` would.
fn probe_answers(b: &Browser, net: Rc<Cell<Net>>) {
    *b.state.http.borrow_mut() = Some(Box::new(move |req| {
        assert_eq!(req.url, PROBE);
        assert!(!req.with_cookies && req.manual_redirect, "no cookies, no redirects");
        match net.get() {
            Net::Corporate => {
                Ok(HttpResponse { status: 204, body_prefix: "acme-internal ok".into(), ..Default::default() })
            }
            Net::Elsewhere => {
                Ok(HttpResponse { status: 200, body_prefix: "<html>captive".into(), ..Default::default() })
            }
            Net::Offline => Err(HttpError::Offline),
        }
    }));
}

fn probe_policy(required: bool) -> Value {
    json!({
        "trustedNetworkProbeUrl": PROBE,
        "trustedNetworkExpectStatus": 204,
        "trustedNetworkExpectBody": "acme-internal",
        "trustedNetworkIntervalMinutes": 10,
        "trustedNetworkRequired": required,
    })
}

#[test]
fn the_trusted_network_probe_flips_every_crm_tab_and_back() {
    let b = Browser::new();
    let net = Rc::new(Cell::new(Net::Corporate));
    probe_answers(&b, net.clone());
    b.navigate(1, SF);
    b.navigate(2, ODOO);
    b.navigate(3, "https://example.test/");
    b.set_policy(probe_policy(false));
    assert_eq!(b.state.periodic.borrow().get(PROBE_ALARM), Some(&10), "periodic probe");
    assert_eq!(b.state.requests.borrow().len(), 1);
    assert_eq!(b.state.session.borrow()[NET_TRUST_KEY], "trusted");
    assert_eq!((b.badge_text(1), b.badge_text(2)), ("badge_secure".into(), "badge_secure".into()));

    // Left the office: the next periodic probe.
    net.set(Net::Elsewhere);
    b.send(Event::Alarm { name: PROBE_ALARM.into() }).unwrap();
    assert_eq!(
        (b.badge_text(1), b.badge_text(2), b.badge_text(3)),
        ("badge_warning".into(), "badge_warning".into(), String::new())
    );
    assert!(has(&b, 1, "untrustedNetwork") && has(&b, 2, "untrustedNetwork"));
    assert_eq!(raised(&b), ["untrustedNetwork"]);
    // Not copied into the records (whole-browser findings are added at evaluation).
    assert!(!format!("{:?}", b.state.session.borrow().get("tab:1")).contains("untrustedNetwork"));
    // A tab opened now gets it too.
    b.navigate(4, SF);
    assert_eq!(b.badge_text(4), "badge_warning");

    // Offline, then a probe that cannot conclude: the last verdict stays.
    net.set(Net::Offline);
    b.send(Event::ConnectivityChanged).unwrap();
    assert_eq!(b.state.requests.borrow().len(), 3, "probed");
    assert_eq!(b.badge_text(1), "badge_warning");
    assert_eq!(b.state.session.borrow()[NET_TRUST_KEY], "untrusted");
    // The worker restarts: the verdict survives it.
    let b = b.restart();
    assert!(has(&b, 2, "untrustedNetwork"));
    b.navigate(5, ODOO);
    assert_eq!(b.badge_text(5), "badge_warning");

    // Back in the office.
    probe_answers(&b, net.clone());
    net.set(Net::Corporate);
    b.send(Event::Alarm { name: PROBE_ALARM.into() }).unwrap();
    for tab in [1, 2, 4, 5] {
        assert_eq!(b.badge_text(tab), "badge_secure", "tab {tab}");
        assert!(!has(&b, tab, "untrustedNetwork"));
    }
    assert_eq!(raised(&b).len(), 1, "the return is not a finding");
}

#[test]
fn an_untrusted_network_is_at_risk_when_required_and_forgotten_without_a_probe_url() {
    let b = Browser::new();
    let net = Rc::new(Cell::new(Net::Elsewhere));
    probe_answers(&b, net);
    b.navigate(1, SF);
    b.set_policy(probe_policy(true));
    assert_eq!(b.badge_text(1), "badge_atRisk");
    assert_eq!(verdict(&b, 1)["findings"][0], json!({"kind": "untrustedNetwork", "level": "atRisk"}));
    // IT removes the probe: no verdict, no alarm, the tab is secure again.
    b.set_policy(json!({}));
    assert!(!b.state.periodic.borrow().contains_key(PROBE_ALARM));
    assert_eq!(b.badge_text(1), "badge_secure");
}

fn proxy(mode: &str) -> Option<ProxySettings> {
    Some(ProxySettings { level_of_control: "controllable_by_this_extension".into(), mode: mode.into() })
}

#[test]
fn a_proxy_set_outside_policy_warns_on_every_crm_tab_until_cleared() {
    let b = Browser::new();
    b.navigate(1, SF);
    b.navigate(2, ODOO);
    b.navigate(3, "https://example.test/");
    *b.state.proxy.borrow_mut() = proxy("fixed_servers");
    b.send(Event::PermissionsChanged).unwrap();
    assert_eq!(
        (b.badge_text(1), b.badge_text(2), b.badge_text(3)),
        ("badge_warning".into(), "badge_warning".into(), String::new())
    );
    assert!(has(&b, 1, "proxyOutsidePolicy") && has(&b, 2, "proxyOutsidePolicy"));
    assert_eq!(raised(&b), ["proxyOutsidePolicy"]);
    // Seen again (alarm, another change event): logged once.
    b.send(Event::PermissionsChanged).unwrap();
    b.send(Event::Alarm { name: PROBE_ALARM.into() }).unwrap();
    assert_eq!(raised(&b).len(), 1);
    // Survives the worker; a new tab gets it.
    let b = b.restart();
    b.navigate(4, SF);
    assert_eq!(b.badge_text(4), "badge_warning");

    // Cleared.
    *b.state.proxy.borrow_mut() = proxy("system");
    b.send(Event::PermissionsChanged).unwrap();
    for tab in [1, 2, 4] {
        assert_eq!(b.badge_text(tab), "badge_secure", "tab {tab}");
    }
    assert!(!has(&b, 1, "proxyOutsidePolicy"));
}

// ---------------------------------------------------------------------------------------------
// Races between one tab's events, and the popup.

/// A browser on an untrusted network behind a proxy, racing-ready.
fn hostile_network() -> Browser {
    let b = Browser::new();
    probe_answers(&b, Rc::new(Cell::new(Net::Elsewhere)));
    b.set_policy(probe_policy(false));
    *b.state.proxy.borrow_mut() = proxy("pac_script");
    b.send(Event::PermissionsChanged).unwrap();
    b
}

fn report_event(tab: i32, url: &str) -> Event {
    Event::Message { message: mixed_report(), sender: content_sender(tab, url) }
}

#[test]
fn racing_commit_report_and_headers_never_lose_a_network_wide_finding_or_leave_a_stale_badge() {
    let orders: [[usize; 3]; 6] = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
    for order in orders {
        let b = hostile_network();
        open_tab(&b, 1, SF);
        b.send(started(1, SF)).unwrap();
        b.state.interleave.set(true);
        let make = |i: usize| match i {
            0 => committed(1, SF),
            1 => report_event(1, SF),
            _ => response(1, "r1", SF, 200, &[("Set-Cookie", "JSESSIONID=v")]),
        };
        let out = b.send_all(order.iter().map(|i| make(*i)).collect());
        assert!(out.iter().all(Result::is_ok), "{order:?}: {out:?}");
        b.state.interleave.set(false);
        let f = findings(&b, 1);
        assert!(
            f.contains(&"untrustedNetwork".to_owned()) && f.contains(&"proxyOutsidePolicy".to_owned()),
            "{order:?}: {f:?}"
        );
        assert_badge_matches_verdict(&b, 1, &format!("{order:?}"));
        if order == [2, 0, 1] {
            // The browser's own order: headers, commit, then the page's report. Nothing lost.
            for want in ["missingHsts", "insecureCookie: JSESSIONID", "mixedContentActive: cdn.example.com"] {
                assert!(f.contains(&want.to_owned()), "{want} in {f:?}");
            }
        }
        // And a network-wide change racing the same events.
        *b.state.proxy.borrow_mut() = proxy("system");
        b.state.interleave.set(true);
        let mut racing: Vec<Event> = order.iter().map(|i| make(*i)).collect();
        racing.insert(order[0], Event::PermissionsChanged);
        b.send_all(racing);
        b.state.interleave.set(false);
        assert!(!has(&b, 1, "proxyOutsidePolicy"), "{order:?}");
        assert!(has(&b, 1, "untrustedNetwork"), "{order:?}");
        assert_badge_matches_verdict(&b, 1, &format!("{order:?} with the proxy cleared"));
    }
}

#[test]
fn a_cold_worker_keeps_a_tab_s_events_in_arrival_order() {
    // The worker has just started (settings not read yet) when the navigation's events arrive.
    let b = Browser::new();
    open_tab(&b, 1, "http://acme.odoo.com/web");
    b.state.interleave.set(true);
    let out = b.send_all(vec![
        started(1, "http://acme.odoo.com/web"),
        response(1, "r1", ODOO, 200, &[("Set-Cookie", "session_id=v")]),
        committed(1, ODOO),
    ]);
    b.state.interleave.set(false);
    assert!(out.iter().all(Result::is_ok), "{out:?}");
    let f = findings(&b, 1);
    assert!(
        f.contains(&"missingHsts".to_owned()) && f.contains(&"insecureCookie: session_id".to_owned()),
        "{f:?}"
    );
    assert_eq!(b.badge_text(1), "badge_warning");
    let rec = b.state.session.borrow().get("tab:1").cloned().unwrap();
    assert!(rec["upgrading"].is_null() && rec["pending"].is_null(), "nothing left in progress: {rec}");

    // An upgrade failing on a cold worker still goes to the "HTTPS failed" page.
    let b = Browser::new();
    open_tab(&b, 1, "http://acme.odoo.com/web");
    b.state.interleave.set(true);
    b.send_all(vec![started(1, "http://acme.odoo.com/web"), failed(1, ODOO, "net::ERR_CONNECTION_RESET")]);
    b.state.interleave.set(false);
    assert!(b.state.tabs.borrow()[&1].as_deref().unwrap().contains("https-failed.html"));
}

#[test]
fn the_popup_verdict_lists_every_finding_worst_first() {
    let b = hostile_network();
    open_tab(&b, 1, SF);
    b.send(started(1, SF)).unwrap();
    b.send(response(1, "r1", SF, 200, &[("Set-Cookie", "sid=v")])).unwrap();
    b.send(committed(1, SF)).unwrap();
    b.content(1, SF, mixed_report()).unwrap();
    let v = verdict(&b, 1);
    assert_eq!(v["crmName"], "Salesforce");
    assert_eq!(v["host"], "acme.my.salesforce.com");
    assert_eq!(v["level"], "atRisk");
    let mut f = findings(&b, 1);
    assert_eq!(f.len(), 7, "{f:?}");
    let levels: Vec<&str> =
        v["findings"].as_array().unwrap().iter().map(|f| f["level"].as_str().unwrap()).collect();
    let first_warning = levels.iter().position(|l| *l == "warning").unwrap();
    assert!(
        levels[..first_warning].iter().all(|l| *l == "atRisk")
            && levels[first_warning..].iter().all(|l| *l == "warning"),
        "{levels:?}"
    );
    f.sort();
    assert_eq!(
        f,
        [
            "insecureCookie: sid",
            "insecureFormAction",
            "missingHsts",
            "mixedContentActive: cdn.example.com",
            "mixedContentPassive: img.example.com",
            "proxyOutsidePolicy",
            "untrustedNetwork",
        ]
    );
    assert_eq!(verdict(&b, 9), Value::Null, "no CRM tab");
}
