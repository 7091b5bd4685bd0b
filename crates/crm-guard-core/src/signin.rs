//! The MFA check: follow one sign-in in a tab, from a credential page (a CRM's own or an
//! identity provider's) to the CRM, and note whether a second factor was seen on the way.
//!
//! A step is told by URL ([`step_of`], the per-CRM and per-IdP recipes) or by what our content
//! script saw on a CRM sign-in page (a one-time-code field: [`Factor::CodeField`]). The state
//! ([`SignIn`]) holds a recipe id and two flags, never a URL, a user name, a password or a code.
//! Pure: the engine carries the state in the tab's record and raises the finding.

use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;
use crate::host::PageUrl;

/// What one page of a sign-in is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// A page that asks for a password (a CRM's login page, an IdP's).
    Credential(&'static str),
    /// A second-factor page (a code, a push, a security key), by URL.
    Challenge(&'static str),
    /// Between the two, or a redirect hop: no change.
    Passing,
    /// A page of the CRM application itself: the sign-in is over. The CRM's catalog id.
    Landed,
}

/// A second factor as seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Factor {
    /// A known challenge URL.
    ChallengePage,
    /// A one-time-code field on a CRM sign-in page (reported by our content script).
    CodeField,
}

/// One sign-in in progress in a tab.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignIn {
    /// The credential page's recipe (`salesforce.login`, `idp.entra`).
    pub recipe: String,
    #[serde(default)]
    pub factor: Option<Factor>,
    /// When it started (ms, the engine's clock): a sign-in older than [`MAX_SIGNIN_MS`] is
    /// forgotten.
    #[serde(default)]
    pub started_ms: u64,
}

/// A sign-in not finished within this long is forgotten (an abandoned login page must not mark
/// a later visit to the CRM).
pub const MAX_SIGNIN_MS: u64 = 5 * 60 * 1000;

/// A sign-in that reached the CRM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completed {
    pub recipe: String,
    pub factor: Option<Factor>,
}

struct HostRule {
    /// Host suffix (`.okta.com`) or exact host (`login.salesforce.com`).
    host: &'static str,
    credential: fn(&str) -> bool,
    challenge: fn(&str) -> bool,
    id: &'static str,
}

/// Zoho's regional account hosts (`accounts.zoho.com`, `.eu`, …): exact hosts, never a prefix
/// (`accounts.zoho.attacker.tld` is not Zoho).
const ZOHO_ACCOUNTS: &[&str] = &[
    "accounts.zoho.com",
    "accounts.zoho.eu",
    "accounts.zoho.in",
    "accounts.zoho.com.au",
    "accounts.zoho.jp",
    "accounts.zoho.com.cn",
    "accounts.zoho.uk",
    "accounts.zoho.sa",
    "accounts.zohocloud.ca",
];

/// `.okta.com`: any subdomain; `accounts.zoho.`: one of [`ZOHO_ACCOUNTS`]; otherwise exact.
fn host_is(host: &str, rule: &str) -> bool {
    if let Some(suffix) = rule.strip_prefix('.') {
        host.ends_with(rule) && host.len() > suffix.len() + 1
    } else if rule == "accounts.zoho." {
        ZOHO_ACCOUNTS.contains(&host)
    } else {
        host == rule
    }
}

fn starts(p: &str, prefixes: &[&str]) -> bool {
    let p = p.to_ascii_lowercase();
    prefixes.iter().any(|x| p.starts_with(x))
}

fn contains(p: &str, needles: &[&str]) -> bool {
    let p = p.to_ascii_lowercase();
    needles.iter().any(|x| p.contains(x))
}

/// Salesforce's verification pages (My Domain, login and test hosts alike).
fn sf_challenge(p: &str) -> bool {
    starts(
        p,
        &[
            "/_ui/identity/verification/",
            "/_ui/identity/totp/",
            "/_ui/identity/mfa",
            "/identity/verification/",
        ],
    )
}

/// Identity providers and CRM sign-in hosts that are not CRM application pages.
const RULES: &[HostRule] = &[
    HostRule {
        host: "login.salesforce.com",
        id: "salesforce.login",
        credential: |p| !sf_challenge(p),
        challenge: sf_challenge,
    },
    HostRule {
        host: "test.salesforce.com",
        id: "salesforce.test",
        credential: |p| !sf_challenge(p),
        challenge: sf_challenge,
    },
    HostRule {
        host: "login.microsoftonline.com",
        id: "idp.entra",
        // The password form posts to `/{tenant}/login`; `/oauth2/`, `/saml2` and `/wsfed` are
        // the redirect endpoints a silent single sign-on passes through (hops).
        credential: |p| p.to_ascii_lowercase().trim_end_matches('/').ends_with("/login"),
        challenge: |p| contains(p, &["/sas/", "/mfa"]),
    },
    HostRule {
        host: "login.live.com",
        id: "idp.entra",
        // A Microsoft account's password is posted to `/ppsecure/post.srf`.
        credential: |p| contains(p, &["/ppsecure/post.srf"]),
        challenge: |p| contains(p, &["/proofs/"]),
    },
    HostRule {
        host: ".okta.com",
        id: "idp.okta",
        // The sign-in page only; `/app/…/sso/…`, `/sso/` and `/oauth2/` are hops.
        credential: |p| starts(p, &["/login/login.htm", "/signin"]) && !contains(p, &["/verify"]),
        challenge: |p| contains(p, &["/signin/verify", "/login/second-factor", "/mfa/", "/verify/"]),
    },
    HostRule {
        host: "accounts.google.com",
        id: "idp.google",
        // The password step (`/challenge/pwd`); the identifier page, `/ServiceLogin` and
        // `/o/saml2` are passed through by a silent sign-on too (hops).
        credential: |p| contains(p, &["/challenge/pwd"]),
        challenge: google_challenge,
    },
    HostRule {
        host: "accounts.zoho.",
        id: "zoho.accounts",
        credential: |p| starts(p, &["/signin", "/login"]) && !contains(p, &["mfa", "tfa"]),
        challenge: |p| contains(p, &["/mfa", "/tfa", "totp"]),
    },
    // Freshworks' sign-in lives on the account's host, outside the CRM's `/crm/` path.
    HostRule {
        host: ".myfreshworks.com",
        id: "freshworks.login",
        credential: |p| starts(p, &["/login", "/sp/", "/users/login"]) && !contains(p, &["/mfa", "2fa"]),
        challenge: |p| contains(p, &["/mfa", "2fa", "two-factor"]),
    },
];

/// Google's `/challenge/…` pages are second factors, except `/challenge/pwd` (the password).
fn google_challenge(p: &str) -> bool {
    let p = p.to_ascii_lowercase();
    p.contains("/challenge/") && !p.contains("/challenge/pwd")
}

/// CRM application hosts where sign-in pages live under a path.
fn crm_step(crm_id: &str, p: &str) -> Step {
    match crm_id {
        "salesforce" if sf_challenge(p) => Step::Challenge("salesforce.verification"),
        // My Domain's login page is its root, which is also where a signed-in user lands before
        // a redirect: the root is a hop here, and its login form starts a sign-in through our
        // content script's report ([`login_form_seen`]). Frontdoor, SAML and OAuth are hops.
        "salesforce" if starts(p, &["/login"]) => Step::Credential("salesforce.myDomain"),
        "salesforce"
            if p == "/" || starts(p, &["/secur/", "/saml/", "/services/oauth2/", "/_ui/identity/"]) =>
        {
            Step::Passing
        }
        "hubspot" if starts(p, &["/login/verify", "/login/two-factor", "/login/2fa"]) => {
            Step::Challenge("hubspot.verify")
        }
        "hubspot" if starts(p, &["/login", "/signup"]) => Step::Credential("hubspot.login"),
        "pipedrive" if contains(p, &["2fa", "two-factor", "twofactor"]) => Step::Challenge("pipedrive.2fa"),
        "pipedrive" if starts(p, &["/auth/", "/login"]) => Step::Credential("pipedrive.login"),
        "freshsales" | "freshsales-classic" if contains(p, &["/mfa", "two-factor", "2fa"]) => {
            Step::Challenge("freshworks.mfa")
        }
        "freshsales" | "freshsales-classic" if starts(p, &["/login", "/users/login", "/sp/"]) => {
            Step::Credential("freshworks.login")
        }
        "zoho" if contains(p, &["/mfa", "/tfa"]) => Step::Challenge("zoho.mfa"),
        _ => Step::Landed,
    }
}

/// What a committed page is in a sign-in; `None` for a page that is neither a CRM nor a known
/// sign-in host (the sign-in in progress, if any, is left as it is).
pub fn step_of(catalog: &Catalog, url: &str) -> Option<(Step, Option<String>)> {
    let page = PageUrl::parse(url).ok()?;
    if let Some(rule) = RULES.iter().find(|r| host_is(&page.host, r.host)) {
        // login.salesforce.com is in the catalog too: the rule decides first; a page the rule
        // does not know and the catalog does is the CRM's (Freshworks' `/crm/` on the same host).
        if (rule.challenge)(&page.path) {
            return Some((Step::Challenge(rule.id), None));
        } else if (rule.credential)(&page.path) {
            return Some((Step::Credential(rule.id), None));
        } else if catalog.classify(&page).is_none() {
            return Some((Step::Passing, None));
        }
    }
    let entry = catalog.classify(&page)?;
    let step = crm_step(&entry.id, &page.path);
    Some((step, Some(entry.id.to_string())))
}

/// Whether a login form at `url` can start a sign-in: a credential page of a recipe, or a CRM's
/// root (Salesforce My Domain's login form lives there). Not a change-password form deeper in
/// the application.
pub fn is_credential_page(catalog: &Catalog, url: &str) -> bool {
    match step_of(catalog, url) {
        Some((Step::Credential(_), _)) => true,
        Some((Step::Passing, Some(_))) => PageUrl::parse(url).is_ok_and(|p| p.path == "/"),
        _ => false,
    }
}

/// The sign-in after one committed page at `now_ms`: `(state, completed)`. A credential page
/// starts a new sign-in (the previous one was abandoned), a challenge marks it, a CRM page ends
/// it. A sign-in older than [`MAX_SIGNIN_MS`] is forgotten first. (A page that is neither a CRM
/// nor a sign-in host — `step_of` is `None` — ends it too: the engine forgets the state.)
pub fn advance(state: Option<SignIn>, step: Step, now_ms: u64) -> (Option<SignIn>, Option<Completed>) {
    let state = state.filter(|s| now_ms.saturating_sub(s.started_ms) <= MAX_SIGNIN_MS);
    match (state, step) {
        // A challenge page that posts back to the login host: keep what was seen.
        (Some(s), Step::Credential(id)) if s.factor.is_some() && s.recipe == id => (Some(s), None),
        (_, Step::Credential(id)) => {
            (Some(SignIn { recipe: id.to_owned(), factor: None, started_ms: now_ms }), None)
        }
        (Some(mut s), Step::Challenge(_)) => {
            s.factor = Some(Factor::ChallengePage);
            (Some(s), None)
        }
        // A challenge with no credential page seen (a remembered user name, a deep link): the
        // sign-in is followed from here, with its factor.
        (None, Step::Challenge(id)) => (
            Some(SignIn { recipe: id.to_owned(), factor: Some(Factor::ChallengePage), started_ms: now_ms }),
            None,
        ),
        (s, Step::Passing) => (s, None),
        (Some(s), Step::Landed) => (None, Some(Completed { recipe: s.recipe, factor: s.factor })),
        (None, Step::Landed) => (None, None),
    }
}

/// A content script saw a login form (a password field) on a CRM page: a sign-in starts there
/// unless one is already followed (`<crm id>.loginForm`).
pub fn login_form_seen(state: Option<SignIn>, crm_id: &str, now_ms: u64) -> Option<SignIn> {
    state.or_else(|| Some(SignIn { recipe: format!("{crm_id}.loginForm"), factor: None, started_ms: now_ms }))
}

/// A content script saw a one-time-code field on a sign-in page: the sign-in in progress has a
/// second factor. Nothing in progress: nothing to mark.
pub fn code_field_seen(state: Option<SignIn>) -> Option<SignIn> {
    state.map(|mut s| {
        s.factor.get_or_insert(Factor::CodeField);
        s
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
