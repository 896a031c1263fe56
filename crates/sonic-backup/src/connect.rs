//! Where the backup server is and how to reach it: a libpq-style connection
//! string (URL or `key=value`) completed from the standard `PG*` variables,
//! a TLS mode, and the connection itself.
//!
//! TLS modes follow libpq: `disable` (plain TCP), `prefer` (TLS if the server
//! offers it, the default), `require` (TLS or nothing; like libpq without a
//! root certificate, the server certificate is not checked) and
//! `verify-full` (TLS with a certificate chain to a trusted root and the
//! host name checked). Roots for `verify-full` come from `sslrootcert` /
//! `PGSSLROOTCERT`, else libpq's default file (`~/.postgresql/root.crt`,
//! `%APPDATA%\postgresql\root.crt` on Windows), else the system's store.
//!
//! **Secrets:** the password lives only inside `tokio_postgres::Config`;
//! [`ServerConfig`]'s `Debug` and [`ServerConfig::redacted`] never show it,
//! and every error names the server through `redacted`.

use crate::error::{describe, Error, Result};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use serde::Serialize;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres::Client;

/// How long to wait for the server to accept a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How the connection to the server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TlsMode {
    /// Plain TCP.
    Disable,
    /// TLS when the server offers it, plain otherwise (libpq's default).
    #[default]
    Prefer,
    /// TLS or no connection; the certificate is not checked.
    Require,
    /// TLS, a certificate chain to a trusted root, and the host name checked.
    VerifyFull,
}

impl FromStr for TlsMode {
    type Err = Error;
    fn from_str(s: &str) -> Result<TlsMode> {
        match s {
            "disable" => Ok(TlsMode::Disable),
            "prefer" | "allow" => Ok(TlsMode::Prefer),
            "require" => Ok(TlsMode::Require),
            "verify-full" => Ok(TlsMode::VerifyFull),
            "verify-ca" => Err(Error::Config(
                "sslmode verify-ca is not supported; use verify-full (it checks the host name too)".into(),
            )),
            other => Err(Error::Config(format!(
                "unknown sslmode {other:?}: use disable, prefer, require or verify-full"
            ))),
        }
    }
}

impl fmt::Display for TlsMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TlsMode::Disable => "disable",
            TlsMode::Prefer => "prefer",
            TlsMode::Require => "require",
            TlsMode::VerifyFull => "verify-full",
        })
    }
}

/// The settings of one backup server.
#[derive(Clone)]
pub struct ServerConfig {
    pg: tokio_postgres::Config,
    tls: TlsMode,
    root_cert: Option<PathBuf>,
}

impl fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerConfig")
            .field("server", &self.redacted())
            .field("root_cert", &self.root_cert)
            .finish_non_exhaustive()
    }
}

impl ServerConfig {
    /// Parses a libpq connection string, `postgres://user@host:port/db?sslmode=require`
    /// or `host=… port=… user=… dbname=… sslmode=…`; what it leaves out is
    /// taken from `PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`,
    /// `PGSSLMODE` and `PGSSLROOTCERT`, as libpq does.
    pub fn parse(conn: &str) -> Result<ServerConfig> {
        Self::parse_with_env(conn, &|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// The server named only by the `PG*` environment variables.
    pub fn from_env() -> Result<ServerConfig> {
        Self::parse("")
    }

    fn parse_with_env(conn: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<ServerConfig> {
        let (rest, sslmode, root_cert) = take_tls_params(conn);
        let mut pg = if rest.trim().is_empty() {
            tokio_postgres::Config::new()
        } else {
            // tokio-postgres's parse errors name the option, never its value.
            tokio_postgres::Config::from_str(&rest)
                .map_err(|e| Error::Config(format!("the connection string is not valid: {e}")))?
        };
        if pg.get_hosts().is_empty() {
            let hosts = env("PGHOST").unwrap_or_else(|| "localhost".into());
            for host in hosts.split(',') {
                pg.host(host.trim());
            }
        }
        if pg.get_ports().is_empty() {
            if let Some(port) = env("PGPORT") {
                let port: u16 = port
                    .trim()
                    .parse()
                    .map_err(|_| Error::Config(format!("PGPORT {port:?} is not a port number")))?;
                pg.port(port);
            }
        }
        if pg.get_user().is_none() {
            let user = env("PGUSER")
                .or_else(|| env("USER"))
                .ok_or_else(|| Error::Config("no user name: put one in the connection string or set PGUSER".into()))?;
            pg.user(&user);
        }
        if pg.get_password().is_none() {
            if let Some(password) = env("PGPASSWORD") {
                pg.password(password);
            }
        }
        if pg.get_dbname().is_none() {
            let db = env("PGDATABASE").or_else(|| pg.get_user().map(str::to_string));
            if let Some(db) = db {
                pg.dbname(&db);
            }
        }
        if pg.get_connect_timeout().is_none() {
            pg.connect_timeout(CONNECT_TIMEOUT);
        }
        if pg.get_application_name().is_none() {
            pg.application_name("sonic-pos");
        }
        let tls = match sslmode.or_else(|| env("PGSSLMODE")) {
            Some(mode) => mode.parse()?,
            None => TlsMode::default(),
        };
        let root_cert = root_cert.or_else(|| env("PGSSLROOTCERT")).map(PathBuf::from);
        Ok(ServerConfig { pg, tls, root_cert })
    }

    /// The TLS mode in use.
    pub fn tls_mode(&self) -> TlsMode {
        self.tls
    }

    /// The same server with another TLS mode.
    pub fn with_tls(mut self, mode: TlsMode) -> ServerConfig {
        self.tls = mode;
        self
    }

    /// The same server, trusting the root certificate(s) in a PEM file for
    /// `verify-full` (libpq's `sslrootcert`).
    pub fn with_root_cert(mut self, pem_file: impl Into<PathBuf>) -> ServerConfig {
        self.root_cert = Some(pem_file.into());
        self
    }

    /// The same server, another database on it.
    pub fn with_dbname(mut self, dbname: &str) -> ServerConfig {
        self.pg.dbname(dbname);
        self
    }

    /// The same server as another user.
    pub fn with_login(mut self, user: &str, password: &str) -> ServerConfig {
        self.pg.user(user).password(password);
        self
    }

    /// The same database through another host and port (a proxy, a tunnel).
    pub fn with_address(mut self, host: &str, port: u16) -> ServerConfig {
        // tokio_postgres::Config cannot forget hosts: rebuild it around the new address.
        let old = &self.pg;
        let mut pg = tokio_postgres::Config::new();
        pg.host(host).port(port);
        if let Some(user) = old.get_user() {
            pg.user(user);
        }
        if let Some(password) = old.get_password() {
            pg.password(password);
        }
        if let Some(db) = old.get_dbname() {
            pg.dbname(db);
        }
        pg.connect_timeout(old.get_connect_timeout().copied().unwrap_or(CONNECT_TIMEOUT));
        pg.application_name(old.get_application_name().unwrap_or("sonic-pos"));
        self.pg = pg;
        self
    }

    /// The user this connects as.
    pub fn user(&self) -> Option<&str> {
        self.pg.get_user()
    }

    /// The database this connects to.
    pub fn dbname(&self) -> Option<&str> {
        self.pg.get_dbname()
    }

    /// `user@host:port/db (tls MODE)`: the server as it may be shown and
    /// logged. Never the password.
    pub fn redacted(&self) -> String {
        let host = match self.pg.get_hosts().first() {
            Some(Host::Tcp(h)) => h.clone(),
            #[cfg(unix)]
            Some(Host::Unix(p)) => p.display().to_string(),
            None => "localhost".into(),
        };
        let port = self.pg.get_ports().first().copied().unwrap_or(5432);
        format!(
            "{}@{host}:{port}/{} (tls {})",
            self.pg.get_user().unwrap_or("?"),
            self.pg.get_dbname().unwrap_or("?"),
            self.tls
        )
    }

    /// Opens a connection, with TLS as the mode says.
    pub async fn connect(&self) -> Result<Remote> {
        let server = self.redacted();
        let mut pg = self.pg.clone();
        let started = match self.tls {
            TlsMode::Disable => {
                pg.ssl_mode(SslMode::Disable);
                let (client, conn) = pg
                    .connect(tokio_postgres::NoTls)
                    .await
                    .map_err(|e| connect_error(&server, &e))?;
                (client, tokio::spawn(drive(conn)))
            }
            mode => {
                pg.ssl_mode(if mode == TlsMode::Prefer {
                    SslMode::Prefer
                } else {
                    SslMode::Require
                });
                let tls = if mode == TlsMode::VerifyFull {
                    verifying_config(self.root_cert.as_deref(), &server)?
                } else {
                    unverified_config(&server)?
                };
                let connector = tokio_postgres_rustls::MakeRustlsConnect::new(tls);
                let (client, conn) = pg.connect(connector).await.map_err(|e| connect_error(&server, &e))?;
                (client, tokio::spawn(drive(conn)))
            }
        };
        tracing::debug!(server = %server, "connected to the backup server");
        Ok(Remote {
            client: started.0,
            server,
            _task: started.1,
        })
    }
}

/// Runs a connection until it closes; its error, if any, also reaches the
/// next query on the client, which reports it.
async fn drive<F>(conn: F)
where
    F: std::future::Future<Output = Result<(), tokio_postgres::Error>>,
{
    if let Err(e) = conn.await {
        tracing::debug!(error = %describe(&e), "backup server connection closed");
    }
}

/// An open connection to the backup server. Dropping it closes the
/// connection politely (the driver task sends Terminate and ends).
#[derive(Debug)]
pub struct Remote {
    client: Client,
    server: String,
    _task: tokio::task::JoinHandle<()>,
}

impl Remote {
    /// The server, as it may be shown (no password).
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The underlying client, for admin tools and tests that run SQL of
    /// their own.
    pub fn client(&self) -> &Client {
        &self.client
    }

    pub(crate) fn client_mut(&mut self) -> &mut Client {
        &mut self.client
    }
}

fn connect_error(server: &str, err: &tokio_postgres::Error) -> Error {
    let server = server.to_string();
    if let Some(db) = err.as_db_error() {
        use tokio_postgres::error::SqlState;
        let detail = db.message().to_string();
        let code = db.code();
        return if *code == SqlState::INVALID_PASSWORD || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION {
            Error::Login { server, detail }
        } else {
            Error::Unreachable { server, detail }
        };
    }
    let detail = describe(err);
    let lower = detail.to_ascii_lowercase();
    if lower.contains("tls") || lower.contains("certificate") || lower.contains("ssl") {
        Error::Tls { server, detail }
    } else if lower.contains("password") {
        Error::Login { server, detail }
    } else {
        Error::Unreachable { server, detail }
    }
}

/// Removes `sslmode` and `sslrootcert` from a connection string (tokio-postgres
/// does not know `verify-full` nor `sslrootcert`), returning them apart.
fn take_tls_params(conn: &str) -> (String, Option<String>, Option<String>) {
    let mut sslmode = None;
    let mut root = None;
    let mut take = |key: &str, value: &str| -> bool {
        match key {
            "sslmode" => sslmode = Some(value.to_string()),
            "sslrootcert" => root = Some(value.to_string()),
            _ => return false,
        }
        true
    };
    let conn = conn.trim();
    if conn.starts_with("postgres://") || conn.starts_with("postgresql://") {
        let Some((base, query)) = conn.split_once('?') else {
            return (conn.to_string(), None, None);
        };
        let kept: Vec<&str> = query
            .split('&')
            .filter(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                !take(k, v)
            })
            .collect();
        let rest = if kept.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        (rest, sslmode, root)
    } else {
        let kept: Vec<&str> = conn
            .split_whitespace()
            .filter(|token| {
                let (k, v) = token.split_once('=').unwrap_or((token, ""));
                !take(k.trim(), v.trim_matches('\''))
            })
            .collect();
        (kept.join(" "), sslmode, root)
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn tls_error(server: &str, detail: String) -> Error {
    Error::Tls {
        server: server.to_string(),
        detail,
    }
}

/// `prefer` / `require`: encrypted, the certificate not checked (libpq's
/// meaning of these modes); the handshake signatures still are.
fn unverified_config(server: &str) -> Result<ClientConfig> {
    let provider = provider();
    Ok(ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error(server, e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
        .with_no_client_auth())
}

/// Where libpq looks for the root certificate when `sslrootcert` is not
/// given: `~/.postgresql/root.crt` on Unix, `%APPDATA%\postgresql\root.crt`
/// on Windows. `env` reads an environment variable (a parameter so the
/// rule can be tested without changing the process's environment).
fn libpq_root_cert(env: impl Fn(&str) -> Option<std::ffi::OsString>) -> Option<PathBuf> {
    if cfg!(windows) {
        env("APPDATA").map(|d| PathBuf::from(d).join("postgresql").join("root.crt"))
    } else {
        env("HOME").map(|h| PathBuf::from(h).join(".postgresql").join("root.crt"))
    }
}

fn verifying_config(root_cert: Option<&Path>, server: &str) -> Result<ClientConfig> {
    let mut roots = RootCertStore::empty();
    let default_root = libpq_root_cert(|name| std::env::var_os(name));
    let file = root_cert
        .map(Path::to_path_buf)
        .or_else(|| default_root.filter(|p| p.exists()));
    match file {
        Some(path) => {
            let certs = CertificateDer::pem_file_iter(&path)
                .map_err(|e| tls_error(server, format!("cannot read root certificate {}: {e}", path.display())))?;
            for cert in certs {
                let cert =
                    cert.map_err(|e| tls_error(server, format!("bad certificate in {}: {e}", path.display())))?;
                roots
                    .add(cert)
                    .map_err(|e| tls_error(server, format!("unusable root certificate in {}: {e}", path.display())))?;
            }
        }
        None => {
            for cert in rustls_native_certs::load_native_certs().certs {
                // A system store often holds a few certificates rustls cannot use.
                let _ = roots.add(cert);
            }
        }
    }
    if roots.is_empty() {
        return Err(tls_error(
            server,
            "verify-full needs a trusted root certificate: set sslrootcert or PGSSLROOTCERT".into(),
        ));
    }
    Ok(ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error(server, e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// Accepts any server certificate (see [`unverified_config`]).
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn the_default_root_certificate_is_where_libpq_looks_on_this_os() {
        let vars = |k: &str| match k {
            "HOME" => Some(std::ffi::OsString::from("/home/till")),
            "APPDATA" => Some(std::ffi::OsString::from(r"C:\Users\till\AppData\Roaming")),
            _ => None,
        };
        let expected = if cfg!(windows) {
            PathBuf::from(r"C:\Users\till\AppData\Roaming")
                .join("postgresql")
                .join("root.crt")
        } else {
            PathBuf::from("/home/till/.postgresql/root.crt")
        };
        assert_eq!(libpq_root_cert(vars), Some(expected));
        assert_eq!(libpq_root_cert(|_| None), None, "no home folder: no default file");
    }

    #[test]
    fn a_url_with_verify_full_is_understood_and_the_password_never_shown() {
        let cfg = ServerConfig::parse_with_env(
            "postgres://shop:s3cret-pw@db.example:6432/sonic?sslmode=verify-full&sslrootcert=/etc/ca.pem",
            &env(&[]),
        )
        .unwrap();
        assert_eq!(cfg.tls_mode(), TlsMode::VerifyFull);
        assert_eq!(cfg.root_cert.as_deref(), Some(Path::new("/etc/ca.pem")));
        assert_eq!(cfg.redacted(), "shop@db.example:6432/sonic (tls verify-full)");
        let debug = format!("{cfg:?}");
        assert!(!debug.contains("s3cret"), "Debug must not show the password: {debug}");
    }

    #[test]
    fn missing_parts_come_from_the_pg_variables() {
        let cfg = ServerConfig::parse_with_env(
            "",
            &env(&[
                ("PGHOST", "localhost"),
                ("PGPORT", "5433"),
                ("PGUSER", "postgres"),
                ("PGPASSWORD", "pw-from-env"),
                ("PGDATABASE", "postgres"),
                ("PGSSLMODE", "require"),
            ]),
        )
        .unwrap();
        assert_eq!(cfg.redacted(), "postgres@localhost:5433/postgres (tls require)");
        assert_eq!(cfg.pg.get_password(), Some(&b"pw-from-env"[..]));
        let kv = ServerConfig::parse_with_env("host=h user=u sslmode=disable dbname=d", &env(&[])).unwrap();
        assert_eq!(kv.redacted(), "u@h:5432/d (tls disable)");
    }

    #[test]
    fn unknown_tls_modes_are_refused_with_the_choices() {
        let err = ServerConfig::parse_with_env("host=h user=u sslmode=maybe", &env(&[])).unwrap_err();
        assert!(
            err.to_string().contains("disable, prefer, require or verify-full"),
            "{err}"
        );
    }
}
