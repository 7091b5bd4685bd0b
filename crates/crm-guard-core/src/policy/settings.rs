//! The typed settings: [`Settings`] (generated from the key table), the value of one setting
//! whatever its key ([`Typed`]), and the types of the values that are not plain Rust types.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::truncate;
use super::specs::{with_settings_table, Key, Kind};
use super::{effective, PolicyError, MAX_DISPLAY_CHARS};
use crate::catalog::{Catalog, CrmEntry};
use crate::host::HostPattern;
use crate::tenant::Tenants;

macro_rules! choice {
    (
        $(#[$m:meta])*
        $name:ident { $first:ident = $first_id:literal $(, $variant:ident = $id:literal)* $(,)? }
    ) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        pub enum $name {
            #[serde(rename = $first_id)] $first,
            $(#[serde(rename = $id)] $variant,)*
        }

        impl $name {
            /// Every id, in order (the key table's allowed values).
            pub const IDS: &'static [&'static str] = &[$first_id, $($id),*];

            pub const fn id(self) -> &'static str {
                match self {
                    $name::$first => $first_id,
                    $($name::$variant => $id,)*
                }
            }

            fn from_id(id: &str) -> Option<Self> {
                match id {
                    $first_id => Some($name::$first),
                    $($id => Some($name::$variant),)*
                    _ => None,
                }
            }
        }

        impl SettingValue for $name {
            fn to_typed(&self) -> Typed {
                Typed::Choice(self.id())
            }

            fn from_typed(value: Typed) -> Option<Self> {
                match value {
                    Typed::Choice(id) => $name::from_id(id),
                    _ => None,
                }
            }

            fn placeholder() -> Self {
                $name::$first
            }
        }
    };
}

choice! {
    /// What happens to a weak CRM password.
    PasswordMode { Warn = "warn", Block = "block" }
}
choice! {
    /// What happens to one kind of export from a CRM.
    ExportMode { Off = "off", Log = "log", Warn = "warn", Block = "block" }
}
choice! {
    /// How an export event names the file.
    FileNameLog { None = "none", Hashed = "hashed", Full = "full" }
}
choice! {
    /// The reporting endpoint's wire format (`docs/policy.md`, "Reporting formats").
    ReportingFormat { CrmGuard = "crm-guard", Otlp = "otlp", SplunkHec = "splunk-hec" }
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

/// Generates [`Settings`] from the rows of [`with_settings_table`]: one field per key, the
/// defaults, [`Settings::get`] and [`Settings::set`].
macro_rules! define_settings {
    ($(
        $variant:ident = $name:literal, $field:ident: $ty:ty {
            kind: $kind:expr, enforcement: $enforcement:literal,
            title: $title:literal, description: $description:literal, example: $example:literal $(,)?
        }
    ),* $(,)?) => {
        /// Every setting with its value in force. Field names are the [`Key`] names.
        #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
        #[serde(rename_all = "camelCase")]
        pub struct Settings {
            $(pub $field: $ty,)*
        }

        impl Default for Settings {
            fn default() -> Self {
                // The defaults live in the key table only.
                Settings {
                    $($field: SettingValue::from_typed(Typed::default_of(Key::$variant))
                        .unwrap_or_else(SettingValue::placeholder),)*
                }
            }
        }

        impl Settings {
            /// The value of one setting.
            pub fn get(&self, key: Key) -> Typed {
                match key {
                    $(Key::$variant => self.$field.to_typed(),)*
                }
            }

            /// Sets one setting. The value must have been validated for this key; a value of the
            /// wrong variant or out of range is ignored (the setting keeps its value).
            pub(super) fn set(&mut self, key: Key, value: Typed) {
                match key {
                    $(Key::$variant => {
                        if let Some(v) = SettingValue::from_typed(value) {
                            self.$field = v;
                        }
                    })*
                }
            }
        }
    };
}

with_settings_table!(define_settings);

impl Settings {
    /// The catalog in force: self-hosted CRMs first, built-in entries minus the disabled ones.
    pub fn catalog(&self) -> Catalog {
        Catalog::with_extra(self.crm_hosts.iter().map(SelfHostedCrm::entry).collect())
            .without(self.disabled_crms.iter().cloned())
            .with_tenants(self.tenants.clone())
    }

    /// Settings from one JSON object of options, ignoring what is invalid (see [`effective`]).
    pub fn from_value(value: &Value) -> (Settings, Vec<PolicyError>) {
        let e = effective(value, &Value::Null);
        (e.settings, e.errors)
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
    Tenants(Tenants),
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
            Kind::TenantMap => Typed::Tenants(Tenants::default()),
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
            Typed::Tenants(t) => list(f, t.len(), "tenant"),
        }
    }
}

/// The Rust type of a [`Settings`] field, as a [`Typed`] value.
pub(super) trait SettingValue: Sized {
    fn to_typed(&self) -> Typed;

    /// `None`: another variant, or outside the range of the field's type.
    fn from_typed(value: Typed) -> Option<Self>;

    /// The value a field starts from if the key table's default does not fit it (never, as
    /// `defaults_come_from_the_table` checks).
    fn placeholder() -> Self;
}

macro_rules! setting_value {
    ($($ty:ty: $variant:ident($v:ident) => $to:expr, $from:expr, $placeholder:expr;)*) => {
        $(impl SettingValue for $ty {
            fn to_typed(&self) -> Typed {
                let $v = self;
                Typed::$variant($to)
            }

            fn from_typed(value: Typed) -> Option<Self> {
                match value {
                    Typed::$variant($v) => $from,
                    _ => None,
                }
            }

            fn placeholder() -> Self {
                $placeholder
            }
        })*
    };
}

setting_value! {
    bool: Bool(v) => *v, Some(v), false;
    u8: Int(v) => i64::from(*v), u8::try_from(v).ok(), 0;
    u16: Int(v) => i64::from(*v), u16::try_from(v).ok(), 0;
    u32: Int(v) => i64::from(*v), u32::try_from(v).ok(), 0;
    Option<String>: Text(v) => v.clone(), Some(v), None;
    Vec<HostPattern>: Hosts(v) => v.clone(), Some(v), Vec::new();
    Vec<String>: Ids(v) => v.clone(), Some(v), Vec::new();
    Vec<SelfHostedCrm>: Crms(v) => v.clone(), Some(v), Vec::new();
    Tenants: Tenants(v) => v.clone(), Some(v), Tenants::default();
}
