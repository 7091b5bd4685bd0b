//! The logout recipe: what a logout of every CRM touches, decided from the catalog, the open tabs
//! and the cookies the browser holds. The worker carries it out in this order:
//! 1. the CRM's logout URL for each signed-in origin (time-boxed; a failure does not stop 2–4);
//! 2. the cookies in [`cookie_in_scope`] (host-exact, never a parent domain, never another site);
//! 3. the site data (local storage, IndexedDB, cache storage, service workers, file systems) of
//!    [`LogoutPlan::origins`];
//! 4. each CRM tab moves to the signed-out page ([`signed_out_query`]); one that refuses is closed.

use serde::{Deserialize, Serialize};

use crate::catalog::{Catalog, CrmEntry};
use crate::host::{HostPattern, PageUrl};

/// A tab as `chrome.tabs.query` reports it (the URL only for hosts we have access to).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenTab {
    pub id: i32,
    #[serde(default)]
    pub url: Option<String>,
}

/// A cookie as `chrome.cookies.getAll` reports it (the fields the recipe needs).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cookie {
    pub name: String,
    pub domain: String,
    pub path: String,
    #[serde(default)]
    pub secure: bool,
    #[serde(default)]
    pub host_only: bool,
    #[serde(default)]
    pub store_id: Option<String>,
}

/// One CRM tab to move to the signed-out page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TabLogout {
    pub tab_id: i32,
    pub crm_id: String,
    pub crm_name: String,
    /// Where "Sign in again" leads: the tab's origin (never its path or query).
    pub origin: String,
}

/// Everything one logout touches.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogoutPlan {
    /// Logout URLs to call, one per signed-in origin of a CRM that has one.
    pub logout_urls: Vec<String>,
    /// Origins whose site data is removed (CRM tabs and hosts holding CRM cookies).
    pub origins: Vec<String>,
    /// Cookies to remove: `(url for chrome.cookies.remove, name, store id)`.
    pub cookies: Vec<CookieRemoval>,
    pub tabs: Vec<TabLogout>,
    /// Ids of the CRMs touched, sorted (for the security event).
    pub crm_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CookieRemoval {
    pub url: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store_id: Option<String>,
}

/// The domains to pass to `chrome.cookies.getAll({domain})` so that every CRM cookie is found:
/// the base of each host pattern, sorted and deduplicated.
pub fn cookie_query_domains(catalog: &Catalog) -> Vec<String> {
    let out: Vec<String> = catalog
        .entries()
        .flat_map(|e| e.hosts.iter())
        .map(|p| match p {
            HostPattern::Exact(h) | HostPattern::Subdomains(h) => h.to_string(),
        })
        .collect();
    sorted_unique(out)
}

/// `v.sort(); v.dedup(); v`, through a `BTreeSet`: the same strings in the same order, without
/// compiling a stable sort for `String` into the WASM module (~4 KB, docs/size.md). `extend`
/// inserts one by one; `collect` into a `BTreeSet` would sort first.
pub fn sorted_unique(v: Vec<String>) -> Vec<String> {
    let mut set = std::collections::BTreeSet::new();
    set.extend(v);
    set.into_iter().collect()
}

/// The CRM a cookie belongs to: its domain (without the leading dot) is a CRM host, or the base
/// of a `*.suffix` pattern (a cookie every CRM host of the pattern receives). Excluded hosts
/// (marketing sites) and every other site are out of scope.
pub fn cookie_in_scope<'c>(catalog: &'c Catalog, cookie_domain: &str) -> Option<&'c CrmEntry> {
    let domain = cookie_domain.trim_start_matches('.').trim_end_matches('.').to_ascii_lowercase();
    if domain.is_empty() {
        return None;
    }
    catalog.entries().find(|e| {
        !e.exclude.iter().any(|x| x.matches(&domain))
            && e.hosts.iter().any(|p| {
                p.matches(&domain) || matches!(p, HostPattern::Subdomains(s) if s.as_ref() == domain)
            })
    })
}

/// Plans the logout of every CRM from the open tabs and the cookies found.
pub fn plan(catalog: &Catalog, tabs: &[OpenTab], cookies: &[Cookie]) -> LogoutPlan {
    let mut p = LogoutPlan::default();
    let mut signed_in: Vec<(String, &CrmEntry)> = Vec::new();
    for tab in tabs {
        let Some(url) = tab.url.as_deref().and_then(|u| PageUrl::parse(u).ok()) else { continue };
        let Some(entry) = catalog.classify(&url) else { continue };
        let origin = url.origin();
        p.tabs.push(TabLogout {
            tab_id: tab.id,
            crm_id: entry.id.to_string(),
            crm_name: entry.name.to_string(),
            origin: origin.clone(),
        });
        signed_in.push((origin, entry));
    }
    for c in cookies {
        let Some(entry) = cookie_in_scope(catalog, &c.domain) else { continue };
        let host = c.domain.trim_start_matches('.').to_ascii_lowercase();
        let scheme = if c.secure { "https" } else { "http" };
        let path = if c.path.starts_with('/') { c.path.as_str() } else { "/" };
        p.cookies.push(CookieRemoval {
            url: format!("{scheme}://{host}{path}"),
            name: c.name.clone(),
            store_id: c.store_id.clone(),
        });
        // A host-only cookie names a host the user is signed in to, even with no tab open.
        if c.host_only {
            if let Ok(url) = PageUrl::parse(&format!("https://{host}/")) {
                if entry.matches(&url) || entry.path_prefix.is_some() {
                    signed_in.push((url.origin(), entry));
                }
            }
        }
    }
    for (origin, entry) in &signed_in {
        if !p.origins.contains(origin) {
            p.origins.push(origin.clone());
        }
        if let Some(u) = entry.logout_url_for(origin) {
            if !p.logout_urls.contains(&u) {
                p.logout_urls.push(u);
            }
        }
        if !p.crm_ids.iter().any(|id| id == entry.id.as_ref()) {
            p.crm_ids.push(entry.id.to_string());
        }
    }
    for c in cookies {
        if let Some(e) = cookie_in_scope(catalog, &c.domain) {
            if !p.crm_ids.iter().any(|id| id == e.id.as_ref()) {
                p.crm_ids.push(e.id.to_string());
            }
        }
    }
    p.crm_ids = sorted_unique(std::mem::take(&mut p.crm_ids)); // each id once already
    p
}

/// The query string of the signed-out page (`signed-out.html?…`): CRM name, why, how long idle,
/// where to sign in again. Percent-encoded; the page checks `back` is an http(s) URL again.
pub fn signed_out_query(
    crm_name: &str,
    reason: super::LogoutReason,
    idle_minutes: u64,
    origin: &str,
) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .append_pair("crm", crm_name)
        .append_pair("reason", reason.id())
        .append_pair("minutes", &idle_minutes.to_string())
        .append_pair("back", &format!("{origin}/"))
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idle::LogoutReason;

    fn tab(id: i32, url: &str) -> OpenTab {
        OpenTab { id, url: Some(url.into()) }
    }

    fn cookie(name: &str, domain: &str, host_only: bool) -> Cookie {
        Cookie {
            name: name.into(),
            domain: domain.into(),
            path: "/".into(),
            secure: true,
            host_only,
            store_id: Some("0".into()),
        }
    }

    #[test]
    fn cookies_in_scope_are_crm_hosts_only() {
        let c = Catalog::builtin();
        let id = |d: &str| cookie_in_scope(&c, d).map(|e| e.id.to_string());
        assert_eq!(id("acme.my.salesforce.com").as_deref(), Some("salesforce"));
        assert_eq!(id(".acme.my.salesforce.com").as_deref(), Some("salesforce"));
        assert_eq!(id(".my.salesforce.com").as_deref(), Some("salesforce"), "base of *.my.salesforce.com");
        assert_eq!(id(".pipedrive.com").as_deref(), Some("pipedrive"));
        assert_eq!(id("app.hubspot.com").as_deref(), Some("hubspot"));
        // Parent domains, marketing sites and other sites are never touched.
        for d in [
            ".salesforce.com",
            "www.salesforce.com",
            "www.pipedrive.com",
            ".hubspot.com",
            "example.test",
            "",
            ".",
        ] {
            assert_eq!(id(d), None, "{d}");
        }
    }

    #[test]
    fn query_domains_cover_every_pattern() {
        let d = cookie_query_domains(&Catalog::builtin());
        assert!(d.contains(&"my.salesforce.com".to_owned()));
        assert!(d.contains(&"app.hubspot.com".to_owned()));
        assert!(d.windows(2).all(|w| w[0] < w[1]), "sorted, no duplicates");
    }

    #[test]
    fn plan_covers_tabs_cookies_and_logout_urls() {
        let c = Catalog::builtin();
        let tabs = [
            tab(1, "https://acme.my.salesforce.com/lightning/o/Account/home?secret=1"),
            tab(2, "https://example.test/"),
            tab(3, "https://app.hubspot.com/contacts"),
            OpenTab { id: 4, url: None },
            tab(5, "https://acme.my.salesforce.com/"),
        ];
        let cookies = [
            cookie("sid", "acme.my.salesforce.com", true),
            cookie("keep", "example.test", true),
            cookie("s", "beta.odoo.com", true),
            cookie("m", "www.salesforce.com", true),
        ];
        let p = plan(&c, &tabs, &cookies);
        assert_eq!(p.tabs.iter().map(|t| t.tab_id).collect::<Vec<_>>(), [1, 3, 5]);
        assert_eq!(p.tabs[0].origin, "https://acme.my.salesforce.com", "origin only, never the query");
        assert_eq!(p.tabs[0].crm_name, "Salesforce");
        assert_eq!(
            p.logout_urls,
            ["https://acme.my.salesforce.com/secur/logout.jsp", "https://beta.odoo.com/web/session/logout"],
            "one call per signed-in origin, also for a CRM with no open tab; HubSpot has none"
        );
        assert_eq!(
            p.origins,
            ["https://acme.my.salesforce.com", "https://app.hubspot.com", "https://beta.odoo.com"]
        );
        let names: Vec<_> = p.cookies.iter().map(|c| (c.url.as_str(), c.name.as_str())).collect();
        assert_eq!(names, [("https://acme.my.salesforce.com/", "sid"), ("https://beta.odoo.com/", "s")]);
        assert_eq!(p.crm_ids, ["hubspot", "odoo", "salesforce"]);
    }

    #[test]
    fn nothing_open_nothing_planned() {
        let p =
            plan(&Catalog::builtin(), &[tab(1, "chrome://newtab/")], &[cookie("keep", "example.test", true)]);
        assert_eq!(p, LogoutPlan::default());
    }

    #[test]
    fn signed_out_query_is_encoded() {
        let q = signed_out_query("Zoho CRM & co", LogoutReason::Forced, 3, "https://crm.zoho.eu");
        assert_eq!(q, "crm=Zoho+CRM+%26+co&reason=forced&minutes=3&back=https%3A%2F%2Fcrm.zoho.eu%2F");
    }
}
