//! The `refwiki` binary: parse the command line, run it, print any operational error with its
//! cause chain, and exit 0 (clean), 1 (content errors) or 2 (operational failure).

use std::process::ExitCode;

// mimalloc: a build allocates many small strings from many threads; glibc's malloc spent a
// quarter of a 10k-entity build in its own bookkeeping (see BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    match refwiki::cli::run() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::from(2)
        }
    }
}
