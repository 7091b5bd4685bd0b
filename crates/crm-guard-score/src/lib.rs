//! Password strength: zxcvbn, with the CRM's context (name, org sub-domain, user name) as
//! penalised user inputs. The result carries message *ids*, never text, so the extension
//! localises them; it never carries the password.

use serde::Serialize;

/// zxcvbn truncates at 100 characters; we cap explicitly so a pasted 100 KB string costs the
/// same as a 100-character one, and say so.
pub const MAX_SCORED_CHARS: usize = 100;

/// The strength of one password.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Strength {
    /// 0 (too guessable) to 4 (very unguessable).
    pub score: u8,
    /// log10 of the estimated guesses.
    pub guesses_log10: f64,
    /// Offline slow-hash crack time in seconds (10⁴ guesses/s), zxcvbn's estimate.
    pub crack_seconds: f64,
    /// zxcvbn's warning, as a stable id (`commonPassword`…).
    pub warning: Option<&'static str>,
    /// zxcvbn's suggestions, as stable ids.
    pub suggestions: Vec<&'static str>,
    /// Length in Unicode scalar values (the whole input, not only the scored prefix).
    pub length: usize,
}

/// Budget of one zxcvbn call, in l33t dictionary passes. zxcvbn 3.1.1's l33t matcher
/// (`matching::L33tMatch`) enumerates substitution tables over the *distinct* l33t characters
/// present (1 table for `@@@@`, 8 for `1234567890`, 800 when all 20 of
/// `4 @ 8 ( { [ < 3 6 9 1 ! | 7 0 $ 5 + % 2` are present, see [`l33t_tables`]) and runs the whole
/// dictionary matcher, a lookup of every one of the n(n+1)/2 substrings, once per table. A
/// 100-character random paste costs 800 × 5,050 ≈ 4 M passes (~0.15–0.5 s natively, 2–2.5× that
/// in WASM); this budget is ~1,000 times less. An input that [`fits`] is scored by one plain
/// zxcvbn call (exactly zxcvbn's answer); any other is scored in pieces that each fit.
pub const WORK_BUDGET: u64 = 4_000;

/// Scores a password. `user_inputs` are words an attacker would try first (CRM name, org,
/// e-mail). Never panics, whatever the input, and the l33t matcher's cost is bounded (see
/// [`WORK_BUDGET`]).
///
/// # Long l33t-heavy inputs: scored in pieces, never overestimated
///
/// When the (100-character) scored prefix W does not [`fits`], it is cut into [`segments`]
/// A₁…A_k that each fit, each is scored by zxcvbn alone, and the estimate is the **strongest
/// segment's**: `guesses = max_t g(A_t)`. Nothing is added for the other segments, and the
/// segments' guesses are never multiplied: zxcvbn finds structure across a cut that a product
/// would count twice (a sequence `abc…z` costs 4 × 26 guesses whole, (4 × 13) × (26 × 13) in two
/// halves; `base` repeated k times costs g(base) × k whole, g(base)^k as a product).
///
/// Why `max_t g(A_t) ≤ g(W)`: zxcvbn's g(W) = min over match sequences S covering W of
/// `|S|! · Π g(m) + 10⁴^(|S|−1)`. Restrict the optimal S* to a segment A_t. If no match of S*
/// straddles A_t's ends, the restriction covers A_t with matches zxcvbn also finds in A_t (the
/// matchers are local) with no more guesses (a match filling all of A_t even gets the minimum 1
/// instead of 50), and with |S_t| ≤ |S*| matches and a product over a subset of S* (each
/// g(m) ≥ 1), so `g(A_t) ≤ |S_t|! Π_{S_t} g(m) + 10⁴^(|S_t|−1) ≤ g(W)`.
///
/// The straddling cases are what [`segments`] is built against: a periodic run (which zxcvbn
/// scores as one repeat match over the whole input) is cut only between whole copies, so its
/// segments are repeats of the same base with fewer copies (or pieces of one copy); the remaining
/// cuts fall in l33t-dense stretches holding many distinct l33t symbols, where a cut word or row
/// can only make the segment look stronger by the cost of its cut piece, which the `max` (no
/// floor for the other segments) absorbs in practice. This is checked against plain zxcvbn, not
/// assumed: the fixed corpus, the worst cases and adversarial rows, sequences, repeats and l33t
/// words cut at every offset never score higher (`corpus_never_scores_above_zxcvbn`,
/// `segmented_never_scores_above_zxcvbn`). Long random pastes stay at 4 (one ~25-character random
/// segment is already far above 10¹⁰ guesses).
///
/// Feedback (warning, suggestions) is the **first** segment's, where the words a user typed are,
/// and none when the combined score is 3 or 4 (as zxcvbn). `length` is always the whole input's.
pub fn score(password: &str, user_inputs: &[&str]) -> Strength {
    score_in_year(password, user_inputs, zxcvbn::current_year())
}

/// Inputs that between them take every path of the scorer: each matcher's hits (dictionary,
/// reversed, l33t, keyboard rows and keypads, repeats, sequences, years, dates with and without
/// separators), non-ASCII lowercasing, the per-table l33t path ('Σ'), segmented l33t-dense
/// input, and feedback for every score. [`warm`] also scores one with user inputs.
pub const WARM_UP: [&str; 13] = [
    "password",
    "warm-up",
    "Baseball1",
    "P@ssw0rd!1990drowssap",
    "19031987 11/11/1991",
    "qwerty123456zxcvbn7410852963",
    "abcabcabcaaaa13579",
    "Orbitаautumnç32🔒Σ4",
    "acme-salesforce.john",
    "tr0ub4dor&3",
    "correct horse battery staple",
    "ZYXWVU1qaz2wsx!QAZ",
    "YA1!A@YVx|9eok^5c+)@+X/)&PO2En$v*%%g9!",
];

/// Scores [`WARM_UP`] (and one of them with user inputs): a WebAssembly engine compiles a
/// function on its first call, so a module that has only scored one word pays for compiling the
/// date, l33t or segment code inside the first password that needs it (seen as 15–20 ms on
/// single corpus passwords of the worker's first pass). The scorer's load calls this once
/// (~0.7 ms of scoring natively).
pub fn warm() {
    for pw in WARM_UP {
        std::hint::black_box(score(pw, &[]));
    }
    std::hint::black_box(score("acme-salesforce.john", &golden::INPUTS));
}

/// [`score`] with `year` as zxcvbn's reference year (recent years and dates are judged by their
/// distance from it): the answer depends on the arguments only. The extension passes the year of
/// the engine's clock; the golden files pass [`golden::YEAR`].
pub fn score_in_year(password: &str, user_inputs: &[&str], year: i32) -> Strength {
    let length = password.chars().count();
    if password.is_empty() {
        return empty(length);
    }
    let scored: String = password.chars().take(MAX_SCORED_CHARS).collect();
    let segments = segments(&scored);
    if segments.len() == 1 {
        return from_entropy(&zxcvbn::zxcvbn_in_year(&scored, user_inputs, year), length);
    }
    let entropies: Vec<zxcvbn::Entropy> =
        segments.iter().map(|s| zxcvbn::zxcvbn_in_year(s, user_inputs, year)).collect();
    let strongest = entropies.iter().map(zxcvbn::Entropy::guesses_log10).fold(0.0, f64::max);
    let guesses_log10 = strongest;
    let guesses = guesses_from_log10(guesses_log10);
    let score = score_from_guesses(guesses);
    // The combined estimate is at least every segment's, so a combined score ≤ 2 means the first
    // segment's score is ≤ 2 too, and zxcvbn gave it feedback.
    let first = &entropies[0];
    let feedback = if score <= 2 { first.feedback() } else { None };
    Strength {
        score,
        guesses_log10,
        crack_seconds: guesses as f64 / 10_000.0,
        warning: feedback.and_then(|f| f.warning()).map(warning_id),
        suggestions: feedback
            .map(|f| f.suggestions().iter().map(|s| suggestion_id(*s)).collect())
            .unwrap_or_default(),
        length,
    }
}

/// Plain zxcvbn on the same 100-character prefix, one call whatever it costs (up to ~0.5 s
/// natively on a l33t-heavy paste). The reference [`score`] is checked and benchmarked against;
/// never call it on user input in the extension.
pub fn score_unbounded(password: &str, user_inputs: &[&str]) -> Strength {
    let length = password.chars().count();
    if password.is_empty() {
        return empty(length);
    }
    let scored: String = password.chars().take(MAX_SCORED_CHARS).collect();
    from_entropy(&zxcvbn::zxcvbn(&scored, user_inputs), length)
}

fn empty(length: usize) -> Strength {
    Strength { score: 0, guesses_log10: 0.0, crack_seconds: 0.0, warning: None, suggestions: vec![], length }
}

fn from_entropy(entropy: &zxcvbn::Entropy, length: usize) -> Strength {
    let feedback = entropy.feedback();
    Strength {
        score: u8::from(entropy.score()),
        guesses_log10: entropy.guesses_log10(),
        crack_seconds: crack_seconds(entropy.crack_times().offline_slow_hashing_1e4_per_second()),
        warning: feedback.and_then(|f| f.warning()).map(warning_id),
        suggestions: feedback
            .map(|f| f.suggestions().iter().map(|s| suggestion_id(*s)).collect())
            .unwrap_or_default(),
        length,
    }
}

/// 10^x, rounded down, saturating at u64::MAX (as zxcvbn's own guesses saturate).
fn guesses_from_log10(log10: f64) -> u64 {
    let g = 10f64.powf(log10).floor();
    if g >= u64::MAX as f64 {
        u64::MAX
    } else if g >= 1.0 {
        g as u64
    } else {
        1
    }
}

/// zxcvbn 3.1.1's thresholds (`time_estimates::calculate_score`, private in the crate).
fn score_from_guesses(guesses: u64) -> u8 {
    const DELTA: u64 = 5;
    match guesses {
        g if g < 1_000 + DELTA => 0,
        g if g < 1_000_000 + DELTA => 1,
        g if g < 100_000_000 + DELTA => 2,
        g if g < 10_000_000_000 + DELTA => 3,
        _ => 4,
    }
}

/// zxcvbn 3.1.1's l33t table (`matching::L33T_TABLE`): letter → the characters standing for it.
const L33T_TABLE: [(char, &[char]); 12] = [
    ('a', &['4', '@']),
    ('b', &['8']),
    ('c', &['(', '{', '[', '<']),
    ('e', &['3']),
    ('g', &['6', '9']),
    ('i', &['1', '!', '|']),
    ('l', &['1', '|', '7']),
    ('o', &['0']),
    ('s', &['$', '5']),
    ('t', &['+', '7']),
    ('x', &['%']),
    ('z', &['2']),
];

/// How many substitution tables zxcvbn 3.1.1's l33t matcher enumerates for a string holding the
/// characters `present` (`enumerate_l33t_replacements(relevant_l33t_subtable(..))`, replayed:
/// the same recursion, duplicates included, since each table costs one dictionary pass). The
/// count does not depend on the crate's (random) `HashMap` key order. At most 800.
pub fn l33t_tables(present: impl Fn(char) -> bool) -> u64 {
    let mut mask = 0;
    for (bit, &c) in L33T_CHARS.iter().enumerate() {
        if present(c) {
            mask |= 1 << bit;
        }
    }
    l33t_tables_of(mask)
}

/// The characters of [`L33T_TABLE`], each with a bit in a [`l33t_mask`].
const L33T_CHARS: [char; 20] =
    ['4', '@', '8', '(', '{', '[', '<', '3', '6', '9', '1', '!', '|', '7', '0', '$', '5', '+', '%', '2'];

/// The bit of `c` in a l33t mask, if it is a l33t character.
fn l33t_bit(c: char) -> Option<u32> {
    L33T_CHARS.iter().position(|&x| x == c).map(|b| 1 << b)
}

/// The l33t characters present in `chars`, as a bit set over [`L33T_CHARS`].
fn l33t_mask(chars: &[char]) -> u32 {
    chars.iter().filter_map(|&c| l33t_bit(c)).fold(0, |m, b| m | b)
}

/// [`l33t_tables`] of the l33t characters in `mask`, without building the tables. zxcvbn's
/// recursion goes letter by letter; for each relevant l33t character and each table so far it
/// makes one table, or two when the table already substitutes that character (for another
/// letter). Whether it does depends only on which characters a table substitutes, and only
/// `1`, `|` (i, l) and `7` (l, t) stand for two letters, so the tables are counted by which of
/// those three they substitute (8 states), in the same order, with the same duplicates.
fn l33t_tables_of(mask: u32) -> u64 {
    // The state bit of a character standing for two letters.
    let shared = |c: char| match c {
        '1' => 1,
        '|' => 2,
        '7' => 4,
        _ => 0,
    };
    let mut counts = [0u64; 8];
    counts[0] = 1;
    let mut any = false;
    for (_, l33ts) in L33T_TABLE {
        let mut next = [0u64; 8];
        let mut relevant = false;
        for &l33t in l33ts {
            if l33t_bit(l33t).is_none_or(|b| mask & b == 0) {
                continue;
            }
            relevant = true;
            let b = shared(l33t);
            for (state, &n) in counts.iter().enumerate() {
                if b == 0 {
                    // Substituted by this letter only: never in a table yet.
                    next[state] += n;
                } else if state & b != 0 {
                    // Already substituted: the table kept, and one with this letter instead.
                    next[state] += 2 * n;
                } else {
                    next[state | b] += n;
                }
            }
        }
        if relevant {
            any = true;
            counts = next;
        }
    }
    if any {
        counts.iter().sum()
    } else {
        0
    }
}

/// The cost of one zxcvbn call on `chars`, in substring dictionary passes (see [`WORK_BUDGET`]).
pub fn work(chars: &[char]) -> u64 {
    work_of(l33t_mask(chars), chars.len())
}

fn work_of(mask: u32, n: usize) -> u64 {
    let n = n as u64;
    l33t_tables_of(mask) * (n * (n + 1) / 2)
}

/// Whether one zxcvbn call on `chars` is cheap enough: within [`WORK_BUDGET`], or at most two
/// l33t tables (no more than the forward and reversed dictionary passes zxcvbn makes anyway, so
/// `@` × 100, `4@8(` × 25 or `p@ssw0rd` × 12 are always scored whole).
fn fits(chars: &[char]) -> bool {
    fits_of(l33t_mask(chars), chars.len())
}

/// [`fits`] of `n` characters holding the l33t characters of `mask`.
fn fits_of(mask: u32, n: usize) -> bool {
    l33t_tables_of(mask) <= 2 || work_of(mask, n) <= WORK_BUDGET
}

/// The pieces [`score`] scores: the whole input when it [`fits`], else consecutive segments that
/// each fit. A periodic run (`abcabcabc…`, which zxcvbn scores as *one* repeat match, `base`
/// guesses × copies) is cut only between whole copies, so each of its segments is itself a
/// repeat of the same base (or, when one copy is too costly, a piece of one copy); the rest is
/// cut greedily into the longest segments that fit (a single character always fits).
pub fn segments(scored: &str) -> Vec<String> {
    let chars: Vec<char> = scored.chars().collect();
    let mut out = Vec::new();
    split(&chars, &mut out);
    out.into_iter().map(|s| s.iter().collect()).collect()
}

fn split<'a>(chars: &'a [char], out: &mut Vec<&'a [char]>) {
    if chars.is_empty() {
        return;
    }
    if fits(chars) {
        out.push(chars);
        return;
    }
    if let Some((start, period, copies)) = longest_run(chars) {
        let end = start + period * copies;
        split(&chars[..start], out);
        let base = &chars[start..start + period];
        if fits(base) {
            let mut per = 1;
            while per < copies && fits(&chars[start..start + period * (per + 1)]) {
                per += 1;
            }
            let mut at = start;
            while at < end {
                let to = (at + period * per).min(end);
                out.push(&chars[at..to]);
                at = to;
            }
        } else {
            // Every copy would be cut the same way and score the same: one is enough.
            greedy(base, out);
        }
        split(&chars[end..], out);
        return;
    }
    greedy(chars, out);
}

fn greedy<'a>(chars: &'a [char], out: &mut Vec<&'a [char]>) {
    let mut start = 0;
    while start < chars.len() {
        let mut end = start + 1;
        // `fits(&chars[start..=end])`, its l33t characters accumulated as the segment grows.
        let mut mask = l33t_mask(&chars[start..end]);
        while end < chars.len() && fits_of(mask | l33t_mask(&chars[end..=end]), end + 1 - start) {
            mask |= l33t_mask(&chars[end..=end]);
            end += 1;
        }
        out.push(&chars[start..end]);
        start = end;
    }
}

/// The longest periodic run of at least two whole copies and 8 characters, as
/// (start, period, copies); the shortest period wins a tie.
fn longest_run(chars: &[char]) -> Option<(usize, usize, usize)> {
    let n = chars.len();
    let mut best: Option<(usize, usize, usize)> = None;
    for period in 1..=n / 2 {
        let mut i = 0;
        while i + period < n {
            let mut m = 0;
            while i + m + period < n && chars[i + m] == chars[i + m + period] {
                m += 1;
            }
            let copies = (m + period) / period;
            let covered = copies * period;
            if copies >= 2 && covered >= 8 && best.is_none_or(|(_, p, c)| covered > p * c) {
                best = Some((i, period, copies));
            }
            i += m.max(1);
        }
    }
    best
}

fn crack_seconds(t: zxcvbn::time_estimates::CrackTimeSeconds) -> f64 {
    match t {
        zxcvbn::time_estimates::CrackTimeSeconds::Integer(i) => i as f64,
        zxcvbn::time_estimates::CrackTimeSeconds::Float(f) => f,
    }
}

fn warning_id(w: zxcvbn::feedback::Warning) -> &'static str {
    use zxcvbn::feedback::Warning as W;
    match w {
        W::StraightRowsOfKeysAreEasyToGuess => "straightRow",
        W::ShortKeyboardPatternsAreEasyToGuess => "keyPattern",
        W::RepeatsLikeAaaAreEasyToGuess => "simpleRepeat",
        W::RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess => "extendedRepeat",
        W::ThisIsATop10Password => "topTen",
        W::ThisIsATop100Password => "topHundred",
        W::ThisIsACommonPassword => "common",
        W::ThisIsSimilarToACommonlyUsedPassword => "similarToCommon",
        W::AWordByItselfIsEasyToGuess => "wordByItself",
        W::NamesAndSurnamesByThemselvesAreEasyToGuess => "namesByThemselves",
        W::CommonNamesAndSurnamesAreEasyToGuess => "commonNames",
        W::SequencesLikeAbcAreEasyToGuess => "sequences",
        W::RecentYearsAreEasyToGuess => "recentYears",
        W::DatesAreOftenEasyToGuess => "dates",
    }
}

fn suggestion_id(s: zxcvbn::feedback::Suggestion) -> &'static str {
    use zxcvbn::feedback::Suggestion as S;
    match s {
        S::UseAFewWordsAvoidCommonPhrases => "useWords",
        S::NoNeedForSymbolsDigitsOrUppercaseLetters => "noNeedSymbols",
        S::AddAnotherWordOrTwo => "addWord",
        S::CapitalizationDoesntHelpVeryMuch => "capitalization",
        S::AllUppercaseIsAlmostAsEasyToGuessAsAllLowercase => "allUppercase",
        S::ReversedWordsArentMuchHarderToGuess => "reversedWords",
        S::PredictableSubstitutionsDontHelpVeryMuch => "substitutions",
        S::UseALongerKeyboardPatternWithMoreTurns => "longerKeyboardPattern",
        S::AvoidRepeatedWordsAndCharacters => "avoidRepeats",
        S::AvoidSequences => "avoidSequences",
        S::AvoidRecentYears => "avoidRecentYears",
        S::AvoidYearsThatAreAssociatedWithYou => "avoidYears",
        S::AvoidDatesAndYearsThatAreAssociatedWithYou => "avoidDates",
    }
}

#[cfg(test)]
mod tests;

/// The determinism check's golden lines (issue 13), shared by the native test
/// (`tests/determinism.rs`) and the WASM one (`crm-guard-wasm/tests/wasm.rs`), which compare
/// them with `tests/golden/corpus-1000.tsv`.
#[doc(hidden)]
pub mod golden {
    /// The golden file, as committed.
    pub const FILE: &str = include_str!("../tests/golden/corpus-1000.tsv");
    /// The reference year of the golden files (scores do not change on 1 January).
    pub const YEAR: i32 = 2026;
    /// Context the extension passes as user inputs on a CRM page (CRM name, org, user).
    pub const INPUTS: [&str; 3] = ["salesforce", "acme", "john.smith@acme.com"];

    /// Two lines per password (without, then with [`INPUTS`]): everything the extension shows.
    /// guesses_log10 to 9 decimals (log10 may differ in the last bit between libm versions).
    pub fn lines(passwords: &[String]) -> Vec<String> {
        passwords
            .iter()
            .enumerate()
            .flat_map(|(i, pw)| {
                [&[][..], &INPUTS[..]].map(|inputs| {
                    let s = super::score_in_year(pw, inputs, YEAR);
                    format!(
                        "{i}\t{}\t{}\t{:.9}\t{:e}\t{}\t{}",
                        inputs.len(),
                        s.score,
                        s.guesses_log10,
                        s.crack_seconds,
                        s.warning.unwrap_or("-"),
                        s.suggestions.join(",")
                    )
                })
            })
            .collect()
    }
}
