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
//! and every error names the server through `redacted`; a connection string
//! that may hold one is shown through [`redact_password`].
//!
//! **Where a server comes from:** [`ServerConfig::parse`] is for the command
//! line (`sonic-pos-admin`, `--server`): what the string leaves out comes
//! from the `PG*` variables, as libpq does. [`ServerConfig::parse_typed`] is
//! for a server typed into the app's Settings: it takes nothing from the
//! environment, so a string typed by whoever is at the till never borrows
//! the `PGPASSWORD` the app was started with.
//!
//! **The password is never sent in the clear.** tokio-postgres answers a
//! server's cleartext or MD5 password request with whatever password it has,
//! and offers no hook into its authentication; what it does offer is
//! `channel_binding=require`, under which it refuses, *before sending
//! anything*, every request but SCRAM-SHA-256-PLUS (SCRAM bound to the TLS
//! channel: a man in the middle with his own certificate changes the binding
//! and the server refuses him). So, decided before connecting
//! ([`password_rule`]): with a password, `verify-full` (a verified
//! certificate: the password only reaches the real server) connects as asked;
//! `prefer` and `require` connect with channel binding required, whatever the
//! string says; `disable` is refused. Without a password there is nothing to
//! leak and the modes are as libpq's. Left open: under `prefer`/`require` a
//! man in the middle still sees one SCRAM exchange, which lets him try
//! guesses of the password offline (SCRAM's salted, iterated proof): a long
//! random password, or `verify-full`, which is the setting for any server
//! outside the shop (SECURITY.md).

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
use tokio_postgres::config::{ChannelBinding, Host, SslMode};
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
    /// `PGSSLMODE` and `PGSSLROOTCERT`, as libpq does. For the command line,
    /// where whoever sets the environment also types the string.
    pub fn parse(conn: &str) -> Result<ServerConfig> {
        Self::parse_with_env(conn, &|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// Parses a connection string typed into the app: like [`ServerConfig::parse`]
    /// but nothing comes from the environment (no `PGPASSWORD`, no
    /// `PGPASSFILE`, no `PGHOST`…): the string names the user, and holds the
    /// password if the server needs one. Missing host: `localhost`; missing
    /// database: the user's name; missing `sslmode`: `prefer`.
    pub fn parse_typed(conn: &str) -> Result<ServerConfig> {
        Self::parse_with_env(conn, &|_| None)
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
                .ok_or_else(|| Error::Config("no user name: put one in the connection string (user=…)".into()))?;
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
        pg.channel_binding(old.get_channel_binding());
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

    /// Opens a connection, with TLS as the mode says and the password sent
    /// only as [`password_rule`] allows.
    pub async fn connect(&self) -> Result<Remote> {
        let server = self.redacted();
        let mut pg = self.pg.clone();
        match password_rule(self.tls, pg.get_password().is_some(), pg.get_channel_binding()) {
            PasswordRule::AsAsked => {}
            PasswordRule::BindToChannel => {
                pg.channel_binding(ChannelBinding::Require);
            }
            PasswordRule::Refuse => {
                return Err(tls_error(
                    &server,
                    "a password is never sent over a connection without TLS; use sslmode=verify-full \
                     (or require, with a server that offers SCRAM over TLS)"
                        .into(),
                ))
            }
        }
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

/// What may be done with a password, decided before connecting (see the
/// module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PasswordRule {
    /// As the connection string says: no password, or a verified server.
    AsAsked,
    /// Only SCRAM-SHA-256-PLUS: tokio-postgres refuses cleartext, MD5 and
    /// unbound SCRAM requests before sending anything.
    BindToChannel,
    /// No TLS at all: the connection is not even tried.
    Refuse,
}

/// The rule for a password under `tls` (module doc: "never sent in the clear").
pub(crate) fn password_rule(tls: TlsMode, has_password: bool, asked: ChannelBinding) -> PasswordRule {
    match (has_password, tls) {
        (false, _) => PasswordRule::AsAsked,
        (true, TlsMode::VerifyFull) => PasswordRule::AsAsked,
        (true, TlsMode::Prefer | TlsMode::Require) if asked == ChannelBinding::Require => PasswordRule::AsAsked,
        (true, TlsMode::Prefer | TlsMode::Require) => PasswordRule::BindToChannel,
        (true, TlsMode::Disable) => PasswordRule::Refuse,
    }
}

/// A libpq connection string with its password (URL `user:PASSWORD@`, or
/// `password=…`) replaced by [`PASSWORD_SHOWN_AS`]: what a screen or a log may show of a
/// string typed by a user. Anything else is left as typed.
pub fn redact_password(conn: &str) -> String {
    match password_span(conn) {
        Some(span) => format!("{}{PASSWORD_SHOWN_AS}{}", &conn[..span.start], &conn[span.end..]),
        None => conn.to_string(),
    }
}

/// How a saved password is shown in a connection string.
pub const PASSWORD_SHOWN_AS: &str = "********";

/// `typed` with its password, if it is [`PASSWORD_SHOWN_AS`] (a string shown redacted and
/// saved back), replaced by `saved`'s password; otherwise `typed` as is.
/// An edited host keeps the saved password; a new password replaces it.
pub fn keep_saved_password(typed: &str, saved: &str) -> String {
    let Some(span) = password_span(typed) else {
        return typed.to_string();
    };
    if &typed[span.clone()] != PASSWORD_SHOWN_AS {
        return typed.to_string();
    }
    match password_span(saved) {
        Some(old) => format!("{}{}{}", &typed[..span.start], &saved[old], &typed[span.end..]),
        None => typed.to_string(),
    }
}

/// Where the password's text is in a connection string, as typed (still
/// percent-encoded or quoted).
fn password_span(conn: &str) -> Option<std::ops::Range<usize>> {
    let lead = conn.len() - conn.trim_start().len();
    let body = conn.trim_start();
    for scheme in ["postgres://", "postgresql://"] {
        if let Some(rest) = body.strip_prefix(scheme) {
            let start = lead + scheme.len();
            let authority = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
            let at = authority.rfind('@')?;
            let colon = authority[..at].find(':')?;
            return Some(start + colon + 1..start + at);
        }
    }
    // key = value pairs; a value is 'quoted' (\' and \\ escaped) or runs to a space.
    let bytes = conn.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let key_start = i;
        while i < bytes.len() && bytes[i] != b'=' && !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let key = &conn[key_start..i];
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= bytes.len() || bytes[i] != b'=' {
            return None;
        }
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let value_start = i;
        if i < bytes.len() && bytes[i] == b'\'' {
            i += 1;
            while i < bytes.len() && bytes[i] != b'\'' {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            i = (i + 1).min(bytes.len());
        } else {
            while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
                i += 1;
            }
        }
        if key == "password" {
            return Some(value_start..i);
        }
    }
    None
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
    if lower.contains("channel binding") {
        // password_rule required SCRAM bound to TLS; the server asked for
        // the password another way (cleartext, MD5, SCRAM without TLS).
        Error::Tls {
            server,
            detail: format!(
                "{detail}: the server asked for the password in a way that could reveal it (cleartext, MD5 or SCRAM \
                 without TLS), so none was sent; use sslmode=verify-full with the server's root certificate, or \
                 have the server use scram-sha-256 over TLS"
            ),
        }
    } else if lower.contains("tls") || lower.contains("certificate") || lower.contains("ssl") {
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

    #[test]
    fn a_typed_server_never_borrows_the_environment() {
        // The process's own environment, as the app has it when started
        // under a PGPASSWORD (the issue's attack: a cashier types
        // `host=attacker user=x` and the app adds the shop's password).
        std::env::set_var("PGPASSWORD", "pw-of-the-shop-in-env");
        let typed = ServerConfig::parse_typed("host=attacker.example user=x").unwrap();
        assert_eq!(typed.pg.get_password(), None, "a typed server must not take PGPASSWORD");
        assert_eq!(typed.redacted(), "x@attacker.example:5432/x (tls prefer)");
        let err = ServerConfig::parse_typed("host=h").unwrap_err();
        assert!(err.to_string().contains("no user name"), "{err}");
        let cli = ServerConfig::parse("host=office user=x").unwrap();
        assert_eq!(
            cli.pg.get_password(),
            Some(&b"pw-of-the-shop-in-env"[..]),
            "the command line still completes from PG* as libpq does"
        );
    }

    #[test]
    fn a_password_is_sent_only_to_a_verified_server_or_bound_to_the_tls_channel() {
        use ChannelBinding::{Prefer, Require};
        use PasswordRule::*;
        let rule = password_rule;
        assert_eq!(rule(TlsMode::VerifyFull, true, Prefer), AsAsked);
        assert_eq!(rule(TlsMode::Require, true, Prefer), BindToChannel);
        assert_eq!(rule(TlsMode::Prefer, true, ChannelBinding::Disable), BindToChannel);
        assert_eq!(rule(TlsMode::Require, true, Require), AsAsked, "already bound");
        assert_eq!(rule(TlsMode::Disable, true, Require), Refuse, "no TLS, no binding");
        for tls in [TlsMode::Disable, TlsMode::Prefer, TlsMode::Require, TlsMode::VerifyFull] {
            assert_eq!(rule(tls, false, Prefer), AsAsked, "no password, nothing to protect");
        }
        let cfg = ServerConfig::parse_typed("postgres://u:pw@h/d?channel_binding=require&sslmode=verify-full").unwrap();
        assert_eq!(
            cfg.pg.get_channel_binding(),
            Require,
            "channel_binding=require is understood"
        );
        let moved = cfg.with_address("127.0.0.1", 6432);
        assert_eq!(
            moved.pg.get_channel_binding(),
            Require,
            "and kept through a tunnel's address"
        );
    }

    #[test]
    fn passwords_in_connection_strings_are_redacted_and_kept_when_saved_back() {
        let cases = [
            (
                "postgres://shop:s3cret@db:5432/sonic?sslmode=verify-full",
                "postgres://shop:********@db:5432/sonic?sslmode=verify-full",
            ),
            (
                "postgresql://shop:p%40ss@db/sonic",
                "postgresql://shop:********@db/sonic",
            ),
            ("postgres://shop@db/sonic", "postgres://shop@db/sonic"),
            (
                "host=db user=shop password=s3cret dbname=sonic",
                "host=db user=shop password=******** dbname=sonic",
            ),
            (
                "host=db password = 'two words\\' s3cret' user=shop",
                "host=db password = ******** user=shop",
            ),
            ("host=db user=shop", "host=db user=shop"),
        ];
        for (typed, shown) in cases {
            assert_eq!(redact_password(typed), shown, "{typed}");
            assert!(!redact_password(typed).contains("s3cret"));
            assert_eq!(
                keep_saved_password(shown, typed),
                typed,
                "saved back unchanged: the old password"
            );
        }
        assert_eq!(
            keep_saved_password(
                "host=new user=shop password=********",
                "host=old password=s3cret user=shop"
            ),
            "host=new user=shop password=s3cret",
            "an edited host keeps the saved password"
        );
        assert_eq!(
            keep_saved_password("host=db user=shop password=new-pw", "host=db password=s3cret"),
            "host=db user=shop password=new-pw",
            "a new password replaces the saved one"
        );
    }

    /// A fake PostgreSQL server on 127.0.0.1 that declines TLS and answers
    /// the startup message with `auth` (an AuthenticationRequest, `R`).
    /// Returns its port and what the client sent after the startup message.
    /// Waits `wait` for the client.
    async fn fake_server(auth: Vec<u8>, wait: Duration) -> (u16, tokio::task::JoinHandle<Option<Vec<u8>>>) {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            let (mut sock, _) = tokio::time::timeout(wait, listener.accept()).await.ok()?.ok()?;
            loop {
                let len = sock.read_u32().await.ok()? as usize;
                let mut body = vec![0; len - 4];
                sock.read_exact(&mut body).await.ok()?;
                if body[..4] == [0x04, 0xd2, 0x16, 0x2f] {
                    sock.write_all(b"N").await.ok()?; // SSLRequest: no TLS here
                    continue;
                }
                break; // the StartupMessage
            }
            sock.write_all(&auth).await.ok()?;
            let mut after = Vec::new();
            let _ = tokio::time::timeout(Duration::from_secs(5), sock.read_to_end(&mut after)).await;
            Some(after)
        });
        (port, task)
    }

    fn auth_request(code: u32, extra: &[u8]) -> Vec<u8> {
        let mut m = vec![b'R'];
        m.extend_from_slice(&(8 + extra.len() as u32).to_be_bytes());
        m.extend_from_slice(&code.to_be_bytes());
        m.extend_from_slice(extra);
        m
    }

    #[tokio::test]
    async fn a_server_asking_for_a_cleartext_or_md5_password_gets_nothing() {
        let password = "Shop-Secret-Pw-42";
        let requests = [("cleartext", auth_request(3, &[])), ("md5", auth_request(5, b"salt"))];
        for (kind, request) in requests {
            for mode in ["prefer", "require", "disable"] {
                // Under disable the client must not even connect: a short wait.
                let wait = Duration::from_millis(if mode == "disable" { 300 } else { 5000 });
                let (port, server) = fake_server(request.clone(), wait).await;
                let conn = format!("host=127.0.0.1 port={port} user=shop password={password} sslmode={mode}");
                let err = ServerConfig::parse_typed(&conn).unwrap().connect().await.unwrap_err();
                let after = server.await.unwrap().unwrap_or_default();
                let sent = String::from_utf8_lossy(&after);
                assert!(
                    !sent.contains(password),
                    "{kind} under {mode}: the password was sent: {sent:?}"
                );
                assert!(
                    after.is_empty() || after == [b'X', 0, 0, 0, 4],
                    "{kind} under {mode}: the client may only hang up (Terminate), it sent {after:?}"
                );
                assert!(!err.to_string().contains(password), "{err}");
                if mode == "prefer" {
                    assert!(matches!(err, Error::Tls { .. }), "{kind} under {mode}: {err:?}");
                    assert!(
                        err.to_string().contains("verify-full"),
                        "the error says what to do: {err}"
                    );
                }
            }
        }
    }
}
