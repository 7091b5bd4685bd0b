//! The scorer's tail, natively: p50/p99/max of `score` over tests/bench/password-corpus.json
//! and over 256-character adversarial inputs (random 30–64 and 256-char strings, keyboard
//! walks, repeats, dates, sequences), best of five runs each (the machine is shared).
//! `cargo run --release -p crm-guard-score --example score_tail [-- <password> <times>]`;
//! `-- --slowest <n> [<loops>]` lists the corpus's n slowest passwords (length, ms, password),
//! then scores those n in a loop `loops` times (for a profiler); `-- --dump` prints every
//! result (corpus and sets, as the golden files' lines) to compare two builds.

use std::time::Instant;

use crm_guard_score::score;

fn best_ms(pw: &str) -> f64 {
    (0..5)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(score(std::hint::black_box(pw), &[]));
            t.elapsed().as_secs_f64() * 1000.0
        })
        .fold(f64::MAX, f64::min)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let idx = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[idx.clamp(1, sorted.len()) - 1]
}

fn report(name: &str, inputs: &[String]) {
    let mut timed: Vec<(f64, &String)> = inputs.iter().map(|pw| (best_ms(pw), pw)).collect();
    timed.sort_by(|a, b| a.0.total_cmp(&b.0));
    let xs: Vec<f64> = timed.iter().map(|t| t.0).collect();
    println!(
        "{name:<28} n={:<5} p50 {:>7.3}  p99 {:>7.3}  max {:>7.3} ms  sum {:>8.2} ms",
        xs.len(),
        percentile(&xs, 50.0),
        percentile(&xs, 99.0),
        xs[xs.len() - 1],
        xs.iter().sum::<f64>()
    );
    for (ms, pw) in timed.iter().rev().take(2) {
        println!("    {ms:>7.3} ms {:.60}", format!("{pw:?}"));
    }
}

fn xorshift(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

fn random(pool: &str, len: usize, seed: &mut u64) -> String {
    let pool: Vec<char> = pool.chars().collect();
    (0..len).map(|_| pool[(xorshift(seed) % pool.len() as u64) as usize]).collect()
}

fn cycle(unit: &str, len: usize) -> String {
    unit.chars().cycle().take(len).collect()
}

fn main() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/bench/password-corpus.json");
    let corpus: Vec<String> =
        serde_json::from_str(&std::fs::read_to_string(path).expect("corpus")).expect("json");
    if std::env::args().nth(1).as_deref() == Some("--dump") {
        // Every result, for comparing builds: the corpus and the sets, without and with the
        // golden user inputs, as the golden files' lines.
        let mut all = corpus.clone();
        for (_, set) in adversarial_sets() {
            all.extend(set);
        }
        for line in crm_guard_score::golden::lines(&all) {
            println!("{line}");
        }
        return;
    }
    if std::env::args().nth(1).as_deref() == Some("--slowest") {
        let n: usize = std::env::args().nth(2).map_or(64, |t| t.parse().expect("n"));
        let loops: usize = std::env::args().nth(3).map_or(0, |t| t.parse().expect("loops"));
        let _ = score("warm-up", &[]);
        let mut timed: Vec<(f64, &String)> = corpus.iter().map(|pw| (best_ms(pw), pw)).collect();
        timed.sort_by(|a, b| b.0.total_cmp(&a.0));
        timed.truncate(n);
        for (ms, pw) in &timed {
            println!("{ms:>7.3} ms {:>3} {pw:?}", pw.chars().count());
        }
        for _ in 0..loops {
            for (_, pw) in &timed {
                std::hint::black_box(score(std::hint::black_box(pw), &[]));
            }
        }
        return;
    }
    // `score_tail <password> <times>`: score one input in a loop (for a profiler).
    if let Some(pw) = std::env::args().nth(1) {
        let times: usize = std::env::args().nth(2).map_or(1000, |t| t.parse().expect("times"));
        for _ in 0..times {
            std::hint::black_box(score(std::hint::black_box(&pw), &[]));
        }
        println!("{pw:?}: {:.3} ms", best_ms(&pw));
        return;
    }
    let _ = score("warm-up", &[]);
    report("corpus", &corpus);
    for (name, set) in adversarial_sets() {
        report(name, &set);
    }
}

/// The adversarial sets (deterministic).
fn adversarial_sets() -> Vec<(&'static str, Vec<String>)> {
    let mut sets = Vec::new();

    let printable: String = (' '..='~').collect();
    let mut seed = 0x9e37_79b9_7f4a_7c15;
    let random_30_64: Vec<String> = (0..200)
        .map(|_| {
            let len = 30 + (xorshift(&mut seed) % 35) as usize;
            random(&printable, len, &mut seed)
        })
        .collect();
    sets.push(("random 30-64", random_30_64));
    let random_256: Vec<String> = (0..50).map(|_| random(&printable, 256, &mut seed)).collect();
    sets.push(("random 256", random_256));
    let l33t_256: Vec<String> =
        (0..50).map(|_| random("4@8({[<3691!|70$5+%2abcdefghilost", 256, &mut seed)).collect();
    sets.push(("l33t-heavy 256", l33t_256));
    let walks: Vec<String> = [
        "qwertyuiop",
        "1qaz2wsx3edc4rfv5tgb",
        "zxcvbnm,./",
        "qazwsxedcrfvtgbyhnujmik,ol.p;/",
        "!QAZ@WSX#EDC$RFV",
        "789456123",
        "1q2w3e4r5t6y7u8i9o0p",
        "poiuytrewq",
        "asdfghjkl;'",
        "mnbvcxz",
        "7410852963",
        "qwerasdfzxcv",
    ]
    .iter()
    .map(|w| cycle(w, 256))
    .collect();
    sets.push(("keyboard walks 256", walks));
    let repeats: Vec<String> = ["a", "ab", "abc", "123", "aab", "passw0rd", "abcabd", "Zz9!", "1990"]
        .iter()
        .map(|u| cycle(u, 256))
        .chain((0..20).map(|_| {
            let unit = random(&printable, 1 + (xorshift(&mut seed) % 12) as usize, &mut seed);
            cycle(&unit, 256)
        }))
        .collect();
    sets.push(("repeats 256", repeats));
    let dates: Vec<String> = [
        "11/11/1991",
        "1991-01-01",
        "01.01.01 ",
        "19911231",
        "3112199012",
        "1/1/91",
        "20201010",
        "1 2 1999 ",
        "12_12_2012",
        "1111",
    ]
    .iter()
    .map(|d| cycle(d, 256))
    .chain((0..20).map(|_| random("0123456789/-. ", 256, &mut seed)))
    .collect();
    sets.push(("dates 256", dates));
    let sequences: Vec<String> = [
        "abcdefghijklmnopqrstuvwxyz",
        "0123456789",
        "zyxwvutsrqponmlkjihgfedcba",
        "9876543210",
        "acegikmoqsuwy",
        "13579",
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "αβγδεζηθικλμνξοπρστυφχψω",
    ]
    .iter()
    .map(|s| cycle(s, 256))
    .collect();
    sets.push(("sequences 256", sequences));
    let mixed: Vec<String> =
        (0..50).map(|_| random("0123456789abcxyzqwe19202/-.!@#", 256, &mut seed)).collect();
    sets.push(("digits/walk/date mix 256", mixed));
    sets
}
