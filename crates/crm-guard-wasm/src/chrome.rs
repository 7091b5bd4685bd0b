//! `chrome.*` bindings: declarations only, no logic.
//!
//! Every promise-returning API is imported as a synchronous, `catch`-ing function returning the
//! promise, then awaited: a rejected promise *and* a synchronous throw (an API missing in this
//! browser, a bad argument) both become a Rust `Err`, never a trap.

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// Awaits an imported promise-returning call.
pub async fn call(promise: Result<Promise, JsValue>) -> Result<JsValue, JsValue> {
    JsFuture::from(promise?).await
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["chrome", "action"], js_name = setBadgeText, catch)]
    fn set_badge_text_raw(arg: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_namespace = ["chrome", "action"], js_name = setBadgeBackgroundColor, catch)]
    fn set_badge_background_color_raw(arg: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_namespace = ["chrome", "action"], js_name = setBadgeTextColor, catch)]
    fn set_badge_text_color_raw(arg: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_namespace = ["chrome", "action"], js_name = setTitle, catch)]
    fn set_title_raw(arg: &JsValue) -> Result<Promise, JsValue>;
    // chrome.storage.session: worker-only state that must survive the worker.
    #[wasm_bindgen(js_namespace = ["chrome", "storage", "session"], js_name = get, catch)]
    fn session_get_raw(arg: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_namespace = ["chrome", "storage", "session"], js_name = set, catch)]
    fn session_set_raw(arg: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_namespace = ["chrome", "storage", "session"], js_name = remove, catch)]
    fn session_remove_raw(arg: &JsValue) -> Result<Promise, JsValue>;
    // chrome.storage.local: persistent user options, event log.
    #[wasm_bindgen(js_namespace = ["chrome", "storage", "local"], js_name = get, catch)]
    fn local_get_raw(arg: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_namespace = ["chrome", "storage", "local"], js_name = set, catch)]
    fn local_set_raw(arg: &JsValue) -> Result<Promise, JsValue>;
    // chrome.storage.managed: IT policy (read-only).
    #[wasm_bindgen(js_namespace = ["chrome", "storage", "managed"], js_name = get, catch)]
    fn managed_get_raw(arg: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_namespace = ["chrome", "tabs"], js_name = query, catch)]
    fn tabs_query_raw(arg: &JsValue) -> Result<Promise, JsValue>;
}

/// `chrome.action.setBadgeText`
pub async fn set_badge_text(arg: &JsValue) -> Result<JsValue, JsValue> {
    call(set_badge_text_raw(arg)).await
}

/// `chrome.action.setBadgeBackgroundColor`
pub async fn set_badge_background_color(arg: &JsValue) -> Result<JsValue, JsValue> {
    call(set_badge_background_color_raw(arg)).await
}

/// `chrome.action.setBadgeTextColor`
pub async fn set_badge_text_color(arg: &JsValue) -> Result<JsValue, JsValue> {
    call(set_badge_text_color_raw(arg)).await
}

/// `chrome.action.setTitle`
pub async fn set_title(arg: &JsValue) -> Result<JsValue, JsValue> {
    call(set_title_raw(arg)).await
}

/// `chrome.storage.session.get`
pub async fn session_get(arg: &JsValue) -> Result<JsValue, JsValue> {
    call(session_get_raw(arg)).await
}

/// `chrome.storage.session.set`
pub async fn session_set(arg: &JsValue) -> Result<JsValue, JsValue> {
    call(session_set_raw(arg)).await
}

/// `chrome.storage.session.remove`
pub async fn session_remove(arg: &JsValue) -> Result<JsValue, JsValue> {
    call(session_remove_raw(arg)).await
}

/// `chrome.storage.local.get`
pub async fn local_get(arg: &JsValue) -> Result<JsValue, JsValue> {
    call(local_get_raw(arg)).await
}

/// `chrome.storage.local.set`
pub async fn local_set(arg: &JsValue) -> Result<JsValue, JsValue> {
    call(local_set_raw(arg)).await
}

/// `chrome.storage.managed.get`
pub async fn managed_get(arg: &JsValue) -> Result<JsValue, JsValue> {
    call(managed_get_raw(arg)).await
}

/// `chrome.tabs.query`
pub async fn tabs_query(arg: &JsValue) -> Result<JsValue, JsValue> {
    call(tabs_query_raw(arg)).await
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["chrome", "i18n"], js_name = getMessage, catch)]
    fn get_message_raw(name: &str, substitutions: &JsValue) -> Result<String, JsValue>;
}

/// `chrome.i18n.getMessage`; the key itself when the API or the message is missing.
pub fn get_message(name: &str, substitutions: &JsValue) -> String {
    match get_message_raw(name, substitutions) {
        Ok(s) if !s.is_empty() => s,
        _ => name.to_owned(),
    }
}
