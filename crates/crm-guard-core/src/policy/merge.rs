//! The merge: defaults ← user options ← managed policy, with managed keys locked.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{Map, Value};

use super::error::{display_value, shown_value, truncate};
use super::settings::{ReportingFormat, Typed};
use super::validate::check;
use super::{Key, PolicyError, Reason, Settings, Source, MAX_DISPLAY_CHARS, MAX_ERRORS_PER_KEY, SPECS};

/// The settings in force, which keys IT locked, and what was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Effective {
    pub settings: Settings,
    /// Keys set by managed policy, validly or not: the options page shows them read-only.
    pub locked: BTreeSet<Key>,
    pub errors: Vec<PolicyError>,
    /// Who set each key that is not at its default (the diagnostics page): a managed key is
    /// also in `locked`.
    pub origin: BTreeMap<Key, Source>,
}

/// Defaults ← user options ← managed policy.
///
/// A key present in managed policy is locked: the user's value is not read. An invalid managed
/// value applies the key's default (or the nearest bound, for an out-of-range integer), still
/// locked. A bad element of a list skips that element only. `Null` means "nothing set".
pub fn effective(user: &Value, managed: &Value) -> Effective {
    let mut settings = Settings::default();
    let mut errors = Vec::new();
    // Sets and maps here are filled by `extend` (one insert per item), not `collect`:
    // `BTreeSet`/`BTreeMap::from_iter` sorts its input first, a stable sort compiled once per
    // element type (~4 KB of WASM each, docs/size.md). The contents are the same.
    let mut locked = BTreeSet::new();
    if let Value::Object(m) = managed {
        locked.extend(m.keys().filter_map(|k| Key::from_name(k)));
    }
    let mut origin = [None; SPECS.len()];
    for (layer, source) in [(user, Source::User), (managed, Source::Managed)] {
        let obj = match layer {
            Value::Null => continue,
            Value::Object(obj) => obj,
            other => {
                errors.push(PolicyError {
                    key: "(policy)".into(),
                    value: display_value(other),
                    reason: Reason::NotAnObject,
                    applied: "ignored".into(),
                    source,
                });
                continue;
            }
        };
        let skip = if source == Source::User { &locked } else { &BTreeSet::new() };
        apply_layer(&mut settings, obj, source, skip, &mut origin, &mut errors);
    }
    check_reporting(&mut settings, &origin, &mut errors);
    let mut by_key = BTreeMap::new();
    by_key.extend(Key::ALL.iter().filter_map(|k| Some((*k, origin[*k as usize]?))));
    Effective { settings, locked, errors, origin: by_key }
}

/// Keys that once existed and now do nothing (`locale`: the interface follows the browser's
/// language). Policies and saved options that still carry them are not in error.
const RETIRED_KEYS: &[&str] = &["locale"];

/// Applies one source's object; records which source set each key.
fn apply_layer(
    settings: &mut Settings,
    obj: &Map<String, Value>,
    source: Source,
    skip: &BTreeSet<Key>,
    origin: &mut [Option<Source>],
    errors: &mut Vec<PolicyError>,
) {
    let mut unknown = Capped::default();
    for (name, value) in obj {
        let Some(key) = Key::from_name(name) else {
            if RETIRED_KEYS.contains(&name.as_str()) {
                continue;
            }
            unknown.push(
                errors,
                PolicyError {
                    key: truncate(name, MAX_DISPLAY_CHARS),
                    value: display_value(value),
                    reason: Reason::UnknownKey,
                    applied: "ignored".into(),
                    source,
                },
            );
            continue;
        };
        if skip.contains(&key) {
            continue;
        }
        let mut issues = Capped::default();
        let checked = check(key, value, &mut |value: &Value, reason, applied: Option<String>| {
            let applied = applied.unwrap_or_else(|| fallback_text(key, source));
            issues.push(
                errors,
                PolicyError {
                    key: key.name().into(),
                    value: shown_value(key, value),
                    reason,
                    applied,
                    source,
                },
            )
        });
        issues.finish(errors, key.name(), source);
        match checked {
            Some(v) => {
                settings.set(key, v);
                origin[key as usize] = Some(source);
            }
            None if source == Source::Managed => {
                // Locked to the safe default: an invalid managed value must not leave the user's.
                settings.set(key, Typed::default_of(key));
                origin[key as usize] = Some(source);
            }
            None => {}
        }
    }
    unknown.finish(errors, "(policy)", source);
}

fn fallback_text(key: Key, source: Source) -> String {
    let default = Typed::default_of(key);
    match source {
        Source::Managed => format!("{default} (the default, locked)"),
        Source::User => format!("{default} (the default)"),
    }
}

/// Reporting needs its credential: the signing secret for `crm-guard` (never unsigned reports),
/// the token for `splunk-hec` (HEC refuses anything else). Without it, reporting is off.
fn check_reporting(settings: &mut Settings, origin: &[Option<Source>], errors: &mut Vec<PolicyError>) {
    let missing = match settings.reporting_format {
        ReportingFormat::CrmGuard if settings.reporting_hmac_secret.is_none() => {
            Some((Key::ReportingHmacSecret, Reason::MissingSecret))
        }
        ReportingFormat::SplunkHec if settings.reporting_token.is_none() => {
            Some((Key::ReportingToken, Reason::MissingToken))
        }
        _ => None,
    };
    if let (Some((key, reason)), Some(_)) = (missing, &settings.reporting_url) {
        let url = settings.reporting_url.take().unwrap_or_default();
        errors.push(PolicyError {
            key: key.name().into(),
            value: display_value(&Value::Null),
            reason,
            applied: format!("reporting off (reportingUrl {} is ignored)", truncate(&url, 40)),
            source: origin[Key::ReportingUrl as usize].unwrap_or(Source::User),
        });
    }
}

/// Lists at most [`MAX_ERRORS_PER_KEY`] errors, then one [`Reason::MoreErrors`].
#[derive(Default)]
struct Capped {
    count: usize,
}

impl Capped {
    fn push(&mut self, errors: &mut Vec<PolicyError>, e: PolicyError) {
        self.count += 1;
        if self.count <= MAX_ERRORS_PER_KEY {
            errors.push(e);
        }
    }

    fn finish(self, errors: &mut Vec<PolicyError>, key: &str, source: Source) {
        if self.count > MAX_ERRORS_PER_KEY {
            errors.push(PolicyError {
                key: key.into(),
                value: String::new(),
                reason: Reason::MoreErrors { count: self.count - MAX_ERRORS_PER_KEY },
                applied: "see above".into(),
                source,
            });
        }
    }
}
