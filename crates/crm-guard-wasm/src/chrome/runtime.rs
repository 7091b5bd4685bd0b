//! `chrome.runtime`.

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["chrome", "runtime"], js_name = getURL, catch)]
    pub fn get_url(path: &str) -> Result<String, JsValue>;
    #[wasm_bindgen(js_namespace = ["chrome", "runtime"], js_name = getManifest, catch)]
    pub fn get_manifest() -> Result<JsValue, JsValue>;
    #[wasm_bindgen(thread_local_v2, js_namespace = ["chrome", "runtime"], js_name = id)]
    pub static ID: JsValue;
}
