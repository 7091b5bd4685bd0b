//! The registrable domain (eTLD+1) of a host from the Public Suffix List.
//!
//! This replaced the `psl` crate, whose list is compiled into ~919 KB of generated match code
//! (about 45% of the engine module's code). Here the list (`data/public_suffix_list.dat`, the
//! rules of psl 2.1.247) is a finite-state transducer of 72 KB built by `build.rs` and walked in
//! place from static bytes: no start-up cost, nothing allocated. The engine's release module
//! (`crm_guard_wasm.wasm` before wasm-opt) went from 3,344,186 to 2,512,763 bytes, 912,319 to
//! 712,844 gzipped. A lookup takes ~250 ns natively against psl's ~40 ns
//! (`examples/suffix_timing.rs`), once per navigation or pattern: nothing to notice.
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

use fst::raw::{Fst, Node, Output};

/// Flags of a key (the same numbers as build.rs): the key is a rule, an exception rule (`!`), or
/// the parent of a wildcard rule (`*.` + key). Keys are labels reversed: `uk.co` for `co.uk`.
const RULE: u64 = 1;
const EXCEPTION: u64 = 2;
const WILDCARD: u64 = 4;

static LIST: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/public_suffix_list.fst"));

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
    let fst = Fst::new(LIST).expect("transducer built by build.rs");
    let Some(tld) = labels.next() else { return 0 };
    // The suffix so far (the last rule walked; any top-level label is one) and the labels walked.
    let (mut len, mut walked) = (tld.len(), tld.len());
    let Some((mut node, mut out)) = child(&fst, fst.root(), Output::zero(), tld) else {
        return len;
    };
    for label in labels {
        let flags = flags_of(node, out);
        let below = walk(&fst, node, out, b".").and_then(|(n, o)| child(&fst, n, o, label));
        match below {
            Some((n, o)) => {
                let below_flags = flags_of(n, o);
                if below_flags & EXCEPTION != 0 {
                    return walked;
                }
                walked += 1 + label.len();
                if below_flags & RULE != 0 {
                    len = walked;
                }
                (node, out) = (n, o);
            }
            None if flags & WILDCARD != 0 => return walked + 1 + label.len(),
            None => return len,
        }
    }
    len
}

/// The node of `label` below `node`, if some key has it as a whole label.
fn child<'f>(fst: &'f Fst<&[u8]>, node: Node<'f>, out: Output, label: &[u8]) -> Option<(Node<'f>, Output)> {
    walk(fst, node, out, label).filter(|(n, _)| n.is_final() || n.find_input(b'.').is_some())
}

fn walk<'f>(
    fst: &'f Fst<&[u8]>,
    mut node: Node<'f>,
    mut out: Output,
    bytes: &[u8],
) -> Option<(Node<'f>, Output)> {
    for &b in bytes {
        let t = node.transition(node.find_input(b)?);
        out = out.cat(t.out);
        node = fst.node(t.addr);
    }
    Some((node, out))
}

fn flags_of(node: Node<'_>, out: Output) -> u64 {
    if node.is_final() {
        out.cat(node.final_output()).value()
    } else {
        0
    }
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
