//! Group Policy administrative templates: `crm-guard.admx` with `en-US/crm-guard.adml` and
//! `fr-FR/crm-guard.adml`, every key of the key table for Chrome and for Edge (their 3rdparty
//! extension-policy registry keys), and the check that reads them back (`policy check`).
//!
//! Each policy has one element whose presentation carries the key's default, so enabling a
//! policy without editing it writes the default. Lists and objects are JSON text in a REG_SZ,
//! which Chrome and Edge parse for list- and object-typed extension policies.

use anyhow::{bail, Context, Result};
use crm_guard_core::policy::{Key, Kind, Spec, EXTENSION_ID, SPECS};

use crate::admx_fr;

/// The two browsers: (policy name prefix, category, registry key under HKLM).
pub const BROWSERS: [(&str, &str, &str); 2] = [
    ("Chrome", "Google Chrome", r"Software\Policies\Google\Chrome\3rdparty\extensions"),
    ("Edge", "Microsoft Edge", r"Software\Policies\Microsoft\Edge\3rdparty\extensions"),
];

/// `…\extensions\<id>\policy` for a browser's registry prefix.
pub fn registry_key(prefix: &str) -> String {
    format!(r"{prefix}\{EXTENSION_ID}\policy")
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Longest text Group Policy's editor accepts in a text element.
const MAX_TEXT: usize = 32_767;

fn element(spec: &Spec) -> String {
    let k = spec.key.name();
    match spec.kind {
        Kind::Bool { .. } => format!(
            "<boolean id=\"{k}\" valueName=\"{k}\"><trueValue><decimal value=\"1\" /></trueValue>\
             <falseValue><decimal value=\"0\" /></falseValue></boolean>"
        ),
        Kind::Int { min, max, .. } => {
            format!("<decimal id=\"{k}\" valueName=\"{k}\" minValue=\"{min}\" maxValue=\"{max}\" />")
        }
        Kind::Choice { values, .. } => {
            let items: String = values
                .iter()
                .map(|v| {
                    format!(
                        "<item displayName=\"$(string.{k}_{id})\"><value><string>{v}</string></value></item>",
                        id = value_id(v)
                    )
                })
                .collect();
            format!("<enum id=\"{k}\" valueName=\"{k}\" required=\"true\">{items}</enum>")
        }
        Kind::Text { max_chars, .. } => {
            format!("<text id=\"{k}\" valueName=\"{k}\" maxLength=\"{max_chars}\" />")
        }
        _ => format!("<text id=\"{k}\" valueName=\"{k}\" maxLength=\"{MAX_TEXT}\" />"),
    }
}

/// A string id for an enumeration value (`splunk-hec` → `splunk_hec`).
fn value_id(v: &str) -> String {
    v.replace(['-', '.'], "_")
}

/// The `.admx`.
pub fn admx() -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n\
         <policyDefinitions xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" revision=\"1.0\" schemaVersion=\"1.0\" \
         xmlns=\"http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions\">\r\n\
         \x20 <policyNamespaces>\r\n\
         \x20   <target prefix=\"crmguard\" namespace=\"CrmGuard.Policies.CrmGuard\" />\r\n\
         \x20 </policyNamespaces>\r\n\
         \x20 <resources minRequiredRevision=\"1.0\" />\r\n\
         \x20 <supportedOn><definitions>\r\n\
         \x20   <definition name=\"SUPPORTED_CRMGUARD\" displayName=\"$(string.SUPPORTED_CRMGUARD)\" />\r\n\
         \x20 </definitions></supportedOn>\r\n\
         \x20 <categories>\r\n\
         \x20   <category name=\"CrmGuard\" displayName=\"$(string.CrmGuard)\" />\r\n",
    );
    for (prefix, _, _) in BROWSERS {
        out += &format!(
            "    <category name=\"CrmGuard_{prefix}\" displayName=\"$(string.CrmGuard_{prefix})\">\
             <parentCategory ref=\"CrmGuard\" /></category>\r\n"
        );
    }
    out += "  </categories>\r\n  <policies>\r\n";
    for (prefix, _, reg) in BROWSERS {
        for spec in SPECS {
            let k = spec.key.name();
            out += &format!(
                "    <policy name=\"{prefix}_{k}\" class=\"Machine\" displayName=\"$(string.{k})\" \
                 explainText=\"$(string.{k}_Explain)\" presentation=\"$(presentation.{k})\" key=\"{key}\">\r\n\
                 \x20     <parentCategory ref=\"CrmGuard_{prefix}\" />\r\n\
                 \x20     <supportedOn ref=\"SUPPORTED_CRMGUARD\" />\r\n\
                 \x20     <elements>{element}</elements>\r\n\
                 \x20   </policy>\r\n",
                key = esc(&registry_key(reg)),
                element = element(spec),
            );
        }
    }
    out += "  </policies>\r\n</policyDefinitions>\r\n";
    out
}

/// The words of an ADML that are not the key table's.
struct Words {
    lang: &'static str,
    supported: &'static str,
    kind: fn(&Kind) -> String,
}

const EN: Words = Words {
    lang: "en-US",
    supported: "CRM Guard 0.1 or later, in Google Chrome or Microsoft Edge",
    kind: |k| match *k {
        Kind::Bool { default } => {
            format!("Type: on or off. Default: {}.", if default { "on" } else { "off" })
        }
        Kind::Int { min, max, default } => format!("Type: integer, {min} to {max}. Default: {default}."),
        Kind::Choice { values, default } => format!("Values: {}. Default: {default}.", values.join(", ")),
        Kind::Text { min_chars, max_chars } => {
            format!("Type: text, {min_chars} to {max_chars} characters. Default: unset.")
        }
        Kind::HttpsUrl => "Type: an https:// URL. Default: unset.".into(),
        _ => "Type: JSON text (see docs/policy.md). Default: empty.".into(),
    },
};

const FR: Words = Words {
    lang: "fr-FR",
    supported: "CRM Guard 0.1 ou ultérieur, dans Google Chrome ou Microsoft Edge",
    kind: |k| match *k {
        Kind::Bool { default } => {
            format!(
                "Type : activé ou désactivé. Par défaut : {}.",
                if default { "activé" } else { "désactivé" }
            )
        }
        Kind::Int { min, max, default } => {
            format!("Type : entier, de {min} à {max}. Par défaut : {default}.")
        }
        Kind::Choice { values, default } => {
            format!("Valeurs : {}. Par défaut : {default}.", values.join(", "))
        }
        Kind::Text { min_chars, max_chars } => {
            format!("Type : texte, de {min_chars} à {max_chars} caractères. Par défaut : non défini.")
        }
        Kind::HttpsUrl => "Type : une URL https://. Par défaut : non défini.".into(),
        _ => "Type : texte JSON (voir docs/policy.md). Par défaut : vide.".into(),
    },
};

/// The presentation of a key: one control with the key's default.
fn presentation(spec: &Spec, label: &str) -> String {
    let k = spec.key.name();
    let label = esc(label);
    let control = match spec.kind {
        Kind::Bool { default } => {
            format!("<checkBox refId=\"{k}\" defaultChecked=\"{default}\">{label}</checkBox>")
        }
        Kind::Int { default, .. } => {
            format!("<decimalTextBox refId=\"{k}\" defaultValue=\"{default}\">{label}</decimalTextBox>")
        }
        Kind::Choice { values, default } => {
            let i = values.iter().position(|v| *v == default).unwrap_or(0);
            format!("<dropdownList refId=\"{k}\" defaultItem=\"{i}\" noSort=\"true\">{label}</dropdownList>")
        }
        Kind::Text { .. } | Kind::HttpsUrl => {
            format!("<textBox refId=\"{k}\"><label>{label}</label></textBox>")
        }
        Kind::TenantMap => {
            format!(
                "<textBox refId=\"{k}\"><label>{label}</label><defaultValue>{{}}</defaultValue></textBox>"
            )
        }
        _ => {
            format!("<textBox refId=\"{k}\"><label>{label}</label><defaultValue>[]</defaultValue></textBox>")
        }
    };
    format!("      <presentation id=\"{k}\">{control}</presentation>\r\n")
}

/// The `.adml` for `lang` (`en-US` or `fr-FR`). Fails when a key has no French text.
pub fn adml(lang: &str) -> Result<String> {
    let words = match lang {
        "en-US" => &EN,
        "fr-FR" => &FR,
        other => bail!("no ADML language {other}"),
    };
    let mut strings = vec![
        ("CrmGuard".to_owned(), "CRM Guard".to_owned()),
        ("SUPPORTED_CRMGUARD".to_owned(), words.supported.to_owned()),
    ];
    for (prefix, name, _) in BROWSERS {
        strings.push((format!("CrmGuard_{prefix}"), name.to_owned()));
    }
    let mut presentations = String::new();
    for spec in SPECS {
        let k = spec.key.name();
        let (title, description) = if words.lang == "fr-FR" {
            admx_fr::text(spec.key).with_context(|| format!("no French text for {k} (src/admx_fr.rs)"))?
        } else {
            (spec.title, spec.description)
        };
        let kind = (words.kind)(&spec.kind);
        strings.push((k.to_owned(), title.to_owned()));
        strings.push((format!("{k}_Explain"), format!("{description}\n\n{kind}\n\n{k}")));
        if let Kind::Choice { values, .. } = spec.kind {
            for v in values {
                strings.push((format!("{k}_{}", value_id(v)), (*v).to_owned()));
            }
        }
        presentations += &presentation(spec, title);
    }
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n\
         <policyDefinitionResources xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" revision=\"1.0\" schemaVersion=\"1.0\" \
         xmlns=\"http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions\">\r\n\
         \x20 <displayName>CRM Guard</displayName>\r\n\
         \x20 <description>CRM Guard ({lang})</description>\r\n\
         \x20 <resources>\r\n\
         \x20   <stringTable>\r\n"
    );
    for (id, text) in strings {
        out += &format!("      <string id=\"{id}\">{}</string>\r\n", esc(&text));
    }
    out += "    </stringTable>\r\n    <presentationTable>\r\n";
    out += &presentations;
    out += "    </presentationTable>\r\n  </resources>\r\n</policyDefinitionResources>\r\n";
    Ok(out)
}

/// What `policy check` says of an `.admx`: each key's policy for both browsers, at its registry
/// key, with the element its kind needs (range and values from the key table).
pub fn check_admx(text: &str) -> Result<Vec<String>> {
    let doc = roxmltree::Document::parse(text).context("not valid XML")?;
    let mut problems = Vec::new();
    for (prefix, _, reg) in BROWSERS {
        for spec in SPECS {
            let k = spec.key.name();
            let name = format!("{prefix}_{k}");
            let Some(p) =
                doc.descendants().find(|n| n.has_tag_name("policy") && n.attribute("name") == Some(&name))
            else {
                problems.push(format!("{name}: no policy"));
                continue;
            };
            if p.attribute("key") != Some(registry_key(reg).as_str()) {
                problems.push(format!(
                    "{name}: key {:?}, expected {}",
                    p.attribute("key"),
                    registry_key(reg)
                ));
            }
            let el = p.descendants().find(|n| n.is_element() && n.attribute("valueName") == Some(k));
            let ok = el.is_some_and(|el| match spec.kind {
                Kind::Bool { .. } => el.has_tag_name("boolean"),
                Kind::Int { min, max, .. } => {
                    el.has_tag_name("decimal")
                        && el.attribute("minValue") == Some(min.to_string().as_str())
                        && el.attribute("maxValue") == Some(max.to_string().as_str())
                }
                Kind::Choice { values, .. } => {
                    let got: Vec<&str> = el
                        .descendants()
                        .filter(|n| n.has_tag_name("string"))
                        .filter_map(|n| n.text())
                        .collect();
                    el.has_tag_name("enum") && got == values
                }
                _ => el.has_tag_name("text"),
            });
            if !ok {
                problems.push(format!("{name}: no element for {k} of the key table's type and range"));
            }
        }
    }
    let known: Vec<String> =
        BROWSERS.iter().flat_map(|(p, _, _)| Key::ALL.iter().map(move |k| format!("{p}_{k}"))).collect();
    for p in doc.descendants().filter(|n| n.has_tag_name("policy")) {
        let name = p.attribute("name").unwrap_or("");
        if !known.iter().any(|k| k == name) {
            problems.push(format!("{name}: not a CRM Guard setting"));
        }
    }
    Ok(problems)
}

/// What `policy check` says of an `.adml`: a title, an explanation and a presentation per key.
pub fn check_adml(text: &str) -> Result<Vec<String>> {
    let doc = roxmltree::Document::parse(text).context("not valid XML")?;
    let has =
        |tag: &str, id: &str| doc.descendants().any(|n| n.has_tag_name(tag) && n.attribute("id") == Some(id));
    let mut problems = Vec::new();
    for k in Key::ALL {
        for id in [k.name().to_owned(), format!("{k}_Explain")] {
            if !has("string", &id) {
                problems.push(format!("no string {id}"));
            }
        }
        if !has("presentation", k.name()) {
            problems.push(format!("no presentation {k}"));
        }
    }
    Ok(problems)
}
