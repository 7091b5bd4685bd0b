//! The reporting endpoint's wire formats, chosen by policy `reportingFormat`: pure functions from a
//! [`Batch`] of the report queue to the request to send ([`request`]). The queue, its batching,
//! back-off and at-least-once delivery (`events::ReportQueue`) are the same for every format.
//!
//! - `crm-guard`: the signed JSON batch (`events::SCHEMA`), HMAC in `X-CRM-Guard-Signature`.
//! - `otlp`: an OTLP/HTTP JSON `ExportLogsServiceRequest`: one log record per event, severity
//!   from the level, the event's fields as `crm_guard.*` attributes, the product, version,
//!   browser and install id as resource attributes.
//! - `splunk-hec`: Splunk HTTP Event Collector JSON, one event object per event.
//!
//! Each event carries its OCSF class ([`ocsf`]) so a SIEM can normalise it without a parser.
//! Names of attributes and fields are documented in `docs/policy.md`, "Reporting formats".

use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::events::{sign, Batch, Event, EventKind, Sending, SIGNATURE_HEADER};
use crate::finding::Level;
use crate::policy::ReportingFormat;

/// `service.name` (OTLP) and `source` (Splunk HEC).
pub const PRODUCT: &str = "crm-guard";
/// Splunk HEC `sourcetype`.
pub const SPLUNK_SOURCETYPE: &str = "crm_guard:event";
/// Prefix of every OTLP attribute describing an event.
pub const ATTRIBUTE_PREFIX: &str = "crm_guard.";

/// The OCSF class of an event: enough for a SIEM to file it (`type_uid` = class × 100 + activity).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Ocsf {
    pub class_uid: u32,
    pub class_name: &'static str,
    pub category_uid: u32,
    pub category_name: &'static str,
    pub activity_id: u32,
    pub activity_name: &'static str,
    pub type_uid: u32,
}

const fn class(
    class_uid: u32,
    class_name: &'static str,
    category_name: &'static str,
    activity_id: u32,
    activity_name: &'static str,
) -> Ocsf {
    Ocsf {
        class_uid,
        class_name,
        category_uid: class_uid / 1000,
        category_name,
        activity_id,
        activity_name,
        type_uid: class_uid * 100 + activity_id,
    }
}

/// The OCSF (1.3) class of each event kind.
pub fn ocsf(kind: EventKind) -> Ocsf {
    const FINDING: Ocsf = class(2004, "Detection Finding", "Findings", 1, "Create");
    const LOGOFF: Ocsf = class(3002, "Authentication", "Identity & Access Management", 2, "Logoff");
    match kind {
        EventKind::FindingRaised
        | EventKind::WeakPasswordBlocked
        | EventKind::PasswordReuse
        | EventKind::PhishingAlert
        | EventKind::EvidenceCapped => FINDING,
        EventKind::IdleLogout | EventKind::ForcedLogout | EventKind::LockLogout | EventKind::UserLogout => {
            LOGOFF
        }
        EventKind::HttpsUpgradeBlocked => class(4002, "HTTP Activity", "Network Activity", 99, "Other"),
        EventKind::PolicyError => class(5019, "Device Config State Change", "Discovery", 1, "Log"),
        EventKind::ReportingTest => class(6002, "Application Lifecycle", "Application Activity", 99, "Other"),
        EventKind::DataExport | EventKind::LargeCopy | EventKind::PagePrinted => {
            class(1001, "File System Activity", "System Activity", 99, "Other")
        }
        EventKind::SignInWithoutMfa => {
            class(3002, "Authentication", "Identity & Access Management", 1, "Logon")
        }
    }
}

/// OTLP severity (`SeverityNumber`, text): the event's level, else what the kind is.
pub fn severity(e: &Event) -> (u8, &'static str) {
    match e.level {
        Some(Level::AtRisk) => (17, "ERROR"),
        Some(Level::Warning) => (13, "WARN"),
        Some(Level::Secure) => (9, "INFO"),
        None if e.kind == EventKind::PolicyError => (13, "WARN"),
        None => (9, "INFO"),
    }
}

/// How the receiver authenticates a request: the policy's credentials for the format in force.
#[derive(Debug, Clone, Copy, Default)]
pub struct Credentials<'a> {
    /// `reportingHmacSecret` (`crm-guard`).
    pub hmac_secret: Option<&'a str>,
    /// `reportingToken` (`otlp` bearer, `splunk-hec` token).
    pub token: Option<&'a str>,
    /// `reportingAuthHeader`: carries the token verbatim instead of `Authorization`.
    pub auth_header: Option<&'a str>,
}

/// Who sends and from where, beside [`Sending`].
#[derive(Debug, Clone)]
pub struct Origin<'a> {
    pub sending: Sending<'a>,
    /// The browser's user agent (`navigator.userAgent`).
    pub user_agent: &'a str,
}

/// A request to send: the body and its headers (the URL is the policy's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub body: String,
    pub headers: Vec<(String, String)>,
}

/// The request carrying `batch` in `format`. `None` when the format's credential is missing
/// (the policy's check turns reporting off then; this never sends unsigned `crm-guard` reports).
pub fn request(
    format: ReportingFormat,
    batch: &Batch,
    origin: &Origin<'_>,
    creds: &Credentials<'_>,
) -> Option<Request> {
    let mut headers = vec![("Content-Type".to_owned(), "application/json".to_owned())];
    let body = match format {
        ReportingFormat::CrmGuard => {
            let body = crm_guard_body(batch, &origin.sending);
            headers.push((SIGNATURE_HEADER.into(), sign(creds.hmac_secret?.as_bytes(), body.as_bytes())));
            return Some(Request { body, headers });
        }
        ReportingFormat::Otlp => otlp_body(batch, origin),
        ReportingFormat::SplunkHec => {
            creds.token?;
            splunk_hec_body(batch, origin)
        }
    };
    if let Some(token) = creds.token {
        let scheme = if format == ReportingFormat::SplunkHec { "Splunk" } else { "Bearer" };
        headers.push(match creds.auth_header {
            Some(name) => (name.to_owned(), token.to_owned()),
            None => ("Authorization".to_owned(), format!("{scheme} {token}")),
        });
    }
    Some(Request { body, headers })
}

/// An event with its OCSF class beside its fields.
#[derive(Serialize)]
struct Classified<'a> {
    #[serde(flatten)]
    event: &'a Event,
    ocsf: Ocsf,
}

fn classified(events: &[Event]) -> Vec<Classified<'_>> {
    events.iter().map(|event| Classified { event, ocsf: ocsf(event.kind) }).collect()
}

/// The `crm-guard` body: `events::report_body`'s fields, each event with its `ocsf` class.
pub fn crm_guard_body(batch: &Batch, sending: &Sending<'_>) -> String {
    crate::events::body_with_events(batch, sending, classified(&batch.events))
}

/// `Chrome 156` / `Microsoft Edge 130` / `Chromium 156` / `Firefox 140` from a user agent; the
/// whole agent when none of them is named.
pub fn browser_name(user_agent: &str) -> String {
    let version = |marker: &str| {
        user_agent.split(marker).nth(1).map(|rest| rest.split(['.', ' ']).next().unwrap_or("").to_owned())
    };
    for (marker, name) in [
        ("Edg/", "Microsoft Edge"),
        ("Firefox/", "Firefox"),
        ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"),
    ] {
        if let Some(v) = version(marker) {
            return format!("{name} {v}");
        }
    }
    user_agent.chars().take(100).collect()
}

fn any(v: Value) -> Value {
    match v {
        Value::String(s) => json!({ "stringValue": s }),
        // OTLP/JSON: 64-bit integers are decimal strings.
        Value::Number(n) => json!({ "intValue": n.to_string() }),
        Value::Bool(b) => json!({ "boolValue": b }),
        other => json!({ "stringValue": other.to_string() }),
    }
}

fn attributes(pairs: Vec<(&str, Value)>) -> Vec<Value> {
    pairs.into_iter().map(|(k, v)| json!({ "key": k, "value": any(v) })).collect()
}

/// The OTLP attributes of one event: its fields under `crm_guard.`, its OCSF class under
/// `crm_guard.ocsf.`, and `event.name`.
pub fn otlp_attributes(e: &Event, batch_id: u64) -> Vec<(String, Value)> {
    let c = ocsf(e.kind);
    let mut out: Vec<(String, Value)> = vec![
        ("event.name".into(), json!(format!("crm_guard.{}", e.kind.id()))),
        ("crm_guard.event.id".into(), json!(e.id)),
        ("crm_guard.event.kind".into(), json!(e.kind.id())),
        ("crm_guard.batch.id".into(), json!(batch_id)),
    ];
    for (k, v) in [("crm", &e.crm_id), ("host", &e.host), ("detail", &e.detail)] {
        if let Some(v) = v {
            out.push((format!("crm_guard.{k}"), json!(v)));
        }
    }
    if let Some(l) = e.level {
        out.push(("crm_guard.level".into(), json!(l.id())));
    }
    out.extend([
        ("crm_guard.ocsf.class_uid".into(), json!(c.class_uid)),
        ("crm_guard.ocsf.class_name".into(), json!(c.class_name)),
        ("crm_guard.ocsf.category_uid".into(), json!(c.category_uid)),
        ("crm_guard.ocsf.activity_id".into(), json!(c.activity_id)),
        ("crm_guard.ocsf.type_uid".into(), json!(c.type_uid)),
    ]);
    out
}

fn summary(e: &Event) -> String {
    let mut s = e.kind.id().to_owned();
    if let Some(h) = &e.host {
        s = format!("{s} on {h}");
    }
    if let Some(d) = &e.detail {
        s = format!("{s}: {d}");
    }
    s
}

fn nanos(ms: u64) -> String {
    (u128::from(ms) * 1_000_000).to_string()
}

/// The `otlp` body: one `ExportLogsServiceRequest` (OTLP/HTTP JSON encoding) for the batch.
pub fn otlp_body(batch: &Batch, origin: &Origin<'_>) -> String {
    let s = &origin.sending;
    let resource = attributes(vec![
        ("service.name", json!(PRODUCT)),
        ("service.version", json!(s.extension_version)),
        ("service.instance.id", json!(s.install_id)),
        ("browser.name", json!(browser_name(origin.user_agent))),
        ("user_agent.original", json!(origin.user_agent)),
    ]);
    let records: Vec<Value> = batch
        .events
        .iter()
        .map(|e| {
            let (number, text) = severity(e);
            let attrs: Vec<Value> = otlp_attributes(e, batch.batch_id)
                .into_iter()
                .map(|(k, v)| json!({ "key": k, "value": any(v) }))
                .collect();
            json!({
                "timeUnixNano": nanos(e.time_ms),
                "observedTimeUnixNano": nanos(s.sent_ms),
                "severityNumber": number,
                "severityText": text,
                "body": { "stringValue": summary(e) },
                "attributes": attrs,
            })
        })
        .collect();
    let body = json!({
        "resourceLogs": [{
            "resource": { "attributes": resource },
            "scopeLogs": [{
                "scope": { "name": PRODUCT, "version": s.extension_version },
                "logRecords": records,
            }],
        }],
    });
    body.to_string()
}

/// The `splunk-hec` body: one HEC event object per event, separated by newlines (HEC's batch
/// form). `host` is the install id; `time` is in seconds with milliseconds.
pub fn splunk_hec_body(batch: &Batch, origin: &Origin<'_>) -> String {
    let s = &origin.sending;
    let mut out = String::new();
    for c in classified(&batch.events) {
        let mut event = match serde_json::to_value(&c) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        };
        event.insert("batchId".into(), json!(batch.batch_id));
        event.insert("extensionVersion".into(), json!(s.extension_version));
        event.insert("browser".into(), json!(browser_name(origin.user_agent)));
        let time = c.event.time_ms as f64 / 1000.0;
        let hec = json!({
            "time": time,
            "host": s.install_id,
            "source": PRODUCT,
            "sourcetype": SPLUNK_SOURCETYPE,
            "event": event,
        });
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&hec.to_string());
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
