//! The security event log in `chrome.storage.local` (`eventLog`), bounded by policy.
//! The log lives in memory once loaded, so concurrent handlers never lose each other's events;
//! every push writes the whole (bounded) log back.

use std::cell::RefCell;

use crm_guard_core::events::{EventLog, NewEvent};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

use crate::{chrome, js_error, settings, to_js};

pub const LOG_KEY: &str = "eventLog";

thread_local! {
    static LOG: RefCell<Option<EventLog>> = const { RefCell::new(None) };
    static LOADING: RefCell<Option<js_sys::Promise>> = const { RefCell::new(None) };
}

async fn load() -> Result<EventLog, JsValue> {
    let items = chrome::local_get(&LOG_KEY.into()).await?;
    let value = js_sys::Reflect::get(&items, &LOG_KEY.into())?;
    if value.is_undefined() {
        return Ok(EventLog::default());
    }
    // A corrupt log is replaced rather than trusted; the error is reported.
    Ok(serde_wasm_bindgen::from_value(value).unwrap_or_else(|e| {
        web_sys::console::error_1(
            &format!("[crm-guard] event log unreadable, starting a new one: {e}").into(),
        );
        EventLog::default()
    }))
}

async fn ensure_loaded() -> Result<(), JsValue> {
    if LOG.with(|l| l.borrow().is_some()) {
        return Ok(());
    }
    let promise = LOADING.with(|l| {
        l.borrow_mut()
            .get_or_insert_with(|| {
                future_to_promise(async {
                    let log = load().await?;
                    LOG.with(|l| l.borrow_mut().get_or_insert(log).len());
                    Ok(JsValue::UNDEFINED)
                })
            })
            .clone()
    });
    let result = JsFuture::from(promise).await;
    if result.is_err() {
        LOADING.with(|l| *l.borrow_mut() = None);
    }
    result.map(|_| ())
}

/// Appends an event (hosts are reduced to the host by the core) and persists the log.
pub async fn log(new: NewEvent) -> Result<crm_guard_core::events::Event, JsValue> {
    ensure_loaded().await?;
    let capacity = settings::current().await?.settings.event_log_size as usize;
    let (event, snapshot) = LOG.with(|l| {
        let mut guard = l.borrow_mut();
        let log = guard.as_mut().expect("loaded above");
        log.set_capacity(capacity);
        let event = log.push(new).clone();
        (event, to_js(&*log))
    });
    let items = js_sys::Object::new();
    js_sys::Reflect::set(&items, &LOG_KEY.into(), &snapshot?)?;
    chrome::local_set(&items).await?;
    Ok(event)
}

/// Appends an event given as JSON (`{kind, crmId?, host?, level?, detail?}`) from the worker's
/// JS shell; the time is set here.
#[wasm_bindgen(js_name = logEvent)]
pub async fn log_event(event: JsValue) -> Result<JsValue, JsValue> {
    let mut new: NewEvent =
        serde_wasm_bindgen::from_value(event).map_err(|e| js_error("malformed event", e))?;
    new.time_ms = js_sys::Date::now() as u64;
    to_js(&log(new).await?)
}
