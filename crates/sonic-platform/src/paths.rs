//! Where Sonic POS keeps its data unless told otherwise.

use std::path::PathBuf;

/// The default data directory: the per-user, per-machine application data
/// folder. `None` when the OS gives no home directory.
///
/// - Linux: `$XDG_DATA_HOME/sonic-pos`, usually `~/.local/share/sonic-pos`.
/// - Windows: `%LOCALAPPDATA%\Sonic\sonic-pos\data`. Local, never the roaming
///   profile: a roaming profile is copied to a server at log-off, and a
///   SQLite database with its WAL must not be copied half-way or shared
///   between two tills.
/// - macOS: `~/Library/Application Support/iq.Sonic.sonic-pos`.
pub fn default_data_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("iq", "Sonic", "sonic-pos").map(|dirs| dirs.data_local_dir().to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_data_dir_is_the_local_application_data_folder() {
        let dir = default_data_dir().expect("the test machine has a home directory");
        assert!(dir.is_absolute(), "{}", dir.display());
        #[cfg(target_os = "linux")]
        {
            let base = std::env::var_os("XDG_DATA_HOME")
                .filter(|p| std::path::Path::new(p).is_absolute())
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".local/share"));
            assert_eq!(dir, base.join("sonic-pos"));
        }
        #[cfg(windows)]
        {
            let local = PathBuf::from(std::env::var_os("LOCALAPPDATA").expect("LOCALAPPDATA is set"));
            assert!(
                dir.starts_with(&local),
                "{} must be under {}",
                dir.display(),
                local.display()
            );
            if let Some(roaming) = std::env::var_os("APPDATA") {
                assert!(
                    !dir.starts_with(roaming),
                    "never the roaming profile: {}",
                    dir.display()
                );
            }
        }
    }
}
