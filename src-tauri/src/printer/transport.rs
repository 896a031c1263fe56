//! Getting a job's bytes to the printer: a TCP connection, a device file,
//! or the Windows spooler (`sonic_platform::printer`). Every failure is a
//! [`Unreachable`] that says which printer and why, in words a cashier can
//! act on.

use std::io::Write as _;
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::time::Duration;

use super::Connection;

/// How long a network printer may take to answer the connection.
const CONNECT: Duration = Duration::from_secs(3);
/// How long one write may wait (a printer out of paper stops reading).
const WRITE: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
#[error(
    "the printer {printer} is unreachable ({why}); check that it is on, has paper and is connected, then print again"
)]
pub(crate) struct Unreachable {
    pub printer: String,
    pub why: String,
    /// The printer as the user set it up: `host:port`, device or name.
    pub target: String,
}

/// Sends `bytes` to the printer of `connection` (not `None`).
pub(crate) fn send(connection: &Connection, document: &str, bytes: &[u8]) -> Result<(), Unreachable> {
    match connection {
        Connection::None => Err(Unreachable {
            printer: "(none)".into(),
            why: "no receipt printer is set up in Settings › Printer".into(),
            target: String::new(),
        }),
        Connection::Network { address } => {
            let fail = |why: String| Unreachable {
                printer: format!("at {address}"),
                why,
                target: address.clone(),
            };
            let addrs = address
                .to_socket_addrs()
                .map_err(|e| fail(format!("the address cannot be resolved: {e}")))?;
            let mut last = fail("the address resolves to nothing".into());
            for addr in addrs {
                match TcpStream::connect_timeout(&addr, CONNECT) {
                    Ok(mut stream) => {
                        stream.set_write_timeout(Some(WRITE)).map_err(|e| fail(e.to_string()))?;
                        stream.write_all(bytes).map_err(|e| fail(e.to_string()))?;
                        stream.flush().map_err(|e| fail(e.to_string()))?;
                        // The end of the job: the printer sees the connection close.
                        let _ = stream.shutdown(Shutdown::Write);
                        return Ok(());
                    }
                    Err(e) => last = fail(e.to_string()),
                }
            }
            Err(last)
        }
        Connection::Device { path } => {
            let fail = |e: std::io::Error| Unreachable {
                printer: path.clone(),
                why: e.to_string(),
                target: path.clone(),
            };
            let mut file = std::fs::OpenOptions::new().write(true).open(path).map_err(fail)?;
            file.write_all(bytes).map_err(fail)?;
            file.flush().map_err(fail)
        }
        Connection::Spooler { name } => {
            sonic_platform::printer::write_raw(name, document, bytes).map_err(|e| Unreachable {
                printer: format!("{name:?}"),
                why: e.to_string(),
                target: name.clone(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read as _;

    #[test]
    fn a_network_printer_gets_the_bytes_and_then_the_end_of_the_job() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let reader = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut got = Vec::new();
            conn.read_to_end(&mut got).unwrap();
            got
        });
        send(&Connection::Network { address }, "test", b"\x1b@hello").unwrap();
        assert_eq!(reader.join().unwrap(), b"\x1b@hello");
    }

    #[test]
    fn a_printer_that_is_off_is_named_as_unreachable() {
        // A port that was just free: nothing listens there.
        let address = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().to_string()
        };
        let err = send(
            &Connection::Network {
                address: address.clone(),
            },
            "test",
            b"x",
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains(&address) && text.contains("unreachable"), "{text}");
        let err = send(
            &Connection::Device {
                path: "/no/such/lp9".into(),
            },
            "test",
            b"x",
        )
        .unwrap_err();
        assert!(err.to_string().contains("/no/such/lp9"), "{err}");
    }

    #[test]
    fn a_device_file_gets_the_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lp0");
        std::fs::write(&path, b"").unwrap();
        send(
            &Connection::Device {
                path: path.display().to_string(),
            },
            "t",
            b"abc",
        )
        .unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"abc");
    }
}
