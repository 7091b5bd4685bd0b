//! Idle and lock auto-logout: drives `crm_guard_core::idle`'s state machine. The machine lives
//! in `storage.session` (`idleMachine`), its deadline in one alarm, the last force-logout token
//! acted on in `storage.local`. Every input loads the machine, feeds it at `now`, carries out the
//! actions and saves it, under the idle lock (one at a time, never behind a tab's work). The
//! logout recipe is `crm_guard_core::idle::logout`'s; this file performs it.

use std::rc::Rc;

use crm_guard_core::events::{EventKind, NewEvent};
use crm_guard_core::idle::logout::{self, Cookie, LogoutPlan, OpenTab};
use crm_guard_core::idle::{
    Action, BrowserIdleState, IdleEvent, IdleMachine, IdleSettings, LogoutReason, Phase,
};
use crm_guard_core::{Catalog, PageUrl};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::ports::{Area, HttpRequest, Ports};
use crate::protocol::names::{
    IDLE_ACTED_KEY, IDLE_ALARM, IDLE_MACHINE_KEY, IDLE_TEST_OVERRIDE_KEY, SIGNED_OUT_PAGE,
};
use crate::store::to_value;
use crate::{Engine, Result};

/// The logout URL call is time-boxed: a CRM that hangs must not delay the rest.
const LOGOUT_URL_TIMEOUT_MS: u32 = 3000;
/// How long a tab gets to leave the CRM before it is closed.
const TAB_LEAVE_TIMEOUT_MS: u64 = 3000;
/// How long content scripts get to show or drop the warning.
const TELL_TABS_MS: u32 = 1000;

/// What happened, for the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Input {
    /// The worker started: an overdue countdown logs out at once; the browser is asked its state.
    Wake,
    Alarm,
    StaySignedIn,
    Browser(BrowserIdleState),
    /// Settings changed (already invalidated).
    Settings,
    /// "Sign out of all CRMs now" (popup).
    SignOutNow,
}

/// Test-only shortening of the timeout, honoured for unpacked installs only, and only ever
/// making the logout sooner.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TestOverride {
    timeout_ms: u64,
    warning_ms: u64,
}

impl<P: Ports + 'static> Engine<P> {
    /// The idle settings in force (with the development override), and the catalog.
    async fn idle_settings(self: &Rc<Self>) -> Result<(IdleSettings, Catalog)> {
        let effective = self.settings().await?;
        let mut s = IdleSettings::from_policy(&effective.settings);
        if let Some(o) = self.read::<TestOverride>(Area::Local, IDLE_TEST_OVERRIDE_KEY).await? {
            if self.ports.is_development().await {
                s = s.shortened(o.timeout_ms, o.warning_ms);
            }
        }
        Ok((s, effective.settings.catalog()))
    }

    async fn load_machine(&self, settings: &IdleSettings) -> Result<IdleMachine> {
        if let Some(m) = self.read::<IdleMachine>(Area::Session, IDLE_MACHINE_KEY).await? {
            return Ok(m);
        }
        let acted: Option<String> = self.read(Area::Local, IDLE_ACTED_KEY).await?;
        Ok(IdleMachine::with_acted_token(settings.clone(), acted))
    }

    /// Feeds one input to the machine and carries out what it says. Returns the status after it.
    pub(crate) async fn idle_event(self: &Rc<Self>, input: Input) -> Result<Value> {
        let _guard = self.idle_lock.lock().await;
        let (settings, catalog) = self.idle_settings().await?;
        let mut m = self.load_machine(&settings).await?;
        let acted_before = m.acted_token().map(str::to_owned);
        let mut actions = Vec::new();
        // Settings changed since the machine last saw them (options, policy, test override).
        if m.settings() != &settings {
            actions.extend(m.on_event(IdleEvent::Settings { settings }, self.ports.now_ms()));
        }
        let event = match input {
            Input::Wake => {
                actions.extend(m.on_event(IdleEvent::Wake, self.ports.now_ms()));
                // Events are not lost while the worker sleeps, but the state may have moved on.
                let state = self.ports.query_state(m.detection_interval_secs()).await?;
                Some(IdleEvent::Browser { state })
            }
            Input::Alarm => Some(IdleEvent::Alarm),
            Input::StaySignedIn => {
                // "Stay signed in" proves nothing by itself: automation or another extension can
                // click it with no device input, and chrome.idle, still idle, would then never
                // fire again — a session with no countdown at all. So the browser is asked: a
                // real click or key press has made it active; still idle (or locked) means nobody
                // touched the machine, and the countdown goes on from that state.
                match self.ports.query_state(m.detection_interval_secs()).await? {
                    BrowserIdleState::Active => Some(IdleEvent::StaySignedIn),
                    state => Some(IdleEvent::StayWithoutInput { state }),
                }
            }
            Input::Browser(state) => Some(IdleEvent::Browser { state }),
            Input::Settings => None,
            Input::SignOutNow => Some(IdleEvent::SignOutNow),
        };
        if let Some(event) = event {
            actions.extend(m.on_event(event, self.ports.now_ms()));
        }
        for action in actions {
            if let Err(e) = self.perform(&action, &catalog).await {
                self.report_failure(&format!("idle action {action:?}"), &e);
            }
        }
        // Saved after the actions: a worker stopped in the middle of a logout logs out again on wake.
        self.write(Area::Session, IDLE_MACHINE_KEY, &m).await?;
        if let Some(t) = m.acted_token() {
            if acted_before.as_deref() != Some(t) || acted_before.is_none() {
                self.write(Area::Local, IDLE_ACTED_KEY, &t).await?;
            }
        }
        to_value(&m.status(self.ports.now_ms()))
    }

    /// The running warning for a content script that (re)loads during the countdown.
    pub(crate) async fn idle_warning_for(self: &Rc<Self>, url: &str) -> Result<Value> {
        let _guard = self.idle_lock.lock().await;
        let (settings, catalog) = self.idle_settings().await?;
        let m = self.load_machine(&settings).await?;
        let Phase::Warning { deadline_ms, .. } = m.phase() else { return Ok(Value::Null) };
        let Some(entry) = PageUrl::parse(url).ok().and_then(|u| catalog.classify(&u).cloned()) else {
            return Ok(Value::Null);
        };
        Ok(json!({ "deadlineMs": deadline_ms, "crmName": entry.name }))
    }

    /// The popup: the status, and whether the tab is a CRM tab.
    pub(crate) async fn idle_status(self: &Rc<Self>, tab_id: i32) -> Result<Value> {
        let _guard = self.idle_lock.lock().await;
        let (settings, catalog) = self.idle_settings().await?;
        let m = self.load_machine(&settings).await?;
        let url = self.ports.url_of(tab_id).await.ok().flatten();
        let crm_tab =
            url.and_then(|u| PageUrl::parse(&u).ok()).is_some_and(|u| catalog.classify(&u).is_some());
        let mut status = to_value(&m.status(self.ports.now_ms()))?;
        status["crmTab"] = crm_tab.into();
        Ok(status)
    }

    async fn open_tabs(&self) -> Result<Vec<OpenTab>> {
        let tabs = self.ports.query().await?;
        Ok(tabs.into_iter().map(|t| OpenTab { id: t.id, url: t.url }).collect())
    }

    /// Tells every CRM tab's content scripts (each gets its CRM's name).
    async fn tell_crm_tabs(&self, catalog: &Catalog, msg: Value, within_ms: u32) -> Result<()> {
        for tab in logout::plan(catalog, &self.open_tabs().await?, &[]).tabs {
            let mut msg = msg.clone();
            msg["crmName"] = tab.crm_name.into();
            self.ports.tell(&[tab.tab_id], &msg, within_ms).await;
        }
        Ok(())
    }

    async fn perform(self: &Rc<Self>, action: &Action, catalog: &Catalog) -> Result<()> {
        match action {
            Action::ShowWarning { deadline_ms } => {
                self.tell_crm_tabs(
                    catalog,
                    json!({ "type": "idleWarning", "deadlineMs": deadline_ms }),
                    TELL_TABS_MS,
                )
                .await
            }
            Action::CancelWarning => {
                self.tell_crm_tabs(catalog, json!({ "type": "idleCancel" }), TELL_TABS_MS).await
            }
            Action::ScheduleAlarm { at_ms } => Ok(self.ports.alarm_at(IDLE_ALARM, *at_ms).await?),
            Action::ClearAlarm => Ok(self.ports.clear_alarm(IDLE_ALARM).await?),
            Action::SetDetectionInterval { seconds } => Ok(self.ports.set_detection_interval(*seconds)?),
            Action::Logout { reason, idle_minutes } => self.log_out(catalog, *reason, *idle_minutes).await,
        }
    }

    /// Logs out of every CRM; each step's failure is reported and the next step still runs.
    async fn log_out(
        self: &Rc<Self>,
        catalog: &Catalog,
        reason: LogoutReason,
        idle_minutes: u64,
    ) -> Result<()> {
        let tabs = self.open_tabs().await.unwrap_or_default();
        let cookies = self.crm_cookies(catalog, &tabs).await;
        let plan = logout::plan(catalog, &tabs, &cookies);

        // 1. The CRM's own logout, while its cookies are still there (time-boxed, all at once).
        let calls = plan.logout_urls.iter().map(|url| {
            let req = HttpRequest {
                url: url.clone(),
                body: None,
                headers: Vec::new(),
                with_cookies: true,
                manual_redirect: true,
                timeout_ms: LOGOUT_URL_TIMEOUT_MS,
                read_bytes: 0,
            };
            async move { self.ports.fetch(&req).await.is_ok() }
        });
        let failed = futures::future::join_all(calls).await.into_iter().filter(|ok| !ok).count();

        // Content scripts clear what only the page can reach (sessionStorage) and drop the warning.
        self.tell_crm_tabs(catalog, json!({ "type": "idleLogout" }), 500).await.ok();

        // 2. Cookies, host-exact.
        self.ports.remove_cookies(&plan.cookies, 3000).await;

        // 3. Site data of the CRM origins only.
        if !plan.origins.is_empty() {
            if let Err(e) = self.ports.clear_origins(&plan.origins).await {
                self.ports.log_error(&format!("[crm-guard] removing CRM site data failed: {e}"));
            }
        }

        // 4. Every CRM tab to the signed-out page; a tab that does not leave the CRM is closed.
        for tab in &plan.tabs {
            let query = logout::signed_out_query(&tab.crm_name, reason, idle_minutes, &tab.origin);
            let url = format!("{}?{query}", self.ports.extension_url(SIGNED_OUT_PAGE));
            let moved = self.ports.navigate(tab.tab_id, &url).await.is_ok()
                && self.left_crm(catalog, tab.tab_id).await;
            if !moved {
                self.ports.close(tab.tab_id).await.ok();
            }
        }

        // 5. One security event per logout.
        let kind = match reason {
            LogoutReason::Idle => EventKind::IdleLogout,
            LogoutReason::Locked => EventKind::LockLogout,
            LogoutReason::Forced => EventKind::ForcedLogout,
            LogoutReason::User => EventKind::UserLogout,
        };
        let mut event = NewEvent::new(self.ports.now_ms(), kind).detail(detail(&plan, idle_minutes, failed));
        if let [only] = plan.crm_ids.as_slice() {
            event = event.crm(only.clone());
        }
        if let Some(t) = plan.tabs.first() {
            event = event.host(t.origin.clone());
        }
        self.log_event(event).await.map(|_| ())
    }

    /// Every cookie of the CRM hosts (the catalog's domains and the open CRM tabs' hosts).
    async fn crm_cookies(&self, catalog: &Catalog, tabs: &[OpenTab]) -> Vec<Cookie> {
        let mut domains = logout::cookie_query_domains(catalog);
        for t in logout::plan(catalog, tabs, &[]).tabs {
            if let Ok(u) = PageUrl::parse(&t.origin) {
                domains.push(u.host);
            }
        }
        let domains = logout::sorted_unique(domains);
        let lists = futures::future::join_all(domains.iter().map(|d| self.ports.cookies(d))).await;
        let mut out: Vec<Cookie> = Vec::new();
        for c in lists.into_iter().flatten().flatten() {
            if !out.contains(&c) {
                out.push(c);
            }
        }
        out
    }

    /// Whether the tab has left the CRM (or is gone) within [`TAB_LEAVE_TIMEOUT_MS`].
    async fn left_crm(&self, catalog: &Catalog, tab_id: i32) -> bool {
        let start = self.ports.now_ms();
        loop {
            let Ok(url) = self.ports.url_of(tab_id).await else { return true };
            let on_crm =
                url.and_then(|u| PageUrl::parse(&u).ok()).is_some_and(|u| catalog.classify(&u).is_some());
            if !on_crm {
                return true;
            }
            if self.ports.now_ms().saturating_sub(start) > TAB_LEAVE_TIMEOUT_MS {
                return false;
            }
            self.ports.sleep(50).await;
        }
    }
}

fn detail(plan: &LogoutPlan, idle_minutes: u64, failed: usize) -> String {
    format!(
        "crms={}; tabs={}; cookies={}; idleMinutes={idle_minutes}; logoutUrls={}/{}",
        plan.crm_ids.join(","),
        plan.tabs.len(),
        plan.cookies.len(),
        plan.logout_urls.len() - failed,
        plan.logout_urls.len()
    )
}
