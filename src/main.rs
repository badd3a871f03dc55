//! The `refwiki` binary: parse the command line, run it, print any operational error with its
//! cause chain, and exit 0 (clean), 1 (content errors) or 2 (operational failure).

use std::process::ExitCode;

// mimalloc: a build allocates many small strings from many threads; glibc's malloc spent a
// quarter of a 10k-entity build in its own bookkeeping (see BENCHMARKS.md).
// `--features system-alloc` keeps the system allocator, for heap profilers that interpose
// malloc (heaptrack; BENCHMARKS.md's memory profile).
#[cfg(not(feature = "system-alloc"))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc options (BENCHMARKS.md): without transparent huge pages the peak resident set of a
/// 10,000-entity build falls from about 430 to 340 MB, and the build is no slower (fewer 2 MiB
/// pages to zero on fault). Freed memory is returned after 100 ms (mimalloc's default is 10;
/// until the fourteenth session this was 2): a large wiki reads each body again, parses it and
/// lets it go, page after page, and a 2 ms delay handed that memory back to the kernel only to
/// fault it in again (100,000 entities: 19.3 → 17.1 s, peak 1.45 → 1.47 GB; 10,000: 1.40 →
/// 1.34 s, peak +12 MB). The numbers are `mi_option_e` values of the mimalloc v3 that
/// libmimalloc-sys 0.1.49 builds; a test pins that layout.
#[cfg(not(feature = "system-alloc"))]
mod allocator {
    pub const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    pub const ALLOW_THP: libmimalloc_sys::mi_option_t = 43;

    pub fn tune() {
        if std::env::var_os("MIMALLOC_ALLOW_THP").is_none() {
            // SAFETY: an option setter of the C allocator, with a valid option and value.
            unsafe { libmimalloc_sys::mi_option_set(ALLOW_THP, 0) };
            // mimalloc reserved its first arena before `main`; the process-wide switch also
            // covers the faults in it.
            #[cfg(target_os = "linux")]
            // SAFETY: prctl with PR_SET_THP_DISABLE takes plain integer arguments.
            unsafe {
                libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0)
            };
        }
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            // SAFETY: as above.
            unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 100) };
        }
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn option_numbers_are_those_of_the_linked_mimalloc() {
            // The option list these numbers were read from ends at 47.
            assert_eq!(libmimalloc_sys::_mi_option_last, 47);
            // SAFETY: option getters/setters with valid options.
            unsafe {
                libmimalloc_sys::mi_option_set(super::PURGE_DELAY, 7);
                assert_eq!(libmimalloc_sys::mi_option_get(super::PURGE_DELAY), 7);
            }
        }
    }
}

fn main() -> ExitCode {
    #[cfg(not(feature = "system-alloc"))]
    allocator::tune();
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
