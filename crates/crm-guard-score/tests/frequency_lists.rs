//! The vendored zxcvbn's frequency lists, as compiled into the scorer (front-coded sorted words
//! and bit-packed ranks, `vendor/zxcvbn/build.rs`) and searched in place: every word of
//! `vendor/zxcvbn/data/*.txt` is found with its rank (its line number), every prefix of a word is
//! walked through and has a rank exactly when it is a word itself, and a byte that no word
//! continues with (spaces, control and non-ASCII bytes included) ends the walk.

use std::collections::{HashMap, HashSet};

use zxcvbn::walk_frequency_list;

const LISTS: [&str; 6] =
    ["passwords", "english_wikipedia", "female_names", "male_names", "surnames", "us_tv_and_film"];

#[test]
fn every_word_is_found_with_its_rank_and_nothing_else_is() {
    for file in LISTS {
        let path = format!("{}/../../vendor/zxcvbn/data/{file}.txt", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(path).expect("word list");
        let ranks: HashMap<&str, u64> = text.lines().zip(1..).collect();
        let prefixes: HashSet<&str> = ranks.keys().flat_map(|w| (1..=w.len()).map(|n| &w[..n])).collect();
        for word in ranks.keys() {
            let walked = walk_frequency_list(file, word.as_bytes()).expect("a word is walked through");
            let expected: Vec<Option<u64>> =
                (1..=word.len()).map(|n| ranks.get(&word[..n]).copied()).collect();
            assert_eq!(walked, expected, "{file}: {word}");
            for b in
                [0u8, b'\t', b' ', b'!', b'0', b'9', b'A', b'a', b'e', b'z', b'~', 0x7f, 0x80, 0xe9, 0xff]
            {
                let mut longer = word.as_bytes().to_vec();
                longer.push(b);
                let last = walk_frequency_list(file, &longer).map(|r| r[word.len()]);
                let as_str = std::str::from_utf8(&longer).ok();
                let expected = as_str.filter(|s| prefixes.contains(s)).map(|s| ranks.get(s).copied());
                assert_eq!(last, expected, "{file}: {word} + byte {b:#x}");
            }
        }
        assert_eq!(walk_frequency_list(file, b""), Some(vec![]));
    }
}
