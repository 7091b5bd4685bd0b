//! The one policy schema: every setting, its default, validation and the merge
//! defaults ← user options ← managed policy.
//!
//! The [`SPECS`] table is the single source of truth: validation, the defaults, Chrome's
//! `storage.managed_schema` ([`managed_schema`]), the CLI's deployment templates and the
//! documentation all come from it.
//!
//! **Invariant:** whatever JSON comes in (hostile, huge, mistyped), [`effective`] returns settings
//! within every key's range, never panics, names every rejected key in an error, and never turns
//! an enforcement setting off because a value was invalid (fail closed).
//!
//! The module is split by job: `specs` (the key table, from which [`Key`], [`SPECS`] and
//! [`Settings`] are generated), `settings` (the typed values), `validate` (one key's value),
//! `merge` ([`effective`]), `schema` ([`managed_schema`], [`example_policy`]) and `error`
//! ([`PolicyError`] and its events). Everything public is re-exported here.

mod error;
mod group;
mod merge;
mod schema;
mod settings;
mod specs;
mod validate;

pub use error::{display_value, error_digest, new_error_events, PolicyError, Reason, Source};
pub use group::Group;
pub use merge::{effective, Effective};
pub use schema::{example_policy, managed_schema};
pub use settings::{ExportMode, FileNameLog, PasswordMode, ReportingFormat, SelfHostedCrm, Settings, Typed};
pub use specs::{Key, Kind, Spec, SPECS};

/// The extension's id in the stores; policy files are keyed by it. Placeholder until the id
/// derived from the manifest key replaces it (32 characters a–p).
pub const EXTENSION_ID: &str = "kojhflkoadfcddkikeefjjgeecmhlajk";
/// The extension's id in Firefox (`browser_specific_settings.gecko.id` in the manifest); Firefox's
/// `policies.json` keys the extension's policy by it.
pub const FIREFOX_ID: &str = "crm-guard@crm-guard.dev";

/// No string from policy is looked at beyond this many bytes (bounded memory and time).
pub const MAX_STRING_BYTES: usize = 4 * 1024;
/// No list from policy is read beyond this many entries.
pub const MAX_LIST_LEN: usize = 1000;
/// The offending value is shown truncated to this many characters.
pub const MAX_DISPLAY_CHARS: usize = 80;
/// At most this many errors are listed per key (and for unknown keys); the rest are counted.
pub const MAX_ERRORS_PER_KEY: usize = 20;
/// Display name of a self-hosted CRM given as a bare host pattern.
pub const SELF_HOSTED_NAME: &str = "Self-hosted CRM";

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
