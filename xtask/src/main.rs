//! `cargo xtask`: the project's build system, in Rust.
//!
//! - `run`   builds the extension and runs it in Chromium against the bundled demo CRM.
//! - `test`  runs every test: native Rust tests, tidy checks, then the real-browser e2e suite.
//! - `build` builds `dist/extension/` and `dist/crm-guard-<version>.zip` only (`--diagnostics`:
//!   also `dist/extension-diagnostics/`, the build the e2e tests and benchmarks load).
//! - `bench` prints size and timing figures, with peers in the same run.
//! - `codegen` writes `extension/generated/protocol.js` from the engine's protocol (tidy checks it).
//!
//! Each command first installs what is missing on a fresh Debian machine (wasm target,
//! the wasm-bindgen CLI matching Cargo.lock, Chromium and Xvfb, npm packages).

mod build;
mod codegen;
mod setup;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use build::Variant;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cmd = args.first().map(String::as_str).unwrap_or("help");
    let rest = &args[args.len().min(1)..];
    match cmd {
        "build" => {
            setup::ensure_build_tools()?;
            build::extension(Variant::Shipped)?;
            if rest.iter().any(|a| a == "--diagnostics") {
                build::extension(Variant::Diagnostics)?;
            }
        }
        "run" => {
            setup::ensure_all()?;
            build::extension(Variant::Diagnostics)?;
            run_demo(rest)?;
        }
        "test" => test(rest)?,
        "codegen" => codegen::write()?,
        "bench" => {
            setup::ensure_all()?;
            build::extension(Variant::Shipped)?;
            build::extension(Variant::Diagnostics)?;
            bench()?;
        }
        _ => {
            eprintln!("usage: cargo xtask <run|test|build|bench|codegen>");
            if cmd != "help" {
                bail!("unknown command `{cmd}`");
            }
        }
    }
    Ok(())
}

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the repo").to_path_buf()
}

/// Runs a command, echoing it, failing with context when it fails.
pub fn run(cmd: &mut Command) -> Result<()> {
    eprintln!("$ {}", describe(cmd));
    let status = cmd.status().with_context(|| format!("could not start `{}`", describe(cmd)))?;
    if !status.success() {
        bail!("`{}` failed ({status})", describe(cmd));
    }
    Ok(())
}

fn describe(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|s| s.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `node` run in `tests/`, under Xvfb when there is no display (chrome.idle needs a real
/// display server; headless Chromium never reports idle).
fn node_in_tests(args: &[&str], want_display: bool) -> Command {
    let tests = root().join("tests");
    let mut cmd = if want_display && std::env::var_os("DISPLAY").is_none() {
        let mut c = Command::new("xvfb-run");
        c.args(["-a", "-s", "-screen 0 1280x900x24", "node"]);
        c
    } else {
        Command::new("node")
    };
    cmd.args(args).current_dir(tests);
    cmd
}

fn run_demo(rest: &[String]) -> Result<()> {
    let mut args = vec!["e2e/demo.mjs"];
    args.extend(rest.iter().map(String::as_str));
    run(&mut node_in_tests(&args, false))
}

fn test(rest: &[String]) -> Result<()> {
    setup::ensure_all()?;
    // 1. Native: every crate's unit and integration tests, the tidy checks (xtask's own tests).
    run(Command::new("cargo")
        .args(["test", "--workspace", "--exclude", "crm-guard-wasm"])
        .current_dir(root()))?;
    // 2. The two WASM crates' own tests, compiled to WASM and run in node (release: reuses the
    //    artefact build's dependencies).
    let runner = "wasm-bindgen-test-runner";
    run(Command::new("cargo")
        .args([
            "test",
            "--release",
            "--target",
            "wasm32-unknown-unknown",
            "-p",
            "crm-guard-wasm",
            "-p",
            "crm-guard-score-wasm",
            "--features",
            "crm-guard-wasm/diagnostics,crm-guard-score-wasm/diagnostics",
        ])
        .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", runner)
        .current_dir(root()))?;
    // 3. The shipped artefacts (checked free of test hooks; the .xpi linted), the e2e suite's,
    //    then the real browsers: Chromium (the diagnostics build), Firefox (the shipped .xpi,
    //    force-installed by the CLI's policies.json: e2e/firefox.test.mjs).
    build::extension(Variant::Shipped)?;
    lint_xpi()?;
    build::extension(Variant::Diagnostics)?;
    let files: Vec<String> = if rest.is_empty() {
        e2e_files()?
    } else {
        rest.iter().map(|f| format!("e2e/{}", f.trim_start_matches("e2e/"))).collect()
    };
    if files.iter().any(|f| f.ends_with(FIREFOX_SUITE)) {
        setup::ensure_firefox()?;
        run(Command::new("cargo").args(["build", "-q", "-p", "crm-guard-cli"]).current_dir(root()))?;
    }
    let mut args = vec!["--test", "--test-concurrency=1", "--test-reporter=spec"];
    args.extend(files.iter().map(String::as_str));
    let target_dir =
        std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root().join("target"));
    run(node_in_tests(&args, true)
        .env("CRM_GUARD_CLI", target_dir.join("debug/crm-guard"))
        .env("CRM_GUARD_GECKODRIVER", setup::geckodriver()))
}

/// The Firefox suite (one browser session): run only when listed, or with the whole suite.
const FIREFOX_SUITE: &str = "firefox.test.mjs";

/// `web-ext lint` on the .xpi (npm web-ext, offline): no errors, no warnings. Notices pass.
fn lint_xpi() -> Result<()> {
    let web_ext = root().join("tests/node_modules/.bin/web-ext");
    let out = Command::new(&web_ext)
        .args(["lint", "--output=json", "--source-dir"])
        .arg(build::firefox_dir())
        .output()
        .with_context(|| format!("could not start {}", web_ext.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let report: serde_json::Value = serde_json::from_str(text.trim())
        .with_context(|| format!("web-ext lint printed no JSON report: {text}"))?;
    let count = |k: &str| report[k].as_array().map_or(0, Vec::len);
    if report["summary"].is_null() || count("errors") + count("warnings") > 0 {
        bail!("web-ext lint on {}: {}", build::xpi_path()?.display(), serde_json::to_string_pretty(&report)?);
    }
    eprintln!("web-ext lint: 0 errors, 0 warnings ({} notices)", count("notices"));
    Ok(())
}

fn e2e_files() -> Result<Vec<String>> {
    let mut files: Vec<String> = std::fs::read_dir(root().join("tests/e2e"))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".test.mjs"))
        .map(|n| format!("e2e/{n}"))
        .collect();
    files.sort();
    Ok(files)
}

fn bench() -> Result<()> {
    let dist = build::dist();
    let zip = std::fs::metadata(build::zip_path()?)?.len();
    println!("## Artefact sizes");
    println!("| artefact | bytes | KiB | gzip -9 KiB |");
    println!("|---|---:|---:|---:|");
    for m in &build::MODULES {
        let wasm = std::fs::read(dist.join(format!("extension/wasm/{}_bg.wasm", m.name)))?;
        let gz = build::gzip_len(&wasm)?;
        let kib = |n: usize| n as f64 / 1024.0;
        println!(
            "| WASM `{}` (wasm-opt {}) | {} | {:.0} | {:.0} |",
            m.krate,
            build::WASM_OPT_FLAGS.join(" "),
            wasm.len(),
            kib(wasm.len()),
            kib(gz)
        );
    }
    println!("| extension zip | {zip} | {:.0} | |", zip as f64 / 1024.0);
    println!();
    run(&mut node_in_tests(&["bench/run.mjs"], true))
}

#[cfg(test)]
mod tidy;
