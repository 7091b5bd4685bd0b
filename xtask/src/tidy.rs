//! Architecture invariants and consistency checks, written as tests (run by `cargo xtask test`).

#![allow(clippy::unwrap_used)]

use std::process::Command;

use crate::root;

/// The core and the engine decide everything and must stay free of browser bindings.
#[test]
fn core_has_no_browser_bindings() {
    for krate in ["crm-guard-core", "crm-guard-engine"] {
        for target in ["x86_64-unknown-linux-gnu", "wasm32-unknown-unknown"] {
            let out = Command::new("cargo")
                .args([
                    "tree",
                    "-p",
                    krate,
                    "--edges",
                    "normal,build",
                    "--prefix",
                    "none",
                    "--target",
                    target,
                ])
                .current_dir(root())
                .output()
                .expect("cargo tree runs");
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let tree = String::from_utf8_lossy(&out.stdout);
            for banned in ["wasm-bindgen ", "web-sys ", "js-sys "] {
                assert!(!tree.contains(banned), "{krate} depends on {banned}on {target}:\n{tree}");
            }
        }
    }
}

/// The worker's two WASM modules stay apart (issue 13): the engine's module, instantiated on
/// every worker start, holds no scorer (zxcvbn is most of the bytes); the scorer's module, loaded
/// for password fields only, holds nothing but the scorer.
#[test]
fn engine_module_has_no_scorer() {
    let tree = |krate: &str| {
        let out = Command::new("cargo")
            .args(["tree", "-p", krate, "--edges", "normal,build", "--prefix", "none"])
            .args(["--target", "wasm32-unknown-unknown"])
            .current_dir(root())
            .output()
            .expect("cargo tree runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let engine = tree("crm-guard-wasm");
    for banned in ["crm-guard-score ", "zxcvbn "] {
        assert!(!engine.contains(banned), "the engine's WASM module depends on {banned}:\n{engine}");
    }
    let scorer = tree("crm-guard-score-wasm");
    for banned in ["crm-guard-engine ", "crm-guard-core "] {
        assert!(!scorer.contains(banned), "the scorer's WASM module depends on {banned}:\n{scorer}");
    }
}

/// Every catalog host is covered by the manifest's host permissions and content scripts.
#[test]
fn manifest_covers_catalog() {
    let manifest = crate::build::manifest().unwrap();
    let hosts: Vec<&str> =
        manifest["host_permissions"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    let scripts: Vec<&str> = manifest["content_scripts"][0]["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let mut wanted = Vec::new();
    for entry in crm_guard_core::catalog::BUILTIN {
        for pattern in entry.hosts.iter() {
            let want = match pattern {
                crm_guard_core::HostPattern::Exact(h) => format!("*://{h}/*"),
                crm_guard_core::HostPattern::Subdomains(s) => format!("*://*.{s}/*"),
            };
            assert!(hosts.contains(&want.as_str()), "host_permissions lacks {want} ({})", entry.id);
            assert!(scripts.contains(&want.as_str()), "content_scripts lacks {want} ({})", entry.id);
            wanted.push(want);
        }
    }
    // Least privilege: host access to the catalog's CRM hosts and nothing else (all sites only
    // as an optional permission, for the phishing guard IT may turn on).
    let extra: Vec<_> = hosts.iter().filter(|h| !wanted.iter().any(|w| w == *h)).collect();
    assert!(extra.is_empty(), "host_permissions beyond the catalog: {extra:?}");
    for script in manifest["content_scripts"].as_array().unwrap() {
        for m in script["matches"].as_array().unwrap() {
            assert!(wanted.iter().any(|w| w == m.as_str().unwrap()), "content script on a non-CRM host: {m}");
        }
    }
}

/// The manifest version is the workspace version; the key gives the documented stable id.
#[test]
fn manifest_version_and_id() {
    let manifest = crate::build::manifest().unwrap();
    assert_eq!(manifest["version"], env!("CARGO_PKG_VERSION"));
    let key = manifest["key"].as_str().unwrap();
    assert_eq!(extension_id(key), crm_guard_core::policy::EXTENSION_ID);
}

/// The languages every surface speaks; `en` is the reference (and `default_locale`).
const LOCALES: [&str; 4] = ["en", "fr", "de", "es"];

type Messages = serde_json::Map<String, serde_json::Value>;

fn load_locale(lang: &str) -> Messages {
    let path = root().join(format!("extension/_locales/{lang}/messages.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The substitutions a message uses: `$1`…`$9` and named `$NAME$` placeholders, each resolved to
/// the `$n` its `placeholders` entry holds (so `$COUNT$` → `$1`), sorted and deduplicated.
fn placeholders(entry: &serde_json::Value) -> Vec<String> {
    let text = entry["message"].as_str().unwrap_or_default();
    let named = |name: &str| {
        entry["placeholders"][name.to_ascii_lowercase()]["content"].as_str().unwrap_or("?").to_owned()
    };
    let mut out = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' && i + 1 < b.len() {
            if b[i + 1] == b'$' {
                i += 2;
                continue;
            }
            if b[i + 1].is_ascii_digit() {
                out.push(format!("${}", b[i + 1] as char));
                i += 2;
                continue;
            }
            if let Some(end) = text[i + 1..].find('$') {
                let name = &text[i + 1..i + 1 + end];
                if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    out.push(named(name));
                    i += end + 2;
                    continue;
                }
            }
        }
        i += 1;
    }
    out.sort();
    out.dedup();
    out
}

/// What is wrong with `other` (language `lang`) against the reference `en`: a missing key, an
/// extra key, an empty message, or a message whose substitutions differ from English's.
fn locale_problems(en: &Messages, lang: &str, other: &Messages) -> Vec<String> {
    let mut out = Vec::new();
    for (key, entry) in en {
        match other.get(key) {
            None => out.push(format!("{lang}: missing key {key}")),
            Some(o) if o["message"].as_str().is_none_or(str::is_empty) => {
                out.push(format!("{lang}: {key} has no message"))
            }
            Some(o) if placeholders(o) != placeholders(entry) => out.push(format!(
                "{lang}: {key} uses {:?}, English uses {:?}",
                placeholders(o),
                placeholders(entry)
            )),
            Some(_) => {}
        }
    }
    for key in other.keys().filter(|k| !en.contains_key(*k)) {
        out.push(format!("{lang}: extra key {key} (not in en)"));
    }
    out
}

/// Every finding kind and level has its messages, and every locale has exactly English's keys
/// with the same substitutions.
#[test]
fn locales_are_complete() {
    let en = load_locale("en");
    let mut problems = Vec::new();
    for lang in &LOCALES[1..] {
        problems.extend(locale_problems(&en, lang, &load_locale(lang)));
    }
    let dirs: Vec<String> = std::fs::read_dir(root().join("extension/_locales"))
        .unwrap()
        .map(|d| d.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for d in &dirs {
        if !LOCALES.contains(&d.as_str()) {
            problems.push(format!("_locales/{d} is not one of {LOCALES:?}"));
        }
    }
    assert!(problems.is_empty(), "locale problems:\n{}", problems.join("\n"));
    for kind in crm_guard_core::FindingKind::ALL {
        for part in ["title", "action"] {
            let k = format!("finding_{}_{part}", kind.id());
            assert!(en.contains_key(&k), "missing message {k}");
        }
    }
    for level in
        [crm_guard_core::Level::Secure, crm_guard_core::Level::Warning, crm_guard_core::Level::AtRisk]
    {
        assert!(en.contains_key(&format!("level_{}", level.id())));
        assert!(en.contains_key(&format!("badge_{}", level.id())));
    }
    for kind in crm_guard_core::events::EventKind::ALL {
        assert!(en.contains_key(&format!("event_kind_{}", kind.id())), "event kind {}", kind.id());
    }
    // The options page shows each setting's title and group in the page's language.
    for spec in crm_guard_core::policy::SPECS {
        assert!(en.contains_key(&format!("setting_{}", spec.key)), "missing message setting_{}", spec.key);
    }
    for group in crm_guard_core::policy::Group::ALL {
        assert!(en.contains_key(&format!("options_group_{}", group.id())), "group {}", group.id());
    }
}

/// The locale check itself: it names a missing key, an extra key and each kind of placeholder
/// mismatch (a dropped `$1`, a different named placeholder's content).
#[test]
fn locale_check_catches_each_problem() {
    let en: Messages = serde_json::from_value(serde_json::json!({
        "a": {"message": "Signed out of $1 after $2 minutes."},
        "b": {"message": "$COUNT$ events", "placeholders": {"count": {"content": "$1"}}},
        "c": {"message": "Close"},
    }))
    .unwrap();
    let good: Messages = serde_json::from_value(serde_json::json!({
        "a": {"message": "Von $1 nach $2 Minuten abgemeldet."},
        "b": {"message": "$1 Ereignisse"},
        "c": {"message": "Schließen"},
    }))
    .unwrap();
    assert_eq!(locale_problems(&en, "de", &good), Vec::<String>::new());
    let bad: Messages = serde_json::from_value(serde_json::json!({
        "a": {"message": "Abgemeldet nach $2 Minuten."},
        "b": {"message": "$N$ Ereignisse", "placeholders": {"n": {"content": "$2"}}},
        "d": {"message": "extra"},
    }))
    .unwrap();
    let p = locale_problems(&en, "de", &bad);
    assert_eq!(p.len(), 4, "{p:#?}");
    assert!(p[0].starts_with("de: a uses [\"$2\"]"), "{p:?}");
    assert!(p[1].starts_with("de: b uses [\"$2\"]"), "{p:?}");
    assert_eq!(p[2], "de: missing key c");
    assert_eq!(p[3], "de: extra key d (not in en)");
}

/// Chromium's id for an unpacked extension with a `key`: sha256 of the DER public key, first
/// 32 hex digits mapped 0-f → a-p.
fn extension_id(key_b64: &str) -> String {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("printf %s '{key_b64}' | base64 -d | sha256sum"))
        .output()
        .expect("sha256sum runs");
    String::from_utf8_lossy(&out.stdout)
        .chars()
        .take(32)
        .map(|c| (b'a' + c.to_digit(16).unwrap() as u8) as char)
        .collect()
}

/// The manifest's static ruleset is the one `build` writes.
#[test]
fn static_rules_declared() {
    let manifest = crate::build::manifest().unwrap();
    let resources = manifest["declarative_net_request"]["rule_resources"].as_array().unwrap();
    assert!(resources.iter().any(|r| r["path"] == crate::build::STATIC_RULES && r["enabled"] == true));
}

/// The JS side of the protocol is generated from Rust: the committed file must be current
/// (`cargo xtask codegen` rewrites it).
#[test]
fn generated_protocol_is_current() {
    let committed = std::fs::read_to_string(crate::codegen::path()).unwrap_or_default();
    assert!(
        committed == crate::codegen::protocol_js(),
        "extension/generated/protocol.js is stale: run `cargo xtask codegen`"
    );
}

fn files(dir: &str, ext: &[&str]) -> Vec<std::path::PathBuf> {
    fn walk(d: &std::path::Path, ext: &[&str], out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
            let p = e.path();
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if p.is_dir() && !matches!(name, "node_modules" | "target" | "generated") {
                walk(&p, ext, out);
            } else if ext.iter().any(|x| name.ends_with(x)) {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&root().join(dir), ext, &mut out);
    out
}

fn lines(p: &std::path::Path) -> usize {
    std::fs::read_to_string(p).map(|s| s.lines().count()).unwrap_or(0)
}

/// Files stay small enough to hold in mind: no source file over 600 lines; the worker's JS files
/// are thin shells (80 lines at most).
#[test]
fn files_stay_small() {
    let mut too_long = Vec::new();
    for dir in ["crates", "xtask", "extension", "tests/e2e", "tests/testbed", "tests/bench"] {
        for f in files(dir, &[".rs", ".js", ".mjs"]) {
            let max = if f.starts_with(root().join("extension/worker")) { 80 } else { 600 };
            if lines(&f) > max {
                too_long.push(format!("{} ({} lines, at most {max})", f.display(), lines(&f)));
            }
        }
    }
    assert!(too_long.is_empty(), "too long:\n{}", too_long.join("\n"));
}

/// The binding decides nothing: outside its test hooks it calls no core function (it names core
/// data types only, to pass them through), so every decision goes through the engine and its
/// native tests; and it stays a thin layer (800 lines at most, test hooks aside).
#[test]
fn wasm_binding_decides_nothing() {
    let allowed = [
        "use crm_guard_core::idle::logout::{Cookie, CookieRemoval};",
        "use crm_guard_core::idle::BrowserIdleState;",
    ];
    let mut total = 0;
    for f in files("crates/crm-guard-wasm/src", &[".rs"]) {
        let text = std::fs::read_to_string(&f).expect("readable");
        if f.ends_with("diagnostics.rs") {
            continue; // test hooks, not in the shipped module
        }
        total += text.lines().count();
        for line in text.lines().filter(|l| l.contains("crm_guard_core")) {
            assert!(allowed.contains(&line.trim()), "{}: the binding calls the core: {line}", f.display());
        }
    }
    assert!(total <= 800, "crm-guard-wasm has {total} lines: move logic into the engine");
}

/// Every message type the extension's JS sends is one the engine knows (or one the engine sends
/// to content scripts): JS and Rust cannot drift apart on a name.
#[test]
fn js_message_types_are_the_protocols() {
    use crm_guard_engine::protocol::MESSAGES;
    let to_content = ["idleWarning", "idleCancel", "idleLogout"];
    let mut unknown = Vec::new();
    for f in files("extension", &[".js"]) {
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, _) in text.match_indices("({ type: '") {
            let rest = &text[i + 10..];
            let name = &rest[..rest.find('\'').unwrap_or(0)];
            let worker_event = f.starts_with(root().join("extension/worker"));
            if !worker_event && !MESSAGES.iter().any(|(t, _)| *t == name) && !to_content.contains(&name) {
                unknown.push(format!("{}: {name}", f.display()));
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "message types unknown to crm_guard_engine::protocol::MESSAGES:\n{}",
        unknown.join("\n")
    );
}

/// Every deployment template names every key of the key table (as the CLI writes it): a key
/// added to `specs.rs` and missing from a template (say, its French ADML text) fails here.
#[test]
fn every_template_names_every_key() {
    for target in crm_guard_cli::templates::Target::ALL {
        let files = crm_guard_cli::templates::render(
            target,
            &crm_guard_core::policy::example_policy(),
            &crm_guard_cli::templates::Firefox::default(),
        )
        .unwrap_or_else(|e| panic!("{target:?} does not render: {e:#}"));
        assert!(!files.is_empty(), "{target:?} writes nothing");
        for (name, contents) in files {
            let text = String::from_utf8(contents).unwrap();
            for key in crm_guard_core::policy::Key::ALL {
                assert!(text.contains(key.name()), "{name} ({target:?}) does not name {key}");
            }
        }
    }
}

/// One manifest.json, two browsers (`build::browser_manifest`): every key is classified (shared,
/// Chromium-only or Firefox-only), both backgrounds name the same entry file, and what each
/// browser gets is the same extension — permissions, hosts, content scripts, rules, pages.
#[test]
fn manifests_in_step() {
    use crate::build::{browser_manifest, CHROMIUM_ONLY_KEYS, GECKO_ONLY_KEYS};
    let source = crate::build::manifest().unwrap();
    let chromium = browser_manifest(&source, false).unwrap();
    let firefox = browser_manifest(&source, true).unwrap();
    const SHARED: [&str; 15] = [
        "manifest_version",
        "name",
        "short_name",
        "description",
        "version",
        "default_locale",
        "icons",
        "action",
        "background",
        "options_ui",
        "permissions",
        "host_permissions",
        "optional_host_permissions",
        "content_scripts",
        "content_security_policy",
    ];
    const SHARED_TOO: [&str; 2] = ["declarative_net_request", "optional_permissions"];
    for key in source.as_object().unwrap().keys() {
        let k = key.as_str();
        assert!(
            SHARED.contains(&k)
                || SHARED_TOO.contains(&k)
                || CHROMIUM_ONLY_KEYS.contains(&k)
                || GECKO_ONLY_KEYS.contains(&k),
            "manifest key `{k}` is not classified: add it to tidy's shared keys or build's *_ONLY_KEYS"
        );
    }
    for k in SHARED.iter().chain(&SHARED_TOO).filter(|k| **k != "background") {
        assert_eq!(chromium[k], firefox[k], "`{k}` differs between the two manifests");
        assert_eq!(chromium[k], source[k], "`{k}` changed in the Chromium manifest");
    }
    let entry = source["background"]["service_worker"].as_str().unwrap();
    assert_eq!(
        source["background"]["scripts"],
        serde_json::json!([entry]),
        "background.scripts = [service_worker]"
    );
    assert_eq!(chromium["background"], serde_json::json!({ "service_worker": entry, "type": "module" }));
    assert_eq!(firefox["background"], serde_json::json!({ "scripts": [entry], "type": "module" }));
    for k in CHROMIUM_ONLY_KEYS {
        assert!(firefox.get(k).is_none(), "Chromium-only `{k}` in the Firefox manifest");
    }
    for k in GECKO_ONLY_KEYS {
        assert!(chromium.get(k).is_none(), "Firefox-only `{k}` in the Chromium manifest");
    }
    let gecko = &firefox["browser_specific_settings"]["gecko"];
    assert_eq!(gecko["id"], crm_guard_core::policy::FIREFOX_ID, "the id Firefox policies name");
    assert_eq!(gecko["strict_min_version"], crate::build::GECKO_MIN_VERSION);
}

/// The DNR rules use only resource types both browsers accept (one unknown value and Firefox
/// drops the whole rule — the static ruleset silently, `updateDynamicRules` with an error).
#[test]
fn dnr_resource_types_known_to_both_browsers() {
    const FIREFOX: [&str; 21] = [
        "main_frame",
        "sub_frame",
        "stylesheet",
        "script",
        "image",
        "object",
        "object_subrequest",
        "xmlhttprequest",
        "xslt",
        "ping",
        "beacon",
        "xml_dtd",
        "font",
        "media",
        "websocket",
        "csp_report",
        "imageset",
        "web_manifest",
        "speculative",
        "json",
        "other",
    ];
    const CHROMIUM: [&str; 15] = [
        "main_frame",
        "sub_frame",
        "stylesheet",
        "script",
        "image",
        "font",
        "object",
        "xmlhttprequest",
        "ping",
        "csp_report",
        "media",
        "websocket",
        "webtransport",
        "webbundle",
        "other",
    ];
    for t in crm_guard_core::dnr::RESOURCE_TYPES {
        assert!(
            FIREFOX.contains(&t) && CHROMIUM.contains(&t),
            "resource type `{t}` is not known to both browsers"
        );
    }
    // Firefox's finer types: known to Firefox, not to Chromium, under a shared type, and together
    // with the shared ones every type Firefox has (no kind of request left out there).
    let mut covered: Vec<&str> = crm_guard_core::dnr::RESOURCE_TYPES.to_vec();
    for (shared, finer) in crm_guard_engine::protocol::names::GECKO_RESOURCE_TYPES {
        assert!(crm_guard_core::dnr::RESOURCE_TYPES.contains(&shared));
        for f in finer {
            assert!(FIREFOX.contains(f) && !CHROMIUM.contains(f), "`{f}`");
            covered.push(f);
        }
    }
    for t in FIREFOX {
        assert!(covered.contains(&t), "Firefox resource type `{t}` is upgraded by no rule");
    }
    let rule = serde_json::json!({ "condition": { "resourceTypes": ["image", "websocket"] } });
    assert_eq!(
        crm_guard_engine::protocol::names::gecko_rule(&rule)["condition"]["resourceTypes"],
        serde_json::json!(["image", "websocket", "imageset"])
    );
}
