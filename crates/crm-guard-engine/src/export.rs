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

use futures::lock::Mutex;

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
pub(crate) struct Download {
    pub id: i32,
    pub facts: DownloadFacts,
    pub size: Option<u64>,
    /// Reported by `onDeterminingFilename`: the browser waits for a release.
    pub held: bool,
}

/// Downloads decided in this worker's life. Chromium reports one download twice (`onCreated`,
/// then `onDeterminingFilename` — or only the first when a debugger owns downloads): the first
/// report decides, the second only follows the decision with its hold.
#[derive(Default)]
pub(crate) struct State {
    decided: RefCell<HashMap<i32, Action>>,
    /// Decided on a report without a file name (Chromium's `onCreated` comes before the name is
    /// known) while policy wants names: logged when the named report comes, or after
    /// [`NAME_WAIT_MS`] without one.
    unlogged: RefCell<HashMap<i32, Unlogged>>,
    lock: Mutex<()>,
}

/// A decided download's event waiting for its file name: what it was, what was done, its size.
type Unlogged = (Classified, Action, Option<u64>);

/// How long a decided download's event waits for its file name.
const NAME_WAIT_MS: u32 = 3000;

/// Decisions remembered at most (a new worker starts empty).
const MAX_DECIDED: usize = 1000;

/// What is kept of a held download until the user answers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Held {
    crm_id: Option<String>,
    crm_name: Option<String>,
    host: Option<String>,
    kind: String,
    recipe: String,
    size: Option<u64>,
    file: Option<String>,
}

fn held_key(id: i32) -> String {
    format!("{EXPORT_KEY_PREFIX}{id}")
}

impl<P: Ports + 'static> Engine<P> {
    /// A download began. Whatever happens here, a held download is released or cancelled (an
    /// error releases it: the browser's own behaviour, and the failure is logged to the console).
    pub(crate) async fn download_created(self: &Rc<Self>, mut d: Download) -> Result<()> {
        let _one_at_a_time = self.exports.lock.lock().await;
        let earlier = self.exports.decided.borrow().get(&d.id).copied();
        if let Some(action) = earlier {
            // Held for a reason: the answer releases it; cancelled: nothing to release.
            if d.held && matches!(action, Action::Ignore | Action::Log) {
                self.ports.release(d.id);
            }
            return self.named_later(&d).await;
        }
        let out = self.download_decide(&mut d).await;
        match out {
            Ok(action) => {
                let mut decided = self.exports.decided.borrow_mut();
                if decided.len() >= MAX_DECIDED {
                    decided.clear();
                }
                decided.insert(d.id, action);
                Ok(())
            }
            Err(e) => {
                self.ports.release(d.id);
                Err(e)
            }
        }
    }

    async fn download_decide(self: &Rc<Self>, d: &mut Download) -> Result<Action> {
        if d.facts.referrer.trim().is_empty() {
            d.facts.tab_url = self.ports.active_tab_url().await.map(crate::kept);
        }
        let settings = self.settings().await?;
        let s = &settings.settings;
        let Some(c) = export::classify(&s.catalog(), &d.facts) else {
            self.ports.release(d.id);
            return Ok(Action::Ignore);
        };
        let action = export::decide(s, &c);
        let file = export::file_name_for_log(s.export_log_file_names, &d.facts.filename);
        match action {
            Action::Ignore => self.ports.release(d.id),
            Action::Log => {
                self.ports.release(d.id);
                self.log_when_named(d, &c, action, file).await?;
            }
            Action::Block => {
                self.ports.cancel(d.id).await?;
                self.log_when_named(d, &c, action, file).await?;
                let crm = crm_name(&c.origin);
                let page = format!(
                    "{}?blocked={}&crm={}",
                    self.ports.extension_url(EXPORT_PAGE),
                    c.kind.id(),
                    encode_component(&crm)
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
                    kind: c.kind.id().into(),
                    recipe: c.recipe.into(),
                    size: d.size,
                    file,
                };
                self.write(Area::Session, &held_key(d.id), &held).await?;
                if !d.held {
                    // No hold from the browser: pause it (a file already complete cannot be).
                    self.ports.pause(d.id, true).await.ok();
                }
                let page = format!("{}?id={}", self.ports.extension_url(EXPORT_PAGE), d.id);
                self.ports.open_page(&page).await?;
            }
        }
        Ok(action)
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
        let mut e = NewEvent::new(self.ports.now_ms(), EventKind::DataExport).level(level).detail(detail);
        if let Origin::Crm { crm_id, host, .. } = &c.origin {
            e = e.crm(crm_id.clone()).host(host.clone());
        }
        self.log_event(e).await.map(|_| ())
    }

    /// The export page asks what a held download is.
    pub(crate) async fn export_prompt_info(self: &Rc<Self>, id: i32) -> Result<Value> {
        let held: Option<Held> = self.read(Area::Session, &held_key(id)).await?;
        match held {
            Some(h) => to_value(&json!({ "kind": h.kind, "crm": h.crm_name, "recipe": h.recipe })),
            None => Ok(Value::Null),
        }
    }

    /// The user's answer: go on with a reason (logged), or cancel. Only a download still held
    /// is acted on (a second answer, or one for an id never held, does nothing).
    pub(crate) async fn export_decision(
        self: &Rc<Self>,
        id: i32,
        proceed: bool,
        reason: &str,
    ) -> Result<Value> {
        let Some(h) = self.read::<Held>(Area::Session, &held_key(id)).await? else {
            return Ok(json!({ "done": false }));
        };
        let reason = reason.trim();
        if proceed && reason.is_empty() {
            return Ok(json!({ "done": false, "needReason": true }));
        }
        self.forget(Area::Session, &held_key(id)).await?;
        if proceed {
            self.ports.release(id);
            self.ports.pause(id, false).await.ok();
        } else {
            self.ports.cancel(id).await?;
        }
        let origin = match (&h.crm_id, &h.crm_name, &h.host) {
            (Some(crm_id), Some(crm_name), Some(host)) => {
                Origin::Crm { crm_id: crm_id.clone(), crm_name: crm_name.clone(), host: host.clone() }
            }
            _ => Origin::Unknown,
        };
        let kind = match h.kind.as_str() {
            "table" => export::ExportKind::Table,
            "report" => export::ExportKind::Report,
            _ => export::ExportKind::Other,
        };
        let recipe = export::recipe_id(&h.recipe);
        let c = Classified { origin, kind, recipe };
        // "asked, reason: …" went on with the user's reason; "blocked, reason: cancelled…" did not.
        let what = if proceed { Action::Ask } else { Action::Block };
        let why = Some(if proceed { reason } else { "cancelled by the user" });
        self.log_download(&c, what, h.size, h.file.as_deref(), why).await?;
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
        let Some((step, crm_id)) = signin::step_of(&catalog, url) else {
            return Ok((old.signin.clone(), None));
        };
        let (state, completed) = signin::advance(old.signin.clone(), step);
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

/// A name for the explanation page: the CRM's, or nothing.
fn crm_name(origin: &Origin) -> String {
    match origin {
        Origin::Crm { crm_name, .. } => crm_name.clone(),
        Origin::Unknown => String::new(),
    }
}
