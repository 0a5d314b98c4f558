//! Indicator scores (SPEC I1–I10, T5, T6).

use rust_decimal::Decimal;

use super::family;
use super::{IndicatorResult, Part, Recomputed, Rules, Span, Valued, check_value, num_shown};
use crate::finding::{Code, Finding};
use crate::model::target::{Actual, Direction, Quantity, Target, align};
use crate::model::{Indicator, WeightFrom};
use crate::number::{NumText, fixed};
use crate::template::normalize_label;

/// What the score of an indicator must be.
#[derive(Debug, Clone, PartialEq)]
#[expect(
    clippy::large_enum_variant,
    reason = "one per indicator, built once and moved into its result: boxing the working \
              measured an allocation per indicator dearer than the bytes it saves moving"
)]
pub enum Expected {
    /// A recomputed value, the span rounding allows, and how it was worked out.
    Point(Span, Working),
    /// A band of W: `[lo, hi)`, or `[lo, hi]` when `closed`.
    Band {
        lo: Decimal,
        hi: Decimal,
        closed: bool,
        why: &'static str,
        /// The finding a score outside the band gets: `qual-band`, or `score-formula` for a
        /// late deliverable (I7).
        code: Code,
    },
    /// Cannot be recomputed: only 0 ≤ score ≤ W is checked.
    Unknown,
}

/// How a recomputed score was worked out, put into words only when a finding quotes it:
/// most scores are right, and their words would be built for nothing.
#[derive(Debug, Clone, PartialEq)]
#[expect(
    clippy::large_enum_variant,
    reason = "held inline in `Expected`, for the reason given there"
)]
pub enum Working {
    /// Actual against target: see [`Ratio`].
    Ratio(Ratio),
    /// Delivered on time: full marks `w`.
    OnTime(Decimal),
}

/// Actual `b` against target `a` (`hi` the upper end of a range) times `w`, giving `result`,
/// less `penalty` points for overshooting.
#[derive(Debug, Clone, PartialEq)]
pub struct Ratio {
    direction: Direction,
    a: Quantity,
    b: Quantity,
    hi: Option<Quantity>,
    w: Decimal,
    result: Decimal,
    penalty: Option<Decimal>,
}

impl Working {
    /// The working in words, ending in `point`, the score it gives.
    fn words(&self, point: Decimal, rules: Rules) -> String {
        match self {
            Working::Ratio(r) => {
                let how = r.formula(rules);
                match r.penalty {
                    Some(p) => format!(
                        "{how}；超过指标值 30% 以上扣 {} 分，得 {}",
                        p.normalize(),
                        rules.show(point)
                    ),
                    None => how,
                }
            }
            Working::OnTime(w) => format!("按期完成，得满分 {}", rules.show(*w)),
        }
    }
}

impl Ratio {
    /// The formula in words: `反向指标：min(指标 8.9万元 ÷ 实际 8.83万, 1) × 2 = 2.00`.
    fn formula(&self, rules: Rules) -> String {
        let q = |q: &Quantity| {
            format!(
                "{}{}",
                q.shown,
                if q.shown.percent {
                    ""
                } else {
                    q.unit.written.as_str()
                }
            )
        };
        let (a, b) = (q(&self.a), q(&self.b));
        let w = self.w.normalize();
        let result = rules.show(self.result);
        match self.direction {
            Direction::AtLeast => format!("正向指标：min(实际 {b} ÷ 指标 {a}, 1) × {w} = {result}"),
            Direction::AtMost => format!("反向指标：min(指标 {a} ÷ 实际 {b}, 1) × {w} = {result}"),
            Direction::Equal => {
                format!("等值指标：min(实际 {b} ÷ 指标 {a}, 指标 ÷ 实际) × {w} = {result}")
            }
            Direction::Range => {
                let hi = self.hi.as_ref().map(q).unwrap_or_default();
                format!(
                    "区间指标 [{a}, {hi}]：区间内得满分，低于下限按 实际 ÷ 下限，高于上限按 上限 ÷ 实际，× {w} = {result}"
                )
            }
        }
    }
}

impl Expected {
    /// `2.00` or `[5.00, 8.00)`.
    pub fn show(&self, rules: Rules) -> Option<String> {
        match self {
            Expected::Point(s, _) => Some(rules.show(s.point)),
            Expected::Band { lo, hi, closed, .. } => Some(format!(
                "[{}, {}{}",
                rules.show(*lo),
                rules.show(*hi),
                if *closed { "]" } else { ")" }
            )),
            Expected::Unknown => None,
        }
    }

    /// The value nearest to `v` that satisfies this expectation.
    fn nearest(&self, v: Decimal, rules: Rules) -> Decimal {
        let step = Decimal::new(1, rules.score_decimals());
        match self {
            Expected::Point(s, _) => s.point,
            Expected::Band { lo, hi, closed, .. } => {
                let top = if *closed { *hi } else { *hi - step };
                v.max(*lo).min(top)
            }
            Expected::Unknown => v,
        }
    }
}

pub(super) fn score(
    ind: &Indicator,
    year: Option<i32>,
    rules: Rules,
    findings: &mut Vec<Finding>,
) -> IndicatorResult {
    let layout = rules.layout;
    let cost = {
        let l2 = normalize_label(&ind.level2.value);
        layout.indicators.cost_level2.matches_normalized(&l2) || l2.contains("成本")
    };
    let target = Target::parse(
        &with_hint(&ind.target.value, ind.unit_hint.as_deref()),
        cost,
        year,
        layout,
    );
    let actual = Actual::parse(
        &with_hint(&ind.actual.value, ind.unit_hint.as_deref()),
        year,
        layout,
    );
    let weight = ind.weight.number().map(|s| s.value);

    if let Target::Numeric { inferred: true, .. } = target {
        findings.push(
            Finding::new(
                Code::OpInferred,
                ind.target.cell.clone(),
                format!(
                    "指标值“{}”未写明方向，按二级指标“{}”视为反向指标（≤）",
                    ind.target.value, ind.level2.value
                ),
            )
            .claimed(ind.target.value.clone()),
        );
    }

    // Hebei's rows are scored out of 100 in 单项指标得分, then converted by their weight.
    let scored_out_of = match &ind.single {
        Some(_) => Some(Decimal::ONE_HUNDRED),
        None => weight,
    };
    let (rule, expected) = match scored_out_of {
        Some(w) => expect(ind, &target, &actual, w, rules, findings),
        // A form without scores: whether the target was met is still read (SPEC §10).
        None if ind.score.is_absent() => {
            let (rule, met) = expect(ind, &target, &actual, Decimal::ONE, rules, findings);
            target_unmet(ind, &met, rules, findings);
            (rule, Expected::Unknown)
        }
        None => ("unknown", Expected::Unknown),
    };
    let part = match (&ind.single, &ind.coefficient, ind.weight_from) {
        (Some(single), _, _) => {
            let single_part =
                judge_score(ind, single, scored_out_of, &expected, rule, rules, findings);
            family::weighted(ind, weight, single_part, rules, findings)
        }
        (None, Some(coefficient), _) => {
            family::by_coefficient(ind, weight, coefficient, rules, findings)
        }
        (None, None, WeightFrom::Inferred) => {
            let mut found = Vec::new();
            let part = judge_score(ind, &ind.score, weight, &expected, rule, rules, &mut found);
            family::inferred(ind, part, found, rules, findings)
        }
        _ => judge_score(ind, &ind.score, weight, &expected, rule, rules, findings),
    };

    if let (Some(w), Some(reason)) = (weight, &ind.reason)
        && part.recomputed < w
        && reason_blank(&reason.value, rules)
    {
        let mut f = Finding::new(
            Code::ReasonMissing,
            reason.cell.clone(),
            format!(
                "“{}”得分 {} 低于分值 {}，须说明偏差原因及改进措施",
                ind.name.value,
                rules.show(part.recomputed),
                w
            ),
        );
        if !reason.value.is_empty() {
            f = f.claimed(reason.value.clone());
        }
        findings.push(f);
    }
    over_achieved(ind, &target, &actual, rules, findings);
    IndicatorResult {
        rule,
        direction: target.direction(),
        expected,
        score: part,
    }
}

/// On a form without scores, a target not met (`met` worked out for a weight of 1) whose
/// reason cell is blank.
fn target_unmet(ind: &Indicator, met: &Expected, rules: Rules, findings: &mut Vec<Finding>) {
    let unmet = match met {
        Expected::Point(span, _) => span.point < Decimal::ONE,
        Expected::Band { hi, closed, .. } => *hi < Decimal::ONE || !closed,
        Expected::Unknown => false,
    };
    let Some(reason) = &ind.reason else { return };
    if unmet && reason_blank(&reason.value, rules) {
        findings.push(Finding::new(
            Code::TargetUnmet,
            reason.cell.clone(),
            format!(
                "“{}”实际完成值 {} 未达到指标值 {}，须说明原因",
                ind.name.value, ind.actual.value, ind.target.value
            ),
        ));
    }
}

/// A 度量单位 column or `满意度(%)` supplies the unit a bare number lacks.
fn with_hint(text: &str, hint: Option<&str>) -> String {
    match hint {
        Some(u) if !text.is_empty() && text.trim_end().ends_with(|c: char| c.is_ascii_digit()) => {
            format!("{text}{u}")
        }
        _ => text.to_string(),
    }
}

fn reason_blank(text: &str, rules: Rules) -> bool {
    let t = crate::number::fold_width(text);
    t.is_empty() || rules.layout.words.blank_reason.contains_exact(&t)
}

/// What the score must be, and the name of the rule that says so.
fn expect(
    ind: &Indicator,
    target: &Target,
    actual: &Actual,
    w: Decimal,
    rules: Rules,
    findings: &mut Vec<Finding>,
) -> (&'static str, Expected) {
    let words = &rules.layout.words;
    let p = rules.profile;
    let late_band = || Expected::Band {
        lo: Decimal::ZERO,
        hi: p.scoring.late_below * w,
        closed: false,
        why: "逾期完成",
        code: Code::ScoreFormula,
    };
    match target {
        Target::Numeric {
            direction, value, ..
        } => match actual {
            Actual::Number(b) => match align(value, b) {
                Some((a, b)) => {
                    let span = numeric_span(*direction, &a, &b, None, w);
                    let penalty = over_penalty(*direction, &a, &b, rules);
                    let working = Working::Ratio(Ratio {
                        direction: *direction,
                        result: span.point,
                        a,
                        b,
                        hi: None,
                        w,
                        penalty,
                    });
                    let span = penalty.map_or(span, |p| span.minus(p));
                    (direction.as_str(), Expected::Point(span, working))
                }
                None => {
                    unit_mismatch(ind, value, b, findings);
                    (direction.as_str(), Expected::Unknown)
                }
            },
            _ => {
                not_numeric(ind, findings);
                (direction.as_str(), Expected::Unknown)
            }
        },
        Target::Range { lo, hi } => match actual {
            Actual::Number(b) => match (align(lo, b), align(hi, b)) {
                (Some((lo, b)), Some((hi, _))) => {
                    let span = numeric_span(Direction::Range, &lo, &b, Some(&hi), w);
                    let working = Working::Ratio(Ratio {
                        direction: Direction::Range,
                        result: span.point,
                        a: lo,
                        b,
                        hi: Some(hi),
                        w,
                        penalty: None,
                    });
                    ("range", Expected::Point(span, working))
                }
                _ => {
                    unit_mismatch(ind, hi, b, findings);
                    ("range", Expected::Unknown)
                }
            },
            _ => {
                not_numeric(ind, findings);
                ("range", Expected::Unknown)
            }
        },
        Target::Deadline(day) => match actual {
            Actual::Day(done) if done <= day => (
                "deadline",
                Expected::Point(Span::exact(w), Working::OnTime(w)),
            ),
            Actual::Day(_) => ("deadline", late_band()),
            other => (
                "deadline",
                timeliness_by_words(ind, other, w, rules, findings, late_band()),
            ),
        },
        Target::OnTime => (
            "deadline",
            timeliness_by_words(ind, actual, w, rules, findings, late_band()),
        ),
        Target::Qualitative(t) => {
            let a = match actual {
                Actual::Text(a) => a.clone(),
                Actual::Number(_) | Actual::Day(_) => crate::number::fold_width(&ind.actual.value),
                Actual::Absent => String::new(),
            };
            let q = &p.qualitative;
            let band = |b: &[Decimal; 2], closed, why| Expected::Band {
                lo: b[0] * w,
                hi: b[1] * w,
                closed,
                why,
                code: Code::QualBand,
            };
            let tier = if !a.is_empty() && a == *t {
                Some(band(&q.achieved, true, "达成预期指标"))
            } else if words.failed.found_in(&a).is_some() {
                Some(band(&q.failed, false, "未达成预期指标"))
            } else if words.partial.found_in(&a).is_some() {
                Some(band(&q.partial, false, "部分达成预期指标"))
            } else if words.achieved.found_in(&a).is_some() {
                Some(band(&q.achieved, true, "达成预期指标"))
            } else {
                None
            };
            match tier {
                Some(b) => ("qualitative", b),
                None => {
                    qual_unknown(ind, findings);
                    ("qualitative", Expected::Unknown)
                }
            }
        }
        Target::Absent => ("unknown", Expected::Unknown),
    }
}

fn timeliness_by_words(
    ind: &Indicator,
    actual: &Actual,
    w: Decimal,
    rules: Rules,
    findings: &mut Vec<Finding>,
    late: Expected,
) -> Expected {
    let words = &rules.layout.words;
    let a = match actual {
        Actual::Text(t) => t.as_str(),
        _ => "",
    };
    let same = !a.is_empty() && a == crate::number::fold_width(&ind.target.value);
    if words.late.found_in(a).is_some() || words.failed.found_in(a).is_some() {
        late
    } else if same || words.on_time.found_in(a).is_some() || words.achieved.found_in(a).is_some() {
        Expected::Point(Span::exact(w), Working::OnTime(w))
    } else {
        qual_unknown(ind, findings);
        Expected::Unknown
    }
}

/// I2–I5 over the actual's display interval; the target is a definition and exact.
fn numeric_span(
    direction: Direction,
    a: &Quantity,
    b: &Quantity,
    hi: Option<&Quantity>,
    w: Decimal,
) -> Span {
    let t = a.base();
    let upper = hi.map_or(t, Quantity::base);
    // The share is clamped to [0, 1] below, so a quotient too large for a decimal is simply "far".
    let div = |n: Decimal, d: Decimal| n.checked_div(d).unwrap_or(Decimal::MAX);
    let f = move |x: Decimal| {
        let share = match direction {
            Direction::AtLeast if t <= Decimal::ZERO => Decimal::ONE,
            Direction::AtLeast => div(x, t),
            Direction::AtMost if x <= t || x <= Decimal::ZERO => Decimal::ONE,
            Direction::AtMost => div(t, x),
            Direction::Equal if x == t => Decimal::ONE,
            Direction::Equal if x <= Decimal::ZERO || t <= Decimal::ZERO => Decimal::ZERO,
            Direction::Equal => div(x, t).min(div(t, x)),
            Direction::Range if x >= t && x <= upper => Decimal::ONE,
            Direction::Range if x < t => {
                if t > Decimal::ZERO {
                    div(x, t)
                } else {
                    Decimal::ZERO
                }
            }
            Direction::Range if x <= Decimal::ZERO => Decimal::ZERO,
            Direction::Range => div(upper, x),
        };
        share.max(Decimal::ZERO).min(Decimal::ONE) * w
    };
    // The actual is taken as written (§4): the department scores what it wrote, so only
    // the score's own rounding is allowed for.
    Span::exact(f(b.base()))
}

fn unit_mismatch(ind: &Indicator, a: &Quantity, b: &Quantity, findings: &mut Vec<Finding>) {
    findings.push(
        Finding::new(
            Code::UnitMismatch,
            ind.actual.cell.clone(),
            format!(
                "指标值单位“{}”与实际完成值单位“{}”无法换算，得分无法核算",
                a.unit.written, b.unit.written
            ),
        )
        .claimed(ind.actual.value.clone())
        .expected(format!("单位：{}", a.unit.written)),
    );
}

fn not_numeric(ind: &Indicator, findings: &mut Vec<Finding>) {
    findings.push(
        Finding::new(
            Code::ActualNotNumeric,
            ind.actual.cell.clone(),
            format!(
                "指标值“{}”为定量指标，实际完成值“{}”不是数值，得分无法核算",
                ind.target.value, ind.actual.value
            ),
        )
        .claimed(ind.actual.value.clone()),
    );
}

fn qual_unknown(ind: &Indicator, findings: &mut Vec<Finding>) {
    findings.push(
        Finding::new(
            Code::QualUnknown,
            ind.actual.cell.clone(),
            format!(
                "无法从实际完成值“{}”判断完成档次，仅检查得分在 0 与分值之间",
                ind.actual.value
            ),
        )
        .claimed(ind.actual.value.clone()),
    );
}

/// Checks the written score `num` (the row's 得分, or Hebei's 单项指标得分); returns its part
/// in the totals.
fn judge_score(
    ind: &Indicator,
    num: &crate::model::Num,
    weight: Option<Decimal>,
    expected: &Expected,
    rule: &'static str,
    rules: Rules,
    findings: &mut Vec<Finding>,
) -> Part {
    let name = &ind.name.value;
    // The note of a deadline row cites the deadline rule, not the ratio formula.
    let cite = |f: Finding| match rule {
        "deadline" => f.rule(deadline_rule(rules)),
        _ => f,
    };
    let written = match &num.value {
        NumText::Number(s) => *s,
        NumText::Absent => {
            let Some(w) = weight else {
                return Part::default();
            };
            let fill = match expected {
                Expected::Unknown => Decimal::ZERO,
                _ => round(expected.nearest(Decimal::ZERO, rules).min(w), rules),
            };
            let mut f = Finding::new(
                Code::ScoreMissing,
                num.cell.clone(),
                format!("“{name}”填写了分值 {w} 但未填写得分"),
            );
            if let Some(e) = expected.show(rules) {
                f = f.expected(e).correct_to(rules.score_value(fill));
            }
            findings.push(cite(f));
            return Part::same(fill);
        }
        NumText::Invalid(_) => {
            return Part::same(round(expected.nearest(Decimal::ZERO, rules), rules));
        }
    };
    let s = written.value;
    let Some(w) = weight else {
        return Part::same(s);
    };
    let bound = |code: Code, message: String, to: Decimal, findings: &mut Vec<Finding>| {
        let to = round(to, rules);
        findings.push(cite(
            Finding::new(code, num.cell.clone(), message)
                .claimed(num_shown(num))
                .expected(expected.show(rules).unwrap_or_else(|| rules.show(to)))
                .correct_to(rules.score_value(to)),
        ));
        Part::same(to)
    };
    if s < Decimal::ZERO {
        let to = expected.nearest(Decimal::ZERO, rules);
        return bound(
            Code::ScoreNegative,
            format!("“{name}”得分 {s} 为负数，得分不得低于 0"),
            to,
            findings,
        );
    }
    if s > w {
        let to = expected.nearest(w, rules);
        return bound(
            Code::ScoreOverWeight,
            format!("“{name}”得分 {s} 超过分值 {w}，不得加分"),
            to,
            findings,
        );
    }
    match expected {
        Expected::Point(span, working) => {
            let point = round(span.point, rules);
            let mut found = Vec::new();
            let stands = check_value(
                num,
                written,
                rules.score_decimals(),
                Recomputed {
                    span: *span,
                    shown: rules.show(span.point),
                    correction: rules.score_value(span.point),
                },
                Valued::Indicator(name),
                (Code::ScoreFormula, || {
                    format!("“{name}”得分应为{}", working.words(span.point, rules))
                }),
                &mut found,
            );
            findings.extend(found.into_iter().map(cite));
            Part {
                consistent: if stands { s } else { point },
                recomputed: point,
            }
        }
        Expected::Band {
            lo,
            hi,
            closed,
            why,
            code,
        } => {
            let inside = s >= *lo && (s < *hi || (*closed && s == *hi));
            if inside {
                return Part::same(s);
            }
            let to = round(expected.nearest(s, rules), rules);
            findings.push(cite(
                Finding::new(
                    *code,
                    num.cell.clone(),
                    format!(
                        "“{name}”{why}，{}，已按 {} 分计",
                        band_words(*lo, *hi, *closed, w, rules),
                        rules.show(to)
                    ),
                )
                .claimed(num_shown(num))
                .expected(expected.show(rules).unwrap_or_default())
                .correct_to(rules.score_value(to)),
            ));
            Part::same(to)
        }
        Expected::Unknown => Part::same(s),
    }
}

/// A band in words a clerk reads: `得分应低于 4.80 分（分值 6 分的 80%）`.
fn band_words(lo: Decimal, hi: Decimal, closed: bool, w: Decimal, rules: Rules) -> String {
    let share = |v: Decimal| {
        v.checked_div(w).map_or_else(String::new, |r| {
            format!("{}%", (r * Decimal::ONE_HUNDRED).normalize())
        })
    };
    let w_shown = w.normalize();
    match (lo.is_zero(), closed) {
        (true, false) => format!(
            "得分应低于 {} 分（分值 {w_shown} 分的 {}）",
            rules.show(hi),
            share(hi)
        ),
        (true, true) => format!(
            "得分不应高于 {} 分（分值 {w_shown} 分的 {}）",
            rules.show(hi),
            share(hi)
        ),
        (false, true) => format!(
            "得分应在 {} 分至 {} 分之间（分值 {w_shown} 分的 {} 至 {}）",
            rules.show(lo),
            rules.show(hi),
            share(lo),
            share(hi)
        ),
        (false, false) => format!(
            "得分应不低于 {} 分且低于 {} 分（分值 {w_shown} 分的 {} 至 {}）",
            rules.show(lo),
            rules.show(hi),
            share(lo),
            share(hi)
        ),
    }
}

/// I7 in words, with the profile's share: the rule a deadline row's note cites.
fn deadline_rule(rules: Rules) -> String {
    format!(
        "按期完成的得满分；未按期完成的，得分应低于分值的 {}%",
        (rules.profile.scoring.late_below * Decimal::ONE_HUNDRED).normalize()
    )
}

fn round(v: Decimal, rules: Rules) -> Decimal {
    crate::number::round_half_away(v, rules.score_decimals())
}

/// Points some platforms deduct when a positive indicator overshoots (profile
/// `over_achieved_penalty`; 0 in the national profile).
fn over_penalty(direction: Direction, a: &Quantity, b: &Quantity, rules: Rules) -> Option<Decimal> {
    let s = &rules.profile.scoring;
    (direction == Direction::AtLeast
        && s.over_achieved_penalty > Decimal::ZERO
        && a.base() > Decimal::ZERO
        && b.base() >= a.base() * s.over_achieved_ratio)
        .then_some(s.over_achieved_penalty)
}

/// T6: a positive indicator that overshoots its target by the profile's ratio.
fn over_achieved(
    ind: &Indicator,
    target: &Target,
    actual: &Actual,
    rules: Rules,
    findings: &mut Vec<Finding>,
) {
    let (
        Target::Numeric {
            direction: Direction::AtLeast,
            value,
            ..
        },
        Actual::Number(b),
    ) = (target, actual)
    else {
        return;
    };
    let Some((a, b)) = align(value, b) else {
        return;
    };
    let ratio = rules.profile.scoring.over_achieved_ratio;
    if a.base() > Decimal::ZERO && b.base() >= a.base() * ratio {
        findings.push(
            Finding::new(
                Code::OverAchieved,
                ind.actual.cell.clone(),
                format!(
                    "实际完成值“{}”达到指标值“{}”的 {} 倍，指标值可能设置偏低",
                    ind.actual.value,
                    ind.target.value,
                    b.base()
                        .checked_div(a.base())
                        .map_or_else(|| "∞".to_string(), |r| fixed(r, 2))
                ),
            )
            .claimed(ind.actual.value.clone()),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::Layout;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    /// SPEC §8, the numeric rows: the point value at two decimals.
    #[test]
    fn worked_examples() {
        let l = Layout::bundled();
        for (target, actual, w, cost, want) in [
            ("≥1000人次", "850人次", "10", false, "8.50"),
            ("≤50万元", "55万元", "5", false, "4.55"),
            ("≤8.9万元", "8.83万", "2", true, "2.00"),
            ("≥95%", "92%", "10", false, "9.68"),
            ("≥200万元", "1,850,000元", "8", false, "7.40"),
            ("=100%", "98%", "10", false, "9.80"),
            ("90%-95%", "88%", "10", false, "9.78"),
            ("90%-95%", "97%", "10", false, "9.79"),
            ("90%-95%", "93%", "10", false, "10.00"),
            ("≤0起", "0起", "5", false, "5.00"),
            ("8.9万元", "9.2万元", "2", true, "1.93"),
        ] {
            let t = Target::parse(target, cost, Some(2023), l);
            let Actual::Number(b) = Actual::parse(actual, Some(2023), l) else {
                panic!("{actual}")
            };
            let span = match &t {
                Target::Numeric {
                    direction, value, ..
                } => {
                    let (a, b) = align(value, &b).expect("units");
                    numeric_span(*direction, &a, &b, None, d(w))
                }
                Target::Range { lo, hi } => {
                    let (lo, b) = align(lo, &b).expect("units");
                    numeric_span(Direction::Range, &lo, &b, Some(hi), d(w))
                }
                other => panic!("{other:?}"),
            };
            assert_eq!(
                crate::number::fixed(span.point, 2),
                want,
                "{target} / {actual}"
            );
        }
    }

    #[test]
    fn actuals_are_taken_as_written() {
        let l = Layout::bundled();
        let a = Quantity::parse("95%", l).unwrap();
        let b = Quantity::parse("92%", l).unwrap();
        let s = numeric_span(Direction::AtLeast, &a, &b, None, d("10"));
        assert_eq!((s.lo, s.hi), (s.point, s.point));
        let a = Quantity::parse("4次", l).unwrap();
        let b = Quantity::parse("3次", l).unwrap();
        let s = numeric_span(Direction::AtLeast, &a, &b, None, d("2"));
        assert_eq!((s.lo, s.point, s.hi), (d("1.5"), d("1.5"), d("1.5")));
    }
}
