//! Totals, weights and grade (SPEC T1–T4).

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::{ExecResult, IndicatorResult, Rules, num_shown};
use crate::finding::{Code, Finding};
use crate::model::{Form, Num};
use crate::number::{Shown, round_half_away};
use crate::template::{TotalCap, normalize_label};
use crate::writer::NewValue;

pub(super) struct TotalsResult {
    pub claimed_total: Option<Shown>,
    pub total: Decimal,
    pub claimed_grade: Option<String>,
    pub grade: String,
}

pub(super) fn score(
    form: &Form,
    exec: Option<&ExecResult>,
    indicators: &[IndicatorResult],
    rules: Rules,
    findings: &mut Vec<Finding>,
) -> TotalsResult {
    let written: Vec<Shown> = form
        .funding
        .as_ref()
        .and_then(|f| f.total.score.as_ref())
        .and_then(Num::number)
        .into_iter()
        .chain(form.indicators.iter().filter_map(|i| i.score.number()))
        .collect();
    let written_sum = written.iter().map(|s| s.value).sum::<Decimal>();
    // A score shown with two decimals may be a longer value (a formula's result) rounded
    // for display; a sum of n of them may differ from the shown total by n half-cents.
    let slack: Decimal = written
        .iter()
        .filter(|s| s.decimals >= 2)
        .map(|s| s.interval().1 - s.value)
        .sum();
    let total = round_half_away(
        exec.map_or(Decimal::ZERO, |e| e.score)
            + indicators.iter().map(|r| r.score).sum::<Decimal>(),
        rules.score_decimals(),
    );

    // Some platforms cap the total when execution falls short.
    let cap = exec
        .and_then(|e| e.rate)
        .and_then(|r| rules.profile.cap_for(r));
    let total = cap.map_or(total, |c| total.min(c.max_total));

    let claimed_total = form.totals.as_ref().and_then(|t| t.score.number());
    if let Some(t) = &form.totals {
        check_total(&t.score, (written_sum, slack), total, cap, rules, findings);
        check_weights(form, exec, &t.weight, rules, findings);
    }
    level1_weights(form, exec, rules, findings);

    let grade = rules.profile.grade_for(total).to_string();
    let claimed_grade = form
        .conclusion
        .as_ref()
        .map(|c| c.value.clone())
        .filter(|c| !c.is_empty());
    match &form.conclusion {
        Some(c) if !c.value.is_empty() => check_grade(c, &grade, total, rules, findings),
        Some(c) if rules.profile.conclusion.required => findings.push(
            Finding::new(
                Code::GradeUnknown,
                c.cell.clone(),
                format!("绩效结论未填写，按核定总分应为“{grade}”"),
            )
            .expected(grade.clone()),
        ),
        _ => {}
    }
    TotalsResult {
        claimed_total,
        total,
        claimed_grade,
        grade,
    }
}

/// T1: against the sum of the written scores (an addition slip) and against the recomputed
/// total. When the written scores all stand the two are the same check, reported once.
fn check_total(
    num: &Num,
    (written_sum, slack): (Decimal, Decimal),
    total: Decimal,
    cap: Option<&TotalCap>,
    rules: Rules,
    findings: &mut Vec<Finding>,
) {
    let Some(written) = num.number() else {
        if num.is_absent() {
            findings.push(
                Finding::new(Code::ScoreMissing, num.cell.clone(), "总分未填写")
                    .expected(rules.show(total))
                    .correct_to(rules.score_value(total)),
            );
        }
        return;
    };
    let d = written.decimals;
    let matches = |v: Decimal| {
        round_half_away(v - slack, d) <= written.value
            && written.value <= round_half_away(v + slack, d)
    };
    let correction = rules.score_value(total);
    // Adding up correctly and then applying the cap (or not) is no addition slip.
    let capped_sum = cap.map_or(written_sum, |c| written_sum.min(c.max_total));
    let slip = !matches(written_sum) && !matches(capped_sum);
    if slip {
        findings.push(
            Finding::new(
                Code::TotalSum,
                num.cell.clone(),
                format!(
                    "总分 {} 不等于表中各项得分之和 {}",
                    written,
                    rules.show(written_sum)
                ),
            )
            .claimed(num_shown(num))
            .expected(rules.show(written_sum))
            .correct_to(correction.clone()),
        );
    }
    if !matches(total) && (!slip || capped_sum != total) {
        findings.push(
            Finding::new(
                Code::TotalScore,
                num.cell.clone(),
                match cap {
                    Some(c) => format!(
                        "按更正后的各项得分，且执行率低于 {}% 时总分不超过 {}，总分应为 {}",
                        (c.rate_below * Decimal::ONE_HUNDRED).normalize(),
                        c.max_total.normalize(),
                        rules.show(total)
                    ),
                    None => format!("按更正后的各项得分，总分应为 {}", rules.show(total)),
                },
            )
            .claimed(num_shown(num))
            .expected(rules.show(total))
            .correct_to(correction),
        );
    }
}

/// T2: Σ weights = 100, and = the 分值 written on the totals row.
fn check_weights(
    form: &Form,
    exec: Option<&ExecResult>,
    written: &Num,
    rules: Rules,
    findings: &mut Vec<Finding>,
) {
    let weights: Vec<Decimal> = form
        .indicators
        .iter()
        .filter_map(|i| i.weight.number())
        .map(|s| s.value)
        .collect();
    if weights.is_empty() {
        return;
    }
    let sum = exec.map_or(Decimal::ZERO, |e| e.weight) + weights.iter().sum::<Decimal>();
    let full = rules.profile.weights.total;
    if sum != full {
        findings.push(
            Finding::new(
                Code::WeightSum,
                written.cell.clone(),
                format!(
                    "预算执行率与各指标分值之和为 {}，应为 {}",
                    sum.normalize(),
                    full.normalize()
                ),
            )
            .claimed(sum.normalize().to_string())
            .expected(full.normalize().to_string()),
        );
    } else if let Some(w) = written.number()
        && w.value != sum
    {
        findings.push(
            Finding::new(
                Code::WeightSum,
                written.cell.clone(),
                format!("总分行分值 {} 与各项分值之和 {} 不一致", w, sum.normalize()),
            )
            .claimed(num_shown(written))
            .expected(sum.normalize().to_string())
            .correct_to(NewValue::Number {
                value: sum,
                decimals: 0,
            }),
        );
    }
}

/// T3: the level-1 split, and points a level-1 label states.
fn level1_weights(
    form: &Form,
    exec: Option<&ExecResult>,
    rules: Rules,
    findings: &mut Vec<Finding>,
) {
    let mut groups: BTreeMap<String, (Decimal, &crate::model::Indicator)> = BTreeMap::new();
    for ind in &form.indicators {
        let key = normalize_label(&ind.level1.value);
        let w = ind.weight.number().map_or(Decimal::ZERO, |s| s.value);
        groups
            .entry(key)
            .and_modify(|(sum, _)| *sum += w)
            .or_insert((w, ind));
    }
    for (sum, first) in groups.values() {
        if let Some(points) = first.level1_points
            && points != *sum
        {
            findings.push(
                Finding::new(
                    Code::L1Points,
                    first.level1.cell.clone(),
                    format!(
                        "“{}”标注 {} 分，但其下各指标分值之和为 {}",
                        first.level1.value,
                        points.normalize(),
                        sum.normalize()
                    ),
                )
                .claimed(points.normalize().to_string())
                .expected(sum.normalize().to_string()),
            );
        }
    }
    // A profile entry may join several level-1 names: `效益指标+满意度指标` = 40.
    for (name, want) in &rules.profile.weights.level1 {
        let stems: Vec<&str> = name
            .split('+')
            .map(|n| n.trim_end_matches("指标"))
            .collect();
        let matched: Vec<&(Decimal, &crate::model::Indicator)> = groups
            .iter()
            .filter(|(key, _)| {
                let key = key.trim_end_matches("指标");
                !key.is_empty() && stems.iter().any(|s| key.contains(s) || s.contains(key))
            })
            .map(|(_, g)| g)
            .collect();
        let Some(first) = matched.first().map(|(_, ind)| *ind) else {
            continue;
        };
        let sum: Decimal = matched.iter().map(|(w, _)| *w).sum();
        if sum != *want {
            findings.push(
                Finding::new(
                    Code::L1Weights,
                    first.level1.cell.clone(),
                    format!(
                        "{name}分值合计 {}，与通常的 {} 分不同",
                        sum.normalize(),
                        want.normalize()
                    ),
                )
                .claimed(sum.normalize().to_string())
                .expected(want.normalize().to_string()),
            );
        }
    }
    if let (Some(e), Some(cell)) = (
        exec,
        form.funding.as_ref().and_then(|f| f.total.weight.as_ref()),
    ) && e.weight != rules.profile.execution.weight
    {
        findings.push(
            Finding::new(
                Code::L1Weights,
                cell.cell.clone(),
                format!(
                    "预算执行率分值 {}，与通常的 {} 分不同",
                    e.weight.normalize(),
                    rules.profile.execution.weight.normalize()
                ),
            )
            .claimed(e.weight.normalize().to_string())
            .expected(rules.profile.execution.weight.normalize().to_string()),
        );
    }
}

/// T4: the conclusion must name the grade of the recomputed total.
fn check_grade(
    cell: &crate::model::Located<String>,
    grade: &str,
    total: Decimal,
    rules: Rules,
    findings: &mut Vec<Finding>,
) {
    // `优（99.97分）` names its grade before the parenthesis.
    let text = normalize_label(&cell.value);
    if text.is_empty() {
        return;
    }
    let written = rules
        .layout
        .words
        .grade
        .iter()
        .find(|(_, words)| words.contains_exact(&text))
        .map(|(g, _)| g.as_str());
    match written {
        Some(g) if g == grade => {}
        Some(_) => findings.push(
            Finding::new(
                Code::Grade,
                cell.cell.clone(),
                format!("按核定总分 {}，绩效等级应为“{grade}”", rules.show(total)),
            )
            .claimed(cell.value.clone())
            .expected(grade)
            .correct_to(NewValue::Text(grade.to_string())),
        ),
        None => findings.push(
            Finding::new(
                Code::GradeUnknown,
                cell.cell.clone(),
                format!(
                    "绩效结论“{}”不是可识别的等级，按核定总分应为“{grade}”",
                    cell.value
                ),
            )
            .claimed(cell.value.clone())
            .expected(grade),
        ),
    }
}
