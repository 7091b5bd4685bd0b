//! `chrome.idle`.

use js_sys::Promise;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["chrome", "idle"], js_name = queryState, catch)]
    pub fn query_state(seconds: u32) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_namespace = ["chrome", "idle"], js_name = setDetectionInterval, catch)]
    pub fn set_detection_interval(seconds: u32) -> Result<(), JsValue>;
}
