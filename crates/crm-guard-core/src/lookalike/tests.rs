use super::*;

fn check_url(catalog: &Catalog, url: &str) -> Option<Imitation> {
    let page = PageUrl::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
    assert!(catalog.classify(&page).is_none(), "{url} is a CRM host; the caller would not ask");
    check(catalog, &page)
}

/// (URL, imitated CRM id, reason).
const IMITATIONS: &[(&str, &str, Reason)] = &[
    ("https://salesforce-login.com/", "salesforce", Reason::BrandName),
    ("https://secure-hubspot.net/", "hubspot", Reason::BrandName),
    ("https://hubspot.co/login", "hubspot", Reason::BrandName),
    ("https://salesforce.co/", "salesforce", Reason::BrandName),
    ("https://sales-force.com/", "salesforce", Reason::BrandName),
    ("https://mysalesforce.support/", "salesforce", Reason::BrandName),
    ("https://zoho-crm.net/", "zoho", Reason::BrandName),
    ("https://acme-pipedrive.io/", "pipedrive", Reason::BrandName),
    ("https://sugarondemand.co/", "sugarcrm", Reason::BrandName),
    ("https://zendesk-sell.com/", "zendesk-sell", Reason::BrandName),
    ("https://dynamics365-login.com/", "dynamics365", Reason::BrandName),
    ("https://salesforce-login.github.io/", "salesforce", Reason::BrandName),
    ("https://acme.my.salesforce.com.evil.io/", "salesforce", Reason::EmbeddedDomain),
    ("https://acme.lightning.force.com.x.io/", "salesforce", Reason::EmbeddedDomain),
    ("https://contoso.crm.dynamics.com.evil.io/", "dynamics365", Reason::EmbeddedDomain),
    ("https://app.hubspot.com-login.info/", "hubspot", Reason::EmbeddedDomain),
    ("https://acme.monday.com.phish.net/", "monday", Reason::EmbeddedDomain),
    ("https://app.close.com.evil.io/", "close", Reason::EmbeddedDomain),
    ("https://salesf0rce.com/", "salesforce", Reason::Misspelling),
    ("https://hubsopt.com/", "hubspot", Reason::Misspelling),
    ("https://pipedrlve.com/", "pipedrive", Reason::Misspelling),
    ("https://saleforce.com/", "salesforce", Reason::Misspelling),
    ("https://salesforcce.net/", "salesforce", Reason::Misspelling),
    ("https://hubpsot.com/", "hubspot", Reason::Misspelling),
    ("https://freshvvorks.com/", "freshsales", Reason::Misspelling),
    ("https://insightlly.com/", "insightly", Reason::Misspelling),
    ("https://z0ho.com/", "zoho", Reason::Misspelling),
    ("https://m0nday.com/", "monday", Reason::Misspelling),
    ("https://rnonday.com/", "monday", Reason::Misspelling),
    ("https://c1ose.com/", "close", Reason::Misspelling),
    ("https://c0pper.com/", "copper", Reason::Misspelling),
    ("https://f0rce.com/", "salesforce", Reason::Misspelling),
    ("https://dynamlcs.com/", "dynamics365", Reason::Misspelling),
    ("https://p1pedr1ve.com/", "pipedrive", Reason::Misspelling),
    ("https://xn--slesforce-51a.com/", "salesforce", Reason::Homograph),
    ("https://s\u{0430}lesforce.com/", "salesforce", Reason::Homograph),
    ("https://hubsp\u{043e}t.com/", "hubspot", Reason::Homograph),
    ("https://z\u{043e}h\u{043e}.com/", "zoho", Reason::Homograph),
    ("https://\u{03c1}ipedrive.com/", "pipedrive", Reason::Homograph),
    ("https://salesforc\u{e9}.com/", "salesforce", Reason::Homograph),
    ("https://m\u{043e}nday.com/", "monday", Reason::Homograph),
    ("https://\u{0441}lose.com/", "close", Reason::Homograph),
];

const HONEST: &[&str] = &[
    "https://www.salesforce.com/",
    "https://salesforce.com/",
    "https://trailhead.salesforce.com/",
    "https://status.salesforce.com/",
    "https://my.salesforce.com/",
    "https://blog.hubspot.com/",
    "https://www.hubspot.com/",
    "https://www.zoho.com/crm/",
    "https://mail.zoho.com/",
    "https://dynamics.microsoft.com/",
    "https://www.pipedrive.com/",
    "https://www.monday.com/",
    "https://www.close.com/",
    "https://www.copper.com/",
    "https://example.com/",
    "https://google.com/",
    "https://forcepoint.com/",
    "https://workforce.com/",
    "https://airforce.mil/",
    "https://bostondynamics.com/",
    "https://dynamic.com/",
    "https://mondaymorning.com/",
    "https://monday.net/",
    "https://closet.com/",
    "https://close.org/",
    "https://copperfield.com/",
    "https://hub.com/",
    "https://voodoo.com/",
    "https://odoo-community.org/",
    "https://insights.com/",
    "https://insightful.io/",
    "https://freshbooks.com/",
    "https://salesforge.ai/",
    "https://pipedream.com/",
    "https://nutshellmail.net/",
    "https://capsule.co.uk/",
    "https://salesforce.acme.com/",
    "https://login.github.io/",
    "https://xn--bcher-kva.example/",
    "https://xn--80ak6aa92e.com/",
    "https://10.0.0.1/",
    "https://[::1]/",
    "http://localhost:8080/",
    "https://wikipedia.org/",
];

#[test]
fn imitations_are_caught() {
    let catalog = Catalog::builtin();
    for (url, crm, reason) in IMITATIONS {
        let got = check_url(&catalog, url);
        assert_eq!(got.as_ref().map(|i| (i.crm_id.as_str(), i.reason)), Some((*crm, *reason)), "{url}");
    }
    assert!(IMITATIONS.len() >= 25);
}

#[test]
fn honest_hosts_pass() {
    let catalog = Catalog::builtin();
    for url in HONEST {
        assert_eq!(check_url(&catalog, url), None, "{url}");
    }
    assert!(HONEST.len() >= 25);
}

#[test]
fn real_crm_hosts_are_never_lookalikes() {
    // The caller would not ask, but no vendor host may ever be taken for an imitation.
    for entry in BUILTIN {
        for p in entry.hosts.iter() {
            let host = match p {
                HostPattern::Exact(h) => h.to_string(),
                HostPattern::Subdomains(s) => format!("acme.{s}"),
            };
            let page = PageUrl::parse(&format!("https://{host}/")).expect("catalog host parses");
            assert_eq!(check(&Catalog::builtin(), &page), None, "{host}");
        }
    }
}

#[test]
fn policy_crm_is_protected_too() {
    let extra = CrmEntry {
        id: "acme".into(),
        name: "Acme CRM".into(),
        hosts: vec![HostPattern::parse("crm.acmecorp.example").expect("valid")].into(),
        exclude: Vec::new().into(),
        path_prefix: None,
        logout_url: None,
    };
    let catalog = Catalog::with_extra(vec![extra]);
    let hit = |url: &str| check_url(&catalog, url).map(|i| (i.crm_name, i.reason));
    assert_eq!(
        hit("https://crm.acmecorp.example.evil.io/"),
        Some(("Acme CRM".into(), Reason::EmbeddedDomain))
    );
    assert_eq!(hit("https://acmec0rp.com/"), Some(("Acme CRM".into(), Reason::Misspelling)));
    assert_eq!(hit("https://acmecorps.net/"), Some(("Acme CRM".into(), Reason::Misspelling)));
    assert_eq!(hit("https://www.acmecorp.example/"), None, "the company's own domain");
    assert_eq!(hit("https://acmecorp.net/"), None, "a policy name is not a coined brand");
    assert_eq!(hit("https://acme.com/"), None);
}

#[test]
fn brand_list_is_consistent() {
    for b in BRANDS {
        assert!(Catalog::builtin().get(b.crm).is_some(), "unknown CRM id {}", b.crm);
        assert!(b.max_edits <= default_max_edits(b.word.len()), "{}: edit budget above the rule", b.word);
        assert!(!b.coined || b.word.len() >= 4, "{}: too short to be searched inside labels", b.word);
        let mut folded = String::new();
        fold_into(b.word, &mut folded);
        assert!(folded.is_ascii() && !folded.is_empty(), "{}", b.word);
    }
}

#[test]
fn edit_distance_counts_transpositions_once() {
    assert_eq!(edit_distance(b"hubspot", b"hubsopt"), 1);
    assert_eq!(edit_distance(b"hubspot", b"hubspot"), 0);
    assert_eq!(edit_distance(b"", b"abc"), 3);
    assert_eq!(edit_distance(b"kitten", b"sitting"), 3);
    assert_eq!(edit_distance(b"salesforce", b"saelsfocre"), 2);
    assert_eq!(edit_distance(&[b'a'; 65], b"a"), usize::MAX);
}

#[test]
fn folding() {
    let fold = |s: &str| {
        let mut out = String::new();
        fold_into(s, &mut out);
        out
    };
    assert_eq!(fold("rnicr0soft"), fold("microsoft"));
    assert_eq!(fold("vvorks"), "works");
    assert_eq!(fold("p1pe-drive"), fold("pipedrive"));
    assert_eq!(fold("s\u{0430}lesf\u{03bf}rce"), fold("salesforce"));
}

#[test]
fn long_and_odd_labels_are_cheap_and_safe() {
    let catalog = Catalog::builtin();
    let long = format!("https://{}.com/", "salesforce".repeat(6));
    assert_eq!(check_url(&catalog, &long).map(|i| i.reason), Some(Reason::BrandName));
    let junk = format!("https://{}.com/", "x".repeat(60));
    assert_eq!(check_url(&catalog, &junk), None);
    // The URL parser refuses broken punycode; the label decoder keeps the ASCII if it ever sees one.
    let broken = Label::of("xn--a");
    assert!(!broken.non_ascii && broken.plain == "xna");
}
