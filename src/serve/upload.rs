//! Reading a multipart upload into memory, within the limits, and the API's error answers.
//! Nothing is written to disk: the files live in this request's memory and are dropped with it.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::multipart::MultipartError;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body::Frame;

use super::limits::Limits;

/// One uploaded workbook.
pub struct Upload {
    /// The name the browser gave, reduced to its last path component.
    pub name: String,
    /// The form field it came in: `files` for a workbook, `ledger` or `targets` for the
    /// bureau's own books.
    pub part: String,
    pub bytes: Vec<u8>,
}

/// Why a request is refused as a whole. Every reason is Chinese first, then English, as on
/// the command line; a single bad workbook is never one of these (it gets its own `error`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("上传内容超过 {} 的上限，请分批上传 (upload larger than the {} limit)", size(*.0), size(*.0))]
    TooLarge(usize),
    #[error("一次最多上传 {0} 个文件，请分批上传 (more than {0} files in one request)")]
    TooManyFiles(usize),
    #[error("服务器正忙，请稍后再试 (server busy: too many checks at once, retry shortly)")]
    Busy,
    #[error(
        "没有收到工作簿文件（表单字段 files）(no files in the request: multipart field `files`)"
    )]
    NoFiles,
    #[error("此接口一次只接受一个文件 (this endpoint takes exactly one file)")]
    NotOneFile,
    #[error("上传格式不正确：{0} (malformed multipart upload)")]
    BadUpload(String),
    #[error("{0}")]
    Unprocessable(String),
    #[error("上传中断：{0} 秒没有收到数据，请重新上传 (upload stalled for {0} s)")]
    Stalled(u64),
    #[error("服务器内部错误 (internal error)")]
    Internal,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::TooLarge(_) | ApiError::TooManyFiles(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Busy => StatusCode::TOO_MANY_REQUESTS,
            ApiError::NoFiles | ApiError::NotOneFile | ApiError::BadUpload(_) => {
                StatusCode::BAD_REQUEST
            }
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Stalled(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.to_string() }).to_string();
        let mut response = (
            self.status(),
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            body,
        )
            .into_response();
        if self == ApiError::Busy {
            // A check takes well under a second; the page retries after this.
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        }
        response
    }
}

/// How far past the limit a body is still read (and thrown away) before the answer is sent.
/// An HTTP client that is still sending when the server answers and closes usually reports a
/// broken connection instead of the answer; reading the rest lets it see the 413 or 429 and
/// its reason. Past this much the connection is closed without waiting.
pub const DRAIN_BYTES: u64 = 64 * 1024 * 1024;

/// The body length the client declared, if it did.
pub fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}

pub fn too_large(limits: &Limits) -> ApiError {
    ApiError::TooLarge(limits.max_upload_bytes)
}

/// `50 MB`, `256 KB`: a limit as people write it.
pub fn size(bytes: usize) -> String {
    const MB: usize = 1024 * 1024;
    if bytes >= MB && bytes.is_multiple_of(MB) {
        format!("{} MB", bytes / MB)
    } else if bytes >= MB {
        format!("{:.1} MB", bytes as f64 / MB as f64)
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

/// Reads and discards a body, up to `budget` bytes, so the client can finish sending.
pub async fn drain(mut body: Body, budget: u64) {
    let mut seen = 0u64;
    while seen <= budget {
        match std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
            Some(Ok(frame)) => {
                seen += frame.data_ref().map_or(0, |d| d.len() as u64);
            }
            Some(Err(_)) | None => return,
        }
    }
}

/// Reads every part that carries a file name (the page sends them as `files`). Parts without a
/// file name are form fields and are ignored; an empty file input sends a nameless empty part.
/// Past a limit the rest of the body is read and thrown away before the refusal (see
/// [`DRAIN_BYTES`]), and nothing past the limit is kept.
pub async fn read_uploads(
    parts: axum::http::request::Parts,
    body: Body,
    limits: &Limits,
) -> Result<Vec<Upload>, ApiError> {
    let over = Arc::new(AtomicBool::new(false));
    let limit = limits.max_upload_bytes as u64;
    let capped = Capped {
        inner: body,
        seen: 0,
        limit,
        give_up: limit.saturating_add(DRAIN_BYTES),
        over: Arc::clone(&over),
    };
    let request = Request::from_parts(parts, Body::new(capped));
    let mut multipart = Multipart::from_request(request, &())
        .await
        .map_err(|e| ApiError::BadUpload(e.body_text()))?;
    let failed = |e: MultipartError| {
        if over.load(Ordering::SeqCst) || e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large(limits)
        } else {
            ApiError::BadUpload(e.body_text())
        }
    };
    let idle = limits.upload_idle;
    let stalled = || ApiError::Stalled(idle.as_secs().max(1));
    let mut uploads = Vec::new();
    let mut refused = None;
    loop {
        let next = tokio::time::timeout(idle, multipart.next_field()).await;
        let mut field = match next.map_err(|_| stalled())? {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(refused.unwrap_or_else(|| failed(e))),
        };
        let name = field.file_name().map(base_name).unwrap_or_default();
        let part = field.name().unwrap_or_default().to_string();
        let keep = !name.is_empty() && refused.is_none();
        if keep && uploads.len() == limits.max_files {
            refused = Some(ApiError::TooManyFiles(limits.max_files));
        }
        let keep = keep && refused.is_none();
        let mut bytes = Vec::new();
        loop {
            let chunk = tokio::time::timeout(idle, field.chunk()).await;
            match chunk.map_err(|_| stalled())? {
                Ok(Some(chunk)) if keep => bytes.extend_from_slice(&chunk),
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) => return Err(refused.unwrap_or_else(|| failed(e))),
            }
        }
        if keep {
            uploads.push(Upload { name, part, bytes });
        }
    }
    if let Some(refused) = refused {
        return Err(refused);
    }
    if uploads.is_empty() {
        return Err(ApiError::NoFiles);
    }
    Ok(uploads)
}

/// A request body that counts what passes. Past `limit` it stops handing data on, reads and
/// drops the rest (up to `give_up`), and only then fails, with `over` set so that the reader
/// can name the reason.
struct Capped {
    inner: Body,
    seen: u64,
    limit: u64,
    give_up: u64,
    over: Arc<AtomicBool>,
}

impl HttpBody for Capped {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        loop {
            let frame = match Pin::new(&mut this.inner).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(frame) => frame,
            };
            let too_large = || axum::Error::new(std::io::Error::other("upload over the limit"));
            match frame {
                None if this.seen > this.limit => return Poll::Ready(Some(Err(too_large()))),
                None => return Poll::Ready(None),
                Some(Err(e)) => return Poll::Ready(Some(Err(e))),
                Some(Ok(frame)) => {
                    this.seen += frame.data_ref().map_or(0, |d| d.len() as u64);
                    if this.seen <= this.limit {
                        return Poll::Ready(Some(Ok(frame)));
                    }
                    this.over.store(true, Ordering::SeqCst);
                    if this.seen > this.give_up {
                        return Poll::Ready(Some(Err(too_large())));
                    }
                }
            }
        }
    }
}

/// `C:\fakepath\自评表.xlsx` or `a/../b.xlsx` → the last component; control characters go,
/// so a name cannot forge a log line or a header.
pub fn base_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    let clean: String = last.chars().filter(|c| !c.is_control()).collect();
    let clean = clean.trim();
    if clean == "." || clean == ".." {
        String::new()
    } else {
        clean.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_their_folders_and_control_characters() {
        assert_eq!(base_name(r"C:\fakepath\自评表.xlsx"), "自评表.xlsx");
        assert_eq!(base_name("../../etc/passwd"), "passwd");
        assert_eq!(base_name("a\r\nb.xlsx"), "ab.xlsx");
        assert_eq!(base_name(".."), "");
        assert_eq!(base_name("dir/"), "");
    }

    #[test]
    fn limits_read_as_people_write_them() {
        assert_eq!(size(50 * 1024 * 1024), "50 MB");
        assert_eq!(size(1536 * 1024), "1.5 MB");
        assert_eq!(size(256 * 1024), "256 KB");
        assert_eq!(
            ApiError::TooLarge(50 * 1024 * 1024).to_string(),
            "上传内容超过 50 MB 的上限，请分批上传 (upload larger than the 50 MB limit)"
        );
    }

    #[test]
    fn the_declared_length_is_read_from_the_headers() {
        let mut h = HeaderMap::new();
        assert_eq!(declared_length(&h), None);
        h.insert(header::CONTENT_LENGTH, "1048577".parse().expect("value"));
        assert_eq!(declared_length(&h), Some(1_048_577));
    }

    #[tokio::test]
    async fn a_capped_body_passes_what_fits_and_drains_the_rest_before_failing() {
        let over = Arc::new(AtomicBool::new(false));
        let inner = Body::new(Chunks(
            (0..10).map(|_| Bytes::from(vec![0u8; 100])).collect(),
        ));
        let mut capped = Capped {
            inner,
            seen: 0,
            limit: 250,
            give_up: 10_000,
            over: Arc::clone(&over),
        };
        let mut passed = 0;
        let failed = loop {
            match std::future::poll_fn(|cx| Pin::new(&mut capped).poll_frame(cx)).await {
                Some(Ok(f)) => passed += f.data_ref().map_or(0, |d| d.len()),
                Some(Err(_)) => break true,
                None => break false,
            }
        };
        assert!(failed && over.load(Ordering::SeqCst));
        assert_eq!(passed, 200, "nothing past the limit is handed on");
        assert_eq!(capped.seen, 1000, "the whole body was read before failing");
    }

    /// A body of ready chunks.
    struct Chunks(std::collections::VecDeque<Bytes>);

    impl HttpBody for Chunks {
        type Data = Bytes;
        type Error = std::convert::Infallible;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            Poll::Ready(self.0.pop_front().map(|b| Ok(Frame::data(b))))
        }
    }
}
