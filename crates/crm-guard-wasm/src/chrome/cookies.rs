//! `chrome.cookies`.

use js_sys::Promise;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["chrome", "cookies"], js_name = getAll, catch)]
    pub fn get_all(details: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_namespace = ["chrome", "cookies"], js_name = remove, catch)]
    pub fn remove(details: &JsValue) -> Result<Promise, JsValue>;
}
