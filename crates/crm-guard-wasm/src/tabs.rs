//! Per-tab state and the badge. State lives in `chrome.storage.session` (`tab:<id>`), so it
//! survives the worker being stopped; only CRM tabs have state (non-CRM URLs are never stored).

use crm_guard_core::{evaluate, Catalog, Finding, FindingKind, PageUrl, TabVerdict};
use serde::{Deserialize, Serialize};
use serde_json::json;
use wasm_bindgen::prelude::*;

use crate::{chrome, js_error, settings, to_js};

/// What we keep per CRM tab.
#[derive(Debug, Default, Serialize, Deserialize)]
struct TabState {
    url: String,
    findings: Vec<Finding>,
}

/// What the content script reports about its page.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageReport {
    secure_context: bool,
}

fn key(tab_id: i32) -> String {
    format!("tab:{tab_id}")
}

/// The catalog in force: built-in entries, plus self-hosted CRMs and minus disabled ones from policy.
async fn catalog() -> Result<Catalog, JsValue> {
    Ok(settings::current().await?.settings.catalog())
}

async fn load(tab_id: i32) -> Result<Option<TabState>, JsValue> {
    let k = JsValue::from(key(tab_id));
    let items = chrome::session_get(&k).await?;
    let value = js_sys::Reflect::get(&items, &k)?;
    if value.is_undefined() {
        return Ok(None);
    }
    // State written by an older version, or tampered with, is dropped rather than trusted.
    Ok(serde_wasm_bindgen::from_value(value).ok())
}

async fn save(tab_id: i32, state: &TabState) -> Result<(), JsValue> {
    let items = js_sys::Object::new();
    js_sys::Reflect::set(&items, &key(tab_id).into(), &to_js(state)?)?;
    chrome::session_set(&items).await?;
    Ok(())
}

/// Evaluates the tab and paints its badge; stores state for CRM tabs, forgets the others.
async fn apply(tab_id: i32, mut state: TabState) -> Result<(), JsValue> {
    match evaluate(&catalog().await?, &state.url, &state.findings) {
        Some(verdict) => {
            if verdict.lookalike {
                // Not a CRM page: keep its origin only (enough to judge it again), never its path.
                if let Ok(page) = PageUrl::parse(&state.url) {
                    state.url = format!("{}/", page.origin());
                }
            }
            save(tab_id, &state).await?;
            paint(tab_id, &verdict).await
        }
        None => {
            chrome::session_remove(&key(tab_id).into()).await?;
            clear_badge(tab_id).await
        }
    }
}

async fn paint(tab_id: i32, v: &TabVerdict) -> Result<(), JsValue> {
    let level = v.level;
    let text = chrome::get_message(&format!("badge_{}", level.id()), &JsValue::UNDEFINED);
    let level_name = chrome::get_message(&format!("level_{}", level.id()), &JsValue::UNDEFINED);
    let subs = to_js(&[v.crm_name.as_str(), level_name.as_str()])?;
    let title = chrome::get_message("badgeTitle", &subs);
    let text_color = if level == crm_guard_core::Level::Warning { "#000000" } else { "#ffffff" };
    chrome::set_badge_background_color(&to_js(&json!({ "tabId": tab_id, "color": level.badge_color() }))?)
        .await?;
    chrome::set_badge_text_color(&to_js(&json!({ "tabId": tab_id, "color": text_color }))?).await?;
    chrome::set_title(&to_js(&json!({ "tabId": tab_id, "title": title }))?).await?;
    // Text last: a reader polling the badge sees the level only once colour and title are set.
    chrome::set_badge_text(&to_js(&json!({ "tabId": tab_id, "text": text }))?).await?;
    Ok(())
}

/// Removes the tab's badge and title. Also called by the JS shell when a handler failed, so a
/// tab never keeps a stale verdict.
#[wasm_bindgen(js_name = clearBadge)]
pub async fn clear_badge(tab_id: i32) -> Result<(), JsValue> {
    let title = chrome::get_message("extName", &JsValue::UNDEFINED);
    chrome::set_badge_text(&to_js(&json!({ "tabId": tab_id, "text": "" }))?).await?;
    chrome::set_title(&to_js(&json!({ "tabId": tab_id, "title": title }))?).await?;
    Ok(())
}

/// A main-frame navigation committed (`new_document`) or changed the URL within the document
/// (single-page apps: `history.pushState`, fragment changes).
#[wasm_bindgen(js_name = onNavigation)]
pub async fn on_navigation(tab_id: i32, url: String, new_document: bool) -> Result<(), JsValue> {
    let mut state = if new_document { TabState::default() } else { load(tab_id).await?.unwrap_or_default() };
    state.url = url;
    apply(tab_id, state).await
}

/// The content script's report on its page (`report` is untrusted input: checked here).
#[wasm_bindgen(js_name = onPageReport)]
pub async fn on_page_report(tab_id: i32, url: String, report: JsValue) -> Result<(), JsValue> {
    let report: PageReport =
        serde_wasm_bindgen::from_value(report).map_err(|e| js_error("malformed page report", e))?;
    let mut state = load(tab_id).await?.unwrap_or_default();
    state.url = url;
    if !report.secure_context {
        let f = Finding::new(FindingKind::NotSecureContext);
        if !state.findings.contains(&f) {
            state.findings.push(f);
        }
    }
    apply(tab_id, state).await
}

/// Changes a tab's findings for the network observers (`network.rs`): drops the findings of the
/// `remove` kinds (unless listed in `add`), then adds `add`. With `reset_url`, the tab is on a new
/// document at that URL (a navigation error page): earlier findings go first. Without it, a tab with
/// no state (not a CRM tab) is left alone. Writes and repaints only when something changed; returns
/// the findings that were not there before.
pub(crate) async fn update_findings(
    tab_id: i32,
    reset_url: Option<String>,
    add: &[Finding],
    remove: &[FindingKind],
) -> Result<Vec<Finding>, JsValue> {
    let reset = reset_url.is_some();
    let mut state = match reset_url {
        Some(url) => TabState { url, findings: Vec::new() },
        None => match load(tab_id).await? {
            Some(s) => s,
            None => return Ok(Vec::new()),
        },
    };
    let before = state.findings.clone();
    state.findings.retain(|f| !remove.contains(&f.kind) || add.contains(f));
    let mut added = Vec::new();
    for f in add {
        if !state.findings.contains(f) {
            state.findings.push(f.clone());
            if !before.contains(f) {
                added.push(f.clone());
            }
        }
    }
    if !reset && state.findings == before {
        return Ok(added);
    }
    apply(tab_id, state).await?;
    Ok(added)
}

/// The tab closed: forget it.
#[wasm_bindgen(js_name = onTabRemoved)]
pub async fn on_tab_removed(tab_id: i32) -> Result<(), JsValue> {
    chrome::session_remove(&key(tab_id).into()).await?;
    Ok(())
}

/// Paints one open tab (install and start-up scans, settings changes). `url` is what
/// `chrome.tabs` shows: only CRM tabs' URLs are visible (host access to CRM hosts only); for a
/// tab we no longer have access to (a self-hosted CRM that policy just removed) the URL kept
/// while it was a CRM tab is used.
#[wasm_bindgen(js_name = refreshTab)]
pub async fn refresh_tab(tab_id: i32, url: Option<String>) -> Result<(), JsValue> {
    let stored = load(tab_id).await?;
    let Some(url) = url.or_else(|| stored.as_ref().map(|s| s.url.clone())) else { return Ok(()) };
    let mut state = stored.unwrap_or_default();
    state.url = url;
    apply(tab_id, state).await
}

/// The verdict for a tab, for the popup: `null` when it is not a CRM tab.
#[wasm_bindgen]
pub async fn verdict(tab_id: i32) -> Result<JsValue, JsValue> {
    let Some(state) = load(tab_id).await? else { return Ok(JsValue::NULL) };
    match evaluate(&catalog().await?, &state.url, &state.findings) {
        Some(v) => to_js(&v),
        None => Ok(JsValue::NULL),
    }
}

/// The pure verdict for a URL and findings (benchmarks and diagnostics).
#[wasm_bindgen(js_name = evaluateUrl)]
pub async fn evaluate_url(url: String, findings: JsValue) -> Result<JsValue, JsValue> {
    let findings: Vec<Finding> = if findings.is_undefined() || findings.is_null() {
        Vec::new()
    } else {
        serde_wasm_bindgen::from_value(findings).map_err(|e| js_error("malformed findings", e))?
    };
    match evaluate(&catalog().await?, &url, &findings) {
        Some(v) => to_js(&v),
        None => Ok(JsValue::NULL),
    }
}
