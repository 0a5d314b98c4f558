use super::*;

fn table(rows: &[&[&str]]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

#[test]
fn names_fold_their_year_brackets_and_generic_words() {
    let rules = &LedgerLabels::bundled().names;
    let key = |n: &str| name_key(n, rules);
    assert_eq!(
        key("2023年度（州本级）金融发展服务工作经费"),
        "金融发展服务"
    );
    assert_eq!(key("金融发展 服务工作经费"), "金融发展服务");
    assert_eq!(
        key("城乡环境卫生整治专项资金"),
        key("2023年城乡环境卫生整治资金")
    );
    // A name of generic words alone keeps the last of them.
    assert_eq!(key("专项资金"), "专项");
}

#[test]
fn duplicate_codes_are_reported_at_each_row_and_not_matched_by() {
    let t = table(&[
        &["项目编码", "单位名称", "项目名称", "调整后预算数", "支出数"],
        &["A1", "甲局", "甲项目", "100", "90"],
        &["A1", "乙局", "乙项目", "200", "180"],
        &["B2", "丙局", "丙项目", "300", "270"],
    ]);
    let ledger = Ledger::from_table("台账.csv".into(), &t, Layout::bundled()).expect("ledger");
    assert_eq!(ledger.unit, "元");
    assert_eq!(ledger.problems.len(), 2, "{:?}", ledger.problems);
    assert!(ledger.problems[0].contains("第 2 行") && ledger.problems[1].contains("第 3 行"));
    assert_eq!(ledger.by_code.get("B2"), Some(&2));
    assert!(!ledger.by_code.contains_key("A1"));
}

#[test]
fn the_unit_comes_from_a_line_above_or_an_amount_header() {
    let above = table(&[
        &["单位：万元"],
        &["项目名称", "全年预算数", "执行数"],
        &["甲项目", "1.5", "1.2"],
    ]);
    let ledger = Ledger::from_table("a".into(), &above, Layout::bundled()).expect("ledger");
    assert_eq!(ledger.unit, "万元");
    assert_eq!(ledger.rows[0].budget, Some(Decimal::from(15_000)));
    let header = table(&[
        &["项目名称", "全年预算数（千元）", "执行数（千元）"],
        &["甲", "2", "1"],
    ]);
    let ledger = Ledger::from_table("b".into(), &header, Layout::bundled()).expect("ledger");
    assert_eq!(ledger.rows[0].executed, Some(Decimal::from(1_000)));
}
