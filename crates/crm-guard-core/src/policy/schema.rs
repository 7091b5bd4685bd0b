//! What is generated from the key table for deployment: Chrome's `storage.managed_schema`
//! and a complete example policy.

use serde_json::{json, Map, Value};

use super::{Kind, SPECS};

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
            Kind::TenantMap => {
                p.insert("type".into(), "object".into());
                p.insert("additionalProperties".into(), string_list.clone());
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
