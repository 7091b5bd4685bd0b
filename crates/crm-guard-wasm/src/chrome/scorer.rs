//! The password scorer's module (`crates/crm-guard-score-wasm`), reached through
//! `self.crmGuardScorer`, which the worker's shell defines (`extension/worker/scorer.js`).

use js_sys::Promise;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// Fetches, instantiates and warms the module the first time; resolves at once after.
    #[wasm_bindgen(js_namespace = crmGuardScorer, js_name = load, catch)]
    pub fn load() -> Result<Promise, JsValue>;
    /// A `Strength` object; throws when the module is not loaded or traps.
    #[wasm_bindgen(js_namespace = crmGuardScorer, js_name = score, catch)]
    pub fn score(password: &str, user_inputs: &js_sys::Array) -> Result<JsValue, JsValue>;
}
