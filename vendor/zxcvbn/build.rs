//! Patched (CRM Guard): builds zxcvbn's frequency lists (`data/*.txt`, one word per line, most
//! frequent first: the rank is the line number) into finite-state transducers (word → rank) in
//! OUT_DIR, which `frequency_lists.rs` includes as static bytes and the matchers walk in place:
//! nothing is built or allocated when the scorer starts. See PATCHES.md.

use std::collections::BTreeMap;
use std::path::Path;

const LISTS: [&str; 6] = [
    "passwords",
    "english_wikipedia",
    "female_names",
    "male_names",
    "surnames",
    "us_tv_and_film",
];

fn main() {
    let out_dir = std::env::var("OUT_DIR").expect("OUT_DIR");
    println!("cargo:rerun-if-changed=build.rs");
    for name in LISTS {
        let path = format!("data/{name}.txt");
        println!("cargo:rerun-if-changed={path}");
        let text = std::fs::read_to_string(&path).expect("word list");
        // As the HashMap the lists used to be collected into: a word listed twice keeps the rank
        // of its last occurrence (the lists hold no duplicate today).
        let mut ranks = BTreeMap::new();
        for (i, word) in text.lines().enumerate() {
            assert!(!word.is_empty(), "{path}: empty line {}", i + 1);
            ranks.insert(word, (i + 1) as u64);
        }
        let map = fst::Map::from_iter(ranks).expect("sorted unique words");
        std::fs::write(Path::new(&out_dir).join(format!("{name}.fst")), map.as_fst().as_bytes())
            .expect("write fst");
    }
}
