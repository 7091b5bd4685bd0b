//! The library half of `crm-guard`: reading policy files and writing deployment templates, so
//! the tidy checks (`xtask`) render every template the binary writes.

pub mod admx;
mod admx_fr;
pub mod policy_file;
pub mod templates;
