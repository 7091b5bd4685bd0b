//! `chrome.browsingData`.

use js_sys::Promise;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["chrome", "browsingData"], js_name = remove, catch)]
    pub fn remove(options: &JsValue, data: &JsValue) -> Result<Promise, JsValue>;
}
