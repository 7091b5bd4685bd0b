//! Worker-lifetime state loaded from storage once: concurrent first callers share one load,
//! and a failed load is retried by the next caller.

use std::cell::RefCell;
use std::future::Future;
use std::thread::LocalKey;

use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

use crate::chrome;

/// A value kept for the life of the worker, plus the promise of its first load.
pub(crate) struct Slot<T: 'static> {
    pub value: RefCell<Option<T>>,
    loading: RefCell<Option<js_sys::Promise>>,
}

impl<T: 'static> Slot<T> {
    pub const fn new() -> Self {
        Slot { value: RefCell::new(None), loading: RefCell::new(None) }
    }
}

/// Makes sure `slot` holds its value, running `load` at most once at a time.
pub(crate) async fn ensure_loaded<T, F, Fut>(slot: &'static LocalKey<Slot<T>>, load: F) -> Result<(), JsValue>
where
    T: 'static,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<T, JsValue>> + 'static,
{
    if slot.with(|s| s.value.borrow().is_some()) {
        return Ok(());
    }
    let promise = slot.with(|s| {
        s.loading
            .borrow_mut()
            .get_or_insert_with(|| {
                let fut = load();
                future_to_promise(async move {
                    let loaded = fut.await?;
                    slot.with(|s| {
                        let mut value = s.value.borrow_mut();
                        if value.is_none() {
                            *value = Some(loaded);
                        }
                    });
                    Ok(JsValue::UNDEFINED)
                })
            })
            .clone()
    });
    let result = JsFuture::from(promise).await;
    if result.is_err() {
        slot.with(|s| *s.loading.borrow_mut() = None);
    }
    result.map(|_| ())
}

/// Reads `key` from `chrome.storage.local`: the default when absent; when unreadable (written
/// by another version, or tampered with) the default too, reported as `what`, never trusted.
pub(crate) async fn load_local<T: DeserializeOwned + Default>(key: &str, what: &str) -> Result<T, JsValue> {
    let items = chrome::local_get(&key.into()).await?;
    let value = js_sys::Reflect::get(&items, &key.into())?;
    if value.is_undefined() {
        return Ok(T::default());
    }
    Ok(serde_wasm_bindgen::from_value(value).unwrap_or_else(|e| {
        web_sys::console::error_1(&format!("[crm-guard] {what} unreadable, starting a new one: {e}").into());
        T::default()
    }))
}
