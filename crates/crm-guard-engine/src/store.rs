//! Typed reads and writes over the [`Storage`](crate::ports::Storage) port.
//!
//! A value that does not deserialise (written by an older version, or tampered with) reads as
//! absent: it is replaced, never trusted.

use crm_guard_core::json::from_value;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::ports::{Area, Ports};
use crate::{Engine, EngineError, Result};

impl<P: Ports + 'static> Engine<P> {
    /// The value under `key`, `None` when absent or unreadable.
    pub(crate) async fn read<T: DeserializeOwned>(&self, area: Area, key: &str) -> Result<Option<T>> {
        let value = self.ports.get(area, key).await?;
        Ok(value.and_then(|v| from_value(v).ok()))
    }

    /// Writes one value.
    pub(crate) async fn write(&self, area: Area, key: &str, value: &impl Serialize) -> Result<()> {
        self.ports.set(area, vec![(key.to_owned(), to_value(value)?)]).await?;
        Ok(())
    }

    pub(crate) async fn forget(&self, area: Area, key: &str) -> Result<()> {
        self.ports.remove(area, key).await?;
        Ok(())
    }
}

/// Serialises for storage or a reply.
pub(crate) fn to_value(value: &impl Serialize) -> Result<Value> {
    serde_json::to_value(value).map_err(|e| EngineError::Malformed(format!("serialising: {e}")))
}
