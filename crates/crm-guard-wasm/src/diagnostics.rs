//! Test and benchmark hooks (feature `diagnostics`, built for the e2e suite and `cargo xtask
//! bench`; the shipped module has none of them). Callable from the worker's own realm only.

#[cfg(feature = "diagnostics")]
pub mod hooks {
    use crm_guard_core::events::NewEvent;
    use crm_guard_core::{Catalog, Finding, PageUrl};
    use crm_guard_engine::ports::Crypto;
    use wasm_bindgen::prelude::*;

    use crate::{engine, from_js, js_error, to_js};

    /// Panics (a trap, with `panic = "abort"`): the shell must report it and recover.
    #[wasm_bindgen(js_name = debugPanic)]
    pub fn debug_panic(context: &str) {
        panic!("deliberate panic for testing ({context})");
    }

    /// The verdict for a URL and findings with the built-in catalog.
    #[wasm_bindgen(js_name = evaluateUrl)]
    pub fn evaluate_url(url: String, findings: JsValue) -> Result<JsValue, JsValue> {
        let findings: Vec<Finding> = if findings.is_undefined() || findings.is_null() {
            Vec::new()
        } else {
            from_js(findings).map_err(|e| js_error("malformed findings", format!("{e:?}")))?
        };
        match crm_guard_core::evaluate(&Catalog::builtin(), &url, &findings) {
            Some(v) => to_js(&v),
            None => Ok(JsValue::NULL),
        }
    }

    /// Logs an event (`{kind, crmId?, host?, level?, detail?}`); the time is the worker's.
    #[wasm_bindgen(js_name = logEvent)]
    pub async fn log_event(event: JsValue) -> Result<JsValue, JsValue> {
        if !event.is_object() {
            return Err(js_error("malformed event", "not an object"));
        }
        // The time is the worker's, never the caller's.
        js_sys::Reflect::set(&event, &"timeMs".into(), &js_sys::Date::now().into())?;
        let new: NewEvent = from_js(event)?;
        to_js(&engine().log_event(new).await.map_err(|e| js_error("logging", e))?)
    }

    /// The PBKDF2 bits as hex, for docs/password-fingerprint.md's cross-check vector.
    #[wasm_bindgen(js_name = deriveHex)]
    pub async fn derive_hex(pw: String, salt_byte: u8, iterations: u32) -> Result<String, JsValue> {
        let salt = [salt_byte; crm_guard_core::password::fingerprint::FINGERPRINT_SALT_BYTES];
        let bits = crm_guard_core::password::fingerprint::DERIVE_BITS;
        let derived = crate::ports::Chrome
            .pbkdf2(&pw, &salt, iterations, bits)
            .await
            .map_err(|e| js_error("derive", e))?;
        Ok(derived.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// The findings of one CRM navigation (classification, URL findings, the main document's
    /// headers) with the built-in catalog: the level.
    #[wasm_bindgen(js_name = benchFindingsPipeline)]
    pub fn bench_findings_pipeline(url: &str, status: u16, headers: JsValue) -> Result<JsValue, JsValue> {
        let headers: Vec<crm_guard_engine::protocol::Header> = from_js(headers)?;
        let pairs: Vec<(String, String)> =
            headers.into_iter().map(|h| (h.name, h.value.unwrap_or_default())).collect();
        let found = crm_guard_core::network::main_document_response(url, status, &pairs);
        let verdict = crm_guard_core::evaluate(&Catalog::builtin(), url, &found);
        Ok(verdict.map_or(JsValue::NULL, |v| v.level.id().into()))
    }

    /// The lookalike check for one non-CRM host: the imitated CRM's id.
    #[wasm_bindgen(js_name = benchLookalike)]
    pub fn bench_lookalike(url: &str) -> Option<String> {
        let catalog = Catalog::builtin();
        let page = PageUrl::parse(url).ok()?;
        if catalog.classify(&page).is_some() {
            return None;
        }
        crm_guard_core::lookalike::check(&catalog, &page).map(|i| i.crm_id)
    }
}
