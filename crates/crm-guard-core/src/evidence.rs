//! Bounded evidence: how much one page can put into a tab's findings and into the security log.
//!
//! Everything a content script reports is page-influenced: a CRM page (or a script on it) can
//! request 200 images from 200 `http:` hosts, set cookie after cookie, reload itself. Two limits
//! hold, whatever it does:
//!
//! - **Per document** ([`add_findings`]): one finding per kind and level, listing the first
//!   [`MAX_DETAILS_PER_KIND`] details (hosts, cookie names) and counting the rest in
//!   [`Finding::more`]. Only the listed ones are new evidence (each is logged once); the moment a
//!   kind overflows is reported as [`Added::capped`], itself one event.
//! - **Per host, across documents** ([`admit`]): at most [`MAX_EVENTS_PER_HOST`] page-driven events
//!   ([`EventKind::page_driven`]) about one host in the log per [`HOST_WINDOW_MS`], then one
//!   [`EventKind::EvidenceCapped`] event says so, then nothing more from that host until the
//!   window moves on. The log keeps at least 100 events (`eventLogSize`), so one page can never
//!   evict it, nor the report queue, which only ever holds what the log admitted.
//!
//! Events that are not page-driven (logouts, policy errors) are never capped. The counts are read
//! from the log itself, so they survive a stopped worker with no state of their own.

use crate::events::{host_only, EventKind, EventLog, NewEvent};
use crate::finding::{Finding, FindingKind, DETAIL_SEPARATOR};

/// Details one finding lists on one document; further occurrences are counted, not listed.
pub const MAX_DETAILS_PER_KIND: usize = 3;
/// Page-driven events about one host the log admits per window.
pub const MAX_EVENTS_PER_HOST: usize = 20;
/// The window of [`MAX_EVENTS_PER_HOST`].
pub const HOST_WINDOW_MS: u64 = 60 * 60 * 1000;
/// The detail of the [`EventKind::EvidenceCapped`] event that closes a host's window.
pub const HOST_CAP_DETAIL: &str = "host cap";
/// `dataExport` events about one host the log admits per window: a count of their own, higher,
/// that page-driven events cannot spend (a page cannot hide an export behind copies).
pub const MAX_EXPORTS_PER_HOST: usize = 60;
/// The detail of the event that closes a host's export window.
pub const EXPORT_CAP_DETAIL: &str =
    "export cap: further downloads from this host this hour are decided by policy but not logged one by one";

/// What [`add_findings`] changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Added {
    /// New evidence: findings (or details of an aggregate) the document did not list yet.
    pub new: Vec<Finding>,
    /// Kinds that overflowed on this call (their first occurrence past the listed ones).
    pub capped: Vec<FindingKind>,
}

impl Added {
    /// A document's findings, all new (it just committed): the kinds that overflowed are capped.
    pub fn listed(findings: &[Finding]) -> Self {
        Added {
            new: findings.to_vec(),
            capped: findings.iter().filter(|f| f.more > 0).map(|f| f.kind).collect(),
        }
    }
}

/// Adds `found` to a document's `findings`, aggregated per kind and level.
pub fn add_findings(findings: &mut Vec<Finding>, found: impl IntoIterator<Item = Finding>) -> Added {
    let mut added = Added::default();
    for f in found {
        let same = |e: &&mut Finding| {
            e.kind == f.kind && e.level == f.level && e.detail.is_some() == f.detail.is_some()
        };
        let Some(existing) = findings.iter_mut().find(same) else {
            findings.push(Finding { more: 0, ..f.clone() });
            added.new.push(f);
            continue;
        };
        let Some(detail) = f.detail.as_deref() else { continue };
        if existing.details().any(|d| d == detail) {
            continue;
        }
        if existing.details().count() < MAX_DETAILS_PER_KIND && !detail.contains(DETAIL_SEPARATOR) {
            let listed = existing.detail.take().unwrap_or_default();
            existing.detail = Some(format!("{listed}{DETAIL_SEPARATOR}{detail}"));
            added.new.push(f);
        } else {
            existing.more = existing.more.saturating_add(1);
            if existing.more == 1 {
                added.capped.push(f.kind);
            }
        }
    }
    added
}

/// What the log does with a new event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Log it.
    Keep,
    /// Its host used up its window: log [`host_cap_event`] instead.
    CapReached,
    /// Its host's window is closed: drop it.
    Drop,
}

/// Whether `log` admits `new` (see the module docs).
pub fn admit(log: &EventLog, new: &NewEvent) -> Admission {
    let kind = new.kind.unwrap_or(EventKind::FindingRaised);
    let Some(host) = new.host.as_deref().and_then(host_only) else { return Admission::Keep };
    if kind == EventKind::DataExport {
        return admit_export(log, new.time_ms, &host);
    }
    if !kind.page_driven() {
        return Admission::Keep;
    }
    let since = new.time_ms.saturating_sub(HOST_WINDOW_MS);
    let mut count = 0;
    for e in log.events().rev().take_while(|e| e.time_ms >= since) {
        if e.host.as_deref() != Some(host.as_str()) || !e.kind.page_driven() {
            continue;
        }
        if is_host_cap(e.kind, e.detail.as_deref()) {
            return Admission::Drop;
        }
        count += 1;
    }
    if count < MAX_EVENTS_PER_HOST {
        Admission::Keep
    } else {
        Admission::CapReached
    }
}

/// `dataExport`'s own window per host ([`MAX_EXPORTS_PER_HOST`]).
fn admit_export(log: &EventLog, now_ms: u64, host: &str) -> Admission {
    let since = now_ms.saturating_sub(HOST_WINDOW_MS);
    let mut count = 0;
    for e in log.events().rev().take_while(|e| e.time_ms >= since) {
        if e.host.as_deref() != Some(host) {
            continue;
        }
        if e.kind == EventKind::EvidenceCapped && e.detail.as_deref() == Some(EXPORT_CAP_DETAIL) {
            return Admission::Drop;
        }
        count += usize::from(e.kind == EventKind::DataExport);
    }
    if count < MAX_EXPORTS_PER_HOST {
        Admission::Keep
    } else {
        Admission::CapReached
    }
}

/// The event logged in place of the one that used up its host's window.
pub fn host_cap_event(new: &NewEvent) -> NewEvent {
    if new.kind == Some(EventKind::DataExport) {
        return NewEvent {
            kind: Some(EventKind::EvidenceCapped),
            detail: Some(EXPORT_CAP_DETAIL.to_owned()),
            level: Some(crate::Level::AtRisk),
            ..new.clone()
        };
    }
    NewEvent {
        kind: Some(EventKind::EvidenceCapped),
        detail: Some(HOST_CAP_DETAIL.to_owned()),
        level: Some(crate::Level::Warning),
        ..new.clone()
    }
}

fn is_host_cap(kind: EventKind, detail: Option<&str>) -> bool {
    kind == EventKind::EvidenceCapped && detail == Some(HOST_CAP_DETAIL)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
