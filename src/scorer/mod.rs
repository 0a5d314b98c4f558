//! Recomputes every score of a form (SPEC §3) with exact decimals and reports what differs.
//! Pure functions: a form and a profile in, findings and recomputed values out.

mod consistency;
mod funding;
mod indicator;
mod totals;

pub use consistency::{Span, Verdict, judge};
pub use indicator::{Expected, Ratio, Working};

use rust_decimal::Decimal;

use crate::finding::{Code, Finding};
use crate::model::target::Direction;
use crate::model::{Form, Num};
use crate::number::{Shown, fixed};
use crate::template::{Layout, Profile};
use crate::writer::NewValue;

/// The rules and words a form is scored with.
#[derive(Clone, Copy)]
pub struct Rules<'a> {
    pub profile: &'a Profile,
    pub layout: &'a Layout,
}

impl Rules<'_> {
    fn score_decimals(&self) -> u32 {
        self.profile.scoring.score_decimals
    }

    /// A score as shown: `2.00`.
    fn show(&self, v: Decimal) -> String {
        fixed(v, self.score_decimals())
    }

    /// The corrected value of a score cell.
    fn score_value(&self, v: Decimal) -> NewValue {
        NewValue::Number {
            value: crate::number::round_half_away(v, self.score_decimals()),
            decimals: self.score_decimals(),
        }
    }
}

/// What scoring found out about one indicator row.
#[derive(Debug, Clone)]
pub struct IndicatorResult {
    /// How the target was read: `at-least`, `at-most`, `equal`, `range`, `deadline`,
    /// `qualitative`, or `unknown`.
    pub rule: &'static str,
    pub direction: Option<Direction>,
    pub expected: Expected,
    /// The score that enters the recomputed total.
    pub score: Decimal,
}

/// The execution score's part in the total.
#[derive(Debug, Clone)]
pub struct ExecResult {
    pub weight: Decimal,
    pub rate: Option<Decimal>,
    pub expected: Option<Decimal>,
    pub score: Decimal,
}

/// A scored form: the model, every finding, and the recomputed figures.
#[derive(Debug, Clone)]
pub struct Scored {
    pub form: Form,
    pub findings: Vec<Finding>,
    pub execution: Option<ExecResult>,
    pub indicators: Vec<IndicatorResult>,
    pub claimed_total: Option<Shown>,
    pub total: Decimal,
    pub claimed_grade: Option<String>,
    pub grade: String,
}

impl Scored {
    pub fn count(&self, severity: crate::finding::Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }
}

/// Scores a form read by the model.
pub fn score(form: Form, rules: Rules) -> Scored {
    let mut findings = form.findings.clone();
    let execution = form
        .funding
        .as_ref()
        .map(|f| funding::score(f, rules, &mut findings));
    let indicators: Vec<IndicatorResult> = form
        .indicators
        .iter()
        .map(|i| indicator::score(i, form.year, rules, &mut findings))
        .collect();
    let t = totals::score(&form, execution.as_ref(), &indicators, rules, &mut findings);
    findings.sort_by(|a, b| {
        (a.cell.pos.row, a.cell.pos.col, a.severity, a.code).cmp(&(
            b.cell.pos.row,
            b.cell.pos.col,
            b.severity,
            b.code,
        ))
    });
    Scored {
        form,
        findings,
        execution,
        indicators,
        claimed_total: t.claimed_total,
        total: t.total,
        claimed_grade: t.claimed_grade,
        grade: t.grade,
    }
}

/// A recomputed value: the span rounding allows, how it is shown, and what an error cell
/// is corrected to.
struct Recomputed {
    span: Span,
    shown: String,
    correction: NewValue,
}

/// Reports a written value against its recomputed one, or nothing when it is exact.
/// `display` is the precision the profile shows. Returns whether the written value stands
/// (exact or explained by rounding).
fn check_value(
    num: &Num,
    written: Shown,
    display: u32,
    recomputed: Recomputed,
    wrong: (Code, impl FnOnce() -> String),
    findings: &mut Vec<Finding>,
) -> bool {
    match judge(written, recomputed.span, display) {
        Verdict::Exact => true,
        Verdict::Rounding => {
            findings.push(
                Finding::new(
                    Code::Rounding,
                    num.cell.clone(),
                    format!(
                        "填报值 {} 与精确值 {} 的差异可由四舍五入解释",
                        written, recomputed.shown
                    ),
                )
                .claimed(written.to_string())
                .expected(recomputed.shown),
            );
            true
        }
        Verdict::Wrong => {
            findings.push(
                Finding::new(wrong.0, num.cell.clone(), wrong.1())
                    .claimed(num_shown(num))
                    .expected(recomputed.shown)
                    .correct_to(recomputed.correction),
            );
            false
        }
    }
}

/// The value as written, for `claimed`.
fn num_shown(num: &Num) -> String {
    match num.number() {
        Some(s) if num.number_cell => s.to_string(),
        _ => num.shown.trim().to_string(),
    }
}
