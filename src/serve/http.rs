//! The development HTTP server: the last good site from memory, live reload over Server-Sent
//! Events at `/__refwiki/events`, and the reload script at `/__refwiki/live.js`.
//!
//! Safety: the site is served from memory, so no request can reach the filesystem; paths with
//! `..`, `.`, backslashes, NUL or encoded separators are refused with 400, dotfiles are 404, and
//! a `Host` header that is not this server's loopback name is refused with 403 (DNS rebinding).

use std::convert::Infallible;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::{Stream, StreamExt};

use crate::session::SiteFiles;
use crate::text::escape_html;

/// The live-reload client.
pub const LIVE_JS: &str = include_str!("live.js");

const SCRIPT_TAG: &str = "<script src=\"/__refwiki/live.js\" defer></script>";

/// A message to every connected browser.
#[derive(Debug, Clone)]
pub enum Message {
    /// A rebuild succeeded: the changed URLs, as a JSON array.
    Reload(String),
    /// A rebuild failed: the diagnostics as text.
    Error(String),
}

/// What the server shows.
#[derive(Debug, Default)]
pub struct Status {
    /// The last good site (empty until a build succeeds).
    pub site: Arc<SiteFiles>,
    /// Diagnostics of the current broken build, if it is broken.
    pub error: Option<String>,
    /// Counts successful builds; a reconnecting page whose generation differs reloads.
    pub generation: u64,
}

/// State shared by the handlers and the rebuild loop.
pub struct Shared {
    /// Current status.
    pub status: RwLock<Status>,
    /// Broadcast of rebuild results.
    pub tx: broadcast::Sender<Message>,
    /// Host names (with port) browsers may use.
    pub hosts: Vec<String>,
    /// Bound to a non-loopback address: accept IP-literal hosts too.
    pub open: bool,
}

impl Shared {
    /// New shared state for a server reachable as `hosts`.
    pub fn new(hosts: Vec<String>, open: bool) -> Arc<Shared> {
        let (tx, _) = broadcast::channel(16);
        Arc::new(Shared {
            status: RwLock::new(Status::default()),
            tx,
            hosts,
            open,
        })
    }
}

/// The router.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/__refwiki/events", get(events))
        .route("/__refwiki/live.js", get(live_js))
        .fallback(get(page))
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            check_host,
        ))
        .with_state(shared)
}

/// Longest request target accepted (longer ones get 414).
pub const MAX_URI: usize = 8 * 1024;

/// Whether a `Host` header may reach this server: one of its loopback names, or (when it was
/// bound to a non-loopback address on purpose) any IP literal. DNS rebinding needs a domain
/// name, so IP literals are safe to accept.
pub fn host_allowed(allowed: &[String], open: bool, host: &str) -> bool {
    if allowed.iter().any(|h| h.eq_ignore_ascii_case(host)) {
        return true;
    }
    let bare = host.rsplit_once(':').map_or(host, |(h, port)| {
        if port.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    open && bare
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<std::net::IpAddr>()
        .is_ok()
}

async fn check_host(
    State(s): State<Arc<Shared>>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    if req.uri().to_string().len() > MAX_URI {
        return (
            StatusCode::URI_TOO_LONG,
            "refwiki serve: request target too long\n",
        )
            .into_response();
    }
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if !host_allowed(&s.hosts, s.open, host) {
        return (
            StatusCode::FORBIDDEN,
            "refwiki serve: foreign Host header refused\n",
        )
            .into_response();
    }
    next.run(req).await
}

async fn live_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        LIVE_JS,
    )
        .into_response()
}

async fn events(
    State(s): State<Arc<Shared>>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let rx = s.tx.subscribe();
    let (generation, error) = {
        let st = s.status.read().expect("status lock");
        (st.generation, st.error.clone())
    };
    let mut first = vec![Ok(Event::default()
        .event("hello")
        .data(generation.to_string()))];
    if let Some(e) = error {
        first.push(Ok(Event::default().event("error").data(e)));
    }
    let updates = BroadcastStream::new(rx).filter_map(|m| match m {
        Ok(Message::Reload(urls)) => Some(Ok(Event::default().event("reload").data(urls))),
        Ok(Message::Error(text)) => Some(Ok(Event::default().event("error").data(text))),
        Err(_) => None,
    });
    Sse::new(tokio_stream::iter(first).chain(updates))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

/// Why a request path was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum PathError {
    /// Traversal or malformed: 400.
    Bad,
    /// Hidden file: 404.
    Hidden,
}

/// Turns a raw request path into a site path (`people/x/index.html`), refusing traversal in
/// every encoding, backslashes, NUL and dotfiles.
pub fn site_path(raw: &str) -> Result<String, PathError> {
    let raw = raw.split(['?', '#']).next().unwrap_or("");
    if !raw.starts_with('/') {
        return Err(PathError::Bad);
    }
    let bytes = raw.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = raw.get(i + 1..i + 3).ok_or(PathError::Bad)?;
            let b = u8::from_str_radix(hex, 16).map_err(|_| PathError::Bad)?;
            // Encoded separators, dots, percent signs and NUL are never part of a site path.
            if matches!(b, b'/' | b'\\' | b'.' | b'%' | 0) {
                return Err(PathError::Bad);
            }
            decoded.push(b);
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    let path = String::from_utf8(decoded).map_err(|_| PathError::Bad)?;
    if path.contains('\\') || path.contains('\0') || path.contains("//") {
        return Err(PathError::Bad);
    }
    let mut segs = Vec::new();
    for seg in path.split('/').skip(1) {
        match seg {
            "" => {}
            "." | ".." => return Err(PathError::Bad),
            s if s.starts_with('.') => return Err(PathError::Hidden),
            s => segs.push(s),
        }
    }
    let mut p = segs.join("/");
    if path.ends_with('/') || p.is_empty() {
        if !p.is_empty() {
            p.push('/');
        }
        p.push_str("index.html");
    }
    Ok(p)
}

/// Content type by extension.
pub fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "xml" => "application/xml",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "txt" => "text/plain; charset=utf-8",
        "pdf" => "application/pdf",
        _ => "application/octet-stream",
    }
}

fn respond(status: StatusCode, ctype: &str, body: Vec<u8>) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(ctype)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    r
}

/// Adds the live-reload script to an HTML page.
pub fn inject(html: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(html);
    match text.rfind("</body>") {
        Some(i) => format!("{}{SCRIPT_TAG}\n{}", &text[..i], &text[i..]).into_bytes(),
        None => format!("{text}{SCRIPT_TAG}\n").into_bytes(),
    }
}

/// The page shown when no build has succeeded yet.
pub fn error_page(diagnostics: &str) -> Vec<u8> {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Build failed · refwiki</title></head>\n<body data-refwiki-error=\"1\"><h1>The build failed</h1>\n<p>Fix the problems below; this page reloads when the build succeeds.</p>\n<pre>{}</pre>\n{SCRIPT_TAG}\n</body></html>\n",
        escape_html(diagnostics)
    )
    .into_bytes()
}

async fn page(State(s): State<Arc<Shared>>, req: Request) -> Response {
    let raw = req.uri().path().to_string();
    let path = match site_path(&raw) {
        Ok(p) => p,
        Err(PathError::Bad) => {
            return respond(
                StatusCode::BAD_REQUEST,
                "text/plain; charset=utf-8",
                b"bad request path\n".to_vec(),
            )
        }
        Err(PathError::Hidden) => return not_found(&s),
    };
    let (site, error) = {
        let st = s.status.read().expect("status lock");
        (st.site.clone(), st.error.clone())
    };
    if site.is_empty() {
        let text = error.unwrap_or_else(|| "The first build has not finished yet.".into());
        return respond(
            StatusCode::SERVICE_UNAVAILABLE,
            "text/html; charset=utf-8",
            error_page(&text),
        );
    }
    if let Some(bytes) = site.get(&path) {
        let ctype = content_type(&path);
        let body = if ctype.starts_with("text/html") {
            inject(bytes)
        } else {
            bytes.to_vec()
        };
        return respond(StatusCode::OK, ctype, body);
    }
    if !path.ends_with(".html") && site.contains_key(&format!("{path}/index.html")) {
        let mut r = respond(
            StatusCode::MOVED_PERMANENTLY,
            "text/plain; charset=utf-8",
            Vec::new(),
        );
        if let Ok(v) = HeaderValue::from_str(&format!("{}/", raw.trim_end_matches('/'))) {
            r.headers_mut().insert(header::LOCATION, v);
        }
        return r;
    }
    not_found(&s)
}

fn not_found(s: &Shared) -> Response {
    let site = s.status.read().expect("status lock").site.clone();
    let body = site
        .get("404.html")
        .map(|b| inject(b))
        .unwrap_or_else(|| b"not found\n".to_vec());
    respond(StatusCode::NOT_FOUND, "text/html; charset=utf-8", body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_paths_refuse_traversal_in_every_encoding() {
        assert_eq!(site_path("/"), Ok("index.html".into()));
        assert_eq!(site_path("/people/x/"), Ok("people/x/index.html".into()));
        assert_eq!(site_path("/style.css?v=1"), Ok("style.css".into()));
        assert_eq!(
            site_path("/places/s%C3%A9gou/"),
            Ok("places/ségou/index.html".into())
        );
        for bad in [
            "/../etc/passwd",
            "/%2e%2e/etc/passwd",
            "/..%2fetc",
            "/%252e%252e/x",
            "/a\\..\\b",
            "/.%2e/x",
            "/a%00b",
            "/a/./b",
            "http://h/../x",
            "/%2F",
            "/%zz",
        ] {
            assert_eq!(site_path(bad), Err(PathError::Bad), "{bad}");
        }
        assert_eq!(site_path("/.git/config"), Err(PathError::Hidden));
        assert_eq!(site_path("/.env"), Err(PathError::Hidden));
    }

    #[test]
    fn hosts_loopback_names_or_ip_literals_when_open() {
        let allowed = vec!["localhost:1111".to_string(), "127.0.0.1:1111".to_string()];
        assert!(host_allowed(&allowed, false, "localhost:1111"));
        assert!(!host_allowed(&allowed, false, "attacker.example"));
        assert!(!host_allowed(&allowed, false, "192.168.1.5:1111"));
        assert!(host_allowed(&allowed, true, "192.168.1.5:1111"));
        assert!(host_allowed(&allowed, true, "[fe80::1]:1111"));
        assert!(!host_allowed(&allowed, true, "attacker.example:1111"));
    }

    #[test]
    fn injects_before_body_end_and_escapes_error_text() {
        assert_eq!(
            String::from_utf8(inject(b"<body>x</body>")).unwrap(),
            format!("<body>x{SCRIPT_TAG}\n</body>")
        );
        let page = String::from_utf8(error_page("<script>alert(\"x\")</script>")).unwrap();
        assert!(page.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
        assert!(!page.contains("<script>alert"));
    }
}
