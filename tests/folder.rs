//! A finance bureau's folder run: the summary workbook, parallel determinism, broken files
//! among good ones, and outputs that are never half-written.

mod common;

use std::path::{Path, PathBuf};

use calamine::{Data, Reader, open_workbook_auto};
use common::{clean, n, sample, scratch, selfeval, t, write_book};

/// A folder of four forms in two subfolders, one with mistakes, one workbook of two forms,
/// and a file that is not a workbook.
fn inbox(name: &str) -> PathBuf {
    let dir = scratch(name).join("收件箱");
    std::fs::create_dir_all(dir.join("县级")).expect("dir");
    write_book(&dir.join("a-clean.xlsx"), &[clean()], true);
    let mut wrong = clean();
    wrong.department = "某县农业农村局";
    wrong.indicators[0].score = n(9.0);
    wrong.grade = t("良");
    write_book(&dir.join("县级/b-wrong.xlsx"), &[wrong], false);
    let mut second = clean();
    second.sheet = "自评表2";
    write_book(
        &dir.join("县级/c-two forms.xlsx"),
        &[clean(), second],
        false,
    );
    std::fs::copy(sample("xls"), dir.join("d-sample.xls")).expect("copy");
    std::fs::write(dir.join("e-broken.xlsx"), b"this is not a workbook").expect("write");
    dir
}

fn rows(path: &Path, sheet: &str) -> Vec<Vec<String>> {
    let mut wb = open_workbook_auto(path).expect("summary opens");
    let range = wb.worksheet_range(sheet).expect("sheet");
    range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

#[test]
fn summary_workbook_lists_every_form_finding_and_count() {
    let input = inbox("folder-summary");
    let base = input.parent().unwrap().to_path_buf();
    let out = base.join("核查");
    let summary = base.join("汇总.xlsx");
    let run = selfeval(&[
        "check",
        input.to_str().unwrap(),
        "--out-dir",
        out.to_str().unwrap(),
        "--summary",
        summary.to_str().unwrap(),
    ]);
    assert_eq!(
        run.code, 2,
        "a broken file makes the run end with 2: {}",
        run.stderr
    );

    let forms = rows(&summary, "汇总");
    assert_eq!(forms[0][0], "文件");
    let body = &forms[1..];
    assert_eq!(
        body.len(),
        6,
        "five forms and one unreadable file: {body:?}"
    );
    let status: Vec<(&str, &str, &str)> = body
        .iter()
        .map(|r| {
            (
                Path::new(&r[0]).file_name().unwrap().to_str().unwrap(),
                r[1].as_str(),
                r[13].as_str(),
            )
        })
        .collect();
    assert_eq!(
        status,
        vec![
            ("a-clean.xlsx", "自评表", "通过"),
            ("d-sample.xls", "自评表", "有误"),
            ("e-broken.xlsx", "", "无法读取"),
            ("b-wrong.xlsx", "自评表", "有误"),
            ("c-two forms.xlsx", "自评表", "通过"),
            ("c-two forms.xlsx", "自评表2", "通过"),
        ]
    );
    let broken = &body[2];
    assert!(
        broken[15].contains("不是 Excel"),
        "the reason is given: {broken:?}"
    );
    let sample_row = &body[1];
    assert_eq!(
        (sample_row[6].as_str(), sample_row[7].as_str()),
        ("99.95", "99.97")
    );
    assert_eq!(
        (sample_row[11].as_str(), sample_row[12].as_str()),
        ("2", "0")
    );

    // Corrected copies mirror the folder, and the links point at them.
    assert!(out.join("县级/b-wrong.checked.xlsx").is_file());
    assert!(out.join("d-sample.checked.xlsx").is_file());
    assert!(!out.join("e-broken.checked.xlsx").exists());
    let mut wb = open_workbook_auto(&summary).expect("summary");
    let _ = wb.worksheet_range("汇总").expect("sheet");
    let xml = unzip(&summary, "xl/worksheets/_rels/sheet1.xml.rels");
    assert!(xml.contains("核查/县级/b-wrong.checked.xlsx"), "{xml}");

    let issues = rows(&summary, "问题清单");
    let wrong_cells: Vec<(&str, &str, &str)> = issues[1..]
        .iter()
        .filter(|r| r[0].ends_with("b-wrong.xlsx") && r[5] == "错误")
        .map(|r| (r[2].as_str(), r[3].as_str(), r[4].as_str()))
        .collect();
    assert!(
        wrong_cells.contains(&("H12", "培训企业人次", "score-formula")),
        "{wrong_cells:?}"
    );
    assert!(
        wrong_cells.contains(&("B21", "", "grade")),
        "{wrong_cells:?}"
    );

    let stats = rows(&summary, "统计");
    let count = |code: &str| stats.iter().find(|r| r[0] == code).map(|r| r[2].clone());
    assert_eq!(
        count("score-formula").as_deref(),
        Some("2"),
        "sample H29 and b-wrong H12: {stats:?}"
    );
    assert!(
        stats
            .iter()
            .any(|r| r.get(4).is_some_and(|d| d == "某县农业农村局")),
        "{stats:?}"
    );
    assert!(
        unzip(&summary, "[Content_Types].xml").contains("drawingml.chart"),
        "a chart of findings by code"
    );
}

fn unzip(path: &Path, part: &str) -> String {
    use std::io::Read;
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).expect("open")).expect("zip");
    let mut s = String::new();
    z.by_name(part)
        .expect(part)
        .read_to_string(&mut s)
        .expect("read");
    s
}

/// Every output file under `dir`, with its bytes.
fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(&p).expect("read"),
                ));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn thread_count_changes_nothing_and_a_second_run_is_byte_identical() {
    let input = inbox("folder-threads");
    let base = input.parent().unwrap().to_path_buf();
    let run = |label: &str, jobs: &str| {
        let out = base.join(label);
        let r = selfeval(&[
            "check",
            input.to_str().unwrap(),
            "--out-dir",
            out.join("copies").to_str().unwrap(),
            "--summary",
            out.join("汇总.xlsx").to_str().unwrap(),
            "--format",
            "json",
            "-j",
            jobs,
        ]);
        assert_eq!(r.code, 2);
        (r.stdout.replace(label, "X"), tree(&out))
    };
    let (json1, files1) = run("j1", "1");
    let (json4, files4) = run("j4", "4");
    let (again, files_again) = run("j4-again", "4");
    assert_eq!(json1, json4);
    assert_eq!(json4, again.replace("X-again", "X"));
    assert_eq!(
        files1.len(),
        5,
        "{:?}",
        files1.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    assert_eq!(files1, files4);
    assert_eq!(files4, files_again);
}

#[test]
fn folder_json_is_one_document_and_jsonl_is_one_line_per_form() {
    let input = inbox("folder-json");
    let run = selfeval(&[
        "check",
        input.to_str().unwrap(),
        "--no-write",
        "--format",
        "json",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("one JSON document");
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["files"].as_array().map(Vec::len), Some(5));
    assert!(
        doc["files"][2]["error"]
            .as_str()
            .is_some_and(|e| !e.is_empty())
    );

    let run = selfeval(&[
        "check",
        input.to_str().unwrap(),
        "--no-write",
        "--format",
        "jsonl",
    ]);
    let lines: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 6, "five forms and one unreadable file");
    assert!(
        lines
            .iter()
            .all(|l| l["version"] == 1 && l["path"].is_string())
    );
    assert_eq!(lines.iter().filter(|l| l["error"].is_string()).count(), 1);
    assert_eq!(lines.iter().filter(|l| l["sheet"] == "自评表2").count(), 1);
}

#[test]
fn a_failed_write_leaves_no_partial_file() {
    let dir = scratch("folder-interrupted");
    let input = dir.join("in");
    std::fs::create_dir_all(&input).expect("dir");
    write_book(&input.join("a.xlsx"), &[clean()], false);
    write_book(&input.join("b.xlsx"), &[clean()], false);
    // The corrected copy's name is taken by a folder: the rename must fail.
    let out = dir.join("out");
    std::fs::create_dir_all(out.join("a.checked.xlsx")).expect("dir");
    let run = selfeval(&[
        "check",
        input.to_str().unwrap(),
        "--out-dir",
        out.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 2);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    assert!(
        doc["files"][0]["write_error"]
            .as_str()
            .is_some_and(|e| e.contains("a.checked.xlsx"))
    );
    assert!(out.join("a.checked.xlsx").is_dir());
    assert!(
        out.join("b.checked.xlsx").is_file(),
        "the other file is still written"
    );
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn summary_of_a_clean_folder_passes() {
    let dir = scratch("folder-clean");
    write_book(&dir.join("a.xlsx"), &[clean()], false);
    let summary = dir.join("s.xlsx");
    let run = selfeval(&[
        "check",
        dir.to_str().unwrap(),
        "--no-write",
        "--summary",
        summary.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let forms = rows(&summary, "汇总");
    assert_eq!(forms.len(), 2);
    assert_eq!(forms[1][13], "通过");
    assert_eq!(
        forms[1][14], "",
        "no corrected copy without --out-dir writes"
    );
    let mut wb = open_workbook_auto(&summary).expect("summary");
    let stats = wb.worksheet_range("统计").expect("stats");
    assert_eq!(
        stats.get_value((1, 5)),
        Some(&Data::Float(1.0)),
        "one form for the department"
    );
}
