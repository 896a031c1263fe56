use std::io;
use std::path::Path;

use interprocess::local_socket::{GenericFilePath, Name, ToFsName as _};

/// The socket file in the data directory.
pub(super) fn socket_name(data_dir: &Path) -> io::Result<Name<'static>> {
    data_dir.join("sonic-pos.sock").to_fs_name::<GenericFilePath>()
}
