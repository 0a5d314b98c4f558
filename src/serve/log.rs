//! One line per request on stderr, and the headers every answer carries.
//!
//! The line names the request, never its content: time, client address, method, path (without
//! the query), status, number of files, bytes uploaded and milliseconds. File names are left
//! out too: they often name the department and project.

use std::net::SocketAddr;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use super::handlers::Logged;

pub async fn frame(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "-".to_string());
    let declared = super::upload::declared_length(request.headers()).unwrap_or(0);
    let mut response = next.run(request).await;
    let logged = response.extensions_mut().remove::<Logged>();
    let (files, bytes) = logged.map_or((0, declared), |l| (l.files, l.bytes as u64));
    let h = response.headers_mut();
    // Answers hold one department's results: no cache may keep them, no browser may guess
    // their type, and no link may leak the page's address.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    eprintln!(
        "{} {peer} {method} {} {} files={files} bytes={bytes} ms={}",
        utc_now(),
        printable(&path),
        response.status().as_u16(),
        started.elapsed().as_millis(),
    );
    response
}

/// A path as the client sent it may hold anything percent-decoded tools would print; keep the
/// line one line.
fn printable(path: &str) -> String {
    path.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .take(200)
        .collect()
}

/// `2026-11-27T21:03:00Z`, without a date crate: days since 1970 to a civil date.
fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    utc(secs)
}

fn utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (year, month, day) = crate::calendar::civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc(1_700_000_000), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn paths_stay_on_one_line() {
        assert_eq!(printable("/a\nb"), "/a?b");
    }
}
