//! Native per-password timings of `score` (issue 13: compact dictionaries, single-walk
//! dictionary and l33t matching): p50 / p99 / max over the 3,200-password bench corpus, the
//! 10,000-password equivalence corpus and adversarial 256-character inputs, plus the first call
//! in the process (which used to build the dictionaries). Best of three runs per password (the
//! machine is shared: the minimum is the cost).
//! `cargo run --release -p crm-guard-score --example dict_bench`
#![allow(clippy::unwrap_used)]

use std::time::Instant;

use crm_guard_score::{score, score_unbounded, Strength};

fn time(f: fn(&str, &[&str]) -> Strength, pw: &str, inputs: &[&str]) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        std::hint::black_box(f(pw, inputs));
        best = best.min(t.elapsed().as_secs_f64() * 1000.0);
    }
    best
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let idx = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[idx.clamp(1, sorted.len()) - 1]
}

fn report(name: &str, f: fn(&str, &[&str]) -> Strength, corpus: &[String]) {
    let inputs = crm_guard_score::golden::INPUTS;
    let mut ms: Vec<(f64, &str)> = corpus.iter().map(|pw| (time(f, pw, &inputs), pw.as_str())).collect();
    ms.sort_by(|a, b| a.0.total_cmp(&b.0));
    let xs: Vec<f64> = ms.iter().map(|x| x.0).collect();
    println!(
        "{name:<48} {:>6} {:>8.3} {:>8.3} {:>8.3}   slowest {:.40?}",
        xs.len(),
        percentile(&xs, 50.0),
        percentile(&xs, 99.0),
        xs[xs.len() - 1],
        ms[ms.len() - 1].1
    );
}

/// Deterministic printable ASCII (xorshift), so runs compare.
fn random_from(pool: &str, n: usize, mut seed: u64) -> String {
    let pool: Vec<char> = pool.chars().collect();
    (0..n)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            pool[(seed % pool.len() as u64) as usize]
        })
        .collect()
}

fn adversarial() -> Vec<String> {
    let printable: String = (b' '..=b'~').map(char::from).collect();
    let l33t = "4@8({[<3691!|70$5+%2";
    let mut v = vec![];
    for seed in 1..=20u64 {
        v.push(random_from(&printable, 256, seed));
        v.push(random_from(l33t, 256, seed));
        v.push(random_from(&format!("{l33t}abcdefghilostxz"), 256, seed));
    }
    for base in [
        "p@$$w0rd!|7+{<%2369",
        "4@8(",
        "@",
        "p@ssw0rd",
        "1qaz!QAZ2wsx@WSX3edc#EDC4rfv$RFV5tgb%TGB",
        "l3t m3 1n!",
    ] {
        v.push(base.repeat(256).chars().take(256).collect());
    }
    v.push(l33t.repeat(13).chars().take(256).collect());
    v
}

fn main() {
    let t = Instant::now();
    let _ = score("J0hn.Sm1th@acme", &crm_guard_score::golden::INPUTS);
    println!("first score in the process: {:.2} ms", t.elapsed().as_secs_f64() * 1000.0);

    let dir = env!("CARGO_MANIFEST_DIR");
    let read = |p: &str| -> Vec<String> {
        serde_json::from_str(&std::fs::read_to_string(format!("{dir}/{p}")).unwrap()).unwrap()
    };
    let bench = read("../../tests/bench/password-corpus.json");
    let ten_k = read("tests/golden/corpus-10k.json");
    let adv = adversarial();
    println!(
        "{:<48} {:>6} {:>8} {:>8} {:>8}",
        "ms per password (native, with user inputs)", "n", "p50", "p99", "max"
    );
    report("score: bench corpus (3,200)", score, &bench);
    report("score: equivalence corpus (10,000)", score, &ten_k);
    report("score: adversarial 256-char inputs", score, &adv);
    report("plain zxcvbn (unsegmented): bench corpus", score_unbounded, &bench);
    // Seconds per input with one dictionary pass per l33t table: `--no-unbounded-adversarial`.
    if !std::env::args().any(|a| a == "--no-unbounded-adversarial") {
        report("plain zxcvbn (unsegmented): adversarial 256", score_unbounded, &adv);
    }
}
