//! Totals, weights and grade (SPEC T1–T4).

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::{ExecResult, IndicatorResult, Part, Rules, num_shown};
use crate::finding::NewValue;
use crate::finding::{Code, Finding};
use crate::model::{Family, Form, Num};
use crate::number::{Shown, round_half_away};
use crate::template::{TotalCap, normalize_label};

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
    // Each score cell (the execution score's may be missing) beside its part in the totals.
    let scored: Vec<(Option<&Num>, Part)> = exec
        .map(|e| {
            let cell = form.funding.as_ref().and_then(|f| f.total.score.as_ref());
            (cell, e.score)
        })
        .into_iter()
        .chain(
            form.indicators
                .iter()
                .zip(indicators)
                .map(|(i, r)| (Some(&i.score), r.score)),
        )
        .collect();
    let written: Vec<(&Num, Shown)> = scored
        .iter()
        .filter_map(|(n, _)| n.and_then(|n| n.number().map(|s| (n, s))))
        .collect();
    let written_sum = written.iter().map(|(_, s)| s.value).sum::<Decimal>();
    // A score cell shown with two decimals may hold a longer value (a formula's result)
    // rounded for display; a sum of n of them may differ from the shown total by n
    // half-cents.
    let slack: Decimal = written
        .iter()
        .filter(|(n, s)| n.number_cell && s.decimals >= 2)
        .map(|(_, s)| s.interval().1 - s.value)
        .sum();
    // The score cells the consistent total corrects: a total that only follows them says so.
    let corrected: Vec<String> = scored
        .iter()
        .filter_map(|(num, p)| {
            let num = (*num)?;
            (num.number().map(|s| s.value) != Some(p.consistent)).then(|| num.cell.pos.to_string())
        })
        .collect();
    let (consistent, recomputed) = scored
        .iter()
        .fold((Decimal::ZERO, Decimal::ZERO), |(c, k), (_, p)| {
            (c + p.consistent, k + p.recomputed)
        });
    let round = |v| round_half_away(v, rules.score_decimals());

    // Some platforms cap the total when execution falls short.
    let cap = exec
        .and_then(|e| e.rate)
        .and_then(|r| rules.profile.cap_for(r))
        .filter(|c| round(recomputed) > c.max_total);
    let capped = |v: Decimal| cap.map_or(v, |c| v.min(c.max_total));
    let sums = Sums {
        written: written_sum,
        slack,
        consistent: capped(round(consistent)),
        uncapped: round(consistent),
        recomputed: capped(round(recomputed)),
        corrected,
    };
    // 核定总分 needs every scored block; without one, only the addition can be checked (T1).
    // A family that does not score the execution lacks no block without it; a form without
    // scores has nothing to total.
    let complete = (form.funding.is_some() || !form.family.scores_execution())
        && form.family != Family::NoScore
        && !form.indicators.is_empty();
    let total = sums.recomputed;

    let claimed_total = form.totals.as_ref().and_then(|t| t.score.number());
    if let Some(t) = &form.totals {
        let from = findings.len();
        if complete {
            check_total(&t.score, &sums, cap, rules, findings);
            check_weights(form, exec, &t.weight, rules, findings);
        } else {
            check_addition(&t.score, &sums, rules, findings);
        }
        if t.in_label {
            for f in &mut findings[from..] {
                in_label(f, &t.score.shown);
            }
        }
    }
    level1_weights(form, exec, rules, findings);

    let grade = rules.profile.grade_for(total).to_string();
    let claimed_grade = form
        .conclusion
        .as_ref()
        .map(|c| c.value.clone())
        .filter(|c| !c.is_empty());
    match &form.conclusion {
        // Without 核定总分 the grade cannot be judged.
        Some(_) if !complete => {}
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

/// A total written inside its label (`项目总得分99分`) is corrected inside it: the copy keeps
/// the words and changes the number.
fn in_label(f: &mut Finding, label: &str) {
    let Some(NewValue::Number { value, decimals }) = &f.correction else {
        return;
    };
    let number = crate::number::fixed(*value, *decimals);
    let start = label.find(|c: char| c.is_ascii_digit());
    let text = match start {
        Some(at) => {
            let len = label[at..]
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(label.len() - at);
            format!("{}{number}{}", &label[..at], &label[at + len..])
        }
        None => format!("{label}{number}"),
    };
    f.correction = Some(NewValue::Text(text));
}

/// The sums a written 总分 is held against (T1).
struct Sums {
    /// Σ the written scores.
    written: Decimal,
    /// How far formula results shown rounded may move that sum.
    slack: Decimal,
    /// Σ the written scores where consistent, corrections elsewhere; capped where the
    /// profile caps the total.
    consistent: Decimal,
    /// The same before the cap.
    uncapped: Decimal,
    /// 核定总分: Σ point values, capped.
    recomputed: Decimal,
    /// The score cells whose corrections the consistent total takes, by address.
    corrected: Vec<String>,
}

impl Sums {
    /// Whether a written total shows `v`, at its own precision and within the slack.
    fn shows(&self, written: Shown, v: Decimal) -> bool {
        let d = written.decimals;
        round_half_away(v - self.slack, d) <= written.value
            && written.value <= round_half_away(v + self.slack, d)
    }
}

/// T1: the written 总分 gets one finding, against the consistent total and 核定总分.
fn check_total(
    num: &Num,
    sums: &Sums,
    cap: Option<&TotalCap>,
    rules: Rules,
    findings: &mut Vec<Finding>,
) {
    let k = sums.recomputed;
    let Some(written) = num.number() else {
        if num.is_absent() {
            findings.push(
                Finding::new(Code::ScoreMissing, num.cell.clone(), "总分未填写")
                    .expected(rules.show(k))
                    .correct_to(rules.score_value(k)),
            );
        }
        return;
    };
    if sums.shows(written, k) {
        if let Some(c) = cap {
            findings.push(
                Finding::new(
                    Code::TotalCapped,
                    num.cell.clone(),
                    format!(
                        "执行率低于 {}%，按规则“{}”总分不超过 {} 分，填报总分已按此封顶",
                        (c.rate_below * Decimal::ONE_HUNDRED).normalize(),
                        rules.profile.title,
                        c.max_total.normalize()
                    ),
                )
                .claimed(num_shown(num)),
            );
        }
        return;
    }
    if sums.shows(written, sums.consistent) {
        // Only rounding separates the written total from 核定总分.
        let gain = written.value > k;
        let finding = if gain {
            Finding::new(
                Code::RoundingGain,
                num.cell.clone(),
                format!(
                    "总分 {written} 是各项填报得分之和，但其中有得分向上取整；按各项精确值，核定总分为 {}，多出的分数不计，绩效等级按核定总分评定",
                    rules.show(k)
                ),
            )
        } else {
            Finding::new(
                Code::Rounding,
                num.cell.clone(),
                format!(
                    "总分 {written} 与按各项精确值合计的核定总分 {} 的差异由各项得分的四舍五入造成",
                    rules.show(k)
                ),
            )
        };
        findings.push(finding.claimed(num_shown(num)).expected(rules.show(k)));
        return;
    }
    let why = if sums.shows(written, sums.written) && !sums.corrected.is_empty() {
        format!(
            "总分是各项填报得分之和，随 {} 的更正而变",
            sums.corrected.join("、")
        )
    } else {
        format!(
            "总分不等于各项填报得分之和 {}（加总有误）",
            rules.show(sums.written)
        )
    };
    let message = match cap {
        Some(c) if sums.shows(written, sums.uncapped) => format!(
            "执行率低于 {}% 时总分不超过 {} 分（规则“{}”），总分应为 {}",
            (c.rate_below * Decimal::ONE_HUNDRED).normalize(),
            c.max_total.normalize(),
            rules.profile.title,
            rules.show(k)
        ),
        Some(c) => format!(
            "{why}；按更正后的各项得分，且执行率低于 {}% 时总分不超过 {} 分，总分应为 {}",
            (c.rate_below * Decimal::ONE_HUNDRED).normalize(),
            c.max_total.normalize(),
            rules.show(k)
        ),
        None => format!("{why}；按更正后的各项得分，总分应为 {}", rules.show(k)),
    };
    let mut f = Finding::new(Code::TotalScore, num.cell.clone(), message)
        .claimed(num_shown(num))
        .expected(rules.show(k))
        .correct_to(rules.score_value(k));
    if cap.is_some() {
        f = f.rule(Code::TotalCapped.rule());
    }
    findings.push(f);
}

/// T1 where no 核定总分 can be formed (a scored block is missing): only the addition.
fn check_addition(num: &Num, sums: &Sums, rules: Rules, findings: &mut Vec<Finding>) {
    let Some(written) = num.number() else {
        return;
    };
    if sums.shows(written, sums.written) {
        return;
    }
    findings.push(
        Finding::new(
            Code::TotalSum,
            num.cell.clone(),
            format!(
                "总分 {} 不等于表中各项得分之和 {}",
                written,
                rules.show(sums.written)
            ),
        )
        .claimed(num_shown(num))
        .expected(rules.show(sums.written))
        .correct_to(rules.score_value(sums.written)),
    );
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
        // Which weight is wrong cannot be known: the total's cell keeps its value and the
        // finding says what does not agree.
        let mut f = Finding::new(
            Code::WeightSum,
            written.cell.clone(),
            format!(
                "预算执行率与各指标分值之和为 {}，不等于 {} 分，请核对各项分值",
                sum.normalize(),
                full.normalize()
            ),
        );
        if written.number().is_some() {
            f = f.claimed(num_shown(written));
        }
        findings.push(f);
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
    // A label whose stated points its rows miss gets l1-points; the split it then shows
    // is the same fact, not a second one.
    let mut stated_wrong = Vec::new();
    for (key, (sum, first)) in &groups {
        if let Some(points) = first.level1_points
            && points != *sum
        {
            stated_wrong.push(key.clone());
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
    // Weights that do not add up are weight-sum's finding; a split of them is no split.
    let all = exec.map_or(Decimal::ZERO, |e| e.weight)
        + groups.values().map(|(w, _)| *w).sum::<Decimal>();
    // A family whose parts are not 产出/效益/满意度 (a rubric, a 部门整体 form) or whose form
    // states its own split has no default split to differ from.
    if all != rules.profile.weights.total || !form.family.default_split_applies() {
        return;
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
                !stated_wrong
                    .iter()
                    .any(|w| w.trim_end_matches("指标") == key)
                    && !key.is_empty()
                    && stems.iter().any(|s| key.contains(s) || s.contains(key))
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
            .correct_to(NewValue::Text(grade.to_string()))
            .rule(rules.profile.grade_rule()),
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
