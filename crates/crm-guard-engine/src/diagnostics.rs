//! The diagnostics page's one reply (`diagnostics` message), also its JSON export for a support
//! ticket: where each setting in force came from, the managed policy as the browser delivered
//! it, every policy error, the catalog and tenants in force, the reporting status, and the
//! extension and browser. **Invariant:** no secret's value is in it (each is [`SECRET_MASK`]);
//! the reporting credential never leaves the worker.
//!
//! [`SECRET_MASK`]: crate::settings::SECRET_MASK

use std::rc::Rc;

use crm_guard_core::policy::{Key, Source};
use crm_guard_core::reporting::browser_name;
use serde_json::{json, Value};

use crate::ports::Ports;
use crate::settings::{masked, masked_policy};
use crate::{Engine, Result};

impl<P: Ports + 'static> Engine<P> {
    pub(crate) async fn diagnostics(self: &Rc<Self>) -> Result<Value> {
        let effective = self.settings().await?;
        let reply = masked(&effective)?;
        let values = &reply["settings"];
        let settings: Vec<Value> = Key::ALL
            .iter()
            .map(|k| {
                let source = match effective.origin.get(k) {
                    Some(Source::Managed) => "managed",
                    Some(Source::User) => "user",
                    None => "default",
                };
                json!({
                    "key": k.name(),
                    "value": values[k.name()],
                    "source": source,
                    "locked": effective.locked.contains(k),
                })
            })
            .collect();
        // As delivered now (not the snapshot), secrets masked; unreadable is said so.
        let managed = match self.ports.managed().await {
            Ok(m) => masked_policy(&m),
            Err(e) => json!({ "unreadable": e.to_string() }),
        };
        let catalog: Vec<Value> = effective
            .settings
            .catalog()
            .entries()
            .map(|e| {
                let hosts: Vec<String> = e.hosts.iter().map(ToString::to_string).collect();
                json!({ "id": e.id, "name": e.name, "hosts": hosts })
            })
            .collect();
        let user_agent = self.ports.user_agent();
        Ok(json!({
            "generatedMs": self.ports.now_ms(),
            "extension": {
                "id": self.ports.extension_id(),
                "version": self.ports.version(),
                "browser": browser_name(&user_agent),
                "userAgent": user_agent,
            },
            "settings": settings,
            "managedPolicy": managed,
            "errors": reply["errors"],
            "catalog": catalog,
            "tenants": values["tenants"],
            "reporting": self.reporting_status().await?,
        }))
    }
}
