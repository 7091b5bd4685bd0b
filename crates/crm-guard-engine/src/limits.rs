//! Budgets for page-driven messages (issue 10, items 2–3). A script on a CRM page can make our
//! content scripts send as many messages as it likes (synthetic events, `requestSubmit()`), and
//! the worker is one thread: every message it works on delays the others, the idle logout
//! included. So each tab has a budget per kind of work, checked before anything else is done
//! (no await, no storage, no lock): a message over budget is answered `{"limited": true}` at
//! once. PBKDF2 derivations (a login's fingerprint) also have a budget across tabs. The budgets
//! live in the worker's memory: a restarted worker starts with full ones (restarting it is not
//! something a page can do cheaply).

use std::cell::RefCell;
use std::collections::HashMap;

use crm_guard_core::rate::TokenBucket;
use serde_json::{json, Value};

use crate::protocol::{From, Message};

/// The kinds of page-driven work, each with its own budget per tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Budget {
    /// `pwScore`: one per trusted keystroke at most (the meter keeps one request in flight per
    /// field), so a held key (about 30 a second) fits.
    Score,
    /// `pwLogin`: a PBKDF2 derivation of 600,000 iterations each.
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
            Message::PwLogin { .. } => Budget::Login,
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
    logins: RefCell<Option<TokenBucket>>,
}

impl State {
    /// Whether tab `tab_id` may have one more message of this budget at `now_ms` (counted if so).
    pub(crate) fn admit(&self, tab_id: i32, budget: Budget, now_ms: u64) -> bool {
        let (burst, rate) = budget.per_tab();
        let mut tabs = self.tabs.borrow_mut();
        let bucket = tabs.entry((tab_id, budget)).or_insert_with(|| TokenBucket::new(burst, rate, now_ms));
        if !bucket.take(now_ms) {
            return false;
        }
        if budget == Budget::Login {
            let (burst, rate) = LOGINS_ALL_TABS;
            let mut all = self.logins.borrow_mut();
            return all.get_or_insert_with(|| TokenBucket::new(burst, rate, now_ms)).take(now_ms);
        }
        true
    }

    /// The tab closed: forget its budgets.
    pub(crate) fn forget(&self, tab_id: i32) {
        self.tabs.borrow_mut().retain(|(t, _), _| *t != tab_id);
    }
}

/// The answer to a message over budget (`pwScore` keeps its sequence number).
pub(crate) fn limited_reply(message: &Message) -> Value {
    match message {
        Message::PwScore { seq, .. } => json!({ "seq": seq, "limited": true }),
        _ => json!({ "limited": true }),
    }
}
