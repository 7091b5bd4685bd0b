//! `chrome.downloads`, and `crmGuardDownloads.release` (worker/downloads.js: the held callback).

use js_sys::Promise;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["chrome", "downloads"], js_name = cancel, catch)]
    pub fn cancel(id: i32) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_namespace = ["chrome", "downloads"], js_name = pause, catch)]
    pub fn pause(id: i32) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_namespace = ["chrome", "downloads"], js_name = resume, catch)]
    pub fn resume(id: i32) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_namespace = ["chrome", "downloads"], js_name = removeFile, catch)]
    pub fn remove_file(id: i32) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_namespace = ["chrome", "downloads"], js_name = erase, catch)]
    pub fn erase(query: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_namespace = crmGuardDownloads, js_name = release, catch)]
    pub fn release(id: i32) -> Result<(), JsValue>;
}
