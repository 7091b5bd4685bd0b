//! How [`Event`] and [`Message`] are read: the JSON object first, then its `type`, then each
//! field of that variant on its own.
//!
//! The same wire format as `#[serde(tag = "type")]` would read (fields of other variants and
//! unknown fields ignored, a missing field an error unless it has a default, the same
//! `serde_json` errors for a field of the wrong type; `tests/wire.rs` compares both), except that
//! an event or a message is an object (the derive also took an array, its tag first: nobody sends
//! one), without the derive's cost in the WASM module:
//! serde's derive reads an internally tagged enum through a buffered `Content` copy of the input
//! and a `Content` deserializer per variant and field type — with the `Message`s nested in
//! `Event`s, ~116 KB of code for these two types alone (docs/size.md). Here the input is a
//! `serde_json::Value` (the form the rest of the engine reads and writes) and each field is one
//! `crm_guard_core::json::from_value` of its type, code shared with the storage reads.

use crm_guard_core::json::from_value;
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use serde_json::{Error, Map, Value};

use crate::protocol::{Event, Message};

/// A JSON object's fields, taken out one at a time.
struct Fields(Map<String, Value>);

impl Fields {
    /// The object's fields and its `type`; `what` names the enum in the error for a non-object.
    fn of(value: Value, what: &str) -> Result<(Fields, String), Error> {
        let Value::Object(map) = value else {
            return Err(Error::custom(format_args!("invalid type: {}, expected {what}", kind(&value))));
        };
        let mut fields = Fields(map);
        let tag = fields.req("type")?;
        Ok((fields, tag))
    }

    /// A field without a default: an error when absent.
    fn req<T: DeserializeOwned>(&mut self, key: &'static str) -> Result<T, Error> {
        match self.0.remove(key) {
            Some(v) => from_value(v),
            None => Err(Error::missing_field(key)),
        }
    }

    /// A field with a default (`#[serde(default)]`): the default when absent.
    fn opt<T: DeserializeOwned + Default>(&mut self, key: &'static str) -> Result<T, Error> {
        self.0.remove(key).map_or_else(|| Ok(T::default()), from_value)
    }

    /// A JSON value field: taken as it is.
    fn value(&mut self, key: &'static str) -> Result<Value, Error> {
        self.0.remove(key).ok_or_else(|| Error::missing_field(key))
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "sequence",
        Value::Object(_) => "map",
    }
}

impl Event {
    /// Reads an event (`{type, ...}`).
    pub fn from_json(value: Value) -> Result<Event, Error> {
        let (mut f, tag) = Fields::of(value, "internally tagged enum Event")?;
        Ok(match tag.as_str() {
            "wake" => Event::Wake,
            "installed" => Event::Installed,
            "startup" => Event::Startup,
            "navigationStarted" => Event::NavigationStarted { tab_id: f.req("tabId")?, url: f.req("url")? },
            "navigationCommitted" => {
                Event::NavigationCommitted { tab_id: f.req("tabId")?, url: f.req("url")? }
            }
            "navigationUpdated" => Event::NavigationUpdated { tab_id: f.req("tabId")?, url: f.req("url")? },
            "navigationFailed" => Event::NavigationFailed {
                tab_id: f.req("tabId")?,
                url: f.req("url")?,
                error: f.req("error")?,
            },
            "headersReceived" => Event::HeadersReceived {
                tab_id: f.req("tabId")?,
                request_id: f.req("requestId")?,
                url: f.req("url")?,
                status: f.req("status")?,
                headers: f.req("headers")?,
            },
            "tabRemoved" => Event::TabRemoved { tab_id: f.req("tabId")? },
            "storageChanged" => Event::StorageChanged { area: f.req("area")?, keys: f.req("keys")? },
            "alarm" => Event::Alarm { name: f.req("name")? },
            "idleChanged" => Event::IdleChanged { state: f.req("state")? },
            "connectivityChanged" => Event::ConnectivityChanged,
            "permissionsChanged" => Event::PermissionsChanged,
            // The report is the event's own fields (a newtype variant of a tagged enum).
            "downloadCreated" => Event::DownloadCreated(from_value(Value::Object(f.0))?),
            "message" => Event::Message { message: f.value("message")?, sender: f.req("sender")? },
            other => return Err(Error::custom(format_args!("unknown event type `{other}`"))),
        })
    }
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Event::from_json(Value::deserialize(d)?).map_err(D::Error::custom)
    }
}

impl Message {
    /// Reads a message (`{type, ...}`).
    pub fn from_json(value: Value) -> Result<Message, Error> {
        let (mut f, tag) = Fields::of(value, "internally tagged enum Message")?;
        Ok(match tag.as_str() {
            "page" => Message::PageReport { report: f.req("report")? },
            "verdict" => Message::Verdict { tab_id: f.req("tabId")? },
            "settings" => Message::Settings { fresh: f.opt("fresh")? },
            "settingsSchema" => Message::SettingsSchema,
            "saveOptions" => Message::SaveOptions { options: f.value("options")? },
            "events" => Message::Events { filter: f.opt("filter")? },
            "exportEvents" => Message::ExportEvents { format: f.req("format")?, filter: f.opt("filter")? },
            "reportingStatus" => Message::ReportingStatus,
            "diagnostics" => Message::Diagnostics,
            "sendTestEvent" => Message::SendTestEvent,
            "idleStay" => Message::IdleStay,
            "idleDeadline" => Message::IdleDeadline,
            "idleQuery" => Message::IdleQuery,
            "signOutAll" => Message::SignOutAll,
            "idleStatus" => Message::IdleStatus { tab_id: f.req("tabId")? },
            "network.page" => Message::NetworkReport { report: f.req("report")? },
            "network.httpsFailedInfo" => Message::HttpsFailedInfo { url: f.req("url")? },
            "network.continueHttp" => Message::ContinueHttp { url: f.req("url")? },
            "pwFields" => Message::PwFields { fields: f.req("fields")? },
            "pwWarm" => Message::PwWarm,
            "pwScore" => Message::PwScore {
                seq: f.req("seq")?,
                password: f.req("password")?,
                values: f.opt("values")?,
                scorer_failed: f.opt("scorerFailed")?,
                commit: f.opt("commit")?,
            },
            "pwBlocked" => Message::PwBlocked,
            "pwLogin" => Message::PwLogin { password: f.req("password")?, typed: f.opt("typed")? },
            "pwPage" => Message::PwPage { has_login_field: f.opt("hasLoginField")? },
            "pwPhish" => Message::PwPhish { password: f.req("password")? },
            "pwPhishingStatus" => Message::PwPhishingStatus,
            "exportCopy" => Message::ExportCopy { chars: f.opt("chars")?, rows: f.opt("rows")? },
            "exportPrint" => Message::ExportPrint,
            "signinCodeField" => Message::SigninCodeField,
            "exportPromptInfo" => Message::ExportPromptInfo { id: f.req("id")? },
            "exportDecision" => Message::ExportDecision {
                id: f.req("id")?,
                proceed: f.req("proceed")?,
                reason: f.opt("reason")?,
            },
            other => return Err(Error::custom(format_args!("unknown message type `{other}`"))),
        })
    }
}

impl<'de> Deserialize<'de> for Message {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Message::from_json(Value::deserialize(d)?).map_err(D::Error::custom)
    }
}
