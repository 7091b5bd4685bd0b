//! The settings in force: defaults ← user options (`chrome.storage.local` key `options`) ←
//! managed policy (`chrome.storage.managed`), merged and validated by `crm_guard_core::policy`.
//! Cached for the life of the worker; `onSettingsChanged` (storage.onChanged) drops the cache.
//! Each distinct policy error is logged once as a security event (digests in
//! `chrome.storage.local` `policyErrorDigests`, so a worker wake does not log them again).

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::rc::Rc;

use crm_guard_core::policy::{self, Effective, PolicyError};
use wasm_bindgen::prelude::*;

use crate::{chrome, events, js_error, to_js};

thread_local! {
    static CACHE: RefCell<Option<Rc<Effective>>> = const { RefCell::new(None) };
    /// Bumped by every invalidation: a read that started before it must not fill the cache.
    static GENERATION: Cell<u64> = const { Cell::new(0) };
    /// Digests of the errors already logged (loaded once from storage).
    static SEEN: RefCell<Option<BTreeSet<String>>> = const { RefCell::new(None) };
}

/// Storage key of the user's options in `chrome.storage.local`.
pub const OPTIONS_KEY: &str = "options";
/// Storage key of the digests of the policy errors already logged.
pub const DIGESTS_KEY: &str = "policyErrorDigests";

/// The JSON under `key` (or the whole result); `Ok(Null)` when absent or unreadable as JSON,
/// `Err` when the storage call itself failed.
fn read_json(promise: Result<JsValue, JsValue>, key: Option<&str>) -> Result<serde_json::Value, JsValue> {
    let items = promise?;
    let value = match key {
        Some(k) => js_sys::Reflect::get(&items, &k.into()).unwrap_or(JsValue::UNDEFINED),
        None => items,
    };
    if value.is_undefined() {
        return Ok(serde_json::Value::Null);
    }
    Ok(serde_wasm_bindgen::from_value(value).unwrap_or(serde_json::Value::Null))
}

/// The effective settings (cached).
pub async fn current() -> Result<Rc<Effective>, JsValue> {
    if let Some(e) = CACHE.with(|c| c.borrow().clone()) {
        return Ok(e);
    }
    let generation = GENERATION.get();
    // Managed storage can be unavailable (no policy on some browsers, a transient failure):
    // then this event runs without policy, but nothing is cached, so the next one reads again
    // and IT's locks are never lost for longer than one event.
    let managed = read_json(chrome::managed_get(&JsValue::NULL).await, None);
    let user = read_json(chrome::local_get(&OPTIONS_KEY.into()).await, Some(OPTIONS_KEY));
    let cacheable = managed.is_ok() && user.is_ok();
    let or_null = |r: Result<serde_json::Value, JsValue>| r.unwrap_or(serde_json::Value::Null);
    let effective = Rc::new(policy::effective(&or_null(user), &or_null(managed)));
    if !cacheable || GENERATION.get() != generation {
        // Settings changed (or could not be read) while we read: use this result, cache nothing.
        return Ok(effective);
    }
    // Two handlers may have missed the cache at once: the first result wins.
    let effective = CACHE.with(|c| c.borrow_mut().get_or_insert(effective).clone());
    let errors = effective.errors.clone();
    // Not awaited: logging needs the settings (event log size), which are cached now.
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(e) = record_errors(errors).await {
            web_sys::console::error_1(&format!("[crm-guard] logging policy errors failed: {e:?}").into());
        }
    });
    Ok(effective)
}

/// Logs the errors not logged yet as `policyError` events; remembers the current ones.
async fn record_errors(errors: Vec<PolicyError>) -> Result<(), JsValue> {
    if SEEN.with(|s| s.borrow().is_none()) {
        let items = chrome::local_get(&DIGESTS_KEY.into()).await?;
        let stored = js_sys::Reflect::get(&items, &DIGESTS_KEY.into())?;
        let seen: BTreeSet<String> = serde_wasm_bindgen::from_value(stored).unwrap_or_default();
        SEEN.with(|s| s.borrow_mut().get_or_insert(seen).len());
    }
    let now = js_sys::Date::now() as u64;
    // Decided synchronously against the in-memory set: concurrent evaluations never log twice.
    let (new, current) = SEEN.with(|s| {
        let mut guard = s.borrow_mut();
        let seen = guard.get_or_insert_with(BTreeSet::new);
        let (new, current) = policy::new_error_events(&errors, seen, now);
        *seen = current.clone();
        (new, current)
    });
    for event in new {
        web_sys::console::warn_1(
            &format!("[crm-guard] policy: {}", event.detail.as_deref().unwrap_or("")).into(),
        );
        events::log(event).await?;
    }
    // After the events: a worker stopped in between logs them again rather than never.
    let items = js_sys::Object::new();
    js_sys::Reflect::set(&items, &DIGESTS_KEY.into(), &to_js(&current)?)?;
    chrome::local_set(&items).await?;
    Ok(())
}

/// Drops the cached settings; the next event reads them again. Called on storage changes.
#[wasm_bindgen(js_name = onSettingsChanged)]
pub fn on_settings_changed() {
    GENERATION.set(GENERATION.get() + 1);
    CACHE.with(|c| *c.borrow_mut() = None);
}

/// The effective settings, locked keys and errors, for the options page and the popup.
#[wasm_bindgen(js_name = effectiveSettings)]
pub async fn effective_settings() -> Result<JsValue, JsValue> {
    to_js(&*current().await?)
}

/// The key table (`policy::SPECS`): key, title, description, type with range/choices/default,
/// whether it is an enforcement setting. The options page builds its form from it.
#[wasm_bindgen(js_name = settingsSchema)]
pub fn settings_schema() -> Result<JsValue, JsValue> {
    to_js(&policy::SPECS)
}

/// Saves the user's options (untrusted JSON from the options page: validated by the core, which
/// names every problem) and returns the new effective settings with their errors.
#[wasm_bindgen(js_name = saveOptions)]
pub async fn save_options(options: JsValue) -> Result<JsValue, JsValue> {
    let value: serde_json::Value =
        serde_wasm_bindgen::from_value(options).map_err(|e| js_error("malformed options", e))?;
    if !value.is_object() {
        return Err(js_error("options", "must be an object"));
    }
    let items = js_sys::Object::new();
    js_sys::Reflect::set(&items, &OPTIONS_KEY.into(), &to_js(&value)?)?;
    chrome::local_set(&items).await?;
    on_settings_changed();
    effective_settings().await
}
