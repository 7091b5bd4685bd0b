//! `chrome.permissions`.

use js_sys::Promise;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["chrome", "permissions"], js_name = contains, catch)]
    pub fn contains(permissions: &JsValue) -> Result<Promise, JsValue>;
}
