//! Native timings of `score` (bounded) next to `score_unbounded` (plain zxcvbn), over
//! tests/bench/password-corpus.json and the worst-case inputs. Run with
//! `cargo run --release -p crm-guard-score --example score_timings`.
//! Lists every corpus password whose score differs between the two.

use std::time::Instant;

use crm_guard_score::{score, score_unbounded, segments, work, Strength, WORK_BUDGET};

/// Best of three runs, in ms (the machine is shared: the minimum is the cost, the rest noise).
fn time(f: fn(&str, &[&str]) -> Strength, pw: &str) -> (f64, Strength) {
    let mut best = f64::MAX;
    let mut out = None;
    for _ in 0..3 {
        let t = Instant::now();
        let s = f(pw, &[]);
        best = best.min(t.elapsed().as_secs_f64() * 1000.0);
        out = Some(s);
    }
    (best, out.expect("three runs"))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let idx = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[idx.clamp(1, sorted.len()) - 1]
}

fn main() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/bench/password-corpus.json");
    let corpus: Vec<String> =
        serde_json::from_str(&std::fs::read_to_string(path).expect("corpus")).expect("json");
    let _ = score("warm-up", &[]);

    let mut before = Vec::new();
    let mut after = Vec::new();
    let mut differ = 0;
    let mut segmented = 0;
    let mut slowest = Vec::new();
    for pw in &corpus {
        let (tb, sb) = time(score_unbounded, pw);
        let (ta, sa) = time(score, pw);
        before.push(tb);
        after.push(ta);
        slowest.push((ta, pw.clone()));
        let capped: String = pw.chars().take(100).collect();
        if segments(&capped).len() > 1 {
            segmented += 1;
        }
        if sa.score != sb.score {
            differ += 1;
            println!("score differs: {pw:?} bounded {} vs zxcvbn {}", sa.score, sb.score);
        }
        assert!(sa.score <= sb.score, "overestimate: {pw:?}");
    }
    before.sort_by(f64::total_cmp);
    after.sort_by(f64::total_cmp);
    println!(
        "corpus: {} passwords, {segmented} scored in segments, {differ} with another score",
        corpus.len()
    );
    println!("{:<44} {:>9} {:>9} {:>9}", "ms (native)", "p50", "p99", "max");
    for (name, xs) in [("zxcvbn 3.1.1 (before)", &before), ("score, bounded (after)", &after)] {
        println!(
            "{name:<44} {:>9.3} {:>9.3} {:>9.3}",
            percentile(xs, 50.0),
            percentile(xs, 99.0),
            xs[xs.len() - 1]
        );
    }

    slowest.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (ms, pw) in slowest.iter().take(3) {
        println!("slowest after: {ms:.2} ms {pw:?}");
    }
    println!();
    println!(
        "{:<44} {:>9} {:>9} {:>6} {:>6} {:>5} {:>8}",
        "worst case", "before ms", "after ms", "score", "before", "segs", "work"
    );
    for pw in adversarial() {
        let (_, sb) = time(score_unbounded, &pw);
        let (_, sa) = time(score, &pw);
        let capped: String = pw.chars().take(100).collect();
        println!(
            "adv {:>2} {:>2} {:>6.2} {:>6.2} {:>3} {:.40}",
            sa.score,
            sb.score,
            sa.guesses_log10,
            sb.guesses_log10,
            segments(&capped).len(),
            pw
        );
    }
    for (name, pw) in worst_cases() {
        let (tb, sb) = time(score_unbounded, &pw);
        let (ta, sa) = time(score, &pw);
        let capped: String = pw.chars().take(100).collect();
        println!(
            "{name:<44} {tb:>9.2} {ta:>9.2} {:>6} {:>6} {:>5} {:>8}",
            sa.score,
            sb.score,
            segments(&capped).len(),
            total_work(&capped)
        );
    }

    // The most work any 100-character input could cost, searched over random mixes of l33t
    // characters, letters and symbols (no scoring, only the work model).
    let pools = [
        "4@8({[<3691!|70$5+%2",
        "4@8({[<3691!|70$5+%2abcdefgh",
        "@",
        "ab",
        " !\"#%&'()*+,-./0123456789:;<=>?@[]^_`{|}~xyz",
    ];
    let mut worst = 0;
    let mut seed = 1u64;
    for _ in 0..20_000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let pool: Vec<char> = pools[(seed % pools.len() as u64) as usize].chars().collect();
        let s: String = (0..100)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                pool[(seed % pool.len() as u64) as usize]
            })
            .collect();
        worst = worst.max(total_work(&s));
    }
    println!("budget {WORK_BUDGET} per zxcvbn call; most total work found over 20,000 random 100-char inputs: {worst}");
}

fn total_work(capped: &str) -> u64 {
    segments(capped).iter().map(|s| work(&s.chars().collect::<Vec<_>>())).sum()
}

/// Deterministic printable ASCII (xorshift), so runs compare.
fn random_printable(n: usize, mut seed: u64) -> String {
    (0..n)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            char::from(b' ' + (seed % 95) as u8)
        })
        .collect()
}

fn worst_cases() -> Vec<(String, String)> {
    let l33t = "4@8({[<3691!|70$5+%2";
    let mut v = vec![];
    for n in [40, 60, 80, 100] {
        v.push((format!("random printable ASCII x{n}"), random_printable(n, 0x9e37_79b9_7f4a_7c15)));
    }
    v.push(("100 random printable, seed 2".into(), random_printable(100, 42)));
    v.push(("40 l33t characters".into(), l33t.repeat(2)));
    v.push(("all l33t characters x5 (100)".into(), l33t.repeat(5)));
    v.push(("'@' x100".into(), "@".repeat(100)));
    v.push(("'4@8(' x25".into(), "4@8(".repeat(25)));
    v.push(("p@ssw0rd x12".into(), "p@ssw0rd".repeat(12)));
    v.push(("p@$$w0rd!|7+{<%2369 x5".into(), "p@$$w0rd!|7+{<%2369".repeat(5)));
    v.push(("10,000-char random paste".into(), random_printable(10_000, 7)));
    v
}

#[allow(dead_code)]
fn adversarial() -> Vec<String> {
    let bases = [
        "!@#$%^&*()1234567890",
        "1234567890!@#$%^&*()",
        "1qaz!QAZ2wsx@WSX3edc#EDC4rfv$RFV5tgb%TGB",
        "1q2w3e4r5t6y7u8i9o0p",
        "p@$$w0rd!23",
        "l3t m3 1n!",
        "12345678909876543210",
        "!1@2#3$4%5^6&7*8(9)0",
        "0987654321)(*&^%$#@!",
        "1357924680<>[]{}()",
        "{[(<>)]}1234|!@$",
        "qwerty!@#$%^123456789",
        "p4$$w0rd!|7+{<%2369",
        "@dm1n!$+r4+0r",
        "7r0ub4d0r&3",
        "s3cr3t!@#$%12345",
    ];
    let mut v = vec![];
    for b in bases {
        v.push(b.repeat(100 / b.len() + 1));
        v.push(b.to_string());
    }
    v
}
