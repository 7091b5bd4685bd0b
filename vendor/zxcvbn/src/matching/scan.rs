//! Patched (CRM Guard): hand-written scanners in place of zxcvbn 3.1.1's `regex` and
//! `fancy-regex` patterns (the two crates were most of the scorer's code size). Each function
//! answers exactly what the pattern it replaces answered; `crates/crm-guard-score/tests/scan.rs`
//! checks them against the regexes on tricky and random inputs.

/// A repeated run found by [`repeat`], in chars of the scanned text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repeat {
    /// First char of the run.
    pub start: usize,
    /// Length of the whole run (the regex's group 0), a multiple of `base_len`.
    pub len: usize,
    /// Length of the repeated unit (the base token).
    pub base_len: usize,
}

fn same(chars: &[char], a: usize, b: usize, len: usize) -> bool {
    chars[a..a + len] == chars[b..b + len]
}

/// How many copies of `chars[start..start + base]` follow it back to back (`\1+`, greedy).
fn copies_after(chars: &[char], start: usize, base: usize) -> usize {
    let mut k = 0;
    while start + base * (k + 2) <= chars.len() && same(chars, start, start + base * (k + 1), base) {
        k += 1;
    }
    k
}

/// zxcvbn's repeat search on `chars` (the rest of the password), as 3.1.1 did it with
/// `(.+)\1+` (greedy), `(.+?)\1+` (lazy) and `^(.+?)\1+$` (anchored lazy, on the greedy run):
/// the leftmost start where some unit is followed by a copy of itself; there the greedy run
/// (longest unit first) if it is longer than the lazy one (shortest unit first), its base being
/// its shortest period, else the lazy run and its unit. `.` does not match `\n`, so a unit never
/// holds one.
pub fn repeat(chars: &[char]) -> Option<Repeat> {
    let n = chars.len();
    for start in 0..n {
        // `.+` stops at a newline.
        let line_end = chars[start..]
            .iter()
            .position(|&c| c == '\n')
            .map_or(n, |p| start + p);
        let max_base = (line_end - start).min((n - start) / 2);
        // Lazy: the shortest unit followed by a copy of itself.
        let Some(lazy_base) = (1..=max_base).find(|&l| same(chars, start, start + l, l)) else {
            continue;
        };
        let lazy_len = lazy_base * (1 + copies_after(chars, start, lazy_base));
        // Greedy: the longest such unit (one exists: the lazy one).
        let greedy_base = (lazy_base..=max_base)
            .rev()
            .find(|&l| same(chars, start, start + l, l))
            .unwrap_or(lazy_base);
        let greedy_len = greedy_base * (1 + copies_after(chars, start, greedy_base));
        if greedy_len > lazy_len {
            // `^(.+?)\1+$` on the greedy run: its shortest period dividing its length.
            let run = &chars[start..start + greedy_len];
            let base_len = (1..=greedy_len / 2)
                .find(|&p| greedy_len % p == 0 && run.chunks(p).all(|c| c == &run[..p]))
                .unwrap_or(greedy_base);
            return Some(Repeat { start, len: greedy_len, base_len });
        }
        return Some(Repeat { start, len: lazy_len, base_len: lazy_base });
    }
    None
}

/// `19[0-9]{2}|20[0-9]{2}`, `find_iter` (leftmost, non-overlapping): byte ranges.
pub fn recent_years(password: &str) -> Vec<std::ops::Range<usize>> {
    let b = password.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 4 <= b.len() {
        if matches!(&b[i..i + 2], b"19" | b"20") && b[i + 2].is_ascii_digit() && b[i + 3].is_ascii_digit() {
            out.push(i..i + 4);
            i += 4;
        } else {
            i += 1;
        }
    }
    out
}

/// `^[0-9]{4,8}$`.
pub fn is_date_without_separator(token: &str) -> bool {
    (4..=8).contains(&token.len()) && token.bytes().all(|b| b.is_ascii_digit())
}

/// `[\s/\\_.-]`: `\s` is Unicode `White_Space`, as `char::is_whitespace`.
fn is_date_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '/' | '\\' | '_' | '.' | '-')
}

/// `^([0-9]{1,4})([\s/\\_.-])([0-9]{1,2})([\s/\\_.-])([0-9]{1,4})$`: the five groups.
pub fn date_with_separators(token: &str) -> Option<[&str; 5]> {
    fn digits(s: &str, from: usize, min: usize, max: usize) -> Option<usize> {
        let len = s.as_bytes()[from..].iter().take_while(|b| b.is_ascii_digit()).count();
        (min..=max).contains(&len).then_some(from + len)
    }
    fn separator(s: &str, from: usize) -> Option<usize> {
        let c = s[from..].chars().next()?;
        is_date_separator(c).then(|| from + c.len_utf8())
    }
    let a = digits(token, 0, 1, 4)?;
    let b = separator(token, a)?;
    let c = digits(token, b, 1, 2)?;
    let d = separator(token, c)?;
    let e = digits(token, d, 1, 4)?;
    (e == token.len()).then(|| [&token[..a], &token[a..b], &token[b..c], &token[c..d], &token[d..e]])
}
