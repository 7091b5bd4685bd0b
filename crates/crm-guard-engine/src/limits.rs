//! Budgets for page-driven messages (issue 10, items 2–3). A script on a CRM page can make our
//! content scripts send as many messages as it likes (synthetic events, `requestSubmit()`), and
//! the worker is one thread: every message it works on delays the others, the idle logout
//! included. So each tab has a budget per kind of work, checked before anything else is done
//! (no await, no storage, no lock): a message over budget is answered `{"limited": true}` at
//! once. The per-tab budgets live in the worker's memory: a restarted worker starts with full
//! ones. PBKDF2 derivations (a login's fingerprint) also have a budget across tabs, kept in
//! `storage.session` (`pwDeriveBudget`): it survives the worker being stopped and started again
//! (which Chromium does after 30 s without events), so waiting for a fresh worker buys no more.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use crm_guard_core::rate::TokenBucket;
use serde_json::{json, Value};
use tokio::sync::Mutex;

use crate::ports::{Area, Ports};
use crate::protocol::names::PW_DERIVE_BUDGET_KEY;
use crate::protocol::{From, Message};
use crate::{Engine, Result};

/// The kinds of page-driven work, each with its own budget per tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Budget {
    /// `pwScore`: one per trusted keystroke at most (the meter keeps one request in flight per
    /// field), so a held key (about 30 a second) fits.
    Score,
    /// `pwLogin` with a typed value: a PBKDF2 derivation of 600,000 iterations each (a report
    /// without one is refused at once and draws on `Other`).
    Login,
    /// `idleQuery`, `idleStay`, `idleDeadline`: these take the idle machine's lock.
    Idle,
    /// Every other message our content scripts send.
    Other,
}

impl Budget {
    /// The budget a message draws on; `None` for our extension pages' messages.
    pub(crate) fn of(message: &Message) -> Option<Budget> {
        if message.from() == From::Page {
            return None;
        }
        Some(match message {
            Message::PwScore { .. } => Budget::Score,
            Message::PwLogin { typed: true, .. } => Budget::Login,
            Message::IdleQuery | Message::IdleStay | Message::IdleDeadline => Budget::Idle,
            _ => Budget::Other,
        })
    }

    /// (burst, per minute) for one tab.
    fn per_tab(self) -> (u32, u32) {
        match self {
            Budget::Score => (40, 1_800),
            Budget::Login => (3, 3),
            Budget::Idle => (10, 120),
            Budget::Other => (60, 600),
        }
    }
}

/// Login derivations per minute across all tabs (burst, per minute).
const LOGINS_ALL_TABS: (u32, u32) = (6, 6);

#[derive(Default)]
pub(crate) struct State {
    tabs: RefCell<HashMap<(i32, Budget), TokenBucket>>,
    /// The derivation budget across tabs is read, taken from and written back under this lock.
    derivations: Mutex<()>,
}

impl State {
    /// Whether tab `tab_id` may have one more message of this budget at `now_ms` (counted if so).
    pub(crate) fn admit(&self, tab_id: i32, budget: Budget, now_ms: u64) -> bool {
        let (burst, rate) = budget.per_tab();
        let mut tabs = self.tabs.borrow_mut();
        let bucket = tabs.entry((tab_id, budget)).or_insert_with(|| TokenBucket::new(burst, rate, now_ms));
        bucket.take(now_ms)
    }

    /// The tab closed: forget its budgets.
    pub(crate) fn forget(&self, tab_id: i32) {
        self.tabs.borrow_mut().retain(|(t, _), _| *t != tab_id);
    }
}

impl<P: Ports + 'static> Engine<P> {
    /// Whether one more PBKDF2 derivation may run now across all tabs (counted if so). The
    /// budget is kept in `storage.session`, so it survives a restarted worker.
    pub(crate) async fn admit_derivation(self: &Rc<Self>) -> Result<bool> {
        let _guard = self.limits.derivations.lock().await;
        let now_ms = self.ports.now_ms();
        let (burst, rate) = LOGINS_ALL_TABS;
        let mut bucket: TokenBucket = self
            .read(Area::Session, PW_DERIVE_BUDGET_KEY)
            .await?
            .unwrap_or_else(|| TokenBucket::new(burst, rate, now_ms));
        let allowed = bucket.take(now_ms);
        self.write(Area::Session, PW_DERIVE_BUDGET_KEY, &bucket).await?;
        Ok(allowed)
    }
}

/// The answer to a message over budget (`pwScore` keeps its sequence number).
pub(crate) fn limited_reply(message: &Message) -> Value {
    match message {
        Message::PwScore { seq, .. } => json!({ "seq": seq, "limited": true }),
        _ => json!({ "limited": true }),
    }
}
