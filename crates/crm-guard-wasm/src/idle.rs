//! Idle and lock auto-logout: the binding of `crm_guard_core::idle`. The machine lives in
//! `chrome.storage.session` (`idleMachine`), its deadline in one `chrome.alarms` alarm, the last
//! force-logout token acted on in `chrome.storage.local` (`idleActedToken`). Every call loads
//! the machine, feeds it one event at `Date.now()`, carries out the actions it returns and saves
//! it; the worker's JS shell runs the calls one at a time. The logout recipe is decided by
//! `crm_guard_core::idle::logout`; this file only performs it.

use crm_guard_core::events::{EventKind, NewEvent};
use crm_guard_core::idle::logout::{self, Cookie, LogoutPlan, OpenTab};
use crm_guard_core::idle::{
    Action, BrowserIdleState, IdleEvent, IdleMachine, IdleSettings, LogoutReason, Phase,
};
use crm_guard_core::{Catalog, PageUrl};
use serde::Deserialize;
use serde_json::json;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::{chrome, events, js_error, settings, to_js};

const STATE_KEY: &str = "idleMachine";
const ACTED_KEY: &str = "idleActedToken";
/// Test-only shortening of the timeout (`{timeoutMs, warningMs}` in storage.local), honoured for
/// unpacked (development) installs only, and only ever making the logout sooner.
const OVERRIDE_KEY: &str = "idleTestOverride";
const ALARM: &str = "crm-guard-idle";
/// The logout URL call is time-boxed: a CRM that hangs must not delay the rest.
const LOGOUT_URL_TIMEOUT_MS: u32 = 3000;
/// How long a tab gets to leave the CRM before it is closed.
const TAB_LEAVE_TIMEOUT_MS: f64 = 3000.0;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["chrome", "alarms"], js_name = create, catch)]
    async fn alarms_create(name: &str, info: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = ["chrome", "alarms"], js_name = clear, catch)]
    async fn alarms_clear(name: &str) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_namespace = ["chrome", "idle"], js_name = setDetectionInterval, catch)]
    fn idle_set_detection_interval(seconds: u32) -> Result<(), JsValue>;
    #[wasm_bindgen(js_namespace = ["chrome", "idle"], js_name = queryState, catch)]
    async fn idle_query_state(seconds: u32) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_namespace = ["chrome", "tabs"], js_name = sendMessage)]
    fn tabs_send_message(tab_id: i32, msg: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_namespace = ["chrome", "tabs"], js_name = update, catch)]
    async fn tabs_update(tab_id: i32, props: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = ["chrome", "tabs"], js_name = get, catch)]
    async fn tabs_get(tab_id: i32) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = ["chrome", "tabs"], js_name = remove, catch)]
    async fn tabs_remove(tab_id: i32) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_namespace = ["chrome", "cookies"], js_name = getAll)]
    fn cookies_get_all(details: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_namespace = ["chrome", "cookies"], js_name = remove)]
    fn cookies_remove(details: &JsValue) -> js_sys::Promise;

    #[wasm_bindgen(js_namespace = ["chrome", "browsingData"], js_name = remove, catch)]
    async fn browsing_data_remove(options: &JsValue, data: &JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_namespace = ["chrome", "management"], js_name = getSelf, catch)]
    async fn management_get_self() -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_namespace = ["chrome", "runtime"], js_name = getURL)]
    fn runtime_get_url(path: &str) -> String;

    #[wasm_bindgen(js_name = fetch)]
    fn fetch(url: &str, init: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_namespace = AbortSignal, js_name = timeout)]
    fn abort_signal_timeout(ms: u32) -> JsValue;
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(f: &js_sys::Function, ms: i32) -> JsValue;
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TestOverride {
    timeout_ms: u64,
    warning_ms: u64,
}

fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

async fn get(area_local: bool, key: &str) -> Result<JsValue, JsValue> {
    let items = if area_local {
        chrome::local_get(&key.into()).await?
    } else {
        chrome::session_get(&key.into()).await?
    };
    js_sys::Reflect::get(&items, &key.into())
}

async fn set(area_local: bool, key: &str, value: &JsValue) -> Result<(), JsValue> {
    let items = js_sys::Object::new();
    js_sys::Reflect::set(&items, &key.into(), value)?;
    if area_local {
        chrome::local_set(&items).await?;
    } else {
        chrome::session_set(&items).await?;
    }
    Ok(())
}

/// Unpacked installs only (`installType: "development"`); packed, store and policy installs never.
async fn is_development() -> bool {
    match management_get_self().await {
        Ok(info) => js_sys::Reflect::get(&info, &"installType".into())
            .ok()
            .and_then(|v| v.as_string())
            .is_some_and(|t| t == "development"),
        Err(_) => false,
    }
}

/// The idle settings in force, and the catalog.
async fn current_settings() -> Result<(IdleSettings, Catalog), JsValue> {
    let effective = settings::current().await?;
    let mut s = IdleSettings::from_policy(&effective.settings);
    let over = get(true, OVERRIDE_KEY).await?;
    if !over.is_undefined() && is_development().await {
        if let Ok(o) = serde_wasm_bindgen::from_value::<TestOverride>(over) {
            s = s.shortened(o.timeout_ms, o.warning_ms);
        }
    }
    Ok((s, effective.settings.catalog()))
}

async fn load(settings: &IdleSettings) -> Result<IdleMachine, JsValue> {
    let value = get(false, STATE_KEY).await?;
    if !value.is_undefined() {
        // State written by an older version, or tampered with, is replaced, not trusted.
        if let Ok(m) = serde_wasm_bindgen::from_value::<IdleMachine>(value) {
            return Ok(m);
        }
    }
    let acted = get(true, ACTED_KEY).await?.as_string();
    Ok(IdleMachine::with_acted_token(settings.clone(), acted))
}

/// One event for the machine, from the worker's JS shell:
/// `{type: "wake" | "alarm" | "settings" | "staySignedIn" | "browser", state?}`.
/// Returns the status (phase, time left) after it.
#[wasm_bindgen(js_name = idleEvent)]
pub async fn idle_event(event: JsValue) -> Result<JsValue, JsValue> {
    #[derive(Deserialize)]
    struct Incoming {
        #[serde(rename = "type")]
        kind: String,
        state: Option<BrowserIdleState>,
    }
    let incoming: Incoming =
        serde_wasm_bindgen::from_value(event).map_err(|e| js_error("malformed idle event", e))?;
    if incoming.kind == "settings" {
        settings::on_settings_changed();
    }
    let (settings, catalog) = current_settings().await?;
    let mut m = load(&settings).await?;
    let acted_before = m.acted_token().map(str::to_owned);
    let mut actions = Vec::new();
    // Settings changed since the machine last saw them (options, policy, test override).
    if m.settings() != &settings {
        actions.extend(m.on_event(IdleEvent::Settings { settings }, now_ms()));
    }
    match incoming.kind.as_str() {
        "wake" => {
            actions.extend(m.on_event(IdleEvent::Wake, now_ms()));
            // Events are not lost while the worker sleeps, but the state may have moved on.
            let state = idle_query_state(m.detection_interval_secs()).await?;
            let state: BrowserIdleState =
                serde_wasm_bindgen::from_value(state).map_err(|e| js_error("idle state", e))?;
            actions.extend(m.on_event(IdleEvent::Browser { state }, now_ms()));
        }
        "alarm" => actions.extend(m.on_event(IdleEvent::Alarm, now_ms())),
        "staySignedIn" => actions.extend(m.on_event(IdleEvent::StaySignedIn, now_ms())),
        "browser" => {
            let state = incoming.state.ok_or_else(|| js_error("idle event", "no state"))?;
            actions.extend(m.on_event(IdleEvent::Browser { state }, now_ms()));
        }
        "settings" => {}
        other => return Err(js_error("unknown idle event", other)),
    }
    for action in actions {
        if let Err(e) = perform(&action, &catalog).await {
            web_sys::console::error_2(&format!("[crm-guard] idle action {action:?} failed:").into(), &e);
        }
    }
    // Saved after the actions: a worker stopped in the middle of a logout logs out again on wake.
    set(false, STATE_KEY, &to_js(&m)?).await?;
    if m.acted_token() != acted_before.as_deref() || acted_before.is_none() {
        if let Some(t) = m.acted_token() {
            set(true, ACTED_KEY, &t.into()).await?;
        }
    }
    to_js(&m.status(now_ms()))
}

/// The running warning for a content script that (re)loads during the countdown:
/// `{deadlineMs, crmName}` or `null`.
#[wasm_bindgen(js_name = idleWarningFor)]
pub async fn idle_warning_for(url: String) -> Result<JsValue, JsValue> {
    let (settings, catalog) = current_settings().await?;
    let m = load(&settings).await?;
    let Phase::Warning { deadline_ms, .. } = m.phase() else { return Ok(JsValue::NULL) };
    let Some(entry) = PageUrl::parse(&url).ok().and_then(|u| catalog.classify(&u).cloned()) else {
        return Ok(JsValue::NULL);
    };
    to_js(&json!({ "deadlineMs": deadline_ms, "crmName": entry.name }))
}

/// For the popup: the status, and whether the tab is a CRM tab.
#[wasm_bindgen(js_name = idleStatus)]
pub async fn idle_status(tab_id: i32) -> Result<JsValue, JsValue> {
    let (settings, catalog) = current_settings().await?;
    let m = load(&settings).await?;
    let url = tabs_get(tab_id).await.ok().and_then(|t| js_sys::Reflect::get(&t, &"url".into()).ok());
    let crm_tab = url
        .and_then(|u| u.as_string())
        .and_then(|u| PageUrl::parse(&u).ok())
        .is_some_and(|u| catalog.classify(&u).is_some());
    let mut status = serde_json::to_value(m.status(now_ms())).map_err(|e| js_error("status", e))?;
    status["crmTab"] = crm_tab.into();
    to_js(&status)
}

async fn open_tabs() -> Result<Vec<OpenTab>, JsValue> {
    let tabs = chrome::tabs_query(&js_sys::Object::new().into()).await?;
    serde_wasm_bindgen::from_value(tabs).map_err(|e| js_error("tabs", e))
}

/// Sends `msg` to every CRM tab; waits at most `within_ms` for their answers.
async fn tell_crm_tabs(catalog: &Catalog, msg: serde_json::Value, within_ms: i32) -> Result<(), JsValue> {
    let promises = js_sys::Array::new();
    for tab in logout::plan(catalog, &open_tabs().await?, &[]).tabs {
        let mut msg = msg.clone();
        msg["crmName"] = tab.crm_name.into();
        promises.push(&tabs_send_message(tab.tab_id, &to_js(&msg)?));
    }
    settle_within(&promises, within_ms).await;
    Ok(())
}

/// Waits for every promise to settle, or `ms`, whichever comes first. Never fails.
async fn settle_within(promises: &js_sys::Array, ms: i32) {
    let all = js_sys::Promise::all_settled(promises);
    let timer = js_sys::Promise::new(&mut |resolve, _| {
        set_timeout(&resolve, ms);
    });
    let _ = JsFuture::from(js_sys::Promise::race(&js_sys::Array::of2(&all, &timer))).await;
}

async fn perform(action: &Action, catalog: &Catalog) -> Result<(), JsValue> {
    match action {
        Action::ShowWarning { deadline_ms } => {
            tell_crm_tabs(catalog, json!({ "type": "idleWarning", "deadlineMs": deadline_ms }), 1000).await
        }
        Action::CancelWarning => tell_crm_tabs(catalog, json!({ "type": "idleCancel" }), 1000).await,
        Action::ScheduleAlarm { at_ms } => {
            alarms_create(ALARM, &to_js(&json!({ "when": *at_ms as f64 }))?).await.map(|_| ())
        }
        Action::ClearAlarm => alarms_clear(ALARM).await.map(|_| ()),
        Action::SetDetectionInterval { seconds } => idle_set_detection_interval(*seconds),
        Action::Logout { reason, idle_minutes } => log_out(catalog, *reason, *idle_minutes).await,
    }
}

/// Logs out of every CRM (see `crm_guard_core::idle::logout`); each step's failure is reported
/// and the next step still runs.
async fn log_out(catalog: &Catalog, reason: LogoutReason, idle_minutes: u64) -> Result<(), JsValue> {
    let tabs = open_tabs().await.unwrap_or_default();
    let cookies = crm_cookies(catalog, &tabs).await;
    let plan = logout::plan(catalog, &tabs, &cookies);

    // 1. The CRM's own logout, while its cookies are still there (3 s at most, all at once).
    let calls = js_sys::Array::new();
    for url in &plan.logout_urls {
        let init = js_sys::Object::new();
        js_sys::Reflect::set(&init, &"credentials".into(), &"include".into())?;
        js_sys::Reflect::set(&init, &"redirect".into(), &"manual".into())?;
        js_sys::Reflect::set(&init, &"cache".into(), &"no-store".into())?;
        js_sys::Reflect::set(&init, &"signal".into(), &abort_signal_timeout(LOGOUT_URL_TIMEOUT_MS))?;
        calls.push(&fetch(url, &init));
    }
    let settled = JsFuture::from(js_sys::Promise::all_settled(&calls)).await.unwrap_or(JsValue::NULL);
    let failed = js_sys::Array::from(&settled)
        .iter()
        .filter(|r| {
            js_sys::Reflect::get(r, &"status".into()).ok().and_then(|s| s.as_string()).as_deref()
                != Some("fulfilled")
        })
        .count();

    // Content scripts clear what only the page can reach (sessionStorage) and drop the warning.
    tell_crm_tabs(catalog, json!({ "type": "idleLogout" }), 500).await.ok();

    // 2. Cookies, host-exact.
    let removals = js_sys::Array::new();
    for c in &plan.cookies {
        removals.push(&cookies_remove(&to_js(c)?));
    }
    settle_within(&removals, 3000).await;

    // 3. Site data of the CRM origins only.
    if !plan.origins.is_empty() {
        let options = to_js(&json!({ "origins": plan.origins }))?;
        let data = to_js(&json!({ "cacheStorage": true, "fileSystems": true, "indexedDB": true,
            "localStorage": true, "serviceWorkers": true }))?;
        if let Err(e) = browsing_data_remove(&options, &data).await {
            web_sys::console::error_2(&"[crm-guard] removing CRM site data failed:".into(), &e);
        }
    }

    // 4. Every CRM tab to the signed-out page; a tab that does not leave the CRM is closed.
    for tab in &plan.tabs {
        let url = format!(
            "{}?{}",
            runtime_get_url("signed-out.html"),
            logout::signed_out_query(&tab.crm_name, reason, idle_minutes, &tab.origin)
        );
        let moved = tabs_update(tab.tab_id, &to_js(&json!({ "url": url }))?).await.is_ok()
            && left_crm(catalog, tab.tab_id).await;
        if !moved {
            tabs_remove(tab.tab_id).await.ok();
        }
    }

    // 5. One security event per logout.
    let kind = match reason {
        LogoutReason::Idle => EventKind::IdleLogout,
        LogoutReason::Locked => EventKind::LockLogout,
        LogoutReason::Forced => EventKind::ForcedLogout,
    };
    let mut event = NewEvent::new(now_ms(), kind).detail(detail(&plan, idle_minutes, failed));
    if let [only] = plan.crm_ids.as_slice() {
        event = event.crm(only.clone());
    }
    if let Some(t) = plan.tabs.first() {
        event = event.host(t.origin.clone());
    }
    events::log(event).await?;
    Ok(())
}

fn detail(plan: &LogoutPlan, idle_minutes: u64, failed: usize) -> String {
    format!(
        "crms={}; tabs={}; cookies={}; idleMinutes={idle_minutes}; logoutUrls={}/{}",
        plan.crm_ids.join(","),
        plan.tabs.len(),
        plan.cookies.len(),
        plan.logout_urls.len() - failed,
        plan.logout_urls.len()
    )
}

/// Every cookie of the CRM hosts (the catalog's domains and the open CRM tabs' hosts).
async fn crm_cookies(catalog: &Catalog, tabs: &[OpenTab]) -> Vec<Cookie> {
    let mut domains = logout::cookie_query_domains(catalog);
    for t in logout::plan(catalog, tabs, &[]).tabs {
        if let Ok(u) = PageUrl::parse(&t.origin) {
            domains.push(u.host);
        }
    }
    domains.sort();
    domains.dedup();
    let queries = js_sys::Array::new();
    for d in &domains {
        let q = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&q, &"domain".into(), &d.into());
        queries.push(&cookies_get_all(&q));
    }
    let mut out: Vec<Cookie> = Vec::new();
    let Ok(settled) = JsFuture::from(js_sys::Promise::all_settled(&queries)).await else { return out };
    for r in js_sys::Array::from(&settled).iter() {
        let Ok(value) = js_sys::Reflect::get(&r, &"value".into()) else { continue };
        let Ok(list) = serde_wasm_bindgen::from_value::<Vec<Cookie>>(value) else { continue };
        for c in list {
            if !out.contains(&c) {
                out.push(c);
            }
        }
    }
    out
}

/// Whether the tab has left the CRM (or is gone) within [`TAB_LEAVE_TIMEOUT_MS`].
async fn left_crm(catalog: &Catalog, tab_id: i32) -> bool {
    let start = js_sys::Date::now();
    loop {
        let Ok(tab) = tabs_get(tab_id).await else { return true };
        let url = js_sys::Reflect::get(&tab, &"url".into()).ok().and_then(|u| u.as_string());
        let on_crm =
            url.and_then(|u| PageUrl::parse(&u).ok()).is_some_and(|u| catalog.classify(&u).is_some());
        if !on_crm {
            return true;
        }
        if js_sys::Date::now() - start > TAB_LEAVE_TIMEOUT_MS {
            return false;
        }
        gloo_timers::future::TimeoutFuture::new(50).await;
    }
}
