//! The pure core of CRM Guard: every decision the extension makes lives here and is tested
//! natively. Nothing in this crate knows about browsers, WASM or JavaScript.
//!
//! - [`host`]: parse a tab URL into a normalised [`host::PageUrl`] and match [`host::HostPattern`]s.
//! - [`catalog`]: the built-in CRM catalog (data) and classification of a URL as a CRM tab.
//! - [`finding`]: the security findings a tab can carry, each with a level.
//! - [`evidence`]: how much one page can add to a tab's findings and to the event log.
//! - [`verdict`]: the tab verdict (secure / warning / at risk) from a URL and its findings.
//! - [`lookalike`]: hosts that imitate a CRM.
//! - [`tenant`]: the organisation's tenants of a CRM (its own, shared, another organisation's).
//! - [`policy`]: the one settings schema, validation and merge with managed policy.
//! - [`idle`]: the auto-logout state machine.
//! - [`password`]: password policy decisions and field classification.
//! - [`export`]: the export guard (downloads, copies, printing from a CRM).
//! - [`signin`]: the MFA check (one sign-in followed from its credential page to the CRM).
//! - [`suffix`]: the registrable domain (eTLD+1) of a host from the Public Suffix List.

pub mod catalog;
pub mod dnr;
pub mod events;
pub mod evidence;
pub mod export;
pub mod finding;
pub mod host;
pub mod idle;
pub mod json;
pub mod lookalike;
pub mod network;
pub mod password;
pub mod policy;
pub mod rate;
pub mod reporting;
pub mod signin;
pub mod suffix;
pub mod tenant;
pub mod verdict;

pub use catalog::{Catalog, CrmEntry};
pub use finding::{Finding, FindingKind, Level};
pub use host::{HostPattern, PageUrl, UrlError};
pub use tenant::{TenantStatus, Tenants};
pub use verdict::{evaluate, TabVerdict};
