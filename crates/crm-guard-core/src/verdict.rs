//! The tab verdict: is this tab a CRM tab, and how safe is it?

use serde::Serialize;

use crate::catalog::Catalog;
use crate::finding::{Finding, FindingKind, Level};
use crate::host::{PageUrl, Scheme};
use crate::lookalike;
use crate::tenant::TenantStatus;

/// What the badge and the popup show for a CRM tab.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TabVerdict {
    pub crm_id: String,
    pub crm_name: String,
    pub host: String,
    /// The worst level among the findings; `Secure` when there are none.
    pub level: Level,
    /// Findings, worst first, without duplicates.
    pub findings: Vec<Finding>,
    /// The tab is not the CRM but imitates it (`crm_*` name the imitated CRM).
    pub lookalike: bool,
    /// Whose tenant of the CRM the tab is (`off` for a lookalike: it is no tenant).
    pub tenant: TenantStatus,
}

/// Findings that follow from the URL alone: plain `http:`, an IP literal instead of the CRM's name
/// (certificates are issued to names, so an IP-literal CRM is at best a misconfiguration), and an
/// explicit port other than the scheme's default (detail: the port). [`PageUrl::parse`] already drops
/// default ports (`:443` on https, `:80` on http), so any port left is non-standard.
pub fn url_findings(url: &PageUrl) -> Vec<Finding> {
    let mut out = Vec::new();
    if url.scheme == Scheme::Http {
        out.push(Finding::new(FindingKind::InsecureScheme));
    }
    if url.ip_literal {
        out.push(Finding::new(FindingKind::IpLiteralHost));
    }
    if let Some(port) = url.port {
        out.push(Finding::new(FindingKind::NonStandardPort).with_detail(port.to_string()));
    }
    out
}

/// The verdict for a tab at `url` with the findings reported for it so far (by the content
/// script, the network observers…). `None` when the tab is not a CRM tab or the URL is not a
/// web page: such tabs get no badge.
pub fn evaluate(catalog: &Catalog, url: &str, reported: &[Finding]) -> Option<TabVerdict> {
    let page = PageUrl::parse(url).ok()?;
    let Some(crm) = catalog.classify(&page) else {
        let imitation = lookalike::check(catalog, &page)?;
        let finding = Finding::new(FindingKind::Lookalike).with_detail(imitation.crm_name.clone());
        return Some(TabVerdict {
            crm_id: imitation.crm_id,
            crm_name: imitation.crm_name,
            host: page.host,
            level: finding.level,
            lookalike: true,
            findings: vec![finding],
            tenant: TenantStatus::Off,
        });
    };
    let tenant = catalog.tenant_of(crm, &page);
    let mut findings = url_findings(&page);
    if tenant == TenantStatus::Foreign {
        findings.push(Finding::new(FindingKind::ForeignTenant).with_detail(crm.name.to_string()));
    }
    for f in reported {
        if !findings.contains(f) {
            findings.push(f.clone());
        }
    }
    // Highest level first, in order of appearance within a level: `sort_by_key(Reverse(level))`
    // as a stable insertion sort (a page has a few findings; the general stable sort is ~4 KB
    // of WASM for this one element type, docs/size.md).
    for i in 1..findings.len() {
        let mut j = i;
        while j > 0 && findings[j - 1].level < findings[j].level {
            findings.swap(j - 1, j);
            j -= 1;
        }
    }
    let level = findings.iter().map(|f| f.level).max().unwrap_or(Level::Secure);
    Some(TabVerdict {
        crm_id: crm.id.to_string(),
        crm_name: crm.name.to_string(),
        host: page.host,
        level,
        findings,
        lookalike: false,
        tenant,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn eval(url: &str, reported: &[Finding]) -> Option<TabVerdict> {
        evaluate(&Catalog::builtin(), url, reported)
    }

    #[test]
    fn https_without_findings_is_secure() {
        let v = eval("https://acme.my.salesforce.com/", &[]).unwrap();
        assert_eq!(v.level, Level::Secure);
        assert_eq!(v.crm_name, "Salesforce");
        assert!(v.findings.is_empty());
    }

    #[test]
    fn http_is_at_risk() {
        let v = eval("http://acme.odoo.com/web", &[]).unwrap();
        assert_eq!(v.level, Level::AtRisk);
        assert_eq!(v.findings, vec![Finding::new(FindingKind::InsecureScheme)]);
    }

    #[test]
    fn worst_finding_wins_and_duplicates_go() {
        let warn = Finding { level: Level::Warning, ..Finding::new(FindingKind::NotSecureContext) };
        let v = eval("https://app.hubspot.com/", &[warn.clone(), warn.clone()]).unwrap();
        assert_eq!(v.level, Level::Warning);
        assert_eq!(v.findings.len(), 1);
        let v = eval("http://app.hubspot.com/", &[warn]).unwrap();
        assert_eq!(v.level, Level::AtRisk);
        assert_eq!(v.findings[0].kind, FindingKind::InsecureScheme, "worst first");
    }

    fn url_kinds(url: &str) -> Vec<(FindingKind, Option<String>)> {
        let page = PageUrl::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
        url_findings(&page).into_iter().map(|f| (f.kind, f.detail)).collect()
    }

    #[test]
    fn url_findings_table() {
        use FindingKind::{InsecureScheme, IpLiteralHost, NonStandardPort};
        let port = |p: &str| (NonStandardPort, Some(p.to_owned()));
        #[allow(clippy::type_complexity)]
        let cases: &[(&str, Vec<(FindingKind, Option<String>)>)] = &[
            ("https://acme.my.salesforce.com/", vec![]),
            ("https://acme.my.salesforce.com:443/", vec![]),
            ("http://acme.my.salesforce.com:80/", vec![(InsecureScheme, None)]),
            ("https://acme.my.salesforce.com:8443/", vec![port("8443")]),
            ("https://acme.my.salesforce.com:80/", vec![port("80")]),
            ("http://acme.my.salesforce.com:443/", vec![(InsecureScheme, None), port("443")]),
            ("https://10.1.2.3/crm", vec![(IpLiteralHost, None)]),
            ("https://[2001:db8::1]:4443/", vec![(IpLiteralHost, None), port("4443")]),
            ("http://192.168.0.10:8080/", vec![(InsecureScheme, None), (IpLiteralHost, None), port("8080")]),
        ];
        for (url, want) in cases {
            assert_eq!(&url_kinds(url), want, "{url}");
        }
    }

    #[test]
    fn ip_literal_and_port_reach_the_verdict() {
        let extra = crate::catalog::CrmEntry {
            id: "selfhosted".into(),
            name: "Acme CRM".into(),
            hosts: vec![crate::host::HostPattern::parse("10.0.0.5").expect("an IP is a valid exact host")]
                .into(),
            exclude: Vec::new().into(),
            path_prefix: None,
            logout_url: None,
        };
        let v =
            evaluate(&Catalog::with_extra(vec![extra]), "https://10.0.0.5:8443/", &[]).expect("a CRM tab");
        assert_eq!(v.level, Level::Warning);
        let kinds: Vec<_> = v.findings.iter().map(|f| f.kind).collect();
        assert_eq!(kinds, [FindingKind::IpLiteralHost, FindingKind::NonStandardPort]);
    }

    #[test]
    fn lookalike_tab_is_at_risk() {
        let v = eval("https://salesforce-login.com/", &[]).expect("a lookalike gets a verdict");
        assert!(v.lookalike);
        assert_eq!((v.crm_id.as_str(), v.level), ("salesforce", Level::AtRisk));
        assert_eq!(v.findings[0].detail.as_deref(), Some("Salesforce"));
    }

    /// Another organisation's tenant is at risk with its own finding; the organisation's own
    /// tenant and a CRM without tenants keep today's verdict.
    #[test]
    fn foreign_tenant_verdict() {
        use crate::policy::Settings;
        let (settings, errors) = Settings::from_value(&serde_json::json!({
            "tenants": { "salesforce": ["acme.my.salesforce.com"] }
        }));
        assert!(errors.is_empty(), "{errors:?}");
        let catalog = settings.catalog();
        let v = evaluate(&catalog, "https://evil.my.site.com/s/login", &[]).unwrap();
        assert_eq!(
            (v.crm_id.as_str(), v.level, &v.tenant),
            ("salesforce", Level::AtRisk, &TenantStatus::Foreign)
        );
        assert_eq!(v.findings, vec![Finding::new(FindingKind::ForeignTenant).with_detail("Salesforce")]);
        let v = evaluate(&catalog, "https://acme.my.salesforce.com/", &[]).unwrap();
        assert_eq!(
            (v.level, v.tenant),
            (Level::Secure, TenantStatus::Own { tenant: "acme.my.salesforce.com".into() })
        );
        let v = evaluate(&catalog, "https://app.hubspot.com/contacts/1/", &[]).unwrap();
        assert_eq!((v.level, v.tenant), (Level::Secure, TenantStatus::Off));
        let v = evaluate(&Catalog::builtin(), "https://evil.my.site.com/", &[]).unwrap();
        assert_eq!((v.level, v.tenant), (Level::Secure, TenantStatus::Off));
    }

    #[test]
    fn non_crm_and_non_pages_get_nothing() {
        for url in [
            "https://www.salesforce.com/",
            "https://example.com/",
            "chrome://newtab/",
            "file:///tmp/x",
            "data:text/html,<h1>x",
            "about:blank",
            "",
            "%%%",
        ] {
            assert_eq!(eval(url, &[]), None, "{url}");
        }
        let huge = format!("https://www.salesforce.com/{}", "x".repeat(3_000_000));
        assert_eq!(eval(&huge, &[]), None);
    }

    /// Fail closed (issue 10, item 6): a page cannot switch CRM Guard off by making its URL
    /// longer than the parser takes. (url, CRM id, level, lookalike); `None`: no verdict.
    #[test]
    fn over_long_urls_are_judged_by_scheme_and_host() {
        let pad = "x".repeat(40 * 1024);
        let huge = "y".repeat(3_000_000);
        type Want = Option<(&'static str, Level, bool)>;
        let cases: Vec<(String, Want)> = vec![
            (
                format!("https://acme.my.salesforce.com/lightning/page#{pad}"),
                Some(("salesforce", Level::Secure, false)),
            ),
            (format!("https://acme.my.salesforce.com/{huge}"), Some(("salesforce", Level::Secure, false))),
            (
                format!("https://acme.my.salesforce.com/a?{huge}#{huge}"),
                Some(("salesforce", Level::Secure, false)),
            ),
            (format!("http://acme.my.salesforce.com/#{pad}"), Some(("salesforce", Level::AtRisk, false))),
            (
                format!("https://acme.my.salesforce.com:8443/{pad}"),
                Some(("salesforce", Level::Warning, false)),
            ),
            // A path-scoped entry is claimed on its host when the path cannot be read.
            (
                format!("https://acme.myfreshworks.com/crm/sales#{pad}"),
                Some(("freshsales", Level::Secure, false)),
            ),
            (format!("https://acme.myfreshworks.com/{pad}"), Some(("freshsales", Level::Secure, false))),
            (format!("https://acme.myfreshworks.com/other#{pad}"), None),
            (format!("https://salesforce-login.com/{huge}"), Some(("salesforce", Level::AtRisk, true))),
            (format!("https://www.salesforce.com/#{pad}"), None),
            (format!("https://example.com/{pad}"), None),
            (format!("chrome://newtab/{pad}"), None),
        ];
        for (url, want) in cases {
            let got = eval(&url, &[]).map(|v| (v.crm_id, v.level, v.lookalike));
            let want = want.map(|(id, level, l)| (id.to_owned(), level, l));
            assert_eq!(got, want, "{}", &url[..50]);
        }
    }
}
