//! Password strength, reuse and phishing guard: the binding. The content scripts send field
//! descriptors and (to the worker only) passwords; here they are classified and scored by the
//! core and `crm-guard-score`, fingerprinted with WebCrypto PBKDF2, and the results stored:
//! only `StoredFingerprint {crmId, bits, length}` and the install's salt, in `storage.local`.
//! Nothing here logs, stores or returns a password.

use std::cell::RefCell;

use crm_guard_core::events::{EventKind, NewEvent};
use crm_guard_core::password::{
    self, fingerprint, CheckLimiter, FieldInfo, LoginOutcome, PasswordPolicy, PendingLogin,
    StoredFingerprint, StrengthInput,
};
use crm_guard_core::{Finding, FindingKind, PageUrl};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

use crate::{chrome, events, js_error, settings, tabs, to_js};

#[wasm_bindgen]
extern "C" {
    // WebCrypto (the worker's global `crypto`).
    #[wasm_bindgen(js_namespace = ["crypto", "subtle"], js_name = importKey, catch)]
    async fn import_key(
        format: &str,
        key_data: &js_sys::Uint8Array,
        algorithm: &str,
        extractable: bool,
        usages: &js_sys::Array,
    ) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = ["crypto", "subtle"], js_name = deriveBits, catch)]
    async fn derive_bits(algorithm: &JsValue, key: &JsValue, length: u32) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues, catch)]
    fn get_random_values(array: &js_sys::Uint8Array) -> Result<JsValue, JsValue>;
    // Benchmarks only.
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

/// `storage.local` keys.
const SALT_KEY: &str = "pwSalt";
const FINGERPRINTS_KEY: &str = "pwFingerprints";
/// `storage.session` keys.
const LIMITER_KEY: &str = "pwLimiter";
fn pending_key(tab_id: i32) -> String {
    format!("pwPending:{tab_id}")
}
/// Phishing checks allowed per minute (see docs/password-fingerprint.md, "Rate limiting").
const CHECKS_PER_MINUTE: u32 = 6;

thread_local! {
    static SALT: RefCell<Option<js_sys::Promise>> = const { RefCell::new(None) };
}

fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

// ---------------------------------------------------------------------------------------------
// Strength.

/// What the meter shows for one password: the core's judgement plus zxcvbn's feedback ids.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ScoreView {
    score: Option<u8>,
    #[serde(flatten)]
    judgement: password::Judgement,
    warning: Option<&'static str>,
    suggestions: Vec<&'static str>,
    crack_seconds: f64,
    min_length: u32,
    min_score: u8,
}

async fn policy() -> Result<PasswordPolicy, JsValue> {
    Ok(PasswordPolicy::from_settings(&settings::current().await?.settings))
}

/// Classifies the password fields a content script found (`fields`: `FieldInfo[]`, untrusted),
/// and returns `{kinds, policy}`.
#[wasm_bindgen(js_name = passwordFields)]
pub async fn password_fields(fields: JsValue) -> Result<JsValue, JsValue> {
    let fields: Vec<FieldInfo> =
        serde_wasm_bindgen::from_value(fields).map_err(|e| js_error("malformed field descriptors", e))?;
    let kinds: Vec<password::FieldKind> = fields.iter().take(64).map(password::classify).collect();
    let policy = policy().await?;
    to_js(&serde_json::json!({ "kinds": kinds, "policy": policy }))
}

/// Scores a password typed on `url` (the sender's URL, from the browser), with the CRM's name,
/// the org sub-domain and the user names found on the page (`page_values`) as user inputs.
#[wasm_bindgen(js_name = scorePassword)]
pub async fn score_password(url: String, pw: String, page_values: JsValue) -> Result<JsValue, JsValue> {
    let values: Vec<String> = serde_wasm_bindgen::from_value(page_values).unwrap_or_default();
    let settings = settings::current().await?;
    let crm_name = PageUrl::parse(&url)
        .ok()
        .and_then(|u| settings.settings.catalog().classify(&u).map(|e| e.name.to_string()));
    let inputs = password::user_inputs(crm_name.as_deref(), &url, &values);
    let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let strength = crm_guard_score::score(&pw, &refs);
    let policy = PasswordPolicy::from_settings(&settings.settings);
    let input = StrengthInput {
        score: Some(strength.score),
        length_chars: u32::try_from(strength.length).unwrap_or(u32::MAX),
    };
    to_js(&ScoreView {
        score: Some(strength.score),
        judgement: password::judge(&policy, &input),
        warning: strength.warning,
        suggestions: strength.suggestions,
        crack_seconds: strength.crack_seconds,
        min_length: policy.min_length,
        min_score: policy.min_score,
    })
}

/// What the meter shows when the scorer failed (trap, panic): "unavailable", never "strong";
/// blocks in block mode.
#[wasm_bindgen(js_name = scoreUnavailable)]
pub async fn score_unavailable(length_chars: u32) -> Result<JsValue, JsValue> {
    let policy = policy().await?;
    to_js(&ScoreView {
        score: None,
        judgement: password::judge(&policy, &StrengthInput { score: None, length_chars }),
        warning: None,
        suggestions: Vec::new(),
        crack_seconds: 0.0,
        min_length: policy.min_length,
        min_score: policy.min_score,
    })
}

/// Builds zxcvbn's dictionaries (the first call costs ~100 ms) before the first keystroke.
#[wasm_bindgen(js_name = warmScorer)]
pub fn warm_scorer() {
    let _ = crm_guard_score::score("warm-up", &[]);
}

/// A weak password was refused in block mode: one security event (no password, no length).
#[wasm_bindgen(js_name = passwordBlocked)]
pub async fn password_blocked(url: String) -> Result<(), JsValue> {
    let crm = crm_of(&url).await?;
    let mut e = NewEvent::new(now_ms(), EventKind::WeakPasswordBlocked).host(url);
    if let Some((id, _)) = crm {
        e = e.crm(id);
    }
    events::log(e).await.map(|_| ())
}

// ---------------------------------------------------------------------------------------------
// Fingerprints.

async fn salt() -> Result<Vec<u8>, JsValue> {
    let promise = SALT.with(|s| {
        s.borrow_mut()
            .get_or_insert_with(|| {
                future_to_promise(async {
                    let items = chrome::local_get(&SALT_KEY.into()).await?;
                    let stored = js_sys::Reflect::get(&items, &SALT_KEY.into())?;
                    let existing: Option<Vec<u8>> = serde_wasm_bindgen::from_value(stored).ok();
                    if let Some(s) = existing.filter(|s| s.len() == fingerprint::FINGERPRINT_SALT_BYTES) {
                        return Ok(js_sys::Uint8Array::from(&s[..]).into());
                    }
                    let fresh =
                        js_sys::Uint8Array::new_with_length(fingerprint::FINGERPRINT_SALT_BYTES as u32);
                    get_random_values(&fresh)?;
                    let items = js_sys::Object::new();
                    js_sys::Reflect::set(&items, &SALT_KEY.into(), &to_js(&fresh.to_vec())?)?;
                    chrome::local_set(&items).await?;
                    Ok(fresh.into())
                })
            })
            .clone()
    });
    match JsFuture::from(promise).await {
        Ok(v) => Ok(js_sys::Uint8Array::new(&v).to_vec()),
        Err(e) => {
            SALT.with(|s| *s.borrow_mut() = None);
            Err(e)
        }
    }
}

/// PBKDF2-HMAC-SHA256 through WebCrypto: the first `DERIVE_BITS` bits.
async fn derive(pw: &str, salt: &[u8], iterations: u32) -> Result<Vec<u8>, JsValue> {
    let usages = js_sys::Array::of1(&"deriveBits".into());
    let key = import_key("raw", &js_sys::Uint8Array::from(pw.as_bytes()), "PBKDF2", false, &usages).await?;
    let algorithm = to_js(&serde_json::json!({
        "name": fingerprint::FINGERPRINT_KDF,
        "hash": fingerprint::FINGERPRINT_HASH,
        "iterations": iterations,
    }))?;
    js_sys::Reflect::set(&algorithm, &"salt".into(), &js_sys::Uint8Array::from(salt))?;
    let bits = derive_bits(&algorithm, &key, fingerprint::DERIVE_BITS).await?;
    Ok(js_sys::Uint8Array::new(&bits).to_vec())
}

async fn fingerprint_of(crm_id: &str, pw: &str) -> Result<StoredFingerprint, JsValue> {
    let derived = derive(pw, &salt().await?, fingerprint::FINGERPRINT_ITERATIONS).await?;
    Ok(StoredFingerprint::new(crm_id, &derived, pw.chars().count()))
}

/// The derived bits as hex, for the cross-check vector of docs/password-fingerprint.md
/// (diagnostics: callable from the worker's own realm only).
#[wasm_bindgen(js_name = passwordDeriveHex)]
pub async fn password_derive_hex(pw: String, salt_byte: u8, iterations: u32) -> Result<String, JsValue> {
    let derived = derive(&pw, &[salt_byte; fingerprint::FINGERPRINT_SALT_BYTES], iterations).await?;
    Ok(derived.iter().map(|b| format!("{b:02x}")).collect())
}

async fn read<T: for<'de> Deserialize<'de>>(local: bool, key: &str) -> Result<Option<T>, JsValue> {
    let items =
        if local { chrome::local_get(&key.into()).await? } else { chrome::session_get(&key.into()).await? };
    let v = js_sys::Reflect::get(&items, &key.into())?;
    if v.is_undefined() {
        return Ok(None);
    }
    // Unreadable state (older version, tampering) is dropped rather than trusted.
    Ok(serde_wasm_bindgen::from_value(v).ok())
}

async fn write(local: bool, key: &str, value: &impl Serialize) -> Result<(), JsValue> {
    let items = js_sys::Object::new();
    js_sys::Reflect::set(&items, &key.into(), &to_js(value)?)?;
    if local {
        chrome::local_set(&items).await?;
    } else {
        chrome::session_set(&items).await?;
    }
    Ok(())
}

/// The CRM (id, name) a URL belongs to.
async fn crm_of(url: &str) -> Result<Option<(String, String)>, JsValue> {
    let settings = settings::current().await?;
    Ok(PageUrl::parse(url).ok().and_then(|u| {
        settings.settings.catalog().classify(&u).map(|e| (e.id.to_string(), e.name.to_string()))
    }))
}

async fn crm_name(id: &str) -> Result<String, JsValue> {
    let settings = settings::current().await?;
    Ok(settings.settings.catalog().get(id).map(|e| e.name.to_string()).unwrap_or_else(|| id.to_owned()))
}

/// A login form was submitted on a CRM tab: derive the fingerprint now and keep it pending
/// until the tab's next page says whether the login worked. Returns whether one is pending.
#[wasm_bindgen(js_name = passwordLoginSubmitted)]
pub async fn password_login_submitted(tab_id: i32, url: String, pw: String) -> Result<bool, JsValue> {
    let settings = settings::current().await?;
    if !(settings.settings.reuse_guard || settings.settings.phishing_guard) || pw.is_empty() {
        return Ok(false);
    }
    let Some((crm_id, _)) = crm_of(&url).await? else { return Ok(false) };
    let fingerprint = fingerprint_of(&crm_id, &pw).await?;
    write(false, &pending_key(tab_id), &PendingLogin { fingerprint, at_ms: now_ms() }).await?;
    Ok(true)
}

/// A CRM page finished loading in a tab (`has_login_field`: the content script's scan).
/// Completes a pending login (the heuristic is `crm_guard_core::password::login_outcome`) and
/// puts the reuse finding on the tab when this CRM's password is also another CRM's.
/// Returns the names of the other CRMs sharing the password.
#[wasm_bindgen(js_name = passwordPageLoaded)]
pub async fn password_page_loaded(
    tab_id: i32,
    url: String,
    has_login_field: bool,
) -> Result<JsValue, JsValue> {
    let crm = crm_of(&url).await?;
    let mut stored: Vec<StoredFingerprint> = read(true, FINGERPRINTS_KEY).await?.unwrap_or_default();
    let key = pending_key(tab_id);
    if let Some(pending) = read::<PendingLogin>(false, &key).await? {
        let outcome =
            password::login_outcome(&pending, crm.as_ref().map(|c| c.0.as_str()), has_login_field, now_ms());
        chrome::session_remove(&key.clone().into()).await?;
        if outcome == LoginOutcome::Succeeded {
            let new = pending.fingerprint;
            let others = fingerprint::reuse_findings(&stored, &new);
            fingerprint::upsert(&mut stored, new.clone());
            write(true, FINGERPRINTS_KEY, &stored).await?;
            if !others.is_empty() && settings::current().await?.settings.reuse_guard {
                let mut names = Vec::new();
                for other in &others {
                    names.push(crm_name(other).await?);
                    // The other CRM's open tabs get the finding too.
                    mark_crm_tabs(other, &crm_name(&new.crm_id).await?).await?;
                }
                events::log(
                    NewEvent::new(now_ms(), EventKind::PasswordReuse)
                        .crm(new.crm_id.clone())
                        .host(url.clone())
                        .detail(names.join(", ")),
                )
                .await?;
            }
        }
    }
    let Some((crm_id, _)) = crm else { return to_js(&Vec::<String>::new()) };
    if !settings::current().await?.settings.reuse_guard {
        return to_js(&Vec::<String>::new());
    }
    let Some(mine) = stored.iter().find(|s| s.crm_id == crm_id) else {
        return to_js(&Vec::<String>::new());
    };
    let mut names = Vec::new();
    for other in fingerprint::reuse_findings(&stored, mine) {
        names.push(crm_name(&other).await?);
    }
    if !names.is_empty() {
        let findings: Vec<Finding> =
            names.iter().map(|n| Finding::new(FindingKind::PasswordReuse).with_detail(n.clone())).collect();
        tabs::update_findings(tab_id, None, &findings, &[]).await?;
    }
    to_js(&names)
}

/// Adds the reuse finding (detail: `with_name`) to every open tab of CRM `crm_id`.
async fn mark_crm_tabs(crm_id: &str, with_name: &str) -> Result<(), JsValue> {
    let list = chrome::tabs_query(&js_sys::Object::new().into()).await?;
    for tab in js_sys::Array::from(&list).iter() {
        let id = js_sys::Reflect::get(&tab, &"id".into())?.as_f64();
        let url = js_sys::Reflect::get(&tab, &"url".into())?.as_string();
        if let (Some(id), Some(url)) = (id, url) {
            if crm_of(&url).await?.is_some_and(|(c, _)| c == crm_id) {
                let f = Finding::new(FindingKind::PasswordReuse).with_detail(with_name);
                tabs::update_findings(id as i32, None, &[f], &[]).await?;
            }
        }
    }
    Ok(())
}

/// A password typed (trusted key events) on a page that may not be a CRM: when it is a CRM's
/// password, log a phishing event and return that CRM's name for the in-page alert. Rate
/// limited (`CheckLimiter`), only with policy `phishingGuard`.
#[wasm_bindgen(js_name = passwordPhishCheck)]
pub async fn password_phish_check(url: String, pw: String) -> Result<JsValue, JsValue> {
    let settings = settings::current().await?;
    if !settings.settings.phishing_guard || pw.is_empty() {
        return Ok(JsValue::NULL);
    }
    let crm = crm_of(&url).await?;
    let stored: Vec<StoredFingerprint> = read(true, FINGERPRINTS_KEY).await?.unwrap_or_default();
    if stored.is_empty() || crm.is_some() {
        return Ok(JsValue::NULL);
    }
    let mut limiter: CheckLimiter =
        read(false, LIMITER_KEY).await?.unwrap_or_else(|| CheckLimiter::new(CHECKS_PER_MINUTE));
    let allowed = limiter.allow(now_ms());
    write(false, LIMITER_KEY, &limiter).await?;
    if !allowed {
        return to_js(&serde_json::json!({ "limited": true }));
    }
    let candidate = fingerprint_of("", &pw).await?;
    let Some(crm_id) = password::phishing_alert(&stored, None, candidate.bits, candidate.length) else {
        return Ok(JsValue::NULL);
    };
    let name = crm_name(&crm_id).await?;
    events::log(
        NewEvent::new(now_ms(), EventKind::PhishingAlert)
            .crm(crm_id.clone())
            .host(url)
            .level(crm_guard_core::Level::AtRisk)
            .detail(name.clone()),
    )
    .await?;
    to_js(&serde_json::json!({ "crmId": crm_id, "crmName": name }))
}

/// Whether policy wants the phishing guard (the worker then registers its content script when
/// the `<all_urls>` host permission is granted).
#[wasm_bindgen(js_name = phishingGuardWanted)]
pub async fn phishing_guard_wanted() -> Result<bool, JsValue> {
    Ok(settings::current().await?.settings.phishing_guard)
}

/// The bare scorer for benchmarks: times `crm_guard_score::score(pw, [])` for each password
/// inside WASM (no message, no settings) and returns the milliseconds per password.
#[wasm_bindgen(js_name = passwordBenchScore)]
pub fn password_bench_score(passwords: Vec<String>) -> Vec<f64> {
    passwords
        .iter()
        .map(|pw| {
            let t0 = performance_now();
            let s = crm_guard_score::score(pw, &[]);
            std::hint::black_box(s.score);
            performance_now() - t0
        })
        .collect()
}
