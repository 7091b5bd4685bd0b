//! `impl Ports for Chrome`: each port is one browser call (or a few), values as JSON. No decision.

use crm_guard_core::idle::logout::{Cookie, CookieRemoval};
use crm_guard_core::idle::BrowserIdleState;
use crm_guard_engine::ports::*;
use js_sys::{Array, Object, Promise, Reflect};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::chrome::{self, call};
use crate::{from_js, to_js};

/// The browser this worker runs in.
pub struct Chrome;

/// Firefox (`runtime.getBrowserInfo`)? The one place the binding tells browsers apart.
fn gecko() -> bool {
    let runtime =
        Reflect::get(&js_sys::global(), &"chrome".into()).and_then(|c| Reflect::get(&c, &"runtime".into()));
    runtime.is_ok_and(|r| r.is_object() && Reflect::has(&r, &"getBrowserInfo".into()).unwrap_or(false))
}

/// A JS error as a port error: its message when it has one.
fn port_err(err: JsValue) -> PortError {
    let msg = Reflect::get(&err, &"message".into()).ok().and_then(|m| m.as_string());
    PortError(msg.unwrap_or_else(|| format!("{err:?}")))
}

async fn call_p(promise: Result<Promise, JsValue>) -> PortResult<JsValue> {
    call(promise).await.map_err(port_err)
}

fn js(value: &impl serde::Serialize) -> PortResult<JsValue> {
    to_js(value).map_err(port_err)
}

fn parse<T: DeserializeOwned>(value: JsValue) -> PortResult<T> {
    read_json(from_js(value).map_err(port_err)?)
}

/// Waits for every promise to settle, or `ms`, whichever comes first. Never fails.
async fn settle_within(promises: Array, ms: u32) {
    let all = Promise::all_settled(&promises);
    let timer = Promise::new(&mut |resolve, _| {
        chrome::web::set_timeout(&resolve, ms as i32);
    });
    let _ = JsFuture::from(Promise::race(&Array::of2(&all, &timer))).await;
}

impl Storage for Chrome {
    async fn get(&self, area: Area, key: &str) -> PortResult<Option<Value>> {
        let k = JsValue::from(key);
        let items = match area {
            Area::Session => call_p(chrome::storage::session_get(&k)).await?,
            Area::Local => call_p(chrome::storage::local_get(&k)).await?,
        };
        let value = Reflect::get(&items, &k).map_err(port_err)?;
        // A value that is not JSON (never written by us) reads as absent.
        Ok(if value.is_undefined() { None } else { from_js(value).ok() })
    }

    async fn set(&self, area: Area, items: Vec<(String, Value)>) -> PortResult<()> {
        let obj = Object::new();
        for (k, v) in &items {
            Reflect::set(&obj, &k.into(), &js(v)?).map_err(port_err)?;
        }
        match area {
            Area::Session => call_p(chrome::storage::session_set(&obj)).await?,
            Area::Local => call_p(chrome::storage::local_set(&obj)).await?,
        };
        Ok(())
    }

    async fn remove(&self, area: Area, key: &str) -> PortResult<()> {
        let k = JsValue::from(key);
        match area {
            Area::Session => call_p(chrome::storage::session_remove(&k)).await?,
            Area::Local => call_p(chrome::storage::local_remove(&k)).await?,
        };
        Ok(())
    }

    async fn managed(&self) -> PortResult<Value> {
        let items = call_p(chrome::storage::managed_get(&JsValue::NULL)).await?;
        Ok(from_js(items).unwrap_or(Value::Null))
    }
}

impl Action for Chrome {
    async fn paint(&self, tab_id: i32, badge: Option<&Badge>) -> PortResult<()> {
        use chrome::action::*;
        match badge {
            Some(b) => {
                call_p(set_badge_background_color(&js(&json!({ "tabId": tab_id, "color": b.color }))?))
                    .await?;
                call_p(set_badge_text_color(&js(&json!({ "tabId": tab_id, "color": b.text_color }))?))
                    .await?;
                call_p(set_title(&js(&json!({ "tabId": tab_id, "title": b.title }))?)).await?;
                // Text last: a reader polling the badge sees the level once colour and title are set.
                call_p(set_badge_text(&js(&json!({ "tabId": tab_id, "text": b.text }))?)).await?;
            }
            None => {
                let title = self.message("extName", &[]);
                call_p(set_badge_text(&js(&json!({ "tabId": tab_id, "text": "" }))?)).await?;
                call_p(set_title(&js(&json!({ "tabId": tab_id, "title": title }))?)).await?;
            }
        }
        Ok(())
    }
}

impl Tabs for Chrome {
    async fn query(&self) -> PortResult<Vec<TabInfo>> {
        parse(call_p(chrome::tabs::query(&Object::new())).await?)
    }
    async fn url_of(&self, tab_id: i32) -> PortResult<Option<String>> {
        let tab = call_p(chrome::tabs::get(tab_id)).await?;
        Ok(Reflect::get(&tab, &"url".into()).ok().and_then(|u| u.as_string()))
    }
    async fn navigate(&self, tab_id: i32, url: &str) -> PortResult<()> {
        call_p(chrome::tabs::update(tab_id, &js(&json!({ "url": url }))?)).await.map(|_| ())
    }
    async fn close(&self, tab_id: i32) -> PortResult<()> {
        call_p(chrome::tabs::remove(tab_id)).await.map(|_| ())
    }
    async fn tell(&self, tab_ids: &[i32], msg: &Value, within_ms: u32) {
        let Ok(msg) = js(msg) else { return };
        let sends = Array::new();
        for id in tab_ids {
            if let Ok(p) = chrome::tabs::send_message(*id, &msg) {
                sends.push(&p);
            }
        }
        settle_within(sends, within_ms).await;
    }
}

impl Downloads for Chrome {
    fn release(&self, id: i32) {
        chrome::downloads::release(id).ok();
    }
    async fn cancel(&self, id: i32) -> PortResult<()> {
        call_p(chrome::downloads::cancel(id)).await?;
        call_p(chrome::downloads::erase(&js(&json!({ "id": id }))?)).await.map(|_| ())
    }
    async fn remove_file(&self, id: i32) -> PortResult<()> {
        call_p(chrome::downloads::remove_file(id)).await.map(|_| ())
    }
    async fn pause(&self, id: i32, paused: bool) -> PortResult<()> {
        let call = if paused { chrome::downloads::pause(id) } else { chrome::downloads::resume(id) };
        call_p(call).await.map(|_| ())
    }
    async fn open_page(&self, url: &str) -> PortResult<()> {
        call_p(chrome::tabs::create(&js(&json!({ "url": url }))?)).await.map(|_| ())
    }
    async fn active_tab_url(&self) -> Option<String> {
        let q = js(&json!({ "active": true, "lastFocusedWindow": true })).ok()?;
        let tabs: Vec<TabInfo> = parse(call_p(chrome::tabs::query(&q)).await.ok()?).ok()?;
        tabs.into_iter().next().and_then(|t| t.url)
    }
}

impl SiteData for Chrome {
    async fn cookies(&self, domain: &str) -> PortResult<Vec<Cookie>> {
        parse(call_p(chrome::cookies::get_all(&js(&json!({ "domain": domain }))?)).await?)
    }
    async fn remove_cookies(&self, cookies: &[CookieRemoval], within_ms: u32) {
        let removals = Array::new();
        for c in cookies {
            if let Ok(p) = js(c).and_then(|d| chrome::cookies::remove(&d).map_err(port_err)) {
                removals.push(&p);
            }
        }
        settle_within(removals, within_ms).await;
    }
    async fn clear_origins(&self, origins: &[String]) -> PortResult<()> {
        // Firefox filters by `hostnames` (not `origins`) and knows neither `cacheStorage` nor
        // `fileSystems`: an unknown key fails the whole call there.
        let (options, data) = if gecko() {
            let hosts: Vec<&str> = origins
                .iter()
                .map(|o| o.split("://").nth(1).unwrap_or(o).split(':').next().unwrap_or(o))
                .collect();
            (
                json!({ "hostnames": hosts }),
                json!({ "indexedDB": true, "localStorage": true, "serviceWorkers": true }),
            )
        } else {
            (
                json!({ "origins": origins }),
                json!({ "cacheStorage": true, "fileSystems": true, "indexedDB": true,
                "localStorage": true, "serviceWorkers": true }),
            )
        };
        call_p(chrome::browsing_data::remove(&js(&options)?, &js(&data)?)).await.map(|_| ())
    }
}

impl Dnr for Chrome {
    async fn rule_ids(&self, set: RuleSet) -> PortResult<Vec<u32>> {
        let rules = match set {
            RuleSet::Dynamic => call_p(chrome::dnr::get_dynamic_rules()).await?,
            RuleSet::Session => call_p(chrome::dnr::get_session_rules()).await?,
        };
        let rules: Vec<Value> = parse(rules)?;
        Ok(rules.iter().filter_map(|r| r["id"].as_u64()).map(|i| i as u32).collect())
    }
    async fn update_rules(&self, set: RuleSet, remove: &[u32], add: &[Value]) -> PortResult<()> {
        let add: Vec<Value> = if gecko() {
            add.iter().map(crm_guard_engine::protocol::names::gecko_rule).collect()
        } else {
            add.to_vec()
        };
        let options = js(&json!({ "removeRuleIds": remove, "addRules": add }))?;
        match set {
            RuleSet::Dynamic => call_p(chrome::dnr::update_dynamic_rules(&options)).await?,
            RuleSet::Session => call_p(chrome::dnr::update_session_rules(&options)).await?,
        };
        Ok(())
    }
}

impl Alarms for Chrome {
    async fn alarm_at(&self, name: &str, when_ms: u64) -> PortResult<()> {
        call_p(chrome::alarms::create(name, &js(&json!({ "when": when_ms as f64 }))?)).await.map(|_| ())
    }
    async fn alarm_every(&self, name: &str, minutes: u32) -> PortResult<()> {
        let alarm = call_p(chrome::alarms::get(name)).await?;
        let period = Reflect::get(&alarm, &"periodInMinutes".into()).ok().and_then(|p| p.as_f64());
        if alarm.is_undefined() || period != Some(f64::from(minutes)) {
            call_p(chrome::alarms::create(name, &js(&json!({ "periodInMinutes": minutes }))?)).await?;
        }
        Ok(())
    }
    async fn clear_alarm(&self, name: &str) -> PortResult<()> {
        call_p(chrome::alarms::clear(name)).await.map(|_| ())
    }
}

impl IdlePort for Chrome {
    async fn query_state(&self, interval_secs: u32) -> PortResult<BrowserIdleState> {
        parse(call_p(chrome::idle::query_state(interval_secs)).await?)
    }
    fn set_detection_interval(&self, secs: u32) -> PortResult<()> {
        chrome::idle::set_detection_interval(secs).map_err(port_err)
    }
}

impl Http for Chrome {
    async fn fetch(&self, req: &HttpRequest) -> Result<HttpResponse, HttpError> {
        // `navigator.onLine` (a property: read, never called).
        let navigator = Reflect::get(&js_sys::global(), &"navigator".into()).unwrap_or(JsValue::UNDEFINED);
        if Reflect::get(&navigator, &"onLine".into()).ok().and_then(|v| v.as_bool()) == Some(false) {
            return Err(HttpError::Offline);
        }
        let mut headers = serde_json::Map::new(); // extended: `collect` sorts first (docs/size.md)
        headers.extend(req.headers.iter().map(|(k, v)| (k.clone(), Value::from(v.clone()))));
        let init = json!({
            "method": if req.body.is_some() { "POST" } else { "GET" },
            "headers": headers,
            "body": req.body,
            "credentials": if req.with_cookies { "include" } else { "omit" },
            "cache": "no-store",
            "redirect": if req.manual_redirect { "manual" } else { "error" },
            "referrerPolicy": "no-referrer",
        });
        let init = js(&init).map_err(|e| HttpError::Failed(e.0))?;
        if let Ok(signal) = chrome::web::abort_after(req.timeout_ms) {
            let _ = Reflect::set(&init, &"signal".into(), &signal);
        }
        let response = match call(chrome::web::fetch(&req.url, &init)).await {
            Ok(r) => r,
            Err(e) => {
                let name =
                    Reflect::get(&e, &"name".into()).ok().and_then(|n| n.as_string()).unwrap_or_default();
                return Err(if name == "TimeoutError" || name == "AbortError" {
                    HttpError::TimedOut
                } else {
                    HttpError::Failed(port_err(e).0)
                });
            }
        };
        let get = |k: &str| Reflect::get(&response, &k.into()).unwrap_or(JsValue::UNDEFINED);
        let opaque_redirect = get("type").as_string().as_deref() == Some("opaqueredirect");
        let status = get("status").as_f64().unwrap_or(0.0) as u16;
        let body_prefix = if req.read_bytes > 0 && !opaque_redirect {
            read_prefix(&get("body"), req.read_bytes).await.unwrap_or_default()
        } else {
            String::new()
        };
        Ok(HttpResponse { status, opaque_redirect, body_prefix })
    }
}

/// Reads at most `max` bytes of a response body stream, decoded as UTF-8 (lossy).
async fn read_prefix(body: &JsValue, max: usize) -> Result<String, JsValue> {
    if body.is_null() || body.is_undefined() {
        return Ok(String::new());
    }
    let reader = js_sys::Function::from(Reflect::get(body, &"getReader".into())?).call0(body)?;
    let read = js_sys::Function::from(Reflect::get(&reader, &"read".into())?);
    let mut bytes: Vec<u8> = Vec::new();
    while bytes.len() < max {
        let chunk = JsFuture::from(Promise::from(read.call0(&reader)?)).await?;
        if Reflect::get(&chunk, &"done".into())?.is_truthy() {
            break;
        }
        bytes.extend(js_sys::Uint8Array::new(&Reflect::get(&chunk, &"value".into())?).to_vec());
    }
    if let Ok(cancel) = Reflect::get(&reader, &"cancel".into()) {
        // Not awaited: the rest of the body is not wanted.
        let _ = js_sys::Function::from(cancel).call0(&reader);
    }
    bytes.truncate(max);
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

impl Clock for Chrome {
    fn now_ms(&self) -> u64 {
        js_sys::Date::now() as u64
    }
    async fn sleep(&self, ms: u32) {
        gloo_timers::future::TimeoutFuture::new(ms).await;
    }
}

impl Crypto for Chrome {
    async fn pbkdf2(&self, password: &str, salt: &[u8], iterations: u32, bits: u32) -> PortResult<Vec<u8>> {
        use chrome::web::{derive_bits, import_key};
        let usages = Array::of1(&"deriveBits".into());
        let key = js_sys::Uint8Array::from(password.as_bytes());
        let key = call_p(import_key("raw", &key, "PBKDF2", false, &usages)).await?;
        let algorithm = js(&json!({ "name": "PBKDF2", "hash": "SHA-256", "iterations": iterations }))?;
        Reflect::set(&algorithm, &"salt".into(), &js_sys::Uint8Array::from(salt)).map_err(port_err)?;
        let derived = call_p(derive_bits(&algorithm, &key, bits)).await?;
        Ok(js_sys::Uint8Array::new(&derived).to_vec())
    }
    fn random_bytes(&self, len: usize) -> PortResult<Vec<u8>> {
        let buf = js_sys::Uint8Array::new_with_length(len as u32);
        chrome::web::get_random_values(&buf).map_err(port_err)?;
        Ok(buf.to_vec())
    }
}

impl Scorer for Chrome {
    async fn load_scorer(&self) -> PortResult<()> {
        call_p(chrome::scorer::load()).await.map(drop)
    }
    fn score(&self, password: &str, user_inputs: &[&str], year: i32) -> PortResult<Strength> {
        let inputs: Array = user_inputs.iter().map(|s| JsValue::from_str(s)).collect();
        parse(chrome::scorer::score(password, &inputs, year).map_err(port_err)?)
    }
}

impl Platform for Chrome {
    fn extension_url(&self, path: &str) -> String {
        chrome::runtime::get_url(path).unwrap_or_else(|_| path.to_owned())
    }
    fn version(&self) -> String {
        chrome::runtime::get_manifest()
            .ok()
            .and_then(|m| Reflect::get(&m, &"version".into()).ok())
            .and_then(|v| v.as_string())
            .unwrap_or_default()
    }
    fn extension_id(&self) -> String {
        chrome::runtime::ID.with(JsValue::as_string).unwrap_or_default()
    }
    fn user_agent(&self) -> String {
        chrome::web::USER_AGENT.with(JsValue::as_string).unwrap_or_default()
    }
    async fn is_development(&self) -> bool {
        match call(chrome::management::get_self()).await {
            Ok(info) => {
                Reflect::get(&info, &"installType".into()).ok().and_then(|v| v.as_string()).as_deref()
                    == Some("development")
            }
            Err(_) => false,
        }
    }
    fn message(&self, key: &str, subs: &[&str]) -> String {
        let subs = if subs.is_empty() { JsValue::UNDEFINED } else { js(&subs).unwrap_or(JsValue::UNDEFINED) };
        match chrome::i18n::get_message(key, &subs) {
            Ok(s) if !s.is_empty() => s,
            _ => key.to_owned(),
        }
    }
    async fn proxy_settings(&self) -> Option<ProxySettings> {
        let wanted = js(&json!({ "permissions": ["proxy"] })).ok()?;
        if !call(chrome::permissions::contains(&wanted)).await.ok()?.is_truthy() {
            return None;
        }
        let got = call(chrome::proxy::settings_get(&Object::new())).await.ok()?;
        let level = Reflect::get(&got, &"levelOfControl".into()).ok()?.as_string().unwrap_or_default();
        let value = Reflect::get(&got, &"value".into()).ok()?;
        let mode = Reflect::get(&value, &"mode".into()).ok().and_then(|m| m.as_string()).unwrap_or_default();
        Some(ProxySettings { level_of_control: level, mode })
    }
    async fn has_all_urls(&self) -> bool {
        let Ok(wanted) = js(&json!({ "origins": ["<all_urls>"] })) else { return false };
        call(chrome::permissions::contains(&wanted)).await.is_ok_and(|v| v.is_truthy())
    }
    async fn set_phishing_script(&self, registered: bool) -> PortResult<()> {
        use crm_guard_engine::protocol::names::{PHISH_SCRIPT_FILES, PHISH_SCRIPT_ID};
        let filter = js(&json!({ "ids": [PHISH_SCRIPT_ID] }))?;
        let have = Array::from(&call_p(chrome::scripting::get_registered(&filter)).await?).length() > 0;
        let script = js(&json!([{
            "id": PHISH_SCRIPT_ID, "matches": ["<all_urls>"], "js": PHISH_SCRIPT_FILES,
            "allFrames": true, "runAt": "document_start", "persistAcrossSessions": true,
        }]))?;
        if registered && !have {
            call_p(chrome::scripting::register(&script)).await?;
        } else if registered {
            // A registration kept from an older version may list other files.
            call_p(chrome::scripting::update(&script)).await?;
        } else if have {
            call_p(chrome::scripting::unregister(&filter)).await?;
        }
        Ok(())
    }
    fn spawn(&self, task: Task) {
        wasm_bindgen_futures::spawn_local(task);
    }
    fn log_error(&self, msg: &str) {
        web_sys::console::error_1(&msg.into());
    }
}
