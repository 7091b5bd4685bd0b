//! Policy errors: who set a value, why it was rejected, how an error is shown (never a
//! secret), and the security events for new errors.

use std::collections::BTreeSet;
use std::fmt;

use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;
use thiserror::Error;

use super::specs::Key;
use super::MAX_DISPLAY_CHARS;
#[cfg(doc)]
use super::{MAX_LIST_LEN, MAX_STRING_BYTES};

/// Who set a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Source {
    /// The options page.
    User,
    /// `chrome.storage.managed` (IT policy).
    Managed,
}

/// Why a value was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
#[serde(tag = "code", rename_all = "camelCase")]
pub enum Reason {
    /// The key is not a CRM Guard setting.
    #[error("not a CRM Guard setting")]
    UnknownKey,
    /// The JSON type is wrong (`"15"` for an integer).
    #[error("expected {expected}, found {found}")]
    WrongType { expected: &'static str, found: &'static str },
    /// An integer outside the key's range.
    #[error("must be between {min} and {max}")]
    OutOfRange { min: i64, max: i64 },
    /// A string that is not one of the allowed values.
    #[error("must be one of: {}", allowed.join(", "))]
    NotOneOf { allowed: &'static [&'static str] },
    /// A string longer than the key allows (or than [`MAX_STRING_BYTES`]).
    #[error("longer than {max} characters")]
    TooLong { max: usize },
    /// A string shorter than the key allows.
    #[error("shorter than {min} characters")]
    TooShort { min: usize },
    /// A list longer than [`MAX_LIST_LEN`].
    #[error("more than {max} entries")]
    TooManyItems { max: usize },
    /// A host pattern that does not parse.
    #[error("bad host pattern: {detail}")]
    BadPattern { detail: &'static str },
    /// A tenant of `tenants` that is refused for its CRM.
    #[error("bad tenant for {crm}: {detail}")]
    BadTenant { crm: String, detail: String },
    /// A string that is not a URL.
    #[error("not a valid URL: {detail}")]
    BadUrl { detail: String },
    /// A URL that is not `https:`.
    #[error("must be an https:// URL")]
    NotHttps,
    /// A CRM id not in the built-in catalog.
    #[error("no CRM with this id in the catalog (see `crm-guard catalog`)")]
    UnknownCrm,
    /// `reportingUrl` without a valid `reportingHmacSecret`.
    #[error("reportingUrl is set but reportingHmacSecret is missing or invalid")]
    MissingSecret,
    /// `reportingFormat: splunk-hec` without a `reportingToken`.
    #[error("reportingFormat splunk-hec needs a reportingToken")]
    MissingToken,
    /// A field of a `crmHosts` object that is not `name`, `hosts` or `logoutUrl`.
    #[error("unknown field `{field}` (expected name, hosts, logoutUrl)")]
    UnknownField { field: String },
    /// A `crmHosts` object without any valid host.
    #[error("no valid host pattern in `hosts`")]
    NoHosts,
    /// The policy is not a JSON object.
    #[error("the policy must be a JSON object of settings")]
    NotAnObject,
    /// More errors of this key were not listed.
    #[error("{count} more problems not listed")]
    MoreErrors { count: usize },
}

/// A rejected value and what applies instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    /// The key (`idleTimeoutMinutes`), the unknown key as written (truncated), or `(policy)`.
    pub key: String,
    /// The offending value as compact JSON, truncated to [`MAX_DISPLAY_CHARS`] characters.
    pub value: String,
    pub reason: Reason,
    /// What applies instead, for people: `15 (the default)`, `entry skipped`…
    pub applied: String,
    pub source: Source,
}

impl PolicyError {
    /// The known key this error is about, if any.
    pub fn key(&self) -> Option<Key> {
        Key::from_name(&self.key)
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match self.source {
            Source::User => "options",
            Source::Managed => "managed policy",
        };
        write!(f, "{} = {} ({source}): {}; applies: {}", self.key, self.value, self.reason, self.applied)
    }
}

impl Serialize for PolicyError {
    /// `{ key, value, reason: { code, … }, message, applied, source }`.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("PolicyError", 6)?;
        st.serialize_field("key", &self.key)?;
        st.serialize_field("value", &self.value)?;
        st.serialize_field("reason", &self.reason)?;
        st.serialize_field("message", &self.reason.to_string())?;
        st.serialize_field("applied", &self.applied)?;
        st.serialize_field("source", &self.source)?;
        st.end()
    }
}

/// At most `max` characters, with `…` when cut.
pub(super) fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_owned(),
        Some((i, _)) => format!("{}…", &s[..i]),
    }
}

/// What an error may show of a rejected value: secrets never appear (errors reach the event
/// log, its exports and the reporting endpoint).
pub(super) fn shown_value(key: Key, v: &Value) -> String {
    if key.is_secret() {
        "(hidden)".into()
    } else {
        display_value(v)
    }
}

/// Compact JSON, at most [`MAX_DISPLAY_CHARS`] characters; never serialises more than a few
/// hundred bytes of a huge value.
pub fn display_value(v: &Value) -> String {
    struct Limited(Vec<u8>);
    impl std::io::Write for Limited {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let room = (MAX_DISPLAY_CHARS * 4 + 4).saturating_sub(self.0.len());
            if room == 0 {
                return Err(std::io::ErrorKind::WriteZero.into());
            }
            let n = buf.len().min(room);
            self.0.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut w = Limited(Vec::new());
    let _ = serde_json::to_writer(&mut w, v);
    truncate(&String::from_utf8_lossy(&w.0), MAX_DISPLAY_CHARS)
}

/// A short, stable digest of an error (FNV-1a 64 of its text, hex): what the extension remembers
/// to log each distinct policy error once, not on every worker wake.
pub fn error_digest(err: &PolicyError) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in err.to_string().bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Security events for the errors not logged yet. `seen` holds the digests of the errors of the
/// previous evaluation; returns the events to log and the digests to remember (the current
/// errors: an error that goes away and comes back is logged again).
pub fn new_error_events(
    errors: &[PolicyError],
    seen: &BTreeSet<String>,
    now_ms: u64,
) -> (Vec<crate::events::NewEvent>, BTreeSet<String>) {
    use crate::events::{EventKind, NewEvent};
    let mut current = BTreeSet::new();
    let mut events = Vec::new();
    for err in errors {
        let digest = error_digest(err);
        if !seen.contains(&digest) && !current.contains(&digest) {
            let level =
                if err.source == Source::Managed { crate::Level::AtRisk } else { crate::Level::Warning };
            events.push(NewEvent::new(now_ms, EventKind::PolicyError).level(level).detail(err.to_string()));
        }
        current.insert(digest);
    }
    (events, current)
}
