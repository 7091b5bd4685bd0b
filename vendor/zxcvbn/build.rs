//! Patched (CRM Guard): builds zxcvbn's frequency lists (`data/*.txt`, one word per line, most
//! frequent first: the rank is the line number) into front-coded sorted lists in OUT_DIR, which
//! `frequency_lists.rs` includes as static bytes and the matchers search in place: nothing is
//! built, decompressed or allocated when the scorer starts. See PATCHES.md.
//!
//! Why this encoding: the lists are most of the scorer's WASM module, and the extension zip
//! deflates it. The `fst` transducers this replaced deflated to 627 KB (a transducer's bytes are
//! already dense). Sorted words share long prefixes with their neighbours, so front coding (each
//! word stored as the length it shares with the previous word and the rest) plus deflate stores
//! them in ~210 KB; the ranks, a permutation of 1..=n that no order of the words makes
//! compressible, are bit-packed at the fewest bits that hold n (~173 KB, within a bit a word of
//! their entropy). Each bucket of 64 words starts with a whole word, so a search narrows a range
//! by a search over the bucket heads and a scan of at most one bucket; larger buckets deflate
//! better (fewer whole words) and scan longer (docs/size.md: 8 to 64 measured, sizes and speeds).
//!
//! Layout of `<list>.dict` (integers little-endian u32):
//!
//! - header: word count n, rank width w (bits), log2 of the bucket size, bucket count, byte length
//!   of the words section, pair count p;
//! - first-byte index: 129 triples (ordinal, byte offset in the words section, pair) of the first
//!   word, and of the first two-byte prefix (below), whose first byte is ≥ b, for b = 0..=128 (the
//!   words are ASCII; entry 128 is the end);
//! - two-byte prefixes: p second bytes, then p pairs (ordinal, byte offset) of the first word of
//!   each distinct two-byte prefix, in order. Most of a walk's steps are its second (a range of
//!   ~1/26 of the list to narrow: two thirds of the search's work without this table, which
//!   answers it with a scan of a few bytes, for ~11 KB deflated);
//! - bucket index: the byte offset of each bucket's first word in the words section;
//! - words, in byte order: per word a marker byte `0x80 | shared` (shared: the length of the
//!   prefix it shares with the previous word; 0 for the first word of a bucket), then its
//!   remaining bytes (all < 0x80, so the next marker ends the word); a last `0x80` ends the
//!   last word;
//! - ranks: n ranks of w bits, in the words' order, packed from bit 0 of byte 0, then 8 bytes of
//!   padding (the reader loads 8 bytes at a time).

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

/// log2 of the words per bucket (docs/size.md: the sizes and speeds of 8 to 64).
const BUCKET_SHIFT: u32 = 6;

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
            assert!(
                !word.is_empty() && word.bytes().all(|b| (0x21..0x7f).contains(&b)),
                "{path}: line {} is empty or not printable ASCII",
                i + 1
            );
            ranks.insert(word.as_bytes(), (i + 1) as u64);
        }
        std::fs::write(Path::new(&out_dir).join(format!("{name}.dict")), encode(&ranks)).expect("write list");
    }
}

fn encode(ranks: &BTreeMap<&[u8], u64>) -> Vec<u8> {
    let n = ranks.len();
    let width = 64 - (n as u64).leading_zeros();
    let mut words = Vec::new();
    let mut buckets = Vec::new();
    let mut first = vec![None; 129];
    let mut pairs: Vec<(u8, u32, u32)> = Vec::new();
    let mut pair_first = vec![None; 129];
    let mut packed = vec![0u8; (n * width as usize).div_ceil(8) + 8];
    let mut previous: &[u8] = &[];
    for (k, (&word, &rank)) in ranks.iter().enumerate() {
        let shared = if k % (1 << BUCKET_SHIFT) == 0 {
            buckets.push(words.len() as u32);
            0
        } else {
            previous.iter().zip(word).take_while(|(a, b)| a == b).count()
        };
        assert!(shared < 0x80, "shared prefix too long");
        for f in &mut first[..=word[0] as usize] {
            f.get_or_insert((k as u32, words.len() as u32));
        }
        if word.len() > 1 && previous.get(..2) != word.get(..2) {
            for f in &mut pair_first[..=word[0] as usize] {
                f.get_or_insert(pairs.len() as u32);
            }
            pairs.push((word[1], k as u32, words.len() as u32));
        }
        words.push(0x80 | shared as u8);
        words.extend_from_slice(&word[shared..]);
        assert!(rank < 1 << width);
        let bit = k * width as usize;
        for (i, byte) in (rank << (bit % 8)).to_le_bytes().into_iter().enumerate() {
            packed[bit / 8 + i] |= byte;
        }
        previous = word;
    }
    let end = (n as u32, words.len() as u32);
    // A last marker ends the last word as the next word's would.
    words.push(0x80);
    let header = [n as u32, width, BUCKET_SHIFT, buckets.len() as u32, words.len() as u32, pairs.len() as u32];
    let mut out: Vec<u8> = header.into_iter().flat_map(u32::to_le_bytes).collect();
    for ((ordinal, offset), pair) in first.into_iter().map(|f| f.unwrap_or(end)).zip(pair_first) {
        out.extend(ordinal.to_le_bytes());
        out.extend(offset.to_le_bytes());
        out.extend(pair.unwrap_or(pairs.len() as u32).to_le_bytes());
    }
    out.extend(pairs.iter().map(|p| p.0));
    for (_, ordinal, offset) in pairs {
        out.extend(ordinal.to_le_bytes());
        out.extend(offset.to_le_bytes());
    }
    out.extend(buckets.into_iter().flat_map(u32::to_le_bytes));
    out.extend(words);
    out.extend(packed);
    out
}
