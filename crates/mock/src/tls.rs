//! A test certificate authority made at run time, and the TLS acceptor the mock serves HTTPS
//! with. Nothing here is a secret worth keeping: every CA lives as long as the test that made it.

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use std::io;
use std::sync::Arc;

/// A CA and a server certificate it signed for `127.0.0.1` and `localhost`.
#[derive(Clone, Debug)]
pub struct TestCa {
    /// The CA certificate (PEM): what a client must trust (`NODE_EXTRA_CA_CERTS`).
    pub ca_pem: String,
    /// The server certificate (PEM), signed by the CA.
    pub cert_pem: String,
    /// The server's private key (PKCS#8 PEM).
    pub key_pem: String,
}

fn gen_err(e: rcgen::Error) -> io::Error {
    io::Error::other(format!("cannot make a test certificate: {e}"))
}

impl TestCa {
    /// A fresh CA named `name` and a leaf certificate for `127.0.0.1` and `localhost`.
    pub fn new(name: &str) -> io::Result<TestCa> {
        let ca_key = KeyPair::generate().map_err(gen_err)?;
        let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(gen_err)?;
        ca.distinguished_name.push(DnType::CommonName, name);
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca.self_signed(&ca_key).map_err(gen_err)?;
        let issuer = Issuer::new(ca, ca_key);

        let leaf_key = KeyPair::generate().map_err(gen_err)?;
        let mut leaf =
            CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
                .map_err(gen_err)?;
        leaf.distinguished_name
            .push(DnType::CommonName, "ccrs-mock test server");
        leaf.use_authority_key_identifier_extension = true;
        let leaf_cert = leaf.signed_by(&leaf_key, &issuer).map_err(gen_err)?;
        Ok(TestCa {
            ca_pem: ca_cert.pem(),
            cert_pem: leaf_cert.pem(),
            key_pem: leaf_key.serialize_pem(),
        })
    }

    /// A rustls server config presenting the leaf certificate (HTTP/1.1 only).
    pub(crate) fn acceptor(&self) -> io::Result<tokio_rustls::TlsAcceptor> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let bad = |e: rustls::pki_types::pem::Error| {
            io::Error::new(io::ErrorKind::InvalidData, format!("bad PEM: {e}"))
        };
        let certs = vec![CertificateDer::from_pem_slice(self.cert_pem.as_bytes()).map_err(bad)?];
        let key = PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes()).map_err(bad)?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(io::Error::other)?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(io::Error::other)?;
        cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(tokio_rustls::TlsAcceptor::from(Arc::new(cfg)))
    }
}
