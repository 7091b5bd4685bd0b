//! Hostile pages (issue 10): a script on a CRM page flooding the worker through our content
//! scripts (synthetic input, scripted submits), and a page that makes its own URL too long to
//! parse. Each test performs the attack and reads what it cost and what the user still gets.

use crm_guard_core::idle::logout::Cookie;
use crm_guard_core::idle::BrowserIdleState;
use serde_json::{json, Value};

use crm_guard_core::host::MAX_URL_LEN;

use crate::fake::Browser;
use crate::ports::HttpResponse;
use crate::protocol::names::{IDLE_ALARM, PW_FINGERPRINTS_KEY};
use crate::protocol::Event;

const SF: &str = "https://acme.my.salesforce.com/lightning/page/home";
const HS: &str = "https://app.hubspot.com/contacts/123";
const LIMITED: fn() -> Value = || json!({"limited": true});

fn score(b: &Browser, tab: i32, seq: i64) -> Value {
    b.content(
        tab,
        SF,
        json!({"type": "pwScore", "seq": seq, "password": format!("Pw-{seq}-flood"), "values": []}),
    )
    .unwrap()
}

fn limited(replies: &[Value]) -> usize {
    replies.iter().filter(|r| r["limited"] == true).count()
}

/// Tab 1 on Salesforce, signed in; every logout URL answers.
fn signed_in() -> Browser {
    let b = Browser::new();
    b.navigate(1, SF);
    b.state.cookies.borrow_mut().push(Cookie {
        name: "sid".into(),
        domain: "acme.my.salesforce.com".into(),
        path: "/".into(),
        secure: true,
        host_only: true,
        store_id: Some("0".into()),
    });
    *b.state.http.borrow_mut() =
        Some(Box::new(|_| Ok(HttpResponse { opaque_redirect: true, ..Default::default() })));
    b.send(Event::Wake).unwrap();
    b
}

fn logged_out(b: &Browser) -> bool {
    b.event_kinds().iter().any(|k| k == "idleLogout")
}

/// Items 2–3: 1,000 score requests from one tab (synthetic `input` events) are answered, but
/// only a bounded number is scored; the rest are answered "limited" without any work. Scoring
/// costs the worker's one thread time (`score_cost_ms`), so the idle alarm that arrives in the
/// middle of the flood is handled within the budget's cost, not after a thousand scores.
#[test]
fn a_score_flood_is_bounded_and_does_not_delay_the_idle_logout() {
    let b = signed_in();
    b.state.score_cost_ms.set(5);
    b.state.idle_state.set(Some(BrowserIdleState::Idle));
    b.send(Event::IdleChanged { state: BrowserIdleState::Idle }).unwrap();
    let deadline = b.state.now.get() + 60_000;
    b.state.now.set(deadline);

    let mut replies: Vec<Value> = (1..=500).map(|seq| score(&b, 1, seq)).collect();
    let alarm_handled_at = b.state.now.get();
    b.send(Event::Alarm { name: IDLE_ALARM.into() }).unwrap();
    assert!(logged_out(&b), "the idle alarm logged out");
    replies.extend((501..=1000).map(|seq| score(&b, 1, seq)));

    let scored = b.state.scores.get();
    assert!(scored <= 60, "{scored} of 1,000 requests scored");
    assert!(scored >= 40, "the first ones are scored as usual: {scored}");
    assert_eq!(limited(&replies), 1000 - scored as usize);
    assert!(replies.iter().filter(|r| r["limited"] == true).all(|r| r.as_object().unwrap().len() == 2));
    let delay = alarm_handled_at - deadline;
    assert!(delay <= 300, "the logout waited {delay} ms behind the flood");

    // The budget refills: a user typing a second later is scored again; another tab has its own.
    b.advance(1_000);
    assert!(score(&b, 1, 1001)["score"].is_number());
    assert!(score(&b, 2, 1)["score"].is_number());
}

fn login(b: &Browser, tab: i32, url: &str, password: &str, typed: Option<bool>) -> Value {
    let mut m = json!({"type": "pwLogin", "password": password});
    if let Some(t) = typed {
        m["typed"] = t.into();
    }
    b.content(tab, url, m).unwrap()
}

/// Item 2: 20 scripted submits (`form.requestSubmit()`) of a login form whose value the user
/// typed cost at most 3 PBKDF2 derivations per tab, and at most 6 a minute across tabs — also
/// across a restarted worker (the budget is in `storage.session`); it comes back with time.
#[test]
fn scripted_logins_cost_a_bounded_number_of_derivations_even_across_a_worker_restart() {
    let b = Browser::new();
    b.navigate(1, SF);
    let replies: Vec<Value> = (0..20).map(|_| login(&b, 1, SF, "typed-by-the-user", Some(true))).collect();
    assert_eq!(b.state.derivations.get(), 3);
    assert_eq!(replies[..3], [json!(true), json!(true), json!(true)]);
    assert!(replies[3..].iter().all(|r| *r == LIMITED()), "{replies:?}");

    // More tabs do not buy more derivations than the worker-wide budget.
    for tab in 2..4 {
        b.navigate(tab, HS);
        for _ in 0..20 {
            login(&b, tab, HS, "typed-by-the-user", Some(true));
        }
    }
    assert_eq!(b.state.derivations.get(), 6);

    // Nor does a new worker (Chromium stops an idle one after 30 s; its memory is gone, and with
    // it the per-tab budgets): the budget across tabs was kept in storage.session.
    let b = b.restart();
    b.advance(1_000);
    for tab in 1..4 {
        for _ in 0..20 {
            login(&b, tab, SF, "typed-by-the-user", Some(true));
        }
    }
    assert_eq!(b.state.derivations.get(), 6, "a restarted worker gave more derivations");

    // A minute later a real login is fingerprinted again.
    b.advance(60_000);
    assert_eq!(login(&b, 1, SF, "typed-by-the-user", Some(true)), json!(true));
    assert_eq!(b.state.derivations.get(), 7);
}

/// Item 2 (finding 2): a login report whose value the user did not type (a page sets the field
/// and calls `requestSubmit()`: the submit is trusted, the value is not) is never learnt: no
/// derivation, nothing pending, the real fingerprint stays; and such reports cost no derivation
/// budget, so a flood of them does not keep the user's own login from being learnt.
#[test]
fn a_login_value_the_user_did_not_type_is_never_learnt_and_never_replaces_the_real_fingerprint() {
    let b = Browser::new();
    b.navigate(1, SF);
    let fingerprints = |b: &Browser| b.state.local.borrow().get(PW_FINGERPRINTS_KEY).cloned();
    // The user's own login.
    assert_eq!(login(&b, 1, SF, "the-users-real-password", Some(true)), json!(true));
    b.content(1, SF, json!({"type": "pwPage", "hasLoginField": false})).unwrap();
    let real = fingerprints(&b).expect("the typed login is learnt");
    assert_eq!(b.state.derivations.get(), 1);

    // The page's forged logins, each followed by a landing page without a login field.
    for typed in [None, Some(false), None, Some(false)].into_iter().cycle().take(20) {
        assert_eq!(login(&b, 1, SF, "chosen-by-the-page", typed), json!(false));
        b.content(1, SF, json!({"type": "pwPage", "hasLoginField": false})).unwrap();
    }
    assert_eq!(b.state.derivations.get(), 1, "no derivation for a value the user did not type");
    assert_eq!(fingerprints(&b), Some(real.clone()), "the real fingerprint stays");
    assert!(b.state.session.borrow()["tab:1"].get("pwPending").is_none_or(Value::is_null));

    // The forged reports took nothing from the derivation budget: the user's next logins count.
    for _ in 0..2 {
        assert_eq!(login(&b, 1, SF, "the-users-real-password", Some(true)), json!(true));
    }
    assert_eq!(b.state.derivations.get(), 3);
    b.content(1, SF, json!({"type": "pwPage", "hasLoginField": false})).unwrap();
    assert_eq!(fingerprints(&b), Some(real));
}

/// Every page-driven message has a budget per tab, checked before any work; our extension
/// pages' messages have none.
#[test]
fn every_page_driven_message_has_a_budget_and_extension_pages_none() {
    let b = Browser::new();
    b.navigate(1, SF);
    let reads_before = b.state.managed_reads.get();
    for (message, budget) in [
        (json!({"type": "idleQuery"}), 10),
        (json!({"type": "idleStay"}), 0),
        (json!({"type": "pwFields", "fields": [{}]}), 60),
        (json!({"type": "page", "report": {"secureContext": true}}), 0),
        (json!({"type": "pwPhish", "password": "x"}), 0),
    ] {
        let replies: Vec<Value> = (0..200).map(|_| b.content(1, SF, message.clone()).unwrap()).collect();
        assert_eq!(200 - limited(&replies), budget, "{message}");
    }
    assert_eq!(b.state.managed_reads.get(), reads_before);
    // Another tab is not affected by tab 1's flood, and a closed tab's budgets are forgotten.
    assert!(b.content(2, SF, json!({"type": "pwFields", "fields": [{}]})).unwrap()["kinds"].is_array());
    b.send(Event::TabRemoved { tab_id: 1 }).unwrap();
    assert!(b.content(1, SF, json!({"type": "pwFields", "fields": [{}]})).unwrap()["kinds"].is_array());
    for _ in 0..500 {
        assert!(b.page(json!({"type": "verdict", "tabId": 2})).unwrap().get("limited").is_none());
    }
}

/// Item 6: a URL over 32 KB (a long fragment, query or path) keeps a CRM tab a CRM tab: the
/// badge stays, our content scripts there are still on a CRM (meter, block mode, idle), and
/// the verdict is the same as on the short URL.
#[test]
fn an_over_long_url_does_not_switch_crm_guard_off() {
    let b = Browser::new();
    b.set_policy(json!({"passwordMode": "block"}));
    b.navigate(1, SF);
    let short_badge = b.badge(1).expect("a badge on the CRM tab");
    let short_verdict = b.page(json!({"type": "verdict", "tabId": 1})).unwrap();
    let pad = "x".repeat(40 * 1024);
    let huge = "y".repeat(2 * 1024 * 1024);
    for long in [
        format!("{SF}#{pad}"),
        format!("{SF}?q={pad}"),
        format!("https://acme.my.salesforce.com/{pad}"),
        format!("https://acme.my.salesforce.com/{huge}?{huge}#{huge}"),
    ] {
        b.send(Event::NavigationUpdated { tab_id: 1, url: long.clone() }).unwrap();
        assert_eq!(b.badge(1).as_ref(), Some(&short_badge), "{}", &long[..60]);
        b.navigate(1, &long);
        assert_eq!(b.badge(1).as_ref(), Some(&short_badge), "{}", &long[..60]);
        assert_eq!(b.page(json!({"type": "verdict", "tabId": 1})).unwrap(), short_verdict);
        // What is kept of the tab is bounded: the page's URL does not fill the session storage,
        // neither from its navigation nor from a pass over every open tab (settings change).
        b.send(Event::Startup).unwrap();
        let kept = b.state.session.borrow()["tab:1"].to_string().len();
        assert!(kept <= MAX_URL_LEN + 1024, "{kept} bytes kept for a {}-byte URL", long.len());
        // The content scripts' messages (sender URL = the long URL) are a CRM's.
        let fields =
            b.content(1, &long, json!({"type": "pwFields", "fields": [{"autocomplete": "new-password"}]}));
        assert_eq!(fields.unwrap()["policy"]["mode"], "block");
        let weak = b.content(1, &long, json!({"type": "pwScore", "seq": 1, "password": "abc", "values": []}));
        assert_eq!(weak.unwrap()["blockSubmit"], true);
        b.send(Event::TabRemoved { tab_id: 9 }).unwrap();
    }
    // Not a CRM stays not a CRM however long.
    b.navigate(2, &format!("https://www.salesforce.com/#{pad}"));
    assert_eq!(b.badge(2), None);
}

/// A report from a CRM document that reaches the worker after the tab moved to another site
/// (the content script's message was on its way during the navigation) is dropped: it must not
/// paint the new page with the CRM's badge, nor add the old document's findings to it.
#[test]
fn a_late_report_from_the_previous_document_does_not_land_on_the_next_one() {
    let b = Browser::new();
    b.navigate(1, SF);
    assert_ne!(b.badge_text(1), "");
    b.navigate(1, "https://example.test/news");
    assert_eq!(b.badge_text(1), "", "no badge on a site that is not a CRM");
    b.content(1, SF, json!({"type": "page", "report": {"secureContext": false}})).unwrap();
    let mixed =
        json!({"resources": [{"url": "http://cdn.evil.test/x.js", "type": "script"}], "formActions": []});
    b.content(1, SF, json!({"type": "network.page", "report": mixed})).unwrap();
    assert_eq!(b.badge_text(1), "", "the late reports painted the next page");

    // Another CRM next: its badge stays its own, without the first document's findings.
    b.navigate(1, HS);
    let before = b.badge(1);
    b.content(1, SF, json!({"type": "page", "report": {"secureContext": false}})).unwrap();
    assert_eq!(b.badge(1), before);
    assert!(
        !b.event_kinds().iter().any(|k| k == "findingRaised"),
        "no finding logged: {:?}",
        b.event_kinds()
    );
}
