//! Scores that some template families of SPEC §10 write differently: Hebei's 折算得分, a
//! 部门整体 form's 得分系数 × 权重, and a row whose weight was inferred.

use rust_decimal::Decimal;

use super::{Part, Recomputed, Rules, Span, Valued, check_value};
use crate::finding::{Code, Finding};
use crate::model::{Indicator, Num};
use crate::number::fixed;

/// Hebei's 折算得分 = 权重 × 单项指标得分 ÷ 100, from the 单项指标得分's `single` part: it follows
/// the 单项指标得分 as written where that stands, its correction where not.
pub(super) fn weighted(
    ind: &Indicator,
    weight: Option<Decimal>,
    single: Part,
    rules: Rules,
    findings: &mut Vec<Finding>,
) -> Part {
    let written = ind.score.number();
    let Some(w) = weight else {
        return Part::same(written.map_or(Decimal::ZERO, |s| s.value));
    };
    let of = |v: Decimal| w * v / Decimal::ONE_HUNDRED;
    let point = of(single.consistent);
    let recomputed = of(single.recomputed);
    let Some(written) = written else {
        return Part {
            consistent: point,
            recomputed,
        };
    };
    let name = &ind.name.value;
    let single_cell = ind.single.as_ref().map(|n| n.cell.pos.to_string());
    let stands = check_value(
        &ind.score,
        written,
        rules.score_decimals(),
        Recomputed {
            span: Span::exact(point),
            shown: rules.show(point),
            correction: rules.score_value(point),
        },
        Valued::Indicator(name),
        (Code::WeightedScore, || {
            format!(
                "“{name}”折算得分应为 权重 {} × 单项指标得分 {} ÷ 100 = {}{}",
                w.normalize(),
                rules.show(single.consistent),
                rules.show(point),
                single_cell
                    .filter(
                        |_| ind.single.as_ref().and_then(Num::number).map(|s| s.value)
                            != Some(single.consistent)
                    )
                    .map(|c| format!("（单项指标得分按 {c} 的更正计）"))
                    .unwrap_or_default()
            )
        }),
        findings,
    );
    Part {
        consistent: if stands { written.value } else { point },
        recomputed,
    }
}

/// A 部门整体 form's 得分 = 得分系数 × 指标权重, within what the coefficient as shown allows.
pub(super) fn by_coefficient(
    ind: &Indicator,
    weight: Option<Decimal>,
    coefficient: &Num,
    rules: Rules,
    findings: &mut Vec<Finding>,
) -> Part {
    let written = ind.score.number();
    let (Some(w), Some(c), Some(written)) = (
        weight,
        coefficient.number().map(|c| c.as_fraction_rate()),
        written,
    ) else {
        return Part::same(written.map_or(Decimal::ZERO, |s| s.value));
    };
    let (lo, hi) = c.interval();
    let point = c.value * w;
    let name = &ind.name.value;
    let stands = check_value(
        &ind.score,
        written,
        rules.score_decimals(),
        Recomputed {
            span: Span {
                point,
                lo: lo * w,
                hi: hi * w,
            },
            shown: rules.show(point),
            correction: rules.score_value(point),
        },
        Valued::Indicator(name),
        (Code::CoefficientScore, || {
            format!(
                "“{name}”得分应为 得分系数 {c} × 权重 {} = {}",
                w.normalize(),
                rules.show(point)
            )
        }),
        findings,
    );
    let point = crate::number::round_half_away(point, rules.score_decimals());
    Part {
        consistent: if stands { written.value } else { point },
        recomputed: point,
    }
}

/// A row whose weight was inferred (SPEC §10): the inference is stated in a note, and a score
/// the formula does not give is a warning that keeps the written value, since the weight
/// itself may be what differs. A score over the weight stays an error.
pub(super) fn inferred(
    ind: &Indicator,
    part: Part,
    found: Vec<Finding>,
    rules: Rules,
    findings: &mut Vec<Finding>,
) -> Part {
    let w = ind.weight.number().map_or(Decimal::ZERO, |s| s.value);
    findings.push(
        Finding::new(
            Code::WeightInferred,
            ind.name.cell.clone(),
            format!(
                "表中未列“{}”的分值，按所在部分注明的分值扣除已注明各项后推定为 {} 分",
                ind.name.value,
                w.normalize()
            ),
        )
        .expected(w.normalize().to_string()),
    );
    let mut part = part;
    for f in found {
        if f.code != Code::ScoreFormula {
            findings.push(f);
            continue;
        }
        let written = ind.score.number().map_or(Decimal::ZERO, |s| s.value);
        findings.push(
            Finding::new(
                Code::InferredWeightScore,
                f.cell,
                format!(
                    "按推定分值 {} 分，“{}”得分应为 {}，填报 {}；分值系推定，请核对分值与得分",
                    w.normalize(),
                    ind.name.value,
                    f.expected.as_deref().unwrap_or_default(),
                    fixed(written, rules.score_decimals())
                ),
            )
            .claimed(f.claimed.unwrap_or_default()),
        );
        part = Part::same(written);
    }
    part
}
