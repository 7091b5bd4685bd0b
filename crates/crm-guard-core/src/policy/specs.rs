//! The key table: every setting in one row — its JSON name, its field in [`Settings`] with its
//! Rust type, its kind (type, range, default), whether it is an enforcement setting, and the
//! title, description and example of the schema, the templates and the documentation.
//!
//! [`Key`], [`SPECS`] and [`Settings`] (its fields, `Default`, `get`, `set`) are all generated
//! from these rows, so adding a setting is one row here. A setting of a new kind of value also
//! needs its validation (`validate.rs`) and its Chrome schema (`schema.rs`).
//!
//! [`Settings`]: super::Settings

use std::fmt;

use serde::{Deserialize, Serialize};

// The choice enums' ids (`PasswordMode::IDS`…) are read in the table; the field types are not.
use super::settings::{ExportMode, FileNameLog, PasswordMode, ReportingFormat};

/// Hands the key table to the macro `$then`, one row per setting, in schema order:
///
/// ```text
/// Variant = "jsonName", rust_field: RustType {
///     kind: …, enforcement: bool, title: "…", description: "…", example: "JSON text",
/// },
/// ```
///
/// Each consumer (the keys and [`SPECS`] below, [`Settings`] in `settings.rs`) takes its part of
/// the same rows, so they cannot disagree.
///
/// [`Settings`]: super::Settings
macro_rules! with_settings_table {
    ($then:ident) => {
        $then! {
            CrmHosts = "crmHosts", crm_hosts: Vec<SelfHostedCrm> {
                kind: Kind::CrmList, enforcement: true,
                title: "Self-hosted CRMs",
                description: "Extra CRM hosts to protect. Each entry is a host pattern (crm.acme.com or \
                    *.crm.acme.com) or an object {\"name\", \"hosts\": [patterns], \"logoutUrl\": \"https://...\"}.",
                example: r#"[{"name": "Acme CRM", "hosts": ["crm.acme.com", "*.crm.acme.com"], "logoutUrl": "https://crm.acme.com/logout"}]"#,
            },
            DisabledCrms = "disabledCrms", disabled_crms: Vec<String> {
                kind: Kind::CrmIdList, enforcement: true,
                title: "Ignored CRMs",
                description: "Catalog ids of CRMs CRM Guard ignores (see `crm-guard catalog`).",
                example: r#"["copper"]"#,
            },
            Tenants = "tenants", tenants: Tenants {
                kind: Kind::TenantMap, enforcement: true,
                title: "Your organisation's tenants",
                description: "Per CRM id, your organisation's tenants: host patterns under that CRM's hosts \
                    (acme.my.salesforce.com, acme--*.sandbox.my.salesforce.com for every sandbox, \
                    acme.lightning.force.com, acme.my.site.com; a Dynamics org's host acme.crm4.dynamics.com) \
                    or, for HubSpot, portal ids. A page on that CRM's hosts that is none of them is \
                    \"not your organisation\": no trust, no password learnt. A CRM without tenants has \
                    tenant checks off.",
                example: r#"{"salesforce": ["acme.my.salesforce.com", "acme--*.sandbox.my.salesforce.com", "acme.lightning.force.com", "acme--*.sandbox.lightning.force.com", "acme--*.vf.force.com", "acme.my.site.com"], "hubspot": ["12345678"]}"#,
            },
            HttpsExceptionHosts = "httpsExceptionHosts", https_exception_hosts: Vec<HostPattern> {
                kind: Kind::HostList, enforcement: true,
                title: "HTTPS exceptions",
                description: "Host patterns where the user may continue over plain http after a warning.",
                example: r#"["legacy-crm.acme.com"]"#,
            },
            TrustedNetworkProbeUrl = "trustedNetworkProbeUrl", trusted_network_probe_url: Option<String> {
                kind: Kind::HttpsUrl, enforcement: true,
                title: "Trusted network probe URL",
                description: "An https URL only reachable from the corporate network; CRM Guard checks it \
                    to know the network is trusted.",
                example: r#""https://probe.acme.com/crm-guard""#,
            },
            TrustedNetworkExpectStatus = "trustedNetworkExpectStatus", trusted_network_expect_status: u16 {
                kind: int(100, 599, 200), enforcement: true,
                title: "Trusted network probe status",
                description: "The HTTP status the probe URL answers with on the trusted network. Default: 200.",
                example: "204",
            },
            TrustedNetworkExpectBody = "trustedNetworkExpectBody", trusted_network_expect_body: Option<String> {
                kind: Kind::Text { min_chars: 0, max_chars: 1024 }, enforcement: true,
                title: "Trusted network probe body",
                description: "Text the probe's response body must contain (at most 1024 characters).",
                example: r#""acme-internal""#,
            },
            TrustedNetworkRequired = "trustedNetworkRequired", trusted_network_required: bool {
                kind: Kind::Bool { default: false }, enforcement: true,
                title: "Trusted network required",
                description: "When true, a CRM tab outside the trusted network is at risk; when false \
                    (default) it is a warning.",
                example: "true",
            },
            TrustedNetworkIntervalMinutes = "trustedNetworkIntervalMinutes", trusted_network_interval_minutes: u32 {
                kind: int(1, 1440, 5), enforcement: false,
                title: "Trusted network check interval",
                description: "Minutes between trusted-network probes (1 to 1440). Default: 5.",
                example: "10",
            },
            IdleTimeoutMinutes = "idleTimeoutMinutes", idle_timeout_minutes: u32 {
                kind: int(1, 1440, 15), enforcement: true,
                title: "Idle timeout",
                description: "Minutes without activity before CRM Guard signs out of the CRMs (1 to 1440). \
                    Default: 15.",
                example: "30",
            },
            LogoutOnLock = "logoutOnLock", logout_on_lock: bool {
                kind: Kind::Bool { default: true }, enforcement: true,
                title: "Sign out when the screen locks",
                description: "Sign out of the CRMs when the screen locks. Default: true.",
                example: "true",
            },
            WarningSeconds = "warningSeconds", warning_seconds: u32 {
                kind: int(10, 600, 60), enforcement: true,
                title: "Idle warning",
                description: "Seconds of warning before an idle sign-out (10 to 600). Default: 60.",
                example: "120",
            },
            ForceLogoutToken = "forceLogoutToken", force_logout_token: Option<String> {
                kind: Kind::Text { min_chars: 0, max_chars: 256 }, enforcement: true,
                title: "Force sign-out token",
                description: "Any text (at most 256 characters). When it changes, every browser signs out \
                    of every CRM at once.",
                example: r#""2024-06-01-incident""#,
            },
            PasswordMinLength = "passwordMinLength", password_min_length: u32 {
                kind: int(8, 128, 12), enforcement: true,
                title: "Minimum password length",
                description: "Minimum length of a CRM password (8 to 128). Default: 12.",
                example: "14",
            },
            PasswordMinScore = "passwordMinScore", password_min_score: u8 {
                kind: int(0, 4, 3), enforcement: true,
                title: "Minimum password strength",
                description: "Minimum zxcvbn score of a CRM password, 0 (weakest) to 4 (strongest). \
                    Default: 3.",
                example: "3",
            },
            PasswordMode = "passwordMode", password_mode: PasswordMode {
                kind: Kind::Choice { values: PasswordMode::IDS, default: PasswordMode::Warn.id() },
                enforcement: true,
                title: "Weak password handling",
                description: "\"warn\" (default) shows a warning; \"block\" refuses to submit a weak CRM \
                    password.",
                example: r#""block""#,
            },
            ReuseGuard = "reuseGuard", reuse_guard: bool {
                kind: Kind::Bool { default: true }, enforcement: true,
                title: "Password reuse guard",
                description: "Warn when one CRM's password is used on another CRM. Default: true.",
                example: "true",
            },
            PhishingGuard = "phishingGuard", phishing_guard: bool {
                kind: Kind::Bool { default: false }, enforcement: true,
                title: "Phishing guard",
                description: "Alert when a CRM password is typed on a site that is not a CRM (needs access \
                    to all sites). Default: false.",
                example: "false",
            },
            BreachCheckUrl = "breachCheckUrl", breach_check_url: Option<String> {
                kind: Kind::HttpsUrl, enforcement: true,
                title: "Breached-password check URL",
                description: "An https URL of a k-anonymity password range service (your mirror, or                     https://api.pwnedpasswords.com/range/). CRM Guard appends the first 5 hex digits of                     the password's SHA-1 and matches the answer locally: the password and its full hash                     never leave the browser. A breached password counts as very weak. Unset (default):                     no check.",
                example: r#""https://api.pwnedpasswords.com/range/""#,
            },
            BreachCheckTimeoutMs = "breachCheckTimeoutMs", breach_check_timeout_ms: u32 {
                kind: int(500, 10_000, 3000), enforcement: true,
                title: "Breached-password check timeout",
                description: "Milliseconds to wait for the range service (500 to 10000). Past it the                     meter says \"could not check\" and the password is judged on its strength alone.                     Default: 3000.",
                example: "2000",
            },
            ExportTableMode = "exportTableMode", export_table_mode: ExportMode {
                kind: Kind::Choice { values: ExportMode::IDS, default: ExportMode::Log.id() },
                enforcement: true,
                title: "Table exports from a CRM",
                description: "Downloads of records from a CRM (CSV, XLSX/XLS, VCF, JSON, ZIP backups; \
                    the CRMs' native report and data exports): \"off\", \"log\" (default), \"warn\" \
                    (the user gives a reason before the file is saved) or \"block\".",
                example: r#""warn""#,
            },
            ExportReportMode = "exportReportMode", export_report_mode: ExportMode {
                kind: Kind::Choice { values: ExportMode::IDS, default: ExportMode::Log.id() },
                enforcement: true,
                title: "Report and printable exports from a CRM",
                description: "Downloads of reports and printable views (PDF, printable exports): \"off\", \
                    \"log\" (default), \"warn\" or \"block\".",
                example: r#""warn""#,
            },
            ExportOtherMode = "exportOtherMode", export_other_mode: ExportMode {
                kind: Kind::Choice { values: ExportMode::IDS, default: ExportMode::Off.id() },
                enforcement: true,
                title: "Other files from a CRM",
                description: "Any other download from a CRM page (attachments, images): \"off\" \
                    (default), \"log\", \"warn\" or \"block\".",
                example: r#""log""#,
            },
            ExportAllowHosts = "exportAllowHosts", export_allow_hosts: Vec<HostPattern> {
                kind: Kind::HostList, enforcement: true,
                title: "CRM hosts allowed to export",
                description: "Host patterns of CRM tenants whose exports are never held or blocked \
                    (still logged unless the kind is off).",
                example: r#"["acme--reporting.sandbox.my.salesforce.com"]"#,
            },
            ExportLogFileNames = "exportLogFileNames", export_log_file_names: FileNameLog {
                kind: Kind::Choice { values: FileNameLog::IDS, default: FileNameLog::None.id() },
                enforcement: false,
                title: "File names in export events",
                description: "How an export event names the file: \"none\" (default), \"hashed\" (the \
                    first 16 hex digits of its SHA-256) or \"full\".",
                example: r#""hashed""#,
            },
            ExportClipboardLog = "exportClipboardLog", export_clipboard_log: bool {
                kind: Kind::Bool { default: true }, enforcement: false,
                title: "Record large copies",
                description: "Record a copy to the clipboard from a CRM page over either threshold (its \
                    size only, never the text). Default: true.",
                example: "false",
            },
            ClipboardCharThreshold = "clipboardCharThreshold", clipboard_char_threshold: u32 {
                kind: int(1, 10_000_000, 2000), enforcement: false,
                title: "Large copy: characters",
                description: "A copy of at least this many characters is recorded (1 to 10000000). \
                    Default: 2000.",
                example: "5000",
            },
            ClipboardRowThreshold = "clipboardRowThreshold", clipboard_row_threshold: u32 {
                kind: int(1, 1_000_000, 50), enforcement: false,
                title: "Large copy: table rows",
                description: "A copy of at least this many table rows is recorded (1 to 1000000). \
                    Default: 50.",
                example: "100",
            },
            ExportPrintLog = "exportPrintLog", export_print_log: bool {
                kind: Kind::Bool { default: true }, enforcement: false,
                title: "Record printing",
                description: "Record printing a CRM page. Default: true.",
                example: "false",
            },
            MfaCheck = "mfaCheck", mfa_check: bool {
                kind: Kind::Bool { default: true }, enforcement: false,
                title: "Two-factor check",
                description: "Note a CRM sign-in that completed without a second factor seen (an \
                    informational finding and an event). Default: true.",
                example: "false",
            },
            ReportingUrl = "reportingUrl", reporting_url: Option<String> {
                kind: Kind::HttpsUrl, enforcement: false,
                title: "Reporting endpoint",
                description: "An https URL that receives security events in the reportingFormat: the \
                    whole URL (an OTLP collector's .../v1/logs, Splunk's .../services/collector/event). \
                    Unset: no reporting.",
                example: r#""https://siem.acme.com/crm-guard/events""#,
            },
            ReportingFormat = "reportingFormat", reporting_format: ReportingFormat {
                kind: Kind::Choice { values: ReportingFormat::IDS, default: ReportingFormat::CrmGuard.id() },
                enforcement: false,
                title: "Reporting format",
                description: "\"crm-guard\" (default): signed JSON batches; \"otlp\": OpenTelemetry \
                    OTLP/HTTP JSON logs; \"splunk-hec\": Splunk HTTP Event Collector (needs reportingToken).",
                example: r#""crm-guard""#,
            },
            ReportingToken = "reportingToken", reporting_token: Option<String> {
                kind: Kind::Text { min_chars: 1, max_chars: 1024 }, enforcement: false,
                title: "Reporting token",
                description: "The receiver's credential: sent as \"Authorization: Bearer <token>\" (otlp) or \
                    \"Authorization: Splunk <token>\" (splunk-hec, required), or verbatim in \
                    reportingAuthHeader when that is set. A secret: never shown or exported.",
                example: r#""00000000-0000-4000-8000-000000000000""#,
            },
            ReportingAuthHeader = "reportingAuthHeader", reporting_auth_header: Option<String> {
                kind: Kind::Text { min_chars: 1, max_chars: 64 }, enforcement: false,
                title: "Reporting token header",
                description: "A header name (X-Api-Key, or Authorization for a value like \"ApiKey ...\") \
                    that carries reportingToken verbatim instead of the format's Authorization header.",
                example: r#""Authorization""#,
            },
            ReportingHmacSecret = "reportingHmacSecret", reporting_hmac_secret: Option<String> {
                kind: Kind::Text { min_chars: 16, max_chars: 256 }, enforcement: false,
                title: "Reporting secret",
                description: "The HMAC-SHA256 key that signs event batches (16 to 256 characters). \
                    Required with reportingFormat crm-guard.",
                example: r#""change-me-0123456789abcdef""#,
            },
            ReportingBatchSize = "reportingBatchSize", reporting_batch_size: u32 {
                kind: int(1, 500, 50), enforcement: false,
                title: "Reporting batch size",
                description: "Events per report (1 to 500). Default: 50.",
                example: "100",
            },
            EventLogSize = "eventLogSize", event_log_size: u32 {
                kind: int(100, 10_000, 1000), enforcement: false,
                title: "Event log size",
                description: "Security events kept in the browser (100 to 10000). Default: 1000.",
                example: "2000",
            },
        }
    };
}
pub(super) use with_settings_table;

/// Generates [`Key`] and [`SPECS`] from the rows of [`with_settings_table`].
macro_rules! define_keys {
    ($(
        $variant:ident = $name:literal, $field:ident: $ty:ty {
            kind: $kind:expr, enforcement: $enforcement:literal,
            title: $title:literal, description: $description:literal, example: $example:literal $(,)?
        }
    ),* $(,)?) => {
        /// A setting, named as in JSON (`idleTimeoutMinutes`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum Key {
            $(#[serde(rename = $name)] $variant,)*
        }

        impl Key {
            /// Every key, in schema order.
            pub const ALL: &'static [Key] = &[$(Key::$variant),*];

            /// The JSON name.
            pub fn name(self) -> &'static str {
                match self {
                    $(Key::$variant => $name,)*
                }
            }

            /// The key with this JSON name (exact, case-sensitive).
            pub fn from_name(name: &str) -> Option<Key> {
                match name {
                    $($name => Some(Key::$variant),)*
                    _ => None,
                }
            }
        }

        /// Every setting, in [`Key::ALL`] order.
        pub static SPECS: &[Spec] = &[$(
            Spec {
                key: Key::$variant,
                title: $title,
                description: $description,
                kind: $kind,
                enforcement: $enforcement,
                example: $example,
            },
        )*];
    };
}

with_settings_table!(define_keys);

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Key {
    /// Keys whose values are secrets: never shown in errors, logs or exports.
    pub fn is_secret(self) -> bool {
        matches!(self, Key::ReportingHmacSecret | Key::ReportingToken)
    }

    /// This key's row in [`SPECS`].
    pub fn spec(self) -> &'static Spec {
        // SPECS is in `Key::ALL` order (both come from the same rows); `spec_table_is_complete`
        // checks it.
        &SPECS[self as usize]
    }
}

/// The type and range of a setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Kind {
    Bool {
        default: bool,
    },
    /// An integer in `min..=max`.
    Int {
        min: i64,
        max: i64,
        default: i64,
    },
    /// One of a few strings.
    Choice {
        values: &'static [&'static str],
        default: &'static str,
    },
    /// An optional string of `min_chars..=max_chars` characters; empty or `null` means unset.
    #[serde(rename_all = "camelCase")]
    Text {
        min_chars: usize,
        max_chars: usize,
    },
    /// An optional `https://` URL; empty or `null` means unset.
    HttpsUrl,
    /// Host patterns (`crm.acme.com`, `*.crm.acme.com`).
    HostList,
    /// Ids from the built-in catalog.
    CrmIdList,
    /// Self-hosted CRMs: host patterns, or `{ "name", "hosts", "logoutUrl" }` objects.
    CrmList,
    /// The organisation's tenants: `{ "<crm id>": [tenant patterns or portal ids] }`.
    TenantMap,
}

/// One row of the key table.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Spec {
    pub key: Key,
    pub title: &'static str,
    pub description: &'static str,
    #[serde(flatten)]
    pub kind: Kind,
    /// A security control: an invalid value falls back to the protective default, and managed
    /// policy locks it.
    pub enforcement: bool,
    /// A realistic value (JSON text) for templates and documentation.
    pub example: &'static str,
}

const fn int(min: i64, max: i64, default: i64) -> Kind {
    Kind::Int { min, max, default }
}
