//! The WASM binding of CRM Guard: `impl Ports for Chrome` (`ports.rs`, over the declarations
//! in `chrome/`) and one export, [`handle`], that gives each browser event to the engine.
//! No decision is made here (`crm-guard-engine` and `crm-guard-core` make them).

mod chrome;
mod diagnostics;
mod ports;

#[cfg(feature = "diagnostics")]
pub use diagnostics::hooks::*;

use std::cell::RefCell;
use std::rc::Rc;

use crm_guard_engine::protocol::Event;
use crm_guard_engine::Engine;
use wasm_bindgen::prelude::*;

use crate::ports::Chrome;

thread_local! {
    /// The last panic message, for the JS shell to report with context.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
    /// The engine of this instance (a trapped instance is replaced whole by the shell).
    static ENGINE: Rc<Engine<Chrome>> = Engine::new(Chrome);
}

/// Installs the panic hook once, when the module is instantiated.
#[wasm_bindgen(start)]
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        let msg = info.to_string();
        web_sys::console::error_1(&format!("[crm-guard] panic in WASM core: {msg}").into());
        LAST_PANIC.with(|p| *p.borrow_mut() = Some(msg));
        // The trap that follows may happen inside a future: the worker's shell is told here.
        let _ = on_panic();
    }));
}

#[wasm_bindgen]
extern "C" {
    /// `globalThis.crmGuardOnPanic`, set by the worker's shell (absent elsewhere: ignored).
    #[wasm_bindgen(js_name = crmGuardOnPanic, catch)]
    fn on_panic() -> Result<(), JsValue>;
}

/// The message of the last panic, if any (read by the JS shell after a trap).
#[wasm_bindgen(js_name = lastPanic)]
pub fn last_panic() -> Option<String> {
    LAST_PANIC.with(|p| p.borrow().clone())
}

/// Handles one event (`{type, ...}`, see `crm_guard_engine::protocol::Event`); resolves with the
/// reply to a message (`null` otherwise), rejects with an `Error` naming what failed.
#[wasm_bindgen]
pub async fn handle(event: JsValue) -> Result<JsValue, JsValue> {
    // A JSON value, then typed by `Event::from_json` (crm-guard-engine's wire.rs: less code).
    let event = serde_wasm_bindgen::from_value(event).map_err(|e| js_error("malformed event", e))?;
    let event = Event::from_json(event).map_err(|e| js_error("malformed event", e))?;
    let engine = ENGINE.with(Rc::clone);
    let reply = engine.handle(event).await.map_err(|e| js_error("event failed", e))?;
    to_js(&reply)
}

/// Serialises a value for JS (plain objects, not Maps).
pub(crate) fn to_js(value: &impl serde::Serialize) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| js_error("serialising for JS", e))
}

/// Deserialises a JS value.
pub(crate) fn from_js<T: serde::de::DeserializeOwned>(value: JsValue) -> Result<T, JsValue> {
    serde_wasm_bindgen::from_value(value).map_err(|e| js_error("reading a JS value", e))
}

/// Any error as a JS `Error` with context: the one place errors cross the boundary.
pub(crate) fn js_error(context: &str, err: impl std::fmt::Display) -> JsValue {
    js_sys::Error::new(&format!("{context}: {err}")).into()
}

#[cfg(feature = "diagnostics")]
pub(crate) fn engine() -> Rc<Engine<Chrome>> {
    ENGINE.with(Rc::clone)
}
