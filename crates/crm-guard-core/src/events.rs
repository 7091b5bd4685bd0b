//! The security event log and the reporting wire format.
//!
//! - [`EventLog`]: a bounded ring buffer of [`Event`]s shown on the options page and exported
//!   as JSON or CSV.
//! - [`ReportQueue`]: the events not yet accepted by IT's endpoint, sent in [`Batch`]es with a
//!   deterministic back-off. Both are plain data the extension persists with serde.
//! - [`report_body`] and [`sign`]: the signed JSON body, with the install id, send time and nonce
//!   of each [`Sending`] inside what is signed (see `docs/policy.md`, "Reporting endpoint").
//!
//! **Invariant:** an event carries a host, never a URL path, query, cookie value or password;
//! its detail is at most [`MAX_DETAIL_CHARS`] characters.

use std::collections::VecDeque;
use std::fmt::Write as _;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::finding::Level;

/// `schema` of the report body.
pub const SCHEMA: &str = "crm-guard.events.v1";
/// The header carrying [`sign`]'s result.
pub const SIGNATURE_HEADER: &str = "X-CRM-Guard-Signature";
/// Longer details are cut.
pub const MAX_DETAIL_CHARS: usize = 200;
/// The report queue keeps at most this many unsent events (the oldest go first).
pub const MAX_QUEUED: usize = 10_000;
/// First retry delay after a failed report.
pub const BACKOFF_START_MS: u64 = 5_000;
/// Longest retry delay.
pub const BACKOFF_MAX_MS: u64 = 15 * 60 * 1000;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum EventKind {
    /// A navigation to a CRM over http was upgraded or blocked.
    HttpsUpgradeBlocked,
    /// A finding was raised on a CRM tab (detail: the finding id).
    FindingRaised,
    /// Signed out after the idle timeout.
    IdleLogout,
    /// Signed out because IT changed `forceLogoutToken`.
    ForcedLogout,
    /// Signed out because the screen locked.
    LockLogout,
    /// The user chose "Sign out of all CRMs now" (popup).
    UserLogout,
    /// A weak CRM password was refused (`passwordMode: block`).
    WeakPasswordBlocked,
    /// A CRM password is used on another CRM.
    PasswordReuse,
    /// A CRM password was typed on a site that is not a CRM.
    PhishingAlert,
    /// A policy value was rejected (detail: key and reason).
    PolicyError,
    /// A page reported more than CRM Guard keeps (detail: `host cap`, or the finding id whose
    /// details overflowed on one document): see [`crate::evidence`].
    EvidenceCapped,
    /// IT asked for a test event (diagnostics page): proves the way to the receiver.
    ReportingTest,
    /// A download of data from a CRM (detail: kind, recipe, what was done, size, file name as
    /// policy allows, the user's reason). Not capped per host: a page cannot spend the cap to
    /// hide one.
    DataExport,
    /// A copy to the clipboard from a CRM page over policy's threshold (detail: sizes only).
    LargeCopy,
    /// A CRM page was printed.
    PagePrinted,
    /// A CRM sign-in completed with no second factor seen (detail: the sign-in recipe).
    SignInWithoutMfa,
}

impl EventKind {
    /// Every kind, in the order the options page lists them.
    pub const ALL: [EventKind; 16] = [
        EventKind::HttpsUpgradeBlocked,
        EventKind::FindingRaised,
        EventKind::IdleLogout,
        EventKind::ForcedLogout,
        EventKind::LockLogout,
        EventKind::UserLogout,
        EventKind::WeakPasswordBlocked,
        EventKind::PasswordReuse,
        EventKind::PhishingAlert,
        EventKind::PolicyError,
        EventKind::EvidenceCapped,
        EventKind::ReportingTest,
        EventKind::DataExport,
        EventKind::LargeCopy,
        EventKind::PagePrinted,
        EventKind::SignInWithoutMfa,
    ];

    /// The serialised name (`idleLogout`).
    pub fn id(self) -> &'static str {
        match self {
            EventKind::HttpsUpgradeBlocked => "httpsUpgradeBlocked",
            EventKind::FindingRaised => "findingRaised",
            EventKind::IdleLogout => "idleLogout",
            EventKind::ForcedLogout => "forcedLogout",
            EventKind::LockLogout => "lockLogout",
            EventKind::UserLogout => "userLogout",
            EventKind::WeakPasswordBlocked => "weakPasswordBlocked",
            EventKind::PasswordReuse => "passwordReuse",
            EventKind::PhishingAlert => "phishingAlert",
            EventKind::PolicyError => "policyError",
            EventKind::EvidenceCapped => "evidenceCapped",
            EventKind::ReportingTest => "reportingTest",
            EventKind::DataExport => "dataExport",
            EventKind::LargeCopy => "largeCopy",
            EventKind::PagePrinted => "pagePrinted",
            EventKind::SignInWithoutMfa => "signInWithoutMfa",
        }
    }

    /// Whether a page decides how often this happens (what it loads, submits, navigates to):
    /// such events are capped per host ([`crate::evidence::admit`]). Logouts and policy errors
    /// are not.
    pub fn page_driven(self) -> bool {
        match self {
            EventKind::HttpsUpgradeBlocked
            | EventKind::FindingRaised
            | EventKind::WeakPasswordBlocked
            | EventKind::PasswordReuse
            | EventKind::PhishingAlert
            | EventKind::EvidenceCapped
            | EventKind::LargeCopy
            | EventKind::PagePrinted
            | EventKind::SignInWithoutMfa => true,
            EventKind::DataExport
            | EventKind::IdleLogout
            | EventKind::ForcedLogout
            | EventKind::LockLogout
            | EventKind::UserLogout
            | EventKind::PolicyError
            | EventKind::ReportingTest => false,
        }
    }
}

/// One security event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// Monotonic per browser profile; the receiver deduplicates on it.
    pub id: u64,
    /// Unix time in milliseconds.
    pub time_ms: u64,
    pub kind: EventKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crm_id: Option<String>,
    /// A host name only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// An event before the log numbers it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewEvent {
    pub time_ms: u64,
    pub kind: Option<EventKind>,
    pub crm_id: Option<String>,
    /// A host or a URL: only the host is kept.
    pub host: Option<String>,
    pub level: Option<Level>,
    pub detail: Option<String>,
}

impl NewEvent {
    pub fn new(time_ms: u64, kind: EventKind) -> Self {
        NewEvent { time_ms, kind: Some(kind), ..NewEvent::default() }
    }

    pub fn crm(mut self, crm_id: impl Into<String>) -> Self {
        self.crm_id = Some(crm_id.into());
        self
    }

    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }

    pub fn level(mut self, level: Level) -> Self {
        self.level = Some(level);
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// The host of `input`, a host or a URL; `None` when there is no plausible host. Drops scheme,
/// user info, port, path, query and fragment.
pub fn host_only(input: &str) -> Option<String> {
    let s = input.trim();
    let s = s.split_once("://").map_or(s, |(_, rest)| rest);
    let s = s.split(['/', '?', '#', '\\']).next().unwrap_or("");
    let s = s.rsplit_once('@').map_or(s, |(_, host)| host);
    let host = if s.starts_with('[') {
        s.split_inclusive(']').next().unwrap_or("")
    } else {
        s.split(':').next().unwrap_or("")
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let ok = !host.is_empty()
        && host.len() <= 253
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'[' | b']' | b':'));
    ok.then_some(host)
}

fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_owned(),
        Some((i, _)) => s[..i].to_owned(),
    }
}

/// Which events to show or export. Empty fields match everything.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Filter {
    pub crm_id: Option<String>,
    /// Events at this level or worse (events without a level do not match).
    pub min_level: Option<Level>,
    pub kind: Option<EventKind>,
}

impl Filter {
    pub fn matches(&self, e: &Event) -> bool {
        self.crm_id.as_ref().is_none_or(|c| e.crm_id.as_ref() == Some(c))
            && self.min_level.is_none_or(|l| e.level.is_some_and(|el| el >= l))
            && self.kind.is_none_or(|k| e.kind == k)
    }
}

/// The last `capacity` events, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventLog {
    capacity: usize,
    next_id: u64,
    events: VecDeque<Event>,
}

impl Default for EventLog {
    fn default() -> Self {
        EventLog::new(1000)
    }
}

impl EventLog {
    /// An empty log keeping at most `capacity` (at least 1) events; `eventLogSize` in policy.
    pub fn new(capacity: usize) -> Self {
        EventLog { capacity: capacity.max(1), next_id: 1, events: VecDeque::new() }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Changes the capacity (policy changed), dropping the oldest events if needed.
    pub fn set_capacity(&mut self, capacity: usize) {
        self.capacity = capacity.max(1);
        while self.events.len() > self.capacity {
            self.events.pop_front();
        }
    }

    /// Numbers and stores an event, dropping the oldest when full; returns it (to queue it for
    /// reporting). Only the host of `host` is kept and `detail` is cut to [`MAX_DETAIL_CHARS`].
    pub fn push(&mut self, new: NewEvent) -> &Event {
        let event = Event {
            id: self.next_id,
            time_ms: new.time_ms,
            kind: new.kind.unwrap_or(EventKind::FindingRaised),
            crm_id: new.crm_id.map(|c| cut(&c, 100)),
            host: new.host.as_deref().and_then(host_only),
            level: new.level,
            detail: new.detail.map(|d| cut(&d, MAX_DETAIL_CHARS)),
        };
        self.next_id += 1;
        if self.events.len() >= self.capacity {
            self.events.pop_front();
        }
        self.events.push_back(event);
        self.events.back().expect("just pushed")
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Every event, oldest first.
    pub fn events(&self) -> impl DoubleEndedIterator<Item = &Event> {
        self.events.iter()
    }

    /// The events matching `filter`, oldest first.
    pub fn filter<'a>(&'a self, filter: &'a Filter) -> impl DoubleEndedIterator<Item = &'a Event> + 'a {
        self.events.iter().filter(move |e| filter.matches(e))
    }

    pub fn clear(&mut self) {
        self.events.clear();
    }

    /// The matching events as a JSON array.
    pub fn to_json(&self, filter: &Filter) -> String {
        let events: Vec<&Event> = self.filter(filter).collect();
        serde_json::to_string_pretty(&events).unwrap_or_else(|_| "[]".into())
    }

    /// The matching events as CSV (RFC 4180, CRLF), safe to open in a spreadsheet.
    pub fn to_csv(&self, filter: &Filter) -> String {
        let mut out = String::from("id,time,kind,crm,host,level,detail\r\n");
        for e in self.filter(filter) {
            let cells = [
                e.id.to_string(),
                iso8601(e.time_ms),
                e.kind.id().to_owned(),
                e.crm_id.clone().unwrap_or_default(),
                e.host.clone().unwrap_or_default(),
                e.level.map(|l| l.id().to_owned()).unwrap_or_default(),
                e.detail.clone().unwrap_or_default(),
            ];
            let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
            out.push_str(&line.join(","));
            out.push_str("\r\n");
        }
        out
    }
}

/// One CSV cell: quoted when needed, and a leading `=`, `+`, `-`, `@` (or tab/CR that
/// spreadsheets skip) neutralised with `'` so the cell is never a formula.
pub fn csv_cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_owned() };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// `2024-06-01T12:00:00.000Z` from Unix milliseconds (UTC).
pub fn iso8601(ms: u64) -> String {
    let secs = ms / 1000;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z", rem / 3600, rem / 60 % 60, rem % 60, ms % 1000)
}

/// The UTC year of Unix milliseconds (the password scorer's reference year).
pub fn year_of_ms(ms: u64) -> i32 {
    civil_from_days((ms / 86_400_000) as i64).0 as i32
}

/// (year, month, day) of a day counted from 1970-01-01: Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Events sent together. Retries resend the same batch (same id, same events).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Batch {
    pub batch_id: u64,
    pub events: Vec<Event>,
}

/// Events waiting for the reporting endpoint, persisted by the extension.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportQueue {
    pending: VecDeque<Event>,
    in_flight: Option<Batch>,
    next_batch_id: u64,
    failures: u32,
    next_attempt_ms: u64,
    /// Events dropped because the queue was full.
    dropped: u64,
}

impl ReportQueue {
    pub fn new() -> Self {
        ReportQueue::default()
    }

    /// Queues an event; beyond [`MAX_QUEUED`] the oldest unsent one is dropped (and counted).
    pub fn push(&mut self, event: Event) {
        if self.pending.len() >= MAX_QUEUED {
            self.pending.pop_front();
            self.dropped += 1;
        }
        self.pending.push_back(event);
    }

    /// Events not yet acknowledged (in flight included).
    pub fn len(&self) -> usize {
        self.pending.len() + self.in_flight.as_ref().map_or(0, |b| b.events.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// The batch to send now: the unacknowledged batch in flight if there is one (a retry,
    /// unchanged), else up to `max` (at least 1) of the oldest pending events. `None`: nothing to send.
    pub fn next_batch(&mut self, max: usize) -> Option<Batch> {
        if self.in_flight.is_none() {
            if self.pending.is_empty() {
                return None;
            }
            let n = max.max(1).min(self.pending.len());
            self.next_batch_id += 1;
            self.in_flight =
                Some(Batch { batch_id: self.next_batch_id, events: self.pending.drain(..n).collect() });
        }
        self.in_flight.clone()
    }

    /// The endpoint accepted `batch_id`: its events leave the queue. Idempotent; other ids are ignored.
    pub fn ack(&mut self, batch_id: u64) {
        if self.in_flight.as_ref().is_some_and(|b| b.batch_id == batch_id) {
            self.in_flight = None;
            self.failures = 0;
            self.next_attempt_ms = 0;
        }
    }

    /// Sending failed at `now_ms`: retry after 5 s, 10 s, 20 s… up to 15 min.
    pub fn fail(&mut self, now_ms: u64) {
        self.failures = self.failures.saturating_add(1);
        self.next_attempt_ms = now_ms.saturating_add(backoff_ms(self.failures));
    }

    /// Whether to send now: something is queued and the back-off has passed.
    pub fn due(&self, now_ms: u64) -> bool {
        !self.is_empty() && now_ms >= self.next_attempt_ms
    }

    /// When the next attempt may happen (for an alarm).
    pub fn next_attempt_ms(&self) -> u64 {
        self.next_attempt_ms
    }
}

/// The delay after `failures` consecutive failures (≥ 1).
pub fn backoff_ms(failures: u32) -> u64 {
    let doublings = failures.saturating_sub(1).min(20);
    BACKOFF_START_MS.saturating_mul(1 << doublings).min(BACKOFF_MAX_MS)
}

/// Bytes of randomness in a report's nonce (hex in the body).
pub const NONCE_BYTES: usize = 16;
/// Bytes of randomness in an install id (hex in the body).
pub const INSTALL_ID_BYTES: usize = 16;

/// One sending of a batch: who sends it and when, signed with it so that a receiver can reject a
/// replay (see `docs/policy.md`, "Replays"). A retry of the same batch is a new sending: same
/// batch id and events, fresh `sent_ms` and `nonce`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sending<'a> {
    /// Random, created once per browser profile (`storage.local`); event ids count per install.
    pub install_id: &'a str,
    /// Unix milliseconds when this attempt left.
    pub sent_ms: u64,
    /// Random per attempt, never reused.
    pub nonce: &'a str,
    pub extension_version: &'a str,
}

/// Lowercase hex of `bytes` (install ids and nonces).
pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// Whether `s` is an install id this version creates (`INSTALL_ID_BYTES` of lowercase hex).
pub fn is_install_id(s: &str) -> bool {
    s.len() == INSTALL_ID_BYTES * 2 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The report body: `{ "schema", "batchId", "installId", "sentMs", "nonce", "extensionVersion",
/// "events" }`, every field inside what [`sign`] covers.
pub fn report_body(batch: &Batch, sending: &Sending<'_>) -> String {
    body_with_events(batch, sending, &batch.events)
}

/// [`report_body`]'s envelope around `events` as given (the reporting formats pass each event with
/// its class: `reporting::crm_guard_body`).
pub(crate) fn body_with_events<E: Serialize>(batch: &Batch, sending: &Sending<'_>, events: E) -> String {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Body<'a, E> {
        schema: &'a str,
        batch_id: u64,
        install_id: &'a str,
        sent_ms: u64,
        nonce: &'a str,
        extension_version: &'a str,
        events: E,
    }
    let body = Body {
        schema: SCHEMA,
        batch_id: batch.batch_id,
        install_id: sending.install_id,
        sent_ms: sending.sent_ms,
        nonce: sending.nonce,
        extension_version: sending.extension_version,
        events,
    };
    serde_json::to_string(&body).unwrap_or_default()
}

/// The [`SIGNATURE_HEADER`] value: `sha256=` and the hex HMAC-SHA256 of `body` under `secret`.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC accepts keys of any length");
    mac.update(body);
    format!("sha256={}", hex(&mac.finalize().into_bytes()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
