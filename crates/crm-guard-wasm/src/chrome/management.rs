//! `chrome.management`.

use js_sys::Promise;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["chrome", "management"], js_name = getSelf, catch)]
    pub fn get_self() -> Result<Promise, JsValue>;
}
