use super::*;

#[test]
fn weak_and_strong() {
    let weak = score("password123", &[]);
    assert!(weak.score <= 1, "{weak:?}");
    assert!(weak.warning.is_some());
    let strong = score("correct-horse-battery-staple-violet-42", &[]);
    assert_eq!(strong.score, 4, "{strong:?}");
}

#[test]
fn user_inputs_are_penalised() {
    let plain = score("acmecorp2026!", &[]);
    let penalised = score("acmecorp2026!", &["acmecorp"]);
    assert!(penalised.guesses_log10 < plain.guesses_log10, "{plain:?} vs {penalised:?}");
}

/// Deterministic printable ASCII (xorshift).
fn random_printable(n: usize, mut seed: u64) -> String {
    (0..n)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            char::from(b' ' + (seed % 95) as u8)
        })
        .collect()
}

const L33T: &str = "4@8({[<3691!|70$5+%2";

fn worst_cases() -> Vec<String> {
    vec![
        random_printable(100, 0x9e37_79b9_7f4a_7c15),
        random_printable(100, 42),
        random_printable(80, 7),
        L33T.repeat(2),
        L33T.repeat(5),
        "@".repeat(100),
        "4@8(".repeat(25),
        "p@$$w0rd!|7+{<%2369".repeat(6),
        random_printable(10_000, 7),
    ]
}

fn capped(s: &str) -> String {
    s.chars().take(MAX_SCORED_CHARS).collect()
}

#[test]
fn l33t_table_count_replays_the_crate() {
    // Counts from zxcvbn 3.1.1's `enumerate_l33t_replacements` (duplicates included).
    assert_eq!(l33t_tables(|c| "password".contains(c)), 0);
    assert_eq!(l33t_tables(|c| "@".contains(c)), 1);
    assert_eq!(l33t_tables(|c| "p@ssw0rd".contains(c)), 1);
    assert_eq!(l33t_tables(|c| "4@8(".contains(c)), 2);
    assert_eq!(l33t_tables(|c| "1234567890".contains(c)), 8);
    assert_eq!(l33t_tables(|c| "1234567890!@#$%^&*()".contains(c)), 56);
    assert_eq!(l33t_tables(|c| L33T.contains(c)), 800);
}

/// zxcvbn 3.1.1's `enumerate_l33t_replacements` over the relevant subtable, replayed with the
/// tables built (the way [`l33t_tables`] counted before it counted by state).
fn l33t_tables_by_enumeration(present: impl Fn(char) -> bool) -> u64 {
    let mut subs: Vec<Vec<(char, char)>> = vec![vec![]];
    let mut any = false;
    for (letter, l33ts) in L33T_TABLE {
        let relevant: Vec<char> = l33ts.iter().copied().filter(|&c| present(c)).collect();
        if relevant.is_empty() {
            continue;
        }
        any = true;
        let mut next = Vec::with_capacity(subs.len() * relevant.len());
        for &l33t in &relevant {
            for sub in &subs {
                if let Some(idx) = sub.iter().position(|&(c, _)| c == l33t) {
                    let mut alternative = sub.clone();
                    alternative.remove(idx);
                    alternative.push((l33t, letter));
                    next.push(sub.clone());
                    next.push(alternative);
                } else {
                    let mut extension = sub.clone();
                    extension.push((l33t, letter));
                    next.push(extension);
                }
            }
        }
        subs = next;
    }
    if any {
        subs.len() as u64
    } else {
        0
    }
}

#[test]
fn l33t_table_count_by_state_equals_the_enumeration() {
    let chars: Vec<char> = L33T.chars().collect();
    let check = |mask: u32| {
        let present = |c: char| chars.iter().position(|&x| x == c).is_some_and(|b| mask & (1 << b) != 0);
        assert_eq!(l33t_tables(present), l33t_tables_by_enumeration(present), "mask {mask:#x}");
    };
    // Every subset of the characters standing for two letters (1, |, 7) with the others in a
    // few patterns, then pseudo-random subsets.
    let shared = [10, 12, 13];
    for sub in 0..8u32 {
        let base: u32 = (0..3).filter(|k| sub & (1 << k) != 0).map(|k| 1 << shared[k]).sum();
        for others in [0, 0xf_ffff, 0x5_5555, 0xa_aaaa, 0x0_0fff, 0xf_f000] {
            check(base | (others & !((1 << 10) | (1 << 12) | (1 << 13))));
        }
    }
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..3_000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        check((seed & 0xf_ffff) as u32);
    }
}

/// Bounded work, counted, not timed: every zxcvbn call [`score`] makes on a worst case fits
/// the budget, and all of them together cost a few budgets, against ~4 M dictionary passes
/// for one plain call on a 100-character random paste.
#[test]
fn worst_cases_do_bounded_work() {
    let mut plain_max = 0;
    for pw in worst_cases() {
        let capped = capped(&pw);
        let chars: Vec<char> = capped.chars().collect();
        plain_max = plain_max.max(work(&chars));
        let segs = segments(&capped);
        assert!(segs.len() <= 8, "{pw:?}: {} segments", segs.len());
        let mut total = 0;
        for seg in &segs {
            let c: Vec<char> = seg.chars().collect();
            assert!(fits(&c), "{seg:?} of {pw:?}");
            total += work(&c);
        }
        assert!(total <= 4 * WORK_BUDGET.max(2 * 5_050), "{pw:?}: {total}");
    }
    assert!(plain_max >= 4_000_000, "{plain_max}");
}

#[test]
fn worst_cases_never_score_above_zxcvbn() {
    for pw in worst_cases() {
        let (b, z) = (score(&pw, &[]), score_unbounded(&pw, &[]));
        assert_not_above(&pw, &b, &z);
        assert_eq!(b.length, pw.chars().count());
    }
}

/// Cuts inside structure zxcvbn sees across the whole input (repeats, keyboard rows,
/// sequences, l33t words with every symbol) never make the bounded score higher.
#[test]
fn segmented_never_scores_above_zxcvbn() {
    let bases = [
        "!@#$%^&*()1234567890",
        "1234567890!@#$%^&*()",
        "0987654321)(*&^%$#@!",
        "!1@2#3$4%5^6&7*8(9)0",
        "1q2w3e4r5t6y7u8i9o0p",
        "12345678909876543210",
        "1357924680<>[]{}()",
        "{[(<>)]}1234|!@$",
        "qwerty!@#$%^123456789",
        "p@$$w0rd!23",
        "s3cr3t!@#$%12345",
        "p4$$w0rd!|7+{<%2369",
        "l3t m3 1n!",
        "@dm1n!$+r4+0r",
        "1qaz!QAZ2wsx@WSX3edc#EDC",
    ];
    let mut checked = 0;
    for base in bases {
        for pw in [
            base.repeat(100 / base.len() + 1),
            format!("{base}{}", base.repeat(2)),
            format!("Acme{base}2026"),
        ] {
            let (b, z) = (score(&pw, &["acme"]), score_unbounded(&pw, &["acme"]));
            assert_not_above(&pw, &b, &z);
            checked += usize::from(segments(&capped(&pw)).len() > 1);
        }
    }
    assert!(checked >= 15, "only {checked} inputs were segmented");
}

/// Our zxcvbn (vendored, patched to break ties in a fixed order) answers the same every time,
/// so "never above zxcvbn" is checked exactly, against one plain call.
fn assert_not_above(pw: &str, b: &Strength, z: &Strength) {
    assert!(b.guesses_log10 <= z.guesses_log10, "{pw:?}: {b:?} vs {z:?}");
    assert!(b.score <= z.score, "{pw:?}: {b:?} vs {z:?}");
}

/// zxcvbn 3.1.1 from crates.io, the reference: it breaks ties by `HashMap` order, so one
/// password gets slightly different guesses from call to call (seen: 17.35 vs 17.41 log10 for a
/// 26-character passphrase, 12.03 vs 12.48 for `J0hn.Sm1th@acme`).
fn upstream(pw: &str, inputs: &[&str]) -> (f64, u8) {
    let e = zxcvbn_upstream::zxcvbn(pw, inputs);
    (e.guesses_log10(), u8::from(e.score()))
}

/// The patches only fix the order of ties: on the whole corpus our estimate is one the
/// reference itself gives, or within its jitter of one (it takes 0.5 log10 at most), never
/// a different kind of answer.
#[test]
fn corpus_agrees_with_upstream_zxcvbn_within_its_jitter() {
    const UPSTREAM_JITTER_LOG10: f64 = 0.5;
    let corpus: Vec<String> =
        serde_json::from_str(include_str!("../../../tests/bench/password-corpus.json")).expect("corpus");
    let (mut same_score, mut checked, mut upstream_varied) = (0, 0, 0);
    for pw in corpus.iter().filter(|pw| segments(&capped(pw)).len() == 1) {
        let scored = capped(pw);
        let ours = score_unbounded(pw, &["acme"]);
        let runs: Vec<(f64, u8)> = (0..3).map(|_| upstream(&scored, &["acme"])).collect();
        let nearest = runs.iter().map(|(g, _)| (g - ours.guesses_log10).abs()).fold(f64::INFINITY, f64::min);
        assert!(nearest <= UPSTREAM_JITTER_LOG10, "{pw:?}: ours {ours:?}, upstream {runs:?}");
        same_score += usize::from(runs.iter().any(|&(_, s)| s == ours.score));
        upstream_varied += usize::from(runs.iter().any(|r| r.0 != runs[0].0));
        checked += 1;
    }
    assert!(checked > 3_000, "{checked}");
    println!(
        "same 0-4 score as one of three crates.io zxcvbn runs: {same_score} of {checked}; \
         crates.io zxcvbn gave one password different guesses across its three runs: {upstream_varied}"
    );
    // Scores (0–4) agree on all but a handful of passwords near a boundary.
    assert!(same_score * 1_000 >= checked * 998, "same score on {same_score} of {checked}");
}

#[test]
fn corpus_never_scores_above_zxcvbn() {
    let corpus: Vec<String> =
        serde_json::from_str(include_str!("../../../tests/bench/password-corpus.json")).expect("corpus");
    let mut segmented = 0;
    for pw in &corpus {
        let (b, z) = (score(pw, &[]), score_unbounded(pw, &[]));
        assert_not_above(pw, &b, &z);
        segmented += usize::from(segments(&capped(pw)).len() > 1);
    }
    assert!(segmented > 0 && segmented * 20 < corpus.len(), "{segmented}");
}

#[test]
fn known_weak_stay_weak() {
    for (pw, max) in [
        ("password123", 1),
        ("P@ssw0rd", 1),
        ("p4$$w0rd!", 1),
        ("p@ssw0rdp@ssw0rdp@ssw0rdp@ssw0rd", 1),
        ("p4ssw0rdp4ssw0rd", 2),
    ] {
        let s = score(pw, &[]);
        assert!(s.score <= max, "{pw}: {s:?}");
        assert_eq!(s, score_unbounded(pw, &[]), "{pw}");
    }
    for pw in ["p@ssw0rd".repeat(12), "@".repeat(100), "4@8(".repeat(25)] {
        let s = score(&pw, &[]);
        assert!(s.score <= 1, "{pw}: {s:?}");
        assert_eq!(segments(&capped(&pw)).len(), 1, "{pw}");
    }
}

#[test]
fn strong_passphrases_score_4() {
    for pw in [
        "correct-horse-battery-staple-violet-42",
        "spring.salesforce.falcon.baseball.nectar",
        "Tr0ub4dor&3-glacier-m1dnight-pl@net-{ochre}",
        "ember quokka 7 harbor !violet cedar%9",
        &random_printable(100, 3),
    ] {
        assert_eq!(score(pw, &[]).score, 4, "{pw}");
    }
}

/// The mitigation only changes long, l33t-heavy inputs: ordinary passwords of up to 40
/// characters are scored by one plain zxcvbn call, with the same result in every field.
#[test]
fn short_inputs_identical_to_zxcvbn() {
    let table = [
        "a",
        "password",
        "password123",
        "P@ssw0rd",
        "p4$$w0rd!",
        "Tr0ub4dor&3",
        "iloveyou805",
        "qazwsx70",
        "c0b@lt80",
        "m0nk3y91",
        "01062014",
        "19101985",
        "Acme1950.",
        "qwerty13",
        "letmein",
        "zyxwv",
        "123qwe",
        "Cobalt1950_",
        "Glacier1950&",
        "1q2w3e4r5t",
        "!@#$%^&*()",
        "1234567890",
        "abcdefghijklmnop",
        "aaaaaaaaaaaaaaaaaaaa",
        "correct-horse-battery-staple-violet-42",
        "spring.salesforce.falcon",
        "S3cur1ty!2026",
        "acmecorp2026!",
        "J0hn.Sm1th@acme",
        "w3lc0me-t0-the-crm",
        "Xr6gtn}Yk$>:X[-$CD}lSeS",
        "𝔭𝔞𝔰𝔰𝔴𝔬𝔯𝔡😀😀",
        "كلمة السر",
        "\u{202e}drowssap",
        "h@ppy-b1rthd@y-2025",
        "D3cemb3r!D3cemb3r!",
        "4@8(4@8(4@8(4@8(",
        "p@ssw0rdp@ssw0rdp@ssw0rdp@ssw0rdp@ssw0rd",
    ];
    assert!(table.len() >= 30);
    for pw in table {
        assert!(pw.chars().count() <= 40, "{pw}");
        // One segment: `score` makes exactly one plain zxcvbn call, and gives its answer.
        assert_eq!(segments(pw).len(), 1, "{pw}");
        for inputs in [&[][..], &["acme", "john.smith@acme.com"][..]] {
            assert_eq!(score(pw, inputs), score_unbounded(pw, inputs), "{pw}");
        }
    }
}

#[test]
fn feedback_comes_from_the_first_segment() {
    // A weak start, then a l33t-heavy tail long enough to be scored in pieces.
    let pw = format!("password{}", L33T.repeat(4));
    assert!(segments(&capped(&pw)).len() > 1);
    let s = score(&pw, &[]);
    if s.score <= 2 {
        let first = score(&segments(&capped(&pw))[0], &[]);
        assert_eq!((s.warning, &s.suggestions), (first.warning, &first.suggestions));
    } else {
        assert!(s.warning.is_none() && s.suggestions.is_empty(), "{s:?}");
    }
}

#[test]
fn hostile_inputs_do_not_panic() {
    let huge = "x".repeat(100_000);
    assert_eq!(score(&huge, &[]).length, 100_000);
    for s in ["", "\u{0}\u{1}\u{7f}", "𝔭𝔞𝔰𝔰𝔴𝔬𝔯𝔡😀😀", "كلمة السر", "\u{202e}drowssap", "a"]
    {
        let st = score(s, &["", "\u{0}"]);
        assert!(st.score <= 4);
    }
}

/// The year is context, not the clock (issue 13): the same password, inputs and year give the
/// same answer on any day, and a year typed into a password counts as recent or not by the
/// year given.
#[test]
fn the_reference_year_is_an_argument_not_the_clock() {
    let in_2026 = score_in_year("Tulips2026", &[], 2026);
    assert_eq!(in_2026, score_in_year("Tulips2026", &[], 2026));
    let in_2090 = score_in_year("Tulips2026", &[], 2090);
    assert!(in_2090.guesses_log10 > in_2026.guesses_log10, "{in_2026:?} {in_2090:?}");
    // And the scoring leaves no year behind for the next call.
    assert_eq!(score_in_year("Tulips2026", &[], 2026), in_2026);
}

#[test]
fn warm_up_takes_the_rare_paths() {
    assert!(WARM_UP.iter().any(|pw| segments(&capped(pw)).len() > 1), "a segmented input");
    assert!(WARM_UP.iter().any(|pw| pw.contains('Σ') && pw.chars().any(|c| L33T.contains(c))));
    assert!(WARM_UP.iter().any(|pw| pw.to_lowercase() != pw.to_ascii_lowercase()));
    let scores: Vec<u8> = WARM_UP.iter().map(|pw| score(pw, &[]).score).collect();
    for s in 0..=4 {
        assert!(scores.contains(&s), "score {s} in {scores:?}");
    }
    warm();
}
