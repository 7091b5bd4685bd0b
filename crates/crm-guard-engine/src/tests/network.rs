//! HTTPS enforcement and network findings: upgrade rules, the "HTTPS failed" page, certificate
//! errors, response headers, the content script's mixed-content report, the trusted-network
//! probe, the proxy check, and races between a tab's events.

use serde_json::{json, Value};

use crate::fake::{content_sender, Browser};
use crate::protocol::{Event, Header, Sender};

pub(super) const SF: &str = "https://acme.my.salesforce.com/lightning/page/home";
pub(super) const ODOO: &str = "https://acme.odoo.com/web";
pub(super) const PROBE: &str = "https://probe.acme.example/crm-guard";
pub(super) const EXT: &str = "chrome-extension://kojhflkoadfcddkikeefjjgeecmhlajk/";
pub(super) const COOKIE_VALUE: &str = "Sup3rS3cr3tSessionValue";

pub(super) fn verdict(b: &Browser, tab: i32) -> Value {
    b.page(json!({"type": "verdict", "tabId": tab})).unwrap()
}

/// `kind` or `kind: detail` of each finding of the popup's verdict.
pub(super) fn findings(b: &Browser, tab: i32) -> Vec<String> {
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

pub(super) fn has(b: &Browser, tab: i32, finding: &str) -> bool {
    findings(b, tab).iter().any(|f| f == finding)
}

/// The security log's events, oldest first.
pub(super) fn events(b: &Browser) -> Vec<Value> {
    let log = b.state.local.borrow().get(crate::protocol::names::EVENT_LOG_KEY).cloned();
    log.and_then(|l| l["events"].as_array().cloned()).unwrap_or_default()
}

/// The details of the `findingRaised` events.
pub(super) fn raised(b: &Browser) -> Vec<String> {
    events(b)
        .iter()
        .filter(|e| e["kind"] == "findingRaised")
        .map(|e| e["detail"].as_str().unwrap_or_default().to_owned())
        .collect()
}

pub(super) fn headers(pairs: &[(&str, &str)]) -> Vec<Header> {
    pairs.iter().map(|(n, v)| Header { name: (*n).into(), value: Some((*v).into()) }).collect()
}

pub(super) fn response(tab: i32, request: &str, url: &str, status: u16, pairs: &[(&str, &str)]) -> Event {
    Event::HeadersReceived {
        tab_id: tab,
        request_id: request.into(),
        url: url.into(),
        status,
        headers: headers(pairs),
    }
}

pub(super) fn started(tab: i32, url: &str) -> Event {
    Event::NavigationStarted { tab_id: tab, url: url.into() }
}

pub(super) fn committed(tab: i32, url: &str) -> Event {
    Event::NavigationCommitted { tab_id: tab, url: url.into() }
}

pub(super) fn failed(tab: i32, url: &str, error: &str) -> Event {
    Event::NavigationFailed { tab_id: tab, url: url.into(), error: error.into() }
}

/// A tab the browser knows about, before any navigation event.
pub(super) fn open_tab(b: &Browser, tab: i32, url: &str) {
    b.state.tabs.borrow_mut().insert(tab, Some(url.to_owned()));
}

/// The domains of the upgrade rules, in id order.
pub(super) fn upgrade_domains(b: &Browser) -> Vec<String> {
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

/// The domains of the `ws:` block rules, in id order.
pub(super) fn ws_blocked_domains(b: &Browser) -> Vec<String> {
    let mut rules: Vec<Value> = b
        .state
        .dynamic_rules
        .borrow()
        .iter()
        .filter(|r| r["action"]["type"] == "block" && r["condition"]["urlFilter"] == "|ws://")
        .cloned()
        .collect();
    rules.sort_by_key(|r| r["id"].as_u64());
    rules.iter().map(|r| r["condition"]["requestDomains"][0].as_str().unwrap().to_owned()).collect()
}

pub(super) fn storage_text(b: &Browser) -> String {
    format!(
        "{:?}{:?}{:?}{:?}",
        b.state.session.borrow(),
        b.state.local.borrow(),
        b.state.errors.borrow(),
        b.state.badges.borrow()
    )
}

/// The badge shows the popup's verdict (nothing stale).
pub(super) fn assert_badge_matches_verdict(b: &Browser, tab: i32, context: &str) {
    let v = verdict(b, tab);
    let want = v["level"].as_str().map(|l| format!("badge_{l}")).unwrap_or_default();
    assert_eq!(b.badge_text(tab), want, "{context}: badge vs verdict {v}");
}

// ---------------------------------------------------------------------------------------------
// Upgrade rules.

#[test]
pub(super) fn upgrade_rules_are_installed_on_install_and_start_and_follow_the_policy() {
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
        // Each domain: `http:` upgraded, `ws:` blocked (issue 10: a WebSocket cannot be upgraded).
        let filter = if r["action"]["type"] == "block" { "|ws://" } else { "|http://" };
        assert!(r["action"]["type"] == "upgradeScheme" || r["action"]["type"] == "block", "{r}");
        assert_eq!(r["condition"]["urlFilter"], filter, "{r}");
        assert!(r["id"].as_u64().unwrap() >= 1000, "{r}");
    }
    assert_eq!(ws_blocked_domains(&b), builtin, "a ws rule for every upgraded domain");

    // A self-hosted CRM from policy gets its rule.
    b.set_policy(json!({"crmHosts": [{"name": "Acme CRM", "hosts": ["crm.acme.example"]}]}));
    let with_acme = upgrade_domains(&b);
    assert_eq!(with_acme.len(), builtin.len() + 1, "{with_acme:?}");
    assert!(with_acme.iter().any(|d| d == "crm.acme.example"), "{with_acme:?}");
    assert_eq!(ws_blocked_domains(&b), with_acme, "and its ws rule");

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
pub(super) fn a_self_hosted_crm_from_policy_is_judged_like_a_crm() {
    let b = Browser::new();
    b.set_policy(json!({"crmHosts": [{"name": "Acme CRM", "hosts": ["crm.acme.example"]}]}));
    b.navigate(1, "http://crm.acme.example/home");
    assert_eq!(b.badge_text(1), "badge_atRisk");
    assert_eq!(verdict(&b, 1)["crmName"], "Acme CRM");
}

// ---------------------------------------------------------------------------------------------
// The "HTTPS failed" page and certificate errors.

#[test]
pub(super) fn an_upgraded_navigation_whose_https_fails_goes_to_the_https_failed_page() {
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
pub(super) fn continuing_over_http_needs_an_exception_from_it() {
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
pub(super) fn only_an_upgraded_navigation_failing_on_https_goes_to_the_https_failed_page() {
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
pub(super) fn a_certificate_error_on_a_crm_host_is_at_risk() {
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
pub(super) fn response_headers_without_hsts_or_with_an_insecure_session_cookie_warn_once() {
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
pub(super) fn headers_of_another_url_than_the_committed_one_are_not_applied() {
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
pub(super) fn a_redirect_keeps_its_cookies_but_not_its_missing_hsts() {
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

pub(super) fn mixed_report() -> Value {
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
pub(super) fn mixed_content_and_insecure_form_actions_from_a_crm_page() {
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
pub(super) fn a_network_report_from_a_page_that_is_not_a_crm_is_refused() {
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
