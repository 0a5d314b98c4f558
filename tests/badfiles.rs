//! Broken and hostile files: each gets its own reason in Chinese and English, the run exits 2,
//! and the good workbook beside them is still checked.

mod common;

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use selfeval::reader::BookFormat;

/// A zip package holding `parts`, each with a little content.
fn zip_with(path: &Path, parts: &[&str]) {
    let file = std::fs::File::create(path).expect("create zip");
    let mut zip = zip::ZipWriter::new(file);
    let opts = zip::write::SimpleFileOptions::default();
    for part in parts {
        zip.start_file(*part, opts).expect("start part");
        zip.write_all(b"<x/>").expect("write part");
    }
    zip.finish().expect("finish zip");
}

/// The start of a compound file whose directory names the stream `EncryptedPackage`, as an
/// `.xlsx` saved with a password is stored.
fn encrypted_bytes() -> Vec<u8> {
    let mut b = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    b.resize(1024, 0);
    b.extend("EncryptedPackage".encode_utf16().flat_map(u16::to_le_bytes));
    b.resize(4096, 0);
    b
}

/// The `.xls` sample with its sheet's DIMENSIONS record (type 0x0200, 14 bytes) claiming
/// 2³¹ rows: calamine would reserve the whole grid up front and abort the process.
fn far_dimensions_xls() -> Vec<u8> {
    let mut xls = std::fs::read(sample("xls")).expect("sample xls");
    let header = [0x00, 0x02, 0x0E, 0x00];
    let at = xls
        .windows(4)
        .position(|w| w == header)
        .expect("the sample has a DIMENSIONS record");
    // The record's data: first row (u32), last row + 1 (u32), first and last column (u16).
    xls[at + 8..at + 12].copy_from_slice(&0x8000_0000u32.to_le_bytes());
    xls
}

/// The `.xls` sample marked as encrypted: the record after the Workbook stream's BOF becomes
/// a FILEPASS record (type 0x002F) with a non-zero encryption type, as Excel writes for a
/// workbook with an open password.
fn password_xls() -> Vec<u8> {
    let mut xls = std::fs::read(sample("xls")).expect("sample xls");
    let bof = [0x09, 0x08, 0x10, 0x00];
    let at = xls
        .windows(4)
        .position(|w| w == bof)
        .expect("the sample's BOF record");
    let next = at + 4 + 16;
    assert_eq!(
        xls[next + 2..next + 4],
        [2, 0],
        "a two-byte record follows the BOF"
    );
    xls[next..next + 6].copy_from_slice(&[0x2F, 0x00, 0x02, 0x00, 0x01, 0x00]);
    xls
}

/// Runs a folder and returns (exit code, path → error) with the good file's form count.
fn run_folder(dir: &Path) -> (i32, serde_json::Value) {
    let run = selfeval(&[
        "check",
        dir.to_str().expect("utf-8 path"),
        "--no-write",
        "--format",
        "json",
    ]);
    (run.code, run.json())
}

fn error_of(doc: &serde_json::Value, name: &str) -> String {
    file_entry(doc, name)["error"]
        .as_str()
        .unwrap_or_else(|| panic!("{name}: no error in {doc}"))
        .to_string()
}

fn assert_good_still_checked(doc: &serde_json::Value) {
    let good = doc["files"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["path"].as_str().is_some_and(|p| p.ends_with("good.xlsx")))
        .expect("good file reported");
    assert!(
        good["forms"].as_array().is_some_and(|f| !f.is_empty()),
        "good file's form missing: {good}"
    );
}

#[test]
fn recognisable_bad_files_get_clear_reasons() {
    let dir = scratch("badfiles-reasons");
    write_book(&dir.join("good.xlsx"), &[clean()], false);
    let good = std::fs::read(dir.join("good.xlsx")).expect("read good");

    std::fs::write(dir.join("empty.xlsx"), b"").expect("write");
    std::fs::write(dir.join("scan.xlsx"), b"%PDF-1.7\n%\xE2\xE3\n1 0 obj\n").expect("write");
    zip_with(
        &dir.join("memo.xlsx"),
        &["[Content_Types].xml", "word/document.xml"],
    );
    zip_with(
        &dir.join("slides.xlsx"),
        &["[Content_Types].xml", "ppt/presentation.xml"],
    );
    zip_with(&dir.join("archive.xlsx"), &["readme.txt"]);
    std::fs::write(
        dir.join("export.xls"),
        "<html><body><table><tr><td>项目名称</td></tr></table></body></html>",
    )
    .expect("write");
    std::fs::write(dir.join("export-csv.xls"), "项目名称,金额\n办公设备,12.5\n").expect("write");
    std::fs::write(dir.join("locked.xlsx"), encrypted_bytes()).expect("write");
    std::fs::write(dir.join("cut.xlsx"), &good[..good.len() / 2]).expect("write");
    std::fs::write(dir.join("far-dims.xls"), far_dimensions_xls()).expect("write");
    std::fs::write(dir.join("locked.xls"), password_xls()).expect("write");
    // xorshift bytes: random, and the same on every run.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let noise: Vec<u8> = (0..64 * 1024)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    std::fs::write(dir.join("noise.xlsx"), noise).expect("write");

    let (code, doc) = run_folder(&dir);
    assert_eq!(code, 2, "{doc}");
    let expect = [
        ("empty.xlsx", "文件为空"),
        ("scan.xlsx", "这是 PDF 文件，不是 Excel 工作簿"),
        ("memo.xlsx", "这是 Word 文档"),
        ("slides.xlsx", "这是 PowerPoint 文档"),
        ("archive.xlsx", "缺少 xl/workbook.xml"),
        (
            "export.xls",
            "此文件实为网页（HTML）导出，请用 Excel 打开后另存为 .xlsx",
        ),
        (
            "export-csv.xls",
            "此文件实为文本（CSV）导出，请用 Excel 打开后另存为 .xlsx",
        ),
        ("locked.xlsx", "工作簿设置了打开密码，请取消密码后重新提交"),
        ("cut.xlsx", "文件不完整或已损坏"),
        ("far-dims.xls", "工作表的单元格范围过大"),
        ("noise.xlsx", "不是 Excel 或 ODS 工作簿"),
        ("locked.xls", "工作簿设置了打开密码，请取消密码后重新提交"),
    ];
    for (name, reason) in expect {
        let error = error_of(&doc, name);
        assert!(error.contains(reason), "{name}: {error}");
        assert!(error.contains('('), "{name}: no English beside: {error}");
    }
    assert_good_still_checked(&doc);
}

/// A package whose one part declares 200 MB of zeros (a few hundred KB compressed).
fn zip_bomb(path: &Path) {
    let file = std::fs::File::create(path).expect("create bomb");
    let mut zip = zip::ZipWriter::new(file);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(1))
        .large_file(true);
    zip.start_file("xl/workbook.xml", opts).expect("start part");
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..200 {
        zip.write_all(&zeros).expect("write zeros");
    }
    zip.finish().expect("finish bomb");
}

/// `text` with `insert` put before the last `before` in it.
fn insert_before(text: Vec<u8>, before: &str, insert: String) -> Vec<u8> {
    let text = String::from_utf8(text).expect("utf-8 part");
    let at = text.rfind(before).expect("the closing tag");
    format!("{}{insert}{}", &text[..at], &text[at..]).into_bytes()
}

/// The `.xlsx` sample with about 20 MB of distinct shared strings added: an honest zip (each
/// part's size declared truly, compressing about 4:1), but more than the reader should hold.
fn swollen_shared_strings(path: &Path) {
    repack(&sample("xlsx"), path, "xl/sharedStrings.xml", |body| {
        let more: String = (0..1_000_000u32)
            .map(|n| format!("<si><t>{n}</t></si>"))
            .collect();
        insert_before(body, "</sst>", more)
    });
}

/// An `.ods` whose one row, of one number repeated across every column, is repeated 6,000
/// times: a few hundred bytes that calamine expands into 98 million cells.
fn repeated_cells_ods(path: &Path) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).expect("create"));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("mimetype", stored).expect("mimetype");
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .expect("mimetype");
    zip.start_file("META-INF/manifest.xml", stored)
        .expect("manifest");
    zip.write_all(concat!(
        r#"<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">"#,
        r#"<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>"#,
        r#"</manifest:manifest>"#
    ).as_bytes())
    .expect("manifest");
    zip.start_file("content.xml", zip::write::SimpleFileOptions::default())
        .expect("content");
    let content = concat!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content "#,
        r#"xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" "#,
        r#"xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" "#,
        r#"xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body>"#,
        r#"<office:spreadsheet><table:table table:name="自评表">"#,
        r#"<table:table-row table:number-rows-repeated="6000">"#,
        r#"<table:table-cell table:number-columns-repeated="16384" office:value-type="float" "#,
        r#"office:value="1"><text:p>1</text:p></table:table-cell></table:table-row>"#,
        r#"</table:table></office:spreadsheet></office:body></office:document-content>"#
    );
    zip.write_all(content.as_bytes()).expect("content");
    zip.finish().expect("finish");
}

#[test]
fn bombs_are_refused_quickly_and_within_memory() {
    let dir = scratch("badfiles-bomb");
    write_book(&dir.join("good.xlsx"), &[clean()], false);
    zip_bomb(&dir.join("bomb.xlsx"));
    swollen_shared_strings(&dir.join("strings.xlsx"));
    repeated_cells_ods(&dir.join("repeated.ods"));
    let started = Instant::now();
    let (code, doc) = run_folder(&dir);
    let took = started.elapsed();
    assert_eq!(code, 2, "{doc}");
    let bomb = error_of(&doc, "bomb.xlsx");
    assert!(bomb.contains("解压后过大"), "{bomb}");
    let strings = error_of(&doc, "strings.xlsx");
    assert!(
        strings.contains("“xl/sharedStrings.xml”解压后过大"),
        "{strings}"
    );
    // calamine's own cell limit is 100 million; the child's memory cap stops it first.
    let repeated = error_of(&doc, "repeated.ods");
    assert!(repeated.contains("读取时中断"), "{repeated}");
    assert!(took < Duration::from_secs(20), "took {took:?}");
    assert_good_still_checked(&doc);
    // The .xlsx bombs are refused in-process, from what their packages declare.
    #[cfg(unix)]
    for name in ["bomb.xlsx", "strings.xlsx"] {
        let path = dir.join(name);
        let run = common::measure::measured(
            env!("CARGO_BIN_EXE_selfeval"),
            &["check", path.to_str().expect("utf-8"), "--no-write", "-q"],
        );
        assert_eq!(run.code, Some(2), "{name}");
        assert!(run.peak_mb < 100.0, "{name}: {:.0} MB", run.peak_mb);
        assert!(
            run.elapsed < Duration::from_secs(10),
            "{name}: {:?}",
            run.elapsed
        );
    }
}

/// A script standing in for the `selfeval` binary's `read-probe`, so that the test decides how
/// the child's read of a legacy workbook ends. It speaks the child's side of the exchange: a
/// header line (`xls 13824`) per file, read into `$format` and `$len`, then the file's bytes,
/// which `take` reads; `on_file` runs for each file with `$n` counting the files this child
/// was sent, and must answer `ok` (or not). Each start is a line in `name.starts`.
#[cfg(unix)]
fn stand_in_child(dir: &Path, name: &str, on_file: &str) -> (selfeval::sandbox::Sandbox, Starts) {
    use std::os::unix::fs::PermissionsExt;
    let script = dir.join(name);
    let starts = Starts(dir.join(format!("{name}.starts")));
    let body = format!(
        "#!/bin/sh\n\
         echo started >> '{}'\n\
         take() {{ head -c \"$len\" > /dev/null; }}\n\
         n=0\n\
         while read format len; do\n\
         n=$((n + 1))\n\
         {on_file}\n\
         done\n",
        starts.0.display()
    );
    std::fs::write(&script, body).expect("script");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let sandbox = selfeval::sandbox::Sandbox::new(script).with_timeout(Duration::from_secs(1));
    (sandbox, starts)
}

/// The log of a stand-in's starts.
struct Starts(std::path::PathBuf);

impl Starts {
    fn count(&self) -> usize {
        std::fs::read_to_string(&self.0).map_or(0, |s| s.lines().count())
    }
}

#[cfg(unix)]
#[test]
fn a_legacy_read_that_aborts_or_hangs_becomes_that_files_reason() {
    use selfeval::reader::ReadError;
    let dir = scratch("badfiles-sandbox");
    let xls = std::fs::read(sample("xls")).expect("sample xls");
    let xlsx = std::fs::read(sample("xlsx")).expect("sample xlsx");

    let (aborts, _) = stand_in_child(&dir, "aborts.sh", "kill -ABRT $$");
    assert_eq!(
        aborts.vet(&xls, BookFormat::Xls),
        Err(ReadError::ReaderAborted)
    );
    // .xlsx is bounded by intake and the reader's limits: no child is asked.
    assert_eq!(aborts.vet(&xlsx, BookFormat::Xlsx), Ok(()));

    // It stops reading in the middle of the file, more than a pipe holds.
    let (hangs, _) = stand_in_child(&dir, "hangs.sh", "exec sleep 30");
    let started = Instant::now();
    assert_eq!(
        hangs.vet(&vec![0; 1 << 20], BookFormat::Xls),
        Err(ReadError::ReadTimeout { secs: 1 })
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the child was not stopped"
    );

    // A child that ends without answering did not read the file to the end.
    let (leaves, _) = stand_in_child(&dir, "leaves.sh", "take; exit 0");
    assert_eq!(
        leaves.vet(&xls, BookFormat::Ods),
        Err(ReadError::ReaderAborted)
    );

    let (reads, _) = stand_in_child(&dir, "reads.sh", "take; echo ok");
    assert_eq!(reads.vet(&xls, BookFormat::Xls), Ok(()));

    // The real binary reads the real sample to the end, file after file, and comes back from
    // a file it cannot read as from one it can.
    let real = selfeval::sandbox::Sandbox::new(env!("CARGO_BIN_EXE_selfeval"));
    let garbage = [&xls[..512], &[0xFF; 4096][..]].concat();
    for bytes in [&xls, &garbage, &xls, &Vec::new(), &xls] {
        assert_eq!(real.vet(bytes, BookFormat::Xls), Ok(()));
    }
    assert_eq!(real.vet(&garbage, BookFormat::Ods), Ok(()));
    // Intake refuses it in-process, before any child is asked.
    assert!(matches!(
        selfeval::intake::admit(&far_dimensions_xls()),
        Err(ReadError::SheetTooLarge { .. })
    ));
}

#[cfg(unix)]
#[test]
fn one_child_reads_file_after_file() {
    let dir = scratch("badfiles-pool-reuse");
    let xls = std::fs::read(sample("xls")).expect("sample xls");
    let (sandbox, starts) = stand_in_child(&dir, "reads.sh", "take; echo ok");
    for _ in 0..20 {
        assert_eq!(sandbox.vet(&xls, BookFormat::Xls), Ok(()));
    }
    assert_eq!(sandbox.vet(&xls, BookFormat::Ods), Ok(()));
    assert_eq!(
        starts.count(),
        1,
        "one child for every file read one at a time"
    );

    // Clones share the children; threads reading at once each have one of their own.
    let shared = sandbox.clone();
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                for _ in 0..10 {
                    assert_eq!(shared.vet(&xls, BookFormat::Xls), Ok(()));
                }
            });
        }
    });
    assert!(
        (1..=3).contains(&starts.count()),
        "{} children for three threads",
        starts.count()
    );
}

#[cfg(unix)]
#[test]
fn a_child_killed_mid_file_is_replaced_and_the_next_file_still_reads() {
    use selfeval::reader::ReadError;
    let dir = scratch("badfiles-pool-killed");
    let xls = std::fs::read(sample("xls")).expect("sample xls");
    // Dies on a file of 7 bytes, before it has read them.
    let (sandbox, starts) = stand_in_child(
        &dir,
        "dies.sh",
        "if [ \"$len\" = 7 ]; then kill -KILL $$; fi; take; echo ok",
    );
    let hostile = vec![0u8; 7];
    assert_eq!(sandbox.vet(&xls, BookFormat::Xls), Ok(()));
    assert_eq!(
        sandbox.vet(&hostile, BookFormat::Xls),
        Err(ReadError::ReaderAborted)
    );
    assert_eq!(sandbox.vet(&xls, BookFormat::Xls), Ok(()));
    assert_eq!(sandbox.vet(&xls, BookFormat::Xls), Ok(()));
    // The first child; a new one that the hostile file ended too, since a child that had read
    // before is not taken at its word; the one for the files after it.
    assert_eq!(starts.count(), 3);

    // A child that dies of something else than the file it was sent (here: its second file,
    // whatever it is) costs that file nothing.
    let (weary, starts) = stand_in_child(
        &dir,
        "weary.sh",
        "take; if [ $n = 2 ]; then kill -KILL $$; fi; echo ok",
    );
    for _ in 0..3 {
        assert_eq!(weary.vet(&xls, BookFormat::Xls), Ok(()));
    }
    // The second and the third file are each read again by a new child.
    assert_eq!(starts.count(), 3);
}

#[cfg(unix)]
#[test]
fn a_hung_child_is_timed_out_and_the_next_file_still_reads() {
    use selfeval::reader::ReadError;
    let dir = scratch("badfiles-pool-hang");
    let xls = std::fs::read(sample("xls")).expect("sample xls");
    let (sandbox, starts) = stand_in_child(
        &dir,
        "hangs-on-7.sh",
        "take; if [ \"$len\" = 7 ]; then exec sleep 30; fi; echo ok",
    );
    assert_eq!(sandbox.vet(&xls, BookFormat::Xls), Ok(()));
    let started = Instant::now();
    assert_eq!(
        sandbox.vet(&[0u8; 7], BookFormat::Xls),
        Err(ReadError::ReadTimeout { secs: 1 })
    );
    assert_eq!(sandbox.vet(&xls, BookFormat::Xls), Ok(()));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(starts.count(), 2);
}

/// A form whose sheet goes on for a million rows of numbers below it.
fn million_rows(path: &Path, form: Form) {
    let book = path.with_extension("form.xlsx");
    write_book(&book, &[form], false);
    repack(&book, path, "xl/worksheets/sheet1.xml", |body| {
        let rows: String = (1_000..1_001_000u32)
            .map(|r| format!("<row r=\"{r}\"><c r=\"A{r}\"><v>{r}</v></c></row>"))
            .collect();
        insert_before(body, "</sheetData>", rows)
    });
    std::fs::remove_file(book).expect("remove");
}

#[test]
fn a_million_rows_below_a_form_cost_little_to_check_and_to_correct() {
    let dir = scratch("badfiles-rows");
    million_rows(&dir.join("long.xlsx"), clean());
    let run = selfeval(&[
        "check",
        dir.join("long.xlsx").to_str().expect("utf-8 path"),
        "--no-write",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = run.json();
    let form = &doc["files"][0]["forms"][0];
    assert_eq!(form["total"], "99.45", "{form}");
    assert_eq!(
        form["indicators"].as_array().map(Vec::len),
        Some(8),
        "{form}"
    );
    // Not read means not held: the rows past the limit cost neither memory nor much time.
    #[cfg(unix)]
    {
        let long = dir.join("long.xlsx");
        let run = common::measure::measured(
            env!("CARGO_BIN_EXE_selfeval"),
            &["check", long.to_str().expect("utf-8"), "--no-write", "-q"],
        );
        assert_eq!(run.code, Some(0));
        assert!(run.peak_mb < 100.0, "{:.0} MB", run.peak_mb);
        assert!(run.elapsed < Duration::from_secs(10), "{:?}", run.elapsed);

        // A mistake in such a form is corrected in place: the patch keeps only the rows it
        // touches, and the million rows are copied through.
        let mut wrong = clean();
        wrong.indicators[0].score = n(9.0);
        let long = dir.join("long-wrong.xlsx");
        million_rows(&long, wrong);
        let out = dir.join("out");
        let run = common::measure::measured(
            env!("CARGO_BIN_EXE_selfeval"),
            &[
                "check",
                long.to_str().expect("utf-8"),
                "--out-dir",
                out.to_str().expect("utf-8"),
                "-q",
            ],
        );
        assert_eq!(run.code, Some(1));
        // The sheet is held inflated twice, as read and as written: about 54 MB each, and
        // 155 MB at the peak. Keeping every row in the patch's scan cost 211 MB.
        assert!(run.peak_mb < 180.0, "{:.0} MB", run.peak_mb);
        assert!(run.elapsed < Duration::from_secs(30), "{:?}", run.elapsed);
        let copy = sheet_xml(&out.join("long-wrong.checked.xlsx"));
        let rows = |xml: &str| xml.matches("<row ").count();
        assert_eq!(rows(&copy), rows(&sheet_xml(&long)), "every row kept");
        assert!(
            copy.contains(
                r#"<row r="1000999"><c r="A1000999"><v>1000999</v></c></row></sheetData>"#
            )
        );
        // The first indicator's score (H12) is corrected to 10.
        let h12 = copy.find(r#"<c r="H12" "#).expect("H12 written");
        assert!(
            copy[h12..].starts_with(r#"<c r="H12" s="#),
            "{}",
            &copy[h12..h12 + 60]
        );
        let cell = &copy[h12..h12 + copy[h12..].find("</c>").expect("end of H12")];
        assert!(cell.ends_with("<v>10</v>"), "{cell}");
    }
}

/// The first sheet's XML of an `.xlsx`.
fn sheet_xml(book: &Path) -> String {
    let file = std::fs::File::open(book).expect("open");
    let mut zip = zip::ZipArchive::new(file).expect("zip");
    let mut xml = String::new();
    std::io::Read::read_to_string(
        &mut zip.by_name("xl/worksheets/sheet1.xml").expect("sheet"),
        &mut xml,
    )
    .expect("inflate");
    xml
}

/// Values no form should hold, each in its own copy of the clean form: the file is read and
/// checked, the value is a finding at its cell, and the corrected copy is still written.
#[test]
fn hostile_cell_values_are_findings_at_their_cells() {
    let dir = scratch("badfiles-cells");
    // 31 500 characters: just within Excel's 32 767 per cell, so that a note quoting it is not.
    let long_name: &'static str = Box::leak("很长的指标名称".repeat(4_500).into_boxed_str());
    let mut cases: Vec<(&str, Form, &str, &str)> = Vec::new();
    let mut with = |name, cell, code, change: &dyn Fn(&mut Form)| {
        let mut f = clean();
        change(&mut f);
        cases.push((name, f, cell, code));
    };
    with("div0", "H12", "bad-number", &|f| {
        f.indicators[0].score = V::Formula("=1/0", "#DIV/0!")
    });
    with("ref", "G13", "bad-number", &|f| {
        f.indicators[1].weight = V::Formula("=#REF!", "#REF!")
    });
    with("words", "G12", "bad-number", &|f| {
        f.indicators[0].weight = t("二十")
    });
    with("about", "F14", "actual-not-numeric", &|f| {
        f.indicators[2].actual = t("约95%")
    });
    with("dots", "H15", "bad-number", &|f| {
        f.indicators[3].score = t("9.5.1")
    });
    with("negative", "G20", "weight-sum", &|f| {
        f.indicators[0].weight = n(-10.0);
        f.indicators[0].score = n(-10.0);
    });
    with("zero", "G20", "weight-sum", &|f| {
        f.indicators[0].weight = n(0.0);
        f.indicators[0].score = n(0.0);
    });
    with("hundred", "G20", "weight-sum", &|f| {
        f.indicators[0].weight = n(100.0);
        f.indicators[0].score = n(100.0);
    });
    with("decimals", "H12", "score-formula", &|f| {
        f.indicators[0].score = n(9.456)
    });
    with("huge", "H13", "bad-number", &|f| {
        f.indicators[1].score = n(1e20)
    });
    with("long", "H12", "score-formula", &|f| {
        f.indicators[0].name = long_name;
        f.indicators[0].score = n(9.0);
        f.total = n(98.45);
    });
    for (name, form, cell, code) in &cases {
        let path = dir.join(format!("{name}.xlsx"));
        write_book(&path, std::slice::from_ref(form), false);
        let before = std::fs::read(&path).expect("fixture");
        let run = selfeval(&[
            "check",
            path.to_str().expect("utf-8 path"),
            "--format",
            "json",
            "--out-dir",
            dir.join("out").to_str().expect("utf-8 path"),
        ]);
        let doc = run.json();
        let file = &doc["files"][0];
        assert!(file["error"].is_null(), "{name}: {file}");
        assert!(file["write_error"].is_null(), "{name}: {file}");
        assert!(
            file["output"].is_string(),
            "{name}: no corrected copy: {file}"
        );
        let found = findings(&doc);
        assert!(
            found.iter().any(|f| f.0 == *cell && f.1 == *code),
            "{name}: expected {code} at {cell}, got {found:?}"
        );
        let has_error = found.iter().any(|f| f.2 == "error");
        assert_eq!(run.code, i32::from(has_error), "{name}: {}", run.stderr);
        assert_eq!(
            std::fs::read(&path).expect("input"),
            before,
            "{name}: input changed"
        );
    }
}

/// A workbook whose one sheet holds only the form's title: not a form, and said so.
#[test]
fn a_sheet_with_only_a_title_is_not_a_form() {
    let dir = scratch("badfiles-title");
    let path = dir.join("title.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("自评表").expect("name");
    ws.write_string(0, 0, "项目支出绩效自评表（2023年度）")
        .expect("title");
    wb.save(&path).expect("save");
    let path = path.to_str().expect("utf-8 path");
    let run = selfeval(&["check", path, "--format", "json"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    let doc = run.json();
    let file = &doc["files"][0];
    assert_eq!(file["forms"].as_array().map(Vec::len), Some(0), "{file}");
    let skipped = file["skipped"].to_string();
    assert!(skipped.contains("未找到绩效指标表头"), "{file}");
    // The document and the stream give the one reason every front end gives.
    let reason = file["error"].as_str().expect("a reason in the document");
    assert!(reason.starts_with("没有找到自评表"), "{file}");
    let stream = selfeval(&["check", path, "--format", "jsonl"]);
    assert_eq!(stream.code, 2, "{}", stream.stdout);
    let line: serde_json::Value =
        serde_json::from_str(stream.stdout.trim()).expect("one JSON line");
    assert_eq!(line["error"].as_str(), Some(reason), "{line}");
    assert!(
        line["sheet"].is_null() && line["total"].is_null(),
        "no form: {line}"
    );
    assert!(
        !dir.join("title.checked.xlsx").exists(),
        "no copy of a workbook without a form"
    );
}

/// A clean form with one cell far off at the last row and column read, and a clean form
/// whose one merged range covers the whole sheet: neither may cost memory or time in
/// proportion to the span (the grid is sparse and merges stay ranges).
#[test]
fn a_far_off_cell_or_a_sheet_wide_merge_costs_nothing() {
    let dir = scratch("badfiles-span");
    let far = dir.join("far.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    write_form(ws, &clean());
    ws.write_string(19_999, 511, "远处的单元格")
        .expect("far cell");
    wb.save(&far).expect("save");
    let form = dir.join("form.xlsx");
    write_book(&form, &[clean()], false);
    let merged = dir.join("merged.xlsx");
    repack(&form, &merged, "xl/worksheets/sheet1.xml", |body| {
        let huge = r#"<mergeCells count="1"><mergeCell ref="A1:XFD1048576"/></mergeCells>"#;
        let text = String::from_utf8(body).expect("utf-8 sheet");
        let at = text.find("</sheetData>").expect("sheetData") + "</sheetData>".len();
        format!("{}{huge}{}", &text[..at], &text[at..]).into_bytes()
    });
    std::fs::remove_file(&form).expect("remove");
    #[cfg(unix)]
    for book in [&far, &merged] {
        let run = common::measure::measured(
            env!("CARGO_BIN_EXE_selfeval"),
            &["check", book.to_str().expect("utf-8"), "--no-write", "-q"],
        );
        assert!(
            run.peak_mb < 100.0,
            "{}: {:.0} MB",
            book.display(),
            run.peak_mb
        );
    }
    let started = Instant::now();
    let (_, doc) = run_folder(&dir);
    assert!(started.elapsed() < Duration::from_secs(20), "{doc}");
    // Both are the clean form, read and scored as if nothing were beside it.
    for name in ["far.xlsx", "merged.xlsx"] {
        let file = file_entry(&doc, name);
        assert_eq!(file["forms"][0]["total"], "99.45", "{file}");
        assert_eq!(file["forms"][0]["errors"], 0, "{file}");
    }
}
