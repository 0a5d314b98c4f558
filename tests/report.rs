//! Snapshots of the reports a user reads: the JSON document and the terminal text.

mod common;

use std::process::Command;

use common::{clean, n, scratch, t, write_book};

/// Runs from the crate root so that paths in the report are relative and stable.
fn run(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_selfeval"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("run selfeval");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// The report with its day of the check, which moves, named: `2026-12-07` → `[date]`.
fn dated(mut v: serde_json::Value) -> serde_json::Value {
    let date = v["date"].as_str().unwrap_or_default();
    let digits = date.split('-').map(str::len).collect::<Vec<_>>();
    assert_eq!(digits, [4, 2, 2], "the day of the check: {date}");
    v["date"] = "[date]".into();
    v
}

#[test]
fn json_report_of_the_sample() {
    let (code, out) = run(&[
        "check",
        "fixtures/qiannan-finance-2023.xlsx",
        "--format",
        "json",
        "--no-write",
    ]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).expect("one JSON document");
    insta::assert_json_snapshot!("sample_json", dated(v));
}

#[test]
fn text_report_of_the_sample() {
    let (code, out) = run(&[
        "check",
        "fixtures/qiannan-finance-2023.xls",
        "--no-write",
        "--notes",
    ]);
    assert_eq!(code, 1);
    insta::assert_snapshot!("sample_text", out);
}

#[test]
fn json_report_of_a_form_with_many_findings() {
    let dir = scratch("report-many");
    let mut f = clean();
    f.exec_rate = t("90.00%");
    f.exec_score = n(9.0);
    f.indicators[0].actual = t("850人次");
    f.indicators[5].actual = t("部分完成");
    f.indicators[6].actual = t("见附件");
    f.grade = t("良");
    let path = dir.join("many.xlsx");
    write_book(&path, &[f], true);
    let (code, out) = run(&[
        "check",
        path.to_str().unwrap(),
        "--format",
        "json",
        "--no-write",
    ]);
    assert_eq!(code, 1);
    let mut v: serde_json::Value = serde_json::from_str(&out).expect("one JSON document");
    v["files"][0]["path"] = "many.xlsx".into();
    insta::assert_json_snapshot!("many_findings_json", dated(v));
}
