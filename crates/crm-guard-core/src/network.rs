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
mod tests {
    use super::*;

    const PAGE: &str = "https://acme.my.salesforce.com/lightning/page/home";

    #[test]
    fn overlong_http_action_fails_closed() {
        let long = format!("http://evil.example/{}", "a".repeat(MAX_URL_LEN));
        assert!(insecure_form_action(PAGE, &long));
        assert!(insecure_form_action(PAGE, &format!("  HTTP:{}", &long[5..])));
        assert!(!insecure_form_action(PAGE, &format!("https://ok.example/{}", "a".repeat(MAX_URL_LEN))));
    }

    #[test]
    fn mixed_content_table() {
        use FindingKind::{MixedContentActive as Active, MixedContentPassive as Passive};
        type Case = (&'static str, &'static str, &'static str, Option<(FindingKind, &'static str)>);
        let cases: &[Case] = &[
            (PAGE, "http://cdn.example.com/app.js", "script", Some((Active, "cdn.example.com"))),
            (PAGE, "http://evil.test/frame", "sub_frame", Some((Active, "evil.test"))),
            (
                PAGE,
                "http://api.example.com/x?token=secret",
                "xmlhttprequest",
                Some((Active, "api.example.com")),
            ),
            (PAGE, "ws://push.example.com/socket", "websocket", Some((Active, "push.example.com"))),
            (PAGE, "http://cdn.example.com/a.css", "stylesheet", Some((Active, "cdn.example.com"))),
            (PAGE, "http://cdn.example.com/f.woff2", "font", Some((Active, "cdn.example.com"))),
            (PAGE, "http://cdn.example.com/x.swf", "object", Some((Active, "cdn.example.com"))),
            (PAGE, "http://track.example.com/p", "ping", Some((Active, "track.example.com"))),
            (PAGE, "http://r.example.com/csp", "csp_report", Some((Active, "r.example.com"))),
            (PAGE, "http://x.example.com/", "other", Some((Active, "x.example.com"))),
            (PAGE, "http://x.example.com/", "some_future_type", Some((Active, "x.example.com"))),
            (PAGE, "http://img.example.com/logo.png", "image", Some((Passive, "img.example.com"))),
            (PAGE, "http://img.example.com/set", "imageset", Some((Passive, "img.example.com"))),
            (PAGE, "http://media.example.com/v.mp4", "media", Some((Passive, "media.example.com"))),
            (PAGE, "http://10.0.0.7:8080/x.js", "script", Some((Active, "10.0.0.7"))),
            (PAGE, "http://[2001:db8::7]/x.js", "script", Some((Active, "[2001:db8::7]"))),
            (PAGE, "https://cdn.example.com/app.js", "script", None),
            (PAGE, "wss://push.example.com/socket", "websocket", None),
            (PAGE, "data:text/javascript,1", "script", None),
            (PAGE, "blob:https://acme.my.salesforce.com/1", "script", None),
            (PAGE, "http://localhost:3000/dev.js", "script", None),
            (PAGE, "http://app.localhost/dev.js", "script", None),
            (PAGE, "http://127.0.0.1/x.js", "script", None),
            (PAGE, "http://[::1]/x.js", "script", None),
            (PAGE, "http://example.com/", "main_frame", None),
            ("http://acme.my.salesforce.com/", "http://cdn.example.com/app.js", "script", None),
            ("chrome://newtab/", "http://cdn.example.com/app.js", "script", None),
            ("not a url", "http://cdn.example.com/app.js", "script", None),
            (PAGE, "not a url", "script", None),
        ];
        for (page, request, ty, want) in cases {
            let got = mixed_content(page, request, ty);
            let got = got.as_ref().map(|f| (f.kind, f.detail.as_deref().unwrap_or("")));
            assert_eq!(got, *want, "{page} → {request} ({ty})");
        }
        let f =
            mixed_content(PAGE, "http://api.example.com/x?token=secret", "xmlhttprequest").expect("mixed");
        assert_eq!((f.level, f.detail.as_deref()), (Level::AtRisk, Some("api.example.com")), "host only");
        assert_eq!(
            mixed_content(PAGE, "http://i.example.com/", "image").expect("mixed").level,
            Level::Warning
        );
    }

    #[test]
    fn certificate_error_table() {
        let cases: &[(&str, Option<&str>)] = &[
            ("net::ERR_CERT_AUTHORITY_INVALID", Some("ERR_CERT_AUTHORITY_INVALID")),
            ("net::ERR_CERT_COMMON_NAME_INVALID", Some("ERR_CERT_COMMON_NAME_INVALID")),
            ("net::ERR_CERT_DATE_INVALID", Some("ERR_CERT_DATE_INVALID")),
            ("net::ERR_CERT_REVOKED", Some("ERR_CERT_REVOKED")),
            ("ERR_CERT_WEAK_SIGNATURE_ALGORITHM", Some("ERR_CERT_WEAK_SIGNATURE_ALGORITHM")),
            ("net::ERR_CERT_KNOWN_INTERCEPTION_BLOCKED", Some("ERR_CERT_KNOWN_INTERCEPTION_BLOCKED")),
            ("net::ERR_CERTIFICATE_TRANSPARENCY_REQUIRED", Some("ERR_CERTIFICATE_TRANSPARENCY_REQUIRED")),
            ("net::ERR_SSL_PINNED_KEY_NOT_IN_CERT_CHAIN", Some("ERR_SSL_PINNED_KEY_NOT_IN_CERT_CHAIN")),
            ("net::ERR_SSL_PROTOCOL_ERROR", Some("ERR_SSL_PROTOCOL_ERROR")),
            ("net::ERR_SSL_VERSION_OR_CIPHER_MISMATCH", Some("ERR_SSL_VERSION_OR_CIPHER_MISMATCH")),
            ("  net::ERR_CERT_INVALID \n", Some("ERR_CERT_INVALID")),
            ("SEC_ERROR_UNKNOWN_ISSUER", Some("SEC_ERROR_UNKNOWN_ISSUER")),
            ("SSL_ERROR_BAD_CERT_DOMAIN", Some("SSL_ERROR_BAD_CERT_DOMAIN")),
            ("MOZILLA_PKIX_ERROR_SELF_SIGNED_CERT", Some("MOZILLA_PKIX_ERROR_SELF_SIGNED_CERT")),
            ("net::ERR_SSL_CLIENT_AUTH_CERT_NEEDED", None),
            ("net::ERR_CERT_DATABASE_CHANGED", None),
            ("net::ERR_NAME_NOT_RESOLVED", None),
            ("net::ERR_CONNECTION_REFUSED", None),
            ("net::ERR_ABORTED", None),
            ("net::ERR_BLOCKED_BY_CLIENT", None),
            ("", None),
            ("net::", None),
            ("net::ERR_CERT_<script>", None),
            ("err_cert_authority_invalid", None),
        ];
        for (error, want) in cases {
            let got = certificate_error(error);
            assert_eq!(got.as_ref().and_then(|f| f.detail.as_deref()), *want, "{error:?}");
            if let Some(f) = got {
                assert_eq!((f.kind, f.level), (FindingKind::CertificateError, Level::AtRisk));
            }
        }
        assert_eq!(certificate_error(&format!("net::ERR_CERT_{}", "X".repeat(100))), None, "too long");
    }

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
    }

    fn hsts_missing(value: Option<&str>) -> bool {
        let h: Vec<_> = value.map(|v| ("Strict-Transport-Security", v)).into_iter().collect();
        main_document_headers(PAGE, &headers(&h)).iter().any(|f| f.kind == FindingKind::MissingHsts)
    }

    #[test]
    fn hsts_table() {
        let cases: &[(Option<&str>, bool)] = &[
            (Some("max-age=31536000"), false),
            (Some("max-age=31536000; includeSubDomains; preload"), false),
            (Some("  MAX-AGE = 600 ;includesubdomains"), false),
            (Some("max-age=\"31536000\""), false),
            (Some("includeSubDomains; max-age=1"), false),
            (Some("max-age=99999999999999999999999"), false),
            (Some("max-age=31536000; unknown-directive=x"), false),
            (None, true),
            (Some(""), true),
            (Some("includeSubDomains"), true),
            (Some("max-age=0"), true),
            (Some("max-age=0; includeSubDomains"), true),
            (Some("max-age="), true),
            (Some("max-age=-1"), true),
            (Some("max-age=1y"), true),
            (Some("max-age"), true),
            (Some("max-age=10; max-age=20"), true),
            (Some("max-age=10; includeSubDomains; INCLUDESUBDOMAINS"), true),
            (Some("garbage\u{0}\u{7f}"), true),
        ];
        for (value, missing) in cases {
            assert_eq!(hsts_missing(*value), *missing, "{value:?}");
        }
    }

    #[test]
    fn hsts_header_name_any_case_first_one_counts_http_not_checked() {
        let ok = headers(&[("strict-TRANSPORT-security", "max-age=600")]);
        assert!(main_document_headers(PAGE, &ok).is_empty());
        let two = headers(&[
            ("Strict-Transport-Security", "max-age=0"),
            ("Strict-Transport-Security", "max-age=600"),
        ]);
        assert_eq!(main_document_headers(PAGE, &two), vec![Finding::new(FindingKind::MissingHsts)]);
        assert!(
            main_document_headers("http://acme.odoo.com/web", &[]).is_empty(),
            "http: ignored by browsers"
        );
        assert!(main_document_headers("not a url", &[]).is_empty());
    }

    fn insecure_cookies(set_cookies: &[&str]) -> Vec<String> {
        let mut h = headers(&[("Strict-Transport-Security", "max-age=600")]);
        h.extend(set_cookies.iter().map(|c| ("Set-Cookie".to_owned(), c.to_string())));
        main_document_headers(PAGE, &h)
            .into_iter()
            .map(|f| {
                assert_eq!((f.kind, f.level), (FindingKind::InsecureCookie, Level::Warning));
                f.detail.unwrap_or_default()
            })
            .collect()
    }

    #[test]
    fn cookie_table() {
        let cases: &[(&str, Option<&str>)] = &[
            ("sid=00D1!AQ; Path=/; HttpOnly", Some("sid")),
            ("sid=00D1!AQ; Path=/; HttpOnly; Secure", None),
            ("sid=00D1!AQ; path=/; secure; httponly", None),
            ("sid=x;SECURE", None),
            ("sid=x; Secure=false", None),
            ("JSESSIONID=ABC123; Path=/", Some("JSESSIONID")),
            ("PHPSESSID=abc", Some("PHPSESSID")),
            ("ASP.NET_SessionId=abc; HttpOnly", Some("ASP.NET_SessionId")),
            ("laravel_session=eyJpdiI6; HttpOnly", Some("laravel_session")),
            ("CrmOwinAuth=abc; path=/; HttpOnly", Some("CrmOwinAuth")),
            ("session_id=abc", Some("session_id")),
            ("connect.sid=s%3Aabc", Some("connect.sid")),
            ("XSRF-TOKEN=abc; Path=/", Some("XSRF-TOKEN")),
            ("access_jwt=abc", Some("access_jwt")),
            ("remember_web_59ba=abc", Some("remember_web_59ba")),
            ("_iamadt=abc; Domain=.zoho.com", Some("_iamadt")),
            ("__Host-id=abc; Path=/", Some("__Host-id")),
            ("__Secure-pref=abc", Some("__Secure-pref")),
            ("__Host-sid=abc; Secure; Path=/", None),
            ("theme=dark", None),
            ("_ga=GA1.2.3", None),
            ("lang=en; Path=/", None),
            ("sid=\"quoted;value\"; Secure", None),
            ("sid=\"quoted value\"", Some("sid")),
            ("sessionid", None),
            ("=sessionvalue", None),
            ("", None),
            (";;;", None),
            ("  sid = abc ; Path=/", Some("sid")),
            ("s\u{0}id=abc", None),
        ];
        for (cookie, want) in cases {
            let got = insecure_cookies(&[cookie]);
            assert_eq!(got, want.map(|n| vec![n.to_owned()]).unwrap_or_default(), "{cookie:?}");
        }
    }

    #[test]
    fn several_cookies_headers_and_newline_joined() {
        let got = insecure_cookies(&[
            "sid=a; Path=/",
            "theme=dark",
            "JSESSIONID=b\nauth_token=c; Secure\nPHPSESSID=d",
            "sid=again",
        ]);
        assert_eq!(got, ["sid", "JSESSIONID", "PHPSESSID"], "each insecure name once, in order");
        let long = format!("session_{}=v", "n".repeat(200));
        assert_eq!(insecure_cookies(&[&long])[0].len(), MAX_COOKIE_NAME_DETAIL);
    }

    #[test]
    fn cookie_values_never_appear_in_any_output() {
        const VALUE: &str = "Sup3rS3cr3tSessionValue";
        let set_cookies = [
            format!("sid={VALUE}; Path=/"),
            format!("JSESSIONID=\"{VALUE}\""),
            format!("token={VALUE}=={VALUE}; Domain=x"),
            format!("__Host-x={VALUE}"),
            format!("sid{VALUE}"),
            VALUE.to_owned(),
            format!("auth={VALUE}\nsess={VALUE};"),
        ];
        let mut h = headers(&[("strict-transport-security", "max-age=0")]);
        h.extend(set_cookies.iter().map(|c| ("set-cookie".to_owned(), c.clone())));
        let findings = main_document_headers(PAGE, &h);
        assert!(findings.len() >= 5, "{findings:?}");
        let json = serde_json::to_string(&findings).expect("findings serialise");
        assert!(!json.contains(VALUE) && !format!("{findings:?}").contains(VALUE), "{json}");
    }

    #[test]
    fn redirects_are_not_judged_for_hsts() {
        let h = headers(&[("Set-Cookie", "sid=x; Path=/")]);
        let kinds = |status| -> Vec<FindingKind> {
            main_document_response(PAGE, status, &h).into_iter().map(|f| f.kind).collect()
        };
        assert_eq!(kinds(200), [FindingKind::MissingHsts, FindingKind::InsecureCookie]);
        assert_eq!(kinds(302), [FindingKind::InsecureCookie]);
        assert_eq!(kinds(404), [FindingKind::MissingHsts, FindingKind::InsecureCookie]);
    }

    #[test]
    fn https_upgrade_failure_table() {
        let cases: &[(&str, bool)] = &[
            ("net::ERR_SSL_PROTOCOL_ERROR", true),
            ("net::ERR_CONNECTION_REFUSED", true),
            ("net::ERR_CONNECTION_CLOSED", true),
            ("net::ERR_CONNECTION_RESET", true),
            ("net::ERR_CONNECTION_TIMED_OUT", true),
            ("net::ERR_EMPTY_RESPONSE", true),
            ("net::ERR_SSL_VERSION_OR_CIPHER_MISMATCH", true),
            (" ERR_TIMED_OUT ", true),
            ("net::ERR_CERT_AUTHORITY_INVALID", false),
            ("net::ERR_CERT_COMMON_NAME_INVALID", false),
            ("net::ERR_NAME_NOT_RESOLVED", false),
            ("net::ERR_ABORTED", false),
            ("net::ERR_BLOCKED_BY_CLIENT", false),
            ("net::ERR_INTERNET_DISCONNECTED", false),
            ("", false),
            ("garbage", false),
        ];
        for (error, want) in cases {
            assert_eq!(https_upgrade_failed(error), *want, "{error:?}");
        }
        assert!(network_changed("net::ERR_NETWORK_CHANGED") && network_changed("ERR_NAME_NOT_RESOLVED"));
        assert!(!network_changed("net::ERR_SSL_PROTOCOL_ERROR") && !network_changed("net::ERR_ABORTED"));
    }

    #[test]
    fn probe_table() {
        use NetworkTrust::{Trusted, Unknown, Untrusted};
        let resp = |status, body: &str| ProbeOutcome::Response { status, body_prefix: body.to_owned() };
        let failed = |e: &str| ProbeOutcome::Failed(e.to_owned());
        let cases: Vec<(u16, Option<&str>, ProbeOutcome, NetworkTrust)> = vec![
            (204, None, resp(204, ""), Trusted),
            (200, Some("corp-ok"), resp(200, "corp-ok\n"), Trusted),
            (200, Some(" corp-ok "), resp(200, "\n corp-ok v2"), Trusted),
            (200, Some("corp-ok"), resp(200, "<html>Sign in to the hotel Wi-Fi"), Untrusted),
            (200, Some("corp-ok"), resp(200, ""), Untrusted),
            (204, None, resp(200, ""), Untrusted),
            (204, None, resp(302, ""), Untrusted),
            (200, None, resp(511, "portal"), Untrusted),
            (204, None, failed("net::ERR_NAME_NOT_RESOLVED"), Untrusted),
            (204, None, failed("net::ERR_CONNECTION_REFUSED"), Untrusted),
            (204, None, failed("net::ERR_CERT_AUTHORITY_INVALID"), Untrusted),
            (204, None, failed("TypeError: Failed to fetch"), Untrusted),
            (204, None, ProbeOutcome::TimedOut, Untrusted),
            (204, None, failed("net::ERR_INTERNET_DISCONNECTED"), Unknown),
            (204, None, failed("ERR_NETWORK_CHANGED"), Unknown),
            (204, None, failed("net::ERR_ABORTED"), Unknown),
        ];
        for (status, body, got, want) in cases {
            let label = format!("{status} {body:?} {got:?}");
            assert_eq!(probe_result(status, body, got), want, "{label}");
        }
    }

    #[test]
    fn probe_outcome_json_shape() {
        let r: ProbeOutcome =
            serde_json::from_str(r#"{"response":{"status":204,"bodyPrefix":""}}"#).expect("response");
        assert_eq!(r, ProbeOutcome::Response { status: 204, body_prefix: String::new() });
        let f: ProbeOutcome = serde_json::from_str(r#"{"failed":"net::ERR_FAILED"}"#).expect("failed");
        assert_eq!(f, ProbeOutcome::Failed("net::ERR_FAILED".into()));
        assert_eq!(serde_json::from_str::<ProbeOutcome>(r#""timedOut""#).ok(), Some(ProbeOutcome::TimedOut));
        assert_eq!(serde_json::to_value(NetworkTrust::Untrusted).ok(), Some("untrusted".into()));
    }

    #[test]
    fn untrusted_finding_levels() {
        assert_eq!(untrusted_finding(false), Finding::new(FindingKind::UntrustedNetwork));
        assert_eq!(untrusted_finding(false).level, Level::Warning);
        let required = untrusted_finding(true);
        assert_eq!((required.kind, required.level), (FindingKind::UntrustedNetwork, Level::AtRisk));
    }

    #[test]
    fn proxy_table() {
        let cases: &[(&str, &str, bool)] = &[
            ("controlled_by_other_extensions", "fixed_servers", true),
            ("controlled_by_other_extensions", "pac_script", true),
            ("controllable_by_this_extension", "fixed_servers", true),
            ("something_new", "pac_script", true),
            ("not_controllable", "fixed_servers", false),
            ("not_controllable", "pac_script", false),
            ("controlled_by_this_extension", "fixed_servers", false),
            ("controlled_by_other_extensions", "direct", false),
            ("controlled_by_other_extensions", "system", false),
            ("controlled_by_other_extensions", "auto_detect", false),
            ("controllable_by_this_extension", "system", false),
            ("controllable_by_this_extension", "", false),
        ];
        for (level, mode, want) in cases {
            let got = proxy_finding(level, mode);
            assert_eq!(got.is_some(), *want, "{level} {mode}");
            if let Some(f) = got {
                assert_eq!((f.kind, f.level), (FindingKind::ProxyOutsidePolicy, Level::Warning));
            }
        }
    }

    #[test]
    fn form_action_table() {
        let cases: &[(&str, &str, bool)] = &[
            (PAGE, "http://acme.my.salesforce.com/login", true),
            (PAGE, "HTTP://evil.example/collect", true),
            (PAGE, "  http://evil.example/collect", true),
            (PAGE, "//evil.example/collect", false),
            (PAGE, "https://acme.my.salesforce.com/login", false),
            (PAGE, "/relative/path", false),
            (PAGE, "", false),
            (PAGE, "javascript:void(0)", false),
            (PAGE, "mailto:a@b.c", false),
            (PAGE, "http://localhost:8080/dev", false),
            (PAGE, "http://127.0.0.1/dev", false),
            ("http://acme.odoo.com/web", "/web/login", true),
            ("http://acme.odoo.com/web", "", true),
            ("http://acme.odoo.com/web", "https://acme.odoo.com/web/login", false),
            ("http://acme.odoo.com/web", "//acme.odoo.com/x", true),
            ("chrome://settings", "http://evil.example/", false),
            ("not a url", "http://evil.example/", false),
        ];
        for (page, action, want) in cases {
            assert_eq!(insecure_form_action(page, action), *want, "{page} → {action:?}");
        }
    }
}
