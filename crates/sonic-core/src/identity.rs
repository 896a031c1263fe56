//! Who this installation is: a device id made once and kept, and the store
//! this till belongs to. Both live in the settings table, so a restore (which
//! replaces the sections) never changes them.

use crate::error::Result;
use crate::store::{get_setting, set_setting};
use rusqlite::Connection;

const DEVICE_ID: &str = "device_id";
const STORE_ID: &str = "store_id";

/// Creates the device id on the first open of a data directory.
pub(crate) fn ensure_device_id(conn: &Connection) -> Result<String> {
    if let Some(id) = get_setting(conn, DEVICE_ID)? {
        return Ok(id);
    }
    let id = uuid::Uuid::new_v4().to_string();
    set_setting(conn, DEVICE_ID, &id)?;
    tracing::info!(device_id = %id, "new installation: device id created");
    Ok(id)
}

/// This installation's device id.
pub(crate) fn device_id(conn: &Connection) -> Result<String> {
    ensure_device_id(conn)
}

/// The store this till belongs to, if one was chosen.
pub(crate) fn store_id(conn: &Connection) -> Result<Option<String>> {
    get_setting(conn, STORE_ID)
}

impl crate::Store {
    /// This installation's device id: made on first open, then kept.
    pub fn device_id(&self) -> Result<String> {
        device_id(self.conn())
    }

    /// The store this till belongs to.
    pub fn store_id(&self) -> Result<Option<String>> {
        store_id(self.conn())
    }

    /// Chooses the store this till belongs to.
    pub fn set_store_id(&self, id: &str) -> Result<()> {
        set_setting(self.conn(), STORE_ID, id)
    }
}
