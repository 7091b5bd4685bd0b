//! The browser as the engine sees it: one trait per capability. The WASM binding implements
//! them over `chrome.*` (`crm-guard-wasm`); the native tests implement them in memory
//! (`crate::fake`). No port decides anything: each is one browser call, or a few calls with no
//! branching on their results beyond "did it work".
//!
//! Every async port returns [`PortResult`]: a browser call that threw or rejected is an `Err`
//! with the browser's message, never a panic.

use std::future::Future;
use std::pin::Pin;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A failed browser call: the browser's own message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortError(pub String);

impl std::fmt::Display for PortError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PortError {}

pub type PortResult<T> = Result<T, PortError>;

/// How the binding reads a browser's answer, once a JSON value, as a typed value: as the engine
/// reads storage (`crm_guard_core::json::from_value`). Reading it typed straight from the JS
/// value (serde_wasm_bindgen) would compile another deserializer for each type read.
pub fn read_json<T: serde::de::DeserializeOwned>(value: Value) -> PortResult<T> {
    crm_guard_core::json::from_value(value).map_err(|e| PortError(format!("reading a JS value: {e}")))
}

/// A storage area of `chrome.storage` the engine writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Area {
    /// `storage.session`: worker state that must survive the worker, not the browser.
    Session,
    /// `storage.local`: options, event log, report queue, settings snapshot, fingerprints.
    Local,
}

/// `chrome.storage`: JSON values by key. `set` writes all its items in one call (atomic).
pub trait Storage {
    async fn get(&self, area: Area, key: &str) -> PortResult<Option<Value>>;
    async fn set(&self, area: Area, items: Vec<(String, Value)>) -> PortResult<()>;
    async fn remove(&self, area: Area, key: &str) -> PortResult<()>;
    /// `storage.managed`, the whole policy (`{}` when none). Slow on a cold browser.
    async fn managed(&self) -> PortResult<Value>;
}

/// What the toolbar button shows for one tab. `None` in [`Action::paint`] clears it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Badge {
    pub text: String,
    pub color: [u8; 4],
    pub text_color: [u8; 4],
    pub title: String,
}

/// `chrome.action`.
pub trait Action {
    /// Sets colour, text colour and title, then the text (a reader polling the text sees a
    /// consistent badge); `None` clears the text and restores the default title.
    async fn paint(&self, tab_id: i32, badge: Option<&Badge>) -> PortResult<()>;
}

/// An open tab as `chrome.tabs` shows it (`url` only for tabs we have host access to).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TabInfo {
    pub id: i32,
    #[serde(default)]
    pub url: Option<String>,
}

/// `chrome.tabs`.
pub trait Tabs {
    async fn query(&self) -> PortResult<Vec<TabInfo>>;
    /// `tabs.get(id).url`; `Err` when the tab is gone.
    async fn url_of(&self, tab_id: i32) -> PortResult<Option<String>>;
    async fn navigate(&self, tab_id: i32, url: &str) -> PortResult<()>;
    async fn close(&self, tab_id: i32) -> PortResult<()>;
    /// Sends `msg` to each tab's content scripts; waits for their answers at most `within_ms`.
    async fn tell(&self, tab_ids: &[i32], msg: &Value, within_ms: u32);
}

/// `chrome.cookies` and `chrome.browsingData`.
pub trait SiteData {
    async fn cookies(&self, domain: &str) -> PortResult<Vec<crm_guard_core::idle::logout::Cookie>>;
    /// Removes each cookie; waits at most `within_ms`. Failures are not reported.
    async fn remove_cookies(&self, cookies: &[crm_guard_core::idle::logout::CookieRemoval], within_ms: u32);
    /// Cache, file systems, IndexedDB, localStorage and service workers of these origins only.
    async fn clear_origins(&self, origins: &[String]) -> PortResult<()>;
}

/// Which declarativeNetRequest rule set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleSet {
    Dynamic,
    Session,
}

/// `chrome.declarativeNetRequest`.
pub trait Dnr {
    async fn rule_ids(&self, set: RuleSet) -> PortResult<Vec<u32>>;
    async fn update_rules(&self, set: RuleSet, remove: &[u32], add: &[Value]) -> PortResult<()>;
}

/// `chrome.alarms`.
pub trait Alarms {
    async fn alarm_at(&self, name: &str, when_ms: u64) -> PortResult<()>;
    /// Creates the periodic alarm unless one with this period exists already.
    async fn alarm_every(&self, name: &str, minutes: u32) -> PortResult<()>;
    async fn clear_alarm(&self, name: &str) -> PortResult<()>;
}

/// `chrome.idle`.
pub trait IdlePort {
    async fn query_state(&self, interval_secs: u32) -> PortResult<crm_guard_core::idle::BrowserIdleState>;
    fn set_detection_interval(&self, secs: u32) -> PortResult<()>;
}

/// How a request treats cookies, redirects and the cache: always `cache: no-store`,
/// `referrerPolicy: no-referrer`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub url: String,
    /// `POST` with `body` when set, else `GET`.
    pub body: Option<String>,
    pub headers: Vec<(String, String)>,
    /// `credentials: include` (a CRM's logout URL) instead of `omit`.
    pub with_cookies: bool,
    /// `redirect: manual` when true (the response is opaque), else `error`.
    pub manual_redirect: bool,
    pub timeout_ms: u32,
    /// Read at most this many bytes of the body (0: don't read it).
    pub read_bytes: usize,
}

/// What came back.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpResponse {
    pub status: u16,
    /// A redirect answered under `manual_redirect` (no status, no body).
    pub opaque_redirect: bool,
    pub body_prefix: String,
}

/// Why no response came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpError {
    TimedOut,
    Offline,
    Failed(String),
}

/// `fetch` from the worker.
pub trait Http {
    async fn fetch(&self, req: &HttpRequest) -> Result<HttpResponse, HttpError>;
}

/// Wall-clock time and waiting.
pub trait Clock {
    /// `Date.now()`: the only clock that survives the worker.
    fn now_ms(&self) -> u64;
    async fn sleep(&self, ms: u32);
}

/// WebCrypto.
pub trait Crypto {
    /// PBKDF2-HMAC-SHA256, the first `bits` bits.
    async fn pbkdf2(&self, password: &str, salt: &[u8], iterations: u32, bits: u32) -> PortResult<Vec<u8>>;
    fn random_bytes(&self, len: usize) -> PortResult<Vec<u8>>;
}

/// A password's strength as zxcvbn judges it (message ids, never text; never the password).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Strength {
    pub score: u8,
    pub length: usize,
    pub warning: Option<String>,
    pub suggestions: Vec<String>,
    pub crack_seconds: f64,
}

/// The password scorer (zxcvbn in `crm-guard-score`), a WASM module of its own that only pages
/// with a password field make the worker load.
pub trait Scorer {
    /// Makes the scorer ready: the first call fetches, instantiates and warms its module, later
    /// ones return at once (a failed or trapped module is loaded again). `Err` when it cannot be.
    async fn load_scorer(&self) -> PortResult<()>;
    /// `Err` when the scorer is unavailable (not loaded, trapped). `year`: zxcvbn's reference
    /// year (the engine's clock), so the answer depends on the arguments only.
    fn score(&self, password: &str, user_inputs: &[&str], year: i32) -> PortResult<Strength>;
}

/// The proxy settings as `chrome.proxy.settings.get` reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxySettings {
    pub level_of_control: String,
    pub mode: String,
}

/// A boxed local future (the worker is single-threaded).
pub type Task = Pin<Box<dyn Future<Output = ()>>>;

/// The extension itself and the rest of the browser.
pub trait Platform {
    /// `runtime.getURL(path)`.
    fn extension_url(&self, path: &str) -> String;
    /// The manifest's version.
    fn version(&self) -> String;
    /// `runtime.id`.
    fn extension_id(&self) -> String;
    /// `navigator.userAgent` (reports and the diagnostics page name the browser).
    fn user_agent(&self) -> String;
    /// `management.getSelf().installType == "development"` (unpacked).
    async fn is_development(&self) -> bool;
    /// `i18n.getMessage`, the key itself when missing.
    fn message(&self, key: &str, subs: &[&str]) -> String;
    /// `None` without the optional `proxy` permission.
    async fn proxy_settings(&self) -> Option<ProxySettings>;
    /// Whether the optional `<all_urls>` host permission is granted.
    async fn has_all_urls(&self) -> bool;
    /// Registers (true) or unregisters (false) the phishing content script, if not so already.
    async fn set_phishing_script(&self, registered: bool) -> PortResult<()>;
    /// Runs `task` after the current event without delaying its reply.
    fn spawn(&self, task: Task);
    /// The console (errors carry context; never a password).
    fn log_error(&self, msg: &str);
}

/// `chrome.downloads` (and the page that explains or asks about one).
pub trait Downloads {
    /// Lets a download the shell holds go on (Chromium's `onDeterminingFilename` callback);
    /// nothing when it is not held (Firefox, a restarted worker).
    fn release(&self, id: i32);
    /// `downloads.cancel`, then `downloads.erase` (the partial file and the entry are gone).
    /// Rejects on a download already complete (Firefox; Chromium when the file was small).
    async fn cancel(&self, id: i32) -> PortResult<()>;
    /// `downloads.removeFile`: deletes a completed download's file (what `cancel` cannot).
    async fn remove_file(&self, id: i32) -> PortResult<()>;
    /// `downloads.pause` (true) or `downloads.resume` (false): the hold where the browser gives
    /// none (Firefox; a browser whose downloads a debugger took over).
    async fn pause(&self, id: i32, paused: bool) -> PortResult<()>;
    /// `tabs.create` of an extension page.
    async fn open_page(&self, url: &str) -> PortResult<()>;
    /// The URL of the active tab of the last focused window (a download's opener when the
    /// browser names none), when we may read it.
    async fn active_tab_url(&self) -> Option<String>;
}

/// Everything the engine needs from the browser.
pub trait Ports:
    Storage
    + Action
    + Tabs
    + SiteData
    + Dnr
    + Alarms
    + IdlePort
    + Http
    + Clock
    + Crypto
    + Scorer
    + Platform
    + Downloads
{
}

impl<T> Ports for T where
    T: Storage
        + Action
        + Tabs
        + SiteData
        + Dnr
        + Alarms
        + IdlePort
        + Http
        + Clock
        + Crypto
        + Scorer
        + Platform
        + Downloads
{
}
