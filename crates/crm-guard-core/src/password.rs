//! Password policy decisions, password-field classification and the parameters of the
//! password fingerprint used for reuse and phishing checks.
//!
//! - [`judge`]: is a new CRM password acceptable under [`PasswordPolicy`], what does the meter
//!   show, must the submit be blocked. The strength comes from `crm-guard-score` (zxcvbn), which
//!   the core must not depend on (zxcvbn pulls wasm-bindgen on wasm32): the binding passes its
//!   result as a [`StrengthInput`].
//! - [`field::classify`]: is a password field a new password, the current one, or a login?
//! - [`fingerprint`]: PBKDF2 parameters, truncation and comparison of password fingerprints
//!   (the KDF itself runs in the browser through WebCrypto); see `docs/password-fingerprint.md`.
//! - [`breach`]: the k-anonymity range check against breached passwords (SHA-1 prefix, local
//!   match, cache) and its cap on the judgement; see `docs/password-guard.md`.

pub mod breach;
pub mod context;
pub mod field;
pub mod fingerprint;

use serde::{Deserialize, Serialize};

pub use context::{login_outcome, phishing_alert, user_inputs, LoginOutcome, PendingLogin};
pub use field::{classify, FieldInfo, FieldKind};
pub use fingerprint::{
    phishing_match, reuse_findings, truncate, upsert, CheckLimiter, StoredFingerprint, FINGERPRINT_BITS,
    FINGERPRINT_ITERATIONS,
};

/// Highest zxcvbn score.
pub const MAX_SCORE: u8 = 4;

/// How a crack time is said: the largest unit that fits (seconds per unit; a year is the
/// Gregorian mean, 365.2425 days). The CLI and the meter (through the generated protocol) use it.
pub const CRACK_TIME_UNITS: [(&str, f64); 7] = [
    ("centuries", 3_155_695_200.0),
    ("years", 31_556_952.0),
    ("months", 2_629_746.0),
    ("days", 86_400.0),
    ("hours", 3_600.0),
    ("minutes", 60.0),
    ("seconds", 1.0),
];

/// What happens to a password that does not meet the policy: the policy module's
/// [`PasswordMode`](crate::policy::PasswordMode) (`warn` | `block`), one type for both.
pub use crate::policy::PasswordMode as Mode;

/// The password rules for new CRM passwords (merged and range-checked by the policy module).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PasswordPolicy {
    /// Minimum length in Unicode scalar values.
    pub min_length: u32,
    /// Minimum zxcvbn score, 0–4 (higher values count as 4).
    pub min_score: u8,
    pub mode: Mode,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy { min_length: 12, min_score: 3, mode: Mode::Warn }
    }
}

impl PasswordPolicy {
    /// The password rules of the settings in force.
    pub fn from_settings(s: &crate::policy::Settings) -> Self {
        PasswordPolicy {
            min_length: s.password_min_length,
            min_score: s.password_min_score,
            mode: s.password_mode,
        }
    }
}

/// The strength of one password as the scorer reported it, without the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StrengthInput {
    /// zxcvbn score 0–4; `None` when the scorer is unavailable (WASM not loaded, panicked,
    /// timed out). An unavailable score is never "strong".
    pub score: Option<u8>,
    /// Length in Unicode scalar values (`[...password].length` in JS).
    pub length_chars: u32,
}

/// Why a password is not acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase", tag = "type")]
pub enum Reason {
    /// Shorter than `min` characters.
    TooShort { min: u32 },
    /// Scored below `min_score`.
    TooWeak { min_score: u8 },
    /// The strength could not be measured.
    Unavailable,
    /// Seen `count` times in known breaches ([`breach`]).
    Breached { count: u32 },
}

impl Reason {
    /// Stable id; message key `password_reason_<id>`.
    pub fn id(self) -> &'static str {
        match self {
            Reason::TooShort { .. } => "tooShort",
            Reason::TooWeak { .. } => "tooWeak",
            Reason::Unavailable => "unavailable",
            Reason::Breached { .. } => "breached",
        }
    }
}

/// The decision on one password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Judgement {
    pub acceptable: bool,
    /// Empty exactly when acceptable.
    pub reasons: Vec<Reason>,
    /// `Mode::Block` and not acceptable.
    pub block_submit: bool,
    /// Meter segments to fill, 0–4. A too-short password shows at most 1, an unavailable
    /// score 0: the meter never looks green for a password the policy rejects.
    pub meter_level: u8,
    /// Label id; message key `password_label_<id>`: `empty`, `veryWeak`, `weak`, `fair`,
    /// `good`, `strong`, `unavailable`.
    pub label: &'static str,
}

/// Judges a password's strength against the policy.
pub fn judge(policy: &PasswordPolicy, strength: &StrengthInput) -> Judgement {
    let min_score = policy.min_score.min(MAX_SCORE);
    let mut reasons = Vec::new();
    let too_short = strength.length_chars < policy.min_length;
    if too_short {
        reasons.push(Reason::TooShort { min: policy.min_length });
    }
    let (meter_level, label) = match strength.score {
        None => {
            reasons.push(Reason::Unavailable);
            (0, "unavailable")
        }
        Some(score) => {
            let score = score.min(MAX_SCORE);
            if score < min_score {
                reasons.push(Reason::TooWeak { min_score });
            }
            let level = if too_short { score.min(1) } else { score };
            let label = if strength.length_chars == 0 {
                "empty"
            } else {
                ["veryWeak", "weak", "fair", "good", "strong"][usize::from(level)]
            };
            (level, label)
        }
    };
    let acceptable = reasons.is_empty();
    Judgement {
        acceptable,
        block_submit: !acceptable && policy.mode == Mode::Block,
        reasons,
        meter_level,
        label,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(score: Option<u8>, len: u32) -> StrengthInput {
        StrengthInput { score, length_chars: len }
    }

    #[test]
    #[allow(clippy::type_complexity)] // a table of rows reads better inline
    fn judge_table() {
        let warn = PasswordPolicy::default();
        let block = PasswordPolicy { mode: Mode::Block, ..PasswordPolicy::default() };
        let tw = Reason::TooWeak { min_score: 3 };
        let ts = Reason::TooShort { min: 12 };
        // (policy, strength, acceptable, reasons, block_submit, meter, label)
        let rows: Vec<(&PasswordPolicy, StrengthInput, bool, Vec<Reason>, bool, u8, &str)> = vec![
            (&warn, s(Some(4), 20), true, vec![], false, 4, "strong"),
            (&warn, s(Some(3), 12), true, vec![], false, 3, "good"),
            (&block, s(Some(3), 12), true, vec![], false, 3, "good"),
            (&warn, s(Some(2), 16), false, vec![tw], false, 2, "fair"),
            (&block, s(Some(2), 16), false, vec![tw], true, 2, "fair"),
            (&warn, s(Some(4), 11), false, vec![ts], false, 1, "weak"),
            (&block, s(Some(0), 4), false, vec![ts, tw], true, 0, "veryWeak"),
            (&block, s(Some(0), 0), false, vec![ts, tw], true, 0, "empty"),
            (&warn, s(None, 30), false, vec![Reason::Unavailable], false, 0, "unavailable"),
            (&block, s(None, 30), false, vec![Reason::Unavailable], true, 0, "unavailable"),
            (&block, s(None, 3), false, vec![ts, Reason::Unavailable], true, 0, "unavailable"),
            (&warn, s(Some(200), 20), true, vec![], false, 4, "strong"), // out-of-range score
        ];
        for (policy, strength, acceptable, reasons, block_submit, meter, label) in rows {
            let j = judge(policy, &strength);
            assert_eq!(j.acceptable, acceptable, "{strength:?} {policy:?}");
            assert_eq!(j.reasons, reasons, "{strength:?}");
            assert_eq!(j.block_submit, block_submit, "{strength:?}");
            assert_eq!(j.meter_level, meter, "{strength:?}");
            assert_eq!(j.label, label, "{strength:?}");
        }
    }

    #[test]
    fn out_of_range_policy_is_guarded() {
        let p = PasswordPolicy { min_length: 0, min_score: 9, mode: Mode::Block };
        let j = judge(&p, &s(Some(4), 1));
        assert!(j.acceptable, "min_score above 4 means 4, not 'nothing passes'");
        let j = judge(&p, &s(Some(3), 1));
        assert_eq!(j.reasons, vec![Reason::TooWeak { min_score: 4 }]);
    }

    #[test]
    fn policy_from_settings_uses_the_policy_enum() {
        let mut settings = crate::policy::Settings::default();
        assert_eq!(PasswordPolicy::from_settings(&settings), PasswordPolicy::default());
        settings.password_mode = crate::policy::PasswordMode::Block;
        settings.password_min_length = 16;
        let p = PasswordPolicy::from_settings(&settings);
        assert_eq!(p, PasswordPolicy { min_length: 16, min_score: 3, mode: Mode::Block });
        assert_eq!(serde_json::to_value(p.mode).expect("json"), "block");
    }

    #[test]
    fn serde_shapes() {
        let p: PasswordPolicy = serde_json::from_str(r#"{"mode":"block"}"#).expect("policy");
        assert_eq!(p, PasswordPolicy { mode: Mode::Block, ..PasswordPolicy::default() });
        let j = serde_json::to_value(judge(&p, &s(Some(1), 5))).expect("judgement");
        assert_eq!(j["blockSubmit"], true);
        assert_eq!(j["meterLevel"], 1);
        assert_eq!(j["reasons"][0], serde_json::json!({"type": "tooShort", "min": 12}));
        assert_eq!(j["reasons"][1], serde_json::json!({"type": "tooWeak", "minScore": 3}));
        assert_eq!(Reason::Unavailable.id(), "unavailable");
        let input: StrengthInput = serde_json::from_str(r#"{"score":null,"lengthChars":9}"#).expect("input");
        assert_eq!(input, s(None, 9));
    }
}
