//! Tenants (issue 10, finding 1): IT names its organisation's tenants; another organisation's
//! tenant of the same CRM gets its own badge and verdict, counts as a foreign site for the
//! phishing guard and never teaches the reuse guard a fingerprint. Without tenants, today's
//! behaviour stays.

use serde_json::{json, Value};

use crate::fake::Browser;
use crate::protocol::names::PW_FINGERPRINTS_KEY;

const ACME: &str = "https://acme.my.salesforce.com/lightning/page/home";
const ACME_SANDBOX: &str = "https://acme--uat.sandbox.my.salesforce.com/home";
const GLOBEX: &str = "https://globex.my.salesforce.com/lightning/page/home";
const EXPERIENCE: &str = "https://evil.my.site.com/s/login";
const PW: &str = "correct-horse-battery-staple";

fn acme_policy(extra: Value) -> Value {
    let mut p = json!({
        "tenants": { "salesforce": ["acme.my.salesforce.com", "acme--*.sandbox.my.salesforce.com"] },
        "phishingGuard": true,
    });
    p.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    p
}

fn acme() -> Browser {
    let b = Browser::new();
    b.set_policy(acme_policy(json!({})));
    b
}

fn fingerprints(b: &Browser) -> Vec<Value> {
    b.state.local.borrow().get(PW_FINGERPRINTS_KEY).and_then(|v| v.as_array().cloned()).unwrap_or_default()
}

/// Submits `pw` on the login in `tab` at `url`; the landing page at `landing` has no login field.
fn log_in(b: &Browser, tab: i32, url: &str, landing: &str, pw: &str) -> (Value, Value) {
    b.navigate(tab, url);
    let submitted = b.content(tab, url, json!({"type": "pwLogin", "password": pw, "typed": true})).unwrap();
    b.navigate(tab, landing);
    let page = b.content(tab, landing, json!({"type": "pwPage", "hasLoginField": false})).unwrap();
    (submitted, page)
}

#[test]
fn the_organisations_tenants_keep_the_crm_badge_and_another_organisations_get_their_own() {
    let b = acme();
    b.navigate(1, ACME);
    b.navigate(2, ACME_SANDBOX);
    b.navigate(3, GLOBEX);
    b.navigate(4, EXPERIENCE);
    b.navigate(5, "https://login.salesforce.com/");
    for tab in [1, 2, 5] {
        assert_eq!(b.badge_text(tab), "badge_secure", "tab {tab}");
    }
    for tab in [3, 4] {
        let badge = b.badge(tab).unwrap();
        assert_eq!(badge.text, "badge_foreign", "tab {tab}");
        assert_eq!(badge.title, "badgeTitleForeign(Salesforce)");
        assert_eq!(badge.color, crm_guard_core::tenant::FOREIGN_BADGE_COLOR);
    }
    let v = b.page(json!({"type": "verdict", "tabId": 4})).unwrap();
    assert_eq!(v["tenant"], json!({"status": "foreign"}));
    assert_eq!(v["level"], "atRisk");
    assert_eq!(v["findings"], json!([{"kind": "foreignTenant", "level": "atRisk", "detail": "Salesforce"}]));
    let v = b.page(json!({"type": "verdict", "tabId": 2})).unwrap();
    assert_eq!(v["tenant"], json!({"status": "own", "tenant": "acme--*.sandbox.my.salesforce.com"}));
    let v = b.page(json!({"type": "verdict", "tabId": 5})).unwrap();
    assert_eq!(v["tenant"], json!({"status": "shared"}));
}

#[test]
fn without_tenants_every_tenant_is_the_crm_and_the_verdict_says_checks_are_off() {
    let b = Browser::new();
    b.navigate(1, GLOBEX);
    b.navigate(2, EXPERIENCE);
    for tab in [1, 2] {
        assert_eq!(b.badge_text(tab), "badge_secure");
        let v = b.page(json!({"type": "verdict", "tabId": tab})).unwrap();
        assert_eq!(v["tenant"], json!({"status": "off"}));
        assert_eq!(v["findings"], json!([]));
    }
    // Tenants named later (policy change): open tabs are judged again at once.
    b.set_policy(acme_policy(json!({})));
    assert_eq!(b.badge_text(1), "badge_foreign");
    assert_eq!(b.badge_text(2), "badge_foreign");
}

#[test]
fn a_login_on_another_organisations_tenant_derives_and_stores_nothing() {
    let b = acme();
    let (submitted, _) = log_in(&b, 1, EXPERIENCE, "https://evil.my.site.com/s/", PW);
    assert_eq!(submitted, json!(false), "no pending login on a foreign tenant");
    assert_eq!(b.state.derivations.get(), 0, "not even a derivation");
    assert!(fingerprints(&b).is_empty());
    // A login on the organisation's tenant that lands on a foreign tenant is not learnt either.
    let (submitted, _) = log_in(&b, 2, ACME, GLOBEX, PW);
    assert_eq!(submitted, json!(true));
    assert!(fingerprints(&b).is_empty());
}

#[test]
fn fingerprints_are_tied_to_the_tenant_and_replace_the_crm_wide_one() {
    let b = Browser::new();
    // Before tenants: learnt CRM-wide (here on someone else's tenant, as any tenant counted).
    log_in(&b, 1, GLOBEX, GLOBEX, "globex-chosen-password-1");
    assert_eq!(fingerprints(&b)[0].get("tenant"), None, "stored in the shape before tenants");
    b.set_policy(acme_policy(json!({})));
    log_in(&b, 1, "https://login.salesforce.com/", ACME, PW);
    let stored = fingerprints(&b);
    assert_eq!(stored.len(), 1, "the CRM-wide fingerprint is dropped: {stored:?}");
    assert_eq!(
        (stored[0]["crmId"].as_str(), stored[0]["tenant"].as_str()),
        (Some("salesforce"), Some("acme.my.salesforce.com"))
    );
    // The sandbox's password is its own: it does not overwrite production's.
    log_in(&b, 2, ACME_SANDBOX, ACME_SANDBOX, "sandbox-password-2");
    let tenants: Vec<_> = fingerprints(&b).iter().map(|f| f["tenant"].as_str().unwrap().to_owned()).collect();
    assert_eq!(tenants, ["acme.my.salesforce.com", "acme--*.sandbox.my.salesforce.com"]);
}

#[test]
fn the_crm_password_typed_on_another_organisations_tenant_is_phishing() {
    let b = acme();
    log_in(&b, 1, ACME, ACME, PW);
    assert_eq!(fingerprints(&b).len(), 1);
    b.navigate(2, EXPERIENCE);
    let alert = b.content(2, EXPERIENCE, json!({"type": "pwPhish", "password": PW})).unwrap();
    assert_eq!(alert, json!({"crmId": "salesforce", "crmName": "Salesforce"}));
    assert_eq!(b.event_kinds(), vec!["phishingAlert"]);
    // On the organisation's own tenant it is no phishing.
    let own = b.content(1, ACME, json!({"type": "pwPhish", "password": PW})).unwrap();
    assert_eq!(own, Value::Null);
    // Without tenants, the same page counts as Salesforce (today's behaviour).
    b.set_policy(json!({"phishingGuard": true}));
    let off = b.content(2, EXPERIENCE, json!({"type": "pwPhish", "password": PW})).unwrap();
    assert_eq!(off, Value::Null);
}

#[test]
fn a_foreign_tenant_gets_no_reuse_finding_and_no_reuse_marks() {
    let b = acme();
    log_in(&b, 1, ACME, ACME, PW);
    // The same password on HubSpot: reuse, marked on the organisation's Salesforce tabs only.
    b.navigate(3, GLOBEX);
    let names = log_in(&b, 2, "https://app.hubspot.com/login", "https://app.hubspot.com/contacts/1", PW).1;
    assert_eq!(names, json!(["Salesforce"]));
    let kinds = |tab: i32| {
        let v = b.page(json!({"type": "verdict", "tabId": tab})).unwrap();
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["kind"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(kinds(1), ["passwordReuse"]);
    assert_eq!(kinds(3), ["foreignTenant"]);
    let page = b.content(3, GLOBEX, json!({"type": "pwPage", "hasLoginField": false})).unwrap();
    assert_eq!(page, json!([]));
}
