//! A `selfeval serve` in the test's own process, on a free loopback port, with its own
//! runtime, so that tests can talk to it with a blocking client or drive a browser at it.

#![allow(dead_code)]

use std::net::SocketAddr;

use reqwest::blocking::multipart::{Form, Part};
use selfeval::sandbox::Sandbox;
use selfeval::serve::{Config, Limits, Server, start};
use selfeval::template::Profile;

pub struct TestServer {
    pub addr: SocketAddr,
    server: Option<Server>,
    runtime: tokio::runtime::Runtime,
}

impl TestServer {
    pub fn start(limits: Limits) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let config = Config {
            addr: "127.0.0.1:0".parse().expect("address"),
            limits,
            profile: Profile::national(),
            sandbox: Some(Sandbox::new(env!("CARGO_BIN_EXE_selfeval"))),
        };
        let server = runtime.block_on(start(config)).expect("server starts");
        Self {
            addr: server.addr(),
            server: Some(server),
            runtime,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn in_flight(&self) -> usize {
        self.server.as_ref().map_or(0, |s| s.limiter().in_flight())
    }

    /// Stops the server the way Ctrl-C does: requests in flight finish first.
    pub fn shutdown(mut self) {
        if let Some(s) = self.server.take() {
            self.runtime.block_on(s.shutdown()).expect("clean shutdown");
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(s) = self.server.take() {
            let _ = self.runtime.block_on(s.shutdown());
        }
    }
}

/// A multipart form with the given files, each under the field name `files`.
pub fn form(files: &[(&str, Vec<u8>)]) -> Form {
    files.iter().fold(Form::new(), |form, (name, bytes)| {
        form.part(
            "files",
            Part::bytes(bytes.clone()).file_name(name.to_string()),
        )
    })
}

pub fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .expect("client")
}

/// Limits small enough for a test to reach every one of them.
pub fn small_limits() -> Limits {
    Limits {
        max_upload_bytes: 256 * 1024,
        max_files: 3,
        max_concurrent: 2,
        max_queued: 8,
        upload_idle: std::time::Duration::from_secs(5),
    }
}
