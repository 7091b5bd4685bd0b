//! HTTPS enforcement and network findings: upgrade rules, the "HTTPS failed" page, response
//! headers, certificate errors, the content script's mixed-content and form reports, the
//! trusted-network probe and the proxy check. Decisions are `crm_guard_core::{dnr, network}`'s.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crm_guard_core::events::EventKind;
use crm_guard_core::evidence::{self, Added};
use crm_guard_core::network::{self as net, NetworkTrust, ProbeOutcome};
use crm_guard_core::{dnr, Catalog, Finding, FindingKind, Level, PageUrl};
use serde_json::{json, Value};

use crate::ports::{Area, HttpError, HttpRequest, Ports, RuleSet};
use crate::protocol::names::{
    HTTPS_FAILED_PAGE, MAX_REPORTED_RESOURCES, NET_PROXY_KEY, NET_TRUST_KEY, PROBE_ALARM,
};
use crate::protocol::{Header, NetworkFacts};
use crate::tabs::{PendingDoc, TabRecord};
use crate::{Engine, Result};

/// The probe's time limit.
const PROBE_TIMEOUT_MS: u32 = 5000;

#[derive(Default)]
pub(crate) struct State {
    /// The trusted-network verdict and the proxy finding, read once per worker.
    trust: RefCell<Option<NetworkTrust>>,
    proxy: RefCell<Option<Option<Finding>>>,
    probing: Cell<bool>,
}

impl<P: Ports + 'static> Engine<P> {
    /// Findings about the whole browser, for every CRM tab.
    pub(crate) async fn browser_findings(self: &Rc<Self>) -> Result<Vec<Finding>> {
        let mut out = Vec::new();
        if self.trust().await? == NetworkTrust::Untrusted {
            out.push(net::untrusted_finding(self.settings().await?.settings.trusted_network_required));
        }
        out.extend(self.proxy_finding().await?);
        Ok(out)
    }

    async fn trust(&self) -> Result<NetworkTrust> {
        if let Some(t) = *self.net.trust.borrow() {
            return Ok(t);
        }
        let t = self.read(Area::Session, NET_TRUST_KEY).await?.unwrap_or(NetworkTrust::Unknown);
        Ok(*self.net.trust.borrow_mut().get_or_insert(t))
    }

    async fn proxy_finding(&self) -> Result<Option<Finding>> {
        if let Some(p) = self.net.proxy.borrow().clone() {
            return Ok(p);
        }
        let p: Option<Finding> = self.read(Area::Session, NET_PROXY_KEY).await?.flatten();
        Ok(self.net.proxy.borrow_mut().get_or_insert(p).clone())
    }

    // -----------------------------------------------------------------------------------------
    // HTTPS upgrade rules.

    /// Installs the rules for the catalog in force (`http:` upgraded, `ws:` blocked: see
    /// `crm_guard_core::dnr`), replacing the previous ones in one call. Fail closed: a catalog too
    /// large for the rules falls back to the built-in catalog's; a set the browser refuses is
    /// installed rule by rule, skipping only the refused.
    pub(crate) async fn install_upgrade_rules(self: &Rc<Self>) -> Result<Value> {
        let settings = self.settings().await?;
        let mut errors: Vec<String> = Vec::new();
        let rules = match dnr::upgrade_rules(&settings.settings.catalog(), &[]) {
            Ok(r) => r,
            Err(e) => {
                errors.push(e.to_string());
                dnr::upgrade_rules(&Catalog::builtin(), &[])
                    .map_err(|e| crate::EngineError::Malformed(format!("built-in rules: {e}")))?
            }
        };
        let old: Vec<u32> = self
            .ports
            .rule_ids(RuleSet::Dynamic)
            .await?
            .into_iter()
            .filter(|id| *id >= dnr::FIRST_RULE_ID)
            .collect();
        let mut installed = rules.len();
        if let Err(err) = self.ports.update_rules(RuleSet::Dynamic, &old, &rules).await {
            errors.push(format!("rule set refused, installing one by one: {err}"));
            let new_ids: Vec<u32> = rules.iter().filter_map(|r| r["id"].as_u64()).map(|i| i as u32).collect();
            let stale: Vec<u32> = old.iter().copied().filter(|id| !new_ids.contains(id)).collect();
            self.ports.update_rules(RuleSet::Dynamic, &stale, &[]).await?;
            installed = 0;
            for rule in &rules {
                let id = rule["id"].as_u64().unwrap_or_default() as u32;
                match self.ports.update_rules(RuleSet::Dynamic, &[id], std::slice::from_ref(rule)).await {
                    Ok(()) => installed += 1,
                    Err(e) => errors
                        .push(format!("rule for {} refused: {e}", rule["condition"]["requestDomains"][0])),
                }
            }
        }
        for e in &errors {
            self.ports.log_error(&format!("[crm-guard] https upgrade rules: {e}"));
        }
        Ok(json!({ "installed": installed, "errors": errors }))
    }

    /// What the "HTTPS failed" page shows: the host, the CRM, whether IT allows continuing.
    pub(crate) async fn https_failed_info(self: &Rc<Self>, url: &str) -> Result<Value> {
        let settings = self.settings().await?;
        let Ok(page) = PageUrl::parse(url) else { return Ok(Value::Null) };
        let crm = settings.settings.catalog().classify(&page).map(|e| e.name.to_string());
        let can_continue = dnr::allow_http_rule(&settings.settings.https_exception_hosts, url, 1).is_some();
        Ok(json!({ "host": page.host, "crmName": crm, "canContinue": can_continue }))
    }

    /// "Continue anyway": a session `allow` rule for the host if IT allows it; the http URL to
    /// open, or `null`.
    pub(crate) async fn continue_over_http(self: &Rc<Self>, url: String) -> Result<Value> {
        let settings = self.settings().await?;
        let next_id = self.ports.rule_ids(RuleSet::Session).await?.into_iter().max().unwrap_or(0) + 1;
        let Some(rule) = dnr::allow_http_rule(&settings.settings.https_exception_hosts, &url, next_id) else {
            return Ok(Value::Null);
        };
        self.ports.update_rules(RuleSet::Session, &[], &[rule]).await?;
        self.log_crm_event(EventKind::HttpsUpgradeBlocked, &url, None, "continued over http").await?;
        Ok(Value::String(url))
    }

    /// Logs an event about the CRM of `url` (the host alone when it is not a CRM).
    async fn log_crm_event(
        self: &Rc<Self>,
        kind: EventKind,
        url: &str,
        level: Option<Level>,
        detail: &str,
    ) -> Result<()> {
        let mut e = crm_guard_core::events::NewEvent::new(self.ports.now_ms(), kind).detail(detail);
        if let (Some((id, _)), Ok(page)) = (self.crm_of(url).await?, PageUrl::parse(url)) {
            e = e.crm(id).host(page.host);
        }
        if let Some(l) = level {
            e = e.level(l);
        }
        self.log_event(e).await.map(|_| ())
    }

    // -----------------------------------------------------------------------------------------
    // Navigations and responses.

    /// A main-frame navigation starts: remember an `http:` CRM URL (the rules upgrade it).
    pub(crate) async fn navigation_started(self: &Rc<Self>, tab_id: i32, url: &str) -> Result<()> {
        self.with_tab(tab_id, async {
            let upgrading = url.starts_with("http:") && self.crm_of(url).await?.is_some();
            let mut rec = self.load_tab(tab_id).await?;
            if rec.upgrading.is_some() || upgrading {
                rec.upgrading = upgrading.then(|| url.to_owned());
                self.save_tab(tab_id, &rec).await?;
            }
            Ok(())
        })
        .await
    }

    /// A main document's response headers: HSTS and cookie findings, kept until it commits.
    /// Cookie values go into the core and no further: only names come out.
    pub(crate) async fn headers_received(
        self: &Rc<Self>,
        tab_id: i32,
        request_id: String,
        url: String,
        status: u16,
        headers: &[Header],
    ) -> Result<()> {
        let pairs: Vec<(String, String)> =
            headers.iter().map(|h| (h.name.clone(), h.value.clone().unwrap_or_default())).collect();
        let found = net::main_document_response(&url, status, &pairs);
        // The tab's lock before the first await: its events are handled in arrival order.
        self.with_tab(tab_id, async {
            if self.crm_of(&url).await?.is_none() {
                return Ok(());
            }
            let mut rec = self.load_tab(tab_id).await?;
            let mut doc = match rec.pending.take() {
                // The same request after a redirect: the cookies of the redirect still count.
                Some(d) if d.request_id.as_deref() == Some(&request_id) => {
                    PendingDoc { url: url.clone(), ..d }
                }
                _ => PendingDoc { url: url.clone(), request_id: Some(request_id), findings: Vec::new() },
            };
            doc.findings.retain(|f| f.kind != FindingKind::MissingHsts);
            evidence::add_findings(&mut doc.findings, found);
            rec.pending = Some(doc);
            self.save_tab(tab_id, &rec).await
        })
        .await
    }

    /// A main-frame navigation failed. An upgraded CRM navigation whose HTTPS failed goes to the
    /// "HTTPS failed" page; a certificate error on a CRM host is a finding; an error that says
    /// the network changed probes the trusted network again.
    pub(crate) async fn navigation_failed(
        self: &Rc<Self>,
        tab_id: i32,
        url: String,
        error: &str,
    ) -> Result<()> {
        let logged = self
            .with_tab(tab_id, async {
                let crm = self.crm_of(&url).await?;
                let mut rec = self.load_tab(tab_id).await?;
                let upgraded_from = rec.upgrading.take();
                rec.pending = None;
                let host = |u: &str| PageUrl::parse(u).ok().map(|p| p.host);
                let upgraded = upgraded_from
                    .as_deref()
                    .is_some_and(|from| url.starts_with("https:") && host(from) == host(&url));
                if crm.is_some() && upgraded && net::https_upgrade_failed(error) {
                    self.save_tab(tab_id, &rec).await?;
                    let from = upgraded_from.unwrap_or_default();
                    let page = format!(
                        "{}?url={}",
                        self.ports.extension_url(HTTPS_FAILED_PAGE),
                        encode_component(&from)
                    );
                    self.ports.navigate(tab_id, &page).await?;
                    return Ok(Some((EventKind::HttpsUpgradeBlocked, Vec::new())));
                }
                if let (Some(_), Some(f)) = (&crm, net::certificate_error(error)) {
                    let rec = TabRecord {
                        url: url.clone(),
                        findings: vec![f.clone()],
                        pw_pending: rec.pw_pending,
                        ..TabRecord::default()
                    };
                    self.apply(tab_id, rec).await?;
                    return Ok(Some((EventKind::FindingRaised, vec![f])));
                }
                self.save_tab(tab_id, &rec).await?;
                Ok::<_, crate::EngineError>(None)
            })
            .await?;
        match logged {
            Some((EventKind::HttpsUpgradeBlocked, _)) => {
                self.log_crm_event(EventKind::HttpsUpgradeBlocked, &url, Some(Level::AtRisk), error.trim())
                    .await
            }
            Some((_, findings)) => self.log_findings(&url, Added::listed(&findings)).await,
            None => {
                if net::network_changed(error) {
                    self.probe_soon();
                }
                Ok(())
            }
        }
    }

    /// `content/forms.js`'s report (main frame): mixed content in the DOM and held form actions.
    /// Replies with which form actions are insecure (the content script blocks those only).
    pub(crate) async fn network_report(
        self: &Rc<Self>,
        tab_id: i32,
        url: String,
        facts: NetworkFacts,
    ) -> Result<Value> {
        let mut found: Vec<Finding> = Vec::new();
        for res in facts.resources.iter().take(MAX_REPORTED_RESOURCES) {
            if let Some(f) = net::mixed_content(&url, &res.url, &res.resource_type) {
                if !found.contains(&f) {
                    found.push(f);
                }
            }
        }
        let blocked: Vec<bool> =
            facts.form_actions.iter().map(|a| net::insecure_form_action(&url, a)).collect();
        if blocked.iter().any(|b| *b) {
            found.push(Finding::new(FindingKind::InsecureFormAction));
        }
        if !found.is_empty() {
            let added = self
                .with_tab(tab_id, async {
                    if self.crm_of(&url).await?.is_none() {
                        return Ok(Added::default());
                    }
                    let mut rec = self.load_tab(tab_id).await?;
                    if !self.is_current_document(tab_id, &url, &rec).await {
                        return Ok(Added::default());
                    }
                    if rec.url.is_empty() {
                        rec.url = url.clone();
                    }
                    let before = rec.findings.clone();
                    let added = rec.add(found);
                    if rec.findings != before {
                        self.apply(tab_id, rec).await?;
                    }
                    Ok::<_, crate::EngineError>(added)
                })
                .await?;
            self.log_findings(&url, added).await?;
        }
        Ok(Value::from(blocked))
    }

    // -----------------------------------------------------------------------------------------
    // The proxy and the trusted-network probe.

    /// Reads the proxy settings (only with the optional `proxy` permission); when the finding
    /// changed, stores it, logs it and repaints every tab.
    pub(crate) async fn check_proxy(self: &Rc<Self>) -> Result<()> {
        let finding = match self.ports.proxy_settings().await {
            Some(p) => net::proxy_finding(&p.level_of_control, &p.mode),
            None => return Ok(()),
        };
        if self.proxy_finding().await? == finding {
            return Ok(());
        }
        self.write(Area::Session, NET_PROXY_KEY, &finding).await?;
        *self.net.proxy.borrow_mut() = Some(finding.clone());
        if let Some(f) = &finding {
            self.log_browser_event(EventKind::FindingRaised, Some(f.level), f.kind.id()).await?;
        }
        self.refresh_all_tabs().await
    }

    /// Starts a probe after this event unless one is running.
    pub(crate) fn probe_soon(self: &Rc<Self>) {
        if self.net.probing.replace(true) {
            return;
        }
        let this = self.clone();
        self.ports.spawn(Box::pin(async move {
            if let Err(e) = this.probe().await {
                this.report_failure("trusted-network probe", &e);
            }
            this.net.probing.set(false);
        }));
    }

    /// Fetches IT's probe URL (no cookies, cache or redirects), judges the answer, and when the
    /// verdict changed stores it, logs it and repaints every tab. Offline or mid-change: the
    /// last verdict stays. Returns the verdict.
    pub(crate) async fn probe(self: &Rc<Self>) -> Result<NetworkTrust> {
        let settings = self.settings().await?;
        let s = &settings.settings;
        let verdict = match &s.trusted_network_probe_url {
            None => {
                self.ports.clear_alarm(PROBE_ALARM).await?;
                NetworkTrust::Unknown
            }
            Some(url) => {
                self.ports.alarm_every(PROBE_ALARM, s.trusted_network_interval_minutes).await?;
                let body_len = s.trusted_network_expect_body.as_ref().map_or(0, String::len);
                let request = HttpRequest {
                    url: url.clone(),
                    body: None,
                    headers: Vec::new(),
                    with_cookies: false,
                    manual_redirect: true,
                    timeout_ms: PROBE_TIMEOUT_MS,
                    read_bytes: body_len.max(256) + 64,
                };
                let outcome = match self.ports.fetch(&request).await {
                    Ok(r) => ProbeOutcome::Response { status: r.status, body_prefix: r.body_prefix },
                    Err(HttpError::TimedOut) => ProbeOutcome::TimedOut,
                    Err(HttpError::Offline) => ProbeOutcome::Failed("ERR_INTERNET_DISCONNECTED".into()),
                    Err(HttpError::Failed(m)) => ProbeOutcome::Failed(m),
                };
                let verdict = net::probe_result(
                    s.trusted_network_expect_status,
                    s.trusted_network_expect_body.as_deref(),
                    outcome,
                );
                if verdict == NetworkTrust::Unknown {
                    return Ok(verdict);
                }
                verdict
            }
        };
        if self.trust().await? != verdict {
            self.write(Area::Session, NET_TRUST_KEY, &verdict).await?;
            *self.net.trust.borrow_mut() = Some(verdict);
            if verdict == NetworkTrust::Untrusted {
                let f = net::untrusted_finding(s.trusted_network_required);
                self.log_browser_event(EventKind::FindingRaised, Some(f.level), f.kind.id()).await?;
            }
            self.refresh_all_tabs().await?;
        }
        Ok(verdict)
    }
}

/// Percent-encodes a URL for a query parameter (the page reads it with `URLSearchParams`).
pub(crate) fn encode_component(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
