//! Decodes OTLP/HTTP JSON log bodies with the official OpenTelemetry definitions
//! (`opentelemetry-proto`), for the e2e suite: `otlp_decode < bodies.jsonl`, one body per line.
//! Prints, per body, the decoded request in a flat form (resource attributes, then each record's
//! times, severity, body and attributes); exits 1 on a body that does not decode.

use std::io::{BufRead, Write};

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue};
use serde_json::{json, Map, Value};

fn any(v: &Option<AnyValue>) -> Value {
    match v.as_ref().and_then(|v| v.value.as_ref()) {
        Some(Any::StringValue(s)) => json!(s),
        Some(Any::IntValue(i)) => json!(i),
        Some(Any::BoolValue(b)) => json!(b),
        Some(Any::DoubleValue(d)) => json!(d),
        Some(other) => json!(format!("{other:?}")),
        None => Value::Null,
    }
}

fn attrs(kvs: &[KeyValue]) -> Value {
    Value::Object(kvs.iter().map(|kv| (kv.key.clone(), any(&kv.value))).collect::<Map<_, _>>())
}

fn main() {
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    for (n, line) in stdin.lock().lines().enumerate() {
        let line = line.expect("stdin is readable");
        if line.trim().is_empty() {
            continue;
        }
        let req: ExportLogsServiceRequest = match serde_json::from_str(&line) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("body {n} does not decode as an ExportLogsServiceRequest: {e}");
                std::process::exit(1);
            }
        };
        let decoded: Vec<Value> = req
            .resource_logs
            .iter()
            .map(|rl| {
                let records: Vec<Value> = rl
                    .scope_logs
                    .iter()
                    .flat_map(|sl| sl.log_records.iter())
                    .map(|r| {
                        json!({
                            "timeUnixNano": r.time_unix_nano.to_string(),
                            "observedTimeUnixNano": r.observed_time_unix_nano.to_string(),
                            "severityNumber": r.severity_number,
                            "severityText": r.severity_text,
                            "body": any(&r.body),
                            "attributes": attrs(&r.attributes),
                        })
                    })
                    .collect();
                let scope = rl.scope_logs.first().and_then(|s| s.scope.as_ref()).map(|s| s.name.clone());
                json!({
                    "resource": rl.resource.as_ref().map(|r| attrs(&r.attributes)),
                    "scope": scope,
                    "records": records,
                })
            })
            .collect();
        writeln!(out, "{}", json!(decoded)).expect("stdout is writable");
    }
}
