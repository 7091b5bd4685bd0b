use super::*;
use crate::policy::Settings;

fn catalog() -> Catalog {
    Settings::default().catalog()
}

fn facts(url: &str, referrer: &str, tab: Option<&str>, mime: &str, file: &str) -> DownloadFacts {
    DownloadFacts {
        url: url.into(),
        final_url: String::new(),
        referrer: referrer.into(),
        tab_url: tab.map(Into::into),
        mime: mime.into(),
        filename: file.into(),
    }
}

fn crm(c: &Classified) -> (&str, &str) {
    match &c.origin {
        Origin::Crm { crm_id, host, .. } => (crm_id.as_str(), host.as_str()),
        Origin::Unknown => ("?", "?"),
    }
}

/// (download URL, referrer, tab, MIME, file, expected (crm, kind, recipe)).
type Row<'a> = (&'a str, &'a str, Option<&'a str>, &'a str, &'a str, Option<(&'a str, ExportKind, &'a str)>);

/// URL × response table: (download URL, referrer, tab, MIME, file) → (crm, kind, recipe).
#[test]
fn recipes_table() {
    let sf = "https://acme.my.salesforce.com";
    let rows: &[Row] = &[
        (
            "https://acme.my.salesforce.com/00O5e000001abcD?export=1&enc=UTF-8&xf=csv",
            sf,
            None,
            "text/csv",
            "report.csv",
            Some(("salesforce", ExportKind::Table, "salesforce.reportExport")),
        ),
        // Renamed by the server: the recipe still knows it is records.
        (
            "https://acme.my.salesforce.com/00O5e000001abcD?xf=xls&export=1",
            sf,
            None,
            "application/octet-stream",
            "download.txt",
            Some(("salesforce", ExportKind::Table, "salesforce.reportExport")),
        ),
        (
            "https://acme.my.salesforce.com/servlet/PrintableViewDownloadServlet?isdtp=p1&reportId=00O",
            sf,
            None,
            "application/vnd.ms-excel",
            "report.xls",
            Some(("salesforce", ExportKind::Report, "salesforce.printableView")),
        ),
        (
            "https://acme.my.salesforce.com/servlet/servlet.OrgExport?fileName=WE_00D.zip&id=0922",
            sf,
            None,
            "application/zip",
            "WE_00D_1.ZIP",
            Some(("salesforce", ExportKind::Table, "salesforce.dataExport")),
        ),
        (
            "https://acme.crm4.dynamics.com/api/data/v9.0/ExportToExcel",
            "",
            None,
            "",
            "Active Accounts.xlsx",
            Some(("dynamics365", ExportKind::Table, "dynamics.exportToExcel")),
        ),
        (
            "https://app.hubspot.com/api/crm-exports/v1/export/12345",
            "",
            None,
            "",
            "contacts.xlsx",
            Some(("hubspot", ExportKind::Table, "hubspot.export")),
        ),
        (
            "https://crm.zoho.eu/crm/org123/ExportData.do?module=Leads",
            "",
            None,
            "",
            "Leads.csv",
            Some(("zoho", ExportKind::Table, "zoho.export")),
        ),
        (
            "https://acme.pipedrive.com/api/v1/exports/9/download",
            "",
            None,
            "",
            "deals.csv",
            Some(("pipedrive", ExportKind::Table, "pipedrive.export")),
        ),
        (
            "https://acme.myfreshworks.com/crm/sales/exports/55/download",
            "",
            None,
            "",
            "contacts.csv",
            Some(("freshsales", ExportKind::Table, "freshsales.export")),
        ),
        // Freshsales' classic host: the same recipe (named once).
        (
            "https://acme.freshsales.io/contacts/export/download",
            "",
            None,
            "",
            "contacts.txt",
            Some(("freshsales-classic", ExportKind::Table, "freshsales.export")),
        ),
        // A plain file on a CRM host: the file type tells the kind.
        (
            "https://acme.my.salesforce.com/sfc/servlet.shepherd/version/download/068",
            sf,
            None,
            "application/pdf",
            "contract.pdf",
            Some(("salesforce", ExportKind::Report, "file")),
        ),
        (
            "https://acme.my.salesforce.com/sfc/servlet.shepherd/version/download/069",
            sf,
            None,
            "image/png",
            "logo.png",
            Some(("salesforce", ExportKind::Other, "file")),
        ),
        // Page-made files: the blob's origin is the CRM page's.
        (
            "blob:https://acme.lightning.force.com/6d1c2f0e-1111-2222-3333-444455556666",
            "",
            None,
            "",
            "contacts.csv",
            Some(("salesforce", ExportKind::Table, "blob")),
        ),
        (
            "data:text/csv;base64,YSxi",
            "",
            Some("https://acme.crm.dynamics.com/main.aspx"),
            "text/csv",
            "download.csv",
            Some(("dynamics365", ExportKind::Table, "blob")),
        ),
        // A CDN (no CRM URL) with a CRM page as referrer.
        (
            "https://cdn.example-files.net/x/abc",
            "https://app.hubspot.com/contacts/1234/objects/0-1/views/all/list",
            None,
            "text/csv",
            "export.csv",
            Some(("hubspot", ExportKind::Table, "file")),
        ),
        // No referrer; the opener tab is on the CRM (a download started in a frame).
        (
            "https://files.example.net/f.vcf",
            "",
            Some("https://acme.my.salesforce.com/lightning/r/Contact/003/view"),
            "",
            "card.vcf",
            Some(("salesforce", ExportKind::Table, "file")),
        ),
        // Nothing to do with a CRM.
        (
            "https://example.com/a.csv",
            "https://example.com/",
            Some("https://example.com/"),
            "text/csv",
            "a.csv",
            None,
        ),
        ("https://example.com/a.csv", "", None, "text/csv", "a.csv", None),
        // A marketing site is not a CRM.
        ("https://www.salesforce.com/brochure.pdf", "https://www.salesforce.com/", None, "", "b.pdf", None),
    ];
    for (url, referrer, tab, mime, file, want) in rows {
        let got = classify(&catalog(), &facts(url, referrer, *tab, mime, file));
        match (want, &got) {
            (None, None) => {}
            (Some((id, kind, recipe)), Some(c)) => {
                assert_eq!(crm(c).0, *id, "{url}");
                assert_eq!(c.kind, *kind, "{url}");
                assert_eq!(c.recipe, *recipe, "{url}");
            }
            _ => panic!("{url}: want {want:?}, got {got:?}"),
        }
    }
}

#[test]
fn a_redirect_keeps_the_crm_of_the_first_url_and_the_host_only() {
    let mut d = facts("https://acme.my.salesforce.com/00O1?export=1&xf=csv", "", None, "", "r.csv");
    d.final_url = "https://cdn.example.net/signed?token=secret".into();
    let c = classify(&catalog(), &d).unwrap();
    assert_eq!(crm(&c), ("salesforce", "acme.my.salesforce.com"));
    assert_eq!(c.recipe, "salesforce.reportExport");
    // The final URL on the CRM when the first is not.
    let mut d = facts("https://short.example/x", "", None, "", "r.csv");
    d.final_url = "https://acme.my.salesforce.com/servlet/servlet.OrgExport?x".into();
    assert_eq!(classify(&catalog(), &d).unwrap().recipe, "salesforce.dataExport");
}

#[test]
fn page_made_files_we_cannot_place_are_unknown_origin_never_dropped() {
    for url in ["data:text/csv,a,b", "blob:null/1234"] {
        let c = classify(&catalog(), &facts(url, "", None, "text/csv", "x.csv")).unwrap();
        assert_eq!(c.origin, Origin::Unknown, "{url}");
        assert_eq!(c.recipe, "unknownOrigin");
        assert_eq!(c.kind, ExportKind::Table);
    }
    // A blob whose origin we can read and is no CRM is not an export (block mode must not
    // block an unrelated site's CSV) — unless a CRM tab opened it.
    let other = facts("blob:https://example.com/1", "", None, "text/csv", "x.csv");
    assert_eq!(classify(&catalog(), &other), None);
    let mut from_crm = other.clone();
    from_crm.tab_url = Some("https://acme.my.salesforce.com/lightning/page/home".into());
    assert_eq!(crm(&classify(&catalog(), &from_crm).unwrap()).0, "salesforce");
    // Garbage never panics.
    for url in ["", "blob:", "data:", "::::", "blob:https://", "https://[::1", "\u{0}"] {
        let _ = classify(&catalog(), &facts(url, url, Some(url), url, url));
    }
}

#[test]
fn a_crm_page_cannot_hide_its_file_by_name_or_type() {
    // A blob a CRM page built, named x.dat and typed octet-stream: still a table.
    for (url, referrer) in [
        ("blob:https://acme.my.salesforce.com/6d1c", ""),
        (
            "data:application/octet-stream;base64,YSxi",
            "https://acme.my.salesforce.com/lightning/o/Contact/list",
        ),
    ] {
        let c =
            classify(&catalog(), &facts(url, referrer, None, "application/octet-stream", "x.dat")).unwrap();
        assert_eq!((c.kind, c.recipe), (ExportKind::Table, "blob"), "{url}");
    }
    // A saved CRM page (Save page as: .html, .mhtml): a report.
    for (file, mime) in
        [("Contacts.mhtml", "multipart/related"), ("Contacts.html", "text/html"), ("x", "text/html")]
    {
        let d = facts("https://acme.my.salesforce.com/lightning/o/Contact/list", "", None, mime, file);
        assert_eq!(classify(&catalog(), &d).unwrap().kind, ExportKind::Report, "{file}");
    }
    // A page-made PDF stays a report.
    let pdf = facts("blob:https://acme.my.salesforce.com/1", "", None, "application/pdf", "q.pdf");
    assert_eq!(classify(&catalog(), &pdf).unwrap().kind, ExportKind::Report);
}

#[test]
fn file_types() {
    for (file, mime, kind) in [
        ("a.CSV", "", ExportKind::Table),
        ("a.xlsx", "", ExportKind::Table),
        ("C:\\x\\a.vcf", "", ExportKind::Table),
        ("a.json", "", ExportKind::Table),
        ("backup.zip", "", ExportKind::Table),
        ("a.pdf", "", ExportKind::Report),
        ("noext", "text/csv; charset=utf-8", ExportKind::Table),
        ("noext", "application/pdf", ExportKind::Report),
        ("a.png", "image/png", ExportKind::Other),
        ("", "", ExportKind::Other),
    ] {
        assert_eq!(kind_of_file(file, mime), kind, "{file} {mime}");
    }
}

fn settings(json: serde_json::Value) -> Settings {
    let (s, errors) = Settings::from_value(&json);
    assert!(errors.is_empty(), "{errors:?}");
    s
}

#[test]
fn policy_per_kind_and_allowed_hosts() {
    let s = settings(serde_json::json!({
        "exportTableMode": "block", "exportReportMode": "warn", "exportOtherMode": "off",
        "exportAllowHosts": ["*.sandbox.my.salesforce.com"]
    }));
    let at = |host: &str, kind| Classified {
        origin: Origin::Crm { crm_id: "salesforce".into(), crm_name: "Salesforce".into(), host: host.into() },
        kind,
        recipe: "file",
    };
    assert_eq!(decide(&s, &at("acme.my.salesforce.com", ExportKind::Table)), Action::Block);
    assert_eq!(decide(&s, &at("acme.my.salesforce.com", ExportKind::Report)), Action::Ask);
    assert_eq!(decide(&s, &at("acme.my.salesforce.com", ExportKind::Other)), Action::Ignore);
    assert_eq!(decide(&s, &at("acme--uat.sandbox.my.salesforce.com", ExportKind::Table)), Action::Log);
    let unknown = Classified { origin: Origin::Unknown, kind: ExportKind::Table, recipe: "unknownOrigin" };
    assert_eq!(decide(&s, &unknown), Action::Block);
    // Defaults: tables and reports logged, other files not.
    let d = Settings::default();
    assert_eq!(decide(&d, &at("a.my.salesforce.com", ExportKind::Table)), Action::Log);
    assert_eq!(decide(&d, &at("a.my.salesforce.com", ExportKind::Report)), Action::Log);
    assert_eq!(decide(&d, &at("a.my.salesforce.com", ExportKind::Other)), Action::Ignore);
}

#[test]
fn file_names_only_as_policy_allows() {
    assert_eq!(file_name_for_log(FileNameLog::None, "report.csv"), None);
    let h = file_name_for_log(FileNameLog::Hashed, "/home/u/Downloads/report.csv").unwrap();
    assert!(h.starts_with("sha256:") && h.len() == 7 + 16, "{h}");
    assert!(!h.contains("report"));
    assert_eq!(file_name_for_log(FileNameLog::Hashed, "report.csv").unwrap(), h, "same name, same hash");
    assert_eq!(
        file_name_for_log(FileNameLog::Full, "C:\\Users\\x\\report.csv").as_deref(),
        Some("report.csv")
    );
    assert_eq!(file_name_for_log(FileNameLog::Full, "a\u{7}b.csv").as_deref(), Some("ab.csv"));
    assert_eq!(file_name_for_log(FileNameLog::Full, "").as_deref(), None);
}

#[test]
fn details_carry_no_path_and_a_bounded_reason() {
    let c = Classified {
        origin: Origin::Crm { crm_id: "salesforce".into(), crm_name: "Salesforce".into(), host: "a".into() },
        kind: ExportKind::Table,
        recipe: "salesforce.reportExport",
    };
    let d = download_detail(&c, Action::Ask, Some(1234), None, Some(&"x".repeat(500)));
    assert!(d.starts_with("table export (salesforce.reportExport): asked, 1234 bytes, reason: xxx"), "{d}");
    assert!(d.len() < 200);
}

#[test]
fn copies_over_either_threshold() {
    let s = settings(serde_json::json!({ "clipboardCharThreshold": 2000, "clipboardRowThreshold": 50 }));
    assert!(!copy_is_large(&s, Copy { chars: 20, rows: 0 }));
    assert!(copy_is_large(&s, Copy { chars: 300, rows: 500 }));
    assert!(copy_is_large(&s, Copy { chars: 2000, rows: 0 }));
    let off = settings(serde_json::json!({ "exportClipboardLog": false }));
    assert!(!copy_is_large(&off, Copy { chars: 1_000_000, rows: 10_000 }));
}
