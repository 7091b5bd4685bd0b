//! The export guard and the MFA check, as workflows: a download → classify (core) → release,
//! hold and ask, or cancel and explain; a large copy or a print → an event; one sign-in per tab
//! followed across its pages (the state lives in the tab's record, `signin`) → an informational
//! finding and one event when it reached the CRM with no second factor seen.
//!
//! A held download waits in the browser (Chromium's `onDeterminingFilename`): the engine keeps
//! what it will log in `storage.session` (`export:<id>`: kind, recipe, CRM, host, size and the
//! file name as policy allows — never a path or a URL) until the export page answers.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use tokio::sync::Mutex;

use crm_guard_core::events::{EventKind, NewEvent};
use crm_guard_core::export::{self, Action, Classified, DownloadFacts, Origin};
use crm_guard_core::signin;
use crm_guard_core::{Finding, FindingKind, Level};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::network::encode_component;
use crate::ports::{Area, Ports};
use crate::protocol::names::{EXPORT_KEY_PREFIX, EXPORT_PAGE};
use crate::store::to_value;
use crate::tabs::TabRecord;
use crate::{Engine, Result};

/// A download as the browser reported it (`Event::DownloadCreated`).
#[derive(Clone)]
pub(crate) struct Download {
    pub id: i32,
    pub facts: DownloadFacts,
    pub size: Option<u64>,
    /// Reported by `onDeterminingFilename`: the browser waits for a release.
    pub held: bool,
}

impl Download {
    /// The report as the engine keeps it: type and name bounded, a size only when one is known.
    pub(crate) fn from_report(r: crate::protocol::DownloadReport) -> Self {
        let facts = DownloadFacts {
            url: r.url,
            final_url: r.final_url,
            referrer: r.referrer,
            tab_url: None,
            mime: r.mime.chars().take(200).collect(),
            filename: r.filename.chars().take(1024).collect(),
        };
        let size = (r.file_size.is_finite() && r.file_size > 0.0).then_some(r.file_size as u64);
        Download { id: r.download_id, facts, size, held: r.held }
    }
}

/// Downloads decided in this worker's life. Chromium reports one download twice (`onCreated`,
/// then `onDeterminingFilename` — or only the first when a debugger owns downloads): the first
/// report decides, the second only follows the decision with its hold.
#[derive(Default)]
pub(crate) struct State {
    decided: RefCell<HashMap<i32, Action>>,
    /// The ids of `decided`, oldest first (the oldest is forgotten at [`MAX_DECIDED`]).
    order: RefCell<std::collections::VecDeque<i32>>,
    /// Decided on a report without a file name (Chromium's `onCreated` comes before the name is
    /// known) while policy wants names: logged when the named report comes, or after
    /// [`NAME_WAIT_MS`] without one.
    unlogged: RefCell<HashMap<i32, Unlogged>>,
    /// Pages opened per host (`""`: unknown origin) in the current window: (window start, count).
    pages: RefCell<HashMap<String, (u64, u32)>>,
    lock: Mutex<()>,
}

/// Prompt or explanation pages a host may open per [`PAGE_WINDOW_MS`]: a download flood opens
/// a few tabs, not one per download (past it, blocked files are still cancelled and asked ones
/// cancelled — fail closed — and recorded).
const MAX_PAGES_PER_HOST: u32 = 3;
const PAGE_WINDOW_MS: u64 = 60_000;

/// A decided download's event waiting for its file name: what it was, what was done, its size.
type Unlogged = (Classified, Action, Option<u64>);

/// How long a decided download's event waits for its file name.
const NAME_WAIT_MS: u32 = 3000;

/// Decisions remembered at most (a new worker starts empty).
const MAX_DECIDED: usize = 1000;

/// Held downloads at most in [`HELD_INDEX_KEY`] (a flood past it is cancelled, never released).
const MAX_HELD: usize = 200;

/// What is kept of a held download until the user answers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Held {
    crm_id: Option<String>,
    crm_name: Option<String>,
    host: Option<String>,
    kind: export::ExportKind,
    recipe: String,
    size: Option<u64>,
    file: Option<String>,
    /// The browser holds it (Chromium's `onDeterminingFilename`): a new worker has lost that
    /// hold. Otherwise the download is paused, which survives the worker.
    #[serde(default)]
    browser_hold: bool,
    /// The tab of the prompt that asks about it, once the prompt asked.
    #[serde(default)]
    prompt_tab: Option<i32>,
}

impl Held {
    fn classified(&self) -> Classified {
        let origin = match (&self.crm_id, &self.crm_name, &self.host) {
            (Some(crm_id), Some(crm_name), Some(host)) => {
                Origin::Crm { crm_id: crm_id.clone(), crm_name: crm_name.clone(), host: host.clone() }
            }
            _ => Origin::Unknown,
        };
        Classified { origin, kind: self.kind, recipe: export::recipe_id(&self.recipe) }
    }
}

fn held_key(id: i32) -> String {
    format!("{EXPORT_KEY_PREFIX}{id}")
}

/// `storage.session`: the ids of the downloads held for an answer.
const HELD_INDEX_KEY: &str = "exportHeld";

/// The engine's reply to a download: `held` when the shell must not let it go on its own (asked,
/// or blocked — even when cancelling failed).
fn reply(action: Action) -> Value {
    json!({ "held": matches!(action, Action::Ask | Action::Block) })
}

impl<P: Ports + 'static> Engine<P> {
    /// Chromium's `onCreated` (no file name yet): decided after [`NAME_WAIT_MS`] only if the
    /// named report did not come meanwhile (a debugger that took over downloads sends none).
    pub(crate) fn download_early(self: &Rc<Self>, d: Download) -> Value {
        let this = self.clone();
        self.ports.spawn(Box::pin(async move {
            this.ports.sleep(NAME_WAIT_MS).await;
            if this.exports.decided.borrow().contains_key(&d.id) {
                return;
            }
            if let Err(e) = this.download_created(d).await {
                this.report_failure("deciding a download", &e);
            }
        }));
        // Nothing is held by the shell for this report: it has nothing to release.
        json!({ "held": true })
    }

    /// A download began. Released at once when it is not an export or only logged (an error
    /// before the decision releases it: the browser's own behaviour, logged to the console).
    /// Once asked or blocked, it is never released on an error: fail closed.
    pub(crate) async fn download_created(self: &Rc<Self>, mut d: Download) -> Result<Value> {
        let _one_at_a_time = self.exports.lock.lock().await;
        let earlier = self.exports.decided.borrow().get(&d.id).copied();
        if let Some(action) = earlier {
            // Held for a reason: the answer releases it; cancelled: nothing to release.
            if d.held && matches!(action, Action::Ignore | Action::Log) {
                self.ports.release(d.id);
            }
            if let Err(e) = self.named_later(&d).await {
                self.report_failure("naming a download's event", &e);
            }
            return Ok(reply(action));
        }
        let decided = match self.download_classify(&mut d).await {
            Ok(x) => x,
            Err(e) => {
                self.ports.release(d.id);
                return Err(e);
            }
        };
        let Some((c, action, file)) = decided else {
            self.ports.release(d.id);
            self.remember(d.id, Action::Ignore);
            return Ok(reply(Action::Ignore));
        };
        self.remember(d.id, action);
        match self.download_act(&d, &c, action, file).await {
            Ok(()) => Ok(reply(action)),
            Err(e) if matches!(action, Action::Ask | Action::Block) => {
                self.report_failure("holding or cancelling a download", &e);
                Ok(reply(action))
            }
            Err(e) => {
                self.ports.release(d.id);
                Err(e)
            }
        }
    }

    /// Whether `c`'s host may open one more page now (and counts it).
    fn page_budget(&self, c: &Classified) -> bool {
        let now = self.ports.now_ms();
        let mut pages = self.exports.pages.borrow_mut();
        pages.retain(|_, (start, _)| now.saturating_sub(*start) < PAGE_WINDOW_MS);
        let (_, count) = pages.entry(crm_host(&c.origin)).or_insert((now, 0));
        *count += 1;
        *count <= MAX_PAGES_PER_HOST
    }

    fn remember(&self, id: i32, action: Action) {
        let mut order = self.exports.order.borrow_mut();
        let mut decided = self.exports.decided.borrow_mut();
        while decided.len() >= MAX_DECIDED {
            match order.pop_front() {
                Some(old) => decided.remove(&old),
                None => break,
            };
        }
        if decided.insert(id, action).is_none() {
            order.push_back(id);
        }
    }

    async fn download_classify(
        self: &Rc<Self>,
        d: &mut Download,
    ) -> Result<Option<(Classified, Action, Option<String>)>> {
        if d.facts.referrer.trim().is_empty() {
            d.facts.tab_url = self.ports.active_tab_url().await.map(crate::kept);
        }
        let settings = self.settings().await?;
        let s = &settings.settings;
        let Some(c) = export::classify(&s.catalog(), &d.facts) else { return Ok(None) };
        let action = export::decide(s, &c);
        let file = export::file_name_for_log(s.export_log_file_names, &d.facts.filename);
        Ok(Some((c, action, file)))
    }

    /// Cancels a download; one already complete (Firefox's `cancel` rejects then) has its file
    /// removed instead. The error is the cancel's when both fail.
    async fn cancel_or_remove(&self, id: i32) -> std::result::Result<(), crate::ports::PortError> {
        match self.ports.cancel(id).await {
            Ok(()) => Ok(()),
            Err(e) => self.ports.remove_file(id).await.map_err(|_| e),
        }
    }

    /// Cancels a download that must not be saved, recording a failure as its own event.
    /// Whether it is gone.
    async fn cancel_recorded(self: &Rc<Self>, id: i32, c: &Classified, size: Option<u64>) -> Result<bool> {
        if let Err(e) = self.cancel_or_remove(id).await {
            self.ports.log_error(&format!("[crm-guard] cancelling download {id} failed: {e}"));
            self.log_status(c, "cancel failed, the file may be saved", size, None).await?;
            return Ok(false);
        }
        Ok(true)
    }

    async fn download_act(
        self: &Rc<Self>,
        d: &Download,
        c: &Classified,
        action: Action,
        file: Option<String>,
    ) -> Result<()> {
        match action {
            Action::Ignore => self.ports.release(d.id),
            Action::Log => {
                self.ports.release(d.id);
                self.log_when_named(d, c, action, file).await?;
            }
            Action::Block => {
                // Recorded first: whatever fails next, the attempt is in the log.
                self.log_when_named(d, c, action, file).await?;
                self.cancel_recorded(d.id, c, d.size).await?;
                if !self.page_budget(c) {
                    return Ok(()); // recorded and cancelled; the explanation tab is already open
                }
                let page = format!(
                    "{}?blocked={}&crm={}&host={}",
                    self.ports.extension_url(EXPORT_PAGE),
                    c.kind.id(),
                    encode_component(&crm_name(&c.origin)),
                    encode_component(&crm_host(&c.origin)),
                );
                self.ports.open_page(&page).await?;
            }
            Action::Ask => {
                let (crm_id, crm_name, host) = match &c.origin {
                    Origin::Crm { crm_id, crm_name, host } => {
                        (Some(crm_id.clone()), Some(crm_name.clone()), Some(host.clone()))
                    }
                    Origin::Unknown => (None, None, None),
                };
                let held = Held {
                    crm_id,
                    crm_name,
                    host,
                    kind: c.kind,
                    recipe: c.recipe.into(),
                    size: d.size,
                    file: file.clone(),
                    browser_hold: d.held,
                    prompt_tab: None,
                };
                if !self.page_budget(c) {
                    self.log_status(c, "too many prompts at once, cancelled", d.size, file.as_deref())
                        .await?;
                    return self.cancel_recorded(d.id, c, d.size).await.map(|_| ());
                }
                // Recorded at once: a prompt left unanswered still leaves this event.
                self.log_status(c, "held, reason asked", d.size, file.as_deref()).await?;
                let mut index: Vec<i32> = self.read(Area::Session, HELD_INDEX_KEY).await?.unwrap_or_default();
                if index.len() >= MAX_HELD {
                    self.log_status(c, "too many held, cancelled", d.size, file.as_deref()).await?;
                    return self.cancel_recorded(d.id, c, d.size).await.map(|_| ());
                }
                self.write(Area::Session, &held_key(d.id), &held).await?;
                index.push(d.id);
                self.write(Area::Session, HELD_INDEX_KEY, &index).await?;
                if !d.held && self.ports.pause(d.id, true).await.is_err() {
                    // No hold from the browser, and a file already complete cannot be paused.
                    self.log_status(c, "could not be held (already complete)", d.size, file.as_deref())
                        .await?;
                }
                let page = format!("{}?id={}", self.ports.extension_url(EXPORT_PAGE), d.id);
                self.ports.open_page(&page).await?;
            }
        }
        Ok(())
    }

    async fn log_status(
        self: &Rc<Self>,
        c: &Classified,
        status: &str,
        size: Option<u64>,
        file: Option<&str>,
    ) -> Result<()> {
        let detail = export::download_status_detail(c, status, size, file, None);
        self.log_export_event(c, Level::AtRisk, detail).await
    }

    /// A held download's hold ends without an answer (its prompt closed, or the worker that held
    /// it is gone): it is cancelled — fail closed — and that is recorded.
    async fn hold_lost(self: &Rc<Self>, id: i32, h: &Held, why: &str) -> Result<()> {
        let c = h.classified();
        self.log_status(&c, &format!("{why}, cancelled"), h.size, h.file.as_deref()).await?;
        if self.cancel_recorded(id, &c, h.size).await? {
            self.unhold(id).await?;
        }
        Ok(())
    }

    /// Forgets a held download's record and its place in the index.
    async fn unhold(self: &Rc<Self>, id: i32) -> Result<()> {
        self.forget(Area::Session, &held_key(id)).await?;
        let mut index: Vec<i32> = self.read(Area::Session, HELD_INDEX_KEY).await?.unwrap_or_default();
        index.retain(|i| *i != id);
        self.write(Area::Session, HELD_INDEX_KEY, &index).await
    }

    /// The worker (re)started: a download the browser held for the old worker is no longer
    /// held (Chromium would save it); each is cancelled and recorded.
    pub(crate) async fn exports_wake(self: &Rc<Self>) -> Result<()> {
        let _one_at_a_time = self.exports.lock.lock().await;
        let index: Vec<i32> = self.read(Area::Session, HELD_INDEX_KEY).await?.unwrap_or_default();
        for id in index {
            if self.exports.decided.borrow().contains_key(&id) {
                continue; // held by this worker
            }
            match self.read::<Held>(Area::Session, &held_key(id)).await? {
                Some(h) if h.browser_hold => self.hold_lost(id, &h, "hold lost (worker restarted)").await?,
                Some(_) => {}
                None => self.unhold(id).await?,
            }
        }
        Ok(())
    }

    /// A tab closed: if it was the prompt of a held download, that download is cancelled.
    pub(crate) async fn export_tab_closed(self: &Rc<Self>, tab_id: i32) -> Result<()> {
        let _one_at_a_time = self.exports.lock.lock().await;
        let index: Vec<i32> = self.read(Area::Session, HELD_INDEX_KEY).await?.unwrap_or_default();
        for id in index {
            if let Some(h) = self.read::<Held>(Area::Session, &held_key(id)).await? {
                if h.prompt_tab == Some(tab_id) {
                    self.hold_lost(id, &h, "prompt closed without an answer").await?;
                }
            }
        }
        Ok(())
    }

    /// Logs now, or — without a file name yet while policy wants names — when the named report
    /// of the same download comes (`named_later`), at the latest after [`NAME_WAIT_MS`].
    async fn log_when_named(
        self: &Rc<Self>,
        d: &Download,
        c: &Classified,
        action: Action,
        file: Option<String>,
    ) -> Result<()> {
        let wants_name = self.settings().await?.settings.export_log_file_names
            != crm_guard_core::policy::FileNameLog::None;
        if file.is_some() || d.held || !wants_name {
            return self.log_download(c, action, d.size, file.as_deref(), None).await;
        }
        self.exports.unlogged.borrow_mut().insert(d.id, (c.clone(), action, d.size));
        let (this, id) = (self.clone(), d.id);
        self.ports.spawn(Box::pin(async move {
            this.ports.sleep(NAME_WAIT_MS).await;
            let waiting = this.exports.unlogged.borrow_mut().remove(&id);
            if let Some((c, action, size)) = waiting {
                if let Err(e) = this.log_download(&c, action, size, None, None).await {
                    this.report_failure("logging a download", &e);
                }
            }
        }));
        Ok(())
    }

    /// The second report of a decided download: its file name completes the waiting event or
    /// the held download's record.
    async fn named_later(self: &Rc<Self>, d: &Download) -> Result<()> {
        let mode = self.settings().await?.settings.export_log_file_names;
        let Some(file) = export::file_name_for_log(mode, &d.facts.filename) else { return Ok(()) };
        let waiting = self.exports.unlogged.borrow_mut().remove(&d.id);
        if let Some((c, action, size)) = waiting {
            return self.log_download(&c, action, size.or(d.size), Some(&file), None).await;
        }
        if let Some(mut held) = self.read::<Held>(Area::Session, &held_key(d.id)).await? {
            if held.file.is_none() {
                held.file = Some(file);
                held.size = held.size.or(d.size);
                self.write(Area::Session, &held_key(d.id), &held).await?;
            }
        }
        Ok(())
    }

    async fn log_download(
        self: &Rc<Self>,
        c: &Classified,
        action: Action,
        size: Option<u64>,
        file: Option<&str>,
        reason: Option<&str>,
    ) -> Result<()> {
        let detail = export::download_detail(c, action, size, file, reason);
        let level = if action == Action::Block { Level::AtRisk } else { Level::Warning };
        self.log_export_event(c, level, detail).await
    }

    async fn log_export_event(self: &Rc<Self>, c: &Classified, level: Level, detail: String) -> Result<()> {
        let mut e = NewEvent::new(self.ports.now_ms(), EventKind::DataExport).level(level).detail(detail);
        if let Origin::Crm { crm_id, host, .. } = &c.origin {
            e = e.crm(crm_id.clone()).host(host.clone());
        }
        self.log_event(e).await.map(|_| ())
    }

    /// The export page asks what a held download is; its tab becomes the download's prompt
    /// (closing it without an answer cancels the download).
    pub(crate) async fn export_prompt_info(self: &Rc<Self>, id: i32, tab: Option<i32>) -> Result<Value> {
        let _one_at_a_time = self.exports.lock.lock().await;
        let Some(mut h) = self.read::<Held>(Area::Session, &held_key(id)).await? else {
            return Ok(Value::Null);
        };
        if h.prompt_tab.is_none() && tab.is_some() {
            h.prompt_tab = tab;
            self.write(Area::Session, &held_key(id), &h).await?;
        }
        to_value(&json!({ "kind": h.kind.id(), "crm": h.crm_name, "host": h.host, "recipe": h.recipe }))
    }

    /// The user's answer: go on with a reason (logged), or cancel. Only a download still held
    /// is acted on (a second answer, or one for an id never held, does nothing): answers run one
    /// at a time, so a double submit is acted on once.
    pub(crate) async fn export_decision(
        self: &Rc<Self>,
        id: i32,
        proceed: bool,
        reason: &str,
    ) -> Result<Value> {
        let _one_at_a_time = self.exports.lock.lock().await;
        let Some(h) = self.read::<Held>(Area::Session, &held_key(id)).await? else {
            return Ok(json!({ "done": false }));
        };
        let reason = reason.trim();
        if proceed && reason.is_empty() {
            return Ok(json!({ "done": false, "needReason": true }));
        }
        let c = h.classified();
        // "asked, reason: …" went on with the user's reason; "blocked, reason: cancelled…" did not.
        let what = if proceed { Action::Ask } else { Action::Block };
        let why = Some(if proceed { reason } else { "cancelled by the user" });
        self.log_download(&c, what, h.size, h.file.as_deref(), why).await?;
        if proceed {
            self.ports.release(id);
            self.ports.pause(id, false).await.ok();
        } else if !self.cancel_recorded(id, &c, h.size).await? {
            return Ok(json!({ "done": false, "failed": true }));
        }
        // Forgotten only once acted on: a failure above leaves the hold to its prompt or a wake.
        self.unhold(id).await?;
        self.remember(id, what);
        Ok(json!({ "done": true }))
    }

    /// A trusted copy on a CRM page: recorded when over a threshold.
    pub(crate) async fn export_copy(self: &Rc<Self>, url: &str, chars: u64, rows: u64) -> Result<Value> {
        let s = self.settings().await?;
        if !export::copy_is_large(&s.settings, export::Copy { chars, rows }) {
            return Ok(json!({ "logged": false }));
        }
        let detail = format!("{chars} characters, {rows} table rows");
        let logged = self.log_page_event(url, EventKind::LargeCopy, detail).await?;
        Ok(json!({ "logged": logged }))
    }

    pub(crate) async fn export_print(self: &Rc<Self>, url: &str) -> Result<Value> {
        if !self.settings().await?.settings.export_print_log {
            return Ok(Value::Null);
        }
        self.log_page_event(url, EventKind::PagePrinted, "printed".into()).await?;
        Ok(Value::Null)
    }

    async fn log_page_event(self: &Rc<Self>, url: &str, kind: EventKind, detail: String) -> Result<bool> {
        let crm = self.crm_of(url).await?;
        let host = crm_guard_core::PageUrl::parse(url).ok().map(|p| p.host);
        let mut e = NewEvent::new(self.ports.now_ms(), kind).level(Level::Warning).detail(detail);
        if let (Some((id, _)), Some(h)) = (crm, host) {
            e = e.crm(id).host(h);
        }
        Ok(self.log_event(e).await?.is_some())
    }

    /// A one-time-code field on the tab's current CRM page: the sign-in has a second factor.
    pub(crate) async fn signin_code_field(self: &Rc<Self>, tab_id: i32, url: String) -> Result<Value> {
        self.with_tab(tab_id, async {
            let mut rec = self.load_tab(tab_id).await?;
            if rec.signin.is_none() || !self.is_current_document(tab_id, &url, &rec).await {
                return Ok(());
            }
            rec.signin = signin::code_field_seen(rec.signin.take());
            self.save_tab(tab_id, &rec).await
        })
        .await?;
        Ok(Value::Null)
    }

    /// One committed page of a tab: the sign-in moves on. Returns the finding to add to the new
    /// document when a sign-in reached the CRM without a second factor (and logs its event).
    pub(crate) async fn signin_step(
        self: &Rc<Self>,
        old: &TabRecord,
        url: &str,
    ) -> Result<(Option<signin::SignIn>, Option<Finding>)> {
        let s = self.settings().await?;
        if !s.settings.mfa_check {
            return Ok((None, None));
        }
        let catalog = s.settings.catalog();
        // A page that is neither a CRM nor a sign-in host ends the sign-in: it was left.
        let Some((step, crm_id)) = signin::step_of(&catalog, url) else { return Ok((None, None)) };
        let (state, completed) = signin::advance(old.signin.clone(), step, self.ports.now_ms());
        let Some(done) = completed.filter(|c| c.factor.is_none()) else {
            return Ok((state, None));
        };
        let crm = crm_id.as_deref().and_then(|id| catalog.get(id)).map(|e| e.name.to_string());
        let host = crm_guard_core::PageUrl::parse(url).ok().map(|p| p.host);
        let mut e = NewEvent::new(self.ports.now_ms(), EventKind::SignInWithoutMfa)
            .level(Level::Warning)
            .detail(format!("sign-in {} without a second factor seen", done.recipe));
        if let (Some(id), Some(h)) = (crm_id.clone(), host) {
            e = e.crm(id).host(h);
        }
        self.log_event(e).await?;
        let finding = Finding::new(FindingKind::PasswordOnlySignIn).with_detail(crm.unwrap_or_default());
        Ok((state, Some(finding)))
    }
}

/// The host for the explanation page, or nothing.
fn crm_host(origin: &Origin) -> String {
    match origin {
        Origin::Crm { host, .. } => host.clone(),
        Origin::Unknown => String::new(),
    }
}

/// A name for the explanation page: the CRM's, or nothing.
fn crm_name(origin: &Origin) -> String {
    match origin {
        Origin::Crm { crm_name, .. } => crm_name.clone(),
        Origin::Unknown => String::new(),
    }
}
