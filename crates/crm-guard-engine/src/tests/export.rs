//! The export guard and the MFA check, whole sessions: a report export logged, held for a
//! reason, blocked; page-made files; copies and prints; sign-ins with and without a second
//! factor across CRM and identity-provider pages; and what a page cannot do.

use serde_json::{json, Value};

use super::network::findings;
use crate::fake::{content_sender, Browser};
use crate::protocol::names::EVENT_LOG_KEY;
use crate::protocol::Event;
use crate::EngineError;

pub(super) const REPORT: &str = "https://acme.my.salesforce.com/00O5e000001abcD?export=1&enc=UTF-8&xf=csv";
pub(super) const SF_PAGE: &str = "https://acme.lightning.force.com/lightning/r/Report/00O5e000001abcD/view";

pub(super) fn download(id: i32, url: &str, referrer: &str, file: &str) -> Event {
    serde_json::from_value(json!({
        "type": "downloadCreated", "downloadId": id, "url": url, "finalUrl": url, "referrer": referrer,
        "mime": "text/csv", "filename": file, "fileSize": 5120, "held": true
    }))
    .unwrap()
}

fn events(b: &Browser) -> Vec<Value> {
    let log = b.state.local.borrow().get(EVENT_LOG_KEY).cloned().unwrap_or(Value::Null);
    log["events"].as_array().cloned().unwrap_or_default()
}

pub(super) fn of_kind(b: &Browser, kind: &str) -> Vec<Value> {
    events(b).into_iter().filter(|e| e["kind"] == kind).collect()
}

#[test]
fn a_report_export_is_logged_by_default_with_its_recipe_and_no_file_name() {
    let b = Browser::new();
    b.send(download(7, REPORT, SF_PAGE, "/home/u/Downloads/Opportunities.csv")).unwrap();
    assert_eq!(*b.state.released.borrow(), vec![7]);
    let e = of_kind(&b, "dataExport");
    assert_eq!(e.len(), 1);
    assert_eq!(e[0]["crmId"], "salesforce");
    assert_eq!(e[0]["host"], "acme.my.salesforce.com");
    assert_eq!(e[0]["detail"], "table export (salesforce.reportExport): logged, 5120 bytes");
    let all = serde_json::to_string(&events(&b)).unwrap();
    assert!(!all.contains("Opportunities") && !all.contains("export=1") && !all.contains("00O5e"), "{all}");
}

#[test]
fn file_names_as_it_allows() {
    let b = Browser::new();
    b.set_policy(json!({"exportLogFileNames": "full"}));
    b.send(download(1, REPORT, SF_PAGE, "/home/u/Downloads/Opportunities.csv")).unwrap();
    b.set_policy(json!({"exportLogFileNames": "hashed"}));
    b.send(download(2, REPORT, SF_PAGE, "/home/u/Downloads/Opportunities.csv")).unwrap();
    let e = of_kind(&b, "dataExport");
    assert!(e[0]["detail"].as_str().unwrap().ends_with(", file Opportunities.csv"), "{}", e[0]);
    let hashed = e[1]["detail"].as_str().unwrap();
    assert!(hashed.contains(", file sha256:") && !hashed.contains("Opportunities"), "{hashed}");
}

#[test]
fn block_cancels_explains_and_records() {
    let b = Browser::new();
    b.set_policy(json!({"exportTableMode": "block"}));
    b.send(download(3, REPORT, SF_PAGE, "r.csv")).unwrap();
    assert_eq!(*b.state.cancelled.borrow(), vec![3]);
    assert!(b.state.released.borrow().is_empty(), "never released");
    let opened = b.state.opened.borrow().clone();
    assert_eq!(opened.len(), 1);
    assert!(opened[0].contains("export.html?blocked=table&crm=Salesforce"), "{opened:?}");
    let e = of_kind(&b, "dataExport");
    assert_eq!(e[0]["detail"], "table export (salesforce.reportExport): blocked, 5120 bytes");
    assert_eq!(e[0]["level"], "atRisk");
}

#[test]
fn allowed_hosts_are_logged_not_blocked() {
    let b = Browser::new();
    b.set_policy(json!({"exportTableMode": "block", "exportAllowHosts": ["acme.my.salesforce.com"]}));
    b.send(download(3, REPORT, SF_PAGE, "r.csv")).unwrap();
    assert!(b.state.cancelled.borrow().is_empty());
    assert_eq!(*b.state.released.borrow(), vec![3]);
    assert!(of_kind(&b, "dataExport")[0]["detail"].as_str().unwrap().contains(": logged"));
}

#[test]
fn warn_holds_until_a_reason_then_logs_it_once() {
    let b = Browser::new();
    b.set_policy(json!({"exportTableMode": "warn"}));
    b.send(download(4, REPORT, SF_PAGE, "r.csv")).unwrap();
    assert!(b.state.released.borrow().is_empty() && b.state.cancelled.borrow().is_empty(), "held");
    assert!(b.state.opened.borrow()[0].ends_with("export.html?id=4"));
    let e = of_kind(&b, "dataExport");
    assert_eq!(e.len(), 1, "the hold is recorded before any answer");
    assert_eq!(e[0]["detail"], "table export (salesforce.reportExport): held, reason asked, 5120 bytes");
    let info = b.page(json!({"type": "exportPromptInfo", "id": 4})).unwrap();
    assert_eq!(
        info,
        json!({"kind": "table", "crm": "Salesforce", "host": "acme.my.salesforce.com", "recipe": "salesforce.reportExport"})
    );
    // A reason is required to go on.
    let r = b.page(json!({"type": "exportDecision", "id": 4, "proceed": true, "reason": "  "})).unwrap();
    assert_eq!(r["needReason"], true);
    // A CRM page cannot answer for the user.
    let forged = b.send(Event::Message {
        message: json!({"type": "exportDecision", "id": 4, "proceed": true, "reason": "x"}),
        sender: content_sender(1, SF_PAGE),
    });
    assert!(matches!(forged, Err(EngineError::Refused(_))), "{forged:?}");
    let r =
        b.page(json!({"type": "exportDecision", "id": 4, "proceed": true, "reason": "Quarterly review\n"}));
    assert_eq!(r.unwrap()["done"], true);
    assert_eq!(*b.state.released.borrow(), vec![4]);
    let e = of_kind(&b, "dataExport");
    assert_eq!(
        e[1]["detail"],
        "table export (salesforce.reportExport): asked, 5120 bytes, reason: Quarterly review"
    );
    // A second answer does nothing.
    let again = b.page(json!({"type": "exportDecision", "id": 4, "proceed": false})).unwrap();
    assert_eq!(again["done"], false);
    assert!(b.state.cancelled.borrow().is_empty());
    assert_eq!(of_kind(&b, "dataExport").len(), 2);
}

#[test]
fn warn_then_cancel_cancels() {
    let b = Browser::new();
    b.set_policy(json!({"exportTableMode": "warn"}));
    b.send(download(5, REPORT, SF_PAGE, "r.csv")).unwrap();
    b.page(json!({"type": "exportDecision", "id": 5, "proceed": false})).unwrap();
    assert_eq!(*b.state.cancelled.borrow(), vec![5]);
    assert!(of_kind(&b, "dataExport")[1]["detail"]
        .as_str()
        .unwrap()
        .ends_with("blocked, 5120 bytes, reason: cancelled by the user"));
}

#[test]
fn page_made_frames_cdns_and_unknown_origins() {
    let b = Browser::new();
    // A blob made by a Dynamics page ("Export to Excel" builds the file in the page).
    b.send(download(1, "blob:https://acme.crm4.dynamics.com/0b1c", "", "Accounts.xlsx")).unwrap();
    // A data: URL with no referrer: the active tab (a frame's download has the top page there).
    *b.state.active_tab.borrow_mut() = Some("https://app.hubspot.com/contacts/1/objects/0-1".into());
    b.send(download(2, "data:text/csv;base64,YQ==", "", "contacts.csv")).unwrap();
    // A CDN with the CRM page as referrer.
    b.send(download(3, "https://cdn.files.example/abc?sig=s3cret", SF_PAGE, "x.csv")).unwrap();
    // A page-made file from a tab we cannot read: unknown origin, still recorded.
    *b.state.active_tab.borrow_mut() = None;
    b.send(download(4, "data:text/csv,a", "", "y.csv")).unwrap();
    // An ordinary download: none of our business.
    b.send(download(5, "https://example.com/a.csv", "https://example.com/", "a.csv")).unwrap();
    let e = of_kind(&b, "dataExport");
    let summary: Vec<(Value, String)> =
        e.iter().map(|e| (e["crmId"].clone(), e["detail"].as_str().unwrap().to_owned())).collect();
    assert_eq!(
        summary,
        vec![
            (json!("dynamics365"), "table export (blob): logged, 5120 bytes".to_owned()),
            (json!("hubspot"), "table export (blob): logged, 5120 bytes".to_owned()),
            (json!("salesforce"), "table export (file): logged, 5120 bytes".to_owned()),
            (Value::Null, "table export (unknownOrigin): logged, 5120 bytes".to_owned()),
        ]
    );
    assert_eq!(*b.state.released.borrow(), vec![1, 2, 3, 4, 5], "every download goes on");
    assert!(!serde_json::to_string(&e).unwrap().contains("s3cret"));
}

#[test]
fn bad_download_events_never_leave_a_file_held() {
    let b = Browser::new();
    for bad in
        [json!({"type": "downloadCreated", "downloadId": 9}), json!({"type": "downloadCreated", "url": 3})]
    {
        assert!(serde_json::from_value::<Event>(bad).is_err());
    }
    let long = format!("https://acme.my.salesforce.com/00O1?export=1&xf=csv&pad={}", "a".repeat(3_000_000));
    b.send(download(6, &long, "", "\u{0}".repeat(5000).as_str())).unwrap();
    assert_eq!(*b.state.released.borrow(), vec![6]);
}

#[test]
fn large_copies_are_logged_small_ones_not_and_prints() {
    let b = Browser::new();
    let page = "https://acme.lightning.force.com/lightning/o/Contact/list";
    b.navigate(1, page);
    let r = b.content(1, page, json!({"type": "exportCopy", "chars": 20, "rows": 0})).unwrap();
    assert_eq!(r["logged"], false);
    let r = b.content(1, page, json!({"type": "exportCopy", "chars": 40_000, "rows": 500})).unwrap();
    assert_eq!(r["logged"], true);
    b.content(1, page, json!({"type": "exportPrint"})).unwrap();
    let copies = of_kind(&b, "largeCopy");
    assert_eq!(copies.len(), 1);
    assert_eq!(copies[0]["detail"], "40000 characters, 500 table rows");
    assert_eq!(copies[0]["host"], "acme.lightning.force.com");
    assert_eq!(of_kind(&b, "pagePrinted").len(), 1);
    // Not from a page that is not a CRM.
    let refused =
        b.content(2, "https://evil.test/", json!({"type": "exportCopy", "chars": 1_000_000, "rows": 10_000}));
    assert!(matches!(refused, Err(EngineError::Refused(_))));
    // A flood of copies is capped per host; a download is still recorded after it.
    for _ in 0..100 {
        let _ = b.content(1, page, json!({"type": "exportCopy", "chars": 40_000, "rows": 500}));
    }
    assert!(of_kind(&b, "largeCopy").len() <= crm_guard_core::evidence::MAX_EVENTS_PER_HOST);
    b.send(download(8, REPORT, SF_PAGE, "r.csv")).unwrap();
    assert_eq!(of_kind(&b, "dataExport").len(), 1, "a page cannot spend the cap to hide an export");
}

fn sign_in(b: &Browser, tab: i32, pages: &[&str]) {
    for p in pages {
        if let Some(url) = p.strip_prefix("OTP ") {
            b.content(tab, url, json!({"type": "signinCodeField"})).unwrap();
        } else {
            b.navigate(tab, p);
        }
    }
}

#[test]
fn a_password_only_sign_in_gives_one_note_and_one_event() {
    let b = Browser::new();
    sign_in(
        &b,
        1,
        &[
            "https://login.salesforce.com/",
            "https://acme.my.salesforce.com/secur/frontdoor.jsp?sid=x",
            "https://acme.lightning.force.com/lightning/page/home",
        ],
    );
    assert_eq!(findings(&b, 1), vec!["passwordOnlySignIn: Salesforce"]);
    assert_eq!(b.badge_text(1), "badge_secure", "informational: the level stays secure");
    let e = of_kind(&b, "signInWithoutMfa");
    assert_eq!(e.len(), 1);
    assert_eq!(e[0]["detail"], "sign-in salesforce.login without a second factor seen");
    assert!(of_kind(&b, "findingRaised").is_empty(), "one event, not two");
    // The note stays while the tab stays on the CRM; no second event.
    b.navigate(1, "https://acme.lightning.force.com/lightning/o/Account/list");
    assert_eq!(findings(&b, 1), vec!["passwordOnlySignIn: Salesforce"]);
    assert_eq!(of_kind(&b, "signInWithoutMfa").len(), 1);
    b.navigate(1, "https://example.com/");
    b.navigate(1, "https://acme.lightning.force.com/lightning/page/home");
    assert!(findings(&b, 1).is_empty());
}

#[test]
fn a_second_factor_by_url_or_code_field_gives_nothing() {
    let b = Browser::new();
    sign_in(
        &b,
        1,
        &[
            "https://login.salesforce.com/",
            "https://acme.my.salesforce.com/_ui/identity/verification/method/TotpVerificationFinish",
            "https://acme.lightning.force.com/lightning/page/home",
        ],
    );
    // My Domain's root with its login form (the content script's report), then a code field.
    let my = "https://acme.my.salesforce.com/";
    b.navigate(2, my);
    b.content(2, my, json!({"type": "pwPage", "hasLoginField": true})).unwrap();
    sign_in(&b, 2, &[&format!("OTP {my}"), "https://acme.lightning.force.com/lightning/page/home"]);
    // Dynamics through Entra with its MFA page; another tab with the password only.
    sign_in(
        &b,
        3,
        &[
            "https://login.microsoftonline.com/common/oauth2/authorize?client_id=x",
            "https://login.microsoftonline.com/common/SAS/ProcessAuth",
            "https://acme.crm4.dynamics.com/main.aspx",
        ],
    );
    for tab in [1, 2, 3] {
        assert!(findings(&b, tab).is_empty(), "tab {tab}: {:?}", findings(&b, tab));
    }
    assert!(of_kind(&b, "signInWithoutMfa").is_empty());
    // The password posted to Entra (`/common/login`), then Dynamics: password only.
    sign_in(
        &b,
        4,
        &[
            "https://login.microsoftonline.com/common/oauth2/authorize",
            "https://login.microsoftonline.com/common/login",
            "https://acme.crm4.dynamics.com/main.aspx",
        ],
    );
    assert_eq!(findings(&b, 4), vec!["passwordOnlySignIn: Dynamics 365"]);
    // A silent single sign-on through Entra's redirect endpoint asked for no password: nothing.
    sign_in(
        &b,
        7,
        &[
            "https://login.microsoftonline.com/common/oauth2/authorize",
            "https://acme.crm4.dynamics.com/main.aspx",
        ],
    );
    assert!(findings(&b, 7).is_empty(), "{:?}", findings(&b, 7));
    // My Domain's root: a login form, then the app with nothing between.
    b.navigate(5, my);
    b.content(5, my, json!({"type": "pwPage", "hasLoginField": true})).unwrap();
    b.navigate(5, "https://acme.lightning.force.com/lightning/page/home");
    assert_eq!(findings(&b, 5), vec!["passwordOnlySignIn: Salesforce"]);
    // The root without a login form (a signed-in user's hop) starts nothing.
    b.navigate(6, my);
    b.content(6, my, json!({"type": "pwPage", "hasLoginField": false})).unwrap();
    b.navigate(6, "https://acme.lightning.force.com/lightning/page/home");
    assert!(findings(&b, 6).is_empty());
}

#[test]
fn a_sign_in_expires_and_a_password_field_deep_in_the_crm_starts_none() {
    let b = Browser::new();
    // A login page left open for ten minutes, then the CRM: no longer this sign-in.
    b.navigate(1, "https://app.hubspot.com/login");
    b.advance(10 * 60_000);
    b.navigate(1, "https://app.hubspot.com/contacts/1");
    assert!(findings(&b, 1).is_empty(), "{:?}", findings(&b, 1));
    // A login page, an unrelated site, then the CRM: the sign-in was left.
    b.navigate(2, "https://app.hubspot.com/login");
    b.navigate(2, "https://example.com/");
    b.navigate(2, "https://app.hubspot.com/contacts/1");
    assert!(findings(&b, 2).is_empty());
    // A change-password form deep in the application starts nothing.
    let deep = "https://acme.lightning.force.com/lightning/settings/personal/ChangePassword/home";
    b.navigate(3, deep);
    b.content(3, deep, json!({"type": "pwPage", "hasLoginField": true})).unwrap();
    b.navigate(3, "https://acme.lightning.force.com/lightning/page/home");
    assert!(findings(&b, 3).is_empty());
    assert!(of_kind(&b, "signInWithoutMfa").is_empty());
}

#[test]
fn the_check_can_be_off_and_a_code_report_for_another_document_is_dropped() {
    let b = Browser::new();
    b.set_policy(json!({"mfaCheck": false}));
    sign_in(&b, 1, &["https://app.hubspot.com/login", "https://app.hubspot.com/contacts/1"]);
    assert!(findings(&b, 1).is_empty());
    b.set_policy(json!({}));
    b.navigate(2, "https://app.hubspot.com/login");
    // A late report from a page the tab already left (another origin) marks nothing.
    b.state.tabs.borrow_mut().insert(2, Some("https://accounts.google.com/v3/signin/identifier".into()));
    b.content(2, "https://app.hubspot.com/login", json!({"type": "signinCodeField"})).unwrap();
    sign_in(&b, 2, &["https://app.hubspot.com/contacts/1"]);
    assert_eq!(findings(&b, 2), vec!["passwordOnlySignIn: HubSpot"]);
    // Nothing of the sign-in's URLs is stored.
    let session = b.state.session.borrow().values().map(Value::to_string).collect::<String>();
    assert!(!session.contains("/login"), "{session}");
}

fn report(id: i32, held: bool) -> Event {
    serde_json::from_value(json!({
        "type": "downloadCreated", "downloadId": id, "url": REPORT, "referrer": SF_PAGE,
        "mime": "text/csv", "filename": "r.csv", "held": held
    }))
    .unwrap()
}

#[test]
fn one_download_reported_twice_is_decided_once_and_paused_where_not_held() {
    let b = Browser::new();
    // onCreated, then onDeterminingFilename: one event, the hold released.
    b.send(report(1, false)).unwrap();
    b.send(report(1, true)).unwrap();
    assert_eq!(of_kind(&b, "dataExport").len(), 1);
    assert_eq!(*b.state.released.borrow(), vec![1, 1]);
    // Warn with no hold from the browser: paused until the answer, resumed after it.
    b.set_policy(json!({"exportTableMode": "warn"}));
    b.send(report(2, false)).unwrap();
    b.send(report(2, true)).unwrap();
    assert_eq!(*b.state.paused.borrow(), vec![(2, true)]);
    assert_eq!(b.state.opened.borrow().len(), 1, "one prompt");
    b.page(json!({"type": "exportDecision", "id": 2, "proceed": true, "reason": "audit"})).unwrap();
    assert_eq!(*b.state.paused.borrow(), vec![(2, true), (2, false)]);
    assert_eq!(b.state.released.borrow().last(), Some(&2));
    // Block: cancelled once, never released, one event.
    b.set_policy(json!({"exportTableMode": "block"}));
    b.send(report(3, false)).unwrap();
    b.send(report(3, true)).unwrap();
    assert_eq!(*b.state.cancelled.borrow(), vec![3]);
    assert!(!b.state.released.borrow().contains(&3));
    assert_eq!(of_kind(&b, "dataExport").len(), 4, "log, held, answer, block");
}

fn named(id: i32, held: bool, file: &str) -> Event {
    serde_json::from_value(json!({
        "type": "downloadCreated", "downloadId": id, "url": REPORT, "referrer": SF_PAGE,
        "mime": "text/csv", "filename": file, "held": held
    }))
    .unwrap()
}

#[test]
fn a_file_name_that_comes_with_the_second_report_is_in_the_event() {
    let b = Browser::new();
    b.set_policy(json!({"exportLogFileNames": "full"}));
    // Chromium: onCreated without a name, then onDeterminingFilename with it.
    let timers = b.state.sleep_gate.try_lock().unwrap();
    b.send(named(1, false, "")).unwrap();
    assert!(of_kind(&b, "dataExport").is_empty(), "waits for the name");
    b.send(named(1, true, "/tmp/report1.csv")).unwrap();
    let e = of_kind(&b, "dataExport");
    assert_eq!(e[0]["detail"], "table export (salesforce.reportExport): logged, file report1.csv");
    // No named report (a debugger owns downloads): logged without a name after the wait.
    b.send(named(2, false, "")).unwrap();
    assert_eq!(of_kind(&b, "dataExport").len(), 1);
    drop(timers);
    b.settle();
    let e = of_kind(&b, "dataExport");
    assert_eq!(e.len(), 2, "the first one is not logged twice");
    assert_eq!(e[1]["detail"], "table export (salesforce.reportExport): logged");
    // Warn: the name reaches the held record, and so the event at the answer.
    b.set_policy(json!({"exportLogFileNames": "full", "exportTableMode": "warn"}));
    b.send(named(3, false, "")).unwrap();
    b.send(named(3, true, "C:\\\\Users\\\\x\\\\report3.csv")).unwrap();
    b.page(json!({"type": "exportDecision", "id": 3, "proceed": true, "reason": "audit"})).unwrap();
    assert!(of_kind(&b, "dataExport")[3]["detail"]
        .as_str()
        .unwrap()
        .contains("file report3.csv, reason: audit"));
    // With names off nothing waits.
    b.set_policy(json!({}));
    b.send(named(4, false, "")).unwrap();
    assert_eq!(of_kind(&b, "dataExport").len(), 5);
}
