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

/// Scores a password. `user_inputs` are words an attacker would try first (CRM name, org,
/// e-mail). Never panics, whatever the input.
pub fn score(password: &str, user_inputs: &[&str]) -> Strength {
    let length = password.chars().count();
    if password.is_empty() {
        return Strength {
            score: 0,
            guesses_log10: 0.0,
            crack_seconds: 0.0,
            warning: None,
            suggestions: vec![],
            length,
        };
    }
    let scored: String = password.chars().take(MAX_SCORED_CHARS).collect();
    let entropy = zxcvbn::zxcvbn(&scored, user_inputs);
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
mod tests {
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
}
