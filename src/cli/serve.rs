//! `refwiki serve`: build into memory, serve on localhost, rebuild on every save, live reload.

use std::net::IpAddr;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;

use crate::serve::ServeOptions;

/// Arguments of `refwiki serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Port to listen on (0 picks a free one).
    #[arg(long, short, default_value_t = 1111)]
    pub port: u16,
    /// Address to bind; anything but loopback makes the preview reachable from other machines.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Open the site in a browser.
    #[arg(long)]
    pub open: bool,
    /// Poll the filesystem instead of using native file events.
    #[arg(long)]
    pub poll: bool,
}

/// Serves until stopped.
pub fn run(root: &Path, args: Args) -> Result<ExitCode> {
    crate::serve::run(ServeOptions {
        root: root.to_path_buf(),
        bind: args.bind,
        port: args.port,
        open: args.open,
        poll: args.poll,
    })?;
    Ok(ExitCode::SUCCESS)
}
