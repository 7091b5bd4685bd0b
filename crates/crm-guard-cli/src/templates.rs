//! Ready-to-deploy policy files, generated from the key table's example values.

use anyhow::Result;
use clap::ValueEnum;
use crm_guard_core::policy::{EXTENSION_ID, FIREFOX_ID};
use serde_json::{json, Value};

use crate::policy_file::reg_quote;

/// Where the policy is deployed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Target {
    ChromeWindows,
    EdgeWindows,
    ChromeMacos,
    ChromeLinux,
    Firefox,
    /// Group Policy: `crm-guard.admx`, `en-US/` and `fr-FR/crm-guard.adml` (Chrome and Edge).
    WindowsAdmx,
    /// The JSON the Google Admin console takes for a force-installed extension's policy.
    GoogleAdminConsole,
}

impl Target {
    /// Every target, for the tidy check that each template names every key.
    pub const ALL: [Target; 7] = [
        Target::ChromeWindows,
        Target::EdgeWindows,
        Target::ChromeMacos,
        Target::ChromeLinux,
        Target::Firefox,
        Target::WindowsAdmx,
        Target::GoogleAdminConsole,
    ];
}

/// What only Firefox's `policies.json` carries besides the settings.
#[derive(Debug, Clone, Default)]
pub struct Firefox {
    /// `ExtensionSettings.<id>.install_url` (default: a placeholder to edit).
    pub xpi_url: Option<String>,
    /// `Certificates.Install`: a CA certificate file on the target machines.
    pub ca_cert: Option<String>,
}

/// Where `ExtensionSettings` downloads the .xpi when no `--xpi-url` is given: to be edited.
pub const XPI_URL_PLACEHOLDER: &str = "https://intranet.example.com/crm-guard.xpi";

/// The files (relative path, contents) for `target`, carrying `policy` (a settings object; the
/// ADMX/ADML describe every key whatever it holds).
pub fn render(target: Target, policy: &Value, firefox: &Firefox) -> Result<Vec<(&'static str, Vec<u8>)>> {
    let policy = policy.clone();
    Ok(match target {
        Target::ChromeWindows => vec![("crm-guard-chrome.reg", reg(r"Google\Chrome", &policy).into_bytes())],
        Target::EdgeWindows => vec![("crm-guard-edge.reg", reg(r"Microsoft\Edge", &policy).into_bytes())],
        Target::ChromeMacos => vec![("crm-guard.mobileconfig", mobileconfig(&policy)?)],
        Target::ChromeLinux => {
            let v = json!({ "3rdparty": { "extensions": { EXTENSION_ID: policy } } });
            vec![("crm-guard.json", (serde_json::to_string_pretty(&v)? + "\n").into_bytes())]
        }
        Target::Firefox => {
            // Force-installed (users cannot remove or disable it), settings in 3rdparty.
            let url = firefox.xpi_url.as_deref().unwrap_or(XPI_URL_PLACEHOLDER);
            let mut policies = json!({
                "ExtensionSettings": {
                    FIREFOX_ID: { "installation_mode": "force_installed", "install_url": url },
                },
                "3rdparty": { "Extensions": { FIREFOX_ID: policy } },
            });
            if let Some(ca) = &firefox.ca_cert {
                policies["Certificates"] = json!({ "Install": [ca] });
            }
            let v = json!({ "policies": policies });
            vec![("policies.json", (serde_json::to_string_pretty(&v)? + "\n").into_bytes())]
        }
        Target::WindowsAdmx => vec![
            ("crm-guard.admx", crate::admx::admx().into_bytes()),
            ("en-US/crm-guard.adml", crate::admx::adml("en-US")?.into_bytes()),
            ("fr-FR/crm-guard.adml", crate::admx::adml("fr-FR")?.into_bytes()),
        ],
        Target::GoogleAdminConsole => {
            // Each setting as {"Value": …}: the form the console's "Policy for extensions" takes.
            let v: serde_json::Map<String, Value> = policy
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), json!({ "Value": v })))
                .collect();
            vec![("crm-guard-google-admin.json", (serde_json::to_string_pretty(&v)? + "\n").into_bytes())]
        }
    })
}

/// Where the file goes, for the message after writing it.
pub fn install_hint(target: Target) -> &'static str {
    match target {
        Target::ChromeWindows | Target::EdgeWindows => {
            "import with `reg import` or deploy with Group Policy Preferences"
        }
        Target::ChromeMacos => "deploy with your MDM (or install the profile in System Settings)",
        Target::ChromeLinux => {
            "copy to /etc/opt/chrome/policies/managed/ (Chrome) or /etc/chromium/policies/managed/"
        }
        Target::Firefox => "copy to the Firefox `distribution/` folder, or /etc/firefox/policies/ on Linux",
        Target::WindowsAdmx => {
            "copy crm-guard.admx and its language folders to C:\\Windows\\PolicyDefinitions (or the domain's \
             Central Store, or import into Intune); settings appear under Administrative Templates > CRM Guard"
        }
        Target::GoogleAdminConsole => {
            "Google Admin console > Devices > Chrome > Apps & extensions > the force-installed extension > \
             Policy for extensions: paste or upload this JSON"
        }
    }
}

fn reg(vendor: &str, policy: &Value) -> String {
    let mut out = String::from("Windows Registry Editor Version 5.00\r\n\r\n");
    out += &format!(
        "[HKEY_LOCAL_MACHINE\\Software\\Policies\\{vendor}\\3rdparty\\extensions\\{EXTENSION_ID}\\policy]\r\n"
    );
    for (key, value) in policy.as_object().into_iter().flatten() {
        let data = match value {
            Value::Bool(b) => format!("dword:{:08x}", u32::from(*b)),
            Value::Number(n) => format!("dword:{:08x}", n.as_u64().unwrap_or(0)),
            Value::String(s) => reg_quote(s),
            // Lists as JSON text in a REG_SZ, which Chrome parses for list-typed policies.
            other => reg_quote(&other.to_string()),
        };
        out += &format!("{}={data}\r\n", reg_quote(key));
    }
    out
}

fn mobileconfig(policy: &Value) -> Result<Vec<u8>> {
    let domain = format!("com.google.Chrome.extensions.{EXTENSION_ID}");
    let mut payload = plist::Dictionary::new();
    for (k, v) in [
        ("PayloadType", plist::Value::String(domain.clone())),
        ("PayloadIdentifier", plist::Value::String(format!("{domain}.policy"))),
        ("PayloadUUID", plist::Value::String("6B7F1C2E-3C1A-4E0B-9C55-2F6A0C1D7E01".into())),
        ("PayloadVersion", plist::Value::Integer(1.into())),
        ("PayloadDisplayName", plist::Value::String("CRM Guard policy".into())),
    ] {
        payload.insert(k.into(), v);
    }
    for (k, v) in policy.as_object().into_iter().flatten() {
        payload.insert(k.clone(), json_to_plist(v));
    }
    let mut root = plist::Dictionary::new();
    for (k, v) in [
        ("PayloadContent", plist::Value::Array(vec![plist::Value::Dictionary(payload)])),
        ("PayloadType", plist::Value::String("Configuration".into())),
        ("PayloadIdentifier", plist::Value::String("com.crm-guard.policy".into())),
        ("PayloadUUID", plist::Value::String("0F1E2D3C-4B5A-4968-8776-A5B4C3D2E1F0".into())),
        ("PayloadVersion", plist::Value::Integer(1.into())),
        ("PayloadDisplayName", plist::Value::String("CRM Guard".into())),
        ("PayloadScope", plist::Value::String("System".into())),
    ] {
        root.insert(k.into(), v);
    }
    let mut out = Vec::new();
    plist::Value::Dictionary(root).to_writer_xml(&mut out)?;
    out.push(b'\n');
    Ok(out)
}

fn json_to_plist(v: &Value) -> plist::Value {
    match v {
        Value::Null => plist::Value::String(String::new()),
        Value::Bool(b) => plist::Value::Boolean(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => plist::Value::Integer(i.into()),
            None => plist::Value::Real(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => plist::Value::String(s.clone()),
        Value::Array(a) => plist::Value::Array(a.iter().map(json_to_plist).collect()),
        Value::Object(m) => {
            plist::Value::Dictionary(m.iter().map(|(k, v)| (k.clone(), json_to_plist(v))).collect())
        }
    }
}
