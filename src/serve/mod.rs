//! `selfeval serve`: one page, in Chinese, on which a department drops its workbooks, sees
//! what is wrong and downloads the corrected copy, and a JSON API behind it.
//!
//! Everything the page needs is compiled into the binary (no CDN, no web fonts), so it works
//! on an isolated government network. Nothing is stored: uploads live in the memory of the
//! request that carried them; downloads are made by posting the file again
//! (`/api/corrected`, `/api/batch`), so the server keeps no state between requests and never
//! serves one client's upload to another.

mod handlers;
mod limits;
mod log;
mod upload;

pub use handlers::{attachment, checked_name};
pub use limits::{Admission, Limiter, Limits};
pub use upload::ApiError;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::oneshot;

use crate::report::FileOutcome;
use crate::sandbox::Sandbox;
use crate::scorer::Rules;
use crate::template::{Layout, Profile};

const PAGE: &str = include_str!("page.html");
const SCRIPT: &str = include_str!("page.js");
const STYLE: &str = include_str!("page.css");
/// The rules a clerk reads (规则说明): the repository's docs/rules.md, rendered once.
const RULES: &str = include_str!("../../docs/rules.md");

/// The page loads only its own script and style; workbook text can never run as code.
const PAGE_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; \
    frame-ancestors 'none'";

/// How a server is started.
#[derive(Debug, Clone)]
pub struct Config {
    pub addr: SocketAddr,
    pub limits: Limits,
    /// The rules every upload is checked with.
    pub profile: Profile,
    /// Where legacy workbooks are read first; `None` reads them in-process.
    pub sandbox: Option<Sandbox>,
}

/// How every upload is checked: the profile and the sandbox, shared by the handlers.
pub(crate) struct Checking {
    profile: Profile,
    sandbox: Option<Sandbox>,
}

impl Checking {
    pub(crate) fn rules(&self) -> Rules<'_> {
        Rules {
            profile: &self.profile,
            layout: Layout::bundled(),
        }
    }

    /// One upload through the library, as every front end checks a file, held to the
    /// bureau's books where the request brought them.
    pub(crate) fn check(
        &self,
        name: &str,
        bytes: &[u8],
        write: bool,
        books: crate::check::Books<'_>,
    ) -> (FileOutcome, Option<Vec<u8>>) {
        crate::check::check_against(
            name,
            bytes,
            self.rules(),
            write,
            self.sandbox.as_ref(),
            books,
        )
    }
}

/// What every handler shares.
#[derive(Clone)]
pub(crate) struct App {
    checking: Arc<Checking>,
    limits: Limits,
    limiter: Limiter,
}

/// The router with its limits: exposed so that tests and other programs can embed it.
pub fn router(profile: Profile, sandbox: Option<Sandbox>, limits: Limits) -> (Router, Limiter) {
    let limiter = Limiter::new(&limits);
    let app = App {
        checking: Arc::new(Checking { profile, sandbox }),
        limits,
        limiter: limiter.clone(),
    };
    // The upload handlers bound the body themselves (the whole body, files and multipart
    // framing together), so that past the limit they can still answer with the reason.
    let api = Router::new()
        .route("/api/check", post(handlers::check))
        .route("/api/corrected", post(handlers::corrected))
        .route("/api/batch", post(handlers::batch))
        .layer(DefaultBodyLimit::disable());
    let router = Router::new()
        .route("/", get(page))
        .route("/app.js", get(script))
        .route("/app.css", get(style))
        .route("/rules", get(rules))
        .route("/api/limits", get(limits_json))
        .merge(api)
        .fallback(not_found)
        .layer(axum::middleware::from_fn(log::frame))
        .with_state(app);
    (router, limiter)
}

/// A running server.
pub struct Server {
    addr: SocketAddr,
    limiter: Limiter,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// The address it listens on (the real port when started on port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its limiter, to see how many requests are in flight.
    pub fn limiter(&self) -> &Limiter {
        &self.limiter
    }

    /// Stops accepting, lets the requests in flight finish, and returns.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.await.map_err(std::io::Error::other)?
    }
}

/// Binds `config.addr` and serves in the background on the current tokio runtime.
pub async fn start(config: Config) -> std::io::Result<Server> {
    let listener = tokio::net::TcpListener::bind(config.addr).await?;
    let addr = listener.local_addr()?;
    let (router, limiter) = router(config.profile, config.sandbox, config.limits);
    let (stop, stopped) = oneshot::channel::<()>();
    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    let task = tokio::spawn(async move {
        axum::serve(listener, service)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    Ok(Server {
        addr,
        limiter,
        stop: Some(stop),
        task,
    })
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("无法启动异步运行时 (cannot start the runtime): {0}")]
    Runtime(std::io::Error),
    #[error("无法监听 {addr} (cannot listen): {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("服务异常终止 (server failed): {0}")]
    Serve(std::io::Error),
}

/// Runs the server until Ctrl-C (or SIGTERM), then lets requests in flight finish.
pub fn run(config: Config) -> Result<(), ServeError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(ServeError::Runtime)?;
    runtime.block_on(async {
        let addr = config.addr;
        let limits = config.limits;
        let server = start(config)
            .await
            .map_err(|source| ServeError::Bind { addr, source })?;
        eprintln!(
            "selfeval serve：核查页面 http://{}/ （按 Ctrl-C 停止）(serving; Ctrl-C stops)\n  \
             上限 (limits): 每次上传 {}，{} 个文件；同时核查 {} 个请求，排队 {} 个",
            server.addr(),
            upload::size(limits.max_upload_bytes),
            limits.max_files,
            limits.effective_max_concurrent(),
            limits.max_queued,
        );
        stop_signal().await;
        eprintln!("selfeval serve：正在停止，等待进行中的请求完成 (shutting down)");
        server.shutdown().await.map_err(ServeError::Serve)
    })
}

/// Ctrl-C, or SIGTERM from a service manager.
async fn stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    {
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term => {}
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await;
}

async fn page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, PAGE_POLICY),
        ],
        PAGE,
    )
        .into_response()
}

async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        SCRIPT,
    )
        .into_response()
}

/// `GET /rules`: the rules the checker applies, as a page of its own with the page's style.
async fn rules() -> Response {
    static HTML: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let html = HTML.get_or_init(|| {
        let parser = pulldown_cmark::Parser::new_ext(RULES, pulldown_cmark::Options::ENABLE_TABLES);
        let mut body = String::new();
        pulldown_cmark::html::push_html(&mut body, parser);
        format!(
            concat!(
                "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">",
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
                "<title>核查规则说明</title><link rel=\"icon\" href=\"data:,\">",
                "<link rel=\"stylesheet\" href=\"/app.css\"></head>",
                "<body><main class=\"rules\">{}<p><a href=\"/\">返回核查页面</a></p></main></body></html>"
            ),
            body
        )
    });
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, PAGE_POLICY),
        ],
        html.as_str(),
    )
        .into_response()
}

async fn style() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE).into_response()
}

/// `GET /api/limits`: what the server accepts, so a page or a client can split its batches.
async fn limits_json(State(app): State<App>) -> Response {
    let l = app.limits;
    let body = serde_json::json!({
        "version": crate::report::JSON_VERSION,
        "max_upload_bytes": l.max_upload_bytes,
        "max_files": l.max_files,
        "max_concurrent": l.effective_max_concurrent(),
        "max_queued": l.max_queued,
        "profile": app.checking.profile.name,
        "profile_title": app.checking.profile.title,
    });
    (
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

async fn not_found() -> Response {
    (
        axum::http::StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        serde_json::json!({"error": "没有这个地址 (not found)"}).to_string(),
    )
        .into_response()
}
