//! One record per tab (`storage.session` `tab:<id>`), written here only, and the badge.
//!
//! The record holds what the tab's document is (its URL; only the origin of a lookalike, never a
//! non-CRM URL), the findings of that document, the navigation in progress (an `http:` URL being
//! upgraded, the findings of the response not committed yet) and a submitted login waiting for
//! its landing page. Findings about the whole browser (the trusted network, a proxy) are not
//! copied into records: they are added when a tab is evaluated, so no write can lose them.

use std::rc::Rc;

use crm_guard_core::evidence::{self, Added};
use crm_guard_core::password::PendingLogin;
use crm_guard_core::signin::SignIn;
use crm_guard_core::tenant::FOREIGN_BADGE_COLOR;
use crm_guard_core::{evaluate, Finding, FindingKind, Level, PageUrl, TabVerdict, TenantStatus};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ports::{Area, Badge, Ports};
use crate::protocol::names::TAB_KEY_PREFIX;
use crate::protocol::PageFacts;
use crate::store::to_value;
use crate::{Engine, Result};

/// The findings of a response not committed yet.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PendingDoc {
    pub url: String,
    #[serde(default)]
    pub request_id: Option<String>,
    pub findings: Vec<Finding>,
}

/// Everything kept about one tab.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct TabRecord {
    /// The committed document's URL ("" before the first CRM document).
    pub url: String,
    /// The committed document's findings.
    pub findings: Vec<Finding>,
    /// The `http:` CRM URL of the navigation in progress (the upgrade rules send it to https).
    pub upgrading: Option<String>,
    pub pending: Option<PendingDoc>,
    /// A submitted CRM login waiting for the tab's next page (survives the navigation).
    pub pw_pending: Option<PendingLogin>,
    /// The sign-in in progress in this tab (`crm_guard_core::signin`: a recipe id and whether a
    /// second factor was seen; no URL), across CRM and identity-provider pages.
    pub signin: Option<SignIn>,
}

impl TabRecord {
    fn is_empty(&self) -> bool {
        self.url.is_empty()
            && self.upgrading.is_none()
            && self.pending.is_none()
            && self.pw_pending.is_none()
            && self.signin.is_none()
    }

    /// Adds findings, bounded per document (`crm_guard_core::evidence`); returns what is new.
    pub fn add(&mut self, found: impl IntoIterator<Item = Finding>) -> Added {
        evidence::add_findings(&mut self.findings, found)
    }
}

/// A CRM page: which CRM, and whose tenant of it.
pub(crate) struct CrmPage {
    pub id: String,
    pub tenant: TenantStatus,
}

fn key(tab_id: i32) -> String {
    format!("{TAB_KEY_PREFIX}{tab_id}")
}

impl<P: Ports + 'static> Engine<P> {
    pub(crate) async fn load_tab(&self, tab_id: i32) -> Result<TabRecord> {
        Ok(self.read(Area::Session, &key(tab_id)).await?.unwrap_or_default())
    }

    /// Writes the record as it is, without repainting (navigation in progress).
    pub(crate) async fn save_tab(&self, tab_id: i32, rec: &TabRecord) -> Result<()> {
        if rec.is_empty() {
            self.forget(Area::Session, &key(tab_id)).await
        } else {
            self.write(Area::Session, &key(tab_id), rec).await
        }
    }

    /// Evaluates the tab, stores what may be stored and paints the badge.
    pub(crate) async fn apply(self: &Rc<Self>, tab_id: i32, mut rec: TabRecord) -> Result<()> {
        match self.evaluate_record(&rec).await? {
            Some(verdict) => {
                if verdict.lookalike {
                    // Not a CRM page: keep its origin only (enough to judge it again), never its path.
                    if let Ok(page) = PageUrl::parse(&rec.url) {
                        rec.url = format!("{}/", page.origin());
                    }
                }
                self.save_tab(tab_id, &rec).await?;
                self.paint(tab_id, Some(&verdict)).await
            }
            None => {
                // Not a CRM tab: nothing about its page is kept (a pending login has no URL).
                let rest =
                    TabRecord { pw_pending: rec.pw_pending, signin: rec.signin, ..TabRecord::default() };
                self.save_tab(tab_id, &rest).await?;
                self.paint(tab_id, None).await
            }
        }
    }

    /// The verdict of a record, with the whole-browser findings added.
    async fn evaluate_record(self: &Rc<Self>, rec: &TabRecord) -> Result<Option<TabVerdict>> {
        if rec.url.is_empty() {
            return Ok(None);
        }
        let catalog = self.settings().await?.settings.catalog();
        let mut findings = rec.findings.clone();
        findings.extend(self.browser_findings().await?);
        Ok(evaluate(&catalog, &rec.url, &findings))
    }

    async fn paint(&self, tab_id: i32, verdict: Option<&TabVerdict>) -> Result<()> {
        let badge = verdict.map(|v| {
            if v.tenant == TenantStatus::Foreign {
                // Its own badge: not "your CRM" in green, whatever else the page does.
                return Badge {
                    text: self.ports.message("badge_foreign", &[]),
                    color: FOREIGN_BADGE_COLOR,
                    text_color: [255, 255, 255, 255],
                    title: self.ports.message("badgeTitleForeign", &[v.crm_name.as_str()]),
                };
            }
            let level = self.ports.message(&format!("level_{}", v.level.id()), &[]);
            Badge {
                text: self.ports.message(&format!("badge_{}", v.level.id()), &[]),
                color: v.level.badge_color(),
                text_color: if v.level == Level::Warning { [0, 0, 0, 255] } else { [255, 255, 255, 255] },
                title: self.ports.message("badgeTitle", &[v.crm_name.as_str(), level.as_str()]),
            }
        });
        self.ports.paint(tab_id, badge.as_ref()).await?;
        Ok(())
    }

    /// The CRM a URL belongs to (id, name), per the catalog in force.
    pub(crate) async fn crm_of(self: &Rc<Self>, url: &str) -> Result<Option<(String, String)>> {
        let Ok(page) = PageUrl::parse(url) else { return Ok(None) };
        let catalog = self.settings().await?.settings.catalog();
        Ok(catalog.classify(&page).map(|e| (e.id.to_string(), e.name.to_string())))
    }

    /// The CRM a URL belongs to and whose tenant of it the page is, per the settings in force.
    pub(crate) async fn crm_tenant_of(self: &Rc<Self>, url: &str) -> Result<Option<CrmPage>> {
        let Ok(page) = PageUrl::parse(url) else { return Ok(None) };
        let catalog = self.settings().await?.settings.catalog();
        Ok(catalog
            .classify(&page)
            .map(|e| CrmPage { id: e.id.to_string(), tenant: catalog.tenant_of(e, &page) }))
    }

    /// A new document committed in the tab.
    pub(crate) async fn navigation_committed(self: &Rc<Self>, tab_id: i32, url: String) -> Result<()> {
        self.password_new_document(tab_id);
        let logged = self
            .with_tab(tab_id, async {
                let old = self.load_tab(tab_id).await?;
                let (signin, password_only) = self.signin_step(&old, &url).await?;
                let crm = self.crm_of(&url).await?;
                // The password-only note stays while the tab stays on that CRM.
                let same_crm = crm.is_some() && self.crm_of(&old.url).await? == crm;
                let kept_note = old
                    .findings
                    .iter()
                    .filter(|f| same_crm && f.kind == FindingKind::PasswordOnlySignIn)
                    .cloned()
                    .collect::<Vec<_>>();
                let mut findings =
                    old.pending.filter(|d| d.url == url).map(|d| d.findings).unwrap_or_default();
                findings.extend(kept_note);
                let mut rec = TabRecord {
                    url: url.clone(),
                    findings,
                    pw_pending: old.pw_pending,
                    signin,
                    ..TabRecord::default()
                };
                let is_crm = crm.is_some();
                let mut log = if is_crm { Added::listed(&rec.findings) } else { Added::default() };
                // Its own event (`signInWithoutMfa`), not a second one as a raised finding.
                log.new.retain(|f| f.kind != FindingKind::PasswordOnlySignIn);
                if let Some(f) = password_only.filter(|_| is_crm) {
                    rec.add([f]);
                }
                self.apply(tab_id, rec).await?;
                Ok::<_, crate::EngineError>(log)
            })
            .await?;
        self.log_findings(&url, logged).await
    }

    /// The URL changed within the document (single-page apps, fragments).
    pub(crate) async fn navigation_updated(self: &Rc<Self>, tab_id: i32, url: String) -> Result<()> {
        self.with_tab(tab_id, async {
            let mut rec = self.load_tab(tab_id).await?;
            rec.url = url;
            self.apply(tab_id, rec).await
        })
        .await
    }

    /// The tab closed: forget it.
    pub(crate) async fn tab_removed(self: &Rc<Self>, tab_id: i32) -> Result<()> {
        self.with_tab(tab_id, async { self.forget(Area::Session, &key(tab_id)).await }).await?;
        self.password_tab_closed(tab_id);
        self.limits.forget(tab_id);
        Ok(())
    }

    /// `content/page.js`'s facts (main frame; tab and URL from the sender).
    pub(crate) async fn page_report(
        self: &Rc<Self>,
        tab_id: i32,
        url: String,
        facts: PageFacts,
    ) -> Result<Value> {
        self.with_tab(tab_id, async {
            let mut rec = self.load_tab(tab_id).await?;
            if !self.is_current_document(tab_id, &url, &rec).await {
                return Ok(());
            }
            rec.url = url;
            if !facts.secure_context {
                rec.add([Finding::new(FindingKind::NotSecureContext)]);
            }
            self.apply(tab_id, rec).await
        })
        .await?;
        Ok(Value::Null)
    }

    /// Whether a report sent by the document at `url` is about the tab's current document. A
    /// report that arrives after the tab moved to another origin (the content script's message
    /// was still on its way) must not paint the new page with the old page's CRM and findings.
    /// The browser's committed URL decides; when it is hidden from us, the record's does.
    pub(crate) async fn is_current_document(&self, tab_id: i32, url: &str, rec: &TabRecord) -> bool {
        let current = match self.ports.url_of(tab_id).await {
            Ok(Some(current)) => current,
            Ok(None) => rec.url.clone(),
            Err(_) => return false,
        };
        let origin = |u: &str| PageUrl::parse(u).ok().map(|p| p.origin());
        origin(&current).is_some() && origin(&current) == origin(url)
    }

    /// Adds findings to a tab that has a CRM record (others are left alone); repaints when
    /// something changed. Returns what was new.
    pub(crate) async fn add_findings(self: &Rc<Self>, tab_id: i32, found: Vec<Finding>) -> Result<Added> {
        self.with_tab(tab_id, async {
            let mut rec = self.load_tab(tab_id).await?;
            if rec.url.is_empty() {
                return Ok(Added::default());
            }
            let before = rec.findings.clone();
            let added = rec.add(found);
            if rec.findings != before {
                self.apply(tab_id, rec).await?;
            }
            Ok(added)
        })
        .await
    }

    /// Paints every open tab again (install, start-up, settings or network trust changed). A tab
    /// we no longer see the URL of (a self-hosted CRM that policy just removed) is judged on the
    /// URL kept while it was a CRM tab.
    pub(crate) async fn refresh_all_tabs(self: &Rc<Self>) -> Result<()> {
        for tab in self.ports.query().await? {
            let done = self
                .with_tab(tab.id, async {
                    let mut rec = self.load_tab(tab.id).await?;
                    match tab.url.clone() {
                        Some(u) => rec.url = crate::kept(u),
                        None if rec.url.is_empty() => return Ok(()),
                        None => {}
                    }
                    self.apply(tab.id, rec).await
                })
                .await;
            if let Err(e) = done {
                self.report_failure(&format!("repainting tab {}", tab.id), &e);
                self.ports.paint(tab.id, None).await.ok();
            }
        }
        Ok(())
    }

    /// The popup's verdict for a tab: `null` when it is not a CRM tab.
    pub(crate) async fn verdict(self: &Rc<Self>, tab_id: i32) -> Result<Value> {
        let rec = self.load_tab(tab_id).await?;
        match self.evaluate_record(&rec).await? {
            Some(v) => to_value(&v),
            None => Ok(Value::Null),
        }
    }
}
