//! Tests of the binding itself, run in WASM (node) by `cargo xtask test`:
//! values cross the boundary as plain JS objects, bad input becomes a JS error, and with no
//! `chrome` global at all (no policy readable) the built-in defaults apply.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::wasm_bindgen_test;

fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &key.into()).expect("readable property")
}

#[wasm_bindgen_test]
async fn verdict_crosses_as_plain_object() {
    let v = crm_guard_wasm::evaluate_url("http://acme.my.salesforce.com/".into(), JsValue::UNDEFINED)
        .await
        .expect("evaluates");
    assert!(v.is_object() && !v.is_instance_of::<js_sys::Map>(), "a plain object, not a Map");
    assert_eq!(get(&v, "crmName").as_string().as_deref(), Some("Salesforce"));
    assert_eq!(get(&v, "level").as_string().as_deref(), Some("atRisk"));
    let findings = Array::from(&get(&v, "findings"));
    assert_eq!(get(&findings.get(0), "kind").as_string().as_deref(), Some("insecureScheme"));
}

#[wasm_bindgen_test]
async fn findings_from_js_are_checked() {
    let reported = js_sys::JSON::parse(r#"[{"kind":"missingHsts","level":"warning"}]"#).unwrap();
    let v = crm_guard_wasm::evaluate_url("https://app.hubspot.com/".into(), reported).await.unwrap();
    assert_eq!(get(&v, "level").as_string().as_deref(), Some("warning"));

    let bogus = js_sys::JSON::parse(r#"[{"kind":"notAKind","level":"secure"}]"#).unwrap();
    let err = crm_guard_wasm::evaluate_url("https://app.hubspot.com/".into(), bogus).await.unwrap_err();
    let msg = err.dyn_into::<js_sys::Error>().expect("a JS Error").message();
    assert!(String::from(msg).starts_with("malformed findings"), "error names its context");
}

#[wasm_bindgen_test]
async fn non_crm_and_non_pages_are_null() {
    for url in ["https://www.salesforce.com/", "chrome://extensions/", "data:text/html,x", ""] {
        let v = crm_guard_wasm::evaluate_url(url.into(), JsValue::NULL).await.unwrap();
        assert!(v.is_null(), "{url}");
    }
}

#[wasm_bindgen_test]
fn no_panic_recorded_until_one_happens() {
    assert_eq!(crm_guard_wasm::last_panic(), None);
}

/// Without the `chrome` APIs (another browser, a broken environment) handlers fail with a JS
/// error the worker can report, instead of trapping the module.
#[wasm_bindgen_test]
async fn missing_browser_api_is_an_error_not_a_trap() {
    let err =
        crm_guard_wasm::on_navigation(7, "https://acme.my.salesforce.com/".into(), true).await.unwrap_err();
    assert!(err.is_instance_of::<js_sys::Error>(), "{err:?}");
    // The module is still usable afterwards.
    let v = crm_guard_wasm::evaluate_url("https://app.hubspot.com/".into(), JsValue::NULL).await.unwrap();
    assert!(v.is_object());
}
