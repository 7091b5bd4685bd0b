//! URL parsing and host matching on the parsed, IDNA-normalised host.

use std::borrow::Cow;
use std::net::IpAddr;

use serde::Serialize;
use thiserror::Error;
use url::Url;

/// URLs longer than this are not parsed whole (Chromium accepts up to 2 MB; no CRM needs more
/// than a few KB, and parsing megabytes on every navigation is a denial of service). An over-long
/// URL is classified without what cannot matter (the fragment, then the query) or, failing that,
/// by its scheme and host alone ([`PageUrl::partial`]): a page cannot switch CRM Guard off by
/// making its own URL long.
pub const MAX_URL_LEN: usize = 32 * 1024;

/// A URL as CRM Guard keeps it (tab records, pending documents): at most [`MAX_URL_LEN`] bytes
/// and a character, read by [`PageUrl::parse`] exactly as the whole URL is. What cannot matter
/// goes first (the fragment, then the query); a URL still over the limit is cut, and the cut one
/// is read by scheme and host alone, as the whole one is. A page cannot fill the worker's storage
/// (10 MB for every tab's record) with its own URL.
pub fn bounded_url(input: &str) -> &str {
    if input.len() <= MAX_URL_LEN {
        return input;
    }
    let no_fragment = input.split('#').next().unwrap_or_default();
    if no_fragment.len() <= MAX_URL_LEN {
        return no_fragment;
    }
    let no_query = no_fragment.split('?').next().unwrap_or_default();
    if no_query.len() <= MAX_URL_LEN {
        return no_query;
    }
    let mut cut = MAX_URL_LEN + 1;
    while !no_query.is_char_boundary(cut) {
        cut += 1;
    }
    &no_query[..cut]
}

/// The longest `user:pass@host:port` read from a URL that is not parsed whole.
const MAX_AUTHORITY_LEN: usize = 2048;

/// Why a URL cannot be a CRM tab.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum UrlError {
    /// The input is longer than [`MAX_URL_LEN`] bytes.
    #[error("URL is {0} bytes long, over the {MAX_URL_LEN}-byte limit")]
    TooLong(usize),
    /// The input does not parse as a URL.
    #[error("not a valid URL: {0}")]
    Invalid(#[from] url::ParseError),
    /// The URL parses but its scheme is not `http` or `https` (`chrome:`, `file:`, `data:`…).
    #[error("scheme `{0}` is not http or https")]
    Scheme(String),
    /// An http(s) URL without a host.
    #[error("URL has no host")]
    NoHost,
}

/// The scheme of a web page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    Http,
    Https,
}

/// A parsed http(s) page URL with its host normalised for matching: lower case, IDNA to ASCII
/// (punycode), without a trailing dot. User info is dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageUrl {
    pub scheme: Scheme,
    /// ASCII host, lower case, no trailing dot. IPv6 literals keep their brackets.
    pub host: String,
    /// Explicit non-default port, if any.
    pub port: Option<u16>,
    pub path: String,
    /// The host is an IP literal, not a name.
    pub ip_literal: bool,
    /// Only the scheme and the authority were read (the URL is over-long even without its query
    /// and fragment, or its path does not parse): `path` is `/` and stands for any path.
    pub partial: bool,
}

impl PageUrl {
    /// Parses a tab URL. Only `http:` and `https:` URLs with a host are pages we classify.
    ///
    /// Fail closed: a URL over [`MAX_URL_LEN`] is parsed without its fragment, then without its
    /// query; if it is still too long (or whatever follows the host does not parse), its scheme
    /// and host alone are read ([`PageUrl::partial`]). Only a URL whose scheme and host cannot be
    /// read is an error.
    pub fn parse(input: &str) -> Result<Self, UrlError> {
        if input.len() <= MAX_URL_LEN {
            return match Self::parse_whole(input) {
                Err(UrlError::Invalid(e)) => Self::parse_authority(input).ok_or(UrlError::Invalid(e)),
                other => other,
            };
        }
        // Neither the fragment nor the query can change which CRM a page belongs to.
        let no_fragment = input.split('#').next().unwrap_or_default();
        let no_query = no_fragment.split('?').next().unwrap_or_default();
        for head in [no_fragment, no_query] {
            if head.len() <= MAX_URL_LEN {
                if let Ok(u) = Self::parse_whole(head) {
                    return Ok(u);
                }
                break;
            }
        }
        Self::parse_authority(input).ok_or(UrlError::TooLong(input.len()))
    }

    fn parse_whole(input: &str) -> Result<Self, UrlError> {
        let url = Url::parse(input)?;
        let scheme = match url.scheme() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            other => return Err(UrlError::Scheme(other.to_owned())),
        };
        let (host, ip_literal) = match url.host() {
            None => return Err(UrlError::NoHost),
            Some(url::Host::Domain(d)) => (d.trim_end_matches('.').to_owned(), false),
            Some(url::Host::Ipv4(ip)) => (ip.to_string(), true),
            Some(url::Host::Ipv6(ip)) => (format!("[{ip}]"), true),
        };
        if host.is_empty() {
            return Err(UrlError::NoHost);
        }
        Ok(PageUrl {
            scheme,
            host,
            port: url.port(),
            path: url.path().to_owned(),
            ip_literal,
            partial: false,
        })
    }

    /// The scheme and the authority of an `http(s)://` URL, read without the rest.
    fn parse_authority(input: &str) -> Option<Self> {
        let s = input.trim_start_matches(|c: char| c <= ' ');
        let (scheme, rest) = s.split_once(':')?;
        if !(scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")) {
            return None;
        }
        let rest = rest.trim_start_matches(['/', '\\']);
        let authority = &rest[..rest.find(['/', '\\', '?', '#']).unwrap_or(rest.len())];
        if authority.is_empty() || authority.len() > MAX_AUTHORITY_LEN {
            return None;
        }
        let mut url = Self::parse_whole(&format!("{}://{authority}/", scheme.to_ascii_lowercase())).ok()?;
        url.partial = true;
        Some(url)
    }

    /// `scheme://host[:port]`, the origin as the browser prints it.
    pub fn origin(&self) -> String {
        let scheme = match self.scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
        };
        match self.port {
            Some(p) => format!("{scheme}://{}:{p}", self.host),
            None => format!("{scheme}://{}", self.host),
        }
    }

    /// The registrable domain (eTLD+1) of the host from the Public Suffix List, if it has one.
    pub fn registrable_domain(&self) -> Option<&str> {
        if self.ip_literal {
            return None;
        }
        crate::suffix::registrable_domain(&self.host)
    }
}

/// Why a host pattern (from the catalog or from IT policy) is not valid.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PatternError {
    #[error("host pattern is empty")]
    Empty,
    #[error("host pattern `{0}` may only use `*.` as a prefix")]
    Wildcard(String),
    #[error("host pattern `{0}` is not a valid host name")]
    InvalidHost(String),
    #[error("host pattern `{0}` would match a whole public suffix")]
    PublicSuffix(String),
}

/// A host pattern: an exact host, or `*.suffix` for every host strictly below `suffix`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(into = "String")]
pub enum HostPattern {
    Exact(Cow<'static, str>),
    /// Matches hosts that end in `.suffix` (not `suffix` itself).
    Subdomains(Cow<'static, str>),
}

impl From<HostPattern> for String {
    fn from(p: HostPattern) -> String {
        p.to_string()
    }
}

impl std::fmt::Display for HostPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HostPattern::Exact(h) => f.write_str(h),
            HostPattern::Subdomains(s) => write!(f, "*.{s}"),
        }
    }
}

impl HostPattern {
    /// A pattern from the built-in catalog; written in normalised form already.
    pub const fn exact(host: &'static str) -> Self {
        HostPattern::Exact(Cow::Borrowed(host))
    }

    /// `*.suffix` from the built-in catalog.
    pub const fn subdomains(suffix: &'static str) -> Self {
        HostPattern::Subdomains(Cow::Borrowed(suffix))
    }

    /// Parses a pattern written by a person (IT policy): `crm.example.com` or `*.example.com`,
    /// any case, Unicode or punycode, optional trailing dot. A pattern that would cover a whole
    /// public suffix (`*.com`, `*.co.uk`) is refused.
    pub fn parse(input: &str) -> Result<Self, PatternError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(PatternError::Empty);
        }
        let (wild, rest) = match trimmed.strip_prefix("*.") {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        if rest.contains('*') {
            return Err(PatternError::Wildcard(input.to_owned()));
        }
        let ascii = idna::domain_to_ascii_strict(rest.trim_end_matches('.'))
            .map_err(|_| PatternError::InvalidHost(input.to_owned()))?;
        if ascii.is_empty() {
            return Err(PatternError::InvalidHost(input.to_owned()));
        }
        if wild && crate::suffix::registrable_domain(&ascii).is_none() {
            return Err(PatternError::PublicSuffix(input.to_owned()));
        }
        Ok(if wild {
            HostPattern::Subdomains(Cow::Owned(ascii))
        } else {
            HostPattern::Exact(Cow::Owned(ascii))
        })
    }

    /// Whether a normalised host (see [`PageUrl::host`]) matches, on label boundaries.
    pub fn matches(&self, host: &str) -> bool {
        match self {
            HostPattern::Exact(h) => host == h,
            HostPattern::Subdomains(s) => {
                host.len() > s.len() + 1
                    && host.ends_with(s.as_ref())
                    && host.as_bytes()[host.len() - s.len() - 1] == b'.'
            }
        }
    }
}

/// Whether a string is an IP literal as a URL host would carry it.
pub fn is_ip_literal(host: &str) -> bool {
    host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().is_ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parse_normalises_host() {
        let u = PageUrl::parse("HTTPS://user:pw@ACME.My.SalesForce.com.:443/lightning/page").unwrap();
        assert_eq!(u.scheme, Scheme::Https);
        assert_eq!(u.host, "acme.my.salesforce.com");
        assert_eq!(u.port, None, "default port is not kept");
        assert_eq!(u.path, "/lightning/page");
        assert!(!u.ip_literal);
    }

    #[test]
    fn parse_keeps_custom_port_and_ip() {
        let u = PageUrl::parse("http://10.0.0.1:8080/crm").unwrap();
        assert_eq!(u.port, Some(8080));
        assert!(u.ip_literal);
        assert_eq!(u.origin(), "http://10.0.0.1:8080");
        let v6 = PageUrl::parse("https://[::1]/").unwrap();
        assert_eq!(v6.host, "[::1]");
        assert!(v6.ip_literal && is_ip_literal(&v6.host));
    }

    #[test]
    fn parse_idna_to_punycode() {
        let u = PageUrl::parse("https://bücher.example/").unwrap();
        assert_eq!(u.host, "xn--bcher-kva.example");
    }

    #[test]
    fn parse_rejects_non_pages() {
        for bad in [
            "chrome://extensions",
            "file:///etc/passwd",
            "data:text/html,hi",
            "about:blank",
            "javascript:alert(1)",
            "not a url",
            "",
            "http://",
            "blob:https://x.com/1",
        ] {
            assert!(PageUrl::parse(bad).is_err(), "{bad} should not parse as a page");
        }
        let huge = format!("chrome://settings/{}", "a".repeat(MAX_URL_LEN));
        assert_eq!(PageUrl::parse(&huge), Err(UrlError::TooLong(huge.len())));
        let huge_host =
            format!("https://{}.example/{}", "a".repeat(MAX_AUTHORITY_LEN), "a".repeat(MAX_URL_LEN));
        assert_eq!(PageUrl::parse(&huge_host), Err(UrlError::TooLong(huge_host.len())));
    }

    /// What is kept of a URL is bounded and reads as the whole URL does.
    #[test]
    fn bounded_urls_read_as_the_whole_url() {
        let pad = "x".repeat(40 * 1024);
        let wide = "é".repeat(20 * 1024);
        let inputs = [
            "https://acme.my.salesforce.com/lightning/page#short".to_owned(),
            format!("https://acme.my.salesforce.com/lightning/page#{pad}"),
            format!("https://acme.my.salesforce.com/a?q={pad}#frag"),
            format!("https://acme.my.salesforce.com/a?q=1#{pad}?{pad}"),
            format!("https://acme.my.salesforce.com/{pad}"),
            format!("https://acme.my.salesforce.com/{pad}?a#b"),
            format!("https://acme.myfreshworks.com/crm/{wide}"),
            format!("http://crm.acme.test:8080/{wide}?{pad}"),
            format!("https://acme.my.salesforce.com/%zz{pad}"),
            format!("javascript:{pad}"),
        ];
        for input in &inputs {
            let kept = bounded_url(input);
            assert!(kept.len() <= MAX_URL_LEN + 4, "{} bytes kept", kept.len());
            assert_eq!(
                PageUrl::parse(kept).ok(),
                PageUrl::parse(input).ok(),
                "{}",
                &input[..60.min(input.len())]
            );
        }
        assert_eq!(bounded_url(&inputs[0]), inputs[0], "a URL under the limit is kept whole");
    }

    /// Fail closed: an over-long URL is still read: without its fragment, then without its query,
    /// else by scheme and host alone. (url, scheme, host, port, path, partial)
    #[test]
    fn over_long_urls_keep_scheme_and_host() {
        let pad = "x".repeat(40 * 1024);
        #[allow(clippy::type_complexity)]
        let cases: &[(String, Scheme, &str, Option<u16>, &str, bool)] = &[
            (
                format!("https://acme.my.salesforce.com/lightning/page#{pad}"),
                Scheme::Https,
                "acme.my.salesforce.com",
                None,
                "/lightning/page",
                false,
            ),
            (
                format!("https://acme.my.salesforce.com/a?q={pad}#frag"),
                Scheme::Https,
                "acme.my.salesforce.com",
                None,
                "/a",
                false,
            ),
            (
                format!("https://acme.my.salesforce.com/a?q=1#{pad}?{pad}"),
                Scheme::Https,
                "acme.my.salesforce.com",
                None,
                "/a",
                false,
            ),
            (
                format!("https://acme.my.salesforce.com/{pad}"),
                Scheme::Https,
                "acme.my.salesforce.com",
                None,
                "/",
                true,
            ),
            (
                format!("https://acme.my.salesforce.com/{pad}?a#b"),
                Scheme::Https,
                "acme.my.salesforce.com",
                None,
                "/",
                true,
            ),
            (
                format!("HTTP://user:pw@ACME.My.SalesForce.com.:8080/{pad}"),
                Scheme::Http,
                "acme.my.salesforce.com",
                Some(8080),
                "/",
                true,
            ),
            (format!("  https://10.0.0.1/{pad}"), Scheme::Https, "10.0.0.1", None, "/", true),
            (
                format!("https://acme.my.salesforce.com#{pad}"),
                Scheme::Https,
                "acme.my.salesforce.com",
                None,
                "/",
                false,
            ),
            (
                format!("https://acme.my.salesforce.com?{pad}"),
                Scheme::Https,
                "acme.my.salesforce.com",
                None,
                "/",
                false,
            ),
            (
                format!("https://bücher.example/{pad}"),
                Scheme::Https,
                "xn--bcher-kva.example",
                None,
                "/",
                true,
            ),
            (
                format!("https:\\\\acme.my.salesforce.com\\{pad}"),
                Scheme::Https,
                "acme.my.salesforce.com",
                None,
                "/",
                true,
            ),
        ];
        for (url, scheme, host, port, path, partial) in cases {
            let u = PageUrl::parse(url).unwrap_or_else(|e| panic!("{}: {e}", &url[..60]));
            assert_eq!(
                (u.scheme, u.host.as_str(), u.port, u.path.as_str(), u.partial),
                (*scheme, *host, *port, *path, *partial),
                "{}",
                &url[..60]
            );
        }
        for bad in [
            format!("chrome://x/{pad}"),
            format!("https:///{pad}"),
            format!("data:text/html,{pad}"),
            format!("https://a b/{pad}"),
        ] {
            assert!(PageUrl::parse(&bad).is_err(), "{}", &bad[..30]);
        }
        // At the limit, a URL is parsed whole as before.
        let at = format!("https://a.my.salesforce.com/{}", "a".repeat(MAX_URL_LEN - 28));
        assert_eq!(at.len(), MAX_URL_LEN);
        assert!(!PageUrl::parse(&at).unwrap().partial);
    }

    #[test]
    fn pattern_matching_is_label_bound() {
        let p = HostPattern::subdomains("my.salesforce.com");
        assert!(p.matches("acme.my.salesforce.com"));
        assert!(p.matches("a.b.my.salesforce.com"));
        assert!(!p.matches("my.salesforce.com"));
        assert!(!p.matches("evilmy.salesforce.com"));
        assert!(!p.matches("acme.my.salesforce.com.evil.com"));
        let e = HostPattern::exact("app.hubspot.com");
        assert!(e.matches("app.hubspot.com"));
        assert!(!e.matches("xapp.hubspot.com"));
    }

    #[test]
    fn pattern_parse() {
        assert_eq!(HostPattern::parse("*.CRM.Example.com.").unwrap().to_string(), "*.crm.example.com");
        assert_eq!(
            HostPattern::parse("crm.bücher.example").unwrap().to_string(),
            "crm.xn--bcher-kva.example"
        );
        assert_eq!(HostPattern::parse(""), Err(PatternError::Empty));
        assert!(matches!(HostPattern::parse("*.com"), Err(PatternError::PublicSuffix(_))));
        assert!(matches!(HostPattern::parse("*.co.uk"), Err(PatternError::PublicSuffix(_))));
        assert!(matches!(HostPattern::parse("a.*.com"), Err(PatternError::Wildcard(_))));
        assert!(matches!(HostPattern::parse("bad host"), Err(PatternError::InvalidHost(_))));
    }
}
