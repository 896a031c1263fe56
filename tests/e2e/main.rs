//! End-to-end tests of the real Sonic POS app, one module per part of the
//! shell. Each test starts its own app on an empty temporary data directory.
//!
//! Before running: `bash scripts/e2e-deps.sh` (Xvfb, WebKitWebDriver,
//! tauri-driver) and `cargo build -p sonic-pos`.

mod activity;
mod backup;
mod backup_settings;
mod bench_close;
mod dashboard;
mod debts;
mod errors;
mod first_day;
mod labels;
mod layout;
mod legacy;
mod lifecycle;
mod package;
mod papers;
mod printer;
mod recovery;
mod restore;
mod returns;
mod sale;
mod security;
mod server;
mod services;
mod settings;
mod start_failure;
mod startup;
mod stock;
mod till;
mod transfers;
mod translations;
mod window_state;
