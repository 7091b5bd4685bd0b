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
        if let Some((step, _)) = step_of(&catalog, u) {
            let (s, c) = advance(state, step);
            state = s;
            done.extend(c);
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
        ("https://login.microsoftonline.com/common/oauth2/authorize", Some(Credential("idp.entra"))),
        ("https://login.microsoftonline.com/common/SAS/ProcessAuth", Some(Challenge("idp.entra"))),
        ("https://login.microsoftonline.com/kmsi", Some(Passing)),
        ("https://acme.crm4.dynamics.com/main.aspx", Some(Landed)),
        ("https://acme.okta.com/login/login.htm", Some(Credential("idp.okta"))),
        ("https://acme.okta.com/signin/verify/okta/push", Some(Challenge("idp.okta"))),
        ("https://accounts.google.com/v3/signin/identifier", Some(Credential("idp.google"))),
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
    let state = login_form_seen(None, "salesforce");
    assert_eq!(state, Some(SignIn { recipe: "salesforce.loginForm".into(), factor: None }));
    let marked = login_form_seen(code_field_seen(state.clone()), "salesforce");
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
    // Unrelated sites between pages change nothing; a code field with nothing in progress either.
    let (state, done) = run(&[
        "OTP",
        "https://example.com/",
        "https://acme.pipedrive.com/auth/login",
        "https://example.com/x",
    ]);
    assert!(done.is_empty());
    assert_eq!(state, Some(SignIn { recipe: "pipedrive.login".into(), factor: None }));
}

#[test]
fn the_state_holds_no_url() {
    let (state, _) = run(&["https://login.salesforce.com/?un=alice@acme.com&pw=secret"]);
    let json = serde_json::to_string(&state).unwrap();
    assert!(!json.contains("alice") && !json.contains("secret") && !json.contains("https"), "{json}");
}
