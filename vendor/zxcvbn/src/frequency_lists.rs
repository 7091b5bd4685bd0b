//! Patched (CRM Guard): zxcvbn's frequency lists (word → rank, 1 = most frequent) as sorted,
//! front-coded words and bit-packed ranks that `build.rs` writes at compile time from
//! `data/*.txt` (one word per line, in rank order; the layout is described there). They are
//! static bytes searched in place: nothing is parsed, built, decompressed or allocated when the
//! scorer starts. They replace the comma-joined strings that were split into `HashMap`s on first
//! use (~100 ms and ~3 MB in WASM), then the `fst` transducers (627 KB deflated against ~400 KB
//! for these: the lists are most of the scorer's module in the extension zip). See PATCHES.md.
//!
//! The matchers walk a list one byte at a time from each start position, as they walked the
//! transducers: a `Cursor` is the range of words that start with the bytes walked so far
//! (sorted, so they are contiguous), and `List::step` narrows it. The first two bytes are looked
//! up in small indexes (most steps of a walk are its first two: without the second index they
//! were two thirds of the search's work); a longer prefix's range is narrowed by a galloping
//! then binary search over the bucket heads in it (whole words), then a scan of at most one
//! bucket, the step that costs what the smaller encoding saves (docs/size.md).

const PASSWORDS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/passwords.dict"));
const ENGLISH_WIKI: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/english_wikipedia.dict"));
const FEMALE_NAMES: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/female_names.dict"));
const SURNAMES: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/surnames.dict"));
const US_TV_AND_FILM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/us_tv_and_film.dict"));
const MALE_NAMES: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/male_names.dict"));

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

/// Patched (CRM Guard): a built-in dictionary's list.
pub(crate) fn dictionary(dictionary: DictionaryType) -> List {
    List::new(match dictionary {
        DictionaryType::Passwords => PASSWORDS,
        DictionaryType::English => ENGLISH_WIKI,
        DictionaryType::FemaleNames => FEMALE_NAMES,
        DictionaryType::MaleNames => MALE_NAMES,
        DictionaryType::Surnames => SURNAMES,
        DictionaryType::UsTvAndFilm => US_TV_AND_FILM,
        DictionaryType::UserInputs => unreachable!("user inputs are not a built-in dictionary"),
    })
}

/// Patched (CRM Guard): the sections of a list's bytes (see `build.rs`).
pub(crate) struct List {
    /// 129 (ordinal, offset, pair) triples: the first word, and the first two-byte prefix, whose
    /// first byte is ≥ b.
    first: &'static [u8],
    /// The second byte of each distinct two-byte prefix, in order.
    seconds: &'static [u8],
    /// (ordinal, offset) of the first word of each two-byte prefix.
    pairs: &'static [u8],
    /// The offset of each bucket's first word in `words`.
    buckets: &'static [u8],
    /// Per word: `0x80 | shared prefix length`, then the rest of its bytes (< 0x80); then a
    /// `0x80`, and the ranks (the scan reads 8 bytes at a time, past the end of the words).
    words: &'static [u8],
    /// `width`-bit ranks in the words' order.
    ranks: &'static [u8],
    len: u32,
    width: u32,
    shift: u32,
}

/// Where a walk is in a list: the words `lo..hi` (ordinals) are those that start with the
/// `depth` bytes walked so far, and word `lo`'s entry starts at `at` in the words section.
/// Word `lo` is the first of them, so it is the walked bytes themselves when they are a word.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Cursor {
    depth: u32,
    lo: u32,
    hi: u32,
    at: u32,
}

#[inline(always)]
fn u32_at(bytes: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]])
}

impl List {
    fn new(bytes: &'static [u8]) -> List {
        let header = |i: usize| u32_at(bytes, 4 * i);
        let (len, width, shift, buckets, words) = (header(0), header(1), header(2), header(3), header(4));
        let pairs = header(5) as usize;
        let (first, rest) = bytes[24..].split_at(129 * 12);
        let (seconds, rest) = rest.split_at(pairs);
        let (pairs, rest) = rest.split_at(8 * pairs);
        let (buckets, rest) = rest.split_at(4 * buckets as usize);
        let ranks = &rest[words as usize..];
        List { first, seconds, pairs, buckets, words: rest, ranks, len, width, shift }
    }

    pub(crate) fn root(&self) -> Cursor {
        Cursor { depth: 0, lo: 0, hi: self.len, at: 0 }
    }

    /// Follows byte `b` from `cursor`; `None` when no word continues with it.
    pub(crate) fn step(&self, cursor: Cursor, b: u8) -> Option<Cursor> {
        if !(0x21..0x7f).contains(&b) {
            // Every word is printable ASCII.
            return None;
        }
        let first = |b: u8, field: usize| u32_at(self.first, 12 * b as usize + 4 * field);
        let (lo, at, hi) = match cursor.depth {
            0 => (first(b, 0), first(b, 1), first(b + 1, 0)),
            1 => {
                // Word lo is the first with the first byte walked, so whole in its entry.
                let b1 = self.words[cursor.at as usize + 1];
                let (start, end) = (first(b1, 2) as usize, first(b1 + 1, 2) as usize);
                let j = start + self.seconds[start..end].iter().position(|&x| x == b)?;
                let pair = |j: usize, field: usize| u32_at(self.pairs, 8 * j + 4 * field);
                (pair(j, 0), pair(j, 1), if j + 1 < end { pair(j + 1, 0) } else { cursor.hi })
            }
            depth => {
                let depth = depth as usize;
                let (lo, at) = self.seek(depth, cursor.lo, cursor.at as usize, cursor.hi, b);
                (lo, at as u32, self.seek(depth, lo, at, cursor.hi, b + 1).0)
            }
        };
        (lo < hi).then_some(Cursor { depth: cursor.depth + 1, lo, hi, at })
    }

    /// The rank of the word walked to `cursor`, if the walked bytes are one.
    pub(crate) fn rank(&self, cursor: &Cursor) -> Option<u64> {
        if cursor.depth == 0 || self.byte(cursor.at as usize, cursor.depth as usize) != 0 {
            return None;
        }
        let bit = cursor.lo as usize * self.width as usize;
        let mut eight = [0; 8];
        eight.copy_from_slice(&self.ranks[bit / 8..bit / 8 + 8]);
        Some((u64::from_le_bytes(eight) >> (bit % 8)) & ((1 << self.width) - 1))
    }

    /// Byte `d` of the word whose entry starts at `at` (0 if the word is `d` bytes long), for a
    /// word that shares at most `d` bytes with the previous one (its byte `d` is in its entry).
    #[inline(always)]
    fn byte(&self, at: usize, d: usize) -> u8 {
        let shared = (self.words[at] & 0x7f) as usize;
        match self.words[at + 1 + d - shared] {
            b if b < 0x80 => b,
            _ => 0,
        }
    }

    /// Where the entry after the one at `at` starts: at the next marker (bit 7 set), found 8
    /// bytes at a time (a word's rest is rarely longer; the scan is most of a search's time).
    #[inline(always)]
    fn next(&self, at: usize) -> usize {
        let mut p = at + 1;
        loop {
            let mut eight = [0; 8];
            eight.copy_from_slice(&self.words[p..p + 8]);
            let markers = u64::from_le_bytes(eight) & 0x8080_8080_8080_8080;
            if markers != 0 {
                return p + markers.trailing_zeros() as usize / 8;
            }
            p += 8;
        }
    }

    /// The first word in `k..hi`, with its entry's offset, whose byte `d` is ≥ `t`, given that
    /// the words `k..hi` share their first `d` bytes, sorted by byte `d`, and word `k`'s entry
    /// starts at `at` with at most `d` bytes shared with the previous word.
    fn seek(&self, d: usize, mut k: u32, mut at: usize, hi: u32, t: u8) -> (u32, usize) {
        if k >= hi {
            return (hi, at);
        }
        let head = |bucket: u32| u32_at(self.buckets, 4 * bucket as usize) as usize;
        // The bucket heads in k+1..hi hold the same first d bytes: skip to the bucket where the
        // answer is by a search over them (the first head whose byte d is ≥ t), galloping from
        // k's bucket first, as the answer is usually near (the range narrows as the walk goes).
        let (first, last) = ((k >> self.shift) + 1, (hi - 1) >> self.shift);
        if first <= last {
            let (mut a, mut z, mut gallop) = (first, last + 1, 1);
            while a + gallop <= z {
                let m = a + gallop - 1;
                if self.byte(head(m), d) >= t {
                    z = m;
                    break;
                }
                a = m + 1;
                gallop *= 2;
            }
            while a < z {
                let m = a + (z - a) / 2;
                if self.byte(head(m), d) < t {
                    a = m + 1;
                } else {
                    z = m;
                }
            }
            if a > first {
                k = (a - 1) << self.shift;
                at = head(a - 1);
            }
        }
        // Then a scan of at most one bucket, tracking byte d from entry to entry.
        let mut b = self.byte(at, d);
        while b < t {
            at = self.next(at);
            k += 1;
            if k == hi {
                break;
            }
            if (self.words[at] & 0x7f) as usize <= d {
                b = self.byte(at, d);
            }
        }
        (k, at)
    }
}

/// Patched (CRM Guard), for crm-guard-score's tests only (not an API): walks `bytes` in the
/// built-in list read from `data/<file>.txt`, as the matchers do: after each byte, the rank of
/// the bytes so far if they are a word; `None` where no word continues.
#[doc(hidden)]
pub fn walk_frequency_list(file: &str, bytes: &[u8]) -> Option<Vec<Option<u64>>> {
    let files = ["passwords", "english_wikipedia", "female_names", "male_names", "surnames", "us_tv_and_film"];
    let list = dictionary(DICTIONARY_ORDER[files.iter().position(|&f| f == file).expect("a list")]);
    let mut cursor = list.root();
    let mut ranks = Vec::with_capacity(bytes.len());
    for &b in bytes {
        cursor = list.step(cursor, b)?;
        ranks.push(list.rank(&cursor));
    }
    Some(ranks)
}
