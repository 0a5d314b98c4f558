//! The bundled sample (SPEC §9): exactly the expected error findings, in both formats, and a
//! corrected workbook that holds the recomputed values.

mod common;

use std::io::Read;

use calamine::{Data, Reader, open_workbook_auto};
use common::{expected_findings, findings, sample, scratch, selfeval};

fn check_sample(ext: &str) {
    let dir = scratch(&format!("sample-{ext}"));
    let input = sample(ext);
    let before = std::fs::read(&input).expect("sample");
    let run = selfeval(&[
        "check",
        input.to_str().unwrap(),
        "--format",
        "json",
        "--out-dir",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    assert_eq!(report["version"], 1);
    let errors: Vec<_> = findings(&report)
        .into_iter()
        .filter(|f| f.2 == "error")
        .collect();
    assert_eq!(errors, expected_findings(&input).findings);
    let form = &report["files"][0]["forms"][0];
    assert_eq!(form["sheet"], "自评表");
    assert_eq!(form["project"], "金融发展服务工作经费");
    assert_eq!(form["claimed_total"], "99.95");
    assert_eq!(form["total"], "99.97");
    assert_eq!(form["grade"], "优");
    assert_eq!(form["indicators"].as_array().map(Vec::len), Some(27));
    assert_eq!(
        std::fs::read(&input).expect("sample"),
        before,
        "the input must not change"
    );

    let out = report["files"][0]["output"].as_str().expect("output path");
    let mut wb = open_workbook_auto(out).expect("corrected workbook opens");
    let sheet = wb.worksheet_range("自评表").expect("sheet");
    assert_eq!(sheet.get_value((28, 7)), Some(&Data::Float(2.0)), "H29");
    assert_eq!(sheet.get_value((37, 7)), Some(&Data::Float(99.97)), "H38");
    // Everything else reads as before.
    let mut original = open_workbook_auto(&input).expect("sample opens");
    let orig = original.worksheet_range("自评表").expect("sheet");
    for (r, c, v) in orig.used_cells() {
        let (r, c) = (r as u32, c as u32);
        if (r, c) != (28, 7) && (r, c) != (37, 7) {
            assert_eq!(sheet.get_value((r, c)), Some(v), "cell ({r}, {c})");
        }
    }
    // The findings sheet: its head (project, totals and grades, rules, tool and date), then
    // the table, one row per finding, its indicator and its problem named.
    let list = wb.worksheet_range("核查结果").expect("findings sheet");
    let rows: Vec<Vec<String>> = list
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    let head: Vec<&str> = rows
        .iter()
        .map(|r| r[0].as_str())
        .take_while(|t| !t.is_empty())
        .collect();
    assert_eq!(head[0], "自评表核查结果");
    assert!(
        head.iter().any(|l| l.contains("金融发展服务工作经费"))
            && head.iter().any(|l| l.contains("填报 99.95，核定 99.97"))
            && head.iter().any(|l| l.starts_with("核查规则："))
            && head
                .iter()
                .any(|l| l.starts_with("核查工具：selfeval ") && l.contains("核查日期：")),
        "{head:?}"
    );
    let table = head.len() + 1;
    assert_eq!(rows[table][..3], ["单元格", "指标", "级别"]);
    let h29 = rows
        .iter()
        .find(|r| r[0] == "自评表!H29")
        .unwrap_or_else(|| panic!("{rows:?}"));
    assert_eq!(
        (h29[1].as_str(), h29[2].as_str(), h29[6].as_str()),
        ("办公费", "错误", "指标得分计算有误（score-formula）")
    );
    assert!(rows.iter().any(|r| r[0] == "自评表!H38"), "{rows:?}");
}

#[test]
fn xlsx_sample_gives_the_expected_findings() {
    check_sample("xlsx");
}

#[test]
fn xls_sample_gives_the_expected_findings() {
    check_sample("xls");
}

#[test]
fn the_patched_sample_keeps_every_untouched_part_byte_for_byte() {
    let dir = scratch("sample-parts");
    let input = sample("xlsx");
    let run = selfeval(&[
        "check",
        input.to_str().unwrap(),
        "--out-dir",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let out = dir.join("qiannan-finance-2023.checked.xlsx");
    let parts = |p: &std::path::Path| {
        let mut z = zip::ZipArchive::new(std::fs::File::open(p).expect("open")).expect("zip");
        (0..z.len())
            .map(|i| {
                let mut e = z.by_index(i).expect("entry");
                let mut buf = Vec::new();
                e.read_to_end(&mut buf).expect("read");
                (e.name().expect("entry name").to_string(), buf)
            })
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    let (before, after) = (parts(&input), parts(&out));
    let changed = [
        "xl/worksheets/sheet1.xml",
        "xl/styles.xml",
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "[Content_Types].xml",
    ];
    for (name, bytes) in &before {
        if !changed.contains(&name.as_str()) {
            assert_eq!(
                after.get(name),
                Some(bytes),
                "{name} must be copied unchanged"
            );
        }
    }
    let sheet = String::from_utf8_lossy(&after["xl/worksheets/sheet1.xml"]).into_owned();
    assert!(
        sheet.contains("<legacyDrawing"),
        "notes are attached to the sheet"
    );
    let notes: String = after
        .iter()
        .filter(|(n, _)| n.starts_with("xl/comments"))
        .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
        .collect();
    assert!(
        notes.contains("原填报 1.98") && notes.contains("应为 2.00"),
        "{notes}"
    );
    assert!(
        notes.contains("原填报 99.95") && notes.contains("应为 99.97"),
        "{notes}"
    );
    let workbook = String::from_utf8_lossy(&after["xl/workbook.xml"]).into_owned();
    assert!(workbook.contains("fullCalcOnLoad=\"1\""));
    let styles = String::from_utf8_lossy(&after["xl/styles.xml"]).into_owned();
    assert!(styles.contains("FFC7CE"), "a red fill is added");
}

#[test]
fn a_second_run_writes_the_same_bytes() {
    let input = sample("xlsx");
    let out = |name: &str| {
        let dir = scratch(name);
        let run = selfeval(&[
            "check",
            input.to_str().unwrap(),
            "--out-dir",
            dir.to_str().unwrap(),
        ]);
        assert_eq!(run.code, 1);
        std::fs::read(dir.join("qiannan-finance-2023.checked.xlsx")).expect("output")
    };
    assert_eq!(out("determinism-a"), out("determinism-b"));
}

/// A corrected copy checked again: its 核查结果 sheet is named as the checker's own, the
/// corrected form passes, and no copy of the copy is written.
#[test]
fn a_corrected_copy_checked_again_is_recognised() {
    let dir = scratch("sample-recheck");
    let input = sample("xlsx");
    let first = selfeval(&[
        "check",
        input.to_str().unwrap(),
        "--out-dir",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(first.code, 1, "{}", first.stderr);
    let copy = dir.join("qiannan-finance-2023.checked.xlsx");
    let again_dir = dir.join("again");
    let again = selfeval(&[
        "check",
        copy.to_str().unwrap(),
        "--out-dir",
        again_dir.to_str().unwrap(),
    ]);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
    assert!(again.stdout.contains("核查副本"), "{}", again.stdout);
    assert!(
        again
            .stdout
            .contains("跳过工作表“核查结果”：selfeval 写出的核查结果"),
        "{}",
        again.stdout
    );
    let written: Vec<_> = std::fs::read_dir(&again_dir)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(written.is_empty(), "no copy of a copy: {written:?}");
}
