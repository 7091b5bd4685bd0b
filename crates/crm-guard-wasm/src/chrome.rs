//! `chrome.*` bindings: declarations only, one block per namespace, no logic.
//! Every promise-returning API is `catch`, so a rejected call is a Rust `Err`, not a trap.

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    // chrome.action
    #[wasm_bindgen(js_namespace = ["chrome", "action"], js_name = setBadgeText, catch)]
    pub async fn set_badge_text(details: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = ["chrome", "action"], js_name = setBadgeBackgroundColor, catch)]
    pub async fn set_badge_background_color(details: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = ["chrome", "action"], js_name = setBadgeTextColor, catch)]
    pub async fn set_badge_text_color(details: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = ["chrome", "action"], js_name = setTitle, catch)]
    pub async fn set_title(details: &JsValue) -> Result<JsValue, JsValue>;

    // chrome.storage.session (worker-only state that must survive the worker)
    #[wasm_bindgen(js_namespace = ["chrome", "storage", "session"], js_name = get, catch)]
    pub async fn session_get(keys: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = ["chrome", "storage", "session"], js_name = set, catch)]
    pub async fn session_set(items: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = ["chrome", "storage", "session"], js_name = remove, catch)]
    pub async fn session_remove(keys: &JsValue) -> Result<JsValue, JsValue>;

    // chrome.storage.local (persistent: user options, event log)
    #[wasm_bindgen(js_namespace = ["chrome", "storage", "local"], js_name = get, catch)]
    pub async fn local_get(keys: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = ["chrome", "storage", "local"], js_name = set, catch)]
    pub async fn local_set(items: &JsValue) -> Result<JsValue, JsValue>;

    // chrome.storage.managed (IT policy; read-only)
    #[wasm_bindgen(js_namespace = ["chrome", "storage", "managed"], js_name = get, catch)]
    pub async fn managed_get(keys: &JsValue) -> Result<JsValue, JsValue>;

    // chrome.tabs
    #[wasm_bindgen(js_namespace = ["chrome", "tabs"], js_name = query, catch)]
    pub async fn tabs_query(query: &JsValue) -> Result<JsValue, JsValue>;

    // chrome.i18n
    #[wasm_bindgen(js_namespace = ["chrome", "i18n"], js_name = getMessage)]
    pub fn get_message(name: &str, substitutions: &JsValue) -> String;
}
