//! `chrome.i18n`.

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["chrome", "i18n"], js_name = getMessage, catch)]
    pub fn get_message(name: &str, substitutions: &JsValue) -> Result<String, JsValue>;
}
