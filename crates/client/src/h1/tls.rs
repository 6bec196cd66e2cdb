//! https on the same transport: rustls driven by hand (its sans-I/O `ClientConnection`), so
//! the ciphertext is read by [`ossperf_rxstamp::poll_read`] and every piece of plaintext
//! carries the kernel's receive stamp of the read that brought its record, as plain HTTP does.
//! Trust comes from the system's roots, `--ca-cert` files, or nothing at all (`--insecure`).

use std::io::{self, Read, Write};
use std::mem::MaybeUninit;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Instant;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConnection, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio::net::TcpStream;

use crate::ClientError;

/// How https servers are trusted (`--ca-cert`, `--insecure`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// PEM files of further certificate authorities, trusted besides the system's roots.
    pub ca_certs: Vec<PathBuf>,
    /// Accept any server certificate (self-signed test servers); the traffic is still
    /// encrypted, but the server is not authenticated.
    pub insecure: bool,
}

/// The TLS settings of every https endpoint of a client, built once.
#[derive(Clone)]
pub(crate) struct Tls {
    config: Arc<rustls::ClientConfig>,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tls")
    }
}

/// *ring*, chosen over aws-lc-rs because it builds in a fraction of the time (no C library
/// of its own to compile). rustls 0.23.48 deprecated it for lacking the post-quantum hybrid
/// key exchange; the classical groups it offers are what inference servers' TLS proxies take.
#[allow(deprecated)]
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

impl Tls {
    /// Builds the settings: the system's roots plus each `--ca-cert` file, or no checks at all
    /// with `insecure`. A CA file that cannot be read or holds no certificate is an error
    /// naming it; with no root at all the first https connection fails, naming the cause.
    pub(crate) fn new(options: &TlsOptions) -> Result<Tls, ClientError> {
        let builder = rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| ClientError::Tls(format!("cannot set up TLS: {e}")))?;
        let mut config = if options.insecure {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAny(provider())))
                .with_no_client_auth()
        } else {
            let mut roots = RootCertStore::empty();
            // Unreadable system stores are skipped: a `--ca-cert` may be all that is needed.
            let native = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(native.certs);
            for path in &options.ca_certs {
                add_ca_file(&mut roots, path)?;
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        };
        // Inference servers speak HTTP/1.1; say so to servers that would pick h2.
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Tls {
            config: Arc::new(config),
        })
    }

    /// A new session with `host` (a name or an IP address, without brackets).
    pub(crate) fn session(&self, host: &str) -> io::Result<ClientConnection> {
        let name = ServerName::try_from(host.to_owned()).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("`{host}` is not a valid TLS server name: {e}"),
            )
        })?;
        let mut session = ClientConnection::new(self.config.clone(), name)
            .map_err(|e| io::Error::other(format!("TLS: {e}")))?;
        // A request is handed over whole, however long its prompt.
        session.set_buffer_limit(None);
        Ok(session)
    }
}

fn add_ca_file(roots: &mut RootCertStore, path: &Path) -> Result<(), ClientError> {
    let bad =
        |reason: String| ClientError::Tls(format!("`--ca-cert {}`: {reason}", path.display()));
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| bad(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(e.to_string()))?;
    if certs.is_empty() {
        return Err(bad(
            "no `-----BEGIN CERTIFICATE-----` block, expected PEM certificates".to_owned(),
        ));
    }
    for cert in certs {
        roots.add(cert).map_err(|e| bad(e.to_string()))?;
    }
    Ok(())
}

/// `--insecure`: every certificate is accepted; signatures are still checked, so the
/// session keys are the server's.
#[derive(Debug)]
struct AcceptAny(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
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
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The ciphertext read buffer. Below rustls's 16 KiB limit of plaintext held unread, which
/// one read's worth of records can then never exceed.
const RAW_BYTES: usize = 16 * 1024;

/// One TLS session over a socket.
pub(crate) struct TlsStream {
    session: ClientConnection,
    raw: Box<[MaybeUninit<u8>]>,
    /// When the ciphertext behind the plaintext not yet handed out arrived.
    at: Option<Instant>,
}

fn tls_error(e: rustls::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("TLS: {e}"))
}

impl TlsStream {
    /// Runs the handshake on a connected socket.
    pub(crate) async fn handshake(
        tcp: &TcpStream,
        session: ClientConnection,
    ) -> io::Result<TlsStream> {
        let mut tls = TlsStream {
            session,
            raw: vec![MaybeUninit::uninit(); RAW_BYTES].into_boxed_slice(),
            at: None,
        };
        while tls.session.is_handshaking() {
            tls.flush(tcp).await?;
            if !tls.session.wants_read() && !tls.session.wants_write() {
                return Err(io::Error::other("the TLS handshake stalled"));
            }
            if tls.session.wants_read() {
                let n = std::future::poll_fn(|cx| tls.poll_ciphertext(tcp, cx)).await?;
                if n == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the server closed the connection during the TLS handshake",
                    ));
                }
            }
        }
        tls.flush(tcp).await?;
        Ok(tls)
    }

    /// Hands `plain` to the session; the ciphertext leaves with the next flush.
    pub(crate) fn put(&mut self, plain: &[u8]) -> io::Result<()> {
        self.session.writer().write_all(plain)
    }

    /// Writes what the socket takes of the pending ciphertext now, without waiting; true when
    /// nothing is left.
    pub(crate) fn try_flush(&mut self, tcp: &TcpStream) -> io::Result<bool> {
        while self.session.wants_write() {
            match self.session.write_tls(&mut TryWriter(tcp)) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) => return Err(e),
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(_) => {}
            }
        }
        Ok(true)
    }

    /// Writes all pending ciphertext.
    pub(crate) async fn flush(&mut self, tcp: &TcpStream) -> io::Result<()> {
        while !self.try_flush(tcp)? {
            tcp.writable().await?;
        }
        Ok(())
    }

    /// Reads plaintext into `buf`: 0 at the end of the stream. Ready with the stamp of the
    /// socket read that brought it.
    pub(crate) fn poll_read(
        &mut self,
        tcp: &TcpStream,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, Option<Instant>)>> {
        loop {
            match self.session.reader().read(buf) {
                Ok(n) => return Poll::Ready(Ok((n, self.at))),
                // No close_notify: many servers just close; the HTTP framing tells a cut body.
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    return Poll::Ready(Ok((0, self.at)))
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
            if ready!(self.poll_ciphertext(tcp, cx))? == 0 {
                return Poll::Ready(Ok((0, self.at)));
            }
            // Alerts and key updates may need an answer; a full socket leaves it for later.
            let _ = self.try_flush(tcp);
        }
    }

    /// Reads ciphertext once and decrypts what it completes: the bytes read.
    fn poll_ciphertext(
        &mut self,
        tcp: &TcpStream,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<usize>> {
        let (n, at) = ready!(ossperf_rxstamp::poll_read(tcp, cx, &mut self.raw))?;
        let now = Instant::now();
        self.at = Some(at.map_or(now, |at| at.min(now)));
        #[allow(unsafe_code)]
        // SAFETY: the receive initialised the first `n` bytes.
        let mut read: &[u8] = unsafe { std::slice::from_raw_parts(self.raw.as_ptr().cast(), n) };
        if n == 0 {
            // Tells the session the stream ended.
            self.session.read_tls(&mut read)?;
        }
        while !read.is_empty() {
            self.session.read_tls(&mut read)?;
            self.session.process_new_packets().map_err(tls_error)?;
        }
        Poll::Ready(Ok(n))
    }
}

/// Writes to a socket without waiting (`WouldBlock` when it is full).
struct TryWriter<'a>(&'a TcpStream);

impl Write for TryWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.try_write(buf)
    }
    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        self.0.try_write_vectored(bufs)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
