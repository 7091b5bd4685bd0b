//! Equivalence of the compile-time dictionaries and the single-walk dictionary / reverse / l33t
//! matchers (issue 13, `vendor/zxcvbn/PATCHES.md`) with the scorer they replaced: 10,000
//! generated passwords (`support/corpus10k.rs`), each scored without and with user inputs, must
//! give the lines of `golden/corpus-10k.tsv` — written by the scorer *before* the change (the
//! HashMap dictionaries and one dictionary pass per l33t substitution table). At least 99.5 % of
//! the lines must be identical and every difference must be listed in [`EXPLAINED`] with its
//! cause; today the list is empty (no difference at all).
//!
//! `CRM_GUARD_BLESS=1 cargo test -p crm-guard-score --test equivalence` rewrites the corpus and the
//! golden file: only for an intended change of the scorer.
#![allow(clippy::unwrap_used)]

#[path = "support/corpus10k.rs"]
mod corpus10k;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/corpus-10k.json");
const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/corpus-10k.tsv");

/// Lines of the golden file known to differ, with why (golden line index, explanation).
const EXPLAINED: &[(usize, &str)] = &[];

#[test]
fn the_generator_gives_the_committed_corpus() {
    let generated = corpus10k::generate();
    assert_eq!(generated.len(), corpus10k::SIZE);
    if std::env::var_os("CRM_GUARD_BLESS").is_some() {
        std::fs::write(CORPUS, serde_json::to_string_pretty(&generated).unwrap() + "\n").unwrap();
    }
    let committed: Vec<String> = serde_json::from_str(&std::fs::read_to_string(CORPUS).unwrap()).unwrap();
    assert!(committed == generated, "tests/golden/corpus-10k.json is not what support/corpus10k.rs generates");
}

#[test]
fn ten_thousand_passwords_score_as_before_the_compact_dictionaries() {
    let corpus: Vec<String> = serde_json::from_str(&std::fs::read_to_string(CORPUS).unwrap()).unwrap();
    let lines = crm_guard_score::golden::lines(&corpus);
    if std::env::var_os("CRM_GUARD_BLESS").is_some() {
        std::fs::write(GOLDEN, lines.join("\n") + "\n").unwrap();
    }
    let golden: Vec<String> = std::fs::read_to_string(GOLDEN).unwrap().lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), golden.len());
    let differ: Vec<usize> = (0..lines.len()).filter(|&i| lines[i] != golden[i]).collect();
    let unexplained: Vec<String> = differ
        .iter()
        .filter(|i| !EXPLAINED.iter().any(|(e, _)| e == *i))
        .map(|&i| format!("line {i} ({:?}):\n  now    {}\n  before {}", corpus[i / 2], lines[i], golden[i]))
        .collect();
    let identical = lines.len() - differ.len();
    println!("{identical} of {} lines identical; {} explained differences", lines.len(), differ.len());
    assert!(identical * 1000 >= lines.len() * 995, "only {identical} of {} lines identical", lines.len());
    assert!(unexplained.is_empty(), "unexplained differences:\n{}", unexplained.join("\n"));
}
