//! The tab verdict: is this tab a CRM tab, and how safe is it?

use serde::Serialize;

use crate::catalog::Catalog;
use crate::finding::{Finding, FindingKind, Level};
use crate::host::{PageUrl, Scheme};
use crate::lookalike;

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
}

/// Findings that follow from the URL alone.
pub fn url_findings(url: &PageUrl) -> Vec<Finding> {
    let mut out = Vec::new();
    if url.scheme == Scheme::Http {
        out.push(Finding::new(FindingKind::InsecureScheme));
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
        });
    };
    let mut findings = url_findings(&page);
    for f in reported {
        if !findings.contains(f) {
            findings.push(f.clone());
        }
    }
    findings.sort_by(|a, b| b.level.cmp(&a.level));
    let level = findings.iter().map(|f| f.level).max().unwrap_or(Level::Secure);
    Some(TabVerdict {
        crm_id: crm.id.to_string(),
        crm_name: crm.name.to_string(),
        host: page.host,
        level,
        findings,
        lookalike: false,
    })
}

#[cfg(test)]
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
        let warn = Finding { kind: FindingKind::NotSecureContext, level: Level::Warning, detail: None };
        let v = eval("https://app.hubspot.com/", &[warn.clone(), warn.clone()]).unwrap();
        assert_eq!(v.level, Level::Warning);
        assert_eq!(v.findings.len(), 1);
        let v = eval("http://app.hubspot.com/", &[warn]).unwrap();
        assert_eq!(v.level, Level::AtRisk);
        assert_eq!(v.findings[0].kind, FindingKind::InsecureScheme, "worst first");
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
        let huge = format!("https://acme.my.salesforce.com/{}", "x".repeat(3_000_000));
        assert_eq!(eval(&huge, &[]), None);
    }
}
