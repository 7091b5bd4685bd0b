use super::*;
use crate::policy::Settings;

fn run(urls: &[&str]) -> (Option<SignIn>, Vec<Completed>) {
    let catalog = Settings::default().catalog();
    let mut state = None;
    let mut done = Vec::new();
    for u in urls {
        if *u == "OTP" {
            state = code_field_seen(state);
            continue;
        }
        // As the engine does: a page that is neither a CRM nor a sign-in host ends the sign-in.
        match step_of(&catalog, u) {
            Some((step, _)) => {
                let (s, c) = advance(state, step, 0);
                state = s;
                done.extend(c);
            }
            None => state = None,
        }
    }
    (state, done)
}

fn step(url: &str) -> Option<Step> {
    step_of(&Settings::default().catalog(), url).map(|(s, _)| s)
}

/// URL → step, per recipe.
#[test]
fn steps_table() {
    use Step::*;
    let rows: &[(&str, Option<Step>)] = &[
        ("https://login.salesforce.com/", Some(Credential("salesforce.login"))),
        ("https://test.salesforce.com/?locale=fr", Some(Credential("salesforce.test"))),
        (
            "https://login.salesforce.com/_ui/identity/verification/method/TotpVerificationFinish",
            Some(Challenge("salesforce.login")),
        ),
        ("https://acme.my.salesforce.com/", Some(Passing)),
        ("https://acme.my.salesforce.com/login?x=1", Some(Credential("salesforce.myDomain"))),
        (
            "https://acme.my.salesforce.com/_ui/identity/verification/method/EmailVerificationFinish",
            Some(Challenge("salesforce.verification")),
        ),
        (
            "https://acme.my.salesforce.com/_ui/identity/totp/AddTotp",
            Some(Challenge("salesforce.verification")),
        ),
        ("https://acme.my.salesforce.com/secur/frontdoor.jsp", Some(Passing)),
        ("https://acme.lightning.force.com/lightning/page/home", Some(Landed)),
        ("https://acme.my.salesforce.com/home/home.jsp", Some(Landed)),
        // Redirect endpoints a silent single sign-on passes through: hops, not password pages.
        ("https://login.microsoftonline.com/common/oauth2/authorize", Some(Passing)),
        ("https://login.microsoftonline.com/abc/saml2?SAMLRequest=x", Some(Passing)),
        ("https://login.microsoftonline.com/common/login", Some(Credential("idp.entra"))),
        ("https://login.live.com/oauth20_authorize.srf", Some(Passing)),
        ("https://login.live.com/ppsecure/post.srf", Some(Credential("idp.entra"))),
        ("https://acme.okta.com/app/salesforce/exk1/sso/saml", Some(Passing)),
        ("https://acme.okta.com/oauth2/v1/authorize", Some(Passing)),
        ("https://accounts.google.com/o/saml2/idp?idpid=x", Some(Passing)),
        ("https://accounts.google.com/ServiceLogin?continue=x", Some(Passing)),
        ("https://accounts.zoho.eu/oauth/v2/auth", Some(Passing)),
        ("https://accounts.zoho.attacker.tld/signin", None),
        ("https://login.microsoftonline.com/common/SAS/ProcessAuth", Some(Challenge("idp.entra"))),
        ("https://login.microsoftonline.com/kmsi", Some(Passing)),
        ("https://acme.crm4.dynamics.com/main.aspx", Some(Landed)),
        ("https://acme.okta.com/login/login.htm", Some(Credential("idp.okta"))),
        ("https://acme.okta.com/signin/verify/okta/push", Some(Challenge("idp.okta"))),
        ("https://accounts.google.com/v3/signin/identifier", Some(Passing)),
        ("https://accounts.google.com/v3/signin/challenge/pwd", Some(Credential("idp.google"))),
        ("https://accounts.google.com/v3/signin/challenge/totp", Some(Challenge("idp.google"))),
        ("https://accounts.zoho.eu/signin?servicename=ZohoCRM", Some(Credential("zoho.accounts"))),
        ("https://accounts.zoho.com/signin/v2/mfa/totp", Some(Challenge("zoho.accounts"))),
        ("https://crm.zoho.com/crm/org1/tab/Home/begin", Some(Landed)),
        ("https://app.hubspot.com/login", Some(Credential("hubspot.login"))),
        ("https://app.hubspot.com/login/verify", Some(Challenge("hubspot.verify"))),
        ("https://app.hubspot.com/contacts/123", Some(Landed)),
        ("https://acme.pipedrive.com/auth/login", Some(Credential("pipedrive.login"))),
        ("https://acme.pipedrive.com/auth/2fa", Some(Challenge("pipedrive.2fa"))),
        ("https://acme.pipedrive.com/pipeline", Some(Landed)),
        ("https://acme.myfreshworks.com/login", Some(Credential("freshworks.login"))),
        ("https://acme.myfreshworks.com/login/mfa", Some(Challenge("freshworks.login"))),
        ("https://acme.myfreshworks.com/crm/sales/contacts", Some(Landed)),
        ("https://example.com/login", None),
        ("not a url", None),
    ];
    for (url, want) in rows {
        assert_eq!(step(url), *want, "{url}");
    }
}

#[test]
fn password_only_and_with_a_factor() {
    let (_, done) = run(&[
        "https://login.salesforce.com/",
        "https://acme.my.salesforce.com/secur/frontdoor.jsp",
        "https://acme.lightning.force.com/lightning/page/home",
    ]);
    assert_eq!(done, vec![Completed { recipe: "salesforce.login".into(), factor: None }]);
    let (_, done) = run(&[
        "https://login.salesforce.com/",
        "https://acme.my.salesforce.com/_ui/identity/verification/method/TotpVerificationFinish",
        "https://acme.lightning.force.com/lightning/page/home",
    ]);
    assert_eq!(done[0].factor, Some(Factor::ChallengePage));
    // A code field on the login host itself (the same URL, a new form).
    let (_, done) = run(&[
        "https://login.salesforce.com/",
        "OTP",
        "https://acme.lightning.force.com/lightning/page/home",
    ]);
    assert_eq!(done[0].factor, Some(Factor::CodeField));
    // My Domain's root: its login form starts the sign-in.
    let state = login_form_seen(None, "salesforce", 0);
    assert_eq!(state, Some(SignIn { recipe: "salesforce.loginForm".into(), factor: None, started_ms: 0 }));
    let marked = login_form_seen(code_field_seen(state.clone()), "salesforce", 0);
    assert_eq!(marked.unwrap().factor, Some(Factor::CodeField));
    // Dynamics through Entra with and without its MFA page.
    let (_, done) = run(&[
        "https://login.microsoftonline.com/common/oauth2/authorize",
        "https://login.microsoftonline.com/common/login",
        "https://acme.crm.dynamics.com/main.aspx",
    ]);
    assert_eq!(done, vec![Completed { recipe: "idp.entra".into(), factor: None }]);
    let (_, done) = run(&[
        "https://login.microsoftonline.com/common/oauth2/authorize",
        "https://login.microsoftonline.com/common/SAS/ProcessAuth",
        "https://login.microsoftonline.com/common/login",
        "https://acme.crm.dynamics.com/main.aspx",
    ]);
    assert_eq!(done[0].factor, Some(Factor::ChallengePage));
    // Google: the password challenge is not a second factor.
    let (_, done) = run(&[
        "https://accounts.google.com/v3/signin/identifier",
        "https://accounts.google.com/v3/signin/challenge/pwd",
        "https://app.hubspot.com/contacts/1",
    ]);
    assert_eq!(done[0].factor, None);
}

#[test]
fn only_a_followed_sign_in_completes_and_once() {
    // Browsing the CRM with no sign-in seen: nothing.
    let (_, done) = run(&["https://acme.lightning.force.com/x", "https://acme.lightning.force.com/y"]);
    assert!(done.is_empty());
    // Landing ends it: the next CRM pages do not repeat it.
    let (state, done) = run(&[
        "https://app.hubspot.com/login",
        "https://app.hubspot.com/contacts/1",
        "https://app.hubspot.com/contacts/2",
    ]);
    assert_eq!(done.len(), 1);
    assert!(state.is_none());
    // A code field with nothing in progress changes nothing; an unrelated site ends a sign-in
    // (an abandoned login page must not mark a later visit to the CRM).
    let (state, done) = run(&["OTP", "https://example.com/", "https://acme.pipedrive.com/auth/login"]);
    assert!(done.is_empty());
    assert_eq!(state, Some(SignIn { recipe: "pipedrive.login".into(), factor: None, started_ms: 0 }));
    let (state, done) = run(&[
        "https://acme.pipedrive.com/auth/login",
        "https://example.com/x",
        "https://acme.pipedrive.com/pipeline",
    ]);
    assert!(done.is_empty() && state.is_none());
}

#[test]
fn silent_single_sign_on_is_not_a_password_sign_in() {
    for urls in [
        &[
            "https://login.microsoftonline.com/common/oauth2/authorize",
            "https://acme.crm.dynamics.com/main.aspx",
        ][..],
        &[
            "https://acme.okta.com/app/salesforce/exk1/sso/saml",
            "https://acme.my.salesforce.com/saml/SSO",
            "https://acme.lightning.force.com/lightning/page/home",
        ],
        &["https://accounts.google.com/o/saml2/idp?idpid=x", "https://app.hubspot.com/contacts/1"],
        &["https://accounts.google.com/v3/signin/identifier", "https://app.hubspot.com/contacts/1"],
    ] {
        let (_, done) = run(urls);
        assert!(done.is_empty(), "{urls:?}");
    }
}

#[test]
fn a_sign_in_expires() {
    let (s, _) = advance(None, Step::Credential("hubspot.login"), 1_000);
    let (s2, done) = advance(s.clone(), Step::Landed, 1_000 + MAX_SIGNIN_MS + 1);
    assert!(done.is_none() && s2.is_none(), "forgotten after a few minutes");
    let (_, done) = advance(s, Step::Landed, 1_000 + MAX_SIGNIN_MS);
    assert!(done.is_some());
}

#[test]
fn the_state_holds_no_url() {
    let (state, _) = run(&["https://login.salesforce.com/?un=alice@acme.com&pw=secret"]);
    let json = serde_json::to_string(&state).unwrap();
    assert!(!json.contains("alice") && !json.contains("secret") && !json.contains("https"), "{json}");
}
