//! Builds the loadable extension: two WASM modules (release, size-optimised) → wasm-bindgen
//! (`--target web`) → wasm-opt ([`WASM_OPT_FLAGS`]) → `dist/extension/` (manifest.json +
//! extension/ + wasm/) → the zip. The engine's module (`crm-guard-wasm`) is instantiated on every worker start; the
//! scorer's (`crm-guard-score-wasm`) only when a page has a password field.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use crate::{root, run};

/// A WASM module of the extension: its crate and the name of its files under `wasm/`.
pub struct Module {
    pub krate: &'static str,
    /// The cdylib's file name (cargo's).
    built: &'static str,
    /// `wasm/<name>.js` and `wasm/<name>_bg.wasm`.
    pub name: &'static str,
}

/// The engine's module, then the scorer's.
pub const MODULES: [Module; 2] = [
    Module { krate: "crm-guard-wasm", built: "crm_guard_wasm", name: "crm_guard_wasm" },
    Module { krate: "crm-guard-score-wasm", built: "crm_guard_score_wasm", name: "crm_guard_score" },
];

pub fn manifest() -> Result<serde_json::Value> {
    let text = std::fs::read_to_string(root().join("manifest.json")).context("reading manifest.json")?;
    serde_json::from_str(&text).context("manifest.json is not valid JSON")
}

/// `dist/`, or `$CRM_GUARD_DIST` (lets parallel work trees build side by side).
pub fn dist() -> PathBuf {
    std::env::var_os("CRM_GUARD_DIST").map(PathBuf::from).unwrap_or_else(|| root().join("dist"))
}

pub fn zip_path() -> Result<PathBuf> {
    let version = manifest()?["version"].as_str().context("manifest has no version")?.to_owned();
    Ok(dist().join(format!("crm-guard-{version}.zip")))
}

/// `dist/crm-guard-<version>.xpi`: the Firefox package of the shipped build.
pub fn xpi_path() -> Result<PathBuf> {
    let version = manifest()?["version"].as_str().context("manifest has no version")?.to_owned();
    Ok(dist().join(format!("crm-guard-{version}.xpi")))
}

/// `dist/extension-firefox/`: the shipped build with Firefox's manifest (what the .xpi holds).
pub fn firefox_dir() -> PathBuf {
    dist().join("extension-firefox")
}

/// The lowest Firefox the .xpi installs on: 140 ESR (MV3 `declarativeNetRequest` with
/// `requestDomains`, `storage.session`, `scripting`, module background scripts, and the
/// `data_collection_permissions` key that web-ext lint requires).
pub const GECKO_MIN_VERSION: &str = "140.0";

/// Firefox for Android's first version with `data_collection_permissions` (see browser_manifest).
pub const GECKO_ANDROID_MIN_VERSION: &str = "142.0";

/// Keys of the root manifest.json that only Chromium reads (dropped from Firefox's manifest).
pub const CHROMIUM_ONLY_KEYS: [&str; 4] =
    ["key", "minimum_chrome_version", "externally_connectable", "storage"];
/// Keys of the root manifest.json that only Firefox reads (dropped from Chromium's manifest).
pub const GECKO_ONLY_KEYS: [&str; 1] = ["browser_specific_settings"];

/// One source, two manifests. manifest.json holds both browsers' keys; each build drops the
/// other browser's (tidy `manifests_in_step` checks every other key is the same in both):
/// - Chromium: `background.service_worker`; no `browser_specific_settings`.
/// - Firefox: `background.scripts` (a module event page: Firefox has no extension service
///   worker); `gecko.id` (the stable id policies name) and `strict_min_version`; no `key`, no
///   `minimum_chrome_version`, no `externally_connectable` (Firefox lets no other extension
///   message us anyway), no `storage.managed_schema` (Firefox takes managed values from
///   `policies.json` `3rdparty.Extensions` without a schema).
pub fn browser_manifest(source: &serde_json::Value, firefox: bool) -> Result<serde_json::Value> {
    let mut m = source.clone();
    let obj = m.as_object_mut().context("manifest is not an object")?;
    let background = obj.get_mut("background").and_then(|b| b.as_object_mut()).context("no background")?;
    if firefox {
        background.remove("service_worker");
        for key in CHROMIUM_ONLY_KEYS {
            obj.remove(key);
        }
        let gecko = obj
            .get_mut("browser_specific_settings")
            .and_then(|b| b.get_mut("gecko"))
            .and_then(|g| g.as_object_mut())
            .context("manifest has no browser_specific_settings.gecko")?;
        gecko.insert("strict_min_version".into(), GECKO_MIN_VERSION.into());
        // Firefox for Android is not a target (no `idle` there); this only keeps the linter from
        // reading the desktop minimum as Android's, which lacks `data_collection_permissions`.
        let bss = obj.get_mut("browser_specific_settings").and_then(|b| b.as_object_mut());
        bss.context("browser_specific_settings")?.insert(
            "gecko_android".into(),
            serde_json::json!({ "strict_min_version": GECKO_ANDROID_MIN_VERSION }),
        );
    } else {
        background.remove("scripts");
        for key in GECKO_ONLY_KEYS {
            obj.remove(key);
        }
    }
    Ok(m)
}

/// Which build of the extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// What ships: `dist/extension/` and the zip. No test hooks.
    Shipped,
    /// The e2e suite's, the benchmarks' and the demo's: `dist/extension-diagnostics/`, with the
    /// `diagnostics` feature (debugPanic, trapScorer, bench hooks). Never zipped.
    Diagnostics,
}

impl Variant {
    pub fn dir(self) -> PathBuf {
        match self {
            Variant::Shipped => dist().join("extension"),
            Variant::Diagnostics => dist().join("extension-diagnostics"),
        }
    }
}

/// The most the shipped zip may weigh: 1 MB (issue 13). Every user downloads it, and the
/// scorer's dictionaries are most of it; the build fails above it.
const ZIP_BUDGET: u64 = 1_000_000;

/// Builds one variant of the extension (and the zip for the shipped one).
pub fn extension(variant: Variant) -> Result<()> {
    let root = root();
    let mut cargo = Command::new("cargo");
    cargo.args(["build", "--release", "--target", "wasm32-unknown-unknown"]);
    for m in &MODULES {
        cargo.args(["-p", m.krate]);
        if variant == Variant::Diagnostics {
            cargo.args(["--features", &format!("{}/diagnostics", m.krate)]);
        }
    }
    run(cargo.current_dir(&root))?;
    let target_dir =
        std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"));
    // Both variants come out at the same path: keep each one's own copy.
    let cache = target_dir.join(format!("crm-guard-wasm-opt-{variant:?}").to_lowercase());
    std::fs::create_dir_all(&cache)?;
    for m in &MODULES {
        bindgen_and_opt(m, &target_dir, &cache)?;
    }
    let out = variant.dir();
    if out.exists() {
        std::fs::remove_dir_all(&out).with_context(|| format!("cleaning {}", out.display()))?;
    }
    copy_dir(&root.join("extension"), &out)?;
    // Fresh from the Rust this build was compiled from (tidy keeps the committed copy current).
    std::fs::write(out.join("generated/protocol.js"), crate::codegen::protocol_js())?;
    let chromium = browser_manifest(&manifest()?, false)?;
    std::fs::write(out.join("manifest.json"), serde_json::to_string(&chromium)?)?;
    write_static_rules(&out)?;
    compact_json(&out)?;
    let wasm_dir = out.join("wasm");
    std::fs::create_dir_all(&wasm_dir)?;
    for m in &MODULES {
        for name in [format!("{}_bg.wasm", m.name), format!("{}.js", m.name)] {
            std::fs::copy(cache.join(&name), wasm_dir.join(&name))?;
        }
    }
    if variant == Variant::Shipped {
        for (m, hook) in MODULES.iter().zip(["debugPanic", "benchScore"]) {
            let glue = std::fs::read_to_string(wasm_dir.join(format!("{}.js", m.name)))?;
            anyhow::ensure!(!glue.contains(hook), "the shipped build has test hooks ({})", m.name);
        }
        pack_zip(&out, &zip_path()?)?;
        let zip_len = std::fs::metadata(zip_path()?)?.len();
        anyhow::ensure!(
            zip_len <= ZIP_BUDGET,
            "the zip is {zip_len} bytes, over its budget of {ZIP_BUDGET} (issue 13; docs/size.md says what it is made of)"
        );
        // Firefox: the same files and WASM, Firefox's manifest.
        let ff = firefox_dir();
        if ff.exists() {
            std::fs::remove_dir_all(&ff).with_context(|| format!("cleaning {}", ff.display()))?;
        }
        copy_dir(&out, &ff)?;
        let gecko = browser_manifest(&manifest()?, true)?;
        std::fs::write(ff.join("manifest.json"), serde_json::to_string(&gecko)?)?;
        let rules: Vec<serde_json::Value> =
            serde_json::from_str(&std::fs::read_to_string(ff.join(STATIC_RULES))?)?;
        let rules: Vec<_> = rules.iter().map(crm_guard_engine::protocol::names::gecko_rule).collect();
        std::fs::write(ff.join(STATIC_RULES), serde_json::to_string(&rules)?)?;
        pack_zip(&ff, &xpi_path()?)?;
        eprintln!("built {}, {} and {}", out.display(), zip_path()?.display(), xpi_path()?.display());
    } else {
        eprintln!("built {}", out.display());
    }
    Ok(())
}

/// wasm-opt's flags. `-Oz`, except that a function called from one place is not inlined into
/// its caller whatever its size (binaryen's default for -Oz): merging the engine's async state
/// machines into their callers saves ~1% of raw bytes but makes the code ~7% *larger* deflated,
/// which is how the module ships (engine module in the zip: 482,915 → 450,274 bytes, raw
/// 1,137,663 → 1,153,741). Small functions are still inlined as -Oz does.
pub const WASM_OPT_FLAGS: [&str; 2] = ["-Oz", "--one-caller-inline-max-function-size=0"];

/// wasm-bindgen + wasm-opt ([`WASM_OPT_FLAGS`]) of one module into `cache`; skipped (they take
/// ~20 s) when neither the raw module nor the flags have changed since the last run.
fn bindgen_and_opt(m: &Module, target_dir: &Path, cache: &Path) -> Result<()> {
    let built = target_dir.join(format!("wasm32-unknown-unknown/release/{}.wasm", m.built));
    let raw = cache.join(format!("{}.raw.wasm", m.name));
    // The stamp: the raw module, then the flags it was optimised with.
    let mut fresh_build = std::fs::read(&built).with_context(|| format!("reading {}", built.display()))?;
    fresh_build.extend_from_slice(WASM_OPT_FLAGS.join(" ").as_bytes());
    let bg = cache.join(format!("{}_bg.wasm", m.name));
    if std::fs::read(&raw).ok().as_deref() == Some(&fresh_build[..]) && bg.exists() {
        return Ok(());
    }
    run(Command::new("wasm-bindgen")
        // The reset function lets the worker replace an instance that trapped.
        .args(["--target", "web", "--no-typescript", "--experimental-reset-state-function"])
        .args(["--out-name", m.name, "--out-dir"])
        .arg(cache)
        .arg(&built))?;
    let opt = crate::root().join("tests/node_modules/.bin/wasm-opt");
    run(Command::new(opt).args(WASM_OPT_FLAGS).arg(&bg).arg("-o").arg(&bg))?;
    // The stamp last: an interrupted run does it all again.
    std::fs::write(&raw, &fresh_build)?;
    Ok(())
}

/// Path of the static ruleset inside the extension (manifest `declarative_net_request`).
pub const STATIC_RULES: &str = "rules/upgrade.json";

/// The built-in catalog's HTTPS upgrades (and `ws:` blocks) as a static ruleset, in force from the
/// moment the extension is installed — before the worker has run once to install the dynamic
/// rules (which add IT's self-hosted CRMs).
fn write_static_rules(out: &Path) -> Result<()> {
    let rules = crm_guard_core::dnr::upgrade_rules(&crm_guard_core::Catalog::builtin(), &[])
        .map_err(|e| anyhow::anyhow!("building the static upgrade rules: {e}"))?;
    let path = out.join(STATIC_RULES);
    std::fs::create_dir_all(path.parent().context("rules dir")?)?;
    std::fs::write(&path, serde_json::to_string(&rules)?)?;
    Ok(())
}

/// Rewrites every JSON file under `dir` (locales, managed schema) without indentation: what the
/// browser parses is the same, the zip ~1.2 KB smaller. (Object keys come out sorted.)
fn compact_json(dir: &Path) -> Result<()> {
    let mut files = Vec::new();
    files_under(dir, dir, &mut files)?;
    for rel in files.iter().filter(|f| f.extension().is_some_and(|e| e == "json")) {
        let path = dir.join(rel);
        let value: serde_json::Value = serde_json::from_slice(&std::fs::read(&path)?)
            .with_context(|| format!("{} is not valid JSON", path.display()))?;
        std::fs::write(&path, serde_json::to_string(&value)?)?;
    }
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let dest = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &dest)?;
        } else {
            std::fs::copy(entry.path(), &dest)
                .with_context(|| format!("copying {} to {}", entry.path().display(), dest.display()))?;
        }
    }
    Ok(())
}

fn files_under(dir: &Path, base: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            files_under(&path, base, out)?;
        } else {
            out.push(path.strip_prefix(base)?.to_path_buf());
        }
    }
    Ok(())
}

fn pack_zip(dir: &Path, zip_file: &Path) -> Result<()> {
    let mut files = Vec::new();
    files_under(dir, dir, &mut files)?;
    files.sort();
    let mut zip = zip::ZipWriter::new(std::fs::File::create(zip_file)?);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        // 10: zopfli with one iteration (the `zip` crate's levels above 9): plain deflate that
        // any unzip reads, ~35 KB smaller than zlib's 9 for this zip; more iterations gain < 2 KB.
        .compression_level(Some(10));
    for rel in files {
        zip.start_file(rel.to_string_lossy(), options)?;
        zip.write_all(&std::fs::read(dir.join(&rel))?)?;
    }
    zip.finish()?;
    Ok(())
}

pub fn gzip_len(bytes: &[u8]) -> Result<usize> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(bytes)?;
    Ok(enc.finish()?.len())
}
