//! Forms held to the bureau's own books (`--ledger`): a folder of forms and a ledger with a
//! mismatch of each kind planted, in 元 as a GBK CSV and in 万元 as a workbook. Every planted
//! mismatch is reported, and no other ledger finding; the copies' cells keep their values
//! and only gain notes; 对账 lists every ledger project with its form or 未提交.

mod common;

use std::path::Path;

use calamine::{Reader, open_workbook_auto};
use common::{clean, findings, scratch, selfeval, write_book};
use rust_xlsxwriter::Workbook;

/// Four forms: one agreeing with its row; one matched by a name written a little
/// differently (工程 for 项目) whose 全年执行数 the ledger has otherwise; one whose name
/// folds to the ledger's (the year and 专项资金 aside) and whose 全年预算数 differs; and one
/// whose project the ledger lacks.
fn inbox(dir: &Path) {
    std::fs::create_dir_all(dir).expect("dir");
    let mut forms = Vec::new();
    for (file, project, department) in [
        ("a.xlsx", "中小企业融资服务经费", "某州财政局"),
        ("b.xlsx", "农村饮水安全巩固提升项目", "某县水务局"),
        ("c.xlsx", "2023年度城乡环境卫生整治专项资金", "某县住建局"),
        ("d.xlsx", "高标准农田建设项目", "某县农业农村局"),
        ("e.xlsx", "2023年学前教育发展专项资金", "某县财政局"),
    ] {
        let mut form = clean();
        form.project = project;
        form.department = department;
        forms.push((file, form));
    }
    for (file, form) in forms {
        write_book(&dir.join(file), &[form], false);
    }
}

/// The ledger's rows, amounts in 元: the forms show 120.00 and 113.40 万元.
const ROWS: [[&str; 6]; 6] = [
    [
        "001",
        "某州财政局",
        "中小企业融资服务经费",
        "1200000",
        "1200000",
        "1134000",
    ],
    [
        "002",
        "某县水务局",
        "农村饮水安全巩固提升工程",
        "1200000",
        "1200000",
        "1130000",
    ],
    [
        "003",
        "某县住建局",
        "城乡环境卫生整治资金",
        "1200000",
        "1250000",
        "1134000",
    ],
    [
        "004",
        "某县教育局",
        "学前教育发展",
        "800000",
        "800000",
        "790000",
    ],
    [
        "006",
        "某县发改局",
        "学前教育发展项目",
        "500000",
        "500000",
        "450000",
    ],
    [
        "005",
        "某县教育局",
        "义务教育薄弱环节改善",
        "600000",
        "不详",
        "590000",
    ],
];

const HEADER: [&str; 6] = [
    "项目编码",
    "单位名称",
    "项目名称",
    "年初预算数",
    "调整后预算数",
    "支出数",
];

fn gbk_csv(path: &Path) {
    let mut text = String::from("2023年项目支出台账\n单位：元\n");
    text.push_str(&HEADER.join(","));
    text.push('\n');
    for row in ROWS {
        text.push_str(&row.join(","));
        text.push('\n');
    }
    let (bytes, _, bad) = encoding_rs::GBK.encode(&text);
    assert!(!bad);
    std::fs::write(path, bytes).expect("csv");
}

/// The same ledger in 万元, as a workbook whose unit stands in its amount headers.
fn wan_workbook(path: &Path) {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in HEADER.iter().enumerate() {
        let h = if c >= 3 {
            format!("{h}（万元）")
        } else {
            h.to_string()
        };
        ws.write_string(0, c as u16, h).expect("header");
    }
    for (r, row) in ROWS.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let r = r as u32 + 1;
            match v.parse::<f64>() {
                Ok(yuan) if c >= 3 => ws.write_number(r, c as u16, yuan / 10_000.0),
                _ => ws.write_string(r, c as u16, *v),
            }
            .expect("cell");
        }
    }
    wb.save(path).expect("save");
}

#[test]
fn every_planted_mismatch_is_found_in_yuan_and_in_wan() {
    let dir = scratch("ledger");
    let forms = dir.join("收件箱");
    inbox(&forms);
    for (name, write) in [
        ("台账.csv", gbk_csv as fn(&Path)),
        ("台账.xlsx", wan_workbook as fn(&Path)),
    ] {
        let ledger = dir.join(name);
        write(&ledger);
        let out = dir.join(format!("out-{name}"));
        let summary = out.join("汇总.xlsx");
        // The approved targets beside the ledger: one lowered on the first form.
        let targets = dir.join("绩效目标.csv");
        std::fs::write(
            &targets,
            "项目名称,三级指标,指标值\n中小企业融资服务经费,培训企业人次,≥1200人次\n",
        )
        .expect("targets");
        let run = selfeval(&[
            "check",
            forms.to_str().unwrap(),
            "--ledger",
            ledger.to_str().unwrap(),
            "--targets",
            targets.to_str().unwrap(),
            "--format",
            "json",
            "--out-dir",
            out.to_str().unwrap(),
            "--summary",
            summary.to_str().unwrap(),
        ]);
        let report = run.json();
        // The unreadable amount is reported with its row and skipped.
        // The CSV has a title and a unit line above its header; the workbook has neither.
        let line = if name.ends_with(".csv") { 9 } else { 7 };
        assert!(
            run.stderr
                .contains(&format!("第 {line} 行（义务教育薄弱环节改善）")),
            "{name}: {}",
            run.stderr
        );
        assert!(run.stderr.contains("不详"), "{name}: {}", run.stderr);
        let ledger_findings: Vec<(String, String, String, String)> = findings(&report)
            .into_iter()
            .filter(|f| f.1.starts_with("ledger-"))
            .map(|f| (f.0, f.1, f.3, f.4))
            .collect();
        assert_eq!(
            ledger_findings,
            [
                (
                    "E5".into(),
                    "ledger-executed".into(),
                    "113.40".into(),
                    "113.00".into()
                ),
                (
                    "D5".into(),
                    "ledger-budget".into(),
                    "120.00".into(),
                    "125.00".into()
                ),
                (
                    "B2".into(),
                    "ledger-unmatched".into(),
                    "高标准农田建设项目".into(),
                    String::new()
                ),
                (
                    "B2".into(),
                    "ledger-ambiguous".into(),
                    "2023年学前教育发展专项资金".into(),
                    String::new()
                ),
            ],
            "{name}"
        );
        // The matches and how they were made.
        let links: Vec<String> = report["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                f["forms"][0]["ledger"]["by"]
                    .as_str()
                    .unwrap_or("-")
                    .to_string()
            })
            .collect();
        assert_eq!(links, ["name", "similar", "name", "-", "-"], "{name}");
        // The copies keep the department's values; the ledger adds notes only.
        let mut copy = open_workbook_auto(out.join("b.checked.xlsx")).expect("copy");
        let sheet = copy.worksheet_range("自评表").expect("sheet");
        assert_eq!(
            sheet.get_value((4, 4)).map(ToString::to_string).as_deref(),
            Some("113.4"),
            "{name}: the executed amount is kept"
        );
        let notes = common::notes::notes(&std::fs::read(out.join("b.checked.xlsx")).expect("copy"));
        let e5 = notes
            .iter()
            .find(|n| n.cell == "E5")
            .map(|n| n.text.as_str());
        assert!(
            e5.is_some_and(|t| t.contains("预算台账")
                && t.contains("113.00")
                && !t.contains("应为")),
            "{name}: {e5:?}"
        );
        // 对账: every ledger row, the unsubmitted ones marked.
        let mut book = open_workbook_auto(&summary).expect("summary");
        let rows: Vec<Vec<String>> = book
            .worksheet_range("对账")
            .expect("对账")
            .rows()
            .map(|r| r.iter().map(ToString::to_string).collect())
            .collect();
        let changed: Vec<(String, String)> = findings(&report)
            .into_iter()
            .filter(|f| f.1 == "target-changed")
            .map(|f| (f.0, f.4))
            .collect();
        assert_eq!(changed.len(), 1, "{name}: {changed:?}");
        assert_eq!(changed[0].1, "≥1200人次", "{name}");
        let listed = book.worksheet_range("目标核对").expect("目标核对").height();
        assert_eq!(listed, 2, "{name}: a header and the changed target");
        let verdicts: Vec<&str> = rows[1..].iter().map(|r| r[10].as_str()).collect();
        assert_eq!(
            verdicts,
            ["一致", "执行数不符", "预算数不符", "未提交", "未提交"],
            "{name}: {rows:?}"
        );
    }
}

#[test]
fn a_ledger_without_its_columns_is_refused_with_the_labels() {
    let dir = scratch("ledger-columns");
    let ledger = dir.join("台账.csv");
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(&ledger, "名称,金额\n甲,1\n").expect("csv");
    let run = selfeval(&[
        "check",
        common::sample("xlsx").to_str().unwrap(),
        "--no-write",
        "--ledger",
        ledger.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("找不到表头") && run.stderr.contains("项目名称"),
        "{}",
        run.stderr
    );
}

/// The targets approved for the first form: one as written but in other words (不低于 for ≥),
/// one lowered on the form (≥1200 approved, ≥1000 written), one changed in its unit, one the
/// form dropped; the form's other indicators were never approved (notes).
#[test]
fn targets_changed_or_dropped_after_approval_are_found() {
    let dir = scratch("ledger-targets");
    let forms = dir.join("收件箱");
    inbox(&forms);
    let targets = dir.join("绩效目标.csv");
    let rows = [
        "项目名称,一级指标,二级指标,三级指标,指标值",
        "中小企业融资服务经费,产出指标,数量指标,召开政金企对接会,不低于4次",
        ",产出指标,数量指标,培训企业人次,≥1200人次",
        ",产出指标,成本指标,办公费,≤89000元",
        ",产出指标,质量指标,培训验收合格率,≥95‰",
        ",效益指标,社会效益指标,带动就业人数,≥50人",
    ];
    std::fs::write(&targets, rows.join("\n")).expect("targets");
    let summary = dir.join("汇总.xlsx");
    let run = selfeval(&[
        "check",
        forms.join("a.xlsx").to_str().unwrap(),
        "--targets",
        targets.to_str().unwrap(),
        "--no-write",
        "--format",
        "json",
        "--summary",
        summary.to_str().unwrap(),
    ]);
    let report = run.json();
    let got: Vec<(String, String, String)> = findings(&report)
        .into_iter()
        .filter(|f| f.1.starts_with("target-"))
        .map(|f| (f.1, f.3, f.4))
        .collect();
    let want = [
        ("target-dropped", "", "≥50人"),
        ("target-changed", "≥1000人次", "≥1200人次"),
        ("target-changed", "≥95%", "≥95‰"),
    ];
    for w in want {
        assert!(
            got.contains(&(w.0.into(), w.1.into(), w.2.into())),
            "{w:?} in {got:?}"
        );
    }
    // 办公费 ≤8.9万元 is ≤89000元, and 不低于4次 is ≥4次: no finding for them.
    assert_eq!(
        got.iter().filter(|g| g.0 == "target-changed").count(),
        2,
        "{got:?}"
    );
    // The indicators never approved are notes, one each.
    assert_eq!(
        got.iter().filter(|g| g.0 == "target-added").count(),
        4,
        "{got:?}"
    );
    let mut book = open_workbook_auto(&summary).expect("summary");
    let listed = book.worksheet_range("目标核对").expect("目标核对").height();
    assert_eq!(listed, 4, "a header and three rows");
}

/// Targets given as a folder of approved-target workbooks, one project each, named beside a
/// 项目名称 label: each form is held to its own project's.
#[test]
fn targets_from_a_folder_of_workbooks_one_project_each() {
    let dir = scratch("ledger-targets-folder");
    let forms = dir.join("收件箱");
    inbox(&forms);
    let approved = dir.join("绩效目标");
    std::fs::create_dir_all(&approved).expect("dir");
    for (file, project, count) in [
        ("甲.xlsx", "中小企业融资服务经费", "≥1200人次"),
        ("乙.xlsx", "农村饮水安全巩固提升项目", "≥1000人次"),
    ] {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.write_string(0, 0, "项目绩效目标表").expect("title");
        ws.write_string(1, 0, "项目名称").expect("label");
        ws.write_string(1, 1, project).expect("project");
        for (c, h) in ["一级指标", "二级指标", "三级指标", "指标值"]
            .iter()
            .enumerate()
        {
            ws.write_string(3, c as u16, *h).expect("header");
        }
        for (c, v) in ["产出指标", "数量指标", "培训企业人次", count]
            .iter()
            .enumerate()
        {
            ws.write_string(4, c as u16, *v).expect("row");
        }
        wb.save(approved.join(file)).expect("save");
    }
    let run = selfeval(&[
        "check",
        forms.join("a.xlsx").to_str().unwrap(),
        forms.join("b.xlsx").to_str().unwrap(),
        "--targets",
        approved.to_str().unwrap(),
        "--no-write",
        "--format",
        "json",
    ]);
    let changed: Vec<(String, String)> = findings(&run.json())
        .into_iter()
        .filter(|f| f.1 == "target-changed")
        .map(|f| (f.3, f.4))
        .collect();
    // a's approved ≥1200 was lowered to ≥1000; b kept its ≥1000.
    assert_eq!(
        changed,
        [("≥1000人次".to_string(), "≥1200人次".to_string())]
    );
}
