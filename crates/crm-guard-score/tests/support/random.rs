//! Deterministic pseudo-random strings for the scorer's tests (xorshift64; no dependency).

/// `count` strings over `pool`, each of a length in `lengths` (end exclusive), from `seed`.
pub fn strings(pool: &str, count: usize, lengths: std::ops::Range<u64>, mut seed: u64) -> Vec<String> {
    let pool: Vec<char> = pool.chars().collect();
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    (0..count)
        .map(|_| {
            let len = lengths.start + next() % (lengths.end - lengths.start);
            (0..len).map(|_| pool[(next() % pool.len() as u64) as usize]).collect()
        })
        .collect()
}
