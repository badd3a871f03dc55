//! `refwiki serve` end to end: a real server on port 0 against a fixture copy, driven over
//! plain TCP (HTTP/1.1 requests and the Server-Sent Events stream), the way a browser would.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::Site;

pub(crate) struct Server {
    child: Child,
    pub(crate) port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn serve(site: &Site, extra: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_refwiki"))
        .arg("--root")
        .arg(&site.dir)
        .args(["serve", "--port", "0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .rsplit(':')
        .next()
        .unwrap()
        .trim()
        .trim_end_matches('/')
        .parse()
        .unwrap_or_else(|_| panic!("{line}"));
    Server { child, port }
}

/// One HTTP/1.1 request; returns status and body.
pub(crate) fn get_host(port: u16, path: &str, host: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap();
    let text = String::from_utf8_lossy(&buf).to_string();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

pub(crate) fn get(srv: &Server, path: &str) -> (u16, String) {
    get_host(srv.port, path, &format!("localhost:{}", srv.port))
}

/// A Server-Sent Events subscription.
pub(crate) struct Events {
    reader: BufReader<TcpStream>,
}

impl Events {
    pub(crate) fn open(srv: &Server) -> Events {
        let mut s = TcpStream::connect(("127.0.0.1", srv.port)).unwrap();
        write!(
            s,
            "GET /__refwiki/events HTTP/1.1\r\nHost: localhost:{}\r\n\r\n",
            srv.port
        )
        .unwrap();
        let mut ev = Events {
            reader: BufReader::new(s),
        };
        let (name, _) = ev.next(Duration::from_secs(10)).expect("hello event");
        assert_eq!(name, "hello");
        ev
    }

    /// The next event (name, data) within `timeout`, or `None`.
    pub(crate) fn next(&mut self, timeout: Duration) -> Option<(String, String)> {
        self.reader
            .get_ref()
            .set_read_timeout(Some(timeout))
            .unwrap();
        let deadline = Instant::now() + timeout;
        let (mut name, mut data) = (String::new(), Vec::new());
        loop {
            if Instant::now() > deadline {
                return None;
            }
            let mut line = String::new();
            match self.reader.read_line(&mut line) {
                Ok(0) | Err(_) => return None,
                Ok(_) => {}
            }
            let line = line.trim_end_matches(['\r', '\n']);
            if let Some(n) = line
                .strip_prefix("event: ")
                .or_else(|| line.strip_prefix("event:"))
            {
                name = n.to_string();
            } else if let Some(d) = line
                .strip_prefix("data: ")
                .or_else(|| line.strip_prefix("data:"))
            {
                data.push(d.to_string());
            } else if line.is_empty() && !name.is_empty() {
                return Some((name, data.join("\n")));
            }
        }
    }

    /// Waits for the next event named `want`, skipping keep-alives.
    pub(crate) fn expect(&mut self, want: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Some((name, data)) = self.next(Duration::from_secs(20)) {
                if name == want {
                    return data;
                }
                panic!("expected `{want}`, got `{name}`: {data}");
            }
        }
        panic!("no `{want}` event");
    }

    /// Asserts that no event arrives for `d`.
    fn quiet(&mut self, d: Duration) {
        if let Some((name, data)) = self.next(d) {
            panic!("unexpected `{name}` event: {data}");
        }
    }
}

fn edit(path: &Path, from: &str, to: &str) {
    let t = std::fs::read_to_string(path).unwrap();
    assert!(t.contains(from), "{from}");
    std::fs::write(path, t.replace(from, to)).unwrap();
}

#[test]
fn edit_reload_error_overlay_and_recovery() {
    let site = Site::fixture("fixtures/basic");
    let srv = serve(&site, &[]);
    let (code, body) = get(&srv, "/people/jane-roe/");
    assert_eq!(code, 200);
    assert!(body.contains("/__refwiki/live.js"));
    let mut ev = Events::open(&srv);

    let page = site.dir.join("content/people/jane-roe.md");
    edit(
        &page,
        "founded [[Alpha Group]] in 2001.",
        "founded [[Alpha Group]] in 2001 (edited).",
    );
    let urls = ev.expect("reload");
    assert!(urls.contains("\"/people/jane-roe/\""), "{urls}");
    assert!(get(&srv, "/people/jane-roe/").1.contains("(edited)"));

    edit(&page, "(edited).", "(edited) [[Nobody]].");
    let err = ev.expect("error");
    assert!(
        err.contains("content/people/jane-roe.md:19:") && err.contains("error[broken-link]"),
        "{err}"
    );
    let (code, body) = get(&srv, "/people/jane-roe/");
    assert_eq!(code, 200, "the last good page stays up");
    assert!(body.contains("(edited)") && !body.contains("Nobody"));

    // The fix restores the last good output: the reload event (which clears the overlay) says
    // no page changed.
    edit(&page, " [[Nobody]]", "");
    assert_eq!(ev.expect("reload"), "[]");
}

#[test]
fn editor_save_patterns_each_rebuild_and_swap_files_are_ignored() {
    let site = Site::fixture("fixtures/basic");
    let srv = serve(&site, &[]);
    let mut ev = Events::open(&srv);
    let dir = site.dir.join("content/people");
    let page = dir.join("jane-roe.md");
    let original = std::fs::read_to_string(&page).unwrap();
    let with = |tag: &str| original.replace("in 2001.", &format!("in 2001 ({tag})."));

    // Swap, backup and lock files: no rebuild at all.
    for noise in [".jane-roe.md.swp", "jane-roe.md~", ".#jane-roe.md", "4913"] {
        std::fs::write(dir.join(noise), "junk").unwrap();
        std::fs::remove_file(dir.join(noise)).unwrap();
    }
    ev.quiet(Duration::from_millis(800));

    // Write to a temp file, rename over.
    std::fs::write(dir.join("jane-roe.md.tmp"), with("rename-over")).unwrap();
    std::fs::rename(dir.join("jane-roe.md.tmp"), &page).unwrap();
    ev.expect("reload");
    assert!(get(&srv, "/people/jane-roe/").1.contains("(rename-over)"));

    // vim: rename the original away, write a new file, delete the backup.
    std::fs::rename(&page, dir.join("jane-roe.md~")).unwrap();
    std::fs::write(&page, with("vim")).unwrap();
    std::fs::remove_file(dir.join("jane-roe.md~")).unwrap();
    ev.expect("reload");
    assert!(get(&srv, "/people/jane-roe/").1.contains("(vim)"));

    // JetBrains safe write.
    std::fs::write(dir.join("jane-roe.md___jb_tmp___"), with("jetbrains")).unwrap();
    std::fs::rename(&page, dir.join("jane-roe.md___jb_old___")).unwrap();
    std::fs::rename(dir.join("jane-roe.md___jb_tmp___"), &page).unwrap();
    std::fs::remove_file(dir.join("jane-roe.md___jb_old___")).unwrap();
    ev.expect("reload");
    assert!(get(&srv, "/people/jane-roe/").1.contains("(jetbrains)"));

    // Truncate and write in place.
    std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&page)
        .unwrap()
        .write_all(with("in-place").as_bytes())
        .unwrap();
    ev.expect("reload");
    assert!(get(&srv, "/people/jane-roe/").1.contains("(in-place)"));
}

#[test]
fn new_deleted_and_renamed_pages_and_folders() {
    let site = Site::fixture("fixtures/basic");
    let srv = serve(&site, &[]);
    let mut ev = Events::open(&srv);
    let page = "+++\ntitle = \"Gamma\"\nkind = \"place\"\nsummary = \"A place.\"\n+++\n\nNear [[Jane Roe]].\n";
    std::fs::create_dir_all(site.dir.join("content/places/new/deeper")).unwrap();
    std::fs::write(site.dir.join("content/places/new/deeper/gamma.md"), page).unwrap();
    let urls = ev.expect("reload");
    assert!(urls.contains("/places/gamma/"), "{urls}");
    assert_eq!(get(&srv, "/places/gamma/").0, 200);

    std::fs::rename(
        site.dir.join("content/places/new/deeper/gamma.md"),
        site.dir.join("content/places/new/deeper/delta.md"),
    )
    .unwrap();
    ev.expect("reload");
    assert_eq!(get(&srv, "/places/gamma/").0, 404);
    assert_eq!(get(&srv, "/places/delta/").0, 200);

    std::fs::remove_dir_all(site.dir.join("content/places/new")).unwrap();
    ev.expect("reload");
    assert_eq!(get(&srv, "/places/delta/").0, 404);
}

#[test]
fn incremental_result_equals_a_clean_build() {
    let site = Site::fixture("fixtures/basic");
    let srv = serve(&site, &[]);
    let mut ev = Events::open(&srv);
    let jane = site.dir.join("content/people/jane-roe.md");
    edit(&jane, "title = \"Jane Roe\"", "title = \"Jane Q. Roe\"");
    ev.expect("reload");
    edit(
        &site.dir.join("content/groups/alpha-group.md"),
        "summary: A group founded in 2001.",
        "summary: A group.",
    );
    ev.expect("reload");
    edit(
        &site.dir.join("content/sources/src.md"),
        "The Beta meeting took place in 2010.",
        "The Beta meeting took place in 2010. Jane Q. Roe chaired it.",
    );
    ev.expect("reload");
    std::fs::create_dir_all(site.dir.join("templates")).unwrap();
    std::fs::write(
        site.dir.join("templates/list.html"),
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/list.html"))
            .unwrap()
            .replace("<h1>", "<h1 class=\"x\">"),
    )
    .unwrap();
    ev.expect("reload");

    // After the template change (which re-renders everything), edits whose effects reach other
    // pages only through citations: a source's byline and the text around a quote.
    edit(
        &site.dir.join("content/sources/src.md"),
        "author = \"A. Author\"",
        "author = \"B. Author\"",
    );
    ev.expect("reload");
    edit(
        &site.dir.join("content/sources/src.md"),
        "Jane Roe leads Alpha Group from Gao City.",
        "Jane Roe leads Alpha Group from Gao Town.",
    );
    ev.expect("reload");

    // Let the data files (search index, wiki.json, sitemap) catch up: wait for quiet.
    while ev.next(Duration::from_millis(1000)).is_some() {}
    assert_eq!(site.run(&["build"]).code, 0);
    let clean = site.tree("public");
    for (path, bytes) in &clean {
        if path.starts_with('.') {
            continue;
        }
        let url = format!("/{}", path.strip_suffix("index.html").unwrap_or(path));
        let (code, body) = get(&srv, &url);
        assert_eq!(code, 200, "{url}");
        let served = body.replace("<script src=\"/__refwiki/live.js\" defer></script>\n", "");
        assert_eq!(
            served,
            String::from_utf8_lossy(bytes),
            "{url} differs from a clean build"
        );
    }
}

#[test]
fn refuses_traversal_foreign_hosts_and_dotfiles() {
    let site = Site::fixture("fixtures/basic");
    let srv = serve(&site, &[]);
    for bad in [
        "/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/..%2f..%2fetc/passwd",
        "/%252e%252e/etc/passwd",
        "/.%2e/x",
        "/a%00b",
    ] {
        let (code, body) = get(&srv, bad);
        assert!(code == 400 || code == 404, "{bad}: {code}");
        assert!(!body.contains("root:"), "{bad}");
    }
    assert_eq!(get(&srv, "/.git/config").0, 404);
    assert_eq!(get_host(srv.port, "/", "attacker.example").0, 403);
    assert_eq!(
        get_host(srv.port, "/__refwiki/events", "attacker.example:80").0,
        403
    );
    let (code, body) = get(&srv, "/no/such/page/");
    assert_eq!(code, 404);
    assert!(body.contains("Page not found"));
}

#[test]
fn first_build_failure_still_serves_an_error_page_then_recovers() {
    let site = Site::fixture("fixtures/basic");
    site.write(
        "content/people/broken.md",
        "+++\ntitle = \"Broken <b>\"\nkind = \"person\"\n+++\n\n[[Nobody]] <script>x</script>\n",
    );
    let srv = serve(&site, &[]);
    let (code, body) = get(&srv, "/");
    assert_eq!(code, 503);
    assert!(
        body.contains("error[broken-link]") && body.contains("&lt;script&gt;"),
        "{body}"
    );
    let mut ev = Events::open(&srv);
    assert!(
        ev.expect("error").contains("error[broken-link]"),
        "a new tab learns the build is broken"
    );
    std::fs::remove_file(site.dir.join("content/people/broken.md")).unwrap();
    ev.expect("reload");
    assert_eq!(get(&srv, "/").0, 200);
}

#[test]
fn a_checkout_of_hundreds_of_files_gives_one_or_two_rebuilds_and_keeps_the_last_save() {
    let site = Site::fixture("fixtures/basic");
    let srv = serve(&site, &[]);
    let mut ev = Events::open(&srv);
    for i in 0..300 {
        site.write(
            &format!("content/places/p{i}.md"),
            format!("+++\ntitle = \"Place {i}\"\nkind = \"place\"\nsummary = \"s\"\n+++\n\nNear [[Jane Roe]].\n"),
        );
    }
    ev.expect("reload");
    let mut extra = 0;
    while ev.next(Duration::from_millis(1500)).is_some() {
        extra += 1;
    }
    assert!(extra <= 1, "{} rebuild events for one checkout", extra + 1);
    assert_eq!(get(&srv, "/places/p299/").0, 200);

    // A burst of saves to one file: the served page ends with the last one.
    let page = site.dir.join("content/people/jane-roe.md");
    let original = std::fs::read_to_string(&page).unwrap();
    for i in 0..40 {
        std::fs::write(
            &page,
            original.replace("in 2001.", &format!("in 2001 (save {i}).")),
        )
        .unwrap();
        std::thread::sleep(Duration::from_millis(5));
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if get(&srv, "/people/jane-roe/").1.contains("(save 39)") {
            break;
        }
        assert!(Instant::now() < deadline, "the last save was lost");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn poll_mode_sees_edits() {
    let site = Site::fixture("fixtures/basic");
    let srv = serve(&site, &["--poll"]);
    let mut ev = Events::open(&srv);
    // The poller takes its first snapshot in the background; an edit before that is the baseline.
    std::thread::sleep(Duration::from_millis(1000));
    edit(
        &site.dir.join("content/people/jane-roe.md"),
        "in 2001.",
        "in 2001 (polled).",
    );
    ev.expect("reload");
    assert!(get(&srv, "/people/jane-roe/").1.contains("(polled)"));
}

#[test]
fn build_watch_rewrites_the_output_folder() {
    let site = Site::fixture("fixtures/basic");
    let mut child = Command::new(env!("CARGO_BIN_EXE_refwiki"))
        .arg("--root")
        .arg(&site.dir)
        .args(["build", "--watch"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = site.dir.join("public/people/jane-roe/index.html");
    let wait_for = |needle: &str| {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !std::fs::read_to_string(&out)
            .map(|t| t.contains(needle))
            .unwrap_or(false)
        {
            assert!(Instant::now() < deadline, "{needle} never written");
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    wait_for("Jane Roe");
    edit(
        &site.dir.join("content/people/jane-roe.md"),
        "in 2001.",
        "in 2001 (watched).",
    );
    wait_for("(watched)");
    let _ = child.kill();
    let _ = child.wait();
}
