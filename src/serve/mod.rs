//! `refwiki serve` and `refwiki build --watch`: build, watch, rebuild incrementally, and (for
//! serve) push live reloads. All state lives in a [`Session`] and an `http::Shared` owned by
//! [`run`]; there is no global.

pub mod http;
pub mod watch;

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::diag::Format;
use crate::session::{url_of, Changes, Outcome, Session};

/// Options of `refwiki serve`.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Wiki root.
    pub root: PathBuf,
    /// Address to bind.
    pub bind: IpAddr,
    /// Port (0 = any free port).
    pub port: u16,
    /// Open a browser.
    pub open: bool,
    /// Poll instead of native events.
    pub poll: bool,
}

/// Quiet time that ends a batch of file events.
const QUIET: Duration = Duration::from_millis(20);

fn report(outcome: &Result<Outcome>, started: Instant) -> Option<String> {
    match outcome {
        Ok(o) if o.site.is_some() => {
            eprint!("{}", o.diagnostics.render(Format::Human));
            eprintln!(
                "rebuilt in {} ms: {} page(s) rendered, {} changed",
                started.elapsed().as_millis(),
                o.rendered,
                o.changed.len()
            );
            None
        }
        Ok(o) => {
            let text = o.diagnostics.render(Format::Human);
            eprint!("{text}");
            eprintln!(
                "build failed after {} ms; the last good site is kept",
                started.elapsed().as_millis()
            );
            Some(text)
        }
        Err(e) => {
            let text = format!("error: {e:#}\n");
            eprint!("{text}");
            Some(text)
        }
    }
}

/// Lets the server hold many idle connections (browsers keep SSE streams open): raises the
/// soft open-file limit to the hard one, capped at 65 536.
fn raise_fd_limit() {
    #[cfg(unix)]
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
    unsafe {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 {
            lim.rlim_cur = lim.rlim_max.min(65_536);
            let _ = libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

/// Runs the development server until the process is stopped.
pub fn run(opts: ServeOptions) -> Result<()> {
    raise_fd_limit();
    let root = crate::fsx::canonicalize(&opts.root)?;
    if !opts.bind.is_loopback() {
        eprintln!(
            "warning: serving on {} makes the preview reachable from other machines",
            opts.bind
        );
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("failed to start the async runtime")?;
    let std_listener = std::net::TcpListener::bind(SocketAddr::new(opts.bind, opts.port))
        .with_context(|| format!("failed to bind {}:{}", opts.bind, opts.port))?;
    std_listener.set_nonblocking(true)?;
    let addr = std_listener.local_addr()?;
    let mut hosts = vec![
        format!("localhost:{}", addr.port()),
        format!("127.0.0.1:{}", addr.port()),
        format!("[::1]:{}", addr.port()),
    ];
    if !opts.bind.is_loopback() && !opts.bind.is_unspecified() {
        hosts.push(addr.to_string());
    }
    let shared = http::Shared::new(hosts, !opts.bind.is_loopback());
    let generation_base = std::process::id() as u64 * 1_000_000;

    // Watch before the first build, so a save made while it runs is not lost.
    let (tx, rx) = mpsc::channel();
    let _watcher = watch::start(&root, opts.poll, tx)?;
    let mut session = Session::new(&root, Some("/".into()));
    let started = Instant::now();
    let first = session.rebuild(&Changes::everything());
    finish_data(&mut session);
    let error = report(&first, started);
    {
        let mut st = shared.status.write().expect("status lock");
        st.site = session.site();
        st.error = error;
        st.generation = generation_base + 1;
    }

    let app = http::router(shared.clone());
    rt.spawn(async move {
        let listener = tokio::net::TcpListener::from_std(std_listener).expect("listener");
        if let Err(e) = axum::serve(listener, app).await {
            eprintln!("error: the server stopped: {e}");
        }
    });
    let url = if addr.ip().is_loopback() || addr.ip().is_unspecified() {
        format!("http://localhost:{}/", addr.port())
    } else {
        format!("http://{addr}/")
    };
    println!("serving {} at {url}", root.display());
    if opts.open {
        let _ = std::process::Command::new("xdg-open").arg(&url).spawn();
    }

    let mut generation = generation_base + 1;
    while let Some(changes) = watch::next_batch(&rx, QUIET) {
        let started = Instant::now();
        // A body edit of one page: that page first, then everything else.
        if let Some(path) = session.preview(&changes) {
            let mut st = shared.status.write().expect("status lock");
            go_live(
                &shared,
                &mut st,
                &mut generation,
                session.site(),
                std::slice::from_ref(&path),
            );
            eprintln!(
                "previewed {} in {} ms",
                url_of(&path),
                started.elapsed().as_millis()
            );
        }
        // Any other edit: the edited pages as soon as they are rendered, then the rest.
        let outcome = session.rebuild_early(&changes, &mut |paths, site| {
            let mut st = shared.status.write().expect("status lock");
            st.error = None;
            go_live(&shared, &mut st, &mut generation, site, paths);
        });
        let error = report(&outcome, started);
        {
            let mut st = shared.status.write().expect("status lock");
            match (&outcome, error) {
                (Ok(o), None) => {
                    let was_broken = st.error.take().is_some();
                    // Nothing to tell a browser when nothing changed, unless it shows an overlay.
                    if !o.changed.is_empty() || was_broken {
                        go_live(
                            &shared,
                            &mut st,
                            &mut generation,
                            session.site(),
                            &o.changed,
                        );
                    } else {
                        st.site = session.site();
                    }
                }
                (_, Some(text)) => {
                    st.error = Some(text.clone());
                    let _ = shared.tx.send(http::Message::Error(text));
                }
                (Err(_), None) => unreachable!("report returns text for errors"),
            }
        }
        // The pages are live; now the files that depend on all of them (search index,
        // wiki.json, sitemap, feed), which no open page waits for: no event, one per build.
        if outcome.as_ref().is_ok_and(|o| o.site.is_some()) && finish_data(&mut session) {
            shared.status.write().expect("status lock").site = session.site();
        }
    }
    Ok(())
}

/// Brings the data files up to date ([`Session::finish_data`]), printing what stopped it;
/// returns whether any changed.
fn finish_data(session: &mut Session) -> bool {
    match session.finish_data() {
        Ok(changed) => !changed.is_empty(),
        Err(e) => {
            eprintln!("error: {e:#}");
            false
        }
    }
}

/// Puts `site` live as a new build generation and tells every open page which output paths
/// changed (a `reload` event with their URLs).
fn go_live(
    shared: &http::Shared,
    st: &mut http::Status,
    generation: &mut u64,
    site: std::sync::Arc<crate::session::SiteFiles>,
    paths: &[String],
) {
    st.site = site;
    *generation += 1;
    st.generation = *generation;
    let urls: Vec<String> = paths.iter().map(|p| url_of(p)).collect();
    let _ = shared.tx.send(http::Message::Reload(
        serde_json::to_string(&urls).expect("urls serialise"),
    ));
}

/// `refwiki build --watch`: rebuild to disk after every change, never stopping on errors.
pub fn watch_build(root: &Path, out: &Path, base_url: Option<String>, poll: bool) -> Result<()> {
    let root = crate::fsx::canonicalize(root)?;
    let out = crate::write::check_out_dir(&root, out)?;
    let mut session = Session::new(&root, base_url);
    let (tx, rx) = mpsc::channel();
    let _watcher = watch::start(&root, poll, tx)?;
    let mut changes = Changes::everything();
    loop {
        let started = Instant::now();
        let outcome = session.rebuild(&changes);
        if outcome.as_ref().is_ok_and(|o| o.site.is_some()) {
            finish_data(&mut session);
        }
        if let Ok(o) = &outcome {
            if o.site.is_some() {
                let site = session.site();
                let files: Vec<crate::render::OutputFile> = site
                    .iter()
                    .map(|(p, b)| crate::render::OutputFile {
                        path: p.clone(),
                        bytes: b.to_vec(),
                    })
                    .collect();
                crate::write::write_site(&out, &files)?;
            }
        }
        report(&outcome, started);
        eprintln!("watching {} for changes", root.display());
        match watch::next_batch(&rx, QUIET) {
            Some(c) => changes = c,
            None => return Ok(()),
        }
    }
}
