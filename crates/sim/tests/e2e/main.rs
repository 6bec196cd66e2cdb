//! End-to-end tests of the simulator over real sockets, with a tiny std HTTP/1.1 client.
#![allow(clippy::unwrap_used, clippy::expect_used)] // helpers outside #[test] fns

mod answers;
mod faults;
mod http;
mod personalities;
mod protocol;
mod timing;
