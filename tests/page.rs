//! The page in a real browser: Debian's headless Chromium, driven through chromedriver with
//! fantoccini (WebDriver), from inside `cargo test`.
//!
//! Why this driver: it runs in the Rust test suite with no Node toolchain; chromedriver comes
//! from the same Debian release as Chromium, so their versions always match (Playwright's
//! bundled protocol and chromiumoxide's generated CDP bindings both follow Chrome releases of
//! their own); WebDriver's file-input `send_keys` is the standard way to exercise the picker;
//! and fantoccini builds on hyper, which axum already brings in.
//!
//! What it does as a clerk would: opens the page, drops the sample on the drop zone (a real
//! `drop` event carrying a `DataTransfer`, the way a browser delivers a dragged file), picks
//! a form with warnings only with the file picker, sees the H29 and H38 errors and the
//! warnings in their tables, sees the reasons for a broken file and an oversized one, downloads the corrected workbook and the batch zip into Chromium's download folder and reads
//! them back. Set `SELFEVAL_SCREENSHOT=docs/serve.png` to refresh the README's picture (the page 1366
//! pixels wide, as tall as its content).
//!
//! `.ci/run` installs `chromium` and `chromium-driver` and stops if it cannot, so CI always
//! runs this test; on a machine without them the test says SKIPPED and passes.

mod common;
mod web;

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use calamine::{Data, Reader, open_workbook_auto};
use common::{clean, n, sample, scratch, t, write_book};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use web::{TestServer, small_limits};

const SAMPLE: &str = "qiannan-finance-2023.xlsx";
const PICKED: &str = "县农业农村局自评表.xlsx";

fn which(name: &str) -> Option<PathBuf> {
    let out = Command::new("which").arg(name).output().ok()?;
    out.status
        .success()
        .then(|| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

/// chromedriver on a free loopback port, killed (by its own handle) when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start(path: &Path) -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = Command::new(path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Driver { child, port }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_clerk_drops_the_sample_sees_the_findings_and_downloads_the_corrected_copy() {
    let (Some(chromium), Some(chromedriver)) = (which("chromium"), which("chromedriver")) else {
        eprintln!(
            "SKIPPED: chromium or chromedriver is not installed; .ci/run installs Debian's chromium and chromium-driver"
        );
        return;
    };
    let server = TestServer::start(small_limits());
    let driver = Driver::start(&chromedriver);
    let dir = scratch("page-e2e");
    let downloads = dir.join("downloads");
    std::fs::create_dir_all(&downloads).expect("downloads dir");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let client = connect(&chromium, driver.port, &dir, &downloads).await;
        // Whatever happens, the browser is closed before the test reports.
        let outcome = clerk(&client, &server, &dir, &downloads).await;
        let _ = client.close().await;
        if let Err(e) = outcome {
            panic!("{e}");
        }
    });
    drop(driver);
}

async fn connect(chromium: &Path, port: u16, dir: &Path, downloads: &Path) -> Client {
    let profile = dir.join("profile");
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": chromium,
            // The flags this machine needs (see the environment notes): no sandbox as root, and
            // no background traffic towards a network that is not there.
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--window-size=1366,768", "--lang=zh-CN",
                format!("--user-data-dir={}", profile.display()),
            ],
            "prefs": {
                "download.default_directory": downloads,
                "download.prompt_for_download": false,
                "profile.default_content_setting_values.automatic_downloads": 1,
            },
        },
    });
    let Value::Object(caps) = caps else {
        unreachable!("a JSON object")
    };
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a Chromium session")
}

type Outcome = Result<(), String>;

fn fail(what: &str) -> impl Fn(fantoccini::error::CmdError) -> String + '_ {
    move |e| format!("{what}: {e}")
}

async fn clerk(client: &Client, server: &TestServer, dir: &Path, downloads: &Path) -> Outcome {
    client
        .goto(&server.url("/"))
        .await
        .map_err(fail("open the page"))?;
    client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("#drop"))
        .await
        .map_err(fail("the drop zone"))?;

    // Drop the sample on the drop zone.
    let bytes = std::fs::read(sample("xlsx")).map_err(|e| e.to_string())?;
    drop_file(client, SAMPLE, &bytes).await?;
    let card = format!("article.file[data-name=\"{SAMPLE}\"]");
    wait_for(client, &format!("{card} tr.error[data-cell=\"H38\"]")).await?;
    let rows = findings(client, &card).await?;
    let expected = vec![
        vec!["错误", "H29", "办公费", "1.98", "2.00"],
        vec!["错误", "H38", "总分", "99.95", "99.97"],
    ];
    check(rows == expected, format!("findings table: {rows:?}"))?;
    let badge = text(client, &format!("{card} .badge")).await?;
    check(badge == "有误：2 处错误", format!("badge {badge:?}"))?;
    let totals = text(client, &format!("{card} .totals")).await?;
    check(
        totals.contains("填报 99.95 → 核定 99.97"),
        format!("totals {totals:?}"),
    )?;

    // Pick, with the file picker, a form whose arithmetic is right but which lost points
    // without saying why and over-achieved a target: it passes, with two warnings.
    let picked = dir.join(PICKED);
    let mut form = clean();
    form.department = "某县农业农村局";
    form.indicators[0].actual = t("900人次");
    form.indicators[0].score = n(9.0);
    form.indicators[1].actual = t("6次");
    form.total = n(98.45);
    write_book(&picked, &[form], false);
    client
        .find(Locator::Css("#picker"))
        .await
        .map_err(fail("the file picker"))?
        .send_keys(&picked.display().to_string())
        .await
        .map_err(fail("choose a file"))?;
    let picked_card = format!("article.file[data-name=\"{PICKED}\"]");
    wait_for(client, &format!("{picked_card} tr.warning")).await?;
    let badge = text(client, &format!("{picked_card} .badge")).await?;
    check(badge == "通过（2 处警告）", format!("badge {badge:?}"))?;
    let codes = client
        .execute(
            "return Array.from(document.querySelectorAll(arguments[0] + ' tr.warning'))\
             .map((tr) => tr.dataset.code);",
            vec![json!(picked_card)],
        )
        .await
        .map_err(fail("warnings"))?;
    check(
        codes == json!(["reason-missing", "over-achieved"]),
        format!("warnings {codes}"),
    )?;

    // A file that is not a workbook gets its reason.
    drop_file(client, "x.xlsx", b"not a workbook").await?;
    let broken = "article.file[data-name=\"x.xlsx\"]";
    wait_for(client, &format!("{broken} p.reason")).await?;
    let reason = text(client, &format!("{broken} p.reason")).await?;
    check(
        reason.starts_with("无法核查：不是 Excel 或 ODS 工作簿"),
        format!("reason {reason:?}"),
    )?;

    // A file over the upload limit is refused by the page itself, before it is sent (the
    // server's refusal words differ), with the limit named.
    drop_file(client, "big.xlsx", &vec![0u8; 300 * 1024]).await?;
    let big = "article.file[data-name=\"big.xlsx\"] p.reason";
    wait_for(client, big).await?;
    let reason = text(client, big).await?;
    check(
        reason.contains("文件超过 256 KB 的上限，未上传"),
        format!("reason {reason:?}"),
    )?;
    // The overview counts a file the page refused as 未上传, apart from one it could not read.
    let overview = text(client, "#overview-text").await?;
    check(
        overview.contains("无法读取 1，未上传 1"),
        format!("overview {overview:?}"),
    )?;
    let footer = text(client, "footer a[href=\"/rules\"]").await?;
    check(footer == "核查规则说明", format!("footer {footer:?}"))?;

    // Readable at 1366×768: nothing runs off the side.
    let fits = client
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            vec![],
        )
        .await
        .map_err(fail("measure"))?;
    let w = |i: usize| fits[i].as_i64().unwrap_or(0);
    check(w(0) <= w(1), format!("page wider than the window: {fits}"))?;
    client
        .execute("window.scrollTo(0, 0); return true;", vec![])
        .await
        .map_err(fail("scroll"))?;
    let png = client.screenshot().await.map_err(fail("screenshot"))?;
    std::fs::write(dir.join("page.png"), &png).map_err(|e| e.to_string())?;
    // The same page 1366 wide and as tall as its content, for the README.
    let heights = client
        .execute(
            "return [document.documentElement.scrollHeight, window.outerHeight - window.innerHeight];",
            vec![],
        )
        .await
        .map_err(fail("measure"))?;
    let h = |i: usize| heights[i].as_u64().unwrap_or(0) as u32;
    client
        .set_window_size(1366, h(0) + h(1))
        .await
        .map_err(fail("resize"))?;
    let full = client.screenshot().await.map_err(fail("screenshot"))?;
    std::fs::write(dir.join("page-full.png"), &full).map_err(|e| e.to_string())?;
    if let Ok(path) = std::env::var("SELFEVAL_SCREENSHOT") {
        std::fs::write(&path, &full).map_err(|e| format!("{path}: {e}"))?;
    }

    // Download the corrected workbook, as the clerk does before submitting.
    click(client, &format!("{card} button.download")).await?;
    let copy = downloaded(downloads, "qiannan-finance-2023.checked.xlsx").await?;
    let mut wb = open_workbook_auto(&copy).map_err(|e| format!("open the download: {e}"))?;
    let sheet = wb
        .worksheet_range("自评表")
        .map_err(|e| format!("sheet: {e}"))?;
    check(
        sheet.get_value((28, 7)) == Some(&Data::Float(2.0)),
        format!("H29 {:?}", sheet.get_value((28, 7))),
    )?;
    check(
        sheet.get_value((37, 7)) == Some(&Data::Float(99.97)),
        format!("H38 {:?}", sheet.get_value((37, 7))),
    )?;

    // And the bureau's batch: every corrected copy and the summary in one zip.
    click(client, "#zip").await?;
    let names = zip_names(&downloaded(downloads, "核查结果.zip").await?)?;
    check(
        names
            == [
                "qiannan-finance-2023.checked.xlsx",
                "县农业农村局自评表.checked.xlsx",
                "汇总.xlsx",
            ],
        format!("zip entries {names:?}"),
    )?;

    // A folder chosen whole: two forms of one name from two counties are two cards and two
    // copies; what else the folder holds is not shown.
    click(client, "#clear").await?;
    let inbox = dir.join("收件箱");
    for (county, project) in [("县甲", "甲县项目"), ("县乙", "乙县项目")] {
        std::fs::create_dir_all(inbox.join(county)).map_err(|e| e.to_string())?;
        let mut form = clean();
        form.project = project;
        write_book(&inbox.join(county).join("自评表.xlsx"), &[form], false);
    }
    std::fs::write(inbox.join("说明.txt"), "附件").map_err(|e| e.to_string())?;
    client
        .find(Locator::Css("#folder-picker"))
        .await
        .map_err(fail("the folder picker"))?
        .send_keys(&inbox.display().to_string())
        .await
        .map_err(fail("choose a folder"))?;
    for county in ["县甲", "县乙"] {
        wait_for(
            client,
            &format!("article.file[data-name=\"收件箱/{county}/自评表.xlsx\"] .badge.passed"),
        )
        .await?;
    }
    let cards = client
        .execute(
            "return document.querySelectorAll('article.file').length;",
            vec![],
        )
        .await
        .map_err(fail("count cards"))?;
    check(cards == json!(2), format!("cards {cards}"))?;
    click(client, "#zip").await?;
    let names = zip_names(&downloaded(downloads, "核查结果 (1).zip").await?)?;
    check(
        names
            == [
                "汇总.xlsx",
                "自评表.checked.xlsx",
                "自评表.xlsx.checked.xlsx",
            ],
        format!("zip entries {names:?}"),
    )
}

/// The names in a downloaded zip, sorted.
fn zip_names(zip: &Path) -> Result<Vec<String>, String> {
    let file = std::fs::File::open(zip).map_err(|e| e.to_string())?;
    let archive = zip::ZipArchive::new(file).map_err(|e| e.to_string())?;
    let mut names: Vec<String> = archive
        .file_names()
        .map(|n| n.map(|n| n.into_owned()).map_err(|e| e.to_string()))
        .collect::<Result<_, _>>()?;
    names.sort_unstable();
    Ok(names)
}

fn check(ok: bool, what: String) -> Outcome {
    if ok { Ok(()) } else { Err(what) }
}

/// A drop as the browser delivers it: dragenter, dragover and drop carrying a DataTransfer
/// with the file, dispatched on the drop zone.
async fn drop_file(client: &Client, name: &str, bytes: &[u8]) -> Outcome {
    let script = r#"
        const [bytes, name] = arguments;
        const file = new File([new Uint8Array(bytes)], name);
        const data = new DataTransfer();
        data.items.add(file);
        const zone = document.getElementById('drop');
        for (const type of ['dragenter', 'dragover', 'drop']) {
            zone.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: data }));
        }
        return true;
    "#;
    client
        .execute(script, vec![json!(bytes), json!(name)])
        .await
        .map(|_| ())
        .map_err(fail("drop a file"))
}

async fn wait_for(client: &Client, css: &str) -> Outcome {
    client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(css))
        .await
        .map(|_| ())
        .map_err(|e| format!("waiting for {css}: {e}"))
}

async fn text(client: &Client, css: &str) -> Result<String, String> {
    client
        .find(Locator::Css(css))
        .await
        .map_err(|e| format!("{css}: {e}"))?
        .text()
        .await
        .map_err(|e| format!("{css}: {e}"))
}

async fn click(client: &Client, css: &str) -> Outcome {
    client
        .find(Locator::Css(css))
        .await
        .map_err(|e| format!("{css}: {e}"))?
        .click()
        .await
        .map_err(|e| format!("click {css}: {e}"))
}

/// The error and warning rows of a card's findings tables: level, cell, indicator, written,
/// expected.
async fn findings(client: &Client, card: &str) -> Result<Vec<Vec<String>>, String> {
    let script = r#"
        const card = document.querySelector(arguments[0]);
        return Array.from(card.querySelectorAll('tr.error, tr.warning')).map((tr) =>
            Array.from(tr.cells).slice(0, 5).map((td) => td.textContent));
    "#;
    let rows = client
        .execute(script, vec![json!(card)])
        .await
        .map_err(fail("read the findings"))?;
    serde_json::from_value(rows).map_err(|e| e.to_string())
}

/// Waits for a finished download (Chromium writes `*.crdownload` first, then renames).
async fn downloaded(dir: &Path, name: &str) -> Result<PathBuf, String> {
    let path = dir.join(name);
    let start = Instant::now();
    while !path.exists() {
        if start.elapsed() > Duration::from_secs(30) {
            let seen: Vec<_> = std::fs::read_dir(dir)
                .map(|d| d.flatten().map(|e| e.file_name()).collect())
                .unwrap_or_default();
            return Err(format!("no download {name}; the folder holds {seen:?}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(path)
}
