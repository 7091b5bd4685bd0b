//! The Group Policy templates, read as Group Policy would: parsed by a real XML parser
//! (roxmltree), every key named for Chrome and Edge, every string and presentation resolved in
//! both languages, and the registry values that enabling each policy at its default writes
//! (a `.reg`) accepted by `policy check`.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crm_guard_core::policy::{Key, EXTENSION_ID};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_crm-guard")).args(args).output().expect("run crm-guard")
}

fn out(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn templates(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    let o = run(&["policy", "template", "--for", "windows-admx", "--out", &dir.to_string_lossy()]);
    assert!(o.status.success(), "{}", out(&o));
    dir
}

const NS: &str = "http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions";

/// `$(string.X)` → X.
fn reference<'a>(s: &'a str, kind: &str) -> &'a str {
    s.strip_prefix(&format!("$({kind}.")).and_then(|r| r.strip_suffix(')')).unwrap()
}

#[test]
fn admx_and_adml_parse_and_name_every_key_for_chrome_and_edge() {
    let dir = templates("admx-parse");
    let admx_text = std::fs::read_to_string(dir.join("crm-guard.admx")).unwrap();
    let admx = roxmltree::Document::parse(&admx_text).unwrap();
    assert_eq!(admx.root_element().tag_name().name(), "policyDefinitions");
    assert_eq!(admx.root_element().tag_name().namespace(), Some(NS));
    let policies: Vec<_> = admx.descendants().filter(|n| n.has_tag_name((NS, "policy"))).collect();
    assert_eq!(policies.len(), 2 * Key::ALL.len());
    for (browser, key) in [
        ("Chrome", format!(r"Software\Policies\Google\Chrome\3rdparty\extensions\{EXTENSION_ID}\policy")),
        ("Edge", format!(r"Software\Policies\Microsoft\Edge\3rdparty\extensions\{EXTENSION_ID}\policy")),
    ] {
        for k in Key::ALL {
            let p = policies
                .iter()
                .find(|p| p.attribute("name") == Some(&format!("{browser}_{k}")))
                .unwrap_or_else(|| panic!("{browser}: no policy for {k}"));
            assert_eq!(p.attribute("key"), Some(key.as_str()), "{browser}_{k}");
            let el = p.descendants().find(|n| n.attribute("valueName").is_some()).unwrap();
            assert_eq!(el.attribute("valueName"), Some(k.name()));
        }
    }
    for lang in ["en-US", "fr-FR"] {
        let text = std::fs::read_to_string(dir.join(lang).join("crm-guard.adml")).unwrap();
        let adml = roxmltree::Document::parse(&text).unwrap();
        let strings: BTreeMap<&str, &str> = adml
            .descendants()
            .filter(|n| n.has_tag_name((NS, "string")))
            .map(|n| (n.attribute("id").unwrap(), n.text().unwrap_or("")))
            .collect();
        let presentations: Vec<&str> = adml
            .descendants()
            .filter(|n| n.has_tag_name((NS, "presentation")))
            .map(|n| n.attribute("id").unwrap())
            .collect();
        // Every reference of the ADMX resolves in this language.
        for n in admx.descendants().filter(|n| n.is_element()) {
            for a in ["displayName", "explainText"] {
                if let Some(v) = n.attribute(a) {
                    let id = reference(v, "string");
                    assert!(!strings.get(id).unwrap_or(&"").is_empty(), "{lang}: no string {id}");
                }
            }
            if let Some(v) = n.attribute("presentation") {
                let id = reference(v, "presentation");
                assert!(presentations.contains(&id), "{lang}: no presentation {id}");
            }
        }
        for k in Key::ALL {
            assert!(
                strings[format!("{k}_Explain").as_str()].contains(k.name()),
                "{lang}: {k}'s explanation names it"
            );
        }
        let o = run(&["policy", "check", &dir.join(lang).join("crm-guard.adml").to_string_lossy()]);
        assert_eq!(o.status.code(), Some(0), "{lang}: {}", out(&o));
    }
    let fr = std::fs::read_to_string(dir.join("fr-FR/crm-guard.adml")).unwrap();
    assert!(fr.contains("Délai d'inactivité"), "French titles in fr-FR");
    let o = run(&["policy", "check", &dir.join("crm-guard.admx").to_string_lossy()]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(out(&o).contains(&format!("all {} settings for Chrome and Edge", Key::ALL.len())), "{}", out(&o));
}

/// What Group Policy writes for each policy enabled at its presentation's default, as a `.reg`
/// (HKLM, the policy's key): then `policy check` must accept it.
#[test]
fn the_reg_from_the_admx_defaults_passes_policy_check() {
    let dir = templates("admx-defaults");
    let admx_text = std::fs::read_to_string(dir.join("crm-guard.admx")).unwrap();
    let adml_text = std::fs::read_to_string(dir.join("en-US/crm-guard.adml")).unwrap();
    let admx = roxmltree::Document::parse(&admx_text).unwrap();
    let adml = roxmltree::Document::parse(&adml_text).unwrap();
    let quote = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    for browser in ["Chrome", "Edge"] {
        let mut reg = String::from("Windows Registry Editor Version 5.00\r\n\r\n");
        let mut key = None;
        let mut values = 0;
        for p in admx.descendants().filter(|n| n.has_tag_name((NS, "policy"))) {
            if !p.attribute("name").unwrap().starts_with(&format!("{browser}_")) {
                continue;
            }
            key.get_or_insert_with(|| p.attribute("key").unwrap().to_owned());
            let pres_id = reference(p.attribute("presentation").unwrap(), "presentation");
            let pres = adml
                .descendants()
                .find(|n| n.has_tag_name((NS, "presentation")) && n.attribute("id") == Some(pres_id))
                .unwrap();
            let el = p.descendants().find(|n| n.attribute("valueName").is_some()).unwrap();
            let name = el.attribute("valueName").unwrap();
            let control = pres
                .children()
                .find(|n| n.is_element() && n.attribute("refId") == Some(el.attribute("id").unwrap()))
                .unwrap();
            let data = match el.tag_name().name() {
                "boolean" => {
                    let on = control.attribute("defaultChecked") == Some("true");
                    let branch = el
                        .children()
                        .find(|n| n.has_tag_name((NS, if on { "trueValue" } else { "falseValue" })))
                        .unwrap();
                    let v: u32 =
                        branch.first_element_child().unwrap().attribute("value").unwrap().parse().unwrap();
                    format!("dword:{v:08x}")
                }
                "decimal" => {
                    let v: u32 = control.attribute("defaultValue").unwrap().parse().unwrap();
                    let (min, max): (u32, u32) = (
                        el.attribute("minValue").unwrap().parse().unwrap(),
                        el.attribute("maxValue").unwrap().parse().unwrap(),
                    );
                    assert!((min..=max).contains(&v), "{name}: default within range");
                    format!("dword:{v:08x}")
                }
                "enum" => {
                    let i: usize = control.attribute("defaultItem").unwrap().parse().unwrap();
                    let item = el.children().filter(|n| n.has_tag_name((NS, "item"))).nth(i).unwrap();
                    quote(
                        item.descendants().find(|n| n.has_tag_name((NS, "string"))).unwrap().text().unwrap(),
                    )
                }
                "text" => {
                    let d = control.children().find(|n| n.has_tag_name((NS, "defaultValue")));
                    quote(d.and_then(|d| d.text()).unwrap_or(""))
                }
                other => panic!("{name}: unexpected element {other}"),
            };
            reg += &format!("{}={data}\r\n", quote(name));
            values += 1;
        }
        assert_eq!(values, Key::ALL.len());
        let reg = reg.replacen("\r\n\r\n", &format!("\r\n\r\n[HKEY_LOCAL_MACHINE\\{}]\r\n", key.unwrap()), 1);
        let file = dir.join(format!("{browser}-defaults.reg"));
        std::fs::write(&file, &reg).unwrap();
        let o = run(&["policy", "check", &file.to_string_lossy()]);
        assert_eq!(o.status.code(), Some(0), "{browser}: {}\n{reg}", out(&o));
        assert!(out(&o).contains(&format!("ok: {} settings, no errors", Key::ALL.len())), "{}", out(&o));
    }
}

#[test]
fn policy_check_refuses_an_admx_missing_a_key() {
    let dir = templates("admx-missing");
    let text = std::fs::read_to_string(dir.join("crm-guard.admx")).unwrap();
    let start = text.find("<policy name=\"Edge_idleTimeoutMinutes\"").unwrap();
    let end = start + text[start..].find("</policy>").unwrap() + "</policy>".len();
    let broken = format!("{}{}", &text[..start], &text[end..]);
    let file = dir.join("broken.admx");
    std::fs::write(&file, broken).unwrap();
    let o = run(&["policy", "check", &file.to_string_lossy()]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(out(&o).contains("Edge_idleTimeoutMinutes: no policy"), "{}", out(&o));
}

#[test]
fn the_google_admin_console_json_reads_back() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("google-admin");
    let _ = std::fs::remove_dir_all(&dir);
    let o = run(&["policy", "template", "--for", "google-admin-console", "--out", &dir.to_string_lossy()]);
    assert!(o.status.success(), "{}", out(&o));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("crm-guard-google-admin.json")).unwrap())
            .unwrap();
    for k in Key::ALL {
        assert!(v[k.name()].get("Value").is_some(), "{k} as {{\"Value\": …}}");
    }
    let o = run(&["policy", "check", "--json", &dir.join("crm-guard-google-admin.json").to_string_lossy()]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let e: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(e["settings"]["idleTimeoutMinutes"], 30, "the example value, unwrapped");
}
