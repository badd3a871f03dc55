//! The dev server under stress: many concurrent clients while rebuilds run, edit storms, many
//! edit/reload cycles, many live-reload subscribers, idle connections and oversize requests.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::harness::Site;
use crate::serve::{get, get_host, serve, Events};

fn edit_loop(page: &Path, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<usize> {
    let page = page.to_path_buf();
    std::thread::spawn(move || {
        let original = std::fs::read_to_string(&page).unwrap();
        let mut n = 0;
        while !stop.load(Ordering::SeqCst) {
            std::fs::write(
                &page,
                original.replace("in 2001.", &format!("in 2001 (edit {n}).")),
            )
            .unwrap();
            n += 1;
            std::thread::sleep(Duration::from_millis(150));
        }
        n
    })
}

#[test]
fn fifty_concurrent_clients_for_thirty_seconds_while_rebuilds_run_see_no_errors() {
    let site = Site::fixture("fixtures/basic");
    let srv = serve(&site, &[]);
    let port = srv.port;
    let stop = Arc::new(AtomicBool::new(false));
    let editor = edit_loop(&site.dir.join("content/people/jane-roe.md"), stop.clone());
    let ok = Arc::new(AtomicUsize::new(0));
    let bad = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(30);
    let clients: Vec<_> = (0..50)
        .map(|i| {
            let (ok, bad) = (ok.clone(), bad.clone());
            std::thread::spawn(move || {
                let paths = [
                    "/",
                    "/people/jane-roe/",
                    "/sources/src/",
                    "/groups/alpha-group/",
                    "/style.css",
                    "/wiki.json",
                ];
                let mut k = i;
                while Instant::now() < deadline {
                    let (code, _) =
                        get_host(port, paths[k % paths.len()], &format!("localhost:{port}"));
                    if code == 200 {
                        ok.fetch_add(1, Ordering::SeqCst)
                    } else {
                        bad.fetch_add(1, Ordering::SeqCst)
                    };
                    k += 1;
                }
            })
        })
        .collect();
    for c in clients {
        c.join().unwrap();
    }
    stop.store(true, Ordering::SeqCst);
    let edits = editor.join().unwrap();
    let (ok, bad) = (ok.load(Ordering::SeqCst), bad.load(Ordering::SeqCst));
    eprintln!("{ok} responses in 30 s from 50 clients during {edits} edits; {bad} non-200");
    assert_eq!(bad, 0);
    assert!(ok > 3000, "{ok}");
}

#[test]
fn two_hundred_edits_in_two_seconds_end_identical_to_a_clean_build() {
    let site = Site::fixture("fixtures/basic");
    let srv = serve(&site, &[]);
    let mut ev = Events::open(&srv);
    let pages = [
        "content/people/jane-roe.md",
        "content/groups/alpha-group.md",
        "content/events/beta-meeting.md",
    ];
    let originals: Vec<String> = pages.iter().map(|p| site.read(p)).collect();
    let t = Instant::now();
    for i in 0..200 {
        let k = i % pages.len();
        let text = match k {
            0 => originals[0].replace("in 2001.", &format!("in 2001 ({i}).")),
            1 => originals[1].replace(
                "summary: A group founded in 2001.",
                &format!("summary: A group ({i})."),
            ),
            _ => originals[2].replace(
                "The meeting took place in 2010",
                &format!("The meeting took place in 2010 ({i})"),
            ),
        };
        site.write(pages[k], text);
        std::thread::sleep(Duration::from_millis(10));
    }
    // The premise (a burst of saves, faster than rebuilds) with room for a loaded machine:
    // the 200 sleeps alone take 2 s.
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    // Wait until the server has caught up with the last save.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !get(&srv, "/people/jane-roe/").1.contains("(198)") {
        assert!(Instant::now() < deadline, "the last save never showed up");
        let _ = ev.next(Duration::from_millis(500));
    }
    while ev.next(Duration::from_millis(1000)).is_some() {}
    assert_eq!(site.run(&["build"]).code, 0);
    for (path, bytes) in site.tree("public") {
        if path.starts_with('.') {
            continue;
        }
        let url = format!("/{}", path.strip_suffix("index.html").unwrap_or(&path));
        let (code, body) = get(&srv, &url);
        assert_eq!(code, 200, "{url}");
        let served = body.replace("<script src=\"/__refwiki/live.js\" defer></script>\n", "");
        assert_eq!(served, String::from_utf8_lossy(&bytes), "{url}");
    }
}

#[test]
fn a_hundred_edit_reload_cycles_never_serve_a_non_200() {
    let site = Site::fixture("fixtures/basic");
    let srv = serve(&site, &[]);
    let mut ev = Events::open(&srv);
    let page = site.dir.join("content/people/jane-roe.md");
    let original = std::fs::read_to_string(&page).unwrap();
    for i in 0..100 {
        std::fs::write(
            &page,
            original.replace("in 2001.", &format!("in 2001 (cycle {i}).")),
        )
        .unwrap();
        let urls = ev.expect("reload");
        assert!(urls.contains("/people/jane-roe/"), "{urls}");
        let (code, body) = get(&srv, "/people/jane-roe/");
        assert_eq!(code, 200, "cycle {i}");
        assert!(body.contains(&format!("(cycle {i})")), "cycle {i}");
        for other in ["/", "/groups/alpha-group/", "/style.css"] {
            assert_eq!(get(&srv, other).0, 200, "cycle {i} {other}");
        }
    }
}

#[test]
fn fifty_live_reload_clients_each_get_one_event_per_build() {
    let site = Site::fixture("fixtures/basic");
    let srv = serve(&site, &[]);
    let mut clients: Vec<Events> = (0..50).map(|_| Events::open(&srv)).collect();
    let page = site.dir.join("content/people/jane-roe.md");
    let original = std::fs::read_to_string(&page).unwrap();
    for round in 0..3 {
        std::fs::write(
            &page,
            original.replace("in 2001.", &format!("in 2001 (round {round}).")),
        )
        .unwrap();
        for (i, c) in clients.iter_mut().enumerate() {
            let urls = c.expect("reload");
            assert!(
                urls.contains("/people/jane-roe/"),
                "client {i} round {round}: {urls}"
            );
        }
        // Exactly one: nothing else arrives for this build.
        for (i, c) in clients.iter_mut().enumerate().take(5) {
            assert!(
                c.next(Duration::from_millis(300)).is_none(),
                "client {i} got a second event in round {round}"
            );
        }
    }
}

#[test]
fn idle_connections_oversize_requests_and_header_floods_are_bounded() {
    let site = Site::fixture("fixtures/basic");
    let srv = serve(&site, &[]);
    // 1,000 idle connections (raise this process's own limit first).
    #[cfg(unix)]
    unsafe {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
        lim.rlim_cur = lim.rlim_max.min(65_536);
        libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
    }
    let idle: Vec<TcpStream> = (0..1000)
        .filter_map(|_| TcpStream::connect(("127.0.0.1", srv.port)).ok())
        .collect();
    assert!(idle.len() >= 900, "{} idle connections opened", idle.len());
    let t = Instant::now();
    assert_eq!(get(&srv, "/").0, 200);
    assert!(
        t.elapsed() < Duration::from_secs(1),
        "a fresh request took {:?}",
        t.elapsed()
    );
    drop(idle);

    // A 64 KiB request line.
    let long = format!("/{}", "a".repeat(64 * 1024));
    let (code, _) = get(&srv, &long);
    assert!(code == 414 || code == 431, "{code}");

    // A flood of headers.
    let mut s = TcpStream::connect(("127.0.0.1", srv.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut req = format!("GET / HTTP/1.1\r\nHost: localhost:{}\r\n", srv.port);
    for i in 0..2000 {
        req.push_str(&format!("X-Flood-{i}: {}\r\n", "v".repeat(40)));
    }
    req.push_str("Connection: close\r\n\r\n");
    let _ = s.write_all(req.as_bytes());
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let head = String::from_utf8_lossy(&buf);
    assert!(
        head.starts_with("HTTP/1.1 431") || head.is_empty(),
        "{}",
        head.lines().next().unwrap_or("")
    );
    assert_eq!(get(&srv, "/").0, 200, "the server is still answering");
}
