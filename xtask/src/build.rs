//! Builds the loadable extension: WASM (release, size-optimised) → wasm-bindgen (`--target web`)
//! → wasm-opt -Oz → `dist/extension/` (manifest.json + extension/ + wasm/) → the zip.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use crate::{root, run};

const WASM_CRATE: &str = "crm-guard-wasm";
const WASM_FILE: &str = "crm_guard_wasm";

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

/// Builds `dist/extension/` and the zip.
pub fn extension() -> Result<()> {
    let root = root();
    run(Command::new("cargo")
        .args(["build", "--release", "--target", "wasm32-unknown-unknown", "-p", WASM_CRATE])
        .args(["--features", "diagnostics"])
        .current_dir(&root))?;
    let target_dir =
        std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"));
    let raw = target_dir.join(format!("wasm32-unknown-unknown/release/{WASM_FILE}.wasm"));
    let out = dist().join("extension");
    let wasm_dir = out.join("wasm");
    let final_wasm = wasm_dir.join(format!("{WASM_FILE}_bg.wasm"));

    // wasm-bindgen + wasm-opt take ~20 s: skip them when the raw module has not changed.
    let stale = match (std::fs::metadata(&raw), std::fs::metadata(&final_wasm)) {
        (Ok(r), Ok(f)) => r.modified()? > f.modified()?,
        _ => true,
    };
    if out.exists() {
        std::fs::remove_dir_all(&out).with_context(|| format!("cleaning {}", out.display()))?;
    }
    let cache = target_dir.join("crm-guard-wasm-opt");
    if stale || !cache.join(format!("{WASM_FILE}_bg.wasm")).exists() {
        std::fs::create_dir_all(&cache)?;
        run(Command::new("wasm-bindgen")
            // The reset function lets the worker replace an instance that trapped.
            .args(["--target", "web", "--no-typescript", "--experimental-reset-state-function", "--out-dir"])
            .arg(&cache)
            .arg(&raw))?;
        let opt = root.join("tests/node_modules/.bin/wasm-opt");
        let bg = cache.join(format!("{WASM_FILE}_bg.wasm"));
        run(Command::new(opt).arg("-Oz").arg(&bg).arg("-o").arg(&bg))?;
    }
    crate::codegen::write()?;
    copy_dir(&root.join("extension"), &out)?;
    std::fs::copy(root.join("manifest.json"), out.join("manifest.json"))?;
    write_static_rules(&out)?;
    copy_dir(&cache, &wasm_dir)?;
    pack_zip(&out, &zip_path()?)?;
    eprintln!("built {} and {}", out.display(), zip_path()?.display());
    Ok(())
}

/// Path of the static ruleset inside the extension (manifest `declarative_net_request`).
pub const STATIC_RULES: &str = "rules/upgrade.json";

/// The built-in catalog's HTTPS upgrades as a static ruleset, in force from the moment the
/// extension is installed — before the worker has run once to install the dynamic rules (which
/// add IT's self-hosted CRMs).
fn write_static_rules(out: &Path) -> Result<()> {
    let rules = crm_guard_core::dnr::upgrade_rules(&crm_guard_core::Catalog::builtin(), &[])
        .map_err(|e| anyhow::anyhow!("building the static upgrade rules: {e}"))?;
    let path = out.join(STATIC_RULES);
    std::fs::create_dir_all(path.parent().context("rules dir")?)?;
    std::fs::write(&path, serde_json::to_string_pretty(&rules)?)?;
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
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
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
