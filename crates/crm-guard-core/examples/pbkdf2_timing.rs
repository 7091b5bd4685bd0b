//! Measures PBKDF2-HMAC-SHA256 natively, the figure behind
//! `crm_guard_core::password::FINGERPRINT_ITERATIONS` (see docs/password-fingerprint.md).
//!
//! The generic HMAC/PBKDF2 code is instantiated in this example, so build the example itself
//! optimised (a debug build is about 25 times slower and proves nothing), without a release build:
//!
//! ```text
//! cargo rustc -p crm-guard-core --example pbkdf2_timing -- -C opt-level=3
//! $CARGO_TARGET_DIR/debug/examples/pbkdf2_timing [iterations]
//! ```

use std::time::Instant;

use crm_guard_core::password::FINGERPRINT_ITERATIONS;

fn main() {
    let iterations: u32 =
        std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(FINGERPRINT_ITERATIONS);
    let salt = [0x5au8; 16];
    let mut out = [0u8; 32];
    let mut best = f64::MAX;
    for _ in 0..5 {
        let start = Instant::now();
        pbkdf2::pbkdf2_hmac::<sha2::Sha256>(b"correct horse battery staple", &salt, iterations, &mut out);
        best = best.min(start.elapsed().as_secs_f64() * 1000.0);
    }
    println!("PBKDF2-HMAC-SHA256, {iterations} iterations: best of 5 = {best:.1} ms");
}
