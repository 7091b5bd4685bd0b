//! Times 1,000,000 registrable-domain lookups natively: `crm_guard_core::suffix` (the list as a
//! transducer, see `src/suffix.rs`) against the `psl` crate it replaced, on the same hosts.
//!
//! ```text
//! cargo run --release -p crm-guard-core --example suffix_timing
//! ```

use std::hint::black_box;
use std::time::Instant;

const HOSTS: [&str; 10] = [
    "www.example.com",
    "login.salesforce.com",
    "acme.my.salesforce.com",
    "app.hubspot.com",
    "a.b.example.co.uk",
    "portal.city.kawasaki.jp",
    "x.y.ck",
    "xn--85x722f.xn--55qx5d.cn",
    "deep.sub.domain.of.github.io",
    "host.unknowntld",
];

fn time(name: &str, f: impl Fn(&str) -> Option<&str>) {
    let mut best = f64::MAX;
    for _ in 0..5 {
        let start = Instant::now();
        let mut found = 0usize;
        for i in 0..1_000_000 {
            found += f(black_box(HOSTS[i % HOSTS.len()])).map_or(0, str::len);
        }
        black_box(found);
        best = best.min(start.elapsed().as_secs_f64() * 1000.0);
    }
    println!("{name}: 1,000,000 lookups, best of 5 = {best:.1} ms ({:.0} ns each)", best);
}

fn main() {
    time("crm_guard_core::suffix", crm_guard_core::suffix::registrable_domain);
    time("psl 2.1.247", psl::domain_str);
}
