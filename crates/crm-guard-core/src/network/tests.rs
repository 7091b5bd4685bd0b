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
        (PAGE, "http://api.example.com/x?token=secret", "xmlhttprequest", Some((Active, "api.example.com"))),
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
    let f = mixed_content(PAGE, "http://api.example.com/x?token=secret", "xmlhttprequest").expect("mixed");
    assert_eq!((f.level, f.detail.as_deref()), (Level::AtRisk, Some("api.example.com")), "host only");
    assert_eq!(mixed_content(PAGE, "http://i.example.com/", "image").expect("mixed").level, Level::Warning);
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
    let two =
        headers(&[("Strict-Transport-Security", "max-age=0"), ("Strict-Transport-Security", "max-age=600")]);
    assert_eq!(main_document_headers(PAGE, &two), vec![Finding::new(FindingKind::MissingHsts)]);
    assert!(main_document_headers("http://acme.odoo.com/web", &[]).is_empty(), "http: ignored by browsers");
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
