//! Compiles the Public Suffix List (`data/public_suffix_list.dat`) into a finite-state transducer
//! in OUT_DIR that `src/suffix.rs` includes as static bytes and walks in place: nothing is parsed,
//! built or allocated at start-up.
//!
//! Keys are the rules' labels reversed and joined by `.` (`uk.co` for `co.uk`); the value says
//! what the key is (flags below). A wildcard rule `*.ck` sets `WILDCARD` on `ck`, an exception
//! `!www.ck` is the key `ck.www` with `EXCEPTION`. As the `psl` crate does, a rule with Unicode
//! labels is also added with each of those labels in punycode (`xn--…`).

use std::collections::BTreeMap;
use std::path::Path;

/// Shared with `src/suffix.rs` (the same numbers).
const RULE: u64 = 1;
const EXCEPTION: u64 = 2;
const WILDCARD: u64 = 4;

const LIST: &str = "data/public_suffix_list.dat";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={LIST}");
    let text = std::fs::read_to_string(LIST).expect("public suffix list");
    let mut keys: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with("//") {
            continue;
        }
        let (flag, rule) = match line.strip_prefix('!') {
            Some(rule) => (EXCEPTION, rule),
            None => (RULE, line),
        };
        let (flag, rule) = match rule.strip_prefix("*.") {
            Some(parent) if flag == RULE => (WILDCARD, parent),
            _ => (flag, rule),
        };
        assert!(!rule.is_empty() && !rule.contains(['*', '!']), "{LIST}: unsupported rule `{line}`");
        let labels: Vec<&str> = rule.split('.').collect();
        assert!(labels.iter().all(|l| !l.is_empty()), "{LIST}: empty label in `{line}`");
        let punycode: Vec<String> = labels
            .iter()
            .map(|l| match l.is_ascii() {
                true => l.to_string(),
                false => format!("xn--{}", idna::punycode::encode_str(l).expect("punycode")),
            })
            .collect();
        for form in [labels.iter().map(|l| l.to_string()).collect(), punycode] {
            let key: Vec<String> = form.into_iter().rev().collect();
            *keys.entry(key.join(".").into_bytes()).or_default() |= flag;
        }
    }
    // What the lookup relies on: an exception is a leaf under a wildcard, and is not a rule too.
    for (key, &flags) in &keys {
        if flags & EXCEPTION != 0 {
            assert_eq!(flags, EXCEPTION, "exception that is also a rule");
            let parent = &key[..key.iter().rposition(|&b| b == b'.').expect("exception below a rule")];
            assert!(keys.get(parent).is_some_and(|f| f & WILDCARD != 0), "exception without a wildcard");
            let mut below = key.clone();
            below.push(b'.');
            assert!(keys.range(below.clone()..).next().is_none_or(|(k, _)| !k.starts_with(&below)));
        }
    }
    let set = fst::Map::from_iter(keys).expect("sorted unique keys");
    let out = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("public_suffix_list.fst");
    std::fs::write(out, set.as_fst().as_bytes()).expect("write fst");
}
