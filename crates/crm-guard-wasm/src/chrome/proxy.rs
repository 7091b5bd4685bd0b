//! `chrome.proxy.settings` (optional permission: absent without it).

use js_sys::Promise;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["chrome", "proxy", "settings"], js_name = get, catch)]
    pub fn settings_get(details: &JsValue) -> Result<Promise, JsValue>;
}
