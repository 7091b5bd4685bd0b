//! Validation of one key's JSON value against its row of the key table: the value in force
//! and the problems, each reported with what applies instead.

use serde_json::Value;
use url::Url;

use super::error::truncate;
use super::settings::{SelfHostedCrm, Typed};
use super::{Key, Kind, Reason, MAX_DISPLAY_CHARS, MAX_LIST_LEN, MAX_STRING_BYTES, SELF_HOSTED_NAME};
use crate::catalog::BUILTIN;
use crate::host::{HostPattern, PatternError};
use crate::tenant::{tenancy, Tenancy, TenantError, TenantPattern, Tenants};

const MAX_NAME_CHARS: usize = 100;

/// Reports one problem: the offending value, why, and what applies instead (`None`: the key's
/// fallback).
pub(super) type Report<'a> = dyn FnMut(&Value, Reason, Option<String>) + 'a;

/// Validates one key's value. `None`: nothing usable (the fallback applies).
pub(super) fn check(key: Key, value: &Value, report: &mut Report<'_>) -> Option<Typed> {
    match key.spec().kind {
        Kind::Bool { .. } => match value {
            Value::Bool(b) => Some(Typed::Bool(*b)),
            other => wrong_type(other, "true or false", report),
        },
        Kind::Int { min, max, .. } => {
            let Some(i) = as_integer(value) else {
                return wrong_type(value, "an integer", report);
            };
            let clamped = i.clamp(min, max);
            if clamped != i {
                report(
                    value,
                    Reason::OutOfRange { min, max },
                    Some(format!("{clamped} (the nearest allowed)")),
                );
            }
            Some(Typed::Int(clamped))
        }
        Kind::Choice { values, .. } => {
            let Value::String(s) = value else { return wrong_type(value, "a string", report) };
            match values.iter().find(|v| **v == s) {
                Some(v) => Some(Typed::Choice(v)),
                None => {
                    report(value, Reason::NotOneOf { allowed: values }, None);
                    None
                }
            }
        }
        // `null` clears an optional string (the options page stores it so).
        Kind::Text { .. } | Kind::HttpsUrl if value.is_null() => Some(Typed::Text(None)),
        Kind::Text { min_chars, max_chars } => {
            let s = string(value, max_chars, report)?;
            if s.is_empty() {
                return Some(Typed::Text(None));
            }
            if s.chars().count() < min_chars {
                report(value, Reason::TooShort { min: min_chars }, None);
                return None;
            }
            Some(Typed::Text(Some(s.to_owned())))
        }
        Kind::HttpsUrl => {
            let s = string(value, MAX_STRING_BYTES, report)?;
            if s.is_empty() {
                return Some(Typed::Text(None));
            }
            match https_url(s) {
                Ok(url) => Some(Typed::Text(Some(url))),
                Err(reason) => {
                    report(value, reason, None);
                    None
                }
            }
        }
        Kind::HostList => list(value, report, |v, report| {
            let s = string(v, MAX_STRING_BYTES, report)?;
            pattern(v, s, report)
        })
        .map(|mut v| {
            dedup(&mut v);
            Typed::Hosts(v)
        }),
        Kind::CrmIdList => list(value, report, |v, report| {
            let s = string(v, MAX_STRING_BYTES, report)?;
            match BUILTIN.iter().find(|e| e.id == s) {
                Some(e) => Some(e.id.to_string()),
                None => {
                    report(v, Reason::UnknownCrm, Some("entry skipped".into()));
                    None
                }
            }
        })
        .map(|mut v| {
            dedup(&mut v);
            Typed::Ids(v)
        }),
        Kind::CrmList => list(value, report, self_hosted).map(Typed::Crms),
        Kind::TenantMap => tenant_map(value, report).map(Typed::Tenants),
    }
}

/// `tenants`: `{ "<catalog id>": ["<tenant>", …] }`. An unknown CRM, or one whose addresses do
/// not name the organisation, skips its entry; a refused tenant skips that tenant only.
fn tenant_map(value: &Value, report: &mut Report<'_>) -> Option<Tenants> {
    let Value::Object(obj) = value else { return wrong_type(value, "an object of CRM ids", report) };
    let mut out = Tenants::default();
    for (crm, v) in obj.iter().take(MAX_LIST_LEN) {
        let id = Value::String(truncate(crm, MAX_DISPLAY_CHARS));
        let Some(entry) = BUILTIN.iter().find(|e| e.id == crm.as_str()) else {
            report(&id, Reason::UnknownCrm, Some("entry skipped".into()));
            continue;
        };
        if tenancy(&entry.id) == Tenancy::Unsupported {
            let detail = TenantError::Unsupported.to_string();
            report(
                &id,
                Reason::BadTenant { crm: entry.id.to_string(), detail },
                Some("entry skipped".into()),
            );
            continue;
        }
        let parsed = list(v, report, |v, report| {
            let s = string(v, MAX_STRING_BYTES, report)?;
            TenantPattern::parse(entry, s)
                .map_err(|e| {
                    let reason = Reason::BadTenant { crm: entry.id.to_string(), detail: e.to_string() };
                    report(v, reason, Some("entry skipped".into()))
                })
                .ok()
        });
        if let Some(mut parsed) = parsed {
            dedup(&mut parsed);
            out.0.insert(entry.id.to_string(), parsed);
        }
    }
    Some(out)
}

fn wrong_type<T>(value: &Value, expected: &'static str, report: &mut Report<'_>) -> Option<T> {
    report(value, Reason::WrongType { expected, found: type_name(value) }, None);
    None
}

/// An integer, also from a float without fraction (`15.0`, which some tools write).
fn as_integer(value: &Value) -> Option<i64> {
    let n = value.as_number()?;
    if let Some(i) = n.as_i64() {
        return Some(i);
    }
    if n.as_u64().is_some() {
        return Some(i64::MAX);
    }
    let f = n.as_f64()?;
    // Saturating cast: huge values clamp to the range like any out-of-range integer.
    (f.fract() == 0.0).then_some(f as i64)
}

/// A string of at most `max_chars` characters (and [`MAX_STRING_BYTES`] bytes), trimmed.
fn string<'v>(value: &'v Value, max_chars: usize, report: &mut Report<'_>) -> Option<&'v str> {
    let Value::String(s) = value else { return wrong_type(value, "a string", report) };
    let max = max_chars.min(MAX_STRING_BYTES);
    // The byte length bounds the work before counting characters of a megabyte string.
    if s.len() > MAX_STRING_BYTES || s.chars().count() > max {
        report(value, Reason::TooLong { max }, None);
        return None;
    }
    Some(s.trim())
}

fn https_url(s: &str) -> Result<String, Reason> {
    let url = Url::parse(s).map_err(|e| Reason::BadUrl { detail: e.to_string() })?;
    if url.scheme() != "https" {
        return Err(Reason::NotHttps);
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Reason::BadUrl { detail: "no host".into() });
    }
    Ok(url.to_string())
}

fn pattern(v: &Value, s: &str, report: &mut Report<'_>) -> Option<HostPattern> {
    HostPattern::parse(s)
        .map_err(|e| {
            let detail = match e {
                PatternError::Empty => "empty",
                PatternError::Wildcard(_) => "`*.` is only allowed as a prefix",
                PatternError::InvalidHost(_) => "not a valid host name",
                PatternError::PublicSuffix(_) => "would match a whole public suffix",
            };
            report(v, Reason::BadPattern { detail }, Some("entry skipped".into()))
        })
        .ok()
}

/// A list: the valid elements, in order. Element errors skip the element only.
fn list<T>(
    value: &Value,
    report: &mut Report<'_>,
    mut element: impl FnMut(&Value, &mut Report<'_>) -> Option<T>,
) -> Option<Vec<T>> {
    let Value::Array(items) = value else { return wrong_type(value, "a list", report) };
    if items.len() > MAX_LIST_LEN {
        report(
            value,
            Reason::TooManyItems { max: MAX_LIST_LEN },
            Some(format!("the first {MAX_LIST_LEN} entries")),
        );
    }
    let mut out = Vec::new();
    for item in items.iter().take(MAX_LIST_LEN) {
        // An element's problems name the element; "what applies" is always "entry skipped".
        let mut skipped = |v: &Value, reason: Reason, applied: Option<String>| {
            report(v, reason, Some(applied.unwrap_or_else(|| "entry skipped".into())))
        };
        if let Some(t) = element(item, &mut skipped) {
            out.push(t);
        }
    }
    Some(out)
}

fn dedup<T: PartialEq>(v: &mut Vec<T>) {
    let mut seen = 0;
    while seen < v.len() {
        if v[..seen].contains(&v[seen]) {
            v.remove(seen);
        } else {
            seen += 1;
        }
    }
}

/// One `crmHosts` element: a pattern string or `{ name, hosts, logoutUrl }`.
fn self_hosted(value: &Value, report: &mut Report<'_>) -> Option<SelfHostedCrm> {
    match value {
        Value::String(_) => {
            let s = string(value, MAX_STRING_BYTES, report)?;
            let p = pattern(value, s, report)?;
            Some(SelfHostedCrm { name: SELF_HOSTED_NAME.into(), hosts: vec![p], logout_url: None })
        }
        Value::Object(obj) => {
            let mut crm =
                SelfHostedCrm { name: SELF_HOSTED_NAME.into(), hosts: Vec::new(), logout_url: None };
            for (field, v) in obj.iter().take(MAX_LIST_LEN) {
                match field.as_str() {
                    "name" => {
                        let mut keep = |v: &Value, r: Reason, _: Option<String>| {
                            report(v, r, Some(format!("name \"{SELF_HOSTED_NAME}\"")))
                        };
                        if let Some(name) = string(v, MAX_NAME_CHARS, &mut keep).filter(|n| !n.is_empty()) {
                            crm.name = name.to_owned();
                        }
                    }
                    "hosts" => {
                        crm.hosts = list(v, report, |v, report| {
                            let s = string(v, MAX_STRING_BYTES, report)?;
                            pattern(v, s, report)
                        })
                        .unwrap_or_default();
                        dedup(&mut crm.hosts);
                    }
                    "logoutUrl" => {
                        let mut none = |v: &Value, r: Reason, _: Option<String>| {
                            report(v, r, Some("no logout URL for this CRM".into()))
                        };
                        crm.logout_url = match string(v, MAX_STRING_BYTES, &mut none) {
                            Some("") | None => None,
                            Some(s) => https_url(s).map_err(|r| none(v, r, None)).ok(),
                        };
                    }
                    other => report(
                        v,
                        Reason::UnknownField { field: truncate(other, MAX_DISPLAY_CHARS) },
                        Some("field ignored".into()),
                    ),
                }
            }
            if crm.hosts.is_empty() {
                report(value, Reason::NoHosts, Some("entry skipped".into()));
                return None;
            }
            Some(crm)
        }
        other => wrong_type(other, "a host pattern or an object", report),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a number with a fraction",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}
