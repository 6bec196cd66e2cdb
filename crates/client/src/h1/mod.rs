//! A small HTTP/1.1 client transport, written for the hot path instead of hyper's.
//!
//! A request's task owns its connection from the write of the request to the last byte of the
//! answer: there is no connection task, no channel between the two, and each read is stamped
//! with the kernel's receive time by the code that parses it. Per connection it holds one
//! 8 KiB read buffer and nothing else (hyper held a further ~17 KB: its dispatch channel and
//! write buffer; docs/PERFORMANCE.md has the figures). What it speaks is what inference servers
//! answer: `Content-Length`, `chunked` and close-delimited bodies, keep-alive, `1xx` heads
//! skipped; requests are one `writev` of a prebuilt head and the body. https runs rustls over the
//! same reads (`tls`), so its pieces keep their receive stamps.

mod body;
mod conn;
mod head;
mod pool;
mod tls;

pub use body::check_http_response;
pub(crate) use body::{Body, Frame};
pub(crate) use conn::{Conn, ExchangeError};
pub(crate) use head::Head;
pub(crate) use pool::Pool;
pub(crate) use tls::Tls;
pub use tls::TlsOptions;
