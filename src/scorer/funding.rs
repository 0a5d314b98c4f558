//! Funding and budget execution (SPEC F1–F6).

use rust_decimal::Decimal;

use super::{ExecResult, Part, Recomputed, Rules, Span, Valued, check_value, num_shown};
use crate::cell::CellRef;
use crate::finding::NewValue;
use crate::finding::{Code, Finding};
use crate::model::{AmountColumn, Funding, Num};
use crate::number::{Shown, fixed};
use crate::template::BudgetColumn;

/// An amount as used in the arithmetic: a point and the interval its display allows.
#[derive(Debug, Clone, Copy)]
struct Amount {
    point: Decimal,
    lo: Decimal,
    hi: Decimal,
}

/// Money is read to at least this many decimals of its unit (§4): `13` stands for
/// [12.995, 13.005], not [12.5, 13.5], whether it is a number cell or text.
const MONEY_DECIMALS: u32 = 2;

impl Amount {
    fn of(s: Shown) -> Self {
        let (lo, hi) = Shown {
            decimals: s.decimals.max(MONEY_DECIMALS),
            ..s
        }
        .interval();
        Self {
            point: s.value,
            lo,
            hi,
        }
    }
}

pub(super) fn score(f: &Funding, rules: Rules, findings: &mut Vec<Finding>) -> ExecResult {
    let budget = column_total(f, AmountColumn::Budget, findings);
    let adjusted = column_total(f, AmountColumn::AdjustedBudget, findings);
    let executed = column_total(f, AmountColumn::Executed, findings);
    column_total(f, AmountColumn::InitialBudget, findings);
    subrow_scores(f, findings);
    // Findings about the rate sit on its cell, or on the row's label where it has none.
    let rate_cell = f
        .total
        .rate
        .as_ref()
        .map_or(&f.total.label.cell, |r| &r.cell);
    let budget = budget_for_rate(rate_cell, budget, adjusted, rules, findings);

    let weight = f
        .total
        .weight
        .as_ref()
        .and_then(Num::number)
        .map(|s| s.value)
        .or(f.stated_weight)
        .unwrap_or(rules.profile.execution.weight);
    let written_score = f.total.score.as_ref().and_then(Num::number);
    let unscored = ExecResult {
        weight,
        rate: None,
        expected: None,
        score: Part::same(written_score.map_or(Decimal::ZERO, |s| s.value)),
    };
    let (Some(a), Some(b)) = (budget, executed) else {
        let missing = if budget.is_none() {
            AmountColumn::Budget.label()
        } else {
            AmountColumn::Executed.label()
        };
        findings.push(Finding::new(
            Code::RateUnchecked,
            rate_cell.clone(),
            format!("年度资金总额的{missing}未填写，执行率和执行率得分无法核算，请补填后再核"),
        ));
        return unscored;
    };
    if a.point.is_zero() {
        if b.point > Decimal::ZERO {
            findings.push(
                Finding::new(
                    Code::ExecZeroBudget,
                    rate_cell.clone(),
                    format!("全年预算数为 0 而执行数为 {}，执行率无从计算", b.point),
                )
                .claimed(b.point.to_string()),
            );
        } else {
            findings.push(Finding::new(
                Code::ExecNoBudget,
                rate_cell.clone(),
                "全年预算数与执行数均为 0，不计算执行率",
            ));
        }
        return unscored;
    }
    if b.point > a.point
        && let Some(cell) = f.total.executed.as_ref().map(|n| n.cell.clone())
    {
        findings.push(
            Finding::new(
                Code::OverBudget,
                cell,
                format!(
                    "全年执行数 {} 超过全年预算数 {}，执行率得分按 100% 封顶",
                    b.point, a.point
                ),
            )
            .claimed(b.point.to_string())
            .expected(format!("≤ {}", a.point)),
        );
    }

    // checked: a budget such as 0.0000001 or a negative one would overflow the division;
    // such a rate is not scored.
    let (Some(point), Some(lo), Some(hi)) = (
        b.point.checked_div(a.point),
        b.lo.checked_div(a.hi),
        b.hi.checked_div(a.lo.max(Decimal::new(1, 28))),
    ) else {
        return unscored;
    };
    let rate = Span { point, lo, hi };
    shortfall_reason(f, rate.point, rate_cell, rules, findings);
    let rate_decimals = rules.profile.scoring.rate_decimals + 2;
    let shown_rate = |v: Decimal| {
        format!(
            "{}%",
            fixed(
                v * Decimal::ONE_HUNDRED,
                rules.profile.scoring.rate_decimals
            )
        )
    };
    let mut score_span = Span::over((rate.lo, rate.hi), rate.point, &[Decimal::ONE], |r| {
        r.min(Decimal::ONE).max(Decimal::ZERO) * weight
    });
    if let Some(num) = &f.total.rate
        && let Some(written) = num.number().map(Shown::as_fraction_rate)
    {
        let stands = check_value(
            num,
            written,
            rate_decimals,
            Recomputed {
                span: rate,
                shown: shown_rate(rate.point),
                correction: NewValue::Percent {
                    fraction: crate::number::round_half_away(rate.point, rate_decimals),
                    decimals: rules.profile.scoring.rate_decimals,
                },
            },
            Valued::Rate,
            (Code::ExecRate, || {
                format!(
                    "执行率应为 {} ÷ {} = {}",
                    b.point,
                    a.point,
                    shown_rate(rate.point)
                )
            }),
            findings,
        );
        // People also score from the rate they displayed: that order is accepted too.
        if stands {
            score_span = score_span.with(written.value.min(Decimal::ONE) * weight);
        }
    }

    let expected = score_span.point;
    let final_score = match (&f.total.score, written_score) {
        (Some(num), Some(written)) => {
            let stands = check_value(
                num,
                written,
                rules.score_decimals(),
                Recomputed {
                    span: score_span,
                    shown: rules.show(expected),
                    correction: rules.score_value(expected),
                },
                Valued::Execution,
                (Code::ExecScore, || {
                    format!(
                        "执行率得分应为 min({}, 100%) × {} = {}",
                        shown_rate(rate.point),
                        weight,
                        rules.show(expected)
                    )
                }),
                findings,
            );
            Part {
                consistent: if stands {
                    written.value
                } else {
                    round(expected, rules)
                },
                recomputed: round(expected, rules),
            }
        }
        (Some(num), None) if num.is_absent() => {
            findings.push(
                Finding::new(Code::ScoreMissing, num.cell.clone(), "预算执行率得分未填写")
                    .expected(rules.show(expected))
                    .correct_to(rules.score_value(expected)),
            );
            Part::same(round(expected, rules))
        }
        _ => Part::same(round(expected, rules)),
    };
    ExecResult {
        weight,
        rate: Some(rate.point),
        expected: Some(expected),
        score: final_score,
    }
}

fn round(v: Decimal, rules: Rules) -> Decimal {
    crate::number::round_half_away(v, rules.score_decimals())
}

/// A rate written as `99.71` without a percent sign is a percentage, not 99-fold.
/// F3: 年度资金总额 = Σ source rows, per amount column. Returns the amount to compute with.
fn column_total(f: &Funding, column: AmountColumn, findings: &mut Vec<Finding>) -> Option<Amount> {
    let label = column.label();
    let total_num = f.total.amount(column);
    let total = total_num.and_then(Num::number).map(Amount::of);
    let parts: Vec<Shown> = f
        .sources
        .iter()
        .filter_map(|r| r.amount(column).and_then(Num::number))
        .collect();
    if parts.is_empty() {
        return total;
    }
    let sum = parts.iter().fold(
        Amount {
            point: Decimal::ZERO,
            lo: Decimal::ZERO,
            hi: Decimal::ZERO,
        },
        |acc, s| {
            let a = Amount::of(*s);
            Amount {
                point: acc.point + a.point,
                lo: acc.lo + a.lo,
                hi: acc.hi + a.hi,
            }
        },
    );
    let decimals = parts.iter().map(|s| s.decimals).max().unwrap_or(2);
    let Some(num) = total_num else {
        return Some(sum);
    };
    let blank = total.is_none_or(|t| t.point.is_zero()) && !sum.point.is_zero();
    let agrees = total.is_some_and(|t| t.lo <= sum.hi && t.hi >= sum.lo);
    if agrees && !blank {
        return total;
    }
    let sum_shown = fixed(sum.point, decimals);
    if blank {
        // The one case where the sources are known right: a total never filled in.
        findings.push(
            Finding::new(
                Code::FundingSum,
                num.cell.clone(),
                format!("年度资金总额的{label}未填或为 0，按各资金来源合计应为 {sum_shown}"),
            )
            .claimed(num_shown(num))
            .expected(sum_shown.clone())
            .correct_to(NewValue::Number {
                value: sum.point,
                decimals,
            }),
        );
        return Some(sum);
    }
    // Which of them is wrong cannot be known: the total stands as written (F3), and the
    // finding asks to check rather than claiming a value.
    findings.push(
        Finding::new(
            Code::FundingSum,
            num.cell.clone(),
            format!(
                "年度资金总额的{label} {} 与各资金来源之和 {sum_shown} 不一致，请核对总额与各来源金额；执行率按总额行填报的金额核算",
                num_shown(num)
            ),
        )
        .claimed(num_shown(num)),
    );
    total
}

/// A in B/A: the profile's column where the form has it, else the other one, said in a
/// note so that a rate computed from another column is not taken for the profile's.
fn budget_for_rate(
    rate_cell: &CellRef,
    budget: Option<Amount>,
    adjusted: Option<Amount>,
    rules: Rules,
    findings: &mut Vec<Finding>,
) -> Option<Amount> {
    let (wanted, other, [wanted_col, other_col]) = match rules.profile.execution.budget_column {
        BudgetColumn::Budget => (
            budget,
            adjusted,
            [AmountColumn::Budget, AmountColumn::AdjustedBudget],
        ),
        BudgetColumn::Adjusted => (
            adjusted,
            budget,
            [AmountColumn::AdjustedBudget, AmountColumn::Budget],
        ),
    };
    if wanted.is_some() || other.is_none() {
        return wanted;
    }
    let (wanted_label, other_label) = (wanted_col.label(), other_col.label());
    findings.push(Finding::new(
        Code::BudgetFallback,
        rate_cell.clone(),
        format!(
            "规则“{}”按{wanted_label}计算执行率，表中没有{wanted_label}，改按{other_label}计算",
            rules.profile.title
        ),
    ));
    other
}

/// F6: only the total row carries 分值 and 得分. A source row showing its own rate only
/// informs; one that carries points gets one warning, whichever of its cells hold them.
fn subrow_scores(f: &Funding, findings: &mut Vec<Finding>) {
    for row in &f.sources {
        let scored: Vec<&Num> = [&row.weight, &row.score]
            .into_iter()
            .flatten()
            .filter(|n| n.number().is_some())
            .collect();
        let Some(first) = scored.first() else {
            continue;
        };
        let cells: Vec<String> = scored.iter().map(|n| n.cell.pos.to_string()).collect();
        findings.push(
            Finding::new(
                Code::SubrowScore,
                first.cell.clone(),
                format!(
                    "资金来源行“{}”填写了分值或得分（{}），只有年度资金总额行计分，这些数不计入总分",
                    row.label.value,
                    cells.join("、")
                ),
            )
            .claimed(num_shown(first)),
        );
    }
}

/// Some regions (Sichuan: below 90%) ask the form to explain low execution.
fn shortfall_reason(
    f: &Funding,
    rate: Decimal,
    rate_cell: &crate::cell::CellRef,
    rules: Rules,
    findings: &mut Vec<Finding>,
) {
    let below = rules.profile.execution.reason_below;
    if below.is_zero() || rate >= below {
        return;
    }
    let reason = f.total.reason.as_ref();
    if reason.is_some_and(|r| {
        !crate::number::fold_width(&r.value).is_empty()
            && !rules
                .layout
                .words
                .blank_reason
                .contains_exact(&crate::number::fold_width(&r.value))
    }) {
        return;
    }
    let cell = reason.map_or(rate_cell, |r| &r.cell);
    findings.push(Finding::new(
        Code::ReasonMissing,
        cell.clone(),
        format!(
            "预算执行率 {}% 低于 {}%，须说明原因",
            fixed(rate * Decimal::ONE_HUNDRED, 2),
            (below * Decimal::ONE_HUNDRED).normalize()
        ),
    ));
}
