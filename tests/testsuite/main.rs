//! The one integration-test binary. Every test drives the real `refwiki` binary on a fixture
//! wiki copied into a temporary folder (see `harness.rs`), the way an editor or CI would.
//! See `tests/README.md` for how to add a fixture or update snapshots.

mod bad_inputs;
mod browser;
mod build;
mod diagnostics;
mod hardening;
mod harness;
mod incremental;
mod preview;
mod properties;
mod publish;
mod serve;
mod stress;
