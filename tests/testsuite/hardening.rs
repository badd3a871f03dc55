//! Build integrity under faults: builds killed at random moments, a disk that fills up, and
//! output folders that must never be touched. (Hostile input is covered in bad_inputs.rs.)

use std::process::Command;
use std::time::Duration;

use crate::harness::Site;

/// A copy of the shipped wiki: big enough that a build takes a while to kill.
fn shipped() -> Site {
    Site::shipped("hardening")
}

#[test]
fn builds_killed_at_random_moments_leave_the_old_or_the_new_site_whole() {
    let site = shipped();
    let page = "content/people/iyad-ag-ghaly.md";
    let a = site.read(page);
    let b = a.replace(
        "rebel turned jihadist who heads",
        "rebel turned jihadist (version B) who heads",
    );
    assert_ne!(a, b);
    assert_eq!(site.run(&["build"]).code, 0);
    let tree_a = site.tree("public");
    site.write(page, &b);
    let t = std::time::Instant::now();
    assert_eq!(site.run(&["build"]).code, 0);
    let build_time = t.elapsed().as_millis() as u64;
    let tree_b = site.tree("public");
    assert_ne!(tree_a, tree_b);

    // A fixed-seed generator for the kill moments: reproducible, spread over a whole build.
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut outcomes = [0usize; 2];
    for i in 0..20 {
        // Alternate the content, so every kill interrupts a build that changes the site.
        let (text, expected) = if i % 2 == 0 {
            (&a, &tree_a)
        } else {
            (&b, &tree_b)
        };
        site.write(page, text);
        let previous = site.tree("public");
        assert_ne!(&previous, expected);
        let mut child = Command::new(env!("CARGO_BIN_EXE_refwiki"))
            .arg("--root")
            .arg(&site.dir)
            .arg("build")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(next() % (build_time + 50)));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let after = site.tree("public");
        let whole_old = after == previous;
        assert!(
            whole_old || &after == expected,
            "kill {i}: public/ is neither the old nor the new site"
        );
        outcomes[usize::from(!whole_old)] += 1;
        // The next build succeeds and produces the new site.
        assert_eq!(site.run(&["build"]).code, 0, "build after kill {i}");
        assert_eq!(&site.tree("public"), expected);
    }
    eprintln!(
        "kills that left the old site: {}, the new one: {}",
        outcomes[0], outcomes[1]
    );
}

#[test]
fn a_full_disk_leaves_the_previous_site_intact_with_a_clear_error() {
    let site = Site::fixture("fixtures/basic");
    assert_eq!(site.run(&["build"]).code, 0);
    let before = site.tree("public");
    site.write(
        "content/people/jane-roe.md",
        site.read("content/people/jane-roe.md")
            .replace("in 2001.", "in 2001 (new)."),
    );
    let out = Command::new(env!("CARGO_BIN_EXE_refwiki"))
        .arg("--root")
        .arg(&site.dir)
        .arg("build")
        .env("REFWIKI_FAIL_WRITE_AFTER", "5")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("failed to write the site") && err.contains("No space left on device"),
        "{err}"
    );
    assert_eq!(site.tree("public"), before);
    assert!(!site.dir.join(".public.refwiki-staging").exists());
    // Space comes back: the next build writes the new site.
    assert_eq!(site.run(&["build"]).code, 0);
    assert!(site
        .read("public/people/jane-roe/index.html")
        .contains("(new)"));
}

#[test]
fn an_output_path_that_is_a_file_is_refused() {
    let site = Site::fixture("fixtures/basic");
    site.write("taken", "a file");
    let run = site.run(&["build", "--out", "taken"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("exists and is not a folder"),
        "{}",
        run.stderr
    );
    assert_eq!(site.read("taken"), "a file");
}
