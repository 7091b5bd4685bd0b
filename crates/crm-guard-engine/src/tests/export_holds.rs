//! The export guard fails closed: a cancel that fails, a finished file, a prompt closed or a hold
//! lost with the worker, a flood of downloads, and Chromium's decision on the named report.

use serde_json::{json, Value};

use super::export::{download, of_kind, REPORT, SF_PAGE};
use crate::fake::Browser;
use crate::protocol::Event;

fn details(b: &Browser) -> Vec<String> {
    of_kind(b, "dataExport").iter().map(|e| e["detail"].as_str().unwrap_or_default().to_owned()).collect()
}

#[test]
fn block_of_a_finished_file_removes_it_and_is_recorded_first() {
    // Firefox: `downloads.cancel` rejects on a download that already completed.
    let b = Browser::new();
    b.set_policy(json!({"exportTableMode": "block"}));
    b.state.cancel_fails.set(true);
    let r = b.send(download(3, REPORT, SF_PAGE, "r.csv")).unwrap();
    assert_eq!(r, json!({"held": true}), "the shell must not let it go");
    assert!(b.state.released.borrow().is_empty(), "never released");
    assert_eq!(*b.state.removed.borrow(), vec![3], "the finished file is removed");
    assert_eq!(details(&b), vec!["table export (salesforce.reportExport): blocked, 5120 bytes"]);
}

#[test]
fn block_whose_cancel_and_remove_fail_stays_held_and_says_so() {
    let b = Browser::new();
    b.set_policy(json!({"exportTableMode": "block"}));
    b.state.cancel_fails.set(true);
    b.state.remove_fails.set(true);
    let r = b.send(download(3, REPORT, SF_PAGE, "r.csv")).unwrap();
    assert_eq!(r, json!({"held": true}));
    assert!(b.state.released.borrow().is_empty(), "an error never releases a blocked download");
    assert_eq!(
        details(&b),
        vec![
            "table export (salesforce.reportExport): blocked, 5120 bytes",
            "table export (salesforce.reportExport): cancel failed, the file may be saved, 5120 bytes",
        ]
    );
    // A logged download is the shell's to release.
    b.set_policy(json!({}));
    assert_eq!(b.send(download(4, REPORT, SF_PAGE, "r.csv")).unwrap(), json!({"held": false}));
}

#[test]
fn warn_cancel_keeps_the_hold_until_the_cancel_succeeds() {
    let b = Browser::new();
    b.set_policy(json!({"exportTableMode": "warn"}));
    b.send(download(5, REPORT, SF_PAGE, "r.csv")).unwrap();
    b.state.cancel_fails.set(true);
    b.state.remove_fails.set(true);
    let r = b.page(json!({"type": "exportDecision", "id": 5, "proceed": false})).unwrap();
    assert_eq!(r["done"], false);
    assert!(b.state.released.borrow().is_empty());
    assert!(details(&b).last().unwrap().contains("cancel failed"));
    // Still held: the next answer acts on it; a finished file is removed.
    b.state.remove_fails.set(false);
    let r = b.page(json!({"type": "exportDecision", "id": 5, "proceed": false})).unwrap();
    assert_eq!(r["done"], true);
    assert_eq!(*b.state.removed.borrow(), vec![5]);
    assert!(b.state.released.borrow().is_empty(), "never released");
}

#[test]
fn warn_prompt_closed_without_an_answer_cancels_and_records() {
    let b = Browser::new();
    b.set_policy(json!({"exportTableMode": "warn"}));
    b.send(download(6, REPORT, SF_PAGE, "r.csv")).unwrap();
    // The prompt opens in tab 40 and asks; the user closes it.
    b.send(Event::Message {
        message: json!({"type": "exportPromptInfo", "id": 6}),
        sender: crate::protocol::Sender { extension_page: true, tab_id: Some(40), ..Default::default() },
    })
    .unwrap();
    b.send(Event::TabRemoved { tab_id: 41 }).unwrap();
    assert!(b.state.cancelled.borrow().is_empty(), "another tab closing does nothing");
    b.send(Event::TabRemoved { tab_id: 40 }).unwrap();
    assert_eq!(*b.state.cancelled.borrow(), vec![6]);
    assert!(b.state.released.borrow().is_empty());
    assert_eq!(
        details(&b)[1],
        "table export (salesforce.reportExport): prompt closed without an answer, cancelled, 5120 bytes"
    );
    let late = b.page(json!({"type": "exportDecision", "id": 6, "proceed": true, "reason": "x"})).unwrap();
    assert_eq!(late["done"], false, "a late answer releases nothing");
    assert!(b.state.released.borrow().is_empty());
}

#[test]
fn warn_hold_lost_with_the_worker_is_cancelled_not_released() {
    let b = Browser::new();
    b.set_policy(json!({"exportTableMode": "warn"}));
    b.send(download(7, REPORT, SF_PAGE, "r.csv")).unwrap();
    // Firefox: a paused download (no browser hold) survives the worker.
    let mut paused = download(8, REPORT, SF_PAGE, "r.csv");
    if let Event::DownloadCreated(d) = &mut paused {
        d.held = false;
    }
    b.send(paused).unwrap();
    let b = b.restart();
    assert_eq!(*b.state.cancelled.borrow(), vec![7], "Chromium's hold died with the worker");
    assert!(b.state.released.borrow().is_empty());
    assert!(details(&b).iter().any(|d| d.contains("hold lost (worker restarted), cancelled")));
    let r = b.page(json!({"type": "exportDecision", "id": 8, "proceed": true, "reason": "ok"})).unwrap();
    assert_eq!(r["done"], true, "the paused one still waits for its answer");
}

#[test]
fn warn_on_a_file_that_cannot_be_paused_says_it_was_not_held() {
    // Firefox: a small file completes before `pause` arrives.
    let b = Browser::new();
    b.set_policy(json!({"exportTableMode": "warn"}));
    b.state.pause_fails.set(true);
    let mut event = download(9, REPORT, SF_PAGE, "r.csv");
    if let Event::DownloadCreated(d) = &mut event {
        d.held = false;
    }
    b.send(event).unwrap();
    assert!(
        details(&b).iter().any(|d| d.contains("could not be held (already complete)")),
        "{:?}",
        details(&b)
    );
}

#[test]
fn a_download_flood_is_capped_with_one_event_and_opens_few_tabs() {
    let b = Browser::new();
    b.set_policy(json!({"exportTableMode": "block"}));
    // A page's copies spend its page-driven window: exports keep their own.
    for _ in 0..30 {
        b.content(1, SF_PAGE, json!({"type": "exportCopy", "chars": 100000, "rows": 500})).unwrap();
    }
    for id in 0..100 {
        b.send(download(id, REPORT, "https://acme.my.salesforce.com/lightning/page/home", "r.csv")).unwrap();
    }
    let exports = of_kind(&b, "dataExport");
    assert_eq!(exports.len(), crm_guard_core::evidence::MAX_EXPORTS_PER_HOST);
    let capped: Vec<Value> = of_kind(&b, "evidenceCapped")
        .into_iter()
        .filter(|e| e["detail"].as_str().unwrap().starts_with("export cap"))
        .collect();
    assert_eq!(capped.len(), 1, "one capped event, not silence");
    assert_eq!(capped[0]["host"], "acme.my.salesforce.com");
    assert_eq!(b.state.cancelled.borrow().len(), 100, "every one still blocked");
    assert!(b.state.released.borrow().is_empty());
    assert_eq!(b.state.opened.borrow().len(), 3, "a few explanation tabs, not one per download");
    // Warn past the page budget: cancelled (fail closed) and recorded, not held without a prompt.
    b.set_policy(json!({"exportTableMode": "warn"}));
    b.advance(61 * 60_000);
    for id in 200..205 {
        b.send(download(id, REPORT, SF_PAGE, "r.csv")).unwrap();
    }
    assert_eq!(b.state.opened.borrow().len(), 6);
    assert!(details(&b).iter().filter(|d| d.contains("too many prompts at once, cancelled")).count() == 2);
    assert!(b.state.cancelled.borrow().contains(&204) && !b.state.released.borrow().contains(&204));
}

fn chromium(id: i32, early: bool, mime: &str, file: &str) -> Event {
    serde_json::from_value(json!({
        "type": "downloadCreated", "downloadId": id,
        "url": "https://acme.my.salesforce.com/sfc/servlet.shepherd/version/download/0681",
        "referrer": SF_PAGE, "mime": mime, "filename": file, "held": !early, "early": early
    }))
    .unwrap()
}

#[test]
fn chromium_decides_on_the_named_report_not_on_oncreated() {
    let b = Browser::new();
    // onCreated: no name, an untyped octet-stream — by itself "other" (off by default).
    let timers = b.state.sleep_gate.try_lock().unwrap();
    assert_eq!(b.send(chromium(1, true, "application/octet-stream", "")).unwrap(), json!({"held": true}));
    assert!(of_kind(&b, "dataExport").is_empty() && b.state.released.borrow().is_empty(), "not decided yet");
    // onDeterminingFilename names it contacts.csv: a table, logged and released.
    b.send(chromium(1, false, "application/octet-stream", "/tmp/contacts.csv")).unwrap();
    assert_eq!(details(&b), vec!["table export (file): logged"]);
    assert_eq!(*b.state.released.borrow(), vec![1]);
    // No named report at all (a debugger owns downloads): decided on onCreated after the wait.
    b.send(chromium(2, true, "text/csv", "")).unwrap();
    drop(timers);
    b.settle();
    assert_eq!(details(&b).len(), 2, "the first is not decided twice; the second after the wait");
    assert_eq!(details(&b)[1], "table export (file): logged");
}
