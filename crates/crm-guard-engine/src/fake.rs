//! An in-memory browser for the native tests: every port, with state a test can read and steer.
//! Time is virtual (`sleep` advances the clock). [`Browser`] runs the engine on futures' local
//! executor, including the follow-up work it spawns, and can kill and restart the worker (the
//! storage survives, the engine's memory does not).

#![allow(clippy::unwrap_used)]

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use crm_guard_core::idle::logout::{Cookie, CookieRemoval};
use crm_guard_core::idle::BrowserIdleState;
use futures::executor::{LocalPool, LocalSpawner};
use futures::task::LocalSpawnExt;
use serde_json::{json, Value};
use tokio::sync::Mutex;

use crate::ports::*;
use crate::protocol::{Event, Sender};
use crate::{Engine, Result};

/// The browser's state, shared by successive worker instances.
#[derive(Default)]
pub struct State {
    pub session: RefCell<HashMap<String, Value>>,
    pub local: RefCell<HashMap<String, Value>>,
    pub managed: RefCell<Value>,
    /// Held by a test to make `storage.managed` answer late (a cold browser).
    pub managed_gate: Mutex<()>,
    pub managed_reads: Cell<u32>,
    /// Held by a test to keep sleeps (timers of follow-up work) from ending.
    pub sleep_gate: Mutex<()>,
    /// Held by a test to keep badge paints (a tab's work) in flight.
    pub paint_gate: Mutex<()>,
    /// Held by a test to keep HTTP requests in flight (sent and recorded, not yet answered).
    pub http_gate: Mutex<()>,
    pub badges: RefCell<HashMap<i32, Option<Badge>>>,
    pub tabs: RefCell<BTreeMap<i32, Option<String>>>,
    /// Messages sent to content scripts: (tab, message).
    pub told: RefCell<Vec<(i32, Value)>>,
    pub cookies: RefCell<Vec<Cookie>>,
    pub cleared_origins: RefCell<Vec<String>>,
    pub dynamic_rules: RefCell<Vec<Value>>,
    pub session_rules: RefCell<Vec<Value>>,
    pub alarms: RefCell<HashMap<String, u64>>,
    pub periodic: RefCell<HashMap<String, u32>>,
    pub idle_state: Cell<Option<BrowserIdleState>>,
    pub detection_interval: Cell<u32>,
    pub requests: RefCell<Vec<HttpRequest>>,
    /// Answers fetches; `Failed("no route")` when unset.
    #[allow(clippy::type_complexity)]
    pub http: RefCell<Option<Box<dyn Fn(&HttpRequest) -> Result<HttpResponse, HttpError>>>>,
    pub now: Cell<u64>,
    pub derivations: Cell<u32>,
    pub random_calls: Cell<usize>,
    pub scorer_broken: Cell<bool>,
    /// The scorer's module fails to load (fetch or instantiation failed).
    pub scorer_unloadable: Cell<bool>,
    /// Fetches of the scorer's module: `load_scorer` calls while it is not loaded (as in the
    /// browser, a loaded module is not fetched again).
    pub scorer_loads: Cell<u32>,
    /// Whether the scorer's module is loaded.
    pub scorer_loaded: Cell<bool>,
    pub scores: Cell<u32>,
    /// Each score advances the clock by this much: the worker is one thread, so whatever it
    /// scores delays every event queued behind it (0 by default).
    pub score_cost_ms: Cell<u64>,
    pub proxy: RefCell<Option<ProxySettings>>,
    pub all_urls: Cell<bool>,
    pub phishing_registered: Cell<bool>,
    pub development: Cell<bool>,
    pub errors: RefCell<Vec<String>>,
    /// Downloads the engine let go on, cancelled (and erased), pages it opened.
    pub released: RefCell<Vec<i32>>,
    pub cancelled: RefCell<Vec<i32>>,
    pub opened: RefCell<Vec<String>>,
    /// `(id, true)`: paused; `(id, false)`: resumed.
    pub paused: RefCell<Vec<(i32, bool)>>,
    /// Files removed after they completed (`Downloads::remove_file`).
    pub removed: RefCell<Vec<i32>>,
    /// Failure injection: `cancel` rejects (a download already complete), `remove_file`
    /// rejects, `pause` rejects.
    pub cancel_fails: Cell<bool>,
    pub remove_fails: Cell<bool>,
    pub pause_fails: Cell<bool>,
    /// The active tab's URL (`Downloads::active_tab_url`).
    pub active_tab: RefCell<Option<String>>,
    /// Storage, badge and tab-query calls yield once before answering, so `send_all`'s events
    /// really interleave at those awaits (off by default: every call answers at once).
    pub interleave: Cell<bool>,
}

/// The ports of one worker instance over the shared state.
pub struct Fake {
    pub state: Rc<State>,
    spawner: LocalSpawner,
}

impl Storage for Fake {
    async fn get(&self, area: Area, key: &str) -> PortResult<Option<Value>> {
        self.step().await;
        Ok(self.area(area).borrow().get(key).cloned())
    }
    async fn set(&self, area: Area, items: Vec<(String, Value)>) -> PortResult<()> {
        self.step().await;
        self.area(area).borrow_mut().extend(items);
        Ok(())
    }
    async fn remove(&self, area: Area, key: &str) -> PortResult<()> {
        self.step().await;
        self.area(area).borrow_mut().remove(key);
        Ok(())
    }
    async fn managed(&self) -> PortResult<Value> {
        let _open = self.state.managed_gate.lock().await;
        self.state.managed_reads.set(self.state.managed_reads.get() + 1);
        Ok(self.state.managed.borrow().clone())
    }
}

impl Fake {
    /// Yields once when `state.interleave` is set (other futures of `send_all` run meanwhile).
    async fn step(&self) {
        if self.state.interleave.get() {
            YieldOnce(false).await;
        }
    }

    fn area(&self, area: Area) -> &RefCell<HashMap<String, Value>> {
        match area {
            Area::Session => &self.state.session,
            Area::Local => &self.state.local,
        }
    }
}

impl Downloads for Fake {
    fn release(&self, id: i32) {
        self.state.released.borrow_mut().push(id);
    }
    async fn cancel(&self, id: i32) -> PortResult<()> {
        if self.state.cancel_fails.get() {
            return Err(PortError("Download must be in progress".into()));
        }
        self.state.cancelled.borrow_mut().push(id);
        Ok(())
    }
    async fn remove_file(&self, id: i32) -> PortResult<()> {
        if self.state.remove_fails.get() {
            return Err(PortError("removeFile failed".into()));
        }
        self.state.removed.borrow_mut().push(id);
        Ok(())
    }
    async fn pause(&self, id: i32, paused: bool) -> PortResult<()> {
        if paused && self.state.pause_fails.get() {
            return Err(PortError("Download must be in progress".into()));
        }
        self.state.paused.borrow_mut().push((id, paused));
        Ok(())
    }
    async fn open_page(&self, url: &str) -> PortResult<()> {
        self.state.opened.borrow_mut().push(url.to_owned());
        Ok(())
    }
    async fn active_tab_url(&self) -> Option<String> {
        self.state.active_tab.borrow().clone()
    }
}

impl Action for Fake {
    async fn paint(&self, tab_id: i32, badge: Option<&Badge>) -> PortResult<()> {
        let _open = self.state.paint_gate.lock().await;
        self.step().await;
        self.state.badges.borrow_mut().insert(tab_id, badge.cloned());
        Ok(())
    }
}

impl Tabs for Fake {
    async fn query(&self) -> PortResult<Vec<TabInfo>> {
        self.step().await;
        Ok(self.state.tabs.borrow().iter().map(|(id, url)| TabInfo { id: *id, url: url.clone() }).collect())
    }
    async fn url_of(&self, tab_id: i32) -> PortResult<Option<String>> {
        self.state.tabs.borrow().get(&tab_id).cloned().ok_or_else(|| PortError("no tab".into()))
    }
    async fn navigate(&self, tab_id: i32, url: &str) -> PortResult<()> {
        match self.state.tabs.borrow_mut().get_mut(&tab_id) {
            Some(u) => {
                *u = Some(url.to_owned());
                Ok(())
            }
            None => Err(PortError("no tab".into())),
        }
    }
    async fn close(&self, tab_id: i32) -> PortResult<()> {
        self.state.tabs.borrow_mut().remove(&tab_id);
        Ok(())
    }
    async fn tell(&self, tab_ids: &[i32], msg: &Value, _within_ms: u32) {
        for id in tab_ids {
            self.state.told.borrow_mut().push((*id, msg.clone()));
        }
    }
}

impl SiteData for Fake {
    async fn cookies(&self, domain: &str) -> PortResult<Vec<Cookie>> {
        let d = domain.trim_start_matches('.');
        Ok(self
            .state
            .cookies
            .borrow()
            .iter()
            .filter(|c| {
                let cd = c.domain.trim_start_matches('.');
                cd == d || cd.ends_with(&format!(".{d}"))
            })
            .cloned()
            .collect())
    }
    async fn remove_cookies(&self, cookies: &[CookieRemoval], _within_ms: u32) {
        self.state.cookies.borrow_mut().retain(|c| {
            !cookies.iter().any(|r| r.name == c.name && r.url.contains(c.domain.trim_start_matches('.')))
        });
    }
    async fn clear_origins(&self, origins: &[String]) -> PortResult<()> {
        self.state.cleared_origins.borrow_mut().extend(origins.iter().cloned());
        Ok(())
    }
}

impl Dnr for Fake {
    async fn rule_ids(&self, set: RuleSet) -> PortResult<Vec<u32>> {
        Ok(self.rules(set).borrow().iter().filter_map(|r| r["id"].as_u64()).map(|i| i as u32).collect())
    }
    async fn update_rules(&self, set: RuleSet, remove: &[u32], add: &[Value]) -> PortResult<()> {
        let mut rules = self.rules(set).borrow_mut();
        rules.retain(|r| !r["id"].as_u64().is_some_and(|i| remove.contains(&(i as u32))));
        rules.extend(add.iter().cloned());
        Ok(())
    }
}

impl Fake {
    fn rules(&self, set: RuleSet) -> &RefCell<Vec<Value>> {
        match set {
            RuleSet::Dynamic => &self.state.dynamic_rules,
            RuleSet::Session => &self.state.session_rules,
        }
    }
}

impl Alarms for Fake {
    async fn alarm_at(&self, name: &str, when_ms: u64) -> PortResult<()> {
        self.state.alarms.borrow_mut().insert(name.to_owned(), when_ms);
        Ok(())
    }
    async fn alarm_every(&self, name: &str, minutes: u32) -> PortResult<()> {
        self.state.periodic.borrow_mut().insert(name.to_owned(), minutes);
        Ok(())
    }
    async fn clear_alarm(&self, name: &str) -> PortResult<()> {
        self.state.alarms.borrow_mut().remove(name);
        self.state.periodic.borrow_mut().remove(name);
        Ok(())
    }
}

impl IdlePort for Fake {
    async fn query_state(&self, _interval_secs: u32) -> PortResult<BrowserIdleState> {
        Ok(self.state.idle_state.get().unwrap_or(BrowserIdleState::Active))
    }
    fn set_detection_interval(&self, secs: u32) -> PortResult<()> {
        self.state.detection_interval.set(secs);
        Ok(())
    }
}

impl Http for Fake {
    async fn fetch(&self, req: &HttpRequest) -> Result<HttpResponse, HttpError> {
        self.state.requests.borrow_mut().push(req.clone());
        let _open = self.state.http_gate.lock().await;
        match self.state.http.borrow().as_ref() {
            Some(f) => f(req),
            None => Err(HttpError::Failed("no route".into())),
        }
    }
}

impl Clock for Fake {
    fn now_ms(&self) -> u64 {
        self.state.now.get()
    }
    async fn sleep(&self, ms: u32) {
        let _open = self.state.sleep_gate.lock().await;
        self.state.now.set(self.state.now.get() + u64::from(ms));
    }
}

impl Crypto for Fake {
    async fn pbkdf2(&self, password: &str, salt: &[u8], iterations: u32, bits: u32) -> PortResult<Vec<u8>> {
        self.state.derivations.set(self.state.derivations.get() + 1);
        // Not PBKDF2 (the browser's WebCrypto is; its vector is checked in e2e): a stable mix.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ u64::from(iterations);
        for b in password.bytes().chain(salt.iter().copied()) {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        Ok(h.to_be_bytes()[..(bits / 8) as usize].to_vec())
    }
    fn random_bytes(&self, len: usize) -> PortResult<Vec<u8>> {
        // Deterministic, but different on every call (nonces must differ).
        let call = self.state.random_calls.get();
        self.state.random_calls.set(call + 1);
        Ok((0..len).map(|i| (i * 37 + 11 + call * 101) as u8).collect())
    }
}

impl Scorer for Fake {
    async fn load_scorer(&self) -> PortResult<()> {
        if self.state.scorer_loaded.get() {
            return Ok(());
        }
        self.state.scorer_loads.set(self.state.scorer_loads.get() + 1);
        if self.state.scorer_unloadable.get() {
            return Err(PortError("fetching the scorer's module failed".into()));
        }
        self.state.scorer_loaded.set(true);
        Ok(())
    }
    fn score(&self, password: &str, _user_inputs: &[&str], _year: i32) -> PortResult<Strength> {
        if !self.state.scorer_loaded.get() {
            return Err(PortError("the scorer is not loaded".into()));
        }
        if self.state.scorer_broken.get() {
            return Err(PortError("scorer trapped".into()));
        }
        self.state.scores.set(self.state.scores.get() + 1);
        self.state.now.set(self.state.now.get() + self.state.score_cost_ms.get());
        let length = password.chars().count();
        Ok(Strength {
            score: (length / 4).min(4) as u8,
            length,
            warning: None,
            suggestions: Vec::new(),
            crack_seconds: 10f64.powi(length as i32 / 2),
        })
    }
}

/// The fake browser's `navigator.userAgent`.
pub const FAKE_USER_AGENT: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";

impl Platform for Fake {
    fn extension_url(&self, path: &str) -> String {
        format!("chrome-extension://kojhflkoadfcddkikeefjjgeecmhlajk/{path}")
    }
    fn version(&self) -> String {
        "0.1.0".into()
    }
    fn extension_id(&self) -> String {
        "kojhflkoadfcddkikeefjjgeecmhlajk".into()
    }
    fn user_agent(&self) -> String {
        FAKE_USER_AGENT.into()
    }
    async fn is_development(&self) -> bool {
        self.state.development.get()
    }
    fn message(&self, key: &str, subs: &[&str]) -> String {
        if subs.is_empty() {
            key.to_owned()
        } else {
            format!("{key}({})", subs.join(","))
        }
    }
    async fn proxy_settings(&self) -> Option<ProxySettings> {
        self.state.proxy.borrow().clone()
    }
    async fn has_all_urls(&self) -> bool {
        self.state.all_urls.get()
    }
    async fn set_phishing_script(&self, registered: bool) -> PortResult<()> {
        self.state.phishing_registered.set(registered);
        Ok(())
    }
    fn spawn(&self, task: Task) {
        self.spawner.spawn_local(task).unwrap();
    }
    fn log_error(&self, msg: &str) {
        self.state.errors.borrow_mut().push(msg.to_owned());
    }
}

/// Pending once (waking itself), then ready.
struct YieldOnce(bool);

impl std::future::Future for YieldOnce {
    type Output = ();
    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        if self.0 {
            return std::task::Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    }
}

/// A browser with one worker running the engine.
pub struct Browser {
    pub state: Rc<State>,
    pool: RefCell<LocalPool>,
    pub engine: Rc<Engine<Fake>>,
}

pub const START_MS: u64 = 1_750_000_000_000;

impl Browser {
    pub fn new() -> Self {
        let state = Rc::new(State::default());
        state.now.set(START_MS);
        *state.managed.borrow_mut() = json!({});
        Self::on(state)
    }

    fn on(state: Rc<State>) -> Self {
        let pool = LocalPool::new();
        let engine = Engine::new(Fake { state: state.clone(), spawner: pool.spawner() });
        Browser { state, pool: RefCell::new(pool), engine }
    }

    /// Handles one event, then runs the follow-up work it spawned until nothing can progress.
    pub fn send(&self, event: Event) -> Result<Value> {
        let engine = self.engine.clone();
        let out = self.pool.borrow_mut().run_until(async move { engine.handle(event).await });
        self.settle();
        out
    }

    /// Handles several events concurrently (interleaved at every await), in this order of arrival.
    pub fn send_all(&self, events: Vec<Event>) -> Vec<Result<Value>> {
        let engine = self.engine.clone();
        let futs = events.into_iter().map(|e| {
            let engine = engine.clone();
            async move { engine.handle(e).await }
        });
        let out = self.pool.borrow_mut().run_until(futures::future::join_all(futs));
        self.settle();
        out
    }

    /// Starts handling an event without waiting for it: it runs as far as it can now (and on
    /// with later calls); its result lands in the returned cell.
    pub fn start(&self, event: Event) -> Rc<RefCell<Option<Result<Value>>>> {
        let out = Rc::new(RefCell::new(None));
        let (engine, slot) = (self.engine.clone(), out.clone());
        let task = async move { *slot.borrow_mut() = Some(engine.handle(event).await) };
        self.pool.borrow().spawner().spawn_local(task).unwrap();
        self.settle();
        out
    }

    /// Runs spawned work until it is all done or waiting.
    pub fn settle(&self) {
        self.pool.borrow_mut().run_until_stalled();
    }

    /// The worker is stopped (its memory is gone) and starts again with a `Wake`.
    pub fn restart(self) -> Browser {
        let b = Browser::on(self.state.clone());
        b.send(Event::Wake).unwrap();
        b
    }

    /// A message from an extension page.
    pub fn page(&self, message: Value) -> Result<Value> {
        self.send(Event::Message { message, sender: Sender { extension_page: true, ..Sender::default() } })
    }

    /// A message from our content script in `tab`'s main frame at `url`.
    pub fn content(&self, tab: i32, url: &str, message: Value) -> Result<Value> {
        self.send(Event::Message { message, sender: content_sender(tab, url) })
    }

    /// Opens (or navigates) a tab to `url` as the browser reports a full navigation.
    pub fn navigate(&self, tab: i32, url: &str) {
        self.state.tabs.borrow_mut().insert(tab, Some(url.to_owned()));
        self.send(Event::NavigationStarted { tab_id: tab, url: url.to_owned() }).unwrap();
        self.send(Event::NavigationCommitted { tab_id: tab, url: url.to_owned() }).unwrap();
    }

    /// The requests sent to `url` with their parsed JSON bodies, each checked to carry the
    /// signature of its whole body with `secret`.
    pub fn signed_sendings(&self, url: &str, secret: &str) -> Vec<(HttpRequest, Value)> {
        use crm_guard_core::events::{sign, SIGNATURE_HEADER};
        let requests = self.state.requests.borrow();
        requests
            .iter()
            .filter(|r| r.url == url)
            .map(|r| {
                let body = r.body.clone().expect("a POST");
                let sig = r.headers.iter().find(|(k, _)| k == SIGNATURE_HEADER).map(|(_, v)| v.clone());
                assert_eq!(sig, Some(sign(secret.as_bytes(), body.as_bytes())), "signed over the whole body");
                (r.clone(), serde_json::from_str(&body).expect("a JSON body"))
            })
            .collect()
    }

    pub fn badge(&self, tab: i32) -> Option<Badge> {
        self.state.badges.borrow().get(&tab).cloned().flatten()
    }

    /// The badge text, "" when cleared or never painted.
    pub fn badge_text(&self, tab: i32) -> String {
        self.badge(tab).map(|b| b.text).unwrap_or_default()
    }

    pub fn set_policy(&self, policy: Value) {
        *self.state.managed.borrow_mut() = policy;
        self.send(Event::StorageChanged { area: "managed".into(), keys: vec![] }).unwrap();
    }

    pub fn advance(&self, ms: u64) {
        self.state.now.set(self.state.now.get() + ms);
    }

    /// Event kinds in the security log, oldest first.
    pub fn event_kinds(&self) -> Vec<String> {
        let log = self.state.local.borrow().get(crate::protocol::names::EVENT_LOG_KEY).cloned();
        log.and_then(|l| l.get("events").cloned())
            .and_then(|e| e.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|e| e["kind"].as_str().map(str::to_owned))
            .collect()
    }
}

pub fn content_sender(tab: i32, url: &str) -> Sender {
    Sender {
        extension_page: false,
        tab_id: Some(tab),
        frame_id: Some(0),
        url: Some(url.to_owned()),
        origin: None,
    }
}
