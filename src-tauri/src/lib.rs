//! Sonic POS desktop shell: a thin Tauri 2 layer over `sonic-core`.
//!
//! What lives here: the Tauri builder and the state it manages (this file),
//! the commands the webview may call (`commands`), the native menu (`menu`),
//! the close hook and signals (`lifecycle`), the one backup path shared by
//! all three (`backup`), scheduled backups (`schedule`), the backup server's
//! pusher and status (`server`), one instance per data directory
//! (`instance`), the old HTML POS in legacy mode (`legacy`), the wire types
//! (`dto`) and the `{code, message}` error (`error`).
//!
//! What does not: any business rule, SQL or file format. Each command is one
//! `sonic-core` call run on a blocking thread; this crate only translates.
//!
//! **Architecture invariant:** the webview can reach nothing but the commands
//! listed in `build.rs` and granted in `capabilities/default.json`; the old
//! POS's window (`legacy`) is granted none and reaches the store only through
//! its own protocol's bridge.

mod backup;
mod commands;
mod dto;
mod error;
mod export;
mod instance;
mod integrity;
mod legacy;
mod lifecycle;
mod menu;
mod printer;
mod recovery;
mod schedule;
mod server;
mod start_failure;
mod window_state;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;
use sonic_core::{DataDir, Store};
use tauri::Manager as _;

/// Command line of the desktop app.
#[derive(Debug, Parser)]
#[command(
    name = "sonic-pos",
    version,
    about = "Sonic POS: point of sale with local and server backups"
)]
struct Args {
    /// Where the database, backups and logs live (default: the platform data
    /// directory, e.g. ~/.local/share/sonic-pos on Linux). `SONIC_DATA_DIR`
    /// is used when the flag is not given.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,

    /// Backup server to push every backup to: a libpq URL or key=value
    /// string (missing parts from the PG* variables; keep the password in
    /// PGPASSWORD). Without it backups stay local and queued.
    #[arg(long, env = "SONIC_SERVER_URL", value_name = "URL", hide_env_values = true)]
    server: Option<String>,

    /// How long closing the app waits for the on_close backup to reach the
    /// server before it exits anyway (the backup stays queued). Default: the
    /// Settings screen's value, else 5.
    #[arg(long, env = "SONIC_CLOSE_PUSH_WAIT", value_name = "SECONDS")]
    close_push_wait: Option<u64>,

    /// Write a `scheduled` backup this often when the data changed since
    /// the last backup; 0 turns scheduled backups off. Default: the Settings
    /// screen's value, else 1800 (30 minutes).
    #[arg(long, env = "SONIC_BACKUP_INTERVAL", value_name = "SECONDS")]
    backup_interval: Option<u64>,

    /// Also open the shop's old HTML POS from DIR (its home.html) in a
    /// window of its own, on this store (legacy mode; see README "Running
    /// your existing POS"). Without it, Settings › Old POS names the folder.
    #[arg(long, value_name = "DIR")]
    legacy: Option<PathBuf>,
}

/// What the commands, the menu and the close hook share.
#[derive(Debug)]
pub(crate) struct AppState {
    data_dir: Arc<DataDir>,
    store: Arc<Mutex<Store>>,
    /// Set once a close has started, so a second close request (the user
    /// clicking X twice, or Quit during the on-close backup) does not start a
    /// second backup.
    closing: AtomicBool,
    /// The backup server, when one is configured.
    server: Option<server::Server>,
    /// Bound on the close hook's push to the server.
    close_push_wait: Duration,
    /// Who is signed in on this till (in memory only: a restart asks again).
    session: Mutex<Option<commands::session::SignedIn>>,
    /// The store this till sells from (kept in step with the installation setting).
    till_store: Mutex<String>,
    /// A restore previewed and waiting for the manager's approval.
    staged: Mutex<Option<commands::restore::Staged>>,
    /// The backup settings this run uses, and which came from the command line.
    backup_settings: commands::backup_settings::Effective,
    /// Set when the check after start found the database damaged: the
    /// till then takes no sale and writes no backup (`integrity`).
    damaged: integrity::Damaged,
}

impl AppState {
    pub(crate) fn data_dir(&self) -> Arc<DataDir> {
        Arc::clone(&self.data_dir)
    }

    pub(crate) fn store(&self) -> Arc<Mutex<Store>> {
        Arc::clone(&self.store)
    }

    /// The backup server's connection settings, when one is configured.
    pub(crate) fn server_config(&self) -> Option<sonic_backup::ServerConfig> {
        self.server.as_ref().map(server::Server::config)
    }

    /// Refused with `Damaged` once the check after start found damage.
    pub(crate) fn refuse_if_damaged(&self) -> Result<(), error::UiError> {
        match self.damaged.get() {
            Some(problem) => Err(problem.clone()),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
impl AppState {
    /// The state of a till on a fresh store in `dir`: nobody signed in, no
    /// server, default backup settings. For the commands' unit tests.
    pub(crate) fn for_tests(dir: &std::path::Path) -> AppState {
        let data_dir = DataDir::at(dir);
        let store = Store::open(&data_dir).expect("a store in a fresh temporary folder opens");
        AppState {
            data_dir: Arc::new(data_dir),
            store: Arc::new(Mutex::new(store)),
            closing: AtomicBool::new(false),
            server: None,
            close_push_wait: Duration::from_secs(1),
            session: Mutex::new(None),
            till_store: Mutex::new(String::new()),
            staged: Mutex::new(None),
            backup_settings: commands::backup_settings::Effective::resolve(
                &commands::backup_settings::Saved::default(),
                &None,
                None,
                None,
            ),
            damaged: integrity::Damaged::default(),
        }
    }

    /// Signs `role` in (a user named after it), as sign-in would.
    pub(crate) fn sign_in_as(&self, role: sonic_core::sections::Role) {
        let actor = sonic_core::ops::Actor {
            user_id: format!("u-{role:?}"),
            name: format!("{role:?}"),
            role,
        };
        *self.session.lock().expect("not poisoned in tests") = Some(commands::session::SignedIn { actor });
    }
}

/// Locks the store for one operation. A panic in an earlier operation only
/// poisons the mutex after SQLite has rolled its transaction back, so the
/// store behind a poisoned lock is still consistent and can be used.
pub(crate) fn lock_store(store: &Mutex<Store>) -> MutexGuard<'_, Store> {
    store.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Starts the app and returns its exit code. A start that fails is logged,
/// printed and shown in a message box (see `start_failure`).
pub fn run() -> ExitCode {
    let args = Args::parse();
    let data_dir = args.data_dir.clone();
    match start(args) {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(err) => {
            tracing::error!("{err:#}");
            eprintln!("sonic-pos: {err:#}");
            let log = DataDir::resolve(data_dir.as_deref()).ok().map(|dir| log_file(&dir));
            start_failure::show(&start_failure::Notice::of(&err, log.as_deref()));
            ExitCode::FAILURE
        }
    }
}

fn start(args: Args) -> anyhow::Result<i32> {
    let data_dir = DataDir::resolve(args.data_dir.as_deref())?;
    let log_path = init_logging(&data_dir);
    // Held until the event loop has returned: a second Sonic POS on the same
    // data directory would otherwise write backups beside ours.
    let _instance = instance::InstanceLock::acquire(data_dir.root())?;
    tracing::info!(data_dir = %data_dir.root().display(), log = ?log_path, "starting Sonic POS {}", env!("CARGO_PKG_VERSION"));

    // A damaged database is not used for work: the recovery window offers
    // the newest good backup instead. After a clean exit the check runs
    // once the window is up, on its own connection (`integrity`).
    let clean_exit = integrity::take_clean_exit(&data_dir);
    let checked = |s: Store| if clean_exit { Ok(s) } else { s.quick_check().map(|()| s) };
    let store = match Store::open(&data_dir).and_then(checked) {
        Ok(store) => store,
        Err(err @ sonic_core::Error::Damaged { .. }) => return recovery::run(data_dir, err.into()),
        Err(err) => return Err(err.into()),
    };
    // The menu is built in the saved language; the recovery window, which
    // cannot read the database, finds it in a file beside it.
    let language = store.setting(commands::session::LANGUAGE).ok().flatten();
    commands::session::remember_language(&data_dir, language.as_deref().unwrap_or("en"));
    let menu_language = menu::Language::of(language.as_deref());
    // The command line (or environment) wins over what Settings saved.
    let saved = commands::backup_settings::Saved::load(&store)?;
    let backup =
        commands::backup_settings::Effective::resolve(&saved, &args.server, args.backup_interval, args.close_push_wait);
    // A server from the command line completes from the PG* variables like
    // libpq; one saved in Settings was typed at the till and takes nothing
    // from the environment (commands::backup_settings).
    let parse = if backup.from_flags.server {
        sonic_backup::ServerConfig::parse
    } else {
        sonic_backup::ServerConfig::parse_typed
    };
    let server_config = backup
        .server
        .as_deref()
        .map(parse)
        .transpose()
        .context(if backup.from_flags.server {
            "the --server / SONIC_SERVER_URL setting is not a valid PostgreSQL connection string"
        } else {
            "the backup server saved in Settings is not a valid PostgreSQL connection string; fix it in Settings or start with --server"
        })?;
    // The pusher spawns its loop on the runtime it is started in: Tauri's.
    let server = server_config.map(|config| {
        let dir = data_dir.clone();
        // After a clean exit the integrity check runs after the window: the
        // pusher waits for it, and a damaged store pushes nothing.
        tauri::async_runtime::block_on(async move { server::Server::start(dir, config, clean_exit) })
    });
    if server.is_none() {
        tracing::info!("no backup server configured (--server / SONIC_SERVER_URL): backups stay local and queued");
    }
    let state = AppState {
        data_dir: Arc::new(data_dir),
        store: Arc::new(Mutex::new(store)),
        closing: AtomicBool::new(false),
        server,
        close_push_wait: Duration::from_secs(backup.close_wait_secs),
        session: Mutex::new(None),
        till_store: Mutex::new(String::new()),
        staged: Mutex::new(None),
        backup_settings: backup,
        damaged: integrity::Damaged::default(),
    };
    let damaged = Arc::clone(&state.damaged);
    let exit_dir = state.data_dir();

    let backup_interval = Duration::from_secs(state.backup_settings.interval_secs);
    // A relative --legacy DIR is taken from where the app was started.
    let legacy_dir = args.legacy.map(|dir| std::path::absolute(&dir).unwrap_or(dir));
    let app = tauri::Builder::default()
        .manage(state)
        .manage(legacy::Legacy::new(legacy_dir))
        .register_asynchronous_uri_scheme_protocol(legacy::SCHEME, legacy::handle)
        // Rust side only: the Backup screen's file chooser. No dialog
        // permission is granted to the webview (capabilities/default.json).
        .plugin(tauri_plugin_dialog::init())
        .setup(move |app| {
            window_state::restore(app.handle(), &app.state::<AppState>().data_dir());
            // Read back from the native menu: the log says what it shows.
            tracing::info!(labels = ?menu::labels(app.handle()).unwrap_or_default(), "menu built");
            instance::bring_forward_on_request(app.handle());
            lifecycle::watch_session_end(app.handle());
            server::watch_status(app.handle());
            schedule::start(app.handle(), backup_interval);
            if clean_exit {
                integrity::check_in_background(app.handle());
            }
            if app.state::<legacy::Legacy>().opened_by_flag() {
                // A folder that cannot be served is logged; the till runs on.
                if let Err(err) = legacy::open(app.handle()) {
                    tracing::error!("--legacy: {}", err.message);
                }
            }
            Ok(())
        })
        .menu(move |app| menu::build(app, menu_language))
        .on_menu_event(menu::handle_event)
        .invoke_handler(tauri::generate_handler![
            recovery::startup,
            recovery::recovery_info,
            recovery::recover_from_backup,
            commands::app_info,
            commands::section_counts,
            commands::backup_now,
            commands::list_backups,
            commands::server_status,
            commands::print,
            commands::session::session,
            commands::session::setup_shop,
            commands::session::user_names,
            commands::session::sign_in,
            commands::session::sign_out,
            commands::session::switch_store,
            commands::session::set_language,
            commands::items::search_items,
            commands::items::item_by_barcode,
            commands::items::item_detail,
            commands::items::create_item,
            commands::items::edit_item,
            commands::items::archive_item,
            commands::items::receive_stock,
            commands::items::adjust_stock,
            commands::items::transfer_stock,
            commands::items::count_stock,
            commands::items::stores,
            commands::items::create_store,
            commands::items::edit_store,
            commands::backup_settings::backup_settings,
            commands::backup_settings::set_backup_settings,
            commands::backup_settings::test_server,
            commands::customers::search_customers,
            commands::customers::customer_detail,
            commands::customers::create_customer,
            commands::customers::edit_customer,
            commands::customers::archive_customer,
            commands::customers::open_debts,
            commands::customers::pay_debt,
            commands::customers::settle_debt,
            commands::sale::quote_sale,
            commands::sale::sale_draft,
            commands::sale::set_sale_draft,
            commands::sale::sell,
            commands::sale::invoice_by_number,
            commands::sale::recent_invoices,
            commands::sale::return_sale,
            commands::transfers::record_transfer,
            commands::transfers::transfers,
            commands::transfers::transfer_totals,
            commands::services::open_ticket,
            commands::services::tickets,
            commands::services::advance_ticket,
            commands::services::use_part,
            commands::services::deliver_ticket,
            commands::settings::set_rate,
            commands::settings::rate_history,
            commands::settings::users,
            commands::settings::create_user,
            commands::settings::set_pin,
            commands::settings::shop_settings,
            commands::settings::set_shop_settings,
            commands::settings::activity,
            commands::settings::dashboard,
            commands::restore::choose_restore_file,
            commands::restore::preview_restore,
            commands::restore::restore,
            commands::restore::export_now,
            commands::restore::server_backups,
            commands::legacy::old_pos,
            commands::legacy::set_old_pos,
            commands::legacy::open_old_pos,
            commands::printer::printer_settings,
            commands::printer::set_printer_settings,
            commands::printer::print_paper,
            commands::printer::open_drawer,
        ])
        .build(tauri::generate_context!())
        .context("could not start the window system; on Linux check that DISPLAY or WAYLAND_DISPLAY is set")?;
    let code = app.run_return(lifecycle::on_run_event);
    if damaged.get().is_none() {
        integrity::mark_clean_exit(&exit_dir);
    }
    Ok(code)
}

/// The app's log file in `data_dir`.
fn log_file(data_dir: &DataDir) -> PathBuf {
    data_dir.root().join("logs").join("sonic-pos.log")
}

/// Logs to stderr and to `<data dir>/logs/sonic-pos.log`. A log file that
/// cannot be opened is reported on stderr and the app runs on without it.
fn init_logging(data_dir: &DataDir) -> Option<PathBuf> {
    use tracing_subscriber::{fmt, prelude::*, EnvFilter};

    let filter = EnvFilter::try_from_env("SONIC_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let path = log_file(data_dir);
    let file = std::fs::create_dir_all(data_dir.root().join("logs"))
        .and_then(|()| std::fs::OpenOptions::new().create(true).append(true).open(&path));
    let file_layer = match file {
        Ok(file) => Some(fmt::layer().with_ansi(false).with_writer(Mutex::new(file))),
        Err(err) => {
            eprintln!(
                "sonic-pos: cannot write the log file {}: {err}; logging to stderr only",
                path.display()
            );
            None
        }
    };
    let logged_to_file = file_layer.is_some();
    // A second init (only in tests) keeps the first subscriber.
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(fmt::layer().with_writer(std::io::stderr))
        .with(file_layer)
        .try_init();
    logged_to_file.then_some(path)
}
