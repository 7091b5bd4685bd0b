//! The WASM binding of CRM Guard. The service worker (`extension/sw.js`) forwards browser
//! events to the exports here; they read and write per-tab state in `chrome.storage.session`,
//! ask `crm-guard-core` for the verdict and paint the badge. No decision is made here.

mod chrome;
mod events;
mod idle;
mod network;
mod once;
mod password;
mod reporting;
mod settings;
mod tabs;

use std::cell::RefCell;

use wasm_bindgen::prelude::*;

thread_local! {
    /// The last panic message, for the JS shell to report with context.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs the panic hook once, when the module is instantiated.
#[wasm_bindgen(start)]
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        let msg = info.to_string();
        web_sys::console::error_1(&format!("[crm-guard] panic in WASM core: {msg}").into());
        LAST_PANIC.with(|p| *p.borrow_mut() = Some(msg));
    }));
}

/// The message of the last panic, if any (read by the JS shell after a trap).
#[wasm_bindgen(js_name = lastPanic)]
pub fn last_panic() -> Option<String> {
    LAST_PANIC.with(|p| p.borrow().clone())
}

/// Serialises a value for JS (plain objects, not Maps).
pub(crate) fn to_js(value: &impl serde::Serialize) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| js_error("serialising for JS", e))
}

/// Converts any error into a JS `Error` with context. The one place errors cross the boundary.
pub(crate) fn js_error(context: &str, err: impl std::fmt::Debug) -> JsValue {
    js_sys::Error::new(&format!("{context}: {err:?}")).into()
}

pub use events::*;
pub use idle::*;
pub use network::*;
pub use password::*;
pub use reporting::*;
pub use settings::*;
pub use tabs::*;

/// Panics on purpose: lets the end-to-end suite prove a panic is reported with context and
/// leaves no stale badge. Callable only from the worker's own realm.
#[wasm_bindgen(js_name = debugPanic)]
pub fn debug_panic(context: &str) {
    panic!("deliberate panic for testing ({context})");
}
