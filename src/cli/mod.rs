//! Command-line interface: one file per subcommand, each an `Args` struct plus `run`.

mod build;
mod check;
pub mod init;
pub mod new;
mod serve;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

/// refwiki: build and check reference wikis whose every claim cites an archived source.
#[derive(Debug, Parser)]
#[command(name = "refwiki", version, about, long_about = None)]
pub struct Cli {
    /// The wiki folder (holding `content/` and optionally `wiki.toml`).
    #[arg(long, global = true, default_value = ".")]
    pub root: PathBuf,
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the static site into the output folder.
    Build(build::Args),
    /// Check every link and citation without writing anything.
    Check(check::Args),
    /// Serve the wiki on localhost, rebuilding and reloading the browser on every save.
    Serve(serve::Args),
    /// Create a new wiki with a sample source and two cited pages.
    Init(init::Args),
    /// Create a new entity page with a front-matter skeleton.
    New(new::Args),
}

/// Parses `std::env::args` and runs the subcommand.
pub fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Build(a) => build::run(&cli.root, a),
        Command::Check(a) => check::run(&cli.root, a),
        Command::Serve(a) => serve::run(&cli.root, a),
        Command::Init(a) => init::run(&cli.root, a),
        Command::New(a) => new::run(&cli.root, a),
    }
}
