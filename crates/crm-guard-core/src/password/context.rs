//! The context around a password: the words zxcvbn should penalise on this page, whether a
//! submitted CRM login succeeded, and whether a password typed on another site is a CRM's.
//!
//! ## Login success heuristic
//!
//! A CRM login is *submitted* when a form holding a [`FieldKind::Login`](super::FieldKind)
//! field is submitted on a CRM tab by a trusted event. The fingerprint is derived at once and
//! kept as a [`PendingLogin`] for that tab (in `storage.session`, never the password). The login
//! *succeeded* when the next page the same tab loads, within [`LOGIN_WINDOW_MS`], belongs to the
//! same CRM and shows no login field once loaded; a login field again means a failed attempt
//! (wrong password), another site means we cannot tell. Only a succeeded login stores the
//! fingerprint, so typos never become "the CRM password". Single-page logins that never load a
//! new document are not seen (documented limitation).

use serde::{Deserialize, Serialize};

use super::fingerprint::{phishing_match, StoredFingerprint};
use crate::host::PageUrl;

/// Most user inputs passed to zxcvbn.
pub const MAX_USER_INPUTS: usize = 16;
/// Longest user input (chars); longer ones are cut.
pub const MAX_USER_INPUT_CHARS: usize = 100;
/// How long after the submit the landing page counts.
pub const LOGIN_WINDOW_MS: u64 = 60_000;

/// Host labels that say nothing about the organisation.
const GENERIC_LABELS: &[&str] =
    &["www", "app", "apps", "my", "crm", "login", "auth", "sso", "secure", "portal", "api", "eu", "us"];

/// Words an attacker tries first on this CRM: the CRM's name (and its words), the organisation's
/// sub-domain label (`acme` of `acme.my.salesforce.com`), and user names / e-mail addresses the
/// page shows (with an e-mail's local part and its pieces). Lower case, unique, bounded.
pub fn user_inputs(crm_name: Option<&str>, page_url: &str, page_values: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |s: &str| {
        let s: String = s.trim().chars().take(MAX_USER_INPUT_CHARS).collect::<String>().to_lowercase();
        if s.chars().count() >= 3 && !out.contains(&s) && out.len() < MAX_USER_INPUTS {
            out.push(s);
        }
    };
    if let Some(name) = crm_name {
        push(name);
        name.split(|c: char| !c.is_alphanumeric()).for_each(&mut push);
    }
    if let Ok(url) = PageUrl::parse(page_url) {
        if let Some(reg) = url.registrable_domain() {
            push(reg.split('.').next().unwrap_or_default());
            let sub = url.host.strip_suffix(reg).unwrap_or_default().trim_end_matches('.');
            if let Some(first) = sub.split('.').next().filter(|l| !l.is_empty()) {
                if !GENERIC_LABELS.contains(&first) {
                    push(first);
                }
            }
        }
    }
    for v in page_values.iter().take(MAX_USER_INPUTS) {
        push(v);
        if let Some((local, _domain)) = v.split_once('@') {
            push(local);
            local.split(['.', '_', '-', '+']).for_each(&mut push);
        }
    }
    out
}

/// A submitted CRM login waiting for its landing page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingLogin {
    pub fingerprint: StoredFingerprint,
    pub at_ms: u64,
}

/// What the landing page says about a [`PendingLogin`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum LoginOutcome {
    /// Same CRM, no login field: keep the fingerprint.
    Succeeded,
    /// Same CRM, a login field again: the password was wrong; forget it.
    Failed,
    /// Too late, or another site: forget it, store nothing.
    Unknown,
}

/// Judges a pending login from the next page loaded in its tab.
pub fn login_outcome(
    pending: &PendingLogin,
    page_crm_id: Option<&str>,
    page_has_login_field: bool,
    now_ms: u64,
) -> LoginOutcome {
    let fresh = now_ms >= pending.at_ms && now_ms - pending.at_ms <= LOGIN_WINDOW_MS;
    match page_crm_id {
        Some(id) if fresh && id == pending.fingerprint.crm_id => {
            if page_has_login_field {
                LoginOutcome::Failed
            } else {
                LoginOutcome::Succeeded
            }
        }
        _ => LoginOutcome::Unknown,
    }
}

/// The CRM whose password was typed on this page, when the page is not a CRM. On a CRM page a
/// match is the reuse guard's business, not a phishing alert.
pub fn phishing_alert(
    stored: &[StoredFingerprint],
    page_crm_id: Option<&str>,
    candidate_bits: u32,
    candidate_len: u16,
) -> Option<String> {
    if page_crm_id.is_some() {
        return None;
    }
    phishing_match(stored, candidate_bits, candidate_len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(crm: &str, bits: u32, length: u16) -> StoredFingerprint {
        StoredFingerprint { crm_id: crm.into(), tenant: String::new(), bits, length }
    }

    #[test]
    #[allow(clippy::type_complexity)] // a table of rows reads better inline
    fn user_inputs_table() {
        let rows: &[(Option<&str>, &str, &[&str], &[&str])] = &[
            (
                Some("Salesforce"),
                "https://acme.my.salesforce.com/signup",
                &["Jane.Doe@acme.com"],
                &["salesforce", "acme", "jane.doe@acme.com", "jane.doe", "jane", "doe"],
            ),
            (Some("HubSpot"), "https://app.hubspot.com/login", &[], &["hubspot"]),
            (
                Some("Microsoft Dynamics 365"),
                "https://contoso.crm4.dynamics.com/main.aspx",
                &["jdoe"],
                &["microsoft dynamics 365", "microsoft", "dynamics", "365", "contoso", "jdoe"],
            ),
            (None, "not a url", &["", "ab", "  bob  "], &["bob"]),
        ];
        for &(name, url, values, expected) in rows {
            let values: Vec<String> = values.iter().map(|s| s.to_string()).collect();
            assert_eq!(user_inputs(name, url, &values), expected, "{url}");
        }
    }

    #[test]
    fn user_inputs_are_bounded() {
        let values: Vec<String> = (0..100).map(|i| format!("user{i}@{}", "x".repeat(10_000))).collect();
        let out = user_inputs(Some("Salesforce"), "https://acme.my.salesforce.com/", &values);
        assert_eq!(out.len(), MAX_USER_INPUTS);
        assert!(out.iter().all(|s| s.chars().count() <= MAX_USER_INPUT_CHARS));
    }

    #[test]
    fn login_outcome_table() {
        let t0 = 1_700_000_000_000;
        let p = PendingLogin { fingerprint: fp("salesforce", 1, 14), at_ms: t0 };
        let rows: &[(Option<&str>, bool, u64, LoginOutcome)] = &[
            (Some("salesforce"), false, t0 + 800, LoginOutcome::Succeeded),
            (Some("salesforce"), true, t0 + 800, LoginOutcome::Failed),
            (Some("hubspot"), false, t0 + 800, LoginOutcome::Unknown),
            (None, false, t0 + 800, LoginOutcome::Unknown),
            (Some("salesforce"), false, t0 + LOGIN_WINDOW_MS + 1, LoginOutcome::Unknown),
            (Some("salesforce"), false, t0 - 1, LoginOutcome::Unknown), // clock went back
        ];
        for &(crm, login_field, now, expected) in rows {
            assert_eq!(login_outcome(&p, crm, login_field, now), expected, "{crm:?} {login_field} {now}");
        }
    }

    #[test]
    fn phishing_only_off_crm() {
        let stored = vec![fp("salesforce", 0xbeef, 16)];
        assert_eq!(phishing_alert(&stored, None, 0xbeef, 16).as_deref(), Some("salesforce"));
        assert_eq!(phishing_alert(&stored, Some("hubspot"), 0xbeef, 16), None);
        assert_eq!(phishing_alert(&stored, None, 0xbeef, 15), None);
    }
}
