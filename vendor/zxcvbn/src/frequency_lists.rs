//! Patched (CRM Guard): zxcvbn's frequency lists, as finite-state transducers (word → rank,
//! 1 = most frequent) that `build.rs` builds at compile time from `data/*.txt` (one word per line,
//! in rank order). They are static bytes walked in place (`fst::raw::Fst` is zero-copy): nothing is
//! parsed, built or allocated when the scorer starts. They replace the comma-joined strings that
//! were split into `HashMap`s on first use (~100 ms and ~3 MB in WASM). See PATCHES.md.

use fst::raw::Fst;

const PASSWORDS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/passwords.fst"));
const ENGLISH_WIKI: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/english_wikipedia.fst"));
const FEMALE_NAMES: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/female_names.fst"));
const SURNAMES: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/surnames.fst"));
const US_TV_AND_FILM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/us_tv_and_film.fst"));
const MALE_NAMES: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/male_names.fst"));

#[derive(Copy, Clone, Debug, Eq, PartialEq, Hash, Default)]
#[cfg_attr(feature = "ser", derive(serde::Deserialize, serde::Serialize))]
pub enum DictionaryType {
    #[default]
    Passwords,
    English,
    FemaleNames,
    MaleNames,
    Surnames,
    UsTvAndFilm,
    UserInputs,
}

/// Patched (CRM Guard): the order in which the dictionary matcher walks the dictionaries (it
/// iterated the HashMap the lists were collected into, whose order changes from run to run, and
/// ties between equal matches were broken by it). The order is the one they were inserted in.
pub(crate) const DICTIONARY_ORDER: [DictionaryType; 6] = [
    DictionaryType::Passwords,
    DictionaryType::English,
    DictionaryType::FemaleNames,
    DictionaryType::MaleNames,
    DictionaryType::Surnames,
    DictionaryType::UsTvAndFilm,
];

/// Patched (CRM Guard): the transducer of a built-in dictionary (word → rank). `Fst::new` only
/// reads the header and footer of the static bytes (O(1), no copy).
pub(crate) fn dictionary(dictionary: DictionaryType) -> Fst<&'static [u8]> {
    let bytes = match dictionary {
        DictionaryType::Passwords => PASSWORDS,
        DictionaryType::English => ENGLISH_WIKI,
        DictionaryType::FemaleNames => FEMALE_NAMES,
        DictionaryType::MaleNames => MALE_NAMES,
        DictionaryType::Surnames => SURNAMES,
        DictionaryType::UsTvAndFilm => US_TV_AND_FILM,
        DictionaryType::UserInputs => unreachable!("user inputs are not a built-in dictionary"),
    };
    Fst::new(bytes).expect("transducer built by build.rs")
}
