//! Patched (CRM Guard): the dictionary, reverse-dictionary and l33t matchers over the frequency
//! lists built at compile time (`frequency_lists.rs`, sorted front-coded words and their ranks).
//!
//! zxcvbn 3.1.1 looked every substring of the password up in every dictionary (n(n+1)/2 hashed
//! lookups per dictionary) and ran that whole dictionary pass once per l33t substitution table
//! (up to 800 tables). Here each dictionary is walked once per start position, one character at a
//! time, stopping where no word continues; the l33t matcher explores the substitutions inside the
//! same walk: at a l33t character it follows each letter it may stand for (and the character
//! itself), keeping one choice per character along the token and the set of zxcvbn's
//! substitution tables consistent with those choices, so a token is found exactly when one of the
//! tables zxcvbn enumerates would have found it.
//!
//! The matches are zxcvbn's: same tokens, words, ranks, dictionaries and substitutions, in the
//! order the matcher listed them for each (i, j) (the order the scorer breaks ties by). zxcvbn's l33t
//! matcher listed a token once per table that produced it; those repeats are identical matches,
//! which the scorer ignores (it keeps a candidate only when strictly better), so each is listed
//! once, at its first table. `l33t_matches_per_table` keeps zxcvbn's algorithm: the reference the
//! single walk is tested against, and the path for the rare passwords whose lowercase changes
//! length or holds a 'Σ' (lowercasing is then not per character, so a substitution made before
//! lowercasing is not the same as one made after).

use super::patterns::{DictionaryPattern, MatchPattern};
use super::{Match, Matcher, L33T_TABLE};
use crate::frequency_lists::{self, Cursor, DictionaryType, List, DICTIONARY_ORDER};
use itertools::Itertools;
use std::collections::{BTreeMap, HashMap};

/// A dictionary the matchers walk: its name and its words (word → rank).
struct Dictionary {
    name: DictionaryType,
    words: Words,
}

enum Words {
    /// A built-in frequency list: its compile-time bytes.
    List(List),
    /// The user inputs: a small trie built per call.
    Trie(Vec<TrieNode>),
}

#[derive(Default)]
struct TrieNode {
    next: Vec<(char, usize)>,
    rank: Option<u64>,
}

/// Where a walk is in a dictionary.
#[derive(Clone)]
enum State {
    List(Cursor),
    Trie(usize),
}

impl Dictionary {
    fn start(&self) -> State {
        match &self.words {
            Words::List(list) => State::List(list.root()),
            Words::Trie(_) => State::Trie(0),
        }
    }

    /// Follows `c` from `state`; `None` when no word continues with it.
    fn step(&self, state: State, c: char) -> Option<State> {
        match (&self.words, state) {
            // Every word of the lists is ASCII.
            (Words::List(list), State::List(cursor)) => list.step(cursor, u8::try_from(c).ok()?).map(State::List),
            (Words::Trie(nodes), State::Trie(n)) => {
                nodes[n].next.iter().find(|(x, _)| *x == c).map(|&(_, m)| State::Trie(m))
            }
            _ => unreachable!("a state of another dictionary"),
        }
    }

    /// The rank of the word walked to `state`, if it is one.
    fn rank(&self, state: &State) -> Option<u64> {
        match (&self.words, state) {
            (Words::List(list), State::List(cursor)) => list.rank(cursor),
            (Words::Trie(nodes), State::Trie(n)) => nodes[*n].rank,
            _ => unreachable!("a state of another dictionary"),
        }
    }
}

/// Runs `f` over the built-in dictionaries, in zxcvbn's order, then the user inputs (lowercased
/// input → its 1-based position, as the HashMap zxcvbn looked substrings up in).
fn with_dictionaries<R>(user_inputs: &HashMap<String, usize>, f: impl FnOnce(&[Dictionary]) -> R) -> R {
    let mut trie = vec![TrieNode::default()];
    for (word, &rank) in user_inputs {
        let mut n = 0;
        for c in word.chars() {
            n = match trie[n].next.iter().find(|(x, _)| *x == c) {
                Some(&(_, m)) => m,
                None => {
                    trie.push(TrieNode::default());
                    let m = trie.len() - 1;
                    trie[n].next.push((c, m));
                    m
                }
            };
        }
        trie[n].rank = Some(rank as u64);
    }
    let mut dictionaries: Vec<Dictionary> = DICTIONARY_ORDER
        .iter()
        .map(|&name| Dictionary { name, words: Words::List(frequency_lists::dictionary(name)) })
        .collect();
    dictionaries.push(Dictionary { name: DictionaryType::UserInputs, words: Words::Trie(trie) });
    f(&dictionaries)
}

fn dictionary_match(i: usize, j: usize, chars: &[char], matched_word: String, rank: u64, name: DictionaryType) -> Match {
    Match {
        pattern: MatchPattern::Dictionary(DictionaryPattern {
            matched_word,
            rank: rank as usize,
            dictionary_name: name,
            ..DictionaryPattern::default()
        }),
        i,
        j,
        token: chars[i..=j].iter().collect(),
        ..Match::default()
    }
}

/// zxcvbn's dictionary matches of `password`: for each dictionary (in order), each start i and
/// end j, the lowercased password's characters i..=j when they are a word. (zxcvbn indexed the
/// lowercased string with the password's character positions, and so does this; the lowercase
/// has at least as many characters.)
fn dictionary_matches(password: &str, dictionaries: &[Dictionary]) -> Vec<Match> {
    let chars: Vec<char> = password.chars().collect();
    let lower: Vec<char> = password.to_lowercase().chars().collect();
    let len = chars.len();
    let mut matches = Vec::new();
    for dictionary in dictionaries {
        let start = dictionary.start();
        for i in 0..len {
            let mut state = start.clone();
            for j in i..len {
                match dictionary.step(state, lower[j]) {
                    Some(next) => state = next,
                    None => break,
                }
                if let Some(rank) = dictionary.rank(&state) {
                    let word = lower[i..=j].iter().collect();
                    matches.push(dictionary_match(i, j, &chars, word, rank, dictionary.name));
                }
            }
        }
    }
    matches
}

pub(super) struct DictionaryMatch {}

impl Matcher for DictionaryMatch {
    fn get_matches(&self, password: &str, user_inputs: &HashMap<String, usize>) -> Vec<Match> {
        with_dictionaries(user_inputs, |dictionaries| dictionary_matches(password, dictionaries))
    }
}

pub(super) struct ReverseDictionaryMatch {}

impl Matcher for ReverseDictionaryMatch {
    fn get_matches(&self, password: &str, user_inputs: &HashMap<String, usize>) -> Vec<Match> {
        let reversed_password = password.chars().rev().collect::<String>();
        let n = password.chars().count();
        with_dictionaries(user_inputs, |dictionaries| dictionary_matches(&reversed_password, dictionaries))
            .into_iter()
            .map(|mut m| {
                // Reverse token back
                m.token = m.token.chars().rev().collect();
                if let MatchPattern::Dictionary(ref mut pattern) = m.pattern {
                    pattern.reversed = true;
                }
                let old_i = m.i;
                m.i = n - 1 - m.j;
                m.j = n - 1 - old_i;
                m
            })
            .collect()
    }
}

pub(super) struct L33tMatch {}

impl Matcher for L33tMatch {
    fn get_matches(&self, password: &str, user_inputs: &HashMap<String, usize>) -> Vec<Match> {
        with_dictionaries(user_inputs, |dictionaries| l33t_walk(password, dictionaries, false).1)
    }
}

/// Patched (CRM Guard): `DictionaryMatch`'s and `L33tMatch`'s matches, the same lists in the
/// same orders, from one walk per start position: the dictionary's path (every l33t character
/// as itself) is one of the paths the l33t walk explores, so it is followed there (even where no
/// substitution table keeps it) instead of in a pass of its own.
pub(super) fn dictionary_and_l33t_matches(password: &str, user_inputs: &HashMap<String, usize>) -> (Vec<Match>, Vec<Match>) {
    with_dictionaries(user_inputs, |dictionaries| l33t_walk(password, dictionaries, true))
}

/// The characters of zxcvbn's l33t table, each with an index.
const L33T_CHARS: [char; 20] = [
    '4', '@', '8', '(', '{', '[', '<', '3', '6', '9', '1', '!', '|', '7', '0', '$', '5', '+', '%', '2',
];
/// Substitution tables the single walk tracks as a bit set (zxcvbn enumerates at most 800).
const MAX_TABLES: usize = 1024;
type TableSet = [u64; MAX_TABLES / 64];
const UNASSIGNED: u8 = u8::MAX;

fn l33t_index(c: char) -> Option<usize> {
    L33T_CHARS.iter().position(|&x| x == c)
}

/// zxcvbn's substitution tables for `table` (`enumerate_l33t_replacements`), in its order, each
/// as the letter every l33t character stands for (0: the character is not substituted).
fn substitution_tables(table: &BTreeMap<char, Vec<char>>) -> Vec<[u8; 20]> {
    let mut subs: Vec<[u8; 20]> = vec![[0; 20]];
    for (&letter, l33t_chrs) in table {
        let mut next = Vec::with_capacity(subs.len() * l33t_chrs.len() * 2);
        for &l33t_chr in l33t_chrs {
            let c = l33t_index(l33t_chr).expect("a l33t character");
            for sub in &subs {
                let mut changed = *sub;
                changed[c] = letter as u8;
                if sub[c] != 0 {
                    // Already substituted (by an earlier letter): keep it, and add the table with
                    // this letter instead.
                    next.push(*sub);
                }
                next.push(changed);
            }
        }
        subs = next;
    }
    subs
}

/// The l33t matches (second), found in one walk per start position and dictionary, and with
/// `plain` the dictionary matches too (first; else empty), found on the walk's path that keeps
/// every l33t character as itself.
fn l33t_walk(password: &str, dictionaries: &[Dictionary], plain: bool) -> (Vec<Match>, Vec<Match>) {
    let plain_pass = |dictionaries| if plain { dictionary_matches(password, dictionaries) } else { Vec::new() };
    let table = relevant_l33t_subtable(password);
    if table.is_empty() {
        // zxcvbn: no substitution table, no match.
        return (plain_pass(dictionaries), Vec::new());
    }
    let chars: Vec<char> = password.chars().collect();
    let lower: Vec<char> = password.to_lowercase().chars().collect();
    let subs = substitution_tables(&table);
    if lower.len() != chars.len() || chars.contains(&'Σ') || subs.len() > MAX_TABLES {
        return (plain_pass(dictionaries), l33t_matches_per_table(password, dictionaries));
    }
    // For each l33t character: each choice (0 = itself, or a letter) some table makes, with the
    // set of tables that make it.
    let mut choices: Vec<Vec<(u8, TableSet)>> = vec![Vec::new(); L33T_CHARS.len()];
    for (c, choices) in choices.iter_mut().enumerate() {
        if !chars.contains(&L33T_CHARS[c]) {
            continue;
        }
        for (t, sub) in subs.iter().enumerate() {
            let k = match choices.iter().position(|(v, _)| *v == sub[c]) {
                Some(k) => k,
                None => {
                    choices.push((sub[c], [0; MAX_TABLES / 64]));
                    choices.len() - 1
                }
            };
            choices[k].1[t / 64] |= 1 << (t % 64);
        }
    }
    let mut all: TableSet = [0; MAX_TABLES / 64];
    for t in 0..subs.len() {
        all[t / 64] |= 1 << (t % 64);
    }
    let mut walk = L33tWalk {
        words: subs.len().div_ceil(64),
        l33t: lower.iter().map(|&c| l33t_index(c)).collect(),
        chars: &chars,
        lower: &lower,
        choices,
        assigned: [UNASSIGNED; 20],
        word: Vec::new(),
        found: Vec::new(),
        plain_found: Vec::new(),
    };
    for (position, dictionary) in dictionaries.iter().enumerate() {
        let start = dictionary.start();
        for i in 0..chars.len() {
            walk.walk(dictionary, position, i, i, start.clone(), &all, plain);
        }
    }
    // zxcvbn listed, for each table in order, each dictionary's matches: for a given (i, j), the
    // first table that finds a token orders it, then the dictionary.
    walk.found.sort_by_key(|f| (f.0, f.1, f.2, f.3));
    // The plain path is one path per start: its words come by dictionary, start, then end, as
    // `dictionary_matches` lists them.
    (walk.plain_found, walk.found.into_iter().map(|f| f.4).collect())
}

struct L33tWalk<'p> {
    chars: &'p [char],
    lower: &'p [char],
    /// The l33t index of each lowercased character, if it is one.
    l33t: Vec<Option<usize>>,
    choices: Vec<Vec<(u8, TableSet)>>,
    /// How many words of a `TableSet` hold tables (64 per word).
    words: usize,
    /// The choice made for each l33t character on the current path (UNASSIGNED: not met yet).
    assigned: [u8; 20],
    /// The (substituted) word walked so far.
    word: Vec<char>,
    /// (i, j, first table, dictionary position, match)
    found: Vec<(usize, usize, usize, usize, Match)>,
    /// The dictionary matches (the path with every l33t character as itself).
    plain_found: Vec<Match>,
}

impl L33tWalk<'_> {
    /// Extends the path by the character at `k`, with every choice it allows. `plain`: every
    /// l33t character on the path so far is itself, and the dictionary matches are wanted; such
    /// a path is followed even when no table keeps it (`tables` empty).
    #[allow(clippy::too_many_arguments)]
    fn walk(&mut self, dictionary: &Dictionary, position: usize, i: usize, k: usize, state: State, tables: &TableSet, plain: bool) {
        let c = self.lower[k];
        let Some(ci) = self.l33t[k] else {
            return self.advance(dictionary, position, i, k, state, c, tables, plain);
        };
        let assigned = self.assigned[ci];
        if assigned != UNASSIGNED {
            // On a plain path every assigned character is itself (0).
            let ch = if assigned == 0 { c } else { char::from(assigned) };
            return self.advance(dictionary, position, i, k, state, ch, tables, plain);
        }
        let mut itself_followed = false;
        for n in 0..self.choices[ci].len() {
            let (v, ref set) = self.choices[ci][n];
            let mut narrowed = *tables;
            let mut any = 0;
            // Only the words that hold tables (the rest are zero in both).
            for (x, y) in narrowed[..self.words].iter_mut().zip(&set[..self.words]) {
                *x &= y;
                any |= *x;
            }
            let keep_plain = plain && v == 0;
            if any == 0 && !keep_plain {
                continue;
            }
            itself_followed |= v == 0;
            self.assigned[ci] = v;
            let ch = if v == 0 { c } else { char::from(v) };
            self.advance(dictionary, position, i, k, state.clone(), ch, &narrowed, keep_plain);
        }
        if plain && !itself_followed {
            // No table keeps this character as itself: the plain path goes on alone.
            self.assigned[ci] = 0;
            self.advance(dictionary, position, i, k, state, c, &[0; MAX_TABLES / 64], true);
        }
        self.assigned[ci] = UNASSIGNED;
    }

    #[allow(clippy::too_many_arguments)]
    fn advance(&mut self, dictionary: &Dictionary, position: usize, i: usize, k: usize, state: State, ch: char, tables: &TableSet, plain: bool) {
        let Some(state) = dictionary.step(state, ch) else {
            return;
        };
        self.word.push(ch);
        if let Some(rank) = dictionary.rank(&state) {
            if plain {
                // The word is the lowercased password's chars i..=k: a dictionary match (never
                // a l33t one, which needs a substitution).
                let word = self.lower[i..=k].iter().collect();
                self.plain_found.push(dictionary_match(i, k, self.chars, word, rank, dictionary.name));
            } else {
                self.found_word(dictionary, position, i, k, rank, tables);
            }
        }
        if k + 1 < self.chars.len() {
            self.walk(dictionary, position, i, k + 1, state, tables, plain);
        }
        self.word.pop();
    }

    fn found_word(&mut self, dictionary: &Dictionary, position: usize, i: usize, j: usize, rank: u64, tables: &TableSet) {
        // Only return the matches that contain an actual substitution. (zxcvbn compared
        // `token.to_lowercase()` with the word; lowercasing is per character here, see
        // `l33t_matches`, so that is the lowercased password's chars i..=j, compared before
        // anything is allocated.)
        if self.lower[i..=j] == self.word[..] {
            return;
        }
        let token: String = self.chars[i..=j].iter().collect();
        let word: String = self.word.iter().collect();
        let match_sub: BTreeMap<char, char> = (i..=j)
            .filter_map(|k| self.l33t[k])
            .filter(|&ci| self.assigned[ci] != 0)
            .map(|ci| (L33T_CHARS[ci], char::from(self.assigned[ci])))
            .collect();
        let first_table = tables
            .iter()
            .enumerate()
            .find(|(_, &w)| w != 0)
            .map(|(n, w)| n * 64 + w.trailing_zeros() as usize)
            .expect("a consistent table");
        let mut m = dictionary_match(i, j, self.chars, word, rank, dictionary.name);
        m.token = token;
        if let MatchPattern::Dictionary(ref mut pattern) = m.pattern {
            pattern.l33t = true;
            pattern.sub_display = Some(match_sub.iter().map(|(k, v)| format!("{} -> {}", k, v)).join(", "));
            pattern.sub = Some(match_sub.into_iter().collect());
        }
        self.found.push((i, j, first_table, position, m));
    }
}

/// zxcvbn 3.1.1's l33t matcher: one full dictionary pass per substitution table. The reference
/// the single walk is tested against, and the path for passwords it does not handle.
fn l33t_matches_per_table(password: &str, dictionaries: &[Dictionary]) -> Vec<Match> {
    let mut matches = Vec::new();
    for sub in enumerate_l33t_replacements(&relevant_l33t_subtable(password)) {
        if sub.is_empty() {
            break;
        }
        let subbed_password = translate(password, &sub);
        for mut m4tch in dictionary_matches(&subbed_password, dictionaries) {
            let token = password
                .chars()
                .take(m4tch.j + 1)
                .skip(m4tch.i)
                .collect::<String>();
            {
                let pattern = if let MatchPattern::Dictionary(ref mut pattern) = m4tch.pattern {
                    pattern
                } else {
                    unreachable!()
                };
                if token.to_lowercase() == pattern.matched_word {
                    // Only return the matches that contain an actual substitution
                    continue;
                }
                let match_sub: HashMap<char, char> = sub
                    .clone()
                    .into_iter()
                    .filter(|&(subbed_chr, _)| token.contains(subbed_chr))
                    .collect();
                m4tch.token = token;
                pattern.l33t = true;
                // Patched (CRM Guard): substitutions listed in character order.
                pattern.sub_display = Some(
                    match_sub
                        .iter()
                        .sorted()
                        .map(|(k, v)| format!("{} -> {}", k, v))
                        .join(", "),
                );
                pattern.sub = Some(match_sub);
            }
            matches.push(m4tch);
        }
    }
    matches
        .into_iter()
        .filter(|x| !x.token.is_empty())
        .collect()
}

pub(super) fn translate(string: &str, chr_map: &HashMap<char, char>) -> String {
    string
        .chars()
        .map(|c| *chr_map.get(&c).unwrap_or(&c))
        .collect()
}

// Patched (CRM Guard): BTreeMap (ordered keys) instead of HashMap.
pub(super) fn relevant_l33t_subtable(password: &str) -> BTreeMap<char, Vec<char>> {
    let password_chars: Vec<char> = password.chars().collect();
    let mut subtable: BTreeMap<char, Vec<char>> = BTreeMap::new();
    for (letter, subs) in L33T_TABLE.iter() {
        let relevant_subs: Vec<char> = subs
            .iter()
            .filter(|&x| password_chars.contains(x))
            .cloned()
            .collect();
        if !relevant_subs.is_empty() {
            subtable.insert(*letter, relevant_subs);
        }
    }
    subtable
}

// Patched (CRM Guard): takes the ordered table, so the keys are walked in letter order.
pub(super) fn enumerate_l33t_replacements(table: &BTreeMap<char, Vec<char>>) -> Vec<HashMap<char, char>> {
    /// Recursive function that does the work
    fn helper(
        table: &BTreeMap<char, Vec<char>>,
        subs: Vec<Vec<(char, char)>>,
        remaining_keys: &[char],
    ) -> Vec<Vec<(char, char)>> {
        if remaining_keys.is_empty() {
            return subs;
        }
        let (first_key, rest_keys) = remaining_keys.split_first().unwrap();
        let mut next_subs: Vec<Vec<(char, char)>> = Vec::new();
        for l33t_chr in &table[first_key] {
            for sub in &subs {
                let mut dup_l33t_index = None;
                for (i, item) in sub.iter().enumerate() {
                    if item.0 == *l33t_chr {
                        dup_l33t_index = Some(i);
                        break;
                    }
                }
                if let Some(idx) = dup_l33t_index {
                    let mut sub_alternative = sub.clone();
                    sub_alternative.remove(idx);
                    sub_alternative.push((*l33t_chr, *first_key));
                    next_subs.push(sub.clone());
                    next_subs.push(sub_alternative);
                } else {
                    let mut sub_extension = sub.clone();
                    sub_extension.push((*l33t_chr, *first_key));
                    next_subs.push(sub_extension);
                }
            }
        }
        helper(
            table,
            next_subs
                .into_iter()
                .map(|x| x.iter().unique().cloned().collect())
                .collect(),
            rest_keys,
        )
    }

    helper(
        table,
        vec![vec![]],
        table.keys().cloned().collect::<Vec<char>>().as_slice(),
    )
    .into_iter()
    .map(|sub| sub.into_iter().collect::<HashMap<char, char>>())
    .collect()
}


/// Patched (CRM Guard), for crm-guard-score's equivalence tests only (not an API): the l33t
/// matches of `password` (its first 100 characters, as `zxcvbn` scores) by the single walk and by
/// zxcvbn's one dictionary pass per substitution table, each in the order the scorer sees them
/// (stably sorted by (i, j)); from the second, the repeats of a match (one per table that found
/// it, which the scorer ignores) are removed. Equal vectors mean equal l33t matches, in the same
/// order, so the same scores.
#[doc(hidden)]
pub fn l33t_matches_walk_and_per_table(password: &str, user_inputs: &[&str]) -> (Vec<Match>, Vec<Match>) {
    let password: String = password.chars().take(100).collect();
    let user_inputs: HashMap<String, usize> = user_inputs
        .iter()
        .enumerate()
        .map(|(i, x)| (x.to_lowercase(), i + 1))
        .collect();
    with_dictionaries(&user_inputs, |dictionaries| {
        let mut walk = l33t_walk(&password, dictionaries, false).1;
        walk.sort_by_key(|m| (m.i, m.j));
        let mut per_table = l33t_matches_per_table(&password, dictionaries);
        per_table.sort_by_key(|m| (m.i, m.j));
        let mut unique: Vec<Match> = Vec::with_capacity(per_table.len());
        let mut group_start = 0;
        for m in per_table {
            if unique.last().map_or(true, |l| (l.i, l.j) != (m.i, m.j)) {
                group_start = unique.len();
            }
            if !unique[group_start..].contains(&m) {
                unique.push(m);
            }
        }
        (walk, unique)
    })
}

/// Patched (CRM Guard), for crm-guard-score's equivalence tests only (not an API): the
/// dictionary and l33t matches of `password` (its first 100 characters) from the combined walk
/// (`dictionary_and_l33t_matches`), then the same from the separate passes (`dictionary_matches`,
/// and the l33t walk alone), in the order each produced them. Equal means the combined walk
/// changes nothing.
#[doc(hidden)]
pub fn dictionary_matches_combined_and_apart(password: &str, user_inputs: &[&str]) -> ((Vec<Match>, Vec<Match>), (Vec<Match>, Vec<Match>)) {
    let password: String = password.chars().take(100).collect();
    let user_inputs: HashMap<String, usize> = user_inputs
        .iter()
        .enumerate()
        .map(|(i, x)| (x.to_lowercase(), i + 1))
        .collect();
    let combined = dictionary_and_l33t_matches(&password, &user_inputs);
    let apart = with_dictionaries(&user_inputs, |dictionaries| {
        (dictionary_matches(&password, dictionaries), l33t_walk(&password, dictionaries, false).1)
    });
    (combined, apart)
}
