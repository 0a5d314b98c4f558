use rust_decimal::Decimal;

use super::indicators::{points_in, unit_in_name};
use super::*;
use crate::model::{Num, WeightFrom};
use crate::number::Shown;
use crate::reader::{Merge, RawCell};

/// A sheet from rows of cells: `#0.95` is a number cell, anything else text.
fn sheet(rows: &[&[&str]]) -> RawSheet {
    let cols = rows.iter().map(|r| r.len()).max().unwrap_or(0) as u32;
    let mut s = RawSheet::new("自评表", rows.len() as u32, cols);
    s.formats = true;
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate().filter(|(_, v)| !v.is_empty()) {
            let value = match v.strip_prefix('#') {
                Some(n) => RawValue::Number(Shown::exact(n.parse().unwrap())),
                None => RawValue::Text(v.to_string()),
            };
            let cell = RawCell {
                value,
                formula: None,
            };
            s.set(Pos::new(r as u32, c as u32), cell);
        }
    }
    s
}

fn form(s: &RawSheet) -> Form {
    match read_sheet(s, Layout::bundled()).remove(0) {
        SheetOutcome::Form(f) => *f,
        other => panic!("{other:?}"),
    }
}

/// A whole small form, as rows: title, project, funding, one indicator, totals, grade.
fn small_form(project: &'static str, indicator: &'static str) -> Vec<Vec<&'static str>> {
    vec![
        vec!["项目支出绩效自评表（2023年度）"],
        vec!["项目名称", project],
        FUNDING_HEADER.to_vec(),
        vec!["年度资金总额", "#10", "#10", "#10", "#10", "#1", "#10"],
        vec![
            "一级指标",
            "二级指标",
            "三级指标",
            "年度指标值",
            "实际完成值",
            "分值",
            "得分",
        ],
        vec![
            "产出指标",
            "数量指标",
            indicator,
            "≥100人次",
            "120人次",
            "#90",
            "#90",
        ],
        vec!["总分", "", "", "", "", "#100", "#100"],
        vec!["绩效结论", "优"],
    ]
}

fn forms_of(rows: &[Vec<&str>]) -> Vec<Form> {
    let rows: Vec<&[&str]> = rows.iter().map(Vec::as_slice).collect();
    read_sheet(&sheet(&rows), Layout::bundled())
        .into_iter()
        .map(|o| match o {
            SheetOutcome::Form(f) => *f,
            other => panic!("{other:?}"),
        })
        .collect()
}

#[test]
fn forms_one_below_the_other_are_read_one_by_one() {
    let mut rows = small_form("甲项目", "培训人次");
    rows.push(vec![]);
    rows.extend(small_form("乙项目", "检查次数"));
    let forms = forms_of(&rows);
    let seen: Vec<(String, Vec<String>, Vec<String>)> = forms
        .iter()
        .map(|f| {
            (
                f.project
                    .as_ref()
                    .map(|p| p.value.clone())
                    .unwrap_or_default(),
                f.indicators.iter().map(|i| i.name.cell.a1()).collect(),
                f.findings
                    .iter()
                    .map(|x| format!("{} {}", x.code, x.cell.pos))
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (
                "甲项目".into(),
                vec!["C6".into()],
                vec!["several-forms A1".into()]
            ),
            (
                "乙项目".into(),
                vec!["C15".into()],
                vec!["several-forms A10".into()]
            ),
        ]
    );
    assert!(
        forms
            .iter()
            .all(|f| f.totals.is_some() && f.funding.is_some())
    );
}

#[test]
fn a_header_repeated_at_a_page_break_stays_one_form() {
    let mut rows = small_form("甲项目", "培训人次");
    let repeated = rows[4].clone();
    let second = vec!["", "", "检查次数", "≥10次", "10次", "#0", "#0"];
    rows.splice(6..6, [repeated, second]);
    let forms = forms_of(&rows);
    assert_eq!(forms.len(), 1);
    let names: Vec<&str> = forms[0]
        .indicators
        .iter()
        .map(|i| i.name.value.as_str())
        .collect();
    assert_eq!(names, ["培训人次", "检查次数"]);
    assert!(forms[0].findings.is_empty(), "{:?}", forms[0].findings);
}

/// The funding block's header row, with a 分值 column.
const FUNDING_HEADER: [&str; 7] = [
    "资金来源",
    "年初预算数",
    "全年预算数",
    "全年执行数",
    "分值",
    "执行率",
    "得分",
];

const SPLIT_HEADER: [&str; 9] = [
    "一级指标",
    "二级指标",
    "三级指标",
    "指标性质",
    "指标值",
    "度量单位",
    "全年实际完成值",
    "分值",
    "得分",
];

/// An indicator row under a header split over three columns: `≥` | `1000` | `人次`.
const TRAINING: [&str; 9] = [
    "产出指标",
    "数量指标",
    "培训人次",
    "≥",
    "#1000",
    "人次",
    "#1200",
    "#10",
    "#10",
];

#[test]
fn a_header_on_two_rows_takes_the_labels_below_a_merged_one() {
    let mut s = sheet(&[
        &[
            "一级指标",
            "二级指标",
            "三级指标",
            "年度指标值（A）",
            "",
            "",
            "实际完成值",
            "分值",
            "得分",
        ],
        &["", "", "", "指标性质", "指标值", "度量单位"],
        &TRAINING,
        &[
            "",
            "质量指标",
            "长效机制",
            "定性",
            "健全",
            "",
            "健全",
            "#10",
            "#10",
        ],
    ]);
    s.add_merge(Merge {
        first: Pos::new(0, 3),
        last: Pos::new(0, 5),
    });
    for c in [0, 1, 2, 6, 7, 8] {
        s.add_merge(Merge {
            first: Pos::new(0, c),
            last: Pos::new(1, c),
        });
    }
    let f = form(&s);
    let read: Vec<(&str, &str, &str)> = f
        .indicators
        .iter()
        .map(|i| (i.name.text(), i.target.text(), i.actual.text()))
        .collect();
    // `定性` names the kind of indicator, not a direction.
    assert_eq!(
        read,
        [
            ("培训人次", "≥1000人次", "1200"),
            ("长效机制", "健全", "健全")
        ]
    );
    assert_eq!(f.indicators[0].target.cell.a1(), "E3");
    assert_eq!(f.indicators[0].score.cell.a1(), "I3");
}

#[test]
fn a_percentage_whose_format_was_lost_reads_nearest_the_other_side() {
    let rows: [&[&str]; 4] = [
        &SPLIT_HEADER,
        &[
            "产出指标",
            "质量指标",
            "合格率",
            "≥",
            "#90",
            "%",
            "#0.95",
            "#10",
            "#10",
        ],
        &["", "", "事故率", "≤", "#1", "%", "#0.5", "#10", "#10"],
        &["", "", "覆盖率", "≥", "#0.9", "%", "95%", "#10", "#10"],
    ];
    let read = |formats: bool| {
        let mut s = sheet(&rows);
        s.formats = formats;
        form(&s)
            .indicators
            .iter()
            .map(|i| format!("{} {}", i.target.value, i.actual.value))
            .collect::<Vec<_>>()
    };
    // `.xls`/`.ods`: 0.95 was typed as 95%; 0.5 beside ≤1 is 0.5%; 0.9 beside 95% is 90%.
    assert_eq!(read(false), ["≥90% 95%", "≤1% 0.5", "≥90% 95%"]);
    // `.xlsx` keeps formats: a bare 0.95 is what was meant.
    assert_eq!(read(true), ["≥90% 0.95", "≤1% 0.5", "≥0.9% 95%"]);
}

#[test]
fn stored_amounts_and_rates_are_read_to_the_cent_and_the_percent() {
    let mut s = sheet(&[
        &[
            "资金来源",
            "年初预算数",
            "全年预算数",
            "全年执行数",
            "执行率",
            "得分",
        ],
        &["年度资金总额", "#30", "#30", "#28.5", "#0.9", "#9"],
        &["财政拨款", "25.4", "#30", "#28.5", "95%", "—"],
        &["其他资金", "0", "#0", "#0", "", ""],
        &SPLIT_HEADER,
    ]);
    // `0` shows 28.5 as 29: what the format rounds keeps its rounding.
    s.fix_decimals(Pos::new(2, 3));
    s.set(
        Pos::new(2, 3),
        RawCell {
            value: RawValue::Number(Shown::plain("28.5".parse().unwrap(), 0)),
            formula: None,
        },
    );
    let f = form(&s).funding.expect("funding");
    let decimals = |n: &Option<Num>| n.as_ref().and_then(Num::number).map(|s| s.decimals);
    let rows: Vec<_> = std::iter::once(&f.total).chain(&f.sources).collect();
    let got: Vec<[Option<u32>; 4]> = rows
        .iter()
        .map(|r| {
            [
                decimals(&r.initial_budget),
                decimals(&r.budget),
                decimals(&r.executed),
                decimals(&r.rate),
            ]
        })
        .collect();
    assert_eq!(
        got,
        [
            // 30 and 28.5 stored as numbers; 0.9 is 90%, not 85%–95%.
            [Some(2), Some(2), Some(2), Some(2)],
            // `25.4` written as text keeps its one decimal; `95%` its own precision.
            [Some(1), Some(2), Some(0), Some(2)],
            // A 0 is exactly 0.
            [Some(2), Some(2), Some(2), None],
        ]
    );
    // The score keeps its own precision: `9` may stand for 9.45 (SPEC §4).
    assert_eq!(decimals(&f.total.score), Some(0));
}

#[test]
fn the_year_may_stand_in_its_own_row() {
    let s = sheet(&[
        &["州本级项目支出绩效自评表"],
        &["（2023年度）"],
        &SPLIT_HEADER,
        &TRAINING,
    ]);
    assert_eq!(form(&s).year, Some(2023));
}

#[test]
fn a_missing_block_names_the_labels_looked_for() {
    let s = sheet(&[
        &["项目支出绩效自评表"],
        &FUNDING_HEADER,
        &["年度资金总额", "#10", "#10", "#10", "#10", "100%", "#10"],
        &[
            "一级指标",
            "二级指标",
            "三级指标",
            "年度指标值",
            "实际完成值",
            "偏差原因",
        ],
        &["产出指标", "数量指标", "培训人次", "≥1000人次", "1200人次"],
    ]);
    // Targets and actuals without scores: a no-score form, read and lacking nothing.
    let f = form(&s);
    assert_eq!((f.family, f.indicators.len()), (Family::NoScore, 1));
    assert!(f.findings.is_empty(), "{:?}", f.findings);
    // Targets alone: not a self-evaluation, skipped with what was found.
    let s = sheet(&[
        &["项目支出绩效目标表"],
        &["一级指标", "二级指标", "三级指标", "年度指标值", "备注"],
        &["产出指标", "数量指标", "培训人次", "≥1000人次"],
    ]);
    match read_sheet(&s, Layout::bundled()).remove(0) {
        SheetOutcome::Skipped { reason, .. } => assert!(
            reason.contains("有绩效指标表但没有分值或得分列") && reason.contains("C2"),
            "{reason}"
        ),
        SheetOutcome::Form(f) => panic!("read as a form: {f:?}"),
    }

    let s = sheet(&[
        &SPLIT_HEADER,
        &[
            "产出指标",
            "数量指标",
            "培训人次",
            "≥",
            "#4",
            "次",
            "#4",
            "#10",
            "#10",
        ],
    ]);
    let messages: Vec<String> = form(&s)
        .findings
        .iter()
        .map(|f| f.message.clone())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("项目资金") && m.contains("全年执行数")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("总分") && m.contains("合计")),
        "{messages:?}"
    );
}

#[test]
fn finds_year_and_points() {
    assert_eq!(year_in("项目支出绩效自评表（2023年度）"), Some(2023));
    assert_eq!(year_in("州本级项目支出绩效自评表"), None);
    assert_eq!(points_in("产出指标（50分）"), Some(Decimal::from(50)));
    assert_eq!(points_in("产出指标"), None);
    assert_eq!(unit_in_name("服务对象满意度（%）").as_deref(), Some("%"));
}

/// A funding header and its total row, then a split indicator header: the funding block as
/// `header` names its columns, with the block label `block` at the left.
fn funding_sheet(block: &str, header: [&str; 6], total: [&str; 4]) -> RawSheet {
    let mut head = vec![block];
    head.extend(header);
    let mut row = vec!["", "年度资金总额"];
    row.extend(total);
    let totals = ["总分", "", "", "", "", "", "", "#10", "#10"];
    sheet(&[&head, &row, &SPLIT_HEADER, &TRAINING, &totals])
}

const CUT_HEADER: [&str; 6] = [
    "资金来源",
    "年初预算",
    "全年预算数（A）（万元）",
    "全年执行",
    "预算执行率（B/A×100%）",
    "得分",
];

#[test]
fn a_header_cut_short_or_extended_still_finds_its_column() {
    let s = funding_sheet(
        "项目资金（万元）",
        CUT_HEADER,
        ["#120", "#120", "#113.4", "94.50%"],
    );
    let f = form(&s);
    assert!(
        !f.findings.iter().any(|x| x.code == Code::MissingBlock),
        "{:?}",
        f.findings
    );
    let funding = f.funding.expect("funding");
    let cell = |n: &Option<Num>| n.as_ref().map(|n| n.cell.a1()).unwrap_or_default();
    assert_eq!(
        [
            cell(&funding.total.initial_budget),
            cell(&funding.total.budget),
            cell(&funding.total.executed),
            cell(&funding.total.rate),
        ],
        ["C2", "D2", "E2", "F2"]
    );

    // The indicator header extended (`指标名称（三级指标）`), cut short (`年度指标`) or worded
    // as some forms do (`年终完成值`).
    let s = sheet(&[
        &[
            "一级指标",
            "二级指标",
            "指标名称（三级指标）",
            "年度指标",
            "年终完成值",
            "分值",
            "得分",
        ],
        &[
            "产出指标",
            "数量指标",
            "培训人次",
            "≧1000人次",
            "1200人次",
            "#10",
            "#10",
        ],
    ]);
    let f = form(&s);
    let i = &f.indicators[0];
    assert_eq!(
        (i.target.cell.a1(), i.target.text(), i.actual.text()),
        ("D2".to_string(), "≧1000人次", "1200人次")
    );
}

#[test]
fn a_header_cut_too_short_or_standing_for_two_columns_is_not_taken() {
    // `全年` begins 全年预算数 and 全年执行数 alike: there is no 全年执行数 column.
    let mut header = CUT_HEADER;
    header[3] = "全年";
    let s = funding_sheet("项目资金", header, ["#120", "#120", "#113.4", "94.50%"]);
    assert!(form(&s).funding.is_none());

    // Two headers cut from 全年执行数: which is the column cannot be told.
    let mut header = CUT_HEADER;
    header[4] = "全年执行";
    let s = funding_sheet("项目资金", header, ["#120", "#120", "#113.4", "#113.4"]);
    assert!(form(&s).funding.is_none());

    // A header that begins the labels of two fields stands for neither.
    let s = funding_sheet("项目资金", CUT_HEADER, ["#120", "#120", "#113.4", "94.50%"]);
    let layout = Layout::bundled();
    let view = View::new(&s, layout);
    let rate_cut: Aliases = serde_json::from_str(r#"["全年执行率"]"#).unwrap();
    let f = &layout.funding;
    assert_eq!(
        view.header_columns(0, [&f.budget, &f.executed, &rate_cut]),
        [Some(3), None, None]
    );
    assert_eq!(
        view.header_columns(0, [&f.budget, &f.executed]),
        [Some(3), Some(4)]
    );
}

/// What [`amounts_of`] reads: each amount's value and decimals, the block's unit, findings.
type AmountsRead = (Vec<Option<(Decimal, u32)>>, Option<String>, Vec<String>);

/// Amounts of the total row written as `total`, read in a block labelled `block`.
fn amounts_of(block: &str, total: [&str; 3]) -> AmountsRead {
    let s = funding_sheet(
        block,
        FUNDING_HEADER[..6].try_into().unwrap(),
        [total[0], total[1], total[2], "#10"],
    );
    let f = form(&s);
    let funding = f.funding.expect("funding");
    let t = &funding.total;
    let read = |n: &Option<Num>| {
        n.as_ref()
            .and_then(Num::number)
            .map(|s| (s.value.normalize(), s.decimals))
    };
    let findings = f
        .findings
        .iter()
        .map(|x| format!("{} {} {}", x.code, x.cell.a1(), x.message))
        .collect();
    (
        vec![read(&t.initial_budget), read(&t.budget), read(&t.executed)],
        funding.unit,
        findings,
    )
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

#[test]
fn amounts_with_their_unit_in_the_cell_are_read_in_the_blocks_unit() {
    // The unit the block states, written again in the cells.
    let (read, unit, findings) =
        amounts_of("项目资金（万元）", ["4753.66万元", "300万元", "2.38 万元"]);
    assert_eq!(
        read,
        [
            Some((dec("4753.66"), 2)),
            Some((dec("300"), 0)),
            Some((dec("2.38"), 2))
        ]
    );
    assert_eq!(unit.as_deref(), Some("万元"));
    assert!(findings.is_empty(), "{findings:?}");

    // A smaller unit converts exactly, keeping what it showed: 300元 is 0.0300 万元.
    let (read, _, findings) = amounts_of("项目资金（万元）", ["300元", "3千元", "#0.03"]);
    assert_eq!(
        read,
        [
            Some((dec("0.03"), 4)),
            Some((dec("0.3"), 1)),
            Some((dec("0.03"), 2))
        ]
    );
    assert!(findings.is_empty(), "{findings:?}");

    // No unit stated: the largest one written is the block's, and the others convert to it.
    let (read, unit, _) = amounts_of("项目资金", ["300万元", "3000000元", "2.5万"]);
    assert_eq!(
        read,
        [
            Some((dec("300"), 0)),
            Some((dec("300"), 4)),
            Some((dec("2.5"), 1))
        ]
    );
    assert_eq!(unit.as_deref(), Some("万元"));

    // A larger unit than the block's converts where its decimals reach the block's unit, and
    // is reported where they do not: 2.38万元 is 23800 元 give or take 50.
    let (read, unit, findings) = amounts_of("项目资金（元）", ["2.3812万元", "#23812", "2.38万元"]);
    assert_eq!(
        read,
        [Some((dec("23812"), 0)), Some((dec("23812"), 2)), None]
    );
    assert_eq!(unit.as_deref(), Some("元"));
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert!(
        findings[0].starts_with("bad-number E2 ")
            && findings[0].contains("2.38万元")
            && findings[0].contains("本表金额单位为元"),
        "{findings:?}"
    );
}

/// A 20/80 form: execution points in the funding header, no weight column, a parent row
/// carrying its children's sum, weights from the rows' own words or their level-1 points.
#[test]
fn a_form_without_a_weight_column_takes_weights_from_its_words() {
    let s = sheet(&[
        &["项目支出绩效自评表"],
        &[
            "资金来源",
            "全年预算数",
            "全年执行数",
            "执行率",
            "得分（20分*执行率）",
        ],
        &["年度资金总额", "#100", "#90", "#0.9", "#18"],
        &[
            "一级指标",
            "二级指标",
            "三级指标",
            "年度指标值",
            "实际完成值",
            "得分",
        ],
        &["产出指标（30分）", "", "", "", "", "#28"],
        &[
            "产出指标（30分）",
            "数量指标",
            "培训人次（20分）",
            "≥100人次",
            "90人次",
            "#18",
        ],
        &[
            "产出指标（30分）",
            "质量指标",
            "合格率",
            "100%",
            "100%",
            "#10",
        ],
        &[
            "满意度指标（50分）",
            "满意度",
            "群众满意度",
            "≥90%",
            "95%",
            "#50",
        ],
        &["总分", "", "", "", "", "#96"],
    ]);
    let f = form(&s);
    assert_eq!(f.family, Family::NoWeight);
    assert_eq!(
        f.funding.as_ref().and_then(|f| f.stated_weight),
        Some(Decimal::from(20))
    );
    let weights: Vec<(&str, Option<Decimal>, WeightFrom)> = f
        .indicators
        .iter()
        .map(|i| {
            (
                i.name.value.as_str(),
                i.weight.number().map(|s| s.value),
                i.weight_from,
            )
        })
        .collect();
    assert_eq!(
        weights,
        [
            (
                "培训人次（20分）",
                Some(Decimal::from(20)),
                WeightFrom::Name
            ),
            ("合格率", Some(Decimal::from(10)), WeightFrom::Inferred),
            ("群众满意度", Some(Decimal::from(50)), WeightFrom::Inferred),
        ]
    );
}

/// `绩效指标` over 一级/二级/三级指标, 分值 and 得分 merged down both header rows.
#[test]
fn a_header_merged_down_from_the_row_above_is_one_header() {
    let mut s = sheet(&[
        &[
            "绩效指标",
            "",
            "",
            "年度指标值",
            "实际完成值",
            "分值",
            "得分",
        ],
        &["一级指标", "二级指标", "三级指标", "", "", "", ""],
        &[
            "产出指标",
            "数量指标",
            "培训人次",
            "≥100人次",
            "90人次",
            "#10",
            "#9",
        ],
        &["总分", "", "", "", "", "#10", "#9"],
    ]);
    for col in 3..7 {
        s.add_merge(Merge {
            first: Pos::new(0, col),
            last: Pos::new(1, col),
        });
    }
    let f = form(&s);
    assert_eq!(f.indicators.len(), 1);
    let i = &f.indicators[0];
    assert_eq!(
        (
            i.target.value.as_str(),
            i.weight.cell.a1(),
            i.score.cell.a1()
        ),
        ("≥100人次", "F3".to_string(), "G3".to_string())
    );
}

/// SPEC §10: 31.9 written for 12767 against ≥8000 was 12767/8000 × 20, uncapped; the weights
/// that explain the written scores are preferred to an equal share.
#[test]
fn an_inferred_weight_is_the_one_that_explains_the_written_score() {
    let s = sheet(&[
        &[
            "一级指标",
            "二级指标",
            "三级指标",
            "年度指标值",
            "实际完成值",
            "得分",
        ],
        &[
            "年度绩效目标（80分）",
            "数量指标",
            "培训人次",
            "≥8000人次",
            "12767人次",
            "31.9",
        ],
        &[
            "年度绩效目标（80分）",
            "质量指标",
            "合格人数",
            "≥100人",
            "100人",
            "#60",
        ],
        &["总分", "", "", "", "", "#91.9"],
    ]);
    let weights: Vec<Option<Decimal>> = form(&s)
        .indicators
        .iter()
        .map(|i| i.weight.number().map(|s| s.value))
        .collect();
    assert_eq!(weights, [Some(Decimal::from(20)), Some(Decimal::from(60))]);
}
