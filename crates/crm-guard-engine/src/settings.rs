//! The settings in force: defaults ← user options ← managed policy, merged and validated by
//! `crm_guard_core::policy`, cached for the worker's life and dropped on every change.
//!
//! ## Snapshot: an instant first badge that never weakens IT's policy
//! The browser's first `storage.managed` read after a start takes seconds (2.7–4.7 s measured on
//! Linux, with or without a policy). So every real managed read is also written to
//! `storage.local` (`settingsSnapshot`), and a worker that has not heard from managed storage yet
//! uses the snapshot at once, while the managed read runs in the background; when it answers
//! and differs, the settings change as if the policy had just changed (every tab repainted, the
//! rules reinstalled, the idle machine told).
//!
//! Fail closed: the managed half of the settings is always the last policy the browser
//! delivered — from this worker's own read, or from the snapshot of an earlier one — never the
//! defaults while a known policy is waiting to be read again. Only a profile that has never had
//! its policy read (first run) waits for managed storage, once. A managed read that fails keeps
//! the snapshot's values rather than dropping IT's locks.
//!
//! Secrets never enter the snapshot (`storage.local` is readable by our content scripts): a
//! secret is stored as a stand-in of the same length, which keeps reporting "configured" (events
//! are queued from the first second) but never signs: no report leaves until managed storage
//! has answered with the real secret. Policy errors are recorded from real reads only.
//!
//! One read at a time: the handlers that miss the cache while a read is in flight (a cold
//! worker's wake, its first navigation and its first message all need the settings) wait for
//! that read instead of each reading options, snapshot and policy again; the options and the
//! snapshot are read together.
//!
//! Secrets never leave the worker: the `settings` and `saveOptions` replies mask them
//! ([`SECRET_MASK`]), and policy errors and events never show a secret's value.

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::rc::Rc;

use crm_guard_core::policy::{self, Effective};
use futures::future::{FutureExt, LocalBoxFuture, Shared};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ports::{Area, Ports};
use crate::protocol::names::{OPTIONS_KEY, POLICY_DIGESTS_KEY, SETTINGS_SNAPSHOT_KEY};
use crate::store::to_value;
use crate::{Engine, EngineError, Result};

#[derive(Default)]
pub(crate) struct Cache {
    current: RefCell<Option<Rc<Effective>>>,
    /// The read in flight, awaited by every handler that misses the cache meanwhile (dropped by
    /// an invalidation: a handler arriving after it reads again).
    loading: RefCell<Option<Load>>,
    /// Bumped by every invalidation: a read that started before it must not fill the cache.
    generation: Cell<u64>,
    /// Managed storage answered in this worker's life: read it, not the snapshot.
    managed_fresh: Cell<bool>,
    /// A background managed read is running.
    refreshing: Cell<bool>,
    /// Digests of the policy errors already logged (loaded once).
    seen_errors: RefCell<Option<BTreeSet<String>>>,
}

type Load = Shared<LocalBoxFuture<'static, Result<Rc<Effective>>>>;

/// Stands for each character of a secret in the snapshot: the stand-in has the secret's length,
/// so the policy's checks judge it as they judge the secret; it never signs anything.
const REDACTED: char = '\u{2022}';

/// Whether a secret is the snapshot's stand-in.
pub(crate) fn is_redacted(secret: &str) -> bool {
    secret.chars().all(|c| c == REDACTED)
}

/// The managed policy with every secret replaced by its stand-in.
fn redacted(managed: &Value) -> Value {
    let mut out = managed.clone();
    if let Value::Object(map) = &mut out {
        for (k, v) in map.iter_mut() {
            if let (true, Some(secret)) =
                (policy::Key::from_name(k).is_some_and(policy::Key::is_secret), v.as_str())
            {
                *v = Value::String(std::iter::repeat_n(REDACTED, secret.chars().count().min(1024)).collect());
            }
        }
    }
    out
}

/// What a reply says in place of a secret that is set (`null` stays `null`): secrets stay in the
/// worker (issue 10). The options page shows a secret locked by policy as "set by your
/// organisation"; the user's own secret is theirs, in `storage.local` `options`.
pub(crate) const SECRET_MASK: &str = "(set)";

/// The effective settings as a reply: every secret replaced by [`SECRET_MASK`]. Errors never
/// carry a secret (the core hides rejected secret values).
pub(crate) fn masked(effective: &Effective) -> Result<Value> {
    let mut reply = to_value(effective)?;
    if let Some(settings) = reply.get_mut("settings") {
        *settings = masked_policy(settings);
    }
    Ok(reply)
}

/// A policy object as a reply: every secret that is set replaced by [`SECRET_MASK`].
pub(crate) fn masked_policy(policy: &Value) -> Value {
    let mut out = policy.clone();
    if let Value::Object(map) = &mut out {
        for (k, v) in map.iter_mut() {
            if policy::Key::from_name(k).is_some_and(policy::Key::is_secret) && !v.is_null() {
                *v = Value::String(SECRET_MASK.to_owned());
            }
        }
    }
    out
}

/// What `settingsSnapshot` holds: the managed policy as last delivered, secrets redacted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Snapshot {
    managed: Value,
}

impl<P: Ports + 'static> Engine<P> {
    /// The effective settings (cached).
    pub(crate) async fn settings(self: &Rc<Self>) -> Result<Rc<Effective>> {
        if let Some(e) = self.settings.current.borrow().clone() {
            return Ok(e);
        }
        let load = self
            .settings
            .loading
            .borrow_mut()
            .get_or_insert_with(|| self.clone().load_settings().boxed_local().shared())
            .clone();
        load.await
    }

    /// The read behind [`Self::settings`]: options and snapshot, then managed storage if this
    /// worker must wait for it; cached unless invalidated meanwhile.
    async fn load_settings(self: Rc<Self>) -> Result<Rc<Effective>> {
        let generation = self.settings.generation.get();
        let out = self.read_settings(generation).await;
        if self.settings.generation.get() == generation {
            *self.settings.loading.borrow_mut() = None;
        }
        out
    }

    async fn read_settings(self: &Rc<Self>, generation: u64) -> Result<Rc<Effective>> {
        let (user, snapshot) = futures::future::join(
            self.ports.get(Area::Local, OPTIONS_KEY),
            self.read::<Snapshot>(Area::Local, SETTINGS_SNAPSHOT_KEY),
        )
        .await;
        let snapshot = snapshot.unwrap_or(None);
        let (managed, cacheable, real) = match (&snapshot, self.settings.managed_fresh.get()) {
            (Some(s), false) => {
                self.refresh_managed_soon();
                (s.managed.clone(), true, false)
            }
            _ => match self.read_managed(snapshot.as_ref()).await {
                Ok(m) => (m, true, true),
                // Unavailable: the last known policy, not cached (the next event asks again).
                Err(_) => (snapshot.map_or(Value::Null, |s| s.managed), false, false),
            },
        };
        let cacheable = cacheable && user.is_ok();
        let user = user.ok().flatten().unwrap_or(Value::Null);
        let effective = Rc::new(policy::effective(&user, &managed));
        if !cacheable || self.settings.generation.get() != generation {
            return Ok(effective);
        }
        // Two handlers may have missed the cache at once: the first result wins.
        let effective = self.settings.current.borrow_mut().get_or_insert(effective).clone();
        if !real {
            return Ok(effective);
        }
        let this = self.clone();
        let errors = effective.errors.clone();
        self.ports.spawn(Box::pin(async move {
            if let Err(e) = this.record_policy_errors(errors).await {
                this.report_failure("logging policy errors", &e);
            }
        }));
        Ok(effective)
    }

    /// Reads managed storage and keeps the snapshot in step with it.
    async fn read_managed(&self, snapshot: Option<&Snapshot>) -> Result<Value> {
        let managed = self.ports.managed().await?;
        self.settings.managed_fresh.set(true);
        let stored = redacted(&managed);
        if snapshot.is_none_or(|s| s.managed != stored) {
            self.write(Area::Local, SETTINGS_SNAPSHOT_KEY, &Snapshot { managed: stored }).await?;
        }
        Ok(managed)
    }

    /// Starts the worker's first managed read in the background (worker wake).
    pub(crate) fn settings_prefetch(self: &Rc<Self>) {
        if !self.settings.managed_fresh.get() {
            self.refresh_managed_soon();
        }
    }

    fn refresh_managed_soon(self: &Rc<Self>) {
        if self.settings.refreshing.replace(true) {
            return;
        }
        let this = self.clone();
        self.ports.spawn(Box::pin(async move {
            if let Err(e) = this.refresh_managed().await {
                this.report_failure("reading managed policy", &e);
            }
            this.settings.refreshing.set(false);
        }));
    }

    /// The background read: when policy differs from the snapshot in use, it is a policy change.
    async fn refresh_managed(self: &Rc<Self>) -> Result<()> {
        let snapshot: Option<Snapshot> = self.read(Area::Local, SETTINGS_SNAPSHOT_KEY).await?;
        let managed = self.read_managed(snapshot.as_ref()).await?;
        if snapshot.is_some_and(|s| s.managed != redacted(&managed)) {
            self.settings_changed();
            self.idle_event(crate::idle::Input::Settings).await?;
            self.whole_browser_pass(false).await?;
        } else if managed != redacted(&managed) {
            // Same policy, but the real secret is known now: reports may go.
            self.settings_changed();
        }
        self.flush_reports_soon();
        Ok(())
    }

    /// Drops the cached settings; the next event reads them again.
    pub(crate) fn settings_changed(&self) {
        self.settings.generation.set(self.settings.generation.get() + 1);
        *self.settings.current.borrow_mut() = None;
        *self.settings.loading.borrow_mut() = None;
    }

    /// Logs the policy errors not logged yet as `policyError` events; remembers the current ones.
    async fn record_policy_errors(self: &Rc<Self>, errors: Vec<policy::PolicyError>) -> Result<()> {
        if self.settings.seen_errors.borrow().is_none() {
            let stored: BTreeSet<String> =
                self.read(Area::Local, POLICY_DIGESTS_KEY).await?.unwrap_or_default();
            self.settings.seen_errors.borrow_mut().get_or_insert(stored);
        }
        let now = self.ports.now_ms();
        // Decided synchronously against the in-memory set: concurrent evaluations never log twice.
        let (new, current) = {
            let mut guard = self.settings.seen_errors.borrow_mut();
            let seen = guard.get_or_insert_with(BTreeSet::new);
            let (new, current) = policy::new_error_events(&errors, seen, now);
            seen.clone_from(&current);
            (new, current)
        };
        for event in new {
            self.ports.log_error(&format!("[crm-guard] policy: {}", event.detail.as_deref().unwrap_or("")));
            self.log_event(event).await?;
        }
        // After the events: a worker stopped in between logs them again rather than never.
        self.write(Area::Local, POLICY_DIGESTS_KEY, &current).await
    }

    /// The `settings` message: effective settings (secrets masked), locked keys and errors.
    pub(crate) async fn settings_reply(self: &Rc<Self>, fresh: bool) -> Result<Value> {
        // `fresh`: the page saw a storage change, maybe before this worker's own listener ran.
        if fresh {
            self.settings_changed();
        }
        masked(&*self.settings().await?)
    }

    /// The key table, for the options page's form.
    /// The key table for the options page, each row with the group it is shown in.
    pub(crate) fn settings_schema(&self) -> Result<Value> {
        let mut rows = to_value(&policy::SPECS)?;
        if let Some(rows) = rows.as_array_mut() {
            for (row, spec) in rows.iter_mut().zip(policy::SPECS) {
                row["group"] = spec.key.group().id().into();
            }
        }
        Ok(rows)
    }

    /// Saves the user's options (untrusted JSON, validated by the core, which names every
    /// problem) and returns the new effective settings with their errors.
    pub(crate) async fn save_options(self: &Rc<Self>, options: Value) -> Result<Value> {
        if !options.is_object() {
            return Err(EngineError::Malformed("options must be an object".into()));
        }
        self.write(Area::Local, OPTIONS_KEY, &options).await?;
        self.settings_changed();
        masked(&*self.settings().await?)
    }
}
