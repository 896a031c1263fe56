// Hide the console window that a Windows release build would otherwise open.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() -> std::process::ExitCode {
    sonic_pos_app::run()
}
