//! `chrome.declarativeNetRequest`.

use js_sys::Promise;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["chrome", "declarativeNetRequest"], js_name = getDynamicRules, catch)]
    pub fn get_dynamic_rules() -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_namespace = ["chrome", "declarativeNetRequest"], js_name = updateDynamicRules, catch)]
    pub fn update_dynamic_rules(options: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_namespace = ["chrome", "declarativeNetRequest"], js_name = getSessionRules, catch)]
    pub fn get_session_rules() -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_namespace = ["chrome", "declarativeNetRequest"], js_name = updateSessionRules, catch)]
    pub fn update_session_rules(options: &JsValue) -> Result<Promise, JsValue>;
}
