use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use serde_json::Value;

use super::*;
use crate::events::{EventLog, NewEvent};

const UA: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";

fn batch() -> Batch {
    let mut log = EventLog::new(10);
    let a = log
        .push(
            NewEvent::new(1_733_300_000_123, EventKind::IdleLogout)
                .crm("salesforce")
                .host("https://acme.my.salesforce.com/x?y"),
        )
        .clone();
    let b = log
        .push(
            NewEvent::new(1_733_300_001_000, EventKind::FindingRaised)
                .crm("salesforce")
                .host("acme.my.salesforce.com")
                .level(Level::AtRisk)
                .detail("lookalikeHost: acme-salesforce.com"),
        )
        .clone();
    let c =
        log.push(NewEvent::new(1_733_300_002_000, EventKind::PolicyError).detail("disabledCrms: x")).clone();
    Batch { batch_id: 7, events: vec![a, b, c] }
}

fn origin() -> Origin<'static> {
    Origin {
        sending: Sending {
            install_id: "0123456789abcdef0123456789abcdef",
            sent_ms: 1_733_300_005_000,
            nonce: "00112233445566778899aabbccddeeff",
            extension_version: "0.1.0",
        },
        user_agent: UA,
    }
}

fn attr<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a Any> {
    attrs.iter().find(|kv| kv.key == key).and_then(|kv| kv.value.as_ref()).and_then(|v| v.value.as_ref())
}

fn string(attrs: &[KeyValue], key: &str) -> Option<String> {
    match attr(attrs, key)? {
        Any::StringValue(s) => Some(s.clone()),
        _ => None,
    }
}

fn int(attrs: &[KeyValue], key: &str) -> Option<i64> {
    match attr(attrs, key)? {
        Any::IntValue(i) => Some(*i),
        _ => None,
    }
}

/// Decoded with the official OTLP definitions (opentelemetry-proto's serde JSON), not ours.
#[test]
fn otlp_body_decodes_as_an_export_logs_service_request() {
    let req = request(ReportingFormat::Otlp, &batch(), &origin(), &Credentials::default()).unwrap();
    let decoded: ExportLogsServiceRequest = serde_json::from_str(&req.body).unwrap();
    assert_eq!(decoded.resource_logs.len(), 1);
    let rl = &decoded.resource_logs[0];
    let res = &rl.resource.as_ref().unwrap().attributes;
    assert_eq!(string(res, "service.name").as_deref(), Some("crm-guard"));
    assert_eq!(string(res, "service.version").as_deref(), Some("0.1.0"));
    assert_eq!(string(res, "service.instance.id").as_deref(), Some("0123456789abcdef0123456789abcdef"));
    assert_eq!(string(res, "browser.name").as_deref(), Some("Chrome 156"));
    assert_eq!(string(res, "user_agent.original").as_deref(), Some(UA));
    let scope = &rl.scope_logs[0];
    assert_eq!(scope.scope.as_ref().unwrap().name, "crm-guard");
    let records = &scope.log_records;
    assert_eq!(records.len(), 3, "one log record per event");

    let logout = &records[0];
    assert_eq!(logout.time_unix_nano, 1_733_300_000_123_000_000);
    assert_eq!(logout.observed_time_unix_nano, 1_733_300_005_000_000_000);
    assert_eq!((logout.severity_number, logout.severity_text.as_str()), (9, "INFO"));
    assert_eq!(string(&logout.attributes, "crm_guard.event.kind").as_deref(), Some("idleLogout"));
    assert_eq!(int(&logout.attributes, "crm_guard.event.id"), Some(1));
    assert_eq!(int(&logout.attributes, "crm_guard.batch.id"), Some(7));
    assert_eq!(string(&logout.attributes, "crm_guard.host").as_deref(), Some("acme.my.salesforce.com"));
    assert_eq!(int(&logout.attributes, "crm_guard.ocsf.class_uid"), Some(3002));
    assert_eq!(int(&logout.attributes, "crm_guard.ocsf.activity_id"), Some(2), "Logoff");
    assert_eq!(int(&logout.attributes, "crm_guard.ocsf.type_uid"), Some(300_202));
    assert_eq!(string(&logout.attributes, "event.name").as_deref(), Some("crm_guard.idleLogout"));

    let finding = &records[1];
    assert_eq!((finding.severity_number, finding.severity_text.as_str()), (17, "ERROR"), "at risk");
    assert_eq!(string(&finding.attributes, "crm_guard.level").as_deref(), Some("atRisk"));
    assert_eq!(int(&finding.attributes, "crm_guard.ocsf.class_uid"), Some(2004));
    match finding.body.as_ref().and_then(|b| b.value.as_ref()) {
        Some(Any::StringValue(s)) => assert!(s.contains("lookalikeHost"), "{s}"),
        other => panic!("body {other:?}"),
    }
    assert_eq!(records[2].severity_number, 13, "a policy error is a warning");
    // Every event attribute is in the documented namespace (or the semantic event.name).
    for r in records {
        for kv in &r.attributes {
            assert!(kv.key.starts_with(ATTRIBUTE_PREFIX) || kv.key == "event.name", "{}", kv.key);
        }
    }
    assert_eq!(
        req.headers,
        vec![("Content-Type".to_owned(), "application/json".to_owned())],
        "no token: no auth"
    );
}

#[test]
fn otlp_auth_is_a_bearer_token_or_the_policy_header() {
    let b = batch();
    let bearer = Credentials { token: Some("t0k"), ..Credentials::default() };
    let r = request(ReportingFormat::Otlp, &b, &origin(), &bearer).unwrap();
    assert!(r.headers.contains(&("Authorization".into(), "Bearer t0k".into())));
    let custom = Credentials { token: Some("k3y"), auth_header: Some("X-Api-Key"), ..Credentials::default() };
    let r = request(ReportingFormat::Otlp, &b, &origin(), &custom).unwrap();
    assert!(r.headers.contains(&("X-Api-Key".into(), "k3y".into())));
    assert!(!r.headers.iter().any(|(k, _)| k == "Authorization"));
}

#[test]
fn splunk_hec_events_carry_time_host_source_sourcetype_and_the_token() {
    let creds = Credentials { token: Some("11111111-2222-3333-4444-555555555555"), ..Credentials::default() };
    let r = request(ReportingFormat::SplunkHec, &batch(), &origin(), &creds).unwrap();
    assert!(r
        .headers
        .contains(&("Authorization".into(), "Splunk 11111111-2222-3333-4444-555555555555".into())));
    let events: Vec<Value> =
        serde_json::Deserializer::from_str(&r.body).into_iter::<Value>().map(Result::unwrap).collect();
    assert_eq!(events.len(), 3);
    let e = &events[0];
    assert_eq!(e["time"].as_f64(), Some(1_733_300_000.123));
    assert_eq!(e["host"], "0123456789abcdef0123456789abcdef");
    assert_eq!(e["source"], "crm-guard");
    assert_eq!(e["sourcetype"], "crm_guard:event");
    assert_eq!(e["event"]["kind"], "idleLogout");
    assert_eq!(e["event"]["id"], 1);
    assert_eq!(e["event"]["ocsf"]["class_uid"], 3002);
    assert_eq!(e["event"]["browser"], "Chrome 156");
    assert_eq!(events[1]["event"]["ocsf"]["class_name"], "Detection Finding");
    // HEC refuses a request without its token: none is built.
    assert!(request(ReportingFormat::SplunkHec, &batch(), &origin(), &Credentials::default()).is_none());
}

#[test]
fn crm_guard_batches_stay_signed_with_ocsf_classes() {
    let creds = Credentials { hmac_secret: Some("0123456789abcdef"), ..Credentials::default() };
    let b = batch();
    let r = request(ReportingFormat::CrmGuard, &b, &origin(), &creds).unwrap();
    let sig = r.headers.iter().find(|(k, _)| k == SIGNATURE_HEADER).unwrap();
    assert_eq!(sig.1, sign(b"0123456789abcdef", r.body.as_bytes()));
    let v: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["schema"], crate::events::SCHEMA);
    assert_eq!(v["batchId"], 7);
    assert_eq!(v["nonce"], "00112233445566778899aabbccddeeff");
    assert_eq!(v["events"][0]["kind"], "idleLogout");
    assert_eq!(v["events"][0]["ocsf"]["class_uid"], 3002);
    // The fields of `events::report_body` are all there, with the same values.
    let plain: Value = serde_json::from_str(&crate::events::report_body(&b, &origin().sending)).unwrap();
    for k in ["schema", "batchId", "installId", "sentMs", "nonce", "extensionVersion"] {
        assert_eq!(v[k], plain[k], "{k}");
    }
    for (ours, theirs) in v["events"].as_array().unwrap().iter().zip(plain["events"].as_array().unwrap()) {
        for (k, val) in theirs.as_object().unwrap() {
            assert_eq!(&ours[k], val);
        }
    }
    assert!(
        request(ReportingFormat::CrmGuard, &b, &origin(), &Credentials::default()).is_none(),
        "never unsigned"
    );
}

#[test]
fn every_kind_has_an_ocsf_class() {
    for kind in EventKind::ALL {
        let c = ocsf(kind);
        assert_eq!(c.type_uid, c.class_uid * 100 + c.activity_id);
        assert_eq!(c.category_uid, c.class_uid / 1000);
    }
    assert_eq!(ocsf(EventKind::LockLogout).class_uid, 3002);
    assert_eq!(ocsf(EventKind::PhishingAlert).class_uid, 2004);
    assert_eq!(ocsf(EventKind::PasswordReuse).class_uid, 2004);
}

#[test]
fn browser_names() {
    assert_eq!(browser_name(UA), "Chrome 156");
    let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.2849.68";
    assert_eq!(browser_name(edge), "Microsoft Edge 130");
    assert_eq!(browser_name("curl/8"), "curl/8");
}
