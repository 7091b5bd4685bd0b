//! Runs the real `crm-guard` binary.
#![allow(clippy::unwrap_used)] // A failed unwrap is a failed test.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crm_guard_core::policy::{Key, EXTENSION_ID, FIREFOX_ID};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_crm-guard")).args(args).output().expect("run crm-guard")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh directory under the target dir for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) -> String {
    let p = dir.join(name);
    std::fs::write(&p, contents).unwrap();
    p.to_string_lossy().into_owned()
}

#[test]
fn every_template_passes_check() {
    let dir = scratch("templates");
    let out = dir.to_string_lossy().into_owned();
    for (target, file) in [
        ("chrome-windows", "crm-guard-chrome.reg"),
        ("edge-windows", "crm-guard-edge.reg"),
        ("chrome-macos", "crm-guard.mobileconfig"),
        ("chrome-linux", "crm-guard.json"),
        ("firefox", "policies.json"),
        ("google-admin-console", "crm-guard-google-admin.json"),
    ] {
        let o = run(&["policy", "template", "--for", target, "--out", &out]);
        assert!(o.status.success(), "{target}: {}", stderr(&o));
        let path = dir.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let id = if target == "firefox" { FIREFOX_ID } else { EXTENSION_ID };
        // The Admin console form is pasted into the extension's own page: it names no id.
        assert!(target == "google-admin-console" || text.contains(id), "{target}: no extension id");
        let o = run(&["policy", "check", &path.to_string_lossy()]);
        assert_eq!(o.status.code(), Some(0), "{target}: {}{}", stdout(&o), stderr(&o));
        let ok = format!("ok: {} settings, no errors", Key::ALL.len());
        assert!(stdout(&o).contains(&ok), "{target}: {}", stdout(&o));
    }
    let edge = std::fs::read_to_string(dir.join("crm-guard-edge.reg")).unwrap();
    assert!(edge.contains(r"HKEY_LOCAL_MACHINE\Software\Policies\Microsoft\Edge\3rdparty\extensions\"));
    let chrome = std::fs::read_to_string(dir.join("crm-guard-chrome.reg")).unwrap();
    assert!(chrome.contains(r"HKEY_LOCAL_MACHINE\Software\Policies\Google\Chrome\3rdparty\extensions\"));
}

/// The Firefox template installs the extension too (ExtensionSettings force-install), trusts a CA
/// when asked, and carries the settings given with `--settings` (the Firefox e2e deploys it as is).
#[test]
fn firefox_template_force_installs_and_carries_settings() {
    let dir = scratch("firefox-template");
    let out = dir.to_string_lossy().into_owned();
    let settings =
        write(&dir, "settings.json", r#"{"idleTimeoutMinutes": 1, "crmHosts": ["crm.acme.test"]}"#);
    let o = run(&[
        "policy",
        "template",
        "--for",
        "firefox",
        "--settings",
        &settings,
        "--xpi-url",
        "file:///opt/crm-guard.xpi",
        "--ca-cert",
        "/etc/ssl/acme-ca.pem",
        "--out",
        &out,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("policies.json")).unwrap()).unwrap();
    let p = &v["policies"];
    assert_eq!(p["ExtensionSettings"][FIREFOX_ID]["installation_mode"], "force_installed");
    assert_eq!(p["ExtensionSettings"][FIREFOX_ID]["install_url"], "file:///opt/crm-guard.xpi");
    assert_eq!(p["Certificates"]["Install"][0], "/etc/ssl/acme-ca.pem");
    assert_eq!(p["3rdparty"]["Extensions"][FIREFOX_ID]["idleTimeoutMinutes"], 1);
    assert_eq!(p["3rdparty"]["Extensions"][FIREFOX_ID].as_object().unwrap().len(), 2);
    let o = run(&["policy", "check", &dir.join("policies.json").to_string_lossy()]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    // A bad settings file is refused; Firefox-only flags are refused for other targets.
    let bad = write(&dir, "bad.json", r#"{"idleTimeoutMinutes": 0}"#);
    let o = run(&["policy", "template", "--for", "firefox", "--settings", &bad, "--out", &out]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let o = run(&["policy", "template", "--for", "chrome-linux", "--xpi-url", "file:///x", "--out", &out]);
    assert!(!o.status.success());
}

#[test]
fn check_reports_each_error_and_exits_1() {
    let dir = scratch("check-bad");
    let f = write(
        &dir,
        "bad.json",
        r#"{"idleTimeoutMinutes": "never", "logoutOnLock": false, "colour": 1,
            "reportingUrl": "http://siem.acme.com/", "httpsExceptionHosts": ["*.com", "ok.acme.com"]}"#,
    );
    let o = run(&["policy", "check", &f]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    for needle in [
        "error: idleTimeoutMinutes",
        "expected an integer, found a string",
        "15 (the default, locked)",
        "error: colour",
        "not a CRM Guard setting",
        "must be an https:// URL",
        "would match a whole public suffix",
        "entry skipped",
        "\"logoutOnLock\": false",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in\n{out}");
    }
    let o = run(&["policy", "check", "--json", &f]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["settings"]["idleTimeoutMinutes"], 15);
    assert!(v["locked"].as_array().unwrap().contains(&"idleTimeoutMinutes".into()));
}

#[test]
fn unreadable_files_exit_2() {
    let dir = scratch("check-unreadable");
    let cases = [
        (dir.join("missing.json").to_string_lossy().into_owned(), "cannot read"),
        (write(&dir, "broken.json", "{ not json"), "not valid JSON"),
        (write(&dir, "broken.mobileconfig", "<?xml version=\"1.0\"?><plist><dict><key>"), "property list"),
        (write(&dir, "broken.reg", "hello"), "not a .reg file"),
        (
            write(
                &dir,
                "nokey.reg",
                "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\Software\\X]\r\n",
            ),
            "no [...\\3rdparty",
        ),
        (write(&dir, "ff.json", r#"{"policies": {"3rdparty": {}}}"#), "3rdparty.Extensions"),
    ];
    for (path, needle) in cases {
        let o = run(&["policy", "check", &path]);
        assert_eq!(o.status.code(), Some(2), "{path}: {}", stdout(&o));
        assert!(stderr(&o).contains(needle), "{path}: {}", stderr(&o));
    }
}

#[test]
fn reg_exports_in_utf16_with_dwords_and_json_lists() {
    let dir = scratch("check-reg");
    let text = format!(
        "Windows Registry Editor Version 5.00\r\n\r\n\
         [HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Google\\Chrome\\3rdparty\\extensions\\{EXTENSION_ID}\\policy]\r\n\
         \"idleTimeoutMinutes\"=dword:0000000a\r\n\
         \"logoutOnLock\"=dword:00000000\r\n\
         \"httpsExceptionHosts\"=\"[\\\"legacy.acme.com\\\"]\"\r\n\
         \"passwordMode\"=\"block\"\r\n"
    );
    let mut bytes = vec![0xff, 0xfe];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let f = write(&dir, "export.reg", bytes);
    let o = run(&["policy", "check", "--json", &f]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["settings"]["idleTimeoutMinutes"], 10);
    assert_eq!(v["settings"]["logoutOnLock"], false);
    assert_eq!(v["settings"]["httpsExceptionHosts"], serde_json::json!(["legacy.acme.com"]));
    assert_eq!(v["settings"]["passwordMode"], "block");
}

#[test]
fn catalog_table_and_json() {
    let o = run(&["catalog"]);
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(out.starts_with("ID"));
    assert!(out.contains("salesforce") && out.contains("{origin}/secur/logout.jsp") && out.contains("/crm/"));
    let o = run(&["catalog", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v.as_array().unwrap().iter().any(|e| e["id"] == "hubspot" && e["hosts"][0] == "app.hubspot.com"));
}

#[test]
fn score_argument_and_stdin() {
    let o = run(&["score", "password"]);
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(out.contains("score:       0/4"), "{out}");
    assert!(out.contains("warning:     "), "{out}");

    let mut child = Command::new(env!("CARGO_BIN_EXE_crm-guard"))
        .args(["score", "--stdin", "--json", "--user-input", "acmecorp"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"acmecorp2024\n").unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["score"].as_u64().unwrap() <= 2, "{v}");
    assert_eq!(v["length"], 12);

    let o = run(&["score"]);
    assert_eq!(o.status.code(), Some(2), "clap usage error");
}

/// `--each-line`: one JSON answer per line of standard input, in order, each the answer of a
/// single `score --json` call.
#[test]
fn score_each_line() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_crm-guard"))
        .args(["score", "--each-line", "--user-input", "acmecorp"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"password\nacmecorp2024\ncorrect horse battery staple\n").unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success());
    let lines: Vec<serde_json::Value> =
        stdout(&o).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    for (line, pw) in lines.iter().zip(["password", "acmecorp2024", "correct horse battery staple"]) {
        let one: serde_json::Value =
            serde_json::from_str(&stdout(&run(&["score", "--json", "--user-input", "acmecorp", pw])))
                .unwrap();
        assert_eq!(*line, one, "{pw}");
    }
    assert_eq!(run(&["score", "--each-line", "password"]).status.code(), Some(2), "clap usage error");
}

/// Issue 13's report, replayed: `crm-guard score 'J0hn.Sm1th@acme'` printed a crack time of
/// 3 years or 9 years from run to run. Every run now prints the same.
#[test]
fn score_is_the_same_in_every_run() {
    let outputs: Vec<String> =
        (0..8).map(|_| stdout(&run(&["score", "--json", "J0hn.Sm1th@acme"]))).collect();
    assert!(outputs[0].contains("\"score\""), "{}", outputs[0]);
    assert!(outputs.iter().all(|o| *o == outputs[0]), "{outputs:#?}");
}

#[test]
fn a_closed_pipe_is_not_a_crash() {
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_crm-guard"))
        .arg("catalog")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Like `| head` that has already exited: the reader is gone before the first line.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(out.status.code(), Some(0), "{err}");
}
