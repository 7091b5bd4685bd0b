//! Fuzz: whatever JSON comes in, the settings stay in range, every rejection is named and an
//! invalid managed value never turns protection off.

use proptest::prelude::*;
use serde_json::{json, Value};

use super::super::*;
use super::{errors_for, managed, user};
use crate::catalog::BUILTIN;

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-2000i64..2000).prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "\\PC{0,12}".prop_map(Value::from),
        prop_oneof![
            Just("crm.acme.com"),
            Just("*.acme.com"),
            Just("*.com"),
            Just("hubspot"),
            Just("acme.my.salesforce.com"),
            Just("acme--*.sandbox.my.salesforce.com"),
            Just("12345678"),
            Just("https://x.acme.com/p"),
            Just("http://x.acme.com/"),
            Just("block"),
            Just("fr"),
            Just("0123456789abcdef0"),
            Just(""),
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("name".to_owned()),
                    Just("hosts".to_owned()),
                    Just("logoutUrl".to_owned()),
                    Just("salesforce".to_owned()),
                    "[a-z]{1,5}"
                ],
                inner,
                0..4
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn arb_key_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(Key::ALL).prop_map(|k| k.name().to_owned()),
        1 => "[a-zA-Z]{1,12}",
    ]
}

fn arb_policy() -> impl Strategy<Value = Value> {
    prop_oneof![
        8 => prop::collection::btree_map(arb_key_name(), arb_json(), 0..8)
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        1 => arb_json(),
    ]
}

/// Every setting is within its key's range.
fn assert_in_range(s: &Settings) {
    for key in Key::ALL {
        let v = s.get(*key);
        match (key.spec().kind, &v) {
            (Kind::Int { min, max, .. }, Typed::Int(i)) => assert!((min..=max).contains(i), "{key} = {i}"),
            (Kind::Text { min_chars, max_chars }, Typed::Text(Some(t))) => {
                let n = t.chars().count();
                assert!(n >= min_chars.max(1) && n <= max_chars, "{key} has {n} chars");
            }
            (Kind::HttpsUrl, Typed::Text(Some(u))) => assert!(u.starts_with("https://"), "{key} = {u}"),
            (Kind::Choice { values, .. }, Typed::Choice(c)) => assert!(values.contains(c)),
            (Kind::HostList, Typed::Hosts(h)) => assert!(h.len() <= MAX_LIST_LEN),
            (Kind::CrmIdList, Typed::Ids(ids)) => {
                assert!(ids.iter().all(|id| BUILTIN.iter().any(|e| e.id == *id)))
            }
            (Kind::CrmList, Typed::Crms(c)) => {
                assert!(c.len() <= MAX_LIST_LEN && c.iter().all(|c| !c.hosts.is_empty()))
            }
            (Kind::TenantMap, Typed::Tenants(t)) => assert!(
                t.0.len() <= MAX_LIST_LEN
                    && t.0
                        .iter()
                        .all(|(id, l)| BUILTIN.iter().any(|e| e.id == *id) && l.len() <= MAX_LIST_LEN)
            ),
            (Kind::Bool { .. }, Typed::Bool(_)) | (Kind::Text { .. } | Kind::HttpsUrl, Typed::Text(None)) => {
            }
            (kind, v) => panic!("{key}: {v:?} does not fit {kind:?}"),
        }
    }
    if s.reporting_url.is_some() {
        assert!(s.reporting_hmac_secret.is_some(), "reporting without a secret");
    }
}

/// The keys of `layer` whose value did not apply as given.
fn check_rejections_named(layer: &Value, e: &Effective, source: Source) {
    let Value::Object(obj) = layer else { return };
    for (name, value) in obj {
        let Some(key) = Key::from_name(name) else {
            assert!(e.errors.iter().any(|err| err.reason == Reason::UnknownKey && err.source == source));
            continue;
        };
        if source == Source::User && e.locked.contains(&key) {
            continue;
        }
        // Re-validate alone: whenever the value is not taken as-is, an error names the key.
        let alone = user(json!({ name: value }));
        let taken = alone.settings.get(key) != Typed::default_of(key) || alone.errors.is_empty();
        if !taken || alone.errors.iter().any(|err| err.key == *name) {
            assert!(
                e.errors.iter().any(|err| err.key == *name && err.source == source)
                    || (key == Key::ReportingUrl || key == Key::ReportingHmacSecret),
                "{name} = {value} was rejected without an error naming it: {:?}",
                e.errors
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40_000))]

    #[test]
    fn fuzz_whole_policy(u in arb_policy(), m in arb_policy()) {
        let e = effective(&u, &m);
        assert_in_range(&e.settings);
        check_rejections_named(&m, &e, Source::Managed);
        check_rejections_named(&u, &e, Source::User);
        for err in &e.errors {
            prop_assert!(err.value.chars().count() <= MAX_DISPLAY_CHARS + 1);
            prop_assert!(err.key.chars().count() <= MAX_DISPLAY_CHARS + 1);
        }
        // Fail closed: an invalid managed value never turns protection off.
        if let Value::Object(obj) = &m {
            let rejected = |k: Key| e.errors.iter().any(|err| err.key == k.name() && err.source == Source::Managed
                && !matches!(err.reason, Reason::OutOfRange { .. }));
            if obj.contains_key("logoutOnLock") && rejected(Key::LogoutOnLock) {
                prop_assert!(e.settings.logout_on_lock);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(60_000))]

    #[test]
    fn fuzz_per_key(key in prop::sample::select(Key::ALL), v in arb_json()) {
        let name = key.name();
        let e = managed(json!({ name: v.clone() }));
        assert_in_range(&e.settings);
        prop_assert!(e.locked.contains(&key));
        let errors = errors_for(&e, name);
        let applied_as_given = errors.is_empty();
        if !applied_as_given && key.spec().enforcement {
            // Whatever was rejected, the value in force is protective: the default, a clamped
            // integer, or the valid part of a list.
            if let Kind::Bool { default } = key.spec().kind {
                prop_assert_eq!(e.settings.get(key), Typed::Bool(default));
            }
        }
        if errors.is_empty() && key != Key::ReportingUrl {
            // Accepted values survive a round trip through the settings' JSON.
            let again = user(json!({ name: serde_json::to_value(&e.settings).unwrap()[name].clone() }));
            prop_assert_eq!(again.settings.get(key), e.settings.get(key));
        }
    }
}
