//! The scorer's own module (`crm-guard-score-wasm`) through `self.crmGuardScorer`, which
//! `extension/worker/scorer.js` defines: `load` fetches it the first time, `score` throws
//! when it is not loaded or traps.

use js_sys::Promise;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = crmGuardScorer, js_name = load, catch)]
    pub fn load() -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_namespace = crmGuardScorer, js_name = score, catch)]
    pub fn score(password: &str, user_inputs: &js_sys::Array, year: i32) -> Result<JsValue, JsValue>;
}
