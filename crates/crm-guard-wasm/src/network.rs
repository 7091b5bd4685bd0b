//! HTTPS enforcement and network findings (issue 4): the binding between what the browser reports
//! (`webNavigation`, `webRequest`, the `forms.js` content script, the trusted-network probe) and
//! `crm_guard_core::{dnr, network}`. No decision is made here.
//!
//! State in `chrome.storage.session`, written by this module only (the worker's `network.js` runs
//! these exports one at a time):
//! - `net:<tabId>`: the tab's network record — the http URL being upgraded, the findings of the
//!   response being received (`pending`) and of the committed document (`current`);
//! - `net:trust`: the last trusted-network verdict.
//!
//! The tab's own state (`tab:<id>`, `tabs.rs`) is reset on every new document and written by other
//! handlers too; [`reconcile`] runs after each of its changes and puts back the findings of the
//! record, so a concurrent write never loses them.

use crm_guard_core::events::{EventKind, NewEvent};
use crm_guard_core::network::{self as net, NetworkTrust, ProbeOutcome};
use crm_guard_core::{dnr, Finding, FindingKind, Level, PageUrl};
use serde::{Deserialize, Serialize};
use serde_json::json;
use wasm_bindgen::prelude::*;

use crate::{chrome, events, js_error, settings, tabs, to_js};

#[wasm_bindgen]
extern "C" {
    // chrome.declarativeNetRequest
    #[wasm_bindgen(js_namespace = ["chrome", "declarativeNetRequest"], js_name = getDynamicRules, catch)]
    async fn get_dynamic_rules() -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = ["chrome", "declarativeNetRequest"], js_name = updateDynamicRules, catch)]
    async fn update_dynamic_rules(options: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = ["chrome", "declarativeNetRequest"], js_name = getSessionRules, catch)]
    async fn get_session_rules() -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = ["chrome", "declarativeNetRequest"], js_name = updateSessionRules, catch)]
    async fn update_session_rules(options: &JsValue) -> Result<JsValue, JsValue>;

    // chrome.tabs.update (own extension page only: no `tabs` permission needed)
    #[wasm_bindgen(js_namespace = ["chrome", "tabs"], js_name = update, catch)]
    async fn tabs_update(tab_id: i32, props: &JsValue) -> Result<JsValue, JsValue>;

    // chrome.runtime.getURL
    #[wasm_bindgen(js_namespace = ["chrome", "runtime"], js_name = getURL)]
    fn runtime_url(path: &str) -> String;
}

const TRUST_KEY: &str = "net:trust";
/// The proxy finding last observed (`null`: none), when CRM Guard may read the proxy settings.
const PROXY_KEY: &str = "net:proxy";
/// The extension page shown when the upgraded HTTPS navigation failed.
const HTTPS_FAILED_PAGE: &str = "https-failed.html";
/// At most this many resources per content-script report are judged.
const MAX_REPORTED_RESOURCES: usize = 200;

/// The findings of one document (or of the response that will become one).
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Doc {
    url: String,
    #[serde(default)]
    request_id: Option<String>,
    findings: Vec<Finding>,
}

/// What this module keeps per tab.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    /// The `http:` CRM URL of the navigation in progress (CRM Guard upgrades it).
    #[serde(default)]
    upgrading: Option<String>,
    #[serde(default)]
    pending: Option<Doc>,
    #[serde(default)]
    current: Option<Doc>,
}

fn key(tab_id: i32) -> String {
    format!("net:{tab_id}")
}

async fn session_value(k: &str) -> Result<JsValue, JsValue> {
    let items = chrome::session_get(&k.into()).await?;
    js_sys::Reflect::get(&items, &k.into())
}

async fn session_put(k: &str, value: &impl Serialize) -> Result<(), JsValue> {
    let items = js_sys::Object::new();
    js_sys::Reflect::set(&items, &k.into(), &to_js(value)?)?;
    chrome::session_set(&items).await?;
    Ok(())
}

async fn load(tab_id: i32) -> Result<Record, JsValue> {
    let v = session_value(&key(tab_id)).await?;
    Ok(if v.is_undefined() {
        Record::default()
    } else {
        serde_wasm_bindgen::from_value(v).unwrap_or_default()
    })
}

async fn save(tab_id: i32, r: &Record) -> Result<(), JsValue> {
    session_put(&key(tab_id), r).await
}

async fn trust() -> Result<NetworkTrust, JsValue> {
    let v = session_value(TRUST_KEY).await?;
    Ok(serde_wasm_bindgen::from_value(v).unwrap_or(NetworkTrust::Unknown))
}

/// The CRM a URL belongs to (id, host), per the catalog in force.
async fn crm_of(url: &str) -> Result<Option<(String, String)>, JsValue> {
    let Ok(page) = PageUrl::parse(url) else { return Ok(None) };
    let catalog = settings::current().await?.settings.catalog();
    Ok(catalog.classify(&page).map(|e| (e.id.to_string(), page.host.clone())))
}

async fn log_event(kind: EventKind, crm: Option<&(String, String)>, level: Option<Level>, detail: &str) {
    let mut e = NewEvent::new(js_sys::Date::now() as u64, kind).detail(detail);
    if let Some((id, host)) = crm {
        e = e.crm(id.clone()).host(host.clone());
    }
    if let Some(l) = level {
        e = e.level(l);
    }
    if let Err(err) = events::log(e).await {
        web_sys::console::error_2(&"[crm-guard] event log failed:".into(), &err);
    }
}

async fn log_findings(url: &str, findings: &[Finding]) -> Result<(), JsValue> {
    let crm = crm_of(url).await?;
    for f in findings {
        let detail = match &f.detail {
            Some(d) => format!("{}: {d}", f.kind.id()),
            None => f.kind.id().to_owned(),
        };
        log_event(EventKind::FindingRaised, crm.as_ref(), Some(f.level), &detail).await;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------
// HTTPS upgrade rules.

/// Installs the `upgradeScheme` rules for every CRM host of the catalog in force, replacing the
/// previous ones in one atomic call. Fail closed: if the catalog is too large, the built-in catalog's
/// rules are installed; if Chrome refuses the set, the previous rules stay and the rules are then
/// installed one by one, skipping (and logging) only those Chrome refuses. Returns `{installed,
/// errors}`.
#[wasm_bindgen(js_name = installUpgradeRules)]
pub async fn install_upgrade_rules() -> Result<JsValue, JsValue> {
    let effective = settings::current().await?;
    let mut errors: Vec<String> = Vec::new();
    let rules = match dnr::upgrade_rules(&effective.settings.catalog(), &[]) {
        Ok(r) => r,
        Err(e) => {
            errors.push(e.to_string());
            dnr::upgrade_rules(&crm_guard_core::Catalog::builtin(), &[]).map_err(|e| js_error("rules", e))?
        }
    };
    let existing = get_dynamic_rules().await?;
    let old_ids: Vec<u32> = js_sys::Array::from(&existing)
        .iter()
        .filter_map(|r| js_sys::Reflect::get(&r, &"id".into()).ok()?.as_f64())
        .map(|id| id as u32)
        .filter(|id| *id >= dnr::FIRST_RULE_ID)
        .collect();
    let all = json!({ "removeRuleIds": old_ids, "addRules": rules });
    let mut installed = rules.len();
    if let Err(err) = update_dynamic_rules(&to_js(&all)?).await {
        errors.push(format!("rule set refused, installing one by one: {}", describe(&err)));
        let new_ids: Vec<u32> = rules.iter().filter_map(|r| r["id"].as_u64()).map(|i| i as u32).collect();
        let stale: Vec<u32> = old_ids.iter().copied().filter(|id| !new_ids.contains(id)).collect();
        update_dynamic_rules(&to_js(&json!({ "removeRuleIds": stale }))?).await?;
        installed = 0;
        for rule in &rules {
            let one = json!({ "removeRuleIds": [rule["id"]], "addRules": [rule] });
            match update_dynamic_rules(&to_js(&one)?).await {
                Ok(_) => installed += 1,
                Err(e) => errors.push(format!(
                    "rule for {} refused: {}",
                    rule["condition"]["requestDomains"][0],
                    describe(&e)
                )),
            }
        }
    }
    for e in &errors {
        web_sys::console::error_1(&format!("[crm-guard] https upgrade rules: {e}").into());
    }
    to_js(&json!({ "installed": installed, "errors": errors }))
}

fn describe(err: &JsValue) -> String {
    js_sys::Reflect::get(err, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .unwrap_or_else(|| format!("{err:?}"))
}

/// The "HTTPS failed" page asks what to show: the host, the CRM, and whether IT allows continuing
/// over http (`httpsExceptionHosts`).
#[wasm_bindgen(js_name = httpsFailedInfo)]
pub async fn https_failed_info(url: String) -> Result<JsValue, JsValue> {
    let effective = settings::current().await?;
    let Ok(page) = PageUrl::parse(&url) else { return Ok(JsValue::NULL) };
    let crm = effective.settings.catalog().classify(&page).map(|e| e.name.to_string());
    let can_continue = dnr::allow_http_rule(&effective.settings.https_exception_hosts, &url, 1).is_some();
    to_js(&json!({ "host": page.host, "crmName": crm, "canContinue": can_continue }))
}

/// "Continue anyway" on the "HTTPS failed" page: adds a session `allow` rule for the host if IT
/// allows it, and returns the http URL to open; `null` when not allowed.
#[wasm_bindgen(js_name = continueOverHttp)]
pub async fn continue_over_http(url: String) -> Result<JsValue, JsValue> {
    let effective = settings::current().await?;
    let existing = get_session_rules().await?;
    let next_id = js_sys::Array::from(&existing)
        .iter()
        .filter_map(|r| js_sys::Reflect::get(&r, &"id".into()).ok()?.as_f64())
        .fold(0.0_f64, f64::max) as u32
        + 1;
    let Some(rule) = dnr::allow_http_rule(&effective.settings.https_exception_hosts, &url, next_id) else {
        return Ok(JsValue::NULL);
    };
    update_session_rules(&to_js(&json!({ "addRules": [rule] }))?).await?;
    log_event(EventKind::HttpsUpgradeBlocked, crm_of(&url).await?.as_ref(), None, "continued over http")
        .await;
    Ok(JsValue::from(url))
}

// ---------------------------------------------------------------------------------------------------
// Navigation and response observers.

/// `webNavigation.onBeforeNavigate` (main frame): remembers an `http:` CRM URL, which the upgrade
/// rules send to `https:`.
#[wasm_bindgen(js_name = netBeforeNavigate)]
pub async fn net_before_navigate(tab_id: i32, url: String) -> Result<(), JsValue> {
    let upgrading = url.starts_with("http:") && crm_of(&url).await?.is_some();
    let mut r = load(tab_id).await?;
    if r.upgrading.is_some() || upgrading {
        r.upgrading = upgrading.then_some(url);
        save(tab_id, &r).await?;
    }
    Ok(())
}

/// One header of `webRequest.onHeadersReceived`.
#[derive(Deserialize)]
struct Header {
    name: String,
    #[serde(default)]
    value: Option<String>,
}

/// `webRequest.onHeadersReceived` for a main frame (with `responseHeaders` and `extraHeaders`):
/// findings about HSTS and cookies, kept until the document commits. Cookie values cross into this
/// call and go no further: only names come out of the core.
#[wasm_bindgen(js_name = netHeaders)]
pub async fn net_headers(
    tab_id: i32,
    request_id: String,
    url: String,
    status: u16,
    headers: JsValue,
) -> Result<(), JsValue> {
    if crm_of(&url).await?.is_none() {
        return Ok(());
    }
    let headers: Vec<Header> =
        serde_wasm_bindgen::from_value(headers).map_err(|e| js_error("malformed headers", e))?;
    let pairs: Vec<(String, String)> =
        headers.into_iter().map(|h| (h.name, h.value.unwrap_or_default())).collect();
    let found = net::main_document_response(&url, status, &pairs);
    let mut r = load(tab_id).await?;
    let mut doc = match r.pending.take() {
        // The same request after a redirect: the cookies of the redirect still count.
        Some(d) if d.request_id.as_deref() == Some(&request_id) => Doc { url: url.clone(), ..d },
        _ => Doc { url: url.clone(), request_id: Some(request_id), findings: Vec::new() },
    };
    doc.findings.retain(|f| f.kind != FindingKind::MissingHsts);
    for f in found {
        if !doc.findings.contains(&f) {
            doc.findings.push(f);
        }
    }
    r.pending = Some(doc);
    save(tab_id, &r).await
}

/// `webNavigation.onCommitted` (main frame): the pending findings become the document's, and are
/// logged once.
#[wasm_bindgen(js_name = netCommitted)]
pub async fn net_committed(tab_id: i32, url: String) -> Result<(), JsValue> {
    if crm_of(&url).await?.is_none() {
        // Not a CRM page: nothing about it is kept (privacy: no non-CRM URL in storage).
        chrome::session_remove(&key(tab_id).into()).await?;
        return Ok(());
    }
    let mut r = load(tab_id).await?;
    let doc = r.pending.take().filter(|d| d.url == url);
    r.upgrading = None;
    r.current = Some(doc.unwrap_or(Doc { url: url.clone(), request_id: None, findings: Vec::new() }));
    save(tab_id, &r).await?;
    if let Some(doc) = &r.current {
        if !doc.findings.is_empty() {
            log_findings(&url, &doc.findings).await?;
        }
    }
    reconcile(tab_id).await
}

/// `webNavigation.onErrorOccurred` (main frame). An upgraded CRM navigation whose HTTPS failed goes to
/// the "HTTPS failed" page; a certificate error on a CRM host is a finding. Returns whether the error
/// says the network changed (the worker then probes the trusted network again).
#[wasm_bindgen(js_name = netNavigationError)]
pub async fn net_navigation_error(tab_id: i32, url: String, error: String) -> Result<bool, JsValue> {
    let mut r = load(tab_id).await?;
    let upgraded_from = r.upgrading.take();
    r.pending = None;
    let crm = crm_of(&url).await?;
    let upgraded = upgraded_from.as_deref().is_some_and(|from| {
        let same_host = |u: &str| PageUrl::parse(u).ok().map(|p| p.host);
        url.starts_with("https:") && same_host(from) == same_host(&url)
    });
    if crm.is_some() && upgraded && net::https_upgrade_failed(&error) {
        save(tab_id, &r).await?;
        let from = upgraded_from.unwrap_or_default();
        log_event(EventKind::HttpsUpgradeBlocked, crm.as_ref(), Some(Level::AtRisk), error.trim()).await;
        let query = js_sys::encode_uri_component(&from);
        let page = format!("{}?url={}", runtime_url(HTTPS_FAILED_PAGE), String::from(query));
        tabs_update(tab_id, &to_js(&json!({ "url": page }))?).await?;
        return Ok(false);
    }
    if crm.is_some() {
        if let Some(f) = net::certificate_error(&error) {
            let doc = Doc { url: url.clone(), request_id: None, findings: vec![f.clone()] };
            r.current = Some(doc);
            save(tab_id, &r).await?;
            let added = tabs::update_findings(tab_id, Some(url.clone()), &[f], &[]).await?;
            log_findings(&url, &added).await?;
            reconcile(tab_id).await?;
            return Ok(false);
        }
    }
    save(tab_id, &r).await?;
    Ok(net::network_changed(&error))
}

/// A resource of the page, from `forms.js`.
#[derive(Deserialize)]
struct Resource {
    url: String,
    #[serde(rename = "type")]
    resource_type: String,
}

/// What `forms.js` reports (untrusted input, checked here).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageReport {
    #[serde(default)]
    resources: Vec<Resource>,
    /// Form actions the content script held back.
    #[serde(default)]
    form_actions: Vec<String>,
}

/// The content script's report (main frame only: the router gives the sender's tab and URL):
/// mixed content it found in the DOM and forms it held back. Replies with the form actions that
/// are insecure (the content script blocks those and lets the others go).
#[wasm_bindgen(js_name = netPageReport)]
pub async fn net_page_report(tab_id: i32, url: String, report: JsValue) -> Result<JsValue, JsValue> {
    let report: PageReport =
        serde_wasm_bindgen::from_value(report).map_err(|e| js_error("malformed network report", e))?;
    let mut found: Vec<Finding> = Vec::new();
    for res in report.resources.iter().take(MAX_REPORTED_RESOURCES) {
        if let Some(f) = net::mixed_content(&url, &res.url, &res.resource_type) {
            if !found.contains(&f) {
                found.push(f);
            }
        }
    }
    let blocked: Vec<bool> = report.form_actions.iter().map(|a| net::insecure_form_action(&url, a)).collect();
    if blocked.iter().any(|b| *b) {
        found.push(Finding::new(FindingKind::InsecureFormAction));
    }
    if crm_of(&url).await?.is_some() && !found.is_empty() {
        let mut r = load(tab_id).await?;
        let doc = r.current.get_or_insert_with(|| Doc { url: url.clone(), ..Doc::default() });
        let new: Vec<Finding> = found.into_iter().filter(|f| !doc.findings.contains(f)).collect();
        if !new.is_empty() {
            doc.findings.extend(new.iter().cloned());
            save(tab_id, &r).await?;
            log_findings(&url, &new).await?;
            reconcile(tab_id).await?;
        }
    }
    to_js(&blocked)
}

/// The tab closed: forget its record.
#[wasm_bindgen(js_name = netTabRemoved)]
pub async fn net_tab_removed(tab_id: i32) -> Result<(), JsValue> {
    chrome::session_remove(&key(tab_id).into()).await?;
    Ok(())
}

/// Puts the record's findings and the trusted-network finding into the tab's state if a concurrent
/// write lost them, and drops a network finding that no longer holds. Runs after every change of the
/// tab's state; writes nothing when all is in place.
#[wasm_bindgen(js_name = netReconcile)]
pub async fn reconcile(tab_id: i32) -> Result<(), JsValue> {
    let r = load(tab_id).await?;
    let mut add: Vec<Finding> = r.current.map(|d| d.findings).unwrap_or_default();
    if trust().await? == NetworkTrust::Untrusted {
        add.push(net::untrusted_finding(settings::current().await?.settings.trusted_network_required));
    }
    let proxy: Option<Finding> =
        serde_wasm_bindgen::from_value(session_value(PROXY_KEY).await?).unwrap_or(None);
    add.extend(proxy);
    tabs::update_findings(
        tab_id,
        None,
        &add,
        &[FindingKind::UntrustedNetwork, FindingKind::ProxyOutsidePolicy],
    )
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------------
// Trusted-network probe.

/// `chrome.proxy.settings.get` as the worker read it (only when CRM Guard holds the optional
/// `proxy` permission). Returns whether the proxy finding changed (the worker then reconciles
/// every tab in its queue).
#[wasm_bindgen(js_name = proxyObserved)]
pub async fn proxy_observed(level_of_control: String, mode: String) -> Result<bool, JsValue> {
    let finding = net::proxy_finding(&level_of_control, &mode);
    let before: Option<Finding> =
        serde_wasm_bindgen::from_value(session_value(PROXY_KEY).await?).unwrap_or(None);
    if before == finding {
        return Ok(false);
    }
    session_put(PROXY_KEY, &finding).await?;
    if let Some(f) = &finding {
        log_event(EventKind::FindingRaised, None, Some(f.level), f.kind.id()).await;
    }
    Ok(true)
}

/// What the worker needs to run the probe: `null` when IT configured none.
#[wasm_bindgen(js_name = probeConfig)]
pub async fn probe_config() -> Result<JsValue, JsValue> {
    let s = &settings::current().await?.settings;
    let Some(url) = &s.trusted_network_probe_url else { return Ok(JsValue::NULL) };
    let body_len = s.trusted_network_expect_body.as_ref().map_or(0, |b| b.len());
    to_js(&json!({
        "url": url,
        "readBytes": body_len.max(256) + 64,
        "timeoutMs": 5000,
        "intervalMinutes": s.trusted_network_interval_minutes,
    }))
}

/// Judges the probe's outcome (`{response: {status, bodyPrefix}}`, `{failed: "..."}` or
/// `"timedOut"`), stores the verdict and, when it changed, updates every CRM tab. Returns the verdict.
#[wasm_bindgen(js_name = probeResult)]
pub async fn probe_result(outcome: JsValue) -> Result<JsValue, JsValue> {
    let outcome: ProbeOutcome =
        serde_wasm_bindgen::from_value(outcome).map_err(|e| js_error("malformed probe outcome", e))?;
    let s = settings::current().await?;
    let verdict = if s.settings.trusted_network_probe_url.is_none() {
        NetworkTrust::Unknown
    } else {
        let body = s.settings.trusted_network_expect_body.as_deref();
        net::probe_result(s.settings.trusted_network_expect_status, body, outcome)
    };
    // Offline or mid-change: keep the last verdict, probe again later.
    if verdict != NetworkTrust::Unknown || s.settings.trusted_network_probe_url.is_none() {
        let before = trust().await?;
        if before != verdict {
            session_put(TRUST_KEY, &verdict).await?;
            if verdict == NetworkTrust::Untrusted {
                let f = net::untrusted_finding(s.settings.trusted_network_required);
                log_event(EventKind::FindingRaised, None, Some(f.level), f.kind.id()).await;
            }
            // The worker reconciles each tab in that tab's queue (worker/core.js forEachTab).
            return to_js(&json!({ "verdict": verdict, "changed": true }));
        }
    }
    to_js(&json!({ "verdict": verdict, "changed": false }))
}

// ---------------------------------------------------------------------------------------------------
// Benchmarks (`tests/bench/20-findings.bench.mjs`): the pure pipeline, without storage or badge.

/// The findings of one CRM navigation with the built-in catalog: classification, URL findings and
/// the main document's headers, as the worker computes them per navigation. Returns the level.
#[wasm_bindgen(js_name = benchFindingsPipeline)]
pub fn bench_findings_pipeline(url: &str, status: u16, headers: JsValue) -> Result<JsValue, JsValue> {
    let headers: Vec<Header> =
        serde_wasm_bindgen::from_value(headers).map_err(|e| js_error("malformed headers", e))?;
    let pairs: Vec<(String, String)> =
        headers.into_iter().map(|h| (h.name, h.value.unwrap_or_default())).collect();
    let found = net::main_document_response(url, status, &pairs);
    let verdict = crm_guard_core::evaluate(&crm_guard_core::Catalog::builtin(), url, &found);
    Ok(verdict.map_or(JsValue::NULL, |v| v.level.id().into()))
}

/// The lookalike check for one host (after classification says it is not a CRM host): the imitated
/// CRM's id, or `null`.
#[wasm_bindgen(js_name = benchLookalike)]
pub fn bench_lookalike(url: &str) -> Option<String> {
    let catalog = crm_guard_core::Catalog::builtin();
    let page = PageUrl::parse(url).ok()?;
    if catalog.classify(&page).is_some() {
        return None;
    }
    crm_guard_core::lookalike::check(&catalog, &page).map(|i| i.crm_id)
}
