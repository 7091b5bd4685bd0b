//! Tests of the binding itself, run in WASM (node) by `cargo xtask test`: values cross the
//! boundary as plain JS objects, bad input becomes a JS `Error` naming its context, and with no
//! `chrome` global at all a handler fails with an error instead of trapping the module.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)]

use wasm_bindgen::prelude::*;
use wasm_bindgen_test::wasm_bindgen_test;

fn json(s: &str) -> JsValue {
    js_sys::JSON::parse(s).expect("valid JSON")
}

fn message_of(err: JsValue) -> String {
    String::from(err.dyn_into::<js_sys::Error>().expect("a JS Error").message())
}

#[wasm_bindgen_test]
async fn a_malformed_event_is_an_error_naming_its_context() {
    for bad in [r#"{"type":"noSuchEvent"}"#, r#"{"type":"navigationCommitted","tabId":"x"}"#, "42"] {
        let err = crm_guard_wasm::handle(json(bad)).await.unwrap_err();
        assert!(message_of(err).starts_with("malformed event"), "{bad}");
    }
}

/// Without the `chrome` APIs (another browser, a broken environment) an event fails with a JS
/// error the worker can report, and the module stays usable.
#[wasm_bindgen_test]
async fn a_missing_browser_api_is_an_error_not_a_trap() {
    let nav = r#"{"type":"navigationCommitted","tabId":7,"url":"https://acme.my.salesforce.com/"}"#;
    for _ in 0..2 {
        let err = crm_guard_wasm::handle(json(nav)).await.unwrap_err();
        assert!(message_of(err).starts_with("event failed"));
    }
}

#[wasm_bindgen_test]
fn no_panic_recorded_until_one_happens() {
    assert_eq!(crm_guard_wasm::last_panic(), None);
}

#[cfg(feature = "diagnostics")]
mod diagnostics {
    use js_sys::{Array, Reflect};

    use super::*;

    fn get(obj: &JsValue, key: &str) -> JsValue {
        Reflect::get(obj, &key.into()).expect("readable property")
    }

    #[wasm_bindgen_test]
    fn a_verdict_crosses_as_a_plain_object() {
        let v = crm_guard_wasm::evaluate_url("http://acme.my.salesforce.com/".into(), JsValue::UNDEFINED)
            .unwrap();
        assert!(v.is_object() && !v.is_instance_of::<js_sys::Map>(), "a plain object, not a Map");
        assert_eq!(get(&v, "crmName").as_string().as_deref(), Some("Salesforce"));
        assert_eq!(get(&v, "level").as_string().as_deref(), Some("atRisk"));
        let findings = Array::from(&get(&v, "findings"));
        assert_eq!(get(&findings.get(0), "kind").as_string().as_deref(), Some("insecureScheme"));
    }

    #[wasm_bindgen_test]
    fn findings_from_js_are_checked() {
        let reported = json(r#"[{"kind":"missingHsts","level":"warning"}]"#);
        let v = crm_guard_wasm::evaluate_url("https://app.hubspot.com/".into(), reported).unwrap();
        assert_eq!(get(&v, "level").as_string().as_deref(), Some("warning"));
        let bogus = json(r#"[{"kind":"notAKind","level":"secure"}]"#);
        let err = crm_guard_wasm::evaluate_url("https://app.hubspot.com/".into(), bogus).unwrap_err();
        assert!(message_of(err).starts_with("malformed findings"), "error names its context");
    }
}
