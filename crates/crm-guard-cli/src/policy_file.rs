//! Reading a deployed policy file into the JSON object of settings `policy::effective` takes:
//! JSON (bare, Chrome Linux, Firefox `policies.json`), macOS `.mobileconfig`/`.plist`, and
//! Windows `.reg` exports.

use std::path::Path;

use anyhow::{bail, Context, Result};
use crm_guard_core::policy::{Key, Kind, EXTENSION_ID, FIREFOX_ID};
use serde_json::{Map, Value};

/// The settings object in `path`, and notes for the reader (which part of the file was used).
pub fn read(path: &Path) -> Result<(Value, Vec<String>)> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    let text = || decode_text(&bytes);
    match ext.as_str() {
        "reg" => from_reg(&text()?),
        "mobileconfig" | "plist" => from_plist(&bytes),
        _ if bytes.starts_with(b"bplist") || text()?.trim_start().starts_with("<?xml") => from_plist(&bytes),
        _ if text()?.trim_start().starts_with("Windows Registry Editor") => from_reg(&text()?),
        _ => from_json(&text()?),
    }
}

/// UTF-8, or UTF-16 LE with a byte-order mark (what regedit writes).
fn decode_text(bytes: &[u8]) -> Result<String> {
    if let Some(rest) = bytes.strip_prefix(&[0xff, 0xfe]) {
        let units: Vec<u16> = rest.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
        return String::from_utf16(&units).context("invalid UTF-16 text");
    }
    let s = std::str::from_utf8(bytes).context("the file is not UTF-8 or UTF-16 text")?;
    Ok(s.strip_prefix('\u{feff}').unwrap_or(s).to_owned())
}

fn from_json(text: &str) -> Result<(Value, Vec<String>)> {
    let root: Value = serde_json::from_str(text).context("not valid JSON")?;
    let mut notes = Vec::new();
    // Firefox: {"policies": {"3rdparty": {"Extensions": {id: {...}}}}}.
    if let Some(third) = root.get("policies").and_then(|p| p.get("3rdparty")) {
        let exts = third.get("Extensions").or_else(|| third.get("extensions"));
        let policy =
            pick_extension(exts, &mut notes).context("policies.json has no 3rdparty.Extensions entry")?;
        notes.insert(0, "read as a Firefox policies.json".into());
        return Ok((policy, notes));
    }
    // Chrome on Linux: {"3rdparty": {"extensions": {id: {...}}}}.
    if let Some(third) = root.get("3rdparty") {
        let policy = pick_extension(third.get("extensions"), &mut notes)
            .context("the 3rdparty policy has no extensions entry")?;
        notes.insert(0, "read as a Chrome managed policy JSON (3rdparty.extensions)".into());
        return Ok((policy, notes));
    }
    // Google Admin console: {"key": {"Value": v}, …} — every entry wraps its value.
    if let Some(map) = root.as_object().filter(|m| !m.is_empty()) {
        let wrapped = |v: &Value| v.as_object().is_some_and(|o| o.len() == 1 && o.contains_key("Value"));
        if map.values().all(wrapped) {
            let policy: Map<String, Value> =
                map.iter().map(|(k, v)| (k.clone(), v["Value"].clone())).collect();
            return Ok((
                Value::Object(policy),
                vec!["read as a Google Admin console policy ({\"key\": {\"Value\": …}})".into()],
            ));
        }
    }
    Ok((root, vec!["read as a bare policy object".into()]))
}

/// Our extension's entry, or the only one there is (with a note).
fn pick_extension(exts: Option<&Value>, notes: &mut Vec<String>) -> Option<Value> {
    let map = exts?.as_object()?;
    if let Some(p) = map.get(EXTENSION_ID).or_else(|| map.get(FIREFOX_ID)) {
        return Some(p.clone());
    }
    if map.len() == 1 {
        let (id, p) = map.iter().next()?;
        notes.push(format!("note: policy is for extension `{id}`, CRM Guard's id is `{EXTENSION_ID}`"));
        return Some(p.clone());
    }
    None
}

fn from_plist(bytes: &[u8]) -> Result<(Value, Vec<String>)> {
    let root = plist::Value::from_reader(std::io::Cursor::new(bytes)).context("not a valid property list")?;
    let json = plist_to_json(&root);
    let mut notes = Vec::new();
    if let Some(policy) = find_payload(&json) {
        notes.push("read as a configuration profile (.mobileconfig)".into());
        return Ok((policy, notes));
    }
    if json.get("PayloadContent").is_some() {
        bail!("the profile has no payload of type com.google.Chrome.extensions.{EXTENSION_ID}");
    }
    notes.push("read as a preferences .plist".into());
    Ok((json, notes))
}

/// The settings of the CRM Guard payload: a payload whose `PayloadType` is the extension's
/// managed-preferences domain (settings at its top level, `Payload*` keys dropped), or an MCX
/// `mcx_preference_settings` dictionary.
fn find_payload(v: &Value) -> Option<Value> {
    match v {
        Value::Object(m) => {
            let ty = m.get("PayloadType").and_then(Value::as_str).unwrap_or("");
            if ty.contains(".extensions.") {
                let settings: Map<String, Value> = m
                    .iter()
                    .filter(|(k, _)| !k.starts_with("Payload"))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                return Some(Value::Object(settings));
            }
            if let Some(s) = m.get("mcx_preference_settings") {
                return Some(s.clone());
            }
            m.values().find_map(find_payload)
        }
        Value::Array(a) => a.iter().find_map(find_payload),
        _ => None,
    }
}

fn plist_to_json(v: &plist::Value) -> Value {
    match v {
        plist::Value::Array(a) => Value::Array(a.iter().map(plist_to_json).collect()),
        plist::Value::Dictionary(d) => {
            Value::Object(d.iter().map(|(k, v)| (k.clone(), plist_to_json(v))).collect())
        }
        plist::Value::Boolean(b) => Value::Bool(*b),
        plist::Value::Integer(i) => {
            i.as_signed().map(Value::from).or_else(|| i.as_unsigned().map(Value::from)).unwrap_or(Value::Null)
        }
        plist::Value::Real(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        plist::Value::String(s) => Value::String(s.clone()),
        plist::Value::Date(d) => Value::String(d.to_xml_format()),
        plist::Value::Data(_) | plist::Value::Uid(_) => Value::Null,
        _ => Value::Null,
    }
}

/// A `.reg` export: the values of the `…\3rdparty\extensions\<id>\policy` key. `REG_DWORD`s are
/// integers (booleans for boolean settings); lists are `REG_SZ` holding JSON, as Chrome reads
/// them for list-typed extension policies.
pub fn from_reg(text: &str) -> Result<(Value, Vec<String>)> {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with(';'));
    match lines.next() {
        Some(h) if h.starts_with("Windows Registry Editor Version") || h == "REGEDIT4" => {}
        _ => bail!("not a .reg file (the first line must be `Windows Registry Editor Version 5.00`)"),
    }
    let mut policy = Map::new();
    let mut notes = Vec::new();
    let mut in_policy = false;
    let mut found = None;
    for line in lines {
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let lower = section.to_ascii_lowercase();
            let parts: Vec<&str> = lower.split('\\').collect();
            in_policy = parts.len() >= 4
                && parts[parts.len() - 1] == "policy"
                && parts[parts.len() - 3] == "extensions"
                && parts[parts.len() - 4] == "3rdparty";
            if in_policy {
                found = Some(section.to_owned());
                let id = parts[parts.len() - 2];
                if id != EXTENSION_ID {
                    notes.push(format!(
                        "note: policy is for extension `{id}`, CRM Guard's id is `{EXTENSION_ID}`"
                    ));
                }
            }
            continue;
        }
        if !in_policy {
            continue;
        }
        let (name, raw) = parse_reg_value(line).with_context(|| format!("cannot read the line `{line}`"))?;
        let kind = Key::from_name(&name).map(|k| k.spec().kind);
        let value = match (raw, kind) {
            (RegValue::Dword(d), Some(Kind::Bool { .. })) if d <= 1 => Value::Bool(d == 1),
            (RegValue::Dword(d), _) => Value::from(d),
            (RegValue::Sz(s), Some(Kind::HostList | Kind::CrmIdList | Kind::CrmList | Kind::TenantMap)) => {
                serde_json::from_str(&s).unwrap_or(Value::String(s))
            }
            (RegValue::Sz(s), _) => Value::String(s),
        };
        policy.insert(name, value);
    }
    let section = found.context("no [...\\3rdparty\\extensions\\<id>\\policy] key in the file")?;
    notes.insert(0, format!("read as a Windows .reg export of [{section}]"));
    Ok((Value::Object(policy), notes))
}

enum RegValue {
    Sz(String),
    Dword(u32),
}

/// `"name"="text"` or `"name"=dword:0000000f`.
fn parse_reg_value(line: &str) -> Result<(String, RegValue)> {
    let (name, rest) = reg_string(line).context("expected a quoted value name")?;
    let rest = rest.trim_start().strip_prefix('=').context("expected `=`")?.trim();
    if let Some(hex) = rest.strip_prefix("dword:") {
        let d = u32::from_str_radix(hex.trim(), 16).context("bad dword")?;
        return Ok((name, RegValue::Dword(d)));
    }
    if rest.starts_with('"') {
        let (s, tail) = reg_string(rest).context("unterminated string")?;
        if !tail.trim().is_empty() {
            bail!("unexpected text after the string");
        }
        return Ok((name, RegValue::Sz(s)));
    }
    bail!("unsupported value type (only REG_SZ strings and REG_DWORD are read)")
}

/// A `"…"` string with `\\` and `\"` escapes, and the rest of the line.
fn reg_string(s: &str) -> Option<(String, &str)> {
    let body = s.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?.1),
            '"' => return Some((out, &body[i + 1..])),
            c => out.push(c),
        }
    }
    None
}

/// `s` as a `.reg` string literal.
pub fn reg_quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}
