//! HTTPS enforcement and network findings: upgrade rules, the "HTTPS failed" page, certificate
//! errors, response headers, the content script's mixed-content report, the trusted-network
//! probe, the proxy check, and races between a tab's events.

use std::cell::Cell;
use std::rc::Rc;

use serde_json::{json, Value};

use crate::fake::{content_sender, Browser};
use crate::ports::{HttpError, HttpResponse, ProxySettings};
use crate::protocol::names::{NET_TRUST_KEY, PROBE_ALARM};
use crate::protocol::{Event, Header, Sender};

const SF: &str = "https://acme.my.salesforce.com/lightning/page/home";
const ODOO: &str = "https://acme.odoo.com/web";
const PROBE: &str = "https://probe.acme.example/crm-guard";
const EXT: &str = "chrome-extension://kojhflkoadfcddkikeefjjgeecmhlajk/";
const COOKIE_VALUE: &str = "Sup3rS3cr3tSessionValue";

fn verdict(b: &Browser, tab: i32) -> Value {
    b.page(json!({"type": "verdict", "tabId": tab})).unwrap()
}

/// `kind` or `kind: detail` of each finding of the popup's verdict.
fn findings(b: &Browser, tab: i32) -> Vec<String> {
    let v = verdict(b, tab);
    v["findings"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|f| match f["detail"].as_str() {
            Some(d) => format!("{}: {d}", f["kind"].as_str().unwrap()),
            None => f["kind"].as_str().unwrap().to_owned(),
        })
        .collect()
}

fn has(b: &Browser, tab: i32, finding: &str) -> bool {
    findings(b, tab).iter().any(|f| f == finding)
}

/// The security log's events, oldest first.
fn events(b: &Browser) -> Vec<Value> {
    let log = b.state.local.borrow().get(crate::protocol::names::EVENT_LOG_KEY).cloned();
    log.and_then(|l| l["events"].as_array().cloned()).unwrap_or_default()
}

/// The details of the `findingRaised` events.
fn raised(b: &Browser) -> Vec<String> {
    events(b)
        .iter()
        .filter(|e| e["kind"] == "findingRaised")
        .map(|e| e["detail"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn headers(pairs: &[(&str, &str)]) -> Vec<Header> {
    pairs.iter().map(|(n, v)| Header { name: (*n).into(), value: Some((*v).into()) }).collect()
}

fn response(tab: i32, request: &str, url: &str, status: u16, pairs: &[(&str, &str)]) -> Event {
    Event::HeadersReceived {
        tab_id: tab,
        request_id: request.into(),
        url: url.into(),
        status,
        headers: headers(pairs),
    }
}

fn started(tab: i32, url: &str) -> Event {
    Event::NavigationStarted { tab_id: tab, url: url.into() }
}

fn committed(tab: i32, url: &str) -> Event {
    Event::NavigationCommitted { tab_id: tab, url: url.into() }
}

fn failed(tab: i32, url: &str, error: &str) -> Event {
    Event::NavigationFailed { tab_id: tab, url: url.into(), error: error.into() }
}

/// A tab the browser knows about, before any navigation event.
fn open_tab(b: &Browser, tab: i32, url: &str) {
    b.state.tabs.borrow_mut().insert(tab, Some(url.to_owned()));
}

/// The domains of the upgrade rules, in id order.
fn upgrade_domains(b: &Browser) -> Vec<String> {
    let mut rules: Vec<Value> = b
        .state
        .dynamic_rules
        .borrow()
        .iter()
        .filter(|r| r["action"]["type"] == "upgradeScheme")
        .cloned()
        .collect();
    rules.sort_by_key(|r| r["id"].as_u64());
    rules.iter().map(|r| r["condition"]["requestDomains"][0].as_str().unwrap().to_owned()).collect()
}

fn storage_text(b: &Browser) -> String {
    format!(
        "{:?}{:?}{:?}{:?}",
        b.state.session.borrow(),
        b.state.local.borrow(),
        b.state.errors.borrow(),
        b.state.badges.borrow()
    )
}

/// The badge shows the popup's verdict (nothing stale).
fn assert_badge_matches_verdict(b: &Browser, tab: i32, context: &str) {
    let v = verdict(b, tab);
    let want = v["level"].as_str().map(|l| format!("badge_{l}")).unwrap_or_default();
    assert_eq!(b.badge_text(tab), want, "{context}: badge vs verdict {v}");
}

// ---------------------------------------------------------------------------------------------
// Upgrade rules.

#[test]
fn upgrade_rules_are_installed_on_install_and_start_and_follow_the_policy() {
    let b = Browser::new();
    // Another rule set of the extension (ids below 1000) is never touched.
    b.state.dynamic_rules.borrow_mut().push(json!({"id": 7, "action": {"type": "block"}, "condition": {}}));
    b.send(Event::Installed).unwrap();
    let builtin = upgrade_domains(&b);
    assert!(
        builtin.iter().any(|d| d == "my.salesforce.com") && builtin.iter().any(|d| d == "odoo.com"),
        "{builtin:?}"
    );
    for r in b.state.dynamic_rules.borrow().iter().filter(|r| r["id"] != 7) {
        assert_eq!(r["action"]["type"], "upgradeScheme", "{r}");
        assert_eq!(r["condition"]["urlFilter"], "|http://", "{r}");
        assert!(r["id"].as_u64().unwrap() >= 1000, "{r}");
    }

    // A self-hosted CRM from policy gets its rule.
    b.set_policy(json!({"crmHosts": [{"name": "Acme CRM", "hosts": ["crm.acme.example"]}]}));
    let with_acme = upgrade_domains(&b);
    assert_eq!(with_acme.len(), builtin.len() + 1, "{with_acme:?}");
    assert!(with_acme.iter().any(|d| d == "crm.acme.example"), "{with_acme:?}");

    // Replaced by another: the old rule is gone, no duplicate id.
    b.set_policy(json!({"crmHosts": ["crm.other.example"]}));
    let with_other = upgrade_domains(&b);
    assert!(with_other.iter().any(|d| d == "crm.other.example"), "{with_other:?}");
    assert!(!with_other.iter().any(|d| d == "crm.acme.example"), "old rule removed: {with_other:?}");
    assert_eq!(with_other.len(), builtin.len() + 1);
    let mut ids: Vec<u64> =
        b.state.dynamic_rules.borrow().iter().map(|r| r["id"].as_u64().unwrap()).collect();
    let n = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n, "unique ids");

    // Policy removed: the built-in rules only; the foreign rule is still there.
    b.set_policy(json!({}));
    assert_eq!(upgrade_domains(&b), builtin);
    assert!(b.state.dynamic_rules.borrow().iter().any(|r| r["id"] == 7));

    // A browser start installs them again (lost, or an older version's).
    b.state.dynamic_rules.borrow_mut().retain(|r| r["id"] == 7);
    let b = b.restart();
    b.send(Event::Startup).unwrap();
    assert_eq!(upgrade_domains(&b), builtin);
}

#[test]
fn a_self_hosted_crm_from_policy_is_judged_like_a_crm() {
    let b = Browser::new();
    b.set_policy(json!({"crmHosts": [{"name": "Acme CRM", "hosts": ["crm.acme.example"]}]}));
    b.navigate(1, "http://crm.acme.example/home");
    assert_eq!(b.badge_text(1), "badge_atRisk");
    assert_eq!(verdict(&b, 1)["crmName"], "Acme CRM");
}

// ---------------------------------------------------------------------------------------------
// The "HTTPS failed" page and certificate errors.

#[test]
fn an_upgraded_navigation_whose_https_fails_goes_to_the_https_failed_page() {
    let b = Browser::new();
    let http = "http://acme.odoo.com/web?db=acme";
    open_tab(&b, 1, http);
    b.send(started(1, http)).unwrap();
    b.send(failed(1, "https://acme.odoo.com/web?db=acme", "net::ERR_CONNECTION_REFUSED")).unwrap();
    let now = b.state.tabs.borrow()[&1].clone().unwrap();
    assert_eq!(now, format!("{EXT}https-failed.html?url=http%3A%2F%2Facme.odoo.com%2Fweb%3Fdb%3Dacme"));
    let e = events(&b).last().cloned().unwrap();
    assert_eq!(e["kind"], "httpsUpgradeBlocked", "{e}");
    assert_eq!(e["level"], "atRisk");
    assert_eq!(e["crmId"], "odoo");
    assert_eq!(e["host"], "acme.odoo.com");
    assert_eq!(e["detail"], "net::ERR_CONNECTION_REFUSED");
    // The upgrade in progress is forgotten.
    assert!(b.state.session.borrow().get("tab:1").is_none_or(|r| r["upgrading"].is_null()));

    // The page's info; no "continue" without IT's exception.
    let info = b.page(json!({"type": "network.httpsFailedInfo", "url": http})).unwrap();
    assert_eq!(info, json!({"host": "acme.odoo.com", "crmName": "Odoo Online", "canContinue": false}));
    assert_eq!(b.page(json!({"type": "network.continueHttp", "url": http})).unwrap(), Value::Null);
    assert!(b.state.session_rules.borrow().is_empty());
}

#[test]
fn continuing_over_http_needs_an_exception_from_it() {
    let b = Browser::new();
    b.set_policy(json!({"httpsExceptionHosts": ["acme.odoo.com"]}));
    let http = "http://acme.odoo.com/web";
    let info = b.page(json!({"type": "network.httpsFailedInfo", "url": http})).unwrap();
    assert_eq!(info["canContinue"], true);
    assert_eq!(b.page(json!({"type": "network.continueHttp", "url": http})).unwrap(), http);
    let rules = b.state.session_rules.borrow().clone();
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0]["action"]["type"], "allow");
    assert_eq!(rules[0]["condition"]["requestDomains"], json!(["acme.odoo.com"]));
    assert_eq!(events(&b).last().unwrap()["kind"], "httpsUpgradeBlocked");
}

#[test]
fn only_an_upgraded_navigation_failing_on_https_goes_to_the_https_failed_page() {
    let cases: &[(Option<&str>, &str, &str)] = &[
        // Typed https itself: the browser's own error page.
        (None, "https://acme.odoo.com/web", "net::ERR_CONNECTION_REFUSED"),
        // Upgraded, but the error says nothing about HTTPS.
        (Some("http://acme.odoo.com/web"), "https://acme.odoo.com/web", "net::ERR_NAME_NOT_RESOLVED"),
        (Some("http://acme.odoo.com/web"), "https://acme.odoo.com/web", "net::ERR_ABORTED"),
        // Another host failed (a redirect elsewhere).
        (Some("http://acme.odoo.com/web"), "https://other.odoo.com/web", "net::ERR_CONNECTION_REFUSED"),
        // Not a CRM.
        (Some("http://example.test/"), "https://example.test/", "net::ERR_CONNECTION_REFUSED"),
    ];
    for (from, url, error) in cases {
        let b = Browser::new();
        open_tab(&b, 1, from.unwrap_or(url));
        if let Some(from) = from {
            b.send(started(1, from)).unwrap();
        }
        b.send(failed(1, url, error)).unwrap();
        let now = b.state.tabs.borrow()[&1].clone().unwrap();
        assert!(!now.contains("https-failed"), "{from:?} → {url} {error}: {now}");
        assert!(!b.event_kinds().contains(&"httpsUpgradeBlocked".to_owned()), "{from:?} → {url} {error}");
    }
}

#[test]
fn a_certificate_error_on_a_crm_host_is_at_risk() {
    let b = Browser::new();
    open_tab(&b, 1, SF);
    b.send(started(1, SF)).unwrap();
    b.send(failed(1, SF, "net::ERR_CERT_AUTHORITY_INVALID")).unwrap();
    assert_eq!(b.badge_text(1), "badge_atRisk");
    assert_eq!(verdict(&b, 1)["level"], "atRisk");
    assert!(has(&b, 1, "certificateError: ERR_CERT_AUTHORITY_INVALID"), "{:?}", findings(&b, 1));
    assert_eq!(raised(&b), ["certificateError: ERR_CERT_AUTHORITY_INVALID"]);
    assert_eq!(events(&b)[0]["crmId"], "salesforce");

    // The same on a page that is not a CRM: nothing.
    open_tab(&b, 2, "https://example.test/");
    b.send(failed(2, "https://example.test/", "net::ERR_CERT_AUTHORITY_INVALID")).unwrap();
    assert_eq!(b.badge_text(2), "");
    assert!(b.state.session.borrow().get("tab:2").is_none());
    assert_eq!(raised(&b).len(), 1);

    // Leaving for a working page clears it.
    b.navigate(1, SF);
    assert_eq!(b.badge_text(1), "badge_secure");
}

// ---------------------------------------------------------------------------------------------
// Response headers.

#[test]
fn response_headers_without_hsts_or_with_an_insecure_session_cookie_warn_once() {
    let b = Browser::new();
    open_tab(&b, 1, SF);
    b.send(started(1, SF)).unwrap();
    let cookie = format!("sid={COOKIE_VALUE}; Path=/; HttpOnly");
    b.send(response(1, "r1", SF, 200, &[("Set-Cookie", &cookie), ("Content-Type", "text/html")])).unwrap();
    assert_eq!(b.badge_text(1), "", "not committed yet");
    b.send(committed(1, SF)).unwrap();
    assert_eq!(b.badge_text(1), "badge_warning");
    let f = findings(&b, 1);
    assert!(f.contains(&"missingHsts".to_owned()) && f.contains(&"insecureCookie: sid".to_owned()), "{f:?}");
    let mut logged = raised(&b);
    logged.sort();
    assert_eq!(logged, ["insecureCookie: sid", "missingHsts"]);

    // Same document, a settings change, a worker restart: still there, never logged again.
    b.send(Event::NavigationUpdated { tab_id: 1, url: format!("{SF}#detail") }).unwrap();
    b.set_policy(json!({"idleTimeoutMinutes": 30}));
    let b = b.restart();
    b.send(Event::Startup).unwrap();
    assert_eq!(b.badge_text(1), "badge_warning");
    assert!(has(&b, 1, "insecureCookie: sid"));
    assert_eq!(raised(&b).len(), 2, "logged once");

    // The cookie's value is nowhere.
    assert!(!storage_text(&b).contains(COOKIE_VALUE));
    assert!(!verdict(&b, 1).to_string().contains(COOKIE_VALUE));

    // The next document, with HSTS and a Secure cookie: secure.
    b.send(started(1, SF)).unwrap();
    let good = format!("sid={COOKIE_VALUE}; Path=/; Secure; HttpOnly");
    b.send(response(
        1,
        "r2",
        SF,
        200,
        &[("Strict-Transport-Security", "max-age=31536000"), ("Set-Cookie", &good)],
    ))
    .unwrap();
    b.send(committed(1, SF)).unwrap();
    assert_eq!(b.badge_text(1), "badge_secure");
    assert_eq!(findings(&b, 1), Vec::<String>::new());
}

#[test]
fn headers_of_another_url_than_the_committed_one_are_not_applied() {
    let b = Browser::new();
    open_tab(&b, 1, SF);
    b.send(started(1, SF)).unwrap();
    b.send(response(1, "r1", "https://acme.my.salesforce.com/other", 200, &[("Set-Cookie", "sid=x")]))
        .unwrap();
    b.send(committed(1, SF)).unwrap();
    assert_eq!(b.badge_text(1), "badge_secure");
    assert_eq!(findings(&b, 1), Vec::<String>::new());
    assert!(raised(&b).is_empty());
    let rec = b.state.session.borrow().get("tab:1").cloned().unwrap();
    assert!(rec["pending"].is_null(), "the other response is dropped: {rec}");
}

#[test]
fn a_redirect_keeps_its_cookies_but_not_its_missing_hsts() {
    let b = Browser::new();
    let login = "https://login.salesforce.com/?un=x";
    open_tab(&b, 1, login);
    b.send(started(1, login)).unwrap();
    b.send(response(1, "r1", login, 302, &[("Set-Cookie", "sid=abc; Path=/")])).unwrap();
    b.send(response(1, "r1", SF, 200, &[("Strict-Transport-Security", "max-age=600")])).unwrap();
    b.send(committed(1, SF)).unwrap();
    assert_eq!(findings(&b, 1), ["insecureCookie: sid"]);
}

// ---------------------------------------------------------------------------------------------
// The content script's report.

fn mixed_report() -> Value {
    json!({"type": "network.page", "report": {
        "resources": [
            {"url": "http://cdn.example.com/app.js", "type": "script"},
            {"url": "http://img.example.com/logo.png", "type": "image"},
            {"url": "https://ok.example.com/lib.js", "type": "script"},
        ],
        "formActions": ["https://acme.my.salesforce.com/save", "http://evil.example/steal", "/relative"],
    }})
}

#[test]
fn mixed_content_and_insecure_form_actions_from_a_crm_page() {
    let b = Browser::new();
    b.navigate(1, SF);
    let reply = b.content(1, SF, mixed_report()).unwrap();
    assert_eq!(reply, json!([false, true, false]));
    assert_eq!(b.badge_text(1), "badge_atRisk");
    let f = findings(&b, 1);
    for want in
        ["mixedContentActive: cdn.example.com", "mixedContentPassive: img.example.com", "insecureFormAction"]
    {
        assert!(f.contains(&want.to_owned()), "{want} in {f:?}");
    }
    assert!(!f.iter().any(|x| x.contains("ok.example.com")), "{f:?}");
    assert_eq!(raised(&b).len(), 3);
    // Reported again (the content script reports on DOM changes): nothing new.
    assert_eq!(b.content(1, SF, mixed_report()).unwrap(), json!([false, true, false]));
    assert_eq!(raised(&b).len(), 3);
    // A clean form only: nothing blocked.
    let clean =
        json!({"type": "network.page", "report": {"formActions": ["https://acme.my.salesforce.com/x"]}});
    assert_eq!(b.content(1, SF, clean).unwrap(), json!([false]));
}

#[test]
fn a_network_report_from_a_page_that_is_not_a_crm_is_refused() {
    let b = Browser::new();
    b.navigate(2, "https://example.test/");
    let out = b.content(2, "https://example.test/", mixed_report());
    assert!(matches!(out, Err(crate::EngineError::Refused(_))), "{out:?}");
    // A lookalike is not a CRM either.
    b.navigate(3, "https://salesforce-login.com/x");
    assert!(matches!(
        b.content(3, "https://salesforce-login.com/x", mixed_report()),
        Err(crate::EngineError::Refused(_))
    ));
    // Nor an extension page.
    assert!(matches!(b.page(mixed_report()), Err(crate::EngineError::Refused(_))));
    assert!(b.state.session.borrow().get("tab:2").is_none());
    assert!(raised(&b).is_empty());
    assert_eq!(b.badge_text(2), "");

    // A sub-frame of a CRM page: ignored, not refused.
    b.navigate(1, SF);
    let sub = Sender { frame_id: Some(3), ..content_sender(1, SF) };
    assert_eq!(b.send(Event::Message { message: mixed_report(), sender: sub }).unwrap(), Value::Null);
    assert_eq!(b.badge_text(1), "badge_secure");
}

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
