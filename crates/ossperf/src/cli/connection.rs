//! How ossperf reaches real servers: https trust, an API key, extra headers, and how long to
//! wait for a server that is still loading. Shared by every subcommand that talks to one.

use std::path::PathBuf;

/// Arguments for reaching a server.
#[derive(Debug, Clone, Default, PartialEq, clap::Args)]
pub struct ConnectionArgs {
    /// API key, sent as `Authorization: Bearer KEY` on every request [default: `$OPENAI_API_KEY`]
    #[arg(long, value_name = "KEY", help_heading = "Server connection")]
    pub api_key: Option<String>,

    /// Extra header on every request, e.g. `X-Tenant:team-a`; repeatable
    #[arg(
        long = "header",
        value_name = "NAME:VALUE",
        help_heading = "Server connection"
    )]
    pub headers: Vec<String>,

    /// PEM file of a certificate authority trusted for https besides the system's; repeatable
    #[arg(
        long = "ca-cert",
        value_name = "FILE",
        help_heading = "Server connection"
    )]
    pub ca_certs: Vec<PathBuf>,

    /// Accept any https certificate (still encrypted, but the server is not authenticated)
    #[arg(long, help_heading = "Server connection")]
    pub insecure: bool,

    /// Wait up to this long for a server that is still loading (not listening, or 5xx)
    #[arg(long, value_name = "SECONDS", help_heading = "Server connection",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub wait_ready: Option<u64>,
}
