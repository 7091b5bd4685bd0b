//! Lookalike hosts: a host that is not a CRM host but imitates one.
//! (Owned by the HTTPS/network-findings work; this is the interface the verdict calls.)

use serde::Serialize;

use crate::catalog::Catalog;
use crate::host::PageUrl;

/// A host that imitates a catalog CRM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Imitation {
    pub crm_id: String,
    pub crm_name: String,
}

/// Whether `url`'s host (already known not to be a CRM host) imitates a CRM of the catalog.
pub fn check(_catalog: &Catalog, _url: &PageUrl) -> Option<Imitation> {
    None
}
