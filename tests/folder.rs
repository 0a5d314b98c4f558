//! A finance bureau's folder run: the summary workbook, parallel determinism, broken files
//! among good ones, and outputs that are never half-written.

mod common;

use std::path::{Path, PathBuf};

use calamine::{Data, Reader, open_workbook_auto};
#[cfg(unix)]
use common::Unprivileged;
use common::{
    SAMPLE_PROJECT, clean, file_entry, n, sample, sample_with_project, scratch, selfeval,
    selfeval_within, t, write_book,
};

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

/// Workbooks at `names` under `base`, folders made as needed: the `.xls` sample for an `.xls`
/// name, a clean form for any other.
fn lay_out(base: &Path, names: &[&str]) -> Vec<PathBuf> {
    names
        .iter()
        .map(|name| {
            let path = base.join(name);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("dir");
            if name.ends_with(".xls") {
                std::fs::copy(sample("xls"), &path).expect("copy");
            } else {
                write_book(&path, &[clean()], false);
            }
            path
        })
        .collect()
}

/// A summary sheet's table, from its header row down: 汇总 opens with a head (the rules, the
/// tool and the day) above it.
fn rows(path: &Path, sheet: &str) -> Vec<Vec<String>> {
    let mut wb = open_workbook_auto(path).expect("summary opens");
    let range = wb.worksheet_range(sheet).expect("sheet");
    let mut rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    if sheet == "汇总" {
        assert!(rows[1][0].starts_with("核查规则："), "{:?}", rows[1]);
        let at = rows.iter().position(|r| r[0] == "文件").expect("a table");
        rows.drain(..at);
    }
    rows
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
    // Problems by the name a reader knows them by, the code beside it; the departments
    // beside them, and no department made of the unreadable file.
    let count = |code: &str| {
        stats
            .iter()
            .find(|r| r[1] == code)
            .map(|r| (r[0].clone(), r[2].clone(), r[3].clone()))
    };
    assert_eq!(
        count("score-formula"),
        Some(("指标得分计算有误".into(), "错误".into(), "2".into())),
        "sample H29 and b-wrong H12: {stats:?}"
    );
    assert!(
        stats.iter().all(|r| r[2] != "提示"),
        "notes are not problems: {stats:?}"
    );
    let departments: Vec<&str> = stats[1..]
        .iter()
        .map(|r| r[5].as_str())
        .filter(|d| !d.is_empty())
        .collect();
    assert!(departments.contains(&"某县农业农村局"), "{stats:?}");
    assert!(!departments.contains(&"（未填）"), "{stats:?}");
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
    lay_out(&input, &["a.xlsx", "b.xlsx"]);
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
    assert!(leftovers(&out).is_empty(), "{:?}", leftovers(&out));
}

/// A sheet of no family the reader knows is 未核查 with its reason, not 无法读取; a form without
/// scores is listed with no total or grade to recompute.
#[test]
fn summary_lists_a_sheet_it_does_not_know_as_not_checked() {
    let dir = scratch("folder-families").join("收件箱");
    std::fs::create_dir_all(&dir).expect("dir");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    for name in ["family-unknown.xlsx", "family-no-score.xlsx"] {
        std::fs::copy(fixtures.join(name), dir.join(name)).expect("copy");
    }
    let summary = dir.parent().unwrap().join("汇总.xlsx");
    let run = selfeval(&[
        "check",
        dir.to_str().unwrap(),
        "--no-write",
        "--summary",
        summary.to_str().unwrap(),
    ]);
    assert!(summary.exists(), "{}", run.stderr);
    let forms = rows(&summary, "汇总");
    let row = |file: &str| {
        forms
            .iter()
            .find(|r| r[0].ends_with(file))
            .unwrap_or_else(|| panic!("{file} not in {forms:?}"))
            .clone()
    };
    let unknown = row("family-unknown.xlsx");
    assert_eq!(
        (unknown[1].as_str(), unknown[13].as_str()),
        ("自评表", "未核查")
    );
    assert!(
        unknown[15].contains("有绩效指标表但没有分值或得分列"),
        "{unknown:?}"
    );
    let no_score = row("family-no-score.xlsx");
    assert_eq!(
        (
            no_score[7].as_str(),
            no_score[10].as_str(),
            no_score[13].as_str()
        ),
        ("", "", "有误"),
        "{no_score:?}"
    );
}

#[test]
fn a_summary_that_cannot_be_written_fails_the_run_after_every_copy() {
    let dir = scratch("folder-summary-blocked");
    let input = dir.join("in");
    lay_out(&input, &["a.xlsx", "b.xlsx"]);
    // The summary's name is taken by a folder: its rename must fail, after every file.
    let summary = dir.join("汇总.xlsx");
    std::fs::create_dir_all(&summary).expect("dir");
    let out = dir.join("out");
    let run = check_json(&input, &out, &summary);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("汇总.xlsx") && run.stderr.contains("cannot write"),
        "{}",
        run.stderr
    );
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("one JSON document");
    assert_eq!(reported(&doc, &input), ["a.xlsx", "b.xlsx"]);
    for copy in ["a.checked.xlsx", "b.checked.xlsx"] {
        assert!(out.join(copy).is_file(), "{copy} is still written");
    }
    assert!(summary.is_dir(), "the folder in the way is left alone");
    assert!(leftovers(&dir).is_empty(), "{:?}", leftovers(&dir));
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
        stats.get_value((1, 6)),
        Some(&Data::Float(1.0)),
        "one form for the department"
    );
}

/// A form's cell past Excel's 32 767 units (another program wrote it) is cut to fit in the
/// summary: rust_xlsxwriter refuses the whole text, and that once cost the folder its summary.
#[test]
fn a_cell_longer_than_excel_allows_is_cut_in_the_summary() {
    let base = scratch("folder-long-cell");
    let input = base.join("收件箱");
    std::fs::create_dir_all(&input).expect("dir");
    let long = format!("{SAMPLE_PROJECT}{}", "长".repeat(40_000));
    sample_with_project(&input.join("a-long.xlsx"), &long);
    write_book(&input.join("b-clean.xlsx"), &[clean()], false);
    let (out, summary) = (base.join("核查"), base.join("汇总.xlsx"));
    let run = check_json(&input, &out, &summary);
    assert_eq!(
        run.code, 1,
        "the sample's errors, nothing unreadable: {}",
        run.stderr
    );
    let forms = rows(&summary, "汇总");
    let row = |name: &str| {
        forms
            .iter()
            .find(|r| r[0].ends_with(name))
            .unwrap_or_else(|| panic!("a row for {name}: {forms:?}"))
    };
    let cut = &row("a-long.xlsx")[2];
    assert_eq!(cut.encode_utf16().count(), 32_767);
    assert!(long.starts_with(cut.as_str()));
    assert_eq!(row("a-long.xlsx")[14], "打开");
    assert_eq!(row("b-clean.xlsx")[13], "通过");
    assert!(out.join("a-long.checked.xlsx").is_file());
    assert!(out.join("b-clean.checked.xlsx").is_file());
}

// ---------------------------------------------------------------------------------------
// Hostile folders: links that loop, unreadable entries, odd names, colliding names, an
// output folder inside the input, and an output folder that cannot be written.
// ---------------------------------------------------------------------------------------

/// `check INPUT --out-dir OUT --summary SUMMARY --format json`, the bureau's whole run.
fn check_json(input: &Path, out: &Path, summary: &Path) -> common::Run {
    selfeval(&check_json_args(input, out, summary))
}

fn check_json_args<'a>(input: &'a Path, out: &'a Path, summary: &'a Path) -> [&'a str; 8] {
    [
        "check",
        s(input),
        "--out-dir",
        s(out),
        "--summary",
        s(summary),
        "--format",
        "json",
    ]
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// The bytes of each file, to show that a run never writes to its inputs.
fn contents(files: &[PathBuf]) -> Vec<Vec<u8>> {
    files
        .iter()
        .map(|f| std::fs::read(f).unwrap_or_else(|e| panic!("{}: {e}", f.display())))
        .collect()
}

/// The reported files of a JSON run, as paths relative to `root`.
fn reported(doc: &serde_json::Value, root: &Path) -> Vec<String> {
    doc["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| {
            let p = f["path"].as_str().expect("path");
            Path::new(p)
                .strip_prefix(root)
                .unwrap_or_else(|_| panic!("{p} is not under {}", root.display()))
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

fn has_forms(file: &serde_json::Value) -> bool {
    file["error"].is_null() && file["forms"].as_array().is_some_and(|f| !f.is_empty())
}

/// Files left under `dir` whose name marks an unfinished write.
fn leftovers(dir: &Path) -> Vec<PathBuf> {
    tree(dir)
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| p.to_string_lossy().ends_with(".tmp"))
        .collect()
}

#[cfg(unix)]
fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {}: {e}", path.display()));
}

/// Gives back the permissions a test took away, even when it fails, so that the next run
/// can clear its scratch folder.
#[cfg(unix)]
struct Restore(Vec<PathBuf>);

#[cfg(unix)]
impl Drop for Restore {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt;
        for p in &self.0 {
            let mode = if p.is_dir() { 0o755 } else { 0o644 };
            let _ = std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode));
        }
    }
}

#[cfg(unix)]
#[test]
fn symbolic_link_loops_end_and_each_workbook_is_checked_once() {
    use std::os::unix::fs::symlink;
    let dir = scratch("folder-symlinks");
    let input = dir.join("in");
    let books = lay_out(
        &dir,
        &["in/a.xlsx", "in/sub/b.xlsx", "elsewhere/outside.xlsx"],
    );
    symlink(".", input.join("sub/self")).expect("link");
    symlink("..", input.join("sub/up")).expect("link");
    symlink(&input, input.join("sub/back to the top")).expect("link");
    symlink("../elsewhere/outside.xlsx", input.join("linked.xlsx")).expect("link");
    // A second name for a workbook already in the folder: checked once, as a.xlsx.
    symlink("a.xlsx", input.join("same-as-a.xlsx")).expect("link");
    let before = contents(&books);

    let out = dir.join("out");
    let run = selfeval_within(
        &["check", s(&input), "--out-dir", s(&out), "--format", "json"],
        120,
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let doc = run.json();
    assert_eq!(
        reported(&doc, &input),
        ["a.xlsx", "linked.xlsx", "sub/b.xlsx"],
        "every real workbook once, the one outside through its link"
    );
    assert!(
        doc["files"]
            .as_array()
            .expect("files")
            .iter()
            .all(has_forms),
        "{doc}"
    );
    let copies: Vec<PathBuf> = tree(&out).into_iter().map(|(p, _)| p).collect();
    assert_eq!(
        copies,
        [
            PathBuf::from("a.checked.xlsx"),
            PathBuf::from("linked.checked.xlsx"),
            PathBuf::from("sub/b.checked.xlsx"),
        ]
    );
    assert_eq!(contents(&books), before, "inputs are never written");
}

#[cfg(unix)]
#[test]
fn an_unreadable_file_or_folder_is_one_entry_and_the_rest_is_checked() {
    let (runner, dir) = Unprivileged::scratch("folder-unreadable");
    let input = dir.join("in");
    let books = lay_out(
        &input,
        &[
            "good.xlsx",
            "locked.xlsx",
            "closed/inner.xlsx",
            "open/c.xlsx",
        ],
    );
    let before = contents(&books);
    runner.hand_over(&dir);
    let _restore = Restore(vec![input.join("locked.xlsx"), input.join("closed")]);
    chmod(&input.join("locked.xlsx"), 0o000);
    chmod(&input.join("closed"), 0o000);

    let out = dir.join("out");
    let summary = dir.join("汇总.xlsx");
    let run = runner.selfeval_within(
        &[
            "check",
            s(&input),
            "--out-dir",
            s(&out),
            "--summary",
            s(&summary),
            "--format",
            "json",
        ],
        120,
    );
    let doc = run.json();
    assert!(has_forms(file_entry(&doc, "good.xlsx")), "{doc}");
    assert!(has_forms(file_entry(&doc, "open/c.xlsx")), "{doc}");
    assert!(out.join("good.checked.xlsx").is_file());
    assert!(out.join("open/c.checked.xlsx").is_file());
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        reported(&doc, &input),
        ["closed", "good.xlsx", "locked.xlsx", "open/c.xlsx"]
    );
    let error = |name: &str| {
        file_entry(&doc, name)["error"]
            .as_str()
            .unwrap_or_else(|| panic!("{name} has no error: {doc}"))
            .to_string()
    };
    let folder = error("closed");
    assert!(
        folder.starts_with("无法读取文件夹 (cannot read folder): "),
        "{folder}"
    );
    let file = error("locked.xlsx");
    assert!(file.starts_with("无法打开文件 (cannot open): "), "{file}");
    assert!(!out.join("locked.checked.xlsx").exists());
    // The summary lists both with their reasons.
    let forms = rows(&summary, "汇总");
    let unreadable: Vec<(&str, &str)> = forms[1..]
        .iter()
        .filter(|r| r[13] == "无法读取")
        .map(|r| (r[0].as_str(), r[15].as_str()))
        .collect();
    assert_eq!(unreadable.len(), 2, "{forms:?}");
    assert!(unreadable[0].0.ends_with("closed") && unreadable[0].1 == folder);
    assert!(unreadable[1].0.ends_with("locked.xlsx") && unreadable[1].1 == file);

    // Only an input named on the command line that cannot be read stops the run.
    let run = runner.selfeval_within(&["check", s(&input.join("closed")), "--no-write"], 120);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("无法读取文件夹") && run.stdout.is_empty(),
        "{}",
        run.stderr
    );
    drop(_restore);
    assert_eq!(contents(&books), before, "inputs are never written");
}

#[test]
fn names_with_spaces_and_chinese_are_checked_copied_and_linked() {
    let dir = scratch("folder-names");
    let input = dir.join("收件 箱");
    let name = "财政局 2023 自评表 (终稿).xlsx";
    let book = input.join("各 部门").join(name);
    std::fs::create_dir_all(book.parent().unwrap()).expect("dir");
    let mut wrong = clean();
    wrong.indicators[0].score = n(9.0);
    write_book(&book, &[wrong], false);
    let before = contents(std::slice::from_ref(&book));

    let out = dir.join("核查 结果");
    let summary = dir.join("汇总 (全部).xlsx");
    let run = check_json(&input, &out, &summary);
    assert_eq!(run.code, 1, "the form has an error: {}", run.stderr);
    let doc = run.json();
    assert_eq!(reported(&doc, &input), [format!("各 部门/{name}")]);
    let copy = out.join("各 部门/财政局 2023 自评表 (终稿).checked.xlsx");
    assert_eq!(
        file_entry(&doc, name)["output"].as_str(),
        Some(s(&copy)),
        "{doc}"
    );
    let wb = open_workbook_auto(&copy).expect("the corrected copy opens");
    assert!(wb.sheet_names().iter().any(|n| n == "核查结果"));

    // The summary names the file and links to its copy, relative to the summary's folder.
    let forms = rows(&summary, "汇总");
    assert_eq!(forms[1][0], s(&book));
    let rels = unzip(&summary, "xl/worksheets/_rels/sheet1.xml.rels");
    let target = rels
        .split("Target=\"")
        .nth(1)
        .and_then(|t| t.split('"').next())
        .unwrap_or_else(|| panic!("no link: {rels}"));
    let linked = dir.join(target.replace("%20", " "));
    assert_eq!(linked, copy, "{rels}");
    assert_eq!(contents(std::slice::from_ref(&book)), before);
}

#[test]
fn a_xlsx_and_a_xls_side_by_side_get_their_own_copies() {
    let dir = scratch("folder-same-stem");
    let input = dir.join("in");
    let books = lay_out(&input, &["a.xls", "a.xlsx"]);
    let before = contents(&books);

    let check = |out: Option<&Path>| {
        let mut args = vec!["check", s(&input), "--format", "json"];
        if let Some(out) = out {
            args.extend(["--out-dir", s(out)]);
        }
        let run = selfeval(&args);
        assert_eq!(run.code, 1, "the sample has errors: {}", run.stderr);
        run.json()
    };
    // Into an output folder, and beside the inputs (where the copies are not inputs again).
    for out in [Some(dir.join("out")), None] {
        let doc = check(out.as_deref());
        let copies = out.as_deref().unwrap_or(&input);
        assert_eq!(reported(&doc, &input), ["a.xls", "a.xlsx"]);
        // The .xlsx keeps the plain name; the rebuilt .xls says what it was.
        let (from_xlsx, from_xls) = (
            copies.join("a.checked.xlsx"),
            copies.join("a.xls.checked.xlsx"),
        );
        assert_eq!(
            file_entry(&doc, "a.xlsx")["output"].as_str(),
            Some(s(&from_xlsx))
        );
        assert_eq!(
            file_entry(&doc, "a.xls")["output"].as_str(),
            Some(s(&from_xls))
        );
        let (x, l) = (
            std::fs::read(&from_xlsx).expect("copy of a.xlsx"),
            std::fs::read(&from_xls).expect("copy of a.xls"),
        );
        assert_ne!(x, l, "two different files");
        let total = |p: &Path| rows(p, "自评表").concat().join("|");
        assert!(total(&from_xls).contains("99.97"), "the sample's form");
        assert!(total(&from_xlsx).contains("99.45"), "the clean form");
    }
    assert_eq!(contents(&books), before, "inputs are never written");
}

#[test]
fn an_output_folder_inside_the_input_is_not_checked_on_the_next_run() {
    let dir = scratch("folder-out-inside");
    let input = dir.join("in");
    let books = lay_out(&input, &["a.xlsx", "c.xls", "县级/b.xlsx"]);
    let mut wrong = clean();
    wrong.indicators[0].score = n(9.0);
    write_book(&books[2], &[wrong], false);
    let before = contents(&books);

    let out = input.join("核查");
    let summary = out.join("汇总.xlsx");
    let run = || {
        let r = check_json(&input, &out, &summary);
        assert_eq!(r.code, 1, "{}", r.stderr);
        (reported(&r.json(), &input), r.stdout, tree(&out))
    };
    let (first, json1, files1) = run();
    assert_eq!(first, ["a.xlsx", "c.xls", "县级/b.xlsx"]);
    assert_eq!(
        files1.iter().map(|f| f.0.clone()).collect::<Vec<_>>(),
        [
            PathBuf::from("a.checked.xlsx"),
            PathBuf::from("c.checked.xlsx"),
            PathBuf::from("县级/b.checked.xlsx"),
            PathBuf::from("汇总.xlsx"),
        ]
    );
    let (second, json2, files2) = run();
    assert_eq!(second, first, "the first run's outputs are not inputs");
    assert_eq!(json2, json1);
    assert_eq!(files2, files1, "byte-identical outputs");

    // A summary in the input folder but outside the output folder is skipped as well.
    // (Without --out-dir the old output folder is an ordinary folder again: remove it.)
    std::fs::remove_dir_all(&out).expect("remove");
    let beside = input.join("汇总-全部.xlsx");
    for _ in 0..2 {
        let r = selfeval(&[
            "check",
            s(&input),
            "--no-write",
            "--summary",
            s(&beside),
            "--format",
            "json",
        ]);
        assert_eq!(reported(&r.json(), &input), first, "{}", r.stderr);
    }
    // A summary named over an input is refused before anything is written.
    let r = selfeval(&["check", s(&input), s(&books[0]), "--summary", s(&books[0])]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("拒绝覆盖"), "{}", r.stderr);
    assert_eq!(contents(&books), before, "inputs are never written");
}

#[cfg(unix)]
#[test]
fn a_read_only_output_folder_fails_each_write_and_leaves_nothing() {
    let (runner, dir) = Unprivileged::scratch("folder-read-only");
    let input = dir.join("in");
    let books = lay_out(&input, &["a.xlsx", "c.xls", "sub/b.xlsx"]);
    let before = contents(&books);
    let out = dir.join("out");
    std::fs::create_dir_all(&out).expect("dir");
    runner.hand_over(&dir);
    let _restore = Restore(vec![out.clone()]);
    chmod(&out, 0o555);

    let summary = dir.join("汇总.xlsx");
    let run = runner.selfeval_within(&check_json_args(&input, &out, &summary), 120);
    let doc = run.json();
    assert_eq!(reported(&doc, &input), ["a.xlsx", "c.xls", "sub/b.xlsx"]);
    for f in doc["files"].as_array().expect("files") {
        assert!(has_forms(f), "every file is still checked: {f}");
    }
    assert!(leftovers(&out).is_empty(), "{:?}", leftovers(&out));
    assert_eq!(run.code, 2, "{}", run.stderr);
    for (name, reason) in [
        ("a.xlsx", "(cannot write)"),
        ("c.xls", "(cannot write)"),
        ("sub/b.xlsx", "(cannot create folder)"),
    ] {
        let f = file_entry(&doc, name);
        assert!(f["output"].is_null(), "{f}");
        let e = f["write_error"].as_str().unwrap_or_default();
        assert!(e.contains(reason) && e.contains(s(&out)), "{name}: {e}");
    }
    assert!(tree(&out).is_empty(), "nothing is half-written");
    // One JSON line per form carries the reason too.
    let run = runner.selfeval_within(
        &[
            "check",
            s(&input),
            "--out-dir",
            s(&out),
            "--format",
            "jsonl",
        ],
        120,
    );
    assert_eq!(run.code, 2);
    let lines: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 3);
    assert!(
        lines
            .iter()
            .all(|l| l["sheet"].is_string() && l["write_error"].is_string()),
        "{lines:?}"
    );
    let forms = rows(&summary, "汇总");
    assert!(
        forms[1..]
            .iter()
            .all(|r| r[14].is_empty() && r[15].starts_with("更正副本未写出")),
        "{forms:?}"
    );
    drop(_restore);
    assert_eq!(contents(&books), before, "inputs are never written");
}

/// A named pipe and a link to `/dev/zero`, both named like workbooks: reading either would
/// never end (the pipe waits for a writer, the device never stops), so neither is read.
#[cfg(unix)]
#[test]
fn a_pipe_or_a_device_named_like_a_workbook_is_not_read() {
    let dir = scratch("folder-special");
    let input = dir.join("in");
    let books = lay_out(&input, &["good.xlsx"]);
    let made = std::process::Command::new("mkfifo")
        .arg(input.join("pipe.xlsx"))
        .status()
        .is_ok_and(|s| s.success());
    std::os::unix::fs::symlink("/dev/zero", input.join("zero.xlsx")).expect("link");
    let run = selfeval_within(&["check", s(&input), "--no-write", "--format", "json"], 60);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    let doc = run.json();
    let mut expected = vec!["good.xlsx", "zero.xlsx"];
    if made {
        expected.insert(1, "pipe.xlsx");
    }
    assert_eq!(reported(&doc, &input), expected);
    for f in doc["files"].as_array().expect("files") {
        let path = f["path"].as_str().unwrap_or("");
        if path.ends_with("good.xlsx") {
            assert!(has_forms(f), "{f}");
        } else {
            let error = f["error"].as_str().unwrap_or("");
            assert!(error.contains("不是普通文件"), "{path}: {error}");
        }
    }
    assert!(books.iter().all(|b| b.exists()));
}

#[cfg(unix)]
#[test]
fn a_copy_that_would_replace_an_input_is_refused() {
    use std::os::unix::fs::symlink;
    let dir = scratch("folder-copy-over-input");
    // `a.checked.xlsx` named as an input is where a.xlsx's copy would go; `b.checked.xlsx`,
    // also named, is a link to a workbook elsewhere, where b.xlsx's copy would go; and
    // `link.xlsx` found in the folder is a link to `link.checked.xlsx`, where its own copy
    // would go.
    let books = lay_out(
        &dir,
        &[
            "a.xlsx",
            "a.checked.xlsx",
            "b.xlsx",
            "elsewhere/x.xlsx",
            "in/link.checked.xlsx",
        ],
    );
    symlink("elsewhere/x.xlsx", dir.join("b.checked.xlsx")).expect("link");
    symlink("link.checked.xlsx", dir.join("in/link.xlsx")).expect("link");
    let before = contents(&books);
    let input = dir.join("in");
    let run = selfeval(&[
        "check",
        s(&books[0]),
        s(&books[1]),
        s(&books[2]),
        s(&dir.join("b.checked.xlsx")),
        s(&input),
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let doc = run.json();
    for name in ["/a.xlsx", "/b.xlsx", "/link.xlsx"] {
        let entry = file_entry(&doc, name);
        assert!(
            entry["write_error"]
                .as_str()
                .is_some_and(|e| e.contains("拒绝覆盖")),
            "{entry}"
        );
    }
    // The inputs named like copies get copies of their own.
    assert!(dir.join("a.checked.checked.xlsx").is_file());
    assert!(dir.join("b.checked.checked.xlsx").is_file());
    assert!(dir.join("b.checked.xlsx").is_symlink(), "the link is left");
    assert_eq!(contents(&books), before, "inputs are never written");
}

/// What a clerk types wrong is answered in words: a folder that is not there, no threads, a
/// profile given as a file without `.toml`.
#[test]
fn usage_mistakes_are_answered_in_words() {
    let missing = selfeval(&["check", "没有这个文件夹"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("找不到文件夹 没有这个文件夹"),
        "{}",
        missing.stderr
    );
    let no_threads = selfeval(&["check", sample("xlsx").to_str().unwrap(), "-j", "0"]);
    assert_eq!(no_threads.code, 2);
    assert!(
        no_threads.stderr.contains("--jobs"),
        "{}",
        no_threads.stderr
    );
    let dir = scratch("folder-profile-file");
    let rules = dir.join("本局规则");
    let national = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/sichuan.toml");
    std::fs::copy(national, &rules).expect("copy");
    let run = selfeval(&[
        "check",
        sample("xlsx").to_str().unwrap(),
        "--no-write",
        "--profile",
        rules.to_str().unwrap(),
    ]);
    assert_eq!(
        run.code, 1,
        "a profile file without .toml is read: {}",
        run.stderr
    );
    let help = selfeval(&["check", "--help"]);
    assert!(
        help.stdout.contains("示例") && help.stdout.contains("退出状态"),
        "{}",
        help.stdout
    );
    // The tally says how many forms are wrong even when a file is unreadable.
    let inbox = scratch("folder-tally").join("收件箱");
    std::fs::create_dir_all(&inbox).expect("dir");
    std::fs::copy(sample("xlsx"), inbox.join("a.xlsx")).expect("copy");
    std::fs::write(inbox.join("b.xlsx"), b"broken").expect("write");
    let run = selfeval(&["check", inbox.to_str().unwrap(), "--no-write"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("共 2 个文件、1 张自评表：有误 1，通过 0，无法读取或未核查 1"),
        "{}",
        run.stderr
    );
}
