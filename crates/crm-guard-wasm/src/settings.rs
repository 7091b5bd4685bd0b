//! The settings in force: defaults ← user options (`chrome.storage.local` key `options`) ←
//! managed policy (`chrome.storage.managed`), merged and validated by `crm_guard_core::policy`.
//! Cached for the life of the worker; `onSettingsChanged` (storage.onChanged) drops the cache.

use std::cell::RefCell;
use std::rc::Rc;

use crm_guard_core::policy::{self, Effective};
use wasm_bindgen::prelude::*;

use crate::{chrome, to_js};

thread_local! {
    static CACHE: RefCell<Option<Rc<Effective>>> = const { RefCell::new(None) };
}

/// Storage key of the user's options in `chrome.storage.local`.
pub const OPTIONS_KEY: &str = "options";

async fn read_json(promise: Result<JsValue, JsValue>, key: Option<&str>) -> serde_json::Value {
    let Ok(items) = promise else { return serde_json::Value::Null };
    let value = match key {
        Some(k) => js_sys::Reflect::get(&items, &k.into()).unwrap_or(JsValue::UNDEFINED),
        None => items,
    };
    if value.is_undefined() {
        return serde_json::Value::Null;
    }
    serde_wasm_bindgen::from_value(value).unwrap_or(serde_json::Value::Null)
}

/// The effective settings (cached).
pub async fn current() -> Result<Rc<Effective>, JsValue> {
    if let Some(e) = CACHE.with(|c| c.borrow().clone()) {
        return Ok(e);
    }
    // Managed storage is unavailable without a schema or on some browsers: that is "no policy".
    let managed = read_json(chrome::managed_get(&JsValue::NULL).await, None).await;
    let user = read_json(chrome::local_get(&OPTIONS_KEY.into()).await, Some(OPTIONS_KEY)).await;
    let effective = Rc::new(policy::effective(&user, &managed));
    for err in &effective.errors {
        web_sys::console::warn_1(&format!("[crm-guard] policy: {err}").into());
    }
    CACHE.with(|c| *c.borrow_mut() = Some(effective.clone()));
    Ok(effective)
}

/// Drops the cached settings; the next event reads them again. Called on storage changes.
#[wasm_bindgen(js_name = onSettingsChanged)]
pub fn on_settings_changed() {
    CACHE.with(|c| *c.borrow_mut() = None);
}

/// The effective settings, locked keys and errors, for the options page and the popup.
#[wasm_bindgen(js_name = effectiveSettings)]
pub async fn effective_settings() -> Result<JsValue, JsValue> {
    to_js(&*current().await?)
}
