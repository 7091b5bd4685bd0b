//! The one policy schema: every setting, its default, validation and the merge
//! defaults ← user options ← managed policy.
//!
//! The [`SPECS`] table is the single source of truth: validation, the defaults, Chrome's
//! `storage.managed_schema` ([`managed_schema`]), the CLI's deployment templates and the
//! documentation all come from it.
//!
//! **Invariant:** whatever JSON comes in (hostile, huge, mistyped), [`effective`] returns settings
//! within every key's range, never panics, names every rejected key in an error, and never turns
//! an enforcement setting off because a value was invalid (fail closed).

use std::collections::BTreeSet;
use std::fmt;

use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{json, Map, Value};
use thiserror::Error;
use url::Url;

use crate::catalog::{Catalog, CrmEntry, BUILTIN};
use crate::host::{HostPattern, PatternError};

/// The extension's id in the stores; policy files are keyed by it. Placeholder until the id
/// derived from the manifest key replaces it (32 characters a–p).
pub const EXTENSION_ID: &str = "kojhflkoadfcddkikeefjjgeecmhlajk";
/// The extension's id in Firefox (`browser_specific_settings.gecko.id` in the manifest); Firefox's
/// `policies.json` keys the extension's policy by it.
pub const FIREFOX_ID: &str = "crm-guard@crm-guard.dev";

/// No string from policy is looked at beyond this many bytes (bounded memory and time).
pub const MAX_STRING_BYTES: usize = 4 * 1024;
/// No list from policy is read beyond this many entries.
pub const MAX_LIST_LEN: usize = 1000;
/// The offending value is shown truncated to this many characters.
pub const MAX_DISPLAY_CHARS: usize = 80;
/// At most this many errors are listed per key (and for unknown keys); the rest are counted.
pub const MAX_ERRORS_PER_KEY: usize = 20;
/// Display name of a self-hosted CRM given as a bare host pattern.
pub const SELF_HOSTED_NAME: &str = "Self-hosted CRM";
const MAX_NAME_CHARS: usize = 100;

macro_rules! keys {
    ($($variant:ident = $name:literal),* $(,)?) => {
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
    };
}

keys! {
    CrmHosts = "crmHosts",
    DisabledCrms = "disabledCrms",
    HttpsExceptionHosts = "httpsExceptionHosts",
    TrustedNetworkProbeUrl = "trustedNetworkProbeUrl",
    TrustedNetworkExpectStatus = "trustedNetworkExpectStatus",
    TrustedNetworkExpectBody = "trustedNetworkExpectBody",
    TrustedNetworkRequired = "trustedNetworkRequired",
    TrustedNetworkIntervalMinutes = "trustedNetworkIntervalMinutes",
    IdleTimeoutMinutes = "idleTimeoutMinutes",
    LogoutOnLock = "logoutOnLock",
    WarningSeconds = "warningSeconds",
    ForceLogoutToken = "forceLogoutToken",
    PasswordMinLength = "passwordMinLength",
    PasswordMinScore = "passwordMinScore",
    PasswordMode = "passwordMode",
    ReuseGuard = "reuseGuard",
    PhishingGuard = "phishingGuard",
    ReportingUrl = "reportingUrl",
    ReportingHmacSecret = "reportingHmacSecret",
    ReportingBatchSize = "reportingBatchSize",
    EventLogSize = "eventLogSize",
    Locale = "locale",
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Key {
    /// Keys whose values are secrets: never shown in errors, logs or exports.
    pub fn is_secret(self) -> bool {
        matches!(self, Key::ReportingHmacSecret)
    }

    /// This key's row in [`SPECS`].
    pub fn spec(self) -> &'static Spec {
        // SPECS is in `Key::ALL` order; `spec_table_is_complete` checks it.
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

const fn spec(
    key: Key,
    title: &'static str,
    description: &'static str,
    kind: Kind,
    enforcement: bool,
    example: &'static str,
) -> Spec {
    Spec { key, title, description, kind, enforcement, example }
}

const fn int(min: i64, max: i64, default: i64) -> Kind {
    Kind::Int { min, max, default }
}

/// Every setting, in [`Key::ALL`] order.
pub static SPECS: &[Spec] = &[
    spec(Key::CrmHosts, "Self-hosted CRMs",
        "Extra CRM hosts to protect. Each entry is a host pattern (crm.acme.com or *.crm.acme.com) or an \
         object {\"name\", \"hosts\": [patterns], \"logoutUrl\": \"https://...\"}.",
        Kind::CrmList, true,
        r#"[{"name": "Acme CRM", "hosts": ["crm.acme.com", "*.crm.acme.com"], "logoutUrl": "https://crm.acme.com/logout"}]"#),
    spec(Key::DisabledCrms, "Ignored CRMs",
        "Catalog ids of CRMs CRM Guard ignores (see `crm-guard catalog`).", Kind::CrmIdList, true, r#"["copper"]"#),
    spec(Key::HttpsExceptionHosts, "HTTPS exceptions",
        "Host patterns where the user may continue over plain http after a warning.", Kind::HostList, true,
        r#"["legacy-crm.acme.com"]"#),
    spec(Key::TrustedNetworkProbeUrl, "Trusted network probe URL",
        "An https URL only reachable from the corporate network; CRM Guard checks it to know the network is trusted.",
        Kind::HttpsUrl, true, r#""https://probe.acme.com/crm-guard""#),
    spec(Key::TrustedNetworkExpectStatus, "Trusted network probe status",
        "The HTTP status the probe URL answers with on the trusted network. Default: 200.",
        int(100, 599, 200), true, "204"),
    spec(Key::TrustedNetworkExpectBody, "Trusted network probe body",
        "Text the probe's response body must contain (at most 1024 characters).",
        Kind::Text { min_chars: 0, max_chars: 1024 }, true, r#""acme-internal""#),
    spec(Key::TrustedNetworkRequired, "Trusted network required",
        "When true, a CRM tab outside the trusted network is at risk; when false (default) it is a warning.",
        Kind::Bool { default: false }, true, "true"),
    spec(Key::TrustedNetworkIntervalMinutes, "Trusted network check interval",
        "Minutes between trusted-network probes (1 to 1440). Default: 5.", int(1, 1440, 5), false, "10"),
    spec(Key::IdleTimeoutMinutes, "Idle timeout",
        "Minutes without activity before CRM Guard signs out of the CRMs (1 to 1440). Default: 15.",
        int(1, 1440, 15), true, "30"),
    spec(Key::LogoutOnLock, "Sign out when the screen locks",
        "Sign out of the CRMs when the screen locks. Default: true.", Kind::Bool { default: true }, true, "true"),
    spec(Key::WarningSeconds, "Idle warning",
        "Seconds of warning before an idle sign-out (10 to 600). Default: 60.", int(10, 600, 60), true, "120"),
    spec(Key::ForceLogoutToken, "Force sign-out token",
        "Any text (at most 256 characters). When it changes, every browser signs out of every CRM at once.",
        Kind::Text { min_chars: 0, max_chars: 256 }, true, r#""2024-06-01-incident""#),
    spec(Key::PasswordMinLength, "Minimum password length",
        "Minimum length of a CRM password (8 to 128). Default: 12.", int(8, 128, 12), true, "14"),
    spec(Key::PasswordMinScore, "Minimum password strength",
        "Minimum zxcvbn score of a CRM password, 0 (weakest) to 4 (strongest). Default: 3.",
        int(0, 4, 3), true, "3"),
    spec(Key::PasswordMode, "Weak password handling",
        "\"warn\" (default) shows a warning; \"block\" refuses to submit a weak CRM password.",
        Kind::Choice { values: &["warn", "block"], default: "warn" }, true, r#""block""#),
    spec(Key::ReuseGuard, "Password reuse guard",
        "Warn when one CRM's password is used on another CRM. Default: true.", Kind::Bool { default: true }, true,
        "true"),
    spec(Key::PhishingGuard, "Phishing guard",
        "Alert when a CRM password is typed on a site that is not a CRM (needs access to all sites). Default: false.",
        Kind::Bool { default: false }, true, "false"),
    spec(Key::ReportingUrl, "Reporting endpoint",
        "An https URL that receives security events as signed JSON batches. Unset: no reporting.",
        Kind::HttpsUrl, false, r#""https://siem.acme.com/crm-guard/events""#),
    spec(Key::ReportingHmacSecret, "Reporting secret",
        "The HMAC-SHA256 key that signs event batches (16 to 256 characters). Required with a reporting endpoint.",
        Kind::Text { min_chars: 16, max_chars: 256 }, false, r#""change-me-0123456789abcdef""#),
    spec(Key::ReportingBatchSize, "Reporting batch size",
        "Events per report (1 to 500). Default: 50.", int(1, 500, 50), false, "100"),
    spec(Key::EventLogSize, "Event log size",
        "Security events kept in the browser (100 to 10000). Default: 1000.", int(100, 10_000, 1000), false, "2000"),
    spec(Key::Locale, "Language",
        "\"auto\" (browser language, default), \"en\" or \"fr\".",
        Kind::Choice { values: &["auto", "en", "fr"], default: "auto" }, false, r#""auto""#),
];

macro_rules! choice {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $id:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $id)] $variant,)*
        }

        impl $name {
            pub fn id(self) -> &'static str {
                match self {
                    $($name::$variant => $id,)*
                }
            }

            fn from_id(id: &str) -> Option<Self> {
                match id {
                    $($id => Some($name::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

choice! {
    /// What happens to a weak CRM password.
    PasswordMode { Warn = "warn", Block = "block" }
}
choice! {
    /// The interface language.
    Locale { Auto = "auto", En = "en", Fr = "fr" }
}

/// A self-hosted CRM from `crmHosts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SelfHostedCrm {
    pub name: String,
    /// Never empty.
    pub hosts: Vec<HostPattern>,
    /// An https URL.
    pub logout_url: Option<String>,
}

impl SelfHostedCrm {
    /// The catalog entry; its id is `custom:` and the first host pattern.
    pub fn entry(&self) -> CrmEntry {
        let first = self.hosts.first().map(ToString::to_string).unwrap_or_default();
        CrmEntry {
            id: format!("custom:{first}").into(),
            name: self.name.clone().into(),
            hosts: self.hosts.clone().into(),
            exclude: Vec::new().into(),
            path_prefix: None,
            logout_url: self.logout_url.clone().map(Into::into),
        }
    }
}

/// Every setting with its value in force. Field names are the [`Key`] names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    pub crm_hosts: Vec<SelfHostedCrm>,
    pub disabled_crms: Vec<String>,
    pub https_exception_hosts: Vec<HostPattern>,
    pub trusted_network_probe_url: Option<String>,
    pub trusted_network_expect_status: u16,
    pub trusted_network_expect_body: Option<String>,
    pub trusted_network_required: bool,
    pub trusted_network_interval_minutes: u32,
    pub idle_timeout_minutes: u32,
    pub logout_on_lock: bool,
    pub warning_seconds: u32,
    pub force_logout_token: Option<String>,
    pub password_min_length: u32,
    pub password_min_score: u8,
    pub password_mode: PasswordMode,
    pub reuse_guard: bool,
    pub phishing_guard: bool,
    pub reporting_url: Option<String>,
    pub reporting_hmac_secret: Option<String>,
    pub reporting_batch_size: u32,
    pub event_log_size: u32,
    pub locale: Locale,
}

impl Default for Settings {
    fn default() -> Self {
        let mut s = Settings {
            crm_hosts: Vec::new(),
            disabled_crms: Vec::new(),
            https_exception_hosts: Vec::new(),
            trusted_network_probe_url: None,
            trusted_network_expect_status: 0,
            trusted_network_expect_body: None,
            trusted_network_required: false,
            trusted_network_interval_minutes: 0,
            idle_timeout_minutes: 0,
            logout_on_lock: false,
            warning_seconds: 0,
            force_logout_token: None,
            password_min_length: 0,
            password_min_score: 0,
            password_mode: PasswordMode::Warn,
            reuse_guard: false,
            phishing_guard: false,
            reporting_url: None,
            reporting_hmac_secret: None,
            reporting_batch_size: 0,
            event_log_size: 0,
            locale: Locale::Auto,
        };
        // The defaults live in the key table only.
        for key in Key::ALL {
            s.set(*key, Typed::default_of(*key));
        }
        s
    }
}

/// A setting's value, whatever its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Typed {
    Bool(bool),
    Int(i64),
    Choice(&'static str),
    Text(Option<String>),
    Hosts(Vec<HostPattern>),
    Ids(Vec<String>),
    Crms(Vec<SelfHostedCrm>),
}

impl Typed {
    /// The default from the key table.
    pub fn default_of(key: Key) -> Typed {
        match key.spec().kind {
            Kind::Bool { default } => Typed::Bool(default),
            Kind::Int { default, .. } => Typed::Int(default),
            Kind::Choice { default, .. } => Typed::Choice(default),
            Kind::Text { .. } | Kind::HttpsUrl => Typed::Text(None),
            Kind::HostList => Typed::Hosts(Vec::new()),
            Kind::CrmIdList => Typed::Ids(Vec::new()),
            Kind::CrmList => Typed::Crms(Vec::new()),
        }
    }
}

impl fmt::Display for Typed {
    /// Short, human-readable (for "what applies instead").
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn list(f: &mut fmt::Formatter<'_>, n: usize, what: &str) -> fmt::Result {
            match n {
                0 => write!(f, "no {what}s"),
                1 => write!(f, "1 {what}"),
                n => write!(f, "{n} {what}s"),
            }
        }
        match self {
            Typed::Bool(b) => write!(f, "{b}"),
            Typed::Int(i) => write!(f, "{i}"),
            Typed::Choice(c) => write!(f, "\"{c}\""),
            Typed::Text(None) => f.write_str("unset"),
            Typed::Text(Some(t)) => write!(f, "\"{}\"", truncate(t, MAX_DISPLAY_CHARS)),
            Typed::Hosts(h) => list(f, h.len(), "host"),
            Typed::Ids(i) => list(f, i.len(), "CRM"),
            Typed::Crms(c) => list(f, c.len(), "self-hosted CRM"),
        }
    }
}

impl Settings {
    /// The value of one setting.
    pub fn get(&self, key: Key) -> Typed {
        match key {
            Key::CrmHosts => Typed::Crms(self.crm_hosts.clone()),
            Key::DisabledCrms => Typed::Ids(self.disabled_crms.clone()),
            Key::HttpsExceptionHosts => Typed::Hosts(self.https_exception_hosts.clone()),
            Key::TrustedNetworkProbeUrl => Typed::Text(self.trusted_network_probe_url.clone()),
            Key::TrustedNetworkExpectStatus => Typed::Int(self.trusted_network_expect_status.into()),
            Key::TrustedNetworkExpectBody => Typed::Text(self.trusted_network_expect_body.clone()),
            Key::TrustedNetworkRequired => Typed::Bool(self.trusted_network_required),
            Key::TrustedNetworkIntervalMinutes => Typed::Int(self.trusted_network_interval_minutes.into()),
            Key::IdleTimeoutMinutes => Typed::Int(self.idle_timeout_minutes.into()),
            Key::LogoutOnLock => Typed::Bool(self.logout_on_lock),
            Key::WarningSeconds => Typed::Int(self.warning_seconds.into()),
            Key::ForceLogoutToken => Typed::Text(self.force_logout_token.clone()),
            Key::PasswordMinLength => Typed::Int(self.password_min_length.into()),
            Key::PasswordMinScore => Typed::Int(self.password_min_score.into()),
            Key::PasswordMode => Typed::Choice(self.password_mode.id()),
            Key::ReuseGuard => Typed::Bool(self.reuse_guard),
            Key::PhishingGuard => Typed::Bool(self.phishing_guard),
            Key::ReportingUrl => Typed::Text(self.reporting_url.clone()),
            Key::ReportingHmacSecret => Typed::Text(self.reporting_hmac_secret.clone()),
            Key::ReportingBatchSize => Typed::Int(self.reporting_batch_size.into()),
            Key::EventLogSize => Typed::Int(self.event_log_size.into()),
            Key::Locale => Typed::Choice(self.locale.id()),
        }
    }

    /// Sets one setting. The value must have been validated for this key; a value of the wrong
    /// variant or out of range is ignored (the setting keeps its value).
    fn set(&mut self, key: Key, value: Typed) {
        fn int<T: TryFrom<i64>>(field: &mut T, v: i64) {
            if let Ok(v) = T::try_from(v) {
                *field = v;
            }
        }
        match (key, value) {
            (Key::CrmHosts, Typed::Crms(v)) => self.crm_hosts = v,
            (Key::DisabledCrms, Typed::Ids(v)) => self.disabled_crms = v,
            (Key::HttpsExceptionHosts, Typed::Hosts(v)) => self.https_exception_hosts = v,
            (Key::TrustedNetworkProbeUrl, Typed::Text(v)) => self.trusted_network_probe_url = v,
            (Key::TrustedNetworkExpectStatus, Typed::Int(v)) => {
                int(&mut self.trusted_network_expect_status, v)
            }
            (Key::TrustedNetworkExpectBody, Typed::Text(v)) => self.trusted_network_expect_body = v,
            (Key::TrustedNetworkRequired, Typed::Bool(v)) => self.trusted_network_required = v,
            (Key::TrustedNetworkIntervalMinutes, Typed::Int(v)) => {
                int(&mut self.trusted_network_interval_minutes, v)
            }
            (Key::IdleTimeoutMinutes, Typed::Int(v)) => int(&mut self.idle_timeout_minutes, v),
            (Key::LogoutOnLock, Typed::Bool(v)) => self.logout_on_lock = v,
            (Key::WarningSeconds, Typed::Int(v)) => int(&mut self.warning_seconds, v),
            (Key::ForceLogoutToken, Typed::Text(v)) => self.force_logout_token = v,
            (Key::PasswordMinLength, Typed::Int(v)) => int(&mut self.password_min_length, v),
            (Key::PasswordMinScore, Typed::Int(v)) => int(&mut self.password_min_score, v),
            (Key::PasswordMode, Typed::Choice(v)) => {
                self.password_mode = PasswordMode::from_id(v).unwrap_or(self.password_mode)
            }
            (Key::ReuseGuard, Typed::Bool(v)) => self.reuse_guard = v,
            (Key::PhishingGuard, Typed::Bool(v)) => self.phishing_guard = v,
            (Key::ReportingUrl, Typed::Text(v)) => self.reporting_url = v,
            (Key::ReportingHmacSecret, Typed::Text(v)) => self.reporting_hmac_secret = v,
            (Key::ReportingBatchSize, Typed::Int(v)) => int(&mut self.reporting_batch_size, v),
            (Key::EventLogSize, Typed::Int(v)) => int(&mut self.event_log_size, v),
            (Key::Locale, Typed::Choice(v)) => self.locale = Locale::from_id(v).unwrap_or(self.locale),
            _ => {}
        }
    }

    /// The catalog in force: self-hosted CRMs first, built-in entries minus the disabled ones.
    pub fn catalog(&self) -> Catalog {
        Catalog::with_extra(self.crm_hosts.iter().map(SelfHostedCrm::entry).collect())
            .without(self.disabled_crms.iter().cloned())
    }

    /// Settings from one JSON object of options, ignoring what is invalid (see [`effective`]).
    pub fn from_value(value: &Value) -> (Settings, Vec<PolicyError>) {
        let e = effective(value, &Value::Null);
        (e.settings, e.errors)
    }
}

/// Who set a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Source {
    /// The options page.
    User,
    /// `chrome.storage.managed` (IT policy).
    Managed,
}

/// Why a value was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
#[serde(tag = "code", rename_all = "camelCase")]
pub enum Reason {
    /// The key is not a CRM Guard setting.
    #[error("not a CRM Guard setting")]
    UnknownKey,
    /// The JSON type is wrong (`"15"` for an integer).
    #[error("expected {expected}, found {found}")]
    WrongType { expected: &'static str, found: &'static str },
    /// An integer outside the key's range.
    #[error("must be between {min} and {max}")]
    OutOfRange { min: i64, max: i64 },
    /// A string that is not one of the allowed values.
    #[error("must be one of: {}", allowed.join(", "))]
    NotOneOf { allowed: &'static [&'static str] },
    /// A string longer than the key allows (or than [`MAX_STRING_BYTES`]).
    #[error("longer than {max} characters")]
    TooLong { max: usize },
    /// A string shorter than the key allows.
    #[error("shorter than {min} characters")]
    TooShort { min: usize },
    /// A list longer than [`MAX_LIST_LEN`].
    #[error("more than {max} entries")]
    TooManyItems { max: usize },
    /// A host pattern that does not parse.
    #[error("bad host pattern: {detail}")]
    BadPattern { detail: &'static str },
    /// A string that is not a URL.
    #[error("not a valid URL: {detail}")]
    BadUrl { detail: String },
    /// A URL that is not `https:`.
    #[error("must be an https:// URL")]
    NotHttps,
    /// A CRM id not in the built-in catalog.
    #[error("no CRM with this id in the catalog (see `crm-guard catalog`)")]
    UnknownCrm,
    /// `reportingUrl` without a valid `reportingHmacSecret`.
    #[error("reportingUrl is set but reportingHmacSecret is missing or invalid")]
    MissingSecret,
    /// A field of a `crmHosts` object that is not `name`, `hosts` or `logoutUrl`.
    #[error("unknown field `{field}` (expected name, hosts, logoutUrl)")]
    UnknownField { field: String },
    /// A `crmHosts` object without any valid host.
    #[error("no valid host pattern in `hosts`")]
    NoHosts,
    /// The policy is not a JSON object.
    #[error("the policy must be a JSON object of settings")]
    NotAnObject,
    /// More errors of this key were not listed.
    #[error("{count} more problems not listed")]
    MoreErrors { count: usize },
}

/// A rejected value and what applies instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    /// The key (`idleTimeoutMinutes`), the unknown key as written (truncated), or `(policy)`.
    pub key: String,
    /// The offending value as compact JSON, truncated to [`MAX_DISPLAY_CHARS`] characters.
    pub value: String,
    pub reason: Reason,
    /// What applies instead, for people: `15 (the default)`, `entry skipped`…
    pub applied: String,
    pub source: Source,
}

impl PolicyError {
    /// The known key this error is about, if any.
    pub fn key(&self) -> Option<Key> {
        Key::from_name(&self.key)
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match self.source {
            Source::User => "options",
            Source::Managed => "managed policy",
        };
        write!(f, "{} = {} ({source}): {}; applies: {}", self.key, self.value, self.reason, self.applied)
    }
}

impl Serialize for PolicyError {
    /// `{ key, value, reason: { code, … }, message, applied, source }`.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("PolicyError", 6)?;
        st.serialize_field("key", &self.key)?;
        st.serialize_field("value", &self.value)?;
        st.serialize_field("reason", &self.reason)?;
        st.serialize_field("message", &self.reason.to_string())?;
        st.serialize_field("applied", &self.applied)?;
        st.serialize_field("source", &self.source)?;
        st.end()
    }
}

/// The settings in force, which keys IT locked, and what was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Effective {
    pub settings: Settings,
    /// Keys set by managed policy, validly or not: the options page shows them read-only.
    pub locked: BTreeSet<Key>,
    pub errors: Vec<PolicyError>,
}

/// Defaults ← user options ← managed policy.
///
/// A key present in managed policy is locked: the user's value is not read. An invalid managed
/// value applies the key's default (or the nearest bound, for an out-of-range integer), still
/// locked. A bad element of a list skips that element only. `Null` means "nothing set".
pub fn effective(user: &Value, managed: &Value) -> Effective {
    let mut settings = Settings::default();
    let mut errors = Vec::new();
    let locked: BTreeSet<Key> = match managed {
        Value::Object(m) => m.keys().filter_map(|k| Key::from_name(k)).collect(),
        _ => BTreeSet::new(),
    };
    let mut origin = [None; SPECS.len()];
    for (layer, source) in [(user, Source::User), (managed, Source::Managed)] {
        let obj = match layer {
            Value::Null => continue,
            Value::Object(obj) => obj,
            other => {
                errors.push(PolicyError {
                    key: "(policy)".into(),
                    value: display_value(other),
                    reason: Reason::NotAnObject,
                    applied: "ignored".into(),
                    source,
                });
                continue;
            }
        };
        let skip = if source == Source::User { &locked } else { &BTreeSet::new() };
        apply_layer(&mut settings, obj, source, skip, &mut origin, &mut errors);
    }
    check_reporting(&mut settings, &origin, &mut errors);
    Effective { settings, locked, errors }
}

/// Applies one source's object; records which source set each key.
fn apply_layer(
    settings: &mut Settings,
    obj: &Map<String, Value>,
    source: Source,
    skip: &BTreeSet<Key>,
    origin: &mut [Option<Source>],
    errors: &mut Vec<PolicyError>,
) {
    let mut unknown = Capped::default();
    for (name, value) in obj {
        let Some(key) = Key::from_name(name) else {
            unknown.push(
                errors,
                PolicyError {
                    key: truncate(name, MAX_DISPLAY_CHARS),
                    value: display_value(value),
                    reason: Reason::UnknownKey,
                    applied: "ignored".into(),
                    source,
                },
            );
            continue;
        };
        if skip.contains(&key) {
            continue;
        }
        let mut issues = Capped::default();
        let checked = check(key, value, &mut |value: &Value, reason, applied: Option<String>| {
            let applied = applied.unwrap_or_else(|| fallback_text(key, source));
            issues.push(
                errors,
                PolicyError {
                    key: key.name().into(),
                    value: shown_value(key, value),
                    reason,
                    applied,
                    source,
                },
            )
        });
        issues.finish(errors, key.name(), source);
        match checked {
            Some(v) => {
                settings.set(key, v);
                origin[key as usize] = Some(source);
            }
            None if source == Source::Managed => {
                // Locked to the safe default: an invalid managed value must not leave the user's.
                settings.set(key, Typed::default_of(key));
                origin[key as usize] = Some(source);
            }
            None => {}
        }
    }
    unknown.finish(errors, "(policy)", source);
}

fn fallback_text(key: Key, source: Source) -> String {
    let default = Typed::default_of(key);
    match source {
        Source::Managed => format!("{default} (the default, locked)"),
        Source::User => format!("{default} (the default)"),
    }
}

/// Reporting needs a secret: without one, reporting is off (never unsigned reports).
fn check_reporting(settings: &mut Settings, origin: &[Option<Source>], errors: &mut Vec<PolicyError>) {
    if settings.reporting_url.is_some() && settings.reporting_hmac_secret.is_none() {
        let url = settings.reporting_url.take().unwrap_or_default();
        errors.push(PolicyError {
            key: Key::ReportingHmacSecret.name().into(),
            value: display_value(&Value::Null),
            reason: Reason::MissingSecret,
            applied: format!("reporting off (reportingUrl {} is ignored)", truncate(&url, 40)),
            source: origin[Key::ReportingUrl as usize].unwrap_or(Source::User),
        });
    }
}

/// Lists at most [`MAX_ERRORS_PER_KEY`] errors, then one [`Reason::MoreErrors`].
#[derive(Default)]
struct Capped {
    count: usize,
}

impl Capped {
    fn push(&mut self, errors: &mut Vec<PolicyError>, e: PolicyError) {
        self.count += 1;
        if self.count <= MAX_ERRORS_PER_KEY {
            errors.push(e);
        }
    }

    fn finish(self, errors: &mut Vec<PolicyError>, key: &str, source: Source) {
        if self.count > MAX_ERRORS_PER_KEY {
            errors.push(PolicyError {
                key: key.into(),
                value: String::new(),
                reason: Reason::MoreErrors { count: self.count - MAX_ERRORS_PER_KEY },
                applied: "see above".into(),
                source,
            });
        }
    }
}

/// Reports one problem: the offending value, why, and what applies instead (`None`: the key's
/// fallback).
type Report<'a> = dyn FnMut(&Value, Reason, Option<String>) + 'a;

/// Validates one key's value. `None`: nothing usable (the fallback applies).
fn check(key: Key, value: &Value, report: &mut Report<'_>) -> Option<Typed> {
    match key.spec().kind {
        Kind::Bool { .. } => match value {
            Value::Bool(b) => Some(Typed::Bool(*b)),
            other => wrong_type(other, "true or false", report),
        },
        Kind::Int { min, max, .. } => {
            let Some(i) = as_integer(value) else {
                return wrong_type(value, "an integer", report);
            };
            let clamped = i.clamp(min, max);
            if clamped != i {
                report(
                    value,
                    Reason::OutOfRange { min, max },
                    Some(format!("{clamped} (the nearest allowed)")),
                );
            }
            Some(Typed::Int(clamped))
        }
        Kind::Choice { values, .. } => {
            let Value::String(s) = value else { return wrong_type(value, "a string", report) };
            match values.iter().find(|v| **v == s) {
                Some(v) => Some(Typed::Choice(v)),
                None => {
                    report(value, Reason::NotOneOf { allowed: values }, None);
                    None
                }
            }
        }
        // `null` clears an optional string (the options page stores it so).
        Kind::Text { .. } | Kind::HttpsUrl if value.is_null() => Some(Typed::Text(None)),
        Kind::Text { min_chars, max_chars } => {
            let s = string(value, max_chars, report)?;
            if s.is_empty() {
                return Some(Typed::Text(None));
            }
            if s.chars().count() < min_chars {
                report(value, Reason::TooShort { min: min_chars }, None);
                return None;
            }
            Some(Typed::Text(Some(s.to_owned())))
        }
        Kind::HttpsUrl => {
            let s = string(value, MAX_STRING_BYTES, report)?;
            if s.is_empty() {
                return Some(Typed::Text(None));
            }
            match https_url(s) {
                Ok(url) => Some(Typed::Text(Some(url))),
                Err(reason) => {
                    report(value, reason, None);
                    None
                }
            }
        }
        Kind::HostList => list(value, report, |v, report| {
            let s = string(v, MAX_STRING_BYTES, report)?;
            pattern(v, s, report)
        })
        .map(|mut v| {
            dedup(&mut v);
            Typed::Hosts(v)
        }),
        Kind::CrmIdList => list(value, report, |v, report| {
            let s = string(v, MAX_STRING_BYTES, report)?;
            match BUILTIN.iter().find(|e| e.id == s) {
                Some(e) => Some(e.id.to_string()),
                None => {
                    report(v, Reason::UnknownCrm, Some("entry skipped".into()));
                    None
                }
            }
        })
        .map(|mut v| {
            dedup(&mut v);
            Typed::Ids(v)
        }),
        Kind::CrmList => list(value, report, self_hosted).map(Typed::Crms),
    }
}

fn wrong_type<T>(value: &Value, expected: &'static str, report: &mut Report<'_>) -> Option<T> {
    report(value, Reason::WrongType { expected, found: type_name(value) }, None);
    None
}

/// An integer, also from a float without fraction (`15.0`, which some tools write).
fn as_integer(value: &Value) -> Option<i64> {
    let n = value.as_number()?;
    if let Some(i) = n.as_i64() {
        return Some(i);
    }
    if n.as_u64().is_some() {
        return Some(i64::MAX);
    }
    let f = n.as_f64()?;
    // Saturating cast: huge values clamp to the range like any out-of-range integer.
    (f.fract() == 0.0).then_some(f as i64)
}

/// A string of at most `max_chars` characters (and [`MAX_STRING_BYTES`] bytes), trimmed.
fn string<'v>(value: &'v Value, max_chars: usize, report: &mut Report<'_>) -> Option<&'v str> {
    let Value::String(s) = value else { return wrong_type(value, "a string", report) };
    let max = max_chars.min(MAX_STRING_BYTES);
    // The byte length bounds the work before counting characters of a megabyte string.
    if s.len() > MAX_STRING_BYTES || s.chars().count() > max {
        report(value, Reason::TooLong { max }, None);
        return None;
    }
    Some(s.trim())
}

fn https_url(s: &str) -> Result<String, Reason> {
    let url = Url::parse(s).map_err(|e| Reason::BadUrl { detail: e.to_string() })?;
    if url.scheme() != "https" {
        return Err(Reason::NotHttps);
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Reason::BadUrl { detail: "no host".into() });
    }
    Ok(url.to_string())
}

fn pattern(v: &Value, s: &str, report: &mut Report<'_>) -> Option<HostPattern> {
    HostPattern::parse(s)
        .map_err(|e| {
            let detail = match e {
                PatternError::Empty => "empty",
                PatternError::Wildcard(_) => "`*.` is only allowed as a prefix",
                PatternError::InvalidHost(_) => "not a valid host name",
                PatternError::PublicSuffix(_) => "would match a whole public suffix",
            };
            report(v, Reason::BadPattern { detail }, Some("entry skipped".into()))
        })
        .ok()
}

/// A list: the valid elements, in order. Element errors skip the element only.
fn list<T>(
    value: &Value,
    report: &mut Report<'_>,
    mut element: impl FnMut(&Value, &mut Report<'_>) -> Option<T>,
) -> Option<Vec<T>> {
    let Value::Array(items) = value else { return wrong_type(value, "a list", report) };
    if items.len() > MAX_LIST_LEN {
        report(
            value,
            Reason::TooManyItems { max: MAX_LIST_LEN },
            Some(format!("the first {MAX_LIST_LEN} entries")),
        );
    }
    let mut out = Vec::new();
    for item in items.iter().take(MAX_LIST_LEN) {
        // An element's problems name the element; "what applies" is always "entry skipped".
        let mut skipped = |v: &Value, reason: Reason, applied: Option<String>| {
            report(v, reason, Some(applied.unwrap_or_else(|| "entry skipped".into())))
        };
        if let Some(t) = element(item, &mut skipped) {
            out.push(t);
        }
    }
    Some(out)
}

fn dedup<T: PartialEq>(v: &mut Vec<T>) {
    let mut seen = 0;
    while seen < v.len() {
        if v[..seen].contains(&v[seen]) {
            v.remove(seen);
        } else {
            seen += 1;
        }
    }
}

/// One `crmHosts` element: a pattern string or `{ name, hosts, logoutUrl }`.
fn self_hosted(value: &Value, report: &mut Report<'_>) -> Option<SelfHostedCrm> {
    match value {
        Value::String(_) => {
            let s = string(value, MAX_STRING_BYTES, report)?;
            let p = pattern(value, s, report)?;
            Some(SelfHostedCrm { name: SELF_HOSTED_NAME.into(), hosts: vec![p], logout_url: None })
        }
        Value::Object(obj) => {
            let mut crm =
                SelfHostedCrm { name: SELF_HOSTED_NAME.into(), hosts: Vec::new(), logout_url: None };
            for (field, v) in obj.iter().take(MAX_LIST_LEN) {
                match field.as_str() {
                    "name" => {
                        let mut keep = |v: &Value, r: Reason, _: Option<String>| {
                            report(v, r, Some(format!("name \"{SELF_HOSTED_NAME}\"")))
                        };
                        if let Some(name) = string(v, MAX_NAME_CHARS, &mut keep).filter(|n| !n.is_empty()) {
                            crm.name = name.to_owned();
                        }
                    }
                    "hosts" => {
                        crm.hosts = list(v, report, |v, report| {
                            let s = string(v, MAX_STRING_BYTES, report)?;
                            pattern(v, s, report)
                        })
                        .unwrap_or_default();
                        dedup(&mut crm.hosts);
                    }
                    "logoutUrl" => {
                        let mut none = |v: &Value, r: Reason, _: Option<String>| {
                            report(v, r, Some("no logout URL for this CRM".into()))
                        };
                        crm.logout_url = match string(v, MAX_STRING_BYTES, &mut none) {
                            Some("") | None => None,
                            Some(s) => https_url(s).map_err(|r| none(v, r, None)).ok(),
                        };
                    }
                    other => report(
                        v,
                        Reason::UnknownField { field: truncate(other, MAX_DISPLAY_CHARS) },
                        Some("field ignored".into()),
                    ),
                }
            }
            if crm.hosts.is_empty() {
                report(value, Reason::NoHosts, Some("entry skipped".into()));
                return None;
            }
            Some(crm)
        }
        other => wrong_type(other, "a host pattern or an object", report),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a number with a fraction",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// At most `max` characters, with `…` when cut.
fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_owned(),
        Some((i, _)) => format!("{}…", &s[..i]),
    }
}

/// Compact JSON, at most [`MAX_DISPLAY_CHARS`] characters; never serialises more than a few
/// hundred bytes of a huge value.
/// What an error may show of a rejected value: secrets never appear (errors reach the event
/// log, its exports and the reporting endpoint).
fn shown_value(key: Key, v: &Value) -> String {
    if key.is_secret() {
        "(hidden)".into()
    } else {
        display_value(v)
    }
}

pub fn display_value(v: &Value) -> String {
    struct Limited(Vec<u8>);
    impl std::io::Write for Limited {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let room = (MAX_DISPLAY_CHARS * 4 + 4).saturating_sub(self.0.len());
            if room == 0 {
                return Err(std::io::ErrorKind::WriteZero.into());
            }
            let n = buf.len().min(room);
            self.0.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut w = Limited(Vec::new());
    let _ = serde_json::to_writer(&mut w, v);
    truncate(&String::from_utf8_lossy(&w.0), MAX_DISPLAY_CHARS)
}

/// Chrome's `storage.managed_schema` for every key, from the key table.
///
/// Chrome's schema language has no "one of": `crmHosts` is declared in its object form, which
/// covers everything the string form does.
pub fn managed_schema() -> Value {
    let mut properties = Map::new();
    for spec in SPECS {
        let mut p = Map::new();
        p.insert("title".into(), spec.title.into());
        p.insert("description".into(), spec.description.into());
        let string_list = json!({ "type": "array", "items": { "type": "string" } });
        match spec.kind {
            Kind::Bool { .. } => {
                p.insert("type".into(), "boolean".into());
            }
            Kind::Int { min, max, .. } => {
                p.insert("type".into(), "integer".into());
                p.insert("minimum".into(), min.into());
                p.insert("maximum".into(), max.into());
            }
            Kind::Choice { values, .. } => {
                p.insert("type".into(), "string".into());
                p.insert("enum".into(), values.into());
            }
            Kind::Text { .. } | Kind::HttpsUrl => {
                p.insert("type".into(), "string".into());
            }
            Kind::HostList | Kind::CrmIdList => {
                p.insert("type".into(), "array".into());
                p.insert("items".into(), string_list["items"].clone());
            }
            Kind::CrmList => {
                p.insert("type".into(), "array".into());
                p.insert(
                    "items".into(),
                    json!({
                        "type": "object",
                        "properties": {
                            "name": { "type": "string" },
                            "hosts": string_list,
                            "logoutUrl": { "type": "string" }
                        }
                    }),
                );
            }
        }
        properties.insert(spec.key.name().into(), Value::Object(p));
    }
    json!({ "type": "object", "properties": properties })
}

/// A complete, valid policy with every key's example value (for templates and docs).
pub fn example_policy() -> Value {
    let mut m = Map::new();
    for spec in SPECS {
        m.insert(spec.key.name().into(), serde_json::from_str(spec.example).unwrap_or(Value::Null));
    }
    Value::Object(m)
}

/// A short, stable digest of an error (FNV-1a 64 of its text, hex): what the extension remembers
/// to log each distinct policy error once, not on every worker wake.
pub fn error_digest(err: &PolicyError) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in err.to_string().bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Security events for the errors not logged yet. `seen` holds the digests of the errors of the
/// previous evaluation; returns the events to log and the digests to remember (the current
/// errors: an error that goes away and comes back is logged again).
pub fn new_error_events(
    errors: &[PolicyError],
    seen: &BTreeSet<String>,
    now_ms: u64,
) -> (Vec<crate::events::NewEvent>, BTreeSet<String>) {
    use crate::events::{EventKind, NewEvent};
    let mut current = BTreeSet::new();
    let mut events = Vec::new();
    for err in errors {
        let digest = error_digest(err);
        if !seen.contains(&digest) && !current.contains(&digest) {
            let level =
                if err.source == Source::Managed { crate::Level::AtRisk } else { crate::Level::Warning };
            events.push(NewEvent::new(now_ms, EventKind::PolicyError).level(level).detail(err.to_string()));
        }
        current.insert(digest);
    }
    (events, current)
}

#[cfg(test)]
mod tests;
