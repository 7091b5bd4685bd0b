//! [`Phase`] read back from storage.
//!
//! The same format as `#[serde(tag = "phase", rename_all = "camelCase", rename_all_fields =
//! "camelCase")]` would read (but from an object only, as `crate::json` reads every struct; the
//! derive also took an array, the tag first), field by field from a JSON value: serde's derive reads an
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::idle::LogoutReason;

    /// `Phase` as it was derived before this file, the reference.
    #[allow(dead_code)] // compared through `Debug` only
    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase", rename_all_fields = "camelCase", tag = "phase")]
    enum Derived {
        Active,
        Warning { idle_since_ms: u64, deadline_ms: u64 },
        LoggedOut { reason: LogoutReason },
    }

    #[test]
    fn reads_what_the_derive_read() {
        for v in [
            json!({ "phase": "active" }),
            json!({ "phase": "active", "deadlineMs": "not read" }),
            json!({ "phase": "warning", "idleSinceMs": 1, "deadlineMs": 2 }),
            json!({ "phase": "warning", "deadlineMs": 2, "idleSinceMs": 1, "extra": true }),
            json!({ "phase": "warning", "idleSinceMs": 1 }),
            json!({ "phase": "warning", "idleSinceMs": -1, "deadlineMs": 2 }),
            json!({ "phase": "warning", "idleSinceMs": 1.5, "deadlineMs": 2 }),
            json!({ "phase": "loggedOut", "reason": "idle" }),
            json!({ "phase": "loggedOut", "reason": "locked" }),
            json!({ "phase": "loggedOut", "reason": "forced" }),
            json!({ "phase": "loggedOut", "reason": "user" }),
            json!({ "phase": "loggedOut", "reason": "bored" }),
            json!({ "phase": "loggedOut" }),
            json!({ "phase": "LoggedOut", "reason": "idle" }),
            json!({ "phase": null }),
            json!({}),
            json!("active"),
            json!(null),
        ] {
            match (Phase::from_json(v.clone()), serde_json::from_value::<Derived>(v.clone())) {
                (Ok(a), Ok(b)) => assert_eq!(format!("{a:?}"), format!("{b:?}"), "{v}"),
                (Err(_), Err(_)) => {}
                (a, b) => panic!("{v}: ours {a:?}, the derive {b:?}"),
            }
        }
    }
}
