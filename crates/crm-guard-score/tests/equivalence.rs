//! Equivalence of the compile-time dictionaries and the single-walk dictionary / reverse / l33t
//! matchers (issue 13, `vendor/zxcvbn/PATCHES.md`) with the scorer they replaced: 10,000
//! generated passwords (`support/corpus10k.rs`), each scored without and with user inputs, must
//! give the lines of `golden/corpus-10k.tsv` — written by the scorer *before* the change (the
//! HashMap dictionaries and one dictionary pass per l33t substitution table). At least 99.5 % of
//! the lines must be identical and every difference must be listed in [`EXPLAINED`] with its
//! cause; today the list is empty (no difference at all).
//!
//! The l33t matcher is also compared match by match with zxcvbn's algorithm (one dictionary pass
//! per substitution table), kept in the vendored crate as the reference, on the same corpus and on
//! random l33t-dense strings; and plain zxcvbn on 100-character l33t-dense inputs, which took
//! 0.1–7 s with one pass per table, must take milliseconds.
//!
//! `CRM_GUARD_BLESS=1 cargo test -p crm-guard-score --test equivalence` rewrites the corpus and the
//! golden file: only for an intended change of the scorer.
#![allow(clippy::unwrap_used)]

#[path = "support/corpus10k.rs"]
mod corpus10k;
#[path = "support/random.rs"]
mod random;

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
    assert!(
        committed == generated,
        "tests/golden/corpus-10k.json is not what support/corpus10k.rs generates"
    );
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

const L33T: &str = "4@8({[<3691!|70$5+%2";

#[test]
fn the_l33t_walk_finds_what_one_pass_per_substitution_table_finds() {
    let corpus: Vec<String> = serde_json::from_str(&std::fs::read_to_string(CORPUS).unwrap()).unwrap();
    let mut inputs: Vec<String> = corpus;
    // l33t-dense: every l33t character with the letters they stand for, and words to find.
    inputs.extend(random::strings(&format!("{L33T}abcegilostxz"), 1_500, 1..25, 0x5eed));
    inputs.extend(random::strings(&format!("{L33T}{L33T}passwordmonkeydragon"), 1_500, 1..25, 0x0005_eed2));
    inputs.extend(
        ["p@$$w0rd", "P4$$W0RD", "m0th3r", "4 ( @", "1!|7", "j0hn.5m17h@4cm3", "$@13$f0rc3"]
            .map(String::from),
    );
    // Lowercasing that is not per character (the walk hands these to the reference path).
    inputs.extend(["İ5t@nbul", "P@\u{3a3}\u{3a3}W0RD", "\u{3a3}0\u{3a3}"].map(String::from));
    let mut compared = 0;
    let mut with_l33t = 0;
    in_both_contexts(&inputs, |pw, user_inputs| {
        let (walk, per_table) = zxcvbn::matching::l33t_matches_walk_and_per_table(pw, user_inputs);
        assert!(walk == per_table, "{pw:?} {user_inputs:?}:\n walk      {walk:?}\n per table {per_table:?}");
        compared += 1;
        with_l33t += usize::from(!walk.is_empty());
    });
    println!("{compared} l33t match lists identical ({with_l33t} non-empty)");
    assert!(with_l33t > 3_000, "the inputs exercise the l33t matcher ({with_l33t})");
}

#[test]
fn the_combined_walk_finds_what_the_dictionary_pass_and_the_l33t_walk_find() {
    let corpus: Vec<String> = serde_json::from_str(&std::fs::read_to_string(CORPUS).unwrap()).unwrap();
    let mut inputs: Vec<String> = corpus;
    inputs.extend(random::strings(&format!("{L33T}abcegilostxz"), 1_500, 1..25, 0x5eed));
    inputs.extend(random::strings(&format!("{L33T}{L33T}passwordmonkeydragon"), 1_500, 1..40, 0x0005_eed3));
    inputs.extend(random::strings("0123456789passwordlove!@#$", 500, 30..101, 0x0005_eed4));
    inputs.extend(
        [
            "p@$$w0rd",
            "P4$$W0RD",
            "m0th3r",
            "4 ( @",
            "1!|7",
            "j0hn.5m17h@4cm3",
            "$@13$f0rc3",
            "salesf0rceacme",
        ]
        .map(String::from),
    );
    inputs.extend(["İ5t@nbul", "P@\u{3a3}\u{3a3}W0RD", "\u{3a3}0\u{3a3}", "password", ""].map(String::from));
    let mut words = 0;
    in_both_contexts(&inputs, |pw, user_inputs| {
        let (combined, apart) = zxcvbn::matching::dictionary_matches_combined_and_apart(pw, user_inputs);
        assert!(combined == apart, "{pw:?} {user_inputs:?}:\n combined {combined:?}\n apart    {apart:?}");
        words += combined.0.len();
    });
    println!(
        "{} inputs: dictionary and l33t match lists identical ({words} dictionary matches)",
        inputs.len()
    );
    assert!(words > 50_000, "the inputs find words ({words})");
}

#[test]
fn l33t_dense_inputs_cost_milliseconds_not_one_dictionary_pass_per_table() {
    // zxcvbn 3.1.1 ran up to 800 full dictionary passes on these (0.1–7 s each natively).
    let inputs = random::strings(L33T, 40, 1..101, 0xad5e)
        .into_iter()
        .filter(|s| s.chars().count() > 60)
        .take(5)
        .collect::<Vec<_>>();
    assert_eq!(inputs.len(), 5);
    let mut total = 0.0;
    for pw in &inputs {
        // Best of three: the machine is shared.
        let best = (0..3)
            .map(|_| {
                let t = std::time::Instant::now();
                std::hint::black_box(crm_guard_score::score_unbounded(pw, &[]));
                t.elapsed().as_secs_f64()
            })
            .fold(f64::MAX, f64::min);
        total += best;
    }
    println!("5 l33t-dense inputs of 61–100 characters, plain zxcvbn: {:.1} ms", total * 1000.0);
    assert!(total < 0.5, "{:.0} ms for 5 l33t-dense inputs", total * 1000.0);
}

/// Runs `check` on each input without user inputs, then with the golden file's context.
fn in_both_contexts(inputs: &[String], mut check: impl FnMut(&str, &[&str])) {
    let context = crm_guard_score::golden::INPUTS;
    for pw in inputs {
        for user_inputs in [&[][..], &context[..]] {
            check(pw, user_inputs);
        }
    }
}
