//! The one protocol between the JS shells and the engine: [`Event`]s from the worker's
//! listeners, [`Message`]s from our content scripts and pages (each with who may send it), and
//! the names both sides share ([`names`]). The JS side's copy is generated from this file
//! (`extension/generated/protocol.js`, `cargo xtask codegen`; a tidy test fails when stale).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crm_guard_core::idle::BrowserIdleState;

/// [`Event::DownloadCreated`]: the download as the browser described it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DownloadReport {
    pub download_id: i32,
    pub url: String,
    #[serde(default)]
    pub final_url: String,
    #[serde(default)]
    pub referrer: String,
    #[serde(default)]
    pub mime: String,
    #[serde(default)]
    pub filename: String,
    #[serde(default)]
    pub file_size: f64,
    #[serde(default)]
    pub held: bool,
    /// Chromium's `onCreated`: the named, held report (`onDeterminingFilename`) should follow
    /// and decides; this one decides only if none came within the wait (a debugger that took
    /// over downloads).
    #[serde(default)]
    pub early: bool,
}

/// A browser event, forwarded as it came by the worker's listeners.
/// Read by `Event::from_json` (`wire.rs`): `{"type": "<variant in camelCase>", <fields in camelCase>}`.
#[derive(Debug, Clone)]
pub enum Event {
    /// The worker (re)started: reconcile the idle machine, start reading policy.
    Wake,
    /// `runtime.onInstalled`.
    Installed,
    /// `runtime.onStartup` (a browser start).
    Startup,
    /// `webNavigation.onBeforeNavigate`, main frame.
    NavigationStarted { tab_id: i32, url: String },
    /// `webNavigation.onCommitted`, main frame: a new document.
    NavigationCommitted { tab_id: i32, url: String },
    /// `onHistoryStateUpdated` / `onReferenceFragmentUpdated`, main frame: same document.
    NavigationUpdated { tab_id: i32, url: String },
    /// `webNavigation.onErrorOccurred`, main frame.
    NavigationFailed { tab_id: i32, url: String, error: String },
    /// `webRequest.onHeadersReceived`, main frame, with `responseHeaders` + `extraHeaders`.
    HeadersReceived { tab_id: i32, request_id: String, url: String, status: u16, headers: Vec<Header> },
    /// `tabs.onRemoved`.
    TabRemoved { tab_id: i32 },
    /// `storage.onChanged`: the area and the keys that changed.
    StorageChanged { area: String, keys: Vec<String> },
    /// `alarms.onAlarm`.
    Alarm { name: String },
    /// `idle.onStateChanged`.
    IdleChanged { state: BrowserIdleState },
    /// The worker's `online` / `offline` events.
    ConnectivityChanged,
    /// `proxy.settings.onChange`, `permissions.onAdded/onRemoved`.
    PermissionsChanged,
    /// A download began: `downloads.onDeterminingFilename` in Chromium (`held`: the file waits
    /// until the engine releases or cancels it), `downloads.onCreated` elsewhere.
    DownloadCreated(DownloadReport),
    /// `runtime.onMessage` from this extension (the shell drops other extensions' messages).
    Message { message: Value, sender: Sender },
}

/// One response header (cookie values go no further than the core's parser).
#[derive(Debug, Clone, Deserialize)]
pub struct Header {
    pub name: String,
    #[serde(default)]
    pub value: Option<String>,
}

/// Who sent a message, as the browser (not the message) says.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sender {
    /// The sender is one of our extension pages (its URL is on our origin).
    #[serde(default)]
    pub extension_page: bool,
    /// The tab of a content script (absent for extension pages outside tabs).
    #[serde(default)]
    pub tab_id: Option<i32>,
    #[serde(default)]
    pub frame_id: Option<i32>,
    #[serde(default)]
    pub url: Option<String>,
    /// The frame's origin (an `about:blank` frame reports its creator's).
    #[serde(default)]
    pub origin: Option<String>,
}

/// Who may send a message type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum From {
    /// Our extension pages (popup, options, signed-out, HTTPS-failed).
    Page,
    /// Our content scripts, anywhere they run.
    Content,
    /// Our content scripts on a page the catalog in force calls a CRM (not a lookalike).
    Crm,
}

/// A message from a content script or an extension page. Everything in it is untrusted:
/// bounded and checked by its handler; tab, frame and URL come from [`Sender`] only.
/// Read by `Message::from_json` (`wire.rs`; the wire names are [`Message::type_name`]'s).
#[derive(Debug, Clone)]
pub enum Message {
    /// Page facts from `content/page.js` (main frame).
    PageReport {
        report: PageFacts,
    },
    Verdict {
        tab_id: i32,
    },
    Settings {
        fresh: bool,
    },
    SettingsSchema,
    SaveOptions {
        options: Value,
    },
    Events {
        filter: Value,
    },
    ExportEvents {
        format: String,
        filter: Value,
    },
    ReportingStatus,
    /// The diagnostics page: where each setting came from, policy, catalog, reporting.
    Diagnostics,
    /// The diagnostics page's "send a test event".
    SendTestEvent,
    IdleStay,
    IdleDeadline,
    IdleQuery,
    /// "Sign out of all CRMs now": the idle logout, at once (the popup asks to confirm first).
    SignOutAll,
    IdleStatus {
        tab_id: i32,
    },
    NetworkReport {
        report: NetworkFacts,
    },
    HttpsFailedInfo {
        url: String,
    },
    ContinueHttp {
        url: String,
    },
    PwFields {
        fields: Vec<Value>,
    },
    PwWarm,
    PwScore {
        seq: i64,
        password: String,
        values: Vec<Value>,
        /// Set by the worker's shell when this request trapped the scorer: answer "unavailable".
        scorer_failed: bool,
        /// The user settled on this value (the field's `change`, or a submit the guard judges):
        /// only then may it be checked against breaches over the network. Keystrokes never are
        /// (docs/password-guard.md, "Breached passwords").
        commit: bool,
    },
    PwBlocked,
    /// A login form submitted. `typed`: the content script saw the user type this value with
    /// trusted key events (`content/typed.js`); only such a value is ever fingerprinted.
    PwLogin {
        password: String,
        typed: bool,
    },
    PwPage {
        has_login_field: bool,
    },
    PwPhish {
        password: String,
    },
    PwPhishingStatus,
    /// A trusted `copy` on a CRM page (`content/export.js`): sizes only, never the text.
    ExportCopy {
        chars: u64,
        rows: u64,
    },
    /// `beforeprint` on a CRM page.
    ExportPrint,
    /// A one-time-code field on a CRM sign-in page (`content/export.js`).
    SigninCodeField,
    /// The export page: what the held download is (kind, CRM), or why one was blocked.
    ExportPromptInfo {
        id: i32,
    },
    /// The export page: the user's answer to a held download.
    ExportDecision {
        id: i32,
        proceed: bool,
        reason: String,
    },
}

/// Every message type with who may send it; the generated JS and the tidy test read this.
pub const MESSAGES: &[(&str, From)] = &[
    ("page", From::Crm),
    ("verdict", From::Page),
    ("settings", From::Page),
    ("settingsSchema", From::Page),
    ("saveOptions", From::Page),
    ("events", From::Page),
    ("exportEvents", From::Page),
    ("reportingStatus", From::Page),
    ("diagnostics", From::Page),
    ("sendTestEvent", From::Page),
    ("idleStay", From::Crm),
    ("idleDeadline", From::Crm),
    ("idleQuery", From::Crm),
    ("idleStatus", From::Page),
    ("signOutAll", From::Page),
    ("network.page", From::Crm),
    ("network.httpsFailedInfo", From::Page),
    ("network.continueHttp", From::Page),
    ("pwFields", From::Crm),
    ("pwWarm", From::Crm),
    ("pwScore", From::Crm),
    ("pwBlocked", From::Crm),
    ("pwLogin", From::Crm),
    ("pwPage", From::Crm),
    ("pwPhish", From::Content),
    ("pwPhishingStatus", From::Page),
    ("exportCopy", From::Crm),
    ("exportPrint", From::Crm),
    ("signinCodeField", From::Crm),
    ("exportPromptInfo", From::Page),
    ("exportDecision", From::Page),
];

impl Message {
    /// The wire name of this message's type.
    pub fn type_name(&self) -> &'static str {
        match self {
            Message::PageReport { .. } => "page",
            Message::Verdict { .. } => "verdict",
            Message::Settings { .. } => "settings",
            Message::SettingsSchema => "settingsSchema",
            Message::SaveOptions { .. } => "saveOptions",
            Message::Events { .. } => "events",
            Message::ExportEvents { .. } => "exportEvents",
            Message::ReportingStatus => "reportingStatus",
            Message::Diagnostics => "diagnostics",
            Message::SendTestEvent => "sendTestEvent",
            Message::IdleStay => "idleStay",
            Message::IdleDeadline => "idleDeadline",
            Message::IdleQuery => "idleQuery",
            Message::IdleStatus { .. } => "idleStatus",
            Message::SignOutAll => "signOutAll",
            Message::NetworkReport { .. } => "network.page",
            Message::HttpsFailedInfo { .. } => "network.httpsFailedInfo",
            Message::ContinueHttp { .. } => "network.continueHttp",
            Message::PwFields { .. } => "pwFields",
            Message::PwWarm => "pwWarm",
            Message::PwScore { .. } => "pwScore",
            Message::PwBlocked => "pwBlocked",
            Message::PwLogin { .. } => "pwLogin",
            Message::PwPage { .. } => "pwPage",
            Message::PwPhish { .. } => "pwPhish",
            Message::PwPhishingStatus => "pwPhishingStatus",
            Message::ExportCopy { .. } => "exportCopy",
            Message::ExportPrint => "exportPrint",
            Message::SigninCodeField => "signinCodeField",
            Message::ExportPromptInfo { .. } => "exportPromptInfo",
            Message::ExportDecision { .. } => "exportDecision",
        }
    }

    /// Who may send it.
    pub fn from(&self) -> From {
        let name = self.type_name();
        MESSAGES.iter().find(|(n, _)| *n == name).map_or(From::Page, |(_, f)| *f)
    }
}

/// What `content/page.js` reports.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageFacts {
    #[serde(default = "yes")]
    pub secure_context: bool,
}

fn yes() -> bool {
    true
}

/// A resource of the page, from `content/forms.js`.
#[derive(Debug, Clone, Deserialize)]
pub struct Resource {
    pub url: String,
    #[serde(rename = "type")]
    pub resource_type: String,
}

/// What `content/forms.js` reports: mixed content in the DOM and the form actions it held.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkFacts {
    #[serde(default)]
    pub resources: Vec<Resource>,
    #[serde(default)]
    pub form_actions: Vec<String>,
}

/// Names and limits that both sides use. The JS side never writes its own copy.
pub mod names {
    /// `storage.local`: the user's options.
    pub const OPTIONS_KEY: &str = "options";
    /// `storage.local`: unpacked builds only, shortens the idle timeout (tests, demos).
    pub const IDLE_TEST_OVERRIDE_KEY: &str = "idleTestOverride";
    /// `storage.local`: the last effective policy inputs, used at once on a cold start.
    pub const SETTINGS_SNAPSHOT_KEY: &str = "settingsSnapshot";
    /// `storage.local`: digests of policy errors already logged.
    pub const POLICY_DIGESTS_KEY: &str = "policyErrorDigests";
    /// `storage.local`: the security event log.
    pub const EVENT_LOG_KEY: &str = "eventLog";
    /// `storage.local`: events waiting for the reporting endpoint.
    pub const REPORT_QUEUE_KEY: &str = "reportQueue";
    /// The reporting endpoint's last success and last error (diagnostics page).
    pub const REPORT_STATUS_KEY: &str = "reportStatus";
    /// `storage.local`: this install's random id, signed into every report.
    pub const INSTALL_ID_KEY: &str = "installId";
    /// `storage.local`: the install's fingerprint salt and the CRM fingerprints.
    pub const PW_SALT_KEY: &str = "pwSalt";
    pub const PW_FINGERPRINTS_KEY: &str = "pwFingerprints";
    /// `storage.session`: the phishing-check rate limiter.
    pub const PW_LIMITER_KEY: &str = "pwLimiter";
    /// `storage.session`: the worker-wide budget of login derivations (PBKDF2).
    pub const PW_DERIVE_BUDGET_KEY: &str = "pwDeriveBudget";
    /// `storage.session`: the idle machine; `storage.local`: the last force-logout token acted on.
    pub const IDLE_MACHINE_KEY: &str = "idleMachine";
    pub const IDLE_ACTED_KEY: &str = "idleActedToken";
    /// `storage.session`: the trusted-network verdict and the proxy finding.
    pub const NET_TRUST_KEY: &str = "net:trust";
    pub const NET_PROXY_KEY: &str = "net:proxy";
    /// `storage.session`: a download held for the user's reason, `export:<download id>`.
    pub const EXPORT_KEY_PREFIX: &str = "export:";
    /// `storage.session`: one record per CRM tab, `tab:<id>`.
    pub const TAB_KEY_PREFIX: &str = "tab:";

    /// Alarms.
    pub const IDLE_ALARM: &str = "crm-guard-idle";
    pub const REPORT_ALARM: &str = "crm-guard-report";
    pub const PROBE_ALARM: &str = "network.probe";

    /// Extension pages.
    pub const SIGNED_OUT_PAGE: &str = "signed-out.html";
    pub const HTTPS_FAILED_PAGE: &str = "https-failed.html";
    /// Asks for a reason before a held download goes on, or explains a blocked one.
    pub const EXPORT_PAGE: &str = "export.html";
    /// The phishing guard's registered content script.
    pub const PHISH_SCRIPT_ID: &str = "crm-guard-phishing";
    pub const PHISH_SCRIPT_FILES: [&str; 3] =
        ["content/ui.js", "content/typed.js", "content/password-phish.js"];

    /// `declarativeNetRequest` resource types Firefox has besides those both browsers share
    /// (`crm_guard_core::dnr::RESOURCE_TYPES`): where Chromium counts a `srcset` image as
    /// `image` or a beacon as `ping`, Firefox names them `imageset` and `beacon`. A rule that
    /// lists the shared type gets these too in Firefox — by the binding for dynamic and session
    /// rules, by the build for the .xpi's static ruleset — so an `http:` request of any kind to a
    /// CRM host is upgraded there as well. (Chromium rejects these names: they are never sent to
    /// it.) Data only: the engine does not use it.
    pub const GECKO_RESOURCE_TYPES: [(&str, &[&str]); 5] = [
        ("image", &["imageset"]),
        ("ping", &["beacon"]),
        ("object", &["object_subrequest"]),
        ("script", &["json"]),
        ("other", &["xslt", "xml_dtd", "web_manifest", "speculative"]),
    ];

    /// A DNR rule as Firefox takes it: its finer resource types beside the shared ones they
    /// belong to ([`GECKO_RESOURCE_TYPES`]). Used by the binding for dynamic rules and by the
    /// build for the .xpi's static ruleset.
    pub fn gecko_rule(rule: &serde_json::Value) -> serde_json::Value {
        let mut rule = rule.clone();
        if let Some(types) = rule["condition"]["resourceTypes"].as_array_mut() {
            let extra: Vec<serde_json::Value> = GECKO_RESOURCE_TYPES
                .iter()
                .filter(|(shared, _)| types.iter().any(|t| t == shared))
                .flat_map(|(_, finer)| finer.iter().map(|f| serde_json::Value::from(*f)))
                .collect();
            types.extend(extra);
        }
        rule
    }

    /// Content scripts: at most this many characters of any descriptor string.
    pub const MAX_FIELD_TEXT: usize = 200;
    /// Password field descriptors per message, user values per score request.
    pub const MAX_FIELDS: usize = 64;
    pub const MAX_USER_VALUES: usize = 8;
    /// Resources judged per content-script report.
    pub const MAX_REPORTED_RESOURCES: usize = 200;
    /// Events listed in the options page (the export has them all).
    pub const MAX_LISTED_EVENTS: usize = 500;
}
