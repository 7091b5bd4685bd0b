//! Password fingerprints for reuse and phishing checks. The reasoning behind every number is in
//! `docs/password-fingerprint.md`.
//!
//! The browser derives `PBKDF2-HMAC-SHA256(password, salt, FINGERPRINT_ITERATIONS)` through
//! WebCrypto (`crypto.subtle.deriveBits`, 32 bits are enough) with the install's random
//! [`FINGERPRINT_SALT_BYTES`]-byte salt; the core keeps only [`FINGERPRINT_BITS`] of it
//! ([`truncate`]) plus the length, and compares.

use serde::{Deserialize, Serialize};

/// PBKDF2-HMAC-SHA256 iterations: OWASP's 2023 figure for PBKDF2-HMAC-SHA256, measured at
/// ≥ 100 ms here (131 ms optimised Rust with SHA-NI, 251 ms OpenSSL; see the doc).
pub const FINGERPRINT_ITERATIONS: u32 = 600_000;
/// Bits of the derived key kept: deliberately few, so a stolen fingerprint is ambiguous.
pub const FINGERPRINT_BITS: u32 = 16;
/// Bits to ask WebCrypto's `deriveBits` for (a whole number of bytes ≥ `FINGERPRINT_BITS`).
pub const DERIVE_BITS: u32 = 32;
/// Per-install random salt length (`crypto.getRandomValues`), kept in `storage.local`.
pub const FINGERPRINT_SALT_BYTES: usize = 16;
/// WebCrypto names.
pub const FINGERPRINT_HASH: &str = "SHA-256";
pub const FINGERPRINT_KDF: &str = "PBKDF2";

/// Keeps the first [`FINGERPRINT_BITS`] bits of a derived key (big-endian; missing bytes count
/// as zero, so a short input never panics).
pub fn truncate(hash: &[u8]) -> u32 {
    let mut first = [0u8; 4];
    for (dst, src) in first.iter_mut().zip(hash) {
        *dst = *src;
    }
    u32::from_be_bytes(first) >> (32 - FINGERPRINT_BITS)
}

/// One CRM password's fingerprint, as kept in `storage.local`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredFingerprint {
    pub crm_id: String,
    /// The organisation's tenant it was learnt on ([`TenantStatus::fingerprint_tenant`]); `""`:
    /// learnt with tenant checks off for this CRM (and every fingerprint stored before tenants
    /// existed, which had no such field).
    ///
    /// [`TenantStatus::fingerprint_tenant`]: crate::tenant::TenantStatus::fingerprint_tenant
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub tenant: String,
    /// [`truncate`]d derived key.
    pub bits: u32,
    /// Length in Unicode scalar values, saturated at `u16::MAX`.
    pub length: u16,
}

impl StoredFingerprint {
    /// A fingerprint from a derived key and the password's length in chars.
    pub fn new(crm_id: impl Into<String>, derived: &[u8], length_chars: usize) -> Self {
        StoredFingerprint {
            crm_id: crm_id.into(),
            tenant: String::new(),
            bits: truncate(derived),
            length: u16::try_from(length_chars).unwrap_or(u16::MAX),
        }
    }

    fn same_password(&self, bits: u32, length: u16) -> bool {
        self.bits == bits && self.length == length
    }
}

/// The other CRMs whose stored fingerprint equals `new`'s (same bits and same length on a
/// different CRM): password reuse. Each CRM id once, in stored order.
pub fn reuse_findings(stored: &[StoredFingerprint], new: &StoredFingerprint) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in stored {
        if s.crm_id != new.crm_id && s.same_password(new.bits, new.length) && !out.contains(&s.crm_id) {
            out.push(s.crm_id.clone());
        }
    }
    out
}

/// Replaces the fingerprint of `new`'s CRM and tenant (one per tenant of a CRM), keeping the
/// others. A fingerprint learnt on a named tenant also drops that CRM's fingerprint learnt with
/// tenant checks off (`tenant == ""`, including those stored before tenants existed): it may have
/// been learnt on any organisation's tenant, so it is not kept beside the organisation's own.
pub fn upsert(stored: &mut Vec<StoredFingerprint>, new: StoredFingerprint) {
    stored.retain(|s| {
        s.crm_id != new.crm_id || (s.tenant != new.tenant && (new.tenant.is_empty() || !s.tenant.is_empty()))
    });
    stored.push(new);
}

/// The CRM whose password was just typed on a page that is *not* that CRM, if any.
pub fn phishing_match(
    stored: &[StoredFingerprint],
    candidate_bits: u32,
    candidate_len: u16,
) -> Option<String> {
    stored.iter().find(|s| s.same_password(candidate_bits, candidate_len)).map(|s| s.crm_id.clone())
}

/// Limits fingerprint checks on non-CRM pages, so a hostile page cannot use the extension as
/// an oracle (type candidates, watch for the warning). Sliding one-minute window, time
/// injected; serialisable so it survives the worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckLimiter {
    max_per_minute: u32,
    /// Times of the checks allowed in the last minute, oldest first.
    recent_ms: Vec<u64>,
}

/// Window of [`CheckLimiter`].
pub const LIMITER_WINDOW_MS: u64 = 60_000;
/// Upper bound on `max_per_minute`, whatever the caller passes.
pub const LIMITER_MAX_PER_MINUTE: u32 = 600;

impl CheckLimiter {
    pub fn new(max_per_minute: u32) -> Self {
        CheckLimiter { max_per_minute: max_per_minute.min(LIMITER_MAX_PER_MINUTE), recent_ms: Vec::new() }
    }

    /// Whether a check may run at `now_ms`; counts it if so. If the clock went backwards,
    /// checks "from the future" still count until they are a minute old on the new clock…
    /// bounded: anything more than a minute ahead is dropped.
    pub fn allow(&mut self, now_ms: u64) -> bool {
        let window_start = now_ms.saturating_sub(LIMITER_WINDOW_MS);
        let future_limit = now_ms.saturating_add(LIMITER_WINDOW_MS);
        self.recent_ms.retain(|&t| t > window_start && t <= future_limit);
        if self.recent_ms.len() >= self.max_per_minute as usize {
            return false;
        }
        self.recent_ms.push(now_ms);
        true
    }

    /// Checks left in the current window.
    pub fn remaining(&self, now_ms: u64) -> u32 {
        let window_start = now_ms.saturating_sub(LIMITER_WINDOW_MS);
        let used = self.recent_ms.iter().filter(|&&t| t > window_start).count();
        self.max_per_minute.saturating_sub(u32::try_from(used).unwrap_or(u32::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(crm: &str, bits: u32, length: u16) -> StoredFingerprint {
        StoredFingerprint { crm_id: crm.into(), tenant: String::new(), bits, length }
    }

    fn fpt(crm: &str, tenant: &str, bits: u32) -> StoredFingerprint {
        StoredFingerprint { tenant: tenant.into(), ..fp(crm, bits, 12) }
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex")).collect()
    }

    fn pbkdf2_sha256(password: &[u8], salt: &[u8], iterations: u32, len: usize) -> Vec<u8> {
        let mut out = vec![0u8; len];
        pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, salt, iterations, &mut out);
        out
    }

    #[test]
    fn pbkdf2_sha256_known_vectors() {
        // RFC 7914 §11 (PBKDF2-HMAC-SHA-256) and the widely used RFC 6070-style vectors for
        // SHA-256: the same function WebCrypto's PBKDF2 with hash "SHA-256" computes.
        let vectors: &[(&[u8], &[u8], u32, &str)] = &[
            (b"passwd", b"salt", 1, "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"),
            (b"Password", b"NaCl", 80_000, "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d"),
            (b"password", b"salt", 1, "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b"),
            (b"password", b"salt", 2, "ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43"),
            (b"password", b"salt", 4096, "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a"),
        ];
        for &(password, salt, iterations, expected) in vectors {
            let expected = hex(expected);
            assert_eq!(pbkdf2_sha256(password, salt, iterations, expected.len()), expected, "{iterations}");
        }
    }

    /// A vector with the real parameters, for the JS side's test of its WebCrypto call:
    /// password "correct horse battery staple", salt 16 × 0x5a, 600 000 iterations.
    #[test]
    fn fingerprint_vector_with_real_parameters() {
        let derived = pbkdf2_sha256(b"correct horse battery staple", &[0x5a; 16], FINGERPRINT_ITERATIONS, 4);
        let fp = StoredFingerprint::new("salesforce", &derived, 28);
        assert_eq!(fp.bits, truncate(&derived));
        assert_eq!(fp.bits, u32::from_be_bytes([derived[0], derived[1], derived[2], derived[3]]) >> 16);
        assert_eq!(
            format!("{:08x}/{:04x}", u32::from_be_bytes(derived[..4].try_into().expect("4")), fp.bits),
            FINGERPRINT_VECTOR
        );
    }

    /// `deriveBits` first 32 bits as hex, then the fingerprint bits, for the vector above.
    const FINGERPRINT_VECTOR: &str = "be08c372/be08";

    #[test]
    fn truncate_keeps_the_top_bits() {
        const {
            assert!(
                FINGERPRINT_BITS <= 32 && DERIVE_BITS >= FINGERPRINT_BITS && DERIVE_BITS.is_multiple_of(8)
            )
        };
        assert_eq!(truncate(&[0xab, 0xcd, 0xef, 0x01, 0xff]), 0xabcd);
        assert_eq!(truncate(&[0xff, 0xff, 0xff, 0xff]), (1 << FINGERPRINT_BITS) - 1);
        assert_eq!(truncate(&[0x12]), 0x1200);
        assert_eq!(truncate(&[]), 0);
    }

    #[test]
    fn reuse_table() {
        let stored = vec![fp("salesforce", 0x1234, 14), fp("hubspot", 0x1234, 14), fp("odoo", 0x1234, 15)];
        // (new fingerprint, expected other CRMs)
        let rows: Vec<(StoredFingerprint, Vec<&str>)> = vec![
            (fp("pipedrive", 0x1234, 14), vec!["salesforce", "hubspot"]),
            (fp("salesforce", 0x1234, 14), vec!["hubspot"]), // never itself
            (fp("pipedrive", 0x1234, 13), vec![]),           // same bits, other length
            (fp("pipedrive", 0x1235, 14), vec![]),
            (fp("odoo", 0x1234, 15), vec![]),
        ];
        for (new, expected) in rows {
            assert_eq!(reuse_findings(&stored, &new), expected, "{new:?}");
        }
        assert_eq!(reuse_findings(&[], &fp("a", 1, 1)), Vec::<String>::new());
        let dup = vec![fp("a", 1, 1), fp("a", 1, 1)];
        assert_eq!(reuse_findings(&dup, &fp("b", 1, 1)), vec!["a"]);
    }

    #[test]
    fn upsert_keeps_one_per_crm() {
        let mut stored = vec![fp("a", 1, 12), fp("b", 2, 12)];
        upsert(&mut stored, fp("a", 3, 13));
        assert_eq!(stored, vec![fp("b", 2, 12), fp("a", 3, 13)]);
    }

    /// Fingerprints are keyed by CRM and tenant; the organisation's tenant replaces the CRM-wide
    /// one learnt with tenant checks off (also one stored before tenants, without the field).
    #[test]
    fn upsert_by_tenant() {
        let legacy: StoredFingerprint =
            serde_json::from_str(r#"{"crmId": "salesforce", "bits": 1, "length": 12}"#).expect("old shape");
        assert_eq!(legacy, fpt("salesforce", "", 1));
        let mut stored = vec![legacy, fpt("hubspot", "", 2)];
        upsert(&mut stored, fpt("salesforce", "acme.my.salesforce.com", 3));
        assert_eq!(stored, vec![fpt("hubspot", "", 2), fpt("salesforce", "acme.my.salesforce.com", 3)]);
        upsert(&mut stored, fpt("salesforce", "acme--*.sandbox.my.salesforce.com", 4));
        upsert(&mut stored, fpt("salesforce", "acme.my.salesforce.com", 5));
        assert_eq!(
            stored,
            vec![
                fpt("hubspot", "", 2),
                fpt("salesforce", "acme--*.sandbox.my.salesforce.com", 4),
                fpt("salesforce", "acme.my.salesforce.com", 5)
            ]
        );
        // Tenant checks off again: the CRM-wide fingerprint sits beside the tenants' ones.
        upsert(&mut stored, fpt("salesforce", "", 6));
        assert_eq!(stored.len(), 4);
        upsert(&mut stored, fpt("salesforce", "", 7));
        assert_eq!(stored.len(), 4);
        assert_eq!(stored[3], fpt("salesforce", "", 7));
    }

    #[test]
    fn phishing_table() {
        let stored = vec![fp("salesforce", 0xbeef, 16), fp("hubspot", 0x0001, 12)];
        let rows: &[(u32, u16, Option<&str>)] = &[
            (0xbeef, 16, Some("salesforce")),
            (0x0001, 12, Some("hubspot")),
            (0xbeef, 15, None),
            (0xbeee, 16, None),
        ];
        for &(bits, len, expected) in rows {
            assert_eq!(phishing_match(&stored, bits, len).as_deref(), expected, "{bits:x} {len}");
        }
        assert_eq!(phishing_match(&[], 0, 0), None);
        let long = StoredFingerprint::new("x", &[0; 4], 1_000_000);
        assert_eq!(long.length, u16::MAX);
    }

    #[test]
    fn limiter_sliding_window() {
        let t0 = 1_700_000_000_000;
        let mut l = CheckLimiter::new(3);
        assert!(l.allow(t0) && l.allow(t0 + 1) && l.allow(t0 + 2));
        assert!(!l.allow(t0 + 3), "fourth in the same minute");
        assert_eq!(l.remaining(t0 + 3), 0);
        assert!(!l.allow(t0 + 59_999));
        assert!(l.allow(t0 + 60_000), "the first check left the window");
        assert!(!l.allow(t0 + 60_000));
        // Survives the worker.
        let mut revived: CheckLimiter =
            serde_json::from_str(&serde_json::to_string(&l).expect("json")).expect("json");
        assert!(!revived.allow(t0 + 60_000));
        assert!(revived.allow(t0 + 200_000));
        // Clock far backwards: old entries from "the future" do not block forever.
        let mut l = CheckLimiter::new(1);
        assert!(l.allow(t0));
        assert!(!l.allow(t0 - 1_000), "a small step back still counts the recent check");
        assert!(l.allow(t0 - 3_600_000));
        // Zero means no checks; huge values are capped.
        assert!(!CheckLimiter::new(0).allow(t0));
        assert_eq!(CheckLimiter::new(u32::MAX).remaining(t0), LIMITER_MAX_PER_MINUTE);
    }
}
