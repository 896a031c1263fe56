//! What crosses to the webview. These are wire types, not domain types:
//! camelCase JSON shaped for the screens, built from `sonic-core`'s types at
//! this boundary so the core can change its structs without breaking the UI.

use serde::Serialize;
use sonic_core::{DataDir, SectionCounts, SectionKey};

/// The app's version and where its data lives.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AppInfo {
    pub version: &'static str,
    pub data_dir: String,
    pub database: String,
    pub backups_dir: String,
}

impl AppInfo {
    pub(crate) fn new(dir: &DataDir) -> Self {
        AppInfo {
            version: env!("CARGO_PKG_VERSION"),
            data_dir: dir.root().display().to_string(),
            database: dir.database().display().to_string(),
            backups_dir: dir.backups().display().to_string(),
        }
    }
}

/// One section's record count, by its stable key (`sonic_invoices`).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct SectionCount {
    pub key: &'static str,
    pub count: u64,
}

impl SectionCount {
    /// All 16 sections in table order; a section missing from `counts` is 0.
    pub(crate) fn list(counts: &SectionCounts) -> Vec<SectionCount> {
        SectionKey::ALL
            .iter()
            .map(|key| SectionCount {
                key: key.as_str(),
                count: counts.get(key).copied().unwrap_or(0),
            })
            .collect()
    }
}

/// A local backup: what Backup Now shows and what the history lists.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BackupDto {
    pub id: String,
    /// The random end of the id, unique among the backups listed with it
    /// (`sonic_core::backup::short_ids`): what the screens and the admin
    /// tool show and what `restore` accepts.
    pub short_id: String,
    pub file: String,
    /// RFC 3339, UTC; the UI shows it in local time.
    pub created_at: String,
    /// `manual`, `on_close`, … (`sonic_core::backup::reason`).
    pub reason: String,
    pub size_bytes: u64,
    pub snapshot_sha256: String,
    /// The 16 sections in table order with their record counts.
    pub sections: Vec<SectionCount>,
    pub total_records: u64,
}

impl From<&sonic_core::backup::BackupInfo> for BackupDto {
    fn from(info: &sonic_core::backup::BackupInfo) -> Self {
        let sections: Vec<SectionCount> = SectionKey::ALL
            .iter()
            .map(|key| SectionCount {
                key: key.as_str(),
                count: info.counts.get(key.as_str()).copied().unwrap_or(0),
            })
            .collect();
        BackupDto {
            id: info.id.to_string(),
            short_id: sonic_core::backup::short_id(&info.id),
            file: info.file.display().to_string(),
            created_at: info.created_at.to_rfc3339(),
            reason: info.reason.clone(),
            size_bytes: info.size,
            snapshot_sha256: info.snapshot_sha256.clone(),
            total_records: sections.iter().map(|s| s.count).sum(),
            sections,
        }
    }
}
