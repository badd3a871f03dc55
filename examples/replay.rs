//! The write floor: how long the kernel takes to create a built site's files, with nothing
//! else to do.
//!
//! ```sh
//! cargo run --release --example replay -- SITE OUT
//! ```
//!
//! Lists every file of the built site `SITE` with its size, then writes the same tree (as
//! many bytes per file, taken from one buffer that stays in the CPU's cache, as a build's
//! freshly made page does) into the new folder `OUT` on rayon's threads (one per core), with
//! the system calls `refwiki build` makes for each file into an empty folder: `mkdirat` for each folder, `openat`, `write` and `close` for each
//! file, relative to the open output folder. It prints the wall time and the process's user
//! and system CPU time of the writing alone. A build into an empty folder can take no less;
//! BENCHMARKS.md sets it against the build's own time.

use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::time::Instant;

use rayon::prelude::*;
use rustix::fs::{Mode, OFlags};

/// The process's user and system CPU time so far, in seconds.
fn cpu() -> (f64, f64) {
    // SAFETY: `getrusage` only writes the struct it is given.
    let u = unsafe {
        let mut u = std::mem::zeroed::<libc::rusage>();
        libc::getrusage(libc::RUSAGE_SELF, &mut u);
        u
    };
    let s = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (s(u.ru_utime), s(u.ru_stime))
}

fn main() -> std::io::Result<()> {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [site, out] = args.as_slice() else {
        eprintln!("usage: replay SITE OUT   (OUT must not exist)");
        std::process::exit(2);
    };
    let mut dirs = Vec::new();
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(site).min_depth(1).sort_by_file_name() {
        let entry = entry?;
        let rel = entry.path().strip_prefix(site).unwrap_or(entry.path());
        let rel = rel.as_os_str().as_bytes().to_vec();
        if entry.file_type().is_dir() {
            dirs.push(rel);
        } else if entry.file_type().is_file() {
            files.push((rel, entry.metadata()?.len() as usize));
        }
    }
    let bytes: usize = files.iter().map(|(_, n)| n).sum();
    // Larger files are written in pieces of this size, as `refwiki build` streams `wiki.json`.
    let buffer: Vec<u8> = (0..1 << 16).map(|i| b'a' + (i % 26) as u8).collect();
    std::fs::create_dir(out)?;
    let folder = rustix::fs::open(out, OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())?;
    let (u0, s0) = cpu();
    let t = Instant::now();
    // Folders by depth, each depth in parallel: a folder's parent exists before it.
    let depth = |d: &Vec<u8>| d.iter().filter(|&&b| b == b'/').count();
    let deepest = dirs.iter().map(depth).max().unwrap_or(0);
    for level in 0..=deepest {
        dirs.par_iter()
            .filter(|d| depth(d) == level)
            .try_for_each(|d| {
                rustix::fs::mkdirat(&folder, d.as_slice(), Mode::from_raw_mode(0o777))
            })?;
    }
    files
        .par_iter()
        .try_for_each(|(rel, n)| -> std::io::Result<()> {
            let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC | OFlags::CLOEXEC;
            let fd =
                rustix::fs::openat(&folder, rel.as_slice(), flags, Mode::from_raw_mode(0o666))?;
            let mut left = *n;
            while left > 0 {
                left -= rustix::io::write(&fd, &buffer[..left.min(buffer.len())])?;
            }
            Ok(())
        })?;
    let wall = t.elapsed().as_secs_f64();
    let (u1, s1) = cpu();
    println!(
        "{} files, {} folders, {:.0} MB: {wall:.2} s wall, {:.2} s user, {:.2} s system, {} threads",
        files.len(),
        dirs.len(),
        bytes as f64 / 1e6,
        u1 - u0,
        s1 - s0,
        rayon::current_num_threads()
    );
    Ok(())
}
