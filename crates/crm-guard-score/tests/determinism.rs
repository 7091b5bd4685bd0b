//! Scores depend on the password and its user inputs only (issue 13): the first 1,000
//! passwords of the project corpus score the same twice in one process, in a second process
//! (this binary runs itself with `--child`), and as the committed golden file says — which the
//! WASM test in `crm-guard-wasm/tests/wasm.rs` compares with too, so native and WASM agree.
//! zxcvbn 3.1.1 from crates.io fails the first two checks: it breaks ties by `HashMap` order
//! (`vendor/zxcvbn/PATCHES.md`).
//!
//! `harness = false`: a plain `main`, so it can re-run itself as the child process.
//! `CRM_GUARD_BLESS=1 cargo test -p crm-guard-score --test determinism` rewrites the golden file
//! after an intended change of the scorer.
#![allow(clippy::unwrap_used)]

use std::process::{Command, ExitCode};

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/corpus-1000.tsv");

fn lines() -> Vec<String> {
    let all: Vec<String> =
        serde_json::from_str(include_str!("../../../tests/bench/password-corpus.json")).unwrap();
    assert!(all.len() >= 1_000, "the corpus has {} passwords", all.len());
    crm_guard_score::golden::lines(&all[..1_000])
}

fn first_difference(what: &str, a: &[String], b: &[String]) -> Option<String> {
    if a.len() != b.len() {
        return Some(format!("{what}: {} lines vs {}", a.len(), b.len()));
    }
    let diffs: Vec<_> = a.iter().zip(b).filter(|(x, y)| x != y).collect();
    let (x, y) = diffs.first()?;
    Some(format!("{what}: {} of {} lines differ, first:\n  {x}\n  {y}", diffs.len(), a.len()))
}

fn main() -> ExitCode {
    if std::env::args().any(|a| a == "--child") {
        for line in lines() {
            println!("{line}");
        }
        return ExitCode::SUCCESS;
    }
    let first = lines();
    let mut failures = Vec::new();
    failures.extend(first_difference("same process, second run", &first, &lines()));

    let child = Command::new(std::env::current_exe().unwrap()).arg("--child").output().unwrap();
    assert!(child.status.success(), "the child process failed: {}", String::from_utf8_lossy(&child.stderr));
    let child: Vec<String> = String::from_utf8(child.stdout).unwrap().lines().map(str::to_owned).collect();
    failures.extend(first_difference("another process", &first, &child));

    if std::env::var_os("CRM_GUARD_BLESS").is_some() {
        std::fs::write(GOLDEN, first.join("\n") + "\n").unwrap();
        println!("determinism: wrote {GOLDEN}");
    }
    let golden: Vec<String> = std::fs::read_to_string(GOLDEN).unwrap().lines().map(str::to_owned).collect();
    failures.extend(first_difference("the golden file", &first, &golden));

    if failures.is_empty() {
        println!(
            "determinism: {} scores (1,000 passwords, without and with user inputs) identical twice in-process, in a child process and in {GOLDEN}",
            first.len()
        );
        ExitCode::SUCCESS
    } else {
        eprintln!("determinism FAILED:\n{}", failures.join("\n"));
        ExitCode::FAILURE
    }
}
