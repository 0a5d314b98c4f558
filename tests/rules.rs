//! The scoring rules of SPEC §3 through whole workbooks: the worked examples of §8, the
//! rounding cases of §4, and a fixture for each finding code (fixtures/README.md).

mod common;

use common::{Form, Found, Ind, V, check_form, clean, ind, n, scratch, t};

fn codes(found: &[Found], severity: &str) -> Vec<(String, String)> {
    found
        .iter()
        .filter(|f| f.2 == severity)
        .map(|f| (f.0.clone(), f.1.clone()))
        .collect()
}

fn find<'a>(found: &'a [Found], code: &str) -> Vec<&'a Found> {
    found.iter().filter(|f| f.1 == code).collect()
}

#[test]
fn clean_form_has_no_error_and_no_warning() {
    let dir = scratch("rules-clean");
    let (code, found) = check_form(&dir, "clean", &clean());
    assert_eq!(codes(&found, "error"), vec![]);
    assert_eq!(codes(&found, "warning"), vec![]);
    assert_eq!(code, 0);
}

/// SPEC §8: each example as an indicator scored 0.01, so the finding names the recomputed
/// value (or band).
#[test]
fn worked_examples_of_spec_8() {
    let examples: [(&str, &str, &str, f64, &str); 11] = [
        ("数量指标", "≥1000人次", "850人次", 10.0, "8.50"),
        ("成本指标", "≤50万元", "55万元", 5.0, "4.55"),
        ("成本指标", "≤8.9万元", "8.83万", 2.0, "2.00"),
        ("质量指标", "≥95%", "92%", 10.0, "9.68"),
        ("数量指标", "≥200万元", "1,850,000元", 8.0, "7.40"),
        ("质量指标", "=100%", "98%", 10.0, "9.80"),
        ("质量指标", "90%-95%", "88%", 10.0, "9.78"),
        ("社会效益指标", "有效推进", "部分完成", 10.0, "[5.00, 8.00)"),
        ("时效指标", "2023年12月31日前", "2023年11月", 5.0, "5.00"),
        ("时效指标", "2023年底", "2024年3月", 5.0, "[0.00, 4.00)"),
        ("质量指标", "≤0起", "0起", 5.0, "5.00"),
    ];
    let mut f = clean();
    f.indicators = examples
        .iter()
        .map(|(l2, target, actual, w, want)| Ind {
            l1: "产出指标",
            l2,
            name: "示例",
            target: t(target),
            actual: t(actual),
            weight: n(*w),
            // Outside what the rule allows, so that the finding names the expected value.
            score: if want.starts_with('[') {
                n(*w)
            } else {
                n(0.01)
            },
            reason: t("见说明"),
        })
        .collect();
    let dir = scratch("rules-worked");
    let (_, found) = check_form(&dir, "worked", &f);
    for (i, (_, target, actual, _, want)) in examples.iter().enumerate() {
        let cell = format!("H{}", f.indicator_row(i));
        let hit = found
            .iter()
            .find(|x| x.0 == cell && (x.1 == "score-formula" || x.1 == "qual-band"))
            .unwrap_or_else(|| panic!("{target} / {actual}: no finding at {cell} in {found:?}"));
        assert_eq!(hit.4, *want, "{target} / {actual}");
    }
    // The time example with a late actual is scored by a band, not a formula.
    assert_eq!(
        found
            .iter()
            .find(|x| x.0 == format!("H{}", f.indicator_row(9)))
            .map(|x| x.1.as_str()),
        Some("score-formula")
    );
}

#[test]
fn execution_examples_of_spec_8() {
    // budget 120.00, executed 113.40 → 94.50%, 9.45 (the clean form); executed 125.00 →
    // 104.17%, 10.00 and an over-budget warning.
    let mut f = clean();
    f.total_row.executed = V::Fmt(125.0, "0.00");
    f.sources[0].executed = V::Fmt(107.0, "0.00");
    f.exec_rate = t("94.50%");
    f.exec_score = n(9.45);
    let dir = scratch("rules-exec");
    let (_, found) = check_form(&dir, "over-budget", &f);
    let rate = find(&found, "exec-rate");
    assert_eq!(rate.len(), 1, "{found:?}");
    assert_eq!((rate[0].0.as_str(), rate[0].4.as_str()), ("G5", "104.17%"));
    let score = find(&found, "exec-score");
    assert_eq!((score[0].0.as_str(), score[0].4.as_str()), ("H5", "10.00"));
    assert_eq!(find(&found, "over-budget")[0].0, "E5");
}

#[test]
fn rounding_explains_the_seed_rate_and_integer_scores() {
    let mut f = clean();
    // 25.41 / 25.48 = 99.73%; the seed wrote 99.71%, which rounded inputs allow.
    f.total_row = common::FundRow {
        label: t("年度资金总额"),
        initial: t("25.48"),
        budget: t("25.48"),
        executed: t("25.41"),
    };
    f.sources = vec![common::FundRow {
        label: t("财政拨款"),
        initial: t("25.48"),
        budget: t("25.48"),
        executed: t("25.41"),
    }];
    f.exec_rate = t("99.71%");
    f.exec_score = t("9.97");
    // 9.45 written as 9 is explained at its own precision; 9.91 written as 9 is floored.
    f.indicators[0] = ind(
        "产出指标",
        "数量指标",
        "培训企业人次",
        "≥1000人次",
        "945人次",
        10.0,
        9.0,
    );
    f.indicators[1] = ind(
        "产出指标",
        "数量指标",
        "召开政金企对接会",
        "≥1000次",
        "991次",
        10.0,
        9.0,
    );
    f.indicators[2] = ind(
        "产出指标",
        "质量指标",
        "培训验收合格率",
        "≥95%",
        "92%",
        10.0,
        9.7,
    );
    let dir = scratch("rules-rounding");
    let (_, found) = check_form(&dir, "rounding", &f);
    let rate_note = found
        .iter()
        .find(|x| x.0 == "G5")
        .expect("a finding on the rate");
    assert_eq!(
        (rate_note.1.as_str(), rate_note.2.as_str()),
        ("rounding", "note")
    );
    assert!(
        found
            .iter()
            .any(|x| x.0 == format!("H{}", f.indicator_row(0)) && x.1 == "rounding")
    );
    assert!(
        found
            .iter()
            .any(|x| x.0 == format!("H{}", f.indicator_row(1))
                && x.1 == "score-formula"
                && x.4 == "9.91")
    );
    // 9.7 for 9.68 is consistent, but above the point value: rounded up (§4).
    assert!(
        found
            .iter()
            .any(|x| x.0 == format!("H{}", f.indicator_row(2)) && x.1 == "rounded-up")
    );
    assert!(
        !found.iter().any(|x| x.0 == "H5" && x.2 == "error"),
        "{found:?}"
    );
}

/// One fixture per finding code: the form, the cell and code it must produce.
fn code_fixtures() -> Vec<(&'static str, Form, &'static str, &'static str)> {
    let mut out = Vec::new();
    let mut f = clean();
    f.exec_rate = t("90.00%");
    out.push(("exec-rate", f, "G5", "exec-rate"));
    let mut f = clean();
    f.exec_score = n(9.3);
    out.push(("exec-score", f, "H5", "exec-score"));
    let mut f = clean();
    for r in std::iter::once(&mut f.total_row).chain(f.sources.iter_mut()) {
        r.initial = n(0.0);
        r.budget = n(0.0);
    }
    out.push(("exec-zero-budget", f, "G5", "exec-zero-budget"));
    let mut f = clean();
    f.total_row.budget = V::Fmt(130.0, "0.00");
    f.total_row.initial = V::Fmt(130.0, "0.00");
    out.push(("funding-sum", f, "D5", "funding-sum"));
    let mut f = clean();
    f.indicators[4].score = n(9.92);
    out.push(("score-formula", f, "H16", "score-formula"));
    let mut f = clean();
    f.indicators[0].score = n(12.0);
    out.push(("score-over-weight", f, "H12", "score-over-weight"));
    let mut f = clean();
    f.indicators[0].score = n(-1.0);
    out.push(("score-negative", f, "H12", "score-negative"));
    let mut f = clean();
    f.indicators[0].score = V::Blank;
    out.push(("score-missing", f, "H12", "score-missing"));
    let mut f = clean();
    f.indicators[5].actual = t("部分完成");
    f.indicators[5].reason = t("部分企业尚未对接");
    out.push(("qual-band", f, "H17", "qual-band"));
    let mut f = clean();
    f.indicators[1].actual = t("4人");
    out.push(("unit-mismatch", f, "F13", "unit-mismatch"));
    // Without the funding block no 核定总分 can be formed: only the addition is checked.
    let mut f = clean();
    f.without_funding = true;
    f.total = n(88.0);
    out.push(("total-sum", f, "H15", "total-sum"));
    let mut f = clean();
    f.indicators[0].actual = t("900人次");
    f.indicators[0].reason = t("部分企业未参训");
    out.push(("total-score", f, "H20", "total-score"));
    let mut f = clean();
    f.indicators[0].weight = n(12.0);
    f.indicators[0].score = n(12.0);
    out.push(("weight-sum", f, "G20", "weight-sum"));
    let mut f = clean();
    f.grade = t("良");
    out.push(("grade", f, "B21", "grade"));
    let mut f = clean();
    f.without_totals = true;
    out.push(("missing-block", f, "A1", "missing-block"));
    let mut f = clean();
    f.indicators[0].weight = t("十分");
    out.push(("bad-number", f, "G12", "bad-number"));
    let mut f = clean();
    f.indicators[0].weight = n(15.0);
    f.indicators[0].score = n(15.0);
    f.indicators[5].weight = n(10.0);
    f.indicators[5].score = n(10.0);
    f.total = n(99.45);
    out.push(("l1-weights", f, "B12", "l1-weights"));
    let mut f = clean();
    f.indicators[0].actual = t("900人次");
    f.indicators[0].score = n(9.0);
    f.total = n(98.45);
    out.push(("reason-missing", f, "I12", "reason-missing"));
    let mut f = clean();
    f.total_row.executed = V::Fmt(125.0, "0.00");
    f.sources[0].executed = V::Fmt(107.0, "0.00");
    f.exec_rate = t("104.17%");
    f.exec_score = n(10.0);
    f.total = n(100.0);
    out.push(("over-budget", f, "E5", "over-budget"));
    let mut f = clean();
    f.indicators[1].actual = t("6次");
    out.push(("over-achieved", f, "F13", "over-achieved"));
    let mut f = clean();
    f.indicators[1].actual = t("完成");
    out.push(("actual-not-numeric", f, "F13", "actual-not-numeric"));
    let mut f = clean();
    f.source_score = n(9.54);
    out.push(("subrow-score", f, "H6", "subrow-score"));
    let mut f = clean();
    f.exec_rate = t("94.49%");
    out.push(("rounding", f, "G5", "rounding"));
    let mut f = clean();
    f.indicators[4].target = t("8.9万元");
    out.push(("op-inferred", f, "E16", "op-inferred"));
    let mut f = clean();
    f.indicators[5].actual = t("见附件");
    out.push(("qual-unknown", f, "F17", "qual-unknown"));
    let mut f = clean();
    f.indicators[0].actual = t("950人次");
    f.indicators[0].reason = t("部分企业未参训");
    f.indicators[0].score = n(10.0);
    out.push(("rounded-up", f, "H12", "rounded-up"));
    let mut f = clean();
    f.indicators[0].actual = t("950人次");
    f.indicators[0].reason = t("部分企业未参训");
    f.indicators[0].score = n(10.0);
    out.push(("rounding-gain", f, "H20", "rounding-gain"));
    let mut f = clean();
    for r in std::iter::once(&mut f.total_row).chain(f.sources.iter_mut()) {
        r.budget = V::Blank;
    }
    out.push(("rate-unchecked", f, "G5", "rate-unchecked"));
    out
}

#[test]
fn every_finding_code_has_a_fixture_that_produces_it() {
    let dir = scratch("rules-codes");
    for (name, form, cell, code) in code_fixtures() {
        let (exit, found) = check_form(&dir, name, &form);
        assert!(
            found.iter().any(|f| f.0 == cell && f.1 == code),
            "{name}: expected {code} at {cell}, got {found:?}"
        );
        let has_error = found.iter().any(|f| f.2 == "error");
        assert_eq!(exit, if has_error { 1 } else { 0 }, "{name}");
    }
}

/// Three scores of 9.684… shown as 9.68 add up to 29.05 in the cell that sums them: the
/// shown scores give 29.04, which rounding explains.
#[test]
fn a_total_of_rounded_scores_is_explained_by_rounding() {
    let mut f = clean();
    for i in 0..3 {
        f.indicators[i].target = t("≥95%");
        f.indicators[i].actual = t("92%");
        f.indicators[i].score = V::Fmt(9.684210526, "0.00");
        f.indicators[i].reason = t("略低于目标");
    }
    f.total = V::Fmt(9.45 + 3.0 * 9.684210526 + 60.0, "0.00");
    let dir = scratch("rules-total-rounding");
    let (code, found) = check_form(&dir, "total-rounding", &f);
    assert_eq!(codes(&found, "error"), vec![], "{found:?}");
    assert_eq!(code, 0);
    // A real slip of a whole point is still an error, one finding that says it is a slip.
    f.total = V::Fmt(9.45 + 3.0 * 9.684210526 + 61.0, "0.00");
    let (_, found) = check_form(&dir, "total-slip", &f);
    assert_eq!(
        codes(&found, "error"),
        vec![("H20".to_string(), "total-score".to_string())],
        "{found:?}"
    );
}
