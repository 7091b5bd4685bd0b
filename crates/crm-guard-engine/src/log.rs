//! The security event log (`storage.local` `eventLog`, bounded by policy) and the reporting
//! endpoint's queue (`reportQueue`).
//!
//! Both live in memory once loaded, so concurrent handlers never lose each other's events; every
//! push writes the log and the queue back in one `storage.set` (an event is never in the log but
//! lost for the endpoint). Reports go out in signed batches right after a push and on the report
//! alarm; the batch in flight is persisted before it is sent, so a stopped worker resends the same
//! batch (same ids: the endpoint deduplicates) and never loses one. Back-off comes from the core.
//!
//! Every sending is signed with this install's id (random, created once in `storage.local`), its
//! send time and a fresh nonce, so a receiver can tell a replayed capture from a retry: a retry is
//! the same batch with a new send time and nonce (`docs/policy.md`, "Replays").

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::rc::Rc;

use crm_guard_core::events::{
    hex, is_install_id, Event, EventKind, EventLog, Filter, NewEvent, ReportQueue, Sending, INSTALL_ID_BYTES,
    NONCE_BYTES,
};
use crm_guard_core::evidence::{self, Added, Admission};
use crm_guard_core::json::from_value;
use crm_guard_core::policy::Settings;
use crm_guard_core::reporting::{self, Credentials, Origin};
use crm_guard_core::Level;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::ports::{Area, HttpError, HttpRequest, Ports};
use crate::protocol::names::{
    EVENT_LOG_KEY, INSTALL_ID_KEY, MAX_LISTED_EVENTS, REPORT_ALARM, REPORT_QUEUE_KEY, REPORT_STATUS_KEY,
};
use crate::store::to_value;
use crate::{Engine, EngineError, Result};

/// A report that takes longer than this is a failure (retried later).
const REPORT_TIMEOUT_MS: u32 = 15_000;

#[derive(Default)]
pub(crate) struct State {
    log: RefCell<Option<EventLog>>,
    queue: RefCell<Option<ReportQueue>>,
    install_id: RefCell<Option<String>>,
    flushing: Cell<bool>,
    again: Cell<bool>,
    /// The last attempts' outcome (`reportStatus` in `storage.local`), loaded once.
    status: RefCell<Option<SendStatus>>,
}

/// What the diagnostics page shows of the last attempts (never a secret, never a body).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct SendStatus {
    last_success_ms: Option<u64>,
    last_error: Option<String>,
    last_error_ms: Option<u64>,
    /// Events accepted by the receiver since this install began reporting.
    sent: u64,
}

/// The endpoint, when reporting is on (the core drops a configuration missing its credential).
fn target(s: &Settings) -> Option<String> {
    s.reporting_url.clone()
}

/// The format's credentials, or `None` while one is the snapshot's stand-in (see `settings`):
/// managed storage has not answered yet, and a stand-in never signs or authenticates.
fn credentials(s: &Settings) -> Option<Credentials<'_>> {
    let real = |v: &Option<String>| v.as_deref().is_none_or(|x| !crate::settings::is_redacted(x));
    let creds = Credentials {
        hmac_secret: s.reporting_hmac_secret.as_deref(),
        token: s.reporting_token.as_deref(),
        auth_header: s.reporting_auth_header.as_deref(),
    };
    (real(&s.reporting_hmac_secret) && real(&s.reporting_token)).then_some(creds)
}

impl<P: Ports + 'static> Engine<P> {
    /// Loads a stored value once per worker: the default when absent; when unreadable (another
    /// version, tampering) the default too, reported, never trusted.
    async fn load_once<T: DeserializeOwned + Default>(
        &self,
        slot: &RefCell<Option<T>>,
        key: &str,
    ) -> Result<()> {
        if slot.borrow().is_some() {
            return Ok(());
        }
        let value = self.ports.get(Area::Local, key).await?;
        let loaded = match value {
            None => T::default(),
            Some(v) => from_value(v).unwrap_or_else(|e| {
                self.ports.log_error(&format!("[crm-guard] {key} unreadable, starting a new one: {e}"));
                T::default()
            }),
        };
        // A concurrent load may have filled it (and pushed) meanwhile: that one wins.
        slot.borrow_mut().get_or_insert(loaded);
        Ok(())
    }

    /// Appends an event (hosts are reduced to the host by the core) and persists the log and,
    /// with reporting on, the queue; then starts a flush. A page-driven event past its host's
    /// window is not logged (`crm_guard_core::evidence`): `None`.
    pub async fn log_event(self: &Rc<Self>, new: NewEvent) -> Result<Option<Event>> {
        self.load_once(&self.log.log, EVENT_LOG_KEY).await?;
        let settings = self.settings().await?;
        let reporting = target(&settings.settings).is_some();
        if reporting {
            self.load_once(&self.log.queue, REPORT_QUEUE_KEY).await?;
        }
        // From here to the storage call nothing awaits: snapshots are taken in push order.
        let mut items = Vec::new();
        let event = {
            let mut guard = self.log.log.borrow_mut();
            let log = guard.get_or_insert_with(|| EventLog::new(0));
            log.set_capacity(settings.settings.event_log_size as usize);
            let new = match evidence::admit(log, &new) {
                Admission::Keep => new,
                Admission::CapReached => evidence::host_cap_event(&new),
                Admission::Drop => return Ok(None),
            };
            let event = log.push(new).clone();
            items.push((EVENT_LOG_KEY.to_owned(), to_value(&*log)?));
            event
        };
        if reporting {
            let mut guard = self.log.queue.borrow_mut();
            let queue = guard.get_or_insert_with(ReportQueue::new);
            queue.push(event.clone());
            items.push((REPORT_QUEUE_KEY.to_owned(), to_value(&*queue)?));
        }
        self.ports.set(Area::Local, items).await?;
        if reporting {
            self.flush_reports_soon();
        }
        Ok(Some(event))
    }

    /// Logs a finding-raised event per new finding, and an evidence-capped event per kind that
    /// overflowed on the document (CRM and host from the URL).
    pub(crate) async fn log_findings(self: &Rc<Self>, url: &str, added: Added) -> Result<()> {
        if added.new.is_empty() && added.capped.is_empty() {
            return Ok(());
        }
        let crm = self.crm_of(url).await?;
        let host = crm_guard_core::PageUrl::parse(url).ok().map(|p| p.host);
        let raised = added.new.iter().map(|f| {
            let detail = match &f.detail {
                Some(d) => format!("{}: {d}", f.kind.id()),
                None => f.kind.id().to_owned(),
            };
            (EventKind::FindingRaised, f.level, detail)
        });
        let capped =
            added.capped.iter().map(|k| (EventKind::EvidenceCapped, Level::Warning, k.id().to_owned()));
        for (kind, level, detail) in raised.chain(capped).collect::<Vec<_>>() {
            let mut e = NewEvent::new(self.ports.now_ms(), kind).level(level).detail(detail);
            if let (Some((id, _)), Some(h)) = (&crm, &host) {
                e = e.crm(id.clone()).host(h.clone());
            }
            self.log_event(e).await?;
        }
        Ok(())
    }

    /// Logs an event about the whole browser (no CRM).
    pub(crate) async fn log_browser_event(
        self: &Rc<Self>,
        kind: EventKind,
        level: Option<Level>,
        detail: &str,
    ) -> Result<()> {
        let mut e = NewEvent::new(self.ports.now_ms(), kind).detail(detail);
        if let Some(l) = level {
            e = e.level(l);
        }
        self.log_event(e).await.map(|_| ())
    }

    /// The options page's list: `{events (newest first, at most 500), total, matching, crms}`.
    pub(crate) async fn list_events(self: &Rc<Self>, filter: Value) -> Result<Value> {
        let filter = filter_from(filter)?;
        self.load_once(&self.log.log, EVENT_LOG_KEY).await?;
        let guard = self.log.log.borrow();
        let Some(log) = guard.as_ref() else { return Ok(Value::Null) };
        let events: Vec<_> = log.filter(&filter).rev().take(MAX_LISTED_EVENTS).collect();
        let matching = log.filter(&filter).count();
        // Extended (one insert per id), not collected: `BTreeSet::from_iter` sorts first (a
        // stable sort's code for one more element type in the WASM module, docs/size.md).
        let mut crms = BTreeSet::new();
        crms.extend(log.events().filter_map(|e| e.crm_id.as_deref()));
        to_value(&json!({ "events": events, "total": log.len(), "matching": matching, "crms": crms }))
    }

    /// The filtered log as `json` or `csv` text (the core's formats).
    pub(crate) async fn export_events(self: &Rc<Self>, format: &str, filter: Value) -> Result<Value> {
        let filter = filter_from(filter)?;
        self.load_once(&self.log.log, EVENT_LOG_KEY).await?;
        let guard = self.log.log.borrow();
        let Some(log) = guard.as_ref() else { return Ok(Value::Null) };
        match format {
            "json" => Ok(Value::String(log.to_json(&filter))),
            "csv" => Ok(Value::String(log.to_csv(&filter))),
            other => Err(EngineError::Malformed(format!("export format {other:?}"))),
        }
    }

    /// Starts a flush after this event.
    pub(crate) fn flush_reports_soon(self: &Rc<Self>) {
        let this = self.clone();
        self.ports.spawn(Box::pin(async move {
            if let Err(e) = this.flush_reports().await {
                this.report_failure("reporting flush", &e);
            }
        }));
    }

    /// Sends every due batch; on a failure backs off (core schedule) and sets the alarm. One
    /// flush at a time; a request during a flush runs another pass after it.
    pub(crate) async fn flush_reports(self: &Rc<Self>) -> Result<()> {
        if self.log.flushing.replace(true) {
            self.log.again.set(true);
            return Ok(());
        }
        let mut result = Ok(());
        loop {
            self.log.again.set(false);
            if let Err(e) = self.flush_once().await {
                result = Err(e);
                break;
            }
            if !self.log.again.get() {
                break;
            }
        }
        self.log.flushing.set(false);
        result
    }

    /// Writes the queue and the send status in one `storage.set`.
    async fn persist_queue(&self) -> Result<()> {
        let mut items = Vec::new();
        if let Some(q) = self.log.queue.borrow().as_ref() {
            items.push((REPORT_QUEUE_KEY.to_owned(), to_value(q)?));
        }
        if let Some(s) = self.log.status.borrow().as_ref() {
            items.push((REPORT_STATUS_KEY.to_owned(), to_value(s)?));
        }
        if !items.is_empty() {
            self.ports.set(Area::Local, items).await?;
        }
        Ok(())
    }

    async fn flush_once(self: &Rc<Self>) -> Result<()> {
        let settings = self.settings().await?;
        let s = &settings.settings;
        let Some(url) = target(s) else { return Ok(()) };
        // Managed storage has not answered yet: the refresh flushes when it does.
        let Some(creds) = credentials(s) else { return Ok(()) };
        let batch_size = s.reporting_batch_size as usize;
        self.load_once(&self.log.queue, REPORT_QUEUE_KEY).await?;
        self.load_once(&self.log.status, REPORT_STATUS_KEY).await?;
        let install_id = self.install_id().await?;
        let user_agent = self.ports.user_agent();
        loop {
            let now = self.ports.now_ms();
            let batch = {
                let mut guard = self.log.queue.borrow_mut();
                guard.as_mut().filter(|q| q.due(now)).and_then(|q| q.next_batch(batch_size))
            };
            let Some(batch) = batch else { break };
            // The batch in flight is on disk before it leaves: a stopped worker resends it.
            self.persist_queue().await?;
            // A fresh send time and nonce for every attempt, a retry included.
            let nonce = hex(&self.ports.random_bytes(NONCE_BYTES)?);
            let version = self.ports.version();
            let sent_ms = self.ports.now_ms();
            let sending =
                Sending { install_id: &install_id, sent_ms, nonce: &nonce, extension_version: &version };
            let origin = Origin { sending, user_agent: &user_agent };
            // The core formats; a missing credential was refused by the policy check already.
            let Some(built) = reporting::request(s.reporting_format, &batch, &origin, &creds) else { break };
            let request = HttpRequest {
                url: url.clone(),
                headers: built.headers,
                body: Some(built.body),
                with_cookies: false,
                manual_redirect: false,
                timeout_ms: REPORT_TIMEOUT_MS,
                read_bytes: 0,
            };
            let error = match self.ports.fetch(&request).await {
                Ok(r) if (200..300).contains(&r.status) => None,
                Ok(r) => Some(format!("HTTP {}", r.status)),
                Err(HttpError::TimedOut) => Some("timed out".to_owned()),
                Err(HttpError::Offline) => Some("offline".to_owned()),
                // A refused CORS preflight or a bad header ends here too (the browser says which).
                Err(HttpError::Failed(why)) => Some(format!("failed: {why}")),
            };
            let now = self.ports.now_ms();
            if let Some(queue) = self.log.queue.borrow_mut().as_mut() {
                if error.is_none() {
                    queue.ack(batch.batch_id);
                } else {
                    queue.fail(now);
                }
            }
            {
                let mut guard = self.log.status.borrow_mut();
                let status = guard.get_or_insert_with(SendStatus::default);
                match &error {
                    None => {
                        status.last_success_ms = Some(now);
                        status.sent += batch.events.len() as u64;
                    }
                    Some(e) => {
                        status.last_error = Some(e.chars().take(200).collect());
                        status.last_error_ms = Some(now);
                    }
                }
            }
            self.persist_queue().await?;
            if error.is_some() {
                break;
            }
        }
        // The alarm for the next attempt when events are waiting.
        let next =
            self.log.queue.borrow().as_ref().filter(|q| !q.is_empty()).map(ReportQueue::next_attempt_ms);
        if let Some(next) = next {
            self.ports.alarm_at(REPORT_ALARM, next.max(self.ports.now_ms() + 1000)).await?;
        }
        Ok(())
    }

    /// This install's id: read once, created (random) when absent or not one this version made.
    /// Only reporting uses it; it is not a secret (the receiver's replay check keys on it).
    async fn install_id(&self) -> Result<String> {
        if let Some(id) = self.log.install_id.borrow().clone() {
            return Ok(id);
        }
        let stored: Option<String> =
            self.ports.get(Area::Local, INSTALL_ID_KEY).await?.and_then(|v| v.as_str().map(str::to_owned));
        let id = match stored.filter(|s| is_install_id(s)) {
            Some(id) => id,
            None => {
                let fresh = hex(&self.ports.random_bytes(INSTALL_ID_BYTES)?);
                self.ports
                    .set(Area::Local, vec![(INSTALL_ID_KEY.to_owned(), Value::String(fresh.clone()))])
                    .await?;
                fresh
            }
        };
        Ok(self.log.install_id.borrow_mut().get_or_insert(id).clone())
    }

    /// Queue state for the options and diagnostics pages and the tests: format, endpoint (a URL,
    /// never a credential), queue length, back-off, last success and last error.
    pub(crate) async fn reporting_status(self: &Rc<Self>) -> Result<Value> {
        let settings = self.settings().await?;
        self.load_once(&self.log.queue, REPORT_QUEUE_KEY).await?;
        self.load_once(&self.log.status, REPORT_STATUS_KEY).await?;
        let s = &settings.settings;
        let guard = self.log.queue.borrow();
        let queue = guard.as_ref();
        let status = self.log.status.borrow().clone().unwrap_or_default();
        Ok(json!({
            "enabled": target(s).is_some(),
            "format": s.reporting_format.id(),
            "endpoint": s.reporting_url,
            "waitingForPolicy": target(s).is_some() && credentials(s).is_none(),
            "queued": queue.map_or(0, ReportQueue::len),
            "failures": queue.map_or(0, ReportQueue::failures),
            "nextAttemptMs": queue.map_or(0, ReportQueue::next_attempt_ms),
            "dropped": queue.map_or(0, ReportQueue::dropped),
            "lastSuccessMs": status.last_success_ms,
            "lastError": status.last_error,
            "lastErrorMs": status.last_error_ms,
            "sent": status.sent,
        }))
    }

    /// The diagnostics page's "send a test event": a `reportingTest` event, logged and queued
    /// like any other, so it takes the same way to the receiver. Returns it.
    pub(crate) async fn send_test_event(self: &Rc<Self>) -> Result<Value> {
        let e = NewEvent::new(self.ports.now_ms(), EventKind::ReportingTest)
            .detail("test event from the diagnostics page");
        to_value(&self.log_event(e).await?)
    }
}

/// The options page's filter: only the known string fields, empty ones ignored.
fn filter_from(filter: Value) -> Result<Filter> {
    let mut clean = serde_json::Map::new();
    if let Value::Object(map) = filter {
        for k in ["crmId", "minLevel", "kind"] {
            if let Some(Value::String(s)) = map.get(k) {
                if !s.is_empty() {
                    clean.insert(k.to_owned(), Value::String(s.clone()));
                }
            }
        }
    }
    from_value(Value::Object(clean)).map_err(|e| EngineError::Malformed(format!("filter: {e}")))
}
