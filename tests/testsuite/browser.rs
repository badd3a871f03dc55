//! End-to-end tests in headless Chromium (Debian's `chromium`, installed by `.ci/run`) against
//! `refwiki serve` on the shipped wiki, driven over the DevTools protocol from Rust.
//!
//! They check what a reader does: find entities by any spelling, preview a citation, follow it
//! to the highlighted words, switch to dark mode; that no page logs a console error or a CSP
//! violation; and that no request leaves localhost. Screenshots of the main page kinds at phone
//! and desktop sizes are saved under `target/screenshots/` for people to look at.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use headless_chrome::protocol::cdp::types::Event;
use headless_chrome::protocol::cdp::{Emulation, Network, Page};
use headless_chrome::{Browser, LaunchOptions, Tab};

use crate::harness::Site;
use crate::serve::{serve, Server};

/// A copy of the shipped wiki served on port 0.
fn serve_shipped() -> (Site, Server) {
    let site = Site::shipped("browser");
    let srv = serve(&site, &[]);
    (site, srv)
}

fn chromium() -> PathBuf {
    for p in [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ] {
        if Path::new(p).exists() {
            return PathBuf::from(p);
        }
    }
    panic!("no Chromium found: install Debian's `chromium` (the CI script does)");
}

fn browser() -> Browser {
    let args: Vec<&OsStr> = [
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-features=Translate,OptimizationHints,MediaRouter",
    ]
    .iter()
    .map(OsStr::new)
    .collect();
    Browser::new(
        LaunchOptions::default_builder()
            .path(Some(chromium()))
            .sandbox(false)
            .headless(true)
            .window_size(Some((1280, 900)))
            .args(args)
            .idle_browser_timeout(Duration::from_secs(120))
            .build()
            .unwrap(),
    )
    .unwrap()
}

/// Everything a tab reported that a reader should never see.
#[derive(Default, Debug)]
struct Problems {
    console: Vec<String>,
    requests: Vec<String>,
}

fn watch(tab: &Tab, port: u16) -> Arc<Mutex<Problems>> {
    let problems = Arc::new(Mutex::new(Problems::default()));
    tab.enable_log().unwrap();
    tab.enable_runtime().unwrap();
    tab.call_method(Network::Enable {
        max_total_buffer_size: None,
        max_resource_buffer_size: None,
        max_post_data_size: None,
        report_direct_socket_traffic: None,
        enable_durable_messages: None,
    })
    .unwrap();
    let p = problems.clone();
    let local = format!("http://localhost:{port}/");
    tab.add_event_listener(Arc::new(move |event: &Event| {
        let mut p = p.lock().unwrap_or_else(|e| e.into_inner());
        match event {
            Event::LogEntryAdded(e) => {
                let entry = &e.params.entry;
                if format!("{:?}", entry.level) == "Error" {
                    p.console
                        .push(format!("log: {} ({:?})", entry.text, entry.url));
                }
            }
            Event::RuntimeExceptionThrown(e) => p
                .console
                .push(format!("exception: {:?}", e.params.exception_details.text)),
            Event::RuntimeConsoleAPICalled(e) if format!("{:?}", e.params.Type) == "Error" => {
                p.console.push(format!(
                    "console.error: {:?}",
                    e.params.args.first().and_then(|a| a.value.clone())
                ));
            }
            Event::NetworkRequestWillBeSent(e) => {
                let url = &e.params.request.url;
                if !(url.starts_with(&local)
                    || url.starts_with("data:")
                    || url.starts_with("about:"))
                {
                    p.requests.push(url.clone());
                }
            }
            _ => {}
        }
    }))
    .unwrap();
    problems
}

fn open(tab: &Tab, url: &str) {
    tab.navigate_to(url)
        .unwrap()
        .wait_until_navigated()
        .unwrap();
}

fn eval_string(tab: &Tab, js: &str) -> String {
    match tab.evaluate(js, true).unwrap().value {
        Some(serde_json::Value::String(s)) => s,
        Some(v) => v.to_string(),
        None => String::new(),
    }
}

/// Waits until `js` evaluates to true.
fn wait_true(tab: &Tab, js: &str) {
    for _ in 0..100 {
        if eval_string(tab, js) == "true" {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out waiting for: {js}");
}

#[test]
fn reader_journeys_in_a_real_browser() {
    let (_site, srv) = serve_shipped();
    let base = format!("http://localhost:{}", srv.port);
    let browser = browser();
    let tab = browser.new_tab().unwrap();
    tab.set_default_timeout(Duration::from_secs(20));
    let problems = watch(&tab, srv.port);

    // 1. Search by any spelling: the right entity comes first.
    for (q, want) in [
        ("keita", "/people/ibrahim-boubacar-keita/"),
        ("Ghali", "/people/iyad-ag-ghaly/"),
        ("Murabitoon", "/groups/al-mourabitoun/"),
        ("Jamaat Nusrat", "/groups/jnim/"),
        ("Hamadoun", "/people/amadou-koufa/"),
        ("ag ghaly", "/people/iyad-ag-ghaly/"),
    ] {
        open(&tab, &format!("{base}/search/?q={}", q.replace(' ', "+")));
        wait_true(
            &tab,
            "document.getElementById('search-status').textContent.includes('results for')",
        );
        let first = eval_string(
            &tab,
            "new URL(document.querySelector('#search-results li a').href).pathname",
        );
        assert_eq!(first, want, "search for {q:?}");
    }
    // A passage hit links to #p<n>.
    open(&tab, &format!("{base}/search/?q=Tessalit"));
    wait_true(
        &tab,
        "document.getElementById('search-status').textContent.includes('results for')",
    );
    let hrefs = eval_string(&tab, "[...document.querySelectorAll('#search-results a')].map(a => a.getAttribute('href')).join(' ')");
    assert!(hrefs.contains("#p"), "{hrefs}");
    // Each text hit shows the words around its first match, the query's words marked (and a
    // word with an apostrophe, indexed without it, is found and marked whole).
    let marked = |q: &str| {
        open(&tab, &format!("{base}/search/?q={q}"));
        wait_true(
            &tab,
            "document.getElementById('search-status').textContent.includes('results for')",
        );
        eval_string(&tab, "[...document.querySelectorAll('#search-results .result-snippet mark')].map(m => m.textContent.toLowerCase()).join('|')")
    };
    let tessalit = marked("Tessalit");
    assert!(tessalit.split('|').any(|m| m == "tessalit"), "{tessalit}");
    let ouane = marked("Ouane+action+plan");
    for want in ["ouane’s", "action", "plan"] {
        assert!(
            ouane.split('|').any(|m| m.replace('\'', "’") == want),
            "{want}: {ouane}"
        );
    }

    // 2. The search box suggests while typing (prefix match).
    open(&tab, &format!("{base}/"));
    tab.wait_for_element("#search-box")
        .unwrap()
        .click()
        .unwrap();
    tab.type_str("Drouk").unwrap();
    wait_true(&tab, "!document.getElementById('search-suggestions').hidden && document.querySelector('#search-suggestions a') !== null");
    assert_eq!(
        eval_string(
            &tab,
            "new URL(document.querySelector('#search-suggestions a').href).pathname"
        ),
        "/people/abdelmalek-droukdel/"
    );

    // 3. A citation's preview shows its passage; following it lands on the highlighted words.
    open(&tab, &format!("{base}/people/iyad-ag-ghaly/"));
    tab.wait_for_element(".body sup.cite a")
        .unwrap()
        .focus()
        .unwrap();
    wait_true(&tab, "!!document.getElementById('preview-card') && !document.getElementById('preview-card').hidden");
    let card = eval_string(&tab, "document.getElementById('preview-card').textContent");
    assert!(
        card.contains("passage 34") && card.contains("born in 1954"),
        "{card}"
    );
    tab.wait_for_element(".body sup.cite a")
        .unwrap()
        .click()
        .unwrap();
    wait_true(
        &tab,
        "location.pathname.startsWith('/sources/') && document.querySelector('mark.hl') !== null",
    );
    let marked = eval_string(
        &tab,
        "[...document.querySelectorAll('mark.hl')].map(m => m.textContent).join('')",
    );
    assert_eq!(
        marked,
        "Iyad ag Ghaly (born in 1954) a Tuareg rebel turned jihadist, leads the coalition."
    );
    assert_eq!(eval_string(&tab, "location.hash"), "#p34");
    let visible = eval_string(&tab, "(() => { const r = document.querySelector('mark.hl').getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; })()");
    assert_eq!(visible, "true", "the quote is scrolled into view");

    // 4. A wikilink's preview shows the target's title, kind and summary.
    open(&tab, &format!("{base}/groups/jnim/"));
    tab.wait_for_element(".body a.wikilink")
        .unwrap()
        .focus()
        .unwrap();
    wait_true(
        &tab,
        "!!document.querySelector('#preview-card .preview-title')",
    );

    // 5. Dark mode toggles and persists.
    let bg = |tab: &Tab| eval_string(tab, "getComputedStyle(document.body).backgroundColor");
    let light = bg(&tab);
    tab.wait_for_element("#theme-toggle")
        .unwrap()
        .click()
        .unwrap();
    wait_true(&tab, "document.documentElement.dataset.theme === 'dark'");
    assert_ne!(bg(&tab), light);
    open(&tab, &format!("{base}/places/mali/"));
    assert_eq!(
        eval_string(&tab, "document.documentElement.dataset.theme"),
        "dark"
    );
    tab.wait_for_element("#theme-toggle")
        .unwrap()
        .click()
        .unwrap();
    wait_true(&tab, "document.documentElement.dataset.theme === 'light'");

    // 6. Timeline filter hides a kind.
    open(&tab, &format!("{base}/timeline/"));
    let before = eval_string(
        &tab,
        "document.querySelectorAll('.timeline li[data-kind]:not([hidden])').length",
    );
    tab.wait_for_element(".timeline-filter input[value=event]")
        .unwrap()
        .click()
        .unwrap();
    let after = eval_string(
        &tab,
        "document.querySelectorAll('.timeline li[data-kind]:not([hidden])').length",
    );
    assert!(
        after.parse::<u32>().unwrap() < before.parse::<u32>().unwrap(),
        "{before} → {after}"
    );

    let p = problems.lock().unwrap();
    assert!(p.console.is_empty(), "console errors: {:#?}", p.console);
    assert!(
        p.requests.is_empty(),
        "requests leaving localhost: {:#?}",
        p.requests
    );
}

#[test]
fn screenshots_of_the_main_page_kinds() {
    let (_site, srv) = serve_shipped();
    let base = format!("http://localhost:{}", srv.port);
    let browser = browser();
    let tab = browser.new_tab().unwrap();
    let problems = watch(&tab, srv.port);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let pages = [
        ("home", "/"),
        ("entity", "/groups/jnim/"),
        ("source", "/sources/enabling-dialogue-2021/?hl=0-80#p34"),
        ("search", "/search/?q=Koufa"),
        ("timeline", "/timeline/"),
        ("graph", "/graph/"),
        ("kind-index", "/people/"),
    ];
    for (size, (w, h, mobile)) in [("phone", (390, 844, true)), ("desktop", (1280, 900, false))] {
        tab.call_method(Emulation::SetDeviceMetricsOverride {
            width: w,
            height: h,
            device_scale_factor: 1.0,
            mobile,
            scale: None,
            screen_width: None,
            screen_height: None,
            position_x: None,
            position_y: None,
            dont_set_visible_size: None,
            screen_orientation: None,
            viewport: None,
            display_feature: None,
            device_posture: None,
        })
        .unwrap();
        for (name, url) in pages {
            open(&tab, &format!("{base}{url}"));
            if name == "search" {
                wait_true(
                    &tab,
                    "document.getElementById('search-status').textContent.includes('results for')",
                );
            }
            std::thread::sleep(Duration::from_millis(300));
            let png = tab
                .capture_screenshot(Page::CaptureScreenshotFormatOption::Png, None, None, true)
                .unwrap();
            assert!(
                png.len() > 10_000,
                "{name} {size}: screenshot too small to show a page"
            );
            std::fs::write(dir.join(format!("{name}-{size}.png")), png).unwrap();
        }
    }
    let p = problems.lock().unwrap();
    assert!(p.console.is_empty(), "console errors: {:#?}", p.console);
    assert!(
        p.requests.is_empty(),
        "requests leaving localhost: {:#?}",
        p.requests
    );
}
