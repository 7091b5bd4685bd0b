//! [`from_value`]: `serde_json::from_value` for what CRM Guard stores and receives, in less
//! WASM code.
//!
//! It reads a value as `serde_json`'s own `Value` deserializer does, except that a struct or a
//! map is read from a JSON object only. `serde_json` also reads a struct from an array of its
//! fields in order; we never write one (every struct is stored and sent as an object), but that
//! second path is compiled for every struct type read — `visit_seq` of each derived visitor with
//! its own element reads, ~20 KB of the engine's WASM code (docs/size.md). Here nothing calls
//! a struct's `visit_seq`, so the linker drops it.
//!
//! Everything else is `serde_json`'s: scalars, `Option`, newtypes and sequences are read as it
//! reads them, and enums by its own deserializer. Map keys are strings (or unit enum variants,
//! as [`crate::policy::Key`]); no type we read has map keys of another type.

use serde::de::{self, DeserializeOwned, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserializer;
use serde_json::{Error, Map, Value};

/// `serde_json::from_value`, reading structs and maps from JSON objects only (module docs).
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, Error> {
    T::deserialize(De(value))
}

/// A `Value` as a deserializer.
struct De(Value);

fn invalid<E: de::Error>(value: &Value, exp: &dyn de::Expected) -> E {
    let unexpected = match value {
        Value::Null => de::Unexpected::Unit,
        Value::Bool(b) => de::Unexpected::Bool(*b),
        // serde_json says which kind of number; the kind is all an error here needs.
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => de::Unexpected::Unsigned(u),
            (None, Some(i)) => de::Unexpected::Signed(i),
            _ => de::Unexpected::Float(n.as_f64().unwrap_or_default()),
        },
        Value::String(s) => de::Unexpected::Str(s),
        Value::Array(_) => de::Unexpected::Seq,
        Value::Object(_) => de::Unexpected::Map,
    };
    E::invalid_type(unexpected, exp)
}

fn visit_array<'de, V: Visitor<'de>>(array: Vec<Value>, visitor: V) -> Result<V::Value, Error> {
    let len = array.len();
    let mut seq = Seq(array.into_iter());
    let out = visitor.visit_seq(&mut seq)?;
    if seq.0.len() == 0 {
        Ok(out)
    } else {
        Err(de::Error::invalid_length(len, &"fewer elements in array"))
    }
}

fn visit_object<'de, V: Visitor<'de>>(object: Map<String, Value>, visitor: V) -> Result<V::Value, Error> {
    let len = object.len();
    let mut map = Obj { iter: object.into_iter(), value: None };
    let out = visitor.visit_map(&mut map)?;
    if map.iter.len() == 0 {
        Ok(out)
    } else {
        Err(de::Error::invalid_length(len, &"fewer elements in map"))
    }
}

impl<'de> Deserializer<'de> for De {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Array(a) => visit_array(a, visitor),
            Value::Object(o) => visit_object(o, visitor),
            other => other.deserialize_any(visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Array(a) => visit_array(a, visitor),
            other => Err(invalid(&other, &visitor)),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Object(o) => visit_object(o, visitor),
            other => Err(invalid(&other, &visitor)),
        }
    }

    /// From an object only (module docs).
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_map(visitor)
    }

    // serde_json's own: scalars, and enums (unit variants as strings, others as one-key maps).
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.0.deserialize_enum(name, variants, visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Array(a) => visit_array(a, visitor),
            other => other.deserialize_byte_buf(visitor),
        }
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_byte_buf(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.0.deserialize_bool(visitor)
    }
    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.0.deserialize_i8(visitor)
    }
    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.0.deserialize_i16(visitor)
    }
    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.0.deserialize_i32(visitor)
    }
    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.0.deserialize_i64(visitor)
    }
    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.0.deserialize_u8(visitor)
    }
    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.0.deserialize_u16(visitor)
    }
    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.0.deserialize_u32(visitor)
    }
    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.0.deserialize_u64(visitor)
    }
    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.0.deserialize_f32(visitor)
    }
    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.0.deserialize_f64(visitor)
    }
    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.0.deserialize_char(visitor)
    }
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.0.deserialize_str(visitor)
    }
    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.0.deserialize_string(visitor)
    }
    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.0.deserialize_unit(visitor)
    }
    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.0.deserialize_unit_struct(name, visitor)
    }
    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.0.deserialize_identifier(visitor)
    }
}

/// The elements of an array.
struct Seq(std::vec::IntoIter<Value>);

impl<'de> SeqAccess<'de> for Seq {
    type Error = Error;

    fn next_element_seed<T: de::DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Error> {
        self.0.next().map(|v| seed.deserialize(De(v))).transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

/// The entries of an object.
struct Obj {
    iter: serde_json::map::IntoIter,
    value: Option<Value>,
}

impl<'de> MapAccess<'de> for Obj {
    type Error = Error;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        let Some((key, value)) = self.iter.next() else { return Ok(None) };
        self.value = Some(value);
        seed.deserialize(key.into_deserializer()).map(Some)
    }

    fn next_value_seed<T: de::DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, Error> {
        match self.value.take() {
            Some(value) => seed.deserialize(De(value)),
            None => Err(de::Error::custom("value is missing")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::BTreeMap;
    use std::fmt::Debug;

    use serde_json::json;

    use super::*;
    use crate::finding::{Finding, FindingKind, Level};
    use crate::idle::{BrowserIdleState, IdleMachine, IdleSettings, LogoutReason, Phase};

    /// Our reading and `serde_json`'s: the same value, or both an error.
    fn same<T: DeserializeOwned + Debug>(v: Value) {
        match (from_value::<T>(v.clone()), serde_json::from_value::<T>(v.clone())) {
            (Ok(a), Ok(b)) => assert_eq!(format!("{a:?}"), format!("{b:?}"), "{v}"),
            (Err(_), Err(_)) => {}
            (a, b) => panic!("{v}: ours {a:?}, serde_json {b:?}"),
        }
    }

    #[test]
    fn reads_what_serde_json_reads_from_objects_and_scalars() {
        let finding =
            serde_json::to_value(Finding::new(FindingKind::InsecureScheme).with_detail("http:")).unwrap();
        same::<Finding>(finding.clone());
        let mut f = finding.clone();
        f["level"] = json!("nope");
        same::<Finding>(f);
        let mut f = finding;
        f.as_object_mut().unwrap().remove("kind");
        same::<Finding>(f);
        for v in [
            json!({}),
            json!({ "idleTimeoutMs": 60000, "logoutOnLock": false, "forceLogoutToken": "t" }),
            json!({ "idleTimeoutMs": "60000" }),
            json!({ "idleTimeoutMs": 1.5 }),
            json!({ "warningMs": -1 }),
            json!({ "forceLogoutToken": null, "unknown": [1] }),
            json!(5),
            json!(null),
            json!("x"),
        ] {
            same::<IdleSettings>(v);
        }
        let mut machine = serde_json::to_value(IdleMachine::new(IdleSettings::default())).unwrap();
        for phase in [
            json!({ "phase": "active" }),
            json!({ "phase": "warning", "idleSinceMs": 1, "deadlineMs": 2 }),
            json!({ "phase": "warning", "idleSinceMs": 1 }),
            json!({ "phase": "loggedOut", "reason": "forced" }),
            json!({ "phase": "loggedOut", "reason": "bored" }),
            json!({ "phase": "asleep" }),
            json!({}),
            json!("active"),
        ] {
            machine["phase"] = phase;
            same::<IdleMachine>(machine.clone());
        }
        for v in [json!("idle"), json!("Idle"), json!({ "idle": null }), json!(1)] {
            same::<BrowserIdleState>(v);
        }
        for v in [json!("idle"), json!("user"), json!(null)] {
            same::<Option<LogoutReason>>(v);
        }
        for v in [json!(["a", "b"]), json!([]), json!([1]), json!("ab"), json!({ "0": "a" })] {
            same::<Vec<String>>(v);
        }
        for v in [json!([1, null, 3]), json!([-1]), json!([4294967296_u64])] {
            same::<Vec<Option<u32>>>(v);
        }
        for v in [json!({ "a": 1, "b": 2 }), json!({ "a": -1 }), json!([["a", 1]]), json!(null)] {
            same::<BTreeMap<String, u8>>(v.clone());
            same::<BTreeMap<String, i64>>(v);
        }
        for v in [json!([1, "x"]), json!([1]), json!([1, "x", 2]), json!({ "0": 1 })] {
            same::<(u8, String)>(v);
        }
        for v in [json!(3), json!(3.0), json!(-3), json!(1e300), json!("3")] {
            same::<u64>(v.clone());
            same::<i32>(v.clone());
            same::<f64>(v);
        }
        same::<Level>(json!("atRisk"));
        same::<Value>(json!({ "a": [1, { "b": null }], "c": "d" }));
    }

    /// The one difference: a struct is read from an object only (module docs).
    #[test]
    fn a_struct_is_not_read_from_an_array() {
        let v = json!([900_000, 60_000, true, null]);
        assert!(serde_json::from_value::<IdleSettings>(v.clone()).is_ok());
        assert!(from_value::<IdleSettings>(v).is_err());
        // Phase is read by hand (`idle/wire.rs`), from an object too.
        assert!(from_value::<Phase>(json!(["active"])).is_err());
    }
}
