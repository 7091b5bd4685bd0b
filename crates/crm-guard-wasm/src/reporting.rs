//! The reporting endpoint: every logged event is pushed onto a persisted `events::ReportQueue`
//! (`chrome.storage.local` `reportQueue`) when `reportingUrl` and `reportingHmacSecret` are set,
//! then flushed in signed batches right after the push and on the `crm-guard-report` alarm.
//! The batch in flight is persisted before it is sent, so a stopped worker or an offline
//! period resends the same batch (same ids; the endpoint deduplicates by event id) and never
//! loses one. Back-off comes from the core. Nothing ever waits on the endpoint.

use std::cell::Cell;

use crm_guard_core::events::{report_body, sign, Event, ReportQueue, SIGNATURE_HEADER};
use crm_guard_core::policy::Settings;
use serde_json::json;
use wasm_bindgen::prelude::*;

use crate::{chrome, once, settings, to_js};

/// Storage key of the queue in `chrome.storage.local`.
pub(crate) const QUEUE_KEY: &str = "reportQueue";
/// The alarm that retries and flushes.
pub(crate) const ALARM: &str = "crm-guard-report";
/// A report that takes longer than this is a failure (retried later).
const FETCH_TIMEOUT_MS: u32 = 15_000;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch, catch)]
    async fn fetch(url: &str, init: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = AbortSignal, js_name = timeout)]
    fn abort_after(ms: u32) -> JsValue;

    // chrome.alarms
    #[wasm_bindgen(js_namespace = ["chrome", "alarms"], js_name = create, catch)]
    async fn alarms_create(name: &str, info: &JsValue) -> Result<JsValue, JsValue>;

    // chrome.runtime
    #[wasm_bindgen(js_namespace = ["chrome", "runtime"], js_name = getManifest)]
    fn get_manifest() -> JsValue;
}

thread_local! {
    static QUEUE: once::Slot<ReportQueue> = const { once::Slot::new() };
    static FLUSHING: Cell<bool> = const { Cell::new(false) };
    static AGAIN: Cell<bool> = const { Cell::new(false) };
}

/// The endpoint and secret, when reporting is on (the core drops an unsigned configuration).
pub(crate) fn target(s: &Settings) -> Option<(String, String)> {
    Some((s.reporting_url.clone()?, s.reporting_hmac_secret.clone()?))
}

async fn load() -> Result<ReportQueue, JsValue> {
    once::load_local(QUEUE_KEY, "report queue").await
}

/// Loads the queue once per worker (concurrent callers share one load).
pub(crate) async fn ensure_loaded() -> Result<(), JsValue> {
    once::ensure_loaded(&QUEUE, load).await
}

/// Pushes an event (the queue must be loaded) and returns the queue to persist, synchronously:
/// the caller writes it in the same `storage.set` as the event log.
pub(crate) fn enqueue(event: Event) -> Result<JsValue, JsValue> {
    QUEUE.with(|q| {
        let mut guard = q.value.borrow_mut();
        let queue = guard.get_or_insert_with(ReportQueue::new);
        queue.push(event);
        to_js(&*queue)
    })
}

/// Starts a flush without waiting for it.
pub(crate) fn kick() {
    wasm_bindgen_futures::spawn_local(async {
        if let Err(e) = flush().await {
            web_sys::console::error_1(&format!("[crm-guard] reporting flush failed: {e:?}").into());
        }
    });
}

async fn persist() -> Result<(), JsValue> {
    let snapshot = QUEUE.with(|q| q.value.borrow().as_ref().map(to_js)).transpose()?;
    if let Some(snapshot) = snapshot {
        let items = js_sys::Object::new();
        js_sys::Reflect::set(&items, &QUEUE_KEY.into(), &snapshot)?;
        chrome::local_set(&items).await?;
    }
    Ok(())
}

/// Sends one body; true when the endpoint answered 2xx.
async fn post(url: &str, body: &str, signature: &str) -> bool {
    let mut headers = serde_json::Map::new();
    headers.insert("Content-Type".into(), "application/json".into());
    headers.insert(SIGNATURE_HEADER.into(), signature.into());
    let Ok(init) = to_js(&json!({
        "method": "POST",
        "headers": headers,
        "body": body,
        "credentials": "omit",
        "cache": "no-store",
        "redirect": "error",
        "referrerPolicy": "no-referrer",
    })) else {
        return false;
    };
    let _ = js_sys::Reflect::set(&init, &"signal".into(), &abort_after(FETCH_TIMEOUT_MS));
    match fetch(url, &init).await {
        Ok(response) => {
            js_sys::Reflect::get(&response, &"ok".into()).ok().and_then(|v| v.as_bool()).unwrap_or(false)
        }
        Err(_) => false,
    }
}

fn version() -> String {
    js_sys::Reflect::get(&get_manifest(), &"version".into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

/// Sends every due batch; on a failure, backs off (core schedule) and sets the alarm.
/// One flush at a time per worker; a request during a flush runs another pass after it.
#[wasm_bindgen(js_name = reportingFlush)]
pub async fn flush() -> Result<(), JsValue> {
    if FLUSHING.with(Cell::get) {
        AGAIN.with(|a| a.set(true));
        return Ok(());
    }
    FLUSHING.with(|f| f.set(true));
    let mut result = Ok(());
    loop {
        AGAIN.with(|a| a.set(false));
        if let Err(e) = flush_once().await {
            result = Err(e);
            break;
        }
        if !AGAIN.with(Cell::get) {
            break;
        }
    }
    FLUSHING.with(|f| f.set(false));
    result
}

async fn flush_once() -> Result<(), JsValue> {
    let effective = settings::current().await?;
    let Some((url, secret)) = target(&effective.settings) else { return Ok(()) };
    let batch_size = effective.settings.reporting_batch_size as usize;
    ensure_loaded().await?;
    loop {
        let now = js_sys::Date::now() as u64;
        let batch = QUEUE.with(|q| {
            let mut guard = q.value.borrow_mut();
            let queue = guard.as_mut()?;
            if queue.due(now) {
                queue.next_batch(batch_size)
            } else {
                None
            }
        });
        let Some(batch) = batch else { break };
        // The batch in flight is on disk before it leaves: a stopped worker resends it.
        persist().await?;
        let body = report_body(&batch, &version());
        let ok = post(&url, &body, &sign(secret.as_bytes(), body.as_bytes())).await;
        let now = js_sys::Date::now() as u64;
        QUEUE.with(|q| {
            if let Some(queue) = q.value.borrow_mut().as_mut() {
                if ok {
                    queue.ack(batch.batch_id);
                } else {
                    queue.fail(now);
                }
            }
        });
        persist().await?;
        if !ok {
            break;
        }
    }
    schedule().await
}

/// Sets the alarm for the next attempt when events are waiting.
async fn schedule() -> Result<(), JsValue> {
    let next =
        QUEUE.with(|q| q.value.borrow().as_ref().filter(|q| !q.is_empty()).map(ReportQueue::next_attempt_ms));
    if let Some(next) = next {
        let when = (next as f64).max(js_sys::Date::now() + 1000.0);
        alarms_create(ALARM, &to_js(&json!({ "when": when }))?).await?;
    }
    Ok(())
}

/// Queue state for the options page and the tests: `{enabled, queued, failures, nextAttemptMs, dropped}`.
#[wasm_bindgen(js_name = reportingStatus)]
pub async fn reporting_status() -> Result<JsValue, JsValue> {
    let effective = settings::current().await?;
    ensure_loaded().await?;
    let status = QUEUE.with(|q| {
        let guard = q.value.borrow();
        let queue = guard.as_ref();
        json!({
            "enabled": target(&effective.settings).is_some(),
            "queued": queue.map_or(0, ReportQueue::len),
            "failures": queue.map_or(0, ReportQueue::failures),
            "nextAttemptMs": queue.map_or(0, ReportQueue::next_attempt_ms),
            "dropped": queue.map_or(0, ReportQueue::dropped),
        })
    });
    to_js(&status)
}
