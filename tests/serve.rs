//! `selfeval serve` over real HTTP on loopback: the sample's findings through the API, the
//! corrected download, broken files, every limit (413/429), concurrency, the page itself, and
//! the binary's request log and Ctrl-C shutdown.

mod common;
mod web;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use calamine::{Data, Reader, open_workbook_auto};
use common::{SAMPLE_PROJECT, findings, sample, sample_with_project, scratch, selfeval};
use reqwest::StatusCode;
use serde_json::Value;
use web::{TestServer, client, form, small_limits};

const SAMPLE: &str = "qiannan-finance-2023.xlsx";

fn sample_bytes(ext: &str) -> Vec<u8> {
    std::fs::read(sample(ext)).expect("sample")
}

fn post(server: &TestServer, path: &str, files: &[(&str, Vec<u8>)]) -> reqwest::blocking::Response {
    client()
        .post(server.url(path))
        .multipart(form(files))
        .send()
        .expect("request")
}

fn error_of(response: reqwest::blocking::Response) -> String {
    let body: Value = response.json().expect("JSON error body");
    body["error"].as_str().expect("error text").to_string()
}

/// The error findings as (cell, code, claimed, expected).
fn errors(report: &Value) -> Vec<(String, String, String, String)> {
    findings(report)
        .into_iter()
        .filter(|f| f.2 == "error")
        .map(|(cell, code, _, claimed, expected)| (cell, code, claimed, expected))
        .collect()
}

fn s(a: &str, b: &str, c: &str, d: &str) -> (String, String, String, String) {
    (a.into(), b.into(), c.into(), d.into())
}

#[test]
fn the_sample_through_the_api_gives_the_expected_findings_and_the_cli_json() {
    let server = TestServer::start(small_limits());
    let response = post(&server, "/api/check", &[(SAMPLE, sample_bytes("xlsx"))]);
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let report: Value = response.json().expect("JSON");
    assert_eq!(report["version"], 1);
    let file = &report["files"][0];
    assert_eq!(file["path"], SAMPLE, "path is the uploaded name");
    assert_eq!(file["output"], "qiannan-finance-2023.checked.xlsx");
    assert_eq!(file["error"], Value::Null);
    assert_eq!(
        errors(&report),
        vec![
            s("H29", "score-formula", "1.98", "2.00"),
            s("H38", "total-score", "99.95", "99.97"),
        ]
    );

    // The same document as `selfeval check --format json`, but for the path and the output.
    let run = selfeval(&[
        "check",
        sample("xlsx").to_str().unwrap(),
        "--format",
        "json",
        "--no-write",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let cli = run.json();
    let cli_file = &cli["files"][0];
    for key in ["error", "format", "write_error", "forms", "skipped"] {
        assert_eq!(file[key], cli_file[key], "{key}");
    }
    let keys = |v: &Value| v.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>());
    assert_eq!(keys(file), keys(cli_file), "same fields");
    assert_eq!(keys(&report), keys(&cli));
}

#[test]
fn the_corrected_download_reads_back_with_the_corrected_values() {
    let server = TestServer::start(small_limits());
    let response = post(
        &server,
        "/api/corrected",
        &[("黔南州自评表.xlsx", sample_bytes("xlsx"))],
    );
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(
        headers["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let disposition = headers["content-disposition"].to_str().unwrap().to_string();
    assert!(
        disposition.starts_with("attachment;")
            && disposition.contains(
                "filename*=UTF-8''%E9%BB%94%E5%8D%97%E5%B7%9E%E8%87%AA%E8%AF%84%E8%A1%A8.checked.xlsx"
            ),
        "{disposition}"
    );
    let bytes = response.bytes().expect("body");
    let dir = scratch("serve-corrected");
    let path = dir.join("download.xlsx");
    std::fs::write(&path, &bytes).expect("write");
    let mut wb = open_workbook_auto(&path).expect("corrected workbook opens");
    let sheet = wb.worksheet_range("自评表").expect("sheet");
    assert_eq!(sheet.get_value((28, 7)), Some(&Data::Float(2.0)), "H29");
    assert_eq!(sheet.get_value((37, 7)), Some(&Data::Float(99.97)), "H38");
    assert!(wb.sheet_names().contains(&"核查结果".to_string()));

    // A legacy workbook comes back rebuilt as .xlsx with the same corrections.
    let response = post(
        &server,
        "/api/corrected",
        &[("qiannan-finance-2023.xls", sample_bytes("xls"))],
    );
    assert_eq!(response.status(), StatusCode::OK);
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disposition.contains("filename*=UTF-8''qiannan-finance-2023.checked.xlsx"),
        "{disposition}"
    );
    let path = dir.join("download-xls.xlsx");
    std::fs::write(&path, response.bytes().expect("body")).expect("write");
    let mut wb = open_workbook_auto(&path).expect("rebuilt workbook opens");
    let sheet = wb.worksheet_range("自评表").expect("sheet");
    assert_eq!(sheet.get_value((28, 7)), Some(&Data::Float(2.0)), "H29");
    assert_eq!(sheet.get_value((37, 7)), Some(&Data::Float(99.97)), "H38");
}

#[test]
fn a_broken_file_gets_the_same_reason_as_on_the_command_line() {
    let server = TestServer::start(small_limits());
    // A file that is no workbook, and a workbook whose one sheet holds only a title.
    let mut title_only = rust_xlsxwriter::Workbook::new();
    title_only
        .add_worksheet()
        .write_string(0, 0, "项目支出绩效自评表")
        .expect("title");
    let cases = [
        ("x.xlsx", b"not a workbook".to_vec()),
        ("title.xlsx", title_only.save_to_buffer().expect("saved")),
    ];
    let dir = scratch("serve-broken");
    for (name, bytes) in cases {
        let response = post(
            &server,
            "/api/check",
            &[(name, bytes.clone()), (SAMPLE, sample_bytes("xlsx"))],
        );
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "one bad file spoils nothing"
        );
        let report: Value = response.json().expect("JSON");
        let path = dir.join(name);
        std::fs::write(&path, &bytes).expect("write");
        let cli = selfeval(&["check", path.to_str().unwrap(), "--format", "json"]).json();
        let reason = cli["files"][0]["error"].as_str().expect("CLI reason");
        assert_eq!(report["files"][0]["path"], name);
        assert_eq!(report["files"][0]["error"], reason);
        assert_eq!(report["files"][0]["output"], Value::Null);
        assert_eq!(report["files"][1]["path"], SAMPLE);
        assert_eq!(report["files"][1]["forms"][0]["errors"], 2);

        let response = post(&server, "/api/corrected", &[(name, bytes)]);
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(error_of(response), reason);
    }
}

#[test]
fn oversized_uploads_and_too_many_files_get_413_with_the_reason() {
    let server = TestServer::start(small_limits());
    // Declared far too large: refused before any body is read. Only the headers are sent,
    // and the answer must come well within the 5 s the server would wait for a body.
    let answer = declared_only(&server, 1 << 30, Duration::from_secs(2));
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("上限"), "{answer}");
    // Declared too large, but within what the server drains: it reads the body first, so
    // that a client still sending 8 MB can read the answer instead of a broken connection.
    let big = vec![b'x'; 8 * 1024 * 1024];
    let response = post(&server, "/api/check", &[("big.xlsx", big)]);
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let reason = error_of(response);
    assert!(
        reason.contains("上限") && reason.contains("limit"),
        "{reason}"
    );

    // Sent without a length (chunked): refused once the limit is crossed while reading.
    let status_and_body = chunked_upload(&server, 300 * 1024);
    assert!(
        status_and_body.starts_with("HTTP/1.1 413"),
        "{status_and_body}"
    );
    assert!(status_and_body.contains("上限"), "{status_and_body}");

    let four: Vec<(&str, Vec<u8>)> = ["a.xlsx", "b.xlsx", "c.xlsx", "d.xlsx"]
        .into_iter()
        .map(|n| (n, sample_bytes("xlsx")))
        .collect();
    let response = post(&server, "/api/check", &four);
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let reason = error_of(response);
    assert!(reason.contains("3 个文件"), "{reason}");

    // The server is still there, and takes what is within the limits.
    let response = post(&server, "/api/check", &four[..3]);
    assert_eq!(response.status(), StatusCode::OK);

    let response = client()
        .post(server.url("/api/check"))
        .multipart(reqwest::blocking::multipart::Form::new().text("files", "no file"))
        .send()
        .expect("request");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(error_of(response).contains("没有收到"));
}

/// The headers of an upload declaring `length` bytes, and no body: what the server answers
/// within `wait` (empty if nothing).
fn declared_only(server: &TestServer, length: usize, wait: Duration) -> String {
    let mut stream = TcpStream::connect(server.addr).expect("connect");
    stream.set_read_timeout(Some(wait)).expect("timeout");
    let head = format!(
        "POST /api/check HTTP/1.1\r\nHost: t\r\nContent-Length: {length}\r\n\
         Content-Type: multipart/form-data; boundary=XyZ\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).expect("headers");
    // Until the server closes, or `wait` passes with nothing more.
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

/// A multipart upload of `size` bytes in HTTP/1.1 chunks, so no Content-Length is declared.
fn chunked_upload(server: &TestServer, size: usize) -> String {
    let mut stream = TcpStream::connect(server.addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let head = "POST /api/check HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\
                Content-Type: multipart/form-data; boundary=XyZ\r\nConnection: close\r\n\r\n";
    let mut body =
        b"--XyZ\r\nContent-Disposition: form-data; name=\"files\"; filename=\"big.xlsx\"\r\n\r\n"
            .to_vec();
    body.extend(std::iter::repeat_n(b'x', size));
    body.extend(b"\r\n--XyZ--\r\n");
    let mut out = head.as_bytes().to_vec();
    for chunk in body.chunks(16 * 1024) {
        out.extend(format!("{:x}\r\n", chunk.len()).as_bytes());
        out.extend(chunk);
        out.extend(b"\r\n");
    }
    out.extend(b"0\r\n\r\n");
    // The server may answer and close before everything is sent; that is the point.
    let _ = stream.write_all(&out);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn a_full_server_answers_429_with_the_reason_and_recovers() {
    let limits = selfeval::serve::Limits {
        max_concurrent: 1,
        max_queued: 0,
        ..small_limits()
    };
    let server = TestServer::start(limits);
    // A client that declares a body and sends only part of it holds the one slot.
    let mut slow = TcpStream::connect(server.addr).expect("connect");
    slow.write_all(
        b"POST /api/check HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\
          Content-Type: multipart/form-data; boundary=XyZ\r\n\r\n--XyZ\r\n",
    )
    .expect("write");
    wait_until(|| server.in_flight() == 1, "the slow upload is admitted");

    let response = post(&server, "/api/check", &[(SAMPLE, sample_bytes("xlsx"))]);
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "1");
    let reason = error_of(response);
    assert!(
        reason.contains("服务器正忙") && reason.contains("busy"),
        "{reason}"
    );

    // The slow client gives up: its slot is freed and the next request goes through.
    drop(slow);
    wait_until(|| server.in_flight() == 0, "the slot is freed");
    let response = post(&server, "/api/check", &[(SAMPLE, sample_bytes("xlsx"))]);
    assert_eq!(response.status(), StatusCode::OK);
}

#[test]
fn a_stalled_upload_gets_408_and_gives_its_slot_back() {
    let server = TestServer::start(selfeval::serve::Limits {
        max_concurrent: 1,
        max_queued: 0,
        upload_idle: Duration::from_millis(300),
        ..small_limits()
    });
    let mut stalled = TcpStream::connect(server.addr).expect("connect");
    stalled
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    stalled
        .write_all(
            b"POST /api/check HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\
              Content-Type: multipart/form-data; boundary=XyZ\r\n\r\n--XyZ\r\n",
        )
        .expect("write");
    let mut answer = [0u8; 4096];
    let n = stalled.read(&mut answer).expect("an answer");
    let answer = String::from_utf8_lossy(&answer[..n]).into_owned();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("上传中断"), "{answer}");
    wait_until(|| server.in_flight() == 0, "the slot is freed");
    let response = post(&server, "/api/check", &[(SAMPLE, sample_bytes("xlsx"))]);
    assert_eq!(response.status(), StatusCode::OK);
}

fn wait_until(mut done: impl FnMut() -> bool, what: &str) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out: {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn concurrent_requests_all_succeed() {
    // Two checks at a time and room for all the others to wait: none is refused.
    let server = TestServer::start(selfeval::serve::Limits {
        max_concurrent: 2,
        max_queued: 16,
        ..small_limits()
    });
    let bytes = sample_bytes("xlsx");
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..12)
            .map(|i| {
                let (server, bytes) = (&server, bytes.clone());
                scope.spawn(move || {
                    let name = format!("sample-{i}.xlsx");
                    let response = post(server, "/api/check", &[(&name, bytes)]);
                    assert_eq!(response.status(), StatusCode::OK);
                    let report: Value = response.json().expect("JSON");
                    assert_eq!(report["files"][0]["path"], name.as_str());
                    assert_eq!(errors(&report).len(), 2);
                })
            })
            .collect();
        for h in handles {
            h.join().expect("client thread");
        }
    });
    assert_eq!(server.in_flight(), 0);
}

#[test]
fn the_batch_download_is_a_zip_of_corrected_copies_and_the_summary() {
    let server = TestServer::start(small_limits());
    let response = post(
        &server,
        "/api/batch",
        &[
            (SAMPLE, sample_bytes("xlsx")),
            ("qiannan-finance-2023.xls", sample_bytes("xls")),
            ("x.xlsx", b"not a workbook".to_vec()),
        ],
    );
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/zip");
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disposition.contains("filename*=UTF-8''%E6%A0%B8%E6%9F%A5%E7%BB%93%E6%9E%9C.zip"),
        "{disposition}"
    );
    let bytes = response.bytes().expect("body");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("zip");
    let names: Vec<String> = (0..zip.len())
        .map(|i| {
            zip.by_index(i)
                .expect("entry")
                .name()
                .expect("name")
                .to_string()
        })
        .collect();
    assert_eq!(
        names,
        [
            "qiannan-finance-2023.checked.xlsx",
            "qiannan-finance-2023.xls.checked.xlsx",
            "汇总.xlsx"
        ]
    );
    // Each file is dated by the check, not 1980-01-01.
    for i in 0..zip.len() {
        let modified = zip.by_index(i).expect("entry").last_modified();
        let year = modified.map_or(0, |m| m.year());
        assert!(year >= 2024, "entry {i} dated {modified:?}");
    }
    let dir = scratch("serve-batch");
    for name in &names {
        let mut entry = zip.by_name(name).expect("entry");
        let mut buf = Vec::new();
        entry.read_to_end(&mut buf).expect("read");
        std::fs::write(dir.join(name), buf).expect("write");
    }
    let mut summary = open_workbook_auto(dir.join("汇总.xlsx")).expect("summary opens");
    let mut rows: Vec<Vec<String>> = summary
        .worksheet_range("汇总")
        .expect("汇总")
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    // The table begins at its header, below what made the summary.
    rows.drain(..rows.iter().position(|r| r[0] == "文件").expect("a table"));
    assert_eq!(rows.len(), 4, "{rows:?}");
    let status: Vec<(&str, &str)> = rows[1..]
        .iter()
        .map(|r| (r[0].as_str(), r[13].as_str()))
        .collect();
    assert_eq!(
        status,
        [
            (SAMPLE, "有误"),
            ("qiannan-finance-2023.xls", "有误"),
            ("x.xlsx", "无法读取")
        ]
    );
    let mut copy = open_workbook_auto(dir.join(&names[0])).expect("copy opens");
    let sheet = copy.worksheet_range("自评表").expect("sheet");
    assert_eq!(sheet.get_value((37, 7)), Some(&Data::Float(99.97)), "H38");
}

/// A form with a cell longer than Excel allows (another program filled it) once made the
/// summary refuse its row, and the whole batch answered 500.
#[test]
fn a_batch_with_an_overlong_cell_still_gets_its_summary() {
    let dir = scratch("serve-long-cell");
    let long = dir.join("long.xlsx");
    sample_with_project(&long, &format!("{SAMPLE_PROJECT}{}", "长".repeat(40_000)));
    let server = TestServer::start(small_limits());
    let response = post(
        &server,
        "/api/batch",
        &[
            ("long.xlsx", std::fs::read(&long).expect("long")),
            (SAMPLE, sample_bytes("xlsx")),
        ],
    );
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = response.bytes().expect("body");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("zip");
    let mut summary = Vec::new();
    zip.by_name("汇总.xlsx")
        .expect("the summary")
        .read_to_end(&mut summary)
        .expect("read");
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(summary)).expect("summary opens");
    let range = book.worksheet_range("汇总").expect("汇总");
    let header = (0..range.height() as u32)
        .find(|&r| {
            range
                .get_value((r, 0))
                .is_some_and(|v| matches!(v, Data::String(s) if s == "文件"))
        })
        .expect("a table");
    let project = range
        .get_value((header + 1, 2))
        .expect("the long form's project")
        .to_string();
    assert_eq!(project.encode_utf16().count(), 32_767);
    assert!(project.starts_with(&format!("{SAMPLE_PROJECT}长长")));
    assert_eq!(
        range.get_value((header + 2, 2)),
        Some(&Data::String(SAMPLE_PROJECT.into()))
    );
}

#[test]
fn the_page_is_served_whole_from_the_binary() {
    let server = TestServer::start(small_limits());
    let c = client();
    let page = c.get(server.url("/")).send().expect("page");
    assert_eq!(page.status(), StatusCode::OK);
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(policy.contains("script-src 'self'"), "{policy}");
    let html = page.text().expect("html");
    assert!(html.contains("把自评表工作簿拖到这里"));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "nothing is fetched from outside"
    );
    for (path, kind) in [("/app.js", "text/javascript"), ("/app.css", "text/css")] {
        let r = c.get(server.url(path)).send().expect(path);
        assert_eq!(r.status(), StatusCode::OK);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(kind)
        );
        let text = r.text().expect("text");
        assert!(
            !text.contains("http://") && !text.contains("https://"),
            "{path}"
        );
    }
    // The footer points a clerk to the rules, served from the same text as docs/rules.md.
    assert!(html.contains("<a href=\"/rules\""), "a link to the rules");
    let rules = c.get(server.url("/rules")).send().expect("rules");
    assert_eq!(rules.status(), StatusCode::OK);
    let rules = rules.text().expect("html");
    let source =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md"))
            .expect("docs/rules.md");
    let title = source
        .lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("# ");
    assert!(rules.contains(&format!("<h1>{title}</h1>")), "{rules}");
    assert!(
        rules.contains("<table>") && rules.contains("min(B ÷ A, 1) × W"),
        "the rules' table: {rules}"
    );
    let limits: Value = c
        .get(server.url("/api/limits"))
        .send()
        .expect("limits")
        .json()
        .expect("JSON");
    assert_eq!(limits["max_files"], 3);
    assert_eq!(limits["max_upload_bytes"], 256 * 1024);
    // No address serves anything that was uploaded: there is nothing stored to serve.
    let r = c.get(server.url("/api/check")).send().expect("get");
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    let r = c.get(server.url("/uploads/x.xlsx")).send().expect("get");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    server.shutdown();
}

#[cfg(unix)]
#[test]
fn the_binary_logs_one_line_per_request_and_stops_cleanly_on_ctrl_c() {
    use std::io::BufRead;
    use std::process::{Command, Stdio};

    let mut child = Command::new(env!("CARGO_BIN_EXE_selfeval"))
        .args(["serve", "--addr", "127.0.0.1:0", "--max-concurrent", "1"])
        .stderr(Stdio::piped())
        .spawn()
        .expect("start selfeval serve");
    let mut stderr = std::io::BufReader::new(child.stderr.take().expect("stderr"));
    let mut first = String::new();
    stderr.read_line(&mut first).expect("banner");
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .trim_end_matches('/')
        .to_string();
    let c = client();
    let r = c
        .post(format!("{url}/api/check"))
        .multipart(form(&[("秘密项目.xlsx", sample_bytes("xlsx"))]))
        .send()
        .expect("check");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        c.get(format!("{url}/")).send().expect("page").status(),
        StatusCode::OK
    );

    // SIGINT is what Ctrl-C sends.
    // SAFETY: kill(2) on our own child's pid with a valid signal number.
    let sent = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    assert_eq!(sent, 0);
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "did not stop");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    let mut log = String::new();
    stderr.read_to_string(&mut log).expect("log");
    let lines: Vec<&str> = log.lines().filter(|l| l.contains(" ms=")).collect();
    assert_eq!(lines.len(), 2, "{log}");
    assert!(
        lines[0].contains("POST /api/check 200 files=1 bytes="),
        "{}",
        lines[0]
    );
    assert!(lines[1].contains("GET / 200"), "{}", lines[1]);
    assert!(
        !log.contains("秘密项目") && !log.contains("金融发展"),
        "no file names or workbook contents in the log: {log}"
    );
}

/// The bureau's ledger sent with the workbooks, in a part named `ledger`: the report holds
/// each form to it, and the batch's summary gains 对账; a ledger without its columns refuses
/// the request with the labels.
#[test]
fn a_ledger_part_holds_the_forms_to_the_bureaus_books() {
    use reqwest::blocking::multipart::{Form, Part};
    let server = TestServer::start(small_limits());
    let ledger = "项目名称,调整后预算数,支出数\n金融发展服务工作经费,254800,254000\n";
    let request = |path: &str, ledger: &str| {
        let form = Form::new()
            .part(
                "files",
                Part::bytes(sample_bytes("xlsx")).file_name("qiannan-finance-2023.xlsx"),
            )
            .part(
                "ledger",
                Part::bytes(ledger.as_bytes().to_vec()).file_name("台账.csv"),
            );
        client()
            .post(server.url(path))
            .multipart(form)
            .send()
            .expect("request")
    };
    let report: Value = request("/api/check", ledger).json().expect("JSON");
    let form = &report["files"][0]["forms"][0];
    assert_eq!(form["ledger"]["line"], 2, "{form}");
    let codes: Vec<&str> = form["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert!(codes.contains(&"ledger-executed"), "{codes:?}");
    let zip = request("/api/batch", ledger).bytes().expect("zip");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(zip.to_vec())).expect("zip");
    let mut summary = Vec::new();
    zip.by_name("汇总.xlsx")
        .expect("summary")
        .read_to_end(&mut summary)
        .expect("read");
    let book = calamine::Xlsx::new(std::io::Cursor::new(summary)).expect("summary opens");
    assert!(book.sheet_names().contains(&"对账".to_string()));
    let refused = request("/api/check", "名称,金额\n甲,1\n");
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_of(refused).contains("项目名称"));
    server.shutdown();
}
