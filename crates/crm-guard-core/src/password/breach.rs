//! Breached passwords through the k-anonymity range protocol (as `api.pwnedpasswords.com/range/`):
//! the SHA-1 of the password is split into a 5-hex-digit prefix, the only part that leaves the
//! browser (`GET <breachCheckUrl><PREFIX>`), and the 35-digit rest, matched locally against the
//! `SUFFIX:COUNT` lines of the answer. The service learns one bucket among 16^5 (the public
//! one holds ~800 breached hashes per bucket, and any password falls in some bucket), nothing
//! that singles out the password.
//!
//! Pure: the hash, the URL, the parsing, the judgement's cap and the cache of range answers
//! (time injected). The request itself is the engine's (`crm-guard-engine`, `password.rs`).
//! See docs/password-guard.md, "Breached passwords", for why a password is checked only once the
//! user has settled on it (never per keystroke).

use std::collections::VecDeque;

use serde::Serialize;
use sha1::{Digest, Sha1};

use super::{Judgement, PasswordPolicy, Reason, StrengthInput};

/// Hex digits of the hash that leave the browser.
pub const PREFIX_LEN: usize = 5;
/// Hex digits of the rest of a SHA-1 (40 − 5).
pub const SUFFIX_LEN: usize = 35;
/// The largest range answer read (bytes). A padded answer of the public service is ~800–1,000
/// lines of 36–42 bytes (≈ 40 KB); anything larger is refused as "could not check".
pub const MAX_RANGE_BYTES: usize = 256 * 1024;
/// Lines of one range answer at most (the public service's largest buckets hold ~2,000).
pub const MAX_RANGE_LINES: usize = 8_192;
/// The request header that asks for padding lines (count 0) so the answer's size does not tell
/// an observer of the encrypted traffic how many hashes the bucket holds.
pub const PADDING_HEADER: (&str, &str) = ("Add-Padding", "true");
/// Range answers kept, and for how long: public data, per (URL, prefix).
pub const CACHE_ENTRIES: usize = 16;
pub const CACHE_TTL_MS: u64 = 15 * 60 * 1000;

/// The 35 hex digits after the prefix, packed two per byte (the last half byte is 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Suffix([u8; 18]);

impl Suffix {
    /// From 35 hex digits (either case); `None` otherwise.
    pub fn parse(hex: &str) -> Option<Suffix> {
        if hex.len() != SUFFIX_LEN {
            return None;
        }
        let mut out = [0u8; 18];
        for (i, c) in hex.bytes().enumerate() {
            let v = (c as char).to_digit(16)? as u8;
            out[i / 2] |= if i % 2 == 0 { v << 4 } else { v };
        }
        Some(Suffix(out))
    }
}

/// What one password's check sends and matches: the prefix (sent) and the suffix (kept in memory
/// for the match only; never stored, logged or sent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeKey {
    /// 5 upper-case hex digits.
    pub prefix: String,
    pub suffix: Suffix,
}

/// Splits SHA-1(`password`, UTF-8) into the prefix that is sent and the suffix matched locally.
pub fn range_key(password: &str) -> RangeKey {
    let digest = Sha1::digest(password.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02X}")).collect();
    let suffix = Suffix::parse(&hex[PREFIX_LEN..]).unwrap_or(Suffix([0; 18]));
    RangeKey { prefix: hex[..PREFIX_LEN].to_owned(), suffix }
}

/// The URL of one range: IT's URL with the prefix appended (`https://…/range/` + `ABCDE`).
pub fn range_url(base: &str, prefix: &str) -> String {
    format!("{base}{prefix}")
}

/// One range answer: the suffixes seen in breaches with their counts (padding lines dropped),
/// sorted for a binary search.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Range {
    entries: Vec<(Suffix, u32)>,
}

impl Range {
    /// How often the suffix was seen in breaches; `None` when never.
    pub fn count(&self, suffix: &Suffix) -> Option<u32> {
        self.entries.binary_search_by(|(s, _)| s.cmp(suffix)).ok().map(|i| self.entries[i].1)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Why a range answer was not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum RangeError {
    /// No line at all (an empty answer is not a range: a stalled body read yields one).
    Empty,
    /// A line that is not `35 hex digits:decimal count`.
    Malformed,
    /// More than [`MAX_RANGE_BYTES`] or [`MAX_RANGE_LINES`].
    TooLarge,
}

/// Parses `SUFFIX:COUNT` lines (CRLF or LF; blank lines ignored). Lines with count 0 are the
/// padding the service adds on request: dropped. Any malformed line refuses the whole answer
/// (an HTML error page served with status 200 is not a range).
pub fn parse_range(body: &str) -> Result<Range, RangeError> {
    if body.len() > MAX_RANGE_BYTES {
        return Err(RangeError::TooLarge);
    }
    let mut entries = Vec::new();
    let mut lines = 0usize;
    for line in body.split('\n') {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        lines += 1;
        if lines > MAX_RANGE_LINES {
            return Err(RangeError::TooLarge);
        }
        let (hex, count) = line.split_once(':').ok_or(RangeError::Malformed)?;
        let suffix = Suffix::parse(hex).ok_or(RangeError::Malformed)?;
        if count.is_empty() || !count.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RangeError::Malformed);
        }
        // Counts beyond u32 are saturated (the largest known is ~50 million).
        let count = count.parse::<u64>().map_or(u32::MAX, |c| u32::try_from(c).unwrap_or(u32::MAX));
        if count > 0 {
            entries.push((suffix, count));
        }
    }
    if lines == 0 {
        return Err(RangeError::Empty);
    }
    entries.sort_unstable();
    entries.dedup_by(|a, b| a.0 == b.0);
    Ok(Range { entries })
}

/// Why a check could not be made (the meter says "could not check"; never a block).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Unchecked {
    TimedOut,
    /// Offline, refused, reset, TLS or CORS failure.
    Failed,
    /// An HTTP status other than 200.
    Status,
    Empty,
    Malformed,
    TooLarge,
}

impl From<RangeError> for Unchecked {
    fn from(e: RangeError) -> Self {
        match e {
            RangeError::Empty => Unchecked::Empty,
            RangeError::Malformed => Unchecked::Malformed,
            RangeError::TooLarge => Unchecked::TooLarge,
        }
    }
}

/// What the meter shows about breaches for one password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase", tag = "state")]
pub enum Breach {
    /// Policy has no `breachCheckUrl`.
    Off,
    /// Not checked yet: the value is still being typed (checked once committed).
    Pending,
    /// Not in the range.
    Clean,
    /// Seen `count` times in known breaches.
    Breached { count: u32 },
    /// Could not check: judged on strength alone.
    Unchecked { why: Unchecked },
}

impl Breach {
    /// The result of looking `key` up in a range answer.
    pub fn of(range: &Range, key: &RangeKey) -> Breach {
        match range.count(&key.suffix) {
            Some(count) => Breach::Breached { count },
            None => Breach::Clean,
        }
    }
}

/// [`super::judge`], with a breached password capped at score 0 ("very weak") and refused for
/// that reason whatever the policy's minimum score; any other breach state leaves the judgement
/// to strength alone (an outage never blocks).
pub fn judge(policy: &PasswordPolicy, strength: &StrengthInput, breach: &Breach) -> Judgement {
    let Breach::Breached { count } = *breach else { return super::judge(policy, strength) };
    let capped = StrengthInput { score: Some(0), length_chars: strength.length_chars };
    let mut j = super::judge(policy, &capped);
    j.reasons.push(Reason::Breached { count });
    j.acceptable = false;
    j.block_submit = policy.mode == super::Mode::Block;
    j
}

/// Range answers by (URL, prefix), at most [`CACHE_ENTRIES`], each for [`CACHE_TTL_MS`]. Holds
/// public data only: never a password, a suffix looked up or a full hash.
#[derive(Debug, Default)]
pub struct RangeCache {
    entries: VecDeque<(String, u64, Range)>,
}

impl RangeCache {
    /// The answer for `url` fetched less than the TTL before `now_ms`.
    pub fn get(&mut self, url: &str, now_ms: u64) -> Option<&Range> {
        self.entries.retain(|(_, at, _)| now_ms.saturating_sub(*at) < CACHE_TTL_MS && *at <= now_ms);
        self.entries.iter().find(|(u, _, _)| u == url).map(|(_, _, r)| r)
    }

    /// Keeps `range` for `url`, dropping the oldest answer beyond [`CACHE_ENTRIES`].
    pub fn put(&mut self, url: String, now_ms: u64, range: Range) {
        self.entries.retain(|(u, _, _)| *u != url);
        self.entries.push_back((url, now_ms, range));
        while self.entries.len() > CACHE_ENTRIES {
            self.entries.pop_front();
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::password::Mode;

    #[test]
    fn the_key_is_sha1_split_after_five_upper_case_hex_digits() {
        // SHA-1("password") = 5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8 (the service's own example).
        let k = range_key("password");
        assert_eq!(k.prefix, "5BAA6");
        assert_eq!(Some(k.suffix), Suffix::parse("1E4C9B93F3F0682250B6CF8331B7EE68FD8"));
        assert_eq!(Some(k.suffix), Suffix::parse("1e4c9b93f3f0682250b6cf8331b7ee68fd8"), "either case");
        // The UTF-8 bytes are hashed (as the service's own clients do).
        let k8 = range_key("pässwörd");
        assert_eq!(k8.prefix, "F517D");
        assert_eq!(Some(k8.suffix), Suffix::parse("DF1D32A112FF1AD55C66D1B12CB38E7E8F7"));
        assert_eq!(
            range_url("https://api.pwnedpasswords.com/range/", &k.prefix),
            "https://api.pwnedpasswords.com/range/5BAA6"
        );
    }

    #[test]
    fn a_range_is_matched_locally_and_padding_lines_are_ignored() {
        let k = range_key("password");
        let body = "0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n\
                    1E4C9B93F3F0682250B6CF8331B7EE68FD8:9659365\r\n\
                    011053FD0102E94D6AE2F8B83D76FAF94F6:0\r\n";
        let r = parse_range(body).expect("range");
        assert_eq!(r.len(), 2, "the padding line is dropped");
        assert_eq!(Breach::of(&r, &k), Breach::Breached { count: 9_659_365 });
        // The same suffix as a padding line only: clean.
        let padded = "1E4C9B93F3F0682250B6CF8331B7EE68FD8:0\n0018A45C4D1DEF81644B54AB7F969B88D65:3";
        assert_eq!(Breach::of(&parse_range(padded).expect("range"), &k), Breach::Clean);
    }

    #[test]
    fn what_is_not_a_range_is_refused() {
        assert_eq!(parse_range(""), Err(RangeError::Empty));
        assert_eq!(parse_range("\r\n\n"), Err(RangeError::Empty));
        assert_eq!(parse_range("<html>Service unavailable</html>"), Err(RangeError::Malformed));
        assert_eq!(parse_range("1E4C9B93F3F0682250B6CF8331B7EE68FD8:x"), Err(RangeError::Malformed));
        assert_eq!(parse_range("1E4C9B93F3F0682250B6CF8331B7EE68FD:1"), Err(RangeError::Malformed));
        assert_eq!(parse_range("1E4C9B93F3F0682250B6CF8331B7EE68FDZ:1"), Err(RangeError::Malformed));
        assert_eq!(parse_range("1E4C9B93F3F0682250B6CF8331B7EE68FD8:-1"), Err(RangeError::Malformed));
        let line = "0018A45C4D1DEF81644B54AB7F969B88D65:1\n";
        assert_eq!(parse_range(&line.repeat(MAX_RANGE_LINES + 1)), Err(RangeError::TooLarge));
        assert_eq!(parse_range(&"\n".repeat(MAX_RANGE_BYTES + 1)), Err(RangeError::TooLarge));
        // A huge count saturates rather than failing the answer.
        let r = parse_range("1E4C9B93F3F0682250B6CF8331B7EE68FD8:99999999999999999999999").expect("range");
        assert_eq!(Breach::of(&r, &range_key("password")), Breach::Breached { count: u32::MAX });
    }

    #[test]
    fn a_breached_password_is_very_weak_and_refused_in_block_mode_whatever_its_strength() {
        let block = PasswordPolicy { mode: Mode::Block, min_score: 0, ..PasswordPolicy::default() };
        let strong = StrengthInput { score: Some(4), length_chars: 20 };
        let j = judge(&block, &strong, &Breach::Breached { count: 3 });
        assert!(!j.acceptable && j.block_submit);
        assert_eq!((j.meter_level, j.label), (0, "veryWeak"));
        assert_eq!(j.reasons, vec![Reason::Breached { count: 3 }], "refused even with minScore 0");
        let warn = PasswordPolicy::default();
        let j = judge(&warn, &strong, &Breach::Breached { count: 3 });
        assert!(!j.acceptable && !j.block_submit, "warn mode warns");
        // Every other state: the strength alone decides (an outage never blocks).
        for b in [
            Breach::Off,
            Breach::Pending,
            Breach::Clean,
            Breach::Unchecked { why: Unchecked::TimedOut },
            Breach::Unchecked { why: Unchecked::Malformed },
        ] {
            assert_eq!(judge(&block, &strong, &b), super::super::judge(&block, &strong), "{b:?}");
        }
        assert_eq!(
            serde_json::to_value(Breach::Breached { count: 7 }).expect("json"),
            serde_json::json!({"state": "breached", "count": 7})
        );
        assert_eq!(
            serde_json::to_value(Breach::Unchecked { why: Unchecked::TimedOut }).expect("json"),
            serde_json::json!({"state": "unchecked", "why": "timedOut"})
        );
    }

    #[test]
    fn the_cache_is_bounded_and_expires() {
        let mut c = RangeCache::default();
        let r = parse_range("0018A45C4D1DEF81644B54AB7F969B88D65:1").expect("range");
        c.put("u/AAAAA".into(), 1_000, r.clone());
        assert!(c.get("u/AAAAA", 1_000 + CACHE_TTL_MS - 1).is_some());
        assert!(c.get("u/BBBBB", 1_000).is_none());
        assert!(c.get("u/AAAAA", 1_000 + CACHE_TTL_MS).is_none(), "expired");
        assert!(c.is_empty(), "an expired answer is dropped");
        c.put("u/AAAAA".into(), 5, r.clone());
        assert!(c.get("u/AAAAA", 4).is_none(), "a clock that went back expires it too");
        for i in 0..CACHE_ENTRIES + 3 {
            c.put(format!("u/{i:05}"), 10, r.clone());
        }
        assert_eq!(c.len(), CACHE_ENTRIES);
        assert!(c.get("u/00000", 10).is_none(), "the oldest went first");
        assert!(c.get(&format!("u/{:05}", CACHE_ENTRIES + 2), 10).is_some());
    }
}
