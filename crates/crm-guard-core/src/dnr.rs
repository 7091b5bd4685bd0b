//! `declarativeNetRequest` rules that keep CRM traffic off plaintext: `http:` is upgraded to
//! `https:` and `ws:` never leaves, as the rule JSON Chrome takes in
//! `updateDynamicRules({ addRules })` (and, for the built-in catalog, the static ruleset).
//!
//! Per distinct host pattern of the catalog (built-in and policy-added), an `upgradeScheme` rule
//! for `http:` and a `block` rule for `ws:`:
//!
//! - `condition.requestDomains` matches a domain *and its sub-domains*, so `*.my.salesforce.com` becomes
//!   `["my.salesforce.com"]` (upgrading `my.salesforce.com` itself, not a CRM host, is harmless) and an
//!   exact host `login.salesforce.com` becomes `["login.salesforce.com"]`.
//! - Catalog exclusions below the domain (`www.pipedrive.com` under `*.pipedrive.com`) and the
//!   `exceptions` (hosts IT or the user allowed over http) go to `excludedRequestDomains`, which also
//!   matches sub-domains and takes precedence. An exception covering the whole pattern drops the rule.
//! - `urlFilter: "|http://"` keeps the upgrade rule to plain-http URLs.
//! - `ws:` (issue 10): Chromium's `upgradeScheme` acts on `http`/`ftp` URLs only (a `ws:` request
//!   matched by it goes out unchanged) and an extension cannot redirect a WebSocket handshake (the
//!   redirect is ignored), so a `ws:` socket to a CRM host cannot be moved to `wss:` by a rule. It is
//!   blocked instead (`urlFilter: "|ws://"`, resource type `websocket`) before a byte leaves, whoever
//!   opens it: a CRM page's own `wss:` sockets are untouched, and on an `https:` CRM page the browser
//!   itself refuses `ws:` as mixed content ([`crate::network::mixed_content`] reports it); what this
//!   rule adds is every other initiator (an `http:` page of another site, an http exception host's
//!   page), whose `ws:` handshake would carry the CRM's cookies in clear.
//! - Path-restricted entries (Freshsales under `/crm/`) upgrade their whole host: harmless.
//!
//! Ids start at [`FIRST_RULE_ID`] and follow the catalog order (each domain's upgrade rule, then its
//! `ws:` rule), so the same catalog and exceptions give the same ids. The binding replaces its rules
//! wholesale: remove the previous ids, add these.

use serde_json::{json, Value};
use thiserror::Error;

use crate::catalog::Catalog;
use crate::host::HostPattern;

/// The id of the first upgrade rule; ids below are left to other rule sets of the extension.
pub const FIRST_RULE_ID: u32 = 1000;

/// Chrome's limit on dynamic rules (`MAX_NUMBER_OF_DYNAMIC_RULES` before Chrome 121; later versions
/// allow 30 000 "safe" rules such as `upgradeScheme`, but 5 000 holds everywhere).
pub const MAX_DYNAMIC_RULES: usize = 5000;

/// The priority of upgrade rules: the lowest, so a higher-priority `allow` (the http fallback flow)
/// wins over them.
pub const UPGRADE_PRIORITY: u32 = 1;

/// Every resource type the rules apply to (without `resourceTypes`, browsers skip `main_frame`).
///
/// Only the types both Chromium and Firefox accept: one value a browser does not know makes the
/// whole rule invalid there. Firefox rejects `webtransport` (`Invalid enumeration value`): with it,
/// Firefox skipped every rule of the static ruleset (while reporting the ruleset enabled) and
/// refused `updateDynamicRules` (no dynamic rules), so plain-http requests reached CRM hosts.
/// WebTransport URLs are always `https:`, so an `|http://` rule never matched them anyway.
pub const RESOURCE_TYPES: [&str; 13] = [
    "main_frame",
    "sub_frame",
    "stylesheet",
    "script",
    "image",
    "font",
    "object",
    "xmlhttprequest",
    "ping",
    "csp_report",
    "media",
    "websocket",
    "other",
];

/// Why the rules cannot be installed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DnrError {
    /// The catalog needs more rules than Chrome accepts as dynamic rules.
    #[error("{count} upgrade rules exceed Chrome's limit of {limit} dynamic rules")]
    TooManyRules { count: usize, limit: usize },
}

/// One rule before it becomes JSON: the request domain and the domains excluded below it.
struct Target {
    domain: String,
    excluded: Vec<String>,
}

/// The rules for every host pattern of `catalog`, leaving out `exceptions`: per domain an
/// `upgradeScheme` rule for `http:` and a `block` rule for `ws:` (module doc).
pub fn upgrade_rules(catalog: &Catalog, exceptions: &[HostPattern]) -> Result<Vec<Value>, DnrError> {
    let mut targets: Vec<Target> = Vec::new();
    for entry in catalog.entries() {
        for pattern in entry.hosts.iter() {
            let domain = base(pattern);
            if exceptions.iter().any(|e| covers(e, pattern)) {
                continue;
            }
            let below =
                entry.exclude.iter().chain(exceptions).map(base).filter(|x| strictly_under(x, domain));
            let target = match targets.iter_mut().position(|t| t.domain == domain) {
                Some(i) => &mut targets[i],
                None => {
                    targets.push(Target { domain: domain.to_owned(), excluded: Vec::new() });
                    let last = targets.len() - 1;
                    &mut targets[last]
                }
            };
            for x in below {
                if !target.excluded.iter().any(|e| e == x) {
                    target.excluded.push(x.to_owned());
                }
            }
        }
    }
    let count = targets.len() * RULES_PER_DOMAIN;
    if count > MAX_DYNAMIC_RULES {
        return Err(DnrError::TooManyRules { count, limit: MAX_DYNAMIC_RULES });
    }
    let mut ids = FIRST_RULE_ID..;
    let mut rules = Vec::with_capacity(count);
    for t in &targets {
        rules.push(rule(ids.next().unwrap_or(u32::MAX), "upgradeScheme", "|http://", &RESOURCE_TYPES, t));
        rules.push(rule(ids.next().unwrap_or(u32::MAX), "block", "|ws://", &["websocket"], t));
    }
    Ok(rules)
}

/// The priority of a user's "continue over http" rule: above [`UPGRADE_PRIORITY`].
pub const ALLOW_PRIORITY: u32 = 2;

/// The `allow` rule (a session rule: gone when the browser restarts) that lets the user continue to
/// `url` over plain http after the HTTPS attempt failed, if `url` is an `http:` URL whose host one of
/// IT's `exceptions` (`httpsExceptionHosts`) covers. `None` otherwise: no "continue anyway" then.
/// The rule covers that one host only (`requestDomains` would include sub-domains, so they are
/// excluded unless the exception is a `*.` pattern), every resource type, `http:` only.
pub fn allow_http_rule(exceptions: &[HostPattern], url: &str, id: u32) -> Option<Value> {
    let page = crate::host::PageUrl::parse(url).ok()?;
    if page.scheme != crate::host::Scheme::Http || page.ip_literal {
        return None;
    }
    exceptions.iter().find(|e| e.matches(&page.host))?;
    Some(json!({
        "id": id,
        "priority": ALLOW_PRIORITY,
        "action": { "type": "allow" },
        "condition": {
            "urlFilter": format!("|http://{}", page.host),
            "requestDomains": [page.host],
            "resourceTypes": RESOURCE_TYPES,
        },
    }))
}

/// Rules per domain: the `http:` upgrade and the `ws:` block.
pub const RULES_PER_DOMAIN: usize = 2;

fn rule(id: u32, action: &str, url_filter: &str, resource_types: &[&str], target: &Target) -> Value {
    let mut condition = json!({
        "urlFilter": url_filter,
        "requestDomains": [target.domain],
        "resourceTypes": resource_types,
    });
    if !target.excluded.is_empty() {
        condition["excludedRequestDomains"] = json!(target.excluded);
    }
    json!({
        "id": id,
        "priority": UPGRADE_PRIORITY,
        "action": { "type": action },
        "condition": condition,
    })
}

/// The domain a pattern's rule is written for: the host, or the suffix of `*.suffix`.
fn base(p: &HostPattern) -> &str {
    match p {
        HostPattern::Exact(h) | HostPattern::Subdomains(h) => h,
    }
}

/// `host` is a sub-domain of `domain` (not `domain` itself).
fn strictly_under(host: &str, domain: &str) -> bool {
    host.len() > domain.len() + 1
        && host.ends_with(domain)
        && host.as_bytes()[host.len() - domain.len() - 1] == b'.'
}

/// Whether the exception allows every host of `pattern` over http, so the pattern needs no rule.
/// An exact exception equal to `*.x`'s `x` does not: `x` is not a host of the pattern.
fn covers(exception: &HostPattern, pattern: &HostPattern) -> bool {
    match (exception, pattern) {
        (HostPattern::Exact(e), HostPattern::Exact(h)) => e == h,
        (HostPattern::Exact(_), HostPattern::Subdomains(_)) => false,
        (HostPattern::Subdomains(s), p) => {
            strictly_under(base(p), s) || matches!(p, HostPattern::Subdomains(x) if x == s)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{CrmEntry, BUILTIN};

    fn pattern(s: &str) -> HostPattern {
        HostPattern::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn rule_for<'a>(rules: &'a [Value], domain: &str) -> Option<&'a Value> {
        of_type(rules, domain, "upgradeScheme")
    }

    fn ws_rule_for<'a>(rules: &'a [Value], domain: &str) -> Option<&'a Value> {
        of_type(rules, domain, "block")
    }

    fn of_type<'a>(rules: &'a [Value], domain: &str, action: &str) -> Option<&'a Value> {
        rules.iter().find(|r| r["condition"]["requestDomains"][0] == domain && r["action"]["type"] == action)
    }

    fn excluded(rule: &Value) -> Vec<&str> {
        rule["condition"]["excludedRequestDomains"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }

    fn acme() -> CrmEntry {
        CrmEntry {
            id: "acme".into(),
            name: "Acme CRM".into(),
            hosts: vec![pattern("crm.acme.example"), pattern("*.crm-eu.acme.example")].into(),
            exclude: vec![pattern("docs.crm-eu.acme.example")].into(),
            path_prefix: None,
            logout_url: None,
        }
    }

    #[test]
    fn json_shape() {
        let rules = upgrade_rules(&Catalog::builtin(), &[]).expect("within limits");
        let sf = rule_for(&rules, "my.salesforce.com").expect("*.my.salesforce.com has a rule");
        assert_eq!(
            *sf,
            json!({
                "id": sf["id"],
                "priority": 1,
                "action": { "type": "upgradeScheme" },
                "condition": {
                    "urlFilter": "|http://",
                    "requestDomains": ["my.salesforce.com"],
                    "resourceTypes": RESOURCE_TYPES,
                },
            })
        );
        assert!(rule_for(&rules, "login.salesforce.com").is_some(), "exact host");
        assert!(rule_for(&rules, "app.hubspot.com").is_some());
        for r in &rules {
            let id = r["id"].as_u64().expect("integer id");
            assert!(id >= u64::from(FIRST_RULE_ID));
            assert_eq!(r["condition"]["requestDomains"].as_array().map(Vec::len), Some(1));
            let types = if r["action"]["type"] == "block" { 1 } else { 13 };
            assert_eq!(r["condition"]["resourceTypes"].as_array().map(Vec::len), Some(types));
            // Chrome rejects an empty list; it is left out instead.
            assert_ne!(r["condition"]["excludedRequestDomains"], json!([]));
        }
    }

    #[test]
    fn every_builtin_pattern_is_upgraded() {
        let rules = upgrade_rules(&Catalog::builtin(), &[]).expect("within limits");
        for entry in BUILTIN {
            for p in entry.hosts.iter() {
                assert!(rule_for(&rules, base(p)).is_some(), "{p} has no rule");
            }
        }
        let distinct: std::collections::BTreeSet<_> =
            BUILTIN.iter().flat_map(|e| e.hosts.iter()).map(base).collect();
        assert_eq!(rules.len(), 2 * distinct.len(), "two rules per distinct domain");
    }

    /// Issue 10: `ws:` to a CRM host is blocked on every domain that is upgraded, with the same
    /// exclusions, and never touches `wss:` or any other resource type.
    #[test]
    fn plaintext_websockets_to_crm_hosts_are_blocked() {
        let rules = upgrade_rules(&Catalog::with_extra(vec![acme()]), &[pattern("legacy.monday.com")])
            .expect("within limits");
        let sf = ws_rule_for(&rules, "my.salesforce.com").expect("*.my.salesforce.com has a ws rule");
        assert_eq!(
            *sf,
            json!({
                "id": sf["id"],
                "priority": 1,
                "action": { "type": "block" },
                "condition": {
                    "urlFilter": "|ws://",
                    "requestDomains": ["my.salesforce.com"],
                    "resourceTypes": ["websocket"],
                },
            })
        );
        let upgrades: Vec<&Value> = rules.iter().filter(|r| r["action"]["type"] == "upgradeScheme").collect();
        assert_eq!(upgrades.len() * 2, rules.len());
        for up in upgrades {
            let domain = up["condition"]["requestDomains"][0].as_str().expect("domain");
            let ws = ws_rule_for(&rules, domain).unwrap_or_else(|| panic!("{domain}: no ws rule"));
            assert_eq!(ws["id"].as_u64(), up["id"].as_u64().map(|i| i + 1), "{domain}: the next id");
            assert_eq!(
                ws["condition"]["excludedRequestDomains"], up["condition"]["excludedRequestDomains"],
                "{domain}: same exclusions"
            );
        }
        assert!(ws_rule_for(&rules, "crm-eu.acme.example").is_some(), "policy CRMs too");
        let monday = ws_rule_for(&rules, "monday.com").expect("monday");
        assert!(excluded(monday).contains(&"legacy.monday.com"), "an exception host keeps ws");
        // Only the plaintext scheme, anchored at the start of the URL (`wss://` does not match).
        for r in rules.iter().filter(|r| r["action"]["type"] == "block") {
            assert_eq!(r["condition"]["urlFilter"], "|ws://");
        }
    }

    #[test]
    fn catalog_exclusions_below_the_domain_are_excluded() {
        let rules = upgrade_rules(&Catalog::builtin(), &[]).expect("within limits");
        let pd = rule_for(&rules, "pipedrive.com").expect("pipedrive");
        assert!(
            excluded(pd).contains(&"www.pipedrive.com") && excluded(pd).contains(&"status.pipedrive.com")
        );
        let sf = rule_for(&rules, "my.salesforce.com").expect("salesforce");
        assert!(excluded(sf).is_empty());
    }

    #[test]
    fn exceptions_are_left_out() {
        let exceptions = [
            pattern("acme.my.salesforce.com"),
            pattern("login.salesforce.com"),
            pattern("*.odoo.com"),
            pattern("*.legacy.monday.com"),
            pattern("unrelated.example"),
        ];
        let rules = upgrade_rules(&Catalog::builtin(), &exceptions).expect("within limits");
        let sf = rule_for(&rules, "my.salesforce.com").expect("salesforce");
        assert_eq!(excluded(sf), ["acme.my.salesforce.com"]);
        assert!(rule_for(&rules, "login.salesforce.com").is_none(), "the exact host is excepted");
        assert!(rule_for(&rules, "odoo.com").is_none(), "every odoo host is excepted");
        let monday = rule_for(&rules, "monday.com").expect("monday");
        assert!(excluded(monday).contains(&"legacy.monday.com"));
        assert!(excluded(monday).contains(&"www.monday.com"), "catalog exclusions stay");
        assert!(!rules.iter().any(|r| r.to_string().contains("unrelated.example")));
    }

    #[test]
    fn ids_are_stable_and_unique() {
        let catalog = Catalog::with_extra(vec![acme()]);
        let exceptions = [pattern("acme.my.salesforce.com")];
        let a = upgrade_rules(&catalog, &exceptions).expect("within limits");
        let b = upgrade_rules(&catalog, &exceptions).expect("within limits");
        assert_eq!(a, b);
        let ids: Vec<u64> = a.iter().filter_map(|r| r["id"].as_u64()).collect();
        let expected: Vec<u64> = (u64::from(FIRST_RULE_ID)..).take(a.len()).collect();
        assert_eq!(ids, expected, "consecutive from {FIRST_RULE_ID}");
    }

    #[test]
    fn policy_hosts_are_included() {
        let rules = upgrade_rules(&Catalog::with_extra(vec![acme()]), &[]).expect("within limits");
        assert!(rule_for(&rules, "crm.acme.example").is_some());
        let eu = rule_for(&rules, "crm-eu.acme.example").expect("policy wildcard");
        assert_eq!(excluded(eu), ["docs.crm-eu.acme.example"]);
        assert_eq!(rules[0]["condition"]["requestDomains"][0], "crm.acme.example", "policy entries first");
    }

    #[test]
    fn too_many_rules_is_an_error() {
        // Two rules per domain: half the limit in domains is one domain too many.
        let hosts: Vec<HostPattern> =
            (0..=MAX_DYNAMIC_RULES / 2).map(|i| pattern(&format!("crm{i}.big.example"))).collect();
        let big = CrmEntry { hosts: hosts.into(), ..acme() };
        let err = upgrade_rules(&Catalog::with_extra(vec![big]), &[]).expect_err("over the limit");
        assert!(
            matches!(err, DnrError::TooManyRules { limit: MAX_DYNAMIC_RULES, count } if count > MAX_DYNAMIC_RULES)
        );
    }

    #[test]
    fn allow_http_only_for_exception_hosts() {
        let exceptions = [pattern("legacy.acme.example"), pattern("*.old.acme.example")];
        let rule = allow_http_rule(&exceptions, "http://legacy.acme.example/login?x=1", 7).expect("allowed");
        assert_eq!(rule["action"]["type"], "allow");
        assert_eq!(rule["priority"], 2);
        assert_eq!(rule["id"], 7);
        assert_eq!(rule["condition"]["requestDomains"], json!(["legacy.acme.example"]));
        assert_eq!(rule["condition"]["urlFilter"], "|http://legacy.acme.example");
        assert!(allow_http_rule(&exceptions, "http://a.old.acme.example/", 1).is_some());
        for url in [
            "http://acme.my.salesforce.com/",
            "http://old.acme.example/",
            "https://legacy.acme.example/",
            "http://evil.legacy.acme.example/",
            "http://10.0.0.1/",
            "javascript:alert(1)",
            "not a url",
        ] {
            assert_eq!(allow_http_rule(&exceptions, url, 1), None, "{url}");
        }
        assert_eq!(allow_http_rule(&[], "http://legacy.acme.example/", 1), None, "no policy, no way out");
    }

    #[test]
    fn coverage_rules() {
        assert!(covers(&pattern("*.odoo.com"), &pattern("*.odoo.com")));
        assert!(covers(&pattern("*.salesforce.com"), &pattern("*.my.salesforce.com")));
        assert!(covers(&pattern("*.salesforce.com"), &pattern("login.salesforce.com")));
        assert!(covers(&pattern("app.hubspot.com"), &pattern("app.hubspot.com")));
        assert!(!covers(&pattern("my.salesforce.com"), &pattern("*.my.salesforce.com")));
        assert!(!covers(&pattern("*.acme.my.salesforce.com"), &pattern("*.my.salesforce.com")));
        assert!(!covers(&pattern("*.hubspot.com"), &pattern("hubspot.com")));
    }
}
