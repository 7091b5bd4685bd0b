//! Lookalike hosts: a host that is not a CRM host but imitates one.
//!
//! The caller has already established that the host is not a CRM host. Signals, in order:
//!
//! 1. **Vendor-owned** registrable domains (eTLD+1, from the Public Suffix List) are never lookalikes: the
//!    vendor controls `trailhead.salesforce.com`, `blog.hubspot.com` and `dynamics.microsoft.com`.
//! 2. **Embedded domain**: a CRM's registrable domain sits label-aligned inside a foreign host
//!    (`acme.my.salesforce.com.evil.io`, `app.hubspot.com-login.info`). Derived from the catalog, so
//!    self-hosted CRMs added by policy are covered too.
//! 3. **Brand in the registrable label**, from a curated list of brand words ([`BRANDS`]): coined words
//!    (`salesforce`, `hubspot`, `pipedrive`) count anywhere in the label (`secure-hubspot.net`) and under
//!    another suffix (`salesforce.co`); common English words (`monday`, `close`, `copper`, `force`) count
//!    only when disguised (`m0nday.com`), so `mondaymorning.com`, `closet.com` and `forcepoint.com` pass.
//! 4. **Misspelling**: a small edit distance (optimal string alignment, so `hubsopt` is one edit) between the
//!    label and a coined brand word, after folding look-alike ASCII (`0→o`, `1/i→l`, `5→s`, `3→e`, `rn→m`,
//!    `vv→w`). Only for words of 6 letters or more: ≤ 1 edit up to 8 letters, ≤ 2 from 9.
//! 5. **Homograph**: punycode labels are decoded and Cyrillic, Greek and accented letters that look Latin
//!    are folded the same way (`xn--slesforce-51a.com` is `sаlesforce.com` with a Cyrillic `а`).
//!
//! Known limits: a brand word in a *sub-domain* label of an unrelated site (`salesforce.acme.com`) is not
//! flagged, since companies name their own integration hosts that way; and tenants of a vendor's own
//! platform (`salesforce-login.my.site.com`) are the vendor's to police.
//!
//! Cost: O(brands × label length) per check, with one small allocation per check for the folded label.

use serde::Serialize;

use crate::catalog::{Catalog, CrmEntry, BUILTIN};
use crate::host::{HostPattern, PageUrl};

/// Why a host is taken for an imitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Reason {
    /// A CRM's domain sits inside a foreign host (`acme.my.salesforce.com.evil.io`).
    EmbeddedDomain,
    /// A brand name inside a foreign registrable domain (`salesforce-login.com`, `hubspot.co`).
    BrandName,
    /// A misspelt brand (`hubsopt.com`) or one written with look-alike ASCII (`salesf0rce.com`).
    Misspelling,
    /// Non-Latin or accented letters that look like a brand (`sаlesforce.com`, Cyrillic `а`).
    Homograph,
}

/// A host that imitates a catalog CRM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Imitation {
    pub crm_id: String,
    pub crm_name: String,
    pub reason: Reason,
}

/// A brand word and how far it reaches.
#[derive(Debug, Clone, Copy)]
struct Brand {
    /// Catalog id of the CRM the word stands for.
    crm: &'static str,
    /// Lower-case ASCII, as the vendor writes it in its domains.
    word: &'static str,
    /// A coined word: found anywhere in a foreign registrable label. A common word only counts when
    /// disguised (the whole label folds to it but is not it).
    coined: bool,
    /// Edits still counted as a misspelling of the word (0: none).
    max_edits: u8,
}

const fn coined(crm: &'static str, word: &'static str, max_edits: u8) -> Brand {
    Brand { crm, word, coined: true, max_edits }
}

const fn common(crm: &'static str, word: &'static str) -> Brand {
    Brand { crm, word, coined: false, max_edits: 0 }
}

/// The curated brand words. `max_edits` follows [`default_max_edits`] unless a real, unrelated word sits
/// that close (noted per line); the tests check no entry exceeds the default.
static BRANDS: &[Brand] = &[
    coined("salesforce", "salesforce", 2),
    coined("salesforce", "visualforce", 2),
    // "force" alone is in Forcepoint, workforce, airforce: only `f0rce` or an embedded `force.com.` count.
    common("salesforce", "force"),
    coined("dynamics365", "dynamics365", 2),
    // 1, not 2: "dynamics" is two edits away and an ordinary word.
    coined("dynamics365", "msdynamics", 1),
    // Boston Dynamics, fluid dynamics: common.
    common("dynamics365", "dynamics"),
    coined("hubspot", "hubspot", 1),
    coined("zoho", "zoho", 0),
    coined("freshsales", "freshworks", 2),
    coined("freshsales-classic", "freshsales", 2),
    coined("pipedrive", "pipedrive", 2),
    coined("sugarcrm", "sugarondemand", 2),
    coined("sugarcrm", "sugarcrm", 1),
    coined("zendesk-sell", "futuresimple", 2),
    coined("zendesk-sell", "zendesk", 1),
    common("monday", "monday"),
    // 1, not 2: "insights" and "insightful" are ordinary words two edits away.
    coined("insightly", "insightly", 1),
    common("copper", "copper"),
    coined("copper", "prosperworks", 2),
    // "odoo" is inside "voodoo": common.
    common("odoo", "odoo"),
    common("close", "close"),
    coined("capsule", "capsulecrm", 2),
    common("capsule", "capsule"),
    coined("bitrix24", "bitrix24", 1),
    common("bitrix24", "bitrix"),
    common("nutshell", "nutshell"),
];

/// Registrable domains the vendors own besides those in the catalog's host patterns (marketing, status,
/// docs, assets). A host under one of them is the vendor's, never a lookalike.
static VENDOR_DOMAINS: &[&str] = &[
    "salesforce.com",
    "salesforce.org",
    "force.com",
    "site.com",
    "visualforce.com",
    "salesforce-sites.com",
    "sfdc.net",
    "sfdcstatic.com",
    "trailhead.com",
    "documentforce.com",
    "cloudforce.com",
    "microsoft.com",
    "microsoftonline.com",
    "dynamics.com",
    "hubspot.com",
    "hubspot.net",
    "zohocorp.com",
    "zohostatic.com",
    "freshworks.com",
    "freshdesk.com",
    "freshservice.com",
    "freshchat.com",
    "pipedriveassets.com",
    "sugarcrm.com",
    "zendesk.com",
    "zdassets.com",
    "insightly.com",
    "copper.com",
    "prosperworks.com",
    "odoo.sh",
    "close.io",
    "capsulecrm.com",
    "bitrix24.ru",
    "1c-bitrix.ru",
];

/// Registrable domains of real, unrelated businesses whose names are a few edits from a brand word.
/// Grows on report; each one is a false alarm someone saw.
static NEIGHBOURS: &[&str] = &["freshbooks.com", "salesforge.ai"];

/// The default edit budget for a word of this many letters: none under 6, 1 up to 8, 2 from 9.
const fn default_max_edits(len: usize) -> u8 {
    match len {
        0..=5 => 0,
        6..=8 => 1,
        _ => 2,
    }
}

/// Whether `url`'s host (already known not to be a CRM host) imitates a CRM of the catalog.
pub fn check(catalog: &Catalog, url: &PageUrl) -> Option<Imitation> {
    if url.ip_literal {
        return None;
    }
    let host = url.host.as_str();
    let registrable = url.registrable_domain();
    if let Some(reg) = registrable {
        if is_vendor_owned(catalog, reg) || NEIGHBOURS.contains(&reg) {
            return None;
        }
    }
    for entry in catalog.entries() {
        if entry.hosts.iter().filter_map(pattern_domain).any(|d| embeds(host, d)) {
            return Some(imitation(entry, Reason::EmbeddedDomain));
        }
    }
    let reg = registrable?;
    let label = Label::of(reg.split('.').next().unwrap_or(reg));
    let mut word_skeleton = String::with_capacity(32);
    for brand in BRANDS {
        let Some(entry) = catalog.get(brand.crm) else { continue };
        fold_into(brand.word, &mut word_skeleton);
        if let Some(reason) = label.imitates(brand.word, &word_skeleton, brand.coined, brand.max_edits) {
            return Some(imitation(entry, reason));
        }
    }
    // Self-hosted CRMs from policy: their registrable label, misspelt or disguised (never merely
    // contained: `acme` is in too many names).
    for entry in catalog.entries().filter(|e| !BUILTIN.iter().any(|b| b.id == e.id)) {
        for word in entry.hosts.iter().filter_map(pattern_domain).filter_map(|d| d.split('.').next()) {
            let word = word.trim_matches('-');
            fold_into(word, &mut word_skeleton);
            let max_edits = default_max_edits(word_skeleton.len());
            if let Some(reason) = label.imitates(word, &word_skeleton, false, max_edits) {
                return Some(imitation(entry, reason));
            }
        }
    }
    None
}

fn imitation(entry: &CrmEntry, reason: Reason) -> Imitation {
    Imitation { crm_id: entry.id.to_string(), crm_name: entry.name.to_string(), reason }
}

/// The registrable domain a host pattern lives under (`*.my.salesforce.com` → `salesforce.com`).
fn pattern_domain(p: &HostPattern) -> Option<&str> {
    match p {
        HostPattern::Exact(h) | HostPattern::Subdomains(h) => crate::suffix::registrable_domain(h),
    }
}

fn is_vendor_owned(catalog: &Catalog, reg: &str) -> bool {
    VENDOR_DOMAINS.contains(&reg)
        || BUILTIN
            .iter()
            .chain(catalog.entries())
            .any(|e| e.hosts.iter().filter_map(pattern_domain).any(|d| d == reg))
}

/// `domain` occurs in `host` starting on a label boundary and followed by `.` or `-`
/// (`x.salesforce.com.evil.io`, `salesforce.com-login.info`). The host itself is not under `domain`
/// (vendor-owned hosts were let through before).
fn embeds(host: &str, domain: &str) -> bool {
    let bytes = host.as_bytes();
    host.match_indices(domain).any(|(i, _)| {
        (i == 0 || bytes[i - 1] == b'.') && matches!(bytes.get(i + domain.len()), Some(b'.' | b'-'))
    })
}

/// A registrable label prepared for comparison.
struct Label {
    /// Unicode (punycode decoded), hyphens removed.
    plain: String,
    /// `plain` with look-alike characters folded (see [`fold_into`]).
    skeleton: String,
    /// The label has non-ASCII letters (after punycode decoding).
    non_ascii: bool,
}

impl Label {
    fn of(ascii_label: &str) -> Label {
        let decoded = if ascii_label.starts_with("xn--") {
            // On a decoding error the input comes back with replacement characters; keep the ASCII.
            match idna::domain_to_unicode(ascii_label) {
                (s, Ok(())) => s,
                (_, Err(_)) => ascii_label.to_owned(),
            }
        } else {
            ascii_label.to_owned()
        };
        let plain: String = decoded.chars().filter(|&c| c != '-').collect();
        let mut skeleton = String::with_capacity(plain.len());
        fold_into(&plain, &mut skeleton);
        let non_ascii = !plain.is_ascii();
        Label { plain, skeleton, non_ascii }
    }

    /// Whether this label imitates `word` (whose folded form is `word_skeleton`), and why.
    fn imitates(&self, word: &str, word_skeleton: &str, coined: bool, max_edits: u8) -> Option<Reason> {
        let disguised = if self.non_ascii { Reason::Homograph } else { Reason::Misspelling };
        if coined {
            if self.plain.contains(word) {
                return Some(Reason::BrandName);
            }
            if self.skeleton.contains(word_skeleton) {
                return Some(disguised);
            }
        } else if self.skeleton == word_skeleton && self.plain != word {
            return Some(disguised);
        }
        let max = usize::from(max_edits);
        if max > 0
            && self.plain != word
            && self.skeleton.len().abs_diff(word_skeleton.len()) <= max
            && edit_distance(self.skeleton.as_bytes(), word_skeleton.as_bytes()) <= max
        {
            return Some(disguised);
        }
        None
    }
}

/// Folds `s` into `out` (cleared first): hyphens dropped, Cyrillic/Greek/accented look-alikes to their
/// Latin letter, then ASCII look-alikes: `0→o`, `1`/`i`/`l→l`, `5→s`, `3→e`, `rn→m`, `vv→w`.
fn fold_into(s: &str, out: &mut String) {
    out.clear();
    for c in s.chars() {
        let c = latin_lookalike(c).unwrap_or(c);
        let c = match c {
            '-' => continue,
            '0' => 'o',
            '1' | 'i' => 'l',
            '5' => 's',
            '3' => 'e',
            other => other,
        };
        match (out.chars().next_back(), c) {
            (Some('r'), 'n') => {
                out.pop();
                out.push('m');
            }
            (Some('v'), 'v') => {
                out.pop();
                out.push('w');
            }
            _ => out.push(c),
        }
    }
}

/// The Latin letter a non-ASCII letter is mistaken for: Cyrillic and Greek homoglyphs and accented Latin
/// (a small skeleton table in the spirit of Unicode TR39 confusables, lower case only: hosts are folded).
fn latin_lookalike(c: char) -> Option<char> {
    Some(match c {
        // Cyrillic.
        'а' => 'a',
        'е' | 'ё' | 'є' => 'e',
        'о' => 'o',
        'р' => 'p',
        'с' => 'c',
        'у' => 'y',
        'х' => 'x',
        'ѕ' => 's',
        'і' | 'ї' => 'i',
        'ј' => 'j',
        'ԁ' => 'd',
        'һ' => 'h',
        'ԛ' => 'q',
        'ԝ' => 'w',
        'ӏ' => 'l',
        'к' => 'k',
        'п' => 'n',
        'ь' => 'b',
        // Greek.
        'α' => 'a',
        'ο' => 'o',
        'ρ' => 'p',
        'ν' => 'v',
        'ι' => 'i',
        'κ' => 'k',
        'υ' => 'u',
        'χ' => 'x',
        'ε' => 'e',
        'τ' => 't',
        'η' => 'n',
        'γ' => 'y',
        // Latin look-alikes and accents.
        'ı' | 'ɩ' | 'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' => 'i',
        'ɑ' | 'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => 'a',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => 'e',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => 'o',
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' => 'u',
        'ç' | 'ć' | 'č' => 'c',
        'ñ' | 'ń' | 'ň' => 'n',
        'ś' | 'š' | 'ş' => 's',
        'ý' | 'ÿ' => 'y',
        'ź' | 'ż' | 'ž' => 'z',
        'ł' => 'l',
        'ď' | 'đ' => 'd',
        'ř' => 'r',
        'ť' => 't',
        'ğ' | 'ɡ' => 'g',
        _ => return None,
    })
}

/// Optimal-string-alignment distance (Levenshtein plus adjacent transpositions) on bytes, on the stack.
/// Inputs longer than 64 bytes are "far" (`usize::MAX`); callers compare words of at most 20.
fn edit_distance(a: &[u8], b: &[u8]) -> usize {
    const MAX: usize = 64;
    if a.len() > MAX || b.len() > MAX {
        return usize::MAX;
    }
    let (mut before, mut prev, mut cur) = ([0u8; MAX + 1], [0u8; MAX + 1], [0u8; MAX + 1]);
    for (j, cell) in prev.iter_mut().enumerate().take(b.len() + 1) {
        *cell = j as u8;
    }
    for (i, &ca) in a.iter().enumerate() {
        cur[0] = i as u8 + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitute = prev[j] + u8::from(ca != cb);
            let mut d = substitute.min(prev[j + 1] + 1).min(cur[j] + 1);
            if i > 0 && j > 0 && ca == b[j - 1] && a[i - 1] == cb {
                d = d.min(before[j - 1] + 1);
            }
            cur[j + 1] = d;
        }
        before = prev;
        prev = cur;
    }
    usize::from(prev[b.len()])
}

#[cfg(test)]
mod tests;
