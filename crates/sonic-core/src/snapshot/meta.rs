//! `_meta`: what an export file says about itself.

use super::ExportInfo;
use crate::sections::{Extra, SectionKey};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The `format` of every Sonic POS export and backup file.
pub const FORMAT: &str = "sonic-backup";

/// The version of the export format this build writes. Version 0 is the old
/// POS's `exportAllDataToJSON()` file, which has no `_meta`. Version 2 hashes
/// the canonical JSON of [`crate::canonical`]; version 1 hashed non-integer
/// numbers as the serde_json of its build wrote them (still accepted).
pub const FORMAT_VERSION: u32 = 2;

/// A section's SHA-256 (hex, over its canonical JSON) and record count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionDigest {
    pub sha256: String,
    pub records: u64,
}

/// The `_meta` object of an export file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    pub format: String,
    pub format_version: u32,
    pub created_at: DateTime<Utc>,
    pub device_id: String,
    #[serde(default)]
    pub store_id: Option<String>,
    pub app_version: String,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_id: Option<uuid::Uuid>,
    /// Section key → digest, for all 16 sections.
    pub sections: BTreeMap<String, SectionDigest>,
    /// SHA-256 over the 16 section hashes (see [`super::snapshot_sha256`]).
    pub snapshot_sha256: String,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Meta {
    pub(crate) fn new(
        device_id: String,
        store_id: Option<String>,
        info: &ExportInfo,
        digests: BTreeMap<SectionKey, SectionDigest>,
    ) -> Meta {
        let snapshot_sha256 = super::snapshot_sha256(&digests);
        Meta {
            format: FORMAT.to_string(),
            format_version: FORMAT_VERSION,
            created_at: Utc::now(),
            device_id,
            store_id,
            app_version: env!("CARGO_PKG_VERSION").to_string(),
            reason: info.reason.clone(),
            backup_id: info.backup_id,
            sections: digests.into_iter().map(|(k, d)| (k.as_str().to_string(), d)).collect(),
            snapshot_sha256,
            extra: Extra::new(),
        }
    }
}
