//! Password strength, reuse and phishing guard. Content scripts send field descriptors and (to
//! the worker only) passwords; they are classified and judged by the core, scored by the
//! [`Scorer`](crate::ports::Scorer) port, fingerprinted with PBKDF2 through the
//! [`Crypto`](crate::ports::Crypto) port. Only `StoredFingerprint {crmId, tenant, bits, length}` and the
//! install's salt are stored. Nothing here logs, stores or returns a password.

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use crm_guard_core::events::{self, EventKind, NewEvent};
use crm_guard_core::json::from_value;
use crm_guard_core::password::breach::{self, Breach, RangeCache, Unchecked};
use crm_guard_core::password::{
    self, fingerprint, CheckLimiter, FieldInfo, LoginOutcome, PasswordPolicy, PendingLogin,
    StoredFingerprint, StrengthInput,
};
use crm_guard_core::{Finding, FindingKind, Level};
use futures::future::{FutureExt, LocalBoxFuture, Shared};
use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::Mutex;

use crate::ports::{Area, HttpError, HttpRequest, Ports};
use crate::protocol::names::{
    MAX_FIELDS, MAX_FIELD_TEXT, MAX_USER_VALUES, PW_FINGERPRINTS_KEY, PW_LIMITER_KEY, PW_SALT_KEY,
};
use crate::store::to_value;
use crate::{Engine, Result};

/// Phishing checks allowed per minute (see docs/password-fingerprint.md, "Rate limiting").
const CHECKS_PER_MINUTE: u32 = 6;

#[derive(Default)]
pub(crate) struct State {
    salt: RefCell<Option<Vec<u8>>>,
    /// Latest score request per (tab, frame): an older one still waiting is answered "stale".
    latest_seq: RefCell<HashMap<(i32, i32), i64>>,
    /// Per tab: a login's derivation; the landing page's check waits for it.
    login_locks: RefCell<HashMap<i32, Rc<Mutex<()>>>>,
    /// The stored fingerprints are read, updated and written back under this lock: two tabs'
    /// logins completing at once must not overwrite each other's.
    fingerprints: Mutex<()>,
    /// Breached-password range answers (public data, bounded, expiring; no password, no hash).
    ranges: RefCell<RangeCache>,
    /// Range requests in flight, by URL: a value committed while the same range is being fetched
    /// (two fields holding one password, a blur and a submit at once) waits for that request.
    ranges_in_flight: RefCell<HashMap<String, RangeFetch>>,
}

type RangeFetch = Shared<LocalBoxFuture<'static, std::result::Result<breach::Range, Unchecked>>>;

/// How a score request is answered: `commit` when the user settled on the value (the only time
/// it may be checked against breaches over the network); `scorer_failed` when it trapped the
/// scorer.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ScoreHow {
    pub scorer_failed: bool,
    pub commit: bool,
}

/// What the meter shows for one password: the core's judgement plus the scorer's feedback ids.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ScoreView {
    seq: i64,
    score: Option<u8>,
    #[serde(flatten)]
    judgement: password::Judgement,
    warning: Option<String>,
    suggestions: Vec<String>,
    crack_seconds: f64,
    min_length: u32,
    min_score: u8,
    breach: Breach,
}

/// Lets the other messages already delivered run to their first await (keystrokes queued while
/// the worker started register their sequence numbers before the oldest is scored).
struct YieldNow(bool);

impl Future for YieldNow {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

fn cut(s: &str) -> String {
    s.chars().take(MAX_FIELD_TEXT).collect()
}

impl<P: Ports + 'static> Engine<P> {
    async fn password_policy(self: &Rc<Self>) -> Result<PasswordPolicy> {
        Ok(PasswordPolicy::from_settings(&self.settings().await?.settings))
    }

    /// Classifies the password fields a content script found: `{kinds, policy}`. The scorer
    /// started loading when the message arrived (`Engine::message`), so the first keystroke
    /// finds it ready.
    pub(crate) async fn password_fields(self: &Rc<Self>, fields: Vec<Value>) -> Result<Value> {
        // A descriptor that does not parse is classified from an empty one (never an error).
        let kinds: Vec<password::FieldKind> = fields
            .into_iter()
            .take(MAX_FIELDS)
            .map(|v| from_value::<FieldInfo>(v).unwrap_or_default())
            .map(|f| password::classify(&f))
            .collect();
        let policy = self.password_policy().await?;
        Ok(json!({ "kinds": kinds, "policy": policy }))
    }

    /// Loads the scorer after the current event (its reply is not delayed), so the first
    /// keystroke finds it ready. Only a page with a password field gets here: a worker woken for
    /// anything else never fetches the scorer's module.
    pub(crate) fn load_scorer_later(self: &Rc<Self>) {
        let this = self.clone();
        self.ports.spawn(Box::pin(async move {
            if let Err(e) = this.ports.load_scorer().await {
                this.ports.log_error(&format!("[crm-guard] loading the password scorer failed: {e}"));
            }
        }));
    }

    /// Scores a password typed on `url`, with the CRM's name, the org sub-domain and the user
    /// names found on the page as the scorer's user inputs. A request that is no longer the
    /// frame's latest when its turn comes is answered `stale`. A failed scorer shows
    /// "unavailable" — never "strong" — and blocks in block mode.
    pub(crate) async fn score_password(
        self: &Rc<Self>,
        frame: (i32, i32),
        seq: i64,
        url: &str,
        pw: &str,
        values: Vec<Value>,
        how: ScoreHow,
    ) -> Result<Value> {
        {
            let mut latest = self.pw.latest_seq.borrow_mut();
            let l = latest.entry(frame).or_insert(seq);
            *l = (*l).max(seq);
        }
        YieldNow(false).await;
        if self.pw.latest_seq.borrow().get(&frame).is_some_and(|l| seq < *l) {
            return Ok(json!({ "seq": seq, "stale": true }));
        }
        let values: Vec<String> =
            values.iter().filter_map(Value::as_str).take(MAX_USER_VALUES).map(cut).collect();
        let crm_name = self.crm_of(url).await?.map(|(_, name)| name);
        let inputs = password::user_inputs(crm_name.as_deref(), url, &values);
        let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
        let settings = self.settings().await?;
        let policy = PasswordPolicy::from_settings(&settings.settings);
        // Before the scorer: the network wait (committed values only) holds no lock.
        let breach = self.breach_of(&settings.settings, pw, how.commit).await;
        let length_chars = u32::try_from(pw.chars().count()).unwrap_or(u32::MAX);
        let strength = if how.scorer_failed {
            Err(crate::ports::PortError("the scorer trapped on this request".into()))
        } else {
            match self.ports.load_scorer().await {
                Ok(()) => self.ports.score(pw, &refs, events::year_of_ms(self.ports.now_ms())),
                Err(e) => Err(e),
            }
        };
        let view = match strength {
            Ok(s) => {
                let input = StrengthInput { score: Some(s.score), length_chars };
                // A breached password is cracked at once from the breach lists: score 0.
                let breached = matches!(breach, Breach::Breached { .. });
                ScoreView {
                    seq,
                    score: Some(if breached { 0 } else { s.score }),
                    judgement: breach::judge(&policy, &input, &breach),
                    warning: s.warning,
                    suggestions: s.suggestions,
                    crack_seconds: if breached { 0.0 } else { s.crack_seconds },
                    min_length: policy.min_length,
                    min_score: policy.min_score,
                    breach,
                }
            }
            Err(e) => {
                self.ports.log_error(&format!("[crm-guard] password scorer failed: {e}"));
                ScoreView {
                    seq,
                    score: None,
                    judgement: breach::judge(&policy, &StrengthInput { score: None, length_chars }, &breach),
                    warning: None,
                    suggestions: Vec::new(),
                    crack_seconds: 0.0,
                    min_length: policy.min_length,
                    min_score: policy.min_score,
                    breach,
                }
            }
        };
        to_value(&view)
    }

    /// Whether `pw` is in the breached-password ranges of policy `breachCheckUrl`: off without
    /// it; from the cache when its range was fetched lately; else fetched only for a committed
    /// value (`commit`), never for a keystroke (`Pending`). Only the 5-hex-digit prefix of its
    /// SHA-1 leaves the browser; the answer is matched here. A timeout, an error status or a body
    /// that is not a range is `Unchecked` (judged on strength alone).
    async fn breach_of(
        self: &Rc<Self>,
        s: &crm_guard_core::policy::Settings,
        pw: &str,
        commit: bool,
    ) -> Breach {
        let Some(base) = s.breach_check_url.as_deref() else { return Breach::Off };
        if pw.is_empty() {
            return Breach::Off;
        }
        let key = breach::range_key(pw);
        let url = breach::range_url(base, &key.prefix);
        if let Some(range) = self.pw.ranges.borrow_mut().get(&url, self.ports.now_ms()) {
            return Breach::of(range, &key);
        }
        if !commit {
            return Breach::Pending;
        }
        let fetch = self
            .pw
            .ranges_in_flight
            .borrow_mut()
            .entry(url.clone())
            .or_insert_with(|| {
                self.clone().fetch_range(url.clone(), s.breach_check_timeout_ms).boxed_local().shared()
            })
            .clone();
        match fetch.await {
            Ok(range) => Breach::of(&range, &key),
            Err(why) => Breach::Unchecked { why },
        }
    }

    /// Fetches one range (the first waiter's request; see `ranges_in_flight`), caches it, and
    /// logs a failure once — the reason only: neither the prefix nor the URL with it.
    async fn fetch_range(
        self: Rc<Self>,
        url: String,
        timeout_ms: u32,
    ) -> std::result::Result<breach::Range, Unchecked> {
        let (name, value) = breach::PADDING_HEADER;
        let request = HttpRequest {
            url: url.clone(),
            body: None,
            headers: vec![(name.to_owned(), value.to_owned())],
            with_cookies: false,
            manual_redirect: false,
            timeout_ms,
            read_bytes: breach::MAX_RANGE_BYTES + 1,
        };
        let range = match self.ports.fetch(&request).await {
            Ok(r) if r.status == 200 && !r.opaque_redirect => {
                breach::parse_range(&r.body_prefix).map_err(Unchecked::from)
            }
            Ok(_) => Err(Unchecked::Status),
            Err(HttpError::TimedOut) => Err(Unchecked::TimedOut),
            Err(HttpError::Offline | HttpError::Failed(_)) => Err(Unchecked::Failed),
        };
        self.pw.ranges_in_flight.borrow_mut().remove(&url);
        match &range {
            Ok(range) => self.pw.ranges.borrow_mut().put(url, self.ports.now_ms(), range.clone()),
            Err(why) => self.ports.log_error(&format!("[crm-guard] breached-password check failed: {why:?}")),
        }
        range
    }

    /// A weak password was refused in block mode: one event (no password, no length).
    pub(crate) async fn password_blocked(self: &Rc<Self>, url: String) -> Result<Value> {
        let crm = self.crm_of(&url).await?;
        let mut e = NewEvent::new(self.ports.now_ms(), EventKind::WeakPasswordBlocked).host(url);
        if let Some((id, _)) = crm {
            e = e.crm(id);
        }
        self.log_event(e).await?;
        Ok(Value::Null)
    }

    // -----------------------------------------------------------------------------------------
    // Fingerprints.

    async fn salt(&self) -> Result<Vec<u8>> {
        if let Some(s) = self.pw.salt.borrow().clone() {
            return Ok(s);
        }
        let stored: Option<Vec<u8>> = self.read(Area::Local, PW_SALT_KEY).await?;
        let salt = match stored.filter(|s| s.len() == fingerprint::FINGERPRINT_SALT_BYTES) {
            Some(s) => s,
            None => {
                // Another derivation may have created one meanwhile: that one wins.
                if let Some(s) = self.pw.salt.borrow().clone() {
                    return Ok(s);
                }
                let fresh = self.ports.random_bytes(fingerprint::FINGERPRINT_SALT_BYTES)?;
                // In memory before the write: a derivation running meanwhile uses this salt
                // rather than writing its own over it (fingerprints made with a salt that is
                // not the stored one would never match again after the worker restarts).
                *self.pw.salt.borrow_mut() = Some(fresh.clone());
                if let Err(e) = self.write(Area::Local, PW_SALT_KEY, &fresh).await {
                    *self.pw.salt.borrow_mut() = None;
                    return Err(e);
                }
                fresh
            }
        };
        Ok(self.pw.salt.borrow_mut().get_or_insert(salt).clone())
    }

    async fn fingerprint_of(&self, crm_id: &str, pw: &str) -> Result<StoredFingerprint> {
        let salt = self.salt().await?;
        let derived = self
            .ports
            .pbkdf2(pw, &salt, fingerprint::FINGERPRINT_ITERATIONS, fingerprint::DERIVE_BITS)
            .await?;
        Ok(StoredFingerprint::new(crm_id, &derived, pw.chars().count()))
    }

    fn login_lock(&self, tab_id: i32) -> Rc<Mutex<()>> {
        self.pw.login_locks.borrow_mut().entry(tab_id).or_insert_with(|| Rc::new(Mutex::new(()))).clone()
    }

    /// A new document committed in the tab: its content scripts number their score requests
    /// from 1 again, so the previous documents' sequence numbers must not make them stale.
    pub(crate) fn password_new_document(&self, tab_id: i32) {
        self.pw.latest_seq.borrow_mut().retain(|(t, _), _| *t != tab_id);
    }

    pub(crate) fn password_tab_closed(&self, tab_id: i32) {
        self.pw.latest_seq.borrow_mut().retain(|(t, _), _| *t != tab_id);
        self.pw.login_locks.borrow_mut().remove(&tab_id);
    }

    /// A CRM login form was submitted: derive the fingerprint now, keep it pending in the tab's
    /// record until the next page says whether the login worked. Replies whether one is pending.
    ///
    /// Only a value the user typed is learnt (`typed`: the content script saw every change of it
    /// come from trusted key events): a page that sets the field and calls `requestSubmit()`
    /// gets a trusted `submit` too, and must not choose the CRM's fingerprint. A report without
    /// it is refused before anything is read or derived, and costs no derivation budget
    /// (`limits::Budget::of`). Derivations are also capped across tabs ([`Self::admit_derivation`]).
    pub(crate) async fn password_login(
        self: &Rc<Self>,
        tab_id: i32,
        url: String,
        pw: &str,
        typed: bool,
    ) -> Result<Value> {
        if !typed || pw.is_empty() {
            return Ok(Value::Bool(false));
        }
        let settings = self.settings().await?;
        if !(settings.settings.reuse_guard || settings.settings.phishing_guard) {
            return Ok(Value::Bool(false));
        }
        let Some(page) = self.crm_tenant_of(&url).await? else { return Ok(Value::Bool(false)) };
        // Another organisation's tenant: nothing is learnt there (not even derived), so a page
        // there cannot make its password "the CRM's" (and later phishing looks like the CRM).
        if !page.tenant.trusted() {
            return Ok(Value::Bool(false));
        }
        let crm_id = page.id;
        // The tab's lock first: its landing page, arriving meanwhile, waits for this login.
        let lock = self.login_lock(tab_id);
        let _guard = lock.lock().await;
        if !self.admit_derivation().await? {
            return Ok(json!({ "limited": true }));
        }
        let fingerprint = self.fingerprint_of(&crm_id, pw).await?;
        let pending = PendingLogin { fingerprint, at_ms: self.ports.now_ms() };
        self.with_tab(tab_id, async {
            let mut rec = self.load_tab(tab_id).await?;
            rec.pw_pending = Some(pending);
            self.save_tab(tab_id, &rec).await
        })
        .await?;
        Ok(Value::Bool(true))
    }

    /// A CRM page finished loading (`has_login_field`: the content script's scan). Completes a
    /// pending login (`crm_guard_core::password::login_outcome`) and puts the reuse finding on
    /// the tab when this CRM's password is also another CRM's. Replies with those CRMs' names.
    pub(crate) async fn password_page_loaded(
        self: &Rc<Self>,
        tab_id: i32,
        url: String,
        has_login_field: bool,
    ) -> Result<Value> {
        let lock = self.login_lock(tab_id);
        let _guard = lock.lock().await;
        let crm = self.crm_tenant_of(&url).await?;
        // The tenant a fingerprint learnt on this page is stored under; `None`: nothing is
        // learnt here (another organisation's tenant, or the CRM's shared sign-in page).
        let learn_on = crm.as_ref().and_then(|c| c.tenant.fingerprint_tenant().map(str::to_owned));
        let reuse_guard = self.settings().await?.settings.reuse_guard;
        let signin_page = match &crm {
            Some(c) if matches!(c.tenant, crm_guard_core::TenantStatus::Own { .. }) => true,
            Some(_) => {
                crm_guard_core::signin::is_credential_page(&self.settings().await?.settings.catalog(), &url)
            }
            None => false,
        };
        let _fingerprints = self.pw.fingerprints.lock().await;
        let mut stored: Vec<StoredFingerprint> =
            self.read(Area::Local, PW_FINGERPRINTS_KEY).await?.unwrap_or_default();
        let pending = self
            .with_tab(tab_id, async {
                let mut rec = self.load_tab(tab_id).await?;
                let pending = rec.pw_pending.take();
                // A login form on the CRM's sign-in page or on the organisation's own tenant starts
                // a sign-in for the MFA check (`export.rs`) — not a change-password form, nor a
                // stranger's tenant (an Experience site of another organisation).
                let signin_starts = has_login_field && rec.signin.is_none() && signin_page;
                if signin_starts && self.is_current_document(tab_id, &url, &rec).await {
                    let crm_id = crm.as_ref().map(|c| c.id.as_str()).unwrap_or_default();
                    rec.signin = crm_guard_core::signin::login_form_seen(None, crm_id, self.ports.now_ms());
                    self.save_tab(tab_id, &rec).await?;
                } else if pending.is_some() {
                    self.save_tab(tab_id, &rec).await?;
                }
                Ok::<_, crate::EngineError>(pending)
            })
            .await?;
        if let Some(pending) = pending {
            let outcome = password::login_outcome(
                &pending,
                crm.as_ref().filter(|_| learn_on.is_some()).map(|c| c.id.as_str()),
                has_login_field,
                self.ports.now_ms(),
            );
            if outcome == LoginOutcome::Succeeded {
                let new =
                    StoredFingerprint { tenant: learn_on.clone().unwrap_or_default(), ..pending.fingerprint };
                let others = fingerprint::reuse_findings(&stored, &new);
                fingerprint::upsert(&mut stored, new.clone());
                self.write(Area::Local, PW_FINGERPRINTS_KEY, &stored).await?;
                if !others.is_empty() && reuse_guard {
                    let this_name = self.crm_name(&new.crm_id).await?;
                    let mut names = Vec::new();
                    for other in &others {
                        names.push(self.crm_name(other).await?);
                        // The other CRM's open tabs get the finding too.
                        self.mark_crm_tabs(other, &this_name).await?;
                    }
                    let e = NewEvent::new(self.ports.now_ms(), EventKind::PasswordReuse)
                        .crm(new.crm_id.clone())
                        .host(url.clone())
                        .detail(names.join(", "));
                    self.log_event(e).await?;
                }
            }
        }
        let Some(page) = crm.filter(|c| c.tenant.trusted() && reuse_guard) else { return Ok(json!([])) };
        let mut others: Vec<String> = Vec::new();
        for mine in stored.iter().filter(|s| s.crm_id == page.id) {
            for other in fingerprint::reuse_findings(&stored, mine) {
                if !others.contains(&other) {
                    others.push(other);
                }
            }
        }
        let mut names = Vec::new();
        for other in others {
            names.push(self.crm_name(&other).await?);
        }
        let findings: Vec<Finding> =
            names.iter().map(|n| Finding::new(FindingKind::PasswordReuse).with_detail(n.clone())).collect();
        if !findings.is_empty() {
            self.add_findings(tab_id, findings).await?;
        }
        Ok(json!(names))
    }

    async fn crm_name(self: &Rc<Self>, id: &str) -> Result<String> {
        let catalog = self.settings().await?.settings.catalog();
        Ok(catalog.get(id).map_or_else(|| id.to_owned(), |e| e.name.to_string()))
    }

    /// Adds the reuse finding (detail: `with_name`) to every open tab of CRM `crm_id`.
    async fn mark_crm_tabs(self: &Rc<Self>, crm_id: &str, with_name: &str) -> Result<()> {
        for tab in self.ports.query().await? {
            let Some(url) = tab.url else { continue };
            if self.crm_tenant_of(&url).await?.is_some_and(|c| c.id == crm_id && c.tenant.trusted()) {
                let f = Finding::new(FindingKind::PasswordReuse).with_detail(with_name);
                self.add_findings(tab.id, vec![f]).await?;
            }
        }
        Ok(())
    }

    /// A password typed (trusted key events) on a page that may not be a CRM (or is another
    /// organisation's tenant of one): when it is a CRM's
    /// password, log a phishing event and reply that CRM's name for the in-page alert. Rate
    /// limited, only with policy `phishingGuard`.
    pub(crate) async fn password_phish_check(self: &Rc<Self>, url: String, pw: &str) -> Result<Value> {
        let settings = self.settings().await?;
        if !settings.settings.phishing_guard || pw.is_empty() {
            return Ok(Value::Null);
        }
        let stored: Vec<StoredFingerprint> =
            self.read(Area::Local, PW_FINGERPRINTS_KEY).await?.unwrap_or_default();
        // The organisation's CRM (or a CRM without tenant checks) is the reuse guard's business;
        // another organisation's tenant of a CRM is a foreign site like any other.
        if stored.is_empty() || self.crm_tenant_of(&url).await?.is_some_and(|c| c.tenant.trusted()) {
            return Ok(Value::Null);
        }
        let mut limiter: CheckLimiter = self
            .read(Area::Session, PW_LIMITER_KEY)
            .await?
            .unwrap_or_else(|| CheckLimiter::new(CHECKS_PER_MINUTE));
        let allowed = limiter.allow(self.ports.now_ms());
        self.write(Area::Session, PW_LIMITER_KEY, &limiter).await?;
        if !allowed {
            return Ok(json!({ "limited": true }));
        }
        let candidate = self.fingerprint_of("", pw).await?;
        let Some(crm_id) = password::phishing_alert(&stored, None, candidate.bits, candidate.length) else {
            return Ok(Value::Null);
        };
        let name = self.crm_name(&crm_id).await?;
        let e = NewEvent::new(self.ports.now_ms(), EventKind::PhishingAlert)
            .crm(crm_id.clone())
            .host(url)
            .level(Level::AtRisk)
            .detail(name.clone());
        self.log_event(e).await?;
        Ok(json!({ "crmId": crm_id, "crmName": name }))
    }

    /// For the popup: does policy want the phishing guard, and is `<all_urls>` granted.
    pub(crate) async fn phishing_status(self: &Rc<Self>) -> Result<Value> {
        let wanted = self.settings().await?.settings.phishing_guard;
        Ok(json!({ "wanted": wanted, "granted": self.ports.has_all_urls().await }))
    }

    /// Keeps the phishing content script registered exactly when policy wants it and the
    /// optional `<all_urls>` permission is granted. Returns whether it is.
    pub(crate) async fn sync_phishing(self: &Rc<Self>) -> Result<bool> {
        let wanted = self.settings().await?.settings.phishing_guard && self.ports.has_all_urls().await;
        self.ports.set_phishing_script(wanted).await?;
        Ok(wanted)
    }
}
