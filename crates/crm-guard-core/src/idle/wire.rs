//! [`Phase`] read back from storage.
//!
//! The same format as `#[serde(tag = "phase", rename_all = "camelCase", rename_all_fields =
//! "camelCase")]` would read, field by field from a JSON value: serde's derive reads an
//! internally tagged enum through a buffered `Content` copy and a `Content` deserializer per
//! field type, ~15 KB of the engine's WASM code for this one enum (docs/size.md).

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use serde_json::{Error, Value};

use super::Phase;

impl Phase {
    fn from_json(value: Value) -> Result<Phase, Error> {
        let Value::Object(mut map) = value else {
            return Err(Error::custom("invalid type: expected internally tagged enum Phase"));
        };
        let mut take = |key: &'static str| map.remove(key).ok_or_else(|| Error::missing_field(key));
        let tag: String = crate::json::from_value(take("phase")?)?;
        Ok(match tag.as_str() {
            "active" => Phase::Active,
            "warning" => Phase::Warning {
                idle_since_ms: crate::json::from_value(take("idleSinceMs")?)?,
                deadline_ms: crate::json::from_value(take("deadlineMs")?)?,
            },
            "loggedOut" => Phase::LoggedOut { reason: crate::json::from_value(take("reason")?)? },
            other => return Err(Error::custom(format_args!("unknown phase `{other}`"))),
        })
    }
}

impl<'de> Deserialize<'de> for Phase {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Phase::from_json(Value::deserialize(d)?).map_err(D::Error::custom)
    }
}
