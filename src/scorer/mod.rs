//! Recomputes every score of a form (SPEC §3) with exact decimals and reports what differs.
//! Pure functions: a form and a profile in, findings and recomputed values out.

mod consistency;
mod family;
mod funding;
mod indicator;
mod totals;

pub use consistency::{Span, Verdict, judge};
pub use indicator::{Expected, Ratio, Working};

use rust_decimal::Decimal;

use crate::finding::NewValue;
use crate::finding::{Code, Finding};
use crate::model::target::Direction;
use crate::model::{Form, Num};
use crate::number::{Shown, fixed};
use crate::template::{Layout, Profile};

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
    /// The part this row has in the total.
    pub score: Part,
}

/// A score's part in the two totals of T1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Part {
    /// The written score where it is consistent (§4), else its correction: what a
    /// correct 总分 adds up to.
    pub consistent: Decimal,
    /// The point value where the score can be recomputed, else the written score (a
    /// qualitative score inside its band) or its correction: what enters 核定总分.
    pub recomputed: Decimal,
}

impl Part {
    pub fn same(v: Decimal) -> Self {
        Self {
            consistent: v,
            recomputed: v,
        }
    }
}

/// The execution score's part in the total.
#[derive(Debug, Clone)]
pub struct ExecResult {
    pub weight: Decimal,
    pub rate: Option<Decimal>,
    pub expected: Option<Decimal>,
    pub score: Part,
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
    /// The profile the form was scored with (`name`, and its `title` for a reader): the one
    /// in force, or its family's own (see `Profile::for_family`).
    pub profile: (String, String),
    /// The bureau's ledger row the form was matched to, when a ledger was given.
    pub ledger: Option<crate::ledger::LedgerLink>,
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
    // The execution is checked wherever amounts are given, and counted where the family
    // scores it.
    let counted = execution
        .as_ref()
        .filter(|_| form.family.scores_execution());
    let t = totals::score(&form, counted, &indicators, rules, &mut findings);
    crate::finding::in_reading_order(&mut findings);
    Scored {
        form,
        findings,
        execution,
        indicators,
        claimed_total: t.claimed_total,
        total: t.total,
        claimed_grade: t.claimed_grade,
        grade: t.grade,
        profile: (rules.profile.name.clone(), rules.profile.title.clone()),
        ledger: None,
    }
}

/// A recomputed value: the span rounding allows, how it is shown, and what an error cell
/// is corrected to.
struct Recomputed {
    span: Span,
    shown: String,
    correction: NewValue,
}

/// What a checked value is: a score's rounding up gains points that are not the
/// department's (§4), a rate's only shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Valued<'a> {
    /// An indicator's score, by the indicator's name.
    Indicator(&'a str),
    /// The execution score.
    Execution,
    Rate,
}

impl Valued<'_> {
    /// What a message calls the value: `“办公费”得分`; `None` for a rate.
    fn score_subject(self) -> Option<String> {
        match self {
            Valued::Indicator(name) => Some(format!("“{name}”得分")),
            Valued::Execution => Some("执行率得分".to_string()),
            Valued::Rate => None,
        }
    }
}

/// Reports a written value against its recomputed one, or nothing when it is exact.
/// `display` is the precision the profile shows. Returns whether the written value stands
/// (exact, or explained by rounding).
fn check_value(
    num: &Num,
    written: Shown,
    display: u32,
    recomputed: Recomputed,
    valued: Valued,
    wrong: (Code, impl FnOnce() -> String),
    findings: &mut Vec<Finding>,
) -> bool {
    match judge(written, recomputed.span, display) {
        Verdict::Exact => true,
        Verdict::Rounding => {
            let point = crate::number::round_half_away(recomputed.span.point, display);
            let finding = match valued.score_subject() {
                Some(subject) if written.value > point => Finding::new(
                    Code::RoundedUp,
                    num.cell.clone(),
                    format!(
                        "{subject}填报 {written}，精确值为 {}，系向上取整，多出的 {} 分不计入核定总分",
                        recomputed.shown,
                        fixed(written.value - point, display)
                    ),
                ),
                _ => Finding::new(
                    Code::Rounding,
                    num.cell.clone(),
                    format!(
                        "填报值 {} 与精确值 {} 的差异可由四舍五入解释",
                        written, recomputed.shown
                    ),
                ),
            };
            findings.push(
                finding
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
