//! Installs what a fresh Debian machine lacks. Each step checks first, so a prepared machine
//! pays nothing.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::{root, run};

/// What `build` needs: the wasm target, the matching wasm-bindgen CLI, npm packages (binaryen).
pub fn ensure_build_tools() -> Result<()> {
    ensure_wasm_target()?;
    ensure_wasm_bindgen()?;
    ensure_npm_packages()
}

/// Everything: build tools plus Chromium and Xvfb for the real-browser suite.
pub fn ensure_all() -> Result<()> {
    ensure_build_tools()?;
    ensure_chromium()
}

/// geckodriver's version for the Firefox suite (`cargo install`ed when missing).
const GECKODRIVER_VERSION: &str = "0.37.1";

/// The Firefox suite's: Debian's firefox-esr (apt) and geckodriver (built from crates.io).
pub fn ensure_firefox() -> Result<()> {
    apt_install(&[("/usr/bin/firefox-esr", "firefox-esr")])?;
    if output(Command::new(geckodriver()).arg("--version")).is_none() {
        // Pinned: the version this project's Firefox suite is proven with (a newer release may
        // want a newer Rust or change the WebDriver defaults the suite relies on).
        run(Command::new("cargo").args(["install", "geckodriver", "--version", GECKODRIVER_VERSION]))?;
    }
    Ok(())
}

/// `geckodriver` as `cargo install` puts it (`$CARGO_HOME/bin`), else from PATH.
pub fn geckodriver() -> std::path::PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")));
    match home.map(|h| h.join("bin/geckodriver")) {
        Some(p) if p.exists() => p,
        _ => "geckodriver".into(),
    }
}

fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn ensure_wasm_target() -> Result<()> {
    let installed =
        output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if !installed.lines().any(|l| l.trim() == "wasm32-unknown-unknown") {
        run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }
    Ok(())
}

/// The wasm-bindgen version pinned in Cargo.lock: the CLI must match it exactly.
pub fn locked_wasm_bindgen_version() -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).context("reading Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasm-bindgen\"" {
            if let Some(v) = lines.next().and_then(|l| l.trim().strip_prefix("version = ")) {
                return Ok(v.trim_matches('"').to_owned());
            }
        }
    }
    bail!("wasm-bindgen is not in Cargo.lock")
}

fn ensure_wasm_bindgen() -> Result<()> {
    let want = locked_wasm_bindgen_version()?;
    let have = output(Command::new("wasm-bindgen").arg("--version")).unwrap_or_default();
    if have.split_whitespace().nth(1) != Some(want.as_str()) {
        // Not --locked: one of its locked dependencies is missing from the registry here.
        run(Command::new("cargo").args(["install", "wasm-bindgen-cli", "--version", &want]))?;
    }
    Ok(())
}

fn ensure_npm_packages() -> Result<()> {
    let tests = root().join("tests");
    let stamp = tests.join("node_modules/.package-lock.json");
    let fresh = match (std::fs::metadata(&stamp), std::fs::metadata(tests.join("package-lock.json"))) {
        (Ok(s), Ok(l)) => s.modified()? >= l.modified()?,
        _ => false,
    };
    if !fresh {
        run(Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(&tests))?;
    }
    Ok(())
}

/// What the real-browser suite needs from apt: each package with a file that proves it is there.
/// xset (x11-xserver-utils) is the idle suite's "real user input" under Xvfb; chromium-l10n holds
/// Chromium's UI languages (without it `LANGUAGE=de` still opens Chromium, and our pages, in
/// English — the e2e suite opens the popup in German and Spanish).
pub const APT_PACKAGES: [(&str, &str); 4] = [
    ("/usr/bin/chromium", "chromium"),
    ("/usr/bin/xvfb-run", "xvfb"),
    ("/usr/bin/xset", "x11-xserver-utils"),
    ("/usr/lib/chromium/locales/de.pak", "chromium-l10n"),
];

fn ensure_chromium() -> Result<()> {
    apt_install(&APT_PACKAGES)
}

/// Installs the packages whose file is missing (apt, as root).
fn apt_install(wanted: &[(&str, &str)]) -> Result<()> {
    let missing: Vec<&str> =
        wanted.iter().copied().filter(|(path, _)| !Path::new(path).exists()).map(|(_, pkg)| pkg).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let is_root = output(Command::new("id").arg("-u")).is_some_and(|u| u.trim() == "0");
    if !is_root {
        bail!("missing {}: run `sudo apt-get install -y {}`", missing.join(", "), missing.join(" "));
    }
    run(Command::new("apt-get").args(["update", "-q"]))?;
    run(Command::new("apt-get")
        .args(["install", "-y", "-q", "--no-install-recommends"])
        .args(&missing)
        .arg("xauth"))
}
