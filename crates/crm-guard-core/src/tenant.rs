//! Tenants: *your organisation's* CRM, not any CRM.
//!
//! Most CRMs serve every customer from the same host patterns: `acme.my.salesforce.com` and
//! `evil.my.site.com` are both "Salesforce", and anyone can create the second one. IT names its
//! organisation's tenants per CRM (policy `tenants`); a page on the CRM's catalog patterns is then
//! the organisation's tenant ([`TenantStatus::Own`]), the CRM vendor's page shared by every
//! organisation ([`TenantStatus::Shared`], e.g. `login.salesforce.com`), or another
//! organisation's ([`TenantStatus::Foreign`]). With no tenant named for a CRM, tenant checks are
//! off for it ([`TenantStatus::Off`]): every tenant counts as the CRM, as before.
//!
//! Matching is on the parsed, IDNA-normalised host ([`PageUrl::host`]) and on whole labels, like
//! [`HostPattern`]: `acme.my.salesforce.com` does not match `acme-corp.my.salesforce.com`,
//! `acmee.my.salesforce.com` or `acme.my.salesforce.com.evil.test`.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Serialize, Serializer};
use thiserror::Error;

use crate::catalog::CrmEntry;
use crate::host::{HostPattern, PageUrl};

/// Badge colour of a tab on another organisation's tenant (purple: not the red of an attack,
/// not the green of "your CRM"; the badge text differs too).
pub const FOREIGN_BADGE_COLOR: [u8; 4] = [0x6a, 0x1b, 0x9a, 0xff];

/// Longest HubSpot portal id accepted (they are 6 to 9 digits today).
const MAX_PORTAL_ID_DIGITS: usize = 15;

/// How a CRM's addresses name the organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tenancy {
    /// The host names the organisation (`acme.my.salesforce.com`); `shared` hosts serve every
    /// organisation (sign-in pages).
    Host { shared: &'static [HostPattern] },
    /// One host for everyone; the organisation's numeric id is the second path segment
    /// (HubSpot: `app.hubspot.com/contacts/<portalId>/…`).
    PathId,
    /// The address does not name the organisation: tenant checks are not possible.
    Unsupported,
}

const SALESFORCE_SHARED: &[HostPattern] =
    &[HostPattern::exact("login.salesforce.com"), HostPattern::exact("test.salesforce.com")];
const PIPEDRIVE_SHARED: &[HostPattern] = &[HostPattern::exact("app.pipedrive.com")];

/// The tenancy of a CRM of the catalog (by id). Self-hosted CRMs (`custom:…`) are the
/// organisation's own: nothing to check.
pub fn tenancy(crm_id: &str) -> Tenancy {
    match crm_id {
        "salesforce" => Tenancy::Host { shared: SALESFORCE_SHARED },
        "pipedrive" => Tenancy::Host { shared: PIPEDRIVE_SHARED },
        "dynamics365" | "freshsales" | "freshsales-classic" | "sugarcrm" | "monday" | "odoo" | "capsule"
        | "bitrix24" => Tenancy::Host { shared: &[] },
        "hubspot" => Tenancy::PathId,
        _ => Tenancy::Unsupported,
    }
}

/// Why a tenant pattern is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TenantError {
    #[error("not a valid tenant host pattern")]
    Invalid,
    #[error("`*` inside a name must follow `--` (a sandbox: acme--*.sandbox.my.salesforce.com)")]
    Wildcard,
    #[error("not one of this CRM's hosts")]
    NotThisCrm,
    #[error("covers every organisation on this CRM")]
    TooBroad,
    #[error("is the CRM's page shared by every organisation, not a tenant")]
    SharedHost,
    #[error("must be the numeric portal id (app.hubspot.com/contacts/<portal id>/…)")]
    NotAPortalId,
    #[error("this CRM's addresses do not name the organisation: tenant checks are not possible")]
    Unsupported,
}

/// One of the organisation's tenants of one CRM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantPattern {
    /// `acme.my.salesforce.com` or `*.acme.example.com`.
    Host(HostPattern),
    /// `acme--*.sandbox.my.salesforce.com`: a first label that starts with `prefix` (which ends
    /// in `--`) and has more after it, then exactly `rest`.
    Sandbox { prefix: String, rest: String },
    /// A HubSpot portal id (digits).
    PortalId(String),
}

impl fmt::Display for TenantPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TenantPattern::Host(p) => write!(f, "{p}"),
            TenantPattern::Sandbox { prefix, rest } => write!(f, "{prefix}*.{rest}"),
            TenantPattern::PortalId(id) => f.write_str(id),
        }
    }
}

impl Serialize for TenantPattern {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl TenantPattern {
    /// Parses a tenant as IT writes it, for the CRM `entry`: a host pattern under the CRM's
    /// catalog patterns (not one that covers them, not a shared host), or for HubSpot a portal id.
    pub fn parse(entry: &CrmEntry, input: &str) -> Result<Self, TenantError> {
        let s = input.trim();
        match tenancy(&entry.id) {
            Tenancy::Unsupported => Err(TenantError::Unsupported),
            Tenancy::PathId => {
                let ok =
                    !s.is_empty() && s.len() <= MAX_PORTAL_ID_DIGITS && s.bytes().all(|b| b.is_ascii_digit());
                ok.then(|| TenantPattern::PortalId(s.to_owned())).ok_or(TenantError::NotAPortalId)
            }
            Tenancy::Host { shared } => {
                let pattern = Self::parse_host(s)?;
                // A host the pattern covers, to check it against the catalog.
                let sample = match &pattern {
                    TenantPattern::Host(HostPattern::Exact(h)) => h.to_string(),
                    TenantPattern::Host(HostPattern::Subdomains(suffix)) => format!("x.{suffix}"),
                    TenantPattern::Sandbox { prefix, rest } => format!("{prefix}x.{rest}"),
                    TenantPattern::PortalId(_) => return Err(TenantError::Invalid),
                };
                if let TenantPattern::Host(HostPattern::Subdomains(suffix)) = &pattern {
                    let covers = |p: &HostPattern| match p {
                        HostPattern::Subdomains(c) => {
                            c.as_ref() == suffix.as_ref() || c.ends_with(&format!(".{suffix}"))
                        }
                        HostPattern::Exact(h) => h.ends_with(&format!(".{suffix}")),
                    };
                    if entry.hosts.iter().any(covers) {
                        return Err(TenantError::TooBroad);
                    }
                }
                if shared.iter().any(|p| p.matches(&sample)) {
                    return Err(TenantError::SharedHost);
                }
                let page = PageUrl::parse(&format!("https://{sample}/")).map_err(|_| TenantError::Invalid)?;
                let claimed = entry.hosts.iter().any(|p| p.matches(&page.host))
                    && !entry.exclude.iter().any(|p| p.matches(&page.host));
                if !claimed {
                    return Err(TenantError::NotThisCrm);
                }
                Ok(pattern)
            }
        }
    }

    fn parse_host(s: &str) -> Result<Self, TenantError> {
        let (first, rest) = s.split_once('.').unwrap_or((s, ""));
        if first != "*" && first.contains('*') {
            let prefix = first.strip_suffix('*').ok_or(TenantError::Wildcard)?.to_ascii_lowercase();
            let name = prefix.strip_suffix("--").ok_or(TenantError::Wildcard)?;
            let ascii_name = !name.is_empty()
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !name.starts_with('-')
                && !name.ends_with('-');
            if !ascii_name {
                return Err(TenantError::Wildcard);
            }
            return match HostPattern::parse(rest) {
                Ok(HostPattern::Exact(rest)) => {
                    Ok(TenantPattern::Sandbox { prefix, rest: rest.into_owned() })
                }
                _ => Err(TenantError::Invalid),
            };
        }
        HostPattern::parse(s).map(TenantPattern::Host).map_err(|_| TenantError::Invalid)
    }

    /// Whether a normalised host is this tenant (host patterns only).
    fn matches_host(&self, host: &str) -> bool {
        match self {
            TenantPattern::Host(p) => p.matches(host),
            TenantPattern::Sandbox { prefix, rest } => host.split_once('.').is_some_and(|(label, tail)| {
                label.len() > prefix.len() && label.starts_with(prefix.as_str()) && tail == rest
            }),
            TenantPattern::PortalId(_) => false,
        }
    }
}

/// The organisation's tenants, per CRM id. A CRM without an entry (or with an empty list) has
/// tenant checks off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tenants(pub BTreeMap<String, Vec<TenantPattern>>);

impl Serialize for Tenants {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl Tenants {
    pub fn is_empty(&self) -> bool {
        self.0.values().all(Vec::is_empty)
    }

    /// Number of tenant patterns, all CRMs together.
    pub fn len(&self) -> usize {
        self.0.values().map(Vec::len).sum()
    }

    /// The tenant status of a page of the CRM `entry` (the catalog already claimed `url` for it).
    pub fn classify(&self, entry: &CrmEntry, url: &PageUrl) -> TenantStatus {
        let Some(list) = self.0.get(entry.id.as_ref()).filter(|l| !l.is_empty()) else {
            return TenantStatus::Off;
        };
        match tenancy(&entry.id) {
            Tenancy::Unsupported => TenantStatus::Off,
            Tenancy::Host { shared } => {
                if shared.iter().any(|p| p.matches(&url.host)) {
                    return TenantStatus::Shared;
                }
                match list.iter().find(|t| t.matches_host(&url.host)) {
                    Some(t) => TenantStatus::Own { tenant: t.to_string() },
                    None => TenantStatus::Foreign,
                }
            }
            Tenancy::PathId => {
                // Fail closed: a path too long to read names no portal we know.
                if url.partial {
                    return TenantStatus::Foreign;
                }
                let Some(id) = portal_id(&url.path) else { return TenantStatus::Shared };
                match list.iter().find(|t| matches!(t, TenantPattern::PortalId(p) if p == id)) {
                    Some(t) => TenantStatus::Own { tenant: t.to_string() },
                    None => TenantStatus::Foreign,
                }
            }
        }
    }
}

/// The portal id of a HubSpot app path: its second segment when that is all digits
/// (`/contacts/123456/objects/…`). `None`: a page of no portal (sign-in, account choice).
fn portal_id(path: &str) -> Option<&str> {
    let second = path.split('/').nth(2)?;
    let ok = !second.is_empty()
        && second.len() <= MAX_PORTAL_ID_DIGITS
        && second.bytes().all(|b| b.is_ascii_digit());
    ok.then_some(second)
}

/// Whose tenant a CRM page is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "camelCase")]
pub enum TenantStatus {
    /// No tenant named for this CRM: tenant checks are off, every tenant counts as the CRM.
    Off,
    /// The CRM vendor's page shared by every organisation (sign-in).
    Shared,
    /// One of the organisation's tenants; `tenant` is the pattern it matched (or the portal id).
    Own { tenant: String },
    /// Another organisation's tenant of this CRM.
    Foreign,
}

impl TenantStatus {
    /// A page the organisation trusts as its CRM: the password guards treat it as the CRM.
    pub fn trusted(&self) -> bool {
        !matches!(self, TenantStatus::Foreign)
    }

    /// The key fingerprints learnt here are stored under (`""`: tenant checks off, the CRM as a
    /// whole). `None`: no fingerprint is learnt on this page's tenant.
    pub fn fingerprint_tenant(&self) -> Option<&str> {
        match self {
            TenantStatus::Off => Some(""),
            TenantStatus::Own { tenant } => Some(tenant),
            TenantStatus::Shared | TenantStatus::Foreign => None,
        }
    }
}

#[cfg(test)]
mod tests;
