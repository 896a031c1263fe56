use super::SpoolError;

pub(super) fn write_raw(_printer: &str, _document: &str, _bytes: &[u8]) -> Result<(), SpoolError> {
    Err(SpoolError::Unsupported)
}
