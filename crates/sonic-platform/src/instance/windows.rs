use std::io;
use std::path::Path;

use interprocess::local_socket::{GenericNamespaced, Name, ToNsName as _};
use sha2::{Digest as _, Sha256};

/// `sonic-pos-<16 hex digits>`, from the canonical path of the data
/// directory (so `C:\Shop` and `c:\shop\` name the same pipe), a named pipe
/// in the machine-wide `\\.\pipe\` namespace.
pub(super) fn socket_name(data_dir: &Path) -> io::Result<Name<'static>> {
    let path = std::fs::canonicalize(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
    let digest = Sha256::digest(path.to_string_lossy().as_bytes());
    format!("sonic-pos-{}", hex::encode(&digest[..8])).to_ns_name::<GenericNamespaced>()
}
