//! The TLS listener's server configuration (rustls with aws-lc-rs, the stack the rest of the
//! SDK uses).

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::{Error, ErrorKind, Result};

/// A TLS acceptor from a PEM certificate chain and a PEM private key.
pub(crate) fn acceptor(cert: &Path, key: &Path) -> Result<tokio_rustls::TlsAcceptor> {
    let read_error = |what: &str, path: &Path, e: &dyn std::fmt::Display| {
        Error::new(
            ErrorKind::Config,
            format!(
                "syslog receiver: cannot read the TLS {what} {}: {e}",
                path.display()
            ),
        )
    };
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| read_error("certificate", cert, &e))?
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| read_error("certificate", cert, &e))?;
    if chain.is_empty() {
        return Err(read_error(
            "certificate",
            cert,
            &"no certificate in the file",
        ));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| read_error("key", key, &e))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::new(ErrorKind::Config, format!("syslog receiver: TLS: {e}")))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| {
            Error::new(
                ErrorKind::Config,
                format!("syslog receiver: the TLS certificate and key do not fit: {e}"),
            )
        })?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}
