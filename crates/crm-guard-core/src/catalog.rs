//! The CRM catalog: which hosts (and paths) are CRM tabs, as data.
//!
//! Marketing sites (`www.salesforce.com`, `www.pipedrive.com`) are not CRM tabs; where a
//! wildcard would cover them, the entry lists them in `exclude`.

use std::borrow::Cow;

use serde::Serialize;

use crate::host::{HostPattern, PageUrl};
use crate::tenant::{TenantStatus, Tenants};

/// One CRM product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CrmEntry {
    /// Stable identifier (`salesforce`), used in policy, storage and logs.
    pub id: Cow<'static, str>,
    /// Display name (`Salesforce`); product names are not translated.
    pub name: Cow<'static, str>,
    /// Hosts that serve the CRM application.
    pub hosts: Cow<'static, [HostPattern]>,
    /// Hosts covered by `hosts` that are not the application (marketing, docs).
    pub exclude: Cow<'static, [HostPattern]>,
    /// The application lives under this path only (the host is shared with other products).
    pub path_prefix: Option<Cow<'static, str>>,
    /// Logout endpoint; `{origin}` is replaced by the tab's origin.
    pub logout_url: Option<Cow<'static, str>>,
}

impl CrmEntry {
    /// Whether this entry claims the URL: host matches, is not excluded, path is under the prefix.
    /// A URL read by scheme and host alone ([`PageUrl::partial`]) is claimed on its host: its
    /// path is unknown, and a page must not leave the CRM by making its URL too long to read.
    pub fn matches(&self, url: &PageUrl) -> bool {
        self.hosts.iter().any(|p| p.matches(&url.host))
            && !self.exclude.iter().any(|p| p.matches(&url.host))
            && (url.partial || self.path_prefix.as_deref().is_none_or(|prefix| path_under(&url.path, prefix)))
    }

    /// The logout URL for a tab of this CRM at `origin`, if the CRM has one.
    pub fn logout_url_for(&self, origin: &str) -> Option<String> {
        self.logout_url.as_deref().map(|t| t.replace("{origin}", origin))
    }
}

/// `/crm` and `/crm/…` are under `/crm/`; `/crmx` is not.
fn path_under(path: &str, prefix: &str) -> bool {
    let bare = prefix.trim_end_matches('/');
    path == bare || path.starts_with(&format!("{bare}/"))
}

macro_rules! crm {
    ($id:literal, $name:literal, hosts: [$($h:expr),+ $(,)?]
     $(, exclude: [$($x:expr),* $(,)?])? $(, path: $path:literal)? $(, logout: $logout:literal)? $(,)?) => {
        CrmEntry {
            id: Cow::Borrowed($id),
            name: Cow::Borrowed($name),
            hosts: Cow::Borrowed(&[$($h),+]),
            exclude: Cow::Borrowed(&[$($($x),*)?]),
            path_prefix: crm!(@opt $($path)?),
            logout_url: crm!(@opt $($logout)?),
        }
    };
    (@opt) => { None };
    (@opt $v:literal) => { Some(Cow::Borrowed($v)) };
}

use HostPattern as P;

/// The built-in catalog. Each entry is covered by positive and negative tests below.
pub static BUILTIN: &[CrmEntry] = &[
    crm!("salesforce", "Salesforce",
        hosts: [P::subdomains("my.salesforce.com"), P::subdomains("lightning.force.com"),
            P::subdomains("vf.force.com"), P::subdomains("visual.force.com"), P::subdomains("my.site.com"),
            P::subdomains("my.salesforce-setup.com"), P::exact("login.salesforce.com"),
            P::exact("test.salesforce.com")],
        logout: "{origin}/secur/logout.jsp"),
    crm!("dynamics365", "Dynamics 365",
        hosts: [P::subdomains("crm.dynamics.com"), P::subdomains("crm2.dynamics.com"),
            P::subdomains("crm3.dynamics.com"), P::subdomains("crm4.dynamics.com"), P::subdomains("crm5.dynamics.com"),
            P::subdomains("crm6.dynamics.com"), P::subdomains("crm7.dynamics.com"), P::subdomains("crm8.dynamics.com"),
            P::subdomains("crm9.dynamics.com"), P::subdomains("crm11.dynamics.com"), P::subdomains("crm12.dynamics.com"),
            P::subdomains("crm14.dynamics.com"), P::subdomains("crm15.dynamics.com"), P::subdomains("crm16.dynamics.com"),
            P::subdomains("crm17.dynamics.com"), P::subdomains("crm19.dynamics.com"), P::subdomains("crm20.dynamics.com"),
            P::subdomains("crm21.dynamics.com"), P::subdomains("crm.microsoftdynamics.us"),
            P::subdomains("crm.appsplatform.us")]),
    crm!("hubspot", "HubSpot",
        hosts: [P::exact("app.hubspot.com"), P::exact("app-eu1.hubspot.com"), P::exact("app-na2.hubspot.com"),
            P::exact("app-ap1.hubspot.com")]),
    crm!("zoho", "Zoho CRM",
        hosts: [P::exact("crm.zoho.com"), P::exact("crm.zoho.eu"), P::exact("crm.zoho.in"),
            P::exact("crm.zoho.com.au"), P::exact("crm.zoho.jp"), P::exact("crm.zoho.com.cn"),
            P::exact("crm.zohocloud.ca"), P::exact("crm.zoho.sa"), P::exact("crm.zoho.uk"),
            P::exact("crmplus.zoho.com"), P::exact("crmplus.zoho.eu")]),
    crm!("freshsales", "Freshsales",
        hosts: [P::subdomains("myfreshworks.com")], path: "/crm/"),
    crm!("freshsales-classic", "Freshsales",
        hosts: [P::subdomains("freshsales.io")],
        exclude: [P::exact("www.freshsales.io")]),
    crm!("pipedrive", "Pipedrive",
        hosts: [P::subdomains("pipedrive.com")],
        exclude: [P::exact("www.pipedrive.com"), P::exact("developers.pipedrive.com"),
            P::exact("support.pipedrive.com"), P::exact("status.pipedrive.com"), P::exact("marketplace.pipedrive.com")],
        logout: "{origin}/auth/logout"),
    crm!("sugarcrm", "SugarCRM",
        hosts: [P::subdomains("sugarondemand.com")]),
    crm!("zendesk-sell", "Zendesk Sell",
        hosts: [P::exact("app.futuresimple.com")]),
    crm!("monday", "monday CRM",
        hosts: [P::subdomains("monday.com")],
        exclude: [P::exact("www.monday.com"), P::exact("support.monday.com"), P::exact("developer.monday.com"),
            P::exact("status.monday.com"), P::exact("community.monday.com")]),
    crm!("insightly", "Insightly",
        hosts: [P::subdomains("insightly.com")],
        exclude: [P::exact("www.insightly.com"), P::exact("support.insightly.com"), P::exact("api.insightly.com")]),
    crm!("copper", "Copper",
        hosts: [P::exact("app.copper.com")]),
    crm!("odoo", "Odoo Online",
        hosts: [P::subdomains("odoo.com")],
        exclude: [P::exact("www.odoo.com"), P::exact("apps.odoo.com"), P::exact("accounts.odoo.com"),
            P::exact("runbot.odoo.com"), P::exact("upgrade.odoo.com")],
        logout: "{origin}/web/session/logout"),
    crm!("close", "Close",
        hosts: [P::exact("app.close.com")]),
    crm!("capsule", "Capsule CRM",
        hosts: [P::subdomains("capsulecrm.com")],
        exclude: [P::exact("www.capsulecrm.com"), P::exact("developer.capsulecrm.com")]),
    crm!("bitrix24", "Bitrix24",
        hosts: [P::subdomains("bitrix24.com"), P::subdomains("bitrix24.eu"), P::subdomains("bitrix24.de"),
            P::subdomains("bitrix24.fr")],
        exclude: [P::exact("www.bitrix24.com"), P::exact("www.bitrix24.eu"), P::exact("www.bitrix24.de"),
            P::exact("www.bitrix24.fr")]),
    crm!("nutshell", "Nutshell",
        hosts: [P::exact("app.nutshell.com")]),
];

/// The catalog in force: the built-in entries plus any added by IT policy.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    extra: Vec<CrmEntry>,
    /// Ids of built-in entries IT policy turned off (`disabledCrms`).
    disabled: Vec<String>,
    /// The organisation's tenants (`tenants`).
    tenants: Tenants,
}

impl Catalog {
    /// Built-in entries only.
    pub fn builtin() -> Self {
        Catalog::default()
    }

    /// Built-in entries plus `extra` (self-hosted CRMs from policy); extra entries win.
    pub fn with_extra(extra: Vec<CrmEntry>) -> Self {
        Catalog { extra, ..Catalog::default() }
    }

    /// The same catalog without the built-in entries with these ids.
    pub fn without(mut self, ids: impl IntoIterator<Item = String>) -> Self {
        self.disabled.extend(ids);
        self
    }

    /// The same catalog with the organisation's tenants.
    pub fn with_tenants(mut self, tenants: Tenants) -> Self {
        self.tenants = tenants;
        self
    }

    /// Whose tenant of `entry` (which claims `url`) the page is.
    pub fn tenant_of(&self, entry: &CrmEntry, url: &PageUrl) -> TenantStatus {
        self.tenants.classify(entry, url)
    }

    /// Every entry, policy-added first.
    pub fn entries(&self) -> impl Iterator<Item = &CrmEntry> {
        self.extra.iter().chain(BUILTIN.iter().filter(|e| !self.disabled.iter().any(|d| *d == e.id)))
    }

    /// The CRM a page belongs to, if any.
    pub fn classify(&self, url: &PageUrl) -> Option<&CrmEntry> {
        self.entries().find(|e| e.matches(url))
    }

    /// The CRM entry with this id.
    pub fn get(&self, id: &str) -> Option<&CrmEntry> {
        self.entries().find(|e| e.id == id)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn crm_of(url: &str) -> Option<String> {
        let url = PageUrl::parse(url).ok()?;
        Catalog::builtin().classify(&url).map(|e| e.id.to_string())
    }

    /// (entry id, URLs it must claim, URLs it must not claim).
    #[allow(clippy::type_complexity)]
    const CASES: &[(&str, &[&str], &[&str])] = &[
        (
            "salesforce",
            &[
                "https://acme.my.salesforce.com/",
                "https://ACME.MY.SALESFORCE.COM./home",
                "https://acme--uat.sandbox.my.salesforce.com/",
                "https://acme.lightning.force.com/lightning/o/Account",
                "https://acme--c.vf.force.com/apex/x",
                "https://acme.my.site.com/s/",
                "https://login.salesforce.com/",
                "https://test.salesforce.com/",
                "https://user:pw@acme.my.salesforce.com:8443/x",
                "http://acme.my.salesforce.com/",
            ],
            &[
                "https://www.salesforce.com/",
                "https://salesforce.com/",
                "https://my.salesforce.com/",
                "https://acme.my.salesforce.com.evil.com/",
                "https://acme-my-salesforce.com/",
                "https://acme.my.salesforce.co/",
                "https://xn--slesforce-51a.my.site.example/",
                "https://login.salesforce.com.attacker.net/",
                "https://evil.com/?u=acme.my.salesforce.com",
                "https://acme.my.salesforce.com@evil.com/",
            ],
        ),
        (
            "dynamics365",
            &[
                "https://contoso.crm.dynamics.com/main.aspx",
                "https://contoso.crm4.dynamics.com/",
                "https://contoso.crm12.dynamics.com/",
                "https://contoso.crm21.dynamics.com/",
                "https://contoso.crm.microsoftdynamics.us/",
                "https://CONTOSO.crm11.dynamics.com.",
            ],
            &[
                "https://dynamics.com/",
                "https://crm.dynamics.com/",
                "https://contoso.crm10.dynamics.com/",
                "https://contoso.crm.dynamics.com.evil.io/",
                "https://www.microsoft.com/dynamics-365",
            ],
        ),
        (
            "hubspot",
            &[
                "https://app.hubspot.com/contacts/123",
                "https://app-eu1.hubspot.com/",
                "https://APP.HUBSPOT.COM/",
            ],
            &[
                "https://www.hubspot.com/",
                "https://hubspot.com/",
                "https://app.hubspot.com.evil.com/",
                "https://app-hubspot.com/",
                "https://blog.hubspot.com/",
            ],
        ),
        (
            "zoho",
            &[
                "https://crm.zoho.com/crm/org1/tab/Home",
                "https://crm.zoho.eu/",
                "https://crm.zoho.com.au/",
                "https://crm.zoho.jp/",
                "https://crm.zoho.in/",
            ],
            &[
                "https://www.zoho.com/crm/",
                "https://zoho.com/",
                "https://crm.zoho.co/",
                "https://mail.zoho.com/",
            ],
        ),
        (
            "freshsales",
            &["https://acme.myfreshworks.com/crm/sales/", "https://acme.myfreshworks.com/crm"],
            &[
                "https://acme.myfreshworks.com/",
                "https://acme.myfreshworks.com/helpdesk/",
                "https://acme.myfreshworks.com/crmx",
                "https://myfreshworks.com/crm/",
            ],
        ),
        (
            "freshsales-classic",
            &["https://acme.freshsales.io/deals"],
            &["https://www.freshsales.io/", "https://freshsales.io/"],
        ),
        (
            "pipedrive",
            &["https://acme.pipedrive.com/pipeline", "https://app.pipedrive.com/"],
            &[
                "https://www.pipedrive.com/",
                "https://pipedrive.com/",
                "https://developers.pipedrive.com/",
                "https://acme.pipedrive.co/",
                "https://acme.pipedrive.com.evil.net/",
            ],
        ),
        (
            "sugarcrm",
            &["https://acme.sugarondemand.com/#Home"],
            &["https://www.sugarcrm.com/", "https://sugarondemand.com/"],
        ),
        (
            "zendesk-sell",
            &["https://app.futuresimple.com/sales"],
            &["https://futuresimple.com/", "https://www.zendesk.com/sell/"],
        ),
        (
            "monday",
            &["https://acme.monday.com/boards/1"],
            &["https://www.monday.com/", "https://monday.com/", "https://acme.monday.co/"],
        ),
        (
            "insightly",
            &["https://crm.na1.insightly.com/list/Contact"],
            &["https://www.insightly.com/", "https://insightly.com/"],
        ),
        (
            "copper",
            &["https://app.copper.com/companies/1/app"],
            &["https://www.copper.com/", "https://copper.com/"],
        ),
        (
            "odoo",
            &["https://acme.odoo.com/odoo/crm", "https://acme.odoo.com/web"],
            &[
                "https://www.odoo.com/",
                "https://odoo.com/",
                "https://apps.odoo.com/",
                "https://acme.odoo.co/",
            ],
        ),
        ("close", &["https://app.close.com/leads/"], &["https://close.com/", "https://www.close.com/"]),
        (
            "capsule",
            &["https://acme.capsulecrm.com/parties"],
            &["https://www.capsulecrm.com/", "https://capsulecrm.com/"],
        ),
        (
            "bitrix24",
            &["https://acme.bitrix24.com/crm/", "https://acme.bitrix24.de/"],
            &["https://www.bitrix24.com/", "https://bitrix24.com/"],
        ),
        ("nutshell", &["https://app.nutshell.com/"], &["https://www.nutshell.com/", "https://nutshell.com/"]),
    ];

    #[test]
    fn every_entry_has_cases() {
        for entry in BUILTIN {
            assert!(CASES.iter().any(|(id, _, _)| *id == entry.id), "no test cases for `{}`", entry.id);
        }
        assert!(BUILTIN.len() >= 12);
    }

    #[test]
    fn positive_and_negative_hosts() {
        for (id, yes, no) in CASES {
            for url in *yes {
                assert_eq!(crm_of(url).as_deref(), Some(*id), "{url} should be {id}");
            }
            for url in *no {
                assert_eq!(crm_of(url), None, "{url} should not be a CRM tab");
            }
        }
    }

    #[test]
    fn punycode_lookalike_is_not_the_crm() {
        // Cyrillic "а" in "sаlesforce": a homograph, not Salesforce.
        assert_eq!(crm_of("https://acme.my.s\u{0430}lesforce.com/"), None);
        assert_eq!(crm_of("https://acme.my.xn--slesforce-51a.com/"), None);
    }

    #[test]
    fn ids_are_unique_and_patterns_valid() {
        let mut ids: Vec<_> = BUILTIN.iter().map(|e| e.id.as_ref()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), BUILTIN.len());
        for e in BUILTIN {
            for p in e.hosts.iter().chain(e.exclude.iter()) {
                assert_eq!(
                    HostPattern::parse(&p.to_string()).as_ref(),
                    Ok(p),
                    "catalog pattern {p} is not normalised"
                );
            }
        }
    }

    #[test]
    fn logout_url_template() {
        let sf = Catalog::builtin().get("salesforce").unwrap().clone();
        assert_eq!(
            sf.logout_url_for("https://acme.my.salesforce.com").as_deref(),
            Some("https://acme.my.salesforce.com/secur/logout.jsp")
        );
        assert_eq!(
            Catalog::builtin().get("hubspot").unwrap().logout_url_for("https://app.hubspot.com"),
            None
        );
    }

    #[test]
    fn extra_entries_come_first() {
        let extra = CrmEntry {
            id: "selfhosted".into(),
            name: "Acme CRM".into(),
            hosts: vec![HostPattern::parse("crm.acme.test").unwrap()].into(),
            exclude: Vec::new().into(),
            path_prefix: None,
            logout_url: None,
        };
        let cat = Catalog::with_extra(vec![extra]);
        let url = PageUrl::parse("http://crm.acme.test/").unwrap();
        assert_eq!(cat.classify(&url).map(|e| e.name.as_ref()), Some("Acme CRM"));
        assert_eq!(Catalog::builtin().classify(&url), None);
    }
}
