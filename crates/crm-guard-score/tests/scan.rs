//! The vendored zxcvbn's hand-written scanners (`vendor/zxcvbn/src/matching/scan.rs`) answer
//! exactly what the regexes of zxcvbn 3.1.1 they replace answered: the old code is replayed
//! here with `regex` and `fancy-regex` on tricky and random inputs.

use zxcvbn::matching::scan;

#[path = "support/random.rs"]
mod random;

fn strings(alphabet: &str, count: usize, max_len: u64, seed: u64) -> Vec<String> {
    random::strings(alphabet, count, 0..max_len, seed)
}

/// zxcvbn 3.1.1's `RepeatMatch` step on `token`: (start, end inclusive, base token, run), chars.
fn old_repeat(token: &str) -> Option<(usize, usize, String, String)> {
    let greedy = fancy_regex::Regex::new(r"(.+)\1+").expect("regex");
    let lazy = fancy_regex::Regex::new(r"(.+?)\1+").expect("regex");
    let lazy_anchored = fancy_regex::Regex::new(r"^(.+?)\1+$").expect("regex");
    let g = greedy.captures(token).expect("no backtrack limit")?;
    let l = lazy.captures(token).expect("no backtrack limit").expect("lazy finds what greedy finds");
    let count = |s: &str| s.chars().count();
    let (m, base) = if count(&g[0]) > count(&l[0]) {
        let base = lazy_anchored.captures(&g[0]).expect("limit").expect("periodic")[1].to_string();
        (g.get(0).expect("group 0"), base)
    } else {
        (l.get(0).expect("group 0"), l[1].to_string())
    };
    let i = count(&token[..m.start()]);
    let j = count(&token[..m.end()]) - 1;
    Some((i, j, base, m.as_str().to_string()))
}

fn new_repeat(token: &str) -> Option<(usize, usize, String, String)> {
    let chars: Vec<char> = token.chars().collect();
    let r = scan::repeat(&chars)?;
    assert_eq!(r.len % r.base_len, 0, "{token:?}");
    Some((
        r.start,
        r.start + r.len - 1,
        chars[r.start..r.start + r.base_len].iter().collect(),
        chars[r.start..r.start + r.len].iter().collect(),
    ))
}

#[test]
fn repeat_scan_matches_the_backreference_regexes() {
    let tricky = [
        "",
        "a",
        "aa",
        "aaa",
        "aaaaa",
        "aabaab",
        "aabaabaabaab",
        "abcabcabc",
        "abcabcab",
        "aaabaaab",
        "abaabaab",
        "xyzxyzx",
        "12121212",
        "1212121",
        "abab\nabab",
        "a\na\n",
        "\n\n\n",
        "a\n\na",
        "ééé",
        "aé aé ",
        "𝄞𝄞𝄞",
        "x𝄞é𝄞éy",
        "batman batman",
        "qwertyqwerty!",
        "abcdabcdabcdab",
        "aaaabaaaab",
        "abababa",
        "aab aab aab",
        "zzzzzzzzzzzzzzzzzzzz",
        "p@ssp@ss1p@ssp@ss1",
    ];
    for t in tricky {
        assert_eq!(new_repeat(t), old_repeat(t), "{t:?}");
    }
    for (alphabet, seed) in [("ab", 1), ("ab\n", 2), ("aé\n1", 3), ("abc", 4), ("a𝄞 ", 5)] {
        for t in strings(alphabet, 3_000, 40, seed) {
            assert_eq!(new_repeat(&t), old_repeat(&t), "{t:?}");
        }
    }
}

#[test]
fn recent_year_scan_matches_the_regex() {
    let re = regex::Regex::new(r"19[0-9]{2}|20[0-9]{2}").expect("regex");
    let mut inputs: Vec<String> =
        ["", "1990", "19901", "199019", "2019201", "20202020", "1920x2049", "é2001é", "١٩٩٠", "19٩٠"]
            .iter()
            .map(|s| s.to_string())
            .collect();
    inputs.extend(strings("1290é٣x", 5_000, 20, 6));
    for t in &inputs {
        let old: Vec<_> = re.find_iter(t).map(|m| m.range()).collect();
        assert_eq!(scan::recent_years(t), old, "{t:?}");
    }
}

#[test]
fn date_scans_match_the_regexes() {
    let no_sep = regex::Regex::new(r"^[0-9]{4,8}$").expect("regex");
    let with_sep =
        regex::Regex::new(r"^([0-9]{1,4})([\s/\\_.-])([0-9]{1,2})([\s/\\_.-])([0-9]{1,4})$").expect("regex");
    let mut inputs: Vec<String> = [
        "1191",
        "11111991",
        "111111991",
        "119",
        "1/1/91",
        "11/11/1991",
        "1991-1-1",
        "1.1.1",
        "1 1 1",
        "1\t1\t91",
        "1\u{a0}1\u{3000}91",
        "1\u{85}12\u{2003}1999",
        "1\u{200b}1\u{200b}1",
        "12345/12/1234",
        "1/123/1",
        "1//1",
        "/1/1",
        "1/1/",
        "١/١/١٩٩٠",
        "1_1\\1",
        "1-1.1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    inputs.extend(strings("0123456789/-\\_. \t\n\u{a0}\u{3000}\u{200b}a٣", 20_000, 12, 7));
    for t in &inputs {
        assert_eq!(scan::is_date_without_separator(t), no_sep.is_match(t), "{t:?}");
        let old = with_sep
            .captures(t)
            .map(|c| [1, 2, 3, 4, 5].map(|k| c.get(k).expect("group").as_str().to_string()));
        let new = scan::date_with_separators(t).map(|g| g.map(str::to_string));
        assert_eq!(new, old, "{t:?}");
    }
}

/// `\s` is Unicode `White_Space`: every char, as a separator, is accepted by both or neither.
#[test]
fn date_separator_class_matches_the_regex_for_every_char() {
    let re = regex::Regex::new(r"^[\s/\\_.-]$").expect("regex");
    for c in (0..=0x10FFFF).filter_map(char::from_u32) {
        let token = format!("1{c}2{c}3");
        let old = re.is_match(&c.to_string());
        assert_eq!(scan::date_with_separators(&token).is_some(), old, "{:?}", c);
    }
}
