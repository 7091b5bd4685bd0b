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
    hex, is_install_id, report_body, sign, Event, EventKind, EventLog, Filter, NewEvent, ReportQueue,
    Sending, INSTALL_ID_BYTES, NONCE_BYTES, SIGNATURE_HEADER,
};
use crm_guard_core::evidence::{self, Added, Admission};
use crm_guard_core::policy::Settings;
use crm_guard_core::Level;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use crate::ports::{Area, HttpRequest, Ports};
use crate::protocol::names::{
    EVENT_LOG_KEY, INSTALL_ID_KEY, MAX_LISTED_EVENTS, REPORT_ALARM, REPORT_QUEUE_KEY,
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
}

/// The endpoint and secret, when reporting is on (the core drops an unsigned configuration).
fn target(s: &Settings) -> Option<(String, String)> {
    Some((s.reporting_url.clone()?, s.reporting_hmac_secret.clone()?))
}

/// A secret that may sign: not the snapshot's stand-in (see `settings`).
fn signing(secret: &str) -> bool {
    !crate::settings::is_redacted(secret)
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
            Some(v) => serde_json::from_value(v).unwrap_or_else(|e| {
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
        let crms: BTreeSet<&str> = log.events().filter_map(|e| e.crm_id.as_deref()).collect();
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

    async fn persist_queue(&self) -> Result<()> {
        let snapshot = self.log.queue.borrow().as_ref().map(to_value).transpose()?;
        if let Some(q) = snapshot {
            self.ports.set(Area::Local, vec![(REPORT_QUEUE_KEY.to_owned(), q)]).await?;
        }
        Ok(())
    }

    async fn flush_once(self: &Rc<Self>) -> Result<()> {
        let settings = self.settings().await?;
        let Some((url, secret)) = target(&settings.settings) else { return Ok(()) };
        if !signing(&secret) {
            // Managed storage has not answered yet: the refresh flushes when it does.
            return Ok(());
        }
        let batch_size = settings.settings.reporting_batch_size as usize;
        self.load_once(&self.log.queue, REPORT_QUEUE_KEY).await?;
        let install_id = self.install_id().await?;
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
            let body = report_body(&batch, &sending);
            let request = HttpRequest {
                url: url.clone(),
                headers: vec![
                    ("Content-Type".into(), "application/json".into()),
                    (SIGNATURE_HEADER.into(), sign(secret.as_bytes(), body.as_bytes())),
                ],
                body: Some(body),
                with_cookies: false,
                manual_redirect: false,
                timeout_ms: REPORT_TIMEOUT_MS,
                read_bytes: 0,
            };
            let ok = self.ports.fetch(&request).await.is_ok_and(|r| (200..300).contains(&r.status));
            let now = self.ports.now_ms();
            if let Some(queue) = self.log.queue.borrow_mut().as_mut() {
                if ok {
                    queue.ack(batch.batch_id);
                } else {
                    queue.fail(now);
                }
            }
            self.persist_queue().await?;
            if !ok {
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

    /// Queue state for the options page and the tests.
    pub(crate) async fn reporting_status(self: &Rc<Self>) -> Result<Value> {
        let settings = self.settings().await?;
        self.load_once(&self.log.queue, REPORT_QUEUE_KEY).await?;
        let guard = self.log.queue.borrow();
        let queue = guard.as_ref();
        Ok(json!({
            "enabled": target(&settings.settings).is_some(),
            "queued": queue.map_or(0, ReportQueue::len),
            "failures": queue.map_or(0, ReportQueue::failures),
            "nextAttemptMs": queue.map_or(0, ReportQueue::next_attempt_ms),
            "dropped": queue.map_or(0, ReportQueue::dropped),
        }))
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
    serde_json::from_value(Value::Object(clean)).map_err(|e| EngineError::Malformed(format!("filter: {e}")))
}
