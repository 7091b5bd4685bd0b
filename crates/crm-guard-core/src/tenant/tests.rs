#![allow(clippy::unwrap_used)]

use super::*;
use crate::catalog::Catalog;

/// The organisation Acme: production, sandboxes, Lightning, Visualforce, its Experience site,
/// its Dynamics org and its HubSpot portal.
const ACME: &[(&str, &[&str])] = &[
    (
        "salesforce",
        &[
            "acme.my.salesforce.com",
            "ACME--*.sandbox.my.salesforce.com.",
            "acme.lightning.force.com",
            "acme--*.sandbox.lightning.force.com",
            "acme--*.vf.force.com",
            "acme.my.site.com",
        ],
    ),
    ("dynamics365", &["acme.crm4.dynamics.com"]),
    ("hubspot", &["12345678"]),
];

fn tenants(config: &[(&str, &[&str])]) -> Tenants {
    let catalog = Catalog::builtin();
    let mut map = BTreeMap::new();
    for (crm, list) in config {
        let entry = catalog.get(crm).unwrap();
        let parsed =
            list.iter().map(|p| TenantPattern::parse(entry, p).unwrap_or_else(|e| panic!("{p}: {e}")));
        map.insert((*crm).to_owned(), parsed.collect());
    }
    Tenants(map)
}

/// `None`: not a CRM page at all.
fn status(config: &Tenants, url: &str) -> Option<TenantStatus> {
    let page = PageUrl::parse(url).ok()?;
    let catalog = Catalog::builtin();
    let entry = catalog.classify(&page)?;
    Some(config.classify(entry, &page))
}

fn own(t: &str) -> Option<TenantStatus> {
    Some(TenantStatus::Own { tenant: t.to_owned() })
}

const FOREIGN: Option<TenantStatus> = Some(TenantStatus::Foreign);
const SHARED: Option<TenantStatus> = Some(TenantStatus::Shared);
const OFF: Option<TenantStatus> = Some(TenantStatus::Off);

/// Hosts × Acme's tenants × expected classification.
#[test]
fn classification_table() {
    let acme = tenants(ACME);
    let pad = "x".repeat(40 * 1024);
    let cases: Vec<(String, Option<TenantStatus>)> = vec![
        // The organisation's own tenants.
        ("https://acme.my.salesforce.com/".into(), own("acme.my.salesforce.com")),
        ("https://ACME.MY.SALESFORCE.COM./home".into(), own("acme.my.salesforce.com")),
        ("https://acme.lightning.force.com/lightning/o/Account".into(), own("acme.lightning.force.com")),
        // Sandboxes: any sandbox of acme, not of acme-corp, not a bare `acme--`.
        ("https://acme--uat.sandbox.my.salesforce.com/".into(), own("acme--*.sandbox.my.salesforce.com")),
        (
            "https://acme--dev2.sandbox.lightning.force.com/".into(),
            own("acme--*.sandbox.lightning.force.com"),
        ),
        ("https://acme--c.vf.force.com/apex/x".into(), own("acme--*.vf.force.com")),
        ("https://acme--.sandbox.my.salesforce.com/".into(), FOREIGN),
        ("https://acmecorp--uat.sandbox.my.salesforce.com/".into(), FOREIGN),
        ("https://acme-corp--uat.sandbox.my.salesforce.com/".into(), FOREIGN),
        ("https://evil--acme--uat.sandbox.my.salesforce.com/".into(), FOREIGN),
        ("https://acme--uat.sandbox.my.salesforce.com.evil.test/".into(), None),
        ("https://x.acme--uat.sandbox.my.salesforce.com/".into(), FOREIGN),
        // The organisation's Experience site; anyone else's is not the organisation.
        ("https://acme.my.site.com/s/login".into(), own("acme.my.site.com")),
        ("https://evil.my.site.com/s/login".into(), FOREIGN),
        ("https://acme--uat.sandbox.my.site.com/".into(), FOREIGN),
        // Another org's my.salesforce.com and lookalikes of the tenant's name.
        ("https://globex.my.salesforce.com/".into(), FOREIGN),
        ("https://acme-corp.my.salesforce.com/".into(), FOREIGN),
        ("https://acmee.my.salesforce.com/".into(), FOREIGN),
        ("https://acme.my.salesforce.com.evil.test/".into(), None),
        ("https://xn--acm-vla.my.salesforce.com/".into(), FOREIGN),
        ("https://acm\u{e9}.my.salesforce.com/".into(), FOREIGN),
        ("https://\u{430}cme.my.salesforce.com/".into(), FOREIGN),
        ("https://a.acme.my.salesforce.com/".into(), FOREIGN),
        ("https://acme.my.salesforce-setup.com/".into(), FOREIGN),
        // Salesforce's sign-in pages serve every organisation.
        ("https://login.salesforce.com/".into(), SHARED),
        ("https://TEST.salesforce.com./".into(), SHARED),
        // Over-long URLs are judged on their host.
        (format!("https://acme.my.salesforce.com/{pad}"), own("acme.my.salesforce.com")),
        (format!("https://evil.my.site.com/{pad}"), FOREIGN),
        (format!("https://evil.my.site.com/s#{pad}"), FOREIGN),
        // Dynamics org URLs.
        ("https://acme.crm4.dynamics.com/main.aspx".into(), own("acme.crm4.dynamics.com")),
        ("https://ACME.crm4.dynamics.com./".into(), own("acme.crm4.dynamics.com")),
        ("https://acme.crm.dynamics.com/".into(), FOREIGN),
        ("https://contoso.crm4.dynamics.com/".into(), FOREIGN),
        // HubSpot: the portal id from the path.
        ("https://app.hubspot.com/contacts/12345678/objects/0-1/views/all/list".into(), own("12345678")),
        ("https://app-eu1.hubspot.com/reports-dashboard/12345678/view/1".into(), own("12345678")),
        ("https://app.hubspot.com/contacts/87654321/objects/0-1".into(), FOREIGN),
        ("https://app.hubspot.com/contacts/123456789/".into(), FOREIGN),
        ("https://app.hubspot.com/contacts/1234567/".into(), FOREIGN),
        ("https://app.hubspot.com/contacts/12345678x/".into(), SHARED),
        ("https://app.hubspot.com/login".into(), SHARED),
        ("https://app.hubspot.com/".into(), SHARED),
        ("https://app.hubspot.com/contacts/12345678?portal=87654321".into(), own("12345678")),
        (format!("https://app.hubspot.com/contacts/12345678/{pad}"), FOREIGN),
        (format!("https://app.hubspot.com/contacts/12345678/x#{pad}"), own("12345678")),
        // CRMs Acme named no tenant of: tenant checks off.
        ("https://anyone.pipedrive.com/".into(), OFF),
        ("https://acme.odoo.com/web".into(), OFF),
        ("https://crm.zoho.com/crm/org1/tab/Home".into(), OFF),
        // Not CRM pages at all.
        ("https://www.salesforce.com/".into(), None),
        ("https://example.test/".into(), None),
    ];
    for (url, want) in &cases {
        assert_eq!(&status(&acme, url), want, "{}", &url[..url.len().min(80)]);
    }
}

/// Without tenants, every tenant is the CRM (today's behaviour): tenant checks are off.
#[test]
fn no_tenants_means_checks_off() {
    let none = Tenants::default();
    let empty = tenants(&[("salesforce", &[])]);
    for config in [&none, &empty] {
        for url in [
            "https://acme.my.salesforce.com/",
            "https://evil.my.site.com/",
            "https://login.salesforce.com/",
            "https://app.hubspot.com/contacts/1/",
        ] {
            assert_eq!(status(config, url), OFF, "{url}");
        }
    }
    // Tenants of one CRM do not switch checks on for another.
    let sf = tenants(&[("salesforce", &["acme.my.salesforce.com"])]);
    assert_eq!(status(&sf, "https://app.hubspot.com/contacts/1/"), OFF);
    assert_eq!(status(&sf, "https://evil.my.site.com/"), FOREIGN);
}

/// Patterns IT may write, and those refused with the reason.
#[test]
fn pattern_parse_table() {
    let catalog = Catalog::builtin();
    let cases: &[(&str, &str, Result<&str, TenantError>)] = &[
        ("salesforce", "acme.my.salesforce.com", Ok("acme.my.salesforce.com")),
        ("salesforce", " ACME.My.Salesforce.com. ", Ok("acme.my.salesforce.com")),
        ("salesforce", "acme--*.sandbox.my.salesforce.com", Ok("acme--*.sandbox.my.salesforce.com")),
        ("salesforce", "*.acme.my.site.com", Ok("*.acme.my.site.com")),
        ("salesforce", "acmé.my.site.com", Ok("xn--acm-dma.my.site.com")),
        ("salesforce", "*.my.salesforce.com", Err(TenantError::TooBroad)),
        ("salesforce", "*.salesforce.com", Err(TenantError::TooBroad)),
        ("salesforce", "*.force.com", Err(TenantError::TooBroad)),
        ("salesforce", "acme*.my.salesforce.com", Err(TenantError::Wildcard)),
        ("salesforce", "acme-*.my.salesforce.com", Err(TenantError::Wildcard)),
        ("salesforce", "--*.my.salesforce.com", Err(TenantError::Wildcard)),
        ("salesforce", "ac*me--.my.salesforce.com", Err(TenantError::Wildcard)),
        ("salesforce", "acmé--*.sandbox.my.salesforce.com", Err(TenantError::Wildcard)),
        ("salesforce", "acme--*.*.salesforce.com", Err(TenantError::Invalid)),
        ("salesforce", "login.salesforce.com", Err(TenantError::SharedHost)),
        ("salesforce", "acme.my.salesforce.com.evil.test", Err(TenantError::NotThisCrm)),
        ("salesforce", "acme.crm4.dynamics.com", Err(TenantError::NotThisCrm)),
        ("salesforce", "www.salesforce.com", Err(TenantError::NotThisCrm)),
        ("salesforce", "", Err(TenantError::Invalid)),
        ("salesforce", "bad host", Err(TenantError::Invalid)),
        ("dynamics365", "acme.crm4.dynamics.com", Ok("acme.crm4.dynamics.com")),
        ("dynamics365", "*.crm4.dynamics.com", Err(TenantError::TooBroad)),
        ("hubspot", "12345678", Ok("12345678")),
        ("hubspot", "app.hubspot.com", Err(TenantError::NotAPortalId)),
        ("hubspot", "12a", Err(TenantError::NotAPortalId)),
        ("hubspot", "1234567890123456", Err(TenantError::NotAPortalId)),
        ("pipedrive", "app.pipedrive.com", Err(TenantError::SharedHost)),
        ("pipedrive", "acme.pipedrive.com", Ok("acme.pipedrive.com")),
        ("pipedrive", "www.pipedrive.com", Err(TenantError::NotThisCrm)),
        ("copper", "app.copper.com", Err(TenantError::Unsupported)),
        ("zoho", "crm.zoho.com", Err(TenantError::Unsupported)),
    ];
    for (crm, input, want) in cases {
        let entry = catalog.get(crm).unwrap();
        let got = TenantPattern::parse(entry, input).map(|p| p.to_string());
        assert_eq!(got, want.clone().map(str::to_owned), "{crm}: {input}");
    }
}

#[test]
fn trust_and_fingerprint_keys() {
    let own = TenantStatus::Own { tenant: "acme.my.salesforce.com".into() };
    assert!(own.trusted() && TenantStatus::Off.trusted() && TenantStatus::Shared.trusted());
    assert!(!TenantStatus::Foreign.trusted());
    assert_eq!(own.fingerprint_tenant(), Some("acme.my.salesforce.com"));
    assert_eq!(TenantStatus::Off.fingerprint_tenant(), Some(""));
    assert_eq!(TenantStatus::Shared.fingerprint_tenant(), None);
    assert_eq!(TenantStatus::Foreign.fingerprint_tenant(), None);
    assert_eq!(
        serde_json::to_value(&own).unwrap(),
        serde_json::json!({"status": "own", "tenant": "acme.my.salesforce.com"})
    );
    assert_eq!(
        serde_json::to_value(TenantStatus::Foreign).unwrap(),
        serde_json::json!({"status": "foreign"})
    );
}

/// Every catalog entry has a tenancy on purpose: the host-named ones accept a tenant.
#[test]
fn every_host_tenancy_accepts_a_tenant() {
    for entry in crate::catalog::BUILTIN {
        if let Tenancy::Host { .. } = tenancy(&entry.id) {
            let sample = match &entry.hosts[0] {
                HostPattern::Subdomains(s) => format!("acme.{s}"),
                HostPattern::Exact(h) => h.to_string(),
            };
            assert!(TenantPattern::parse(entry, &sample).is_ok(), "{}: {sample}", entry.id);
        }
    }
}

/// Policy `tenants`: each refused entry is named with its reason; the rest applies; an invalid
/// managed value leaves tenant checks off (the default), never someone else's tenant trusted.
#[test]
fn policy_tenants_errors_are_named() {
    use crate::policy::{effective, Reason};
    use serde_json::json;
    let e = effective(
        &serde_json::Value::Null,
        &json!({ "tenants": {
            "salesforce": ["acme.my.salesforce.com", "*.my.site.com", "login.salesforce.com", "acme-*.my.salesforce.com", 7],
            "hubspot": ["12345678", "app.hubspot.com"],
            "copper": ["app.copper.com"],
            "nope": ["x.example.com"],
        }}),
    );
    let reasons: Vec<(String, String)> = e
        .errors
        .iter()
        .filter(|x| x.key == "tenants")
        .map(|x| (x.value.clone(), x.reason.to_string()))
        .collect();
    let has = |value: &str, reason: &str| {
        assert!(
            reasons.iter().any(|(v, r)| v == value && r == reason),
            "{value}: {reason} not in {reasons:#?}"
        )
    };
    has("\"*.my.site.com\"", "bad tenant for salesforce: covers every organisation on this CRM");
    has(
        "\"login.salesforce.com\"",
        "bad tenant for salesforce: is the CRM's page shared by every organisation, not a tenant",
    );
    has(
        "\"acme-*.my.salesforce.com\"",
        "bad tenant for salesforce: `*` inside a name must follow `--` (a sandbox: acme--*.sandbox.my.salesforce.com)",
    );
    has("7", "expected a string, found a number");
    has(
        "\"app.hubspot.com\"",
        "bad tenant for hubspot: must be the numeric portal id (app.hubspot.com/contacts/<portal id>/…)",
    );
    has(
        "\"copper\"",
        "bad tenant for copper: this CRM's addresses do not name the organisation: tenant checks are not possible",
    );
    has("\"nope\"", &Reason::UnknownCrm.to_string());
    let json = serde_json::to_value(&e.settings.tenants).unwrap();
    assert_eq!(json, json!({ "salesforce": ["acme.my.salesforce.com"], "hubspot": ["12345678"] }));
    let bad = effective(&serde_json::Value::Null, &json!({ "tenants": ["acme.my.salesforce.com"] }));
    assert!(bad.settings.tenants.is_empty() && bad.locked.contains(&crate::policy::Key::Tenants));
    assert_eq!(bad.errors[0].reason.to_string(), "expected an object of CRM ids, found a list");
}
