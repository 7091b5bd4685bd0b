//! Network findings from what the browser reports about a CRM tab: mixed content, certificate
//! errors, the main document's response headers, the trusted-network probe, proxy settings and form
//! actions. Pure functions over strings: the service worker passes what `webRequest`, `webNavigation`,
//! `proxy.settings` and the content script give it, and adds the findings to the tab.
//!
//! Details are host names, error names, cookie names: never a URL path, a cookie value or a body.

use serde::{Deserialize, Serialize};
use url::{Host, Url};

use crate::finding::{Finding, FindingKind, Level};
use crate::host::{PageUrl, Scheme, MAX_URL_LEN};

/// A request made by a CRM page, judged by the W3C Mixed Content rules: a plain `http:`/`ws:` request
/// from an `https:` page is mixed content. Images and media (`image`, `imageset`, `media`: the spec's
/// "upgradeable" content) are [`FindingKind::MixedContentPassive`]; every other type (`script`,
/// `sub_frame`, `stylesheet`, `xmlhttprequest`, `websocket`, `font`, `object`, `ping`, `csp_report`,
/// `other`, and types this code does not know) is "blockable", [`FindingKind::MixedContentActive`].
/// A `main_frame` request is a navigation away, not content of the page. Loopback hosts (`localhost`,
/// `127.0.0.0/8`, `[::1]`) are potentially trustworthy and never mixed content. Detail: the request host.
pub fn mixed_content(page_url: &str, request_url: &str, resource_type: &str) -> Option<Finding> {
    let page = PageUrl::parse(page_url).ok()?;
    if page.scheme != Scheme::Https || request_url.len() > MAX_URL_LEN {
        return None;
    }
    let request = Url::parse(request_url).ok()?;
    if !matches!(request.scheme(), "http" | "ws") || is_loopback(request.host()?) {
        return None;
    }
    let kind = match resource_type {
        "main_frame" => return None,
        "image" | "imageset" | "media" => FindingKind::MixedContentPassive,
        _ => FindingKind::MixedContentActive,
    };
    Some(Finding::new(kind).with_detail(request.host_str()?))
}

/// `localhost`, `*.localhost`, `127.0.0.0/8` and `::1`: "potentially trustworthy" origins.
fn is_loopback(host: Host<&str>) -> bool {
    match host {
        Host::Domain(d) => {
            let d = d.trim_end_matches('.');
            d.eq_ignore_ascii_case("localhost") || d.to_ascii_lowercase().ends_with(".localhost")
        }
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// A navigation or request error reported by `webRequest.onErrorOccurred` or
/// `webNavigation.onErrorOccurred`, if it is a TLS certificate or handshake failure. Chromium reports
/// `net::ERR_CERT_*` (authority, name, date, revocation, weak key…), `net::ERR_SSL_*` (pinning,
/// protocol, obsolete version…) and `net::ERR_CERTIFICATE_TRANSPARENCY_REQUIRED`; Firefox reports
/// NSS names (`SEC_ERROR_*`, `SSL_ERROR_*`, `MOZILLA_PKIX_ERROR_*`). Not certificate errors:
/// client-certificate requests (`ERR_SSL_CLIENT_AUTH_*`: the server asks for the user's certificate,
/// common in enterprises) and certificate-store change notices (`ERR_CERT_DATABASE_CHANGED`,
/// `ERR_CERT_VERIFIER_CHANGED`). Detail: the error name without `net::`.
pub fn certificate_error(error: &str) -> Option<Finding> {
    let trimmed = error.trim();
    let name = trimmed.strip_prefix("net::").unwrap_or(trimmed);
    let well_formed = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    if !well_formed {
        return None;
    }
    let chromium = (name.starts_with("ERR_CERT_")
        && !matches!(name, "ERR_CERT_DATABASE_CHANGED" | "ERR_CERT_VERIFIER_CHANGED"))
        || name == "ERR_CERTIFICATE_TRANSPARENCY_REQUIRED"
        || (name.starts_with("ERR_SSL_") && !name.starts_with("ERR_SSL_CLIENT_AUTH_"));
    let firefox = ["SEC_ERROR_", "SSL_ERROR_", "MOZILLA_PKIX_ERROR_"].iter().any(|p| name.starts_with(p));
    (chromium || firefox).then(|| Finding::new(FindingKind::CertificateError).with_detail(name))
}

/// Cookie-name fragments that mark a session or authentication cookie (case-insensitive, contained):
/// `sid` (Salesforce, `connect.sid`), `sess` (`JSESSIONID`, `PHPSESSID`, `ASP.NET_SessionId`,
/// `laravel_session`, Odoo's `session_id`), `auth` (`CrmOwinAuth`, `.ASPXAUTH`), `token`, `jwt`,
/// `remember` (`remember_web_*`), `iamadt`/`iambdt` (Zoho accounts).
const SESSION_COOKIE_MARKERS: &[&str] =
    &["sid", "sess", "auth", "token", "jwt", "remember", "iamadt", "iambdt"];

/// Cookie names longer than this are cut in the finding's detail.
const MAX_COOKIE_NAME_DETAIL: usize = 64;

/// Findings from the response headers of a CRM tab's main document (`webRequest.onHeadersReceived`
/// with `responseHeaders` and `extraHeaders`):
///
/// - [`FindingKind::MissingHsts`] on an `https:` document whose first `Strict-Transport-Security`
///   header is missing or invalid: no `max-age`, a non-numeric one, `max-age=0` (which removes the
///   policy) or a directive given twice (RFC 6797 §6.1: the header is then ignored). Browsers ignore
///   the header on `http:` responses, so it is not looked for there (`InsecureScheme` covers those).
/// - [`FindingKind::InsecureCookie`] for each session-looking cookie (see `SESSION_COOKIE_MARKERS`) and
///   each `__Host-`/`__Secure-` cookie set without the `Secure` attribute. Detail: the cookie's name,
///   never its value. Several `Set-Cookie` headers, and several cookies in one header separated by
///   newlines (as Firefox joins them), are all read; lines without `name=` are ignored, as browsers do.
pub fn main_document_headers(url: &str, headers: &[(String, String)]) -> Vec<Finding> {
    let Ok(page) = PageUrl::parse(url) else { return Vec::new() };
    let mut out = Vec::new();
    if page.scheme == Scheme::Https {
        let hsts =
            headers.iter().find(|(name, _)| name.trim().eq_ignore_ascii_case("strict-transport-security"));
        if !hsts.is_some_and(|(_, value)| hsts_is_valid(value)) {
            out.push(Finding::new(FindingKind::MissingHsts));
        }
    }
    let cookie_lines = headers
        .iter()
        .filter(|(name, _)| name.trim().eq_ignore_ascii_case("set-cookie"))
        .flat_map(|(_, value)| value.split('\n'));
    for line in cookie_lines {
        let Some(name) = insecure_sensitive_cookie(line) else { continue };
        let finding = Finding::new(FindingKind::InsecureCookie).with_detail(name);
        if !out.contains(&finding) {
            out.push(finding);
        }
    }
    out
}

/// [`main_document_headers`] for one response of a main-frame request, given its HTTP status. A redirect
/// (3xx) is not the document: its cookies count (a login redirect sets the session cookie), its missing
/// `Strict-Transport-Security` does not (the final response is judged).
pub fn main_document_response(url: &str, status: u16, headers: &[(String, String)]) -> Vec<Finding> {
    let mut out = main_document_headers(url, headers);
    if (300..400).contains(&status) {
        out.retain(|f| f.kind != FindingKind::MissingHsts);
    }
    out
}

/// Whether a main-frame navigation error on an `https:` URL that CRM Guard upgraded from `http:` means
/// the host does not offer working HTTPS, so the user gets the "HTTPS failed" page instead of the
/// browser's error. Connection, handshake and protocol failures count (checked before
/// [`certificate_error`], which also reports handshake failures). Certificate errors do not (they
/// are [`certificate_error`] findings and the browser's own interstitial); nor do errors that say nothing
/// about HTTPS: a name that does not resolve (http would not work either), the user or the extension
/// aborting (`ERR_ABORTED`, `ERR_BLOCKED_BY_CLIENT`), being offline.
pub fn https_upgrade_failed(error: &str) -> bool {
    let name = error.trim();
    let name = name.strip_prefix("net::").unwrap_or(name);
    matches!(
        name,
        "ERR_SSL_PROTOCOL_ERROR"
            | "ERR_SSL_VERSION_OR_CIPHER_MISMATCH"
            | "ERR_SSL_UNRECOGNIZED_NAME_ALERT"
            | "ERR_CONNECTION_REFUSED"
            | "ERR_CONNECTION_CLOSED"
            | "ERR_CONNECTION_RESET"
            | "ERR_CONNECTION_TIMED_OUT"
            | "ERR_CONNECTION_FAILED"
            | "ERR_EMPTY_RESPONSE"
            | "ERR_TIMED_OUT"
            | "ERR_TUNNEL_CONNECTION_FAILED"
            | "ERR_INVALID_HTTP_RESPONSE"
    )
}

/// Navigation errors after which the trusted-network probe runs again: the network itself changed or
/// went away.
pub fn network_changed(error: &str) -> bool {
    let name = error.trim();
    let name = name.strip_prefix("net::").unwrap_or(name);
    matches!(
        name,
        "ERR_NETWORK_CHANGED"
            | "ERR_INTERNET_DISCONNECTED"
            | "ERR_NAME_NOT_RESOLVED"
            | "ERR_NAME_RESOLUTION_FAILED"
            | "ERR_ADDRESS_UNREACHABLE"
            | "ERR_PROXY_CONNECTION_FAILED"
    )
}

/// RFC 6797 §6.1: `;`-separated directives, names case-insensitive, values optionally quoted, each
/// directive at most once, `max-age` required. `max-age=0` is valid syntax but tells the browser to
/// forget the host, so it counts as missing here.
fn hsts_is_valid(value: &str) -> bool {
    let mut max_age = None;
    let mut seen: Vec<&str> = Vec::new();
    for directive in value.split(';').map(str::trim).filter(|d| !d.is_empty()) {
        let (name, arg) = match directive.split_once('=') {
            Some((n, a)) => (n.trim(), Some(a.trim())),
            None => (directive, None),
        };
        if seen.iter().any(|s| s.eq_ignore_ascii_case(name)) {
            return false;
        }
        seen.push(name);
        if name.eq_ignore_ascii_case("max-age") {
            let arg = arg.unwrap_or("");
            let arg = arg.strip_prefix('"').and_then(|a| a.strip_suffix('"')).unwrap_or(arg);
            if arg.is_empty() || !arg.bytes().all(|b| b.is_ascii_digit()) {
                return false;
            }
            // All digits: too many to fit is still a (very long) max-age.
            max_age = Some(arg.parse::<u64>().unwrap_or(u64::MAX));
        }
    }
    max_age.is_some_and(|age| age > 0)
}

/// The name of a session-looking or prefixed cookie set by `line` without `Secure`, cut to
/// `MAX_COOKIE_NAME_DETAIL` characters. Attributes are split on `;` the way browsers do (quotes
/// do not protect a `;`), names compared case-insensitively; `Secure=anything` is still `Secure`.
fn insecure_sensitive_cookie(line: &str) -> Option<String> {
    let mut parts = line.split(';');
    let (name, _value) = parts.next()?.split_once('=')?;
    let name = name.trim();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_graphic()) {
        return None;
    }
    let secure = parts.any(|attr| attr.split('=').next().unwrap_or("").trim().eq_ignore_ascii_case("secure"));
    if secure {
        return None;
    }
    let lower = name.to_ascii_lowercase();
    let prefixed = lower.starts_with("__host-") || lower.starts_with("__secure-");
    let session = SESSION_COOKIE_MARKERS.iter().any(|m| lower.contains(m));
    (prefixed || session).then(|| name.chars().take(MAX_COOKIE_NAME_DETAIL).collect())
}

/// What the trusted-network probe got back (the binding fetches IT's probe URL with a timeout).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ProbeOutcome {
    /// An HTTP response. `body_prefix`: the first bytes of the body, at least as long as the expected
    /// body, decoded as UTF-8 (lossy).
    Response {
        status: u16,
        #[serde(rename = "bodyPrefix")]
        body_prefix: String,
    },
    /// The fetch failed; the Chromium error name when known (`net::ERR_NAME_NOT_RESOLVED`), else the
    /// error message. Pass `ERR_INTERNET_DISCONNECTED` when `navigator.onLine` is false.
    Failed(String),
    /// No answer within the timeout.
    TimedOut,
}

/// Whether the device is on the network IT trusts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum NetworkTrust {
    /// The probe answered as configured.
    Trusted,
    /// The probe did not answer, or answered something else (a captive portal, another network's host).
    Untrusted,
    /// No verdict: the device is offline or the network changed during the probe. Probe again later.
    Unknown,
}

/// Errors after which the probe says nothing about the network.
const INCONCLUSIVE_PROBE_ERRORS: &[&str] =
    &["ERR_INTERNET_DISCONNECTED", "ERR_NETWORK_CHANGED", "ERR_NETWORK_IO_SUSPENDED", "ERR_ABORTED"];

/// Judges the trusted-network probe: trusted when the status is the expected one and, if IT gave an
/// expected body, the body starts with it (whitespace around either ignored). Probe hosts are internal
/// and answer fast on the trusted network, so a timeout or a failure (name not resolved, connection
/// refused, certificate error) is what being elsewhere looks like: untrusted. Being offline is unknown.
pub fn probe_result(expected_status: u16, expected_body: Option<&str>, got: ProbeOutcome) -> NetworkTrust {
    match got {
        ProbeOutcome::Response { status, body_prefix } => {
            let body_ok = expected_body.is_none_or(|want| body_prefix.trim_start().starts_with(want.trim()));
            if status == expected_status && body_ok {
                NetworkTrust::Trusted
            } else {
                NetworkTrust::Untrusted
            }
        }
        ProbeOutcome::Failed(error) => {
            let name = error.trim().trim_start_matches("net::");
            if INCONCLUSIVE_PROBE_ERRORS.contains(&name) {
                NetworkTrust::Unknown
            } else {
                NetworkTrust::Untrusted
            }
        }
        ProbeOutcome::TimedOut => NetworkTrust::Untrusted,
    }
}

/// The finding for a CRM tab while the network is untrusted: a warning, or at risk when policy says
/// this CRM must only be used from the trusted network.
pub fn untrusted_finding(required: bool) -> Finding {
    let finding = Finding::new(FindingKind::UntrustedNetwork);
    if required {
        Finding { level: Level::AtRisk, ..finding }
    } else {
        finding
    }
}

/// A proxy configured outside policy, from `chrome.proxy.settings.get({})`: `levelOfControl` and
/// `value.mode`.
///
/// - Only `fixed_servers` and `pac_script` send traffic through a chosen server. `direct` sends none;
///   `system` and `auto_detect` follow the operating system and the network (WPAD), which IT manages
///   outside the browser.
/// - `not_controllable`: set by enterprise policy (or by the administrator's command line), which
///   outranks extensions. That is IT's proxy, so no finding.
/// - `controlled_by_other_extensions`: another extension routes the browser's traffic through a
///   server of its choice, which can read every `http:` request and every host name. Finding.
/// - `controllable_by_this_extension` with a proxy mode: nothing above the user set it, so it is not
///   policy either (defensive; Chrome's own default is `system`). Finding.
/// - `controlled_by_this_extension`: CRM Guard never sets a proxy; no finding for our own setting.
/// - An unknown level with a proxy mode is reported: an unexplained proxy is the case to surface.
pub fn proxy_finding(level_of_control: &str, mode: &str) -> Option<Finding> {
    if !matches!(mode, "fixed_servers" | "pac_script") {
        return None;
    }
    match level_of_control {
        "not_controllable" | "controlled_by_this_extension" => None,
        _ => Some(Finding::new(FindingKind::ProxyOutsidePolicy)),
    }
}

/// Whether a form on a CRM page submits to a plain `http:` action. `action_url` may be relative (it
/// is resolved against the page, so an empty action on an `http:` page is insecure too). Loopback
/// actions are potentially trustworthy, and `javascript:`/`mailto:` actions send nothing over http.
pub fn insecure_form_action(page_url: &str, action_url: &str) -> bool {
    if action_url.len() > MAX_URL_LEN {
        // Too long to parse: judged by its scheme alone, so it fails closed.
        return action_url.trim_start().get(..5).is_some_and(|s| s.eq_ignore_ascii_case("http:"));
    }
    if page_url.len() > MAX_URL_LEN {
        return false;
    }
    let Ok(page) = Url::parse(page_url) else { return false };
    if !matches!(page.scheme(), "http" | "https") {
        return false;
    }
    let Ok(action) = page.join(action_url.trim()) else { return false };
    action.scheme() == "http" && action.host().is_some_and(|h| !is_loopback(h))
}

#[cfg(test)]
mod tests;
