//! The CRM Guard engine: every workflow of the extension — navigation → verdict → badge,
//! network findings, idle/lock logout, passwords, settings, the event log and reporting — as
//! one [`Engine`] that takes browser [`Event`]s and acts through [`ports`]. It never touches a
//! browser API, a clock or a timer itself: the WASM binding implements the ports over
//! `chrome.*`, the native tests over an in-memory browser (`fake`), so whole browser sessions
//! (a killed worker, a settings change mid-countdown, racing events of one tab) run as
//! millisecond unit tests.
//!
//! Decisions stay in `crm-guard-core` (pure functions); this crate sequences them: what to
//! read, in which order, what to write, what to show.
//!
//! Ordering: events of one tab run one after the other (a per-tab async lock, so the shell
//! needs no queue of its own); idle events run one at a time under their own lock and never
//! wait behind a tab's work.

// Ports are async traits used only through generics on one thread (the service worker).
#![allow(async_fn_in_trait)]

mod diagnostics;
mod export;
mod idle;
mod limits;
mod log;
mod network;
mod password;
pub mod ports;
pub mod protocol;
mod settings;
mod store;
mod tabs;
mod wire;

#[cfg(test)]
mod fake;
#[cfg(test)]
mod tests;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use serde_json::Value;
use tokio::sync::Mutex;

pub use ports::Ports;
use protocol::{Event, From, Message, Sender};

/// Why an event could not be handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineError {
    /// A browser call failed.
    Port(String),
    /// The event or message did not have the expected shape (untrusted input).
    Malformed(String),
    /// The sender may not send this message.
    Refused(String),
}

impl std::fmt::Display for EngineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EngineError::Port(m) => write!(f, "browser call failed: {m}"),
            EngineError::Malformed(m) => write!(f, "malformed input: {m}"),
            EngineError::Refused(m) => write!(f, "refused: {m}"),
        }
    }
}

impl std::error::Error for EngineError {}

impl std::convert::From<ports::PortError> for EngineError {
    fn from(e: ports::PortError) -> Self {
        EngineError::Port(e.0)
    }
}

pub type Result<T, E = EngineError> = std::result::Result<T, E>;

/// The engine of one worker instance. Hold it in an `Rc` (spawned follow-ups keep a clone).
pub struct Engine<P: Ports> {
    ports: P,
    settings: settings::Cache,
    log: log::State,
    net: network::State,
    pw: password::State,
    /// Budgets of page-driven messages, per tab.
    limits: limits::State,
    exports: export::State,
    /// One lock per tab with events in flight: a tab's events run in arrival order.
    tab_locks: RefCell<HashMap<i32, Rc<Mutex<()>>>>,
    /// Idle events run one at a time (the machine is loaded, fed and saved as a whole).
    idle_lock: Mutex<()>,
}

impl<P: Ports + 'static> Engine<P> {
    pub fn new(ports: P) -> Rc<Self> {
        Rc::new(Engine {
            ports,
            settings: settings::Cache::default(),
            log: log::State::default(),
            net: network::State::default(),
            pw: password::State::default(),
            limits: limits::State::default(),
            exports: export::State::default(),
            tab_locks: RefCell::default(),
            idle_lock: Mutex::new(()),
        })
    }

    /// The ports (the binding's tests and the fakes reach them through here).
    pub fn ports(&self) -> &P {
        &self.ports
    }

    /// Handles one event; the value is the reply to a message (`null` otherwise).
    pub async fn handle(self: &Rc<Self>, event: Event) -> Result<Value> {
        match kept_urls(event) {
            Event::Wake => {
                self.settings_prefetch();
                self.idle_event(idle::Input::Wake).await?;
                self.exports_wake().await?;
            }
            Event::Installed | Event::Startup => self.whole_browser_pass(true).await?,
            Event::NavigationStarted { tab_id, url } => self.navigation_started(tab_id, &url).await?,
            Event::NavigationCommitted { tab_id, url } => self.navigation_committed(tab_id, url).await?,
            Event::NavigationUpdated { tab_id, url } => self.navigation_updated(tab_id, url).await?,
            Event::NavigationFailed { tab_id, url, error } => {
                self.navigation_failed(tab_id, url, &error).await?
            }
            Event::HeadersReceived { tab_id, request_id, url, status, headers } => {
                self.headers_received(tab_id, request_id, url, status, &headers).await?
            }
            Event::TabRemoved { tab_id } => {
                self.tab_removed(tab_id).await?;
                self.export_tab_closed(tab_id).await?;
            }
            Event::StorageChanged { area, keys } => self.storage_changed(&area, &keys).await?,
            Event::Alarm { name } => self.alarm(&name).await?,
            Event::IdleChanged { state } => {
                self.idle_event(idle::Input::Browser(state)).await?;
            }
            Event::ConnectivityChanged => self.probe_soon(),
            Event::PermissionsChanged => {
                self.check_proxy().await?;
                self.sync_phishing().await?;
            }
            Event::DownloadCreated(report) => {
                let early = report.early;
                let d = export::Download::from_report(report);
                if early {
                    return Ok(self.download_early(d));
                }
                return self.download_created(d).await;
            }
            Event::Message { message, sender } => return self.message(message, sender).await,
        }
        Ok(Value::Null)
    }

    /// Install, browser start, settings change: every tab, the rules, the probe, the proxy, the
    /// phishing script, queued reports.
    async fn whole_browser_pass(self: &Rc<Self>, start: bool) -> Result<()> {
        self.install_upgrade_rules().await?;
        self.refresh_all_tabs().await?;
        self.probe_soon();
        self.check_proxy().await?;
        self.sync_phishing().await?;
        if start {
            self.flush_reports_soon();
        }
        Ok(())
    }

    async fn storage_changed(self: &Rc<Self>, area: &str, keys: &[String]) -> Result<()> {
        let has = |k: &str| keys.iter().any(|x| x == k);
        let policy = area == "managed" || (area == "local" && has(protocol::names::OPTIONS_KEY));
        let idle_override = area == "local" && has(protocol::names::IDLE_TEST_OVERRIDE_KEY);
        if policy {
            self.settings_changed();
        }
        if policy || idle_override {
            self.idle_event(idle::Input::Settings).await?;
        }
        if policy {
            self.whole_browser_pass(false).await?;
            self.flush_reports_soon();
        }
        Ok(())
    }

    async fn alarm(self: &Rc<Self>, name: &str) -> Result<()> {
        match name {
            protocol::names::IDLE_ALARM => self.idle_event(idle::Input::Alarm).await.map(|_| ()),
            protocol::names::REPORT_ALARM => self.flush_reports().await,
            protocol::names::PROBE_ALARM => {
                self.probe_soon();
                self.check_proxy().await
            }
            _ => Ok(()),
        }
    }

    /// Checks the sender against the message's rule, then runs its handler.
    async fn message(self: &Rc<Self>, raw: Value, sender: Sender) -> Result<Value> {
        let message = Message::from_json(raw).map_err(|e| EngineError::Malformed(format!("message: {e}")))?;
        // Page-driven work over its budget is answered at once: before any await, so a flood
        // costs the worker (and the idle logout waiting behind it) next to nothing.
        if let Some(budget) = limits::Budget::of(&message) {
            if !self.limits.admit(sender.tab_id.unwrap_or(-1), budget, self.ports.now_ms()) {
                return Ok(limits::limited_reply(&message));
            }
        }
        let name = message.type_name();
        let from_content = !sender.extension_page && sender.tab_id.is_some();
        // A page with a password field (only such a page sends these): its scorer starts loading
        // now, beside the checks below. On a cold worker they wait ~30 ms for storage, and the
        // first keystroke's score would otherwise wait for them and then for the module.
        let for_password_field =
            matches!(message, Message::PwFields { .. } | Message::PwWarm | Message::PwScore { .. });
        if from_content && for_password_field {
            self.load_scorer_later();
        }
        let allowed = match message.from() {
            From::Page => sender.extension_page,
            From::Content => from_content,
            From::Crm => from_content && self.sender_on_crm(&sender).await?,
        };
        if !allowed {
            let who = match message.from() {
                From::Crm => "a page that is not a CRM",
                From::Content => "a sender that is not our content script",
                From::Page => "a sender that is not our extension page",
            };
            return Err(EngineError::Refused(format!("{name} from {who}")));
        }
        let tab = sender.tab_id.unwrap_or(-1);
        let main_frame = sender.frame_id == Some(0);
        let url = sender.url.clone().unwrap_or_default();
        match message {
            Message::PageReport { report } if main_frame => self.page_report(tab, url, report).await,
            Message::PageReport { .. } => Ok(Value::Null),
            Message::Verdict { tab_id } => self.verdict(tab_id).await,
            Message::Settings { fresh } => self.settings_reply(fresh).await,
            Message::SettingsSchema => self.settings_schema(),
            Message::SaveOptions { options } => self.save_options(options).await,
            Message::Events { filter } => self.list_events(filter).await,
            Message::ExportEvents { format, filter } => self.export_events(&format, filter).await,
            Message::ReportingStatus => self.reporting_status().await,
            Message::Diagnostics => self.diagnostics().await,
            Message::SendTestEvent => self.send_test_event().await,
            Message::IdleStay => self.idle_event(idle::Input::StaySignedIn).await,
            Message::IdleDeadline => self.idle_event(idle::Input::Alarm).await,
            Message::IdleQuery if main_frame => self.idle_warning_for(&url).await,
            Message::IdleQuery => Ok(Value::Null),
            Message::IdleStatus { tab_id } => self.idle_status(tab_id).await,
            Message::SignOutAll => self.idle_event(idle::Input::SignOutNow).await,
            Message::NetworkReport { report } if main_frame => self.network_report(tab, url, report).await,
            Message::NetworkReport { .. } => Ok(Value::Null),
            Message::HttpsFailedInfo { url } => self.https_failed_info(&url).await,
            Message::ContinueHttp { url } => self.continue_over_http(url).await,
            Message::PwFields { fields } => self.password_fields(fields).await,
            Message::PwWarm => Ok(Value::Null), // the scorer is loading (above)
            Message::PwScore { seq, password, values, scorer_failed, commit } => {
                let frame = (tab, sender.frame_id.unwrap_or(0));
                let how = password::ScoreHow { scorer_failed, commit };
                self.score_password(frame, seq, &url, &password, values, how).await
            }
            Message::PwBlocked => self.password_blocked(url).await,
            Message::PwLogin { password, typed } => self.password_login(tab, url, &password, typed).await,
            Message::PwPage { has_login_field } if main_frame => {
                self.password_page_loaded(tab, url, has_login_field).await
            }
            Message::PwPage { .. } => Ok(Value::Null),
            Message::PwPhish { password } => self.password_phish_check(url, &password).await,
            Message::PwPhishingStatus => self.phishing_status().await,
            Message::ExportCopy { chars, rows } => self.export_copy(&url, chars, rows).await,
            Message::ExportPrint => self.export_print(&url).await,
            Message::SigninCodeField if main_frame => self.signin_code_field(tab, url).await,
            Message::SigninCodeField => Ok(Value::Null),
            Message::ExportPromptInfo { id } => self.export_prompt_info(id, sender.tab_id).await,
            Message::ExportDecision { id, proceed, reason } => {
                self.export_decision(id, proceed, &reason).await
            }
        }
    }

    /// Whether a content script's page is a CRM page (its URL, or its origin for about:blank).
    async fn sender_on_crm(self: &Rc<Self>, sender: &Sender) -> Result<bool> {
        let url = match (&sender.url, &sender.origin) {
            (Some(u), _) if u.starts_with("http:") || u.starts_with("https:") => u.clone(),
            (_, Some(o)) => format!("{o}/"),
            _ => return Ok(false),
        };
        Ok(self.crm_of(&url).await?.is_some())
    }

    /// The lock of one tab's events.
    fn tab_lock(&self, tab_id: i32) -> Rc<Mutex<()>> {
        self.tab_locks.borrow_mut().entry(tab_id).or_insert_with(|| Rc::new(Mutex::new(()))).clone()
    }

    /// Runs `f` for `tab_id` after the tab's earlier events.
    async fn with_tab<T, F>(&self, tab_id: i32, f: F) -> T
    where
        F: std::future::Future<Output = T>,
    {
        let lock = self.tab_lock(tab_id);
        let out = {
            let _guard = lock.lock().await;
            f.await
        };
        // Forget the lock once nobody else holds or waits for it.
        let mut locks = self.tab_locks.borrow_mut();
        if locks.get(&tab_id).is_some_and(|l| Rc::strong_count(l) == 2) {
            locks.remove(&tab_id);
        }
        drop(lock);
        out
    }

    /// Logs a failure of background work (a follow-up has nobody to reply to).
    fn report_failure(&self, what: &str, err: &EngineError) {
        self.ports.log_error(&format!("[crm-guard] {what} failed: {err}"));
    }
}

/// A page URL as the engine keeps it: bounded, read as the whole URL (`host::bounded_url`).
pub(crate) fn kept(url: String) -> String {
    match crm_guard_core::host::bounded_url(&url) {
        k if k.len() == url.len() => url,
        k => k.to_owned(),
    }
}

/// Events with the page URLs in them as CRM Guard keeps them (bounded; read as the whole URL):
/// a page's own URL, up to 2 MB, never reaches a record, a comparison or storage whole.
fn kept_urls(event: Event) -> Event {
    match event {
        Event::NavigationStarted { tab_id, url } => Event::NavigationStarted { tab_id, url: kept(url) },
        Event::NavigationCommitted { tab_id, url } => Event::NavigationCommitted { tab_id, url: kept(url) },
        Event::NavigationUpdated { tab_id, url } => Event::NavigationUpdated { tab_id, url: kept(url) },
        Event::NavigationFailed { tab_id, url, error } => {
            Event::NavigationFailed { tab_id, url: kept(url), error }
        }
        Event::HeadersReceived { tab_id, request_id, url, status, headers } => {
            Event::HeadersReceived { tab_id, request_id, url: kept(url), status, headers }
        }
        Event::DownloadCreated(mut d) => {
            (d.url, d.final_url, d.referrer) = (kept(d.url), kept(d.final_url), kept(d.referrer));
            Event::DownloadCreated(d)
        }
        Event::Message { message, mut sender } => {
            sender.url = sender.url.map(kept);
            Event::Message { message, sender }
        }
        other => other,
    }
}
