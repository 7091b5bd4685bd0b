//! The registrable domain (eTLD+1) of a host from the Public Suffix List.
//!
//! This replaced the `psl` crate, whose list is compiled into ~919 KB of generated match code
//! (about 45% of the engine module's code). Here the list (`data/public_suffix_list.dat`, the
//! rules of psl 2.1.247) is static bytes built by `build.rs` and searched in place: no start-up
//! cost, nothing allocated. The engine's release module (`crm_guard_wasm.wasm` before wasm-opt)
//! went from 3,344,186 to 2,512,763 bytes, 912,319 to 712,844 gzipped, with the list as a
//! finite-state transducer (`fst`, 72 KB, 54 KB deflated). It is now the keys themselves, sorted,
//! each followed by a flags byte (166 KB, 47 KB deflated: the zip is what ships, and a
//! transducer hardly deflates), walked by narrowing the range of records that share the bytes
//! walked so far (two binary searches per byte; an index of 257 offsets gives the first byte's
//! records). A lookup takes ~1.5 µs natively against the transducer's ~0.3 µs and psl's ~40 ns
//! (`examples/suffix_timing.rs`, same run), once per navigation or pattern: nothing to notice.
//! The engine module in the zip: 450,253 → 439,384 bytes (the `fst` crate's code went too).
//!
//! The answers are psl 2.1.247's own, quirks included (the tests compare every rule and 100,000
//! random hosts with it):
//!
//! - labels are bytes compared as they are (no case folding, no IDNA): a rule with Unicode labels
//!   also exists with them in punycode;
//! - an unknown top-level label is a public suffix (the implicit rule `*`);
//! - a wildcard `*.ck` matches any label below `ck`, an empty one too, unless a rule names
//!   that label explicitly: `ex.futurecms.at` is below `*.futurecms.at` but is the start of
//!   `*.ex.futurecms.at`, so it only falls back to the last rule walked (`at`);
//! - an exception `!www.ck` makes the suffix its parent (`ck`);
//! - a trailing dot is kept on the answer's side of the computation and trimmed from the answer.

/// Flags of a key (the same numbers as build.rs): the key is a rule, an exception rule (`!`), or
/// the parent of a wildcard rule (`*.` + key). Keys are labels reversed: `uk.co` for `co.uk`.
const RULE: u8 = 1;
const EXCEPTION: u8 = 2;
const WILDCARD: u8 = 4;

/// The keys in order, each followed by its flags (build.rs). A byte below `END` is a key's
/// flags and so the end of its record; key bytes are all above.
static LIST: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/public_suffix_list.bin"));
const END: u8 = 0x08;
/// Where the records whose key starts with byte `b` start: entry `b` (u32, little-endian) of 257.
static INDEX: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/public_suffix_list.idx"));

/// The registrable domain of `host` (a public suffix and one label more), or `None` when the
/// host is itself a public suffix or has no label before one. A trailing dot is accepted and not
/// part of the answer. As `psl::domain_str` 2.1.247.
pub fn registrable_domain(host: &str) -> Option<&str> {
    let bytes = host.as_bytes();
    let fqdn = bytes.ends_with(b".");
    let mut labels = bytes.rsplit(|&b| b == b'.');
    if fqdn {
        labels.next();
    }
    let suffix_len = suffix_len(labels) + usize::from(fqdn);
    if suffix_len == 0 || host.len() < suffix_len + 2 {
        return None;
    }
    let below_suffix = &bytes[..host.len() - (1 + suffix_len)];
    let root_label = below_suffix.rsplit(|&b| b == b'.').next()?;
    let start = host.len() - (root_label.len() + 1 + suffix_len);
    host.get(start..host.len() - usize::from(fqdn))
}

/// The length in bytes of the public suffix made of the last of `labels` (given right to left).
fn suffix_len<'a>(mut labels: impl Iterator<Item = &'a [u8]>) -> usize {
    let Some(tld) = labels.next() else { return 0 };
    // The suffix so far (the last rule walked; any top-level label is one) and the labels walked.
    let (mut len, mut walked) = (tld.len(), tld.len());
    let Some((&first, rest)) = tld.split_first() else { return len };
    let Some(mut keys) = Keys::first(first).and_then(|k| k.child(rest)) else {
        return len;
    };
    for label in labels {
        let flags = keys.flags();
        match keys.walk(b".").and_then(|k| k.child(label)) {
            Some(below) => {
                let below_flags = below.flags();
                if below_flags & EXCEPTION != 0 {
                    return walked;
                }
                walked += 1 + label.len();
                if below_flags & RULE != 0 {
                    len = walked;
                }
                keys = below;
            }
            None if flags & WILDCARD != 0 => return walked + 1 + label.len(),
            None => return len,
        }
    }
    len
}

/// The records `LIST[lo..hi]` (never empty), whose keys all start with the same `depth` bytes:
/// where a walk down the keys is.
#[derive(Clone, Copy)]
struct Keys {
    lo: usize,
    hi: usize,
    depth: usize,
}

impl Keys {
    /// The keys that start with byte `b`, if any does.
    fn first(b: u8) -> Option<Keys> {
        let at = |i: usize| {
            let i = 4 * i;
            u32::from_le_bytes([INDEX[i], INDEX[i + 1], INDEX[i + 2], INDEX[i + 3]]) as usize
        };
        let (lo, hi) = (at(usize::from(b)), at(usize::from(b) + 1));
        (b >= END && lo < hi).then_some(Keys { lo, hi, depth: 1 })
    }

    /// The keys that continue with `bytes`, if any does.
    fn walk(self, bytes: &[u8]) -> Option<Keys> {
        let mut keys = self;
        for &b in bytes {
            if b < END {
                return None;
            }
            let Keys { lo, hi, depth } = keys;
            let first = lower_bound(lo, hi, depth, b);
            if first == hi || LIST[first + depth] != b {
                return None;
            }
            let end = match b.checked_add(1) {
                Some(next) => lower_bound(first, hi, depth, next),
                None => hi,
            };
            keys = Keys { lo: first, hi: end, depth: depth + 1 };
        }
        Some(keys)
    }

    /// The keys below `label` as a whole label: it ends a key or a `.` follows it.
    fn child(self, label: &[u8]) -> Option<Keys> {
        self.walk(label).filter(|k| k.flags() != 0 || k.walk(b".").is_some())
    }

    /// The flags of the key walked so far, 0 if it is not a key. (A key sorts first among those
    /// it is a prefix of: its flags byte is below every key byte.)
    fn flags(self) -> u8 {
        let b = LIST[self.lo + self.depth];
        if b < END {
            b
        } else {
            0
        }
    }
}

/// The start of the record that holds byte `at` (`lo` is the start of that record or of one
/// before it).
fn record_start(lo: usize, mut at: usize) -> usize {
    while at > lo && LIST[at - 1] >= END {
        at -= 1;
    }
    at
}

/// The first record in `lo..hi` (record boundaries; their keys share `depth` bytes) whose byte
/// `depth` is `b` or above, or `hi`. Records have different lengths: a probe backs up from the
/// middle byte to the start of its record.
fn lower_bound(mut lo: usize, mut hi: usize, depth: usize, b: u8) -> usize {
    while lo < hi {
        let start = record_start(lo, lo + (hi - lo) / 2);
        if LIST[start + depth] < b {
            // Past this record: after its flags byte.
            lo = start + LIST[start..].iter().position(|&x| x < END).map_or(LIST.len(), |p| p + 1);
        } else {
            hi = start;
        }
    }
    lo
}

#[cfg(test)]
mod tests {
    use super::registrable_domain;

    const LIST: &str = include_str!("../data/public_suffix_list.dat");

    /// The list's rules (`!` and `*.` kept), each also with its Unicode labels in punycode.
    fn rules() -> Vec<String> {
        let mut rules = Vec::new();
        for line in LIST.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with("//")) {
            rules.push(line.to_owned());
            if !line.is_ascii() {
                let puny = line.split('.').map(|l| match l.is_ascii() {
                    true => l.to_owned(),
                    false => format!("xn--{}", idna::punycode::encode_str(l).expect("punycode")),
                });
                rules.push(puny.collect::<Vec<_>>().join("."));
            }
        }
        rules
    }

    fn same_as_psl(host: &str) {
        assert_eq!(registrable_domain(host), psl::domain_str(host), "host `{host}`");
    }

    /// A host and the variants psl treats specially: trailing dot, empty label, upper case.
    fn check_variants(host: &str) {
        for h in [host.to_owned(), format!("{host}."), format!("{host}.."), format!(".{host}")] {
            same_as_psl(&h);
            same_as_psl(&h.to_uppercase());
            same_as_psl(&format!("a..{h}"));
        }
    }

    #[test]
    fn every_rule_answers_as_psl() {
        let rules = rules();
        assert!(rules.len() > 10_000, "{} rules", rules.len());
        for rule in &rules {
            let suffix = rule.trim_start_matches('!').replace('*', "wild");
            let first = suffix.split('.').next().expect("a label");
            let parent = suffix.split_once('.').map_or("", |(_, p)| p);
            let mut hosts = vec![
                suffix.clone(),
                format!("example.{suffix}"),
                format!("www.example.{suffix}"),
                format!("a.b.c.{suffix}"),
                // A first label that is a prefix, or an extension, of the rule's.
                format!(
                    "x.{}.{parent}",
                    &first[..first.len() - first.chars().last().map_or(0, char::len_utf8)]
                ),
                format!("x.{first}x.{parent}"),
                format!("x.{first}.x.{parent}"),
                format!(".{parent}"),
                format!("x..{parent}"),
                format!("x.*.{parent}"),
                parent.to_owned(),
            ];
            if rule.starts_with("*.") {
                hosts.extend([format!("www.{parent}"), format!("x.www.{parent}"), format!("*.{parent}")]);
            }
            for host in hosts {
                check_variants(&host);
            }
        }
    }

    /// splitmix64: a fixed, dependency-free sequence.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    fn random_label(rng: &mut Rng) -> String {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789-";
        let mut label: String =
            (0..1 + rng.below(12)).map(|_| ALPHABET[rng.below(ALPHABET.len())] as char).collect();
        match rng.below(10) {
            0 => label.insert_str(0, "xn--"),
            1 => {
                label = ["www", "city", "ex", "in", "kunden", "*", "", "co", "com", "uk"][rng.below(10)]
                    .to_owned()
            }
            2 => label = ["食狮", "公司", "中国", "Ölberg", "ck", "jp", "EXAMPLE"][rng.below(7)].to_owned(),
            _ => {}
        }
        label
    }

    #[test]
    fn random_hosts_answer_as_psl() {
        let rules = rules();
        let mut rng = Rng(0x5EED_2026);
        for _ in 0..100_000 {
            // A known suffix (a rule, or its tail), an unknown top-level label, or none.
            let mut labels: Vec<String> = match rng.below(10) {
                0..=5 => {
                    let rule = rules[rng.below(rules.len())].trim_start_matches('!').to_owned();
                    let labels: Vec<&str> = rule.split('.').collect();
                    let skip = rng.below(labels.len());
                    labels[skip..].iter().map(|l| l.replace('*', &random_label(&mut rng))).collect()
                }
                6..=8 => vec![random_label(&mut rng)],
                _ => vec![],
            };
            for _ in 0..rng.below(6) {
                labels.insert(0, random_label(&mut rng));
            }
            let mut host = labels.join(".");
            match rng.below(10) {
                0 => host.push('.'),
                1 => host.push_str(".."),
                2 => host = host.to_uppercase(),
                _ => {}
            }
            same_as_psl(&host);
        }
    }

    #[test]
    fn examples() {
        for (host, domain) in [
            ("www.example.com", Some("example.com")),
            ("example.com.", Some("example.com")),
            ("com", None),
            ("a.b.example.co.uk", Some("example.co.uk")),
            ("x.y.ck", Some("x.y.ck")),
            ("www.ck", Some("www.ck")),
            ("a.www.ck", Some("www.ck")),
            ("y.ck", None),
            ("city.kawasaki.jp", Some("city.kawasaki.jp")),
            ("a.city.kawasaki.jp", Some("city.kawasaki.jp")),
            ("a.kawasaki.jp", None),
            ("ex.futurecms.at", Some("futurecms.at")),
            ("b.a.ex.futurecms.at", Some("b.a.ex.futurecms.at")),
            ("x.unknowntld", Some("x.unknowntld")),
            ("www.xn--85x722f.xn--55qx5d.cn", Some("xn--85x722f.xn--55qx5d.cn")),
            ("", None),
            (".", None),
        ] {
            assert_eq!(registrable_domain(host), domain, "host `{host}`");
            same_as_psl(host);
        }
    }
}
