//! Security findings a CRM tab can carry. Each finding has a level; the tab's verdict is the
//! worst of them. The extension shows each with a localised title and what to do: the message
//! keys are `finding_<id>_title` and `finding_<id>_action` in `extension/_locales/*/messages.json`.

use serde::{Deserialize, Serialize};

/// How bad a tab's situation is. Ordered: `Secure < Warning < AtRisk`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Level {
    Secure,
    Warning,
    AtRisk,
}

impl Level {
    /// Stable identifier, also the suffix of its message keys (`level_atRisk`).
    pub fn id(self) -> &'static str {
        match self {
            Level::Secure => "secure",
            Level::Warning => "warning",
            Level::AtRisk => "atRisk",
        }
    }

    /// Badge background colour, RGBA. Green, amber, red; the badge text differs too, so the
    /// level is never told by colour alone.
    pub fn badge_color(self) -> [u8; 4] {
        match self {
            Level::Secure => [0x1e, 0x7e, 0x34, 0xff],
            Level::Warning => [0xf0, 0xa0, 0x00, 0xff],
            Level::AtRisk => [0xc6, 0x28, 0x28, 0xff],
        }
    }
}

/// What was found. The serialised name is the finding's id in messages and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FindingKind {
    /// The CRM page was loaded over plain `http:`.
    InsecureScheme,
    /// The page reports it is not a secure context (`window.isSecureContext == false`).
    NotSecureContext,
    /// A CRM form posts to an `http:` action (the submission was blocked).
    InsecureFormAction,
    /// Active mixed content (scripts, frames, XHR over http) was requested by the page.
    MixedContentActive,
    /// Passive mixed content (images, media over http) was requested by the page.
    MixedContentPassive,
    /// The browser reported a TLS certificate error for the CRM host.
    CertificateError,
    /// The CRM's main document came without `Strict-Transport-Security`.
    MissingHsts,
    /// A session-looking cookie on the CRM host was set without `Secure`. Detail: cookie name.
    InsecureCookie,
    /// The host is not a CRM host but imitates one. Detail: the imitated CRM's name.
    Lookalike,
    /// The CRM is reached through an IP literal instead of its name.
    IpLiteralHost,
    /// The CRM is reached on a non-standard port.
    NonStandardPort,
    /// The trusted-network probe IT configured does not answer.
    UntrustedNetwork,
    /// A proxy is configured outside policy.
    ProxyOutsidePolicy,
    /// This CRM's password is also used on another CRM. Detail: the other CRM's name.
    PasswordReuse,
    /// The page is on the CRM's hosts but is another organisation's tenant, not one IT named
    /// (policy `tenants`). Detail: the CRM's name.
    ForeignTenant,
    /// The sign-in that led to this page used only a password: no second factor was seen
    /// (`crate::signin`). Informational: it does not change the tab's level. Detail: the CRM's
    /// name.
    PasswordOnlySignIn,
}

impl FindingKind {
    /// The level this finding has unless policy says otherwise.
    pub fn default_level(self) -> Level {
        match self {
            FindingKind::InsecureScheme => Level::AtRisk,
            FindingKind::NotSecureContext => Level::AtRisk,
            FindingKind::InsecureFormAction => Level::AtRisk,
            FindingKind::MixedContentActive => Level::AtRisk,
            FindingKind::MixedContentPassive => Level::Warning,
            FindingKind::CertificateError => Level::AtRisk,
            FindingKind::MissingHsts => Level::Warning,
            FindingKind::InsecureCookie => Level::Warning,
            FindingKind::Lookalike => Level::AtRisk,
            FindingKind::IpLiteralHost => Level::Warning,
            FindingKind::NonStandardPort => Level::Warning,
            FindingKind::UntrustedNetwork => Level::Warning,
            FindingKind::ProxyOutsidePolicy => Level::Warning,
            FindingKind::PasswordReuse => Level::Warning,
            FindingKind::ForeignTenant => Level::AtRisk,
            FindingKind::PasswordOnlySignIn => Level::Secure,
        }
    }

    /// Stable identifier: the serialised name.
    pub fn id(self) -> &'static str {
        match self {
            FindingKind::InsecureScheme => "insecureScheme",
            FindingKind::NotSecureContext => "notSecureContext",
            FindingKind::InsecureFormAction => "insecureFormAction",
            FindingKind::MixedContentActive => "mixedContentActive",
            FindingKind::MixedContentPassive => "mixedContentPassive",
            FindingKind::CertificateError => "certificateError",
            FindingKind::MissingHsts => "missingHsts",
            FindingKind::InsecureCookie => "insecureCookie",
            FindingKind::Lookalike => "lookalike",
            FindingKind::IpLiteralHost => "ipLiteralHost",
            FindingKind::NonStandardPort => "nonStandardPort",
            FindingKind::UntrustedNetwork => "untrustedNetwork",
            FindingKind::ProxyOutsidePolicy => "proxyOutsidePolicy",
            FindingKind::PasswordReuse => "passwordReuse",
            FindingKind::ForeignTenant => "foreignTenant",
            FindingKind::PasswordOnlySignIn => "passwordOnlySignIn",
        }
    }

    /// Every kind, for exhaustive tests (messages exist for each, ids round-trip).
    pub const ALL: [FindingKind; 16] = [
        FindingKind::InsecureScheme,
        FindingKind::NotSecureContext,
        FindingKind::InsecureFormAction,
        FindingKind::MixedContentActive,
        FindingKind::MixedContentPassive,
        FindingKind::CertificateError,
        FindingKind::MissingHsts,
        FindingKind::InsecureCookie,
        FindingKind::Lookalike,
        FindingKind::IpLiteralHost,
        FindingKind::NonStandardPort,
        FindingKind::UntrustedNetwork,
        FindingKind::ProxyOutsidePolicy,
        FindingKind::PasswordReuse,
        FindingKind::ForeignTenant,
        FindingKind::PasswordOnlySignIn,
    ];

    /// Parses a stable identifier.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.id() == id)
    }
}

/// One finding on a tab.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub kind: FindingKind,
    pub level: Level,
    /// A short, non-secret detail shown in the popup (a host name, a CRM name). Never a URL
    /// path, a cookie value or anything typed by the user.
    ///
    /// Several occurrences of one kind on one document share a finding (see [`crate::evidence`]):
    /// then the detail lists the first few, separated by [`DETAIL_SEPARATOR`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Further occurrences reported on the document beyond those the detail lists (at least this
    /// many: the page decides how often it reports the same thing).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub more: u32,
}

/// Between the details of one aggregated finding (`a.test, b.test`).
pub const DETAIL_SEPARATOR: &str = ", ";

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Finding {
    /// A finding at its default level.
    pub fn new(kind: FindingKind) -> Self {
        Finding { kind, level: kind.default_level(), detail: None, more: 0 }
    }

    /// The details this finding lists (none, one, or the first few of an aggregate).
    pub fn details(&self) -> impl Iterator<Item = &str> {
        self.detail.as_deref().into_iter().flat_map(|d| d.split(DETAIL_SEPARATOR))
    }

    /// The same finding with a detail.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_ordered() {
        assert!(Level::Secure < Level::Warning && Level::Warning < Level::AtRisk);
    }

    #[test]
    fn ids_match_serde_names() {
        for k in FindingKind::ALL {
            assert_eq!(FindingKind::from_id(k.id()), Some(k));
            assert_eq!(serde_json::to_value(k).unwrap(), k.id());
        }
        for l in [Level::Secure, Level::Warning, Level::AtRisk] {
            assert_eq!(serde_json::to_value(l).unwrap(), l.id());
        }
    }
}
