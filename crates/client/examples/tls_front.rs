//! A TLS front for measuring https (bench/https.sh): terminates TLS on LISTEN with a
//! certificate for `127.0.0.1` signed by an authority made now (written to CA_FILE as PEM) and
//! forwards the plain bytes to UPSTREAM. `--plain` forwards without TLS, so the proxy hop
//! itself can be measured apart from TLS.
//!
//! Usage: tls_front LISTEN UPSTREAM CA_FILE [--plain]

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::{TcpListener, TcpStream};

type Error = Box<dyn std::error::Error>;

fn acceptor(ca_file: &str) -> Result<tokio_rustls::TlsAcceptor, Error> {
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key)?;
    let key = KeyPair::generate()?;
    let cert = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])?
        .signed_by(&key, &ca, &ca_key)?;
    std::fs::write(ca_file, ca.pem())?;
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(cert.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [listen, upstream, ca_file, rest @ ..] = args.as_slice() else {
        return Err("usage: tls_front LISTEN UPSTREAM CA_FILE [--plain]".into());
    };
    let plain = rest.iter().any(|a| a == "--plain");
    let acceptor = acceptor(ca_file)?;
    let listener = TcpListener::bind(listen).await?;
    loop {
        let (socket, _) = listener.accept().await?;
        socket.set_nodelay(true)?;
        let (acceptor, upstream) = (acceptor.clone(), upstream.clone());
        tokio::spawn(async move {
            let Ok(mut back) = TcpStream::connect(&upstream).await else {
                return;
            };
            let _ = back.set_nodelay(true);
            if plain {
                let mut socket = socket;
                let _ = tokio::io::copy_bidirectional(&mut socket, &mut back).await;
            } else if let Ok(mut tls) = acceptor.accept(socket).await {
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut back).await;
            }
        });
    }
}
