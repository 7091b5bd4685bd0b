//! The 10,000-password equivalence corpus (issue 13): deterministic (splitmix64, fixed seed, no
//! download), written to `tests/golden/corpus-10k.json` and scored into
//! `tests/golden/corpus-10k.tsv` by `tests/equivalence.rs`.
//!
//! Mix, one kind drawn uniformly per password (1–64 Unicode scalar values each):
//! - the kinds of `tests/bench/password-corpus.mjs` (word + number, capitalised word + year +
//!   symbol, leet word + number, keyboard walk, date, repeat, sequence, random printable ASCII of
//!   1–64, passphrase, word + non-ASCII, non-ASCII only, plain word);
//! - random printable ASCII of 30–64 characters (the l33t matcher's worst case);
//! - l33t-heavy words: 1–3 words with each substitutable letter replaced, by chance, by one of its
//!   l33t characters (every character of zxcvbn's l33t table can appear), plus digits/symbols;
//! - keyboard walks: random walks on the QWERTY rows and columns, with shifts and turns;
//! - first name or surname + year (+ symbol), capitalised or not.

pub const SEED: u64 = 0x1337_c0ff_ee13;
pub const SIZE: usize = 10_000;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn int(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.int(100) < percent
    }
    fn pick<'a, T: ?Sized>(&mut self, xs: &[&'a T]) -> &'a T {
        xs[self.int(xs.len())]
    }
}

const WORDS: &[&str] = &[
    "password",
    "welcome",
    "dragon",
    "monkey",
    "sunshine",
    "princess",
    "football",
    "baseball",
    "master",
    "shadow",
    "letmein",
    "trustno1",
    "qwerty",
    "iloveyou",
    "starwars",
    "summer",
    "winter",
    "autumn",
    "spring",
    "salesforce",
    "hubspot",
    "dynamics",
    "acme",
    "contoso",
    "customer",
    "pipeline",
    "revenue",
    "orbit",
    "lantern",
    "seaweed",
    "tangle",
    "glacier",
    "mosaic",
    "tundra",
    "quokka",
    "violet",
    "harbor",
    "copper",
    "falcon",
    "marble",
    "pepper",
    "walnut",
    "cobalt",
    "meadow",
    "canyon",
    "ember",
    "juniper",
    "nectar",
    "pixel",
    "riddle",
    "saffron",
    "timber",
    "velvet",
    "zephyr",
    "soleil",
    "bonjour",
    "motdepasse",
    "fromage",
    "chocolat",
    "chateau",
    "jardin",
    "secret",
    "admin",
    "login",
    "access",
    "computer",
    "internet",
    "service",
    "support",
    "business",
    "elephant",
    "butterfly",
    "beautiful",
    "classic",
    "tigger",
    "cheese",
    "michelle",
    "jessica",
    "charlie",
    "freedom",
    "whatever",
    "nothing",
];
const NAMES: &[&str] = &[
    "john",
    "mary",
    "james",
    "patricia",
    "robert",
    "jennifer",
    "michael",
    "linda",
    "william",
    "elizabeth",
    "david",
    "barbara",
    "richard",
    "susan",
    "joseph",
    "jessica",
    "thomas",
    "sarah",
    "charles",
    "karen",
    "smith",
    "johnson",
    "williams",
    "brown",
    "jones",
    "garcia",
    "miller",
    "davis",
    "rodriguez",
    "martinez",
    "hernandez",
    "lopez",
    "wilson",
    "anderson",
    "taylor",
    "moore",
    "jackson",
    "martin",
    "lee",
    "thompson",
];
const WALKS: &[&str] = &[
    "qwerty",
    "asdfgh",
    "zxcvbn",
    "1qaz2wsx",
    "qazwsx",
    "123qwe",
    "azerty",
    "poiuytreza",
    "!QAZ2wsx",
    "mnbvcxz",
];
const SYMBOLS: &str = "!@#$%^&*?-_.+=";
const UNICODE: &[&str] = &[
    "é", "è", "ç", "à", "ü", "ß", "ñ", "密", "码", "안", "녕", "п", "а", "р", "ол", "ب", "ك", "ل", "ة", "😀",
    "🔒", "🚀", "𝔭", "\u{202e}",
];
/// zxcvbn's l33t table (letter, its substitutes).
const L33T: &[(char, &str)] = &[
    ('a', "4@"),
    ('b', "8"),
    ('c', "({[<"),
    ('e', "3"),
    ('g', "69"),
    ('i', "1!|"),
    ('l', "1|7"),
    ('o', "0"),
    ('s', "$5"),
    ('t', "+7"),
    ('x', "%"),
    ('z', "2"),
];
/// QWERTY rows (unshifted, shifted), for walks.
const ROWS: &[(&str, &str)] = &[
    ("`1234567890-=", "~!@#$%^&*()_+"),
    ("qwertyuiop[]", "QWERTYUIOP{}"),
    ("asdfghjkl;'", "ASDFGHJKL:\""),
    ("zxcvbnm,./", "ZXCVBNM<>?"),
];

fn printable(r: &mut Rng, n: usize) -> String {
    (0..n).map(|_| char::from(b'!' + r.int(94) as u8)).collect()
}

fn cap(w: &str) -> String {
    let mut c = w.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

fn leet(w: &str) -> String {
    w.replace('a', "@").replace('o', "0").replace('e', "3").replace('i', "1").replace('s', "$")
}

fn l33t_heavy(r: &mut Rng) -> String {
    let mut out = String::new();
    for _ in 0..1 + r.int(3) {
        for ch in r.pick(WORDS).chars() {
            match L33T.iter().find(|(l, _)| *l == ch) {
                Some((_, subs)) if r.chance(70) => {
                    let subs: Vec<char> = subs.chars().collect();
                    out.push(subs[r.int(subs.len())]);
                }
                _ => out.push(if r.chance(15) { ch.to_ascii_uppercase() } else { ch }),
            }
        }
    }
    if r.chance(60) {
        out += &r.int(10_000).to_string();
    }
    if r.chance(50) {
        out.push(SYMBOLS.as_bytes()[r.int(SYMBOLS.len())] as char);
    }
    out
}

fn keyboard_walk(r: &mut Rng) -> String {
    let mut row = r.int(ROWS.len());
    let mut col = r.int(10);
    let mut out = String::new();
    let (mut dr, mut dc) = (0i64, 1i64);
    for _ in 0..4 + r.int(14) {
        let (plain, shifted) = ROWS[row];
        let keys = if r.chance(15) { shifted } else { plain };
        let c = col.min(keys.chars().count() - 1);
        out.push(keys.chars().nth(c).unwrap_or('q'));
        if r.chance(25) {
            (dr, dc) = [(0, 1), (0, -1), (1, 0), (-1, 0)][r.int(4)];
        }
        row = (row as i64 + dr).clamp(0, ROWS.len() as i64 - 1) as usize;
        col = (col as i64 + dc).clamp(0, 11) as usize;
    }
    out
}

fn name_year(r: &mut Rng) -> String {
    let name = r.pick(NAMES);
    let mut s = if r.chance(50) { cap(name) } else { name.to_string() };
    s += &(1940 + r.int(90)).to_string();
    if r.chance(40) {
        s.push(SYMBOLS.as_bytes()[r.int(SYMBOLS.len())] as char);
    }
    s
}

fn one(r: &mut Rng) -> String {
    match r.int(16) {
        0 => format!("{}{}", r.pick(WORDS), r.int(1000)),
        1 => format!(
            "{}{}{}",
            cap(r.pick(WORDS)),
            1950 + r.int(80),
            SYMBOLS.as_bytes()[r.int(SYMBOLS.len())] as char
        ),
        2 => format!("{}{}", leet(r.pick(WORDS)), r.int(100)),
        3 => {
            let w = r.pick(WALKS).to_string();
            if r.chance(50) {
                format!("{w}{}", r.int(100))
            } else {
                w
            }
        }
        4 => format!("{:02}{:02}{}", 1 + r.int(28), 1 + r.int(12), 1950 + r.int(75)),
        5 => r.pick(&["a", "x", "1", "ab", "abc", "123"]).repeat(1 + r.int(20)),
        6 => {
            let s = r.pick(&["abcdef", "123456789", "zyxwvu", "13579", "aceg"]);
            s.chars().take(2 + r.int(8)).collect()
        }
        7 => {
            let n = 1 + r.int(64);
            printable(r, n)
        }
        8 => {
            let sep = r.pick(&[" ", "-", "", ".", "_"]);
            (0..3 + r.int(4)).map(|_| r.pick(WORDS)).collect::<Vec<_>>().join(sep)
        }
        9 => format!(
            "{}{}{}{}{}",
            cap(r.pick(WORDS)),
            r.pick(UNICODE),
            r.pick(WORDS),
            r.pick(UNICODE),
            r.int(100)
        ),
        10 => (0..1 + r.int(20)).map(|_| r.pick(UNICODE)).collect(),
        11 => r.pick(WORDS).to_string(),
        12 => {
            let n = 30 + r.int(35);
            printable(r, n)
        }
        13 => l33t_heavy(r),
        14 => keyboard_walk(r),
        _ => name_year(r),
    }
}

pub fn generate() -> Vec<String> {
    let mut r = Rng(SEED);
    let mut out = Vec::with_capacity(SIZE);
    while out.len() < SIZE {
        let pw: String = one(&mut r).chars().take(64).collect();
        if !pw.is_empty() {
            out.push(pw);
        }
    }
    out
}
