//! Whole browser sessions against the in-memory browser (`crate::fake`): each test performs
//! what a user, a page or the browser does and reads what the browser shows or stores.

#![allow(clippy::unwrap_used)]

mod badge;
mod breach;
mod evidence;
mod export;
mod export_holds;
mod formats;
mod hostile;
mod idle;
mod log;
mod network;
mod network_trust;
mod password;
mod secrets;
mod tenants;
mod wire;
