use std::collections::BTreeSet;

use serde_json::{json, Value};

use super::*;
use crate::host::{HostPattern, PageUrl};

/// The fuzz tests (proptest).
mod fuzz;

fn errors_for<'a>(e: &'a Effective, key: &str) -> Vec<&'a PolicyError> {
    e.errors.iter().filter(|err| err.key == key).collect()
}

fn user(v: Value) -> Effective {
    effective(&v, &Value::Null)
}

fn managed(v: Value) -> Effective {
    effective(&Value::Null, &v)
}

#[test]
fn spec_table_is_complete() {
    assert_eq!(SPECS.len(), Key::ALL.len());
    for (i, key) in Key::ALL.iter().enumerate() {
        assert_eq!(SPECS[i].key, *key, "SPECS is not in Key::ALL order at {i}");
        assert_eq!(*key as usize, i);
        assert_eq!(Key::from_name(key.name()), Some(*key));
        assert_eq!(serde_json::to_value(key).unwrap(), json!(key.name()));
    }
}

#[test]
fn defaults() {
    let s = Settings::default();
    assert_eq!(s.idle_timeout_minutes, 15);
    assert!(s.logout_on_lock);
    assert_eq!(s.warning_seconds, 60);
    assert_eq!(s.trusted_network_expect_status, 200);
    assert_eq!(s.trusted_network_interval_minutes, 5);
    assert!(!s.trusted_network_required);
    assert_eq!(s.password_min_length, 12);
    assert_eq!(s.password_min_score, 3);
    assert_eq!(s.password_mode, PasswordMode::Warn);
    assert!(s.reuse_guard && !s.phishing_guard);
    assert_eq!((s.reporting_batch_size, s.event_log_size), (50, 1000));
    assert!(s.https_exception_hosts.is_empty() && s.crm_hosts.is_empty() && s.disabled_crms.is_empty());
    let e = effective(&json!({}), &json!({}));
    assert_eq!(e.settings, s);
    assert!(e.errors.is_empty() && e.locked.is_empty());
}

/// Every default comes from the key table and fits its field (no placeholder is ever used).
#[test]
fn defaults_come_from_the_table() {
    let s = Settings::default();
    for key in Key::ALL {
        assert_eq!(s.get(*key), Typed::default_of(*key), "{key}");
    }
}

#[test]
fn example_policy_is_valid_and_not_default() {
    let e = managed(example_policy());
    assert!(e.errors.is_empty(), "{:#?}", e.errors);
    assert_eq!(e.locked.len(), Key::ALL.len());
    let d = Settings::default();
    for key in Key::ALL {
        if !matches!(
            key,
            Key::ReuseGuard
                | Key::LogoutOnLock
                | Key::PhishingGuard
                | Key::PasswordMinScore
                | Key::ReportingFormat
        ) {
            assert_ne!(e.settings.get(*key), d.get(*key), "example of {key} equals the default");
        }
    }
}

/// (key, valid value, expected typed value, wrong type, out of range or otherwise invalid).
#[test]
fn table_per_key() {
    let cases: &[(Key, Value, Typed, Value, Option<Value>)] = &[
        (Key::IdleTimeoutMinutes, json!(30), Typed::Int(30), json!("30"), Some(json!(0))),
        (Key::WarningSeconds, json!(10), Typed::Int(10), json!(true), Some(json!(601))),
        (Key::TrustedNetworkExpectStatus, json!(204), Typed::Int(204), json!(null), Some(json!(99))),
        (Key::TrustedNetworkIntervalMinutes, json!(1440), Typed::Int(1440), json!([5]), Some(json!(-1))),
        (Key::PasswordMinLength, json!(8.0), Typed::Int(8), json!(8.5), Some(json!(7))),
        (Key::PasswordMinScore, json!(0), Typed::Int(0), json!({}), Some(json!(5))),
        (Key::ReportingBatchSize, json!(500), Typed::Int(500), json!("x"), Some(json!(0))),
        (Key::EventLogSize, json!(100), Typed::Int(100), json!(false), Some(json!(1e30))),
        (Key::LogoutOnLock, json!(false), Typed::Bool(false), json!(0), None),
        (Key::ReuseGuard, json!(false), Typed::Bool(false), json!("false"), None),
        (Key::PhishingGuard, json!(true), Typed::Bool(true), json!(1), None),
        (Key::TrustedNetworkRequired, json!(true), Typed::Bool(true), json!("yes"), None),
        (Key::PasswordMode, json!("block"), Typed::Choice("block"), json!(1), Some(json!("Block"))),
        (
            Key::TrustedNetworkProbeUrl,
            json!("https://probe.acme.com/x"),
            Typed::Text(Some("https://probe.acme.com/x".into())),
            json!(1),
            Some(json!("http://probe.acme.com/")),
        ),
        (
            Key::TrustedNetworkExpectBody,
            json!("ok"),
            Typed::Text(Some("ok".into())),
            json!(1),
            Some(json!("x".repeat(1025))),
        ),
        (
            Key::ForceLogoutToken,
            json!("t1"),
            Typed::Text(Some("t1".into())),
            json!(1),
            Some(json!("x".repeat(257))),
        ),
        (
            Key::ReportingHmacSecret,
            json!("0123456789abcdef"),
            Typed::Text(Some("0123456789abcdef".into())),
            json!(1),
            Some(json!("short")),
        ),
        (
            Key::ReportingUrl,
            json!("https://siem.acme.com/in"),
            Typed::Text(Some("https://siem.acme.com/in".into())),
            json!([]),
            Some(json!("ftp://siem.acme.com/")),
        ),
        (Key::DisabledCrms, json!(["hubspot"]), Typed::Ids(vec!["hubspot".into()]), json!("hubspot"), None),
        (
            Key::HttpsExceptionHosts,
            json!(["*.Legacy.Acme.com"]),
            Typed::Hosts(vec![HostPattern::parse("*.legacy.acme.com").unwrap()]),
            json!({"a": 1}),
            None,
        ),
    ];
    for (key, good, expected, wrong, bad) in cases {
        let name = key.name();
        let mut good_policy = json!({ name: good });
        if *key == Key::ReportingUrl {
            good_policy["reportingHmacSecret"] = json!("0123456789abcdef");
        }
        let e = user(good_policy);
        assert!(e.errors.is_empty(), "{name}: {:?}", e.errors);
        assert_eq!(e.settings.get(*key), *expected, "{name}");

        let e = user(json!({ name: wrong }));
        let errs = errors_for(&e, name);
        assert_eq!(errs.len(), 1, "{name}: {:?}", e.errors);
        assert!(matches!(errs[0].reason, Reason::WrongType { .. }), "{name}: {:?}", errs[0]);
        assert_eq!(e.settings.get(*key), Typed::default_of(*key), "{name}");
        assert!(errs[0].applied.contains("default"), "{}", errs[0].applied);

        if let Some(bad) = bad {
            let e = user(json!({ name: bad }));
            assert_eq!(errors_for(&e, name).len(), 1, "{name}: {:?}", e.errors);
        }
    }
}

#[test]
fn out_of_range_integers_clamp() {
    let e = user(json!({ "idleTimeoutMinutes": 0, "warningSeconds": 100000, "eventLogSize": -5 }));
    assert_eq!(e.settings.idle_timeout_minutes, 1);
    assert_eq!(e.settings.warning_seconds, 600);
    assert_eq!(e.settings.event_log_size, 100);
    let err = &errors_for(&e, "idleTimeoutMinutes")[0];
    assert_eq!(err.reason, Reason::OutOfRange { min: 1, max: 1440 });
    assert_eq!(err.applied, "1 (the nearest allowed)");
    assert_eq!(err.value, "0");
    let e = user(json!({ "idleTimeoutMinutes": u64::MAX }));
    assert_eq!(e.settings.idle_timeout_minutes, 1440);
}

#[test]
fn named_errors() {
    let e = user(json!({
        "idleTimeout": 5,
        "reportingUrl": "http://siem.acme.com/",
        "trustedNetworkProbeUrl": "http://probe/",
        "disabledCrms": ["hubspot", "nope", 3],
        "httpsExceptionHosts": ["*.com", "ok.acme.com", "a b"],
        "forceLogoutToken": "x".repeat(1 << 20),
    }));
    let reasons: Vec<_> = e.errors.iter().map(|e| (e.key.as_str(), e.reason.clone())).collect();
    assert!(reasons.contains(&("idleTimeout", Reason::UnknownKey)));
    assert!(reasons.contains(&("reportingUrl", Reason::NotHttps)));
    assert!(reasons.contains(&("trustedNetworkProbeUrl", Reason::NotHttps)));
    assert!(reasons.contains(&("disabledCrms", Reason::UnknownCrm)));
    assert!(
        reasons.contains(&("disabledCrms", Reason::WrongType { expected: "a string", found: "a number" }))
    );
    assert!(reasons.contains(&(
        "httpsExceptionHosts",
        Reason::BadPattern { detail: "would match a whole public suffix" }
    )));
    assert!(reasons.contains(&("forceLogoutToken", Reason::TooLong { max: 256 })));
    // A bad element skips that element only.
    assert_eq!(e.settings.disabled_crms, vec!["hubspot".to_owned()]);
    assert_eq!(e.settings.https_exception_hosts, vec![HostPattern::parse("ok.acme.com").unwrap()]);
    assert_eq!(e.settings.force_logout_token, None);
    // Displayed values are truncated.
    let long = errors_for(&e, "forceLogoutToken")[0];
    assert!(long.value.chars().count() <= MAX_DISPLAY_CHARS + 1, "{}", long.value);
    for err in &e.errors {
        assert!(!err.reason.to_string().is_empty());
        assert!(!err.applied.is_empty());
    }
}

#[test]
fn each_reporting_format_needs_its_own_credential() {
    let url = "https://otel.acme.com/v1/logs";
    // OTLP: no HMAC secret needed, a token optional.
    let e = managed(json!({ "reportingUrl": url, "reportingFormat": "otlp" }));
    assert!(e.errors.is_empty(), "{:?}", e.errors);
    assert_eq!(e.settings.reporting_format, crate::policy::ReportingFormat::Otlp);
    assert_eq!(e.settings.reporting_url.as_deref(), Some(url));
    // Splunk HEC: the token is required; without it reporting is off.
    let e = managed(
        json!({ "reportingUrl": url, "reportingFormat": "splunk-hec", "reportingHmacSecret": "0123456789abcdef" }),
    );
    assert_eq!(e.settings.reporting_url, None);
    assert_eq!(errors_for(&e, "reportingToken")[0].reason, Reason::MissingToken);
    let e = managed(json!({ "reportingUrl": url, "reportingFormat": "splunk-hec", "reportingToken": "t" }));
    assert!(e.errors.is_empty(), "{:?}", e.errors);
    // The signed format still refuses to go unsigned, whatever token there is.
    let e = managed(json!({ "reportingUrl": url, "reportingToken": "t" }));
    assert_eq!(e.settings.reporting_url, None);
    assert_eq!(errors_for(&e, "reportingHmacSecret")[0].reason, Reason::MissingSecret);
    // An unknown format is an error and falls back to the default (signed) format.
    let e = managed(json!({ "reportingFormat": "syslog" }));
    assert_eq!(errors_for(&e, "reportingFormat").len(), 1);
    assert_eq!(e.settings.reporting_format, crate::policy::ReportingFormat::CrmGuard);
    // The token is a secret: a rejected one never shows.
    let e = managed(json!({ "reportingToken": "" }));
    assert!(e.errors.is_empty());
    assert!(Key::ReportingToken.is_secret());
}

#[test]
fn origin_says_who_set_each_key() {
    let e = effective(
        &json!({ "warningSeconds": 30, "idleTimeoutMinutes": 20 }),
        &json!({ "idleTimeoutMinutes": 5 }),
    );
    assert_eq!(e.origin.get(&Key::IdleTimeoutMinutes), Some(&Source::Managed));
    assert_eq!(e.origin.get(&Key::WarningSeconds), Some(&Source::User));
    assert_eq!(e.origin.get(&Key::PasswordMinLength), None, "default");
    // An invalid managed value still locks the key to its default: managed.
    let e = managed(json!({ "idleTimeoutMinutes": "soon" }));
    assert_eq!(e.origin.get(&Key::IdleTimeoutMinutes), Some(&Source::Managed));
}

#[test]
fn reporting_requires_a_secret() {
    let e = user(json!({ "reportingUrl": "https://siem.acme.com/in" }));
    assert_eq!(e.settings.reporting_url, None, "never unsigned reports");
    assert_eq!(errors_for(&e, "reportingHmacSecret")[0].reason, Reason::MissingSecret);
    // Secret from the user, URL from IT: fine.
    let e = effective(
        &json!({ "reportingHmacSecret": "0123456789abcdef" }),
        &json!({ "reportingUrl": "https://siem.acme.com/in" }),
    );
    assert!(e.errors.is_empty(), "{:?}", e.errors);
    assert_eq!(e.settings.reporting_url.as_deref(), Some("https://siem.acme.com/in"));
    let e = managed(json!({ "reportingUrl": "https://siem.acme.com/in", "reportingHmacSecret": "short" }));
    assert_eq!(e.settings.reporting_url, None);
    assert_eq!(errors_for(&e, "reportingHmacSecret").len(), 2);
    assert!(e.errors.iter().all(|e| e.source == Source::Managed));
}

#[test]
fn managed_overrides_and_locks() {
    let e = effective(
        &json!({ "idleTimeoutMinutes": 60, "warningSeconds": 30, "logoutOnLock": false }),
        &json!({ "idleTimeoutMinutes": 10 }),
    );
    assert_eq!(e.settings.idle_timeout_minutes, 10);
    assert_eq!(e.settings.warning_seconds, 30, "unlocked user values apply");
    assert!(!e.settings.logout_on_lock);
    assert_eq!(e.locked, BTreeSet::from([Key::IdleTimeoutMinutes]));
    let json = serde_json::to_value(&e).unwrap();
    assert_eq!(json["locked"], json!(["idleTimeoutMinutes"]));
    assert_eq!(json["settings"]["idleTimeoutMinutes"], json!(10));
}

#[test]
fn invalid_managed_value_locks_to_the_safe_default() {
    let e = effective(
        &json!({ "idleTimeoutMinutes": 600, "logoutOnLock": false, "httpsExceptionHosts": ["a.acme.com"] }),
        &json!({ "idleTimeoutMinutes": "never", "logoutOnLock": "no", "httpsExceptionHosts": "*" }),
    );
    assert_eq!(e.settings.idle_timeout_minutes, 15, "never the user's value, never 'no logout'");
    assert!(e.settings.logout_on_lock);
    assert!(e.settings.https_exception_hosts.is_empty(), "HTTPS enforcement stays on");
    assert!(e.locked.contains(&Key::IdleTimeoutMinutes) && e.locked.contains(&Key::LogoutOnLock));
    let err = errors_for(&e, "idleTimeoutMinutes")[0];
    assert_eq!(err.source, Source::Managed);
    assert_eq!(err.applied, "15 (the default, locked)");
    // The user's values for locked keys are not even read.
    assert!(e.errors.iter().all(|e| e.source == Source::Managed), "{:?}", e.errors);
}

#[test]
fn non_object_policies() {
    let e = effective(&json!([1]), &json!("x"));
    assert_eq!(e.settings, Settings::default());
    assert_eq!(e.errors.len(), 2);
    assert!(e.errors.iter().all(|e| e.reason == Reason::NotAnObject));
}

#[test]
fn crm_hosts_both_forms_and_catalog() {
    let e = managed(json!({
        "crmHosts": [
            "crm.acme.test",
            { "name": "Acme Sales", "hosts": ["*.sales.acme.test", "bad host"], "logoutUrl": "https://sales.acme.test/logout" },
            { "name": "Nothing", "hosts": [] },
            { "hosts": ["x.acme.test"], "logoutUrl": "http://x.acme.test/logout", "colour": "red" },
            42
        ],
        "disabledCrms": ["hubspot"],
    }));
    let crms = &e.settings.crm_hosts;
    assert_eq!(crms.len(), 3, "{crms:?}");
    assert_eq!(crms[0].name, SELF_HOSTED_NAME);
    assert_eq!(crms[1].name, "Acme Sales");
    assert_eq!(crms[1].hosts.len(), 1);
    assert_eq!(crms[1].logout_url.as_deref(), Some("https://sales.acme.test/logout"));
    assert_eq!(crms[2].logout_url, None);
    let reasons: Vec<_> = errors_for(&e, "crmHosts").iter().map(|e| e.reason.clone()).collect();
    assert!(reasons.contains(&Reason::NoHosts));
    assert!(reasons.contains(&Reason::NotHttps));
    assert!(reasons.contains(&Reason::UnknownField { field: "colour".into() }));
    assert_eq!(reasons.len(), 5, "{reasons:?}");

    let catalog = e.settings.catalog();
    let classify = |u: &str| catalog.classify(&PageUrl::parse(u).unwrap()).map(|e| e.id.to_string());
    assert_eq!(classify("https://crm.acme.test/").as_deref(), Some("custom:crm.acme.test"));
    assert_eq!(classify("https://eu.sales.acme.test/").as_deref(), Some("custom:*.sales.acme.test"));
    assert_eq!(classify("https://app.hubspot.com/"), None, "disabled");
    assert_eq!(classify("https://acme.my.salesforce.com/").as_deref(), Some("salesforce"));
    assert_eq!(
        catalog.get("custom:*.sales.acme.test").and_then(|c| c.logout_url_for("x")).as_deref(),
        Some("https://sales.acme.test/logout")
    );
}

#[test]
fn bounded_lists_and_errors() {
    let hosts: Vec<Value> = (0..5000).map(|i| json!(format!("h{i}.acme.test"))).collect();
    let e = user(json!({ "httpsExceptionHosts": hosts }));
    assert_eq!(e.settings.https_exception_hosts.len(), MAX_LIST_LEN);
    assert_eq!(errors_for(&e, "httpsExceptionHosts")[0].reason, Reason::TooManyItems { max: MAX_LIST_LEN });
    let bad: Vec<Value> = (0..900).map(|i| json!(i)).collect();
    let e = user(json!({ "disabledCrms": bad }));
    let errs = errors_for(&e, "disabledCrms");
    assert_eq!(errs.len(), MAX_ERRORS_PER_KEY + 1);
    assert_eq!(errs.last().unwrap().reason, Reason::MoreErrors { count: 900 - MAX_ERRORS_PER_KEY });
}

#[test]
fn settings_round_trip_through_json() {
    let e = managed(example_policy());
    let (again, errors) = Settings::from_value(&serde_json::to_value(&e.settings).unwrap());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(again, e.settings);
    let (d, errors) = Settings::from_value(&serde_json::to_value(Settings::default()).unwrap());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(d, Settings::default());
}

#[test]
fn policy_error_json() {
    let e = user(json!({ "passwordMode": "strict" }));
    let v = serde_json::to_value(&e.errors[0]).unwrap();
    assert_eq!(
        v,
        json!({
            "key": "passwordMode", "value": "\"strict\"",
            "reason": { "code": "notOneOf", "allowed": ["warn", "block"] },
            "message": "must be one of: warn, block",
            "applied": "\"warn\" (the default)", "source": "user"
        })
    );
}

/// Tidy check: the committed `extension/managed_schema.json` is what `managed_schema()` says.
/// `UPDATE_EXPECT=1 cargo test -p crm-guard-core managed_schema_file` rewrites it.
#[test]
fn managed_schema_file_is_up_to_date() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../extension/managed_schema.json");
    let expected = serde_json::to_string_pretty(&managed_schema()).unwrap() + "\n";
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&path, &expected).unwrap();
        return;
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "{} is out of date: run `UPDATE_EXPECT=1 cargo test -p crm-guard-core managed_schema_file`",
        path.display()
    );
}

#[test]
fn managed_schema_shape() {
    let s = managed_schema();
    assert_eq!(s["type"], "object");
    let props = s["properties"].as_object().unwrap();
    assert_eq!(props.len(), Key::ALL.len());
    for (name, p) in props {
        assert!(p["title"].is_string() && p["description"].is_string(), "{name}");
        if p["type"] == "array" {
            assert!(p["items"].is_object(), "{name}");
        }
    }
    assert_eq!(s["properties"]["idleTimeoutMinutes"]["minimum"], 1);
    assert_eq!(s["properties"]["passwordMode"]["enum"], json!(["warn", "block"]));
}

#[test]
fn policy_errors_become_events_once() {
    let e = managed(json!({ "warningSeconds": "soon", "passwordMinLength": 3, "bogus": 1 }));
    assert_eq!(e.errors.len(), 3);
    let (events, seen) = new_error_events(&e.errors, &BTreeSet::new(), 7);
    assert_eq!(events.len(), 3);
    assert!(events.iter().all(|n| n.kind == Some(crate::events::EventKind::PolicyError) && n.time_ms == 7));
    assert_eq!(events[0].level, Some(crate::Level::AtRisk), "managed errors are at risk");
    assert!(events.iter().any(|n| n
        .detail
        .as_deref()
        .unwrap_or("")
        .starts_with("warningSeconds = \"soon\"")));
    // The same errors again (a worker wake): nothing new.
    let (again, seen2) = new_error_events(&e.errors, &seen, 8);
    assert!(again.is_empty());
    assert_eq!(seen, seen2);
    // One error fixed, one new: only the new one is logged; the fixed one is forgotten.
    let e2 = managed(json!({ "warningSeconds": "soon", "passwordMinLength": 3, "idleTimeoutMinutes": 0 }));
    let (changed, seen3) = new_error_events(&e2.errors, &seen2, 9);
    assert_eq!(changed.len(), 1);
    assert!(changed[0].detail.as_deref().unwrap_or("").starts_with("idleTimeoutMinutes = 0"));
    assert_eq!(seen3.len(), 3);
    // The same text from the user's options is a different error.
    let u = user(json!({ "passwordMinLength": 3 }));
    assert_ne!(error_digest(&u.errors[0]), error_digest(&e.errors[1]));
    assert_eq!(new_error_events(&u.errors, &seen3, 10).0[0].level, Some(crate::Level::Warning));
}

/// A rejected secret never appears in its error (errors become events, exports and reports).
#[test]
fn rejected_secret_is_hidden_in_errors() {
    let e = managed(
        json!({ "reportingUrl": "https://reports.example.com/in", "reportingHmacSecret": "short-s3cret" }),
    );
    let errs = errors_for(&e, "reportingHmacSecret");
    assert!(!errs.is_empty(), "a too-short secret is rejected");
    assert!(errs.iter().any(|err| err.value == "(hidden)"), "{errs:?}");
    for err in errs {
        assert!(!err.value.contains("short-s3cret"), "{err}");
        assert!(!err.to_string().contains("short-s3cret"), "{err}");
        assert!(!serde_json::to_string(err).unwrap().contains("short-s3cret"));
    }
}

/// `locale` is retired (the interface follows the browser's language): a policy or saved options
/// that still carry it are not in error, and it is in no schema.
#[test]
fn retired_locale_is_ignored_quietly() {
    let e = effective(&json!({ "locale": "fr" }), &json!({ "locale": "de" }));
    assert!(e.errors.is_empty(), "{:?}", e.errors);
    assert!(e.locked.is_empty());
    assert!(Key::from_name("locale").is_none());
    assert!(!serde_json::to_string(&e.settings).unwrap().contains("locale"));
}
