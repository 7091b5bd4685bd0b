//! The scorer module's tests, run in WASM (node) by `cargo xtask test`.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)]

use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

/// Issue 13: in WASM, the first 1,000 corpus passwords score exactly as the native golden file
/// says (`crm-guard-score/tests/determinism.rs` checks it natively, in two processes).
#[wasm_bindgen_test]
fn scores_match_the_native_golden_file() {
    let corpus: Vec<String> =
        serde_json::from_str(include_str!("../../../tests/bench/password-corpus.json")).unwrap();
    let ours = crm_guard_score::golden::lines(&corpus[..1_000]);
    let golden: Vec<&str> = crm_guard_score::golden::FILE.lines().collect();
    assert_eq!(ours.len(), golden.len());
    let diffs: Vec<_> = ours.iter().zip(&golden).filter(|(a, b)| a != *b).collect();
    assert!(diffs.is_empty(), "{} of {} lines differ, first: {:?}", diffs.len(), ours.len(), diffs.first());
    // And again in the same instance.
    assert_eq!(ours, crm_guard_score::golden::lines(&corpus[..1_000]));
}

fn field(v: &JsValue, name: &str) -> JsValue {
    js_sys::Reflect::get(v, &name.into()).unwrap()
}

/// The export the worker calls gives a plain object with the engine's field names, and the
/// user inputs count (a CRM's name is a weak password on that CRM).
#[wasm_bindgen_test]
fn the_export_returns_the_engines_strength_shape() {
    let strong = crm_guard_score_wasm::score("correct-horse-battery-staple-91", vec![], 2026).unwrap();
    assert_eq!(field(&strong, "score").as_f64(), Some(4.0));
    assert_eq!(field(&strong, "length").as_f64(), Some(31.0));
    assert!(field(&strong, "crackSeconds").as_f64().unwrap() > 1e9);
    assert!(js_sys::Array::is_array(&field(&strong, "suggestions")));
    assert!(field(&strong, "warning").is_null());
    let plain = crm_guard_score_wasm::score("acmesalesforce2026", vec![], 2026).unwrap();
    let with_context =
        crm_guard_score_wasm::score("acmesalesforce2026", vec!["salesforce".into(), "acme".into()], 2026)
            .unwrap();
    assert!(field(&with_context, "score").as_f64() < field(&plain, "score").as_f64());
    // The password itself is in no field.
    let text = js_sys::JSON::stringify(&with_context).unwrap().as_string().unwrap();
    assert!(!text.contains("acmesalesforce"), "{text}");
}
