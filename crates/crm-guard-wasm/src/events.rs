//! The security event log in `chrome.storage.local` (`eventLog`), bounded by policy.
//! The log lives in memory once loaded, so concurrent handlers never lose each other's events;
//! every push writes the whole (bounded) log back.

use crm_guard_core::events::{EventLog, Filter, NewEvent};
use wasm_bindgen::prelude::*;

use crate::{chrome, js_error, once, reporting, settings, to_js};

pub const LOG_KEY: &str = "eventLog";

thread_local! {
    static LOG: once::Slot<EventLog> = const { once::Slot::new() };
}

async fn load() -> Result<EventLog, JsValue> {
    once::load_local(LOG_KEY, "event log").await
}

async fn ensure_loaded() -> Result<(), JsValue> {
    once::ensure_loaded(&LOG, load).await
}

/// Appends an event (hosts are reduced to the host by the core) and persists the log. With
/// reporting on, the event also joins the report queue, written in the same `storage.set` (an
/// event is never in the log but lost for the endpoint), and a flush starts (not awaited).
pub async fn log(new: NewEvent) -> Result<crm_guard_core::events::Event, JsValue> {
    ensure_loaded().await?;
    let effective = settings::current().await?;
    let capacity = effective.settings.event_log_size as usize;
    let reporting = reporting::target(&effective.settings).is_some();
    if reporting {
        reporting::ensure_loaded().await?;
    }
    // From here to the storage call, nothing awaits: the snapshots are taken in push order.
    let (event, snapshot) = LOG.with(|l| {
        let mut guard = l.value.borrow_mut();
        let log = guard.as_mut().expect("loaded above");
        log.set_capacity(capacity);
        let event = log.push(new).clone();
        (event, to_js(&*log))
    });
    let items = js_sys::Object::new();
    js_sys::Reflect::set(&items, &LOG_KEY.into(), &snapshot?)?;
    if reporting {
        js_sys::Reflect::set(&items, &reporting::QUEUE_KEY.into(), &reporting::enqueue(event.clone())?)?;
    }
    chrome::local_set(&items).await?;
    if reporting {
        reporting::kick();
    }
    Ok(event)
}

/// Appends an event given as JSON (`{kind, crmId?, host?, level?, detail?}`) from the worker's
/// JS shell; the time is set here.
#[wasm_bindgen(js_name = logEvent)]
pub async fn log_event(event: JsValue) -> Result<JsValue, JsValue> {
    if !event.is_object() {
        return Err(js_error("malformed event", "not an object"));
    }
    // The time is ours, never the caller's.
    js_sys::Reflect::set(&event, &"timeMs".into(), &js_sys::Date::now().into())?;
    let new: NewEvent = serde_wasm_bindgen::from_value(event).map_err(|e| js_error("malformed event", e))?;
    to_js(&log(new).await?)
}

/// At most this many events are listed in the options page (the export has them all).
const MAX_LISTED: usize = 500;

fn filter_from(filter: JsValue) -> Result<Filter, JsValue> {
    if filter.is_undefined() || filter.is_null() {
        return Ok(Filter::default());
    }
    serde_wasm_bindgen::from_value(filter).map_err(|e| js_error("malformed filter", e))
}

/// The log for the options page: `{events (newest first, at most 500), total, matching, crms}`;
/// `crms` lists the CRM ids present in the whole log (for the CRM filter).
#[wasm_bindgen(js_name = listEvents)]
pub async fn list_events(filter: JsValue) -> Result<JsValue, JsValue> {
    let filter = filter_from(filter)?;
    ensure_loaded().await?;
    LOG.with(|l| {
        let guard = l.value.borrow();
        let log = guard.as_ref().expect("loaded above");
        let events: Vec<_> = log.filter(&filter).rev().take(MAX_LISTED).collect();
        let matching = log.filter(&filter).count();
        let crms: std::collections::BTreeSet<&str> =
            log.events().filter_map(|e| e.crm_id.as_deref()).collect();
        to_js(
            &serde_json::json!({ "events": events, "total": log.len(), "matching": matching, "crms": crms }),
        )
    })
}

/// The filtered log as `json` or `csv` text (the core's formats), for a download.
#[wasm_bindgen(js_name = exportEvents)]
pub async fn export_events(format: String, filter: JsValue) -> Result<String, JsValue> {
    let filter = filter_from(filter)?;
    ensure_loaded().await?;
    LOG.with(|l| {
        let guard = l.value.borrow();
        let log = guard.as_ref().expect("loaded above");
        match format.as_str() {
            "json" => Ok(log.to_json(&filter)),
            "csv" => Ok(log.to_csv(&filter)),
            other => Err(js_error("export format", other)),
        }
    })
}
