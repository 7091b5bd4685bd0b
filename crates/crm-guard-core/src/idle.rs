//! The idle/lock auto-logout state machine, with time injected.
//!
//! The MV3 service worker can be stopped at any moment (Chromium stops it after about 30 s
//! without events), so the whole state is one small serde value, [`IdleMachine`], that the
//! worker keeps in `chrome.storage.session` and every decision is a pure function of
//! (state, event, `now_ms`). The machine reads no clock; it returns [`Action`]s for the worker
//! to carry out (show a notification, create an alarm, clear the CRM cookies…).
//!
//! ## Model
//! The browser reports `idle` once the user has been idle for the *detection interval*. We set
//! that interval to `idle_timeout − warning` (at least [`MIN_DETECTION_INTERVAL_SECS`]), so the
//! `idle` event starts the warning; the warning lasts the rest of the timeout and the logout
//! happens at its deadline unless input arrives (`active`) or the user clicks "Stay signed in".
//! A "Stay signed in" click counts only when the browser, asked right after it, reports
//! `active` (device input came): a click made by automation leaves the browser idle, and the
//! countdown goes on ([`IdleEvent::StayWithoutInput`]).
//! `locked` logs out at once when `logout_on_lock` (else it counts as `idle`). After a logout
//! the machine waits for the user to become active again before it arms anything: one logout
//! per idle period, never a loop.
//!
//! ## Time
//! `now_ms` is wall-clock time (`Date.now()`), the only clock an extension has that survives
//! the worker. It can jump:
//! - **Forwards** (system sleep, NTP, a user changing the clock): indistinguishable from time
//!   really passing, so it counts as elapsed time. A wake-up past the deadline logs out at once
//!   (fail-safe) — exactly one logout, however late.
//! - **Backwards**: the remaining time is re-based on the new clock — the deadline becomes
//!   `now + (deadline − clock at the last event)`. So a backwards jump never logs out earlier
//!   than the deadline the warning announced, and never extends it by the jump (the time left
//!   is never more than the timeout). It is not capped at the warning length: after a settings
//!   change during a warning (see below) the deadline can legitimately lie further ahead than
//!   the new warning length, even with a new warning of 0.
//!   While a warning runs, the alarm is re-armed at most every [`MAX_ALARM_STEP_MS`], so a
//!   backwards jump is noticed within that step even if no other event arrives.
//!
//! ## Settings change during a warning
//! The deadline moves to where the new settings put it: idle start + new timeout, and the
//! warning is announced again with that deadline. The warning length of the new settings only
//! matters for the next idle period (it sets the detection interval). A new timeout the user has
//! already been idle for logs out at once: the only logout before an announced deadline that is
//! not forced or a lock.
//!
//! ## Forced logout token
//! Policy can carry `forceLogoutToken`. A *change* of that token to a value not acted on yet
//! logs out now ([`LogoutReason::Forced`]). The token present when the machine is created
//! (install, browser start: `storage.session` is empty then) is **remembered, not acted on**:
//! otherwise every install, every browser start and every new profile would log the user out
//! for a token IT set weeks ago. Going back to no token, or to the token already acted on, does
//! nothing. Caveat: a token changed while the browser was closed is therefore not acted on;
//! a worker that wants that persists [`IdleMachine::acted_token`] in `storage.local` and passes
//! it to [`IdleMachine::with_acted_token`].

use serde::{Deserialize, Serialize};

pub mod logout;
mod wire;

/// `chrome.idle.setDetectionInterval` refuses less than 15 seconds.
pub const MIN_DETECTION_INTERVAL_SECS: u32 = 15;
/// Chromium clamps the detection interval to four hours.
pub const MAX_DETECTION_INTERVAL_SECS: u32 = 4 * 60 * 60;
/// While a warning runs, the alarm fires at least this often (the 30 s minimum period of
/// `chrome.alarms` in packed extensions), so that clock jumps are noticed.
pub const MAX_ALARM_STEP_MS: u64 = 30_000;

/// The settings the machine needs, already merged and range-checked by the policy module.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct IdleSettings {
    /// Total idle time before logout, warning included.
    pub idle_timeout_ms: u64,
    /// How long the "you will be signed out" warning lasts before the logout.
    pub warning_ms: u64,
    /// Log out at once when the screen locks.
    pub logout_on_lock: bool,
    /// Changing it (in managed policy) forces a logout; see the module docs.
    pub force_logout_token: Option<String>,
}

impl Default for IdleSettings {
    fn default() -> Self {
        IdleSettings {
            idle_timeout_ms: 15 * 60 * 1000,
            warning_ms: 60 * 1000,
            logout_on_lock: true,
            force_logout_token: None,
        }
    }
}

impl IdleSettings {
    /// The `chrome.idle` detection interval: `timeout − warning`, within 15 s … 4 h.
    pub fn detection_interval_secs(&self) -> u32 {
        let secs = self.idle_timeout_ms.saturating_sub(self.warning_ms).div_ceil(1000);
        let secs = u32::try_from(secs).unwrap_or(u32::MAX);
        secs.clamp(MIN_DETECTION_INTERVAL_SECS, MAX_DETECTION_INTERVAL_SECS)
    }

    /// How long the warning really lasts: the part of the timeout left once the browser
    /// reports `idle` (0 when the timeout is shorter than the minimum detection interval).
    pub fn effective_warning_ms(&self) -> u64 {
        let detection_ms = u64::from(self.detection_interval_secs()) * 1000;
        self.idle_timeout_ms.saturating_sub(detection_ms)
    }
}

/// What `chrome.idle` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum BrowserIdleState {
    Active,
    Idle,
    Locked,
}

/// Everything that can happen to the machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase", tag = "type")]
pub enum IdleEvent {
    /// `chrome.idle.onStateChanged`, or the result of `chrome.idle.queryState` on wake.
    Browser { state: BrowserIdleState },
    /// The user clicked "Stay signed in", and the browser, asked right after, reports `active`:
    /// a real click or key press (device input) came.
    StaySignedIn,
    /// "Stay signed in" was clicked but the browser, asked right after, still reports `state`
    /// (idle or locked): no device input came (automation, another extension driving the page).
    /// It ends nothing: the idle period goes on, so does its countdown — the warning is shown
    /// again with the deadline it had (an overdue one logs out) — and a lock counts as a lock.
    StayWithoutInput { state: BrowserIdleState },
    /// The alarm the machine asked for fired.
    Alarm,
    /// The worker (re)started: reconcile the stored state with the clock.
    Wake,
    /// Settings changed (options page, managed policy).
    Settings { settings: IdleSettings },
    /// The user asked to sign out of every CRM now ("Sign out of all CRMs now" in the popup).
    /// The same logout as idle's; a running warning ends. The machine stays armed (the user is
    /// at the keyboard, and `chrome.idle` reports no transition to `active` for a click): the
    /// next idle period starts the countdown again.
    SignOutNow,
}

/// Why the machine logs out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum LogoutReason {
    Idle,
    Locked,
    Forced,
    /// The user's own "Sign out of all CRMs now".
    User,
}

impl LogoutReason {
    /// Stable id (message keys `logout_reason_<id>`, audit events).
    pub fn id(self) -> &'static str {
        match self {
            LogoutReason::Idle => "idle",
            LogoutReason::Locked => "locked",
            LogoutReason::Forced => "forced",
            LogoutReason::User => "user",
        }
    }
}

/// What the worker must do, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase", tag = "type")]
pub enum Action {
    /// Show (or update) the warning with a countdown to `deadline_ms`.
    ShowWarning { deadline_ms: u64 },
    /// Remove the warning.
    CancelWarning,
    /// (Re)create the one idle alarm at `at_ms` (`chrome.alarms.create(name, {when})`).
    ScheduleAlarm { at_ms: u64 },
    /// Clear the idle alarm.
    ClearAlarm,
    /// Log out of the CRMs now. `idle_minutes`: how long the user had been idle, for the log.
    Logout { reason: LogoutReason, idle_minutes: u64 },
    /// `chrome.idle.setDetectionInterval(seconds)`.
    SetDetectionInterval { seconds: u32 },
}

/// Where the machine is. Read back by hand (`idle/wire.rs`), in the format this writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase", tag = "phase")]
pub enum Phase {
    /// The user is (as far as we know) active; nothing is armed.
    Active,
    /// The warning is showing; logout at `deadline_ms`.
    Warning {
        /// When the user went idle (the `idle` event minus the detection interval).
        idle_since_ms: u64,
        deadline_ms: u64,
    },
    /// Logged out; waiting for the user to become active again.
    LoggedOut { reason: LogoutReason },
}

/// What the popup shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IdleStatus {
    pub phase: Phase,
    /// Time left before the auto-logout: the full timeout while active, the countdown during
    /// the warning, `None` once logged out.
    pub time_left_ms: Option<u64>,
    pub detection_interval_secs: u32,
}

/// The auto-logout state machine. Serialise it after every call and keep it in
/// `chrome.storage.session`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdleMachine {
    settings: IdleSettings,
    phase: Phase,
    /// `now_ms` of the last call: how backwards clock jumps are seen.
    last_now_ms: Option<u64>,
    /// The last force-logout token acted on (or remembered at creation).
    acted_token: Option<String>,
}

impl IdleMachine {
    /// A fresh machine. The current `force_logout_token` is remembered, not acted on.
    pub fn new(settings: IdleSettings) -> Self {
        let acted_token = settings.force_logout_token.clone();
        IdleMachine { settings, phase: Phase::Active, last_now_ms: None, acted_token }
    }

    /// A fresh machine that knows which token was last acted on (kept by the worker in
    /// `storage.local` across browser restarts). If `settings` carry a different token, the next
    /// event (normally [`IdleEvent::Wake`]) logs out with [`LogoutReason::Forced`].
    /// `acted_token == None` means "never saw one": the current token is then remembered.
    pub fn with_acted_token(settings: IdleSettings, acted_token: Option<String>) -> Self {
        let mut m = IdleMachine::new(settings);
        if acted_token.is_some() {
            m.acted_token = acted_token;
        }
        m
    }

    pub fn settings(&self) -> &IdleSettings {
        &self.settings
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// The token last acted on, to persist in `storage.local` if wanted.
    pub fn acted_token(&self) -> Option<&str> {
        self.acted_token.as_deref()
    }

    /// The interval to pass to `chrome.idle.setDetectionInterval`.
    pub fn detection_interval_secs(&self) -> u32 {
        self.settings.detection_interval_secs()
    }

    /// Time left before the auto-logout (see [`IdleStatus::time_left_ms`]).
    pub fn time_left_ms(&self, now_ms: u64) -> Option<u64> {
        match self.phase {
            Phase::Active => Some(self.settings.idle_timeout_ms.max(self.min_total_ms())),
            Phase::Warning { deadline_ms, .. } => Some(deadline_ms.saturating_sub(now_ms)),
            Phase::LoggedOut { .. } => None,
        }
    }

    /// Everything the popup needs.
    pub fn status(&self, now_ms: u64) -> IdleStatus {
        IdleStatus {
            phase: self.phase,
            time_left_ms: self.time_left_ms(now_ms),
            detection_interval_secs: self.detection_interval_secs(),
        }
    }

    /// Reconciles the stored state with the clock: on worker start and when the alarm fires.
    /// An overdue warning logs out at once (once).
    pub fn reconcile(&mut self, now_ms: u64) -> Vec<Action> {
        let mut out = Vec::new();
        self.observe_clock(now_ms, &mut out);
        self.settle(now_ms, &mut out);
        out
    }

    /// Feeds one event at `now_ms`; returns the actions to carry out, in order.
    pub fn on_event(&mut self, event: IdleEvent, now_ms: u64) -> Vec<Action> {
        let mut out = Vec::new();
        self.observe_clock(now_ms, &mut out);
        match event {
            IdleEvent::Alarm => {
                self.settle(now_ms, &mut out);
            }
            IdleEvent::Wake => {
                out.push(Action::SetDetectionInterval { seconds: self.detection_interval_secs() });
                self.check_token(now_ms, &mut out);
                self.settle(now_ms, &mut out);
            }
            IdleEvent::Browser { state: BrowserIdleState::Active } => {
                // Input after the deadline does not rescue the session (sleep/resume).
                self.logout_if_overdue(now_ms, &mut out);
                if let Phase::Warning { .. } = self.phase {
                    out.push(Action::CancelWarning);
                    out.push(Action::ClearAlarm);
                }
                self.phase = Phase::Active;
            }
            IdleEvent::StaySignedIn => {
                self.logout_if_overdue(now_ms, &mut out);
                if let Phase::Warning { .. } = self.phase {
                    out.push(Action::CancelWarning);
                    out.push(Action::ClearAlarm);
                    self.phase = Phase::Active;
                }
            }
            IdleEvent::StayWithoutInput { state: BrowserIdleState::Active } => {
                out.extend(self.on_event(IdleEvent::StaySignedIn, now_ms));
            }
            IdleEvent::StayWithoutInput { state } => {
                // As if the browser said so again: the countdown from the current state (a
                // warning that was running keeps its deadline; the lock logs out).
                let was_warning = matches!(self.phase, Phase::Warning { .. });
                out.extend(self.on_event(IdleEvent::Browser { state }, now_ms));
                // The content script hid the warning on the click: show it again.
                if let (true, Phase::Warning { deadline_ms, .. }) = (was_warning, self.phase) {
                    if !out.iter().any(|a| matches!(a, Action::ShowWarning { .. })) {
                        out.push(Action::ShowWarning { deadline_ms });
                    }
                }
            }
            IdleEvent::Browser { state: BrowserIdleState::Locked } if self.settings.logout_on_lock => {
                match self.phase {
                    Phase::Active => self.logout(LogoutReason::Locked, now_ms, &mut out),
                    Phase::Warning { .. } => {
                        // Locked before the deadline: out now, with the lock as the reason.
                        if !self.logout_if_overdue(now_ms, &mut out) {
                            self.logout(LogoutReason::Locked, now_ms, &mut out);
                        }
                    }
                    Phase::LoggedOut { .. } => {}
                }
            }
            IdleEvent::Browser { state: BrowserIdleState::Idle | BrowserIdleState::Locked } => {
                match self.phase {
                    Phase::Active => {
                        let detection_ms = u64::from(self.detection_interval_secs()) * 1000;
                        let idle_since_ms = now_ms.saturating_sub(detection_ms);
                        let deadline_ms = now_ms.saturating_add(self.settings.effective_warning_ms());
                        self.start_warning(idle_since_ms, deadline_ms, now_ms, &mut out);
                    }
                    Phase::Warning { .. } => {
                        self.settle(now_ms, &mut out);
                    }
                    Phase::LoggedOut { .. } => {}
                }
            }
            IdleEvent::Settings { settings } => self.apply_settings(settings, now_ms, &mut out),
            IdleEvent::SignOutNow => {
                if let Phase::Warning { .. } = self.phase {
                    out.push(Action::CancelWarning);
                    out.push(Action::ClearAlarm);
                }
                out.push(Action::Logout { reason: LogoutReason::User, idle_minutes: 0 });
                self.phase = Phase::Active;
            }
        }
        out
    }

    fn min_total_ms(&self) -> u64 {
        u64::from(self.detection_interval_secs()) * 1000
    }

    /// Re-bases a running deadline after a backwards clock jump, keeping the time that was left
    /// at the last event (never less: the warning announced that deadline).
    fn observe_clock(&mut self, now_ms: u64, out: &mut Vec<Action>) {
        let last = self.last_now_ms.replace(now_ms);
        let Some(last) = last else { return };
        if now_ms >= last {
            return;
        }
        if let Phase::Warning { idle_since_ms, deadline_ms } = self.phase {
            // Not capped at the current warning length: a settings change during the warning
            // may have put the deadline further ahead (`apply_settings`), and cutting it back
            // would log out before the deadline the warning shows.
            let remaining = deadline_ms.saturating_sub(last);
            let deadline_ms = now_ms.saturating_add(remaining);
            let back = last - now_ms;
            let idle_since_ms = idle_since_ms.saturating_sub(back).min(now_ms);
            self.phase = Phase::Warning { idle_since_ms, deadline_ms };
            if remaining > 0 {
                out.push(Action::ShowWarning { deadline_ms });
                out.push(Action::ScheduleAlarm { at_ms: next_alarm(now_ms, deadline_ms) });
            }
        }
    }

    /// Logs out if a running warning is overdue. Returns whether it logged out.
    fn logout_if_overdue(&mut self, now_ms: u64, out: &mut Vec<Action>) -> bool {
        match self.phase {
            Phase::Warning { deadline_ms, .. } if now_ms >= deadline_ms => {
                self.logout(LogoutReason::Idle, now_ms, out);
                true
            }
            _ => false,
        }
    }

    /// Logs out if a running warning is overdue, else keeps its alarm armed. Returns whether
    /// it logged out.
    fn settle(&mut self, now_ms: u64, out: &mut Vec<Action>) -> bool {
        let Phase::Warning { deadline_ms, .. } = self.phase else { return false };
        if now_ms >= deadline_ms {
            self.logout(LogoutReason::Idle, now_ms, out);
            true
        } else {
            let at_ms = next_alarm(now_ms, deadline_ms);
            if !out.contains(&Action::ScheduleAlarm { at_ms }) {
                out.push(Action::ScheduleAlarm { at_ms });
            }
            false
        }
    }

    fn start_warning(&mut self, idle_since_ms: u64, deadline_ms: u64, now_ms: u64, out: &mut Vec<Action>) {
        if now_ms >= deadline_ms && !matches!(self.phase, Phase::Warning { .. }) {
            // No warning to show (the timeout is shorter than the minimum detection interval).
            let idle_minutes = now_ms.saturating_sub(idle_since_ms) / 60_000;
            out.push(Action::Logout { reason: LogoutReason::Idle, idle_minutes });
            self.phase = Phase::LoggedOut { reason: LogoutReason::Idle };
            return;
        }
        self.phase = Phase::Warning { idle_since_ms, deadline_ms };
        if now_ms >= deadline_ms {
            self.logout(LogoutReason::Idle, now_ms, out);
        } else {
            out.push(Action::ShowWarning { deadline_ms });
            out.push(Action::ScheduleAlarm { at_ms: next_alarm(now_ms, deadline_ms) });
        }
    }

    fn logout(&mut self, reason: LogoutReason, now_ms: u64, out: &mut Vec<Action>) {
        let idle_minutes = match self.phase {
            Phase::Warning { idle_since_ms, .. } => {
                out.push(Action::CancelWarning);
                out.push(Action::ClearAlarm);
                now_ms.saturating_sub(idle_since_ms) / 60_000
            }
            _ => 0,
        };
        out.push(Action::Logout { reason, idle_minutes });
        self.phase = Phase::LoggedOut { reason };
    }

    fn check_token(&mut self, now_ms: u64, out: &mut Vec<Action>) {
        let Some(token) = self.settings.force_logout_token.clone() else { return };
        if self.acted_token.as_deref() == Some(token.as_str()) {
            return;
        }
        self.acted_token = Some(token);
        match self.phase {
            // The user is active: log out, but stay armed for the next idle period (the next
            // `idle` event only comes after input, which we would not see as a transition).
            Phase::Active => out.push(Action::Logout { reason: LogoutReason::Forced, idle_minutes: 0 }),
            Phase::Warning { .. } | Phase::LoggedOut { .. } => self.logout(LogoutReason::Forced, now_ms, out),
        }
    }

    fn apply_settings(&mut self, settings: IdleSettings, now_ms: u64, out: &mut Vec<Action>) {
        let old_interval = self.detection_interval_secs();
        self.settings = settings;
        if self.detection_interval_secs() != old_interval {
            out.push(Action::SetDetectionInterval { seconds: self.detection_interval_secs() });
        }
        self.check_token(now_ms, out);
        if let Phase::Warning { idle_since_ms, deadline_ms } = self.phase {
            // The deadline moves to where the new settings put it (idle start + new timeout).
            // A shorter timeout that has already elapsed logs out now.
            let total = self.settings.idle_timeout_ms.max(self.min_total_ms());
            let new_deadline = idle_since_ms.saturating_add(total).max(now_ms);
            if new_deadline != deadline_ms {
                self.start_warning(idle_since_ms, new_deadline, now_ms, out);
            } else {
                self.settle(now_ms, out);
            }
        }
    }
}

impl IdleSettings {
    /// The idle settings in force from the merged policy (already range-checked there: a bad
    /// value has become the default, never "no logout").
    pub fn from_policy(s: &crate::policy::Settings) -> Self {
        IdleSettings {
            idle_timeout_ms: u64::from(s.idle_timeout_minutes) * 60_000,
            warning_ms: u64::from(s.warning_seconds) * 1000,
            logout_on_lock: s.logout_on_lock,
            force_logout_token: s.force_logout_token.clone(),
        }
    }

    /// Applies a test override (`timeout_ms`, `warning_ms`) that can only make the logout come
    /// sooner: each value is the smaller of the two. The worker honours it for unpacked
    /// (development) installs only; see `extension/worker/idle.js`.
    pub fn shortened(mut self, timeout_ms: u64, warning_ms: u64) -> Self {
        self.idle_timeout_ms = self.idle_timeout_ms.min(timeout_ms);
        self.warning_ms = self.warning_ms.min(warning_ms);
        self
    }
}

/// The next alarm during a warning: the deadline, or sooner to notice clock jumps.
fn next_alarm(now_ms: u64, deadline_ms: u64) -> u64 {
    deadline_ms.min(now_ms.saturating_add(MAX_ALARM_STEP_MS))
}

#[cfg(test)]
mod tests;
