//! Browser APIs, declared once, one file per namespace: declarations only, no logic.
//!
//! Every API is imported with `catch`, promise-returning ones as functions returning the
//! promise: a rejection *and* a synchronous throw (an API missing in this browser, a bad
//! argument) both become a Rust `Err`, never a trap.

pub mod action;
pub mod alarms;
pub mod browsing_data;
pub mod cookies;
pub mod dnr;
pub mod downloads;
pub mod i18n;
pub mod idle;
pub mod management;
pub mod permissions;
pub mod proxy;
pub mod runtime;
pub mod scorer;
pub mod scripting;
pub mod storage;
pub mod tabs;
pub mod web;

use js_sys::Promise;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

/// Awaits an imported promise-returning call.
pub async fn call(promise: Result<Promise, JsValue>) -> Result<JsValue, JsValue> {
    JsFuture::from(promise?).await
}
