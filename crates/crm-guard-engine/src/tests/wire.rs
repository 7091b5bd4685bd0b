//! `Event::from_json` and `Message::from_json` (`wire.rs`) read what serde's internally tagged
//! derive they replaced read: the same value, or an error where it failed, for every type and
//! for malformed input. The derive is kept here, as it was, as the reference.

use serde_json::{json, Value};

use crate::protocol;

/// `protocol::Event` and `protocol::Message` as they were derived before `wire.rs`.
#[allow(dead_code)] // fields compared through `Debug` only
mod reference {
    use serde::Deserialize;
    use serde_json::Value;

    use crate::protocol::{DownloadReport, Header, NetworkFacts, PageFacts, Sender};
    use crm_guard_core::idle::BrowserIdleState;

    #[derive(Debug, Deserialize)]
    #[serde(tag = "type", rename_all = "camelCase", rename_all_fields = "camelCase")]
    pub enum Event {
        Wake,
        Installed,
        Startup,
        NavigationStarted { tab_id: i32, url: String },
        NavigationCommitted { tab_id: i32, url: String },
        NavigationUpdated { tab_id: i32, url: String },
        NavigationFailed { tab_id: i32, url: String, error: String },
        HeadersReceived { tab_id: i32, request_id: String, url: String, status: u16, headers: Vec<Header> },
        TabRemoved { tab_id: i32 },
        StorageChanged { area: String, keys: Vec<String> },
        Alarm { name: String },
        IdleChanged { state: BrowserIdleState },
        ConnectivityChanged,
        PermissionsChanged,
        DownloadCreated(DownloadReport),
        Message { message: Value, sender: Sender },
    }

    #[derive(Debug, Deserialize)]
    #[serde(tag = "type")]
    pub enum Message {
        #[serde(rename = "page")]
        PageReport { report: PageFacts },
        #[serde(rename = "verdict")]
        Verdict {
            #[serde(rename = "tabId")]
            tab_id: i32,
        },
        #[serde(rename = "settings")]
        Settings {
            #[serde(default)]
            fresh: bool,
        },
        #[serde(rename = "settingsSchema")]
        SettingsSchema,
        #[serde(rename = "saveOptions")]
        SaveOptions { options: Value },
        #[serde(rename = "events")]
        Events {
            #[serde(default)]
            filter: Value,
        },
        #[serde(rename = "exportEvents")]
        ExportEvents {
            format: String,
            #[serde(default)]
            filter: Value,
        },
        #[serde(rename = "reportingStatus")]
        ReportingStatus,
        #[serde(rename = "diagnostics")]
        Diagnostics,
        #[serde(rename = "sendTestEvent")]
        SendTestEvent,
        #[serde(rename = "idleStay")]
        IdleStay,
        #[serde(rename = "idleDeadline")]
        IdleDeadline,
        #[serde(rename = "idleQuery")]
        IdleQuery,
        #[serde(rename = "signOutAll")]
        SignOutAll,
        #[serde(rename = "idleStatus")]
        IdleStatus {
            #[serde(rename = "tabId")]
            tab_id: i32,
        },
        #[serde(rename = "network.page")]
        NetworkReport { report: NetworkFacts },
        #[serde(rename = "network.httpsFailedInfo")]
        HttpsFailedInfo { url: String },
        #[serde(rename = "network.continueHttp")]
        ContinueHttp { url: String },
        #[serde(rename = "pwFields")]
        PwFields { fields: Vec<Value> },
        #[serde(rename = "pwWarm")]
        PwWarm,
        #[serde(rename = "pwScore")]
        PwScore {
            seq: i64,
            password: String,
            #[serde(default)]
            values: Vec<Value>,
            #[serde(rename = "scorerFailed", default)]
            scorer_failed: bool,
            #[serde(default)]
            commit: bool,
        },
        #[serde(rename = "pwBlocked")]
        PwBlocked,
        #[serde(rename = "pwLogin")]
        PwLogin {
            password: String,
            #[serde(default)]
            typed: bool,
        },
        #[serde(rename = "pwPage")]
        PwPage {
            #[serde(rename = "hasLoginField", default)]
            has_login_field: bool,
        },
        #[serde(rename = "pwPhish")]
        PwPhish { password: String },
        #[serde(rename = "pwPhishingStatus")]
        PwPhishingStatus,
        #[serde(rename = "exportCopy")]
        ExportCopy {
            #[serde(default)]
            chars: u64,
            #[serde(default)]
            rows: u64,
        },
        #[serde(rename = "exportPrint")]
        ExportPrint,
        #[serde(rename = "signinCodeField")]
        SigninCodeField,
        #[serde(rename = "exportPromptInfo")]
        ExportPromptInfo { id: i32 },
        #[serde(rename = "exportDecision")]
        ExportDecision {
            id: i32,
            proceed: bool,
            #[serde(default)]
            reason: String,
        },
    }
}

fn same<T: std::fmt::Debug, R: std::fmt::Debug>(
    v: &Value,
    ours: Result<T, serde_json::Error>,
    theirs: Result<R, serde_json::Error>,
) {
    match (ours, theirs) {
        // Same variant, fields and values (the Debug forms name no enum type).
        (Ok(a), Ok(b)) => assert_eq!(format!("{a:?}"), format!("{b:?}"), "{v}"),
        (Err(_), Err(_)) => {}
        (a, b) => panic!("{v}: wire.rs {a:?}, the derive {b:?}"),
    }
}

fn same_event(v: Value) {
    same(&v, protocol::Event::from_json(v.clone()), serde_json::from_value::<reference::Event>(v.clone()));
}

fn same_message(v: Value) {
    same(
        &v,
        protocol::Message::from_json(v.clone()),
        serde_json::from_value::<reference::Message>(v.clone()),
    );
}

#[test]
fn events_read_as_the_derive_read_them() {
    let url = "https://acme.my.salesforce.com/";
    for t in ["wake", "installed", "startup", "connectivityChanged", "permissionsChanged"] {
        same_event(json!({ "type": t }));
        same_event(json!({ "type": t, "tabId": "not read", "extra": [1, 2] }));
    }
    for t in ["navigationStarted", "navigationCommitted", "navigationUpdated"] {
        same_event(json!({ "type": t, "tabId": 7, "url": url }));
        same_event(json!({ "type": t, "tabId": 7, "url": url, "frameId": 0, "error": 3 }));
        same_event(json!({ "type": t, "tabId": 7 }));
        same_event(json!({ "type": t, "url": url }));
        same_event(json!({ "type": t, "tabId": "7", "url": url }));
        same_event(json!({ "type": t, "tabId": 7.5, "url": url }));
        same_event(json!({ "type": t, "tabId": 1_u64 << 40, "url": url }));
        same_event(json!({ "type": t, "tabId": -1, "url": null }));
    }
    same_event(
        json!({ "type": "navigationFailed", "tabId": 1, "url": url, "error": "net::ERR_CERT_DATE_INVALID" }),
    );
    same_event(json!({ "type": "navigationFailed", "tabId": 1, "url": url }));
    let headers = json!([{ "name": "set-cookie", "value": "a=b" }, { "name": "x-frame-options" }, { "name": "v", "value": null }]);
    let received = json!({ "type": "headersReceived", "tabId": 3, "requestId": "9", "url": url, "status": 200, "headers": headers });
    same_event(received.clone());
    for (key, bad) in
        [("status", json!(70_000)), ("status", json!(-1)), ("headers", json!({})), ("requestId", json!(9))]
    {
        let mut v = received.clone();
        v[key] = bad;
        same_event(v);
    }
    same_event(
        json!({ "type": "headersReceived", "tabId": 3, "requestId": "9", "url": url, "status": 200, "headers": [{ "value": "x" }] }),
    );
    same_event(json!({ "type": "tabRemoved", "tabId": 4 }));
    same_event(json!({ "type": "tabRemoved" }));
    same_event(json!({ "type": "storageChanged", "area": "local", "keys": ["options", "eventLog"] }));
    same_event(json!({ "type": "storageChanged", "area": "managed", "keys": [] }));
    same_event(json!({ "type": "storageChanged", "area": "local", "keys": [1] }));
    same_event(json!({ "type": "alarm", "name": "crm-guard-idle" }));
    same_event(json!({ "type": "alarm" }));
    for state in [json!("active"), json!("idle"), json!("locked"), json!("asleep"), json!(1), json!(null)] {
        same_event(json!({ "type": "idleChanged", "state": state }));
    }
    let download = json!({ "type": "downloadCreated", "downloadId": 5, "url": url, "finalUrl": url, "referrer": "",
        "mime": "text/csv", "filename": "r.csv", "fileSize": 12.5, "held": true, "early": false });
    same_event(download.clone());
    same_event(json!({ "type": "downloadCreated", "downloadId": 5, "url": url }));
    same_event(json!({ "type": "downloadCreated", "downloadId": 9 }));
    same_event(json!({ "type": "downloadCreated", "url": 3 }));
    for (key, bad) in
        [("fileSize", json!(-1)), ("held", json!(null)), ("early", json!(1)), ("mime", json!(null))]
    {
        let mut v = download.clone();
        v[key] = bad;
        same_event(v);
    }
    let sender = json!({ "extensionPage": false, "tabId": 2, "frameId": 0, "url": url, "origin": "https://acme.my.salesforce.com" });
    same_event(json!({ "type": "message", "message": { "type": "verdict", "tabId": 2 }, "sender": sender }));
    same_event(json!({ "type": "message", "message": null, "sender": {} }));
    same_event(json!({ "type": "message", "message": 5, "sender": { "tabId": null, "url": null } }));
    same_event(json!({ "type": "message", "sender": {} }));
    same_event(json!({ "type": "message", "message": {} }));
    same_event(json!({ "type": "message", "message": {}, "sender": { "tabId": "2" } }));
    for bad in [
        json!({}),
        json!({ "type": 5 }),
        json!({ "type": "Wake" }),
        json!({ "type": "noSuchEvent" }),
        json!({ "type": null }),
        json!(42),
        json!("wake"),
        json!([]),
        json!(null),
    ] {
        same_event(bad);
    }
}

/// The one difference: the derive also read an enum from an array, its tag first and then its
/// fields in order (as serde reads any struct from an array). No sender of ours writes one, and
/// `wire.rs` reads objects only, as `crm_guard_core::json::from_value` does.
#[test]
fn an_event_or_message_as_an_array_is_refused() {
    for v in [json!(["wake"]), json!(["tabRemoved", 4])] {
        assert!(serde_json::from_value::<reference::Event>(v.clone()).is_ok(), "{v}");
        assert!(protocol::Event::from_json(v.clone()).is_err(), "{v}");
    }
    let v = json!(["verdict", 3]);
    assert!(serde_json::from_value::<reference::Message>(v.clone()).is_ok());
    assert!(protocol::Message::from_json(v).is_err());
}

/// `from_json` lists the message types apart from `MESSAGES` and `type_name`: each name of
/// `MESSAGES` is read (or refused for a missing field), and read back under the same name.
#[test]
fn every_protocol_message_type_is_read() {
    for (t, _) in protocol::MESSAGES {
        match protocol::Message::from_json(json!({ "type": t })) {
            Ok(m) => assert_eq!(m.type_name(), *t),
            Err(e) => assert!(e.to_string().starts_with("missing field"), "{t}: {e}"),
        }
    }
}

#[test]
fn messages_read_as_the_derive_read_them() {
    for (t, _) in protocol::MESSAGES {
        // Bare, and with fields of other types under other messages' names.
        same_message(json!({ "type": t }));
        same_message(
            json!({ "type": t, "report": 1, "tabId": "x", "fresh": "no", "seq": "1", "fields": {}, "id": [] }),
        );
    }
    let valid = [
        json!({ "type": "page", "report": { "secureContext": false } }),
        json!({ "type": "page", "report": {} }),
        json!({ "type": "page", "report": { "secureContext": null } }),
        json!({ "type": "verdict", "tabId": 3 }),
        json!({ "type": "settings", "fresh": true }),
        json!({ "type": "settings", "fresh": null }),
        json!({ "type": "saveOptions", "options": { "idleTimeoutMinutes": 30 } }),
        json!({ "type": "saveOptions", "options": null }),
        json!({ "type": "events", "filter": { "kind": "policyError" } }),
        json!({ "type": "exportEvents", "format": "csv", "filter": {} }),
        json!({ "type": "exportEvents", "format": "json" }),
        json!({ "type": "exportEvents", "format": 1 }),
        json!({ "type": "idleStatus", "tabId": 3 }),
        json!({ "type": "network.page", "report": { "resources": [{ "url": "http://x/", "type": "image" }], "formActions": ["http://x/"] } }),
        json!({ "type": "network.page", "report": { "resources": [{ "url": "http://x/" }] } }),
        json!({ "type": "network.page", "report": { "formActions": "x" } }),
        json!({ "type": "network.httpsFailedInfo", "url": "https://x/" }),
        json!({ "type": "network.continueHttp", "url": "http://x/" }),
        json!({ "type": "pwFields", "fields": [{ "name": "password" }, 3] }),
        json!({ "type": "pwFields", "fields": "x" }),
        json!({ "type": "pwScore", "seq": 4, "password": "pw", "values": ["a", 1], "scorerFailed": true, "commit": true }),
        json!({ "type": "pwScore", "seq": 4, "password": "pw" }),
        json!({ "type": "pwScore", "seq": 4.5, "password": "pw" }),
        json!({ "type": "pwScore", "seq": -4, "password": "pw", "commit": null }),
        json!({ "type": "pwScore", "password": "pw" }),
        json!({ "type": "pwLogin", "password": "pw", "typed": true }),
        json!({ "type": "pwLogin", "password": "pw" }),
        json!({ "type": "pwLogin", "password": null }),
        json!({ "type": "pwPage", "hasLoginField": true }),
        json!({ "type": "pwPhish", "password": "pw" }),
        json!({ "type": "exportCopy", "chars": 120, "rows": 3 }),
        json!({ "type": "exportCopy", "chars": -1 }),
        json!({ "type": "exportPromptInfo", "id": 8 }),
        json!({ "type": "exportDecision", "id": 8, "proceed": true, "reason": "audit" }),
        json!({ "type": "exportDecision", "id": 8, "proceed": false }),
        json!({ "type": "exportDecision", "id": 8 }),
    ];
    for v in valid {
        same_message(v);
    }
    for bad in [
        json!({}),
        json!({ "type": "Verdict", "tabId": 3 }),
        json!({ "type": "nope" }),
        json!({ "type": ["page"] }),
        json!("verdict"),
        json!(null),
        json!([{ "type": "verdict" }]),
    ] {
        same_message(bad);
    }
}
